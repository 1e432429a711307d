"""Assignment 5's training question (syllabus row U5.9, building on U5.7-U5.8), graded by outcome.

A student trains a tiny DDPM on 2-D toy data and samples from it; the grader judges the samples,
not the code. ``ddpm_train_and_sample(x_train (N, 2), betas (T,), n_samples, seed)`` must train
an epsilon-network with Algorithm 1 (``L_simple``) on ``x_train`` and return ``n_samples``
samples (n_samples, 2) drawn with Algorithm 2, every random draw (initialisation, minibatches,
t, noise, x_T, z) taken from ``seed``, on ``x_train``'s device.

The data are mixtures of 2-D Gaussians drawn from the case's generator; ``n_samples`` held-out
points of the same mixture (``case.secret``) never leave the grader. Three statistics compare the
samples Y with the held-out points X:

* **precision** (Kynkaanniemi et al., 2019, "Improved precision and recall"): the fraction of
  samples that fall inside the data's support, estimated as the union of balls around each
  held-out point with radius its distance to its ``K``-th nearest held-out neighbour. Too wide
  or off-support samples (x_T returned, an untrained or badly trained network) lower it;
* **recall**: the same with the roles swapped, the fraction of held-out points inside the
  samples' support. Collapsed samples (no noise in the sampler, sigma_t^2 for sigma_t, a missing
  square root in the sampler) or a missing mode lower it;
* the **energy distance** (Szekely & Rizzo; unbiased U-statistic form)
  ``D = 2 E|X - Y| - E|X - X'| - E|Y - Y'|``, which catches wrong proportions and positions of
  the modes that the two local statistics ignore.

A case passes when precision >= ``MIN_PRECISION``, recall >= ``MIN_RECALL`` and
D <= ``MAX_ENERGY_DISTANCE``, and when at most ``MAX_COPIED`` of the samples are copies of
training points (returning ``x_train`` itself is not sampling).

Calibration (2000 samples, K = 5; ``tests/assignments/test_hw5_training.py`` re-measures the
notebook's solution and the gross failures). Two independent draws of the data: precision and
recall >= 0.99, D <= 0.01. The notebook's solution (1500 Adam steps, ~1.7 s of CPU per case):
40 of 40 cases pass over 20 seeds, precision >= 0.97, recall >= 0.98, D <= 0.007. Five
differently designed correct solutions (sinusoidal, learned or linear time features, ReLU or
SiLU, width 64-128, constant learning rate, 1000-3000 steps, fixed_large variances), 6 seeds
each: 72 of 72 cases pass, precision >= 0.94, recall >= 0.98, D <= 0.053, copies <= 1%. Typical
failures, same seeds: an untrained network or a wrong sign of eps (D ~ 10 and more), x_T
returned (precision <= 0.60), x_0 regressed instead of the noise (precision <= 0.22), no noise
in the sampler (recall <= 0.48), sigma_t^2 used as sigma_t (recall <= 0.46), a missing square
root in the sampler (recall <= 0.27), x_train returned (100% copies): 0 of 12 cases pass each;
200 training steps only (precision 0.75-0.88) pass 2 of 12. Milder bugs pass some cases
(alpha_t for alpha_bar_t in training 5 of 12, a missing square root in training 11 of 12):
q3-q7's exact specs grade those formulas.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn

from reference import diffusion

from .base import Case, Spec

MIN_PRECISION = 0.85
MIN_RECALL = 0.9
MAX_ENERGY_DISTANCE = 0.1
MAX_COPIED = 0.1  # fraction of samples within COPY_RADIUS of a training point
COPY_RADIUS = 1e-4
K = 5  # k-th nearest neighbour radius of the precision / recall supports


# ---------------------------------------------------------------- data and statistics
def mixture_of_gaussians(gen: torch.Generator, n: int, centres: torch.Tensor, stds: torch.Tensor,
                         weights: torch.Tensor) -> torch.Tensor:
    """n points (n, 2) float32 of the mixture sum_k weights_k N(centres_k, stds_k^2 I)."""
    k = torch.multinomial(weights / weights.sum(), n, replacement=True, generator=gen)
    return centres[k] + stds[k].reshape(-1, 1) * torch.randn(n, 2, generator=gen)


def _f64(x: torch.Tensor) -> torch.Tensor:
    return x.detach().to("cpu", torch.float64)


def energy_distance(x: torch.Tensor, y: torch.Tensor) -> float:
    """Unbiased energy distance between the empirical distributions of x (n, d) and y (m, d),
    computed in float64 on the CPU."""
    x, y = _f64(x), _f64(y)
    n, m = x.shape[0], y.shape[0]
    xy = torch.cdist(x, y).mean()
    xx = torch.cdist(x, x).sum() / (n * (n - 1))
    yy = torch.cdist(y, y).sum() / (m * (m - 1))
    return float(2 * xy - xx - yy)


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = K) -> tuple[float, float]:
    """Kynkaanniemi et al.'s k-NN precision (fraction of ``fake`` inside the support of ``real``)
    and recall (fraction of ``real`` inside the support of ``fake``); float64 on the CPU."""
    real, fake = _f64(real), _f64(fake)
    radius_real = torch.cdist(real, real).kthvalue(k + 1, dim=1).values  # +1: skip the point
    radius_fake = torch.cdist(fake, fake).kthvalue(k + 1, dim=1).values
    d = torch.cdist(fake, real)  # (n_fake, n_real)
    precision = (d <= radius_real[None, :]).any(dim=1).double().mean()
    recall = (d.T <= radius_fake[None, :]).any(dim=1).double().mean()
    return float(precision), float(recall)


def copied_fraction(samples: torch.Tensor, x_train: torch.Tensor,
                    radius: float = COPY_RADIUS) -> float:
    """Fraction of samples within ``radius`` of a training point."""
    d = torch.cdist(_f64(samples), _f64(x_train)).min(dim=1).values
    return float((d <= radius).double().mean())


def _case(gen: torch.Generator, name: str, hidden: bool, centres: torch.Tensor,
          stds: torch.Tensor, weights: torch.Tensor, betas: torch.Tensor, n_train: int,
          n_samples: int) -> Case:
    x_train = mixture_of_gaussians(gen, n_train, centres, stds, weights)
    held_out = mixture_of_gaussians(gen, n_samples, centres, stds, weights)
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen))
    return Case(name, args=(x_train, betas, n_samples, seed), hidden=hidden,
                secret={"held_out": held_out, "x_train": x_train, "n_samples": n_samples})


def _cases(gen: torch.Generator) -> list[Case]:
    corners = torch.tensor([[-1.5, -1.5], [-1.5, 1.5], [1.5, -1.5], [1.5, 1.5]])
    four = _case(gen, "four_blobs_T50", False,
                 centres=corners + 0.3 * torch.randn(4, 2, generator=gen),
                 stds=0.25 + 0.15 * torch.rand(4, generator=gen), weights=torch.ones(4),
                 betas=diffusion.linear_beta_schedule(50, 1e-3, 0.2), n_train=2000,
                 n_samples=2000)
    angle = 2 * torch.pi * (torch.rand(1, generator=gen) + torch.arange(3) / 3)
    three = _case(gen, "three_unequal_blobs_T100", True,
                  centres=1.8 * torch.stack([angle.cos(), angle.sin()], dim=1),
                  stds=0.2 + 0.2 * torch.rand(3, generator=gen),
                  weights=torch.tensor([0.6, 0.3, 0.1]),
                  betas=diffusion.linear_beta_schedule(100, 1e-4, 0.1), n_train=3000,
                  n_samples=2000)
    return [four, three]


# ---------------------------------------------------------------- judge
def judge_samples(value: Any, case: Case) -> tuple[bool, str]:
    """Pass when ``value`` is an (n_samples, 2) float tensor of finite samples, not copied from
    the training data, with precision, recall and energy distance within bounds (module doc).
    Messages show the statistics (2-3 significant digits) and bounds, never a held-out value."""
    held_out, x_train = case.secret["held_out"], case.secret["x_train"]
    n = int(case.secret["n_samples"])
    if not isinstance(value, torch.Tensor):
        return False, f"expected a tensor of samples, not {type(value).__name__}"
    if tuple(value.shape) != (n, 2):
        return False, f"expected samples of shape (n_samples, 2) = ({n}, 2), not " \
                      f"{tuple(value.shape)}"
    if not value.is_floating_point():
        return False, f"expected floating-point samples, not {value.dtype}"
    if not bool(torch.isfinite(value).all()):
        return False, "the samples contain NaN or inf"
    copied = copied_fraction(value, x_train)
    if copied > MAX_COPIED:
        return False, (f"{100 * copied:.0f}% of the samples are copies of training points: "
                       "draw them from the trained model with Algorithm 2")
    precision, recall = precision_recall(held_out, value)
    distance = energy_distance(value, held_out)
    stats = (f"precision {precision:.2f} (at least {MIN_PRECISION:g}), recall {recall:.2f} "
             f"(at least {MIN_RECALL:g}), energy distance {max(distance, 0.0):.2g} (at most "
             f"{MAX_ENERGY_DISTANCE:g})")
    problems = []
    if precision < MIN_PRECISION:
        problems.append("too many samples fall where the data have no mass (too spread out, "
                        "or not denoised)")
    if recall < MIN_RECALL:
        problems.append("the samples miss part of the data (too concentrated, or a mode is "
                        "missing)")
    if distance > MAX_ENERGY_DISTANCE:
        problems.append("the modes' positions or proportions are off")
    if problems:
        return False, f"{stats}: " + "; ".join(problems)
    return True, stats


# ---------------------------------------------------------------- grader-side reference
class _EpsMLP(nn.Module):
    """eps_theta(x, t): an MLP on [x, 2 t / T - 1]."""

    def __init__(self, T: int, width: int = 128) -> None:
        super().__init__()
        self.T = T
        self.net = nn.Sequential(nn.Linear(3, width), nn.SiLU(), nn.Linear(width, width),
                                 nn.SiLU(), nn.Linear(width, width), nn.SiLU(),
                                 nn.Linear(width, 2))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        tt = (2 * t.to(x.dtype) / self.T - 1).unsqueeze(1)
        return self.net(torch.cat([x, tt], dim=1))


def ddpm_train_and_sample(x_train: torch.Tensor, betas: torch.Tensor, n_samples: int, seed: int,
                          steps: int = 1500, batch_size: int = 256,
                          lr: float = 2e-3) -> torch.Tensor:
    """Reference (never sent to students, never run by the fixtures: the judge decides): train
    :class:`_EpsMLP` with Adam on ``L_simple`` (``reference.diffusion.l_simple_loss``), then
    sample with Algorithm 2 (``reference.diffusion.ddpm_sample_loop``)."""
    device = x_train.device
    gen = torch.Generator(device=device).manual_seed(seed)
    betas = betas.to(device)
    T = betas.shape[0]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = _EpsMLP(T).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for _ in range(steps):
        idx = torch.randint(0, x_train.shape[0], (batch_size,), generator=gen, device=device)
        t = torch.randint(0, T, (batch_size,), generator=gen, device=device)
        noise = torch.randn((batch_size, 2), generator=gen, device=device)
        loss = diffusion.l_simple_loss(model, x_train[idx], t, noise, betas)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    with torch.no_grad():
        x_T = torch.randn((n_samples, 2), generator=gen, device=device)
        noises = torch.randn((T, n_samples, 2), generator=gen, device=device)
        return diffusion.ddpm_sample_loop(model, x_T, noises, betas)


SPECS = [
    Spec("U5.9", "ddpm_train_and_sample", ddpm_train_and_sample, _cases, call="outcome",
         judge=judge_samples, statistical=True, points=2),
]
