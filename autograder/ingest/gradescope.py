"""Gradescope submission exports: ids and submission times from their metadata.

"Download submissions" on a Gradescope programming assignment gives a zip like::

    assignment_123_export/
        submission_metadata.yml        # folder -> submitters (:name, :sid, :email), :created_at
        submission_4567/hw1.ipynb
        submission_4568/hw1.ipynb ...

:func:`submissions_from_zip` and :func:`submissions_from_folder` (called by
:func:`autograder.ingest.sources.collect` when it meets such a zip or folder) turn it into
submissions: one per notebook per submitter (a group submission gives each member a row), with
the submitter's ``:sid`` (or e-mail) as student id and ``:created_at`` as the submission time.
A folder the metadata does not name, or one with no notebook, still gets a row.
"""
from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from .files import (IGNORED, MAX_NOTEBOOK_BYTES, FileLoader, MemberLoader, clean_name,
                    member_problem)
from .submission import Submission

METADATA_NAME = "submission_metadata.yml"


def _load_yaml(text: str) -> Any:
    """YAML, loaded safely but tolerating Ruby tags (``!ruby/object:BigDecimal``, ...)."""
    import yaml  # only when an export is met: most runs have none

    class Loader(yaml.SafeLoader):
        pass

    def any_tag(loader, suffix, node):
        if isinstance(node, yaml.MappingNode):
            return loader.construct_mapping(node, deep=True)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_scalar(node)

    Loader.add_multi_constructor("!", any_tag)
    return yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass


def _plain_keys(value: Any) -> Any:
    """Ruby symbol keys (``:sid``) without their colon."""
    if isinstance(value, dict):
        return {str(k).lstrip(":"): _plain_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_keys(v) for v in value]
    return value


