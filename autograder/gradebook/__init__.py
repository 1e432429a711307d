"""Gradebooks built with pandas from grading results."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..grade.results import GradingResults

BASE_COLUMNS = ["student_id", "submission", "status"]


def load_results(out: Path) -> list[GradingResults]:
    """Every results file under ``OUT/results`` (unreadable ones are skipped with a warning)."""
    results = []
    for path in sorted((Path(out) / "results").glob("*.json")):
        try:
            results.append(GradingResults.from_gradescope(json.loads(path.read_text())))
        except (ValueError, KeyError, TypeError) as e:
            print(f"warning: skipping {path}: {type(e).__name__}: {e}")
    return results


def assignment_gradebook(results: list[GradingResults]) -> pd.DataFrame:
    """One row per submission: student id, points per question, total, max, status, message."""
    rows = []
    question_names: list[str] = []
    for r in results:
        row = {"student_id": r.student_id, "submission": r.submission}
        for q in r.questions:
            row[q.name] = q.score
            if q.name not in question_names:
                question_names.append(q.name)
        row.update(total=r.score, max=r.max_score, status=r.status, message=r.message,
                   isolation=r.isolation, seconds=round(r.seconds, 3))
        rows.append(row)
    columns = ["student_id", "submission", *question_names, "total", "max", "status", "message",
               "isolation", "seconds"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["student_id", "submission"], kind="stable").reset_index(drop=True)


def write_assignment_gradebook(results: list[GradingResults], out: Path) -> Path:
    path = Path(out) / "gradebook.csv"
    assignment_gradebook(results).to_csv(path, index=False)
    return path
