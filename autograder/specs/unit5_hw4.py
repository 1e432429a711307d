"""Assignment 4's training question (syllabus row U5.5), graded by outcome.

A student trains a tiny VAE on 2-D toy data; the grader judges the trained *generative model*, not
the code. ``train_vae_2d(x_train (N, 2), seed)`` must train a VAE (Gaussian encoder, Gaussian
decoder with a learned log-variance, prior N(0, I)) by maximising the ELBO on ``x_train`` and
return its decoder's weights, ``dict(decoder.state_dict())`` of the fixed architecture
:class:`Decoder2D` (a student may change the hidden width and the latent dimension, nothing
else), every random draw (initialisation, minibatches, eps) taken from ``seed``.

The judge does the generating itself: it loads the weights into :class:`Decoder2D`, draws
``N_SAMPLES`` points from the model, z ~ N(0, I), x = mean(z) + exp(logvar / 2) * noise, with its
own generator, and computes the energy distance (Szekely & Rizzo; unbiased U-statistic form)

    D(P, Q) = 2 E|X - Y| - E|X - X'| - E|Y - Y'|,   X, X' ~ P,  Y, Y' ~ Q

between those samples and held-out data (``case.secret``, never sent to the student) of the same
distribution as ``x_train``. A case passes when the distance is at most ``RELATIVE_THRESHOLD``
times that of the moment-matched Gaussian (:func:`gaussian_baseline`) to the same held-out data,
the best model that knows only the data's first two moments. Since the judge samples from the
prior, returning training points, reconstructions or the decoder means without the decoder's noise
cannot pass for a model.

Data (drawn from the case's generator, each with a random offset so that an untrained decoder,
centred near 0, is far off): a noisy ring (public), three Gaussian blobs of weights 0.6/0.3/0.1
and two interleaved moons (hidden).

Calibration (``tests/assignments/test_hw4_training.py`` re-measures the solution and the gross
failures), as distance / threshold. The moment-matched Gaussian's distance is 0.06-0.10 (ring),
0.12-0.21 (blobs), 0.02-0.036 (moons) over 20 seeds; two independent draws of the data (2000 vs
4000 points) -0.002-0.009. The notebook's solution (1500 Adam steps, ~3/4 of hw5's training time
per case): 60 of 60 cases pass over 20 seeds, ring <= 0.27, blobs <= 0.26, moons <= 0.57 (with
a threshold of 0.5 x the Gaussian, moons reached 0.81: hence 0.7). Other correct solutions on
two_moons: the corpus' alternative (ReLU encoder, wider decoder, step decay) <= 0.60 over 20
seeds, no KL warm-up <= 0.66 and no learning-rate decay <= 0.60 over 10; a constant learning rate
of 1e-3 (under-trained) passes 8 of 10. Typical failures: an untrained decoder (20 and more), no
KL term (7 and more), the KL's sign flipped (1.6 and more), the log-variance used as the standard
deviation (9 and more), no ``zero_grad`` (NaN weights or 400 and more) fail every case. The
decoder's variance left at 1 (an MSE-style VAE) passes 4 of 18 cases (mostly the ring): q8
grades the Gaussian log-likelihood exactly.
"""
from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn as nn

from .base import Case, Spec

# times the moment-matched Gaussian's energy distance (module doc: 0.5 left too little margin)
RELATIVE_THRESHOLD = 0.7
N_TRAIN = 2000
N_HELD_OUT = 4000
N_SAMPLES = 4000
MAX_WIDTH = 1024
MAX_LATENT = 16
LOG_2PI = math.log(2 * math.pi)


# ---------------------------------------------------------------- the decoder students train
class Decoder2D(nn.Module):
    """p(x | z) = N(x; net(z), diag(exp(logvar))) for 2-D data: an MLP with two SiLU hidden
    layers and one learned log-variance per output coordinate. The notebook gives students the
    same class."""

    def __init__(self, latent_dim: int = 2, hidden: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(latent_dim, hidden), nn.SiLU(),
                                 nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, 2))
        self.logvar = nn.Parameter(torch.zeros(2))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


DECODER_KEYS = ("net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias", "net.4.weight",
                "net.4.bias", "logvar")


# ---------------------------------------------------------------- data
def _offset(gen: torch.Generator) -> torch.Tensor:
    """A random centre at distance 1.5-2.5 from the origin."""
    angle = 2 * math.pi * torch.rand(1, generator=gen)
    radius = 1.5 + torch.rand(1, generator=gen)
    return (radius * torch.cat([angle.cos(), angle.sin()])).float()


def _rotation(angle: torch.Tensor) -> torch.Tensor:
    c, s = float(angle.cos()), float(angle.sin())
    return torch.tensor([[c, -s], [s, c]])


def ring(gen: torch.Generator, n: int, centre: torch.Tensor, radius: float,
         width: float) -> torch.Tensor:
    """n points (n, 2) float32 of a noisy ring: angle uniform, distance N(radius, width^2)."""
    angle = 2 * math.pi * torch.rand(n, generator=gen)
    r = radius + width * torch.randn(n, generator=gen)
    return centre + torch.stack([r * angle.cos(), r * angle.sin()], dim=1)


