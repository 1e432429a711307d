"""What students receive: the committed student notebooks are exactly what `autograder build`
makes from the masters now, hold no solution or hidden test, and work alone (the public tests
and the otter install are inside the notebook; the course server's submit cell is there exactly
when the course has a server)."""
from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib

import pytest

from autograder.assign import BuildError, leaks, run_otter_assign
from autograder.assign.rules import grading_rules
from autograder.assign.standalone import RULES_TAG, SETUP_TAG, server_url
from autograder.assign.submit_cell import TAG as SUBMIT_TAG
from autograder.course import Course
from autograder.specs import get_spec

from ..conftest import REPO, write_solved

ASSIGNMENTS = Course(REPO).assignments()


def _cells(path, tag=None):
    cells = json.loads(path.read_text())["cells"]
    return [c for c in cells if tag is None or tag in (c["metadata"].get("tags") or [])]


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _setup_literals(path) -> tuple[dict, str]:
    """The public tests and the pinned requirement the notebook's setup cell holds."""
    [cell] = _cells(path, SETUP_TAG)
    tree = ast.parse(_source(cell))
    tests = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                 and n.targets[0].id == "_PUBLIC_TESTS")
    call = next(n.value for n in tree.body if isinstance(n, ast.Assign)
                and n.targets[0].id == "grader")
    return tests, ast.literal_eval(call.args[2])


@pytest.mark.parametrize("hw", ASSIGNMENTS)
def test_committed_student_notebook_is_current_and_leak_free(hw, tmp_path):
    repo = Course(REPO)
    assert leaks(repo.assignment_dir(hw)) == []
    shutil.copytree(repo.solution_dir(hw), tmp_path / "solutions" / hw)
    fresh = Course(tmp_path)
    run_otter_assign(fresh, hw, run_tests=False)
    assert fresh.student_notebook(hw).read_text() == repo.student_notebook(hw).read_text(), \
        f"assignments/{hw} is stale: run `autograder build {hw}` and commit it"
    assert sorted(p.name for p in repo.assignment_dir(hw).iterdir()) == [f"{hw}.ipynb"]


@pytest.mark.parametrize("hw", ASSIGNMENTS)
def test_notebook_holds_every_question_public_tests_and_the_pinned_otter(hw):
    """The notebook alone is enough: no tests/ beside it (the old layout made `grader.check`
    raise "Test q1 not found" when only the .ipynb was uploaded)."""
    repo = Course(REPO)
    notebook = repo.student_notebook(hw)
    tests, requirement = _setup_literals(notebook)
    questions = [q.name for q in repo.config(hw).questions]
    assert list(tests) == questions
    for name, test in tests.items():
        cases = [c for suite in test["suites"] for c in suite["cases"]]
        assert test["name"] == name and cases and not any(c["hidden"] for c in cases)
    pins = [d for d in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
            ["dependencies"] if re.match(r"otter-grader\b", d)]
    assert pins == [requirement], "the notebook must install the otter-grader pyproject pins"
    first_code = next(c for c in _cells(notebook) if c["cell_type"] == "code")
    assert SETUP_TAG in first_code["metadata"]["tags"]
    sources = [_source(c) for c in _cells(notebook)]
    assert sum("otter.Notebook(" in s for s in sources) == 1  # the setup cell's
    assert sum("grader.export(" in s for s in sources) == 1


