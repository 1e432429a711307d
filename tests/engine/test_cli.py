"""The command line: flags shown as flags, one exit code per outcome for every command, and
``--regrade`` replacing what the store and the gradebook hold."""
from __future__ import annotations

import json

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from autograder.cli import app
from autograder.grade.store import ResultStore, default_url

from ..conftest import REPO
from ..gradebook.test_lms import _nb, toy_course

GOOD = "def double(x):\n    return 2 * x"


def _command_paths(command, path: tuple[str, ...] = ()):
    yield path
    if getattr(command, "commands", None):
        for name, sub in command.commands.items():
            yield from _command_paths(sub, (*path, name))


def _invoke(args: list[str]):
    return CliRunner().invoke(app, args, env={"COLUMNS": "120"})


def test_help_shows_flags_without_a_value():
    paths = list(_command_paths(typer.main.get_command(app)))
    assert ("grade",) in paths and ("quiz", "generate") in paths
    for path in paths:
        r = _invoke([*path, "--help"])
        assert r.exit_code == 0, (path, r.output)
        assert "<bool>" not in r.output, path
    grade_help = _invoke(["grade", "--help"]).output
    line = next(x for x in grade_help.splitlines() if "--regrade" in x)
    assert "Grade everything again" in line and "<" not in line


def test_a_flag_followed_by_a_value_is_a_usage_error(tmp_path):
    out = tmp_path / "out"
    r = _invoke(["grade", "hw1", "--regrade", "true", "-o", str(out), "--course", str(REPO)])
    assert r.exit_code == 2
    assert "'true' is not a submission" in r.output and "take no value" in r.output
    assert not out.exists()  # nothing graded, nothing stored


@pytest.mark.parametrize("command", [
    ["build", "hw9", "--no-otter"], ["grade", "hw9", "{subs}", "-o", "{out}"],
    ["gradescope", "hw9", "-o", "{out}/hw9.zip"]])
def test_an_unknown_assignment_is_a_usage_error_for_every_command(tmp_path, command):
    (tmp_path / "subs").mkdir()
    args = [a.format(subs=tmp_path / "subs", out=tmp_path / "out") for a in command]
    r = _invoke([*args, "--course", str(REPO)])
    assert r.exit_code == 2, r.output
    assert "unknown assignment 'hw9'" in r.output and "hw1" in r.output
    assert not (tmp_path / "out").exists()


def test_a_missing_path_is_a_usage_error(tmp_path):
    r = _invoke(["grade", "hw1", str(tmp_path / "nowhere.ipynb"), "-o", str(tmp_path / "out"),
                 "--course", str(REPO)])
    assert r.exit_code == 2 and "no such file or folder" in r.output
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """The toy course and one correct submission, graded once into ``out``."""
    tmp = tmp_path_factory.mktemp("cli-toy")
    course = toy_course(tmp)
    subs = tmp / "subs"
    subs.mkdir()
    (subs / "ann_toy.ipynb").write_bytes(_nb(GOOD))
    return course, subs, tmp


def _grade(course, *args: str):
    return _invoke(["grade", "toy", *args, "--course", str(course.root), "--workers", "1",
                    "--device", "cpu", "-q"])


def test_exit_code_3_when_a_submission_could_not_be_graded(toy, tmp_path):
    course, subs, _ = toy
    broken = tmp_path / "bo_toy.ipynb"
    broken.write_bytes(b"{ this is not a notebook")
    out = tmp_path / "out"
    r = _grade(course, str(subs), str(broken), "-o", str(out))
    assert r.exit_code == 3, r.output
    book = pd.read_csv(out / "gradebook.csv").set_index("submission")
    assert book.loc["bo_toy", "status"] == "error" and book.loc["ann_toy", "status"] == "graded"
    r = _grade(course, str(subs), "-o", str(out))  # only what grades: 0
    assert r.exit_code == 0, r.output


def test_regrade_replaces_the_stored_result_and_the_gradebook_row(toy, tmp_path):
    course, subs, _ = toy
    out = tmp_path / "out"
    assert _grade(course, str(subs), "-o", str(out)).exit_code == 0
    # the stored run went wrong (say a time limit hit on a loaded machine): a regrade is asked for
    store = ResultStore(default_url(out))
    (stored,) = store.latest("toy")
    assert stored.score == 2.0
    for q in stored.questions:
        for c in q.cases:
            c.passed, c.score, c.message = False, 0.0, "did not finish within its time limit"
        q.score = 0.0
    stored.status = "timeout"
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE results SET data = ?, status = 'timeout', score = 0",
                             (json.dumps(stored.to_dict()),))
    store.close()
    r = _grade(course, str(subs), "-o", str(out))
    assert r.exit_code == 3  # reused from the store: still the timed-out run
    r = _grade(course, str(subs), "-o", str(out), "--regrade")
    assert r.exit_code == 0, r.output
    store = ResultStore(default_url(out))
    (fresh,) = store.latest("toy")
    assert store.count("toy") == 1 and fresh.status == "graded" and fresh.score == 2.0
    store.close()
    row = pd.read_csv(out / "gradebook.csv").set_index("submission").loc["ann_toy"]
    assert row["status"] == "graded" and row["total"] == 2.0
    saved = json.loads((out / "results" / "ann_toy.json").read_text())
    assert saved["score"] == 2.0
