"""Feedback for students: one HTML and one Markdown page per submission.

For each question: its points, the public cases with their messages, the hidden cases as
pass/fail with a message that names the problem, and the time used. The grader already keeps
hidden inputs and expected values out of hidden-case messages (``autograder.grade.checks``);
:func:`safe_message` is a second guard: in a hidden case's message it blanks every number with
three or more significant digits or in scientific notation, and every integer of five digits or
more (tolerances ``rtol=``/``atol=`` excepted), so that no hidden value can reach a student even
from a message written carelessly later (e.g. by a judge).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..grade.results import GradingResults, TestCaseResult
from ..textsafe import clean
from .render import environment

NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])")
KEPT_PREFIX = re.compile(r"(?:rtol|atol|tolerance)\s*[=:]\s*$")
MAX_MESSAGE = 600
REDACTED = "…"


def _significant(number: str) -> int:
    mantissa = re.split(r"[eE]", number.lstrip("+-"))[0].replace(".", "").lstrip("0")
    return len(mantissa)


def safe_message(case: TestCaseResult) -> str:
    """The message a student may see for a case."""
    message = clean(case.message)
    if not case.hidden:
        return message if len(message) <= 4 * MAX_MESSAGE else message[:4 * MAX_MESSAGE] + "…"

    def blank(match: re.Match) -> str:
        text = match.group(0)
        is_float = any(ch in text for ch in ".eE")
        if KEPT_PREFIX.search(message[:match.start()]):
            return text
        if any(ch in text for ch in "eE") or (is_float and _significant(text) >= 3):
            return REDACTED
        if not is_float and len(text.lstrip("+-")) >= 5:  # long integers: could be data
            return REDACTED
        return text

    message = NUMBER.sub(blank, message)
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + "…"


def feedback_context(result: GradingResults, *, course: str = "", title: str = "",
                     student: dict[str, Any] | None = None,
                     submission_row: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the feedback templates show, as plain data (hidden cases already safe)."""
    questions = []
    for q in result.questions:
        # a hidden case's time is not shown, nor counted in its question's (see
        # TestCaseResult.shown_seconds); the whole run's is shown in whole seconds
        cases = [{"name": c.name, "hidden": c.hidden, "passed": c.passed, "score": c.score,
                  "max_score": c.max_score, "seconds": None if c.hidden else c.seconds,
                  "message": safe_message(c)} for c in q.cases]
        questions.append({
            "name": q.name, "score": q.score, "max_score": q.max_score,
            "seconds": sum(c.seconds for c in q.cases if not c.hidden),
            "public": [c for c in cases if not c["hidden"]],
            "hidden": [c for c in cases if c["hidden"]],
            "passed": sum(c["passed"] for c in cases), "cases": len(cases)})
    late = None
    if submission_row:
        late = {k: submission_row.get(k) for k in ("submitted_at", "due", "late_days",
                                                     "raw_score", "penalty", "score",
                                                     "counted", "flags")}
        late["flags"] = [f for f in str(late.get("flags") or "").split(";") if f]
    return {
        "course": course, "title": title or result.assignment,
        "assignment": result.assignment, "submission": clean(result.submission),
        "student_id": clean(result.student_id),
        "student": {k: clean(v) for k, v in {"name": "", **(student or {})}.items()},
        "status": result.status, "message": clean(result.message), "score": result.score,
        "max_score": result.max_score, "seconds": float(max(1, round(result.seconds))),
        "submitted_at": ((late or {}).get("submitted_at") or getattr(result, "submitted_at", "")
                         or ""),
        "questions": questions, "late": late, "grader_version": result.grader_version,
        "fixtures": (result.fixtures or "")[:12],
    }


def render_feedback(result: GradingResults, fmt: str = "html", *,
                    templates: str | Path | None = None, **context: Any) -> str:
    """The feedback page of one submission: ``fmt`` is ``html`` or ``md``."""
    assert fmt in ("html", "md"), fmt
    template = environment(templates).get_template(f"feedback.{fmt}.j2")
    return template.render(**feedback_context(result, **context))


def write_feedback(results: list[GradingResults], out: str | Path, *, book=None,
                   course: str = "", title: str = "",
                   templates: str | Path | None = None) -> list[Path]:
    """``out/<submission>.html`` and ``.md`` for each result. With a course gradebook
    (``book``), each page also shows the student's name, lateness and whether it counted.
    A result whose page cannot be rendered is reported (in ``book.issues``, or printed) and
    skipped; the other pages are written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for r in results:
        try:
            pages = _pages(r, book, course=course, title=title, templates=templates)
        except Exception as e:  # noqa: BLE001 - one submission's page, not everybody's
            problem = (f"{r.assignment}: feedback for {clean(r.submission)} could not be "
                       f"written ({type(e).__name__}: {clean(str(e))[:200]})")
            if book is not None:
                book.issues.append(problem)
            else:
                print(f"warning: {problem}")
            continue
        for fmt, text in pages.items():
            path = out / f"{file_name(r.submission)}.{fmt}"
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def _pages(r: GradingResults, book, **context: Any) -> dict[str, str]:
    student, row = None, None
    if book is not None:
        row = book.submission_row(r.assignment, r.submission)
        sid = row["student_id"] if row else r.student_id
        if book.roster is not None and sid in book.roster:
            student = {"name": book.roster.get(sid, "name"), "student_id": sid}
    return {fmt: render_feedback(r, fmt, student=student, submission_row=row, **context)
            for fmt in ("html", "md")}


def file_name(submission: str) -> str:
    """A submission's name as a file name in one folder (ingestion already makes names of
    ``[A-Za-z0-9._-]``; a result from elsewhere may not be)."""
    name = re.sub(r"[^\w.-]+", "_", clean(submission)).lstrip(".")
    return name[:150] or "submission"
