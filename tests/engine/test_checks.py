"""The ladder of checks: each rung fails with a message that names the thing."""
import math

import pytest
import torch

from autograder.fixtures import FixtureCase
from autograder.grade.checks import compare


def case(hidden=False, exact_dtype=False, rtol=1e-5, atol=1e-6):
    return FixtureCase(question="q1", spec="f", name="f/a", call="function", hidden=hidden,
                       points=1.0, rtol=rtol, atol=atol, exact_dtype=exact_dtype, inputs={})


@pytest.mark.parametrize("got, expected, message", [
    (None, torch.zeros(()), "`f` returned None, expected a tensor"),
    ([1.0], torch.zeros(1), "`f` returned a list, expected a tensor"),
    (torch.zeros(4), torch.zeros(()), "`f` returned shape (4,), expected ()"),
    (torch.zeros(2, 3), torch.zeros(3, 2), "`f` returned shape (2, 3), expected (3, 2)"),
    (torch.zeros(3, dtype=torch.long), torch.zeros(3), "`f` returned dtype torch.int64, expected a floating-point tensor"),
    (torch.tensor([float("nan")]), torch.zeros(1), "`f` contains NaN or inf where the reference is finite"),
    ((torch.zeros(1),), (torch.zeros(1), torch.zeros(1)), "`f` returned a tuple of 1, expected 2"),
    ((torch.zeros(1), torch.zeros(2)), (torch.zeros(1), torch.zeros(3)), "`f`[1] returned shape (2,), expected (3,)"),
    (3.5, 4, "`f` returned 3.5, expected 4"),
    ("a", torch.zeros(()), "`f` returned a str, expected a tensor"),
    ({"a": 1}, {"a": 1, "b": 2}, "`f` has keys missing ['b'] / unexpected []"),
])
def test_each_rung_names_the_problem(got, expected, message):
    verdict = compare(got, expected, "`f`", case())
    assert not verdict.passed and verdict.message == message


def test_allclose_rung_is_specific_for_public_and_silent_for_hidden():
    expected = torch.tensor([1.0, 2.0, 3.0])
    got = torch.tensor([1.0, 2.5, 3.0])
    public = compare(got, expected, "`f`", case()).message
    assert "1 of 3 elements differ; first at index (1,): got 2.5, expected 2" in public
    hidden = compare(got, expected, "`f`", case(hidden=True)).message
    assert "2.5" not in hidden and "2" not in hidden.replace("rtol=1e-05", "").replace("atol=1e-06", "")


def test_tolerances_and_accepted_variants():
    c = case(rtol=1e-4, atol=1e-5)
    assert compare(torch.tensor(1.00005), torch.tensor(1.0), "`f`", c).passed
    assert not compare(torch.tensor(1.001), torch.tensor(1.0), "`f`", c).passed
    assert compare(0.5, torch.tensor(0.5), "`f`", c).passed  # a number for a 0-d tensor
    assert compare(torch.tensor([1.0], dtype=torch.float64), torch.tensor([1.0]), "`f`", c).passed
    assert not compare(torch.tensor([1.0], dtype=torch.float64), torch.tensor([1.0]), "`f`",
                       case(exact_dtype=True)).passed
    assert compare([torch.ones(1)], (torch.ones(1),), "`f`", c).passed  # list for tuple
    assert compare(torch.tensor(7), 7, "`f`", c).passed
    assert compare(float("nan"), math.nan, "`f`", c).passed is False  # NaN is never a number answer
    assert compare(torch.tensor([float("nan")]), torch.tensor([float("nan")]), "`f`", c).passed


def test_allclose_rung_agrees_with_torch_isclose_on_special_values():
    """The comparison takes shortcuts (equal values, then isclose, then the finite rung for the
    message): its verdict must still be torch.isclose's, NaN and infinities included."""
    c = case(rtol=1e-4, atol=1e-5)
    values = [0.0, -0.0, 1.0, 1.00001, 1.1, float("inf"), float("-inf"), float("nan")]
    for g in values:
        for e in values:
            got, expected = torch.tensor([g, 2.0]), torch.tensor([e, 2.0])
            oracle = bool(torch.isclose(got.double(), expected.double(), rtol=c.rtol,
                                        atol=c.atol, equal_nan=True).all())
            verdict = compare(got, expected, "`f`", c)
            assert verdict.passed == oracle, (g, e, verdict.message)
            if not oracle and not math.isfinite(g) and math.isfinite(e):
                assert "NaN or inf" in verdict.message


@pytest.mark.parametrize("got, expected, rung", [
    (None, torch.zeros(()), "has the wrong type, expected a tensor"),
    ("a" * 9, torch.zeros(()), "has the wrong type, expected a tensor"),
    (torch.empty_strided((0, 10, 6780, 6923, 2003), (0,) * 5), torch.zeros(3), "has the wrong shape"),
    (torch.zeros(3, dtype=torch.complex64), torch.zeros(3), "has the wrong dtype, expected a floating-point tensor"),
    (torch.zeros(3, dtype=torch.int16), torch.zeros(3), "has the wrong dtype, expected a floating-point tensor"),
    (torch.tensor([float("nan")]), torch.zeros(1), "contains NaN or inf where the reference is finite"),
    (tuple(torch.zeros(1) for _ in range(7919)), (torch.zeros(1), torch.zeros(1)), "has the wrong length, expected 2"),
    ({"a": 1, "k6780": 2}, {"a": 1, "b": 2}, "does not have the expected keys ['a', 'b']"),
    (float("inf"), 4.5, "is not finite, expected a finite number"),
    (6780.5, 4.5, "does not match the reference value"),
])
def test_hidden_cases_name_the_rung_never_what_was_returned(got, expected, rung):
    """A returned shape, dtype, length, key or value is chosen by code that has seen the hidden
    input: echoing it would hand the input back (a shape of (0, 10, 6780, 6923, 2003) decodes to
    the float bits of one hidden number)."""
    verdict = compare(got, expected, "`f`", case(hidden=True))
    assert not verdict.passed and verdict.message == f"`f` {rung}"
    for told in ("6780", "7919", "complex", "int16", "returned", "str", "None", "k6780", "(0,"):
        assert told not in verdict.message
