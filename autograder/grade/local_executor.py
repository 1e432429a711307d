"""Grading on this machine: ``workers`` threads, each owning one zygote (a warm process that
forks one sandboxed child per submission), so ``workers`` submissions run at once, and one
scorer thread that turns their output into verdicts while the workers run the next ones.

On a GPU (``grader.device`` ``cuda``) the workers share the device: each sandboxed child caps
its share of the GPU memory (``0.9 / workers`` by default).
"""
from __future__ import annotations

import queue
import threading
from dataclasses import replace
from typing import TYPE_CHECKING

from .executor import Done, Todo, default_workers, gpu_fraction

if TYPE_CHECKING:
    from .pipeline import Grader

# submissions per worker from which its zygote backs itself with huge pages: ~0.7 s once, ~14 ms
# of CPU less per submission (see autograder.sandbox.worker.memory.huge_pages)
HUGE_PAGES_FROM = 50


def wants_huge_pages(submissions: int, workers: int) -> bool:
    return submissions >= HUGE_PAGES_FROM * max(1, workers)


def _zygote(level: str, huge_pages: bool):
    from ..sandbox.client import Zygote  # the sandbox: only once a submission is to be graded

    return Zygote(level=level, huge_pages=huge_pages)


def _resolve(level: str) -> str:
    from ..sandbox.isolation import resolve  # the sandbox, as above

    return resolve(level)


class LocalExecutor:
    """``workers`` warm workers here (default one per core); ``isolation`` is resolved once,
    before any worker starts, so that a level that cannot work fails at once."""

    def __init__(self, workers: int | None = None, isolation: str = "auto",
                 gpu_memory_fraction: float | None = None) -> None:
        self.workers, self.isolation = workers, isolation
        self.gpu_memory_fraction = gpu_memory_fraction
        self.spare: list = []  # zygotes started by start() that no worker took yet
        self.lock = threading.Lock()

    def start(self, count: int) -> None:
        """Start the zygotes for ``count`` submissions now: each imports torch in its own
        process (~2-3 s) while the caller loads the grader."""
        level = _resolve(self.isolation)
        n = min(self.workers or default_workers(), count)
        huge = wants_huge_pages(count, n)
        self.spare += [_zygote(level, huge) for _ in range(max(0, n))]

    def close(self) -> None:
        with self.lock:
            spare, self.spare = self.spare, []
        for z in spare:
            z.close()

    def _take(self, level: str, huge: bool):
        with self.lock:
            for i, z in enumerate(self.spare):
                if z.level == level:
                    return self.spare.pop(i)
        return _zygote(level, huge)

    def run(self, grader: "Grader", todo: Todo, done: Done) -> None:
        level = _resolve(self.isolation)
        workers = max(1, min(self.workers or default_workers(), len(todo)))
        huge = wants_huge_pages(len(todo), workers)
        grader = replace(grader, cuda_memory_fraction=gpu_fraction(
            grader.device, workers, self.gpu_memory_fraction))
        jobs: queue.Queue = queue.Queue()
        for item in todo:
            jobs.put(item)
        errors: list[BaseException] = []
        # Each worker runs submissions in its sandboxes; one scorer thread turns their output
        # into verdicts and commits the results, so that a worker starts its next submission at
        # once. (Bounded: workers wait rather than pile up the output of runs not yet scored.)
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
                        zygote = self._take(level, huge)
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
