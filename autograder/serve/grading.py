"""The server's one link to the grading engine: "grade this one upload on a warm pool".

Everything the server needs from the engine goes through here (the results store, ingestion of
an upload, fixtures and graders, the warm zygotes, the Dask executor, the results folder), so
that when the engine's modules move, only this file changes.

* :class:`Results`: the results store the CLI uses (same URL, same rows) plus the results
  folders ``publish`` reads (``<hw>/results/<submission>.json``, ``<hw>/logs/``);
* :func:`submission_from_upload`: an upload (a notebook, or an otter export zip holding one)
  as a submission like any other, read with the CLI's ingestion rules;
* :class:`GradingPool`: a grader per assignment (fixtures loaded once) and ``workers`` warm
  zygotes, here or on a Dask cluster; :meth:`GradingPool.grade` answers from the store when
  the same bytes were graded before against the same fixtures, and runs the sandbox otherwise.
"""
from __future__ import annotations

import queue
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..course import Course
from ..ingest import Submission, from_upload
from ..grade.results import GradingResults
from ..grade.store import ResultStore, key_of

if TYPE_CHECKING:
    from ..grade.pipeline import Grader


class Results:
    """The results store (shared with ``grade``) and the results folders (read by
    ``publish``)."""

    def __init__(self, url: str) -> None:
        self.store = ResultStore(url)
        self.engine = self.store.engine  # the server's own tables live in the same database

    def record(self, result: GradingResults, log: str, folder: Path | None,
               stored: bool = False) -> str:
        """Commit ``result`` (its own transaction, unless ``stored`` already) and write its
        JSON and log; its key."""
        from ..grade.batch import write_result

        if not stored:
            self.store.put(result)
        if folder is not None:
            write_result(Path(folder), result, log)
        return key_of(result)

    def get(self, key: str) -> GradingResults | None:
        return self.store.get(key) if key else None

    @staticmethod
    def log(folder: Path | None, submission: str) -> str:
        """What the submission printed (instructors only: it may show hidden inputs)."""
        if folder is None:
            return ""
        path = Path(folder) / "logs" / f"{submission}.txt"
        try:
            return path.read_text(errors="replace")
        except OSError:
            return ""

    def close(self) -> None:
        self.store.close()


def submission_from_upload(name: str, student_id: str, filename: str, data: bytes,
                           submitted_at: str, assignment: str) -> Submission:
    """The upload as ``student_id``'s submission, read by the ingestion rules for one
    student's upload (:func:`autograder.ingest.from_upload`): a notebook, or a zip (an otter
    export) holding one, or one named ``<assignment>.ipynb``; nothing inside it can claim
    another student's identity."""
    return from_upload(name, student_id, filename, data, submitted_at, assignment)


