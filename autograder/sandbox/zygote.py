"""A warm worker ("zygote") that forks one sandboxed child per submission.

Starting Python and importing torch costs about 2 s; forking a process that already has both
costs about 25 ms. The zygote is a long-lived process started by the grader. It imports torch
and the harness once, sets torch to one thread (a child forked after a multi-threaded op can
hang), computes its isolation plan (:mod:`autograder.sandbox.isolation`), and then, for each
job, forks a child that enters the isolation level and runs :mod:`autograder.sandbox.harness`.

Process tree of one job, for the namespace levels::

    zygote (grader's uid; a child subreaper)
      └─ supervisor: unshare(PID, mount, net, IPC, UTS [, user]); relays the exit status;
         │           afterwards (root) kills every process of the slot uid from a process
         │           that has just become that uid
         └─ sandbox: PID 1 of the new PID namespace; builds the allowlisted root, pivot_root,
                     drops to the slot uid, runs the harness. Killing it kills every process
                     of the namespace, ``setsid`` or not.

For ``landlock`` and ``process`` the sandbox is the zygote's direct child, in its own session;
the zygote is a child subreaper, so whatever the submission leaves behind is re-parented to it
and killed after the run.

A sandbox is started *before* its job: the zygote keeps one spare, set up for the limits of the
last job, while the current job runs. The spare does everything that needs privileges and no
job (the forks, the namespaces, the allowlisted root, a warm-up of the harness that takes the
copy-on-write faults every run would take), then waits; when a job with the same limits comes,
it receives the job's pipe ends, drops to the slot uid, takes its limits and runs. So the
≈20 ms of forking and entering the namespaces are off the path of every submission but a
worker's first. A spare set up for other limits, or whose set-up failed, is thrown away unused.

A root grader's namespace sandboxes take the worker slot's two uids in turn: the grader sends
its next job as soon as a run has reported everything, and the zygote leaves that run to be torn
down (killed if it has not exited) while the next one runs under the other uid. A uid is used
again only once the run before under it has been swept (:meth:`_Child.settle`).

The zygote never sees a job's data: the grader passes it the ends of three fresh pipes over a
Unix socket (SCM_RIGHTS) — job in, results out, stdout/stderr out — and talks to the child
directly through them. So no submission can find another's code or inputs in memory inherited
from the zygote. The zygote supervises: it kills the child's whole process tree when the grader
asks (a per-call time limit, malformed output) or at its own wall-clock backstop, and reports
how the child ended.

It must never import ``reference`` or ``autograder.specs``: a child inherits every imported
module, and the expected outputs must stay out of its reach.
"""
from __future__ import annotations

import fcntl
import gc
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from typing import Any

from .limits import Limits

HEADER_BYTES = 64 << 10
COALESCE_SECONDS = 0.002  # how long the grader lets reports of running cases pile up
# what the zygote (and so every sandbox) may inherit from the grader's environment: nothing that
# could be a secret (tokens, keys, passwords stay in the grader)
ZYGOTE_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "HOME", "TMPDIR", "PYTHONPATH",
              "PYTHONHOME", "VIRTUAL_ENV", "LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES",
              "CUDA_DEVICE_ORDER", "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES",
              "CUDA_HOME", "CUDA_PATH")


@dataclass
class RunOutput:
    """Everything the grader learns from one sandboxed run (all its tries, see
    :mod:`autograder.sandbox.session`)."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    output: bytes = b""  # the head of the child's stdout/stderr, for instructors only
    output_truncated: bool = False
    exit_code: int | None = None
    signal: int | None = None
    timed_out: bool = False  # the whole submission ran past its wall-clock budget
    wire_error: str = ""
    seconds: float = 0.0
    level: str = ""
    zygote_died: bool = False
    setup_error: str = ""  # the sandbox could not be entered
    # (status, message) for each limit hit or crash the run survived by trying again; the
    # message is safe to show the student
    incidents: list[tuple[str, str]] = field(default_factory=list)
    attempts: int = 0


# ---------------------------------------------------------------- inside the zygote process


def _ctl(fd: int, **message: Any) -> None:
    data = (json.dumps(message)[:3000] + "\n").encode()  # < PIPE_BUF: one atomic write
    try:
        os.write(fd, data)
    except OSError:
        pass


def _descendants(pid: int, keep: frozenset[int] = frozenset()) -> list[int]:
    """Every descendant of ``pid``, except the processes in ``keep`` and their own."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    kids = [k for k in map(int, f.read().split()) if k not in keep]
            except (OSError, ValueError):
                continue
            found += kids
            todo += kids
    return found


def _sweep(keep: frozenset[int] = frozenset(), reap: bool = True) -> None:
    """Kill every descendant of the zygote (but the processes in ``keep`` and their own) until
    none is left, reaping those that are (or become, the zygote being a subreaper) its
    children (``reap=False``: while a child of the zygote is still to be waited for)."""
    for _ in range(200):
        victims = _descendants(os.getpid(), keep)
        for p in victims:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        for p in victims:
            try:
                os.waitpid(p, os.WNOHANG)
            except ChildProcessError:
                pass
        if not victims:
            break
        time.sleep(0.001)
    while reap:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid in keep:  # pragma: no cover - a kept child that has ended: reaped by its owner
            _reaped[pid] = True


