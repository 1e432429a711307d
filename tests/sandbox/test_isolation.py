"""Isolation properties, observed from inside the sandbox.

Each test runs a tiny job in a real sandboxed child: one cell that defines ``probe()``, one
(public) case that calls it; ``probe`` returns what it could see or do, and the test checks it.
On this machine (root, Linux 6.x) every level is available; ``test_as_a_non_root_user`` also
runs the grader as an unprivileged uid, the way a shared university server would.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time

import pytest

from autograder.sandbox import isolation, session, wire
from autograder.sandbox.client import Zygote
from autograder.sandbox.limits import Limits

from ..conftest import REPO

ROOT = os.geteuid() == 0
NS_LEVELS = ["namespaces", "userns"] if ROOT else ["userns"]
CONFINED = [*NS_LEVELS, "landlock"]
LIMITS = Limits(wall_seconds=60, call_seconds=10, load_seconds=10, grace_seconds=2)

OBSERVE = '''
def probe():
    import ctypes, os, socket, sys
    seen = {"uid": os.getuid(), "gid": os.getgid(), "pid": os.getpid(),
            "groups": os.getgroups(), "cwd": os.getcwd()}
    def can(f):
        try:
            f()
            return True
        except Exception:
            return False
    try:
        seen["repo_listing"] = os.listdir(REPO)
    except OSError:
        seen["repo_listing"] = None
    seen["read_solution"] = can(lambda: open(REPO + "/solutions/hw1/grading.toml").read())
    seen["read_reference"] = can(lambda: open(REPO + "/reference/rnn.py").read())
    seen["import_reference"] = can(lambda: __import__("reference.rnn"))
    seen["import_specs"] = can(lambda: __import__("autograder.specs"))
    seen["write_usr"] = can(lambda: open("/usr/lib/ag-test-write", "w").write("x"))
    seen["write_home"] = can(lambda: open(os.path.expanduser("~/x"), "w").write("x"))
    seen["write_tmp"] = can(lambda: open(os.environ.get("TMPDIR", "/tmp") + "/x", "w").write("x"))
    seen["tcp_loopback"] = can(lambda: socket.create_connection(("127.0.0.1", PORT), 1).close())
    seen["tcp_out"] = can(lambda: socket.create_connection(("8.8.8.8", 53), 1).close())
    seen["udp_out"] = can(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(
        b"x", ("8.8.8.8", 53)))
    seen["unix_socketpair"] = can(lambda: socket.socketpair())
    try:
        seen["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    except OSError:  # landlock: only its own /proc/<pid>
        seen["pids"] = None
    seen["secret_in_environ"] = "AG_TEST_SECRET" in os.environ
    seen["secret_in_proc_environ"] = can(lambda: _assert(b"AG_TEST_SECRET" in open(
        "/proc/self/environ", "rb").read()))
    libc = ctypes.CDLL(None, use_errno=True)
    seen["umount_usr"] = libc.umount2(b"/usr", 2) == 0
    seen["mount_tmpfs"] = libc.mount(b"tmpfs", b"/tmp", b"tmpfs", 0, None) == 0
    seen["kill_parent"] = os.getppid() > 1 and can(lambda: os.kill(os.getppid(), 0))
    with open("/proc/self/status") as f:
        seen["cap_eff"] = [l.split()[1] for l in f if l.startswith("CapEff")][0]
    seen["nnp"] = [l.split()[1] for l in open("/proc/self/status") if l.startswith("NoNewPrivs")][0]
    seen["modules"] = sorted(m for m in sys.modules if m.split(".")[0] in ("reference",
                                                                           "autograder"))
    return seen

def _assert(x):
    if not x:
        raise AssertionError
'''


def run(zygote: Zygote, cells: list[str], cases: int = 1, limits: Limits = LIMITS,
        call: str = "probe"):
    job = wire.dumps({"cells": cells, "device": "cpu", "call_seconds": limits.call_seconds,
                      "load_seconds": limits.load_seconds,
                      "questions": [{"question": "q", "name": call, "call": "function",
                                     "cases": [{"name": f"c{i}", "hidden": False, "args": [],
                                                "kwargs": {}} for i in range(cases)]}]})
    return session.run_job(zygote, job, limits)


def value(out) -> dict:
    reports = [m for m in out.messages if m.get("kind") == "case"]
    assert reports and reports[0]["status"] == "returned", (reports, out.output[-2000:])
    return reports[0]["value"]


@pytest.fixture(scope="module")
def listener():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    yield s.getsockname()[1]
    s.close()


@pytest.fixture(scope="module")
def zygotes():
    """One warm zygote per level, shared by the tests of this module."""
    made: dict[str, Zygote] = {}

    def get(level: str) -> Zygote:
        if level not in made:
            made[level] = Zygote(level)
        return made[level]

    os.environ["AG_TEST_SECRET"] = "x"  # in the grader's environment only: never inside
    try:
        yield get
    finally:
        del os.environ["AG_TEST_SECRET"]
        for z in made.values():
            z.close()


@pytest.fixture(scope="module")
def observed(listener, zygotes):
    """What ``probe`` sees at each confined level."""
    found = {}
    for level in CONFINED:
        z = zygotes(level)
        code = f"REPO = {str(REPO)!r}\nPORT = {listener}\n" + OBSERVE
        found[level] = (value(run(z, [code])), z.slot)
    return found


def test_auto_picks_the_strongest_level_and_says_which():
    assert isolation.resolve("auto") == ("namespaces" if ROOT else "userns")
    with Zygote("auto") as z:
        assert z.level == isolation.resolve("auto")
    with pytest.raises(isolation.IsolationError):
        isolation.resolve("chroot")


@pytest.mark.parametrize("level", CONFINED)
def test_the_course_is_invisible_and_unimportable(observed, level):
    seen, _ = observed[level]
    assert not seen["read_solution"] and not seen["read_reference"]
    assert not seen["import_reference"] and not seen["import_specs"]
    if level in NS_LEVELS:  # at most the folders on the way to the virtual environment
        assert seen["repo_listing"] in (None, [], [".venv"]), seen["repo_listing"]


@pytest.mark.parametrize("level", CONFINED)
def test_nothing_of_the_grader_is_in_memory_but_the_sandbox_code(observed, level):
    """The child is forked from the zygote: it has exactly the modules the zygote imported,
    and the zygote never imports the reference, the specs, the fixtures or the grading code."""
    seen, _ = observed[level]
    allowed = {"autograder", "autograder.sandbox", "autograder.sandbox.limits",
               "autograder.sandbox.wire"}
    packages = ("autograder.sandbox.isolation", "autograder.sandbox.worker")
    extra = {m for m in seen["modules"]
             if m not in allowed and not any(m == p or m.startswith(p + ".") for p in packages)}
    assert not extra, extra
    assert "autograder.sandbox.worker.harness" in seen["modules"]


@pytest.mark.parametrize("level", CONFINED)
def test_no_network(observed, level):
    seen, _ = observed[level]
    assert not seen["tcp_loopback"] and not seen["tcp_out"] and not seen["udp_out"]
    assert seen["unix_socketpair"]  # multiprocessing and friends still work


@pytest.mark.parametrize("level", CONFINED)
def test_no_privilege_and_nothing_to_write_but_its_own_folders(observed, level):
    seen, slot = observed[level]
    assert seen["cap_eff"] == "0000000000000000" and seen["nnp"] == "1"
    assert not seen["umount_usr"] and not seen["mount_tmpfs"]
    assert not seen["write_usr"] and seen["write_home"] and seen["write_tmp"]
    if level in NS_LEVELS:
        assert seen["uid"] != 0 and seen["groups"] == []
        if ROOT:
            assert seen["uid"] in isolation.slot_uids(slot)
    assert not seen["secret_in_environ"] and not seen["secret_in_proc_environ"]


@pytest.mark.parametrize("level", NS_LEVELS)
def test_own_pid_namespace(observed, level):
    seen, _ = observed[level]
    assert seen["pid"] == 1 and seen["pids"] == [1]
    assert not seen["kill_parent"]


def test_landlock_cannot_signal_the_grader(observed):
    seen, _ = observed["landlock"]
    assert not seen["kill_parent"]


def test_process_level_as_root_is_refused_when_the_runtime_is_private():
    if not ROOT or all(isolation.world_readable(d) for d in
                       isolation.make_plan("namespaces").ro_dirs):
        assert isolation.resolve("process") == "process"
    else:
        with pytest.raises(isolation.IsolationError, match="root"):
            isolation.resolve("process")


@pytest.mark.parametrize("level", CONFINED)
def test_limits_memory_file_size_processes(level, zygotes):
    limits = Limits(wall_seconds=60, call_seconds=10, load_seconds=10, grace_seconds=2,
                    memory_bytes=2 << 30, file_bytes=1 << 20, processes=16)
    code = textwrap.dedent('''
    def probe():
        import os
        out = {}
        try:
            bytearray(4 << 30)
            out["memory"] = "allocated"
        except MemoryError:
            out["memory"] = "MemoryError"
        try:
            with open(os.environ.get("TMPDIR", "/tmp") + "/big", "wb") as f:
                f.write(b"x" * (2 << 20))
            out["file"] = "written"
        except OSError as e:
            out["file"] = type(e).__name__
        kids = 0
        for _ in range(100):
            try:
                if os.fork() == 0:
                    import time
                    time.sleep(30)
                    os._exit(0)
                kids += 1
            except OSError:
                break
        out["forks"] = kids
        return out
    ''')
    seen = value(run(zygotes(level), [code], limits=limits))
    assert seen["memory"] == "MemoryError" and seen["file"] == "OSError"
    if os.geteuid() != 0 or level in NS_LEVELS or isolation.make_plan(level).drop_uid:
        assert seen["forks"] < 16  # RLIMIT_NPROC, per slot uid (or per user namespace)


@pytest.mark.parametrize("level", CONFINED)
def test_a_hung_call_is_killed_with_everything_it_started(level, zygotes):
    """The call disables the in-sandbox timer and starts a setsid'd grandchild: the grader
    kills the process at the call limit, everything it started dies too, and the other cases
    run in a fresh process."""
    limits = Limits(wall_seconds=60, call_seconds=1, load_seconds=10, grace_seconds=1)
    marker = f"ag-hung-{level}"
    code = textwrap.dedent(f'''
    def probe():
        import ctypes, os, signal, time
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                ctypes.CDLL(None).prctl(15, b"{marker}", 0, 0, 0)
                while True:
                    time.sleep(0.05)
            os._exit(0)
        while True:
            pass

    def other():
        return 42
    ''')
    z = zygotes(level)
    start = time.monotonic()
    out = run(z, [code], cases=2, limits=limits)
    elapsed = time.monotonic() - start
    after = run(z, [code], limits=limits, call="other")  # the same zygote still works
    reports = [m for m in out.messages if m.get("kind") == "case"]
    assert [r["status"] for r in reports] == ["timeout", "timeout"] and reports[1]["skipped"]
    assert out.incidents and out.incidents[0][0] == "timeout"
    assert elapsed < 10
    assert value(after) == 42
    z.wait_idle()
    assert not _processes_named(marker)
    if ROOT and level in NS_LEVELS:
        assert not any(isolation.processes_of(uid) for uid in isolation.slot_uids(z.slot))


@pytest.mark.parametrize("level", CONFINED)
def test_what_a_call_leaves_running_is_gone_before_the_next_call(level, zygotes):
    """A call that returns but leaves processes behind (a child, and a setsid'd grandchild
    whose parent is still alive): both are killed before the next call runs."""
    code = textwrap.dedent('''
    started = []

    def probe():
        import os, time
        if not started:
            r, w = os.pipe()
            child = os.fork()
            if child == 0:
                if os.fork() == 0:
                    os.setsid()
                    os.write(w, str(os.getpid()).encode().ljust(16))
                while True:
                    time.sleep(0.05)
            started[:] = [child, int(os.read(r, 16))]
            return "started"
        deadline = time.monotonic() + 2  # SIGKILL is delivered at once, dying takes a moment
        while True:
            alive = []
            for pid in started:  # both are this process's children now (it is a subreaper)
                try:
                    if os.waitpid(pid, os.WNOHANG)[0] == 0:
                        alive.append(pid)
                except ChildProcessError:  # ended, and reaped already
                    pass
            if not alive or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        return len(alive)
    ''')
    out = run(zygotes(level), [code], cases=2)
    reports = [m for m in out.messages if m.get("kind") == "case"]
    assert [r.get("value") for r in reports] == ["started", 0], (reports, out.output[-2000:])


def _processes_named(name: str) -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == name:
                    found.append(pid)
        except OSError:
            pass
    return found


def test_a_cell_that_hangs_while_loading_is_skipped(zygotes):
    limits = Limits(wall_seconds=60, call_seconds=5, load_seconds=1, grace_seconds=1)
    cells = ["import signal\n_ = signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
             "class Spin:\n    while True:\n        pass\n",
             "def probe():\n    return 'still graded'\n"]
    out = run(zygotes(isolation.resolve("auto")), cells, limits=limits)
    assert value(out) == "still graded"
    assert out.incidents and "code cell 0" in out.incidents[0][1]


def test_the_wall_clock_bounds_the_whole_submission(zygotes):
    limits = Limits(wall_seconds=2.5, call_seconds=2, load_seconds=5, grace_seconds=1)
    code = ("import signal\n"
            "def probe():\n    import time\n    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
            "    time.sleep(60)\n")
    start = time.monotonic()
    out = run(zygotes(isolation.resolve("auto")), [code], cases=5, limits=limits)
    assert time.monotonic() - start < 8
    assert out.timed_out and not any(m.get("kind") == "done" for m in out.messages)


def test_setup_failure_is_reported_not_raised(zygotes):
    """A sandbox that cannot be entered gives a run with a setup error (a crashed row)."""
    z = zygotes(NS_LEVELS[0])
    bad = Limits(wall_seconds=20, tmp_bytes=-1)  # tmpfs refuses a negative size
    out = run(z, ["def probe():\n    return 1\n"], limits=bad)
    assert out.setup_error and not any(m.get("kind") == "case" for m in out.messages)
    out = run(z, ["def probe():\n    return 1\n"])  # and the worker goes on
    assert value(out) == 1


NONROOT = '''
import json, sys
from autograder.sandbox import isolation
from autograder.sandbox.client import Zygote
sys.path.insert(0, ".")
import os
from tests.sandbox.test_isolation import run, value, OBSERVE
out = {"auto": isolation.resolve("auto"), "levels": {}}
for level in ("userns", "landlock", "process"):
    with Zygote(level) as z:
        code = "REPO = " + repr(os.getcwd()) + "\\nPORT = 9\\n" + OBSERVE
        seen = value(run(z, [code]))
        out["levels"][level] = {"uid": seen["uid"], "level": z.level, "pid": seen["pid"],
                                "read_solution": seen["read_solution"],
                                "tcp_out": seen["tcp_out"]}
print(json.dumps(out))
'''


def test_as_a_non_root_user():
    """The grader run by an ordinary user: auto picks userns; landlock and process, when
    forced, are used and reported. As root, this runs the check as uid 60999 in a private
    mount namespace where /root (0700, holding this Python) is replaced by a readable view."""
    cmd = [sys.executable, "-c", NONROOT]
    if ROOT:
        if not (shutil.which("unshare") and shutil.which("setpriv")):
            pytest.fail("unshare and setpriv (util-linux) are needed to test as a non-root user")
        script = ('d=$(mktemp -d) && mount --bind /root/.pyenv "$d" && '
                  'mount -t tmpfs -o mode=755 tmpfs /root && mkdir -p /root/.pyenv && '
                  'mount --bind "$d" /root/.pyenv && exec setpriv --reuid=60999 --regid=60999 '
                  '--clear-groups --inh-caps=-all env HOME=/tmp TMPDIR=/tmp PATH=/usr/bin:/bin '
                  '"$@"') if sys.base_prefix.startswith("/root/") else \
            'exec setpriv --reuid=60999 --regid=60999 --clear-groups --inh-caps=-all "$@"'
        cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *cmd]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    import json

    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["auto"] == "userns"
    for level, seen in out["levels"].items():
        assert seen["level"] == level and seen["uid"] == (60999 if ROOT else os.getuid())
        assert not seen["tcp_out"]
    assert out["levels"]["userns"]["pid"] == 1
    assert not out["levels"]["userns"]["read_solution"]
    assert not out["levels"]["landlock"]["read_solution"]


def test_a_question_can_have_its_own_call_limit(zygotes):
    """``call_seconds`` on a question of the job overrides the job's, inside the sandbox and in
    the grader's watchdog alike."""
    limits = Limits(wall_seconds=60, call_seconds=30, load_seconds=10, grace_seconds=1)
    code = "def probe():\n    while True:\n        pass\n"
    job = wire.dumps({"cells": [code], "device": "cpu", "call_seconds": 30.0,
                      "load_seconds": 10.0,
                      "questions": [{"question": "q", "name": "probe", "call": "function",
                                     "call_seconds": 0.5,
                                     "cases": [{"name": "c0", "hidden": True, "args": [],
                                                "kwargs": {}}]}]})
    z = zygotes(isolation.resolve("auto"))
    run(z, ["def probe():\n    return 1\n"])  # warm
    start = time.monotonic()
    out = session.run_job(z, job, limits)
    assert time.monotonic() - start < 5
    (report,) = [m for m in out.messages if m.get("kind") == "case"]
    assert report["status"] == "timeout" and "0.5 s" in out.incidents[0][1]


@pytest.mark.parametrize("level", NS_LEVELS)
def test_a_runtime_under_tmp_stays_visible(level, monkeypatch):
    """A checkout and its virtual environment under /tmp (a CI runner's clone) must not be
    covered by the sandbox's private /tmp: its site-packages is bound on top of it."""
    import pathlib
    import tempfile

    top = pathlib.Path(tempfile.mkdtemp(dir="/tmp", prefix="ag-runtime-"))
    site = top / "venv" / "lib" / "site-packages"
    site.mkdir(parents=True)
    (site / "ag_tmp_runtime_probe.py").write_text("WHERE = __file__\n")
    monkeypatch.setenv("PYTHONPATH", str(site))
    z = Zygote(level)
    try:
        code = "def probe():\n    import ag_tmp_runtime_probe\n    return ag_tmp_runtime_probe.WHERE\n"
        assert value(run(z, [code])) == str(site / "ag_tmp_runtime_probe.py")
    finally:
        z.close()
        shutil.rmtree(top)
