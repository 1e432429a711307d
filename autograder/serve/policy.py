"""The course server's policies, read from the course configuration, and the rules they make.

``course.toml`` gets a ``[server]`` section; any key may be set again per assignment in an
``[assignments.server]`` table under that assignment's ``[[assignments]]`` entry::

    [server]
    url = "https://grader.example.edu"   # the public address (for the notebook's submit cell)
    store = "sqlite:///../out/server.sqlite"   # default: sqlite:///<results>/server.sqlite
    assignments = ["hw1", "hw2"]        # which assignments take submissions (default: all)
    max_upload_mb = 16                  # a larger upload is refused (413)
    rate = 10                           # submissions per student per assignment ...
    window_minutes = 60                 # ... per window: a token bucket, refilled evenly
    public = "visible"                  # public tests: visible | after_due_date | ...
    hidden = "after_due_date"           # visible (pass/fail now) | after_due_date |
                                        # after_published | hidden (never shown)

    [[assignments]]
    name = "hw1"
    due = 2026-02-19T23:59:00
    [assignments.server]
    rate = 20
    hidden = "visible"

The visibility levels are Gradescope's. A hidden test, when shown, shows pass/fail and the
message that never names a hidden input or expected value (:mod:`autograder.report.feedback`).
Which submission counts (``select``), the due dates, extensions and the late policy are the
course's own keys: the server applies exactly the rules ``publish`` applies
(:mod:`autograder.gradebook.late`), with the server's clock as the submission time.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ..gradebook.config import ConfigError, CourseConfig, Item, config_from_dict, read_toml
from ..gradebook.late import Lateness, lateness

LEVELS = ("visible", "after_due_date", "after_published", "hidden")
DEFAULT_STORE_NAME = "server.sqlite"


@dataclass(frozen=True)
class AssignmentPolicy:
    rate: int = 10  # submissions per window (the bucket's size)
    window_seconds: float = 3600.0  # the bucket refills completely in this time
    public: str = "visible"
    hidden: str = "after_due_date"


@dataclass
class ServerSettings:
    course: CourseConfig
    policies: dict[str, AssignmentPolicy]  # the assignments that take submissions
    store: str = ""  # SQLAlchemy URL of the results store the server shares with the CLI
    results_root: Path | None = None  # <root>/<hw>/results/*.json, read by publish
    url: str = ""  # the server's public address, "" when not set
    max_upload_bytes: int = 16 << 20

    @property
    def assignments(self) -> list[str]:
        return list(self.policies)

    def policy(self, assignment: str) -> AssignmentPolicy:
        return self.policies[assignment]

    def item(self, assignment: str) -> Item | None:
        return self.course.item(assignment)

    def due(self, student_id: str, assignment: str) -> datetime | None:
        """The student's effective due date: the assignment's, moved by their extension."""
        item = self.course.item(assignment)
        if item is None or item.due is None:
            return None
        ext = self.course.extension(student_id, assignment)
        return ext.due(item.due) if ext else item.due

    def lateness(self, student_id: str, assignment: str, submitted_at: datetime) -> Lateness:
        """How late a submission received at ``submitted_at`` is, by the course's rules."""
        return lateness(submitted_at, self.due(student_id, assignment), self.course.late)


def _policy(raw: dict[str, Any], base: AssignmentPolicy, where: str) -> AssignmentPolicy:
    changes: dict[str, Any] = {}
    if "rate" in raw:
        changes["rate"] = int(raw["rate"])
        if changes["rate"] < 1:
            raise ConfigError(f"{where}: rate must be at least 1 submission per window")
    for key, scale in (("window_seconds", 1), ("window_minutes", 60), ("window_hours", 3600)):
        if key in raw:
            changes["window_seconds"] = float(raw[key]) * scale
            if changes["window_seconds"] <= 0:
                raise ConfigError(f"{where}: {key} must be positive")
    for key in ("public", "hidden"):
        if key in raw:
            level = str(raw[key])
            if level not in LEVELS:
                raise ConfigError(f"{where}: {key} must be one of {', '.join(LEVELS)}, "
                                  f"not {level!r}")
            changes[key] = level
    return replace(base, **changes)


