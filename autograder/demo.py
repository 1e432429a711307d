"""The main job on the bundled example course: build every assignment, grade the example
submissions of each and compare their answers (``similarity``), generate the mid-term quiz and
grade its example responses, then publish the course gradebook, Canvas CSV, feedback and
reports (``autograder demo``)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .assign import BuildReport, build
from .course import Course
from .grade.batch import GradeRun, grade_batch
from .quiz import run as quiz
from .report.publish import PublishRun, publish
from .similarity import similarity


@dataclass
class DemoRun:
    out: Path
    builds: list[BuildReport]
    grades: list[GradeRun]
    published: PublishRun | None = None
    quiz: "object | None" = None  # what autograder.quiz.run.demo returned


def demo(course: Course, out: str | Path = "out/demo",
         log: Callable[[str], None] = lambda s: None) -> DemoRun:
    out = Path(out).resolve()
    builds, grades = [], []
    for hw in course.assignments():
        log(f"build {hw}")
        builds.append(build(course, hw))
        examples = course.root / "examples" / hw / "submissions"
        if examples.is_dir():
            log(f"grade {hw}: {examples}")
            grades.append(grade_batch(course, hw, [examples], out / hw))
            log(f"similarity {hw}: {out / hw / 'similarity'}")
            similarity(course.student_notebook(hw), [examples], out / hw / "similarity",
                       title=hw)
    run = DemoRun(out, builds, grades)
    # -- the mid-term quiz: papers, keys, LMS exports, and the example responses graded ------
    if (course.root / "examples" / "quiz" / "midterm.toml").is_file():
        log(f"quiz: {out / 'quiz'}")
        run.quiz = quiz.demo(out)
    # -- course outputs: course gradebook, Canvas CSV, per-case tables, feedback, reports ----
    config = course.root / "examples" / "course.toml"
    if config.is_file() and grades:
        log(f"publish: {out / 'course'}")
        run.published = publish(config, out, out / "course", course=course)
    return run
