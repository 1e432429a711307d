"""Hand-made grading results: for tests that must not depend on a built assignment, and for
previewing the feedback and report templates without grading anything."""
from __future__ import annotations

import json
from pathlib import Path

from autograder.grade.results import GradingResults, QuestionResult, TestCaseResult

QUESTIONS = {"q1": 2.0, "q2": 3.0}  # points; two cases each: one public, one hidden


def make_result(student_id: str, fraction: float = 1.0, *, assignment: str = "hw1",
                submission: str | None = None, status: str = "graded",
                submitted_at: str = "", source: str | None = None, seconds: float = 1.5,
                message: str = "", hidden_message: str = "`f` values do not match the "
                "reference within tolerance (rtol=1e-05, atol=1e-06)") -> GradingResults:
    """A result whose cases pass from the first on until ``fraction`` of each question's points."""
    submission = submission or f"{student_id}_{assignment}"
    questions = []
    for name, points in QUESTIONS.items():
        cases = []
        for i, hidden in enumerate((False, True)):
            passed = status == "graded" and (i + 1) / 2 <= fraction + 1e-9
            msg = "" if passed else (hidden_message if hidden else
                                     f"`{name}_fn` returned 1.0, expected 2.0")
            cases.append(TestCaseResult(name, f"{name}_fn/{'hidden' if hidden else 'public'}",
                                        points / 2 if passed else 0.0, points / 2, hidden,
                                        passed, msg, seconds / 4))
        questions.append(QuestionResult(name, sum(c.score for c in cases), points, cases))
    return GradingResults(assignment=assignment, submission=submission, student_id=student_id,
                          source=source or f"/subs/{submission}.ipynb", sha256="0" * 64,
                          status=status, message=message, questions=questions,
                          max_score=sum(QUESTIONS.values()), seconds=seconds,
                          isolation="process", grader_version="test", fixtures="f" * 64,
                          submitted_at=submitted_at)


def write_results(out: Path, results: list[GradingResults]) -> Path:
    folder = out / "results"
    folder.mkdir(parents=True, exist_ok=True)
    for r in results:
        (folder / f"{r.submission}.json").write_text(json.dumps(r.to_gradescope()))
    return out
