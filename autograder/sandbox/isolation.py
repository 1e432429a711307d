"""Isolation levels a sandboxed child enters right after it is forked from the zygote.

``process``: a separate process in its own session, with resource limits, a scrubbed
environment and a private temporary working folder. Every host offers it.
"""
from __future__ import annotations

import os
import resource

from .limits import Limits

LEVELS = ("process",)

SAFE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8",
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}


def strongest_available() -> str:
    return "process"


def set_rlimits(limits: Limits) -> None:
    def cap(which: int, value: int) -> None:
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))

    cap(resource.RLIMIT_CPU, int(limits.cpu_seconds))
    cap(resource.RLIMIT_AS, int(limits.memory_bytes))
    cap(resource.RLIMIT_FSIZE, int(limits.file_bytes))
    cap(resource.RLIMIT_NOFILE, int(limits.open_files))
    cap(resource.RLIMIT_CORE, 0)
    if os.geteuid() != 0:  # RLIMIT_NPROC counts per uid and means nothing for root
        cap(resource.RLIMIT_NPROC, int(limits.processes))


def enter(level: str, limits: Limits, workdir: str) -> None:
    """Called in the child, before any student code runs."""
    assert level in LEVELS, f"unknown isolation level {level!r}"
    os.chdir(workdir)
    os.environ.clear()
    os.environ.update(SAFE_ENV)
    set_rlimits(limits)
