"""The generator registry: ``@generator("U4.2", topic)`` records a question generator.

A *generator* is a function ``(rng: random.Random) -> Question``. The unit modules of
:mod:`autograder.quiz.bank` register theirs here when they are imported; the registry keeps
definition order, which is the bank's order (pools pick from it, so it is part of every seed's
paper). This module imports no generator: :func:`autograder.quiz.model.generators` imports the
bank.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Callable

from .question import Question


@dataclass(frozen=True)
class Generator:
    name: str
    row: str  # the syllabus row it examines, e.g. "U3.6" (SYLLABUS.md)
    topic: str
    fn: Callable[[random.Random], Question]
    versions: int | None = None  # declared: only this many distinct questions exist (< 10)

    @property
    def unit(self) -> str:
        return self.row.split(".")[0]


REGISTRY: dict[str, Generator] = {}
_ROW = re.compile(r"U[1-9]\.\d+")


def generator(row: str, topic: str, versions: int | None = None):
    """Register ``fn`` as a question generator for syllabus row ``row`` (e.g. "U4.2"); its unit
    is the row's prefix (U4). A generator gives at least 10 distinct questions, or declares
    ``versions``, the smaller number it has (a question about a fixed architecture, say), so
    that pools and papers know how little a redraw varies (tests/quiz/test_bank.py checks
    both)."""
    if not _ROW.fullmatch(row):
        raise ValueError(f"a syllabus row like U4.2, not {row!r}")

    def deco(fn):
        if fn.__name__ in REGISTRY:
            raise ValueError(f"generator {fn.__name__} registered twice")
        REGISTRY[fn.__name__] = Generator(fn.__name__, row, topic, fn, versions)
        return fn
    return deco
