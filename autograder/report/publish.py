"""Everything a course run hands out, from graded results to files::

    OUT/gradebook.csv        one row per student: score per item, late days, flags, total %
    OUT/items.csv            one row per student × item: the submission that counts, lateness
    OUT/submissions.csv      one row per submission: lateness, penalty, counted or not
    OUT/unmatched.csv        submissions from ids not on the roster
    OUT/canvas.csv           the Canvas gradebook import
    OUT/issues.txt           what needs the instructor's attention
    OUT/cases.csv|.parquet   every test case of every submission, for analysis
    OUT/feedback/<hw>/<submission>.html|.md, OUT/feedback/<hw>/index.csv (who gets which)
    OUT/report/index.html, OUT/report/<hw>.html
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..gradebook import write_cases
from ..gradebook.config import CourseConfig, load_config
from ..gradebook.course import CourseGradebook, course_gradebook
from ..textsafe import csv_frame
from .feedback import file_name, write_feedback
from .instructor import render_index, render_report
from .similarity import pair_count, quiz_copying, similarity_page


@dataclass
class PublishRun:
    out: Path
    book: CourseGradebook
    files: dict[str, Path] = field(default_factory=dict)
    feedback: list[Path] = field(default_factory=list)
    reports: dict[str, Path] = field(default_factory=dict)


def _course_facts(course, names: list[str]) -> tuple[dict[str, float], dict[str, float]]:
    """(max points, wall-clock limit) per assignment, from its grading.toml when known."""
    points, limits = {}, {}
    if course is None:
        return points, limits
    known = set(course.assignments())
    for name in names:
        if name in known:
            cfg = course.config(name)
            points[name], limits[name] = cfg.max_score, cfg.wall_seconds
    return points, limits


def build_gradebook(config: CourseConfig | str | Path, results_root: str | Path | None = None,
                    *, course=None, results=None, scores=None) -> CourseGradebook:
    if not isinstance(config, CourseConfig):
        config = load_config(config, results_root)
    points, _ = _course_facts(course, [i.name for i in config.assignments()])
    return course_gradebook(config, results=results, scores=scores, results_root=results_root,
                            max_points=points)


def write_gradebook(book: CourseGradebook, out: str | Path) -> dict[str, Path]:
    out = Path(out)
    files = book.write(out)
    everything = [r for rs in book.results.values() for r in rs]
    for path in write_cases(everything, out):
        files[f"cases_{path.suffix.lstrip('.')}"] = path
    return files


def write_all_feedback(book: CourseGradebook, out: str | Path,
                       templates: str | Path | None = None) -> list[Path]:
    out = Path(out)
    written = []
    for info in book.item_info:
        results = book.results.get(info["name"])
        if info["kind"] != "assignment" or not results:
            continue
        folder = out / info["name"]
        written += write_feedback(results, folder, book=book, course=book.config.title,
                                  title=info["label"], templates=templates)
        # who gets which page: one row per submission, the counted one marked
        subs = book.submissions[book.submissions["item"] == info["name"]]
        index = subs[["student_id", "raw_id", "submission", "counted", "score", "flags"]].copy()
        index["html"] = index["submission"].map(file_name) + ".html"
        index["md"] = index["submission"].map(file_name) + ".md"
        csv_frame(index).to_csv(folder / "index.csv", index=False)
        written.append(folder / "index.csv")
    return written


def write_reports(book: CourseGradebook, out: str | Path, *, course=None,
                  templates: str | Path | None = None) -> dict[str, Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _, limits = _course_facts(course, [i["name"] for i in book.item_info])
    names = {}
    if book.roster is not None:
        names = dict(zip(book.roster.frame["student_id"], book.roster.frame["name"]))
    written: dict[str, Path] = {}
    pages = {info["name"]: page for info in book.item_info
             if (page := similarity_page(book.config.results_root, info["name"])) is not None}
    similar = {name: os.path.relpath(page, out) for name, page in pages.items()}
    copying = {i.name: rows for i in book.config.items
               if i.kind != "assignment" and (rows := quiz_copying(i.scores))}
    for info in book.item_info:
        results = book.results.get(info["name"])
        if info["kind"] != "assignment" or not results:
            continue
        rows = book.items[book.items["item"] == info["name"]]
        missing = sorted(rows.loc[(rows["status"] == "missing") & rows["on_roster"],
                                  "student_id"])
        # names keyed by the ids the results carry (they may be Canvas ids or e-mails)
        by_raw = {s["raw_id"]: names.get(s["student_id"], "")
                  for _, s in book.submissions[book.submissions["item"] == info["name"]].iterrows()}
        try:
            html = render_report(results, templates=templates, title=info["label"],
                                 course=book.config.title, counted=book.counted(info["name"]),
                                 names={**names, **by_raw}, missing=missing,
                                 time_limit=limits.get(info["name"]),
                                 similarity=similar.get(info["name"], ""),
                                 similar_pairs=pair_count(pages[info["name"]])
                                 if info["name"] in pages else 0)
        except Exception as e:  # noqa: BLE001 - one report, not the others
            book.issues.append(f"{info['name']}: the report could not be written "
                               f"({type(e).__name__}: {str(e)[:200]})")
            continue
        path = out / f"{info['name']}.html"
        path.write_text(html, encoding="utf-8")
        written[info["name"]] = path
    index = out / "index.html"
    index.write_text(render_index(book, {k: p.name for k, p in written.items()},
                                  templates=templates, similarity=similar, copying=copying),
                     encoding="utf-8")
    written["index"] = index
    return written


def publish(config: CourseConfig | str | Path, results_root: str | Path | None = None,
            out: str | Path | None = None, *, course=None, results=None, scores=None,
            feedback: bool = True, reports: bool = True,
            templates: str | Path | None = None) -> PublishRun:
    """Course gradebook, Canvas CSV, per-case tables, feedback and reports, into ``out``
    (default: ``<results root>/course``)."""
    book = build_gradebook(config, results_root, course=course, results=results, scores=scores)
    root = results_root or book.config.results_root
    if out is None:
        if root is None:
            raise ValueError("publish needs an output folder or a results root")
        out = Path(root) / "course"
    out = Path(out)
    run = PublishRun(out, book)
    run.files = write_gradebook(book, out)
    if feedback:
        run.feedback = write_all_feedback(book, out / "feedback", templates)
    if reports:
        run.reports = write_reports(book, out / "report", course=course, templates=templates)
    return run