# children of the zygote reaped by a sweep while they were meant to be kept (a spare sandbox
# whose set-up failed): so that their owner knows they are gone
_reaped: dict[int, bool] = {}


def _ended(pid: int) -> bool:
    """Whether a child of the zygote has ended (reaped here if it has, or by a sweep before)."""
    if _reaped.pop(pid, False):
        return True
    try:
        return os.waitpid(pid, os.WNOHANG)[0] != 0
    except ChildProcessError:
        return True


def _ctl_messages(buf: bytes) -> tuple[list[dict], bytes]:
    """The complete lines of a control pipe's ``buf``, as messages, and what is left of it."""
    *lines, rest = buf.split(b"\n")
    messages = []
    for line in lines:
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if isinstance(msg, dict):
            messages.append(msg)
    return messages, rest


def _sandboxed(plan, limits: Limits, workdir: str, handoff: int, ctl_w: int,
               newroot: str | None, device: str = "cpu") -> None:
    """The process that runs student code. Never returns.

    It first enters everything of its level that needs privileges and does not depend on the
    job (for the namespace levels: the allowlisted root), then waits on ``handoff`` for the
    job's three pipe ends (job in, results out, stdout/stderr out). So a zygote can start the
    next sandbox while the current one runs (see :class:`_Child`). Only once the job has
    arrived does it drop its privileges, take its limits and run the harness."""
    from . import harness, isolation

    code = 70
    try:
        isolation.name_process("ag-spare")
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        isolation.close_other_fds({handoff, ctl_w})
        try:
            isolation.prepare_child(plan, limits, newroot)
        except BaseException as e:  # noqa: BLE001 - reported to the zygote
            _ctl(ctl_w, error=f"{type(e).__name__}: {e}")
            os._exit(71)
        try:
            harness.warm_up()
        except Exception:  # noqa: BLE001 - only slower without it
            pass
        channel = socket.socket(fileno=handoff)
        try:
            _, fds, _, _ = socket.recv_fds(channel, 16, 3)
        except OSError:
            fds = []
        channel.close()
        if len(fds) != 3:  # the zygote is gone, or discarded this sandbox unused
            os._exit(0)
        job_r, res_w, out_w = fds
        isolation.name_process("ag-submission")
        os.dup2(out_w, 1)
        os.dup2(out_w, 2)
        os.close(out_w)
        try:
            isolation.confine_child(plan, limits, workdir, device)
        except BaseException as e:  # noqa: BLE001 - reported to the zygote
            _ctl(ctl_w, error=f"{type(e).__name__}: {e}")
            os._exit(71)
        os.close(ctl_w)  # from here on student code runs: it must not reach the zygote
        with os.fdopen(job_r, "rb") as job_in, os.fdopen(res_w, "wb") as results_out:
            harness.main(job_in, results_out)
        code = 0
    except BaseException:  # noqa: BLE001
        code = 70
    finally:
        os._exit(code)


def _job_child(plan, limits: Limits, workdir: str, handoff: int, ctl_w: int,
               sync: tuple[int, int] | None, device: str = "cpu") -> None:
    """The zygote's child: the sandbox itself, or (namespace levels) its supervisor."""
    from . import isolation

    try:
        isolation.close_other_fds({handoff, ctl_w, *(sync or ())})
        if plan.level not in ("namespaces", "userns"):
            _sandboxed(plan, limits, workdir, handoff, ctl_w, None, device)
        isolation.name_process("ag-supervisor")
        isolation.unshare_for(plan, sync)
        if sync is not None:
            for fd in sync:
                os.close(fd)
        pid = os.fork()
        if pid == 0:
            _sandboxed(plan, limits, workdir, handoff, ctl_w, workdir, device)
        os.close(handoff)
        _ctl(ctl_w, pid=pid)
        _, status = os.waitpid(pid, 0)
        if plan.sweep:  # anything of the slot uid that escaped the namespace dies too
            isolation.sweep_uid(plan.uid)
        # the run is over (the zygote does not wait for this process's own exit, which takes
        # as long as the sandbox's: both unmap a copy of the zygote's memory)
        _ctl(ctl_w, status=status)
        os.close(ctl_w)
        os._exit(0)
    except BaseException as e:  # noqa: BLE001
        _ctl(ctl_w, error=f"{type(e).__name__}: {e}")
        os._exit(71)


