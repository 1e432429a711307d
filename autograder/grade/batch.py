"""Grading many submissions: a pool of warm zygotes, results written as each one finishes.

Each worker thread owns one zygote (one warm process), so ``workers`` submissions run at once.
A result is written to ``OUT/results/<name>.json`` (atomically) and committed to the results
store the moment it is ready, so a run that is killed halfway keeps everything already graded,
and a re-run grades only what is new or changed.
"""
from __future__ import annotations

import json
import os
import queue
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from .. import __version__
from ..sandbox.zygote import Zygote
from .ingest import Submission
from .pipeline import Grader
from .results import GradingResults

if TYPE_CHECKING:
    from ..store import ResultStore


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)))


def write_result(out: Path, result: GradingResults, log: str) -> Path:
    results_dir = out / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{result.submission}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result.to_gradescope(), indent=1))
    tmp.replace(path)
    if log:
        logs = out / "logs"
        logs.mkdir(exist_ok=True)
        (logs / f"{result.submission}.txt").write_text(log)
    return path


def grade_batch(grader: Grader, submissions: Iterable[Submission], out: Path | None,
                workers: int | None = None, level: str = "auto",
                on_result: Callable[[GradingResults, bool], None] | None = None,
                store: "ResultStore | None" = None) -> list[GradingResults]:
    """Grade every submission; results come back in input order. ``level``: the isolation
    level (:mod:`autograder.sandbox.isolation`), ``auto`` for the strongest this host allows.

    With a ``store``, a submission whose bytes were already graded against the same fixtures by
    the same grader is not run again (its stored result is reused), and every new result is
    committed to the store as soon as it is ready. ``on_result(result, reused)`` is called for
    every submission, reused or not.
    """
    from ..sandbox.isolation import resolve
    from ..store import result_key

    level = resolve(level)  # once, before any worker starts: a level that cannot work fails here
    subs = list(submissions)
    results: list[GradingResults | None] = [None] * len(subs)
    lock = threading.Lock()
    todo: queue.Queue[tuple[int, Submission]] = queue.Queue()
    keys = [result_key(sub.sha256, grader.fixtures.fingerprint, __version__, sub.name)
            for sub in subs]
    stored = store.get_many(keys) if store else {}
    for index, (sub, key) in enumerate(zip(subs, keys)):
        cached = stored.get(key)
        if cached is None:
            todo.put((index, sub))
            continue
        # the outcome depends on the bytes only; where they came from is this run's
        cached.source, cached.student_id = sub.source, sub.student_id
        cached.submitted_at = sub.submitted_at or cached.submitted_at
        results[index] = cached
        if out is not None and not (out / "results" / f"{sub.name}.json").is_file():
            write_result(out, cached, "")
        if on_result:
            on_result(cached, True)
    workers = max(1, min(workers or default_workers(), todo.qsize() or 1))
    errors: list[BaseException] = []

    def work() -> None:
        zygote = None  # started on the first job: a fully cached run starts no process
        try:
            while True:
                try:
                    index, sub = todo.get_nowait()
                except queue.Empty:
                    return
                if zygote is None:
                    zygote = Zygote(level=level)
                result, log = grader.grade(sub, zygote)
                if store is not None:
                    store.put(result)
                if out is not None:
                    write_result(out, result, log)
                with lock:
                    results[index] = result
                    if on_result:
                        on_result(result, False)
        except BaseException as e:  # a bug in the grader itself: surface it, don't hang
            errors.append(e)
        finally:
            if zygote is not None:
                zygote.close()

    threads = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return [r for r in results if r is not None]
