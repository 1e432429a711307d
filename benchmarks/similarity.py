"""How long ``autograder similarity`` takes, and how its cost grows with the class size.

    .venv/bin/python benchmarks/similarity.py [--hw hw3] [--sizes 50,100,200,300,600]

Makes a synthetic class of hw3 submissions: each student answers every question with either the
master solution's cell or the test corpus's correct alternative (chosen per question), with
every local name renamed their own way (which copydetect's tokeniser undoes, so this class is
a hard case: most pairs share many fingerprints), leaves a sixth of the questions as the stub,
and one student in twenty hands in a classmate's notebook with the names changed. Then it runs
the verb on the first N of them, for each size, and prints the time of each phase: reading and
extracting the answers (ingest), fingerprinting, comparing the pairs, writing the CSV and HTML
(wall-clock seconds), the CPU seconds of the whole run (the machine is shared: wall time may
include waiting for a core), and the CPU time of the comparison per pair.

Fingerprinting is linear in the class; the comparison visits every pair that shares a
fingerprint, so it grows with the square of the class (n(n-1)/2 pairs), at 60-80 µs of CPU per
pair. Measured on the course's 2-core machine shared with other jobs (wall-clock phases include
waiting for a core; the CPU column is this process's own time):

    hw3: synthetic class of 600; seconds per phase
        n   pairs flagged  ingest  fprint  compare  write  total    cpu cpu us/pair
       50    1225     103    0.17    1.63     2.20   0.37   4.37   0.64       203.8
      100    4950     572    0.19    8.37     6.17   1.87  16.59   1.72       115.1
      200   19900    2593    0.62   16.95     8.85   3.47  29.89   3.76        58.6
      300   44850    5951    0.33   12.36    29.75  11.55  53.98   6.35        62.5
      600  179700   24342    0.72   27.66   143.16  44.49 216.03  23.05        77.7

    again for 300, the machine less busy:
      300   44850    5951    0.59    6.55     7.68   3.20  18.03   6.37        58.4
"""
from __future__ import annotations

import argparse
import ast
import builtins
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.course import Course  # noqa: E402
from autograder.ingest import collect  # noqa: E402
from autograder.similarity import answers as answer_cells  # noqa: E402
from autograder.similarity import detect, run, write  # noqa: E402
from tests.assignments.test_hw3 import ALTERNATIVE  # noqa: E402
from tests.conftest import write_alternative, write_solved  # noqa: E402

KEEP = set(dir(builtins)) | {"torch", "nn", "F", "math", "self", "super"}


def _rename(source: str, rng: random.Random) -> str:
    names: dict[str, str] = {}
    words = ["x", "val", "tmp", "out", "res", "a", "t", "z", "h", "m"]

    def new(name: str) -> str:
        if name in KEEP:
            return name
        return names.setdefault(name, f"{rng.choice(words)}{len(names)}")

    class Rename(ast.NodeTransformer):
        def visit_Name(self, node):
            node.id = new(node.id)
            return node

        def visit_arg(self, node):
            node.arg = new(node.arg)
            return node

    try:
        text = ast.unparse(Rename().visit(ast.parse(source)))
    except SyntaxError:
        return source
    return _own_style(text, rng)


def _own_style(text: str, rng: random.Random) -> str:
    """Lines of the student's own between the statements (a check, a value kept for printing,
    a debugging line), as different people's code has: an independent solution shares the
    method, not long runs of identical tokens."""
    lines, out = text.split("\n"), []
    for k, line in enumerate(lines):
        out.append(line)
        indent = line[:len(line) - len(line.lstrip())]
        if line.strip() and not line.rstrip().endswith(":") and rng.random() < 0.8:
            shape = rng.randrange(4)
            if shape == 0:
                out.append(f"{indent}_n{rng.randrange(99)} = {rng.randrange(1000)}")
            elif shape == 1:
                out.append(f"{indent}assert {rng.randrange(1, 50)} > {rng.randrange(0, 1)}")
            elif shape == 2:
                out.append(f"{indent}_seen.append({rng.randrange(100)} * {rng.random():.2f})")
            else:
                out.append(f"{indent}_dbg = ({rng.randrange(9)}, {rng.randrange(9)}, "
                           f"{rng.randrange(9)})")
    return "\n".join(out)


