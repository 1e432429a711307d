"""The ladder of checks for one case, run in the grader's process.

defined → callable → runs → inputs unchanged → type → shape → dtype → finite → allclose
(→ gradient, for ``Spec.grad_wrt``). The first rungs are reported by the sandbox (it is where
the call happens: it also compares each input with a copy taken before the call, and returns the
gradient a spec asks for); ``pipeline._verdict`` turns them into messages, and the rest compare
the returned value with the reference output here. The first rung that fails gives the message, which names the thing:
"`logistic_loss` returned shape (4,), expected ()". For hidden cases a message may name types,
shapes and dtypes (properties of the function's contract) but never an input or expected value.

A hidden case's message names the rung that failed (type, length, keys, shape, dtype, finite,
tolerance) and what the contract expects of it, never what the student's code returned: a
returned shape, dtype, length, key or value is chosen by code that has seen the hidden input, so
echoing it would hand that input back (``torch.empty((0, a, b))`` with ``a``, ``b`` computed
from it). See docs/ISOLATION.md.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from ..fixtures import FixtureCase


@dataclass
class Verdict:
    passed: bool
    message: str


PASS = Verdict(True, "")


def _kind(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return "a tensor"
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, (int, float)):
        return "a number"
    return f"a {type(value).__name__}"


def _shape(t: torch.Tensor) -> str:
    return "(" + ", ".join(str(s) for s in t.shape) + ("," if t.dim() == 1 else "") + ")"


def _category(dtype: torch.dtype) -> str:
    if dtype == torch.bool:
        return "bool"
    if dtype.is_floating_point:
        return "floating-point"
    if dtype.is_complex:
        return "complex"
    return "integer"


def _as_tensor(value: Any, like: torch.Tensor) -> torch.Tensor | None:
    """A number where a 0-d tensor is expected is accepted (students often return .item())."""
    if isinstance(value, torch.Tensor):
        return value
    if like.dim() == 0 and isinstance(value, (int, float)) and not isinstance(value, bool):
        return torch.tensor(value, dtype=like.dtype if like.is_floating_point() else None)
    return None


def compare(got: Any, expected: Any, what: str, case: FixtureCase) -> Verdict:
    """Compare a returned value with the reference output, rung by rung. ``what`` names it
    (e.g. "`attention` output[1]")."""
    if isinstance(expected, torch.Tensor):
        return _compare_tensor(got, expected, what, case)
    if isinstance(expected, bool):
        if not isinstance(got, (bool, torch.Tensor)) or (
                isinstance(got, torch.Tensor) and got.numel() != 1):
            return _wrong_type(what, case, got, "a bool")
        ok = bool(got) == expected
        return PASS if ok else Verdict(False, _mismatch(what, case, got, expected))
    if isinstance(expected, (int, float)):
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.item()
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            return _wrong_type(what, case, got, "a number")
        if isinstance(expected, int):
            ok = float(got).is_integer() and int(got) == expected
        else:
            if not math.isfinite(got):
                if case.hidden:
                    return Verdict(False, f"{what} is not finite, expected a finite number")
                return Verdict(False, f"{what} returned {got}, expected a finite number")
            ok = math.isclose(got, expected, rel_tol=case.rtol, abs_tol=case.atol)
        return PASS if ok else Verdict(False, _mismatch(what, case, got, expected))
    if isinstance(expected, str) or expected is None:
        ok = type(got) is type(expected) and got == expected
        return PASS if ok else Verdict(False, _mismatch(what, case, got, expected))
    if isinstance(expected, (list, tuple)):
        if not isinstance(got, (list, tuple)):
            return _wrong_type(what, case, got,
                               f"a {type(expected).__name__} of {len(expected)}")
        if len(got) != len(expected):
            if case.hidden:
                return Verdict(False, f"{what} has the wrong length, expected "
                                      f"{len(expected)}")
            return Verdict(False, f"{what} returned a {type(got).__name__} of {len(got)}, "
                                  f"expected {len(expected)}")
        for i, (g, e) in enumerate(zip(got, expected)):
            verdict = compare(g, e, f"{what}[{i}]", case)
            if not verdict.passed:
                return verdict
        return PASS
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return _wrong_type(what, case, got, "a dict")
        if set(got) != set(expected):
            if case.hidden:
                return Verdict(False, f"{what} does not have the expected keys "
                                      f"{sorted(expected)}")
            missing = sorted(set(expected) - set(got))
            extra = sorted(set(got) - set(expected))
            return Verdict(False, f"{what} has keys missing {missing} / unexpected {extra}")
        for key in expected:
            verdict = compare(got[key], expected[key], f"{what}[{key!r}]", case)
            if not verdict.passed:
                return verdict
        return PASS
    raise TypeError(f"cannot compare with a reference value of type {type(expected).__name__}")


def _compare_tensor(got: Any, expected: torch.Tensor, what: str, case: FixtureCase) -> Verdict:
    tensor = _as_tensor(got, expected)
    if tensor is None:
        return _wrong_type(what, case, got, "a tensor")
    got = tensor
    if got.shape != expected.shape:
        if case.hidden:
            return Verdict(False, f"{what} has the wrong shape")
        return Verdict(False, f"{what} returned shape {_shape(got)}, expected {_shape(expected)}")
    if case.exact_dtype and got.dtype != expected.dtype:
        if case.hidden:
            return Verdict(False, f"{what} has the wrong dtype, expected {expected.dtype}")
        return Verdict(False, f"{what} returned dtype {got.dtype}, expected {expected.dtype}")
    if _category(got.dtype) != _category(expected.dtype):
        if case.hidden:
            return Verdict(False, f"{what} has the wrong dtype, expected a "
                                  f"{_category(expected.dtype)} tensor")
        return Verdict(False, f"{what} returned dtype {got.dtype}, expected a "
                              f"{_category(expected.dtype)} tensor")
    if expected.is_floating_point():
        g, e = got.double(), expected.double()
        # equal values are close (one cheap op instead of a handful, for every case of every
        # submission); close everywhere implies finite wherever the reference is finite
        if torch.equal(g, e):
            return PASS
        close = torch.isclose(g, e, rtol=case.rtol, atol=case.atol, equal_nan=True)
        if bool(close.all()):
            return PASS
        if (~torch.isfinite(g) & torch.isfinite(e)).any():
            return Verdict(False, f"{what} contains NaN or inf where the reference is finite")
    else:
        close = got == expected
        if bool(close.all()):
            return PASS
    if case.hidden:
        return Verdict(False, f"{what} values do not match the reference within tolerance "
                              f"(rtol={case.rtol:g}, atol={case.atol:g})")
    wrong = int((~close).sum())
    index = tuple(int(i) for i in (~close).nonzero()[0])
    detail = (f"{wrong} of {close.numel()} elements differ; first at index {index}: got "
              f"{got[index].item():.6g}, expected {expected[index].item():.6g}")
    return Verdict(False, f"{what} values do not match the reference: {detail}")


def _wrong_type(what: str, case: FixtureCase, got: Any, expected: str) -> Verdict:
    if case.hidden:
        return Verdict(False, f"{what} has the wrong type, expected {expected}")
    return Verdict(False, f"{what} returned {_kind(got)}, expected {expected}")


def _mismatch(what: str, case: FixtureCase, got: Any, expected: Any) -> str:
    if case.hidden:
        return f"{what} does not match the reference value"
    return f"{what} returned {got!r}, expected {expected!r}"
