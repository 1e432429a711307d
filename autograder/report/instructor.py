"""The instructor report: one self-contained static HTML page per assignment, and an index.

Each assignment page shows the score distribution, per-question scores and pass rates, per-case
pass rates, the most common failure messages, the runtime distribution, the submissions that
errored, timed out or crashed, and every submission in a sortable table. Plots are matplotlib
PNGs embedded as base64 ``data:`` URIs, so the page is one file that opens from disk without a
server; the only script is a few lines that sort tables.
"""
from __future__ import annotations

import base64
import io
import math
import re
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..grade.results import GradingResults
from .render import environment

PALETTE = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3",
           "#8c8c8c", "#ccb974", "#64b5cd"]
STATUS_COLORS = {"graded": "#55a868", "error": "#c44e52", "timeout": "#dd8452",
                 "crashed": "#8172b3", "memory": "#937860", "missing": "#8c8c8c"}
PROBLEM_STATUSES = ("error", "timeout", "crashed", "memory")


def _pyplot():
    import matplotlib  # heavy (~0.5 s): only when a report draws a plot

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    _pyplot().close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _style(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=.3)
    ax.set_axisbelow(True)


def score_edges(top: float) -> list[float]:
    """Bin edges of a score histogram from 0 to ``top`` (the last bin holds full marks)."""
    bins = max(5, min(20, int(math.ceil(top)) or 10))
    return [top * i / bins for i in range(bins + 1)]


def clipped(scores: list[float], top: float) -> list[float]:
    """Scores as a histogram over [0, top] counts them: every score in a bin, full marks (and
    anything above, e.g. a bonus) in the last one, never dropped off the edge."""
    return [min(max(float(s), 0.0), top) for s in scores]


def plot_scores(scores: list[float], max_score: float, title: str = "Scores",
                ylabel: str = "submissions") -> str:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    top = max_score if max_score > 0 else max(scores or [1.0])
    edges = score_edges(top)
    ax.hist(clipped(scores, top), bins=edges, color=PALETTE[0], edgecolor="white")
    if scores:
        mean = sum(scores) / len(scores)
        ax.axvline(mean, color=PALETTE[3], linestyle="--", linewidth=2,
                   label=f"mean {mean:.2f}")
        ax.legend(frameon=False)
    ax.set_xlim(0, top)
    ax.set_xlabel(f"score (of {max_score:g})")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.yaxis.get_major_locator().set_params(integer=True)
    _style(ax)
    return _png(fig)


def plot_questions(rows: list[dict[str, Any]]) -> str:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    names = [r["name"] for r in rows]
    x = range(len(names))
    width = 0.4
    ax.bar([i - width / 2 for i in x], [100 * r["mean_fraction"] for r in rows], width,
           color=PALETTE[0], label="mean % of points")
    ax.bar([i + width / 2 for i in x], [100 * r["pass_rate"] for r in rows], width,
           color=PALETTE[2], label="tests passed %")
    ax.set_xticks(list(x), names)
    ax.set_ylim(0, 118)
    ax.set_yticks([0, 20, 40, 60, 80, 100])
    ax.set_ylabel("%")
    ax.set_title("Per question")
    ax.legend(frameon=False, loc="upper center", ncol=2, fontsize=9)
    _style(ax)
    return _png(fig)


def plot_runtimes(seconds: list[float], limit: float | None = None) -> str:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    values = [s for s in seconds if s is not None]
    ax.hist(values, bins=min(20, max(5, len(values))), color=PALETTE[1], edgecolor="white")
    if limit:
        ax.axvline(limit, color=PALETTE[3], linestyle=":", linewidth=2,
                   label=f"time limit {limit:g} s")
        ax.legend(frameon=False)
    ax.set_xlabel("seconds per submission")
    ax.set_ylabel("submissions")
    ax.set_title("Grading time")
    ax.yaxis.get_major_locator().set_params(integer=True)
    _style(ax)
    return _png(fig)


