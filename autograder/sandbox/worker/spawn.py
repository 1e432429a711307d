"""Forking a sandbox: the child that enters its isolation level and waits for a job (a spare,
see :mod:`autograder.sandbox.worker`), its supervisor in the namespace levels, and the sweeps
that kill whatever a run left behind."""
from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from .. import isolation
from ..limits import Limits
from . import harness

def ctl(fd: int, **message: Any) -> None:
    data = (json.dumps(message)[:3000] + "\n").encode()  # < PIPE_BUF: one atomic write
    try:
        os.write(fd, data)
    except OSError:
        pass


def descendants(pid: int, keep: frozenset[int] = frozenset()) -> list[int]:
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


def sweep(keep: frozenset[int] = frozenset(), reap: bool = True) -> None:
    """Kill every descendant of the zygote (but the processes in ``keep`` and their own) until
    none is left, reaping those that are (or become, the zygote being a subreaper) its
    children (``reap=False``: while a child of the zygote is still to be waited for)."""
    for _ in range(200):
        victims = descendants(os.getpid(), keep)
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


def ended(pid: int) -> bool:
    """Whether a child of the zygote has ended (reaped here if it has, or by a sweep before)."""
    if _reaped.pop(pid, False):
        return True
    try:
        return os.waitpid(pid, os.WNOHANG)[0] != 0
    except ChildProcessError:
        return True


def ctl_messages(buf: bytes) -> tuple[list[dict], bytes]:
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
    next sandbox while the current one runs (see :class:`Child`). Only once the job has
    arrived does it drop its privileges, take its limits and run the harness."""
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
            ctl(ctl_w, error=f"{type(e).__name__}: {e}")
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
            ctl(ctl_w, error=f"{type(e).__name__}: {e}")
            os._exit(71)
        os.close(ctl_w)  # from here on student code runs: it must not reach the zygote
        with os.fdopen(job_r, "rb") as job_in, os.fdopen(res_w, "wb") as results_out:
            harness.main(job_in, results_out)
        code = 0
    except BaseException:  # noqa: BLE001
        code = 70
    finally:
        os._exit(code)


def job_child(plan, limits: Limits, workdir: str, handoff: int, ctl_w: int,
               sync: tuple[int, int] | None, device: str = "cpu") -> None:
    """The zygote's child: the sandbox itself, or (namespace levels) its supervisor."""
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
        ctl(ctl_w, pid=pid)
        _, status = os.waitpid(pid, 0)
        if plan.sweep:  # anything of the slot uid that escaped the namespace dies too
            isolation.sweep_uid(plan.uid)
        # the run is over (the zygote does not wait for this process's own exit, which takes
        # as long as the sandbox's: both unmap a copy of the zygote's memory)
        ctl(ctl_w, status=status)
        os.close(ctl_w)
        os._exit(0)
    except BaseException as e:  # noqa: BLE001
        ctl(ctl_w, error=f"{type(e).__name__}: {e}")
        os._exit(71)


@dataclass
class Child:
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
        return not ended(self.pid)

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
        sweep(keep)

    def settle(self, exiting: set[int], timeout: float = 10.0) -> None:
        """A run that was left while its sandbox was still being torn down (see
        :func:`autograder.sandbox.worker.server.serve`): wait for its supervisor's status,
        which it sends once its slot uid is swept, then release it. If none comes, the
        supervisor is killed and the uid swept from here. A supervisor still exiting goes to
        ``exiting``."""
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
            messages, buf = ctl_messages(buf + data)
            swept = any("status" in msg for msg in messages)
        if not swept:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
            isolation.kill_uid(self.uid)
        if not ended(self.pid):
            exiting.add(self.pid)
        self.release()


def key(limits: dict, device: str) -> str:
    return json.dumps([limits, device], sort_keys=True)


def spawn(plan, limits: Limits, device: str) -> Child:
    """Fork a child that sets up its sandbox and waits for a job (see :func:`_sandboxed`)."""
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
            job_child(plan, limits, workdir, theirs.fileno(), ctl_w, child_sync, device)
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
    return Child(pid, ctl_r, ours, workdir, key(limits.to_dict(), device), plan.uid)

