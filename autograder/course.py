"""Where a course's files live, and an assignment's grading configuration.

A course folder holds ``solutions/<hw>/`` (the instructor's master notebook ``<hw>.ipynb`` and
``grading.toml``), ``assignments/<hw>/`` (what students receive, written by ``build``) and
``build/<hw>/`` (hidden: fixtures, manifest, otter's autograder bundle).

``grading.toml`` maps each otter question of the notebook to the course components (specs) it
grades and its points::

    title = "Assignment 1: learning machines"
    seed = 20260205           # seeds every hidden input
    [[questions]]
    name = "q1"               # the question's name in the notebook's BEGIN QUESTION block
    points = 2
    specs = ["perceptron_predict", "pla_train"]
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path


class CourseError(Exception):
    """A course or assignment that cannot be used as it is, with a message saying why."""


@dataclass(frozen=True)
class Question:
    name: str
    points: float
    specs: tuple[str, ...]


@dataclass(frozen=True)
class AssignmentConfig:
    name: str
    title: str
    seed: int
    questions: tuple[Question, ...]
    call_seconds: float = 20.0
    wall_seconds: float = 120.0

    @property
    def max_score(self) -> float:
        return sum(q.points for q in self.questions)


@dataclass(frozen=True)
class Course:
    root: Path
    build_root: Path = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).resolve())
        if self.build_root is None:  # AUTOGRADER_BUILD_ROOT keeps hidden fixtures elsewhere
            env = os.environ.get("AUTOGRADER_BUILD_ROOT")
            object.__setattr__(self, "build_root",
                               Path(env).resolve() if env else self.root / "build")

    @classmethod
    def find(cls, start: Path | str | None = None) -> "Course":
        """The course folder: ``start`` or its nearest parent with a ``solutions/`` folder."""
        here = Path(start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / "solutions").is_dir():
                return cls(folder)
        raise CourseError(f"no course found: neither {here} nor a parent has a solutions/ folder")

    @classmethod
    def find_or_none(cls, start: Path | str | None = None) -> "Course | None":
        """:meth:`find`, or None: course-level outputs (gradebooks, reports) can do without."""
        try:
            return cls.find(start)
        except (CourseError, OSError):
            return None

    def solution_dir(self, hw: str) -> Path:
        return self.root / "solutions" / hw

    def solution_notebook(self, hw: str) -> Path:
        return self.solution_dir(hw) / f"{hw}.ipynb"

    def assignment_dir(self, hw: str) -> Path:
        return self.root / "assignments" / hw

    def student_notebook(self, hw: str) -> Path:
        return self.assignment_dir(hw) / f"{hw}.ipynb"

    def build_dir(self, hw: str) -> Path:
        return self.build_root / hw

    def assignments(self) -> list[str]:
        folder = self.root / "solutions"
        return sorted(p.name for p in folder.iterdir() if (p / "grading.toml").is_file())

    def config(self, hw: str) -> AssignmentConfig:
        path = self.solution_dir(hw) / "grading.toml"
        if not path.is_file():
            known = ", ".join(self.assignments()) or "none"
            raise CourseError(f"unknown assignment {hw!r}: {path} does not exist (known: {known})")
        try:
            data = tomllib.loads(path.read_text())
            questions = tuple(
                Question(name=str(q["name"]), points=float(q["points"]),
                         specs=tuple(str(s) for s in q["specs"]))
                for q in data["questions"])
            config = AssignmentConfig(
                name=hw, title=str(data.get("title", hw)), seed=int(data["seed"]),
                questions=questions,
                call_seconds=float(data.get("call_seconds", 20.0)),
                wall_seconds=float(data.get("wall_seconds", 120.0)))
        except (KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as e:
            raise CourseError(f"{path}: {type(e).__name__}: {e}") from None
        names = [q.name for q in questions]
        if len(set(names)) != len(names):
            raise CourseError(f"{path}: duplicate question names in {names}")
        return config