@dataclass
class _Child:
    """A sandboxed child the zygote started (its supervisor, for the namespace levels), set up
    and waiting for a job on ``handoff``. ``key``: the limits and device it was set up for."""

    pid: int
    ctl_r: int
    handoff: socket.socket
    workdir: str
    key: str
    uid: int  # the uid its sandbox runs as

    def hand(self, fds: list[int]) -> bool:
        """Send the job's pipe ends; False if the child is gone (its set-up failed)."""
        try:
            socket.send_fds(self.handoff, [b"job"], fds)
            return True
        except OSError:
            return False
        finally:
            self.handoff.close()

    def alive(self) -> bool:
        return not _ended(self.pid)

    def release(self) -> None:
        """After its run: the zygote's ends closed, its folder removed."""
        self.handoff.close()
        os.close(self.ctl_r)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def discard(self, keep: frozenset[int] = frozenset()) -> None:
        """An unused spare: killed (its sandbox follows, by its parent-death signal) and
        reaped, before it ever ran anything of a job. ``keep``: processes to spare."""
        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        self.release()
        _sweep(keep)

    def settle(self, exiting: set[int], timeout: float = 10.0) -> None:
        """A run that was left while its sandbox was still being torn down (see
        :func:`serve`): wait for its supervisor's status, which it sends once its slot uid is
        swept, then release it. If none comes, the supervisor is killed and the uid swept from
        here. A supervisor still exiting goes to ``exiting``."""
        from . import isolation

        deadline = time.monotonic() + timeout
        swept, buf = False, b""
        while not swept and time.monotonic() < deadline:
            ready, _, _ = select.select([self.ctl_r], [], [], deadline - time.monotonic())
            if not ready:
                break
            try:
                data = os.read(self.ctl_r, 4096)
            except OSError:
                data = b""
            if not data:  # the supervisor is gone
                break
            messages, buf = _ctl_messages(buf + data)
            swept = any("status" in msg for msg in messages)
        if not swept:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
            isolation.kill_uid(self.uid)
        if not _ended(self.pid):
            exiting.add(self.pid)
        self.release()


def _key(limits: dict, device: str) -> str:
    return json.dumps([limits, device], sort_keys=True)


def _spawn(plan, limits: Limits, device: str) -> _Child:
    """Fork a child that sets up its sandbox and waits for a job (see :func:`_sandboxed`)."""
    from . import isolation

    workdir = tempfile.mkdtemp(prefix="submission-")
    ctl_r, ctl_w = os.pipe()
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sync = child_sync = None
    if isolation.parent_maps(plan):
        ready_r, ready_w = os.pipe()
        go_r, go_w = os.pipe()
        sync, child_sync = (ready_r, go_w), (ready_w, go_r)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        try:
            _job_child(plan, limits, workdir, theirs.fileno(), ctl_w, child_sync, device)
        finally:
            os._exit(72)
    theirs.close()
    os.close(ctl_w)
    if sync is not None:
        for fd in child_sync:
            os.close(fd)
        isolation.map_child(plan, pid, sync)
        for fd in sync:
            os.close(fd)
    return _Child(pid, ctl_r, ours, workdir, _key(limits.to_dict(), device), plan.uid)


