"""U5.2 Wasserstein GAN (lecture "WGAN - New Distance / New Formula"; Arjovsky et al., 2017;
gradient penalty: Gulrajani et al., 2017, "Improved Training of Wasserstein GANs").

The critic D (a real-valued score, no sigmoid) estimates the earth mover's distance

    W(P_data, P_G) = max_{D 1-Lipschitz} E_{x~P_data}[D(x)] - E_{x~P_G}[D(x)]

* critic loss (minimised): ``mean D(fake) - mean D(real)``; generator loss: ``-mean D(fake)``;
* 1-Lipschitz by weight clipping (Arjovsky: clamp every parameter to [-c, c] after each critic
  step, c = 0.01) or by the gradient penalty of Gulrajani (Algorithm 1):
  ``x_hat = eps * x_real + (1 - eps) * x_fake``, ``eps ~ U[0, 1]`` per sample,
  ``GP = mean_b (||grad_x D(x_hat_b)||_2 - 1)^2`` (multiplied by lambda = 10 in the loss);
* in one dimension the earth mover's distance between two empirical distributions is the area
  between their CDFs, ``integral |F(t) - G(t)| dt`` (the mean gap between sorted samples when
  the sample sizes are equal).
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn as nn


def wgan_critic_loss(critic_real: torch.Tensor, critic_fake: torch.Tensor) -> torch.Tensor:
    """``mean D(fake) - mean D(real)`` (the negated EMD estimate); 0-d tensor.
    critic_real: (M,) scores on real samples, critic_fake: (N,) on generated ones."""
    return critic_fake.mean() - critic_real.mean()


def wgan_generator_loss(critic_fake: torch.Tensor) -> torch.Tensor:
    """``-mean D(G(z))``; 0-d tensor."""
    return -critic_fake.mean()


def clip_weights_(module: nn.Module, c: float) -> None:
    """Arjovsky's weight clipping, in place: every parameter clamped to ``[-c, c]``."""
    assert c > 0
    with torch.no_grad():
        for p in module.parameters():
            p.clamp_(-c, c)


def wgan_clip_weights(params: list[torch.Tensor], c: float) -> list[torch.Tensor]:
    """Weight clipping as a pure function: a new list of the tensors clamped to ``[-c, c]``."""
    assert c > 0
    return [p.clamp(-c, c) for p in params]


def interpolate(x_real: torch.Tensor, x_fake: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """``x_hat = eps * x_real + (1 - eps) * x_fake``; eps: (B,) one number per sample."""
    assert x_real.shape == x_fake.shape and eps.shape == x_real.shape[:1]
    e = eps.reshape(-1, *([1] * (x_real.dim() - 1)))  # (B, 1, ..., 1)
    return e * x_real + (1 - e) * x_fake


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], x_real: torch.Tensor,
                     x_fake: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """Gulrajani's penalty ``mean_b (||grad_x critic(x_hat)_b||_2 - 1)^2`` (without lambda).

    critic maps (B, ...) to (B,) or (B, 1), each output depending only on its own input row
    (no batch norm). The graph is kept (``create_graph=True``) so the penalty can be
    back-propagated into the critic's parameters. Returns a 0-d tensor.
    """
    x_hat = interpolate(x_real.detach(), x_fake.detach(), eps).requires_grad_(True)
    with torch.enable_grad():
        scores = critic(x_hat).reshape(-1)  # (B,)
        (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    norms = grad.flatten(1).norm(dim=1)  # (B,)
    return ((norms - 1) ** 2).mean()


def mlp_critic(x: torch.Tensor, w1: torch.Tensor, b1: torch.Tensor, w2: torch.Tensor,
               ) -> torch.Tensor:
    """A fixed one-hidden-layer critic used by the graded specs: ``tanh(x @ w1.T + b1) @ w2``.
    x (B, d), w1 (h, d), b1 (h,), w2 (h,) -> (B,)."""
    return torch.tanh(x @ w1.T + b1) @ w2


def gradient_penalty_mlp(x_real: torch.Tensor, x_fake: torch.Tensor, eps: torch.Tensor,
                         w1: torch.Tensor, b1: torch.Tensor, w2: torch.Tensor) -> torch.Tensor:
    """:func:`gradient_penalty` of :func:`mlp_critic` with the given weights; 0-d tensor (with a
    graph back to the weights when any of them requires grad)."""
    gp = gradient_penalty(lambda x: mlp_critic(x, w1, b1, w2), x_real, x_fake, eps)
    return gp if any(w.requires_grad for w in (w1, b1, w2)) else gp.detach()


def wasserstein_1d(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Earth mover's (Wasserstein-1) distance between the empirical distributions of the 1-D
    samples x (n,) and y (m,), each point with equal mass: ``integral |F_x(t) - F_y(t)| dt``.

    All sample values sorted together cut the line into intervals; on each the two empirical
    CDFs are constant. Returns a 0-d tensor in the dtype of x.
    """
    assert x.dim() == 1 and y.dim() == 1 and x.numel() > 0 and y.numel() > 0
    x_sorted, _ = torch.sort(x)
    y_sorted, _ = torch.sort(y.to(x.dtype))
    grid, _ = torch.sort(torch.cat([x_sorted, y_sorted]))  # (n + m,)
    widths = grid[1:] - grid[:-1]  # (n + m - 1,)
    left = grid[:-1]
    cdf_x = torch.searchsorted(x_sorted, left, right=True).to(x.dtype) / x.numel()
    cdf_y = torch.searchsorted(y_sorted, left, right=True).to(x.dtype) / y.numel()
    return (torch.abs(cdf_x - cdf_y) * widths).sum()
