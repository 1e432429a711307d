"""Shortcuts for the outcome-judged questions, each rejected by its judge.

An outcome question returns what the lecture's method produces (the weights of a fixed
architecture) and the grader evaluates it on data it never hands out. Each shortcut below is
what a student could return instead of doing the method: the old return values (samples or
labels from memorised, resampled or fitted data, non-network predictors) no longer have the
right type, and weights produced by shortcuts (untrained networks, networks trained on
something else or with another objective) fail the held-out checks. Every one must fail every
case it is tried on.
"""
from __future__ import annotations

import pytest
import torch

from autograder.specs import get_spec
from autograder.specs import unit5_hw5 as hw5spec
from reference import diffusion

from . import corpus


def _rejected_everywhere(judge, cases, make_value) -> list[str]:
    """The messages of the judge on every case; asserts none passes."""
    messages = []
    for case in cases:
        ok, message = judge(make_value(case), case)
        assert not ok, (case.name, message)
        messages.append(message)
    return messages


# ---------------------------------------------------------------- hw5 q9: ddpm_train_and_sample
HW5 = get_spec("ddpm_train_and_sample")
HW5_SEED = 2


def _eps_net(x: torch.Tensor, betas: torch.Tensor, seed: int, steps: int = 1500,
             t_high: int | None = None) -> dict:
    """EpsNet trained with Algorithm 1 on ``x`` (whatever it is), as the notebook's solution."""
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(seed)
    T = betas.shape[0]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = hw5spec.EpsNet(T)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(steps, 1))
    for _ in range(steps):
        x0 = x[torch.randint(0, x.shape[0], (256,), generator=gen)]
        t = torch.randint(0, t_high or T, (256,), generator=gen)
        loss = diffusion.l_simple_loss(model, x0, t, torch.randn(256, 2, generator=gen), betas)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return dict(model.state_dict())


def _gaussian_fit(x: torch.Tensor, n: int, gen: torch.Generator) -> torch.Tensor:
    chol = torch.linalg.cholesky(torch.cov(x.T.double()))
    return (x.double().mean(0) + torch.randn(n, 2, generator=gen, dtype=torch.float64)
            @ chol.T).float()


def _hw5_cheat(job: tuple[int, str]) -> list[tuple[str, str, bool, str]]:
    seed, cheat = job
    out = []
    for case in HW5.cases(seed):
        x, betas, s = case.args
        gen = torch.Generator().manual_seed(s)
        if cheat == "fitted_gaussian_data":
            weights = _eps_net(_gaussian_fit(x, x.shape[0], gen), betas, s)
        elif cheat == "memorised_16_points":
            weights = _eps_net(x[:16], betas, s)
        elif cheat == "other_data":  # a net trained on the data reflected through the origin
            weights = _eps_net(-x, betas, s)
        elif cheat == "small_t_only":  # learns to denoise slightly noised data only
            weights = _eps_net(x, betas, s, t_high=betas.shape[0] // 4)
        elif cheat == "under_trained":
            weights = _eps_net(x, betas, s, steps=100)
        else:
            raise ValueError(cheat)
        ok, message = HW5.judge(weights, case)
        out.append((cheat, case.name, ok, message))
    return out


HW5_TRAINED_CHEATS = ["fitted_gaussian_data", "memorised_16_points", "other_data",
                      "small_t_only", "under_trained"]


def test_hw5_networks_trained_by_shortcuts_are_rejected():
    results = corpus.in_two_processes(_hw5_cheat, [(HW5_SEED, c) for c in HW5_TRAINED_CHEATS])
    assert len(results) == 2 * len(HW5_TRAINED_CHEATS)
    passed = [(cheat, name, message) for cheat, name, ok, message in results if ok]
    assert not passed, passed


def _untrained(case):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return dict(hw5spec.EpsNet(case.secret["betas"].shape[0]).state_dict())


def _zero_output(case):  # predicts eps = 0 everywhere: Algorithm 2 then only rescales x_T
    weights = _untrained(case)
    weights["net.6.weight"] = torch.zeros_like(weights["net.6.weight"])
    weights["net.6.bias"] = torch.zeros_like(weights["net.6.bias"])
    return weights


def _resampled_training_data(case):
    x = case.secret["x_train"]
    gen = torch.Generator().manual_seed(0)
    idx = torch.randint(0, x.shape[0], (hw5spec.N_SAMPLES,), generator=gen)
    return x[idx] + 0.02 * torch.randn(hw5spec.N_SAMPLES, 2, generator=gen)


def _kernel_density_samples(case):
    x = case.secret["x_train"]
    gen = torch.Generator().manual_seed(0)
    idx = torch.randint(0, x.shape[0], (hw5spec.N_SAMPLES,), generator=gen)
    return x[idx] + 0.15 * torch.randn(hw5spec.N_SAMPLES, 2, generator=gen)


def _gaussian_samples(case):
    return _gaussian_fit(case.secret["x_train"], hw5spec.N_SAMPLES, torch.Generator())


@pytest.mark.parametrize("make_value, says", [
    (_untrained, "held-out L_simple"),
    (_zero_output, "held-out L_simple"),
    (_resampled_training_data, "not Tensor"),
    (_kernel_density_samples, "not Tensor"),
    (_gaussian_samples, "not Tensor"),
], ids=["untrained", "zero_output", "resampled_training_data", "kernel_density_samples",
        "gaussian_samples"])
def test_hw5_values_that_are_not_a_trained_network_are_rejected(make_value, says):
    messages = _rejected_everywhere(HW5.judge, HW5.cases(HW5_SEED), make_value)
    assert all(says in m for m in messages), messages
