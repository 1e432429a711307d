"""Assignment 4, question 10: the outcome spec ``train_vae_2d`` (autograder/specs/unit5_hw4.py) is
calibrated.

* the notebook's own solution (taken from the master notebook, run in-process, two worker
  processes of one thread each, as in the sandbox) passes every case on a few seeds, with a
  margin to both bounds (``benchmarks/outcome_calibration.py`` runs 20 seeds);
* the data log-density the held-out ELBO is measured against integrates to 1 and agrees with a
  Monte Carlo estimate from the data's own generating process;
* gross failures (no training, no KL term, the KL's sign flipped, the log-variance used as the
  standard deviation, no ``zero_grad``) fail every case;
* the judge says why for values that are not Encoder2D / Decoder2D weights, and its messages
  carry no held-out value.
"""
from __future__ import annotations

import functools
import math
import re
import time

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from autograder import wire
from autograder.specs import Case, get_spec
from autograder.specs import unit5_hw4 as hw4spec

from . import corpus

SPEC = get_spec("train_vae_2d")
SEEDS = range(4)
MARGIN = 0.75  # the solution's worst case stays at least a quarter below each bound

# (name, edits of the notebook's q10 solution): each must fail every case it is tried on
BROKEN = {
    "no_training": [("for step in range(steps):", "for step in range(0):")],
    "no_kl_term": [("loss = (beta * kl - log_px).mean()", "loss = (-log_px).mean()")],
    "kl_sign_flipped": [("loss = (beta * kl - log_px).mean()",
                         "loss = (-beta * kl - log_px).mean()")],
    "logvar_as_std": [("z = mu + torch.exp(0.5 * logvar) * eps", "z = mu + logvar * eps")],
    "no_zero_grad": [("        opt.zero_grad()\n", "")],
}


def solution_source(edits=()) -> str:
    return corpus.master_solution("hw4", "train_vae_2d", edits)


def _run(job: tuple[int, str]) -> list[tuple[int, str, bool, str, dict]]:
    """In a worker: the spec's cases for ``seed``, the (possibly broken) solution, the verdicts."""
    seed, variant = job
    torch.set_num_threads(1)
    namespace = {"math": math, "torch": torch, "nn": nn, "F": F, "Decoder2D": hw4spec.Decoder2D,
                 "Encoder2D": hw4spec.Encoder2D}
    exec(solution_source(BROKEN.get(variant, ())), namespace)
    out = []
    for case in SPEC.cases(seed):
        start = time.perf_counter()
        weights = namespace["train_vae_2d"](*case.args)
        seconds = time.perf_counter() - start
        ok, message = SPEC.judge(weights, case)
        # the distance as the message shows it (3 digits), rather than another energy distance
        shown = re.search(r"held-out data ([0-9.e+-]+)", message)
        gap = re.search(r"held-out ELBO ([0-9.e+-]+) nats", message)
        stats = {"threshold": float(case.secret["threshold"]),
                 "energy": float(shown.group(1)) if shown else math.inf, "seconds": seconds,
                 "gap": float(gap.group(1)) if gap else math.inf}
        out.append((seed, case.name, ok, message, stats))
    return out


def _grade(jobs):
    return corpus.in_two_processes(_run, jobs)


@pytest.fixture(scope="module")
def correct_runs():
    return _grade([(seed, "solution") for seed in SEEDS])


def test_the_solution_passes_with_margin(correct_runs):
    assert len(correct_runs) == 3 * len(SEEDS)
    failed = [(seed, name, message) for seed, name, ok, message, _ in correct_runs if not ok]
    assert not failed, failed
    ratios = [s["energy"] / s["threshold"] for *_, s in correct_runs]
    gaps = [s["gap"] for *_, s in correct_runs]
    assert max(ratios) <= MARGIN
    assert max(gaps) <= MARGIN * hw4spec.MAX_ELBO_GAP


def test_gross_failures_fail_every_case():
    jobs = list(zip([3, 7, 11, 13, 17], BROKEN))  # one seed per broken variant
    variant_of = dict(jobs)
    results = _grade(jobs)
    assert len(results) == 3 * len(jobs)
    passed = [(variant_of[seed], seed, name, message)
              for seed, name, ok, message, _ in results if ok]
    assert not passed, passed


@functools.cache
def _case(seed: int = 0) -> Case:
    return SPEC.cases(seed)[0]


