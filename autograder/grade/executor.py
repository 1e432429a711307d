"""Where submissions run: the one signature every executor has, and what they share.

An executor takes a grader and the submissions a run has to grade, runs each in a sandbox and
calls ``done(index, result, log)`` as each one finishes (from any thread, in any order). The run
(:mod:`autograder.grade.batch`) chooses one executor from its options, once, and does everything
else itself: the plan, the store, the files.

* :class:`autograder.grade.local_executor.LocalExecutor`: warm workers on this machine;
* :class:`autograder.grade.dask_executor.DaskExecutor`: the workers of a Dask cluster.

On a GPU several sandboxes share the device: each caps its share of the GPU's memory
(:func:`gpu_fraction`), so one submission that runs out of memory fails alone.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Callable, Protocol

from ..ingest.submission import Submission
from .results import GradingResults

if TYPE_CHECKING:
    from .pipeline import Grader

Todo = list[tuple[int, Submission]]  # (index in the run, submission)
Done = Callable[[int, GradingResults, str], None]  # (index, result, instructor-only log)
GPU_SHARE = 0.9  # of a shared GPU's memory, split between the sandboxes running at once


class Executor(Protocol):
    def start(self, count: int) -> None:
        """Start what grading ``count`` submissions needs (a caller that has its own start-up
        to do, loading torch and the fixtures, overlaps the two); may do nothing."""

    def run(self, grader: "Grader", todo: Todo, done: Done) -> None:
        """Grade every submission of ``todo``; ``done`` as each one finishes."""

    def close(self) -> None:
        """Stop whatever :meth:`start` started and :meth:`run` did not use."""


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)))


def gpu_fraction(device: str, sharing: int, fraction: float | None = None) -> float:
    """Each sandboxed child's cap on a GPU's memory when ``sharing`` of them run on it at once
    (0: no cap); ``fraction`` overrides."""
    if not device.startswith("cuda"):
        return 0.0
    if fraction is not None:
        return max(0.0, min(1.0, fraction))
    return GPU_SHARE / sharing if sharing > 1 else 0.0
