"""The course server's tables, in the same database as the results store (one SQLAlchemy URL).

``serve_submissions`` is the queue and the submission history at once: an accepted upload is a
``queued`` row holding its bytes, committed before the server answers 202, so that a restart
loses nothing; ``running`` rows left by a server that stopped are queued again when it starts.
The graded result itself is a row of the results store (``results``), which the CLI and
``publish`` read like any other; ``result_key`` points to it.
"""
from __future__ import annotations

from sqlalchemy import (Column, Float, Index, Integer, LargeBinary, MetaData, String, Table, Text,
                        UniqueConstraint)

metadata = MetaData()

principals = Table(  # who may sign in: a roster student or a staff member, by token hash
    "serve_principals", metadata,
    Column("id", String(200), primary_key=True),
    Column("role", String(16), nullable=False),  # student | staff
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
)
sessions = Table(  # browser sessions: the hash of the cookie's random value
    "serve_sessions", metadata,
    Column("hash", String(64), primary_key=True),
    Column("principal", String(200), nullable=False),
    Column("expires_at", Float, nullable=False),
)
submissions = Table(
    "serve_submissions", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),  # queue order
    Column("id", String(32), nullable=False, unique=True),  # random: says nothing to others
    Column("student_id", String(200), nullable=False),
    Column("assignment", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # queued | running | graded | error
    Column("filename", String(255), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("received_at", Float, nullable=False),  # the server's clock, seconds since epoch
    Column("started_at", Float, nullable=True),
    Column("finished_at", Float, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("result_key", String(400), nullable=True),  # the results store's row
    Column("result_status", String(16), nullable=True),  # graded | error | timeout | ...
    Column("score", Float, nullable=True),
    Column("max_score", Float, nullable=True),
    Column("seconds", Float, nullable=True),  # grading time
    Column("message", Text, nullable=True),
)
Index("ix_serve_submissions_status", submissions.c.status, submissions.c.seq)
Index("ix_serve_submissions_student", submissions.c.student_id, submissions.c.assignment)
buckets = Table(  # the rate limit: one token bucket per student and assignment
    "serve_buckets", metadata,
    Column("student_id", String(200), primary_key=True),
    Column("assignment", String(64), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("at", Float, nullable=False),
)
overrides = Table(  # the score that replaces a student's assignment score in the gradebook
    "serve_overrides", metadata,
    Column("assignment", String(64), primary_key=True),
    Column("student_id", String(200), primary_key=True),
    Column("score", Float, nullable=False),
    Column("reason", Text, nullable=False),
    Column("by", String(200), nullable=False),
    Column("at", Float, nullable=False),
)
regrades = Table(
    "serve_regrades", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", String(32), nullable=False, index=True),
    Column("student_id", String(200), nullable=False, index=True),
    Column("assignment", String(64), nullable=False),
    Column("question", String(64), nullable=False),
    Column("message", Text, nullable=False),
    Column("opened_at", Float, nullable=False),
    Column("status", String(16), nullable=False),  # open | answered
    Column("answer", Text, nullable=True),
    Column("answered_by", String(200), nullable=True),
    Column("answered_at", Float, nullable=True),
)
published = Table(  # assignments whose hidden results staff released (after_published)
    "serve_published", metadata,
    Column("assignment", String(64), primary_key=True),
    Column("at", Float, nullable=False),
    Column("by", String(200), nullable=False),
)
audit = Table(  # every staff action and every regrade request, append-only
    "serve_audit", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(32), nullable=False),
    Column("assignment", String(64), nullable=False, default=""),
    Column("student_id", String(200), nullable=False, default=""),
    Column("detail", Text, nullable=False, default=""),  # JSON
    UniqueConstraint("seq"),
)
