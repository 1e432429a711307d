"""Time limits count the CPU seconds of the submission's processes, with a wall-clock backstop
for code that sleeps: a busy machine slows a submission down but cannot time it out, and a
sleeping one is still stopped. Each message names the limit that stopped it."""
from __future__ import annotations

import time

import pytest

from autograder.sandbox import isolation, session
from autograder.sandbox.client import Zygote
from autograder.sandbox.limits import Limits
from autograder.sandbox.reports import CaseReport, Status

BUSY = "def probe():\n    while True:\n        pass\n"
SLEEPY = "import time\ndef probe():\n    time.sleep(300)\n"
# a call that turns off the harness's own timers, then sleeps: only the grader can stop it
DEAF = ("import signal, time\n"
        "def probe():\n"
        "    signal.setitimer(signal.ITIMER_REAL, 0)\n"
        "    signal.setitimer(signal.ITIMER_PROF, 0)\n"
        "    time.sleep(300)\n")
# turns off its timers and burns CPU: what stops it is the submission's CPU budget
HOG = ("import signal\n"
       "def probe():\n"
       "    signal.setitimer(signal.ITIMER_REAL, 0)\n"
       "    signal.setitimer(signal.ITIMER_PROF, 0)\n"
       "    while True:\n"
       "        pass\n")


@pytest.fixture(scope="module")
def zygote():
    with Zygote(isolation.resolve("auto")) as z:
        yield z


def run(z: Zygote, cell: str, limits: Limits, cases: int = 1, names=("probe",)):
    job = session.make_job({
        "cells": [cell], "device": "cpu", "call_seconds": limits.call_seconds,
        "load_seconds": limits.load_seconds,
        "questions": [{"question": name, "name": name, "call": "function",
                       "cases": [{"name": f"c{i}", "hidden": True, "args": [],
                                  "kwargs": {}} for i in range(cases)]}
                      for name in names]})
    start = time.monotonic()
    out = session.run_job(z, job, limits)
    return out, time.monotonic() - start


def cases(out) -> list[CaseReport]:
    return out.reports


def test_a_busy_loop_is_stopped_by_its_cpu_time(zygote):
    """A generous backstop (30x) never comes into it: the CPU timer stops the loop after one
    CPU second, however slowly that second passes on a loaded machine."""
    limits = Limits(call_seconds=1, backstop=30, grace_seconds=2)
    out, _ = run(zygote, BUSY, limits)
    (report,) = cases(out)
    assert report.status is Status.TIMEOUT and report.limit == "cpu"
    assert out.incidents == [("timeout", "probe: `probe` did not finish within its CPU time "
                                         "limit of 1 s (case c0)")]


def test_a_sleeping_call_is_stopped_by_the_wall_clock_backstop(zygote):
    limits = Limits(call_seconds=0.5, backstop=4, grace_seconds=2)
    out, seconds = run(zygote, SLEEPY, limits)
    (report,) = cases(out)
    assert report.status is Status.TIMEOUT and report.limit == "wall"
    assert seconds >= 2  # not at the CPU limit: sleeping uses none
    (incident,) = out.incidents
    assert "did not finish within the wall-clock backstop of 2 s (4 x its CPU time limit of " \
           "0.5 s, for code that sleeps or waits)" in incident[1]


def test_a_call_that_turns_off_its_timers_is_killed_by_the_grader_at_the_backstop(zygote):
    limits = Limits(call_seconds=0.5, backstop=4, grace_seconds=1)
    out, seconds = run(zygote, DEAF, limits, cases=2)
    first, second = cases(out)
    assert first.status is Status.TIMEOUT and first.limit == "wall"
    assert second.status is Status.TIMEOUT and second.skipped  # not called again
    assert 3 <= seconds < 60
    assert "did not finish within the wall-clock backstop of 2 s (4 x its CPU time limit of " \
           "0.5 s, for code that sleeps or waits) and was stopped" in out.incidents[0][1]


def test_the_whole_submission_has_a_cpu_budget(zygote):
    """A call that escapes its own timers burns the submission's CPU budget (RLIMIT_CPU of
    the sandbox: what is left of ``wall_seconds``) and no more; the run then ends as a
    timeout that names the CPU limit."""
    limits = Limits(call_seconds=60, wall_seconds=2, backstop=30, grace_seconds=2)
    out, _ = run(zygote, HOG + "def other():\n    return 1\n", limits,
                 names=("probe", "other"))
    (first,) = cases(out)  # "other" is never run: the budget is spent
    assert first.status is Status.TIMEOUT and first.limit == "cpu"
    assert "ran out of CPU time (the submission's CPU time limit is 2 s" in out.incidents[0][1]
    assert out.cpu_seconds >= 2  # measured by the zygote, not reported by the submission
    assert out.timed_out and out.timeout_limit == "cpu"


def test_correct_work_is_measured_in_cpu_seconds_not_wall_seconds(zygote):
    """Half a CPU second of work under a 1 s CPU limit passes whatever the wall clock says
    (on this shared machine it may take several seconds)."""
    cell = ("import time\n"
            "def probe():\n"
            "    t = time.process_time()\n"
            "    while time.process_time() - t < 0.5:\n"
            "        pass\n"
            "    return 1\n")
    out, _ = run(zygote, cell, Limits(call_seconds=1, backstop=30, grace_seconds=2))
    (report,) = cases(out)
    assert report.status is Status.RETURNED and report.value == 1 and not out.incidents


@pytest.mark.parametrize("spin, backstop, limit", [
    ("    while True:\n        pass\n", 30, "the loading CPU time limit of 1 s"),
    ("    import time\n    time.sleep(300)\n", 3,
     "the wall-clock backstop of 3 s (3 x the loading CPU time limit of 1 s"),
])
def test_a_cell_past_the_loading_limit_is_skipped_and_the_rest_is_graded(zygote, spin, backstop,
                                                                          limit):
    limits = Limits(load_seconds=1, backstop=backstop, grace_seconds=2)
    job = session.make_job({
        "cells": ["class Spin:\n" + spin, "def probe():\n    return 5\n"],
        "device": "cpu", "call_seconds": 5.0, "load_seconds": 1.0,
        "questions": [{"question": "q", "name": "probe", "call": "function",
                       "cases": [{"name": "c", "hidden": True, "args": [],
                                  "kwargs": {}}]}]})
    out = session.run_job(zygote, job, limits)
    (report,) = cases(out)
    assert report.status is Status.RETURNED and report.value == 5
    (incident,) = out.incidents
    assert incident[0] == "timeout" and incident[1].startswith("code cell 0 did not finish "
                                                               "within " + limit)
    assert incident[1].endswith("the cell was skipped")
