"""Incremental grading: which submissions need a run, and which have a stored result already.

A stored result answers a submission when it was graded from the same bytes (sha256), against the
same fixtures (their fingerprint) by the same grader (:data:`autograder.grade.version.
GRADER_VERSION`). The submission's name, student id, source and submission time are this run's:
a renamed file, or identical bytes handed in by two students, reuse the run and get their own
row in the store.

The fixtures fingerprint is a hash of the reference and spec sources, the assignment's
``grading.toml`` and torch's version; computing it means importing torch (~2.5 s). So the store
also memoises it under :func:`inputs_digest`, a torch-free hash of a superset of those inputs:
when the digest is known and every submission has a stored result, ``grade`` answers without
importing torch or loading the fixtures. A digest that is not known (anything changed, or a
fresh store) just takes the normal path, which records it.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..ingest.submission import Submission
from .results import GradingResults

if TYPE_CHECKING:
    from ..course import Course
    from .store import ResultStore

_ROOT = Path(__file__).resolve().parents[2]  # where reference/ and autograder/ live


def _hash_folder(h, label: str, folder: Path) -> None:
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or \
                ".ipynb_checkpoints" in path.parts or path.suffix == ".pyc":
            continue
        h.update(f"{label}/{path.relative_to(folder).as_posix()}\0".encode())
        h.update(path.read_bytes() + b"\0")


def inputs_digest(course: "Course", hw: str) -> str:
    """A hash of everything the fixtures fingerprint of ``hw`` depends on, and more (every file
    of ``reference/``, ``autograder/specs/``, ``autograder/fixtures/`` and the assignment's
    ``solutions/`` folder, and the installed torch's version), without importing torch.
    Equal digests mean equal fingerprints; "" when torch's version cannot be read."""
    try:
        torch_version = importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        return ""
    h = hashlib.sha256(f"torch={torch_version};assignment={hw}\0".encode())
    _hash_folder(h, "reference", _ROOT / "reference")
    _hash_folder(h, "specs", _ROOT / "autograder" / "specs")
    _hash_folder(h, "fixtures", _ROOT / "autograder" / "fixtures")
    _hash_folder(h, "solution", course.solution_dir(hw))
    return h.hexdigest()


@dataclass
class Plan:
    """What a grading run has to do: ``reused[i]`` answers submission ``i`` from the store;
    ``todo`` are the (index, submission) pairs that need a run."""

    reused: dict[int, GradingResults] = field(default_factory=dict)
    todo: list[tuple[int, Submission]] = field(default_factory=list)
    copies: int = 0  # reused from another submission with the same bytes


def _relabel(result: GradingResults, sub: Submission) -> GradingResults:
    """A stored result as this submission's: the outcome depends on the bytes only; the name
    and where and when it came from are this run's."""
    return replace(result, submission=sub.name, student_id=sub.student_id, source=sub.source,
                   submitted_at=sub.submitted_at or result.submitted_at)


def plan(store: "ResultStore | None", assignment: str, subs: list[Submission],
         fingerprint: str | None, grader_version: str, regrade: bool = False) -> Plan:
    """Split ``subs`` into those the store answers and those to grade, and record in the store
    that the reused ones were seen by this run. Submissions that could not be read (``error``)
    are always graded again: it costs nothing and their messages differ."""
    p = Plan()
    if store is None or fingerprint is None or regrade:
        p.todo = list(enumerate(subs))
        return p
    found = store.graded(assignment, (s.sha256 for s in subs if not s.error), fingerprint,
                         grader_version)
    seen, refresh, copies = [], [], []
    for index, sub in enumerate(subs):
        by_name = found.get(sub.sha256) if not sub.error else None
        if not by_name:
            p.todo.append((index, sub))
            continue
        if sub.name in by_name:
            stored = by_name[sub.name]
            result = _relabel(stored, sub)
            seen.append(result)
            if (result.student_id, result.source, result.submitted_at) != \
                    (stored.student_id, stored.source, stored.submitted_at):
                refresh.append(result)
        else:  # the same bytes under another name: a copy of that run, with its own row
            result = _relabel(by_name[min(by_name)], sub)
            copies.append(result)
        p.reused[index] = result
    if seen:
        store.seen(seen, refresh)
    for result in copies:
        store.put(result)
    p.copies = len(copies)
    return p
