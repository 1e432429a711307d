"""The Python API: the same verbs as the command line (``autograder.cli``), minus the printing."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from . import fixtures as fixture_store
from .assign import BuildReport
from .assign import build as _build
from .course import Course
from .grade.batch import grade_batch
from .grade.ingest import collect
from .grade.pipeline import Grader
from .grade.results import GradingResults
from .gradebook import assignment_gradebook, write_assignment_gradebook


def resolve_device(device: str = "auto") -> str:
    assert device in ("auto", "cpu", "cuda"), f"unknown device {device!r}"
    if device == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def build(hw: str, course: Course | None = None, *, otter: bool = True, check: bool = True,
          device: str = "cpu") -> BuildReport:
    """Build one assignment: student notebook, hidden fixtures, self-check."""
    course = course or Course.find()
    return _build(course, hw, otter=otter, check=check, device=resolve_device(device))


@dataclass
class GradeRun:
    assignment: str
    out: Path
    results: list[GradingResults]  # this run's submissions, in input order
    gradebook: pd.DataFrame  # every submission of the assignment in the store
    fixtures_regenerated: bool
    reused: int = 0  # submissions whose stored result was reused (unchanged since graded)
    store: str = ""


def grade(hw: str, submissions: Sequence[str | Path], out: str | Path,
          course: Course | None = None, *, workers: int | None = None, device: str = "auto",
          isolation: str = "auto", store: str | None = None, executor: str = "local",
          scheduler: str | None = None,
          on_result: Callable[[GradingResults, bool], None] | None = None) -> GradeRun:
    """Grade submissions (notebooks, folders or zips) of assignment ``hw`` into ``out``:
    ``out/results/<submission>.json``, the results store (``store``: an SQLAlchemy URL, default
    ``sqlite:///out/results.sqlite``) and ``out/gradebook.csv`` (every submission of ``hw`` in
    the store, latest result each). Unchanged submissions are not graded again.
    ``isolation``: auto (the strongest level this host allows), namespaces, userns, landlock or
    process (see docs/ISOLATION.md); each result records the level it was graded under.
    ``executor``: ``local`` (a pool of warm workers on this machine) or ``dask`` (the workers of
    the Dask cluster at ``scheduler``)."""
    from .store import ResultStore, default_url

    course = course or Course.find()
    config = course.config(hw)
    fixtures, regenerated = fixture_store.ensure(course, config)
    grader = Grader.for_assignment(config, fixtures, device=resolve_device(device))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results_store = ResultStore(store or default_url(out))
    reused = [0]

    def count(result: GradingResults, was_reused: bool) -> None:
        reused[0] += was_reused
        if on_result:
            on_result(result, was_reused)

    try:
        subs = collect(list(submissions))
        if executor == "dask":
            from .grade.dask_executor import grade_on_dask

            results = grade_on_dask(grader, subs, out, scheduler, level=isolation,
                                    on_result=count, store=results_store)
        else:
            assert executor == "local", f"unknown executor {executor!r}"
            results = grade_batch(grader, subs, out, workers=workers, level=isolation,
                                  on_result=count, store=results_store)
        everything = results_store.latest(hw)
    finally:
        results_store.close()
    write_assignment_gradebook(everything, out)
    return GradeRun(hw, out, results, assignment_gradebook(everything), regenerated, reused[0],
                    results_store.url)


@dataclass
class DemoRun:
    out: Path
    builds: list[BuildReport]
    grades: list[GradeRun]
    published: "object | None" = None  # autograder.report.publish.PublishRun
    quiz: "object | None" = None  # what autograder.quiz.run.demo returned


def demo(out: str | Path = "out/demo", course: Course | None = None,
         log: Callable[[str], None] = lambda s: None) -> DemoRun:
    """The main job on the bundled example course: build every assignment, grade the example
    submissions of each, generate the mid-term quiz and grade its example responses, then
    publish the course gradebook, Canvas CSV, feedback and reports."""
    course = course or Course.find()
    out = Path(out).resolve()
    builds, grades = [], []
    for hw in course.assignments():
        log(f"build {hw}")
        builds.append(build(hw, course))
        examples = course.root / "examples" / hw / "submissions"
        if examples.is_dir():
            log(f"grade {hw}: {examples}")
            grades.append(grade(hw, [examples], out / hw, course))
    run = DemoRun(out, builds, grades)
    # -- the mid-term quiz: papers, keys, LMS exports, and the example responses graded ------
    if (course.root / "examples" / "quiz" / "midterm.toml").is_file():
        log(f"quiz: {out / 'quiz'}")
        run.quiz = quiz_demo(out)
    # -- course outputs: course gradebook, Canvas CSV, per-case tables, feedback, reports ----
    config = course.root / "examples" / "course.toml"
    if config.is_file() and grades:
        log(f"publish: {out / 'course'}")
        run.published = publish(config, out, out / "course", course)
    return run


# ------------------------------------------------------------------------------------------------
# Course-level outputs: the course gradebook (roster × assignments and quizzes, weights, late
# policy), the Canvas CSV, per-case tables, per-submission feedback, instructor reports, and the
# Gradescope autograder bundle. They read results through plain lists of GradingResults, so any
# store can feed them (``results=``); by default each assignment's ``<root>/<hw>/results/*.json``.


def course_gradebook(config: str | Path, results_root: str | Path | None = None,
                     course: Course | None = None, *,
                     results: dict[str, list[GradingResults]] | None = None,
                     scores: dict[str, pd.DataFrame] | None = None):
    """The course gradebook (:class:`autograder.gradebook.course.CourseGradebook`) for the
    course configuration ``config`` (e.g. ``examples/course.toml``) and the graded results under
    ``results_root`` (``<root>/<hw>/results/*.json``)."""
    from .report.publish import build_gradebook

    return build_gradebook(config, results_root, course=_maybe_course(course), results=results,
                           scores=scores)


def publish(config: str | Path, results_root: str | Path | None = None,
            out: str | Path | None = None, course: Course | None = None, *,
            feedback: bool = True, reports: bool = True,
            results: dict[str, list[GradingResults]] | None = None,
            scores: dict[str, pd.DataFrame] | None = None):
    """Write the course gradebook, Canvas CSV, per-case CSV/Parquet, feedback and reports into
    ``out`` (default ``<results_root>/course``); returns a
    :class:`autograder.report.publish.PublishRun`."""
    from .report.publish import publish as _publish

    return _publish(config, results_root, out, course=_maybe_course(course), results=results,
                    scores=scores, feedback=feedback, reports=reports)


def gradescope_bundle(hw: str, out: str | Path | None = None, course: Course | None = None, *,
                      hidden_visibility: str = "after_due_date", device: str = "cpu") -> Path:
    """The Gradescope autograder zip of ``hw`` (default ``build/<hw>/<hw>-gradescope.zip``)."""
    from .lms.gradescope import make_bundle

    return make_bundle(course or Course.find(), hw, out, hidden_visibility=hidden_visibility,
                       device=device)


def _maybe_course(course: Course | None) -> Course | None:
    if course is not None:
        return course
    try:
        return Course.find()
    except Exception:  # noqa: BLE001 - a course folder is optional here
        return None


# ---------------------------------------------------------------- the mid-term quiz (issue 8)
def quiz_generate(spec: str | Path, roster: str | Path, out: str | Path, *, pdf: bool = True):
    """Per-student papers (HTML + PDF), keys, quiz.json, moodle.xml, qti.zip under ``out``."""
    from .quiz import run as _quiz
    return _quiz.generate(spec, roster, out, pdf=pdf)


def quiz_export(spec: str | Path, out: str | Path):
    """The question pools only: quiz.json, moodle.xml, qti.zip."""
    from .quiz import run as _quiz
    return _quiz.export(spec, out)


def quiz_grade(spec: str | Path, responses: str | Path, roster: str | Path, out: str | Path):
    """scores.csv (student_id, score, max_score), stats.csv and stats.html under ``out``."""
    from .quiz import run as _quiz
    return _quiz.grade(spec, responses, roster, out)


def quiz_demo(out: str | Path = "out/demo", *, pdf: bool = True):
    """Generate the example mid-term for examples/roster.csv and grade
    examples/quiz/responses.csv, all into ``out``/quiz (scores.csv there feeds the gradebook)."""
    from .quiz import run as _quiz
    return _quiz.demo(out, pdf=pdf)