class GradingPool:
    """Graders for the served assignments and ``workers`` warm sandboxes to run them in.

    :meth:`start` returns at once: the zygotes start (each imports torch in its own process)
    while the fixtures load in a background thread; :meth:`grade` waits for what it needs.
    Thread-safe: each call checks a zygote out and back in."""

    def __init__(self, course: Course, assignments: list[str], *, workers: int | None = None,
                 isolation: str = "auto", device: str = "auto", executor: str = "local",
                 scheduler: str | None = None) -> None:
        from ..grade.executor import default_workers

        if executor not in ("local", "dask"):
            raise ValueError(f"unknown executor {executor!r} (local or dask)")
        self.course, self.assignments = course, list(assignments)
        self.workers = max(1, workers or default_workers())
        self.isolation, self.device = isolation, device
        self.executor, self.scheduler = executor, scheduler
        self._graders: dict[str, Grader] = {}
        self._errors: dict[str, str] = {}
        self._loaded = threading.Event()
        self._idle: queue.Queue = queue.Queue()
        self._zygotes: list = []
        self._client = None
        self._remote: dict[str, object] = {}
        self._fractions: dict[str, float] = {}
        self.level = ""

    # ------------------------------------------------------------------ life cycle
    def start(self) -> "GradingPool":
        from ..sandbox.isolation import resolve

        self.level = resolve(self.isolation)  # a level that cannot work fails here, at start
        if self.executor == "local":
            from ..sandbox.client import Zygote  # the sandbox: only when the server starts

            # a server grades many submissions: huge pages make every fork cheaper
            self._zygotes = [Zygote(level=self.level, huge_pages=True)
                             for _ in range(self.workers)]
            for z in self._zygotes:
                self._idle.put(z)
        threading.Thread(target=self._load, name="grading-pool-load", daemon=True).start()
        return self

    def _load(self) -> None:
        from .. import fixtures as fixture_store
        from ..grade.executor import gpu_fraction
        from ..grade.pipeline import Grader

        device = self.device
        if device == "auto":
            import torch  # loaded by the fixtures anyway

            device = "cuda" if torch.cuda.is_available() else "cpu"
        for hw in self.assignments:
            try:
                fixtures, _ = fixture_store.ensure(self.course, self.course.config(hw))
                grader = Grader.for_assignment(self.course.config(hw), fixtures, device=device)
                if self.executor == "local":
                    grader = replace(grader, cuda_memory_fraction=gpu_fraction(
                        device, self.workers))
                self._graders[hw] = grader
            except Exception as e:  # noqa: BLE001 - reported with each of its submissions
                self._errors[hw] = f"{type(e).__name__}: {e}"
        if self.executor == "dask":
            try:
                self._connect()
            except Exception as e:  # noqa: BLE001
                for hw in self.assignments:
                    self._errors.setdefault(hw, f"Dask cluster: {type(e).__name__}: {e}")
        self._loaded.set()

    def _connect(self) -> None:
        from distributed import Client

        from ..grade.dask_executor import _gpu_fractions

        self._client = Client(self.scheduler) if self.scheduler else None
        if self._client is None:
            from distributed import LocalCluster

            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                         processes=True, dashboard_address=None)
            self._client = Client(self._cluster)
        for hw, grader in self._graders.items():
            self._remote[hw] = self._client.scatter(grader, broadcast=True)
            self._fractions = _gpu_fractions(self._client, grader.device, None)

    def ready(self, timeout: float | None = None) -> bool:
        return self._loaded.wait(timeout)

    def fingerprint(self, assignment: str) -> str:
        self._loaded.wait()
        grader = self._graders.get(assignment)
        return grader.fixtures.fingerprint if grader else ""

    def close(self) -> None:
        for z in self._zygotes:
            try:
                z.close()
            except Exception:  # noqa: BLE001 - closing anyway
                pass
        self._zygotes = []
        if self._client is not None:
            self._client.close()
            if getattr(self, "_cluster", None) is not None:
                self._cluster.close()

    # ------------------------------------------------------------------ grading
    def grade(self, sub: Submission, assignment: str, results: Results,
              folder: Path | None) -> tuple[GradingResults, str]:
        """Grade ``sub`` (or reuse the stored result of the same bytes), record it in the
        store and the results folder; (result, its key)."""
        from ..grade.incremental import plan
        from ..grade.version import GRADER_VERSION

        self._loaded.wait()
        grader = self._graders.get(assignment)
        if grader is None:
            raise RuntimeError(f"{assignment} cannot be graded: "
                               f"{self._errors.get(assignment, 'not served')}")
        todo = plan(results.store, assignment, [sub], grader.fixtures.fingerprint,
                    GRADER_VERSION)
        if todo.reused:  # the same bytes were graded before: the store has the answer
            result = todo.reused[0]
            results.record(result, "", folder, stored=True)  # plan() stored its copy
            return result, key_of(result)
        if self.executor == "dask":
            from ..grade.dask_executor import grade_remote

            future = self._client.submit(grade_remote, self._remote[assignment], sub,
                                         self.level, self._fractions, pure=False)
            data, log = future.result()
            result = GradingResults.from_dict(data)
        else:
            zygote = self._idle.get()
            try:
                result, log = grader.grade(sub, zygote)
            finally:
                self._idle.put(zygote)
        return result, results.record(result, log, folder)
