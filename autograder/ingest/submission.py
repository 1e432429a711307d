"""One submission as ingestion hands it to grading: who and where it came from, and its bytes.

The bytes of a zip member are read when grading asks for them (:attr:`Submission.data`), one
submission at a time, and not kept: a bulk download of 300 notebooks is never all in memory. A
submission sent to another process (a Dask worker) carries its bytes with it.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Callable

from ..course import CourseError

class IngestError(CourseError, ValueError):
    """Inputs that cannot be collected at all: a path that does not exist, a groups file that
    cannot be read. Nothing is graded or stored (every command reports a CourseError as a
    usage error)."""


Loader = Callable[[], "tuple[bytes, str]"]  # () -> (bytes, "") or (b"", why it is refused)


@dataclass
class Submission:
    """``name``: unique within a run, the result's key (``OUT/results/<name>.json``);
    ``source``: a path, or ``path!member`` for a zip member; ``error``: why it cannot be graded
    (set by ingestion); ``submitted_at``: ISO 8601, no offset meaning local time, '' unknown;
    ``note``: what ingestion changed or assumed (e.g. a file name that was not valid UTF-8);
    ``loader``: where :attr:`data` comes from when it was not given."""

    name: str
    student_id: str
    source: str
    data: bytes = b""  # a property below: given bytes, else read by ``loader`` when asked
    error: str = ""
    submitted_at: str = ""
    note: str = ""
    loader: Loader | None = field(default=None, repr=False, compare=False)

    def _get_data(self) -> bytes:
        """The submission's bytes: read now for a zip member (b"" and :attr:`error` set when
        it turns out unreadable), never kept."""
        if self._data or self.loader is None:
            return self._data
        data, error = self.loader()
        if error and not self.error:
            self.error = error
        return data

    def _set_data(self, value: bytes) -> None:
        self.__dict__["_data"] = value
        self.__dict__["_sha256"] = None

    @property
    def sha256(self) -> str:
        if self.__dict__.get("_sha256") is None:
            self.__dict__["_sha256"] = hashlib.sha256(self.data).hexdigest()
        return self.__dict__["_sha256"]

    def __getstate__(self) -> dict:  # to another process (a Dask worker): with its bytes
        return {**self.__dict__, "_data": self.data, "loader": None}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)


Submission.data = property(Submission._get_data, Submission._set_data)  # type: ignore[assignment]
