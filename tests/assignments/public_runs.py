"""Run a notebook's public tests the way ``grader.check`` does, on many variants of it at once.

``python -m tests.assignments.public_runs JOBS.json`` reads ``[{"notebook": path, "questions":
[...]}, ...]``; for each job it loads the notebook's definitions (imports, ``def``/``class``,
top-level assignments, as the grader does: no training demo runs), then runs the public tests
the notebook's setup cell holds for each listed question with otter's own test runner, and
prints one JSON line: ``[{question: {"passed": bool, "failed": [case index, ...]}}, ...]``.
Run in a child process so that the variants' code never runs in the test process.
"""
from __future__ import annotations

import ast
import json
import sys
import tempfile
import warnings
from pathlib import Path


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def public_tests(nb: dict) -> dict[str, dict]:
    """The ``_PUBLIC_TESTS`` literal of the notebook's setup cell."""
    for cell in nb["cells"]:
        if "setup" in (cell.get("metadata", {}).get("tags") or []):
            for node in ast.parse(_source(cell)).body:
                if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == \
                        "_PUBLIC_TESTS":
                    return ast.literal_eval(node.value)
    raise ValueError("no setup cell with _PUBLIC_TESTS")


def run_job(notebook: Path, questions: list[str], folder: Path) -> dict[str, dict]:
    from otter.test_files import OKTestFile

    from autograder.sandbox.worker.harness import definitions

    nb = json.loads(notebook.read_text())
    tests = public_tests(nb)
    env: dict = {"__name__": "__main__"}
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code" or "setup" in (cell["metadata"].get("tags") or []):
            continue
        try:
            exec(compile(definitions(_source(cell)), f"<cell {index}>", "exec"), env)
        except Exception:  # noqa: BLE001 - a broken cell fails the tests that need it
            pass
    out = {}
    for question in questions:
        path = folder / f"{question}.py"
        path.write_text("OK_FORMAT = True\n\ntest = " + repr(tests[question]) + "\n")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = OKTestFile.from_file(str(path))
            result.run(env)
        failed = [i for i, r in enumerate(result.test_case_results) if not r.passed]
        out[question] = {"passed": not failed, "failed": failed}
    return out


def main(jobs_file: str) -> None:
    import torch

    torch.set_num_threads(1)
    jobs = json.loads(Path(jobs_file).read_text())
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for job in jobs:
            torch.manual_seed(0)
            results.append(run_job(Path(job["notebook"]), job["questions"], Path(tmp)))
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1])
