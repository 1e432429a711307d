"""Linear regression with the square loss (lecture: "Classification vs. Regression").

h(x) = wᵀx; L(w) = (1/N) Σ_n (wᵀx_n − y_n)²; ∇L = (2/N) Xᵀ(Xw − y); the minimiser solves the
normal equations XᵀX w = Xᵀy.
"""
import torch


def linear_predict(X: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return X @ w  # (N, d) @ (d,) -> (N,)


def square_loss(X: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Mean square loss, a 0-d tensor."""
    return ((X @ w - y) ** 2).mean()


def square_loss_grad(X: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """∇_w of the mean square loss, shape (d,)."""
    N = X.shape[0]
    return (2.0 / N) * X.T @ (X @ w - y)


def linear_regression_closed_form(X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """w* from the normal equations (XᵀX must be invertible)."""
    assert torch.linalg.matrix_rank(X) == X.shape[1], "X must have full column rank"
    return torch.linalg.solve(X.T @ X, X.T @ y)
