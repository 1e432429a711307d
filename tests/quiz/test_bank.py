"""Every generator: 200 variants, each well-posed, gradable, and equal to an independent
recomputation (tests/quiz/oracles.py: plain math and PyTorch built-ins, never reference/)."""
from __future__ import annotations

import math
import random
import re
from collections import Counter
from pathlib import Path

import pytest

from autograder.quiz.grading import score_answer
from autograder.quiz.model import draw, generators, single_threaded
from autograder.quiz.question import LETTERS, check
from autograder.quiz.registry import REGISTRY
from autograder.quiz.render import answer_text

from .oracles import ORACLES

N = 200
NUM = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
ROWS_PER_UNIT = {1: 5, 2: 4, 3: 13, 4: 8, 5: 11}
ROWS = [f"U{u}.{i}" for u, n in ROWS_PER_UNIT.items() for i in range(1, n + 1)]
SYLLABUS = Path(__file__).resolve().parents[2] / "docs" / "SYLLABUS.md"
BANK = Path(__file__).resolve().parents[2] / "autograder" / "quiz" / "bank"


def test_bank_covers_every_unit_and_row():
    gens = generators()
    assert len(gens) >= 40
    assert SYLLABUS.is_file(), f"the course syllabus is missing: {SYLLABUS}"
    assert re.findall(r"^\| (U\d\.\d+) \|", SYLLABUS.read_text(), re.MULTILINE) == ROWS
    per_unit = Counter(g.unit for g in gens)
    assert set(per_unit) == {"U1", "U2", "U3", "U4", "U5"} and min(per_unit.values()) >= 5, per_unit
    assert {g.row for g in gens} == set(ROWS), sorted(set(ROWS) - {g.row for g in gens})
    assert set(ORACLES) == {g.name for g in gens}, "an oracle for every generator"
    types = {draw(g.name, random.Random(0)).qtype for g in gens}
    assert types == {"numeric", "mc", "ma", "tf", "short"}
    assert all(g.name.startswith(g.unit.lower() + "_") for g in gens)
    # each generator lives in its unit's module of the bank
    assert all(g.fn.__module__ == f"autograder.quiz.bank.{g.unit.lower()}" for g in gens)


def test_answers_come_from_reference():
    """Each unit module of the bank imports the reference modules and nothing that could stand
    in for them."""
    units = sorted(BANK.glob("u*.py"))
    assert [p.stem for p in units] == ["u1", "u2", "u3", "u4", "u5"]
    for p in units:
        src = p.read_text()
        assert "from reference import" in src, p.name
        assert "tests" not in re.findall(r"^from (\S+)", src, re.MULTILINE), p.name


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: the oracles, like draw(), run single-threaded (fast on a busy machine)."""
    with single_threaded():
        yield


def close(a: float, b: float, rel=1e-5) -> bool:
    return abs(a - b) <= rel * max(1.0, abs(b))


def as_number(s: str) -> float | None:
    try:
        return float(s)
    except ValueError:
        return None


@pytest.mark.parametrize("name", [g.name for g in generators()])
def test_generator(name):
    oracle = ORACLES[name]
    versions = set()  # the questions as a student sees them (option order aside)
    for i in range(N):
        q = draw(name, random.Random(1000 + i))
        versions.add((q.text, tuple(sorted(q.options))))
        check(q)  # well-posed (draw already redrew until it was)
        if i == 0:  # a function of the seed alone
            assert draw(name, random.Random(1000)).to_dict() == q.to_dict()
        want = oracle(q.params)
        if q.qtype == "numeric":
            assert math.isfinite(q.answer) and abs(q.answer) < 1e9
            assert close(q.answer, float(want)), (q.text, q.answer, want)
            assert 0 < q.tolerance <= max(0.5, 0.05 * abs(q.answer))
        elif q.qtype == "tf":
            assert q.answer == str(bool(want)), (q.text, q.answer, want)
        elif q.qtype == "short":
            got = [float(x) for x in NUM.findall(q.answer)]
            assert len(got) == len(want) and all(close(a, b) for a, b in zip(got, want)), \
                (q.text, q.answer, want)
        elif q.qtype == "mc":
            assert len(set(q.options)) == len(q.options) >= 3
            assert sum(LETTERS[j] == q.answer for j in range(len(q.options))) == 1
            shown = q.options[LETTERS.index(q.answer)]
            others = [o for j, o in enumerate(q.options) if LETTERS[j] != q.answer]
            if isinstance(want, str):  # a word
                assert shown == want and want not in others, (q.text, q.options, want)
            else:
                value = float(shown)
                assert abs(value - float(want)) <= 5e-4 * max(1.0, abs(float(want))), (q.text, shown, want)
                # no distractor is (after rounding) the right value
                assert all(abs(float(o) - float(want)) > 5e-4 for o in others), (q.text, q.options, want)
        elif q.qtype == "ma":
            picked = {q.options[LETTERS.index(a)] for a in q.answer}
            assert picked == set(want) & set(q.options), (q.text, q.answer, want)
            assert 0 < len(q.answer) < len(q.options)
        # the key, as printed, earns full marks; a different answer does not
        assert score_answer(q, answer_text(q, for_grading=True), 1.0) == 1.0, (q.text, q.answer)
        if q.qtype == "numeric":
            assert score_answer(q, repr(q.answer + 3 * q.tolerance), 1.0) == 0.0

    # at least 10 different questions in 200 draws, or exactly the smaller number declared
    declared = REGISTRY[name].versions
    if declared is None:
        assert len(versions) >= 10, f"{name}: {len(versions)} versions in {N} draws"
    else:
        assert declared < 10 and len(versions) == declared, (name, len(versions), declared)
