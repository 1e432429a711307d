"""Correct work graded on a machine kept busy: no correct submission may lose a point.

    .venv/bin/python benchmarks/load_grading.py [--copies 3] [--load 2] [--workers 2]
        [--hw hw4,hw5] [--build-root DIR] [--no-baseline]

For each assignment, a folder of correct submissions (``--copies`` copies of the solved notebook
and the differently written correct solution of ``tests/assignments/test_<hw>.py``) is graded
twice: once on the machine as it is (the baseline, unless ``--no-baseline``), once while a load
generator keeps ``--load`` x (number of cores) busy processes running. hw4 q10 and hw5 q9 train
a model in every call (30 s and 40 s limits): before the time limits counted CPU seconds, a
busy machine turned that correct work into timeouts.

Prints, per assignment and condition: submissions, points lost (target: 0), the submissions that
lost any (with the message), grading time in all, and the slowest submission's time. The last
line is the whole summary as JSON.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the corpora live in tests/

from autograder import api  # noqa: E402
from autograder import fixtures as fixture_store  # noqa: E402
from autograder.course import Course  # noqa: E402
from tests.conftest import write_alternative, write_solved  # noqa: E402


def _busy(stop) -> None:
    while not stop.is_set():
        for _ in range(100_000):
            pass


class Load:
    """``n`` processes that each keep a core busy until the block ends."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.stop = mp.Event()
        self.procs: list[mp.Process] = []

    def __enter__(self) -> "Load":
        for _ in range(self.n):
            p = mp.Process(target=_busy, args=(self.stop,), daemon=True)
            p.start()
            self.procs.append(p)
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for p in self.procs:
            p.join(5)
            if p.is_alive():
                p.kill()


def corpus(course: Course, hw: str, folder: Path, copies: int) -> list[str]:
    """The correct submissions of ``hw`` in ``folder``: their names."""
    tests = __import__(f"tests.assignments.test_{hw}", fromlist=["ALTERNATIVE"])
    # hw2's correct alternative is a list of (old, new) edits of the solved notebook
    alternative = getattr(tests, "ALTERNATIVE", None) or tests.DIFFERENT_BUT_CORRECT
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(copies):
        write_solved(course, hw, folder / f"solved_{i}.ipynb")
        names.append(f"solved_{i}")
    if isinstance(alternative, dict):
        write_alternative(course, hw, folder / "alternative.ipynb", alternative)
    else:
        write_solved(course, hw, folder / "alternative.ipynb", alternative)
    names.append("alternative")
    return names


def grade(course: Course, hw: str, folder: Path, out: Path, workers: int) -> dict:
    start = time.monotonic()
    run = api.grade(hw, [folder], out, course, workers=workers, device="cpu", regrade=True)
    seconds = time.monotonic() - start
    lost = {r.submission: (round(r.max_score - r.score, 6), r.status, r.message[:300])
            for r in run.results if r.score < r.max_score or r.status != "graded"}
    return {"submissions": len(run.results),
            "points_lost": round(sum(v[0] for v in lost.values()), 6),
            "losing": lost, "seconds": round(seconds, 1),
            "slowest_submission_seconds": round(max(r.seconds for r in run.results), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--load", type=float, default=2.0, help="busy processes per core")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--hw", default="hw4,hw5")
    parser.add_argument("--build-root", type=Path, default=None)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    busy = max(1, round(args.load * cores))
    work = Path(tempfile.mkdtemp(prefix="load-grading-"))
    course = Course(REPO, build_root=args.build_root or work / "build")
    summary: dict = {"cores": cores, "busy_processes": busy, "workers": args.workers,
                     "copies": args.copies, "results": {}}
    for hw in args.hw.split(","):
        fixture_store.ensure(course, course.config(hw))
        folder = work / hw / "submissions"
        corpus(course, hw, folder, args.copies)
        conditions = ([] if args.no_baseline else ["idle"]) + ["loaded"]
        for condition in conditions:
            out = work / hw / condition
            if condition == "loaded":
                with Load(busy):
                    figures = grade(course, hw, folder, out, args.workers)
            else:
                figures = grade(course, hw, folder, out, args.workers)
            summary["results"][f"{hw}/{condition}"] = figures
            print(f"{hw} {condition:6s}: {figures['submissions']} correct submissions, "
                  f"{figures['points_lost']:g} points lost, {figures['seconds']:.1f} s in all, "
                  f"slowest {figures['slowest_submission_seconds']:.1f} s", flush=True)
            for name, (points, status, message) in figures["losing"].items():
                print(f"    {name}: -{points:g} ({status}) {message}", flush=True)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
