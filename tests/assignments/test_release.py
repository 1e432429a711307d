"""What students receive: the committed student notebooks are exactly what `autograder build`
makes from the masters now, and they hold no solution or hidden test."""
from __future__ import annotations

import shutil

import pytest

from autograder.assign import leaks, run_otter_assign
from autograder.course import Course

from ..conftest import REPO

ASSIGNMENTS = Course(REPO).assignments()


@pytest.mark.parametrize("hw", ASSIGNMENTS)
def test_committed_student_notebook_is_current_and_leak_free(hw, tmp_path):
    repo = Course(REPO)
    assert leaks(repo.assignment_dir(hw)) == []
    shutil.copytree(repo.solution_dir(hw), tmp_path / "solutions" / hw)
    fresh = Course(tmp_path)
    run_otter_assign(fresh, hw, run_tests=False)
    assert fresh.student_notebook(hw).read_text() == repo.student_notebook(hw).read_text(), \
        f"assignments/{hw} is stale: run `autograder build {hw}` and commit it"
    committed_tests = sorted(p.name for p in (repo.assignment_dir(hw) / "tests").glob("*.py"))
    assert committed_tests == sorted(p.name for p in (fresh.assignment_dir(hw) / "tests").glob("*.py"))
