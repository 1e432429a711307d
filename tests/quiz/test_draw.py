"""draw(): it redraws an ill-posed variant (Redraw) and nothing else; a generator's bug stops it
at once, naming the generator and the seed; the redraws are bounded."""
from __future__ import annotations

import random

import pytest

from autograder.quiz.model import MAX_TRIES, GeneratorError, draw, generators
from autograder.quiz.question import Redraw, mc, numeric
from autograder.quiz.registry import REGISTRY, Generator
from reference import param_counts


@pytest.fixture
def register(monkeypatch):
    """Registers a throw-away generator for one test (the bank's registry is restored after);
    returns the list its calls are counted in."""
    generators()  # the bank is registered first, so the test's generator comes last

    def add(name, fn):
        calls = []

        def counted(rng):
            calls.append(1)
            return fn(rng)
        monkeypatch.setitem(REGISTRY, name, Generator(name, "U4.2", "test", counted))
        return calls
    return add


def test_a_reference_that_raises_fails_on_the_first_draw(register):
    """The reference asserts (a kernel that does not fit): that is a bug in the generator, not
    an ill-posed variant, and it surfaces at once, with the generator, the seed and the cause."""
    calls = register("u4_kernel_never_fits", lambda rng: numeric(
        "output side?", param_counts.conv_output_size(7, 11, rng.choice([1, 2]), 0), integer=True))
    with pytest.raises(GeneratorError) as e:
        draw("u4_kernel_never_fits", 1234)
    assert len(calls) == 1
    assert isinstance(e.value.__cause__, AssertionError)
    msg = str(e.value)
    assert "u4_kernel_never_fits" in msg and "seed 1234" in msg and "draw 1" in msg
    assert "AssertionError" in msg and "the kernel does not fit" in msg


@pytest.mark.parametrize("exc", [ZeroDivisionError, ValueError, KeyError, TypeError])
def test_any_other_exception_is_a_bug(register, exc):
    def broken(rng):
        rng.random()
        raise exc("reference bug")
    calls = register("u4_broken", broken)
    with pytest.raises(GeneratorError, match=r"u4_broken, seed 5, draw 1: " + exc.__name__):
        draw("u4_broken", 5)
    assert len(calls) == 1


def test_an_ill_posed_variant_is_redrawn_on_the_same_rng(register):
    """A Redraw from the generator or from the checks (here: two equal options) draws again
    from the rng as it stands, so the question is still a function of the seed."""
    def gen(rng):
        x = rng.randint(0, 9)
        if x < 4:
            raise Redraw("x too small")
        return mc(rng, f"x = {x}?", str(x), [str(x), str(x + 1)] if x == 5 else [str(x + 1), str(x + 2)])
    calls = register("u4_redraws", gen)
    seed = next(s for s in range(100) if random.Random(s).randint(0, 9) < 4)
    q = draw("u4_redraws", seed)
    assert len(calls) >= 2  # the first draw was ill-posed

    rng, want = random.Random(seed), None  # the same loop, by hand
    while want is None:
        x = rng.randint(0, 9)
        if x >= 4 and x != 5:  # 5 gives two equal options
            want = x
    assert q.text == f"x = {want}?" and q.options[ord(q.answer) - ord("A")] == str(want)
    assert draw("u4_redraws", seed).to_dict() == q.to_dict()
    assert draw("u4_redraws", random.Random(seed)).to_dict() == q.to_dict()


def test_redraws_are_bounded(register):
    def tied(rng):
        rng.random()
        raise Redraw("a tie")
    calls = register("u4_always_tied", tied)
    with pytest.raises(GeneratorError) as e:
        draw("u4_always_tied", 99)
    assert len(calls) == MAX_TRIES
    msg = str(e.value)
    assert "u4_always_tied" in msg and "seed 99" in msg and f"{MAX_TRIES} draws" in msg
    assert "a tie" in msg
    calls.clear()
    with pytest.raises(GeneratorError, match="no well-posed question in 3 draws"):
        draw("u4_always_tied", 99, max_tries=3)
    assert len(calls) == 3


def test_an_int_seed_draws_what_its_random_draws():
    """Callers pass the seed itself (so that errors can name it); the questions are those of
    random.Random(seed)."""
    for g in generators()[::10]:
        assert draw(g.name, 77).to_dict() == draw(g.name, random.Random(77)).to_dict()


def test_an_unknown_generator_is_named():
    with pytest.raises(KeyError, match="u9_nothing"):
        draw("u9_nothing", 0)
