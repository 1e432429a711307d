"""Zips: which kind each one is, and the submissions it holds.

* A **Gradescope export** (it holds ``submission_metadata.yml``) or a **Canvas bulk download**
  (every file in it at the top level and named by Canvas, see :mod:`~autograder.ingest.canvas`)
  holds many students' submissions, but only when the instructor passes it as a top-level input
  (``top_level``). Each file in a Canvas download belongs to the student its name identifies: a
  notebook is a submission, a zip is that student's upload (below), anything else is a row
  saying what it is.
* Every other zip is **one student's upload**, owned by the student its own name identifies
  (or the Canvas file that holds it): an otter export (the zip the notebook's
  ``grader.export(...)`` cell makes: the ``.ipynb``, ``.OTTER_LOG``, ``__zip_filename__``) or a
  zip the student made. It is one submission, its notebook; nothing inside it can claim another
  identity or a submission time (the uploader chooses member names and dates). A zip with
  several notebooks is graded only when one is named ``<assignment>.ipynb``.

Members are listed here and read later, one at a time (:class:`~autograder.ingest.files.
MemberLoader`); only a zip inside a Canvas download is copied (to a temporary file, bounded) to
be listed.
"""
from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath
from typing import Callable

from . import canvas, gradescope
from .files import (NOT_UTF8, Limits, MemberLoader, clean_name, member_problem, open_checked,
                    skipped_member, spool_member, what_it_is)
from .submission import Submission

ZIP_ERRORS = (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError,
              ValueError, UnicodeDecodeError)
Owner = tuple[str, str, str, str]  # (name, student id, submitted_at, note)


def unreadable(error: Exception) -> str:
    if isinstance(error, UnicodeDecodeError):
        return ("unreadable zip: a member name is marked as UTF-8 but is not valid UTF-8; "
                "zip the notebook again")
    return f"unreadable zip: {error}"


def identity(filename: str) -> tuple[str, str]:
    """The student id a file's own name gives (Canvas's user id, else its stem), and a note
    when the name had to be cleaned."""
    name, changed = clean_name(PurePosixPath(filename).name)
    sid = canvas.canvas_id(name) or (name.rsplit(".", 1)[0] if "." in name[1:] else name)
    return sid, NOT_UTF8 if changed else ""


def is_canvas_download(zf: zipfile.ZipFile) -> bool:
    files = [i.filename for i in zf.infolist() if not skipped_member(i.filename)]
    return bool(files) and all("/" not in f and canvas.parse(f) is not None for f in files)


def from_zip(path: Path, display: str, owner: Owner, limits: Limits, assignment: str,
             top_level: bool) -> list[Submission]:
    """The submissions in the zip at ``path`` (shown as ``display``); ``owner`` is what the
    zip's own name says, used when it is one student's upload."""
    try:
        zf, problem = open_checked(path, limits)
        if zf is None:
            return [_row(owner, display, problem)]
        with zf:
            if top_level and gradescope.metadata_member(zf) is not None:
                return gradescope.submissions_from_zip(zf, path, limits.max_member_bytes)
            if top_level and is_canvas_download(zf):
                return _canvas_download(zf, path, display, limits, assignment)
            return [upload(zf, lambda member: MemberLoader(path, (member,),
                                                           limits.max_member_bytes),
                           display, owner, assignment)]
    except ZIP_ERRORS as e:
        return [_row(owner, display, unreadable(e))]


def _row(owner: Owner, source: str, error: str, loader=None) -> Submission:
    name, sid, when, note = owner
    return Submission(name, sid, source, b"", error=error, submitted_at=when, note=note,
                      loader=loader)


def pick_notebook(zf: zipfile.ZipFile, assignment: str) -> tuple[str, str]:
    """The member name of one student's upload that is their notebook, and ''; or '' and why
    there is none (an unsafe member spoils the zip)."""
    members = [i for i in zf.infolist() if not skipped_member(i.filename)]
    for info in members:
        problem = member_problem(info, None)
        if problem:
            return "", problem
    notebooks = [i for i in members if i.filename.lower().endswith(".ipynb")]
    if len(notebooks) > 1 and assignment:
        named = [i for i in notebooks
                 if PurePosixPath(i.filename).name.lower() == f"{assignment}.ipynb".lower()]
        notebooks = named if len(named) == 1 else notebooks
    if len(notebooks) == 1:
        return notebooks[0].filename, ""
    listing = ", ".join(PurePosixPath(i.filename).name for i in members[:5])
    listing += ", …" if len(members) > 5 else ""
    if notebooks:
        hint = f" named {assignment}.ipynb" if assignment else ""
        return "", f"a zip with {len(notebooks)} notebooks ({listing}): submit one{hint}"
    return "", (f"a zip with no notebook ({listing or 'empty'}): submit the .ipynb file or "
                "the export zip")


def upload(zf: zipfile.ZipFile, loader_for: Callable[[str], MemberLoader], display: str,
           owner: Owner, assignment: str) -> Submission:
    """One student's upload: its one notebook, or an error row saying what it holds."""
    member, error = pick_notebook(zf, assignment)
    if error:
        return _row(owner, display, error)
    return _row(owner, f"{display}!{member}", "", loader_for(member))


def _canvas_download(zf: zipfile.ZipFile, path: Path, display: str, limits: Limits,
                     assignment: str) -> list[Submission]:
    found = []
    for info in zf.infolist():
        member = info.filename
        if skipped_member(member):
            continue
        sid, note = identity(member)
        shown, _ = clean_name(member)
        owner: Owner = (PurePosixPath(shown).name, sid, "", note)  # zip times are Canvas's
        source = f"{display}!{shown}"
        lower = member.lower()
        if lower.endswith(".ipynb"):
            problem = member_problem(info, limits.max_member_bytes)
            found.append(_row(owner, source, problem, None if problem else MemberLoader(
                path, (member,), limits.max_member_bytes)))
        elif lower.endswith(".zip"):
            found.append(_nested(zf, info, path, source, owner, limits, assignment))
        else:
            found.append(_row(owner, source, f"{what_it_is(member)}, not a notebook: submit "
                                             "the .ipynb file"))
    return found


def _nested(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, source: str, owner: Owner,
            limits: Limits, assignment: str) -> Submission:
    """A student's zip inside a Canvas download: that student's upload."""
    spool, problem = spool_member(zf, info, limits.max_member_bytes)
    if spool is None:
        return _row(owner, source, problem)
    try:
        with spool:
            inner, problem = open_checked(spool, limits)
            if inner is None:
                return _row(owner, source, problem)
            with inner:
                return upload(inner, lambda member: MemberLoader(
                    path, (info.filename, member), limits.max_member_bytes), source, owner,
                    assignment)
    except ZIP_ERRORS as e:
        return _row(owner, source, unreadable(e))
