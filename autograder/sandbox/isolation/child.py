"""The steps a sandboxed child takes before any student code runs, in order, for every level:
the privileged half (namespaces, root) and the confinement (uid, environment, Landlock,
seccomp, resource limits)."""
from __future__ import annotations

import os
import resource
import signal

from ..limits import Limits
from .capabilities import _drop_capabilities, drop_privileges
from .landlock import enter_landlock
from .libc import PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG, prctl
from .namespaces import build_root
from .plan import SANDBOX_HOME, Plan
from .seccomp import no_network_filter

SAFE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "USER": "student",
            "LOGNAME": "student", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
            "MPLBACKEND": "Agg"}
PASSED_ENV = ("CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER", "NVIDIA_VISIBLE_DEVICES")


def set_rlimits(limits: Limits, address_space: bool = True) -> None:
    def cap(which: int, value: int) -> None:
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))

    cap(resource.RLIMIT_CPU, int(limits.cpu_seconds))
    cap(resource.RLIMIT_FSIZE, int(limits.file_bytes))
    cap(resource.RLIMIT_NOFILE, int(limits.open_files))
    cap(resource.RLIMIT_CORE, 0)
    if os.geteuid() != 0:  # RLIMIT_NPROC counts per uid and means nothing for root
        cap(resource.RLIMIT_NPROC, int(limits.processes))
    if address_space:
        cap(resource.RLIMIT_AS, int(limits.memory_bytes))


def close_other_fds(keep: set[int]) -> None:
    keep = set(keep) | {0, 1, 2}
    try:
        open_fds = [int(n) for n in os.listdir("/proc/self/fd")]
    except OSError:
        open_fds = list(range(3, 1024))
    for fd in open_fds:
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def scrub_environment(home: str) -> None:
    kept = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
    os.environ.clear()
    os.environ.update(SAFE_ENV)
    os.environ.update(kept)
    os.environ.update(HOME=home, TMPDIR=home if home != SANDBOX_HOME else "/tmp",
                      MPLCONFIGDIR=home)


def enter_child(plan: Plan, limits: Limits, workdir: str, newroot: str | None,
                device: str = "cpu") -> None:
    """Called in the process that will run student code, before any of it runs. For the
    namespace levels this process is PID 1 of the new PID namespace; ``newroot`` is an empty
    folder to mount the new root on."""
    prepare_child(plan, limits, newroot)
    confine_child(plan, limits, workdir, device)


def prepare_child(plan: Plan, limits: Limits, newroot: str | None) -> None:
    """The first half of :func:`enter_child`: what needs privileges and no job (the namespace
    levels' allowlisted root). A sandbox may wait for its job after this; it ends with its
    parent (the zygote or the supervisor) until :func:`confine_child` has run."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large file is an OSError, not death
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if plan.level in ("namespaces", "userns"):
        assert newroot is not None
        build_root(plan, limits, newroot)


def confine_child(plan: Plan, limits: Limits, workdir: str, device: str = "cpu") -> None:
    """The second half of :func:`enter_child`: privileges dropped for good, the filesystem
    view, network filter and resource limits in place."""
    if plan.level in ("namespaces", "userns"):
        home = SANDBOX_HOME
        drop_privileges(plan)
    else:
        home = workdir
        os.umask(0o077)
        if os.geteuid() == 0 and plan.drop_uid:
            os.chown(workdir, plan.uid, plan.gid)
            drop_privileges(plan)
        elif os.geteuid() == 0:
            # landlock under root, with a Python only root can read (in the 0700 /root): uid 0
            # stays (it reads its runtime as the owner) but loses every capability for good (no
            # mounts, raw sockets, module loading...); Landlock keeps it to its allowlist
            _drop_capabilities(plan.last_cap)
    os.chdir(home)
    scrub_environment(home)
    if plan.level == "landlock":
        enter_landlock(plan, workdir)
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    no_network_filter()
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # a uid change resets it: set it again
    # the CUDA driver reserves tens of GiB of address space: no RLIMIT_AS on a GPU (its memory
    # is capped per process by the harness instead)
    set_rlimits(limits, address_space=not device.startswith("cuda"))
