"""Questions, the generator registry and the well-posedness checks of the mid-term quiz.

A *generator* is a function ``(rng: random.Random) -> Question``. Every number in a question's
answer and distractors comes from a call into :mod:`reference` (the course's answer key);
generators never type an answer by hand. :func:`draw` calls a generator and redraws its
parameters (a fresh ``rng`` state) until the question passes :func:`check`.
"""
from __future__ import annotations

import contextlib
import math
import random
import re
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
    unit: str = ""  # syllabus unit, U1..U5
    topic: str = ""
    row: str = ""  # syllabus row, e.g. U3.6

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Generator:
    name: str
    row: str  # the syllabus row it examines, e.g. "U3.6" (SYLLABUS.md)
    topic: str
    fn: Callable[[random.Random], Question]

    @property
    def unit(self) -> str:
        return self.row.split(".")[0]


REGISTRY: dict[str, Generator] = {}
_ROW = re.compile(r"U[1-9]\.\d+")


def generator(row: str, topic: str):
    """Register ``fn`` as a question generator for syllabus row ``row`` (e.g. "U4.2"); its unit
    is the row's prefix (U4)."""
    assert _ROW.fullmatch(row), f"a syllabus row like U4.2, not {row!r}"

    def deco(fn):
        assert fn.__name__ not in REGISTRY, f"generator {fn.__name__} registered twice"
        REGISTRY[fn.__name__] = Generator(fn.__name__, row, topic, fn)
        return fn
    return deco


def generators(unit: str | None = None) -> list[Generator]:
    """Every generator (in definition order), or those of one unit ("U3") or row ("U3.6")."""
    from . import bank  # noqa: F401  (registers the generators)
    if unit is None:
        return list(REGISTRY.values())
    return [g for g in REGISTRY.values() if unit in (g.unit, g.row)]


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


@contextlib.contextmanager
def single_threaded():
    """Tiny tensors only: intra-op threads buy nothing and, on a busy machine, cost milliseconds
    per op in spin-waits. Restores the caller's setting."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


def draw(name: str, rng: random.Random, max_tries: int = 100) -> Question:
    """A well-posed question from generator ``name``; redraws parameters (the same ``rng``
    moves on, so the result is still a function of the seed) until :func:`check` passes."""
    generators()  # the bank is registered
    gen = REGISTRY[name]
    last = None
    with single_threaded():
        for _ in range(max_tries):
            try:
                q = gen.fn(rng)
                q.gen, q.unit, q.topic, q.row = gen.name, gen.unit, gen.topic, gen.row
                check(q)
                return q
            except (Redraw, AssertionError, ZeroDivisionError, ValueError) as e:
                last = e
    raise RuntimeError(f"generator {name} gave no well-posed question in {max_tries} tries: {last}")
