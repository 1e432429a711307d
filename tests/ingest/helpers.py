"""Notebooks and zips as students and course sites make them."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path


def notebook(*sources: str) -> bytes:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": s, "metadata": {}, "outputs": [],
         "execution_count": None} for s in sources]}).encode()


def make_zip(members: dict[str, bytes], path: Path | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(buf.getvalue())
    return buf.getvalue()


def otter_export(nb: bytes, name: str = "hw1") -> dict[str, bytes]:
    """What the notebook's ``grader.export(...)`` cell zips: the notebook, otter's log and the
    name of the zip."""
    return {f"{name}.ipynb": nb, ".OTTER_LOG": b"\x80\x04log",
            "__zip_filename__": f"{name}_2026_03_01T10_00_00_123456.zip".encode()}
