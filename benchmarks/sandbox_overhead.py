"""What the sandbox costs per submission, per isolation level, once a worker is warm.

    .venv/bin/python benchmarks/sandbox_overhead.py [--repeat 30] [--levels namespaces,userns,...]
        [--build-root DIR]

Two measurements per level, each the median over ``--repeat`` runs on one warm zygote:

* ``empty``: a job with one trivial cell and no cases: the fixed cost of one sandboxed run
  (fork, entering the level, the harness, tearing everything down) as the grader sees it;
* ``hw1``: grading the solved hw1 notebook end to end (22 cells, 68 cases), as ``autograder
  grade`` does it (needs ``autograder build hw1``).

Besides wall-clock time it reports CPU time per submission (this process, the zygote and the
sandboxes it forked), which a busy machine distorts much less.

The ``process`` level (a plain forked child with resource limits) is the baseline: what a level
adds over it is its isolation overhead. As root, ``process`` is refused when the Python runtime is
readable by root only (see docs/ISOLATION.md); the weakest available level is the baseline then,
or run the benchmark as an ordinary user.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from autograder.sandbox import isolation, session, wire
from autograder.sandbox.client import Zygote
from autograder.sandbox.limits import Limits


def empty_job() -> bytes:
    return wire.dumps({"cells": ["x = 1"], "device": "cpu", "call_seconds": 5.0,
                       "load_seconds": 5.0, "questions": []})


def hw1_grader(build_root: str | None = None):
    from autograder import fixtures as fixture_store
    from autograder.assign.solved import solved_notebook
    from autograder.course import Course
    from autograder.grade.pipeline import Grader
    from autograder.ingest import Submission

    course = Course.find(Path(__file__).resolve().parents[1])
    if build_root:  # e.g. when the course's build/ is not writable by this user
        course = Course(course.root, build_root=Path(build_root))
    config = course.config("hw1")
    fixtures, _ = fixture_store.ensure(course, config)
    grader = Grader.for_assignment(config, fixtures)
    nb = solved_notebook(course.student_notebook("hw1"), course.solution_notebook("hw1"))
    sub = Submission("solved", "solved", "solved", json.dumps(nb).encode())
    return grader, sub


def _cpu_seconds(zygote: Zygote) -> float:
    """CPU time of this process, the zygote and its reaped children (the sandboxes)."""
    with open(f"/proc/{zygote.proc.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return time.process_time() + ticks / os.sysconf("SC_CLK_TCK")


def median_ms(fn, repeat: int, zygote: Zygote) -> tuple[float, float, float]:
    """(median, minimum, CPU per run) in ms. On a busy machine the minimum and the CPU time
    are better estimates of what a run itself costs; the median says what to expect."""
    fn()  # warm up
    zygote.wait_idle()
    times = []
    cpu = _cpu_seconds(zygote)
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    zygote.wait_idle()
    cpu = (_cpu_seconds(zygote) - cpu) * 1000 / repeat
    return statistics.median(times), min(times), cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--levels", default=",".join(isolation.LEVELS))
    ap.add_argument("--build-root", default=None, help="where hw1's fixtures are (re)built")
    args = ap.parse_args()
    try:
        grader, sub = hw1_grader(args.build_root)
    except Exception as e:  # noqa: BLE001
        print(f"(hw1 not available: {e}; measuring the empty job only)", file=sys.stderr)
        grader = sub = None
    job, limits = empty_job(), Limits(wall_seconds=30)
    rows = []
    for level in args.levels.split(","):
        why = isolation.probe(level)
        if why:
            print(f"{level:11s} unavailable: {why}")
            continue
        with Zygote(level) as z:
            def run_empty():
                out = session.run_job(z, job, limits)
                assert out.messages and out.messages[-1]["kind"] == "done", out
            empty = median_ms(run_empty, args.repeat, z)
            full = None
            if grader is not None:
                def run_hw1():
                    result, _ = grader.grade(sub, z)
                    assert result.score == result.max_score, result.message
                full = median_ms(run_hw1, args.repeat, z)
        rows.append((level, empty, full))
    by_level = {name: (e, f) for name, e, f in rows}
    base_name = "process" if "process" in by_level else (rows[-1][0] if rows else "")
    base = by_level.get(base_name)
    print(f"\nms per submission over {args.repeat} runs: median (minimum) [CPU: grader + "
          f"zygote + sandbox]; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'level':11s} {'empty job':>24s} {'hw1 solved':>24s}   CPU overhead vs {base_name}: "
          f"empty / hw1")
    for level, empty, full in rows:
        extra = ""
        if base:
            extra = f"{empty[2] - base[0][2]:+.1f} ms"
            if full and base[1]:
                extra += f" / {full[2] - base[1][2]:+.1f} ms"
        f = f"{full[0]:6.1f} ({full[1]:6.1f}) [{full[2]:5.1f}]" if full else " " * 24
        print(f"{level:11s} {empty[0]:6.1f} ({empty[1]:6.1f}) [{empty[2]:5.1f}]   {f}   {extra}")


if __name__ == "__main__":
    main()
