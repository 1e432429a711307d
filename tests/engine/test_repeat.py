"""A random procedure must be reproducible from its arguments: the sandbox calls the first case of
a ``Spec.repeat`` spec twice, on fresh copies of the same inputs with the global random state
reseeded differently, and the grader fails the case when the two results differ, without naming
a value."""
from __future__ import annotations

import math

import pytest
import torch

from autograder import wire
from autograder.fixtures import FixtureCase
from autograder.grade import checks
from autograder.sandbox.reports import CaseReport, Status
from autograder.sandbox.worker import calls as harness
from autograder.specs import all_specs, get_spec

SOURCES = """
import random
import numpy as np

def from_eps(mu, logvar, eps):
    return mu + torch.exp(0.5 * logvar) * eps
def global_torch(mu, logvar, eps):
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
def global_python(mu, logvar, eps):
    return mu + torch.exp(0.5 * logvar) * eps * random.random()
def global_numpy(mu, logvar, eps):
    return mu + torch.exp(0.5 * logvar) * eps * float(np.random.rand())
def small_global_noise(mu, logvar, eps):
    return mu + torch.exp(0.5 * logvar) * eps + 1e-2 * torch.randn_like(mu)
CALLS = []
def counts_calls(mu, logvar, eps):
    CALLS.append(1)
    return mu + torch.exp(0.5 * logvar) * eps + len(CALLS)
def fails_second_time(mu, logvar, eps):
    CALLS.append(1)
    if len(CALLS) % 2 == 0:
        raise RuntimeError("state kept between calls")
    return mu + torch.exp(0.5 * logvar) * eps
def clobbers_then_uses(mu, logvar, eps):
    out = mu + torch.exp(0.5 * logvar) * eps
    eps.mul_(2)
    return out
def seeded_training(x, seed):
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    w = torch.randn(3)
    return {"w": w + torch.randn(3, generator=g) + x.sum()}
def unseeded_training(x, seed):
    w = torch.randn(3)  # the initialisation from the global state: the seed is ignored
    return {"w": w + x.sum()}
"""


def _case(spec: str = "reparameterize", hidden: bool = True, **inputs) -> FixtureCase:
    return FixtureCase(question="q6", spec=spec, name=f"{spec}/a", call="function",
                       hidden=hidden, points=1.0, rtol=1e-5, atol=1e-6, exact_dtype=False,
                       inputs=inputs, repeat=True)


def _graded(name: str, case: FixtureCase, expected=None):
    namespace: dict = {"torch": torch}
    exec(SOURCES, namespace)
    case.expected = expected
    report, encoded = harness.run_case(namespace, name, "function", case.student_view(), "cpu",
                                       10)
    if encoded is not None:
        report["value"] = wire.decode(*encoded)  # as the session hands it on
    report = CaseReport.from_child(report, case.question, case.name, case.hidden, 0.0, [])
    return report, checks.verdict(case, report, "")


def _vae_inputs():
    g = torch.Generator().manual_seed(3)
    mu, logvar, eps = (torch.randn(4, 2, generator=g) for _ in range(3))
    return {"args": (mu, logvar, eps), "kwargs": {}}, mu + torch.exp(0.5 * logvar) * eps


def test_the_student_view_asks_for_the_repeat():
    assert _case(args=()).student_view()["repeat"] is True
    plain = FixtureCase(question="q", spec="sigmoid", name="sigmoid/a", call="function",
                        hidden=True, points=1.0, rtol=0, atol=0, exact_dtype=False, inputs={})
    assert "repeat" not in plain.student_view()


def test_a_procedure_drawing_only_from_its_arguments_passes():
    inputs, expected = _vae_inputs()
    report, verdict = _graded("from_eps", _case(**inputs), expected)
    assert verdict.passed, verdict.message
    assert set(report.value) == {"value", "again"}
    assert torch.equal(report.value["value"], report.value["again"])


@pytest.mark.parametrize("name", ["global_torch", "global_python", "global_numpy",
                                  "small_global_noise", "counts_calls"])
@pytest.mark.parametrize("hidden", [True, False])
def test_a_result_that_changes_between_two_calls_fails_naming_no_value(name, hidden):
    inputs, expected = _vae_inputs()
    report, verdict = _graded(name, _case(hidden=hidden, **inputs), expected)
    assert report.status is Status.RETURNED and not verdict.passed
    assert verdict.message.startswith("`reparameterize` is not reproducible: called twice")
    assert not any(ch.isdigit() for ch in verdict.message)  # no value of either call


def test_the_rung_comes_before_the_comparison_with_the_reference():
    """A function whose first call happens to return the reference's value still fails."""
    inputs, _ = _vae_inputs()
    namespace: dict = {"torch": torch}
    exec(SOURCES, namespace)
    torch.default_generator.manual_seed(harness.GLOBAL_SEEDS[0])
    mu, logvar, _ = inputs["args"]
    first = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
    report, verdict = _graded("global_torch", _case(**inputs), first)
    assert torch.equal(report.value["value"], first)
    assert not verdict.passed and "not reproducible" in verdict.message


