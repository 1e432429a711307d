"""Point arithmetic that adds up exactly.

A question's points are spread over its cases as fractions (a third, a seventh, ...), which no
binary float holds exactly. Sums are therefore taken exactly (``math.fsum``: the correctly
rounded sum of the floats, whatever their order) and rounded once, at the end, to
:data:`PLACES` decimals: seven cases of 3/7 add up to 3, and twenty questions to exactly their
total, never 19.000001.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Iterable

PLACES = 6  # a score is shown and stored to a millionth of a point


def total(values: Iterable[float]) -> float:
    """The exact sum of ``values``, rounded once to :data:`PLACES` decimals."""
    return round(math.fsum(values), PLACES) + 0.0  # + 0.0: never -0.0


def spread(points: float, weights: list[Fraction]) -> list[float]:
    """``points`` shared in proportion to ``weights``, each share computed exactly and then
    rounded to the nearest float: the shares :func:`total` to ``points`` (to
    :data:`PLACES` decimals)."""
    whole = sum(weights, Fraction(0))
    assert whole > 0, "cases must carry positive points"
    exact = Fraction(points)
    return [float(exact * w / whole) for w in weights]
