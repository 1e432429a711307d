"""The next job's sandbox is set up while the current one runs (a *spare*, see
``autograder.sandbox.worker.spawn.Child``): a run in a spare must be exactly as isolated and limited
as a run in a freshly forked sandbox, a spare set up for other limits must never be used, and
closing a worker must leave no spare behind."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from autograder.sandbox import isolation
from autograder.sandbox.limits import Limits
from autograder.sandbox.client import Zygote
from autograder.sandbox.worker.spawn import descendants

from ..conftest import REPO
from .test_isolation import CONFINED, LIMITS, run, value

PROBE = '''
def probe():
    import os, resource
    tmp = os.environ.get("TMPDIR", "/tmp")
    seen = {"uid": os.getuid(), "pid": os.getpid(), "cwd": os.getcwd(),
            "tmp": sorted(os.listdir(tmp)),
            "file_limit": resource.getrlimit(resource.RLIMIT_FSIZE)[0],
            "memory_limit": resource.getrlimit(resource.RLIMIT_AS)[0]}
    with open(tmp + "/left-by-the-last-run", "w") as f:
        f.write("x")
    return seen
'''


def _settled_descendants(pid: int) -> set[int]:
    """The live descendants of ``pid`` once a finished run's supervisor, which the zygote does
    not wait for, has had time to end (it stays a zombie until the next job)."""
    time.sleep(0.5)
    return {p for p in descendants(pid) if _alive(p)}


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("level", CONFINED)
def test_runs_in_spares_are_isolated_like_the_first_and_use_their_own_limits(level):
    other = Limits(**{**LIMITS.to_dict(), "file_bytes": 3 << 20, "memory_bytes": 3 << 30})
    with Zygote(level) as z:
        seen = [value(run(z, [PROBE], limits=limits)) for limits in (LIMITS, LIMITS, other,
                                                                     other, LIMITS)]
    first = seen[0]
    for s, limits in zip(seen, (LIMITS, LIMITS, other, other, LIMITS)):
        if os.geteuid() == 0 and level == "namespaces":  # the slot's two uids, in turn
            assert s["uid"] in isolation.slot_uids(z.slot)
        else:
            assert s["uid"] == first["uid"]
        if level != "landlock":  # (landlock's home is the run's own fresh folder)
            assert s["pid"] == 1 and s["cwd"] == first["cwd"]
        assert "left-by-the-last-run" not in s["tmp"]  # every run has a fresh scratch folder
        assert s["file_limit"] == limits.file_bytes and s["memory_limit"] == limits.memory_bytes


@pytest.mark.parametrize("level", CONFINED)
def test_a_worker_keeps_one_spare_and_closing_it_leaves_nothing(level):
    z = Zygote(level)
    try:
        # each process is named for its role (what ps, top and perf show)
        name = "def probe():\n    return open('/proc/self/comm').read().strip()\n"
        assert value(run(z, [name])) == "ag-submission"
        z.wait_idle()
        spare = _settled_descendants(z.proc.pid)
        assert _comm(z.proc.pid) == "ag-zygote"
        assert {_comm(p) for p in spare} - {""} <= {"ag-supervisor", "ag-spare"}
        if level == "userns" and os.geteuid() == 0:
            # a root grader's userns sandboxes hold the slot uid from the start, and the sweep
            # after each run would kill a spare: none is kept
            assert not spare
            return
        assert spare, "no sandbox was started ahead of the next job"
        assert value(run(z, ["def probe():\n    return 2\n"])) == 2  # runs in the spare
        z.wait_idle()
        after = _settled_descendants(z.proc.pid)
        assert after and not spare & after, "the spare was not used, or none replaced it"
        spare = after
    finally:
        z.close()
    deadline = time.monotonic() + 5
    while any(_alive(p) for p in spare) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in spare if _alive(p)]
    if os.geteuid() == 0 and level != "landlock":
        assert not any(isolation.processes_of(uid) for uid in isolation.slot_uids(z.slot))


def test_a_spare_whose_set_up_failed_is_replaced():
    """Limits that the sandbox cannot enter (a negative tmpfs size) fail the run that uses
    them, and the spare set up with them is not used for the next job."""
    level = CONFINED[0]
    bad = Limits(**{**LIMITS.to_dict(), "tmp_bytes": -1})
    with Zygote(level) as z:
        assert value(run(z, ["def probe():\n    return 1\n"])) == 1
        out = run(z, ["def probe():\n    return 1\n"], limits=bad)
        assert out.setup_error
        out = run(z, ["def probe():\n    return 1\n"], limits=bad)  # its spare failed too
        assert out.setup_error
        assert value(run(z, ["def probe():\n    return 3\n"])) == 3


def test_the_warm_up_job_runs_clean():
    """A spare swallows warm-up failures (it is only slower without it), so the warm-up job is
    checked here: every case returns. In a subprocess: the harness kills its process's
    children after each call, and this test process has zygotes as children."""
    code = ("import io, json; from autograder.sandbox import wire\n"
            "from autograder.sandbox.worker import harness\n"
            "out = io.BytesIO(); harness.main(io.BytesIO(harness.warm_up_stream()), out)\n"
            "buf = io.BytesIO(out.getvalue()); msgs = []\n"
            "while buf.tell() < len(out.getvalue()): msgs.append(wire.read_message(buf))\n"
            "print(json.dumps([[m['kind'], m.get('status'), m.get('error_type')] for m in msgs"
            " if m['kind'] != 'cell']))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    kinds = json.loads(done.stdout)
    loaded = [k for k in kinds if k[0] == "loaded"]
    assert loaded and kinds[-1] == ["done", None, None]
    assert [k for k in kinds if k[0] == "case"] == [["case", "returned", None]] * 2, kinds


STUCK = '''
import os, time
os._exit = lambda code: time.sleep(120)  # the harness's own exit, after "done", now hangs

def probe():
    return os.getuid()
'''


@pytest.mark.parametrize("level", CONFINED)
def test_a_run_that_does_not_exit_after_its_last_report_holds_up_nothing(level):
    """Once a run has reported everything, the next job comes at once and the finished run,
    exiting anyway, is killed: one whose process does not exit costs nothing (a worker used to
    wait for it until its wall-clock limit). A root grader's namespace sandboxes go further:
    they take the slot's two uids in turn and the next run starts while the last one is still
    being torn down; a uid is used again only once the run before under it has been swept."""
    limits = Limits(**{**LIMITS.to_dict(), "wall_seconds": 120})
    with Zygote(level) as z:
        start = time.monotonic()
        uids = [value(run(z, [STUCK], limits=limits)) for _ in range(4)]
        # the last one exits normally (a stuck last run would be waited for until its limit)
        uids.append(value(run(z, ["import os\ndef probe():\n    return os.getuid()\n"])))
        elapsed = time.monotonic() - start
        z.wait_idle()
        assert elapsed < 30, elapsed
        if os.geteuid() == 0 and level == "namespaces":
            assert set(uids) == set(isolation.slot_uids(z.slot)) and uids[0] != uids[1]
            assert uids[::2] == [uids[0]] * 3 and uids[1::2] == [uids[1]] * 2
        else:
            assert len(set(uids)) == 1
        if os.geteuid() == 0 and level != "landlock":
            assert not any(isolation.processes_of(uid) for uid in isolation.slot_uids(z.slot))
