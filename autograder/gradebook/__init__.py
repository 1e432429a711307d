"""Gradebooks built with pandas from grading results.

* per assignment: :func:`assignment_gradebook` (one row per submission; ``OUT/gradebook.csv``);
* per case: :func:`cases_frame` (one row per submission × test case, for analysis; CSV and
  Parquet);
* per course: :func:`autograder.gradebook.course.course_gradebook` (roster × assignments and
  quizzes, weights, late policy; see ``examples/course.toml``).

Everything takes plain ``list[GradingResults]``, whether they come from ``OUT/results/*.json``
(:func:`load_results`) or from another store.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..grade.results import GradingResults
from ..textsafe import clean, csv_frame, text_frame

BASE_COLUMNS = ["student_id", "submission", "status"]
CASE_COLUMNS = ["assignment", "submission", "student_id", "status", "submitted_at", "question",
                "case", "hidden", "passed", "score", "max_score", "seconds", "message",
                "sha256", "fixtures", "grader_version", "device", "isolation"]


def load_results(out: Path) -> list[GradingResults]:
    """Every results file under ``OUT/results`` (unreadable ones are skipped with a warning)."""
    results = []
    for path in sorted((Path(out) / "results").glob("*.json")):
        try:
            results.append(GradingResults.from_gradescope(json.loads(path.read_text())))
        except Exception as e:  # noqa: BLE001 - one unreadable file, not the gradebook
            print(f"warning: skipping {path}: {type(e).__name__}: {e}")
    return results


def assignment_gradebook(results: list[GradingResults]) -> pd.DataFrame:
    """One row per submission: student id, points per question, total, max, status, message."""
    rows = []
    question_names: list[str] = []
    for r in results:
        row = {"student_id": clean(r.student_id), "submission": clean(r.submission)}
        for q in r.questions:
            row[q.name] = q.score
            if q.name not in question_names:
                question_names.append(q.name)
        row.update(total=r.score, max=r.max_score, status=r.status, message=clean(r.message),
                   isolation=r.isolation, seconds=round(r.seconds, 3))
        rows.append(row)
    columns = ["student_id", "submission", *question_names, "total", "max", "status", "message",
               "isolation", "seconds"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["student_id", "submission"], kind="stable").reset_index(drop=True)


def write_assignment_gradebook(results: list[GradingResults], out: Path) -> Path:
    path = Path(out) / "gradebook.csv"
    csv_frame(assignment_gradebook(results)).to_csv(path, index=False)
    return path


def cases_frame(results: list[GradingResults]) -> pd.DataFrame:
    """One row per submission × test case: the full results, for analysis."""
    rows = []
    for r in results:
        for q in r.questions:
            for c in q.cases:
                rows.append({
                    "assignment": r.assignment, "submission": clean(r.submission),
                    "student_id": clean(r.student_id), "status": r.status,
                    "submitted_at": getattr(r, "submitted_at", ""), "question": q.name,
                    "case": c.name, "hidden": c.hidden, "passed": c.passed, "score": c.score,
                    "max_score": c.max_score, "seconds": c.seconds,
                    "message": clean(c.message),
                    "sha256": r.sha256, "fixtures": r.fixtures,
                    "grader_version": r.grader_version, "device": r.device,
                    "isolation": r.isolation})
    frame = pd.DataFrame(rows, columns=CASE_COLUMNS)
    return frame.astype({"hidden": bool, "passed": bool, "score": float, "max_score": float,
                         "seconds": float})


def write_cases(results: list[GradingResults], out: Path, stem: str = "cases") -> list[Path]:
    """``OUT/<stem>.csv`` and, when pyarrow is installed, ``OUT/<stem>.parquet``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    frame = cases_frame(results)
    paths = [out / f"{stem}.csv"]
    csv_frame(frame).to_csv(paths[0], index=False)
    try:
        import pyarrow  # noqa: F401 - optional: Parquet is written only where it is installed
    except ImportError:
        print(f"warning: pyarrow is not installed; {stem}.parquet not written")
        return paths
    paths.append(out / f"{stem}.parquet")
    text_frame(frame).to_parquet(paths[1], index=False)
    return paths
