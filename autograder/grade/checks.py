"""The ladder of checks for one case, run in the grader's process: :func:`verdict`.

reported → defined → callable → finished → ran → encodable → inputs unchanged → reproducible
(``Spec.repeat``) → type → shape → dtype → finite → allclose (→ gradient, for ``Spec.grad_wrt``;
or, for an outcome spec, its judge). The rungs up to "inputs unchanged" read the sandbox's typed
report (:class:`~autograder.sandbox.reports.CaseReport`: the call happens there; the sandbox also
compares each input with a copy taken before the call, calls a random procedure's first case
twice, and returns the gradient a spec asks for); the rest compare the returned value with the
reference output here. The first rung that fails gives the message, which names the thing:
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
from ..sandbox.reports import CaseReport, Status
from ..specs import Case, get_spec
from .cells import name_cells


@dataclass
class Verdict:
    passed: bool
    message: str


PASS = Verdict(True, "")


def verdict(case: FixtureCase, report: CaseReport | None, reason: str,
            cells: list[str] | tuple[str, ...] = ()) -> Verdict:
    """The whole ladder for one case. ``reason``: why a case has no report (the run ended
    first); ``cells``: the notebook's code cells, to name a place as the student finds it."""
    fn = f"`{case.spec}`"
    if report is None:
        return Verdict(False, reason)
    status = report.status
    if report.second_call:  # the repeat of a case that is called twice (Spec.repeat)
        fn = f"`{case.spec}` (called a second time with the same inputs)"
    if status is Status.UNDEFINED:
        return Verdict(False, f"{fn} is not defined (check the name, and that its cell runs)")
    if status is Status.NOT_CALLABLE:
        return Verdict(False, f"{fn} is a {report.type_name or '?'}, not a function or class")
    if status is Status.TIMEOUT:
        if report.skipped:
            return Verdict(False, f"{fn} not called again: an earlier case hit the time limit")
        if report.limit == "wall":
            return Verdict(False, f"{fn} was stopped by the wall-clock backstop of its time "
                                  f"limit (it sleeps or waits)")
        return Verdict(False, f"{fn} did not finish within its CPU time limit")
    if status is Status.ERROR:
        if case.hidden:  # its type, message and line could each encode the hidden input
            return Verdict(False, f"{fn} raised an exception")
        where = f" ({name_cells(report.where, cells)})" if report.where else ""
        return Verdict(False, f"{fn} raised {report.error_type}: {report.error_message}{where}")
    if status is Status.UNENCODABLE:
        if case.hidden:
            return Verdict(False, f"{fn} returned a value that cannot be graded")
        return Verdict(False, f"{fn} returned a value that cannot be graded: "
                              f"{report.error_message}")
    value = report.value
    if report.changed_inputs and not get_spec(case.spec).in_place:
        # positions of the arguments only: they are the function's signature, never a value
        where = ", ".join(str(c) for c in list(report.changed_inputs)[:4])
        return Verdict(False, f"{fn} changed its input {where} in place; work on a copy "
                              f"(e.g. `.clone()`) and leave the caller's tensors as they were")
    if case.repeat:
        if not isinstance(value, dict) or set(value) != {"value", "again"}:
            return Verdict(False, f"{fn}: malformed report from the submission")
        if not agree(value["value"], value["again"]):
            return Verdict(False, f"{fn} is not reproducible: called twice with the same "
                                  f"inputs, it returned different results. Take every random "
                                  f"number from its arguments (the given noise, or a generator "
                                  f"seeded from the given seed), never from the global random "
                                  f"state")
        value = value["value"]
    if case.grad_wrt:
        return _compare_with_gradient(value, case, fn)
    if case.call == "outcome":
        spec = get_spec(case.spec)
        assert spec.judge is not None
        ok, message = spec.judge(value, Case(name=case.name, secret=case.secret))
        return Verdict(bool(ok), f"{fn}: {message}" if message else "")
    return compare(value, case.expected, fn, case)


REPEAT_RTOL = 1e-3  # a repeat's tensors agree within this fraction of their norm


def agree(a: Any, b: Any) -> bool:
    """Whether a call and its repeat returned the same result: the same structure, equal
    non-float values, and float tensors within ``REPEAT_RTOL`` of their norm (the CPU repeats a
    computation bit for bit; a GPU may reorder a reduction between two runs of one training)."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)) or \
                a.shape != b.shape or a.dtype != b.dtype:
            return False
        if torch.equal(a, b):
            return True
        if not a.is_floating_point():
            return False
        a, b = a.double(), b.double()
        finite = torch.isfinite(a)
        if not torch.equal(finite, torch.isfinite(b)):
            return False
        odd_a, odd_b = a[~finite], b[~finite]  # NaN where NaN, the same infinities
        if not torch.equal(odd_a.isnan(), odd_b.isnan()) or \
                not torch.equal(odd_a.nan_to_num(0.0), odd_b.nan_to_num(0.0)):
            return False
        a, b = a[finite], b[finite]
        return bool((a - b).norm() <= REPEAT_RTOL * a.norm())
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(agree, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(agree(a[k], b[k])
                                                                   for k in a)
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def _compare_with_gradient(wrapped: Any, case: FixtureCase, fn: str) -> Verdict:
    """The value, then its gradient in the arguments the lecture trains through (the sandbox
    wraps both: ``{"value", "grads"}``)."""
    if not isinstance(wrapped, dict) or set(wrapped) != {"value", "grads"}:
        return Verdict(False, f"{fn}: malformed report from the submission")
    verdict = compare(wrapped["value"], case.expected, fn, case)
    if not verdict.passed:
        return verdict
    if wrapped["grads"] is None:
        names = ", ".join(f"`{n}`" for n in get_spec(case.spec).grad_names())
        return Verdict(False, f"{fn} returns the right value, but training cannot "
                              f"backpropagate through it to {names}: keep the computation in "
                              f"torch (no `.item()`, `.detach()`, `.data`, `.numpy()` or "
                              f"`torch.no_grad()`; a gradient inside it needs "
                              f"`create_graph=True`)")
    return compare(list(wrapped["grads"]), list(case.expected_grads), f"{fn}'s gradient", case)


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
