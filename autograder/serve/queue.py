"""The persistent queue of submissions, and each student's rate-limit bucket.

An accepted upload is committed as a ``queued`` row (with its bytes) in the same transaction
that takes a token from the student's bucket, before the server answers 202. Grading workers
claim rows oldest first, skipping any student who already has one running (one submission in
flight per student), and record the outcome in the row. A server that stops (even ``kill -9``)
leaves ``running`` rows; :meth:`Queue.requeue_running` queues them again when it restarts.

Writes go through one lock per process, and rows are read ``FOR UPDATE`` where the database
has it, so that two requests of one student cannot both spend the bucket's last token.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from . import tables as t
from .policy import AssignmentPolicy, Bucket, full_bucket, take
from .records import clean_text

STATUSES = ("queued", "running", "graded", "error")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def create_tables(engine: Engine) -> None:
    """Create the server's tables; two servers starting at once on a fresh database may race
    on CREATE TABLE: the loser tries again and finds them."""
    for attempt in range(5):
        try:
            t.metadata.create_all(engine)
            return
        except (IntegrityError, ProgrammingError, OperationalError):
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))


def clean_filename(name: str) -> str:
    """An uploaded file's name as stored and shown: its last path part, printable only."""
    base = re.split(r"[\\/]", str(name))[-1]
    return clean_text(base.replace("\n", " ").replace("\t", " "), 200) or "upload"


def safe_name(text: str, limit: int = 80) -> str:
    return _UNSAFE.sub("_", text)[:limit].strip("._") or "x"


@dataclass
class Row:
    """One submission as the server knows it (without its bytes)."""

    seq: int
    id: str
    student_id: str
    assignment: str
    status: str
    filename: str
    size: int
    sha256: str
    received_at: float
    started_at: float | None = None
    finished_at: float | None = None
    attempts: int = 0
    result_key: str | None = None
    result_status: str | None = None
    score: float | None = None
    max_score: float | None = None
    seconds: float | None = None
    message: str | None = None

    @property
    def name(self) -> str:
        """Its name in the results store and folder (unique: the id is random)."""
        return f"{safe_name(self.student_id)}-{safe_name(self.assignment, 40)}-{self.id}"

    @property
    def done(self) -> bool:
        return self.status in ("graded", "error")


_COLUMNS = [getattr(t.submissions.c, f.name) for f in fields(Row)]


def _row(r: Any) -> Row:
    return Row(**{f.name: r[i] for i, f in enumerate(fields(Row))})


@dataclass
class Accepted:
    row: Row
    bucket: Bucket


@dataclass
class Refused:
    bucket: Bucket
    retry_after: float  # seconds


