"""Following one run to its end, in the zygote: kill requests from the grader, the wall-clock
backstop, the sandbox's exit status, and the next job when it arrives early."""
from __future__ import annotations

import json
import os
import select
import signal
import socket
import time
from dataclasses import dataclass
from typing import Any

from .. import isolation
from ..limits import HEADER_BYTES
from .spawn import ctl_messages, sweep

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
class Next:
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


def supervise(pid: int, ctl_r: int, sock: socket.socket, plan,
              wall_seconds: float, keep: frozenset[int] = frozenset(), job_id: Any = None,
              supersede: bool = False) -> dict[str, Any]:
    """Follow one run to its end (``keep``: processes every sweep spares: the spare, runs
    still being torn down). The grader sends its next job once this one has reported
    everything; it is returned under ``next``, and this run, which is exiting anyway, is
    killed. With ``supersede`` (the next run has a uid of its own) it is then left to finish on
    its own (``superseded``; see :meth:`autograder.sandbox.worker.spawn.Child.settle`);
    otherwise it is followed to its end first."""
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
    following: Next | None = None
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
        messages, ctl_buf = ctl_messages(ctl_buf + data)
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
                sweep(keep | {pid}, reap=False)
        else:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            sweep(keep | {pid}, reap=False)  # the child itself is waited for below

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
                        following = Next(data, fds)
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
    sweep(keep | {pid} if lingering else keep)  # what the submission left behind
    if plan.sweep and not ns and plan.uid != os.geteuid():
        isolation.kill_uid(plan.uid)  # and anything of its slot uid that escaped the process tree
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
