"""Reading files and zip members under ingestion's limits, or saying why they are refused.

Zips are never extracted and never held in memory whole: their members are read one at a time,
when grading asks for them (:class:`MemberLoader`), each at most :data:`MAX_NOTEBOOK_BYTES`. A
member with ``..``, an absolute path, a drive letter or a symbolic link is refused, and so is a
file that is a symbolic link or too large. An archive is refused as a whole, before anything in
it is decompressed, when it declares more members or more uncompressed bytes than
:class:`Limits` allow (zipfile never returns more bytes than a member declares, so the declared
sizes bound the work). A refusal is a message for the submission's row, never an exception.

Names are text: a file or member name that is not valid UTF-8 is read with replacement
characters (U+FFFD) and the submission notes it (:func:`clean_name`).
"""
from __future__ import annotations

import codecs
import os
import shutil
import stat
import struct
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

MAX_NOTEBOOK_BYTES = 32 << 20
TOO_LARGE = f"file larger than {MAX_NOTEBOOK_BYTES} bytes"
IGNORED = {".DS_Store", "Thumbs.db", "desktop.ini"}  # files that are no submission
NOT_UTF8 = "its file name is not valid UTF-8 (shown with U+FFFD)"


@dataclass(frozen=True)
class Limits:
    """Caps on one archive. The defaults fit a Canvas bulk download of a 300-student course
    with room to spare (a notebook and an export zip or PDF each: about 1,000 members, a few
    MB each); set them with ``AUTOGRADER_ZIP_MAX_MEMBERS`` and ``AUTOGRADER_ZIP_MAX_BYTES`` or
    pass ``limits=`` to :func:`~autograder.ingest.collect`."""

    max_members: int = 10_000
    max_total_bytes: int = 8 << 30  # uncompressed, as declared by the archive
    max_member_bytes: int = MAX_NOTEBOOK_BYTES

    @classmethod
    def from_env(cls) -> "Limits":
        def number(key: str, default: int) -> int:
            try:
                return int(os.environ.get(key, "") or default)
            except ValueError:
                return default
        return cls(number("AUTOGRADER_ZIP_MAX_MEMBERS", cls.max_members),
                   number("AUTOGRADER_ZIP_MAX_BYTES", cls.max_total_bytes))


# member names without the UTF-8 flag are decoded as UTF-8 with replacement characters (zipfile
# would read them as cp437, turning every non-ASCII name into mojibake)
_CODEC = "autograder-ingest-utf8"


def _find_codec(name: str):
    if name.replace("-", "_") != _CODEC.replace("-", "_"):
        return None
    utf8 = codecs.lookup("utf-8")
    return codecs.CodecInfo(lambda s, errors="strict": utf8.encode(s, "replace"),
                            lambda b, errors="strict": utf8.decode(b, "replace"), name=_CODEC)


codecs.register(_find_codec)


def clean_name(text: str) -> tuple[str, bool]:
    """A name as valid UTF-8 text: undecodable bytes (surrogate escapes from the file system,
    lone surrogates) become U+FFFD; and whether any did."""
    try:
        text.encode("utf-8")
        return text, "\ufffd" in text
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogateescape" if _escaped_only(text) else "surrogatepass")
        return raw.decode("utf-8", "replace"), True