def make_class(course: Course, hw: str, n: int, folder: Path) -> None:
    solved = json.loads(write_solved(course, hw, folder / "_solved.ipynb").read_text())
    alt = json.loads(write_alternative(course, hw, folder / "_alt.ipynb", ALTERNATIVE)
                     .read_text())
    stub = json.loads(course.student_notebook(hw).read_text())
    (folder / "_solved.ipynb").unlink()
    (folder / "_alt.ipynb").unlink()
    rng = random.Random(0)
    made = []
    for i in range(n):
        nb = json.loads(json.dumps(stub))
        if i % 20 == 19 and made:  # a copy of an earlier classmate, names changed again
            nb = json.loads(made[rng.randrange(len(made))].read_text())
            for cell in nb["cells"]:
                if answer_cells.ANSWER_TAG in cell.get("metadata", {}).get("tags", []):
                    src = cell["source"]
                    cell["source"] = _rename("".join(src) if isinstance(src, list) else src, rng)
        else:
            for k, cell in enumerate(nb["cells"]):
                if answer_cells.ANSWER_TAG not in cell.get("metadata", {}).get("tags", []):
                    continue
                if rng.random() < 1 / 6:
                    continue  # left as the stub
                pick = rng.choice([solved, alt])["cells"][k]
                src = pick["source"]
                cell["source"] = _rename("".join(src) if isinstance(src, list) else src, rng)
        path = folder / f"student{i:04d}_{100000 + i}_{i}_{hw}.ipynb"
        path.write_text(json.dumps(nb))
        made.append(path)


def measure(released: Path, folder: Path, n: int, out: Path) -> dict[str, float]:
    t, cpu = [time.perf_counter()], [time.process_time()]
    data = released.read_bytes()
    fixed = answer_cells.released_fixed_cells(data)
    subs = collect(sorted(folder.glob("*.ipynb"))[:n])
    docs, _ = run._documents(subs, fixed)
    t.append(time.perf_counter())
    cpu.append(time.process_time())
    detect.fingerprint(docs, answer_cells.boilerplate(data))
    detect.drop_common(docs, run.COMMON)
    t.append(time.perf_counter())
    cpu.append(time.process_time())
    matches = detect.compare_all(docs, run.FLOOR)
    t.append(time.perf_counter())
    cpu.append(time.process_time())
    out.mkdir(parents=True, exist_ok=True)
    write.write_csv(matches, out / "similarity.csv")
    (out / "similarity.html").write_text(write.render_html(
        matches, title="bench", floor=run.FLOOR, compared=len(docs), previous=0, skipped=[],
        empty=[]))
    t.append(time.perf_counter())
    cpu.append(time.process_time())
    pairs = n * (n - 1) // 2
    return {"n": n, "pairs": pairs, "flagged": len(matches), "ingest": t[1] - t[0],
            "fingerprint": t[2] - t[1], "compare": t[3] - t[2], "write": t[4] - t[3],
            "total": t[4] - t[0], "cpu": cpu[4] - cpu[0],
            "us_per_pair": 1e6 * (cpu[3] - cpu[2]) / max(pairs, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hw", default="hw3")
    parser.add_argument("--sizes", default="50,100,200,300,600")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    course = Course(ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        make_class(course, args.hw, max(sizes), folder)
        print(f"{args.hw}: synthetic class of {max(sizes)}; seconds per phase")
        print(f"{'n':>5} {'pairs':>7} {'flagged':>7} {'ingest':>7} {'fprint':>7} "
              f"{'compare':>8} {'write':>6} {'total':>6} {'cpu':>6} {'cpu us/pair':>11}")
        for n in sizes:
            r = measure(course.student_notebook(args.hw), folder, n, Path(tmp) / f"out{n}")
            print(f"{r['n']:>5} {r['pairs']:>7} {r['flagged']:>7} {r['ingest']:>7.2f} "
                  f"{r['fingerprint']:>7.2f} {r['compare']:>8.2f} {r['write']:>6.2f} "
                  f"{r['total']:>6.2f} {r['cpu']:>6.2f} {r['us_per_pair']:>11.1f}")


if __name__ == "__main__":
    main()
