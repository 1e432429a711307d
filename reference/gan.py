"""U5.1 The GAN objective (lecture "Generative Adversarial Networks"; Goodfellow et al., 2014).

The value function of the two-player game, with D(x) the probability that x is real:

    V(G, D) = E_{x~P_data}[log D(x)] + E_{z~p(z)}[log(1 - D(G(z)))]

* the discriminator ascends V (we minimise ``-V``: binary cross-entropy, real = 1, fake = 0);
* the generator descends V; in practice (slides, "improved objective") it ascends
  ``log D(G(z))`` instead: the *non-saturating* loss ``-E[log D(G(z))]``;
* for a fixed G the optimal discriminator is ``D*(x) = P_data(x) / (P_data(x) + P_G(x))`` and
  ``max_D V = V(G, D*) = -2 log 2 + 2 JSD(P_data || P_G)``.

Losses take *logits* (pre-sigmoid scores) and use ``log sigmoid(a) = -softplus(-a)`` and
``log(1 - sigmoid(a)) = -softplus(a)``, exact in floating point even where ``sigmoid`` rounds
to 0 or 1. Discrete-distribution helpers use ``xlogy`` so that ``0 log 0 = 0``. Logarithms are
natural (nats).
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

LOG2 = math.log(2.0)


# ---------------------------------------------------------------- value function and losses
def gan_value(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """V(G, D) from discriminator *probabilities*: ``mean log d_real + mean log(1 - d_fake)``.

    d_real: (M,) D(x) on real samples, d_fake: (N,) D(G(z)) on generated ones, all in (0, 1).
    Returns a 0-d tensor. (For training use the logit forms below.)
    """
    return torch.log(d_real).mean() + torch.log1p(-d_fake).mean()


def gan_value_from_logits(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """V(G, D) with D = sigmoid(logits), computed stably; 0-d tensor."""
    return -F.softplus(-real_logits).mean() - F.softplus(fake_logits).mean()


def gan_discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The discriminator's loss ``-V(G, D)``: BCE with target 1 on real, 0 on fake; 0-d tensor.

    real_logits: (M,) logits of D on a real minibatch; fake_logits: (N,) on a generated one.
    ``-[mean log D(x) + mean log(1 - D(G(z)))] = mean softplus(-real) + mean softplus(fake)``.
    """
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def gan_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss ``-mean log D(G(z)) = mean softplus(-fake)``; 0-d tensor."""
    return F.softplus(-fake_logits).mean()


def gan_generator_loss_minimax(fake_logits: torch.Tensor) -> torch.Tensor:
    """The original (saturating) generator objective ``mean log(1 - D(G(z)))``, to be
    *minimised*; its gradient vanishes where D confidently rejects the fakes."""
    return -F.softplus(fake_logits).mean()


# ---------------------------------------------------------------- one training step each
def discriminator_step(D: nn.Module, G: nn.Module, opt_d: torch.optim.Optimizer,
                       x_real: torch.Tensor, z: torch.Tensor) -> float:
    """Step 1 of the slides' algorithm: G fixed, one optimiser step of D on ``-V``.

    D maps (B, ...) to logits (B,) or (B, 1); G maps noise z (B, d_z) to samples. Returns the loss.
    """
    with torch.no_grad():
        x_fake = G(z)  # G is fixed: no gradient flows into it
    D.zero_grad(set_to_none=True)
    loss = gan_discriminator_loss(D(x_real).reshape(-1), D(x_fake).reshape(-1))
    loss.backward()
    opt_d.step()
    return float(loss.detach())


def generator_step(D: nn.Module, G: nn.Module, opt_g: torch.optim.Optimizer,
                   z: torch.Tensor) -> float:
    """Step 2: D fixed, one optimiser step of G on the non-saturating loss. Returns the loss.

    Gradients reach D's parameters too (they are discarded: only ``opt_g`` steps, and D's
    gradients are cleared here and at the start of :func:`discriminator_step`).
    """
    G.zero_grad(set_to_none=True)
    loss = gan_generator_loss(D(G(z)).reshape(-1))
    loss.backward()
    opt_g.step()
    D.zero_grad(set_to_none=True)
    return float(loss.detach())


def gan_train_step(d_weight: torch.Tensor, d_bias: torch.Tensor, g_weight: torch.Tensor,
                   g_bias: torch.Tensor, x_real: torch.Tensor, z: torch.Tensor, lr: float,
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """One discriminator step then one generator step (plain SGD, learning rate ``lr``) for a
    linear logistic discriminator and a linear generator, as a pure function of tensors:

        D(x) = sigmoid(x @ d_weight + d_bias)     d_weight (d,), d_bias ()      x (B, d)
        G(z) = z @ g_weight.T + g_bias            g_weight (d, k), g_bias (d,)  z (B, k)

    The D step uses ``gan_discriminator_loss`` with G's output treated as a constant; the G step
    uses ``gan_generator_loss`` through the *updated* D. The same z is used in both steps.
    Returns the updated ``(d_weight, d_bias, g_weight, g_bias)``; inputs are not modified.
    """
    assert x_real.dim() == 2 and z.dim() == 2 and x_real.shape[0] == z.shape[0]
    d, k = g_weight.shape
    assert d_weight.shape == (d,) and d_bias.dim() == 0 and g_bias.shape == (d,)
    assert z.shape[1] == k and x_real.shape[1] == d
    dev, dt = x_real.device, x_real.dtype
    Dm = nn.Linear(d, 1).to(device=dev, dtype=dt)
    Gm = nn.Linear(k, d).to(device=dev, dtype=dt)
    with torch.no_grad():
        Dm.weight.copy_(d_weight.reshape(1, d))
        Dm.bias.copy_(d_bias.reshape(1))
        Gm.weight.copy_(g_weight)
        Gm.bias.copy_(g_bias)
    discriminator_step(Dm, Gm, torch.optim.SGD(Dm.parameters(), lr=lr), x_real, z)
    generator_step(Dm, Gm, torch.optim.SGD(Gm.parameters(), lr=lr), z)
    return (Dm.weight.detach().reshape(d).clone(), Dm.bias.detach().reshape(()).clone(),
            Gm.weight.detach().clone(), Gm.bias.detach().clone())


# ---------------------------------------------------------------- discrete distributions
def _check_dist(p: torch.Tensor) -> None:
    assert p.dim() >= 1 and bool((p >= 0).all()), "a distribution has non-negative entries"


def optimal_discriminator(p_data: torch.Tensor, p_g: torch.Tensor) -> torch.Tensor:
    """``D*(x) = p_data(x) / (p_data(x) + p_G(x))`` elementwise over a finite sample space.

    p_data, p_g: (..., K) probabilities over K outcomes (last axis). Where both are 0 the value
    of D there does not affect V; we return 1/2.
    """
    _check_dist(p_data), _check_dist(p_g)
    total = p_data + p_g
    half = torch.full_like(total, 0.5)
    return torch.where(total > 0, p_data / torch.where(total > 0, total, 1.0), half)


def gan_value_discrete(p_data: torch.Tensor, p_g: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """``V(G, D) = sum_x p_data(x) log D(x) + p_G(x) log(1 - D(x))`` over the last axis, with
    ``0 log 0 = 0``; shape ``p_data.shape[:-1]``."""
    return (torch.xlogy(p_data, d) + torch.xlogy(p_g, 1 - d)).sum(-1)


def kl_discrete(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """``KL(p || q) = sum p log(p / q)`` over the last axis (nats), ``0 log 0 = 0``."""
    return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(-1)


def jsd(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """Jensen-Shannon divergence ``1/2 KL(p || m) + 1/2 KL(q || m)``, ``m = (p + q)/2``, in nats
    over the last axis. Between 0 and log 2. (``scipy.spatial.distance.jensenshannon`` returns
    its square root.)"""
    _check_dist(p), _check_dist(q)
    m = 0.5 * (p + q)
    return 0.5 * kl_discrete(p, m) + 0.5 * kl_discrete(q, m)


def max_discriminator_value(p_data: torch.Tensor, p_g: torch.Tensor) -> torch.Tensor:
    """``max_D V(G, D) = V(G, D*) = -2 log 2 + 2 JSD(p_data || p_G)`` over the last axis."""
    return -2 * LOG2 + 2 * jsd(p_data, p_g)


# ---------------------------------------------------------------- scalar helpers for the quiz
def optimal_discriminator_value(p_data: float, p_g: float) -> float:
    """D*(x) for one outcome with probabilities ``p_data`` and ``p_g`` (a float)."""
    assert p_data >= 0 and p_g >= 0
    return 0.5 if p_data + p_g == 0 else p_data / (p_data + p_g)


def max_value_from_probs(p_data: list[float], p_g: list[float]) -> float:
    """``max_D V`` for two finite distributions given as lists of floats (float64 maths)."""
    return float(max_discriminator_value(torch.tensor(p_data, dtype=torch.float64),
                                         torch.tensor(p_g, dtype=torch.float64)))
