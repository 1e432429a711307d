"""Grading many submissions: a pool of warm zygotes, results written as each one finishes.

Each worker thread owns one zygote (one warm process), so ``workers`` submissions run at once.
A result is written to ``OUT/results/<name>.json`` the moment it is ready (atomically), so a
run that is killed halfway keeps everything already graded.
"""
from __future__ import annotations

import json
import os
import queue
import threading
from pathlib import Path
from typing import Callable, Iterable

from ..sandbox.zygote import Zygote
from .ingest import Submission
from .pipeline import Grader
from .results import GradingResults


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
                workers: int | None = None, level: str = "process",
                on_result: Callable[[GradingResults], None] | None = None) -> list[GradingResults]:
    """Grade every submission; results come back in input order."""
    subs = list(submissions)
    workers = max(1, min(workers or default_workers(), len(subs) or 1))
    todo: queue.Queue[tuple[int, Submission] | None] = queue.Queue()
    for item in enumerate(subs):
        todo.put(item)
    results: list[GradingResults | None] = [None] * len(subs)
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with Zygote(level=level) as zygote:
                while True:
                    try:
                        index, sub = todo.get_nowait()
                    except queue.Empty:
                        return
                    result, log = grader.grade(sub, zygote)
                    if out is not None:
                        write_result(out, result, log)
                    with lock:
                        results[index] = result
                        if on_result:
                            on_result(result)
        except BaseException as e:  # a bug in the grader itself: surface it, don't hang
            errors.append(e)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return [r for r in results if r is not None]
