"""Drawing questions from the bank: the generators in the bank's order, and :func:`draw`.

:func:`draw` calls a generator and, while the question is ill-posed (the generator, a builder or
:func:`~autograder.quiz.question.check` raised :class:`~autograder.quiz.question.Redraw`), calls
it again on the same ``rng``, which has moved on, so the result is still a function of the seed.
Anything else a generator raises is a bug in the generator or in the reference it calls: it
stops the draw at once, as a :class:`GeneratorError` naming the generator and the seed.
"""
from __future__ import annotations

import contextlib
import random

from .question import Question, Redraw, check
from .registry import REGISTRY, Generator

MAX_TRIES = 100


class GeneratorError(RuntimeError):
    """A generator raised something other than :class:`Redraw`, or stayed ill-posed for
    ``max_tries`` draws. The message names the generator, the seed and the draw."""


def generators(unit: str | None = None) -> list[Generator]:
    """Every generator (in definition order), or those of one unit ("U3") or row ("U3.6")."""
    # Imported here, not at the top: the bank imports torch and reference/, which the CLI's
    # start and the grading commands do not need.
    from . import bank  # noqa: F401  (registers the generators)
    if unit is None:
        return list(REGISTRY.values())
    return [g for g in REGISTRY.values() if unit in (g.unit, g.row)]


@contextlib.contextmanager
def single_threaded():
    """Tiny tensors only: intra-op threads buy nothing and, on a busy machine, cost milliseconds
    per op in spin-waits. Restores the caller's setting."""
    import torch  # only when drawing: keeps torch off the import of this module

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


def draw(name: str, seed: int | random.Random, max_tries: int = MAX_TRIES) -> Question:
    """A well-posed question from generator ``name``, a function of ``seed`` alone.

    ``seed`` is an int (the error messages name it) or a ``random.Random`` (used as is; the same
    questions as ``random.Random(seed)``). Redraws only on :class:`Redraw`, at most
    ``max_tries`` times; any other exception is raised at once as :class:`GeneratorError`."""
    generators()  # the bank is registered
    gen = REGISTRY.get(name)
    if gen is None:
        raise KeyError(f"no quiz generator {name!r}")
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)
    where = (f"generator {name}, seed {seed}" if not isinstance(seed, random.Random)
             else f"generator {name} (seed: a caller's random.Random)")
    reasons: dict[str, int] = {}
    with single_threaded():
        for attempt in range(1, max_tries + 1):
            try:
                q = gen.fn(rng)
                q.gen, q.unit, q.topic, q.row = gen.name, gen.unit, gen.topic, gen.row
                check(q)
                return q
            except Redraw as e:
                reasons[str(e)] = reasons.get(str(e), 0) + 1
            except Exception as e:
                raise GeneratorError(f"{where}, draw {attempt}: {type(e).__name__}: {e}") from e
    common = ", ".join(f"{why!r} ×{n}" for why, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:3])
    raise GeneratorError(f"{where}: no well-posed question in {max_tries} draws ({common})")
