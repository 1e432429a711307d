"""What one student uploads as their submission: one file (the course server's upload,
:func:`from_upload`) or a folder of files (Gradescope's ``/autograder/submission``,
:func:`from_folder`).

The same rules as :func:`~autograder.ingest.collect` for one student's upload: a notebook is the
submission; a zip (an otter export, or one the student made) is read as that student's upload
(:func:`autograder.ingest.archive.upload`), never as a bulk download, so nothing inside it can
claim another identity; anything else is a row saying what it is ("a PDF, not a notebook").
"""
from __future__ import annotations

import io
from pathlib import Path, PurePosixPath

from .archive import ZIP_ERRORS, from_zip, pick_notebook, unreadable
from .files import (MAX_NOTEBOOK_BYTES, NOT_UTF8, FileLoader, Limits, clean_name, head,
                    is_clutter, looks_like_zip, open_checked, read_member, what_it_is)
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


NO_NOTEBOOK = "no .ipynb notebook in the submission"
SUBMIT = "submit the .ipynb file or the export zip"


def from_folder(folder: Path, student_id: str, submitted_at: str, assignment: str,
                limits: Limits | None = None) -> tuple[Submission, str]:
    """The files ``student_id`` uploaded, all in ``folder``, as their one submission; and,
    when there was a choice, a note naming the file graded and the others ('' if none).

    Clutter (``__MACOSX/``, hidden files and folders: :func:`~autograder.ingest.files.
    is_clutter`) is never looked at. The submission is ``<assignment>.ipynb`` if there is one,
    else the first notebook by name; with no notebook, the first zip (by name) that holds one,
    read as this student's upload; with neither, a row saying what was found."""
    limits = limits or Limits.from_env()
    files = sorted(p for p in folder.rglob("*") if (p.is_file() or p.is_symlink())
                   and not is_clutter(p.relative_to(folder).as_posix())) \
        if folder.is_dir() else []

    def shown(path: Path) -> str:
        return clean_name(path.relative_to(folder).as_posix())[0]

    def choice(chosen: Path, among: list[Path]) -> str:
        others = [shown(p) for p in among if p != chosen]
        return f"Graded {shown(chosen)}; also found: {', '.join(others)}" if others else ""

    notebooks = [p for p in files if p.suffix.lower() == ".ipynb"]
    if notebooks:
        chosen = ([p for p in notebooks if p.name == f"{assignment}.ipynb"] or notebooks)[0]
        changed = clean_name(chosen.name)[1]
        return Submission(chosen.stem, student_id, clean_name(str(chosen))[0], b"",
                          submitted_at=submitted_at, note=NOT_UTF8 if changed else "",
                          loader=FileLoader(chosen, limits.max_member_bytes)), \
            choice(chosen, notebooks)
    zips = [p for p in files if looks_like_zip(p)]
    tried = []
    for path in zips:
        name, changed = clean_name(path.stem)
        owner = (name, student_id, submitted_at, NOT_UTF8 if changed else "")
        if path.is_symlink():
            sub = Submission(name, student_id, clean_name(str(path))[0], b"",
                             error="symbolic link", submitted_at=submitted_at)
        else:
            sub = from_zip(path, clean_name(str(path))[0], owner, limits, assignment, False)[0]
        if not sub.error:
            return sub, choice(path, zips)
        tried.append(sub)
    if tried:
        return tried[0], ""
    return Submission("submission", student_id, str(folder), b"", submitted_at=submitted_at,
                      error=_nothing_to_grade(files, shown)), ""


def _nothing_to_grade(files: list[Path], shown) -> str:
    """Why an upload without notebook or zip has nothing to grade, saying what each file is."""
    def what(path: Path) -> str:
        return what_it_is(path.name, b"" if path.is_symlink() else head(path))

    if not files:
        return f"{NO_NOTEBOOK} (found: nothing): {SUBMIT}"
    if len(files) == 1:
        return f"{NO_NOTEBOOK}: {shown(files[0])} is {what(files[0])}, not a notebook; {SUBMIT}"
    listing = ", ".join(f"{shown(p)} ({what(p)})" for p in files[:5])
    return f"{NO_NOTEBOOK} (found: {listing}{', …' if len(files) > 5 else ''}): {SUBMIT}"
