"""Turning what an instructor passes on the command line into submissions with identities.

:func:`collect` takes notebooks, folders (searched recursively) and zips:

* a path that does not exist is an error (:class:`IngestError`): nothing is graded or stored;
* a notebook is a submission, owned by the student its name identifies: a Canvas bulk-download
  name gives the Canvas user id (:mod:`~autograder.ingest.canvas`), any other name its stem;
* a zip is read by :mod:`~autograder.ingest.archive`: a Canvas or Gradescope download only when
  passed here directly, else one student's upload (an otter export, or a zip they made) owned
  by the student its own name identifies;
* a Gradescope export folder (with ``submission_metadata.yml``) gives ids and times from its
  metadata (:mod:`~autograder.ingest.gradescope`);
* inside a folder, a file that is neither a notebook nor a zip is skipped with one warning line
  (a ``README.md``, a times CSV) unless Canvas named it, which makes it a student's submission:
  it gets a row saying what it is ("a PDF, not a notebook"). Passed directly, such a file gets
  that row too.

Every submission gets its own name (its result's key, ``OUT/results/<name>.json``), whatever
the file names: duplicates are numbered with numbers no other file's name uses. With a groups
file (:mod:`~autograder.ingest.groups`), a Canvas group submission is given to every member.

Submission times (``Submission.submitted_at``, ISO 8601) come from the Gradescope metadata or a
plain file's mtime (UTC). Canvas downloads stamp every entry with the time the zip was made and
a student chooses the dates inside their own zip, so neither gives a time ("": unknown); the
gradebook then uses the times CSV, or Canvas's ``LATE`` marker (see
:mod:`autograder.gradebook.course`).
"""
from __future__ import annotations

import logging
import re
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable

from . import canvas, gradescope
from .archive import Owner, from_zip, identity
from .files import (IGNORED, NOT_UTF8, FileLoader, Limits, clean_name, file_time, printable,
                    what_it_is)
from .groups import load_groups
from .submission import IngestError, Submission

log = logging.getLogger("autograder.ingest")


def student_id_from_filename(filename: str) -> str:
    return identity(filename)[0]


def _owner(path: Path, submitted_at: str = "") -> Owner:
    sid, note = identity(str(path.name))
    shown, _ = clean_name(path.name)
    return shown, sid, submitted_at, note


def _is_zip(path: Path) -> bool:
    if path.suffix.lower() == ".zip":
        return True
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"PK\x03\x04" and path.suffix.lower() != ".ipynb"
    except OSError:
        return False


def _head(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(16)
    except OSError:
        return b""


def _notebook(path: Path, limits: Limits) -> Submission:
    name, sid, when, note = _owner(path, file_time(path))
    return Submission(name, sid, clean_name(str(path))[0], b"", submitted_at=when, note=note,
                      loader=FileLoader(path, limits.max_member_bytes))


def _from_path(path: Path, limits: Limits, assignment: str, top_level: bool,
               warn: Callable[[str], None]) -> list[Submission]:
    shown = clean_name(str(path))[0]
    if path.is_symlink():
        if not top_level:
            warn(f"skipped {printable(shown)}: a symbolic link")
            return []
        return [Submission(*_owner(path)[:2], shown, b"", error="symbolic link")]
    if _is_zip(path):
        return from_zip(path, shown, _owner(path, file_time(path)), limits, assignment,
                        top_level)
    if path.suffix.lower() == ".ipynb":
        return [_notebook(path, limits)]
    what = what_it_is(path.name, _head(path))
    if top_level or canvas.parse(path.name) is not None:
        name, sid, when, note = _owner(path, file_time(path))
        return [Submission(name, sid, shown, b"", submitted_at=when, note=note,
                           error=f"{what}, not a notebook: submit the .ipynb file")]
    warn(f"skipped {printable(shown)}: {what}, neither a notebook nor a zip")
    return []


def _from_folder(folder: Path, limits: Limits, assignment: str,
                 warn: Callable[[str], None]) -> list[Submission]:
    found = []
    for child in sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink()):
        rel = child.relative_to(folder)
        if (child.name in IGNORED or child.name.startswith(".") or "__MACOSX" in rel.parts
                or ".ipynb_checkpoints" in rel.parts):
            continue
        found += _from_path(child, limits, assignment, False, warn)
    return found


def _key(text: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", text)
    stem = stem[:-6] if stem.lower().endswith(".ipynb") else stem
    stem = stem[:-4] if stem.lower().endswith(".zip") else stem
    return stem.strip("._")[:120] or "submission"


def unique_names(found: list[Submission]) -> None:
    """Each submission's name, made safe for a file name and unique within the run, case
    ignored (results live in files): the first of a name keeps it; later ones get the lowest
    ``-N`` that no other submission's own name is."""
    wanted = [_key(sub.name) for sub in found]
    taken = {w.lower() for w in wanted}
    given: set[str] = set()
    for sub, name in zip(found, wanted):
        if name.lower() in given:
            n = 2
            while f"{name}-{n}".lower() in taken or f"{name}-{n}".lower() in given:
                n += 1
            name = f"{name}-{n}"
        given.add(name.lower())
        sub.name = name


def for_groups(found: list[Submission], groups: dict[str, tuple[str, ...]]) -> list[Submission]:
    """Every submission, and for a group member's one a copy for each other member."""
    out = []
    for sub in found:
        out.append(sub)
        for member in groups.get(sub.student_id, ()):
            if member != sub.student_id:
                copy = replace(sub, name=f"{sub.name}_for_{member}", student_id=member,
                               note="; ".join(filter(None, [
                                   sub.note, f"group submission by {sub.student_id}"])),
                               data=sub.__dict__["_data"])
                out.append(copy)
    return out


def collect(paths: Iterable[str | Path], *, assignment: str = "",
            groups: dict[str, tuple[str, ...]] | str | Path | None = None,
            limits: Limits | None = None,
            warn: Callable[[str], None] | None = None) -> list[Submission]:
    """Every submission under ``paths``, with unique names, in a stable order.

    ``assignment`` picks ``<assignment>.ipynb`` in an upload holding several notebooks;
    ``groups``: a Canvas groups CSV (or its :func:`~autograder.ingest.groups.load_groups`);
    ``warn``: called with one line per skipped file (default: a logging warning).
    Raises :class:`IngestError` when a path does not exist."""
    paths = [Path(p) for p in paths]
    missing = [clean_name(str(p))[0] for p in paths if not (p.exists() or p.is_symlink())]
    if missing:
        raise IngestError(f"no such file or folder: {', '.join(missing)}")
    limits = limits or Limits.from_env()
    warn = warn or log.warning
    if groups is not None and not isinstance(groups, dict):
        groups = load_groups(groups)
    found: list[Submission] = []
    for path in paths:
        if path.is_dir() and gradescope.metadata_file(path) is not None:
            found += gradescope.submissions_from_folder(path)
        elif path.is_dir():
            found += _from_folder(path, limits, assignment, warn)
        else:
            found += _from_path(path, limits, assignment, True, warn)
    if groups:
        found = for_groups(found, groups)
    unique_names(found)
    return found


__all__ = ["IngestError", "Limits", "NOT_UTF8", "collect", "student_id_from_filename",
           "unique_names"]
