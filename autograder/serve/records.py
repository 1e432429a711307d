"""What staff decide, kept with an audit trail: score overrides, answers to regrade requests,
and which assignments have their hidden results published.

Every change is one transaction that also appends to ``serve_audit`` (who, when, what, the
values before and after). Overrides are also written to ``<results>/<hw>/overrides.csv``
(``student_id, score, reason, by, at``), which the course gradebook reads, so ``publish`` shows
them like the server does.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine

from ..atomic import write_atomic
from . import tables as t

MAX_TEXT = 4000
OVERRIDE_COLUMNS = ("student_id", "score", "reason", "by", "at")


def clean_text(text: str, limit: int = MAX_TEXT) -> str:
    """Text a person typed, as stored: no control characters but newlines and tabs."""
    kept = "".join(ch for ch in str(text) if ch in "\n\t" or (ch >= " " and ch != "\x7f"
                                                               and not 0x80 <= ord(ch) < 0xa0))
    return kept.strip()[:limit]


def cell(text: str) -> str:
    """Text for a CSV cell that a spreadsheet will not read as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def iso(moment: float | None) -> str:
    if moment is None:
        return ""
    return datetime.fromtimestamp(moment, timezone.utc).isoformat(timespec="seconds")


@dataclass
class Override:
    assignment: str
    student_id: str
    score: float
    reason: str
    by: str
    at: float


@dataclass
class Regrade:
    id: int
    submission_id: str
    student_id: str
    assignment: str
    question: str
    message: str
    opened_at: float
    status: str
    answer: str | None
    answered_by: str | None
    answered_at: float | None


class Records:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine  # tables created by queue.create_tables

    def _audit(self, conn, now: float, actor: str, action: str, assignment: str = "",
               student_id: str = "", **detail: Any) -> None:
        conn.execute(t.audit.insert().values(at=now, actor=actor, action=action,
                                             assignment=assignment, student_id=student_id,
                                             detail=json.dumps(detail, sort_keys=True)))

    def log_action(self, actor: str, action: str, assignment: str, student_id: str,
                   now: float, **detail: Any) -> None:
        with self.engine.begin() as conn:
            self._audit(conn, now, actor, action, assignment, student_id, **detail)

    def audit_log(self, assignment: str | None = None, student_id: str | None = None,
                  limit: int = 200) -> list[dict[str, Any]]:
        a = t.audit.c
        query = select(a.at, a.actor, a.action, a.assignment, a.student_id, a.detail) \
            .order_by(a.seq.desc()).limit(limit)
        if assignment is not None:
            query = query.where(a.assignment == assignment)
        if student_id is not None:
            query = query.where(a.student_id == student_id)
        with self.engine.connect() as conn:
            return [{"at": r[0], "actor": r[1], "action": r[2], "assignment": r[3],
                     "student_id": r[4], "detail": json.loads(r[5] or "{}")}
                    for r in conn.execute(query)]

    # ------------------------------------------------------------------ overrides
    def overrides(self, assignment: str | None = None) -> list[Override]:
        o = t.overrides.c
        query = select(o.assignment, o.student_id, o.score, o.reason, o.by, o.at) \
            .order_by(o.assignment, o.student_id)
        if assignment is not None:
            query = query.where(o.assignment == assignment)
        with self.engine.connect() as conn:
            return [Override(*r) for r in conn.execute(query)]

    def set_override(self, assignment: str, student_id: str, score: float | None, reason: str,
                     by: str, now: float) -> Override | None:
        """Set (or with ``score`` None, remove) a student's score for an assignment."""
        reason = clean_text(reason)
        if score is not None and not reason:
            raise ValueError("an override needs a reason")
        o = t.overrides.c
        where = (o.assignment == assignment, o.student_id == student_id)
        with self.engine.begin() as conn:
            before = conn.execute(select(o.score, o.reason).where(*where)).first()
            conn.execute(delete(t.overrides).where(*where))
            if score is not None:
                conn.execute(t.overrides.insert().values(
                    assignment=assignment, student_id=student_id, score=float(score),
                    reason=reason, by=by, at=now))
            self._audit(conn, now, by, "override" if score is not None else "override-removed",
                        assignment, student_id, score=score, reason=reason,
                        before=None if before is None else {"score": before[0],
                                                            "reason": before[1]})
        return None if score is None else Override(assignment, student_id, float(score),
                                                   reason, by, now)

    def write_overrides(self, assignment: str, folder: Path) -> Path:
        """``folder/overrides.csv``, replaced atomically (read by the course gradebook)."""
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(OVERRIDE_COLUMNS)
        for o in self.overrides(assignment):
            writer.writerow([o.student_id, f"{o.score:g}", cell(o.reason), cell(o.by),
                             iso(o.at)])
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "overrides.csv"
        return write_atomic(path, buf.getvalue())

    # ------------------------------------------------------------------ regrade requests
    def open_regrade(self, submission_id: str, student_id: str, assignment: str,
                     question: str, message: str, now: float) -> int:
        message = clean_text(message)
        if not message:
            raise ValueError("say what should be looked at again")
        with self.engine.begin() as conn:
            rid = conn.execute(t.regrades.insert().values(
                submission_id=submission_id, student_id=student_id, assignment=assignment,
                question=question, message=message, opened_at=now, status="open")
            ).inserted_primary_key[0]
            self._audit(conn, now, student_id, "regrade-request", assignment, student_id,
                        request=rid, submission=submission_id, question=question,
                        message=message)
        return rid

    def answer_regrade(self, rid: int, answer: str, by: str, now: float) -> Regrade | None:
        answer = clean_text(answer)
        if not answer:
            raise ValueError("the answer is empty")
        r = t.regrades.c
        with self.engine.begin() as conn:
            found = conn.execute(select(r.assignment, r.student_id).where(r.id == rid)).first()
            if found is None:
                return None
            conn.execute(update(t.regrades).where(r.id == rid).values(
                status="answered", answer=answer, answered_by=by, answered_at=now))
            self._audit(conn, now, by, "regrade-answer", found[0], found[1], request=rid,
                        answer=answer)
        return self.regrade(rid)

    def regrade(self, rid: int) -> Regrade | None:
        found = self.regrades(ids=[rid])
        return found[0] if found else None

    def regrades(self, *, ids: list[int] | None = None, submission_id: str | None = None,
                 student_id: str | None = None, status: str | None = None) -> list[Regrade]:
        r = t.regrades.c
        query = select(r.id, r.submission_id, r.student_id, r.assignment, r.question,
                       r.message, r.opened_at, r.status, r.answer, r.answered_by,
                       r.answered_at).order_by(r.id)
        if ids is not None:
            query = query.where(r.id.in_(ids))
        if submission_id is not None:
            query = query.where(r.submission_id == submission_id)
        if student_id is not None:
            query = query.where(r.student_id == student_id)
        if status is not None:
            query = query.where(r.status == status)
        with self.engine.connect() as conn:
            return [Regrade(*row) for row in conn.execute(query)]

    # ------------------------------------------------------------------ publishing
    def published(self) -> dict[str, float]:
        with self.engine.connect() as conn:
            return {r[0]: r[1] for r in conn.execute(
                select(t.published.c.assignment, t.published.c.at))}

    def set_published(self, assignment: str, on: bool, by: str, now: float) -> None:
        p = t.published.c
        with self.engine.begin() as conn:
            conn.execute(delete(t.published).where(p.assignment == assignment))
            if on:
                conn.execute(t.published.insert().values(assignment=assignment, at=now, by=by))
            self._audit(conn, now, by, "publish" if on else "unpublish", assignment)
