"""Assignment 5, question 9: the outcome spec ``ddpm_train_and_sample`` (autograder/specs/
unit5_hw5.py) is calibrated and its oracle is right.

* the notebook's own solution (taken from the master notebook, run in-process, two worker
  processes of one thread each, as in the sandbox) passes every case on a few seeds, with margins
  to every bound (``benchmarks/outcome_calibration.py`` runs 20 seeds);
* gross failures of the method (no training, x_0 regressed instead of the noise, t drawn only
  from the first quarter of the steps) fail every case;
* the optimal denoiser the held-out loss is measured against agrees with a numerical posterior
  and with the closed form for one Gaussian;
* the judge says why for values that are not EpsNet weights, and its messages carry no held-out
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
from reference import diffusion

from . import corpus

SPEC = get_spec("ddpm_train_and_sample")
SEEDS = range(4)

# (name, edits of the notebook's q9 solution): each must fail every case it is tried on
BROKEN = {
    "no_training": [("for _ in range(steps):  # Algorithm 1", "for _ in range(0):")],
    "regresses_x0": [("loss = F.mse_loss(model(x_t, t), eps)",
                      "loss = F.mse_loss(model(x_t, t), x0)")],
    "small_t_only": [("t = torch.randint(0, T, (batch_size,)",
                      "t = torch.randint(0, T // 4, (batch_size,)")],
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
        weights = namespace["ddpm_train_and_sample"](*case.args)
        ok, message = SPEC.judge(weights, case)
        model, _ = hw5spec.load_eps_net(weights, case.secret["betas"].shape[0])
        loss, best = hw5spec.held_out_losses(model, case.secret)
        stats = {"ratio": loss / best}
        samples = hw5spec.sample_eps_net(model, case.secret)
        if torch.isfinite(samples).all():
            held = case.secret["held_out"]
            stats["precision"], stats["recall"] = hw5spec.precision_recall(held, samples)
            stats["energy"] = hw5spec.energy_distance(samples, held)
        out.append((seed, case.name, ok, message, stats))
    return out


def _grade(jobs):
    return corpus.in_two_processes(_run, jobs)


def test_the_solution_passes_with_margin():
    runs = _grade([(seed, "solution") for seed in SEEDS])
    assert len(runs) == 2 * len(SEEDS)
    failed = [(seed, name, message) for seed, name, ok, message, _ in runs if not ok]
    assert not failed, failed
    worst_ratio = max(s["ratio"] for *_, s in runs)
    assert worst_ratio <= 1 + (hw5spec.MAX_LOSS_RATIO - 1) / 2
    assert min(s["precision"] for *_, s in runs) >= hw5spec.MIN_PRECISION + 0.05
    assert min(s["recall"] for *_, s in runs) >= hw5spec.MIN_RECALL + 0.05
    assert max(s["energy"] for *_, s in runs) <= hw5spec.MAX_ENERGY_DISTANCE / 4


def test_gross_failures_fail_every_case():
    jobs = list(zip([3, 7, 11], BROKEN))  # one seed per broken variant
    variant_of = dict(jobs)
    results = _grade(jobs)
    assert len(results) == 2 * len(jobs)
    passed = [(variant_of[seed], seed, name, message)
              for seed, name, ok, message, _ in results if ok]
    assert not passed, passed
    assert all("held-out L_simple" in m for *_, m, _ in results)


def test_the_optimal_denoiser_matches_a_numerical_posterior():
    """E[eps | x_t] = (x_t - sqrt(ab) E[x_0 | x_t]) / sqrt(1 - ab), E[x_0 | x_t] by summing the
    prior times the likelihood over a fine grid of x_0: independent of the closed form."""
    centres = torch.tensor([[-1.0, 0.5], [1.2, -0.3], [0.1, 1.4]])
    stds = torch.tensor([0.3, 0.2, 0.4])
    weights = torch.tensor([0.5, 0.3, 0.2])
    betas = diffusion.linear_beta_schedule(50, 1e-3, 0.2)
    gen = torch.Generator().manual_seed(0)
    t = torch.tensor([0, 3, 10, 25, 49])
    x_t = 1.5 * torch.randn(5, 2, generator=gen)
    got = hw5spec.optimal_eps(x_t, t, betas, centres, stds, weights)

    axis = torch.linspace(-3.5, 3.5, 1401, dtype=torch.float64)
    grid = torch.cartesian_prod(axis, axis)  # (G, 2)
    prior = sum(w * torch.exp(-((grid - c.double()) ** 2).sum(1) / (2 * s.double() ** 2))
                / s.double() ** 2 for c, s, w in zip(centres, stds, weights))
    ab = torch.cumprod(1 - betas.double(), 0)
    for i in range(5):
        a = ab[t[i]]
        like = torch.exp(-((x_t[i].double() - a.sqrt() * grid) ** 2).sum(1) / (2 * (1 - a)))
        post = prior * like
        x0_mean = (post[:, None] * grid).sum(0) / post.sum()
        want = (x_t[i].double() - a.sqrt() * x0_mean) / (1 - a).sqrt()
        assert torch.allclose(got[i], want, atol=1e-3), (i, got[i], want)


def test_the_optimal_denoiser_of_one_gaussian_is_the_linear_one():
    betas = diffusion.linear_beta_schedule(100, 1e-4, 0.1, dtype=torch.float64)
    mean, std = torch.tensor([0.7, -1.1], dtype=torch.float64), torch.tensor(0.6)
    a, b = diffusion.optimal_linear_eps(betas, mean, std.expand(2).double())
    gen = torch.Generator().manual_seed(1)
    t = torch.randint(0, 100, (64,), generator=gen)
    x_t = torch.randn(64, 2, generator=gen, dtype=torch.float64)
    got = hw5spec.optimal_eps(x_t, t, betas, mean[None], std[None], torch.ones(1))
    assert torch.allclose(got, a[t] * x_t + b[t], atol=1e-12)


def _case(seed: int = 0) -> Case:
    return SPEC.cases(seed)[0]


def _weights(width: int = 8, **changes) -> dict:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        state = dict(hw5spec.EpsNet(50, width).state_dict())
    state.update(changes)
    return {k: v for k, v in state.items() if v is not None}


@pytest.mark.parametrize("value, says", [
    (None, "not NoneType"),
    (torch.zeros(2000, 2), "not Tensor"),  # samples, the old return value
    (_weights(**{"net.6.bias": None}), "missing net.6.bias"),
    (_weights(extra=torch.zeros(1)), "unexpected extra"),
    (_weights(**{"net.0.weight": torch.zeros(8, 5)}), "net.0.weight has shape (8, 5)"),
    (_weights(**{"net.0.weight": torch.zeros(8)}), "net.0.weight must be (width, 3)"),
    (_weights(**{"net.2.weight": torch.zeros(8, 9)}), "net.2.weight has shape (8, 9)"),
    (_weights(**{"net.4.bias": torch.full((8,), float("nan"))}), "net.4.bias contains NaN"),
    (_weights(**{"net.6.bias": torch.zeros(2, dtype=torch.long)}), "floating-point"),
    (_weights(), "held-out L_simple"),  # an untrained network
])
def test_the_judge_says_why(value, says):
    ok, message = SPEC.judge(value, _case())
    assert not ok and says in message, message


def test_fresh_data_pass_the_sample_check_and_messages_show_few_digits():
    case = _case()
    # the training points, slightly jittered, are a fresh draw of the same mixture: they pass
    gen = torch.Generator().manual_seed(0)
    fresh = case.secret["x_train"][:2000] + 1e-2 * torch.randn(2000, 2, generator=gen)
    ok, message = hw5spec.judge_samples(fresh, case)
    assert ok, message
    ok, message = hw5spec.judge_samples(case.secret["x_train"][:2000].clone(), case)
    assert not ok and "copies of training points" in message
    ok, message = hw5spec.judge_samples(torch.zeros(2000, 2), case)
    assert not ok and "precision" in message
    # numbers in messages have at most 3 significant digits (no held-out value can be read back)
    messages = [hw5spec.judge_samples(v, case)[1] for v in (fresh, fresh * 1.5, fresh[:, [1, 0]])]
    messages.append(SPEC.judge(_weights(), case)[1])
    for message in messages:
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
    x_train, betas, seed = a[1].args
    assert x_train.shape == (3000, 2) and betas.shape == (100,) and isinstance(seed, int)
    assert a[1].secret["held_out"].shape == (hw5spec.N_SAMPLES, 2)
    assert float(torch.prod(1 - betas.double())) < 0.01  # alpha_bar_T ~ 0: x_T is noise
