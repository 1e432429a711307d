"""What a student may see of a submission now: the visibility policy applied to a result.

A test shows when its kind's level allows it (:func:`autograder.serve.policy.visibility`); a
hidden test that shows gives pass/fail and its safe message (numbers that could be hidden
values blanked, :func:`autograder.report.feedback.safe_message`), never more. Until the whole
score may show, ``score``/``max_score`` cover the shown tests only and ``withheld`` says how
many tests and points are not shown yet, and when they will be; anything computed from the
hidden score (the late penalty when it is a share of the score, which of several submissions
is best) is left out too, and so is what the result's message says about a withheld test (a
crash or a time limit on a hidden case would tell that it failed).

Staff see everything; what a submission printed is for staff only, since it may show hidden
inputs.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from ..grade import points
from ..grade.results import GradingResults, QuestionResult
from ..report.feedback import safe_message
from .policy import Shown
from .queue import Row


def _utc(moment: float | None) -> str:
    if moment is None:
        return ""
    return datetime.fromtimestamp(moment, timezone.utc).isoformat(timespec="seconds")


def visible_result(result: GradingResults, shown: Shown) -> tuple[GradingResults, dict | None]:
    """A copy of ``result`` holding only the tests that show now (questions re-totalled), and
    what is withheld (None when nothing is)."""
    questions, held_tests, held_points, held_names = [], 0, 0.0, set()
    for q in result.questions:
        cases = [c for c in q.cases if (shown.hidden if c.hidden else shown.public)]
        held_names |= {c.name for c in q.cases} - {c.name for c in cases}
        held_tests += len(q.cases) - len(cases)
        held_points += sum(c.max_score for c in q.cases) - sum(c.max_score for c in cases)
        if not cases:
            continue
        if len(cases) == len(q.cases):
            score, top = q.score, q.max_score
        else:  # as the grader totals a question: all passed is exactly its points
            top = points.total(c.max_score for c in cases)
            score = top if all(c.passed for c in cases) else points.total(c.score for c in cases)
        questions.append(QuestionResult(q.name, score, top,
                                        [replace(c, message=safe_message(c)) for c in cases]))
    if not held_tests:
        return replace(result, questions=questions), None
    status, message = _notes_shown(result, held_names)
    result = replace(result, status=status, message=message)
    if shown.totals:  # published: the total shows, the tests of a never-shown kind do not
        return replace(result, questions=questions), {
            "tests": held_tests, "max_score": round(held_points, 6),
            "visibility": shown.hidden_level, "shown_from": None, "in_score": True}
    # totalled like GradingResults.score: the exact sum of the shown cases, rounded once
    copy = replace(result, questions=questions,
                   max_score=points.total(c.max_score for q in questions for c in q.cases))
    return copy, {"tests": held_tests, "max_score": round(held_points, 6),
                  "visibility": shown.hidden_level,
                  "shown_from": shown.hidden_from.isoformat() if shown.hidden_from else None,
                  "in_score": False}


FRESH = "the other cases ran in a fresh process"  # how an incident's note ends


def _notes_shown(result: GradingResults, held: set[str]) -> tuple[str, str]:
    """The result's status and message without its notes about the ``held`` cases (the
    sandbox names the case in each: ``... (case NAME)``). A status that came from such a
    note alone becomes ``graded``."""
    kept, dropped, first_dropped = [], False, False
    for i, part in enumerate(result.message.split("; ") if result.message else []):
        if part == FRESH and dropped and (not kept or kept[-1] is None):
            continue
        if any(f"(case {name})" in part or f"(case {name};" in part for name in held):
            dropped, first_dropped = True, first_dropped or i == 0
            kept.append(None)
            continue
        kept.append(part)
    if not dropped:
        return result.status, result.message
    kept = [p for p in kept if p is not None]
    status = result.status
    if first_dropped and not any("(case " in p for p in kept):
        status = "graded"  # the incident that set it is withheld
    return status, "; ".join(kept)


def tests_json(result: GradingResults, level: dict[bool, str]) -> list[dict[str, Any]]:
    return [{"name": f"{q.name}: {c.name}", "question": q.name, "hidden": c.hidden,
             "visibility": level[c.hidden], "status": "passed" if c.passed else "failed",
             "score": c.score, "max_score": c.max_score, "output": c.message}
            for q in result.questions for c in q.cases]


def submission_json(row: Row, result: GradingResults | None, shown: Shown | None, *,
                    levels: dict[bool, str], late: dict[str, Any], standing: dict | None,
                    position: int = 0, eta: float | None = None) -> dict[str, Any]:
    """The API's view of one submission for its student."""
    body: dict[str, Any] = {
        "id": row.id, "assignment": row.assignment, "status": row.status,
        "received_at": _utc(row.received_at), "filename": row.filename,
        "score": None, "max_score": None, "late": bool(late.get("days")),
        "late_days": int(late.get("days") or 0), "due": late.get("due"), "tests": []}
    if row.status in ("queued", "running"):
        body["position"] = position
        body["eta_seconds"] = None if eta is None else round(eta, 1)
        return body
    body["graded_at"] = _utc(row.finished_at)
    body["message"] = row.message or ""
    if result is None or shown is None:
        return body
    visible, withheld = visible_result(result, shown)
    body["result_status"] = visible.status
    body["message"] = visible.message
    if visible.status == "graded":
        body["status"] = "graded"
    body["score"], body["max_score"] = visible.score, visible.max_score
    if withheld and withheld.get("in_score"):
        body["score"], body["max_score"] = result.score, result.max_score
    body["tests"] = tests_json(visible, levels)
    body["withheld"] = withheld
    if standing:
        body.update({k: v for k, v in standing.items() if k in ("counts", "penalty",
                                                                "final_score")})
    return body


def standing_view(row: dict[str, Any] | None, shown: Shown, select: str) -> dict[str, Any]:
    """From the course gradebook's row for a submission: whether it counts, the late penalty
    and the score after it, each only when it does not reveal a withheld score."""
    if row is None:
        return {}
    out: dict[str, Any] = {}
    if shown.totals or select != "best":  # "best" compares the scores, hidden ones included
        out["counts"] = bool(row.get("counted"))
    if shown.totals:
        out["penalty"] = float(row.get("penalty") or 0.0)
        out["final_score"] = float(row.get("score") or 0.0)
    return out
