"""The results store: every graded result, persisted transactionally, and the incremental cache.

An embedded SQLite database (``OUT/results.sqlite``) by default; any SQLAlchemy URL instead, e.g.
``postgresql+psycopg://user@host/course`` for a course server that several TAs grade into.

A result is keyed by ``sha256(submission bytes) : fixtures fingerprint : grader version :
submission name``. If the same bytes were graded against the same fixtures by the same grader,
the stored result is the answer and nothing runs again (under another name too: a renamed file,
or two students handing in identical bytes, is a copy of the stored result, not a new run).

Each result is committed on its own the moment it is ready, so a run that is killed keeps
everything it finished, and a re-run resumes where it stopped. Inserts are idempotent (the key is
the primary key), so two TAs grading the same folder at once cannot corrupt or duplicate
anything: the second insert of a key is a no-op.

``seen_at`` records when a grading run last confirmed a row for its submission (graded it, or
found it unchanged); the assignment's gradebook takes, per submission, the row seen last, so a
student who goes back to an earlier version gets that version's result again.

A second table memoises fixtures fingerprints by a torch-free digest of everything they depend
on (:func:`autograder.grade.incremental.inputs_digest`): a re-run in which nothing changed is
answered from the store without importing torch or loading fixtures.
"""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Sequence

from sqlalchemy import (Column, Float, Index, MetaData, String, Table, Text, create_engine, event,
                        inspect, select, text, update)
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from .results import GradingResults