def settings_from_dict(data: dict[str, Any], base: Path | str = ".", path: Path | None = None,
                       known: list[str] | None = None, store: str | None = None
                       ) -> ServerSettings:
    """Server settings from a parsed course.toml. ``known``: the assignments the course can
    grade (those with a ``grading.toml``); ``store`` overrides ``[server] store``."""
    where = str(path or "course config")
    course = config_from_dict(data, base, None, path)
    raw = dict(data.get("server", {}))
    try:
        default = _policy(raw, AssignmentPolicy(), f"{where}: [server]")
        per_item = {str(a.get("name")): dict(a.get("server", {}))
                    for a in data.get("assignments", []) if isinstance(a, dict)}
        names = [str(n) for n in raw.get("assignments", [i.name for i in course.assignments()])]
        if known is not None:
            unknown = [n for n in names if n not in known]
            if unknown and "assignments" in raw:
                raise ConfigError(f"{where}: [server] assignments {unknown} have no "
                                  f"grading.toml (known: {', '.join(known) or 'none'})")
            names = [n for n in names if n in known]
        policies = {n: _policy(per_item.get(n, {}), default, f"{where}: {n}.server")
                    for n in names}
        max_mb = float(raw.get("max_upload_mb", 16))
        if max_mb <= 0:
            raise ConfigError(f"{where}: [server] max_upload_mb must be positive")
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{where}: [server]: {type(e).__name__}: {e}") from None
    root = course.results_root
    if "results" in raw:  # the server's own results root
        root = Path(base) / str(raw["results"])
        course.results_root = root
    url = store or str(raw.get("store", ""))
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////") \
            and not Path(url[len("sqlite:///"):]).is_absolute():
        url = f"sqlite:///{(Path(base) / url[len('sqlite:///'):]).resolve()}"
    if not url and root is not None:
        url = f"sqlite:///{(Path(root) / DEFAULT_STORE_NAME).resolve()}"
    if not url:
        raise ConfigError(f"{where}: no results store: set `results` or [server] store, "
                          "or pass --store")
    for item in course.assignments():  # where the server writes results and publish reads
        if root is not None and (item.results is None or "results" in raw):
            course.items[course.items.index(item)] = replace(item, results=Path(root) / item.name)
    return ServerSettings(course=course, policies=policies, store=url,
                          results_root=Path(root).resolve() if root else None,
                          url=str(raw.get("url", "")).rstrip("/"),
                          max_upload_bytes=int(max_mb * (1 << 20)))


def load_settings(path: str | Path, known: list[str] | None = None,
                  store: str | None = None) -> ServerSettings:
    path = Path(path)
    return settings_from_dict(read_toml(path), path.resolve().parent, path, known, store)


# ---------------------------------------------------------------- the rate limit


@dataclass(frozen=True)
class Bucket:
    """A token bucket: ``tokens`` left at ``at`` (seconds since the epoch)."""

    tokens: float
    at: float

    def refilled(self, policy: AssignmentPolicy, now: float) -> "Bucket":
        rate = policy.rate / policy.window_seconds  # tokens per second
        elapsed = max(0.0, now - self.at)
        return Bucket(min(float(policy.rate), self.tokens + elapsed * rate), now)

    def retry_after(self, policy: AssignmentPolicy) -> float:
        """Seconds until one whole token is there (0 if it is now)."""
        missing = 1.0 - self.tokens
        return 0.0 if missing <= 1e-9 else missing * policy.window_seconds / policy.rate

    def next_token(self, policy: AssignmentPolicy) -> float:
        """Seconds until one more submission is allowed than now (0 when the bucket is full)."""
        if self.tokens + 1e-9 >= policy.rate:
            return 0.0
        missing = math.floor(self.tokens + 1e-9) + 1 - self.tokens
        return missing * policy.window_seconds / policy.rate

    @property
    def remaining(self) -> int:
        return int(math.floor(self.tokens + 1e-9))


def full_bucket(policy: AssignmentPolicy, now: float) -> Bucket:
    return Bucket(float(policy.rate), now)


def take(bucket: Bucket | None, policy: AssignmentPolicy, now: float) -> tuple[bool, Bucket]:
    """(allowed, the bucket after this submission, or after refusing it)."""
    current = (bucket or full_bucket(policy, now)).refilled(policy, now)
    if current.tokens + 1e-9 >= 1.0:
        return True, Bucket(max(0.0, current.tokens - 1.0), now)
    return False, current


# ---------------------------------------------------------------- visibility


@dataclass(frozen=True)
class Shown:
    """What a student may see of one submission now."""

    public: bool  # public tests
    hidden: bool  # hidden tests (pass/fail and their safe message)
    totals: bool  # the whole score, hidden tests included
    hidden_level: str = "after_due_date"
    hidden_from: datetime | None = None  # when hidden tests show (after_due_date), if known
    reasons: list[str] = field(default_factory=list)


def shown(level: str, due: datetime | None, published: bool, now: datetime) -> bool:
    """Whether a test at visibility ``level`` shows now."""
    if level == "visible":
        return True
    if level == "after_due_date":  # no due date: there is nothing to wait for
        return due is None or now >= due or published
    if level == "after_published":
        return published
    return False


def visibility(policy: AssignmentPolicy, due: datetime | None, published: bool,
               now: datetime) -> Shown:
    public = shown(policy.public, due, published, now)
    hidden = shown(policy.hidden, due, published, now)
    return Shown(public=public, hidden=hidden, totals=(public and hidden) or published,
                 hidden_level=policy.hidden,
                 hidden_from=due if policy.hidden == "after_due_date" else None)
