"""One submission as ingestion hands it to grading: who and where it came from, and its bytes.

The bytes of a zip member are read when grading asks for them (:attr:`Submission.data`), one
submission at a time, and not kept: a bulk download of 300 notebooks is never all in memory. A
submission sent to another process (a Dask worker) carries its bytes with it.
"""
from __future__ import annotations

import hashlib
from typing import Callable

class IngestError(ValueError):
    """Inputs that cannot be collected at all: a path that does not exist, a groups file that
    cannot be read. Nothing is graded or stored."""


Loader = Callable[[], "tuple[bytes, str]"]  # () -> (bytes, "") or (b"", why it is refused)


class Submission:
    """``name``: unique within a run, the result's key (``OUT/results/<name>.json``);
    ``source``: a path, or ``path!member`` for a zip member; ``error``: why it cannot be graded
    (set by ingestion); ``submitted_at``: ISO 8601, no offset meaning local time, '' unknown;
    ``note``: what ingestion changed or assumed (e.g. a file name that was not valid UTF-8)."""

    __slots__ = ("name", "student_id", "source", "error", "submitted_at", "note", "_data",
                 "_loader", "_sha256")

    def __init__(self, name: str, student_id: str, source: str, data: bytes = b"",
                 error: str = "", submitted_at: str = "", *, note: str = "",
                 loader: Loader | None = None) -> None:
        self.name, self.student_id, self.source = name, student_id, source
        self.error, self.submitted_at, self.note = error, submitted_at, note
        self._data, self._loader, self._sha256 = data, loader, None

    @property
    def data(self) -> bytes:
        """The submission's bytes: read now for a zip member (b"" and :attr:`error` set when
        it turns out unreadable)."""
        if self._loader is None:
            return self._data
        data, error = self._loader()
        if error and not self.error:
            self.error = error
        return data

    @data.setter
    def data(self, value: bytes) -> None:
        self._data, self._loader, self._sha256 = value, None, None

    @property
    def sha256(self) -> str:
        if self._sha256 is None:
            self._sha256 = hashlib.sha256(self.data).hexdigest()
        return self._sha256

    def __getstate__(self) -> dict:
        state = {k: getattr(self, k) for k in ("name", "student_id", "source", "error",
                                               "submitted_at", "note")}
        return {**state, "_data": self.data, "_loader": None, "_sha256": self._sha256}

    def __setstate__(self, state: dict) -> None:
        for key, value in state.items():
            object.__setattr__(self, key, value)

    def __repr__(self) -> str:
        return (f"Submission(name={self.name!r}, student_id={self.student_id!r}, "
                f"source={self.source!r}, error={self.error!r})")
