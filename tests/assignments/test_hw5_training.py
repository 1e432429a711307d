"""Assignment 5, question 9: the outcome spec ``ddpm_train_and_sample`` (autograder/specs/
unit5_hw5.py) is calibrated.

* the notebook's own solution (taken from the master notebook, run in-process, two worker
  processes of one thread each, as in the sandbox) passes every case on 20 seeds, with margins to
  every bound;
* gross failures (no training, x_T returned, no noise in the sampler, x_0 regressed instead of
  the noise, sigma_t^2 used as sigma_t, the training data returned) fail every case;
* the judge says why for values that are not samples at all, and its messages carry no held-out
  value.
"""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from autograder import wire
from autograder.specs import Case, get_spec
from autograder.specs import unit5_hw5 as hw5spec

from . import corpus

SPEC = get_spec("ddpm_train_and_sample")
SEEDS = range(20)

# (name, edits of the notebook's q9 solution): each must fail every case it is tried on
BROKEN = {
    "no_training": [("for _ in range(steps):  # Algorithm 1", "for _ in range(0):")],
    "returns_x_T": [("for i in reversed(range(T)):", "for i in reversed(range(0)):")],
    "no_noise_in_sampler": [("x = x + sigma * torch.randn(", "x = x + 0 * torch.randn(")],
    "regresses_x0": [("loss = F.mse_loss(model(x_t, t), eps)",
                      "loss = F.mse_loss(model(x_t, t), x0)")],
    "sigma_squared_as_sigma": [("x = x + sigma * torch.randn(", "x = x + sigma ** 2 * torch.randn(")],
    "returns_training_data": [("    device = x_train.device\n",
                               "    return x_train[:n_samples].clone()\n")],
}


def solution_source(edits=()) -> str:
    return corpus.master_solution("hw5", "ddpm_train_and_sample", edits)


def _run(job: tuple[int, str]) -> list[tuple[int, str, bool, str, dict]]:
    """In a worker: the spec's cases for ``seed``, the (possibly broken) solution, the verdicts."""
    seed, variant = job
    torch.set_num_threads(1)
    namespace = {"math": math, "torch": torch, "nn": nn, "F": F}
    exec(solution_source(BROKEN.get(variant, ())), namespace)
    out = []
    for case in SPEC.cases(seed):
        samples = namespace["ddpm_train_and_sample"](*case.args)
        ok, message = SPEC.judge(samples, case)
        stats = {}
        if isinstance(samples, torch.Tensor) and torch.isfinite(samples).all():
            held = case.secret["held_out"]
            stats["precision"], stats["recall"] = hw5spec.precision_recall(held, samples)
            stats["energy"] = hw5spec.energy_distance(samples, held)
        out.append((seed, case.name, ok, message, stats))
    return out


def _grade(jobs):
    return corpus.in_two_processes(_run, jobs)


@pytest.fixture(scope="module")
def correct_runs():
    return _grade([(seed, "solution") for seed in SEEDS])


def test_the_solution_passes_on_20_seeds_with_margin(correct_runs):
    assert len(correct_runs) == 2 * len(SEEDS)
    failed = [(seed, name, message) for seed, name, ok, message, _ in correct_runs if not ok]
    assert not failed, failed
    worst_precision = min(s["precision"] for *_, s in correct_runs)
    worst_recall = min(s["recall"] for *_, s in correct_runs)
    worst_energy = max(s["energy"] for *_, s in correct_runs)
    print(f"20 seeds: precision >= {worst_precision:.3f}, recall >= {worst_recall:.3f}, "
          f"energy distance <= {worst_energy:.4f}")
    assert worst_precision >= hw5spec.MIN_PRECISION + 0.05
    assert worst_recall >= hw5spec.MIN_RECALL + 0.05
    assert worst_energy <= hw5spec.MAX_ENERGY_DISTANCE / 4


def test_gross_failures_fail_every_case():
    jobs = list(zip([3, 7, 11, 13, 17, 19], BROKEN))  # one seed per broken variant
    variant_of = dict(jobs)
    results = _grade(jobs)
    assert len(results) == 2 * len(jobs)
    passed = [(variant_of[seed], seed, name, message)
              for seed, name, ok, message, _ in results if ok]
    assert not passed, passed
    copied = [m for seed, _, _, m, _ in results if variant_of[seed] == "returns_training_data"]
    assert copied and all("copies of training points" in m for m in copied), copied


def _case(seed: int = 0) -> Case:
    return SPEC.cases(seed)[0]


@pytest.mark.parametrize("value, says", [
    (None, "not NoneType"),
    ([[0.0, 1.0]], "not list"),
    (torch.zeros(2000), "shape"),
    (torch.zeros(1999, 2), "shape"),
    (torch.zeros(2000, 3), "shape"),
    (torch.zeros(2000, 2, dtype=torch.long), "floating-point"),
    (torch.full((2000, 2), float("nan")), "NaN"),
    (torch.zeros(2000, 2), "precision"),  # every sample at one point: no recall, no precision
])
def test_the_judge_says_why(value, says):
    ok, message = SPEC.judge(value, _case())
    assert not ok and says in message, message


def test_fresh_data_pass_and_messages_show_few_digits():
    case = _case()
    # the training points, slightly jittered, are a fresh draw of the same mixture: they pass
    gen = torch.Generator().manual_seed(0)
    fresh = case.secret["x_train"][:2000] + 1e-2 * torch.randn(2000, 2, generator=gen)
    ok, message = SPEC.judge(fresh, case)
    assert ok, message
    # numbers in messages have at most 3 significant digits (no held-out value can be read back)
    for value in (fresh, fresh * 1.5, fresh[:, [1, 0]]):
        _, message = SPEC.judge(value, case)
        for token in message.replace(",", " ").replace("(", " ").replace(")", " ").split():
            try:
                float(token)
            except ValueError:
                continue
            assert len(token.lstrip("-0.").replace(".", "")) <= 3, f"{token} in {message!r}"


def test_cases_are_seeded_plain_data_and_the_public_case_comes_first():
    a, b, c = SPEC.cases(5), SPEC.cases(5), SPEC.cases(6)
    assert [x.name for x in a] == ["four_blobs_T50", "three_unequal_blobs_T100"]
    assert not a[0].hidden and a[1].hidden
    for x, y in zip(a, b):
        assert wire.dumps({"args": x.args, "secret": x.secret}) == \
            wire.dumps({"args": y.args, "secret": y.secret})
        back = wire.loads(wire.dumps(x.secret))
        assert torch.equal(back["held_out"], x.secret["held_out"])
    assert not torch.equal(a[1].args[0], c[1].args[0])
    x_train, betas, n_samples, seed = a[1].args
    assert x_train.shape == (3000, 2) and betas.shape == (100,) and n_samples == 2000
    assert isinstance(seed, int)
    assert float(torch.prod(1 - betas.double())) < 0.01  # alpha_bar_T ~ 0: x_T is noise
