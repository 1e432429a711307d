"""Turning what a TA passes on the command line into submissions.

A submission argument is a notebook, a folder (searched recursively), or a zip (read in memory;
members with ``..``, absolute paths or symlinks are refused, and nothing is extracted to disk).
Everything found becomes a :class:`Submission`, including files that are not notebooks, so that
each gets a row with a clear status instead of being silently skipped.

Student ids come from file names: Canvas bulk downloads name files
``lastfirst_12345_67890_hw1.ipynb`` (or ``lastfirst_LATE_12345_67890_…``), where 12345 is the
student's Canvas id; otherwise the file's stem is the id. A Gradescope submission export (a zip
or folder with ``submission_metadata.yml``) is read by :mod:`autograder.lms.gradescope`, which
takes ids and submission times from its metadata.

Submission times (``Submission.submitted_at``, ISO 8601) come from the Gradescope metadata, a
plain file's mtime (UTC) or a zip entry's time (no offset: local time). Canvas bulk zips stamp
every entry with the time the zip was made, so their members get no time ("": unknown); Canvas
marks late ones with ``LATE`` in the name, which the gradebook reports.
"""
from __future__ import annotations

import hashlib
import json
import re
import stat
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

MAX_NOTEBOOK_BYTES = 32 << 20
MAX_CELLS = 2_000
MAX_CELL_CHARS = 1 << 20
CANVAS_NAME = re.compile(r"^(?P<name>[^_]+)_(?:late_)?(?P<id>\d+)_(?P<sub>\d+)_(?P<file>.+)$",
                         re.IGNORECASE)
IGNORED = {".DS_Store", "Thumbs.db"}


@dataclass
class Submission:
    name: str  # unique within a run; used for OUT/results/<name>.json
    student_id: str
    source: str
    data: bytes
    error: str = ""  # set when the file could not even be read
    submitted_at: str = ""  # ISO 8601; no offset: local time; "": unknown

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def student_id_from_filename(filename: str) -> str:
    stem = PurePosixPath(filename).name
    match = CANVAS_NAME.match(stem)
    if match:
        return match.group("id")
    return stem.rsplit(".", 1)[0] if "." in stem else stem


def _safe_member(info: zipfile.ZipInfo) -> str:
    """Why a zip member is refused, or '' if it is fine."""
    name = info.filename
    path = PurePosixPath(name)
    if path.is_absolute() or name.startswith(("/", "\\")) or ".." in path.parts or ":" in name:
        return f"unsafe path {name!r} in zip"
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return f"symbolic link {name!r} in zip"
    return ""


def _zip_time(info: zipfile.ZipInfo) -> str:
    """A zip entry's time, unless it is a Canvas bulk-download member (stamped at zip time)."""
    if CANVAS_NAME.match(PurePosixPath(info.filename).name):
        return ""
    try:
        return datetime(*info.date_time).isoformat()
    except ValueError:
        return ""


def _from_zip(path: Path) -> list[Submission]:
    from ..lms import gradescope  # a Gradescope export zip: ids and times from its metadata

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
                source = f"{path}!{info.filename}"
                problem = _safe_member(info)
                if problem:
                    found.append(Submission(base, student_id_from_filename(base), source, b"",
                                            error=problem))
                    continue
                if info.file_size > MAX_NOTEBOOK_BYTES:
                    found.append(Submission(base, student_id_from_filename(base), source, b"",
                                            error=f"file larger than {MAX_NOTEBOOK_BYTES} bytes"))
                    continue
                with zf.open(info) as member:
                    data = member.read(MAX_NOTEBOOK_BYTES + 1)
                found.append(Submission(base, student_id_from_filename(base), source, data,
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
    try:
        if path.is_symlink():
            return [Submission(path.name, sid, str(path), b"", error="symbolic link")]
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            return [Submission(path.name, sid, str(path), b"",
                               error=f"file larger than {MAX_NOTEBOOK_BYTES} bytes")]
        mtime = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
        return [Submission(path.name, sid, str(path), path.read_bytes(),
                           submitted_at=mtime.isoformat(timespec="seconds"))]
    except OSError as e:
        return [Submission(path.name, sid, str(path), b"", error=f"unreadable: {e.strerror}")]


def collect(paths: list[str | Path]) -> list[Submission]:
    """Every submission under ``paths``, with unique names, in a stable order."""
    from ..lms import gradescope  # an extracted Gradescope export folder

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
    seen: dict[str, int] = {}
    for sub in found:
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", sub.name.rsplit(".", 1)[0])[:120] or "submission"
        n = seen.get(stem, 0)
        seen[stem] = n + 1
        sub.name = stem if n == 0 else f"{stem}-{n + 1}"
    return found


class NotebookError(ValueError):
    pass


def code_cells(data: bytes) -> list[str]:
    """The code cells of a notebook, or :class:`NotebookError` saying why there are none."""
    if not data.strip():
        raise NotebookError("empty file")
    try:
        nb = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise NotebookError(f"not a notebook: invalid JSON ({type(e).__name__})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookError("not a notebook: no list of cells")
    cells = nb["cells"]
    if len(cells) > MAX_CELLS:
        raise NotebookError(f"notebook has {len(cells)} cells, more than {MAX_CELLS}")
    sources = []
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise NotebookError(f"cell {i}: source is not text")
        if len(source) > MAX_CELL_CHARS:
            raise NotebookError(f"cell {i} is larger than {MAX_CELL_CHARS} characters")
        sources.append(source)
    if not sources:
        raise NotebookError("notebook has no code cells")
    return sources
