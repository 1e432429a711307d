"""The results store: every graded result, persisted transactionally, and the incremental cache.

An embedded SQLite database (``OUT/results.sqlite``) by default; any SQLAlchemy URL instead, e.g.
``postgresql+psycopg://user@host/course`` for a course server that several TAs grade into.

A result is keyed by ``sha256(submission bytes) : fixtures fingerprint : grader version :
submission name``: if the same bytes were graded against the same fixtures by the same grader, the stored result is the
answer and nothing runs again. Each result is committed on its own the moment it is ready, so a
run that is killed keeps everything it finished, and a re-run resumes where it stopped. Inserts
are idempotent (the key is the primary key), so two TAs grading the same folder at once cannot
corrupt or duplicate anything.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Column, Float, MetaData, String, Table, Text, create_engine, event, select
from sqlalchemy.exc import IntegrityError

from .grade.results import GradingResults

metadata = MetaData()
results_table = Table(
    "results", metadata,
    Column("key", String(400), primary_key=True),
    Column("assignment", String(64), index=True, nullable=False),
    Column("submission", String(200), nullable=False),
    Column("student_id", String(200), index=True, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("fixtures", String(64), nullable=False),
    Column("grader_version", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("score", Float, nullable=False),
    Column("max_score", Float, nullable=False),
    Column("graded_at", String(40), nullable=False),
    Column("data", Text, nullable=False),  # GradingResults.to_dict() as JSON
)


def result_key(sha256: str, fixtures: str, grader_version: str, submission: str) -> str:
    """The content, what it was graded against and by which grader; plus the submission's
    name, so that two students who hand in identical bytes still get a row each."""
    return f"{sha256}:{fixtures}:{grader_version}:{submission}"


def default_url(out: Path) -> str:
    return f"sqlite:///{Path(out).resolve() / 'results.sqlite'}"


class ResultStore:
    """Graded results by key; safe to share between threads, processes and hosts."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite:///"):
            Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(url, future=True, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            @event.listens_for(self.engine, "connect")
            def _pragmas(conn, _record):  # concurrent readers with one writer, no torn writes
                cur = conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA busy_timeout=30000")
                cur.close()
        metadata.create_all(self.engine)

    def get(self, key: str) -> GradingResults | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(results_table.c.data)
                               .where(results_table.c.key == key)).first()
        return GradingResults.from_dict(json.loads(row[0])) if row else None

    def get_many(self, keys: list[str]) -> dict[str, GradingResults]:
        """The stored results among ``keys``, in a few queries (a re-run looks up hundreds)."""
        found: dict[str, GradingResults] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                rows = conn.execute(select(results_table.c.key, results_table.c.data)
                                    .where(results_table.c.key.in_(chunk)))
                for key, data in rows:
                    found[key] = GradingResults.from_dict(json.loads(data))
        return found

    def put(self, result: GradingResults) -> bool:
        """Store one result in its own transaction; False if that key was already there."""
        row = {
            "key": result_key(result.sha256, result.fixtures, result.grader_version,
                              result.submission),
            "assignment": result.assignment, "submission": result.submission,
            "student_id": result.student_id, "sha256": result.sha256,
            "fixtures": result.fixtures, "grader_version": result.grader_version,
            "status": result.status, "score": result.score, "max_score": result.max_score,
            "graded_at": datetime.now(timezone.utc).isoformat(),
            "data": json.dumps(result.to_dict()),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(results_table.insert().values(**row))
            return True
        except IntegrityError:
            return False

    def results(self, assignment: str | None = None) -> list[GradingResults]:
        query = select(results_table.c.data).order_by(results_table.c.graded_at)
        if assignment:
            query = query.where(results_table.c.assignment == assignment)
        with self.engine.connect() as conn:
            return [GradingResults.from_dict(json.loads(r[0])) for r in conn.execute(query)]

    def latest(self, assignment: str) -> list[GradingResults]:
        """The most recent result of every submission of ``assignment``, by submission name."""
        latest: dict[str, GradingResults] = {}
        for result in self.results(assignment):  # oldest first: later ones win
            latest[result.submission] = result
        return sorted(latest.values(), key=lambda r: (r.student_id, r.submission))

    def count(self) -> int:
        with self.engine.connect() as conn:
            return len(conn.execute(select(results_table.c.key)).all())

    def close(self) -> None:
        self.engine.dispose()
