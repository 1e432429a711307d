"""U5.3 CycleGAN and conditional GANs (lecture "So Many GANs": text to image, Cycle GAN;
Zhu et al., 2017, "Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial
Networks"; Reed et al., 2016, text-conditioned GANs; Mirza & Osindero, 2014, conditional GANs).

* Two generators G: X -> Y and F: Y -> X. The cycle-consistency loss (Zhu eq. 2) asks that
  translating there and back returns the input:
  ``L_cyc = E_x ||F(G(x)) - x||_1 + E_y ||G(F(y)) - y||_1``, weighted by lambda = 10 in the full
  objective. Following the paper's code (``nn.L1Loss``), each norm is the *mean* absolute error
  over all elements.
* A conditional generator gets its condition concatenated to the noise: ``[z, onehot(y)]`` for
  a class label, ``[z, phi(t)]`` for a text embedding phi(t).
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

Fn = Callable[[torch.Tensor], torch.Tensor]


def l1(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean absolute error over all elements; 0-d tensor."""
    assert a.shape == b.shape
    return (a - b).abs().mean()


def cycle_consistency_loss(x: torch.Tensor, y: torch.Tensor, G: Fn, F_: Fn,
                           lam: float = 10.0) -> torch.Tensor:
    """``lam * (mean|F(G(x)) - x| + mean|G(F(y)) - y|)``; G: X -> Y, F_: Y -> X. 0-d tensor."""
    return lam * (l1(F_(G(x)), x) + l1(G(F_(y)), y))


def cycle_consistency_loss_linear(x: torch.Tensor, y: torch.Tensor, g_weight: torch.Tensor,
                                  f_weight: torch.Tensor, lam: float = 10.0) -> torch.Tensor:
    """The cycle loss for linear translators ``G(x) = x @ g_weight.T`` and
    ``F(y) = y @ f_weight.T``. x (B, dx), y (B', dy), g_weight (dy, dx), f_weight (dx, dy)."""
    assert g_weight.shape == (y.shape[-1], x.shape[-1]) and f_weight.shape == g_weight.T.shape
    return cycle_consistency_loss(x, y, lambda a: a @ g_weight.T, lambda b: b @ f_weight.T, lam)


def lsgan_generator_loss(d_fake: torch.Tensor) -> torch.Tensor:
    """CycleGAN's adversarial term for a generator (least squares, Zhu sec. 7):
    ``mean (D(G(x)) - 1)^2``."""
    return ((d_fake - 1) ** 2).mean()


def cyclegan_generator_loss(d_y_fake: torch.Tensor, d_x_fake: torch.Tensor,
                            cycle: torch.Tensor, lam: float = 1.0) -> torch.Tensor:
    """Full generator objective: LSGAN terms for both directions plus ``lam * cycle`` (pass
    the unweighted cycle loss, or ``lam = 1`` with an already weighted one)."""
    return lsgan_generator_loss(d_y_fake) + lsgan_generator_loss(d_x_fake) + lam * cycle


def conditional_generator_input(z: torch.Tensor, labels: torch.Tensor,
                                num_classes: int) -> torch.Tensor:
    """``[z, onehot(label)]``: z (B, d_z) float, labels (B,) int64 in [0, num_classes)
    -> (B, d_z + num_classes) in z's dtype and device."""
    assert z.dim() == 2 and labels.shape == z.shape[:1]
    assert not labels.is_floating_point()
    assert bool(((labels >= 0) & (labels < num_classes)).all())
    onehot = F.one_hot(labels.long(), num_classes).to(dtype=z.dtype, device=z.device)
    return torch.cat([z, onehot], dim=1)


def text_conditioned_input(z: torch.Tensor, text_embedding: torch.Tensor) -> torch.Tensor:
    """``[z, phi(t)]`` for a text-to-image generator: (B, d_z), (B, d_t) -> (B, d_z + d_t)."""
    assert z.dim() == 2 and text_embedding.shape[0] == z.shape[0]
    return torch.cat([z, text_embedding.to(z.dtype)], dim=1)
