"""The grader's handle on a warm worker process (the zygote, :mod:`autograder.sandbox.worker`).

:class:`Zygote` starts the worker, hands it each job's three fresh pipe ends over a Unix socket
(SCM_RIGHTS: job in, results out, stdout/stderr out) and talks to the sandboxed child directly
through them. :meth:`Zygote.attempt` is a thin loop that moves bytes between those pipes and
the conversation (:class:`autograder.sandbox.protocol.Conversation`), which decides everything:
what to send next, what is out of place, when a process is past its time. The zygote's socket
carries the job request, kill requests and the status of each run.

A submission's whole run (its tries past a crash or a hang) is :func:`autograder.sandbox.session.
run_job`'s; this module knows one process at a time.
"""
from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from . import isolation
from .limits import HEADER_BYTES, Limits
from .protocol import Attempt, Conversation, Finish, Kill, Part, Send

COALESCE_SECONDS = 0.002  # how long the grader lets reports of running cases pile up
KILL_ANSWER_SECONDS = 20.0  # a zygote that does not report a killed run by then is restarted
# what the zygote (and so every sandbox) may inherit from the grader's environment: nothing that
# could be a secret (tokens, keys, passwords stay in the grader)
ZYGOTE_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "HOME", "TMPDIR", "PYTHONPATH",
              "PYTHONHOME", "VIRTUAL_ENV", "LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES",
              "CUDA_DEVICE_ORDER", "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES",
              "CUDA_HOME", "CUDA_PATH")
WORKER_MODULE = "autograder.sandbox.worker.server"


class Zygote:
    """The grader's handle on one warm worker process."""

    def __init__(self, level: str = "auto", huge_pages: bool = False) -> None:
        """``huge_pages``: for a worker that will grade many submissions (see
        :func:`autograder.sandbox.worker.memory.huge_pages`)."""
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
            [sys.executable, "-m", WORKER_MODULE, str(theirs.fileno()),
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

    def _restart(self) -> None:
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


    def attempt(self, header: bytes, parts: list[Part], cells: list[int], limits: Limits,
                deadline: float, device: str = "cpu",
                call_limits: dict[tuple[str, str], float] | None = None,
                eager: bool = False) -> Attempt:
        """One sandboxed process: the conversation (see :class:`Conversation` for the
        arguments) carried out over fresh pipes. Kills the process on a time limit or a message
        out of place."""
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
        wall = max(0.0, deadline - time.monotonic()) + limits.grace_seconds
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
        talk = Conversation(header, parts, cells, limits, deadline, time.monotonic(),
                            call_limits, eager)
        a = talk.attempt
        try:
            status = self._follow(talk, job_id, job_w, res_r, out_r)
        finally:
            for fd in (job_w, res_r, out_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
        if status is not None:
            a.exit_code = status.get("exit_code")
            a.signal = status.get("signal")
            a.setup_error = str(status.get("setup_error") or "")
            a.cpu_seconds = float(status.get("cpu_seconds") or 0.0)
            if status.get("killed") and not a.killed:
                a.killed = "wall" if status.get("timed_out") else str(status["killed"])
        return a

    def _follow(self, talk: Conversation, job_id: int, job_w: int, res_r: int,
                out_r: int) -> dict | None:
        """Move bytes between the pipes and ``talk`` until the process has ended (its status,
        returned) or has reported everything (None: its status is collected later)."""
        a, limits = talk.attempt, talk.limits
        pending = bytearray()
        output = bytearray()
        status: dict | None = None
        status_at = kill_sent = 0.0
        open_fds = {res_r, out_r}
        writing = True

        def act(actions: list) -> None:
            nonlocal kill_sent
            for action in actions:
                if isinstance(action, Send):
                    if writing:
                        pending.extend(action.data)
                elif isinstance(action, Kill) and status is None and not kill_sent:
                    a.killed, kill_sent = action.reason, time.monotonic()
                    try:
                        self.sock.send(json.dumps({"kill": action.reason,
                                                   "id": job_id}).encode())
                    except OSError:
                        pass
                elif isinstance(action, Finish):
                    pass  # a.done: the loop below stops

        def take_output(chunk: bytes) -> None:
            if len(output) < limits.output_bytes:
                output.extend(chunk[: limits.output_bytes - len(output)])
            else:
                a.output_truncated = True

        act(talk.start())
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
                        except OSError:
                            break
                        if not chunk:
                            break
                        output.extend(chunk[: limits.output_bytes - len(output)])
                    self._pending = True
                    break
                if status is None and not kill_sent:
                    act(talk.on_tick(now))
                if kill_sent and status is None and now - kill_sent > KILL_ANSWER_SECONDS:
                    a.zygote_died = True  # it did not answer: start a fresh one
                    self._restart()
                    break
                if status is None and self.proc.poll() is not None:
                    a.zygote_died = True
                    self._restart()
                    break
                rlist = list(open_fds) + ([self.sock] if status is None else [])
                wlist = [job_w] if pending and writing else []
                timeout = 0.05 if status is not None else max(
                    0.0, min((talk.wake_at() if not kill_sent else now + 1) - now, 1.0))
                ready_r, ready_w, _ = select.select(rlist, wlist, [], timeout)
                if res_r in ready_r and not pending and talk.coalesce:
                    # let a fast submission write several reports before this process wakes
                    # again: a wake-up per report would preempt it once per cell and case
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
                        status = self._status(job_id)
                        if status is False:
                            a.zygote_died = True
                            self._restart()
                            return None
                        if status is not None:
                            status_at = time.monotonic()
                        continue
                    try:
                        chunk = os.read(r, 1 << 20)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        open_fds.discard(r)
                    elif r == out_r:
                        take_output(chunk)
                    else:
                        act(talk.on_results(chunk, time.monotonic()))
            return status
        finally:
            a.output = bytes(output)

    def _status(self, job_id: int) -> "dict | None | bool":
        """The zygote's message: the status of job ``job_id``; None if it is about an earlier
        job (that one is over); False if the zygote is gone or wrote nonsense."""
        try:
            data = self.sock.recv(HEADER_BYTES)
            status = json.loads(data) if data else None
        except (OSError, ValueError):
            status = None
        if not isinstance(status, dict):
            return False
        return status if status.get("id") == job_id else None
