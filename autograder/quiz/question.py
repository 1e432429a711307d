"""A quiz question, the builders generators use to make one, and the well-posedness checks.

A question is *ill-posed* when its drawn parameters make it unfair or unanswerable: options that
coincide or sit closer than rounding, a number out of range, a tie for the answer. The builders
and :func:`check` say so by raising :class:`Redraw`, and so does a generator that sees it first;
:func:`autograder.quiz.model.draw` answers :class:`Redraw` (and nothing else) with a redraw.
"""
from __future__ import annotations

import math
import random
import re
from dataclasses import asdict, dataclass, field
from typing import Any

LETTERS = "ABCDEFGH"
TYPES = ("numeric", "mc", "ma", "tf", "short")


class Redraw(Exception):
    """The drawn parameters give an ill-posed question: draw again. Raised by a generator, a
    builder or :func:`check`, never by a bug (any other exception is one)."""


@dataclass
class Question:
    text: str
    qtype: str  # numeric | mc | ma | tf | short
    answer: Any  # float (numeric), "B" (mc), ["A", "C"] (ma), "True"/"False" (tf), str (short)
    tolerance: float = 0.0  # absolute, numeric only
    options: list[str] = field(default_factory=list)  # mc / ma
    params: dict = field(default_factory=dict)  # drawn parameters (for independent re-checks)
    gen: str = ""  # generator name, filled in by draw()
    unit: str = ""  # syllabus unit, U1..U5
    topic: str = ""
    row: str = ""  # syllabus row, e.g. U3.6

    def to_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------- builders and formatting
def fmt(x: float, digits: int = 4) -> str:
    """A number as printed in an option or a key: integers without decimals."""
    x = float(x)
    if x == int(x) and abs(x) < 1e12:
        return str(int(x))
    out = f"{x:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if out == "-0" else out


def tol_for(answer: float, integer: bool = False) -> float:
    """Absolute tolerance: 0.5 for integer answers (so 13 is right, 12 and 14 wrong), otherwise
    1% of the answer (PrairieLearn's default rtol), at least 1e-6 (answers are shown to six
    significant digits and are computed from exact inputs, so 1% holds for small answers too)."""
    return 0.5 if integer else max(0.01 * abs(answer), 1e-6)


def numeric(text: str, value: float, *, integer: bool = False, tol: float | None = None,
            **params) -> Question:
    value = float(value)
    return Question(text, "numeric", value, tol if tol is not None else tol_for(value, integer),
                    params=params)


def mc(rng: random.Random, text: str, correct: str, distractors: list[str], **params) -> Question:
    """Multiple choice: the correct option and distractors (each a typical mistake), shuffled."""
    opts = [correct] + list(distractors)
    if len(set(opts)) != len(opts):
        raise Redraw("duplicate options")
    _separated(opts)
    rng.shuffle(opts)
    return Question(text, "mc", LETTERS[opts.index(correct)], options=opts, params=params)


def _separated(opts: list[str]) -> None:
    """Numeric options that are not all integers must differ by at least 1% (and 0.002), so a
    student's correctly rounded answer is never closer to a distractor."""
    try:
        vals = [float(o) for o in opts]
    except ValueError:
        return
    if all(v == int(v) for v in vals):
        return
    for i, a in enumerate(vals):
        for b in vals[i + 1:]:
            if abs(a - b) <= max(2e-3, 0.01 * max(abs(a), abs(b))):
                raise Redraw("options too close")


def ma(rng: random.Random, text: str, options: list[tuple[str, bool]], **params) -> Question:
    """Multiple answer: (option, is_correct) pairs, shuffled; at least one right and one wrong."""
    opts = list(options)
    rng.shuffle(opts)
    answer = [LETTERS[i] for i, (_, ok) in enumerate(opts) if ok]
    if not answer or len(answer) == len(opts):
        raise Redraw("multiple answer needs a right and a wrong option")
    return Question(text, "ma", answer, options=[o for o, _ in opts], params=params)


def tf(text: str, value: bool, **params) -> Question:
    return Question(text, "tf", "True" if value else "False", options=["True", "False"],
                    params=params)


def short(text: str, answer: str, **params) -> Question:
    return Question(text, "short", answer, params=params)


def shape_str(shape) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


# ---------------------------------------------------------------- checks
MAX_ABS = 1e9


_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_NOT_A_NUMBER = re.compile(r"\b(?:nan|inf|infinity)\b", re.IGNORECASE)


def _sane_numbers(s: str, what: str) -> None:
    if _NOT_A_NUMBER.search(s):
        raise Redraw(f"{what} shows nan/inf: {s!r}")
    if any(abs(float(x)) > MAX_ABS for x in _NUMBER.findall(s)):
        raise Redraw(f"{what} has a number out of range: {s!r}")


def check(q: Question) -> None:
    """Raise :class:`Redraw` unless ``q`` is well-posed: a known type, sane numbers everywhere
    (finite, |x| <= 1e9), a positive tolerance that cannot swallow a different answer, options
    that are distinct (and, when numeric, at least 1% apart), exactly one correct MC option, MA
    with at least one right and one wrong option."""
    if q.qtype not in TYPES:
        raise Redraw(f"unknown type {q.qtype}")
    if not q.text.strip():
        raise Redraw("empty text")
    _sane_numbers(q.text, "text")
    if q.qtype == "numeric":
        a = q.answer
        if not isinstance(a, float) or not math.isfinite(a) or abs(a) > MAX_ABS:
            raise Redraw(f"numeric answer {a!r} not finite or out of range")
        if not (math.isfinite(q.tolerance) and 0 < q.tolerance <= max(0.5, 0.05 * abs(a))):
            raise Redraw("bad tolerance")
        if a != 0 and q.tolerance >= abs(a):
            raise Redraw(f"tolerance {q.tolerance:g} would accept 0 for {a:g}")
    if q.qtype in ("mc", "ma", "tf"):
        if len(q.options) < 2 or len(set(q.options)) != len(q.options):
            raise Redraw("duplicate or too few options")
        for o in q.options:
            if not o.strip():
                raise Redraw("empty option")
            _sane_numbers(o, "option")
    if q.qtype == "mc":
        _separated(q.options)
        if not (isinstance(q.answer, str) and q.answer in LETTERS[:len(q.options)]):
            raise Redraw("mc needs exactly one correct option")
        if len(q.options) < 3:
            raise Redraw("mc needs at least three options")
    if q.qtype == "ma":
        if not (0 < len(q.answer) < len(q.options)) or len(set(q.answer)) != len(q.answer):
            raise Redraw("ma needs some right and some wrong options")
        if not set(q.answer) <= set(LETTERS[:len(q.options)]):
            raise Redraw("ma answer letter without an option")
    if q.qtype == "tf" and q.answer not in ("True", "False"):
        raise Redraw("tf answer")
    if q.qtype == "short":
        if not (isinstance(q.answer, str) and q.answer.strip()):
            raise Redraw("short answer empty")
        _sane_numbers(q.answer, "answer")
