"""The course gradebook: every student on the roster × every graded item, with the late policy.

Inputs are plain :class:`~autograder.grade.results.GradingResults` lists per assignment (from
``OUT/<hw>/results/*.json`` via :func:`autograder.gradebook.load_results`, or from any other
store) and a scores CSV per quiz-like item (``student_id, score, max_score``).

For each student and assignment, every submission is a candidate. Its time is, in order: the
item's times CSV, the ``submitted_at`` that ingestion stored, or unknown: counted as on time, and
flagged, unless Canvas marked the file ``LATE``: then it is charged as 1 day late, the least a late
submission can be (:func:`assumed_late`). The configured selection picks the one that counts:

* ``latest``: the latest on-time submission; if none is on time, the latest late one;
* ``best``: the highest score after the late penalty;
* ``last``: the latest, on time or not.

Ties go to the higher score. A student with no submission gets 0 and the ``missing`` flag. An
item nobody has results for yet is *pending*: blank, out of the totals and the Canvas CSV. Ids
that match nobody on the roster are kept as extra rows (``on_roster`` false) and listed in
``unmatched``: never dropped.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from ..grade.results import GradingResults
from ..ingest.canvas import is_canvas_member, marked_late
from ..ingest.sources import student_id_from_filename
from ..lms.canvas import write_canvas_csv
from ..textsafe import clean, csv_frame
from . import load_results
from .config import ConfigError, CourseConfig, Item, add_item, aware, discover, load_config
from .late import Lateness, lateness, penalty
from .roster import Roster, load_roster

FLAG_ORDER = ("missing", "pending", "override", "late", "too-late", "extension", "time-unknown",
              "canvas-late", "error", "timeout", "crashed", "memory", "several-rows",
              "not-on-roster")


@dataclass
class Candidate:
    item: str
    student_id: str  # the roster id when matched, else the raw id
    raw_id: str
    on_roster: bool
    submission: str
    score: float
    max_score: float
    status: str
    source: str
    submitted_at: datetime | None
    canvas_late: bool = False
    result: GradingResults | None = None


@dataclass
class CourseGradebook:
    config: CourseConfig
    roster: Roster | None
    students: pd.DataFrame  # one row per student: scores per item, totals, flags
    items: pd.DataFrame  # one row per student × item: the counted submission and its lateness
    submissions: pd.DataFrame  # one row per submission: lateness, penalty, counted or not
    unmatched: pd.DataFrame  # submissions and quiz rows whose id is not on the roster
    item_info: list[dict[str, Any]]
    results: dict[str, list[GradingResults]] = field(default_factory=dict)
    issues: list[str] = field(default_factory=list)

    def counted(self, item: str) -> list[GradingResults]:
        """The results that count for ``item``: one per student who submitted."""
        names = set(self.items.loc[(self.items["item"] == item)
                                   & (self.items["submission"] != ""), "submission"])
        return [r for r in self.results.get(item, []) if r.submission in names]

    def submission_row(self, item: str, submission: str) -> dict[str, Any] | None:
        rows = self.submissions[(self.submissions["item"] == item)
                                & (self.submissions["submission"] == submission)]
        return rows.iloc[0].to_dict() if len(rows) else None

    def write(self, out: str | Path) -> dict[str, Path]:
        """gradebook.csv, items.csv, submissions.csv, unmatched.csv, canvas.csv, issues.txt."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"gradebook": out / "gradebook.csv", "items": out / "items.csv",
                 "submissions": out / "submissions.csv", "unmatched": out / "unmatched.csv",
                 "canvas": out / "canvas.csv", "issues": out / "issues.txt"}
        for name in ("gradebook", "items", "submissions", "unmatched"):
            frame = self.students if name == "gradebook" else getattr(self, name)
            csv_frame(frame).to_csv(paths[name], index=False)
        write_canvas_csv(self, paths["canvas"])
        paths["issues"].write_text("".join(f"{clean(line)}\n" for line in self.issues),
                                   encoding="utf-8")
        return paths


# ----------------------------------------------------------------------------- inputs