def printable(text: str) -> str:
    """``text`` for one line of a terminal: control and format characters (newlines, escape
    sequences, bidi overrides) written as ``\\x1b``-style escapes."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def _escaped_only(text: str) -> bool:
    return all(not 0xD800 <= ord(c) <= 0xDFFF or 0xDC80 <= ord(c) <= 0xDCFF for c in text)


class _UnflaggedNames:
    """A zip file whose central directory and local headers read without the "names are UTF-8"
    flag (bit 11), so that zipfile decodes every name with :data:`_CODEC` (replacement
    characters) instead of raising UnicodeDecodeError on one that claims UTF-8 and is not."""

    def __init__(self, file) -> None:
        self._file = file

    def __getattr__(self, name: str):
        return getattr(self._file, name)

    def read(self, n: int = -1) -> bytes:
        data = self._file.read(n)
        if len(data) == 30 and data.startswith(b"PK\x03\x04"):  # a member's local header
            return data[:7] + bytes([data[7] & ~0x08 & 0xFF]) + data[8:]
        if not data.startswith(b"PK\x01\x02"):  # only the central directory starts so
            return data
        out, at = bytearray(data), 0
        while out[at:at + 4] == b"PK\x01\x02" and at + 46 <= len(out):
            out[at + 9] &= ~0x08 & 0xFF  # flag bits 8-15 live in the second byte
            names, extra, comment = struct.unpack("<HHH", out[at + 28:at + 34])
            at += 46 + names + extra + comment
        return bytes(out)


def open_zip(file) -> zipfile.ZipFile:
    """A zip opened for reading, its names decoded as UTF-8 (with replacement characters,
    also for a name that claims to be UTF-8 and is not). Raises what zipfile raises for a
    broken archive."""
    try:
        return zipfile.ZipFile(file, metadata_encoding=_CODEC)
    except UnicodeDecodeError:
        pass
    if not hasattr(file, "read"):
        file = open(file, "rb")  # closed with the ZipFile below
        zf = zipfile.ZipFile(_UnflaggedNames(file), metadata_encoding=_CODEC)
        zf._filePassed = 0  # the ZipFile owns (and closes) the file it was given
        return zf
    file.seek(0)
    return zipfile.ZipFile(_UnflaggedNames(file), metadata_encoding=_CODEC)


def declared_entries(file) -> int | None:
    """The entry count a zip's end record (or its Zip64 record) declares, read without parsing
    the central directory, so that a zip of 100,000 entries is refused at once; None when no
    record is found (zipfile's own parse then decides)."""
    try:
        file.seek(0, os.SEEK_END)
        size = file.tell()
        start = max(0, size - (1 << 16) - 22)
        file.seek(start)
        tail = file.read()
        file.seek(0)
    except (OSError, ValueError):
        return None
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    entries = struct.unpack("<H", tail[at + 10:at + 12])[0]
    if entries != 0xFFFF:
        return entries
    locator = tail[at - 20:at] if at >= 20 else b""  # Zip64: its locator precedes the record
    if not locator.startswith(b"PK\x06\x07"):
        return None
    offset = struct.unpack("<Q", locator[8:16])[0]
    try:
        file.seek(offset)
        record = file.read(56)
        file.seek(0)
    except (OSError, ValueError, OverflowError):
        return None
    if not record.startswith(b"PK\x06\x06") or len(record) < 40:
        return None
    return struct.unpack("<Q", record[32:40])[0]


def open_checked(file, limits: "Limits") -> tuple[zipfile.ZipFile | None, str]:
    """:func:`open_zip`, or None and why the archive is refused (too many entries, declared
    in its end record, before anything else is read)."""
    if hasattr(file, "seek"):
        count = declared_entries(file)
    else:
        with open(file, "rb") as f:
            count = declared_entries(f)
    if count is not None and count > limits.max_members:
        return None, (f"archive refused: {count} entries, more than the {limits.max_members} "
                      "allowed")
    zf = open_zip(file)
    problem = archive_problem(zf, limits)
    if problem:
        zf.close()
        return None, problem
    return zf, ""


def archive_problem(zf: zipfile.ZipFile, limits: Limits) -> str:
    """Why an archive is refused as a whole, or ''."""
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        return (f"archive refused: {len(infos)} entries, more than the {limits.max_members} "
                "allowed")
    total = sum(i.file_size for i in infos)
    if total > limits.max_total_bytes:
        return (f"archive refused: {total} bytes uncompressed, more than the "
                f"{limits.max_total_bytes} allowed")
    return ""


def member_problem(info: zipfile.ZipInfo, limit: int | None = MAX_NOTEBOOK_BYTES) -> str:
    """Why a zip member is refused, or '' if it is fine (``limit`` None: any size)."""
    name = info.filename
    path = PurePosixPath(name)
    if path.is_absolute() or name.startswith(("/", "\\")) or ".." in path.parts or ":" in name:
        return f"unsafe path {name!r} in zip"
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return f"symbolic link {name!r} in zip"
    if limit is not None and info.file_size > limit:
        return TOO_LARGE
    return ""


def skipped_member(name: str) -> bool:
    """A member that is no one's submission: folders, macOS resource forks, hidden files,
    Jupyter checkpoints."""
    path = PurePosixPath(name)
    return (name.endswith("/") or path.parts[:1] == ("__MACOSX",) or path.name in IGNORED
            or path.name.startswith(".") or ".ipynb_checkpoints" in path.parts)


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo,
                limit: int = MAX_NOTEBOOK_BYTES) -> tuple[bytes, str]:
    """A member's bytes and '', or b'' and why it is refused."""
    problem = member_problem(info, limit)
    if problem:
        return b"", problem
    try:
        with zf.open(info) as member:
            data = member.read(limit + 1)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError,
            ValueError) as e:
        return b"", f"unreadable zip member: {e}"
    return (b"", TOO_LARGE) if len(data) > limit else (data, "")


