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
    results: list[GradingResults]
    gradebook: pd.DataFrame
    fixtures_regenerated: bool


def grade(hw: str, submissions: Sequence[str | Path], out: str | Path,
          course: Course | None = None, *, workers: int | None = None, device: str = "auto",
          isolation: str = "process",
          on_result: Callable[[GradingResults], None] | None = None) -> GradeRun:
    """Grade submissions (notebooks, folders or zips) of assignment ``hw`` into ``out``:
    ``out/results/<submission>.json`` and ``out/gradebook.csv``."""
    course = course or Course.find()
    config = course.config(hw)
    fixtures, regenerated = fixture_store.ensure(course, config)
    grader = Grader.for_assignment(config, fixtures, device=resolve_device(device))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results = grade_batch(grader, collect(list(submissions)), out, workers=workers,
                          level=isolation, on_result=on_result)
    write_assignment_gradebook(results, out)
    return GradeRun(hw, out, results, assignment_gradebook(results), regenerated)


@dataclass
class DemoRun:
    out: Path
    builds: list[BuildReport]
    grades: list[GradeRun]


def demo(out: str | Path = "out/demo", course: Course | None = None,
         log: Callable[[str], None] = lambda s: None) -> DemoRun:
    """The main job on the bundled example course: build every assignment, grade the example
    submissions of each, and write the gradebooks."""
    course = course or Course.find()
    out = Path(out)
    builds, grades = [], []
    for hw in course.assignments():
        log(f"build {hw}")
        builds.append(build(hw, course))
        examples = course.root / "examples" / hw / "submissions"
        if examples.is_dir():
            log(f"grade {hw}: {examples}")
            grades.append(grade(hw, [examples], out / hw, course))
    return DemoRun(out, builds, grades)