def uploaded_file(source: str, student_id: str) -> str:
    """The name of the file a student uploaded, as a times CSV names it: of the names in
    ``source`` (``download.zip!doe_12_3_hw1_2026.zip!hw1.ipynb``), the outermost that gives
    ``student_id``, else the outermost Canvas-named one (a group member's copy); never a name
    inside a student's zip (an otter export's ``hw1.ipynb`` is every student's)."""
    names = [PurePosixPath(part).name for part in source.split("!")]
    return (next((n for n in names if student_id_from_filename(n) == student_id), "")
            or next((n for n in names if is_canvas_member(n)), ""))


def _read_times(path: Path | None, tz) -> tuple[dict[str, datetime], dict[str, datetime]]:
    """(by file or submission name, by student id) from a times CSV."""
    if path is None:
        return {}, {}
    if not path.is_file():
        raise ConfigError(f"submission times file {path} does not exist")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "submitted_at" not in frame:
        raise ConfigError(f"{path}: needs a submitted_at column")
    by_file, by_student = {}, {}
    for _, row in frame.iterrows():
        moment = aware(row["submitted_at"], tz, f"{path}: submitted_at")
        if moment is None:
            continue
        for col in ("file", "submission"):
            if row.get(col, ""):
                by_file[str(row[col])] = moment
        if row.get("student_id", "") and not (row.get("file", "") or row.get("submission", "")):
            by_student[str(row["student_id"])] = moment
    return by_file, by_student


def read_overrides(path: Path | None) -> dict[str, tuple[float, str]]:
    """``{student_id: (score, note)}`` from an ``overrides.csv`` (``student_id, score, reason,
    by, at``: written by the course server when staff override a score); {} if there is none."""
    if path is None or not path.is_file():
        return {}
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"student_id", "score", "reason"} - set(frame.columns)
    if missing:
        raise ConfigError(f"{path}: missing columns {sorted(missing)}")
    found = {}
    for _, row in frame.iterrows():
        by = f" by {row['by']}" if row.get("by", "") else ""
        found[str(row["student_id"])] = (float(row["score"]),
                                         f"{float(row['score']):g}{by}: {row['reason']}")
    return found


def _quiz_frame(path: Path | None) -> pd.DataFrame | None:
    if path is None or not path.is_file():
        return None
    frame = pd.read_csv(path, dtype={"student_id": str}, keep_default_na=False)
    missing = {"student_id", "score", "max_score"} - set(frame.columns)
    if missing:
        raise ConfigError(f"{path}: missing columns {sorted(missing)} "
                          "(needs student_id, score, max_score)")
    return frame


# ----------------------------------------------------------------------------- building


def _sort_flags(flags: set[str]) -> str:
    order = {f: i for i, f in enumerate(FLAG_ORDER)}
    return ";".join(sorted(flags, key=lambda f: (order.get(f, 99), f)))


def _iso(moment: datetime | None, tz) -> str:
    return moment.astimezone(tz).isoformat(timespec="minutes") if moment else ""


