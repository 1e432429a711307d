"""The CUDA path, end to end, on a GPU grading host: `make gpu-check`.

For every assignment (or those named): build the hidden fixtures, then grade, with
``--device cuda``, the solved notebook (must get full marks) and the untouched stub (must get 0),
with two workers sharing the GPU. This covers: inputs moved to the GPU before each call and
outputs back to the CPU for comparison, modules and injected weights on the GPU, TF32 and
reduced-precision reductions off in the child, CUDA initialised in each child (never in the
zygote), and the same tolerances as on the CPU. It exits non-zero on any difference.
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autograder import api  # noqa: E402
from autograder.assign.solved import solved_notebook  # noqa: E402
from autograder.course import Course  # noqa: E402


def main(names: list[str]) -> int:
    if not torch.cuda.is_available():
        print("gpu-check: no CUDA device visible to torch; nothing to check", file=sys.stderr)
        return 2
    course = Course(REPO)
    failures = 0
    for hw in names or course.assignments():
        api.build(hw, course, otter=False, check=False)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "subs"
            folder.mkdir()
            nb = solved_notebook(course.student_notebook(hw), course.solution_notebook(hw))
            (folder / "solved.ipynb").write_text(json.dumps(nb))
            (folder / "stub.ipynb").write_bytes(course.student_notebook(hw).read_bytes())
            run = api.grade(hw, [folder], Path(tmp) / "out", course, device="cuda", workers=2)
            by_name = {r.submission: r for r in run.results}
            solved, stub = by_name["solved"], by_name["stub"]
            ok = solved.score == solved.max_score and stub.score == 0 and solved.device == "cuda"
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {hw}: solved {solved.score:g}/{solved.max_score:g} "
                  f"on {solved.device}, stub {stub.score:g}")
            if not ok:
                for q in solved.questions:
                    for c in q.cases:
                        if not c.passed:
                            print(f"     {q.name} {c.name}: {c.message}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
