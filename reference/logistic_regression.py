"""Logistic regression and binary cross-entropy (lecture: "Cost Function",
"Cost Function - Cross Entropy").

P_{w,b}(C₁|x) = σ(z), z = w·x + b, σ(z) = 1/(1 + exp(−z));
l(f(x), ŷ) = −[ŷ ln f(x) + (1 − ŷ) ln(1 − f(x))]; ∂L/∂w = Xᵀ(p − y)/N, ∂L/∂b = mean(p − y).
"""
import torch


def sigmoid(z: torch.Tensor) -> torch.Tensor:
    """σ(z) without overflow: exp is only ever taken of −|z|."""
    e = torch.exp(-z.abs())
    return torch.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def logistic_predict_proba(X: torch.Tensor, w: torch.Tensor, b) -> torch.Tensor:
    return sigmoid(X @ w + b)  # (N,)


def bce_loss(p: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy; each log clamped at −100 as F.binary_cross_entropy does."""
    log_p = torch.log(p).clamp(min=-100.0)
    log_1mp = torch.log1p(-p).clamp(min=-100.0)
    return -(y * log_p + (1 - y) * log_1mp).mean()


def logistic_grad(X: torch.Tensor, y: torch.Tensor, w: torch.Tensor, b):
    """(∂L/∂w (d,), ∂L/∂b 0-d) of the mean cross-entropy of σ(Xw + b)."""
    N = X.shape[0]
    r = sigmoid(X @ w + b) - y  # (N,) dl/dz for every point
    return X.T @ r / N, r.mean()