def course_gradebook(config: CourseConfig | str | Path, *,
                     results: dict[str, list[GradingResults]] | None = None,
                     scores: dict[str, pd.DataFrame] | None = None,
                     roster: Roster | None = None,
                     results_root: str | Path | None = None,
                     max_points: dict[str, float] | None = None,
                     overrides: dict[str, dict[str, tuple[float, str]]] | None = None
                     ) -> CourseGradebook:
    """Build the course gradebook.

    ``results`` maps an assignment to its results (default: loaded from each assignment's
    results folder); ``scores`` maps a CSV item (quiz) to its scores frame (default: read from
    its ``scores`` path); ``max_points`` gives an assignment's points when it has no results
    (e.g. from ``Course.config(hw).max_score``). ``overrides`` maps an assignment to
    ``{student_id: (score, note)}``, scores set by staff that replace the student's score
    (default: each assignment's ``<results>/overrides.csv``, see :func:`read_overrides`)."""
    if not isinstance(config, CourseConfig):
        config = load_config(config, results_root)
    config = replace(config, items=list(config.items))  # discovery must not change the caller's
    config = discover(config, Path(results_root) if results_root else None)
    for name in results or {}:
        if config.item(name) is None:
            add_item(config, Item(name=name, kind="assignment",
                                  weight=0.0 if config.assignments() else 1.0))
    tz = config.tz
    issues: list[str] = []
    if roster is None and config.roster is not None:
        roster = load_roster(config.roster)
    if roster is None:
        issues.append("no roster: the students are the ids seen in the results")
    results = dict(results or {})
    scores = dict(scores or {})
    max_points = dict(max_points or {})

    # -- candidates per item
    candidates: dict[str, list[Candidate]] = {}
    item_info: list[dict[str, Any]] = []
    unmatched_rows: list[dict[str, Any]] = []

    def resolve(raw: str) -> tuple[str, bool]:
        if roster is None:
            return raw, True
        sid = roster.resolve(raw)
        return (sid, True) if sid is not None else (raw, False)

    for item in config.items:
        cands: list[Candidate] = []
        pending = False
        if item.kind == "assignment":
            if item.name not in results:
                if item.results is not None and (item.results / "results").is_dir():
                    results[item.name] = load_results(item.results)
            item_results = results.get(item.name)
            pending = item_results is None
            by_file, by_student = _read_times(item.times, tz)
            for r in item_results or []:
                if r.assignment and r.assignment != item.name:
                    issues.append(f"{item.name}: {r.submission} is a result for "
                                  f"{r.assignment}; counted under {item.name} anyway")
                sid, on = resolve(r.student_id)
                base = uploaded_file(r.source, r.student_id)
                when = (by_file.get(base) or by_file.get(r.submission) or by_student.get(sid)
                        or by_student.get(r.student_id)
                        or aware(r.submitted_at or None, tz, f"{r.submission}: submitted_at"))
                cands.append(Candidate(item.name, sid, r.student_id, on, r.submission,
                                       r.score, r.max_score, r.status, r.source, when,
                                       marked_late(r.source), r))
            points = item.points or max((r.max_score for r in item_results or []), default=0.0)
            points = points or max_points.get(item.name, 0.0)
        else:
            frame = scores.get(item.name)
            if frame is None:
                frame = _quiz_frame(item.scores)
            pending = frame is None
            points = item.points or (float(pd.to_numeric(frame["max_score"]).max())
                                     if frame is not None and len(frame) else 0.0)
            for i, row in (frame.iterrows() if frame is not None else []):
                raw = str(row["student_id"]).strip()
                sid, on = resolve(raw)
                row_max = float(row["max_score"])
                value = float(row["score"]) if str(row["score"]).strip() != "" else 0.0
                scaled = value / row_max * points if row_max > 0 else 0.0
                cands.append(Candidate(item.name, sid, raw, on, f"{item.name}-row{i + 2}",
                                       round(scaled, 6), points, "graded",
                                       str(item.scores or ""), None))
        if pending:
            where = item.results if item.kind == "assignment" else item.scores
            issues.append(f"{item.name}: pending, no results yet ({where}); left out of totals")
        if not pending and points <= 0:
            issues.append(f"{item.name}: 0 points possible; left out of totals")
        candidates[item.name] = cands
        item_info.append({"name": item.name, "label": item.label, "kind": item.kind,
                          "weight": item.weight, "max_points": float(points),
                          "due": _iso(item.due, tz), "canvas_id": item.canvas_id,
                          "pending": pending, "submissions": len(cands),
                          "students": len({c.student_id for c in cands})})
        for c in cands:
            if not c.on_roster:
                unmatched_rows.append({"item": item.name, "student_id": c.raw_id,
                                       "submission": c.submission, "score": c.score,
                                       "max_score": c.max_score, "status": c.status,
                                       "submitted_at": _iso(c.submitted_at, tz),
                                       "source": c.source})
    if unmatched_rows:
        ids = sorted({r["student_id"] for r in unmatched_rows})
        issues.append(f"{len(unmatched_rows)} submission(s) from ids not on the roster: "
                      + ", ".join(ids))

    # -- students: the roster, then every unmatched id
    student_rows: list[dict[str, Any]] = []
    if roster is not None:
        for _, st in roster.frame.iterrows():
            student_rows.append({"student_id": st["student_id"], "name": st["name"],
                                 "email": st["email"], "section": st["section"],
                                 "on_roster": True})
    seen = {s["student_id"] for s in student_rows}
    for cands in candidates.values():
        for c in cands:
            if c.student_id not in seen:
                seen.add(c.student_id)
                student_rows.append({"student_id": c.student_id, "name": "", "email": "",
                                     "section": "", "on_roster": roster is None})

    # -- staff overrides, by roster id
    item_overrides: dict[str, dict[str, tuple[float, str]]] = {}
    for item in config.assignments():
        given = (overrides or {}).get(item.name)
        if given is None:
            given = read_overrides(item.results / "overrides.csv" if item.results else None)
        item_overrides[item.name] = {resolve(raw)[0]: value for raw, value in given.items()}

    # -- choose per student, items in due order (the late-day budget is spent in that order)
    order = sorted(config.items, key=lambda i: (i.due is None,
                                                i.due.timestamp() if i.due else 0.0, i.name))
    item_rows, sub_rows = [], []
    info = {i["name"]: i for i in item_info}
    for st in student_rows:
        sid = st["student_id"]
        budget = config.late.budget_days
        for item in order:
            meta = info[item.name]
            mine = [c for c in candidates[item.name] if c.student_id == sid]
            row, evaluated, budget = _choose(config, item, meta, st, mine, budget)
            if sid in item_overrides.get(item.name, {}):
                row = _overridden(row, *item_overrides[item.name][sid])
                issues.append(f"{item.name}: {sid}'s score is overridden: {row['override']}")
            item_rows.append(row)
            sub_rows += evaluated

    items_frame = pd.DataFrame(item_rows, columns=ITEM_COLUMNS)
    submissions_frame = pd.DataFrame(sub_rows, columns=SUBMISSION_COLUMNS)
    students = _wide(student_rows, items_frame, item_info)
    unmatched = pd.DataFrame(unmatched_rows, columns=["item", "student_id", "submission", "score",
                                                      "max_score", "status", "submitted_at",
                                                      "source"])
    for r in item_rows:
        if "time-unknown" in r["flags"] and "canvas-late" in r["flags"]:
            issues.append(f"{r['item']}: {r['student_id']} is marked LATE by Canvas but its "
                          "submission time is unknown: charged as 1 day late, the least a "
                          "late submission can be (add its time to the item's times CSV)")
    return CourseGradebook(config, roster, students, items_frame, submissions_frame, unmatched,
                           item_info, results, issues)


