"""Assignment 5's training question (syllabus row U5.9, building on U5.7-U5.8), graded by outcome.

A student trains a tiny DDPM on 2-D toy data; the grader judges the trained network, on data it
never hands out. ``ddpm_train_and_sample(x_train (N, 2), betas (T,), seed)`` must train the
epsilon-network :class:`EpsNet` (fixed architecture, given in the notebook; the student chooses
its width and the optimiser) with Algorithm 1 (``L_simple``, t uniform over all T steps) on
``x_train`` and return ``dict(model.state_dict())``, every random draw taken from ``seed``.

The data are mixtures of 2-D Gaussians drawn from the case's generator; ``N_SAMPLES`` held-out
points of the same mixture and a judge seed (``case.secret``) never leave the grader. The judge
loads the weights into its own :class:`EpsNet` and checks the method in two steps:

1. **held-out L_simple**: on its own triples (every held-out x_0 ``LOSS_REPEATS`` times, t and eps
   from the judge seed), the network's L_simple must be at most ``MAX_LOSS_RATIO`` times that of
   the best possible noise predictor, E[eps | x_t], which is closed-form for a known Gaussian
   mixture (:func:`optimal_eps`): an independent oracle no network can beat. A network that was
   not trained on this data with this objective (untrained, x_0 regressed, trained on a fitted
   Gaussian, on a few memorised points, only at small t, on other data) is far off;
2. **samples**: the judge runs Algorithm 2 (``reference.diffusion.ddpm_sample_loop``, sigma_t^2 =
   beta-tilde) with the network from its own x_T and noises and compares the samples Y with the
   held-out points X (:func:`judge_samples`):

   * **precision** (Kynkaanniemi et al., 2019, "Improved precision and recall"): the fraction of
     samples inside the data's support, the union of balls around each held-out point with
     radius its distance to its ``K``-th nearest held-out neighbour;
   * **recall**: the same with the roles swapped;
   * the **energy distance** (Szekely & Rizzo; unbiased U-statistic form)
     ``D = 2 E|X - Y| - E|X - X'| - E|Y - Y'|``, which catches wrong proportions and positions of
     the modes that the two local statistics ignore;

   a case passes when precision >= ``MIN_PRECISION``, recall >= ``MIN_RECALL``, D <=
   ``MAX_ENERGY_DISTANCE``, and at most ``MAX_COPIED`` of the samples are copies of training points.

Calibration (``benchmarks/outcome_calibration.py`` runs the notebook's solution over 20 seeds;
``tests/assignments/test_hw5_training.py`` re-measures it, ``tests/assignments/
test_outcome_cheats.py`` the shortcuts). The notebook's solution (1500 Adam steps, ~2 s of CPU per
case on an idle core): 40 of 40 cases pass over 20 seeds, loss ratio 1.02-1.05, precision >=
0.96, recall >= 0.98, D <= 0.013; a correct alternative (width 96, AdamW at a constant rate,
2500 steps of 128) 1.03-1.05 on 3 seeds. Shortcuts, loss ratio: untrained 2.8-3.5, x_0
regressed 3.7-5.0, trained only at t < T/4 2.4-3.4, trained on the moment-matched Gaussian
1.3-1.5, 200 steps only 1.18-1.23 (or its samples fail).
"""
from __future__ import annotations

import math
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
N_SAMPLES = 2000  # held-out points, and samples the judge draws
LOSS_REPEATS = 4  # (t, eps) draws per held-out point for the held-out L_simple
MAX_LOSS_RATIO = 1.15  # held-out L_simple / the optimal denoiser's (module doc)
MAX_WIDTH = 1024
EPS_KEYS = ("net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias", "net.4.weight",
            "net.4.bias", "net.6.weight", "net.6.bias")


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
          stds: torch.Tensor, weights: torch.Tensor, betas: torch.Tensor, n_train: int) -> Case:
    x_train = mixture_of_gaussians(gen, n_train, centres, stds, weights)
    held_out = mixture_of_gaussians(gen, N_SAMPLES, centres, stds, weights)
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen))
    judge_seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen))
    return Case(name, args=(x_train, betas, seed), hidden=hidden,
                secret={"held_out": held_out, "x_train": x_train, "betas": betas,
                        "seed": judge_seed, "centres": centres, "stds": stds,
                        "weights": weights / weights.sum()})


def _cases(gen: torch.Generator) -> list[Case]:
    corners = torch.tensor([[-1.5, -1.5], [-1.5, 1.5], [1.5, -1.5], [1.5, 1.5]])
    four = _case(gen, "four_blobs_T50", False,
                 centres=corners + 0.3 * torch.randn(4, 2, generator=gen),
                 stds=0.25 + 0.15 * torch.rand(4, generator=gen), weights=torch.ones(4),
                 betas=diffusion.linear_beta_schedule(50, 1e-3, 0.2), n_train=2000)
    angle = 2 * torch.pi * (torch.rand(1, generator=gen) + torch.arange(3) / 3)
    three = _case(gen, "three_unequal_blobs_T100", True,
                  centres=1.8 * torch.stack([angle.cos(), angle.sin()], dim=1),
                  stds=0.2 + 0.2 * torch.rand(3, generator=gen),
                  weights=torch.tensor([0.6, 0.3, 0.1]),
                  betas=diffusion.linear_beta_schedule(100, 1e-4, 0.1), n_train=3000)
    return [four, three]


