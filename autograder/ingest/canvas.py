"""What a Canvas bulk download ("Download Submissions") says in its file names: one parser.

Canvas names each file ``<sortable name>[_late]_<user id>_<attachment id>_<file name>``, e.g.
``doejane_12345_67890_hw1.ipynb``: 12345 is the student's Canvas user id. The sortable name is
the student's name in lower case with its punctuation dropped, so it holds no digits but may
hold underscores (``o_neillsean_1006_880006_hw1.ipynb``). Other forms:

* ``late`` (or ``LATE``) after the name, or before an anonymous name: Canvas's own verdict
  against its due date (:attr:`CanvasName.late`);
* anonymous grading: ``anon_<anonymous id>_<attachment id>_<file name>``, optionally prefixed
  ``LATE_``: the student id is ``anon_<anonymous id>`` (matched to nobody until the instructor
  de-anonymises the assignment);
* a file the student uploaded twice under one name: ``hw1-1.ipynb``, ``hw1-2.ipynb``
  (:attr:`CanvasName.resubmission`; :attr:`CanvasName.original` is ``hw1.ipynb``).

A group assignment's download holds one file per group, named for the member who submitted it;
:mod:`autograder.ingest.groups` gives it to every member. Every entry of a Canvas zip carries the
time the zip was made, not the submission time, so a Canvas file's ``submitted_at`` stays unknown
unless a times CSV gives it (``times =`` in ``course.toml``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

# names hold no digits (ids do), so "hw1_2026_03_01T10_00_00.zip" (otter's export) is no match
_NAMED = re.compile(r"^(?:(?P<late1>late)_)?(?P<name>[^\d/]+?)_(?:(?P<late2>late)_)?"
                    r"(?P<id>\d+)_(?P<attachment>\d+)_(?P<file>.+)$", re.IGNORECASE)
_ANON = re.compile(r"^(?:(?P<late1>late)_)?anon_(?:(?P<late2>late)_)?(?P<id>[a-z0-9]+)_"
                   r"(?P<attachment>\d+)_(?P<file>.+)$", re.IGNORECASE)
_RESUBMISSION = re.compile(r"^(?P<stem>.+)-(?P<n>\d+)$")


@dataclass(frozen=True)
class CanvasName:
    student_id: str  # the Canvas user id, or anon_<anonymous id>
    name: str  # the sortable name ('' when anonymous)
    late: bool
    anonymous: bool
    attachment: str
    file: str  # the file name as the student uploaded it, Canvas's -N included
    resubmission: int  # N of a "-N" Canvas added to the file name, 0 without one

    @property
    def original(self) -> str:
        """The uploaded file's name without Canvas's ``-N``."""
        if not self.resubmission:
            return self.file
        path = PurePosixPath(self.file)
        return path.stem.rsplit("-", 1)[0] + path.suffix


def parse(filename: str) -> CanvasName | None:
    """What a Canvas bulk-download file name says, or None for any other name."""
    base = PurePosixPath(filename).name
    anon = _ANON.match(base)
    match = anon or _NAMED.match(base)
    if match is None or (not anon and match.group("name").lower() in ("anon", "late")):
        return None
    file = match.group("file")
    resub = _RESUBMISSION.match(PurePosixPath(file).stem)
    return CanvasName(
        student_id=f"anon_{match.group('id')}" if anon else match.group("id"),
        name="" if anon else match.group("name"),
        late=bool(match.group("late1") or match.group("late2")),
        anonymous=bool(anon), attachment=match.group("attachment"), file=file,
        resubmission=int(resub.group("n")) if resub else 0)


def canvas_id(filename: str) -> str | None:
    """The student id in a bulk-download file name, or None for any other name."""
    parsed = parse(filename)
    return parsed.student_id if parsed else None


def is_canvas_member(filename: str) -> bool:
    """Whether a file is named as in a Canvas bulk download (so its zip time is no
    submission time)."""
    return parse(filename) is not None


def marked_late(source: str) -> bool:
    """Whether a submission carries Canvas's ``LATE`` marker: its own name, or the name of the
    Canvas file that holds it (``download.zip!doe_late_1_2_hw1.zip!hw1.ipynb``)."""
    return any(parsed.late for part in source.split("!")
               if (parsed := parse(PurePosixPath(part).name)) is not None)