def blobs(gen: torch.Generator, n: int, centres: torch.Tensor, stds: torch.Tensor,
          weights: torch.Tensor) -> torch.Tensor:
    """n points (n, 2) float32 of the mixture sum_k weights_k N(centres_k, stds_k^2 I)."""
    k = torch.multinomial(weights / weights.sum(), n, replacement=True, generator=gen)
    return centres[k] + stds[k].reshape(-1, 1) * torch.randn(n, 2, generator=gen)


def moons(gen: torch.Generator, n: int, centre: torch.Tensor, rotation: torch.Tensor,
          scale: float, noise: float) -> torch.Tensor:
    """n points (n, 2) float32 of two interleaved half circles (scikit-learn's make_moons
    shape, centred), rotated, scaled and shifted, with Gaussian noise of std ``noise`` before
    scaling."""
    which = torch.randint(0, 2, (n, 1), generator=gen)
    angle = math.pi * torch.rand(n, generator=gen)
    upper = torch.stack([angle.cos(), angle.sin()], dim=1)
    lower = torch.stack([1 - angle.cos(), 0.5 - angle.sin()], dim=1)
    x = torch.where(which == 0, upper, lower) - torch.tensor([0.5, 0.25])
    x = x + noise * torch.randn(n, 2, generator=gen)
    return centre + scale * x @ rotation.T


