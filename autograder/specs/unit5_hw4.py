"""Assignment 4's training question (syllabus row U5.5), graded by outcome.

A student trains a tiny VAE on 2-D toy data; the grader judges the trained encoder and decoder on
data it never hands out. ``train_vae_2d(x_train (N, 2), seed)`` must train a VAE (Gaussian
encoder, Gaussian decoder with a learned log-variance, prior N(0, I)) by maximising the ELBO on
``x_train`` and return both networks' weights, ``{"encoder": dict(encoder.state_dict()),
"decoder": dict(decoder.state_dict())}`` of the fixed architectures :class:`Encoder2D` and
:class:`Decoder2D` (a student may change the hidden widths and the latent dimension, nothing
else), every random draw (initialisation, minibatches, eps) taken from ``seed``.

The judge loads the weights into its own classes and checks the method in two steps, with
held-out data of the same distribution as ``x_train`` and a judge seed (``case.secret``, never
sent to the student):

1. **held-out ELBO**: the one-sample ELBO of every held-out point, with the judge's own eps
   (``ELBO_REPEATS`` draws), the KL in closed form, must be at most ``MAX_ELBO_GAP`` nats per
   point below the mean log-density of the data themselves (:func:`log_density`, exact for the
   ring and the blobs, quadrature for the moons): an independent yardstick (the ELBO bounds the
   model's log-likelihood, which on average cannot exceed the data's own). A decoder trained
   without its encoder (energy distance, a GAN), an untrained encoder, an autoencoder without
   the KL term are far off;
2. **samples**: the judge draws ``N_SAMPLES`` points from the model, z ~ N(0, I), x = mean(z) +
   exp(logvar / 2) * noise, and computes the energy distance (Szekely & Rizzo; unbiased
   U-statistic form) ``D(P, Q) = 2 E|X - Y| - E|X - X'| - E|Y - Y'|`` between those samples and
   the held-out data. It must be at most ``RELATIVE_THRESHOLD`` times that of the moment-matched
   Gaussian (:func:`gaussian_baseline`), the best model that knows only the data's first two
   moments (a collapsed VAE is that Gaussian).

Data (drawn from the case's generator, each with a random offset so that an untrained decoder,
centred near 0, is far off): a noisy ring (public), three Gaussian blobs of weights 0.6/0.3/0.1
and two interleaved moons (hidden).

Calibration (``benchmarks/outcome_calibration.py`` runs the notebook's solution over 20 seeds;
``tests/assignments/test_hw4_training.py`` re-measures it, ``tests/assignments/
test_outcome_cheats.py`` the shortcuts). The notebook's solution: 60 of 60 cases pass over 20
seeds, held-out ELBO gap 0.50-0.85 nats (ring), 0.36-0.56 (blobs), 0.33-0.57 (moons), energy
distance / threshold <= 0.24, 0.22, 0.69. Held-out ELBO gaps of others: the moment-matched
Gaussian's log-likelihood 0.89-2.2 (moons lowest), a correct alternative (other widths,
epochs, step decay) 0.56-1.04 on 2 seeds (hence 1.5, not the 1.25 first tried); shortcuts: an
untrained VAE 2.6 and more, 150 training steps 1.4 and more, a decoder trained on the energy
distance with an untrained encoder 2.3 and more, no KL term 11 and more.
Energy distance / threshold (previous calibration, unchanged): the moment-matched Gaussian's
distance is 0.06-0.10 (ring), 0.12-0.21 (blobs), 0.02-0.036 (moons) over 20 seeds; the notebook's
solution ring <= 0.27, blobs <= 0.26, moons <= 0.57 of the threshold; an untrained decoder 20 and
more, no KL term 7 and more, the KL's sign flipped 1.6 and more, the log-variance used as the
standard deviation 9 and more. The decoder's variance left at 1 (an MSE-style VAE) fails most
cases: q8 grades the Gaussian log-likelihood exactly.
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
MOONS_NOISE = 0.1
MOONS_NODES = 2000  # quadrature nodes per half circle of the moons' density
ELBO_REPEATS = 2  # eps draws per held-out point for the held-out ELBO
MAX_ELBO_GAP = 1.5  # nats per point below the data's own log-density (module doc)


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


class Encoder2D(nn.Module):
    """q(z | x) = N(mu(x), diag(exp(logvar(x)))) for 2-D data: an MLP with two SiLU hidden
    layers whose output is split into (mu, logvar). The notebook gives students the same class."""

    def __init__(self, latent_dim: int = 2, hidden: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, hidden), nn.SiLU(), nn.Linear(hidden, hidden),
                                 nn.SiLU(), nn.Linear(hidden, 2 * latent_dim))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.net(x).chunk(2, dim=1)
        return mu, logvar


ENCODER_KEYS = ("net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias", "net.4.weight",
                "net.4.bias")
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


def _draw(gen: torch.Generator, kind: str) -> tuple[torch.Tensor, torch.Tensor, dict]:
    """(x_train, held_out, the distribution's parameters) of one toy distribution whose
    parameters are drawn from gen."""
    centre = _offset(gen)
    if kind == "ring":
        radius = 1.8 + 0.8 * float(torch.rand(1, generator=gen))
        width = 0.12 + 0.1 * float(torch.rand(1, generator=gen))
        params = {"kind": kind, "centre": centre, "radius": radius, "width": width}

        def draw(n):
            return ring(gen, n, centre, radius, width)
    elif kind == "blobs":
        angle = 2 * math.pi * (torch.rand(1, generator=gen) + torch.arange(3) / 3)
        centres = centre + 1.8 * torch.stack([angle.cos(), angle.sin()], dim=1)
        stds = 0.2 + 0.2 * torch.rand(3, generator=gen)
        weights = torch.tensor([0.6, 0.3, 0.1])
        params = {"kind": kind, "centres": centres, "stds": stds, "weights": weights}

        def draw(n):
            return blobs(gen, n, centres, stds, weights)
    elif kind == "moons":
        rot = _rotation(2 * math.pi * torch.rand(1, generator=gen))
        scale = 1.5 + 0.5 * float(torch.rand(1, generator=gen))
        params = {"kind": kind, "centre": centre, "rotation": rot, "scale": scale,
                  "noise": MOONS_NOISE}

        def draw(n):
            return moons(gen, n, centre, rot, scale, MOONS_NOISE)
    else:
        raise ValueError(kind)
    return draw(N_TRAIN).float(), draw(N_HELD_OUT).float(), params


def _normal_logpdf(x: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    return -0.5 * ((x - mean) / std) ** 2 - torch.log(std) - 0.5 * LOG_2PI


def log_density(x: torch.Tensor, params: dict) -> torch.Tensor:
    """log p_data(x) (n,) float64 of the toy distribution ``params`` (from :func:`_draw`): the
    ring in polar coordinates (a radius N(radius, width^2) at a uniform angle: density
    [N(rho) + N(-rho)] / (2 pi rho)), the blobs as their mixture, the moons by quadrature over
    each half circle's angle (``MOONS_NODES`` midpoints) of the isotropic noise around it."""
    x = x.detach().to("cpu", torch.float64)
    kind = params["kind"]
    if kind == "ring":
        rho = torch.linalg.vector_norm(x - params["centre"].double(), dim=1)
        radius = torch.tensor(float(params["radius"]), dtype=torch.float64)
        width = torch.tensor(float(params["width"]), dtype=torch.float64)
        radial = torch.logaddexp(_normal_logpdf(rho, radius, width),
                                 _normal_logpdf(-rho, radius, width))
        return radial - torch.log(2 * math.pi * rho)
    if kind == "blobs":
        stds = params["stds"].double()[None, :]
        sq = ((x[:, None, :] - params["centres"].double()[None]) ** 2).sum(2)
        comp = -sq / (2 * stds ** 2) - 2 * torch.log(stds) - LOG_2PI  # 2-D isotropic normal
        return torch.logsumexp(comp + params["weights"].double().log()[None], dim=1)
    if kind == "moons":
        scale, noise = float(params["scale"]), float(params["noise"])
        # back to the unit moons: u = R^T (x - centre) / scale + (0.5, 0.25)
        u = (x - params["centre"].double()) @ params["rotation"].double() / scale
        u = u + torch.tensor([0.5, 0.25], dtype=torch.float64)
        a = (torch.arange(MOONS_NODES, dtype=torch.float64) + 0.5) * math.pi / MOONS_NODES
        arcs = torch.cat([torch.stack([a.cos(), a.sin()], 1),
                          torch.stack([1 - a.cos(), 0.5 - a.sin()], 1)])  # (2 M, 2)
        sq = torch.cdist(u, arcs) ** 2
        comp = -sq / (2 * noise ** 2) - 2 * math.log(noise) - LOG_2PI
        # each arc has probability 1/2, its angle is uniform: mean over the 2 M nodes
        return torch.logsumexp(comp, dim=1) - math.log(2 * MOONS_NODES) - 2 * math.log(scale)
    raise ValueError(kind)


def gaussian_baseline(x_train: torch.Tensor, n: int, gen: torch.Generator) -> torch.Tensor:
    """n samples (n, 2) of the moment-matched Gaussian N(mean(x_train), cov(x_train)): the
    best model that ignores every structure of the data but its first two moments."""
    x = x_train.detach().to("cpu", torch.float64)
    chol = torch.linalg.cholesky(torch.cov(x.T))
    return (x.mean(0) + torch.randn(n, 2, generator=gen, dtype=torch.float64) @ chol.T).float()


def _case(gen: torch.Generator, name: str, kind: str, hidden: bool) -> Case:
    x_train, held_out, params = _draw(gen, kind)
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen))
    judge_seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen))
    baseline = energy_distance(gaussian_baseline(x_train, N_SAMPLES, gen), held_out)
    return Case(name, args=(x_train, seed), hidden=hidden,
                secret={"held_out": held_out, "seed": judge_seed, "density": params,
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


def _check_mlp(value: Any, what: str, keys: tuple[str, ...], shapes_of) -> tuple[str, tuple]:
    """"" and (hidden, latent) when ``value`` holds the weights of ``what`` (``keys``, shapes
    ``shapes_of(hidden, latent)``, widths in range), else why not."""
    if not isinstance(value, dict):
        return f"expected dict({what.lower()}.state_dict()), not {type(value).__name__}", ()
    missing = [k for k in keys if k not in value]
    extra = sorted(set(value) - set(keys))
    if missing or extra:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + \
                ([f"unexpected {', '.join(extra)}"] if extra else [])
        return f"the weights are not those of {what} (" + "; ".join(parts) + ")", ()
    if not all(isinstance(value[k], torch.Tensor) and value[k].is_floating_point() for k in keys):
        return f"every entry of the {what} weights must be a floating-point tensor", ()
    w0, w4 = value["net.0.weight"], value["net.4.weight"]
    if w0.dim() != 2 or w4.dim() != 2:
        return f"{what} net.0.weight and net.4.weight must be matrices", ()
    hidden = w0.shape[0]
    latent = w0.shape[1] if what == "Decoder2D" else w4.shape[0] // 2
    if not (1 <= hidden <= MAX_WIDTH and 1 <= latent <= MAX_LATENT):
        return (f"{what} hidden width {hidden} / latent dimension {latent} out of range "
                f"(1-{MAX_WIDTH} / 1-{MAX_LATENT})"), ()
    for k, shape in shapes_of(hidden, latent).items():
        if tuple(value[k].shape) != shape:
            return f"{what} {k} has shape {tuple(value[k].shape)}, expected {shape}", ()
        if not bool(torch.isfinite(value[k]).all()):
            return f"{what} {k} contains NaN or inf", ()
    return "", (hidden, latent)


def _decoder_shapes(hidden: int, latent: int) -> dict[str, tuple[int, ...]]:
    return {"net.0.weight": (hidden, latent), "net.0.bias": (hidden,),
            "net.2.weight": (hidden, hidden), "net.2.bias": (hidden,),
            "net.4.weight": (2, hidden), "net.4.bias": (2,), "logvar": (2,)}


def _encoder_shapes(hidden: int, latent: int) -> dict[str, tuple[int, ...]]:
    return {"net.0.weight": (hidden, 2), "net.0.bias": (hidden,),
            "net.2.weight": (hidden, hidden), "net.2.bias": (hidden,),
            "net.4.weight": (2 * latent, hidden), "net.4.bias": (2 * latent,)}


def _cpu32(value: dict, keys: tuple[str, ...]) -> dict[str, torch.Tensor]:
    return {k: value[k].detach().to("cpu", torch.float32) for k in keys}


def load_decoder(value: Any) -> tuple[Decoder2D | None, str]:
    """A :class:`Decoder2D` holding the returned weights, or None and why not."""
    why, dims = _check_mlp(value, "Decoder2D", DECODER_KEYS, _decoder_shapes)
    if why:
        return None, why
    hidden, latent = dims
    decoder = Decoder2D(latent, hidden)
    decoder.load_state_dict(_cpu32(value, DECODER_KEYS))
    return decoder, ""


def load_vae(value: Any) -> tuple[tuple[Encoder2D, Decoder2D] | None, str]:
    """(Encoder2D, Decoder2D) holding ``{"encoder": ..., "decoder": ...}``, or None and why not."""
    if not isinstance(value, dict) or set(value) != {"encoder", "decoder"}:
        got = sorted(value) if isinstance(value, dict) else type(value).__name__
        return None, ('expected {"encoder": dict(encoder.state_dict()), "decoder": '
                      f'dict(decoder.state_dict())}}, not {got}')
    decoder, why = load_decoder(value["decoder"])
    if decoder is None:
        return None, why
    why, dims = _check_mlp(value["encoder"], "Encoder2D", ENCODER_KEYS, _encoder_shapes)
    if why:
        return None, why
    hidden, latent = dims
    if latent != decoder.net[0].in_features:
        return None, (f"the encoder's latent dimension {latent} is not the decoder's "
                      f"{decoder.net[0].in_features}")
    encoder = Encoder2D(latent, hidden)
    encoder.load_state_dict(_cpu32(value["encoder"], ENCODER_KEYS))
    return (encoder, decoder), ""


def held_out_elbo(encoder: Encoder2D, decoder: Decoder2D, x: torch.Tensor,
                  gen: torch.Generator) -> torch.Tensor:
    """The one-sample ELBO (n,) float64 of every point of x, averaged over ``ELBO_REPEATS`` draws
    of eps from ``gen``: log N(x; net(z), diag(exp(logvar))) - KL(q(z|x) || N(0, I)) with
    z = mu(x) + exp(logvar(x) / 2) eps, the KL in closed form."""
    x = x.detach().to("cpu", torch.float32)
    with torch.no_grad():
        mu, logvar = encoder(x)
        kl = -0.5 * (1 + logvar.double() - mu.double() ** 2 - logvar.double().exp()).sum(1)
        dec_logvar = decoder.logvar.double()
        total = torch.zeros(x.shape[0], dtype=torch.float64)
        for _ in range(ELBO_REPEATS):
            eps = torch.randn(mu.shape, generator=gen)
            mean = decoder(mu + torch.exp(0.5 * logvar) * eps).double()
            total += -0.5 * ((x.double() - mean) ** 2 * torch.exp(-dec_logvar) + dec_logvar
                             + LOG_2PI).sum(1)
    return total / ELBO_REPEATS - kl


def sample_decoder(decoder: Decoder2D, n: int, gen: torch.Generator) -> torch.Tensor:
    """n samples of the model: z ~ N(0, I), x = net(z) + exp(logvar / 2) * noise."""
    latent = decoder.net[0].in_features
    with torch.no_grad():
        z = torch.randn(n, latent, generator=gen)
        noise = torch.randn(n, 2, generator=gen)
        return decoder(z) + torch.exp(0.5 * decoder.logvar) * noise


def judge_vae(value: Any, case: Case) -> tuple[bool, str]:
    """Pass when the returned Encoder2D and Decoder2D weights (1) reach a held-out ELBO, with the
    judge's own eps, at most ``MAX_ELBO_GAP`` nats per point below the data's own log-density,
    and (2) define a model whose samples are within the case's threshold of the held-out data in
    energy distance. Messages show statistics (3 significant digits) and bounds, never a
    held-out value."""
    vae, why = load_vae(value)
    if vae is None:
        return False, why
    encoder, decoder = vae
    held_out, secret = case.secret["held_out"], case.secret
    gen = torch.Generator().manual_seed(int(secret["seed"]))
    elbo = held_out_elbo(encoder, decoder, held_out, gen)
    gap = float(log_density(held_out, secret["density"]).mean() - elbo.mean())
    if not math.isfinite(gap):
        return False, "the held-out ELBO is NaN or inf"
    gap_text = (f"held-out ELBO {max(gap, 0.0):.3g} nats per point below the data's "
                f"log-density (at most {MAX_ELBO_GAP:g})")
    if gap > MAX_ELBO_GAP:
        return False, (f"{gap_text}: the encoder and decoder do not explain new data (train "
                       "both together by maximising the ELBO)")
    samples = sample_decoder(decoder, N_SAMPLES, gen)
    if not bool(torch.isfinite(samples).all()):
        return False, f"{gap_text}; samples from the decoder contain NaN or inf"
    threshold = float(secret["threshold"])
    d = energy_distance(samples, held_out)
    shown = max(d, 0.0)  # the unbiased estimate can dip below 0 by sampling noise
    if d <= threshold:
        return True, (f"{gap_text}; energy distance between the model's samples and held-out "
                      f"data {shown:.3g} (at most {threshold:.3g} passes)")
    return False, (f"{gap_text}; energy distance between the model's samples and held-out data "
                   f"{shown:.3g}, above the {threshold:.3g} that passes: the decoder does not "
                   "turn prior samples into the data distribution")


# ---------------------------------------------------------------- grader-side reference
def train_vae_2d(x_train: torch.Tensor, seed: int, steps: int = 1500, batch_size: int = 256,
                 lr: float = 1e-2, warmup: int = 500) -> dict[str, torch.Tensor]:
    """Reference (never sent to students, never run by the fixtures: the judge decides): Adam on
    the negative ELBO (Gaussian decoder with learned log-variance, closed-form KL), cosine
    learning-rate decay; returns both networks' weights, ``{"encoder": ..., "decoder": ...}``."""
    device = x_train.device
    gen = torch.Generator(device=device).manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        encoder, decoder = Encoder2D().to(device), Decoder2D().to(device)
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
    return {"encoder": {k: v.detach().clone() for k, v in encoder.state_dict().items()},
            "decoder": {k: v.detach().clone() for k, v in decoder.state_dict().items()}}


SPECS = [
    Spec("U5.5", "train_vae_2d", train_vae_2d, _cases, call="outcome", judge=judge_vae,
         statistical=True, points=3, repeat=True),
]
