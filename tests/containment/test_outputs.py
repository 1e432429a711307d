"""One folder of hostile and careless hw1 submissions, through ``grade`` and ``publish`` on the
command line, as a TA would run them: each file gets its own row, both commands complete, every
file they write is read back and carries no live payload, the terminal shows names and messages
as plain text, and the submission that tries to read its hidden inputs back from its own results
learns nothing from any of them."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from autograder.cli import app

from ..conftest import REPO
from .hostile import SMUGGLED_SPECS, code, write_folder
from .payloads import every_file, payloads_under, terminal_problems

CONFIG = REPO / "examples" / "course.toml"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in every_file(folder)}


@pytest.fixture(scope="module")
def runs(course, built, tmp_path_factory):
    built("hw1")
    root = tmp_path_factory.mktemp("hostile")
    folder = root / "submissions"
    files = write_folder(course, folder)
    before = _snapshot(folder)
    results = root / "results"
    patch = pytest.MonkeyPatch()
    patch.setenv("AUTOGRADER_BUILD_ROOT", str(course.build_root))
    try:
        grade = [CliRunner().invoke(app, ["grade", "hw1", str(folder), "-o", str(results / "hw1"),
                                          "--course", str(REPO), "--workers", "2",
                                          "--device", "cpu"])]
        publish = CliRunner().invoke(app, ["publish", "--config", str(CONFIG), "--results",
                                           str(results), "-o", str(root / "course"),
                                           "--course", str(REPO)])
        # a second run into the same folder: everything already stored is reused
        grade.append(CliRunner().invoke(app, ["grade", "hw1", str(folder), "-o",
                                              str(results / "hw1"), "--course", str(REPO),
                                              "--workers", "2", "--device", "cpu"]))
    finally:
        patch.undo()
    # a file that is not a notebook is skipped by ingestion (one warning line), not a row
    graded = {name: what for name, what in files.items() if what != "not a notebook"}
    return {"root": root, "folder": folder, "files": files, "graded": graded, "before": before,
            "results": results, "out": results / "hw1", "course": root / "course",
            "grade": grade, "publish": publish}


def _completed(run) -> None:
    """The command ran to its end: it may say by its exit code that some submissions failed,
    but it did not stop on one of them."""
    assert run.exception is None or isinstance(run.exception, SystemExit), run.output
    assert run.exit_code in (0, 3, 4, 5), run.output  # not 1 (an exception) nor 2 (usage)


def test_grade_completes_with_a_row_per_file(runs):
    for run in runs["grade"]:
        _completed(run)
        assert "submissions in" in run.output  # the summary, printed after the table
    book = pd.read_csv(runs["out"] / "gradebook.csv", dtype=str, keep_default_na=False)
    assert len(book) == len(runs["graded"])
    by_sub = book.set_index("submission")
    assert float(by_sub.loc["honest", "total"]) == float(by_sub.loc["honest", "max"])
    assert by_sub.loc["huge_cell", "status"] == "error"
    assert by_sub.loc["huge_cell", "message"]
    # a payload in a load-time error or a public case costs only its own points
    assert by_sub.loc["load_error", "status"] == "graded"
    assert "ValueError" in by_sub.loc["load_error", "message"]
    # the hostile names are graded like the honest notebook they hold
    for name, row in by_sub.iterrows():
        if runs["files"].get(name) == "hostile name":
            assert row["total"] == by_sub.loc["honest", "total"], name
    statuses = {r["status"] for _, r in book.iterrows()}
    assert statuses <= {"graded", "error"}, statuses


def test_publish_completes_with_a_page_per_submission(runs):
    _completed(runs["publish"])
    assert runs["publish"].exit_code == 0, runs["publish"].output
    feedback = runs["course"] / "feedback" / "hw1"
    index = pd.read_csv(feedback / "index.csv", dtype=str, keep_default_na=False)
    assert len(index) == len(runs["graded"])
    for html in index["html"]:  # a name that looks like a formula has its leading '
        assert (feedback / html.removeprefix("'")).is_file(), html
    for name in ("gradebook.csv", "items.csv", "submissions.csv", "unmatched.csv", "canvas.csv",
                 "issues.txt", "cases.csv", "cases.parquet", "report/hw1.html",
                 "report/index.html"):
        assert (runs["course"] / name).is_file(), name
    unmatched = pd.read_csv(runs["course"] / "unmatched.csv", dtype=str, keep_default_na=False)
    assert len(unmatched) == len(runs["graded"])  # no id of the folder is on the roster


def test_no_output_file_carries_a_live_payload(runs):
    files = every_file(runs["results"]) + every_file(runs["course"])
    assert len(files) > 2 * len(runs["files"])  # results, logs, feedback pages: read them all
    assert payloads_under(runs["results"]) == []
    assert payloads_under(runs["course"]) == []
    # the formula-looking ids are still there, neutralised, and a negative number is a number
    ids = set(pd.read_csv(runs["out"] / "gradebook.csv", dtype=str,
                          keep_default_na=False)["student_id"])
    assert "'=HYPERLINK(\"http:evil\",\"x\")" in ids and "'-2+3" in ids and "'@SUM(A1)" in ids


def test_nothing_is_written_outside_the_output_folders(runs):
    assert _snapshot(runs["folder"]) == runs["before"]
    assert sorted(p.name for p in runs["root"].iterdir()) == ["course", "results", "submissions"]


def test_terminal_shows_names_and_messages_as_plain_text(runs):
    output = "".join(run.output for run in runs["grade"]) + runs["publish"].output
    assert terminal_problems(output) == []
    flat = re.sub(r"[\s│┃]+", "", output)
    # Rich markup in ids and messages is printed, not interpreted
    assert "[@click=(]" in flat and "link=http" in flat


def _smuggler_texts(runs) -> dict[str, str]:
    """Every output a student could be shown, and every table about the smuggler."""
    out, course = runs["out"], runs["course"]
    texts = {str(p): p.read_text(encoding="utf-8")
             for p in [out / "results" / "smuggler.json",
                       course / "feedback" / "hw1" / "smuggler.html",
                       course / "feedback" / "hw1" / "smuggler.md"]}
    for path in (out / "gradebook.csv", course / "cases.csv"):
        texts[str(path)] = path.read_text(encoding="utf-8")
    return texts


def test_hidden_inputs_are_not_read_back_from_the_results(runs, built):
    fixtures = built("hw1")
    leaked, public = set(), set()
    for case in fixtures.cases:
        if case.spec in SMUGGLED_SPECS:
            (leaked if case.hidden else public).update(
                str(n) for n in code(case.inputs["args"][0], 4))
    leaked -= public  # a public case may show what it returned: its inputs are no secret
    assert len(leaked) >= 8
    data = json.loads((runs["out"] / "results" / "smuggler.json").read_text())
    hidden = [t for t in data["tests"] if t["extra_data"]["hidden"]
              and t["name"].split(": ")[1].split("/")[0] in SMUGGLED_SPECS]
    assert len(hidden) >= 8 and not any(t["status"] == "passed" for t in hidden)
    for t in hidden:
        message = t["output"]
        spec = t["name"].split(": ")[1].split("/")[0]
        # the rung is named ...
        assert {"shape": "wrong shape", "dtype": "wrong dtype", "exception": "raised",
                "time": "tolerance"}[SMUGGLED_SPECS[spec]] in message, message
        # ... and nothing the code returned: no shape, dtype, exception type or message
        for told in ("shape (", "torch.int", "torch.bool", "torch.complex", "torch.uint",
                     "Leak", "LEAK", "Exception"):
            assert told not in message, message
        # a hidden case's time, to the whole second only
        assert float(t["extra_data"]["seconds"]).is_integer(), t
    for where, text in _smuggler_texts(runs).items():
        numbers = set(re.findall(r"(?<![0-9a-f])\d{4}(?![0-9a-f])", text))
        assert not numbers & leaked, (where, numbers & leaked)
    md = (runs["course"] / "feedback" / "hw1" / "smuggler.md").read_text()
    rows = [line for line in md.splitlines() if line.startswith("| `square_loss/")]
    assert rows and all(line.rstrip(" |").endswith(("ms", " s")) == ("| public |" in line)
                        for line in rows), rows