ITEM_COLUMNS = ["student_id", "name", "section", "on_roster", "item", "kind", "weight",
                "max_points", "score", "raw_score", "penalty", "late_days", "budget_used",
                "submitted_at", "due", "extension", "status", "submission", "submissions",
                "flags", "source", "override"]
SUBMISSION_COLUMNS = ["item", "student_id", "raw_id", "on_roster", "submission", "status",
                      "submitted_at", "due", "late_days", "raw_score", "penalty", "score",
                      "max_points", "counted", "flags", "source"]


def assumed_late(due: datetime) -> Lateness:
    """A submission Canvas marked ``LATE`` whose time is unknown: 1 started day late (the least
    a late submission can be), so the late policy applies as configured."""
    return Lateness(False, due, 0.0, 1)


def _choose(config: CourseConfig, item: Item, meta: dict[str, Any], st: dict[str, Any],
            mine: list[Candidate], budget: int):
    tz = config.tz
    sid = st["student_id"]
    points = meta["max_points"]
    ext = config.extension(sid, item.name)
    due = ext.due(item.due) if (ext and item.due) else item.due
    base = {"student_id": sid, "name": st["name"], "section": st["section"],
            "on_roster": st["on_roster"], "item": item.name, "kind": item.kind,
            "weight": item.weight, "max_points": points, "due": _iso(due, tz),
            "extension": (f"{ext.days:g} days" if ext.days else "")
            + (f" until {_iso(ext.until, tz)}" if ext.until else "") if ext else "",
            "override": ""}
    if meta["pending"]:
        return ({**base, "score": math.nan, "raw_score": math.nan, "penalty": 0.0,
                 "late_days": 0, "budget_used": 0, "submitted_at": "", "status": "pending",
                 "submission": "", "submissions": 0, "flags": "pending", "source": ""},
                [], budget)
    if not mine:
        flags = {"missing"} | ({"not-on-roster"} if not st["on_roster"] else set())
        return ({**base, "score": 0.0, "raw_score": 0.0, "penalty": 0.0, "late_days": 0,
                 "budget_used": 0, "submitted_at": "", "status": "missing", "submission": "",
                 "submissions": 0, "flags": _sort_flags(flags), "source": ""}, [], budget)

    evaluated = []
    for c in mine:
        late: Lateness = (lateness(c.submitted_at, due, config.late) if item.late_policy
                          else lateness(None, None, config.late))
        if c.canvas_late and c.submitted_at is None and due is not None and item.late_policy:
            late = assumed_late(due)  # Canvas says late, no time says how late
        pen = penalty(c.score, points, late.days, budget, config.late)
        evaluated.append((c, late, pen))

    def when(e) -> float:  # unknown times sort first
        return e[0].submitted_at.timestamp() if e[0].submitted_at else -math.inf

    if config.select == "best":  # ties: the earlier one
        chosen = max(evaluated, key=lambda e: (e[2].score, -when(e)))
    elif config.select == "last":
        chosen = max(evaluated, key=lambda e: (when(e), e[2].score))
    else:  # latest on-time, else latest late
        on_time = [e for e in evaluated if e[1].on_time]
        chosen = max(on_time or evaluated, key=lambda e: (when(e), e[2].score))
    c, late, pen = chosen
    budget -= pen.budget_used

    def flags_for(c: Candidate, late: Lateness, pen) -> set[str]:
        flags = set()
        if late.days:
            flags.add("late")
        if pen.too_late:
            flags.add("too-late")
        if ext is not None:
            flags.add("extension")
        if c.submitted_at is None and item.late_policy and due is not None:
            flags.add("time-unknown")
        if c.canvas_late:
            flags.add("canvas-late")
        if c.status != "graded":
            flags.add(c.status)
        if not c.on_roster:
            flags.add("not-on-roster")
        return flags

    flags = flags_for(c, late, pen)
    if item.kind == "csv" and len(mine) > 1:
        flags.add("several-rows")
    row = {**base, "score": pen.score, "raw_score": c.score, "penalty": pen.points,
           "late_days": late.days, "budget_used": pen.budget_used,
           "submitted_at": _iso(c.submitted_at, tz), "status": c.status,
           "submission": c.submission, "submissions": len(mine), "flags": _sort_flags(flags),
           "source": c.source}
    subs = []
    if item.kind == "assignment":
        for e in evaluated:
            sc, sl, sp = e
            subs.append({"item": item.name, "student_id": sid, "raw_id": sc.raw_id,
                         "on_roster": sc.on_roster, "submission": sc.submission,
                         "status": sc.status, "submitted_at": _iso(sc.submitted_at, tz),
                         "due": _iso(due, tz), "late_days": sl.days, "raw_score": sc.score,
                         "penalty": sp.points, "score": sp.score, "max_points": points,
                         "counted": e is chosen, "flags": _sort_flags(flags_for(sc, sl, sp)),
                         "source": sc.source})
    return row, subs, budget


