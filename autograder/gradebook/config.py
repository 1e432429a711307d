"""The course configuration: ``course.toml``.

Paths here are relative to the file; ``{results}`` in a path stands for the results root (the
folder holding ``<hw>/results/*.json``, given by ``--results``, relative to the current folder
like every path on the command line, or ``results =`` here). Due dates are TOML
datetimes; without a UTC offset they are in the course's ``timezone``. ::

    title = "AIMS 5740"
    timezone = "Asia/Hong_Kong"
    roster = "roster.csv"            # student_id, name, email, section (+ canvas_id, sis_id)
    results = "../out/demo"          # default results root
    select = "latest"                # latest | best | last   (which submission counts)
    groups = "groups.csv"            # optional: Canvas's group export; a group's submission
                                     # counts for every member (read by `grade`)

    [late]
    grace_minutes = 15               # late by less than this: on time
    per_day = 0.10                   # fraction lost per started day late ...
    penalty_of = "max"               # ... of the item's points ("max") or of the score ("score")
    max_days = 5                     # later than this: 0 points
    budget_days = 0                  # > 0: free late days per student for the term, spent first

    [[assignments]]
    name = "hw1"
    due = 2026-02-19T23:59:00
    weight = 10
    canvas_id = 12345                # optional: the Canvas column "hw1 (12345)"
    times = "hw1/times.csv"          # optional: submission times (file or student_id, submitted_at)

    [quiz]                           # or [[quizzes]]: items scored from a CSV
    name = "quiz"
    weight = 20
    scores = "{results}/quiz/scores.csv"   # student_id, score, max_score

    [[extensions]]
    student_id = "1003"
    assignment = "hw1"               # or "*" for every assignment
    days = 2                         # or until = 2026-02-23T23:59:00

    [canvas]                         # roster columns for the Canvas CSV (defaults shown)
    id_column = "canvas_id"          # "ID"; falls back to student_id
    sis_user_id_column = "sis_id"    # "SIS User ID"; falls back to student_id
    sis_login_id_column = "email"    # "SIS Login ID"
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..course import CourseError

SELECTIONS = ("latest", "best", "last")


class ConfigError(CourseError):
    """A course.toml that cannot be used, with a message naming the key."""


@dataclass(frozen=True)
class LatePolicy:
    grace_minutes: float = 0.0
    per_day: float = 0.0
    penalty_of: str = "max"  # "max": of the item's points; "score": of the points earned
    max_days: float | None = None  # later than this: 0 points
    budget_days: int = 0  # free late days per student for the term


@dataclass(frozen=True)
class Item:
    """One graded column: an assignment (results from ``grade``) or a CSV-scored item (quiz)."""

    name: str
    kind: str  # "assignment" | "csv"
    title: str = ""
    weight: float = 1.0
    due: datetime | None = None
    points: float | None = None  # max points; default: from the results
    canvas_id: str = ""
    results: Path | None = None  # assignment: folder with results/*.json
    scores: Path | None = None  # csv item: student_id, score, max_score
    times: Path | None = None  # optional submission-time overrides
    late_policy: bool = True  # csv items: no late policy

    @property
    def label(self) -> str:
        return self.title or self.name


@dataclass(frozen=True)
class Extension:
    student_id: str
    item: str  # an item name, or "*"
    days: float = 0.0
    until: datetime | None = None
    reason: str = ""

    def due(self, due: datetime) -> datetime:
        extended = due + timedelta(days=self.days)
        return max(extended, self.until) if self.until else extended


@dataclass
class CourseConfig:
    title: str = "Course"
    timezone: str = "UTC"
    roster: Path | None = None
    results_root: Path | None = None
    select: str = "latest"
    late: LatePolicy = field(default_factory=LatePolicy)
    items: list[Item] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)
    canvas: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    groups: Path | None = None  # Canvas's group CSV export: a group submission is every member's

    @property
    def tz(self) -> ZoneInfo | timezone:
        return _zone(self.timezone)

    def item(self, name: str) -> Item | None:
        return next((i for i in self.items if i.name == name), None)

    def assignments(self) -> list[Item]:
        return [i for i in self.items if i.kind == "assignment"]

    def extension(self, student_id: str, item: str) -> Extension | None:
        found = [e for e in self.extensions if e.student_id == student_id and e.item in (item, "*")]
        return found[-1] if found else None


def _zone(name: str) -> ZoneInfo | timezone:
    if name.upper() in ("UTC", "Z"):
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ConfigError(f"unknown timezone {name!r} ({e}); install tzdata or use an offset "
                          "in every date") from None


def aware(value: Any, tz, what: str = "date") -> datetime | None:
    """A timezone-aware datetime from a TOML datetime/date, an ISO string, or None/''."""
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):  # a bare date: the end of that day
        moment = datetime(value.year, value.month, value.day, 23, 59, 59)
    else:
        text = str(value).strip()
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(f"{what}: cannot read {text!r} as a date and time "
                              "(ISO 8601, e.g. 2026-02-19T23:59:00+08:00)") from None
        if len(text) == 10:  # 2026-02-19
            moment = moment.replace(hour=23, minute=59, second=59)
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _path(raw: Any, base: Path, results_root: Path | None) -> Path | None:
    if raw in (None, ""):
        return None
    text = str(raw)
    if "{results}" in text:
        if results_root is None:
            return None  # resolved later, once the results root is known
        text = text.replace("{results}", str(results_root))
    path = Path(text).expanduser()
    return Path(os.path.normpath(path if path.is_absolute() else base / path))


def load_config(path: str | Path, results_root: str | Path | None = None) -> CourseConfig:
    """Read ``course.toml``. ``results_root`` overrides its ``results`` key."""
    path = Path(path)
    return config_from_dict(read_toml(path), path.resolve().parent, results_root, path)


def read_toml(path: Path) -> dict:
    """The course configuration's tables; a missing or malformed file is a ConfigError."""
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"no course configuration at {path}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: {e}") from None


