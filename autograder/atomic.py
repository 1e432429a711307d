"""Replace a file in one step: readers see the old content or the new, never a half-written file.

Results, token files and override tables are written this way, since the grader, the course
server and ``publish`` may read them while they are being replaced.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, text: str, *, private: bool = False) -> Path:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` through a temporary file in the same
    folder and ``os.replace``; ``private`` makes the file readable by its owner only (secrets).
    The temporary file never outlives a failure."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if private:
            os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path