def _overridden(row: dict[str, Any], score: float, note: str) -> dict[str, Any]:
    """A student's item row with the score staff set (the note says who, and why)."""
    flags = {f for f in str(row["flags"]).split(";") if f} - {"missing"} | {"override"}
    return {**row, "score": float(score), "override": note, "flags": _sort_flags(flags)}


def _wide(student_rows: list[dict[str, Any]], items: pd.DataFrame,
          item_info: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for st in student_rows:
        mine = items[items["student_id"] == st["student_id"]].set_index("item")
        row = dict(st)
        num = den = 0.0
        flags = []
        for info in item_info:
            name = info["name"]
            r = mine.loc[name]
            row[name] = r["score"]
            row[f"{name}_late_days"] = int(r["late_days"])
            row[f"{name}_flags"] = r["flags"]
            if r["flags"] and not info["pending"]:
                flags += [f"{f}:{name}" for f in r["flags"].split(";") if f != "not-on-roster"]
            if not info["pending"] and info["max_points"] > 0 and info["weight"] > 0:
                num += info["weight"] * float(r["score"]) / info["max_points"]
                den += info["weight"]
        row["total_percent"] = round(100 * num / den, 2) if den else math.nan
        if not st["on_roster"]:
            flags.insert(0, "not-on-roster")
        row["flags"] = "; ".join(flags)
        rows.append(row)
    columns = ["student_id", "name", "email", "section", "on_roster"]
    columns += [i["name"] for i in item_info]
    columns += [f"{i['name']}_{s}" for i in item_info for s in ("late_days", "flags")]
    columns += ["total_percent", "flags"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["on_roster", "student_id"], ascending=[False, True],
                             kind="stable").reset_index(drop=True)
