"""Grading many submissions: incremental, resumable, on warm workers here or on a Dask cluster.

1. :func:`autograder.grade.incremental.plan` answers every submission whose bytes were already
   graded against the same fixtures by the same grader from the results store.
2. The rest run on an executor:

   * ``local``: ``workers`` threads in this process, each owning one zygote (a warm process
     that forks one sandboxed child per submission), so ``workers`` submissions run at once;
   * ``dask``: the workers of a Dask cluster (:mod:`autograder.grade.dask_executor`), each
     worker process with its own warm zygotes; without a scheduler address, a local cluster of
     ``workers`` processes (no shared GIL in the grader: for hosts with many cores).

3. Each result is committed to the store and written to ``OUT/results/<name>.json``
   (atomically) the moment it is ready, so a run that is killed halfway keeps everything already
   graded, and a re-run grades only what is new or changed.

On a GPU (``grader.device`` ``cuda``) several workers share the device: each sandboxed child
caps its share of the GPU memory (``0.9 / workers`` by default), so one submission that runs out
of memory fails alone.
"""
from __future__ import annotations

import json
import os
import queue
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from .incremental import Plan, plan as make_plan
from .ingest import Submission
from .results import GradingResults
from .version import GRADER_VERSION

if TYPE_CHECKING:
    from ..store import ResultStore
    from .pipeline import Grader

OnResult = Callable[[GradingResults, bool], None]
OnStart = Callable[[int, int], None]  # (submissions to grade, submissions reused)
GPU_SHARE = 0.9  # of a shared GPU's memory, split between the sandboxes running at once
# submissions per worker from which its zygote backs itself with huge pages: ~0.7 s once, ~14 ms
# of CPU less per submission (see autograder.sandbox.zygote._huge_pages)
HUGE_PAGES_FROM = 50


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)))


def wants_huge_pages(submissions: int, workers: int) -> bool:
    return submissions >= HUGE_PAGES_FROM * max(1, workers)


def gpu_fraction(device: str, sharing: int, fraction: float | None = None) -> float:
    """Each sandboxed child's cap on a GPU's memory when ``sharing`` of them run on it at once
    (0: no cap); ``fraction`` overrides."""
    if not device.startswith("cuda"):
        return 0.0
    if fraction is not None:
        return max(0.0, min(1.0, fraction))
    return GPU_SHARE / sharing if sharing > 1 else 0.0


