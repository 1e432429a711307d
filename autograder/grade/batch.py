"""Grading many submissions of one assignment: incremental, resumable, on one executor.

1. :func:`autograder.ingest.collect` turns the paths into submissions;
2. :func:`autograder.grade.incremental.plan` answers every submission whose bytes were already
   graded against the same fixtures by the same grader from the results store
   (:mod:`autograder.grade.store`). When the store knows the fixtures' fingerprint from a
   torch-free digest of their inputs, this needs neither torch nor the fixtures: a re-run in which
   nothing changed ends here;
3. the rest run on the executor the options choose (:mod:`autograder.grade.executor`: warm
   workers here, or a Dask cluster);
4. each result is committed to the store and written to ``OUT/results/<name>.json``
   (atomically) the moment it is ready, so a run that is killed halfway keeps everything already
   graded, and a re-run grades only what is new or changed;
5. ``OUT/gradebook.csv``: every submission of the assignment in the store.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from ..atomic import write_atomic
from ..course import AssignmentConfig, Course
from ..gradebook import assignment_gradebook, write_assignment_gradebook
from ..gradebook.config import load_config
from ..ingest import collect
from .dask_executor import DaskExecutor
from .executor import Executor
from .incremental import Plan, inputs_digest, plan
from .local_executor import LocalExecutor
from .options import GradeOptions, resolve_device
from .results import GradingResults
from .store import ResultStore, default_url
from .version import GRADER_VERSION

if TYPE_CHECKING:
    import pandas as pd

    from .pipeline import Grader

OnResult = Callable[[GradingResults, bool], None]  # (result, reused)
OnStart = Callable[[int, int], None]  # (submissions to grade, submissions reused)


@dataclass
class GradeRun:
    assignment: str
    out: Path
    results: list[GradingResults]  # this run's submissions, in input order
    gradebook: "pd.DataFrame"  # every submission of the assignment in the store
    fixtures_regenerated: bool
    reused: int = 0  # submissions whose stored result was reused (unchanged since graded)
    store: str = ""
    seconds: float = 0.0


def course_groups(course: Course) -> Path | None:
    """The groups file (``groups =``) of the course's ``course.toml`` (or
    ``examples/course.toml``), if it names one."""
    for candidate in ("course.toml", "examples/course.toml"):
        if (course.root / candidate).is_file():
            return load_config(course.root / candidate).groups
    return None


def make_executor(options: GradeOptions) -> Executor:
    if options.executor == "dask":
        return DaskExecutor(options.scheduler, options.isolation, options.workers,
                            options.gpu_memory_fraction)
    return LocalExecutor(options.workers, options.isolation, options.gpu_memory_fraction)


def load_grader(course: Course, config: AssignmentConfig, device: str) -> tuple["Grader", bool]:
    """The assignment's grader and whether its fixtures had to be regenerated."""
    # torch and the fixtures: only when something has to be graded
    from .. import fixtures as fixture_store
    from .pipeline import Grader

    fixtures, regenerated = fixture_store.ensure(course, config)
    return Grader.for_assignment(config, fixtures, device=resolve_device(device)), regenerated


def grade_batch(course: Course, hw: str, submissions: Sequence[str | Path], out: str | Path,
                options: GradeOptions = GradeOptions(), *, on_start: OnStart | None = None,
                on_result: OnResult | None = None) -> GradeRun:
    """Grade ``submissions`` (notebooks, folders or zips) of ``hw`` into ``out``; see
    :func:`autograder.api.grade`."""
    start = time.perf_counter()
    config = course.config(hw)
    # before anything is written: a path that does not exist stops the run here (IngestError)
    subs = collect(list(submissions), assignment=hw, groups=course_groups(course))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    store = ResultStore(options.store or default_url(out))
    executor = make_executor(options)
    regenerated, grader = False, None
    try:
        digest = inputs_digest(course, hw)
        fingerprint = None if options.regrade else store.fingerprint_for(digest)
        if fingerprint is None:  # the fixtures' inputs changed, or a new store: load them
            executor.start(len(subs))  # the workers start while torch and the fixtures load
            grader, regenerated = load_grader(course, config, options.device)
            fingerprint = grader.fixtures.fingerprint
            store.remember_fingerprint(digest, hw, fingerprint)
        planned = plan(store, hw, subs, fingerprint, GRADER_VERSION, options.regrade)
        if planned.todo and grader is None:
            executor.start(len(planned.todo))
            grader, regenerated = load_grader(course, config, options.device)
            if grader.fixtures.fingerprint != fingerprint:  # the digest missed one of its inputs
                raise RuntimeError(f"{hw}: the fixtures' fingerprint differs from the one the "
                                   f"store holds for their inputs; grade with --regrade")
        results = run_plan(planned, grader, executor,
                           Sink(out, store, on_result, replace=options.regrade), on_start)
        everything = store.latest(hw)
    finally:
        executor.close()
        store.close()
    write_assignment_gradebook(everything, out)
    return GradeRun(hw, out, results, assignment_gradebook(everything), regenerated,
                    len(planned.reused), store.url, time.perf_counter() - start)