class Queue:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.lock = threading.Lock()
        create_tables(engine)

    # ------------------------------------------------------------------ accepting
    def _bucket(self, conn, student_id: str, assignment: str) -> Bucket | None:
        b = t.buckets.c
        found = conn.execute(select(b.tokens, b.at).where(
            b.student_id == student_id, b.assignment == assignment).with_for_update()).first()
        return Bucket(found[0], found[1]) if found else None

    def bucket(self, student_id: str, assignment: str, policy: AssignmentPolicy,
               now: float) -> Bucket:
        """The student's bucket as it is now (refilled), without taking anything."""
        with self.engine.connect() as conn:
            found = self._bucket(conn, student_id, assignment)
        return (found or full_bucket(policy, now)).refilled(policy, now)

    def accept(self, student_id: str, assignment: str, filename: str, data: bytes, now: float,
               policy: AssignmentPolicy | None) -> Accepted | Refused:
        """Queue an upload, taking a token from the student's bucket (``policy`` None: no
        limit, for staff). One transaction: the token is spent only if the row is stored."""
        with self.lock, self.engine.begin() as conn:
            bucket = full_bucket(policy or AssignmentPolicy(), now)
            if policy is not None:
                before = self._bucket(conn, student_id, assignment)
                allowed, bucket = take(before, policy, now)
                if not allowed:
                    return Refused(bucket, bucket.retry_after(policy))
                values = {"tokens": bucket.tokens, "at": bucket.at}
                if before is None:
                    conn.execute(t.buckets.insert().values(student_id=student_id,
                                                           assignment=assignment, **values))
                else:
                    conn.execute(update(t.buckets).where(
                        t.buckets.c.student_id == student_id,
                        t.buckets.c.assignment == assignment).values(**values))
            row = {"id": secrets.token_hex(8), "student_id": student_id,
                   "assignment": assignment, "status": "queued",
                   "filename": clean_filename(filename),
                   "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                   "data": data, "received_at": now, "attempts": 0}
            seq = conn.execute(t.submissions.insert().values(**row)).inserted_primary_key[0]
        return Accepted(Row(seq=seq, **{k: v for k, v in row.items() if k != "data"}), bucket)

    # ------------------------------------------------------------------ grading
    def claim(self, now: float) -> tuple[Row, bytes] | None:
        """The oldest queued submission of a student with nothing running, now ``running``."""
        s = t.submissions.c
        busy = select(s.student_id).where(s.status == "running")
        with self.lock, self.engine.begin() as conn:
            found = conn.execute(
                select(*_COLUMNS, s.data).where(s.status == "queued",
                                                s.student_id.not_in(busy))
                .order_by(s.seq).limit(1).with_for_update(skip_locked=True)).first()
            if found is None:
                return None
            row, data = _row(found), found[-1]
            conn.execute(update(t.submissions).where(s.seq == row.seq).values(
                status="running", started_at=now, attempts=s.attempts + 1))
        row.status, row.started_at, row.attempts = "running", now, row.attempts + 1
        return row, data

    def finish(self, row: Row, *, status: str, now: float, result_key: str | None = None,
               result_status: str | None = None, score: float | None = None,
               max_score: float | None = None, message: str = "") -> None:
        assert status in ("graded", "error"), status
        with self.lock, self.engine.begin() as conn:
            conn.execute(update(t.submissions).where(t.submissions.c.seq == row.seq).values(
                status=status, finished_at=now, result_key=result_key,
                result_status=result_status, score=score, max_score=max_score,
                seconds=now - (row.started_at or now), message=message[:4000]))

    def requeue_running(self) -> int:
        """After a restart: whatever was running when the server stopped is queued again."""
        with self.lock, self.engine.begin() as conn:
            return conn.execute(update(t.submissions).where(
                t.submissions.c.status == "running").values(status="queued",
                                                            started_at=None)).rowcount

    def requeue(self, submission_id: str) -> bool:
        """Grade a submission again (staff): back in the queue, at its original place."""
        s = t.submissions.c
        with self.lock, self.engine.begin() as conn:
            return conn.execute(update(t.submissions).where(
                s.id == submission_id, s.status.in_(("graded", "error"))).values(
                status="queued", started_at=None, finished_at=None)).rowcount == 1

    # ------------------------------------------------------------------ reading
    def get(self, submission_id: str) -> Row | None:
        with self.engine.connect() as conn:
            found = conn.execute(select(*_COLUMNS).where(
                t.submissions.c.id == submission_id)).first()
        return _row(found) if found else None

    def data(self, submission_id: str) -> bytes:
        with self.engine.connect() as conn:
            found = conn.execute(select(t.submissions.c.data).where(
                t.submissions.c.id == submission_id)).first()
        return bytes(found[0]) if found else b""

    def rows(self, *, student_id: str | None = None, assignment: str | None = None,
             statuses: tuple[str, ...] | None = None) -> list[Row]:
        """Submissions, oldest first."""
        s = t.submissions.c
        query = select(*_COLUMNS).order_by(s.seq)
        if student_id is not None:
            query = query.where(s.student_id == student_id)
        if assignment is not None:
            query = query.where(s.assignment == assignment)
        if statuses is not None:
            query = query.where(s.status.in_(statuses))
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(query)]

    def position(self, row: Row) -> int:
        """1 for the next to run, 0 when running or done."""
        if row.status != "queued":
            return 0
        s = t.submissions.c
        with self.engine.connect() as conn:
            return 1 + conn.execute(select(func.count()).where(
                and_(s.status == "queued", s.seq < row.seq))).scalar_one()

    def queued(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).where(
                t.submissions.c.status == "queued")).scalar_one()

    def mean_seconds(self, last: int = 50) -> float | None:
        """Mean time a recent submission took from start to finish, None before the first."""
        s = t.submissions.c
        with self.engine.connect() as conn:
            times = [r[0] for r in conn.execute(
                select(s.seconds).where(s.seconds.is_not(None)).order_by(s.finished_at.desc())
                .limit(last))]
        return sum(times) / len(times) if times else None
