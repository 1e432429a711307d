"""Grading on a Dask cluster: the same pipeline, with the sandbox running on the workers.

Each Dask worker process keeps one warm zygote per isolation level (started on its first job),
so a cluster of N worker processes grades N submissions at a time, each isolated exactly as on
one machine. The grader (assignment config and fixtures) is shipped to every worker once; only
submissions travel per task, and results come back as plain dicts. Results are written and
stored here, on the machine that runs ``grade``, exactly as local grading writes them.

On a Slurm cluster, start the workers with dask-jobqueue, e.g.::

    from dask_jobqueue import SLURMCluster
    cluster = SLURMCluster(cores=4, processes=4, memory="16GB", walltime="02:00:00")
    cluster.scale(jobs=10)
    print(cluster.scheduler_address)   # → autograder grade … --executor dask --scheduler ADDR

Workers need this package and torch installed, and ``--nthreads 1`` per worker process (the
zygote runs one submission at a time).
"""
from __future__ import annotations

import atexit
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .. import __version__
from .batch import write_result
from .ingest import Submission
from .pipeline import Grader
from .results import GradingResults

if TYPE_CHECKING:
    from ..store import ResultStore

_ZYGOTES: dict[str, object] = {}
_LOCK = threading.Lock()


def _worker_zygote(level: str):
    """This worker process's warm zygote (one per level), started on first use."""
    from ..sandbox.zygote import Zygote

    with _LOCK:
        if level not in _ZYGOTES:
            _ZYGOTES[level] = Zygote(level=level)
            atexit.register(_ZYGOTES[level].close)
        return _ZYGOTES[level]


def grade_remote(grader: Grader, sub: Submission, level: str) -> tuple[dict, str]:
    """Runs on a Dask worker: grade one submission in this worker's sandbox."""
    result, log = grader.grade(sub, _worker_zygote(level))
    return result.to_dict(), log


def grade_on_dask(grader: Grader, submissions: list[Submission], out: Path | None,
                  scheduler: str | None, level: str = "auto",
                  on_result: Callable[[GradingResults, bool], None] | None = None,
                  store: "ResultStore | None" = None, client=None) -> list[GradingResults]:
    """Grade ``submissions`` on the cluster at ``scheduler`` (or with ``client``)."""
    from distributed import Client, as_completed

    from ..sandbox.isolation import resolve
    from ..store import result_key

    level = resolve(level)
    own_client = client is None
    if own_client:
        if not scheduler:
            raise ValueError("--executor dask needs --scheduler ADDRESS")
        client = Client(scheduler)
    try:
        results: list[GradingResults | None] = [None] * len(submissions)
        pending = {}
        remote_grader = None
        for index, sub in enumerate(submissions):
            cached = store.get(result_key(sub.sha256, grader.fixtures.fingerprint, __version__,
                                          sub.name)) if store else None
            if cached is not None:
                cached.source, cached.student_id = sub.source, sub.student_id
                results[index] = cached
                if on_result:
                    on_result(cached, True)
                continue
            if remote_grader is None:  # the fixtures go to every worker once
                remote_grader = client.scatter(grader, broadcast=True)
            future = client.submit(grade_remote, remote_grader, sub, level, pure=False)
            pending[future] = (index, sub)
        for future in as_completed(list(pending)):
            index, sub = pending[future]
            data, log = future.result()
            result = GradingResults.from_dict(data)
            if store is not None:
                store.put(result)
            if out is not None:
                write_result(out, result, log)
            results[index] = result
            if on_result:
                on_result(result, False)
        return [r for r in results if r is not None]
    finally:
        if own_client:
            client.close()