def config_from_dict(data: dict[str, Any], base: Path | str = ".",
                     results_root: str | Path | None = None,
                     path: Path | None = None) -> CourseConfig:
    base = Path(os.path.abspath(base))
    where = str(path or "course config")
    try:
        tz_name = str(data.get("timezone", "UTC"))
        tz = _zone(tz_name)
        if results_root is not None:  # given on the command line: from the current folder
            root: Path | None = Path(os.path.abspath(Path(results_root).expanduser()))
        else:
            root = _path(data.get("results"), base, None)
        select = str(data.get("select", "latest"))
        if select not in SELECTIONS:
            raise ConfigError(f"{where}: select must be one of {SELECTIONS}, not {select!r}")
        late_raw = dict(data.get("late", {}))
        penalty_of = str(late_raw.get("penalty_of", "max"))
        if penalty_of not in ("max", "score"):
            raise ConfigError(f"{where}: late.penalty_of must be 'max' or 'score'")
        late = LatePolicy(grace_minutes=float(late_raw.get("grace_minutes", 0)),
                          per_day=float(late_raw.get("per_day", 0)),
                          penalty_of=penalty_of,
                          max_days=(float(late_raw["max_days"]) if "max_days" in late_raw
                                    else None),
                          budget_days=int(late_raw.get("budget_days", 0)))
        if not 0 <= late.per_day <= 1:
            raise ConfigError(f"{where}: late.per_day is a fraction between 0 and 1")
        items: list[Item] = []
        for raw in data.get("assignments", []):
            name = str(raw["name"])
            results = _path(raw.get("results"), base, root)
            if results is None and root is not None:
                results = root / name
            items.append(Item(
                name=name, kind="assignment", title=str(raw.get("title", "")),
                weight=float(raw.get("weight", 1.0)),
                due=aware(raw.get("due"), tz, f"{where}: {name}.due"),
                points=float(raw["points"]) if "points" in raw else None,
                canvas_id=str(raw.get("canvas_id", "")), results=results,
                times=_path(raw.get("times"), base, root)))
        quizzes = data.get("quizzes", [])
        if "quiz" in data:
            quizzes = [data["quiz"], *quizzes]
        for raw in quizzes:
            name = str(raw.get("name", "quiz"))
            items.append(Item(
                name=name, kind="csv", title=str(raw.get("title", "")),
                weight=float(raw.get("weight", 1.0)),
                due=aware(raw.get("due"), tz, f"{where}: {name}.due"),
                points=float(raw["points"]) if "points" in raw else None,
                canvas_id=str(raw.get("canvas_id", "")),
                scores=_path(raw.get("scores"), base, root)
                or (root / name / "scores.csv" if root else None),
                late_policy=False))
        names = [i.name for i in items]
        if len(set(names)) != len(names):
            raise ConfigError(f"{where}: duplicate item names in {names}")
        extensions = []
        for raw in data.get("extensions", []):
            item = str(raw.get("assignment", raw.get("item", "*")))
            if item != "*" and item not in names:
                raise ConfigError(f"{where}: extension for unknown item {item!r}")
            extensions.append(Extension(
                student_id=str(raw["student_id"]), item=item, days=float(raw.get("days", 0)),
                until=aware(raw.get("until"), tz, f"{where}: extension until"),
                reason=str(raw.get("reason", ""))))
        return CourseConfig(
            title=str(data.get("title", "Course")), timezone=tz_name,
            roster=_path(data.get("roster"), base, root), results_root=root, select=select,
            late=late, items=items, extensions=extensions,
            canvas={k: str(v) for k, v in dict(data.get("canvas", {})).items()}, path=path,
            groups=_path(data.get("groups"), base, root))
    except KeyError as e:
        raise ConfigError(f"{where}: missing key {e.args[0]!r}") from None
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{where}: {type(e).__name__}: {e}") from None


def discover(config: CourseConfig, results_root: Path | None = None) -> CourseConfig:
    """Add to ``config`` every ``<root>/<hw>/results/`` folder it does not name (weight 0 when
    the config names assignments, 1 each when it names none)."""
    root = results_root or config.results_root
    if root is None or not Path(root).is_dir():
        return config
    known = {i.name for i in config.items}
    weight = 0.0 if config.assignments() else 1.0
    for folder in sorted(p for p in Path(root).iterdir() if (p / "results").is_dir()):
        if folder.name not in known:
            add_item(config, Item(name=folder.name, kind="assignment", weight=weight,
                                  results=folder))
    return config


def add_item(config: CourseConfig, item: Item) -> None:
    """Add an assignment after the other assignments (before quiz-like items)."""
    at = len(config.assignments()) if item.kind == "assignment" else len(config.items)
    config.items.insert(at, item)
