"""Turning what a TA passes on the command line into submissions.

A submission argument is a notebook, a folder (searched recursively), or a zip (read in memory,
see :mod:`autograder.ingest.files`). Everything found becomes a :class:`Submission`, including
files that are not notebooks, so that each gets a row with a clear status instead of being
silently skipped.

Student ids come from file names: a Canvas bulk-download name gives the student's Canvas id
(:mod:`autograder.ingest.canvas`); otherwise the file's stem is the id. A Gradescope submission
export (a zip or folder with ``submission_metadata.yml``) gives ids and submission times from
its metadata (:mod:`autograder.ingest.gradescope`).

Submission times (``Submission.submitted_at``, ISO 8601) come from the Gradescope metadata, a
plain file's mtime (UTC) or a zip entry's time (no offset: local time). Canvas bulk zips stamp
every entry with the time the zip was made, so their members get no time ("": unknown); Canvas
marks late ones with ``LATE`` in the name, which the gradebook reports.
"""
from __future__ import annotations

import re
import zipfile
from datetime import datetime
from pathlib import Path, PurePosixPath

from . import gradescope
from .canvas import canvas_id, is_canvas_member
from .files import IGNORED, file_time, member_problem, read_file, read_member
from .submission import Submission


def student_id_from_filename(filename: str) -> str:
    stem = PurePosixPath(filename).name
    return canvas_id(stem) or (stem.rsplit(".", 1)[0] if "." in stem else stem)


def _zip_time(info: zipfile.ZipInfo) -> str:
    """A zip entry's time, unless it is a Canvas bulk-download member (stamped at zip time)."""
    if is_canvas_member(info.filename):
        return ""
    try:
        return datetime(*info.date_time).isoformat()
    except ValueError:
        return ""


def _from_zip(path: Path) -> list[Submission]:
    found = []
    try:
        with zipfile.ZipFile(path) as zf:
            if gradescope.metadata_member(zf) is not None:
                return gradescope.submissions_from_zip(zf, path)
            for info in zf.infolist():
                if info.is_dir():
                    continue
                base = PurePosixPath(info.filename).name
                if base in IGNORED or info.filename.startswith("__MACOSX/"):
                    continue
                source, sid = f"{path}!{info.filename}", student_id_from_filename(base)
                problem = member_problem(info)
                if problem:
                    found.append(Submission(base, sid, source, b"", error=problem))
                    continue
                found.append(Submission(base, sid, source, read_member(zf, info),
                                        submitted_at=_zip_time(info)))
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as e:
        found.append(Submission(path.name, student_id_from_filename(path.name), str(path), b"",
                                error=f"unreadable zip: {e}"))
    if not found:
        found.append(Submission(path.name, student_id_from_filename(path.name), str(path), b"",
                                error="zip holds no files"))
    return found


def _from_file(path: Path) -> list[Submission]:
    if path.suffix.lower() == ".zip":
        return _from_zip(path)
    sid = student_id_from_filename(path.name)
    data, error = read_file(path)
    if error:
        return [Submission(path.name, sid, str(path), b"", error=error)]
    return [Submission(path.name, sid, str(path), data, submitted_at=file_time(path))]


def _unique_names(found: list[Submission]) -> None:
    """Each submission's name: its file's stem, made safe for a file name, numbered from the
    second one with the same stem on."""
    seen: dict[str, int] = {}
    for sub in found:
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", sub.name.rsplit(".", 1)[0])[:120] or "submission"
        n = seen.get(stem, 0)
        seen[stem] = n + 1
        sub.name = stem if n == 0 else f"{stem}-{n + 1}"


def collect(paths: list[str | Path]) -> list[Submission]:
    """Every submission under ``paths``, with unique names, in a stable order."""
    found: list[Submission] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir() and gradescope.metadata_file(path) is not None:
            found += gradescope.submissions_from_folder(path)
        elif path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file() or p.is_symlink()):
                if child.name in IGNORED or ".ipynb_checkpoints" in child.parts:
                    continue
                found += _from_file(child)
        elif path.exists() or path.is_symlink():
            found += _from_file(path)
        else:
            found.append(Submission(path.name, student_id_from_filename(path.name), str(path),
                                    b"", error="no such file"))
    _unique_names(found)
    return found
