"""The Python API: the same verbs as the command line (``autograder.cli``), minus the printing.
Each verb hands its work to the package that does it.

torch is imported only by the verbs that need it (``build``, ``demo``, ``gradescope_bundle``;
``grade`` once it has something to grade): a re-run of ``grade`` in which nothing changed is
answered from the results store without it.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from .course import Course, CourseError
from .grade.options import GradeOptions, resolve_device
from .grade.results import GradingResults
from .quiz import run as quiz
from .report import publish as course_outputs

if TYPE_CHECKING:
    import pandas as pd

    from .assign import BuildReport
    from .demo import DemoRun
    from .grade.batch import GradeRun, OnResult, OnStart
    from .gradebook.course import CourseGradebook
    from .report.publish import PublishRun
    from .similarity import SimilarityRun


def build(hw: str, course: Course | None = None, *, otter: bool = True, check: bool = True,
          device: str = "cpu", config: str | Path | None = None) -> "BuildReport":
    """Build one assignment: student notebook, hidden fixtures, self-check. ``config``: the
    course configuration (``course.toml``); when it sets ``[server] url``, the student notebook
    ends with the cell that submits to that server."""
    from .assign import BuildError, build as build_assignment  # torch
    from .assign.standalone import server_url

    try:
        server = server_url(config)
    except ValueError as e:
        raise BuildError(str(e)) from None
    return build_assignment(course or Course.find(), hw, otter=otter, check=check,
                            device=resolve_device(device), server=server)


def grade(hw: str, submissions: Sequence[str | Path], out: str | Path,
          course: Course | None = None, *, options: GradeOptions | None = None,
          on_start: "OnStart | None" = None, on_result: "OnResult | None" = None,
          **settings: Any) -> "GradeRun":
    """Grade submissions (notebooks, folders or zips) of assignment ``hw`` into ``out``:
    ``out/results/<submission>.json``, the results store (default ``out/results.sqlite``) and
    ``out/gradebook.csv`` (every submission of ``hw`` in the store, the result each was last
    graded or confirmed with).

    ``options`` (:class:`~autograder.grade.options.GradeOptions`: workers, device, isolation,
    store, executor, scheduler, regrade, gpu_memory_fraction), or any of its fields as a keyword
    (``workers=2, store=URL``), which override ``options``.

    Incremental: a submission whose bytes were graded before against the same fixtures by the
    same grader is not graded again (``regrade=True``: everything is); each new result is
    committed as it finishes, so an interrupted run loses nothing and the next one resumes.
    ``on_start(to_grade, reused)`` is called once the run knows what it has to do,
    ``on_result(result, reused)`` after each submission."""
    from .grade.batch import grade_batch  # SQLAlchemy (the store): not for the other verbs

    options = replace(options or GradeOptions(), **settings)
    return grade_batch(course or Course.find(), hw, submissions, out, options,
                       on_start=on_start, on_result=on_result)


def similarity(hw: str, submissions: Sequence[str | Path], out: str | Path,
               course: Course | None = None, *, previous: Sequence[str | Path] = (),
               floor: float | None = None) -> "SimilarityRun":
    """Compare the answer cells of every pair of submissions of ``hw`` (read as ``grade`` reads
    them), the released notebook ``assignments/<hw>/<hw>.ipynb`` as boilerplate, and each
    against the earlier terms' submissions under ``previous``: ``out``/similarity.csv and
    ``out``/similarity.html."""
    from .similarity import FLOOR, similarity as compare  # copydetect: only for this verb

    course = course or Course.find()
    released = course.student_notebook(hw)
    if not released.exists():
        raise CourseError(f"{hw}: no released notebook at {released} (run autograder build {hw})")
    return compare(released, submissions, out, previous=previous,
                   floor=FLOOR if floor is None else floor, title=hw)


def demo(out: str | Path = "out/demo", course: Course | None = None,
         log: Callable[[str], None] = lambda s: None) -> "DemoRun":
    """The main job on the bundled example course: build every assignment, grade the example
    submissions of each, generate the mid-term quiz and grade its example responses, then
    publish the course gradebook, Canvas CSV, feedback and reports."""
    from .demo import demo as run_demo  # torch (it builds)

    return run_demo(course or Course.find(), out, log)


# ------------------------------------------------------------------------------------------------
# Course-level outputs: the course gradebook (roster × assignments and quizzes, weights, late
# policy), the Canvas CSV, per-case tables, per-submission feedback, instructor reports, and the
# Gradescope autograder bundle. They read results through plain lists of GradingResults, so any
# store can feed them (``results=``); by default each assignment's ``<root>/<hw>/results/*.json``.


def course_gradebook(config: str | Path, results_root: str | Path | None = None,
                     course: Course | None = None, *,
                     results: dict[str, list[GradingResults]] | None = None,
                     scores: dict[str, pd.DataFrame] | None = None) -> "CourseGradebook":
    """The course gradebook for the course configuration ``config`` (e.g.
    ``examples/course.toml``) and the graded results under ``results_root``
    (``<root>/<hw>/results/*.json``)."""
    return course_outputs.build_gradebook(config, results_root,
                                          course=course or Course.find_or_none(),
                                          results=results, scores=scores)


def publish(config: str | Path, results_root: str | Path | None = None,
            out: str | Path | None = None, course: Course | None = None, *,
            feedback: bool = True, reports: bool = True,
            results: dict[str, list[GradingResults]] | None = None,
            scores: dict[str, pd.DataFrame] | None = None) -> "PublishRun":
    """Write the course gradebook, Canvas CSV, per-case CSV/Parquet, feedback and reports into
    ``out`` (default ``<results_root>/course``)."""
    return course_outputs.publish(config, results_root, out,
                                  course=course or Course.find_or_none(), results=results,
                                  scores=scores, feedback=feedback, reports=reports)


def gradescope_bundle(hw: str, out: str | Path | None = None, course: Course | None = None, *,
                      hidden_visibility: str = "after_due_date", device: str = "cpu") -> Path:
    """The Gradescope autograder zip of ``hw`` (default ``build/<hw>/<hw>-gradescope.zip``)."""
    from .lms.gradescope import make_bundle  # torch

    return make_bundle(course or Course.find(), hw, out, hidden_visibility=hidden_visibility,
                       device=device)


# ------------------------------------------------------------------------- the mid-term quiz
def quiz_generate(spec: str | Path, roster: str | Path, out: str | Path, *, pdf: bool = True):
    """Per-student papers (HTML + PDF), keys, quiz.json, moodle.xml, qti.zip under ``out``."""
    return quiz.generate(spec, roster, out, pdf=pdf)


def quiz_export(spec: str | Path, out: str | Path):
    """The question pools only: quiz.json, moodle.xml, qti.zip."""
    return quiz.export(spec, out)


def quiz_grade(spec: str | Path, responses: str | Path, roster: str | Path, out: str | Path):
    """scores.csv (student_id, score, max_score), stats.csv and stats.html under ``out``."""
    return quiz.grade(spec, responses, roster, out)


def quiz_demo(out: str | Path = "out/demo", *, pdf: bool = True):
    """Generate the example mid-term for examples/roster.csv and grade
    examples/quiz/responses.csv, all into ``out``/quiz (scores.csv there feeds the gradebook)."""
    return quiz.demo(out, pdf=pdf)


# ------------------------------------------------------------------ the course server
def issue_tokens(config: str | Path, out: str | Path, course: Course | None = None, *,
                 staff: Sequence[str] = (), rotate: bool = False, store: str | None = None):
    """One token per roster student and staff name into ``out`` (``student_id, token``); the
    server's store keeps their hashes. Tokens already in ``out`` are kept unless ``rotate``.
    Returns an :class:`autograder.serve.auth.TokenReport`."""
    from . import serve as _serve  # the web stack (fastapi, uvicorn) only for these two verbs

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
