"""The Python API: the same verbs as the command line (``autograder.cli``), minus the printing."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from .course import Course
from .grade.results import GradingResults

# torch, pandas and the grading machinery are imported where they are needed: a re-run of
# ``grade`` in which nothing changed is answered from the results store without torch
if TYPE_CHECKING:
    import pandas as pd

    from .assign import BuildReport


def resolve_device(device: str = "auto") -> str:
    assert device in ("auto", "cpu", "cuda"), f"unknown device {device!r}"
    if device == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def build(hw: str, course: Course | None = None, *, otter: bool = True, check: bool = True,
          device: str = "cpu") -> BuildReport:
    """Build one assignment: student notebook, hidden fixtures, self-check."""
    from .assign import build as _build

    course = course or Course.find()
    return _build(course, hw, otter=otter, check=check, device=resolve_device(device))


@dataclass
class GradeRun:
    assignment: str
    out: Path
    results: list[GradingResults]  # this run's submissions, in input order
    gradebook: "pd.DataFrame"  # every submission of the assignment in the store
    fixtures_regenerated: bool
    reused: int = 0  # submissions whose stored result was reused (unchanged since graded)
    store: str = ""
    seconds: float = 0.0


def grade(hw: str, submissions: Sequence[str | Path], out: str | Path,
          course: Course | None = None, *, workers: int | None = None, device: str = "auto",
          isolation: str = "auto", store: str | None = None, executor: str = "local",
          scheduler: str | None = None, regrade: bool = False,
          gpu_memory_fraction: float | None = None,
          on_start: Callable[[int, int], None] | None = None,
          on_result: Callable[[GradingResults, bool], None] | None = None) -> GradeRun:
    """Grade submissions (notebooks, folders or zips) of assignment ``hw`` into ``out``:
    ``out/results/<submission>.json``, the results store (``store``: an SQLAlchemy URL, default
    ``sqlite:///out/results.sqlite``) and ``out/gradebook.csv`` (every submission of ``hw`` in
    the store, the result each was last graded or confirmed with).

    Incremental: a submission whose bytes were graded before against the same fixtures by the
    same grader is not graded again (``regrade=True``: everything is); each new result is
    committed as it finishes, so an interrupted run loses nothing and the next one resumes.
    ``isolation``: auto (the strongest level this host allows), namespaces, userns, landlock or
    process (see docs/ISOLATION.md); each result records the level it was graded under.
    ``executor``: ``local`` (``workers`` warm workers on this machine, default one per core) or
    ``dask`` (the workers of the Dask cluster at ``scheduler``; without one, a local cluster of
    ``workers`` processes). ``device``: auto, cpu or cuda; on a GPU each sandbox may use
    ``gpu_memory_fraction`` of its memory (default 0.9 / the sandboxes sharing it).
    ``on_start(to_grade, reused)`` is called once the run knows what it has to do,
    ``on_result(result, reused)`` after each submission."""
    import time

    from .grade.batch import grade_batch
    from .grade.incremental import inputs_digest, plan
    from .grade.ingest import collect
    from .grade.version import GRADER_VERSION
    from .store import ResultStore, default_url

    start = time.perf_counter()
    course = course or Course.find()
    config = course.config(hw)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results_store = ResultStore(store or default_url(out))
    regenerated, zygotes = False, []
    try:
        subs = collect(list(submissions))
        # the fast path: fixtures unchanged since a run that used this store (no torch needed)
        digest = inputs_digest(course, hw)
        known = None if regrade else results_store.fingerprint_for(digest)
        todo = plan(results_store, hw, subs, known, GRADER_VERSION) if known else None
        grader = None
        if todo is None or todo.todo:
            if executor == "local":  # their start-up overlaps loading torch and the fixtures
                from .grade.batch import default_workers, prestart

                count = len(todo.todo if todo else subs)
                zygotes = prestart(isolation, min(workers or default_workers(), count), count)
            from . import fixtures as fixture_store
            from .grade.pipeline import Grader

            fixtures, regenerated = fixture_store.ensure(course, config)
            results_store.remember_fingerprint(digest, hw, fixtures.fingerprint)
            grader = Grader.for_assignment(config, fixtures, device=resolve_device(device))
            if todo is None or known != fixtures.fingerprint:
                todo = plan(results_store, hw, subs, fixtures.fingerprint, GRADER_VERSION,
                            regrade)
        results = grade_batch(grader, subs, out, workers=workers, level=isolation,
                              on_result=on_result, store=results_store, on_start=on_start,
                              executor=executor, scheduler=scheduler,
                              gpu_memory_fraction=gpu_memory_fraction, plan=todo,
                              zygotes=zygotes)
        zygotes = []  # grade_batch closed them
        everything = results_store.latest(hw)
    finally:
        for z in zygotes:
            z.close()
        results_store.close()
    from .gradebook import assignment_gradebook, write_assignment_gradebook

    write_assignment_gradebook(everything, out)
    return GradeRun(hw, out, results, assignment_gradebook(everything), regenerated,
                    len(todo.reused), results_store.url, time.perf_counter() - start)


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


# ------------------------------------------------------------------ the course server
def issue_tokens(config: str | Path, out: str | Path, course: Course | None = None, *,
                 staff: Sequence[str] = (), rotate: bool = False, store: str | None = None):
    """One token per roster student and staff name into ``out`` (``student_id, token``); the
    server's store keeps their hashes. Tokens already in ``out`` are kept unless ``rotate``.
    Returns an :class:`autograder.serve.auth.TokenReport`."""
    from . import serve as _serve

    return _serve.issue_tokens(config, out, course or Course.find(Path(config).parent),
                               staff=staff, rotate=rotate, store=store)


def serve(config: str | Path, course: Course | None = None, *, host: str = "127.0.0.1",
          port: int = 8000, store: str | None = None, workers: int | None = None,
          executor: str = "local", scheduler: str | None = None, isolation: str = "auto",
          device: str = "auto") -> None:
    """Run the course server (see the README's "Running the course server") until stopped."""
    from . import serve as _serve

    server = _serve.open_server(config, course or Course.find(Path(config).parent),
                                store=store, workers=workers, executor=executor,
                                scheduler=scheduler, isolation=isolation, device=device)
    _serve.run(server, host, port)
