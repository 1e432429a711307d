"""Oracle tests for unit 1 (U1.1–U1.5): each reference checked against something that is not
itself — a PyTorch built-in, autograd, a closed form or a hand-worked example."""
import pytest
import torch
import torch.nn.functional as F

from autograder.specs import specs_for_row
from reference.gradient_descent import gradient_descent_quadratic
from reference.linear_regression import (linear_regression_closed_form, square_loss,
                                         square_loss_grad)
from reference.logistic_regression import bce_loss, logistic_grad, logistic_predict_proba, sigmoid
from reference.loss_comparison import ce_and_se_grads
from reference.perceptron import perceptron_predict, pla_train, pla_update

F64 = torch.float64


@pytest.mark.oracle("U1.1")
def test_perceptron_predict_hand_example():
    X = torch.tensor([[1.0, 2.0], [-1.0, -3.0], [1.0, 1.0]])
    assert perceptron_predict(X, torch.tensor([1.0, 1.0]), 2.0).tolist() == [1.0, -1.0, 1.0]


@pytest.mark.oracle("U1.1")
def test_pla_update_rule_by_hand_and_convergence_on_separable_data():
    w = torch.tensor([0.0, 1.0, -1.0])
    x = torch.tensor([1.0, 2.0, 3.0])  # score -1, label +1: misclassified
    assert pla_update(w, x, 1.0).tolist() == [1.0, 3.0, 2.0]
    assert pla_update(w, x, -1.0).tolist() == w.tolist()  # already right: unchanged
    gen = torch.Generator().manual_seed(0)
    for _ in range(20):
        w_true = torch.randn(4, generator=gen, dtype=F64)
        X = torch.cat([torch.ones(60, 1, dtype=F64), torch.randn(60, 3, generator=gen, dtype=F64)], 1)
        X = X[(X @ w_true).abs() > 0.2]
        y = torch.sign(X @ w_true)
        w = pla_train(X, y, torch.zeros(4, dtype=F64), 10_000)
        assert torch.equal(torch.sign(X @ w), y)  # zero training errors (Novikoff)


@pytest.mark.oracle("U1.2")
def test_closed_form_matches_lstsq_and_gradient_matches_autograd():
    gen = torch.Generator().manual_seed(1)
    X = torch.randn(30, 5, generator=gen, dtype=F64)
    y = torch.randn(30, generator=gen, dtype=F64)
    w_star = linear_regression_closed_form(X, y)
    assert torch.allclose(w_star, torch.linalg.lstsq(X, y).solution, atol=1e-12)
    w = torch.randn(5, generator=gen, dtype=F64, requires_grad=True)
    square_loss(X, y, w).backward()
    assert torch.allclose(square_loss_grad(X, y, w.detach()), w.grad, atol=1e-12)
    assert torch.allclose(square_loss_grad(X, y, w_star), torch.zeros(5, dtype=F64), atol=1e-10)


@pytest.mark.oracle("U1.3")
def test_bce_and_sigmoid_match_torch_and_gradient_matches_autograd():
    gen = torch.Generator().manual_seed(2)
    z = torch.randn(100, generator=gen, dtype=F64) * 50
    assert torch.allclose(sigmoid(z), torch.sigmoid(z), atol=1e-15)
    assert sigmoid(torch.tensor([-1000.0, 1000.0])).tolist() == [0.0, 1.0]
    p = torch.rand(50, generator=gen, dtype=F64)
    y = torch.randint(0, 2, (50,), generator=gen).to(F64)
    assert torch.allclose(bce_loss(p, y), F.binary_cross_entropy(p, y), atol=1e-12)
    edge = torch.tensor([0.0, 1.0, 1.0])
    assert torch.allclose(bce_loss(edge, torch.tensor([1.0, 0.0, 1.0])),
                          F.binary_cross_entropy(edge, torch.tensor([1.0, 0.0, 1.0])))
    X = torch.randn(20, 3, generator=gen, dtype=F64)
    w = torch.randn(3, generator=gen, dtype=F64, requires_grad=True)
    b = torch.tensor(0.3, dtype=F64, requires_grad=True)
    F.binary_cross_entropy(torch.sigmoid(X @ w + b), y[:20]).backward()
    dw, db = logistic_grad(X, y[:20], w.detach(), b.detach())
    assert torch.allclose(dw, w.grad, atol=1e-12) and torch.allclose(db, b.grad, atol=1e-12)
    assert torch.allclose(logistic_predict_proba(X, w.detach(), 0.3), torch.sigmoid(X @ w.detach() + 0.3))