metadata = MetaData()
results_table = Table(
    "results", metadata,
    Column("key", String(400), primary_key=True),
    Column("assignment", String(64), nullable=False),
    Column("submission", String(200), nullable=False),
    Column("student_id", String(200), index=True, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("fixtures", String(64), nullable=False),
    Column("grader_version", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("score", Float, nullable=False),
    Column("max_score", Float, nullable=False),
    Column("graded_at", String(40), nullable=False),
    Column("seen_at", String(40), nullable=True),
    Column("data", Text, nullable=False),  # GradingResults.to_dict() as JSON
)
Index("ix_results_content", results_table.c.assignment, results_table.c.sha256)
Index("ix_results_submission", results_table.c.assignment, results_table.c.submission)
fingerprints_table = Table(
    "fingerprints", metadata,
    Column("digest", String(64), primary_key=True),
    Column("assignment", String(64), nullable=False),
    Column("fingerprint", String(64), nullable=False),
)
CHUNK = 500  # bound parameters per IN (...) query


def result_key(sha256: str, fixtures: str, grader_version: str, submission: str) -> str:
    """The content, what it was graded against and by which grader; plus the submission's
    name, so that two students who hand in identical bytes still get a row each."""
    return f"{sha256}:{fixtures}:{grader_version}:{submission}"


def key_of(result: GradingResults) -> str:
    return result_key(result.sha256, result.fixtures, result.grader_version, result.submission)


def default_url(out: Path) -> str:
    return f"sqlite:///{Path(out).resolve() / 'results.sqlite'}"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _readable(row) -> GradingResults:
    """A stored row as a result; one that cannot be read back (written by another version,
    damaged) is an ``error`` result of the same submission that says so, never an exception."""
    try:
        return GradingResults.from_dict(json.loads(row[0]))
    except Exception as e:  # noqa: BLE001 - one row, not the whole store
        return GradingResults(
            assignment=row[1], submission=row[2], student_id=row[3], source="", sha256=row[4],
            status="error", message=f"the stored result cannot be read ({type(e).__name__}); "
                                    "grade it again with --regrade",
            max_score=float(row[7] or 0.0), fixtures=row[5], grader_version=row[6])


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
                # a commit survives the grader being killed (the case that matters: a run
                # stopped halfway); not fsynced each time, which cost ~3 ms per result
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA busy_timeout=60000")
                cur.close()
        self._create()

    def _create(self) -> None:
        """Create (or bring up to date) the tables. Two graders starting at once on a fresh
        PostgreSQL database can race on CREATE TABLE: the loser tries again and finds them."""
        for attempt in range(5):
            try:
                metadata.create_all(self.engine)
                columns = {c["name"] for c in inspect(self.engine).get_columns("results")}
                if "seen_at" not in columns:  # a store written by an earlier version
                    with self.engine.begin() as conn:
                        conn.execute(text("ALTER TABLE results ADD COLUMN seen_at VARCHAR(40)"))
                for index in results_table.indexes:
                    index.create(self.engine, checkfirst=True)
                return
            except (IntegrityError, ProgrammingError, OperationalError):
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))

    # ------------------------------------------------------------------------ writing
    def put(self, result: GradingResults, replace: bool = False) -> bool:
        """Store one result in its own transaction; False if that key was already there (it
        is then marked seen instead, or, with ``replace`` (a regrade), overwritten: the new
        run is the answer from now on)."""
        now = _now()
        row = {
            "key": key_of(result), "assignment": result.assignment,
            "submission": result.submission, "student_id": result.student_id,
            "sha256": result.sha256, "fixtures": result.fixtures,
            "grader_version": result.grader_version, "status": result.status,
            "score": result.score, "max_score": result.max_score, "graded_at": now,
            "seen_at": now, "data": json.dumps(result.to_dict()),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(results_table.insert().values(**row))
            return True
        except IntegrityError:  # graded before, or meanwhile by someone else
            if replace:
                fresh = {k: v for k, v in row.items() if k != "key"}
                with self.engine.begin() as conn:
                    conn.execute(update(results_table)
                                 .where(results_table.c.key == row["key"]).values(**fresh))
            else:  # the same answer
                self.seen([result])
            return False

    def seen(self, results: Sequence[GradingResults], refresh: Sequence[GradingResults] = ()
             ) -> None:
        """Mark stored ``results`` as confirmed by this run, in one transaction; ``refresh``
        are those whose metadata (student id, source, submission time) changed: their stored
        copy is updated too."""
        now = _now()
        with self.engine.begin() as conn:
            for chunk in _chunks([key_of(r) for r in results]):
                conn.execute(update(results_table).where(results_table.c.key.in_(chunk))
                             .values(seen_at=now))
            for r in refresh:
                conn.execute(update(results_table).where(results_table.c.key == key_of(r))
                             .values(student_id=r.student_id, data=json.dumps(r.to_dict())))

    def remember_fingerprint(self, digest: str, assignment: str, fingerprint: str) -> None:
        if not digest:
            return
        try:
            with self.engine.begin() as conn:
                conn.execute(fingerprints_table.insert().values(
                    digest=digest, assignment=assignment, fingerprint=fingerprint))
        except IntegrityError:
            pass

    # ------------------------------------------------------------------------ reading
    def fingerprint_for(self, digest: str) -> str | None:
        if not digest:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(fingerprints_table.c.fingerprint)
                               .where(fingerprints_table.c.digest == digest)).first()
        return row[0] if row else None

    def get(self, key: str) -> GradingResults | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(results_table.c.data)
                               .where(results_table.c.key == key)).first()
        return GradingResults.from_dict(json.loads(row[0])) if row else None

    def graded(self, assignment: str, shas: Iterable[str], fixtures: str, grader_version: str
               ) -> dict[str, dict[str, GradingResults]]:
        """Stored results of ``assignment`` for these contents, graded against ``fixtures`` by
        ``grader_version``: ``{sha256: {submission name: result}}``, in one query per
        :data:`CHUNK` contents."""
        found: dict[str, dict[str, GradingResults]] = {}
        t = results_table.c
        with self.engine.connect() as conn:
            for chunk in _chunks(sorted(set(shas))):
                query = select(t.sha256, t.submission, t.data).where(
                    t.assignment == assignment, t.sha256.in_(chunk), t.fixtures == fixtures,
                    t.grader_version == grader_version)
                for sha, name, data in conn.execute(query):
                    try:
                        result = GradingResults.from_dict(json.loads(data))
                    except Exception:  # noqa: BLE001 - unreadable: graded again instead
                        continue
                    found.setdefault(sha, {})[name] = result
        return found

    def results(self, assignment: str | None = None) -> list[GradingResults]:
        """Every stored result (of ``assignment``), oldest first."""
        query = select(results_table.c.data).order_by(results_table.c.graded_at)
        if assignment:
            query = query.where(results_table.c.assignment == assignment)
        with self.engine.connect() as conn:
            return [GradingResults.from_dict(json.loads(r[0])) for r in conn.execute(query)]

    def latest(self, assignment: str) -> list[GradingResults]:
        """Per submission of ``assignment``, the result a grading run confirmed last."""
        t = results_table.c
        best: dict[str, tuple[tuple[str, str], str]] = {}
        with self.engine.connect() as conn:
            for key, name, seen, graded in conn.execute(
                    select(t.key, t.submission, t.seen_at, t.graded_at)
                    .where(t.assignment == assignment)):
                order = (seen or graded, graded)
                if name not in best or order > best[name][0]:
                    best[name] = (order, key)
            keys = [key for _, key in best.values()]
            found = []
            for chunk in _chunks(keys):
                found += [_readable(row) for row in conn.execute(
                    select(t.data, t.assignment, t.submission, t.student_id, t.sha256,
                           t.fixtures, t.grader_version, t.max_score)
                    .where(t.key.in_(chunk)))]
        return sorted(found, key=lambda r: (r.student_id, r.submission))

    def count(self, assignment: str | None = None) -> int:
        query = select(results_table.c.key)
        if assignment:
            query = query.where(results_table.c.assignment == assignment)
        with self.engine.connect() as conn:
            return len(conn.execute(query).all())

    def close(self) -> None:
        self.engine.dispose()