def run_plan(planned: Plan, grader: "Grader | None", executor: Executor, sink: "Sink",
             on_start: OnStart | None = None) -> list[GradingResults]:
    """The reused results, then the graded ones as the executor finishes them; all of them in
    input order. ``grader`` may be None when nothing is left to run."""
    results: list[GradingResults | None] = [None] * (len(planned.reused) + len(planned.todo))
    if on_start:
        on_start(len(planned.todo), len(planned.reused))
    for index, result in sorted(planned.reused.items()):
        results[index] = result
        sink.reused(result)
    if planned.todo:
        assert grader is not None, "submissions to grade but no grader"

        def done(index: int, result: GradingResults, log: str) -> None:
            results[index] = result
            sink.graded(result, log)

        executor.run(grader, planned.todo, done)
    return [r for r in results if r is not None]


def write_result(out: Path, result: GradingResults, log: str) -> Path:
    """``OUT/results/<name>.json`` (Gradescope schema), replaced atomically: readers and a second
    grader writing the same file never see half of one."""
    results_dir = out / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{result.submission}.json"
    # compact: json's C encoder (indenting is 5x slower)
    write_atomic(path, json.dumps(result.to_gradescope()))
    if log:
        logs = out / "logs"
        logs.mkdir(exist_ok=True)
        (logs / f"{result.submission}.txt").write_text(log, encoding="utf-8", errors="replace")
    return path


def sync_result(out: Path, result: GradingResults) -> None:
    """Make ``OUT/results/<name>.json`` hold ``result`` (a reused one): rewritten only when it
    is missing or says something else (e.g. the student went back to an earlier version)."""
    path = out / "results" / f"{result.submission}.json"
    meta = result.metadata()
    try:  # same bytes, fixtures and grader (all in extra_data): the same tests
        if json.loads(path.read_bytes()).get("extra_data") == meta:
            return
    except (OSError, ValueError, AttributeError):
        pass
    write_result(out, result, "")


class Sink:
    """Where finished results go, from any thread: the store (one transaction each), the
    results folder, the caller's callback."""

    def __init__(self, out: Path | None, store: ResultStore | None,
                 on_result: OnResult | None, replace: bool = False) -> None:
        self.out, self.store, self.on_result = out, store, on_result
        self.replace = replace  # a regrade: a new run replaces the stored one of its key
        self.lock = threading.Lock()

    def reused(self, result: GradingResults) -> None:
        if self.out is not None:
            sync_result(self.out, result)
        if self.on_result:
            with self.lock:
                self.on_result(result, True)

    def graded(self, result: GradingResults, log: str) -> None:
        """Store and write one result. A result that cannot be stored or written (what the
        submission made of it is at fault, not the batch) is replaced by an ``error`` result
        that says why, which can."""
        try:
            self._keep(result, log)
        except Exception as e:  # noqa: BLE001 - contained to this submission
            result = unstorable(result, e)
            self._keep(result, "")
        if self.on_result:
            with self.lock:
                self.on_result(result, False)

    def _keep(self, result: GradingResults, log: str) -> None:
        if self.store is not None:
            self.store.put(result, replace=self.replace)
        if self.out is not None:
            write_result(self.out, result, log)


def unstorable(result: GradingResults, error: BaseException) -> GradingResults:
    """What is kept of a result that could not be stored: its identity, status ``error`` and
    the reason."""
    return GradingResults(
        assignment=result.assignment, submission=result.submission,
        student_id=result.student_id, source=result.source, sha256=result.sha256,
        status="error", message=f"its result could not be stored: {type(error).__name__}: "
                                f"{str(error)[:300]}",
        max_score=result.max_score, seconds=result.seconds, isolation=result.isolation,
        device=result.device, grader_version=result.grader_version,
        fixtures=result.fixtures, submitted_at=result.submitted_at)
