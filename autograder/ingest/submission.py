"""One submission as ingestion hands it to grading: its bytes, who and where it came from."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass
class Submission:
    name: str  # unique within a run; used for OUT/results/<name>.json
    student_id: str
    source: str  # a path, or path!member for a zip
    data: bytes
    error: str = ""  # set when the file could not even be read
    submitted_at: str = ""  # ISO 8601; no offset: local time; "": unknown

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()
