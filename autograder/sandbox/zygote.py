"""A warm worker ("zygote") that forks one sandboxed child per submission.

Starting Python and importing torch costs about 2 s; forking a process that already has both
costs about 25 ms. The zygote is a long-lived process started by the grader. It imports torch
and the harness once, sets torch to one thread (a child forked after a multi-threaded op can
hang), and then, for each job, forks a child that enters its isolation level and runs
:mod:`autograder.sandbox.harness`.

The zygote never sees a job's data: the grader passes it the ends of three fresh pipes over a
Unix socket (SCM_RIGHTS) — job in, results out, stdout/stderr out — and talks to the child
directly through them. So no submission can find another's code or inputs in memory inherited
from the zygote. The zygote supervises: it enforces the wall-clock limit, kills the child's
whole process tree, and reports how the child ended.

It must never import ``reference`` or ``autograder.specs``: a child inherits every imported
module, and the expected outputs must stay out of its reach.
"""
from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .limits import Limits

HEADER_BYTES = 64 << 10


@dataclass
class RunOutput:
    """Everything the grader learns from one sandboxed run."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    output: bytes = b""  # the head of the child's stdout/stderr, for instructors only
    output_truncated: bool = False
    exit_code: int | None = None
    signal: int | None = None
    timed_out: bool = False
    wire_error: str = ""
    seconds: float = 0.0
    level: str = ""
    zygote_died: bool = False


# ---------------------------------------------------------------- inside the zygote process


def _reap_tree(pid: int) -> None:
    """Kill what is left of a job: its process group (the child called setsid)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _supervise(pid: int, wall_seconds: float) -> dict[str, Any]:
    start = time.monotonic()
    timed_out = False
    pidfd = os.pidfd_open(pid)
    try:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        if not poller.poll(max(0.0, wall_seconds) * 1000):
            timed_out = True
            _reap_tree(pid)
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(pidfd)
    _reap_tree(pid)  # background processes the submission left behind
    return {
        "timed_out": timed_out,
        "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "seconds": time.monotonic() - start,
    }


def _child(level: str, limits: Limits, workdir: str, job_r: int, res_w: int, out_w: int) -> None:
    from . import harness, isolation

    code = 70
    try:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_w, 1)
        os.dup2(out_w, 2)
        isolation.enter(level, limits, workdir)
        with os.fdopen(job_r, "rb") as job_in, os.fdopen(res_w, "wb") as results_out:
            harness.main(job_in, results_out)
        code = 0
    except BaseException:
        code = 70
    finally:
        os._exit(code)


def serve(sock: socket.socket) -> None:
    import torch

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    # Modules student code commonly imports: loading them once here spares every child.
    import math  # noqa: F401
    import numpy  # noqa: F401
    import torch.nn.functional  # noqa: F401

    from . import harness, isolation  # noqa: F401

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grader decides when the zygote stops
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(sock, HEADER_BYTES, 3)
        except OSError:
            return
        if not data:
            return
        header = json.loads(data)
        if len(fds) != 3:
            for fd in fds:
                os.close(fd)
            sock.send(json.dumps({"error": "expected 3 file descriptors"}).encode())
            continue
        limits = Limits(**header["limits"])
        workdir = tempfile.mkdtemp(prefix="submission-")
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            sock.close()
            _child(header["level"], limits, workdir, *fds)
        for fd in fds:
            os.close(fd)
        status = _supervise(pid, limits.wall_seconds)
        shutil.rmtree(workdir, ignore_errors=True)
        sock.send(json.dumps(status).encode())


# ---------------------------------------------------------------- the grader's side


class Zygote:
    """The grader's handle on one warm worker process."""

    def __init__(self, level: str = "process") -> None:
        self.level = level
        self._start()

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {k: v for k, v in os.environ.items()}
        env["OMP_NUM_THREADS"] = "1"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.sandbox.zygote", str(theirs.fileno())],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            env=env, start_new_session=True)
        theirs.close()
        self.sock = ours

    def close(self) -> None:
        try:
            self.sock.close()
        finally:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> "Zygote":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def run(self, job: bytes, limits: Limits) -> RunOutput:
        """Run one job in a fresh sandboxed child and collect what it streamed back."""
        out = RunOutput(level=self.level)
        if self.proc.poll() is not None:
            self._start()
        job_r, job_w = os.pipe()
        res_r, res_w = os.pipe()
        out_r, out_w = os.pipe()
        header = json.dumps({"limits": limits.to_dict(), "level": self.level}).encode()
        try:
            socket.send_fds(self.sock, [header], [job_r, res_w, out_w])
        except OSError:
            for fd in (job_r, job_w, res_r, res_w, out_r, out_w):
                os.close(fd)
            self._restart()
            out.zygote_died = True
            return out
        finally:
            for fd in (job_r, res_w, out_w):
                try:
                    os.close(fd)
                except OSError:
                    pass

        writer = threading.Thread(target=_write_all, args=(job_w, job), daemon=True)
        writer.start()
        results, out.output, out.output_truncated = _drain(
            res_r, out_r, limits.result_bytes, limits.output_bytes,
            deadline=time.monotonic() + limits.wall_seconds + 10)
        writer.join(timeout=1)
        self.sock.settimeout(limits.wall_seconds + 30)
        try:
            status = json.loads(self.sock.recv(HEADER_BYTES) or b"null")
        except (OSError, ValueError):
            status = None
        finally:
            self.sock.settimeout(None)
        if not isinstance(status, dict):
            self._restart()
            out.zygote_died = True
        else:
            out.exit_code = status.get("exit_code")
            out.signal = status.get("signal")
            out.timed_out = bool(status.get("timed_out"))
            out.seconds = float(status.get("seconds", 0.0))
        out.messages, out.wire_error = _parse_messages(results, limits.result_bytes)
        return out

    def _restart(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        self.sock.close()
        self._start()


def _write_all(fd: int, data: bytes) -> None:
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view[: 1 << 20])
            view = view[n:]
    except OSError:  # the child died or stopped reading: its run reports that
        pass
    finally:
        os.close(fd)


def _drain(res_fd: int, out_fd: int, max_result: int, max_output: int,
           deadline: float) -> tuple[bytes, bytes, bool]:
    """Read results and output until both pipes close, keeping at most the caps."""
    results, output = bytearray(), bytearray()
    truncated = False
    open_fds = {res_fd, out_fd}
    try:
        while open_fds:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            ready, _, _ = select.select(list(open_fds), [], [], remaining)
            for fd in ready:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    open_fds.discard(fd)
                elif fd == res_fd:
                    if len(results) + len(chunk) > max_result:
                        results += chunk[: max_result - len(results)]
                        open_fds.discard(fd)  # over the cap: stop reading, the rest is lost
                    else:
                        results += chunk
                elif len(output) < max_output:
                    output += chunk[: max_output - len(output)]
                else:
                    truncated = True
    finally:
        os.close(res_fd)
        os.close(out_fd)
    return bytes(results), bytes(output), truncated


def _parse_messages(data: bytes, max_bytes: int) -> tuple[list[dict[str, Any]], str]:
    import io

    from . import wire

    stream = io.BytesIO(data)
    messages: list[dict[str, Any]] = []
    while stream.tell() < len(data):
        try:
            message = wire.read_message(stream, max_bytes)
        except (wire.WireError, ValueError) as e:
            return messages, str(e)
        if not isinstance(message, dict) or "kind" not in message:
            return messages, "a message that is not a report"
        messages.append(message)
    return messages, ""


if __name__ == "__main__":
    serve(socket.socket(fileno=int(sys.argv[1])))