def spool_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int):
    """A member copied to a temporary file (for a zip inside a zip), or why it is refused."""
    problem = member_problem(info, limit)
    if problem:
        return None, problem
    spool = tempfile.SpooledTemporaryFile(max_size=1 << 20)
    try:
        with zf.open(info) as member:
            shutil.copyfileobj(member, spool, 1 << 16)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError,
            ValueError) as e:
        spool.close()
        return None, f"unreadable zip member: {e}"
    spool.seek(0)
    return spool, ""


@dataclass(frozen=True)
class MemberLoader:
    """Reads one member of a zip, or of a zip inside a zip (``chain``: the member names from
    the outside in), when called: nothing is held between calls."""

    path: Path
    chain: tuple[str, ...]
    limit: int = MAX_NOTEBOOK_BYTES

    def __call__(self) -> tuple[bytes, str]:
        try:
            with open_zip(self.path) as zf:
                return self._read(zf, self.chain)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError,
                UnicodeDecodeError, ValueError) as e:
            return b"", f"unreadable zip: {e}"

    def _read(self, zf: zipfile.ZipFile, chain: tuple[str, ...]) -> tuple[bytes, str]:
        info = zf.getinfo(chain[0])
        if len(chain) == 1:
            return read_member(zf, info, self.limit)
        spool, problem = spool_member(zf, info, self.limit)
        if spool is None:
            return b"", problem
        with spool, open_zip(spool) as inner:
            return self._read(inner, chain[1:])


def read_file(path: Path, limit: int = MAX_NOTEBOOK_BYTES) -> tuple[bytes, str]:
    """A file's bytes and '', or b'' and why it is refused."""
    try:
        if path.is_symlink():
            return b"", "symbolic link"
        if path.stat().st_size > limit:
            return b"", TOO_LARGE
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        return b"", f"unreadable: {e.strerror}"
    return (b"", TOO_LARGE) if len(data) > limit else (data, "")


@dataclass(frozen=True)
class FileLoader:
    path: Path
    limit: int = MAX_NOTEBOOK_BYTES

    def __call__(self) -> tuple[bytes, str]:
        return read_file(self.path, self.limit)


def file_time(path: Path) -> str:
    """A file's modification time (UTC, ISO 8601), or '' if it cannot be read."""
    try:
        mtime = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    except OSError:
        return ""
    return mtime.isoformat(timespec="seconds")


def what_it_is(name: str, head: bytes = b"") -> str:
    """What a file that is no notebook is, in words ("a PDF", "an image"), from its first
    bytes or, failing that, its name."""
    suffix = PurePosixPath(name).suffix.lower()
    if head.startswith(b"%PDF") or suffix == ".pdf":
        return "a PDF"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF")) or suffix in (
            ".png", ".jpg", ".jpeg", ".gif", ".webp", ".heic", ".bmp", ".tif", ".tiff"):
        return "an image"
    if suffix in (".docx", ".doc", ".odt", ".rtf", ".pages"):
        return "a word-processor document"
    if suffix in (".html", ".htm"):
        return "a web page"
    named = {".py": "a Python script", ".md": "a Markdown file", ".txt": "a text file",
             ".csv": "a CSV file", ".json": "a JSON file", ".yml": "a YAML file",
             ".yaml": "a YAML file", ".toml": "a TOML file"}
    if suffix in named:
        return named[suffix]
    if head.startswith(b"PK\x03\x04") or suffix == ".zip":
        return "a zip"
    if suffix in (".rar", ".7z", ".tar", ".gz", ".tgz"):
        return "an archive zip cannot read"
    return f"a {suffix[1:]} file" if suffix[1:].isalnum() else "a file"
