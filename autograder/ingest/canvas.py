"""What a Canvas bulk download ("Download Submissions") says in its file names.

Canvas names each file ``<sortable name>[_LATE]_<user id>_<attachment id>_<file name>``, e.g.
``lastfirst_12345_67890_hw1.ipynb``: 12345 is the student's Canvas id. ``LATE`` is Canvas's own
verdict against its due date (:func:`marked_late`, for the gradebook). Every entry of the zip
carries the time the zip was made, not the submission time, so a Canvas member's
``submitted_at`` stays unknown unless a times CSV gives it (``times =`` in ``course.toml``).
"""
from __future__ import annotations

import re
from pathlib import PurePosixPath

CANVAS_NAME = re.compile(r"^(?P<name>[^_]+)_(?:late_)?(?P<id>\d+)_(?P<sub>\d+)_(?P<file>.+)$",
                         re.IGNORECASE)
CANVAS_LATE = re.compile(r"^[^_]+_late_(?:\d+|anon_\w+)_\d+_", re.IGNORECASE)


def canvas_id(filename: str) -> str | None:
    """The Canvas user id in a bulk-download file name, or None for any other name."""
    match = CANVAS_NAME.match(PurePosixPath(filename).name)
    return match.group("id") if match else None


def is_canvas_member(filename: str) -> bool:
    """Whether a file is named as in a Canvas bulk download (so its zip time is no
    submission time)."""
    return CANVAS_NAME.match(PurePosixPath(filename).name) is not None


def marked_late(source: str) -> bool:
    """Whether a submission's file name carries Canvas's ``LATE`` marker."""
    name = PurePosixPath(source.rsplit("!", 1)[-1]).name
    return bool(CANVAS_LATE.match(name))
