"""Grading throughput: this project against `otter run`, and against bare execution.

    .venv/bin/python benchmarks/throughput.py [--hw hw1] [--sizes 1,10,100,1000] [--otter 3]
                                              [--workers N] [--rerun 300] [--course-scale 1500]

Prints, for assignment HW (built first if needed):
  * bare: the submission's own work in an already-warm interpreter — exec its definitions and
    call its functions on the same inputs, in-process, no isolation, no comparison;
  * ours, 1 worker: wall time per submission through the whole pipeline (sandboxed child forked
    from a warm zygote, wire format, ladder of checks, results written), and its overhead ratio
    over bare;
  * throughput at each size (fresh output folder each time, so nothing is reused);
  * `otter run` on the autograder zip that `otter assign` made during the build, on a few of the
    same submissions, and the throughput ratio;
  * an unchanged re-run of `grade` on RERUN graded submissions (the CLI, end to end);
  * COURSE-SCALE submissions (300 students × 5 assignments) graded in one run, wall time.
Submissions are the solved student notebook with a different comment in each, so that every one
has different bytes (no cache hit) and full marks.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autograder import api, fixtures as fixture_store  # noqa: E402
from autograder.assign.solved import solved_notebook  # noqa: E402
from autograder.course import Course  # noqa: E402
from autograder.grade.ingest import code_cells  # noqa: E402


def make_submissions(course: Course, hw: str, folder: Path, n: int, start: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    base = solved_notebook(course.student_notebook(hw), course.solution_notebook(hw))
    paths = []
    for i in range(start, start + n):
        nb = json.loads(json.dumps(base))
        nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [],
                            "execution_count": None, "source": f"# submission {i}"})
        path = folder / f"student{i:05d}_{hw}.ipynb"
        path.write_text(json.dumps(nb))
        paths.append(path)
    return paths


def bare_seconds(course: Course, hw: str, notebook: Path, repeats: int = 5) -> float:
    """The submission's own work, warm, in-process: definitions + every call on every case."""
    import torch

    from autograder.sandbox import harness

    torch.set_num_threads(1)
    fixtures, _ = fixture_store.ensure(course, course.config(hw))
    cells = code_cells(notebook.read_bytes())
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        namespace = {"__name__": "__main__"}
        for source in cells:
            try:
                exec(compile(harness.definitions(source), "<bare>", "exec"), namespace)
            except Exception:
                pass
        for case in fixtures.cases:
            target = namespace[case.spec]
            args, kwargs = case.inputs["args"], case.inputs["kwargs"]
            if case.call == "module":
                module = target(**case.inputs["init"])
                module.load_state_dict(case.inputs["state"])
                module.eval()
                with torch.no_grad():
                    module(*args, **kwargs)
            else:
                target(*args, **kwargs)
        best = min(best, time.perf_counter() - t)
    return best


def ours(course: Course, hw: str, paths: list[Path], workers: int) -> float:
    out = Path(tempfile.mkdtemp(prefix="bench-out-"))
    t = time.perf_counter()
    run = api.grade(hw, paths, out, course, workers=workers, device="cpu")
    seconds = time.perf_counter() - t
    assert all(r.score == r.max_score for r in run.results), "a correct submission lost points"
    shutil.rmtree(out, ignore_errors=True)
    return seconds


def otter_seconds(course: Course, hw: str, paths: list[Path]) -> float:
    bundle = course.build_dir(hw) / "otter" / f"{hw}-autograder.zip"
    assert bundle.is_file(), f"{bundle} missing: run `autograder build {hw}` (with otter)"
    total = 0.0
    for path in paths:
        out = Path(tempfile.mkdtemp(prefix="bench-otter-"))
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "otter", "run", "-a", str(bundle), "-o", str(out),
                        str(path)], check=True, capture_output=True)
        total += time.perf_counter() - t
        shutil.rmtree(out, ignore_errors=True)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hw", default="hw1")
    parser.add_argument("--sizes", default="1,10,100,1000")
    parser.add_argument("--otter", type=int, default=3, help="submissions for otter run (0: skip)")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--rerun", type=int, default=300)
    parser.add_argument("--course-scale", type=int, default=1500)
    args = parser.parse_args()
    course = Course(REPO)
    hw = args.hw
    if not (course.build_dir(hw) / "otter" / f"{hw}-autograder.zip").is_file():
        api.build(hw, course)
    work = Path(tempfile.mkdtemp(prefix="bench-subs-"))
    sizes = [int(s) for s in args.sizes.split(",") if s]
    biggest = max(sizes + [args.rerun, args.course_scale, args.otter, 10])
    paths = make_submissions(course, hw, work, biggest)
    print(f"assignment {hw}: {len(fixture_store.ensure(course, course.config(hw))[0].cases)} cases")

    bare = bare_seconds(course, hw, paths[0])
    print(f"bare execution (warm, in-process):      {bare * 1000:8.1f} ms / submission")
    ours(course, hw, paths[:2], 1)  # warm the page cache and torch's lazy imports
    one = ours(course, hw, paths[:10], 1) / 10
    print(f"ours, 1 worker, end to end:             {one * 1000:8.1f} ms / submission "
          f"(overhead ratio {one / bare:.2f}× bare; includes one zygote start)")

    rates = {}
    for n in sizes:
        seconds = ours(course, hw, paths[:n], args.workers)
        rates[n] = n / seconds
        print(f"ours, {n:5d} submissions:               {seconds:8.2f} s  "
              f"{rates[n]:7.1f} submissions/s")
    if args.otter:
        seconds = otter_seconds(course, hw, paths[:args.otter])
        otter_rate = args.otter / seconds
        best = max(rates.values())
        print(f"otter run, {args.otter} submissions:            {seconds:8.2f} s  "
              f"{otter_rate:7.3f} submissions/s ({seconds / args.otter:.1f} s each)")
        print(f"throughput ratio ours / otter:          {best / otter_rate:8.1f}×")

    if args.rerun:
        out = Path(tempfile.mkdtemp(prefix="bench-rerun-"))
        folder = work / "rerun"
        folder.mkdir()
        for p in paths[:args.rerun]:
            shutil.copy(p, folder / p.name)
        cmd = [str(REPO / ".venv" / "bin" / "autograder"), "grade", hw, str(folder), "-o", str(out),
               "-q", "--course", str(REPO)]
        subprocess.run(cmd, check=True, capture_output=True)
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        print(f"unchanged re-run of {args.rerun} (CLI, end to end): {time.perf_counter() - t:8.2f} s")

    if args.course_scale:
        seconds = ours(course, hw, paths[:args.course_scale], args.workers)
        print(f"{args.course_scale} submissions in one run:         {seconds:8.1f} s "
              f"({seconds / 60:.1f} min)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
