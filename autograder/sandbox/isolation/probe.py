"""Which level works on this host: each is probed once per grader process, in a small
subprocess that forks a child into the level (the zygote's code path) and checks from inside."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading

from ..limits import Limits
from .child import enter_child
from .namespaces import map_child, parent_maps, unshare_for
from .plan import CHOICES, LEVELS, Plan, make_plan, source_root
from .libc import IsolationError, landlock_abi
from .slots import Slot

_resolved: dict[str, str] = {}
_lock = threading.Lock()


def probe(level: str) -> str:
    """'' when ``level`` works on this host, else why not. Runs in a fresh, small subprocess
    that forks a child into the level (exactly the zygote's code path) and checks, from inside,
    that it really is isolated."""
    cmd = [sys.executable, "-S", "-c",
           "import sys; sys.path[:0] = " + repr(_import_path()) + "; "
           "from autograder.sandbox.isolation.probe import _probe_main; _probe_main()", level]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=60, env=_probe_env(),
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"probe failed: {e}"
    lines = proc.stdout.decode(errors="replace").strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else {}
    except ValueError:
        answer = {}
    if not isinstance(answer, dict) or "error" not in answer:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:]
        return f"probe crashed ({' '.join(tail) or proc.returncode})"
    return str(answer["error"])


def _import_path() -> list[str]:
    """sys.path entries that let the probe import this package (a checkout or site-packages)."""
    return [p for p in sys.path if p] + [source_root()]


def _probe_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "HOME", "TMPDIR")}


def _probe_main() -> None:
    level = sys.argv[1]
    error = ""
    try:
        error = _probe_level(level)
    except Exception as e:  # noqa: BLE001 - reported, never raised
        error = f"{type(e).__name__}: {e}"
    print(json.dumps({"error": error}), flush=True)


def _probe_level(level: str) -> str:
    if level == "landlock" and landlock_abi() < 1:
        return "Landlock is not available on this kernel"
    if level == "namespaces" and os.geteuid() != 0:
        return "needs root"
    slot = Slot()  # a slot of its own: its uid's processes are killed afterwards
    try:
        return _probe_in_slot(level, slot.number)
    finally:
        slot.release()


def _probe_in_slot(level: str, slot: int) -> str:
    plan = make_plan(level, slot)
    limits = Limits(wall_seconds=20, cpu_seconds=10, memory_bytes=1 << 30)
    workdir = tempfile.mkdtemp(prefix="autograder-probe-")
    secret = tempfile.mkdtemp(prefix="autograder-probe-secret-")
    with open(os.path.join(secret, "secret.txt"), "w") as f:
        f.write("x")
    os.chmod(secret, 0o755)
    os.chmod(os.path.join(secret, "secret.txt"), 0o644)
    r, w = os.pipe()
    sync = child_sync = None
    if parent_maps(plan):
        ready_r, ready_w = os.pipe()
        go_r, go_w = os.pipe()
        sync, child_sync = (ready_r, go_w), (ready_w, go_r)
    try:
        pid = os.fork()
        if pid == 0:
            os.close(r)
            code = 1
            try:
                code = _probe_child(plan, limits, workdir, secret, w, child_sync)
            finally:
                os._exit(code)
        os.close(w)
        if sync is not None:
            for fd in child_sync:
                os.close(fd)
            map_child(plan, pid, sync)
            for fd in sync:
                os.close(fd)
        with os.fdopen(r, "rb") as f:
            report = f.read().decode(errors="replace")
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0 or not report.startswith("ok"):
            return report or f"the probe child ended with status {status}"
        return ""
    finally:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(secret, ignore_errors=True)


def _probe_child(plan: Plan, limits: Limits, workdir: str, secret: str, w: int,
                 sync: tuple[int, int] | None) -> int:
    """Enter the level as a real job would, then check from inside. Returns the exit code."""
    try:
        if plan.level in ("namespaces", "userns"):
            unshare_for(plan, sync)
            pid = os.fork()
            if pid:
                _, status = os.waitpid(pid, 0)
                return os.waitstatus_to_exitcode(status)
        enter_child(plan, limits, workdir, workdir if plan.level in ("namespaces", "userns")
                    else None)
        problems = []
        if plan.level != "process" and os.path.exists(os.path.join(secret, "secret.txt")):
            try:
                open(os.path.join(secret, "secret.txt")).read()
                problems.append("a file outside the sandbox is readable")
            except OSError:
                pass
        if plan.level in ("namespaces", "userns"):
            if os.getpid() != 1:
                problems.append("not PID 1 of a new PID namespace")
            if os.getuid() == 0:
                problems.append("still root")
        os.write(w, ("ok" if not problems else "; ".join(problems)).encode())
        return 0
    except BaseException as e:  # noqa: BLE001 - reported to the prober
        try:
            os.write(w, f"{type(e).__name__}: {e}".encode())
        except OSError:
            pass
        return 1


def resolve(level: str = "auto") -> str:
    """The level to use: ``auto`` is the strongest that works here (probed once per process);
    a named level is checked and :class:`IsolationError` says why it cannot be used."""
    if level not in CHOICES:
        raise IsolationError(f"unknown isolation level {level!r}; choose from "
                             f"{', '.join(CHOICES)}")
    with _lock:
        if level in _resolved:
            return _resolved[level]
        if level == "auto":
            reasons = []
            for candidate in LEVELS:
                why = _probe_cached(candidate)
                if not why:
                    _resolved["auto"] = candidate
                    return candidate
                reasons.append(f"{candidate}: {why}")
            raise IsolationError("no isolation level works here: " + "; ".join(reasons))
        why = _probe_cached(level)
        if why:
            raise IsolationError(f"isolation level {level!r} is not available on this host: "
                                 f"{why}")
        _resolved[level] = level
        return level


_probed: dict[str, str] = {}


def _probe_cached(level: str) -> str:
    if level not in _probed:
        _probed[level] = probe(level)
    return _probed[level]


def strongest_available() -> str:
    return resolve("auto")