def write_result(out: Path, result: GradingResults, log: str) -> Path:
    """``OUT/results/<name>.json`` (Gradescope schema), replaced atomically: readers and a second
    grader writing the same file never see half of one."""
    results_dir = out / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{result.submission}.json"
    fd, tmp = tempfile.mkstemp(dir=results_dir, prefix=f".{result.submission}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:  # compact: json's C encoder (indenting is 5x slower)
            f.write(json.dumps(result.to_gradescope()))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if log:
        logs = out / "logs"
        logs.mkdir(exist_ok=True)
        (logs / f"{result.submission}.txt").write_text(log)
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

    def __init__(self, out: Path | None, store: "ResultStore | None",
                 on_result: OnResult | None) -> None:
        self.out, self.store, self.on_result = out, store, on_result
        self.lock = threading.Lock()

    def reused(self, result: GradingResults) -> None:
        if self.out is not None:
            sync_result(self.out, result)
        if self.on_result:
            with self.lock:
                self.on_result(result, True)

    def graded(self, result: GradingResults, log: str) -> None:
        if self.store is not None:
            self.store.put(result)
        if self.out is not None:
            write_result(self.out, result, log)
        if self.on_result:
            with self.lock:
                self.on_result(result, False)


def prestart(level: str, n: int, submissions: int = 0) -> list:
    """Start ``n`` zygotes now (each imports torch in its own process, ~2-3 s) for a batch of
    ``submissions``: a caller that has other start-up work to do (importing torch, loading
    fixtures) overlaps the two, then hands them to :func:`grade_batch` (``zygotes=``)."""
    from ..sandbox.isolation import resolve
    from ..sandbox.zygote import Zygote

    level = resolve(level)
    huge = wants_huge_pages(submissions, n)
    return [Zygote(level=level, huge_pages=huge) for _ in range(max(0, n))]


def grade_batch(grader: "Grader | None", submissions: Iterable[Submission], out: Path | None,
                workers: int | None = None, level: str = "auto",
                on_result: OnResult | None = None, store: "ResultStore | None" = None, *,
                regrade: bool = False, on_start: OnStart | None = None,
                executor: str = "local", scheduler: str | None = None, client=None,
                gpu_memory_fraction: float | None = None,
                plan: Plan | None = None, zygotes: list | None = None) -> list[GradingResults]:
    """Grade every submission; results come back in input order. ``level``: the isolation
    level (:mod:`autograder.sandbox.isolation`), ``auto`` for the strongest the host allows.

    With a ``store``, a submission whose bytes were already graded against the same fixtures
    by the same grader is not run again (its stored result is reused; ``regrade`` runs
    everything), and every new result is committed to the store as soon as it is ready.
    ``on_start(to_grade, reused)`` is called once before anything runs, ``on_result(result,
    reused)`` for every submission. ``plan`` (see :mod:`autograder.grade.incremental`) may be
    given when the caller made it already; ``grader`` may then be None if nothing is left to run.
    ``zygotes`` (from :func:`prestart`, local executor) are used first, and closed at the end.
    """
    spare = list(zygotes or [])
    try:
        return _grade_batch(grader, submissions, out, workers, level, on_result, store, regrade,
                            on_start, executor, scheduler, client, gpu_memory_fraction, plan,
                            spare)
    finally:
        for z in spare:  # those no worker took
            z.close()


def _grade_batch(grader, submissions, out, workers, level, on_result, store, regrade, on_start,
                 executor, scheduler, client, gpu_memory_fraction, plan, spare):
    subs = list(submissions)
    if plan is None:
        assert grader is not None
        plan = make_plan(store, grader.config.name, subs, grader.fixtures.fingerprint,
                         GRADER_VERSION, regrade)
    results: list[GradingResults | None] = [None] * len(subs)
    sink = Sink(out, store, on_result)
    if on_start:
        on_start(len(plan.todo), len(plan.reused))
    for index, result in sorted(plan.reused.items()):
        results[index] = result
        sink.reused(result)
    if plan.todo:
        assert grader is not None, "submissions to grade but no grader"

        def done(index: int, result: GradingResults, log: str) -> None:
            results[index] = result
            sink.graded(result, log)

        if executor == "local":
            _grade_local(grader, plan.todo, done, workers, level, gpu_memory_fraction, spare)
        elif executor == "dask":
            from .dask_executor import grade_on_dask

            grade_on_dask(grader, plan.todo, done, scheduler=scheduler, level=level,
                          client=client, workers=workers,
                          gpu_memory_fraction=gpu_memory_fraction)
        else:
            raise ValueError(f"unknown executor {executor!r} (local or dask)")
    return [r for r in results if r is not None]


def _grade_local(grader: "Grader", todo: list[tuple[int, Submission]],
                 done: Callable[[int, GradingResults, str], None], workers: int | None,
                 level: str, gpu_memory_fraction: float | None, spare: list) -> None:
    from ..sandbox.isolation import resolve
    from ..sandbox.zygote import Zygote

    level = resolve(level)  # once, before any worker starts: a level that cannot work fails here
    workers = max(1, min(workers or default_workers(), len(todo)))
    lock = threading.Lock()
    huge = wants_huge_pages(len(todo), workers)

    def take():
        with lock:
            for i, z in enumerate(spare):
                if z.level == level:
                    return spare.pop(i)
        return Zygote(level=level, huge_pages=huge)

    grader = replace(grader, cuda_memory_fraction=gpu_fraction(grader.device, workers,
                                                               gpu_memory_fraction))
    jobs: queue.Queue[tuple[int, Submission]] = queue.Queue()
    for item in todo:
        jobs.put(item)
    errors: list[BaseException] = []
    # Each worker runs submissions in its sandboxes; one scorer thread turns their output into
    # verdicts and commits the results, so that a worker starts its next submission at once.
    # (Bounded: workers wait rather than pile up the output of runs not yet scored.)
    ran: queue.Queue = queue.Queue(maxsize=2 * workers)

    def work() -> None:
        zygote = None  # started on the first job
        try:
            while not errors:
                try:
                    index, sub = jobs.get_nowait()
                except queue.Empty:
                    return
                if zygote is None:
                    zygote = take()
                output = grader.run(sub, zygote)
                while not errors:
                    try:
                        ran.put((index, output), timeout=0.5)
                        break
                    except queue.Full:
                        continue
        except BaseException as e:  # a bug in the grader itself: surface it, don't hang
            errors.append(e)
        finally:
            if zygote is not None:
                zygote.close()

    def score() -> None:
        while True:
            item = ran.get()
            if item is None:
                return
            if errors:
                continue  # drain, so that no worker waits on a full queue
            try:
                index, output = item
                result, log = grader.score(output)
                done(index, result, log)
            except BaseException as e:  # noqa: BLE001 - as in work()
                errors.append(e)

    scorer = threading.Thread(target=score, name="grader-scorer", daemon=True)
    scorer.start()
    threads = [threading.Thread(target=work, name=f"grader-{i}", daemon=True)
               for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ran.put(None)
    scorer.join()
    if errors:
        raise errors[0]
