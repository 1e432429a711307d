"""Gradient descent (lecture: "Gradient Descent"): w* = argmin_w L(w) by w ← w − η ∇L(w)."""
from typing import Callable

import torch


def gradient_descent(grad_fn: Callable[[torch.Tensor], torch.Tensor], w0: torch.Tensor,
                     lr: float, steps: int) -> torch.Tensor:
    """Exactly ``steps`` updates from w0."""
    w = w0.clone()
    for _ in range(steps):
        w = w - lr * grad_fn(w)
    return w


def gradient_descent_quadratic(A: torch.Tensor, b: torch.Tensor, w0: torch.Tensor, lr: float,
                               steps: int) -> torch.Tensor:
    """Gradient descent on L(w) = ½ wᵀAw − bᵀw (A symmetric), whose gradient is Aw − b."""
    assert A.shape == (w0.shape[0], w0.shape[0]) and b.shape == w0.shape
    return gradient_descent(lambda w: A @ w - b, w0, lr, steps)