def plot_statuses(counts: dict[str, int]) -> str:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    names = list(counts)
    ax.barh(names, [counts[n] for n in names],
            color=[STATUS_COLORS.get(n, PALETTE[7]) for n in names])
    for i, n in enumerate(names):
        ax.text(counts[n], i, f" {counts[n]}", va="center")
    ax.invert_yaxis()
    ax.set_xlabel("submissions")
    ax.set_title("Status")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def normalise_message(message: str) -> str:
    """A failure message with its numbers blanked, so that the same problem groups together."""
    text = re.sub(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", "#", message or "")
    return re.sub(r"\s+", " ", text).strip()


def _median(values: list[float]) -> float:
    if not values:
        return math.nan
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def report_context(results: list[GradingResults], *, title: str = "", course: str = "",
                   counted: list[GradingResults] | None = None,
                   names: dict[str, str] | None = None, missing: list[str] | None = None,
                   time_limit: float | None = None, top: int = 15,
                   similarity: str = "", similar_pairs: int = 0) -> dict[str, Any]:
    """The data of an assignment report. ``results``: every submission; ``counted``: the one
    that counts per student (default: all); ``missing``: students with no submission;
    ``similarity``: a link to the assignment's similarity page (``similar_pairs`` pairs)."""
    counted = results if counted is None else counted
    names = names or {}
    assignment = results[0].assignment if results else title
    max_score = max((r.max_score for r in results), default=0.0)
    scores = [r.score for r in counted]

    q_order: list[str] = []
    q_points: dict[str, float] = {}
    q_scores: dict[str, list[float]] = defaultdict(list)
    q_cases: dict[str, list[bool]] = defaultdict(list)
    q_seconds: dict[str, list[float]] = defaultdict(list)
    case_rows: dict[tuple[str, str], dict[str, Any]] = {}
    for r in counted:
        for q in r.questions:
            if q.name not in q_points:
                q_order.append(q.name)
            q_points[q.name] = max(q_points.get(q.name, 0.0), q.max_score)
            q_scores[q.name].append(q.score)
            q_seconds[q.name].append(sum(c.seconds for c in q.cases))
            for c in q.cases:
                q_cases[q.name].append(c.passed)
                row = case_rows.setdefault((q.name, c.name), {
                    "question": q.name, "case": c.name, "hidden": c.hidden, "n": 0,
                    "passed": 0, "seconds": [], "messages": Counter()})
                row["n"] += 1
                row["passed"] += c.passed
                row["seconds"].append(c.seconds)
                if not c.passed and c.message:
                    row["messages"][c.message] += 1
    questions = []
    for name in q_order:
        values = q_scores[name]
        pts = q_points[name]
        questions.append({
            "name": name, "points": pts, "mean": sum(values) / len(values),
            "median": _median(values),
            "mean_fraction": (sum(values) / len(values) / pts) if pts else 0.0,
            "full": sum(v >= pts - 1e-9 for v in values) / len(values),
            "zero": sum(v <= 1e-9 for v in values) / len(values),
            "pass_rate": sum(q_cases[name]) / len(q_cases[name]) if q_cases[name] else 0.0,
            "seconds": sum(q_seconds[name]) / len(q_seconds[name])})
    cases = []
    for row in case_rows.values():
        common = row["messages"].most_common(1)
        cases.append({"question": row["question"], "case": row["case"], "hidden": row["hidden"],
                      "n": row["n"], "pass_rate": row["passed"] / row["n"],
                      "seconds": sum(row["seconds"]) / len(row["seconds"]),
                      "message": common[0][0] if common else ""})

    failures: dict[str, dict[str, Any]] = {}
    for r in results:
        if r.status != "graded" and r.message:
            key = f"[{r.status}] {normalise_message(r.message)}"
            f = failures.setdefault(key, {"message": f"{r.status}: {r.message}", "count": 0,
                                          "where": Counter(), "submissions": set()})
            f["count"] += 1
            f["where"]["(whole submission)"] += 1
            f["submissions"].add(r.submission)
            continue
        for q in r.questions:
            for c in q.cases:
                if c.passed or not c.message:
                    continue
                key = normalise_message(c.message)
                f = failures.setdefault(key, {"message": c.message, "count": 0,
                                              "where": Counter(), "submissions": set()})
                f["count"] += 1
                f["where"][f"{q.name}: {c.name}"] += 1
                f["submissions"].add(r.submission)
    common_failures = sorted(failures.values(), key=lambda f: (-len(f["submissions"]),
                                                               -f["count"], f["message"]))[:top]
    for f in common_failures:
        f["where"] = ", ".join(w for w, _ in f["where"].most_common(4)) + (
            " …" if len(f["where"]) > 4 else "")
        f["submissions"] = len(f["submissions"])

    statuses = Counter(r.status for r in results)
    status_counts = {s: statuses[s] for s in ("graded", *PROBLEM_STATUSES) if statuses[s]}
    if missing:
        status_counts["missing"] = len(missing)
    problems = [{"submission": r.submission, "student_id": r.student_id,
                 "name": names.get(r.student_id, ""), "status": r.status, "message": r.message,
                 "seconds": r.seconds} for r in results if r.status in PROBLEM_STATUSES]
    counted_names = {r.submission for r in counted}
    submissions = [{"submission": r.submission, "student_id": r.student_id,
                    "name": names.get(r.student_id, ""), "score": r.score,
                    "max_score": r.max_score, "status": r.status, "seconds": r.seconds,
                    "submitted_at": getattr(r, "submitted_at", "") or "",
                    "counted": r.submission in counted_names,
                    "questions": {q.name: q.score for q in r.questions}}
                   for r in sorted(results, key=lambda r: (r.student_id, r.submission))]
    seconds = [r.seconds for r in results]
    plots = []
    if results:
        plots = [
            {"title": "Score distribution", "src": plot_scores(scores, max_score),
             "caption": f"Total score of the {len(counted)} counted submission(s)."},
            {"title": "Per question", "src": plot_questions(questions) if questions else "",
             "caption": "Mean share of each question's points, and share of its tests passed."},
            {"title": "Grading time", "src": plot_runtimes(seconds, time_limit),
             "caption": "Wall-clock seconds to grade each submission."},
            {"title": "Status", "src": plot_statuses(status_counts),
             "caption": "How each submission ended."},
        ]
        plots = [p for p in plots if p["src"]]
    return {
        "course": course, "title": title or assignment, "assignment": assignment,
        "similarity": similarity, "similar_pairs": similar_pairs,
        "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "n_submissions": len(results), "n_counted": len(counted),
        "n_students": len({r.student_id for r in results}), "max_score": max_score,
        "mean": sum(scores) / len(scores) if scores else math.nan,
        "median": _median(scores), "best": max(scores, default=math.nan),
        "worst": min(scores, default=math.nan),
        "statuses": status_counts, "questions": questions,
        "cases": sorted(cases, key=lambda c: (c["pass_rate"], c["question"], c["case"])),
        "failures": common_failures, "problems": problems, "submissions": submissions,
        "question_names": q_order, "plots": plots, "missing": missing or [],
        "runtime": {"median": _median(seconds), "max": max(seconds, default=math.nan)},
    }


def render_report(results: list[GradingResults], *, templates: str | Path | None = None,
                  **context: Any) -> str:
    return environment(templates).get_template("report.html.j2").render(
        **report_context(results, **context))


def render_index(book, reports: dict[str, str], *, templates: str | Path | None = None,
                 similarity: dict[str, str] | None = None,
                 copying: dict[str, list[dict[str, str]]] | None = None) -> str:
    """The course page: items with links to their reports, totals, issues, unmatched ids; the
    copying signals: links to the assignments' similarity pages (``similarity``) and the quiz
    sheets that fit another student's paper better than their own (``copying``, by item)."""
    totals = [float(v) for v in book.students.loc[book.students["on_roster"], "total_percent"]
              if not (isinstance(v, float) and math.isnan(v))]
    plot = plot_scores(totals, 100.0, "Course total (weighted %)", "students") if totals else ""
    items = []
    for info in book.item_info:
        rows = book.items[book.items["item"] == info["name"]]
        graded = rows[rows["status"] != "pending"]
        items.append({**info, "report": reports.get(info["name"], ""),
                      "similarity": (similarity or {}).get(info["name"], ""),
                      "mean": float(graded["score"].mean()) if len(graded) else math.nan,
                      "missing": int(((rows["status"] == "missing") & rows["on_roster"]).sum()),
                      "late": int(rows["flags"].map(lambda f: "late" in f.split(";")).sum())})
    return environment(templates).get_template("index.html.j2").render(
        course=book.config.title, items=items, plot=plot, issues=book.issues,
        students=book.students.to_dict("records"),
        unmatched=book.unmatched.to_dict("records"), copying=copying or {},
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