# ---------------------------------------------------------------- the network students train
class EpsNet(nn.Module):
    """eps_theta(x_t, t) for 2-D data: an MLP with three SiLU hidden layers of ``width`` units on
    [x_t, 2 t / T - 1], t the 0-based step index. The notebook gives students the same class."""

    def __init__(self, T: int, width: int = 128) -> None:
        super().__init__()
        self.T = T
        self.net = nn.Sequential(nn.Linear(3, width), nn.SiLU(), nn.Linear(width, width),
                                 nn.SiLU(), nn.Linear(width, width), nn.SiLU(),
                                 nn.Linear(width, 2))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        time = (2 * t.to(x.dtype) / self.T - 1).unsqueeze(1)
        return self.net(torch.cat([x, time], dim=1))


def load_eps_net(value: Any, T: int) -> tuple[EpsNet | None, str]:
    """An :class:`EpsNet` for ``T`` steps holding the returned weights, or None and why not."""
    if not isinstance(value, dict):
        return None, f"expected dict(model.state_dict()) of an EpsNet, not {type(value).__name__}"
    missing = [k for k in EPS_KEYS if k not in value]
    extra = sorted(set(value) - set(EPS_KEYS))
    if missing or extra:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + \
                ([f"unexpected {', '.join(extra)}"] if extra else [])
        return None, "the weights are not those of EpsNet (" + "; ".join(parts) + ")"
    if not all(isinstance(value[k], torch.Tensor) and value[k].is_floating_point()
               for k in EPS_KEYS):
        return None, "every entry must be a floating-point tensor"
    w0 = value["net.0.weight"]
    if w0.dim() != 2 or not 1 <= w0.shape[0] <= MAX_WIDTH:
        return None, (f"net.0.weight must be (width, 3) with width 1-{MAX_WIDTH}, not "
                      f"{tuple(w0.shape)}")
    width = w0.shape[0]
    shapes = {"net.0.weight": (width, 3), "net.0.bias": (width,),
              "net.2.weight": (width, width), "net.2.bias": (width,),
              "net.4.weight": (width, width), "net.4.bias": (width,),
              "net.6.weight": (2, width), "net.6.bias": (2,)}
    for k, shape in shapes.items():
        if tuple(value[k].shape) != shape:
            return None, f"{k} has shape {tuple(value[k].shape)}, expected {shape}"
        if not bool(torch.isfinite(value[k]).all()):
            return None, f"{k} contains NaN or inf"
    model = EpsNet(T, width)
    model.load_state_dict({k: value[k].detach().to("cpu", torch.float32) for k in shapes})
    return model.eval(), ""


