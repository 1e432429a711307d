"""Who is asking: tokens for students and staff, and browser sessions.

``autograder tokens`` gives every roster student (and each ``--staff`` name) a random token
(``agt_`` + 32 random bytes, URL-safe) and writes them to a CSV for the instructor to hand out;
the server keeps only their SHA-256 (a token has 256 bits of entropy, so a plain hash cannot be
reversed by guessing). A request is looked up by the hash of the token it presents, and the
stored hash is compared in constant time. Re-running keeps every token already in the CSV
(``--rotate``: new ones for everybody, the old ones stop working); a student who left the
roster loses access.

A browser signs in once with the token and gets a session cookie (a fresh random value; the
server stores its hash, valid 12 hours, ``HttpOnly``, ``SameSite=Strict``, ``Secure`` over
HTTPS). Each form carries a CSRF value derived from the session, checked on every POST.
"""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine

from ..atomic import write_atomic
from ..gradebook.config import ConfigError
from . import tables as t

TOKEN_PREFIX = "agt_"
SESSION_SECONDS = 12 * 3600
COOKIE = "ag_session"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def csrf_for(session: str) -> str:
    """The CSRF value of a session: unguessable without the session's cookie."""
    return hmac.new(session.encode(), b"csrf", hashlib.sha256).hexdigest()


def csrf_ok(session: str, value: str) -> bool:
    return bool(session) and hmac.compare_digest(csrf_for(session), str(value or ""))


@dataclass(frozen=True)
class Principal:
    id: str
    role: str  # student | staff

    @property
    def staff(self) -> bool:
        return self.role == "staff"


class Principals:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine  # tables created by queue.create_tables

    def authenticate(self, token: str | None) -> Principal | None:
        if not token or len(token) > 200:
            return None
        digest = token_hash(token)
        p = t.principals.c
        with self.engine.connect() as conn:
            found = conn.execute(select(p.id, p.role, p.token_hash)
                                 .where(p.token_hash == digest)).first()
        if found is None or not hmac.compare_digest(found[2], digest):
            return None
        return Principal(found[0], found[1])

    def roles(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            return dict(conn.execute(select(t.principals.c.id, t.principals.c.role)).all())

    def sync(self, wanted: dict[str, tuple[str, str]], now: float) -> None:
        """Make the table exactly ``{id: (role, token hash)}``, in one transaction."""
        p = t.principals.c
        with self.engine.begin() as conn:
            have = {r[0]: (r[1], r[2]) for r in conn.execute(select(p.id, p.role,
                                                                     p.token_hash))}
            gone = [pid for pid in have if pid not in wanted]
            if gone:
                conn.execute(delete(t.principals).where(p.id.in_(gone)))
                conn.execute(delete(t.sessions).where(t.sessions.c.principal.in_(gone)))
            changed = [pid for pid, v in wanted.items() if pid in have and have[pid] != v]
            for pid in changed:  # clear the hash first: another row may take the old one
                conn.execute(update(t.principals).where(p.id == pid).values(
                    token_hash=f"revoked:{pid}"[:64]))
                conn.execute(delete(t.sessions).where(t.sessions.c.principal == pid))
            for pid in changed:
                role, digest = wanted[pid]
                conn.execute(update(t.principals).where(p.id == pid).values(
                    role=role, token_hash=digest))
            for pid, (role, digest) in wanted.items():
                if pid not in have:
                    conn.execute(t.principals.insert().values(id=pid, role=role,
                                                              token_hash=digest, created_at=now))

    # ------------------------------------------------------------------ sessions
    def start_session(self, principal: Principal, now: float) -> str:
        raw = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(delete(t.sessions).where(t.sessions.c.expires_at < now))
            conn.execute(t.sessions.insert().values(hash=token_hash(raw), principal=principal.id,
                                                    expires_at=now + SESSION_SECONDS))
        return raw

    def session(self, raw: str | None, now: float) -> Principal | None:
        if not raw or len(raw) > 200:
            return None
        s, p = t.sessions.c, t.principals.c
        with self.engine.connect() as conn:
            found = conn.execute(select(p.id, p.role, s.hash).join_from(
                t.sessions, t.principals, s.principal == p.id).where(
                s.hash == token_hash(raw), s.expires_at > now)).first()
        if found is None or not hmac.compare_digest(found[2], token_hash(raw)):
            return None
        return Principal(found[0], found[1])

    def end_session(self, raw: str | None) -> None:
        if raw:
            with self.engine.begin() as conn:
                conn.execute(delete(t.sessions).where(t.sessions.c.hash == token_hash(raw)))


# ---------------------------------------------------------------- issuing tokens


@dataclass
class TokenReport:
    path: Path
    students: int
    staff: int
    new: list[str] = field(default_factory=list)  # ids that got a new token
    removed: list[str] = field(default_factory=list)  # ids that lost theirs


def read_tokens(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"student_id", "token"} <= set(reader.fieldnames):
            raise ConfigError(f"{path}: not a tokens file (needs student_id, token columns)")
        return {row["student_id"]: row["token"] for row in reader
                if row.get("student_id") and row.get("token")}


def _write_private(path: Path, rows: list[tuple[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["student_id", "token"])
    writer.writerows(rows)
    write_atomic(path, buf.getvalue(), private=True)  # the tokens are secrets


def issue_tokens(principals: Principals, student_ids: list[str], out: Path,
                 staff: list[str] = (), rotate: bool = False, now: float = 0.0) -> TokenReport:
    """One token per student and staff name into ``out`` (kept from an earlier ``out`` unless
    ``rotate``), and their hashes into the server's store."""
    out = Path(out)
    clash = sorted(set(staff) & set(student_ids))
    if clash:
        raise ConfigError(f"staff names {clash} are also student ids on the roster")
    previous = read_tokens(out)
    existing = {} if rotate else previous
    known_staff = {pid for pid, role in principals.roles().items() if role == "staff"}
    kept = [s for s in [*previous, *sorted(known_staff)] if s in known_staff]
    staff_ids = [s for s in dict.fromkeys([*staff, *kept]) if s not in student_ids]
    rows, wanted, report = [], {}, TokenReport(out, len(student_ids), len(staff_ids))
    for pid, role in [*((s, "student") for s in student_ids), *((s, "staff") for s in staff_ids)]:
        token = existing.get(pid)
        if not token:
            token = new_token()
            report.new.append(pid)
        rows.append((pid, token))
        wanted[pid] = (role, token_hash(token))
    report.removed = sorted(set(principals.roles()) - set(wanted))
    principals.sync(wanted, now)
    _write_private(out, rows)
    return report