def test_an_error_on_the_second_call_says_so():
    inputs, expected = _vae_inputs()
    for hidden in (False, True):
        report, verdict = _graded("fails_second_time", _case(hidden=hidden, **inputs),
                                  expected)
        assert report.status is Status.ERROR and report.second_call
        assert "called a second time with the same inputs" in verdict.message
        assert ("state kept between calls" in verdict.message) is (not hidden)


def test_the_second_call_gets_its_own_copy_of_the_inputs():
    """An input changed by the first call is its own rung (inputs unchanged), not a repeat that
    differs because it was handed the changed tensor."""
    inputs, expected = _vae_inputs()
    report, verdict = _graded("clobbers_then_uses", _case(**inputs), expected)
    assert torch.equal(report.value["value"], report.value["again"])
    assert report.changed_inputs == ("args[2]",)
    assert "changed its input args[2] in place" in verdict.message


def test_training_must_draw_from_its_seed():
    x = torch.ones(2)
    inputs = {"args": (x, 7), "kwargs": {}}
    seeded = _case("train_vae_2d", **inputs)
    seeded.call = "outcome"
    report, _ = _graded("seeded_training", seeded)
    assert torch.equal(report.value["value"]["w"], report.value["again"]["w"])
    report, verdict = _graded("unseeded_training", seeded)
    assert not verdict.passed and "not reproducible" in verdict.message


def test_agree_is_exact_off_floats_and_relative_on_floats():
    a = torch.randn(100, dtype=torch.float64)
    assert checks.agree(a, a + 1e-6 * a.norm() / 10)  # a GPU's reordered reduction
    assert not checks.agree(a, a + 1e-2 * a.norm() / 10)
    assert not checks.agree(a, a.float())  # the dtype is part of the result
    assert not checks.agree(a, a[:99])
    nan = torch.tensor([float("nan"), float("inf"), 1.0])
    assert checks.agree(nan, nan.clone())
    assert not checks.agree(nan, torch.tensor([float("nan"), float("-inf"), 1.0]))
    assert not checks.agree(nan, torch.tensor([1.0, float("inf"), 1.0]))
    assert not checks.agree(torch.tensor([1, 2]), torch.tensor([1, 3]))
    assert checks.agree({"w": [1, (2.0, "x")]}, {"w": [1, (2.0, "x")]})
    assert not checks.agree({"w": [1, (2.0, "x")]}, {"w": [1, [2.0, "x"]]})
    assert not checks.agree({"w": 1}, {"v": 1})
    assert checks.agree(math.nan, math.nan) and not checks.agree(1, 1.0)
    assert not checks.agree(torch.ones(1), 1.0)


def test_a_forged_report_without_the_repeat_is_malformed():
    inputs, expected = _vae_inputs()
    case = _case(**inputs)
    case.expected = expected
    report = CaseReport(case.question, case.name, Status.RETURNED, value=expected)
    verdict = checks.verdict(case, report, "")
    assert not verdict.passed and "malformed" in verdict.message


def test_every_random_procedure_repeats_its_first_case_only(built):
    """Each spec whose reference draws from noise arguments or a seed is marked, and the
    fixtures ask for one repeat per such spec and question."""
    repeat = {name for name, s in all_specs().items() if s.repeat}
    assert {"reparameterize", "sample_prior", "q_sample", "ddpm_sample", "sample_next_token",
            "bert_mask_tokens", "nsp_pairs", "train_cnn", "train_vae_2d",
            "ddpm_train_and_sample"} <= repeat
    seen = 0
    for hw in ("hw2", "hw3", "hw4", "hw5"):
        cases = built(hw).cases
        for question in {c.question for c in cases}:
            for spec in {c.spec for c in cases if c.question == question}:
                marks = [c.repeat for c in cases if c.question == question and c.spec == spec]
                assert marks == ([True] + [False] * (len(marks) - 1) if spec in repeat
                                 else [False] * len(marks)), (hw, spec)
                seen += spec in repeat
    assert seen >= 10


def test_the_case_budget_counts_both_calls():
    from autograder.sandbox.limits import Limits
    from autograder.sandbox.session import _Case

    limits = Limits(call_seconds=7.0)
    once = _Case(("q", "a"), {"question": "q", "name": "f", "call": "function"}, {}, True)
    twice = _Case(("q", "b"), {"question": "q", "name": "f", "call": "function"},
                  {"repeat": True}, True)
    assert once.budget(limits) == once.seconds(limits) == 7.0
    assert twice.budget(limits) == 14.0 and twice.seconds(limits) == 7.0
    assert get_spec("ddpm_train_and_sample").repeat