# ---------------------------------------------------------------- held-out L_simple
def held_out_triples(held_out: torch.Tensor, T: int, gen: torch.Generator
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The judge's (x_0, t, eps) triples: every held-out point ``LOSS_REPEATS`` times, t uniform
    over the T steps, eps ~ N(0, I), all from ``gen``."""
    x0 = held_out.detach().to("cpu", torch.float32).repeat(LOSS_REPEATS, 1)
    t = torch.randint(0, T, (x0.shape[0],), generator=gen)
    eps = torch.randn(x0.shape, generator=gen)
    return x0, t, eps


def optimal_eps(x_t: torch.Tensor, t: torch.Tensor, betas: torch.Tensor, centres: torch.Tensor,
                stds: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """E[eps | x_t] under the true data distribution, the mixture sum_k w_k N(mu_k, s_k^2 I):
    given component k, x_t ~ N(sqrt(ab) mu_k, v_k I) with v_k = ab s_k^2 + 1 - ab and
    E[eps | x_t, k] = sqrt(1 - ab) (x_t - sqrt(ab) mu_k) / v_k; the components weighted by their
    posterior responsibilities. The denoiser no network can beat (float64)."""
    ab = diffusion.alpha_bar(betas.to(torch.float64))[t].unsqueeze(1)  # (B, 1)
    x = x_t.to(torch.float64)
    mu = centres.to(torch.float64)  # (K, 2)
    var = ab * stds.to(torch.float64)[None, :] ** 2 + 1 - ab  # (B, K)
    diff = x[:, None, :] - ab.sqrt()[:, :, None] * mu[None]  # (B, K, 2)
    log_r = (weights.to(torch.float64).log()[None] - (diff ** 2).sum(2) / (2 * var)
             - torch.log(var))  # log w_k + log N(x_t; ., var I) up to a constant (d = 2)
    r = torch.softmax(log_r, dim=1)
    return (r[:, :, None] * (1 - ab).sqrt()[:, :, None] * diff / var[:, :, None]).sum(1)


def held_out_losses(model: nn.Module, secret: dict) -> tuple[float, float]:
    """(L_simple of ``model``, L_simple of :func:`optimal_eps`) on the judge's own held-out
    triples: mean squared error per coordinate, as F.mse_loss."""
    betas = secret["betas"]
    gen = torch.Generator().manual_seed(int(secret["seed"]))
    x0, t, eps = held_out_triples(secret["held_out"], betas.shape[0], gen)
    x_t = diffusion.q_sample(x0, t, eps, betas.to(torch.float32))
    with torch.no_grad():
        loss = float((eps.double() - model(x_t, t).double()).pow(2).mean())
    best = optimal_eps(x_t, t, betas, secret["centres"], secret["stds"], secret["weights"])
    return loss, float((eps.double() - best).pow(2).mean())


def judge_samples(value: Any, case: Case) -> tuple[bool, str]:
    """Samples (any producer): pass when ``value`` is an (n, 2) float tensor of finite samples,
    not copied from the training data, with precision, recall and energy distance within bounds
    (module doc). Messages show the statistics (2-3 significant digits) and bounds, never a
    held-out value."""
    held_out, x_train = case.secret["held_out"], case.secret["x_train"]
    n = held_out.shape[0]
    if not isinstance(value, torch.Tensor):
        return False, f"expected a tensor of samples, not {type(value).__name__}"
    if tuple(value.shape) != (n, 2):
        return False, f"expected samples of shape ({n}, 2), not {tuple(value.shape)}"
    if not value.is_floating_point():
        return False, f"expected floating-point samples, not {value.dtype}"
    if not bool(torch.isfinite(value).all()):
        return False, "the samples contain NaN or inf"
    copied = copied_fraction(value, x_train)
    if copied > MAX_COPIED:
        return False, (f"{100 * copied:.0f}% of the samples are copies of training points: "
                       "the network has memorised the training data")
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


def sample_eps_net(model: nn.Module, secret: dict) -> torch.Tensor:
    """Algorithm 2 with the judge's own x_T and noises (``secret["seed"]``, after the loss
    triples' draws), as many samples as held-out points."""
    betas = secret["betas"].to(torch.float32)
    T, n = betas.shape[0], secret["held_out"].shape[0]
    gen = torch.Generator().manual_seed(int(secret["seed"]) + 1)
    x_T = torch.randn((n, 2), generator=gen)
    noises = torch.randn((T, n, 2), generator=gen)
    with torch.no_grad():
        return diffusion.ddpm_sample_loop(model, x_T, noises, betas)


def judge_eps_net(value: Any, case: Case) -> tuple[bool, str]:
    """Pass when the returned EpsNet weights (1) predict the noise on the judge's held-out
    (x_0, t, eps) triples with an L_simple at most ``MAX_LOSS_RATIO`` times the optimal
    denoiser's, and (2) sampled with Algorithm 2 from the judge's own x_T and z, give samples
    that :func:`judge_samples` accepts. Messages show statistics (2-3 significant digits) and
    bounds, never a held-out value."""
    model, why = load_eps_net(value, int(case.secret["betas"].shape[0]))
    if model is None:
        return False, why
    loss, best = held_out_losses(model, case.secret)
    if not math.isfinite(loss):
        return False, "the network's noise predictions contain NaN or inf"
    ratio = loss / best
    loss_text = (f"held-out L_simple {loss:.3g}, {ratio:.3g} x the optimal denoiser's (at most "
                 f"{MAX_LOSS_RATIO:g} x)")
    if ratio > MAX_LOSS_RATIO:
        return False, (f"{loss_text}: the network does not predict the noise added to new data "
                       "(train it with Algorithm 1 at every t)")
    samples = sample_eps_net(model, case.secret)
    if not bool(torch.isfinite(samples).all()):
        return False, f"{loss_text}; Algorithm 2 with the network gives NaN or inf"
    ok, message = judge_samples(samples, case)
    return ok, f"{loss_text}; samples: {message}"


# ---------------------------------------------------------------- grader-side reference
def ddpm_train_and_sample(x_train: torch.Tensor, betas: torch.Tensor, seed: int,
                          steps: int = 1500, batch_size: int = 256,
                          lr: float = 2e-3) -> dict[str, torch.Tensor]:
    """Reference (never sent to students, never run by the fixtures: the judge decides): train
    :class:`EpsNet` with Adam on ``L_simple`` (``reference.diffusion.l_simple_loss``) and a
    cosine learning-rate decay; returns ``dict(model.state_dict())``."""
    device = x_train.device
    gen = torch.Generator(device=device).manual_seed(seed)
    betas = betas.to(device)
    T = betas.shape[0]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = EpsNet(T).to(device)
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
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


SPECS = [
    Spec("U5.9", "ddpm_train_and_sample", ddpm_train_and_sample, _cases, call="outcome",
         judge=judge_eps_net, statistical=True, points=2, repeat=True),
]
