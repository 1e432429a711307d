"""Cross-entropy vs. square error at a sigmoid output (lecture: "Cross Entropy vs. Square Error").

With p = σ(z): d/dz CE = p − y, while d/dz (p − y)² = 2(p − y) p (1 − p). Far from the target
(p ≈ 0 while y = 1) the factor p(1 − p) makes the square error's gradient vanish, so training
with cross-entropy moves faster.
"""
import torch

from .logistic_regression import sigmoid


def ce_and_se_grads(z: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    p = sigmoid(z)
    return p - y, 2 * (p - y) * p * (1 - p)