@pytest.mark.oracle("U1.3")
def test_logistic_gradient_passes_gradcheck():
    """The hand-written gradient, wrapped as a backward, agrees with finite differences."""
    X = torch.randn(8, 3, dtype=F64)
    y = torch.randint(0, 2, (8,)).to(F64)

    class Loss(torch.autograd.Function):
        @staticmethod
        def forward(ctx, w, b):
            ctx.save_for_backward(w, b)
            return bce_loss(torch.sigmoid(X @ w + b), y)

        @staticmethod
        def backward(ctx, g):
            w, b = ctx.saved_tensors
            dw, db = logistic_grad(X, y, w, b)
            return g * dw, g * db

    assert torch.autograd.gradcheck(Loss.apply, (torch.randn(3, dtype=F64, requires_grad=True),
                                                 torch.randn((), dtype=F64, requires_grad=True)))


@pytest.mark.oracle("U1.4")
def test_ce_and_se_gradients_match_autograd_and_se_vanishes_when_saturated():
    z = torch.tensor([-12.0, -3.0, 0.0, 2.5, 9.0], dtype=F64, requires_grad=True)
    y = torch.tensor([1.0, 0.0, 1.0, 0.0, 0.0], dtype=F64)
    p = torch.sigmoid(z)
    ce = F.binary_cross_entropy(p, y, reduction="sum")
    (g_ce,) = torch.autograd.grad(ce, z)
    (g_se,) = torch.autograd.grad(((torch.sigmoid(z) - y) ** 2).sum(), z)
    ours_ce, ours_se = ce_and_se_grads(z.detach(), y)
    assert torch.allclose(ours_ce, g_ce, atol=1e-10) and torch.allclose(ours_se, g_se, atol=1e-10)
    assert abs(float(ours_ce[0])) > 1e4 * abs(float(ours_se[0]))  # far from target: SE stalls


@pytest.mark.oracle("U1.5")
def test_gradient_descent_reaches_the_analytic_minimum_and_one_step_is_exact():
    A = torch.tensor([[4.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 2.0]], dtype=F64)
    b = torch.tensor([1.0, -2.0, 0.5], dtype=F64)
    w0 = torch.tensor([3.0, 3.0, -3.0], dtype=F64)
    assert torch.allclose(gradient_descent_quadratic(A, b, w0, 0.2, 500), torch.linalg.solve(A, b), atol=1e-10)
    assert torch.allclose(gradient_descent_quadratic(A, b, w0, 0.2, 1), w0 - 0.2 * (A @ w0 - b))
    assert torch.equal(gradient_descent_quadratic(A, b, w0, 0.2, 0), w0)


@pytest.mark.parametrize("row", ["U1.1", "U1.2", "U1.3", "U1.4", "U1.5"])
def test_specs_are_deterministic_and_finite(row):
    specs = specs_for_row(row)
    assert specs
    for spec in specs:
        a, b = spec.cases(7), spec.cases(7)
        for ca, cb in zip(a, b):
            for xa, xb in zip(ca.args, cb.args):
                if isinstance(xa, torch.Tensor):
                    assert torch.equal(xa, xb)
            out = spec.expected(ca)
            outs = out if isinstance(out, (tuple, list)) else [out]
            for o in outs:
                if isinstance(o, torch.Tensor):
                    assert torch.isfinite(o).all(), (spec.name, ca.name)


@pytest.mark.oracle("U1.2")
def test_square_loss_is_the_mean_of_squared_residuals_written_out():
    """L(w) = (1/N) Σ_n (wᵀx_n − y_n)², summed in Python floats, for every case of the spec."""
    spec = specs_for_row("U1.2")
    square = next(s for s in spec if s.name == "square_loss")
    for case in square.cases(13):
        X, y, w = case.args
        residuals = [sum(float(a) * float(b) for a, b in zip(row, w)) - float(t)
                     for row, t in zip(X, y)]
        closed = sum(r * r for r in residuals) / len(residuals)
        got = float(square.expected(case))
        assert got == pytest.approx(closed, rel=1e-5, abs=1e-12), case.name
    X = torch.tensor([[1.0, 2.0], [1.0, -1.0], [1.0, 0.0]], dtype=F64)
    y = torch.tensor([3.0, 0.0, 2.0], dtype=F64)
    w = torch.tensor([1.0, 1.0], dtype=F64)
    assert float(square_loss(X, y, w)) == pytest.approx((0 + 0 + 1) / 3)  # residuals 0, 0, -1
