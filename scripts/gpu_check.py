"""The CUDA path, end to end, on a GPU grading host: `make gpu-check` (or
``.venv/bin/python scripts/gpu_check.py [hw ...]``). Exits non-zero on any failure.

``--dry-run-cpu [hw ...]`` runs the same steps on the CPU, without the CUDA-only checks: a test
of this script on a host without a GPU.

For every assignment (or those named):

* build its hidden fixtures (``autograder build --no-otter --no-check``);
* grade, with ``device="cuda"`` and two workers sharing the GPU, the solved student notebook
  (must get full marks) and the untouched stub (must get 0);
* grade the solved notebook on the CPU too: every case must pass on both devices.

For hw1 also, in the same two-worker CUDA run:

* a submission whose ``bce_loss`` first allocates 60% of the GPU's memory: with two workers each
  sandbox may use 45%, so its bce_loss cases fail with an out-of-memory error while every other
  case of it, and every other submission, passes (the per-sandbox memory cap, and a CUDA
  out-of-memory contained to one submission);
* a submission whose ``bce_loss`` triggers a device-side assert (an out-of-range CUDA index):
  it loses those cases and nothing else does (a CUDA error contained to one submission);
* a warm zygote that has run a CUDA job has not loaded libcuda itself (CUDA is initialised in
  each sandboxed child after the fork, never in the zygote).

What it covers: inputs, module weights and injected state moved to the GPU in the child;
outputs back on the CPU for the comparison; TF32 and reduced-precision reductions off (and cuDNN
deterministic) in the child, so the CPU tolerances hold; CUDA initialised per child; two workers
sharing one GPU under a memory cap. It does not cover several GPUs (one worker set per
``CUDA_VISIBLE_DEVICES``), MIG or MPS, or a Dask cluster of GPU workers.
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

# bce_loss: a leaf of hw1 (no other graded function calls it)
HOG = '''
def bce_loss(p, y):
    import torch
    free, total = torch.cuda.mem_get_info()
    hog = torch.empty(int(total * 0.6), dtype=torch.uint8, device="cuda")
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
'''
DEVICE_ASSERT = '''
def bce_loss(p, y):
    import torch
    index = torch.tensor([10 ** 6], device=p.device)
    torch.zeros(3, device=p.device)[index].sum().item()
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
'''


def _with_cell(nb: dict, source: str) -> dict:
    nb = json.loads(json.dumps(nb))
    nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [],
                        "execution_count": None, "source": source})
    return nb


def _failed(result) -> list[str]:
    return [f"{q.name} {c.name}: {c.message}" for q in result.questions for c in q.cases
            if not c.passed]


def _zygote_loads_no_cuda(course: Course, folder: Path) -> bool:
    from autograder import fixtures as fixture_store
    from autograder.grade.pipeline import Grader
    from autograder.ingest import collect
    from autograder.sandbox.client import Zygote

    config = course.config("hw1")
    fixtures, _ = fixture_store.ensure(course, config)
    grader = Grader.for_assignment(config, fixtures, device="cuda")
    with Zygote("auto") as zygote:
        result, _ = grader.grade(collect([folder / "solved.ipynb"])[0], zygote)
        maps = Path(f"/proc/{zygote.proc.pid}/maps").read_text()
    return result.score == result.max_score and "libcuda" not in maps


def check(course: Course, hw: str, device: str = "cuda") -> bool:
    """``device="cpu"``: a dry run of this script's own plumbing on a host without a GPU (the
    CUDA-only checks are skipped)."""
    api.build(hw, course, otter=False, check=False)
    gpu = device == "cuda"
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "subs"
        folder.mkdir()
        nb = solved_notebook(course.student_notebook(hw), course.solution_notebook(hw))
        (folder / "solved.ipynb").write_text(json.dumps(nb))
        (folder / "stub.ipynb").write_bytes(course.student_notebook(hw).read_bytes())
        if hw == "hw1" and gpu:
            (folder / "hog.ipynb").write_text(json.dumps(_with_cell(nb, HOG)))
            (folder / "device_assert.ipynb").write_text(json.dumps(_with_cell(nb,
                                                                              DEVICE_ASSERT)))
        run = api.grade(hw, [folder], Path(tmp) / device, course, device=device, workers=2)
        by_name = {r.submission: r for r in run.results}
        solved, stub = by_name["solved"], by_name["stub"]
        good = solved.score == solved.max_score and solved.device == device and stub.score == 0
        ok &= good
        print(f"{'ok  ' if good else 'FAIL'} {hw} {device}: solved {solved.score:g}/"
              f"{solved.max_score:g} on {solved.device}, stub {stub.score:g}")
        for line in _failed(solved):
            print(f"     {line}")
        cpu = api.grade(hw, [folder / "solved.ipynb"], Path(tmp) / "cpu", course, device="cpu",
                        workers=1).results[0]
        same = cpu.score == cpu.max_score and \
            [c.passed for q in cpu.questions for c in q.cases] == \
            [c.passed for q in solved.questions for c in q.cases]
        ok &= same
        print(f"{'ok  ' if same else 'FAIL'} {hw} cpu: solved {cpu.score:g}/{cpu.max_score:g}, "
              f"the same cases pass on both devices")
        if hw == "hw1" and gpu:
            for name in ("hog", "device_assert"):
                r = by_name[name]
                lost = _failed(r)
                contained = bool(lost) and all("`bce_loss`" in line for line in lost)
                if name == "hog":
                    contained &= any("memory" in line.lower() for line in lost)
                ok &= contained
                print(f"{'ok  ' if contained else 'FAIL'} hw1 {name}: {r.status}, "
                      f"{r.score:g}/{r.max_score:g}, only bce_loss's cases lost")
                if not contained:
                    for line in lost[:10]:
                        print(f"     {line}")
            clean = _zygote_loads_no_cuda(course, folder)
            ok &= clean
            print(f"{'ok  ' if clean else 'FAIL'} the zygote never loaded libcuda")
    return ok


def main(names: list[str]) -> int:
    if names[:1] == ["--dry-run-cpu"]:
        course = Course(REPO)
        failed = [hw for hw in (names[1:] or course.assignments()) if not check(course, hw, "cpu")]
        print("gpu-check dry run on the CPU: " + (f"FAILED: {', '.join(failed)}" if failed
                                                  else "all passed"))
        return 1 if failed else 0
    if not torch.cuda.is_available():
        print("gpu-check: no CUDA device visible to torch (is a CUDA build of torch installed? "
              "see setup.sh)", file=sys.stderr)
        return 2
    print(f"gpu-check: {torch.cuda.get_device_name(0)}, torch {torch.__version__}")
    course = Course(REPO)
    failed = [hw for hw in (names or course.assignments()) if not check(course, hw)]
    print("gpu-check: " + (f"FAILED: {', '.join(failed)}" if failed else "all passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
