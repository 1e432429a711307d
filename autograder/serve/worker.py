"""The grading workers: threads that take submissions off the persistent queue and grade them.

One thread per warm sandbox of the pool. Each claims the oldest queued submission of a student
with nothing running, grades it (:mod:`autograder.serve.grading`) and records the outcome in
the queue row; the result itself is already in the results store and the results folder. A
submission that cannot be graded because of a fault of the server (not of the submission) is
marked ``error`` with a message that says so, and staff can queue it again.
"""
from __future__ import annotations

import logging
import threading
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from .grading import GradingPool, Results, submission_from_upload
from .queue import Queue

log = logging.getLogger("autograder.serve")
IDLE_WAIT = 0.5  # seconds a worker sleeps when the queue is empty (woken at once by a submit)


def submitted_at(moment: float) -> str:
    """The server's receipt time as the result's submission time (what publish reads)."""
    return datetime.fromtimestamp(moment, timezone.utc).isoformat(timespec="microseconds")


class Dispatcher:
    def __init__(self, queue: Queue, pool: GradingPool, results: Results,
                 folders: Callable[[str], Path | None], clock: Callable[[], float],
                 threads: int) -> None:
        self.queue, self.pool, self.results = queue, pool, results
        self.folders, self.clock = folders, clock
        self.threads = max(1, threads)
        self._wake = threading.Condition()
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []
        self.graded = 0

    def start(self) -> "Dispatcher":
        requeued = self.queue.requeue_running()
        if requeued:
            log.warning("queued again %d submission(s) that were running when the server "
                        "stopped", requeued)
        for i in range(self.threads):
            thread = threading.Thread(target=self._work, name=f"serve-grader-{i}", daemon=True)
            thread.start()
            self._workers.append(thread)
        return self

    def wake(self) -> None:
        with self._wake:
            self._wake.notify_all()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop taking submissions; wait for those being graded (what is still running after
        ``timeout`` is queued again at the next start)."""
        self._stop.set()
        self.wake()
        for thread in self._workers:
            thread.join(timeout)
        self._workers = []

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                claimed = self.queue.claim(self.clock())
            except Exception:  # noqa: BLE001 - the database is busy or away: try again
                log.error("claiming a submission failed:\n%s", traceback.format_exc())
                claimed = None
            if claimed is None:
                with self._wake:
                    self._wake.wait(IDLE_WAIT)
                continue
            try:
                self._grade(*claimed)
            except Exception:  # noqa: BLE001 - not even the error could be recorded: the row
                # stays running and is queued again at the next start
                log.error("recording submission %s failed:\n%s", claimed[0].id,
                          traceback.format_exc())
            # another submission of this student may be waiting behind this one
            self.wake()

    def _grade(self, row, data: bytes) -> None:
        try:
            sub = submission_from_upload(row.name, row.student_id, row.filename, data,
                                         submitted_at(row.received_at), row.assignment)
            result, key = self.pool.grade(sub, row.assignment, self.results,
                                          self.folders(row.assignment))
        except Exception as e:  # noqa: BLE001 - the server's fault: say so, keep serving
            log.error("grading submission %s failed:\n%s", row.id, traceback.format_exc())
            self.queue.finish(row, status="error", now=self.clock(),
                              message=f"the server could not grade this submission "
                                      f"({type(e).__name__}); staff can queue it again")
            return
        self.queue.finish(row, status="graded" if result.status == "graded" else "error",
                          now=self.clock(), result_key=key, result_status=result.status,
                          score=result.score, max_score=result.max_score,
                          message=result.message)
        self.graded += 1
