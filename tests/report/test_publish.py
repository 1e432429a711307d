"""One command from graded results to everything handed out: `autograder publish`."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from autograder import api
from autograder.cli import app
from autograder.course import CourseError
from autograder.gradebook.samples import make_result, write_results
from autograder.lms.canvas import read_canvas_csv

from .test_report import check_page_in_browser

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "examples" / "course.toml"
EXAMPLES = REPO / "examples" / "hw1" / "submissions"


def _publish(results_root: Path, out: Path):
    run = CliRunner().invoke(app, ["publish", "--config", str(CONFIG), "--results",
                                   str(results_root), "-o", str(out)])
    assert run.exit_code == 0, run.output
    return run.output


def _expected_files(out: Path, submissions: list[str]) -> None:
    for name in ("gradebook.csv", "items.csv", "submissions.csv", "unmatched.csv", "canvas.csv",
                 "issues.txt", "cases.csv", "cases.parquet", "report/index.html",
                 "report/hw1.html"):
        assert (out / name).is_file(), name
    for sub in submissions:
        assert (out / "feedback" / "hw1" / f"{sub}.html").is_file(), sub
        assert (out / "feedback" / "hw1" / f"{sub}.md").is_file(), sub


def test_publish_from_results_on_disk(tmp_path):
    """The example course's submissions, with hand-made results: times from the example times
    CSV, an extension, a late penalty, an error, missing students, a stranger, the quiz CSV."""
    names = {"1001": "chanmeiling_1001_90001_hw1", "1002": "wongkaho_1002_90002_hw1",
             "1003": "leesiuming_1003_90003_hw1", "1005": "lamchikin_1005_90005_hw1",
             "1006": "hopuishan_1006_90006_hw1"}
    results = [make_result(sid, 1.0, submission=sub, source=f"{EXAMPLES}/{sub}.ipynb")
               for sid, sub in names.items()]
    results.append(make_result("1004", 0.0, status="error", message="not a notebook",
                               submission="cheungwingyan_1004_90004_hw1",
                               source=f"{EXAMPLES}/cheungwingyan_1004_90004_hw1.pdf"))
    results.append(make_result("4242", 0.5, submission="stranger_hw1"))
    write_results(tmp_path / "hw1", results)
    (tmp_path / "quiz").mkdir()
    (tmp_path / "quiz" / "scores.csv").write_text(
        "student_id,score,max_score\n1001,30,40\n1002,40,40\n")
    out = tmp_path / "course"
    output = _publish(tmp_path, out)
    _expected_files(out, [r.submission for r in results])
    assert "not on the roster" in output

    book = pd.read_csv(out / "gradebook.csv", dtype={"student_id": str}).set_index("student_id")
    assert list(book.index[:8]) == [str(i) for i in range(1001, 1009)]
    assert book.loc["1001", "hw1"] == 5 and book.loc["1001", "quiz"] == 30
    assert book.loc["1003", "hw1_flags"] == "extension"  # 2 days late, 2-day extension
    assert book.loc["1005", "hw1_late_days"] == 0  # 11 minutes late: within the grace
    assert (book.loc["1006", "hw1"], book.loc["1006", "hw1_late_days"]) == (4, 2)
    assert book.loc["1004", "hw1_flags"] == "error"
    assert book.loc["1007", "hw1_flags"] == "missing" and book.loc["1007", "hw1"] == 0
    assert not book.loc["4242", "on_roster"]
    assert pd.isna(book.loc["1001", "hw2"])  # not graded yet: pending
    expected = 100 * (15 * 1 + 25 * 30 / 40) / (15 + 25)  # hw1 and the quiz; hw2-5 pending
    assert book.loc["1001", "total_percent"] == pytest.approx(expected, abs=0.01)

    students, points = read_canvas_csv(out / "canvas.csv")
    assert list(students.columns) == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                                      "hw1", "Mid-term quiz"]
    assert points == {"hw1": 5.0, "Mid-term quiz": 40.0}
    assert len(students) == 8 and "4242" not in set(students["ID"])

    feedback = (out / "feedback" / "hw1" / "hopuishan_1006_90006_hw1.html").read_text()
    assert "2 days late" in feedback and "Ho Pui Shan" in feedback
    check_page_in_browser(out / "report" / "hw1.html", expect_images=4)
    check_page_in_browser(out / "report" / "index.html", expect_images=1)


def test_demo_course_end_to_end(course, built, tmp_path):
    """The real thing: grade the example hw1 submissions, then publish."""
    try:
        built("hw1")
    except (CourseError, KeyError, ImportError) as e:
        pytest.skip(f"hw1 cannot be built yet: {e}"[:300])
    run = api.grade("hw1", [EXAMPLES], tmp_path / "hw1", course, workers=2, device="cpu")
    out = tmp_path / "course"
    _publish(tmp_path, out)
    _expected_files(out, [r.submission for r in run.results])
    book = pd.read_csv(out / "gradebook.csv", dtype={"student_id": str}).set_index("student_id")
    assert book.loc["1004", "hw1_flags"] == "error"  # the PDF
    assert book.loc["1007", "hw1_flags"] == "missing"
    assert book.loc["1006", "hw1_late_days"] == 2
    check_page_in_browser(out / "report" / "hw1.html", expect_images=4)
