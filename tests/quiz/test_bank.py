"""Every generator: 200 variants, each well-posed and equal to an independent recomputation."""
from __future__ import annotations

import math
import random
import re

import pytest

from autograder.quiz.model import LETTERS, check, draw, generators

from .oracles import ORACLES

N = 200
NUM = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def test_bank_covers_every_unit():
    gens = generators()
    assert len(gens) >= 40
    for unit in ("U1", "U2", "U3", "U4", "U5"):
        assert len(generators(unit)) >= 5, unit
    assert set(ORACLES) == {g.name for g in gens}, "an oracle for every generator"
    types = {draw(g.name, random.Random(0)).qtype for g in gens}
    assert types == {"numeric", "mc", "ma", "tf", "short"}


def close(a: float, b: float, rel=1e-5) -> bool:
    return abs(a - b) <= rel * max(1.0, abs(b))


@pytest.mark.parametrize("name", [g.name for g in generators()])
def test_generator(name):
    oracle = ORACLES[name]
    for i in range(N):
        q = draw(name, random.Random(1000 + i))
        check(q)  # well-posed (draw already redrew until it was)
        want = oracle(q.params)
        if q.qtype == "numeric":
            assert math.isfinite(q.answer) and abs(q.answer) < 1e9
            assert close(q.answer, float(want)), (q.text, q.answer, want)
            assert 0 < q.tolerance
        elif q.qtype == "tf":
            assert q.answer == str(bool(want)), (q.text, q.answer, want)
        elif q.qtype == "short":
            got = [float(x) for x in NUM.findall(q.answer)]
            assert len(got) == len(want) and all(close(a, b) for a, b in zip(got, want)), \
                (q.text, q.answer, want)
        elif q.qtype == "mc":
            assert len(set(q.options)) == len(q.options) >= 3
            assert sum(LETTERS[j] == q.answer for j in range(len(q.options))) == 1
            shown = float(q.options[LETTERS.index(q.answer)])
            assert abs(shown - float(want)) <= 5e-4 + 1e-9 * abs(float(want)), (q.text, shown, want)
            # no distractor is (after rounding) the right value
            others = [float(o) for j, o in enumerate(q.options) if LETTERS[j] != q.answer]
            assert all(abs(o - float(want)) > 5e-4 for o in others), (q.text, q.options, want)
        elif q.qtype == "ma":
            picked = {q.options[LETTERS.index(a)] for a in q.answer}
            assert picked == set(want) & set(q.options), (q.text, q.answer, want)
            assert 0 < len(q.answer) < len(q.options)
