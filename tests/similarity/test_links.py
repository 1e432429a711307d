"""The copying signals where staff look: the instructor report links an assignment's similarity
page when ``autograder similarity`` wrote one next to its results, and the course page lists the
quiz sheets that fit another student's paper better than their own."""
from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from autograder import api
from autograder.cli import app
from autograder.gradebook.samples import make_result, write_results
from autograder.quiz import run as quiz

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "examples" / "course.toml"
EXAMPLES = REPO / "examples"


def _publish(root: Path) -> Path:
    out = root / "course"
    run = CliRunner().invoke(app, ["publish", "--config", str(CONFIG), "--results", str(root),
                                   "-o", str(out)])
    assert run.exit_code == 0, run.output
    return out


def _results(root: Path) -> None:
    write_results(root / "hw1", [make_result("1001", 1.0, submission="a"),
                                 make_result("1002", 0.5, submission="b")])


def test_report_links_the_similarity_page_only_when_it_exists(course, tmp_path):
    _results(tmp_path)
    out = _publish(tmp_path)
    assert "similarity.html" not in (out / "report" / "hw1.html").read_text()
    assert "similar answers" not in (out / "report" / "index.html").read_text()

    api.similarity("hw1", [EXAMPLES / "hw1" / "submissions"], tmp_path / "hw1" / "similarity",
                   course, floor=0.0)
    out = _publish(tmp_path)
    report = (out / "report" / "hw1.html").read_text()
    link = re.search(r'<section class="card" id="similarity">.*?href="([^"]+)"', report, re.S)
    assert link, "no link to the similarity page"
    assert (out / "report" / link.group(1)).resolve() == \
        (tmp_path / "hw1" / "similarity" / "similarity.html").resolve()
    index = (out / "report" / "index.html").read_text()
    assert f'href="{link.group(1)}">similar answers' in index


def test_course_page_lists_quiz_sheets_copied_from_a_neighbour(tmp_path):
    _results(tmp_path)
    graded = quiz.grade(EXAMPLES / "quiz" / "midterm.toml", EXAMPLES / "quiz" / "responses.csv",
                        EXAMPLES / "roster.csv", tmp_path / "quiz")
    copied = (tmp_path / "quiz" / "copying.csv").read_text().splitlines()
    # examples/quiz/responses.csv: 1008 hands in 1001's sheet; nobody else is listed
    assert [line.split(",")[:3] for line in copied[1:]] == [["1008", "0.0", "1001"]]
    assert any("1008" in i and "1001" in i for i in graded.issues)
    index = (_publish(tmp_path) / "report" / "index.html").read_text()
    section = index[index.index('id="copying"'):]
    assert re.search(r"<td>1008</td>.*?<td>1001</td>", section, re.S)


def test_quiz_copying_csv_neutralises_formulas(tmp_path):
    import pandas as pd

    from autograder.quiz import copying
    from autograder.report.similarity import quiz_copying

    frame = pd.DataFrame([{"student_id": "=HYPERLINK(\"x\")", "own_score": 0.0,
                           "other_id": "<b>1001</b>", "other_score": 30.0, "max_score": 36.0,
                           "margin": 30.0}], columns=copying.COLUMNS)
    copying.write(frame, tmp_path / "copying.csv")
    rows = quiz_copying(tmp_path / "scores.csv")
    assert rows[0]["student_id"] == "'=HYPERLINK(\"x\")" and rows[0]["other_id"] == "<b>1001</b>"