def test_setup_cell_alone_runs_the_public_tests(course, tmp_path):
    """In an empty folder, the setup cell writes the tests and starts `grader`; the solved
    definitions pass every check and a flipped sign fails q1 (no IPython, no install)."""
    solved = write_solved(course, "hw1", tmp_path / "src" / "hw1.ipynb")
    wrong = write_solved(course, "hw1", tmp_path / "src" / "wrong.ipynb",
                         [("score = X @ w - threshold", "score = threshold - X @ w")])
    script = (
        "import json, sys\n"
        "results = []\n"
        "for path in sys.argv[1:]:\n"
        "    env = {}\n"
        "    for cell in json.load(open(path))['cells']:\n"
        "        src = ''.join(cell['source'])\n"
        "        if cell['cell_type'] == 'code' and not src.startswith('grader.check') \\\n"
        "                and 'submission' not in cell['metadata'].get('tags', []):\n"
        "            exec(src, env)\n"
        "    g = env['grader']\n"
        "    results.append({q: g.check(q, env).grade for q in ['q1', 'q2', 'q9']})\n"
        "print(json.dumps(results))\n")
    work = tmp_path / "empty"
    work.mkdir()
    proc = subprocess.run([sys.executable, "-c", script, str(solved), str(wrong)], cwd=work,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PIP_NO_INDEX": "1"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    good, bad = json.loads(proc.stdout.strip().splitlines()[-1])
    assert good == {"q1": 1.0, "q2": 1.0, "q9": 1.0}
    assert bad["q1"] < 1.0 and bad["q2"] == 1.0
    assert sorted(p.name for p in (work / ".tests" / "hw1").iterdir()) == \
        [f"q{i}.py" for i in range(1, 10)]


def test_submit_cell_only_when_the_course_has_a_server(tmp_path):
    repo = Course(REPO)
    shutil.copytree(repo.solution_dir("hw1"), tmp_path / "solutions" / "hw1")
    fresh = Course(tmp_path)
    run_otter_assign(fresh, "hw1", run_tests=False)
    assert _cells(fresh.student_notebook("hw1"), SUBMIT_TAG) == []
    assert "course's grading server" not in fresh.student_notebook("hw1").read_text()

    config = tmp_path / "course.toml"
    config.write_text('[server]\nurl = "https://grader.example.edu/"\n')
    run_otter_assign(fresh, "hw1", run_tests=False, server=server_url(config))
    cells = _cells(fresh.student_notebook("hw1"))
    assert SUBMIT_TAG in cells[-1]["metadata"]["tags"]
    assert "SERVER = 'https://grader.example.edu'" in _source(cells[-1])
    assert "ASSIGNMENT = 'hw1'" in _source(cells[-1])
    assert "course's grading server" in _source(cells[-3])  # the submission text says so

    config.write_text('[server]\nurl = "ftp://grader.example.edu"\n')
    with pytest.raises(BuildError, match="http"):
        run_otter_assign(fresh, "hw1", run_tests=False, server=server_url(config))
    config.write_text('title = "no server"\n')
    assert server_url(config) is None and server_url(None) is None


@pytest.mark.slow
def test_build_command_takes_the_server_url_from_the_course_config(tmp_path):
    """`autograder build HW --config course.toml`: the submit cell with the configured address;
    an address that is not http(s) stops the build with a message naming it."""
    from typer.testing import CliRunner

    from autograder.cli import app

    shutil.copytree(Course(REPO).solution_dir("hw1"), tmp_path / "solutions" / "hw1")
    config = tmp_path / "course.toml"
    config.write_text('[server]\nurl = "https://grader.example.edu"\n')
    args = ["build", "hw1", "--course", str(tmp_path), "--config", str(config), "--no-check"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    last = _cells(Course(tmp_path).student_notebook("hw1"))[-1]
    assert SUBMIT_TAG in last["metadata"]["tags"]
    assert "SERVER = 'https://grader.example.edu'" in _source(last)

    config.write_text('[server]\nurl = "grader.example.edu"\n')
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "grader.example.edu" in result.output


@pytest.mark.parametrize("hw", ASSIGNMENTS)
def test_notebook_states_the_rules_its_hidden_tests_apply(hw):
    """Every function the grader calls twice or differentiates is named before submission, with
    the arguments the notebook's own signature gives them."""
    config = Course(REPO).config(hw)
    path = Course(REPO).student_notebook(hw)
    [cell] = _cells(path, RULES_TAG)
    text = _source(cell)
    assert text == grading_rules(config)
    assert f"each call may take {config.call_seconds:g} s" in text
    signatures = {}
    for c in _cells(path):
        if c["cell_type"] == "code":
            try:
                tree = ast.parse(_source(c))
            except SyntaxError:
                continue
            signatures.update({n.name: [a.arg for a in n.args.args] for n in tree.body
                               if isinstance(n, ast.FunctionDef)})
    for spec in {name: get_spec(name) for q in config.questions for name in q.specs}.values():
        if spec.repeat:
            assert f"`{spec.name}`" in text.split("not reproducible")[1].split("\n")[0]
        if spec.grad_wrt:
            names = spec.grad_names()
            assert [signatures[spec.name][i] for i in spec.grad_wrt] == names, spec.name
            assert f"`{spec.name}` in " + ", ".join(f"`{n}`" for n in names) in text
