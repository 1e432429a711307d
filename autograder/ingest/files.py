"""Reading one file or one zip member under ingestion's limits, or saying why it is refused.

Zips are read in memory: a member with ``..``, an absolute path, a drive letter or a symbolic
link is refused, and nothing is extracted to disk. A file that is a symbolic link, or larger than
:data:`MAX_NOTEBOOK_BYTES`, is refused too. A refusal is a message for the submission's row,
never an exception.
"""
from __future__ import annotations

import stat
import zipfile
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

MAX_NOTEBOOK_BYTES = 32 << 20
TOO_LARGE = f"file larger than {MAX_NOTEBOOK_BYTES} bytes"
IGNORED = {".DS_Store", "Thumbs.db"}  # files a folder or zip may hold that are no submission


def member_problem(info: zipfile.ZipInfo) -> str:
    """Why a zip member is refused, or '' if it is fine."""
    name = info.filename
    path = PurePosixPath(name)
    if path.is_absolute() or name.startswith(("/", "\\")) or ".." in path.parts or ":" in name:
        return f"unsafe path {name!r} in zip"
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return f"symbolic link {name!r} in zip"
    if info.file_size > MAX_NOTEBOOK_BYTES:
        return TOO_LARGE
    return ""


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The bytes of a member :func:`member_problem` accepted, at most the limit plus one (a
    header may understate a member's size)."""
    with zf.open(info) as member:
        return member.read(MAX_NOTEBOOK_BYTES + 1)


def read_file(path: Path) -> tuple[bytes, str]:
    """A file's bytes and '', or b'' and why it is refused."""
    try:
        if path.is_symlink():
            return b"", "symbolic link"
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            return b"", TOO_LARGE
        return path.read_bytes(), ""
    except OSError as e:
        return b"", f"unreadable: {e.strerror}"


def file_time(path: Path) -> str:
    """A file's modification time (UTC, ISO 8601), or '' if it cannot be read."""
    try:
        mtime = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    except OSError:
        return ""
    return mtime.isoformat(timespec="seconds")