def iso_time(value: Any) -> str:
    """A time from Gradescope's metadata (YAML or JSON) as ISO 8601; '' when unknown."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day).isoformat()
    if value is None:
        return ""
    text = str(value).strip()
    for fmt in ("%Y-%m-%d %H:%M:%S.%f %z", "%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S.%f%z",
                "%Y-%m-%dT%H:%M:%S%z"):
        try:  # Ruby prints nanoseconds; strptime takes at most 6 digits
            trimmed = text
            if ".%f" in fmt and "." in text:
                head, _, tail = text.partition(".")
                digits = len(tail) - len(tail.lstrip("0123456789"))
                trimmed = f"{head}.{tail[:min(digits, 6)]}{tail[digits:]}"
            return datetime.strptime(trimmed, fmt).isoformat()
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text).isoformat()
    except ValueError:
        return ""


def parse_metadata(text: str) -> dict[str, dict[str, Any]]:
    """``{folder: {"submitters": [{"sid", "email", "name"}], "created_at": iso}}`` from a
    ``submission_metadata.yml``."""
    data = _load_yaml(text)
    if not isinstance(data, dict):
        raise ValueError(f"{METADATA_NAME} is not a mapping")
    found = {}
    for folder, record in _plain_keys(data).items():
        if not isinstance(record, dict):
            continue
        submitters = []
        for person in record.get("submitters") or []:
            if isinstance(person, dict):
                submitters.append({k: str(person.get(k) or "").strip()
                                   for k in ("sid", "email", "name")})
        found[str(folder)] = {"submitters": submitters,
                              "created_at": iso_time(record.get("created_at"))}
    return found


def _student_id(person: dict[str, str], folder: str) -> str:
    return person.get("sid") or person.get("email") or person.get("name") or folder


def _export_submissions(metadata: dict[str, dict[str, Any]],
                        files: dict[str, list[tuple[str, str, Any]]],
                        where: str) -> list[Submission]:
    """Submissions from an export: ``files`` maps a submission folder to (path in the export,
    source, reader-or-error) for each of its files."""
    found: list[Submission] = []
    for folder in sorted(set(metadata) | set(files)):
        record = metadata.get(folder, {"submitters": [], "created_at": ""})
        people = record["submitters"] or [{"sid": "", "email": "", "name": ""}]
        members = files.get(folder, [])
        notebooks = [m for m in members if m[0].lower().endswith(".ipynb")]
        for person in people:
            sid = _student_id(person, folder)
            if not notebooks:
                listing = ", ".join(PurePosixPath(m[0]).name for m in members) or "no files"
                why = ("no notebook in this Gradescope submission" if folder in metadata
                       else f"folder not named in {METADATA_NAME}")
                found.append(Submission(f"{sid}_{folder}", sid, f"{where}!{folder}", b"",
                                        error=f"{why} ({listing})",
                                        submitted_at=record["created_at"]))
                continue
            for path, source, read in notebooks:
                name = f"{sid}_{folder}"
                if len(notebooks) > 1:
                    name += f"_{PurePosixPath(path).stem}"
                error = "" if callable(read) else str(read)
                if folder not in metadata and not error:
                    error = f"folder not named in {METADATA_NAME}"
                found.append(Submission(name, sid, source, b"", error=error,
                                        submitted_at=record["created_at"],
                                        loader=read if callable(read) and not error else None))
    if not found:
        found.append(Submission(PurePosixPath(where).name, PurePosixPath(where).stem, where, b"",
                                error="Gradescope export holds no submissions"))
    return found


def metadata_member(zf: zipfile.ZipFile) -> str | None:
    """The path of ``submission_metadata.yml`` in a zip (shallowest first), or None."""
    names = [n for n in zf.namelist() if PurePosixPath(n).name == METADATA_NAME
             and not n.startswith("__MACOSX/")]
    return min(names, key=lambda n: (n.count("/"), n)) if names else None


def submissions_from_zip(zf: zipfile.ZipFile, path: Path,
                         limit: int = MAX_NOTEBOOK_BYTES) -> list[Submission]:
    """Every submission in a Gradescope export zip (listed now, each read when graded)."""
    meta_name = metadata_member(zf)
    assert meta_name is not None
    base = PurePosixPath(meta_name).parent
    try:
        with zf.open(meta_name) as meta:
            text = meta.read(MAX_NOTEBOOK_BYTES).decode("utf-8", "replace")
        metadata = parse_metadata(text)
    except Exception as e:  # noqa: BLE001 - any YAML problem becomes a row, not a crash
        return [Submission(path.name, path.stem, f"{path}!{meta_name}", b"",
                           error=f"unreadable {METADATA_NAME}: {type(e).__name__}: {e}")]
    files: dict[str, list[tuple[str, str, Any]]] = {}
    for info in zf.infolist():
        if info.is_dir() or info.filename == meta_name or info.filename.startswith("__MACOSX/"):
            continue
        rel = PurePosixPath(info.filename)
        try:
            rel = rel.relative_to(base)
        except ValueError:
            continue
        if len(rel.parts) < 2 or rel.name in IGNORED or ".ipynb_checkpoints" in rel.parts:
            continue
        problem = member_problem(info, limit)
        read = problem or MemberLoader(path, (info.filename,), limit)
        files.setdefault(rel.parts[0], []).append(
            (rel.as_posix(), f"{path}!{info.filename}", read))
    return _export_submissions(metadata, files, str(path))


def metadata_file(folder: Path) -> Path | None:
    """``submission_metadata.yml`` in ``folder`` or one of its direct subfolders, or None."""
    direct = folder / METADATA_NAME
    if direct.is_file():
        return direct
    try:
        for child in sorted(folder.iterdir()):
            if child.is_dir() and (child / METADATA_NAME).is_file():
                return child / METADATA_NAME
    except OSError:
        return None
    return None


def submissions_from_folder(folder: Path) -> list[Submission]:
    """Every submission in an extracted Gradescope export."""
    meta_path = metadata_file(folder)
    assert meta_path is not None
    base = meta_path.parent
    try:
        metadata = parse_metadata(meta_path.read_text(errors="replace"))
    except Exception as e:  # noqa: BLE001
        return [Submission(folder.name, folder.name, str(meta_path), b"",
                           error=f"unreadable {METADATA_NAME}: {type(e).__name__}: {e}")]
    files: dict[str, list[tuple[str, str, Any]]] = {}
    for sub in sorted(p for p in base.iterdir() if p.is_dir()):
        for child in sorted(p for p in sub.rglob("*") if p.is_file() or p.is_symlink()):
            if child.name in IGNORED or ".ipynb_checkpoints" in child.parts:
                continue
            files.setdefault(sub.name, []).append(
                (child.relative_to(base).as_posix(), clean_name(str(child))[0], FileLoader(child)))
    return _export_submissions(metadata, files, str(base))
