"""Grading on a Dask cluster: the same pipeline, with the sandbox running on the workers.

Each Dask worker process keeps warm zygotes (one per worker thread that grades at once, started
on first use), so a cluster grades as many submissions at a time as it has worker threads, each
isolated exactly as on one machine (the isolation level is resolved on the worker: ``auto`` is
the strongest *that* host allows, and each result records it). The grader (assignment config and
fixtures) is shipped to every worker once; only submissions travel per task, and results come
back as plain dicts. They are stored and written here, on the machine that runs ``grade``,
exactly as local grading does it, the moment each one arrives.

Without a scheduler address, a :class:`distributed.LocalCluster` of ``workers`` processes (one
thread each) is started for the run: grading spread over processes instead of threads, for a
host with many cores.

On a Slurm cluster, start the workers with dask-jobqueue, e.g.::

    from dask_jobqueue import SLURMCluster
    cluster = SLURMCluster(cores=4, processes=4, memory="16GB", walltime="02:00:00",
                           job_extra_directives=["--gres=gpu:1"])    # for --device cuda
    cluster.scale(jobs=10)
    print(cluster.scheduler_address)   # → autograder grade … --executor dask --scheduler ADDR

Workers need this package and torch installed (the same versions: the fixtures fingerprint and
the grader version are checked against the results store on the client). On GPU hosts, every
sandbox on a host gets ``0.9 / (worker threads on that host)`` of the GPU's memory.
"""
from __future__ import annotations

import atexit
import threading
import uuid
from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING

from ..ingest.submission import Submission
from .executor import Done, Todo, default_workers, gpu_fraction
from .results import GradingResults

if TYPE_CHECKING:
    from .pipeline import Grader

_IDLE: dict[str, list] = {}  # this worker process's idle zygotes, by requested level
_ALL: list = []
_LOCK = threading.Lock()


def _checkout(level: str):
    from ..sandbox.client import Zygote  # the sandbox: on the worker, once it grades

    with _LOCK:
        idle = _IDLE.setdefault(level, [])
        if idle:
            return idle.pop()
    # resolves ``auto`` on this host; a cluster's worker grades many submissions in its life
    zygote = Zygote(level=level, huge_pages=True)
    with _LOCK:
        if not _ALL:
            atexit.register(_close_all)
        _ALL.append(zygote)
    return zygote


def _checkin(level: str, zygote) -> None:
    with _LOCK:
        _IDLE.setdefault(level, []).append(zygote)


def _close_all() -> None:
    """Zygotes also end by themselves when their worker process dies (their socket closes)."""
    with _LOCK:
        zygotes, _ALL[:] = list(_ALL), []
        _IDLE.clear()
    for z in zygotes:
        try:
            z.close()
        except Exception:  # noqa: BLE001
            pass


def grade_remote(grader: "Grader", sub: Submission, level: str,
                 gpu_fractions: dict[str, float]) -> tuple[dict, str]:
    """Runs on a Dask worker: grade one submission in one of this worker's sandboxes."""
    if gpu_fractions:  # Dask, loaded already on a worker; the module is imported without it
        from distributed import get_worker
        from distributed.comm import get_address_host

        host = get_address_host(get_worker().address)
        grader = replace(grader, cuda_memory_fraction=gpu_fractions.get(host, 0.0))
    zygote = _checkout(level)
    try:
        result, log = grader.grade(sub, zygote)
    finally:
        _checkin(level, zygote)
    return result.to_dict(), log


def _gpu_fractions(client, device: str, override: float | None) -> dict[str, float]:
    """Per host, the GPU memory share of each sandbox: the worker threads of a host share it."""
    if not device.startswith("cuda"):
        return {}
    per_host: Counter[str] = Counter()
    for info in client.scheduler_info()["workers"].values():
        per_host[info["host"]] += int(info.get("nthreads", 1))
    return {host: gpu_fraction(device, n, override) for host, n in per_host.items()}


class DaskExecutor:
    """The cluster at ``scheduler`` (or ``client``'s); without either, a local cluster of
    ``workers`` processes, started for the run. ``isolation`` is resolved on each worker."""

    def __init__(self, scheduler: str | None = None, isolation: str = "auto",
                 workers: int | None = None, gpu_memory_fraction: float | None = None,
                 client=None) -> None:
        self.scheduler, self.isolation, self.workers = scheduler, isolation, workers
        self.gpu_memory_fraction, self.client = gpu_memory_fraction, client

    def start(self, count: int) -> None:
        """Nothing to start early: a cluster's workers keep their zygotes warm themselves."""

    def close(self) -> None:
        pass

    def run(self, grader: "Grader", todo: Todo, done: Done) -> None:
        """Grade ``todo`` on the cluster; ``done(index, result, log)`` as each one finishes."""
        from distributed import Client, LocalCluster, as_completed  # Dask: only when used

        client, cluster = self.client, None
        if client is None:
            if self.scheduler:
                client = Client(self.scheduler)
            else:
                n = max(1, min(self.workers or default_workers(), len(todo)))
                cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
                client = Client(cluster)
        try:
            fractions = _gpu_fractions(client, grader.device, self.gpu_memory_fraction)
            remote_grader = client.scatter(grader, broadcast=True)  # the fixtures travel once
            run = uuid.uuid4().hex[:8]
            pending = {}
            for index, sub in todo:
                future = client.submit(grade_remote, remote_grader, sub, self.isolation,
                                       fractions, pure=False, key=f"grade-{run}-{index}")
                pending[future] = index
            for future in as_completed(list(pending)):
                data, log = future.result()
                done(pending.pop(future), GradingResults.from_dict(data), log)
        finally:
            if client is not self.client:
                client.close()
            if cluster is not None:
                cluster.close()