def _weights(encoder: dict | None = None, **changes) -> dict:
    """An untrained VAE's weights with ``changes`` to the decoder's (``encoder`` replacing the
    encoder's), the global random state untouched."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        enc = {k: v.clone() for k, v in hw4spec.Encoder2D().state_dict().items()}
        dec = {k: v.clone() for k, v in hw4spec.Decoder2D().state_dict().items()}
    dec.update(changes)
    return {"encoder": enc if encoder is None else encoder, "decoder": dec}


def _encoder(**changes) -> dict:
    weights = dict(_weights()["encoder"])
    weights.update(changes)
    return weights


@pytest.mark.parametrize("value, says", [
    (None, "not NoneType"),
    ([1.0, 2.0], "not list"),
    (torch.zeros(2), "not Tensor"),
    (_weights()["decoder"], "expected {\"encoder\""),  # the decoder alone, as before
    ({"encoder": {}, "decoder": {"logvar": torch.zeros(2)}}, "missing net.0.weight"),
    (_weights(extra=torch.zeros(1)), "unexpected extra"),
    (_weights(logvar=torch.zeros(2, dtype=torch.long)), "floating-point"),
    (_weights(**{"net.4.weight": torch.zeros(3, 64)}), "net.4.weight has shape"),
    (_weights(**{"net.0.weight": torch.zeros(64, 40)}), "out of range"),
    (_weights(logvar=torch.tensor([float("nan"), 0.0])), "NaN"),
    (_weights(_encoder(**{"net.4.weight": torch.zeros(6, 64), "net.4.bias": torch.zeros(6)})),
     "latent dimension 3 is not the decoder's 2"),
    (_weights(_encoder(**{"net.2.bias": torch.zeros(5)})), "Encoder2D net.2.bias has shape"),
    (_weights(_encoder(extra=torch.zeros(1))), "Encoder2D (unexpected extra)"),
    (_weights(), "held-out ELBO"),  # an untrained VAE
])
def test_the_judge_says_why(value, says):
    ok, message = SPEC.judge(value, _case())
    assert not ok and says in message, message


def test_the_gaussian_baseline_fails_and_messages_show_few_digits():
    case = _case()
    x_train, _ = case.args
    # an encoder that outputs the prior and a decoder that ignores z and outputs the data's mean
    # with their per-coordinate variance: a collapsed VAE, about the moment-matched Gaussian
    mean, var = x_train.mean(0), x_train.var(0)
    prior = _encoder(**{"net.4.weight": torch.zeros(4, 64), "net.4.bias": torch.zeros(4)})
    gaussian = _weights(prior, **{"net.4.weight": torch.zeros(2, 64), "net.4.bias": mean,
                                  "logvar": var.log()})
    ok, message = SPEC.judge(gaussian, case)
    assert not ok, message
    # numbers in messages have at most 3 significant digits (no held-out value can be read back)
    for value in (gaussian, _weights()):
        _, message = SPEC.judge(value, case)
        for token in message.replace(",", " ").replace("(", " ").replace(")", " ").split():
            try:
                float(token)
            except ValueError:
                continue
            assert len(token.lstrip("-0.").replace(".", "")) <= 3, f"{token} in {message!r}"


@pytest.mark.parametrize("index", [0, 1, 2], ids=["ring", "blobs", "moons"])
def test_the_data_log_density_integrates_to_one(index):
    case = SPEC.cases(3)[index]
    held_out, params = case.secret["held_out"], case.secret["density"]
    lo, hi = held_out.min(0).values - 1.0, held_out.max(0).values + 1.0
    xs = torch.linspace(float(lo[0]), float(hi[0]), 160, dtype=torch.float64)
    ys = torch.linspace(float(lo[1]), float(hi[1]), 160, dtype=torch.float64)
    grid = torch.cartesian_prod(xs, ys)
    density = torch.cat([hw4spec.log_density(g, params).exp() for g in grid.split(25000)])
    mass = float(density.sum() * (xs[1] - xs[0]) * (ys[1] - ys[0]))
    assert abs(mass - 1) < 2e-3, mass


def test_the_moons_density_matches_a_monte_carlo_estimate():
    """p(x) = E[N(x; arc point, (scale * noise)^2 I)] over the generator's own noiseless arc
    points: independent of the quadrature's change of variables."""
    params = SPEC.cases(4)[2].secret["density"]
    gen = torch.Generator().manual_seed(0)
    arc = hw4spec.moons(gen, 200_000, params["centre"], params["rotation"], params["scale"],
                        0.0).double()
    std = params["scale"] * params["noise"]
    x = hw4spec.moons(gen, 20, params["centre"], params["rotation"], params["scale"],
                      params["noise"]).double()
    sq = torch.cdist(x, arc) ** 2
    monte_carlo = torch.exp(-sq / (2 * std ** 2)).mean(1) / (2 * math.pi * std ** 2)
    got = hw4spec.log_density(x, params).exp()
    assert torch.allclose(got, monte_carlo, rtol=0.05), (got / monte_carlo).aminmax()


def test_cases_are_seeded_plain_data_and_the_public_case_comes_first():
    a, b, c = SPEC.cases(5), SPEC.cases(5), SPEC.cases(6)
    assert [x.name for x in a] == ["ring", "three_unequal_blobs", "two_moons"]
    assert not a[0].hidden and a[1].hidden and a[2].hidden
    for x, y in zip(a, b):
        assert wire.dumps({"args": x.args, "secret": x.secret}) == \
            wire.dumps({"args": y.args, "secret": y.secret})
        back = wire.loads(wire.dumps(x.secret))
        assert torch.equal(back["held_out"], x.secret["held_out"])
    assert not torch.equal(a[2].args[0], c[2].args[0])
    x_train, seed = a[1].args
    assert x_train.shape == (hw4spec.N_TRAIN, 2) and x_train.dtype == torch.float32
    assert isinstance(seed, int)
    # the data sit away from the origin, so an untrained decoder is far off
    assert all(float(x.args[0].mean(0).norm()) > 1.0 for x in a)
