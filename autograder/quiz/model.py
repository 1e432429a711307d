"""Questions, the generator registry and the well-posedness checks of the mid-term quiz.

A *generator* is a function ``(rng: random.Random) -> Question``. Every number in a question's
answer and distractors comes from a call into :mod:`reference` (the course's answer key);
generators never type an answer by hand. :func:`draw` calls a generator and redraws its
parameters (a fresh ``rng`` state) until the question passes :func:`check`.
"""
from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

LETTERS = "ABCDEFGH"
TYPES = ("numeric", "mc", "ma", "tf", "short")


class Redraw(Exception):
    """Raised by a generator (or the checks) when the drawn parameters give an ill-posed question."""


@dataclass
class Question:
    text: str
    qtype: str  # numeric | mc | ma | tf | short
    answer: Any  # float (numeric), "B" (mc), ["A", "C"] (ma), "True"/"False" (tf), str (short)
    tolerance: float = 0.0  # absolute, numeric only
    options: list[str] = field(default_factory=list)  # mc / ma
    params: dict = field(default_factory=dict)  # drawn parameters (for independent re-checks)
    gen: str = ""  # generator name, filled in by draw()
    unit: str = ""
    topic: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Generator:
    name: str
    unit: str
    topic: str
    fn: Callable[[random.Random], Question]


REGISTRY: dict[str, Generator] = {}


def generator(unit: str, topic: str):
    """Register ``fn`` as a question generator of ``unit`` (U1..U5)."""
    def deco(fn):
        REGISTRY[fn.__name__] = Generator(fn.__name__, unit, topic, fn)
        return fn
    return deco


def generators(unit: str | None = None) -> list[Generator]:
    from . import bank  # noqa: F401  (registers the generators)
    return [g for g in REGISTRY.values() if unit is None or g.unit == unit]


# ---------------------------------------------------------------- formatting helpers
def fmt(x: float, digits: int = 4) -> str:
    """A number as printed in an option or a key: integers without decimals."""
    x = float(x)
    if x == int(x) and abs(x) < 1e12:
        return str(int(x))
    out = f"{x:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if out == "-0" else out


def tol_for(answer: float, integer: bool = False) -> float:
    """Absolute tolerance: 0.5 for integer answers (so 13 is right, 12 and 14 wrong), otherwise
    1% of the answer, at least 0.002."""
    return 0.5 if integer else max(0.01 * abs(answer), 0.002)


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


def check(q: Question) -> None:
    """Raise :class:`Redraw` unless ``q`` is well-posed."""
    if q.qtype not in TYPES:
        raise Redraw(f"unknown type {q.qtype}")
    if not q.text.strip():
        raise Redraw("empty text")
    if q.qtype == "numeric":
        a = q.answer
        if not isinstance(a, float) or not math.isfinite(a) or abs(a) > MAX_ABS:
            raise Redraw(f"numeric answer {a!r} not finite or out of range")
        if not (math.isfinite(q.tolerance) and 0 < q.tolerance <= max(0.5, 0.05 * abs(a))):
            raise Redraw("bad tolerance")
    if q.qtype in ("mc", "ma", "tf"):
        if len(q.options) < 2 or len(set(q.options)) != len(q.options):
            raise Redraw("duplicate or too few options")
        if any(o.strip() in ("", "nan", "inf", "-inf") or "nan" in o for o in q.options):
            raise Redraw("option not a sane value")
    if q.qtype == "mc":
        _separated(q.options)
        if not (isinstance(q.answer, str) and q.answer in LETTERS[:len(q.options)]):
            raise Redraw("mc needs exactly one correct option")
        if len(q.options) < 3:
            raise Redraw("mc needs at least three options")
    if q.qtype == "ma":
        if not (0 < len(q.answer) < len(q.options)) or len(set(q.answer)) != len(q.answer):
            raise Redraw("ma needs some right and some wrong options")
    if q.qtype == "tf" and q.answer not in ("True", "False"):
        raise Redraw("tf answer")
    if q.qtype == "short" and not (isinstance(q.answer, str) and q.answer):
        raise Redraw("short answer empty")


def draw(name: str, rng: random.Random, max_tries: int = 100) -> Question:
    """A well-posed question from generator ``name``; redraws parameters when a check fails."""
    gen = generators() and REGISTRY[name]
    last = None
    for _ in range(max_tries):
        try:
            q = gen.fn(rng)
            q.gen, q.unit, q.topic = gen.name, gen.unit, gen.topic
            check(q)
            return q
        except (Redraw, AssertionError, ZeroDivisionError, ValueError) as e:
            last = e
    raise RuntimeError(f"generator {name} gave no well-posed question in {max_tries} tries: {last}")
