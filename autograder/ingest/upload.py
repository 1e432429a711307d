"""One uploaded file (the course server's upload) as a submission of the student who sent it.

The same rules as :func:`~autograder.ingest.collect` for one student's upload: a notebook is the
submission; a zip (an otter export, or one the student made) is read as that student's upload
(:func:`autograder.ingest.archive.upload`), never as a bulk download, so nothing inside it can
claim another identity; anything else is a row saying what it is.
"""
from __future__ import annotations

import io
from pathlib import PurePosixPath

from .archive import ZIP_ERRORS, pick_notebook, unreadable
from .files import (MAX_NOTEBOOK_BYTES, Limits, clean_name, open_checked, read_member,
                    what_it_is)
from .submission import Submission


def from_upload(name: str, student_id: str, filename: str, data: bytes, submitted_at: str,
                assignment: str, limits: Limits | None = None) -> Submission:
    """``data``, uploaded as ``filename`` by ``student_id``, as the submission ``name``."""
    limits = limits or Limits.from_env()
    source = f"server:{name}"
    shown, changed = clean_name(PurePosixPath(filename).name)
    note = "the uploaded file's name is not valid UTF-8" if changed else ""

    def row(error: str, body: bytes = b"", where: str = source) -> Submission:
        return Submission(name, student_id, where, body, error=error, submitted_at=submitted_at,
                          note=note)

    if len(data) > MAX_NOTEBOOK_BYTES and not data.startswith(b"PK\x03\x04"):
        return row(f"file larger than {MAX_NOTEBOOK_BYTES} bytes")
    if not data.startswith(b"PK\x03\x04") and not shown.lower().endswith(".zip"):
        if shown.lower().endswith(".ipynb") or data.lstrip()[:1] == b"{":
            return row("", data)
        return row(f"{what_it_is(shown, data[:16])}, not a notebook: submit the .ipynb file")
    try:
        zf, problem = open_checked(io.BytesIO(data), limits)
        if zf is None:
            return row(problem)
        with zf:
            member, error = pick_notebook(zf, assignment)
            if error:
                return row(error)
            body, error = read_member(zf, zf.getinfo(member), limits.max_member_bytes)
            return row(error, body, f"{source}!{clean_name(member)[0]}" if not error else source)
    except ZIP_ERRORS as e:
        return row(unreadable(e))
