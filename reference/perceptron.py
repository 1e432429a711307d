"""The perceptron and the Perceptron Learning Algorithm (lecture: "The Perceptron",
"Simple Learning - PLA"; Rosenblatt 1958).

h(x) = sign(Σ_i w_i x_i − threshold); PLA picks a misclassified point (sign(wᵀx_i) ≠ y_i) and
updates w ← w + y_i x_i. On linearly separable data it stops after finitely many updates.
"""
import torch


def perceptron_predict(X: torch.Tensor, w: torch.Tensor, threshold: float) -> torch.Tensor:
    """±1 labels, shape (N,), in X's dtype. A score of exactly 0 counts as +1."""
    assert X.dim() == 2 and w.shape == (X.shape[1],)
    score = X @ w - threshold  # (N,)
    one = torch.ones_like(score)
    return torch.where(score >= 0, one, -one)


def pla_train(X: torch.Tensor, y: torch.Tensor, w0: torch.Tensor, max_epochs: int) -> torch.Tensor:
    """PLA sweeping the points in index order; X already holds a constant column.

    A point is misclassified when y_i wᵀx_i ≤ 0 (a point on the boundary counts as a mistake);
    the update happens immediately. Stops after an epoch without mistakes or after max_epochs.
    """
    N, d = X.shape
    assert y.shape == (N,) and w0.shape == (d,)
    w = w0.clone()
    for _ in range(max_epochs):
        mistakes = 0
        for i in range(N):
            if y[i] * (X[i] @ w) <= 0:
                w = w + y[i] * X[i]
                mistakes += 1
        if mistakes == 0:
            break
    return w


def pla_update(w: torch.Tensor, x: torch.Tensor, y: float) -> torch.Tensor:
    """One PLA update on the point (x, y): w + y x if it is misclassified, else w."""
    return w + y * x if float(y * (x @ w)) <= 0 else w.clone()
