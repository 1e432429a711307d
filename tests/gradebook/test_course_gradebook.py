"""The course gradebook: roster, weights, late policy, selection, quizzes, Canvas CSV, exports."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from autograder.gradebook import cases_frame, load_results, write_cases
from autograder.gradebook.config import ConfigError, config_from_dict, load_config
from autograder.gradebook.course import course_gradebook
from autograder.gradebook.roster import roster_from_frame
from autograder.gradebook.samples import make_result, write_results
from autograder.grade.results import GradingResults
from autograder.ingest.canvas import marked_late
from autograder.lms.canvas import canvas_csv, read_canvas_csv

REPO = Path(__file__).resolve().parents[2]
ROSTER = pd.DataFrame({
    "student_id": ["s1", "s2", "s3", "s4"],
    "name": ["Ann", "Bo", "Cy", "Di"],
    "email": ["ann@uni.edu", "bo@uni.edu", "cy@uni.edu", "di@uni.edu"],
    "section": ["A", "A", "B", "B"],
    "canvas_id": ["101", "102", "103", "104"],
})
BASE = {
    "title": "T", "timezone": "Asia/Hong_Kong",
    "late": {"grace_minutes": 10, "per_day": 0.1, "max_days": 3},
    "assignments": [{"name": "hw1", "due": "2026-02-19T23:59:00", "weight": 1},
                     {"name": "hw2", "due": "2026-03-05T23:59:00", "weight": 1}],
}


def _config(**changes):
    data = json.loads(json.dumps(BASE))
    for key, value in changes.items():
        data[key] = value
    return config_from_dict(data)


def _book(results, scores=None, **changes):
    return course_gradebook(_config(**changes), results=results, scores=scores,
                            roster=roster_from_frame(ROSTER))


def _row(book, sid, item):
    rows = book.items[(book.items["student_id"] == sid) & (book.items["item"] == item)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_late_policy_grace_penalty_and_cutoff():
    hw1 = [make_result("s1", 1.0, submitted_at="2026-02-20T00:05:00+08:00"),  # within grace
           make_result("s2", 1.0, submitted_at="2026-02-20T00:30:00+08:00"),  # 1 day late
           make_result("s3", 1.0, submitted_at="2026-02-21T12:00:00+08:00"),  # 2 days late
           make_result("s4", 1.0, submitted_at="2026-02-24T12:00:00+08:00")]  # 5 days: cut off
    book = _book({"hw1": hw1, "hw2": []})
    got = {sid: (_row(book, sid, "hw1")["score"], _row(book, sid, "hw1")["late_days"])
           for sid in ("s1", "s2", "s3", "s4")}
    assert got == {"s1": (5.0, 0), "s2": (4.5, 1), "s3": (4.0, 2), "s4": (0.0, 5)}
    assert "too-late" in _row(book, "s4", "hw1")["flags"]
    assert _row(book, "s3", "hw1")["flags"] == "late"


def test_penalty_of_score_and_budget_of_late_days():
    hw1 = [make_result("s1", 0.5, submitted_at="2026-02-21T12:00:00+08:00")]  # 2 days late
    hw2 = [make_result("s1", 1.0, submitted_at="2026-03-07T12:00:00+08:00")]  # 2 days late
    book = _book({"hw1": hw1, "hw2": hw2},
                 late={"per_day": 0.1, "penalty_of": "score", "budget_days": 3})
    # hw1 (due first) spends 2 free days; hw2 gets the 1 left and pays for 1 day: 10% of 5
    assert (_row(book, "s1", "hw1")["score"], _row(book, "s1", "hw1")["budget_used"]) == (2.5, 2)
    assert (_row(book, "s1", "hw2")["score"], _row(book, "s1", "hw2")["budget_used"]) == (4.5, 1)


def test_extensions_by_days_and_until():
    hw1 = [make_result("s1", 1.0, submitted_at="2026-02-21T12:00:00+08:00"),
           make_result("s2", 1.0, submitted_at="2026-02-21T12:00:00+08:00")]
    hw2 = [make_result("s2", 1.0, assignment="hw2", submitted_at="2026-03-08T12:00:00+08:00")]
    book = _book({"hw1": hw1, "hw2": hw2}, extensions=[
        {"student_id": "s1", "assignment": "hw1", "days": 2},
        {"student_id": "s2", "assignment": "*", "until": "2026-03-09T00:00:00"}])
    assert _row(book, "s1", "hw1")["score"] == 5.0
    assert _row(book, "s1", "hw1")["flags"] == "extension"
    assert _row(book, "s1", "hw1")["due"] == "2026-02-21T23:59+08:00"
    assert _row(book, "s2", "hw1")["score"] == 5.0 and _row(book, "s2", "hw2")["score"] == 5.0
    with pytest.raises(ConfigError, match="unknown item"):
        _config(extensions=[{"student_id": "s1", "assignment": "hw9", "days": 1}])


@pytest.mark.parametrize("select, chosen", [("latest", "on-time-2"), ("best", "late-best"),
                                            ("last", "late-best")])
def test_which_submission_counts(select, chosen):
    hw1 = [make_result("s1", 0.5, submission="on-time-1",
                       submitted_at="2026-02-18T10:00:00+08:00"),
           make_result("s1", 0.5, submission="on-time-2",
                       submitted_at="2026-02-19T10:00:00+08:00"),
           make_result("s1", 1.0, submission="late-best",
                       submitted_at="2026-02-20T10:00:00+08:00"),  # 1 day late: 5 - 0.5
           make_result("s1", 0.0, submission="early-zero",
                       submitted_at="2026-02-10T10:00:00+08:00")]
    book = _book({"hw1": hw1, "hw2": []}, select=select)
    row = _row(book, "s1", "hw1")
    assert row["submission"] == chosen and row["submissions"] == 4
    subs = book.submissions[book.submissions["student_id"] == "s1"]
    assert subs["counted"].sum() == 1
    assert subs.loc[subs["counted"], "submission"].item() == chosen


def test_latest_falls_back_to_a_late_submission_and_ties_go_to_the_better_file():
    hw1 = [make_result("s1", 0.5, submission="late-a", submitted_at="2026-02-21T10:00:00+08:00"),
           make_result("s1", 1.0, submission="late-b", submitted_at="2026-02-22T10:00:00+08:00"),
           # two files of one Canvas submission: same (unknown) time, the notebook wins
           make_result("s2", 0.0, submission="s2-pdf", status="error", message="not a notebook"),
           make_result("s2", 1.0, submission="s2-nb")]
    book = _book({"hw1": hw1, "hw2": []})
    assert _row(book, "s1", "hw1")["submission"] == "late-b"
    assert _row(book, "s1", "hw1")["score"] == pytest.approx(5 - 3 * 0.5)
    assert _row(book, "s2", "hw1")["submission"] == "s2-nb"
    assert "time-unknown" in _row(book, "s2", "hw1")["flags"]


def test_missing_students_unmatched_ids_and_roster_aliases():
    hw1 = [make_result("101", 1.0),  # Canvas id of s1
           make_result("BO@uni.edu", 0.5),  # e-mail, any case
           make_result("cy", 1.0),  # e-mail local part
           make_result("9999", 0.5, submission="stranger")]  # nobody
    book = _book({"hw1": hw1, "hw2": []})
    assert _row(book, "s1", "hw1")["score"] == 5.0
    assert _row(book, "s2", "hw1")["score"] == 2.5
    assert _row(book, "s3", "hw1")["score"] == 5.0
    missing = _row(book, "s4", "hw1")
    assert (missing["score"], missing["status"], missing["flags"]) == (0.0, "missing", "missing")
    # never dropped: a row of its own, and listed
    assert list(book.unmatched["student_id"]) == ["9999"]
    stranger = book.students[book.students["student_id"] == "9999"].iloc[0]
    assert not stranger["on_roster"] and stranger["hw1"] == 2.5
    assert any("9999" in line for line in book.issues)


def test_weights_pending_items_and_totals():
    hw1 = [make_result("s1", 1.0), make_result("s2", 0.5)]
    book = _book({"hw1": hw1}, assignments=[
        {"name": "hw1", "due": "2026-02-19T23:59:00", "weight": 3},
        {"name": "hw2", "due": "2026-03-05T23:59:00", "weight": 1}],
        quiz={"name": "quiz", "weight": 1})
    scores = {"quiz": pd.DataFrame({"student_id": ["s1", "s2", "s3", "zz"],
                                    "score": [10, 20, 5, 1], "max_score": [20, 20, 10, 20]})}
    book = course_gradebook(book.config, results={"hw1": hw1}, scores=scores,
                            roster=roster_from_frame(ROSTER))
    st = book.students.set_index("student_id")
    assert math.isnan(st.loc["s1", "hw2"])  # hw2: no results at all → pending
    assert st.loc["s1", "quiz"] == 10 and st.loc["s3", "quiz"] == 10  # 5/10 scaled to 20
    assert st.loc["s1", "total_percent"] == pytest.approx(100 * (3 * 1 + 1 * 0.5) / 4)
    assert st.loc["s2", "total_percent"] == pytest.approx(100 * (3 * 0.5 + 1 * 1.0) / 4)
    assert st.loc["s4", "total_percent"] == 0
    assert "missing:hw1" in st.loc["s4", "flags"] and "missing:quiz" in st.loc["s4", "flags"]
    assert "zz" in set(book.unmatched["student_id"])
    assert any("hw2: pending" in line for line in book.issues)


def test_quiz_scores_from_csv_and_a_missing_file(tmp_path):
    (tmp_path / "quiz").mkdir()
    (tmp_path / "quiz" / "scores.csv").write_text(
        "student_id,score,max_score\ns1,18,20\ns2,,20\n")
    (tmp_path / "roster.csv").write_text(ROSTER.to_csv(index=False))
    (tmp_path / "course.toml").write_text(
        'roster = "roster.csv"\nresults = "."\n[quiz]\nname = "quiz"\n'
        'scores = "{results}/quiz/scores.csv"\n[[quizzes]]\nname = "final"\n')
    book = course_gradebook(tmp_path / "course.toml")
    st = book.students.set_index("student_id")
    assert (st.loc["s1", "quiz"], st.loc["s2", "quiz"], st.loc["s3", "quiz"]) == (18, 0, 0)
    assert math.isnan(st.loc["s1", "final"])  # no final/scores.csv yet: pending
    assert st.loc["s1", "total_percent"] == pytest.approx(90)


def test_times_csv_and_canvas_late_marker(tmp_path):
    times = tmp_path / "times.csv"
    times.write_text("file,student_id,submitted_at\n"
                     "doe_101_5_hw1.ipynb,,2026-02-21T09:00:00\n")
    results = [make_result("101", 1.0, source="/dl.zip!doe_101_5_hw1.ipynb",
                           submitted_at="2026-01-01T00:00:00+08:00"),  # overridden by the CSV
               make_result("102", 1.0, source="/dl.zip!bo_LATE_102_6_hw1.ipynb")]
    assert marked_late(results[1].source) and not marked_late(results[0].source)
    book = _book({"hw1": results, "hw2": []}, assignments=[
        {"name": "hw1", "due": "2026-02-19T23:59:00", "times": str(times)}])
    assert _row(book, "s1", "hw1")["late_days"] == 2
    bo = _row(book, "s2", "hw1")  # LATE, time unknown: charged as 1 day late (10% of 5)
    assert bo["score"] == 4.5 and bo["late_days"] == 1 and bo["penalty"] == 0.5
    assert "canvas-late" in bo["flags"] and "time-unknown" in bo["flags"]
    assert any("marked LATE by Canvas" in line and "1 day late" in line for line in book.issues)


def test_times_csv_names_the_uploaded_file_not_what_is_inside_it(tmp_path):
    """An otter export's notebook is "hw1.ipynb" for every student: a time is the Canvas
    file's (the export zip), never the shared inner name's."""
    times = tmp_path / "times.csv"
    times.write_text("file,submitted_at\n"
                     "doe_101_5_hw1_2026.zip,2026-02-21T09:00:00\n"
                     "hw1.ipynb,2026-02-28T09:00:00\n")
    results = [make_result("101", 1.0, source="/dl.zip!doe_101_5_hw1_2026.zip!hw1.ipynb"),
               make_result("102", 1.0, source="/dl.zip!bo_102_6_hw1_2026.zip!hw1.ipynb")]
    book = _book({"hw1": results, "hw2": []}, assignments=[
        {"name": "hw1", "due": "2026-02-19T23:59:00", "times": str(times)}])
    assert _row(book, "s1", "hw1")["late_days"] == 2
    assert _row(book, "s2", "hw1")["late_days"] == 0  # unknown, not hw1.ipynb's time


def test_canvas_csv(tmp_path):
    hw1 = [make_result("s1", 1.0), make_result("s2", 0.5), make_result("nobody", 1.0)]
    book = _book({"hw1": hw1}, assignments=[
        {"name": "hw1", "title": "Homework 1", "due": "2026-02-19T23:59:00", "canvas_id": "777"},
        {"name": "hw2", "due": "2026-03-05T23:59:00"}],
        canvas={"id_column": "canvas_id", "sis_user_id_column": "student_id",
                "sis_login_id_column": "email"})
    text = canvas_csv(book)
    lines = text.splitlines()
    assert lines[0] == "Student,ID,SIS User ID,SIS Login ID,Section,Homework 1 (777)"
    assert lines[1] == "    Points Possible,,,,,5"
    (tmp_path / "canvas.csv").write_text(text)
    students, points = read_canvas_csv(tmp_path / "canvas.csv")
    assert points == {"Homework 1 (777)": 5.0}
    assert list(students["ID"]) == ["101", "102", "103", "104"]  # roster only: no "nobody"
    assert list(students["SIS Login ID"])[:2] == ["ann@uni.edu", "bo@uni.edu"]
    assert list(students["Homework 1 (777)"]) == ["5.0", "2.5", "0.0", "0.0"]


def test_results_round_trip_keeps_submitted_at_and_reads_old_files(tmp_path):
    r = make_result("s1", 0.5, submitted_at="2026-02-19T10:00:00+08:00")
    write_results(tmp_path, [r])
    old = r.to_gradescope()
    del old["extra_data"]["submitted_at"]  # a results file written before the field existed
    (tmp_path / "results" / "old.json").write_text(json.dumps(old))
    loaded = {x.submission: x for x in load_results(tmp_path)}
    assert loaded[r.submission].submitted_at == "2026-02-19T10:00:00+08:00"
    assert loaded[r.submission].score == r.score
    assert GradingResults.from_gradescope(old).submitted_at == ""


def test_cases_csv_and_parquet(tmp_path):
    results = [make_result("s1", 1.0), make_result("s2", 0.5)]
    frame = cases_frame(results)
    assert len(frame) == 8 and frame["hidden"].sum() == 4
    paths = write_cases(results, tmp_path)
    back = pd.read_csv(paths[0], dtype={"student_id": str})
    assert list(back["case"]) == list(frame["case"])
    pytest.importorskip("pyarrow")
    parquet = pd.read_parquet(tmp_path / "cases.parquet")
    assert parquet["passed"].dtype == bool and parquet["score"].sum() == frame["score"].sum()


def test_example_course_config():
    config = load_config(REPO / "examples" / "course.toml")
    assert [i.name for i in config.items] == ["hw1", "hw2", "hw3", "hw4", "hw5", "quiz"]
    assert config.roster.name == "roster.csv" and config.roster.is_file()
    assert config.item("hw1").due.utcoffset().total_seconds() == 8 * 3600
    assert config.item("quiz").kind == "csv"
    with pytest.raises(ConfigError, match="select"):
        _config(select="random")


def test_staff_overrides_replace_a_score_and_say_why(tmp_path):
    """The course server's overrides.csv (or ``overrides=``): the student's item score is the
    one staff set, flagged, with who and why; matched to the roster like results are."""
    hw1 = [make_result("s1", 0.5, submitted_at="2026-02-19T10:00:00+08:00")]
    write_results(tmp_path / "hw1", hw1)
    (tmp_path / "hw1" / "overrides.csv").write_text(
        "student_id,score,reason,by,at\ns1,4.5,\"regrade, q2\",ta1,2026-02-25T10:00:00+00:00\n"
        "di@uni.edu,3,oral exam,prof,2026-02-25T10:00:00+00:00\n")
    config = config_from_dict(json.loads(json.dumps(BASE)), results_root=tmp_path)
    book = course_gradebook(config, roster=roster_from_frame(ROSTER))
    s1, s4, s2 = (_row(book, sid, "hw1") for sid in ("s1", "s4", "s2"))
    assert s1["score"] == 4.5 and s1["raw_score"] == 2.5 and "override" in s1["flags"]
    assert s1["override"] == "4.5 by ta1: regrade, q2"
    assert s4["score"] == 3 and s4["flags"] == "override"  # not "missing" any more
    assert s2["override"] == "" and "override" not in s2["flags"]
    students = book.students.set_index("student_id")
    assert students.loc["s1", "hw1"] == 4.5 and "override:hw1" in students.loc["s1", "flags"]
    assert any("s1's score is overridden" in i for i in book.issues)
    # given directly, they win over the file; none at all: the computed score
    given = course_gradebook(config, roster=roster_from_frame(ROSTER),
                             overrides={"hw1": {"s1": (1.0, "x")}})
    assert _row(given, "s1", "hw1")["score"] == 1.0 and _row(given, "s4", "hw1")["score"] == 0
    (tmp_path / "hw1" / "overrides.csv").unlink()
    plain = course_gradebook(config, roster=roster_from_frame(ROSTER))
    assert _row(plain, "s1", "hw1")["score"] == 2.5 and _row(plain, "s1", "hw1")["override"] == ""


def test_a_relative_results_root_is_from_the_current_folder(tmp_path, monkeypatch):
    """`autograder publish --config examples/course.toml --results out/demo`, run from the
    course folder: out/demo is the current folder's, for the assignments and `{results}`."""
    from typer.testing import CliRunner

    from autograder.cli import app

    repo = Path(__file__).resolve().parents[2]
    work = tmp_path / "work"
    (work / "examples").mkdir(parents=True)
    for name in ("course.toml", "roster.csv", "hw1/times.csv", "hw2/times.csv"):
        (work / "examples" / name).parent.mkdir(parents=True, exist_ok=True)
        (work / "examples" / name).write_bytes((repo / "examples" / name).read_bytes())
    quiz = work / "out" / "demo" / "quiz"
    quiz.mkdir(parents=True)
    (quiz / "scores.csv").write_text("student_id,score,max_score\n1001,17,20\n")
    monkeypatch.chdir(work)
    config = load_config("examples/course.toml", "out/demo")
    items = {i.name: i for i in config.items}
    assert items["quiz"].scores == quiz / "scores.csv"
    assert items["hw1"].results == work / "out" / "demo" / "hw1"
    r = CliRunner().invoke(app, ["publish", "--config", "examples/course.toml",
                                 "--results", "out/demo", "-o", "course"])
    assert r.exit_code == 0, r.output
    book = pd.read_csv(work / "course" / "gradebook.csv", dtype={"student_id": str})
    assert book.set_index("student_id").loc["1001", "quiz"] == 17
