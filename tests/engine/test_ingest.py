"""Turning files, folders and zips into submissions, with an id and a row for everything."""
import json
import stat
import zipfile

import pytest

from autograder.ingest import (IngestError, NotebookError, code_cells, collect,
                               student_id_from_filename)


@pytest.mark.parametrize("name, sid", [
    ("doejane_12345_67890_hw1.ipynb", "12345"),
    ("doejane_LATE_12345_67890_hw1-1.ipynb", "12345"),
    ("s001.ipynb", "s001"),
    ("alice_hw1.ipynb", "alice_hw1"),
])
def test_student_id_from_filename(name, sid):
    assert student_id_from_filename(name) == sid


def _nb(*sources):
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": s, "metadata": {}, "outputs": [],
         "execution_count": None} for s in sources]}).encode()


def test_code_cells_and_their_errors():
    assert code_cells(_nb("a = 1", ["def f():\n", "    return 1"])) == ["a = 1", "def f():\n    return 1"]
    for bad, why in [(b"", "empty"), (b"{not json", "invalid JSON"), (b"[]", "no list of cells"),
                     (_nb(), "no code cells")]:
        with pytest.raises(NotebookError, match=why):
            code_cells(bad)


def test_collect_folders_zips_and_unsafe_members(tmp_path):
    (tmp_path / "a.ipynb").write_bytes(_nb("x = 1"))
    (tmp_path / "notes.txt").write_text("hello")  # no one's submission: skipped, with a warning
    bulk = tmp_path / "bulk.zip"  # a Canvas download passed directly: one row per file
    with zipfile.ZipFile(bulk, "w") as zf:
        zf.writestr("doe_111_222_hw1.ipynb", _nb("y = 2"))
        zf.writestr("bo_333_444_hw1.ipynb", _nb("y = 3"))
    upload = tmp_path / "up" / "ann_555_666_hw1.zip"  # a student's zip with an unsafe member
    upload.parent.mkdir()
    with zipfile.ZipFile(upload, "w") as zf:
        zf.writestr("hw1.ipynb", _nb("y = 2"))
        zf.writestr("../evil.ipynb", _nb("z = 3"))
    link = tmp_path / "link" / "cy_777_888_hw1.zip"
    link.parent.mkdir()
    with zipfile.ZipFile(link, "w") as zf:
        info = zipfile.ZipInfo("hw1.ipynb")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    warnings = []
    subs = collect([tmp_path / "a.ipynb", tmp_path / "notes.txt", bulk, tmp_path / "up",
                    tmp_path / "link"], warn=warnings.append)
    by_id = {s.student_id: s for s in subs}
    assert sorted(by_id) == ["111", "333", "555", "777", "a", "notes"]
    assert by_id["a"].error == "" and by_id["a"].data == _nb("x = 1")
    assert by_id["notes"].error.startswith("a text file, not a notebook")  # passed directly
    assert by_id["111"].data == _nb("y = 2") and by_id["333"].data == _nb("y = 3")
    assert "unsafe path" in by_id["555"].error
    assert "symbolic link" in by_id["777"].error
    assert len({s.name for s in subs}) == len(subs)  # names unique within a run
    assert not (tmp_path / "evil.ipynb").exists()  # nothing extracted
    assert warnings == []


def test_missing_path_is_an_error_and_bad_zip_gets_a_row(tmp_path):
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(IngestError, match="nope.ipynb"):
        collect([tmp_path / "nope.ipynb", tmp_path / "broken.zip"])
    [broken] = collect([tmp_path / "broken.zip"])
    assert broken.error.startswith("unreadable zip") and broken.student_id == "broken"