def _ppid(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("PPid:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return -1


@dataclass
class _Next:
    """The grader's next job, sent while the current run was still being torn down."""

    data: bytes
    fds: list[int]
    kill: str = ""  # a kill request for it came meanwhile

    @property
    def id(self) -> Any:
        try:
            return json.loads(self.data).get("id")
        except (ValueError, AttributeError):
            return None


def _supervise(pid: int, ctl_r: int, sock: socket.socket, plan,
               wall_seconds: float, keep: frozenset[int] = frozenset(), job_id: Any = None,
               supersede: bool = False) -> dict[str, Any]:
    """Follow one run to its end (``keep``: processes every sweep spares: the spare, runs
    still being torn down). The grader sends its next job once this one has reported
    everything; it is returned under ``next``, and this run, which is exiting anyway, is
    killed. With ``supersede`` (the next run has a uid of its own) it is then left to finish on
    its own (``superseded``; see :meth:`_Child.settle`); otherwise it is followed to its end
    first."""
    start = time.monotonic()
    deadline = start + max(0.0, wall_seconds)
    pidfd = os.pidfd_open(pid)
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    poller.register(ctl_r, select.POLLIN)
    poller.register(sock.fileno(), select.POLLIN)
    ns = plan.level in ("namespaces", "userns")
    init_pid: int | None = None
    raw_status: int | None = None
    setup_error = ""
    killed = ""
    killed_at = 0.0
    grader_gone = False
    superseded = False
    following: _Next | None = None
    ctl_buf = b""

    def read_ctl() -> bool:
        """Read what is there; False at end of file (or, non-blocking, when nothing is)."""
        nonlocal ctl_buf, init_pid, raw_status, setup_error
        try:
            data = os.read(ctl_r, 4096)
        except BlockingIOError:
            return False
        if not data:
            return False
        messages, ctl_buf = _ctl_messages(ctl_buf + data)
        for msg in messages:
            if "pid" in msg and init_pid is None and ns and _ppid(int(msg["pid"])) == pid:
                init_pid = int(msg["pid"])
            elif "status" in msg and raw_status is None:
                raw_status = int(msg["status"])
            elif "error" in msg and not setup_error:
                setup_error = str(msg["error"])[:1000]
        return True

    def kill(reason: str) -> None:
        nonlocal killed, killed_at
        if not killed:
            killed, killed_at = reason, time.monotonic()
        if ns:
            if init_pid is not None:
                try:
                    os.kill(init_pid, signal.SIGKILL)  # PID 1: the whole namespace dies
                except OSError:
                    pass
            else:
                _sweep(keep | {pid}, reap=False)
        else:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            _sweep(keep | {pid}, reap=False)  # the child itself is waited for below

    try:
        exited = False
        while not exited and not superseded:
            now = time.monotonic()
            if now >= deadline and not killed:
                kill("wall")
            if killed and now - killed_at > 3:  # the supervisor itself does not end: kill it
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            wait = (deadline - now) if not killed else 0.5
            for fd, _ in poller.poll(max(0.0, min(wait, 3600)) * 1000):
                if fd == pidfd:
                    exited = True
                elif fd == ctl_r:
                    if not read_ctl():
                        poller.unregister(ctl_r)
                    if ns and raw_status is not None:  # the sandbox ended, its uid is swept
                        exited = True
                elif fd == sock.fileno():
                    try:
                        data, fds, _, _ = socket.recv_fds(sock, HEADER_BYTES, 3)
                    except OSError:
                        data, fds = b"", []
                    if not data:
                        for extra in fds:
                            os.close(extra)
                        grader_gone = True
                        kill("grader gone")
                        poller.unregister(sock.fileno())
                        continue
                    if fds:  # the next job: this run has reported everything
                        if following is not None:  # one at a time: not from our grader
                            for extra in fds:
                                os.close(extra)
                            continue
                        following = _Next(data, fds)
                        if not exited:  # it is exiting anyway; one that hangs holds up nothing
                            kill("superseded")
                            superseded = supersede
                        continue
                    try:
                        request = json.loads(data)
                    except ValueError:
                        request = {}
                    if isinstance(request, dict) and request.get("kill"):
                        reason = str(request["kill"])[:100]
                        if following is not None and request.get("id") == following.id:
                            following.kill = reason  # for the job not yet started
                        elif request.get("id") in (None, job_id):
                            kill(reason)
        if superseded:
            return {"superseded": True, "next": following}
        lingering = False
        try:
            # the supervisor that reported a status may still be exiting: reaped later
            done_pid, status = os.waitpid(pid, os.WNOHANG if ns and raw_status is not None
                                          else 0)
            lingering = done_pid == 0
        except ChildProcessError:  # pragma: no cover - reaped elsewhere: status unknown
            status = signal.SIGKILL
    finally:
        os.close(pidfd)
    _sweep(keep | {pid} if lingering else keep)  # what the submission left behind
    if plan.sweep and not ns and plan.uid != os.geteuid():
        from .isolation import kill_uid

        kill_uid(plan.uid)  # and anything of its slot uid that escaped the process tree
    os.set_blocking(ctl_r, False)
    while read_ctl():
        pass
    if ns and raw_status is None and not killed and not setup_error:
        setup_error = f"the sandbox supervisor ended without a status ({status})"
    if ns and raw_status is not None:
        status = raw_status
    return {
        "timed_out": killed == "wall",
        "killed": killed,
        "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "seconds": time.monotonic() - start,
        "setup_error": setup_error,
        "grader_gone": grader_gone,
        "lingering": lingering,
        "superseded": False,
        "next": following,
    }


def _preload() -> None:
    """Import what student code commonly uses, once, here: every child then has it for free
    (and in the namespace levels, it needs no file from inside the sandbox)."""
    import math  # noqa: F401

    import numpy  # noqa: F401
    import torch
    import torch.nn  # noqa: F401
    import torch.nn.functional  # noqa: F401
    import torch.optim  # noqa: F401
    import torch.utils.data  # noqa: F401

    # an optimizer's first construction imports torch._dynamo (~800 modules, ~0.9 s)
    torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=0.1)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401
    except Exception:  # noqa: BLE001 - optional
        pass


MADV_HUGEPAGE, MADV_COLLAPSE = 14, 25
HUGE_PAGE = 2 << 20


def _huge_pages() -> None:
    """Back this process's private writable memory (~240 MB after importing torch) with huge
    pages where the kernel can (Linux >= 6.1, transparent huge pages not disabled). A fork then
    copies one page-table entry per 2 MiB instead of 512, and an exit drops as few: forking and
    tearing down a copy of the zygote costs about a quarter as much (measured: 15.8 → 4.4 ms of
    CPU), about 14 ms less per submission (two forks). A child that writes to a huge page it
    shares gets a 4 KiB copy, as before. Where the kernel refuses, nothing changes. It takes
    ~0.7 s once, so only a worker with many submissions to grade does it."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    try:
        with open("/proc/self/maps") as f:
            maps = f.read().splitlines()
    except OSError:
        return
    for line in maps:
        fields = line.split()
        path = fields[5] if len(fields) > 5 else ""
        if "w" not in fields[1] or "p" not in fields[1] or path not in ("", "[heap]"):
            continue
        lo, hi = (int(x, 16) for x in fields[0].split("-"))
        start, end = -(-lo // HUGE_PAGE) * HUGE_PAGE, hi // HUGE_PAGE * HUGE_PAGE
        if end > start:
            libc.madvise(start, end - start, MADV_HUGEPAGE)
            libc.madvise(start, end - start, MADV_COLLAPSE)


def serve(sock: socket.socket, level: str, slot: int, huge_pages: bool = False) -> None:
    import torch

    from . import isolation

    isolation.name_process("ag-zygote")
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    # Modules student code commonly imports: loading them once here spares every child (and
    # in the namespace levels, anything imported here needs no file inside the sandbox).
    _preload()

    from . import harness, wire  # noqa: F401

    harness.warm_up_stream()  # encoded once here; every spare replays the same bytes

    # Every child shares the zygote's memory copy-on-write, but a garbage collection in a child
    # would visit (and so copy) the headers of all ~330,000 objects imported above (a full
    # collection costs ~160 ms): they are frozen out of the collector's reach here.
    gc.collect()
    gc.freeze()
    if huge_pages:
        _huge_pages()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grader decides when the zygote stops
    try:
        plan = isolation.make_plan(level, slot)
    except Exception as e:  # noqa: BLE001
        sock.send(json.dumps({"ready": False, "error": f"{type(e).__name__}: {e}"}).encode())
        return
    isolation.set_subreaper()
    try:
        sock.send(json.dumps({"ready": True, "level": level, "pid": os.getpid()}).encode())
    except OSError:
        return
    # The next job's sandbox is started while the current one runs, so that forking and
    # entering the namespaces are off the path of the next submission. Not for a root grader's
    # userns level, whose sandboxes hold the slot uid from the start: the sweep after each run
    # (kill(-1) as that uid) would take the spare with it.
    prespawn = not (plan.level == "userns" and plan.sweep)
    # A root grader's namespace sandboxes take the slot's two uids in turn: a run that has
    # reported everything is left to be torn down (~10 ms of unmapping a copy of this process)
    # while the next one, under the other uid, already runs. Nothing of the two can meet:
    # different uids, PID, mount, network and IPC namespaces. A uid is used again only once
    # the run before under it has been swept (see _Child.settle).
    overlap = prespawn and plan.level == "namespaces" and plan.sweep
    uids = isolation.slot_uids(slot) if overlap else (plan.uid,)
    plans = {u: plan if u == plan.uid else replace(plan, uid=u, gid=u) for u in uids}
    spare: _Child | None = None
    exiting: set[int] = set()  # supervisors of finished runs, still unmapping their memory
    finishing: dict[int, _Child] = {}  # uid → a superseded run not yet swept
    following: _Next | None = None
    last_uid = uids[-1]

    def other_uid(uid: int) -> int:
        """The slot's other uid (the same one where it has only one)."""
        return next((u for u in uids if u != uid), uid)

    def kept() -> frozenset[int]:
        return frozenset([*exiting, *(c.pid for c in finishing.values()),
                          *([spare.pid] if spare else [])])

    try:
        while True:
            exiting.difference_update([pid for pid in exiting if _ended(pid)])
            if following is not None:
                data, fds, killed = following.data, following.fds, following.kill
                following = None
            else:
                try:
                    data, fds, _, _ = socket.recv_fds(sock, HEADER_BYTES, 3)
                except OSError:
                    return
                killed = ""
            if not data:
                return
            try:
                header = json.loads(data)
            except ValueError:
                header = {}
            if not isinstance(header, dict):
                header = {}
            if not fds:
                continue  # a late kill request for a job that has already ended
            if len(fds) != 3 or "limits" not in header or killed:
                for fd in fds:
                    os.close(fd)
                status = {"setup_error": "malformed job request"} if not killed else {
                    "timed_out": killed == "wall", "killed": killed, "exit_code": None,
                    "signal": None, "seconds": 0.0, "setup_error": ""}
                sock.send(json.dumps({**status, "id": header.get("id")}).encode())
                continue
            limits = Limits(**header["limits"])
            device = str(header.get("device", "cpu"))
            child, spare = spare, None
            if child is not None and (child.key != _key(limits.to_dict(), device)
                                      or not child.alive()):
                child.discard(kept())  # set up for other limits, or its set-up failed
                child = None
            uid = child.uid if child is not None else other_uid(last_uid)
            if uid in finishing:  # the run before under this uid: swept first
                finishing.pop(uid).settle(exiting)
            if child is not None and not child.hand(fds):
                child.discard(kept())
                child = None
            if child is None:
                child = _spawn(plans[uid], limits, device)
                child.hand(fds)  # if its set-up failed, _supervise reports how
            for fd in fds:
                os.close(fd)
            last_uid = uid
            if prespawn:
                spare = _spawn(plans[other_uid(uid)], limits, device)
            try:
                status = _supervise(child.pid, child.ctl_r, sock, plans[uid],
                                    float(header.get("wall", 1e9)), kept(),
                                    header.get("id"), overlap)
            except BaseException:
                child.release()
                raise
            following = status.pop("next")
            if status.pop("superseded"):
                finishing[uid] = child
                continue
            child.release()
            if status.pop("lingering"):
                exiting.add(child.pid)
            if status.pop("grader_gone"):
                return
            for done_uid in list(finishing):  # idle: nothing of a run is left behind
                finishing.pop(done_uid).settle(exiting)
            try:
                sock.send(json.dumps({**status, "id": header.get("id")}).encode())
            except OSError:
                return
    finally:
        if spare is not None:
            spare.discard(kept())
        for child in finishing.values():
            child.settle(exiting)
        if following is not None:
            for fd in following.fds:
                os.close(fd)


# ---------------------------------------------------------------- the grader's side


@dataclass
class Attempt:
    """What one sandboxed process did (see :meth:`Zygote.attempt`)."""

    loaded: dict | None = None
    reports: dict[tuple[str, str], dict] = field(default_factory=dict)
    seconds: dict[tuple[str, str], float] = field(default_factory=dict)
    cell: int | None = None  # the cell being loaded when it ended
    in_flight: tuple[str, str] | None = None  # the case running when it ended
    done: bool = False
    killed: str = ""  # why the grader (or the zygote's backstop) killed it
    violation: str = ""  # a protocol violation: what was wrong
    exit_code: int | None = None
    signal: int | None = None
    setup_error: str = ""
    zygote_died: bool = False
    output: bytes = b""
    output_truncated: bool = False
    result_bytes: int = 0


class Zygote:
    """The grader's handle on one warm worker process."""

    def __init__(self, level: str = "auto", huge_pages: bool = False) -> None:
        """``huge_pages``: for a worker that will grade many submissions (see
        :func:`_huge_pages`)."""
        from . import isolation

        self.level = isolation.resolve(level)
        self.huge_pages = huge_pages
        self._slot = isolation.Slot()
        self.slot = self._slot.number
        self._ready = False
        self._job = 0  # the id of the last job sent (a status names the job it is about)
        self._start()

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {k: v for k, v in os.environ.items() if k in ZYGOTE_ENV or k.startswith("LC_")}
        env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.sandbox.zygote", str(theirs.fileno()),
             self.level, str(self.slot), str(int(self.huge_pages))],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            env=env, start_new_session=True, cwd="/")
        theirs.close()
        self.sock = ours
        self._ready = False
        self._pending = False

    def _wait_ready(self, timeout: float = 180.0) -> str:
        """'' once the zygote has started, else why it did not."""
        if self._ready:
            return ""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(HEADER_BYTES)
            msg = json.loads(data) if data else {}
        except (OSError, ValueError):
            msg = {}
        finally:
            self.sock.settimeout(None)
        if msg.get("ready"):
            self._ready = True
            return ""
        return str(msg.get("error") or "the worker process did not start")

    def _collect(self, timeout: float = 30.0) -> None:
        """Wait for the end of a run that already reported everything (see :meth:`attempt`).
        The next job does not wait for it: the zygote takes it as soon as it comes."""
        if not self._pending:
            return
        self._pending = False
        deadline = time.monotonic() + timeout
        ok = False
        try:
            while time.monotonic() < deadline:
                self.sock.settimeout(max(0.001, deadline - time.monotonic()))
                data = self.sock.recv(HEADER_BYTES)
                status = json.loads(data) if data else None
                if not isinstance(status, dict):
                    break
                if status.get("id") == self._job:
                    ok = True
                    break
        except (OSError, ValueError):
            pass
        finally:
            self.sock.settimeout(None)
        if not ok:
            self._restart()

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until the last run's processes are gone (runs that reported everything return
        before their teardown ends)."""
        self._collect(timeout)

    def close(self) -> None:
        try:
            self._collect(timeout=5.0)
        except Exception:  # noqa: BLE001 - closing anyway
            pass
        try:
            self.sock.close()
        finally:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self._slot.release()

    def __enter__(self) -> "Zygote":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def run(self, job: bytes, limits: Limits) -> RunOutput:
        """Run one job (see :func:`autograder.sandbox.harness.main` for its format) in fresh
        sandboxed children, trying again past a case that crashed or hung, and collect the
        validated reports."""
        from .session import run_job

        return run_job(self, job, limits)

    def _restart(self) -> None:
        from . import isolation

        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        if os.geteuid() == 0 and self.level in ("namespaces", "userns"):
            for uid in isolation.slot_uids(self.slot):  # a sandbox it left behind
                isolation.kill_uid(uid)
        self.sock.close()
        self._start()

    def attempt(self, header: bytes, parts: list[tuple[bytes, list[tuple[str, str]]]],
                cells: list[int], limits: Limits, deadline: float,
                device: str = "cpu",
                call_limits: dict[tuple[str, str], float] | None = None,
                eager: bool = False) -> Attempt:
        """One sandboxed process: send ``header``, then each part once the previous one has
        reported, and follow the child's messages against what it was asked to do (``cells``:
        the cells it runs; each part's case keys in order). Kills it on a time limit or a
        message out of place. ``call_limits``: a case's own call limit, where it has one.
        ``eager``: the first part goes with the header (the child reads it once its cells are
        loaded), not after the cells have loaded."""
        from . import wire

        a = Attempt()
        self._pending = False  # the last run's end is not waited for (see _collect)
        if self.proc.poll() is not None:
            self._restart()
        why = self._wait_ready()
        if why:
            a.setup_error = why
            self._restart()
            return a
        job_r, job_w = os.pipe()
        res_r, res_w = os.pipe()
        out_r, out_w = os.pipe()
        grace = limits.grace_seconds
        wall = max(0.0, deadline - time.monotonic()) + grace
        self._job += 1
        job_id = self._job
        request = json.dumps({"limits": limits.to_dict(), "wall": wall,
                              "device": device, "id": job_id}).encode()
        try:
            socket.send_fds(self.sock, [request], [job_r, res_w, out_w])
        except OSError:
            for fd in (job_r, job_w, res_r, res_w, out_r, out_w):
                os.close(fd)
            self._restart()
            a.zygote_died = True
            return a
        for fd in (job_r, res_w, out_w):
            os.close(fd)
        for fd in (job_w, res_r, out_r):
            os.set_blocking(fd, False)
        fcntl.fcntl(job_w, fcntl.F_SETFD, fcntl.FD_CLOEXEC)

        pending = bytearray(header)
        buf = bytearray()
        output = bytearray()
        todo_cells = list(cells)
        parts = list(parts)
        expect: list[tuple[str, str]] = []
        phase = "load"
        start = time.monotonic()
        watch = start + limits.load_seconds + grace
        case_started = 0.0
        status: dict | None = None
        status_at = 0.0
        kill_sent = 0.0
        open_fds = {res_r, out_r}
        writing = True

        part_read = [False]  # the part last sent was read (its first case is running)
        sent_early: list[tuple[str, str]] | None = None  # the keys of a part already sent
        if eager and parts:
            data, sent_early = parts.pop(0)
            pending.extend(data)

        def violation(why: str) -> None:
            nonlocal phase
            if not a.violation:
                a.violation = why
            phase = "broken"

        def handle(msg: Any) -> None:
            nonlocal phase, watch, expect, case_started
            now = time.monotonic()
            kind = msg.get("kind") if isinstance(msg, dict) else None
            key = (msg.get("question"), msg.get("case")) if isinstance(msg, dict) else None
            if phase == "load":
                if kind == "cell" and todo_cells and msg.get("cell") == todo_cells[0]:
                    a.cell = todo_cells.pop(0)
                elif kind == "loaded" and isinstance(msg.get("cells"), list):
                    a.loaded, a.cell = msg, None
                    send_next_part(now)
                else:
                    violation(f"unexpected {kind!r} message while loading")
            elif phase == "cases":
                # once a part is read, its cases run in the order they were sent: the one
                # after the last report is the one running (no message announces it: one write
                # per case, not two)
                if a.in_flight is not None and kind == "case" and key == a.in_flight:
                    a.reports[key] = msg
                    a.seconds[key] = now - case_started
                    expect.pop(0)
                    if not expect:
                        a.in_flight = None
                        send_next_part(now)
                    else:
                        start_case(now)
                elif a.in_flight is None and kind == "part" and expect and not part_read[0]:
                    part_read[0] = True
                    start_case(now)
                elif a.in_flight is None and kind == "done" and not expect and not parts:
                    a.done, phase = True, "done"
                    watch = now + grace
                else:
                    violation(f"unexpected {kind!r} message during the cases")
            elif phase == "done":
                violation("a message after 'done'")

        def start_case(now: float) -> None:
            nonlocal watch, case_started
            a.in_flight, case_started = expect[0], now
            watch = now + (call_limits or {}).get(expect[0], limits.call_seconds) + grace

        def send_next_part(now: float) -> None:
            nonlocal phase, watch, expect, sent_early
            phase = "cases"
            watch = now + grace
            if sent_early is None and not parts:
                return
            if sent_early is not None:  # already on its way
                keys, sent_early = sent_early, None
            else:
                data, keys = parts.pop(0)
                pending.extend(data)
            expect = list(keys)
            part_read[0] = False

        try:
            while True:
                now = time.monotonic()
                if status is not None and (not open_fds or now - status_at > 2):
                    break
                if a.done and status is None and not kill_sent:
                    # everything is in: the process is exiting; its status is collected before
                    # the next job, so that its teardown overlaps the grader's own work. Its
                    # output was flushed before 'done': take what is in the pipe.
                    while out_r in open_fds and len(output) < limits.output_bytes:
                        try:
                            chunk = os.read(out_r, 1 << 20)
                        except (BlockingIOError, OSError):
                            break
                        if not chunk:
                            break
                        output += chunk[: limits.output_bytes - len(output)]
                    self._pending = True
                    break
                if status is None and not kill_sent:
                    reason = ""
                    if now >= deadline:
                        reason = "wall"
                    elif phase == "broken":
                        reason = "protocol"
                    elif now >= watch:
                        reason = {"load": "load_time", "cases": "call_time",
                                  "done": "exit_time"}.get(phase, "protocol")
                    if reason:
                        a.killed = reason
                        kill_sent = now
                        try:
                            self.sock.send(json.dumps({"kill": reason,
                                                       "id": job_id}).encode())
                        except OSError:
                            pass
                if kill_sent and status is None and now - kill_sent > 20:
                    a.zygote_died = True  # it did not answer: start a fresh one
                    self._restart()
                    break
                if status is None and self.proc.poll() is not None:
                    a.zygote_died = True
                    self._restart()
                    break
                rlist = list(open_fds) + ([self.sock] if status is None else [])
                wlist = [job_w] if pending and writing else []
                limit_at = min(watch, deadline) if not kill_sent else now + 1
                timeout = max(0.0, min(limit_at - now, 1.0))
                if status is not None:
                    timeout = 0.05
                ready_r, ready_w, _ = select.select(rlist, wlist, [], timeout)
                if res_r in ready_r and not pending and (
                        phase == "load" or (phase == "cases" and len(expect) > 1
                                            and a.in_flight is not None)):
                    # let a fast submission write several reports (cells loaded, cases run)
                    # before this process wakes again: a wake-up per report would preempt it
                    # once per cell and case (but the last case of a part is answered at once:
                    # the child waits for the next part)
                    time.sleep(COALESCE_SECONDS)
                if ready_w:
                    try:
                        n = os.write(job_w, pending[: 1 << 20])
                        del pending[:n]
                    except BlockingIOError:
                        pass
                    except OSError:  # the child closed its end
                        writing = False
                        pending.clear()
                for r in ready_r:
                    if r is self.sock:
                        try:
                            data = self.sock.recv(HEADER_BYTES)
                            status = json.loads(data) if data else None
                        except (OSError, ValueError):
                            status = None
                        if not isinstance(status, dict):
                            status = None
                            a.zygote_died = True
                            self._restart()
                            raise _Stop()
                        if status.get("id") != job_id:  # about an earlier job: it is over
                            status = None
                            continue
                        status_at = time.monotonic()
                        continue
                    try:
                        chunk = os.read(r, 1 << 20)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        open_fds.discard(r)
                        continue
                    if r == out_r:
                        if len(output) < limits.output_bytes:
                            output += chunk[: limits.output_bytes - len(output)]
                        else:
                            a.output_truncated = True
                        continue
                    a.result_bytes += len(chunk)
                    if phase == "broken":
                        continue
                    if a.result_bytes > limits.result_bytes:
                        violation(f"more than {limits.result_bytes} bytes of results")
                        continue
                    buf += chunk
                    while phase != "broken":
                        msg, used, err = _next_message(buf, limits.result_bytes, wire)
                        if err:
                            violation(err)
                            break
                        if msg is None:
                            break
                        del buf[:used]
                        handle(msg)
        except _Stop:
            pass
        finally:
            for fd in (job_w, res_r, out_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
        a.output = bytes(output)
        if status is not None:
            a.exit_code = status.get("exit_code")
            a.signal = status.get("signal")
            a.setup_error = str(status.get("setup_error") or "")
            if status.get("killed") and not a.killed:
                a.killed = "wall" if status.get("timed_out") else str(status["killed"])
        return a


class _Stop(Exception):
    pass


def _next_message(buf: bytearray, max_bytes: int, wire) -> tuple[Any, int, str]:
    """(message, bytes used, '') for the first complete message in ``buf``; (None, 0, '') when
    it is incomplete; (None, 0, why) when it is malformed."""
    if len(buf) < 8:
        return None, 0, ""
    hlen = int.from_bytes(buf[:8], "big")
    if hlen > min(max_bytes, 64 << 20):
        return None, 0, "a message header that is too large"
    if len(buf) < 16 + hlen:
        return None, 0, ""
    blen = int.from_bytes(buf[8 + hlen:16 + hlen], "big")
    if blen > max_bytes:
        return None, 0, "a tensor blob that is too large"
    total = 16 + hlen + blen
    if len(buf) < total:
        return None, 0, ""
    try:
        msg = wire.loads(bytes(buf[:total]), max_bytes)
    except Exception as e:  # noqa: BLE001 - wire errors, and anything else a forgery triggers
        return None, 0, f"a malformed message ({type(e).__name__})"
    return msg, total, ""


if __name__ == "__main__":
    serve(socket.socket(fileno=int(sys.argv[1])), sys.argv[2] if len(sys.argv) > 2 else "process",
          int(sys.argv[3]) if len(sys.argv) > 3 else 0, sys.argv[4:5] == ["1"])
