"""An assignment's typical-mistake corpus, graded in one batch, and the checks every corpus passes.

A corpus is a list of ``(question, old code in the master solution, new code)``: each entry is one
edit of the solved notebook and must cost points on its question and nowhere else. Beside it, the
solved notebook (full marks), the untouched stub (0, every case saying why) and a correct
solution written differently (``{function name: cell source}``, full marks).
"""
from __future__ import annotations

import json
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from autograder import api
from autograder.ingest import code_cells
from autograder.grade.results import GradingResults

from ..conftest import write_alternative, write_solved

Mistake = tuple[str, str, str]


def mistake_name(mistakes: list[Mistake], i: int) -> str:
    return f"mistake_{i:02d}_{mistakes[i][0]}"


def grade_corpus(course, built, tmp_path_factory, hw: str, mistakes: list[Mistake],
                 alternative: dict[str, str],
                 more_alternatives: dict[str, dict[str, str]] | None = None
                 ) -> dict[str, GradingResults]:
    """Grade, in one batch: the solved notebook, the stub, every mistake and the alternatives
    (``more_alternatives``: graded as ``alternative_<key>``)."""
    built(hw)
    folder = tmp_path_factory.mktemp(f"{hw}-subs")
    write_solved(course, hw, folder / "solved.ipynb")
    (folder / "stub.ipynb").write_bytes(course.student_notebook(hw).read_bytes())
    for i, (_, old, new) in enumerate(mistakes):
        write_solved(course, hw, folder / f"{mistake_name(mistakes, i)}.ipynb", [(old, new)])
    write_alternative(course, hw, folder / "alternative.ipynb", alternative)
    for key, cells in (more_alternatives or {}).items():
        write_alternative(course, hw, folder / f"alternative_{key}.ipynb", cells)
    out = tmp_path_factory.mktemp(f"{hw}-out")
    run = api.grade(hw, [folder], out, course, workers=2, device="cpu")
    return {r.submission: r for r in run.results}


def check_covers_every_question(course, hw: str, mistakes: list[Mistake]) -> None:
    questions = [q.name for q in course.config(hw).questions]
    assert len(mistakes) >= 8
    assert {q for q, _, _ in mistakes} == set(questions)


def check_edit_lands_in_its_question(course, tmp_path, hw: str, mistake: Mistake) -> None:
    """The edit lands in the cell that defines one of the question's graded functions."""
    question, old, _ = mistake
    specs = next(q.specs for q in course.config(hw).questions if q.name == question)
    solved = write_solved(course, hw, tmp_path / "solved.ipynb")
    first = next(c for c in code_cells(solved.read_bytes()) if old in c)
    assert any(f"def {name}(" in first or f"class {name}(" in first for name in specs), \
        (question, first[:80])


def check_solution_full_marks_and_stub_zero(graded, course, hw: str) -> None:
    solved, stub = graded["solved"], graded["stub"]
    assert solved.status == "graded" and solved.score == pytest.approx(solved.max_score)
    assert solved.max_score == course.config(hw).max_score
    assert stub.status == "graded" and stub.score == 0
    for q in stub.questions:  # every question of the stub says why
        assert q.cases and all(c.message for c in q.cases), q.name


def check_alternative_full_marks(graded, name: str = "alternative") -> None:
    alt = graded[name]
    lost = {q.name: [(c.name, c.message) for c in q.cases if not c.passed]
            for q in alt.questions if q.score < q.max_score - 1e-9}
    assert alt.status == "graded" and not lost, lost


def check_mistake_costs_its_question_only(graded, mistakes: list[Mistake], i: int) -> None:
    question, name = mistakes[i][0], mistake_name(mistakes, i)
    r = graded[name]
    assert r.status == "graded"
    for q in r.questions:
        if q.name == question:
            assert q.score < q.max_score - 1e-9, f"{name}: mistake not caught"
            assert any(not c.passed and c.message for c in q.cases)
        else:
            assert q.score == pytest.approx(q.max_score), \
                f"{q.name} lost points for a {question} mistake"


def check_points_lost(question, lost: float) -> None:
    """A mistake costs exactly the points of the cases it fails (partial credit), and that is
    the number pinned for it."""
    failed = sum(c.max_score for c in question.cases if not c.passed)
    assert question.max_score - question.score == pytest.approx(failed, abs=1e-6)
    assert sum(c.max_score for c in question.cases) == pytest.approx(question.max_score)
    assert question.max_score - question.score == pytest.approx(lost, abs=1e-5), \
        (question.name, round(question.max_score - question.score, 6))


def check_mistake_loses_pinned_points(graded, mistakes: list[Mistake], i: int,
                                      lost: dict[int, float]) -> None:
    question, name = mistakes[i][0], mistake_name(mistakes, i)
    q = next(q for q in graded[name].questions if q.name == question)
    if i in lost:
        check_points_lost(q, lost[i])
    else:  # an outcome question: its cases, not a pinned number
        failed = sum(c.max_score for c in q.cases if not c.passed)
        assert q.max_score - q.score == pytest.approx(failed, abs=1e-6)


RUNG_MESSAGES = {  # a rung of the ladder past "ran", and what its failed case says
    "repeat": "is not reproducible: called twice with the same inputs",
    "gradient": "training cannot backpropagate through it",
}


def check_fails_on_rung(result: GradingResults, question: str, rung: str) -> None:
    """The mistake fails on ``rung`` (``RUNG_MESSAGES``), not on its value: a random draw off
    the function's inputs fails the repeated first case (Spec.repeat); a right value training
    cannot backpropagate through fails the gradient (Spec.grad_wrt). No value is named."""
    q = next(q for q in result.questions if q.name == question)
    said = [c for c in q.cases if RUNG_MESSAGES[rung] in c.message]
    assert said and not any(c.passed for c in said), [(c.name, c.message) for c in q.cases]
    assert not any(ch.isdigit() for c in said for ch in c.message.split("`")[2])  # past the name


def student_seconds(result: GradingResults) -> float:
    """Seconds spent in the submission's graded calls, all cases together."""
    return sum(c.seconds for q in result.questions for c in q.cases)


# ---------------------------------------------------------------- outcome calibration helpers

def master_solution(hw: str, function: str, edits=()) -> str:
    """The master notebook's cell defining ``function``, solution markers removed, with ``edits``
    (``(old, new)`` pairs) applied: run in-process to calibrate an outcome question."""
    from autograder.assign.solved import _strip_markers

    master = Path(__file__).resolve().parents[2] / "solutions" / hw / f"{hw}.ipynb"
    for cell in json.loads(master.read_text())["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and f"def {function}" in source:
            source = _strip_markers(source)
            for old, new in edits:
                assert old in source, old
                source = source.replace(old, new, 1)
            return source
    raise AssertionError(f"no {function} cell in {master}")


def in_two_processes(fn, jobs: list) -> list:
    """``fn`` over ``jobs`` in two forked worker processes (one thread each, as in the sandbox),
    each job returning a list of rows; the rows in job order."""
    with ProcessPoolExecutor(2, mp_context=mp.get_context("fork")) as pool:
        return [row for rows in pool.map(fn, jobs) for row in rows]