def _draw(gen: torch.Generator, kind: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(x_train, held_out) of one toy distribution whose parameters are drawn from gen."""
    centre = _offset(gen)
    if kind == "ring":
        radius = 1.8 + 0.8 * float(torch.rand(1, generator=gen))
        width = 0.12 + 0.1 * float(torch.rand(1, generator=gen))

        def draw(n):
            return ring(gen, n, centre, radius, width)
    elif kind == "blobs":
        angle = 2 * math.pi * (torch.rand(1, generator=gen) + torch.arange(3) / 3)
        centres = centre + 1.8 * torch.stack([angle.cos(), angle.sin()], dim=1)
        stds = 0.2 + 0.2 * torch.rand(3, generator=gen)
        weights = torch.tensor([0.6, 0.3, 0.1])

        def draw(n):
            return blobs(gen, n, centres, stds, weights)
    elif kind == "moons":
        rot = _rotation(2 * math.pi * torch.rand(1, generator=gen))
        scale = 1.5 + 0.5 * float(torch.rand(1, generator=gen))

        def draw(n):
            return moons(gen, n, centre, rot, scale, 0.1)
    else:
        raise ValueError(kind)
    return draw(N_TRAIN).float(), draw(N_HELD_OUT).float()


def gaussian_baseline(x_train: torch.Tensor, n: int, gen: torch.Generator) -> torch.Tensor:
    """n samples (n, 2) of the moment-matched Gaussian N(mean(x_train), cov(x_train)): the
    best model that ignores every structure of the data but its first two moments."""
    x = x_train.detach().to("cpu", torch.float64)
    chol = torch.linalg.cholesky(torch.cov(x.T))
    return (x.mean(0) + torch.randn(n, 2, generator=gen, dtype=torch.float64) @ chol.T).float()


def _case(gen: torch.Generator, name: str, kind: str, hidden: bool) -> Case:
    x_train, held_out = _draw(gen, kind)
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen))
    judge_seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen))
    baseline = energy_distance(gaussian_baseline(x_train, N_SAMPLES, gen), held_out)
    return Case(name, args=(x_train, seed), hidden=hidden,
                secret={"held_out": held_out, "seed": judge_seed,
                        "threshold": RELATIVE_THRESHOLD * baseline})


def _cases(gen: torch.Generator) -> list[Case]:
    return [_case(gen, "ring", "ring", hidden=False),
            _case(gen, "three_unequal_blobs", "blobs", hidden=True),
            _case(gen, "two_moons", "moons", hidden=True)]


# ---------------------------------------------------------------- judge
def energy_distance(x: torch.Tensor, y: torch.Tensor) -> float:
    """Unbiased energy distance between the empirical distributions of x (n, d) and y (m, d),
    computed in float64 on the CPU."""
    x = x.detach().to("cpu", torch.float64)
    y = y.detach().to("cpu", torch.float64)
    n, m = x.shape[0], y.shape[0]
    xy = torch.cdist(x, y).mean()
    xx = torch.cdist(x, x).sum() / (n * (n - 1))
    yy = torch.cdist(y, y).sum() / (m * (m - 1))
    return float(2 * xy - xx - yy)


def load_decoder(value: Any) -> tuple[Decoder2D | None, str]:
    """A :class:`Decoder2D` holding the returned weights, or None and why not."""
    if not isinstance(value, dict):
        return None, (f"expected dict(decoder.state_dict()) of a Decoder2D, not "
                      f"{type(value).__name__}")
    missing = [k for k in DECODER_KEYS if k not in value]
    extra = sorted(set(value) - set(DECODER_KEYS))
    if missing or extra:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + \
                ([f"unexpected {', '.join(extra)}"] if extra else [])
        return None, ("the weights are not those of Decoder2D (" + "; ".join(parts) + ")")
    if not all(isinstance(value[k], torch.Tensor) and value[k].is_floating_point()
               for k in DECODER_KEYS):
        return None, "every entry must be a floating-point tensor"
    w0 = value["net.0.weight"]
    if w0.dim() != 2:
        return None, f"net.0.weight must be (hidden, latent_dim), not {tuple(w0.shape)}"
    hidden, latent = w0.shape
    if not (1 <= hidden <= MAX_WIDTH and 1 <= latent <= MAX_LATENT):
        return None, (f"hidden width {hidden} / latent dimension {latent} out of range "
                      f"(1-{MAX_WIDTH} / 1-{MAX_LATENT})")
    shapes = {"net.0.weight": (hidden, latent), "net.0.bias": (hidden,),
              "net.2.weight": (hidden, hidden), "net.2.bias": (hidden,),
              "net.4.weight": (2, hidden), "net.4.bias": (2,), "logvar": (2,)}
    for k, shape in shapes.items():
        if tuple(value[k].shape) != shape:
            return None, f"{k} has shape {tuple(value[k].shape)}, expected {shape}"
        if not bool(torch.isfinite(value[k]).all()):
            return None, f"{k} contains NaN or inf"
    decoder = Decoder2D(latent, hidden)
    decoder.load_state_dict({k: value[k].detach().to("cpu", torch.float32) for k in shapes})
    return decoder, ""


def sample_decoder(decoder: Decoder2D, n: int, gen: torch.Generator) -> torch.Tensor:
    """n samples of the model: z ~ N(0, I), x = net(z) + exp(logvar / 2) * noise."""
    latent = decoder.net[0].in_features
    with torch.no_grad():
        z = torch.randn(n, latent, generator=gen)
        noise = torch.randn(n, 2, generator=gen)
        return decoder(z) + torch.exp(0.5 * decoder.logvar) * noise


def judge_decoder(value: Any, case: Case) -> tuple[bool, str]:
    """Pass when the returned Decoder2D weights define a model whose samples are within
    the case's threshold of the held-out data in energy distance. Messages show the statistic (3
    significant digits) and the threshold, never a held-out value."""
    threshold = float(case.secret["threshold"])
    decoder, why = load_decoder(value)
    if decoder is None:
        return False, why
    samples = sample_decoder(decoder, N_SAMPLES, torch.Generator().manual_seed(
        int(case.secret["seed"])))
    if not bool(torch.isfinite(samples).all()):
        return False, "samples from the decoder contain NaN or inf"
    d = energy_distance(samples, case.secret["held_out"])
    shown = max(d, 0.0)  # the unbiased estimate can dip below 0 by sampling noise
    if d <= threshold:
        return True, (f"energy distance between the model's samples and held-out data "
                      f"{shown:.3g} (at most {threshold:.3g} passes)")
    return False, (f"energy distance between the model's samples and held-out data {shown:.3g}, "
                   f"above the {threshold:.3g} that passes: the decoder does not turn prior "
                   "samples into the data distribution")


# ---------------------------------------------------------------- grader-side reference
class _Encoder(nn.Module):
    def __init__(self, latent_dim: int = 2, hidden: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, hidden), nn.SiLU(), nn.Linear(hidden, hidden),
                                 nn.SiLU(), nn.Linear(hidden, 2 * latent_dim))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.net(x).chunk(2, dim=1)
        return mu, logvar


def train_vae_2d(x_train: torch.Tensor, seed: int, steps: int = 1500, batch_size: int = 256,
                 lr: float = 1e-2, warmup: int = 500) -> dict[str, torch.Tensor]:
    """Reference (never sent to students, never run by the fixtures: the judge decides): Adam on
    the negative ELBO (Gaussian decoder with learned log-variance, closed-form KL), cosine
    learning-rate decay; returns ``dict(decoder.state_dict())``."""
    device = x_train.device
    gen = torch.Generator(device=device).manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        encoder, decoder = _Encoder().to(device), Decoder2D().to(device)
    params = [*encoder.parameters(), *decoder.parameters()]
    opt = torch.optim.Adam(params, lr=lr, fused=True)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for step in range(steps):
        x = x_train[torch.randint(0, x_train.shape[0], (batch_size,), generator=gen,
                                  device=device)]
        mu, logvar = encoder(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=gen, device=device)
        mean = decoder(z)
        log_px = -0.5 * ((x - mean) ** 2 * torch.exp(-decoder.logvar) + decoder.logvar
                         + LOG_2PI).sum(1)
        kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(1)
        beta = min(1.0, (step + 1) / warmup) if warmup else 1.0  # KL warm-up
        loss = (beta * kl - log_px).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return {k: v.detach().clone() for k, v in decoder.state_dict().items()}


SPECS = [
    Spec("U5.5", "train_vae_2d", train_vae_2d, _cases, call="outcome", judge=judge_decoder,
         statistical=True, points=3),
]
