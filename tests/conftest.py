"""Shared fixtures: the repository's course, and assignments built once per test session."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder import fixtures as fixture_store
from autograder.assign.solved import solved_notebook
from autograder.course import Course

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def course(tmp_path_factory) -> Course:
    """The repository's course, with build outputs in a temporary folder (the repo is not
    written to)."""
    return Course(REPO, build_root=tmp_path_factory.mktemp("build"))


@pytest.fixture(scope="session")
def built(course):
    """``built(hw)`` generates (once) and returns the hidden fixtures of an assignment."""
    cache = {}

    def get(hw: str):
        if hw not in cache:
            cache[hw], _ = fixture_store.ensure(course, course.config(hw))
        return cache[hw]

    return get


def write_solved(course: Course, hw: str, path: Path, edits=()) -> Path:
    """Write a solved student notebook (optionally with edits) to ``path``."""
    nb = solved_notebook(course.student_notebook(hw), course.solution_notebook(hw), list(edits))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb))
    return path


def write_alternative(course: Course, hw: str, path: Path, cells: dict[str, str]) -> Path:
    """The solved notebook with the cell defining each name in ``cells`` replaced by its source:
    a correct solution written differently from the master."""
    from autograder.assign.solved import _first_definition

    write_solved(course, hw, path)
    nb = json.loads(path.read_text())
    replaced = set()
    for cell in nb["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        name = _first_definition(source) if cell["cell_type"] == "code" else None
        if name in cells:
            cell["source"] = cells[name].strip() + "\n"
            replaced.add(name)
    assert replaced == set(cells), set(cells) - replaced
    path.write_text(json.dumps(nb))
    return path
