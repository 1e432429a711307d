"""Tolerances measured against each case's magnitude: no float case accepts errors above 1% of
its typical value (where a case's atol dwarfed its values, mistakes that zeroed or mis-scaled
the small entries passed), and the mistakes that slipped through such cases now fail."""
from __future__ import annotations

import math

import pytest
import torch

from autograder.specs import all_specs, get_spec
from reference import diffusion

SEEDS = (4, 20260226, 7)


def _float_tensors(value):
    if isinstance(value, torch.Tensor):
        if value.is_floating_point():
            yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _float_tensors(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _float_tensors(v)


def _typical(t: torch.Tensor) -> float | None:
    """The median magnitude of the non-zero finite entries (None when there are none)."""
    a = t.detach().abs().flatten().double()
    a = a[(a > 0) & torch.isfinite(a)]
    return float(a.median()) if a.numel() else None


@pytest.mark.parametrize("seed", SEEDS)
def test_no_float_case_tolerates_more_than_one_percent_of_its_typical_value(seed):
    too_loose, checked = [], 0
    for spec in all_specs().values():
        if spec.call == "outcome":
            continue
        for case in spec.cases(seed):
            tol = case.tolerance or spec.tolerance
            for i, t in enumerate(_float_tensors(spec.expected(case))):
                typical = _typical(t)
                if typical is None:
                    continue
                checked += 1
                rtol, atol = tol.for_dtype(t.dtype)
                if atol + rtol * typical > 0.01 * typical:
                    too_loose.append(f"{spec.name}/{case.name}[{i}]: typical {typical:.3g}, "
                                     f"rtol {rtol:g}, atol {atol:g}")
    assert checked > 300
    assert not too_loose, "\n".join(too_loose)


def _passes(spec_name: str, fn, case_name: str) -> bool:
    spec = get_spec(spec_name)
    case = next(c for c in spec.cases(SEEDS[1]) if c.name == case_name)
    tol = case.tolerance or spec.tolerance
    expected, got = spec.expected(case), fn(*case.args, **case.kwargs)
    pairs = zip(expected, got) if isinstance(expected, tuple) else [(expected, got)]
    return all(torch.allclose(g.to(e.dtype), e, rtol=tol.rtol, atol=tol.atol) for e, g in pairs)


def test_cosine_schedule_without_the_offset_fails_at_t_1000_and_float32_passes():
    def no_offset(T, s=0.008, max_beta=0.999):
        return diffusion.cosine_beta_schedule(T, s=0.0, max_beta=max_beta)

    def in_float32(T, s=0.008, max_beta=0.999):
        u = torch.arange(T + 1, dtype=torch.float32) / T
        f = torch.cos((u + s) / (1 + s) * math.pi / 2) ** 2
        return (1 - f[1:] / f[:-1]).clamp(max=max_beta)

    assert not _passes("cosine_beta_schedule", no_offset, "T1000")
    assert _passes("cosine_beta_schedule", in_float32, "T1000")


def test_zeroed_saturated_square_error_gradients_fail_and_other_forms_pass():
    def zeroed(z, y):
        p = torch.sigmoid(z)
        g = 2 * (p - y) * p * (1 - p)
        return p - y, torch.where(z.abs() >= 20, torch.zeros_like(g), g)

    def symmetric_form(z, y):
        p = torch.sigmoid(z)
        return p - y, 2 * (p - y) * torch.sigmoid(z) * torch.sigmoid(-z)

    assert not _passes("ce_and_se_grads", zeroed, "saturated_wrong")
    assert _passes("ce_and_se_grads", symmetric_form, "saturated_wrong")


def test_tiny_span_probabilities_are_graded_relative_to_themselves():
    def floored(hidden, start, end):  # probabilities below 1e-7 rounded away
        ps, pe = torch.softmax(hidden @ start, -1), torch.softmax(hidden @ end, -1)
        return ps.where(ps > 1e-7, 0.0), pe.where(pe > 1e-7, 0.0)

    def via_log_softmax(hidden, start, end):
        return (hidden @ start).log_softmax(-1).exp(), (hidden @ end).log_softmax(-1).exp()

    assert not _passes("qa_span_probs", floored, "peaked")
    assert _passes("qa_span_probs", via_log_softmax, "peaked")
    assert _passes("qa_span_probs", via_log_softmax, "long")
