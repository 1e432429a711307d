"""The student's path, as a student on Colab or a fresh Jupyter takes it.

A virtual environment made from scratch with only what Colab has that matters here (torch, Jupyter's
nbconvert and ipykernel); the released hw1 notebook with correct answers, alone in an empty
folder; executed top to bottom with nbconvert. Its setup cell installs otter-grader and writes
its public tests, every ``grader.check`` passes, and its export cell writes otter's zip. That zip,
renamed the way Canvas renames downloads, is graded by ``autograder grade`` to one full-marks row
for the student whose Canvas id the name carries.

The environment is cached under ``build/colab-env/<key>/`` (``build/`` is not committed), keyed
by the Python version and the requirements, so only the first run pays for it (about a minute
and a half). It installs from the package index (otter-grader) and, where pip finds it there,
torch from the local wheel folder.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

from autograder import api
from autograder.assign.standalone import SETUP_TAG

from ..conftest import REPO, write_solved

pytestmark = [pytest.mark.colab, pytest.mark.slow]

HW = "hw1"
CANVAS_NAME = "doejane_12345_67890_{zip}"  # Canvas: <name>_<user id>_<submission id>_<file>
STUDENT_ID = "12345"
JUPYTER = ["nbconvert", "ipykernel"]


def _requirement_in_setup_cell(notebook: Path) -> str:
    cells = json.loads(notebook.read_text())["cells"]
    [setup] = [c for c in cells if SETUP_TAG in (c["metadata"].get("tags") or [])]
    found = re.findall(r"_setup\([^)]*'(otter-grader==[^']+)'\)", "".join(setup["source"]))
    assert len(found) == 1, "the setup cell must pin one otter-grader release"
    return found[0]


def _environment(requirement: str) -> Path:
    """The cached environment: torch, nbconvert, ipykernel and ``requirement`` (what the
    notebook's setup cell installs), nothing of this project."""
    torch_spec = f"torch=={torch.__version__.split('+')[0]}"
    wanted = [torch_spec, *JUPYTER, requirement]
    key = hashlib.sha256(json.dumps([sys.version_info[:2], wanted]).encode()).hexdigest()[:16]
    root = REPO / "build" / "colab-env"
    env = root / key
    if (env / ".ready").is_file():
        return env
    partial = root / f"{key}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(partial)], check=True)
    proc = subprocess.run([str(partial / "bin" / "python"), "-m", "pip", "install", "-q",
                           *wanted], capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, f"could not make the environment:\n{proc.stderr[-3000:]}"
    if (env / ".ready").is_file():  # another run finished first
        shutil.rmtree(partial, ignore_errors=True)
        return env
    shutil.rmtree(env, ignore_errors=True)
    partial.rename(env)  # only `python -m ...` is used, so the scripts' old paths do not matter
    (env / ".ready").write_text("\n".join(wanted) + "\n")
    return env


@pytest.fixture(scope="module")
def student_run(course, tmp_path_factory):
    """Execute the solved hw1 notebook alone in an empty folder in the fresh environment."""
    requirement = _requirement_in_setup_cell(course.student_notebook(HW))
    env = _environment(requirement)
    folder = tmp_path_factory.mktemp("student")
    notebook = write_solved(course, HW, folder / f"{HW}.ipynb")
    home = tmp_path_factory.mktemp("home")
    run_env = {"PATH": f"{env / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
               "HOME": str(home), "VIRTUAL_ENV": str(env), "JUPYTER_PLATFORM_DIRS": "1",
               "PIP_DISABLE_PIP_VERSION_CHECK": "1", "LANG": "C.UTF-8"}
    for name in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_INDEX_URL", "PIP_CERT",
                 "PIP_CONFIG_FILE", "SSL_CERT_FILE"):
        if name in os.environ:
            run_env[name] = os.environ[name]
    proc = subprocess.run(
        [str(env / "bin" / "python"), "-m", "nbconvert", "--to", "notebook",
         "--execute", "--ExecutePreprocessor.timeout=600", "--output", "executed.ipynb",
         notebook.name], cwd=folder, env=run_env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return folder, json.loads((folder / "executed.ipynb").read_text())


def test_notebook_alone_runs_in_a_fresh_environment_and_every_check_passes(student_run):
    folder, executed = student_run
    code = [c for c in executed["cells"] if c["cell_type"] == "code"]
    errors = [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    assert errors == []
    checks = {}
    for cell in code:
        source = "".join(cell["source"])
        if source.startswith("grader.check("):
            text = "".join(o.get("data", {}).get("text/plain", "") if isinstance(
                o.get("data", {}).get("text/plain", ""), str) else
                "".join(o["data"]["text/plain"]) for o in cell["outputs"])
            checks[source.split('"')[1]] = text
    assert list(checks) == [f"q{i}" for i in range(1, 10)]
    failed = {q: text for q, text in checks.items() if "All test cases passed" not in text}
    assert failed == {}
    assert sorted(p.name for p in (folder / ".tests" / HW).iterdir()) == \
        sorted(f"{q}.py" for q in checks)
    assert len(list(folder.glob(f"{HW}_*.zip"))) == 1  # the export cell's zip


def test_export_zip_renamed_by_canvas_is_graded_to_one_full_marks_row(student_run, course, built,
                                                                     tmp_path):
    built(HW)
    folder, _ = student_run
    [export] = folder.glob(f"{HW}_*.zip")
    uploads = tmp_path / "canvas"
    uploads.mkdir()
    renamed = uploads / CANVAS_NAME.format(zip=export.name)
    shutil.copy(export, renamed)
    out = tmp_path / "out"
    run = api.grade(HW, [uploads], out, course, workers=1, device="cpu")
    book = pd.read_csv(out / "gradebook.csv", dtype={"student_id": str})
    assert len(book) == 1, book[["student_id", "submission", "status"]].to_string()
    row = book.iloc[0]
    assert row["student_id"] == STUDENT_ID and row["status"] == "graded"
    assert row["total"] == row["max"] == course.config(HW).max_score
    assert [r.student_id for r in run.results] == [STUDENT_ID]
