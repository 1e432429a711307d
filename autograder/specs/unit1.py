"""Unit 1 course components (syllabus rows U1.1–U1.5): the perceptron and PLA, linear and
logistic regression, cross-entropy vs. square error, gradient descent.

The first case of each spec is public; the rest are hidden edge cases (batch size 1, saturated
sigmoids, points exactly on the decision boundary, non-square designs, float32 and float64).
"""
from __future__ import annotations

import torch

from reference import gradient_descent, linear_regression, logistic_regression, loss_comparison
from reference import perceptron

from .base import Case, SpecList, Tolerance
from .draw import F32, F64, hidden, public, rand, randint, randn

EXACT = Tolerance(rtol=0.0, atol=0.0)
SPECS = SpecList()


def _separable(gen, n, d, margin=0.3, dtype=F64):
    """n points with a constant first column, labelled ±1 by a random hyperplane, at least
    ``margin`` away from it (so PLA converges)."""
    w_true = randn(gen, d, dtype=dtype)
    X = torch.empty(0, d, dtype=dtype)
    while X.shape[0] < n:
        cand = torch.cat([torch.ones(4 * n, 1, dtype=dtype), randn(gen, 4 * n, d - 1, dtype=dtype)],
                         1)
        cand = cand[(cand @ w_true).abs() / w_true.norm() > margin]
        X = torch.cat([X, cand])
    X = X[:n]
    return X, torch.sign(X @ w_true)


# ---------------------------------------------------------------- U1.1 perceptron + PLA
@SPECS.add("U1.1", "perceptron_predict", perceptron.perceptron_predict, tolerance=EXACT)
def _cases_perceptron_predict(gen):
    X = torch.tensor([[1.0, 2.0], [-1.0, -3.0], [0.5, -0.5], [2.0, 0.0]])
    return [
        public("small", X, torch.tensor([1.0, 1.0]), 0.5),
        hidden("random", randn(gen, 20, 5), randn(gen, 5), 0.3),
        hidden("on_boundary", torch.tensor([[1.0, 1.0], [2.0, -1.0]]), torch.tensor([1.0, 1.0]),
               2.0),
        hidden("one_point_f64", randn(gen, 1, 3, dtype=F64), randn(gen, 3, dtype=F64), -1.0),
    ]


@SPECS.add("U1.1", "pla_train", perceptron.pla_train, points=2)
def _cases_pla_train(gen):
    X, y = _separable(gen, 12, 3)
    X2, y2 = _separable(gen, 40, 5, margin=0.2)
    done, y_done = _separable(gen, 8, 3)
    while not ((y_done > 0).any() and (y_done < 0).any()):  # both classes: a real warm start
        done, y_done = _separable(gen, 8, 3)
    # least squares by the normal equations (a float64 LU solve, bitwise reproducible; LAPACK's
    # least-squares driver is not); the warm start may or may not separate the points already
    w_sep = torch.linalg.solve(done.T @ done, done.T @ (y_done * 10))
    return [
        public("small", X, y, torch.zeros(3, dtype=F64), 100),
        hidden("five_features", X2, y2, torch.zeros(5, dtype=F64), 500),
        hidden("warm_start", done, y_done, w_sep, 100),
        hidden("max_epochs_1", X2, y2, randn(gen, 5, dtype=F64), 1),
        hidden("one_point", X[:1], y[:1], torch.zeros(3, dtype=F64), 10),
    ]


# ---------------------------------------------------------------- U1.2 linear regression
def _regression(gen, n, d, dtype=F64):
    X = torch.cat([torch.ones(n, 1, dtype=dtype), randn(gen, n, d - 1, dtype=dtype)], 1)
    w = randn(gen, d, dtype=dtype)
    return X, X @ w + 0.1 * randn(gen, n, dtype=dtype), randn(gen, d, dtype=dtype)


@SPECS.add("U1.2", "square_loss", linear_regression.square_loss)
def _cases_square_loss(gen):
    X, y, w = _regression(gen, 6, 2)
    X2, y2, w2 = _regression(gen, 50, 7, dtype=F32)
    return [public("small", X, y, w), hidden("float32", X2, y2, w2),
            hidden("one_point", X[:1], y[:1], w), hidden("perfect_fit", X, X @ w, w)]


SPECS.add("U1.2", "square_loss_grad", linear_regression.square_loss_grad)(_cases_square_loss)


@SPECS.add("U1.2", "linear_regression_closed_form", linear_regression.linear_regression_closed_form,
           tolerance=Tolerance(rtol=1e-6, atol=1e-8))
def _cases_closed_form(gen):
    X, y, _ = _regression(gen, 8, 3)
    X2, y2, _ = _regression(gen, 64, 6)
    Xs, ys, _ = _regression(gen, 4, 4)  # square: interpolates
    return [public("small", X, y), hidden("six_features", X2, y2), hidden("square", Xs, ys)]


# ---------------------------------------------------------------- U1.3 logistic regression
@SPECS.add("U1.3", "sigmoid", logistic_regression.sigmoid)
def _cases_sigmoid(gen):
    return [
        public("range", torch.linspace(-6, 6, 13)),
        hidden("saturated", torch.tensor([-1000.0, -100.0, -30.0, 30.0, 100.0, 1000.0])),
        hidden("matrix_f64", randn(gen, 4, 5, dtype=F64) * 10),
        hidden("zero_d", torch.tensor(0.25)),
    ]


@SPECS.add("U1.3", "logistic_predict_proba", logistic_regression.logistic_predict_proba)
def _cases_predict_proba(gen):
    return [
        public("small", randn(gen, 5, 3), randn(gen, 3), 0.5),
        hidden("tensor_bias", randn(gen, 30, 4), randn(gen, 4), randn(gen)),
        # probabilities down to ~1e-40, graded relative to each one (not against atol); logits
        # of |z| ~ 3000 carry float32 rounding of ~3e-4, hence rtol 5e-3
        Case("saturating", args=(randn(gen, 6, 2) * 50, randn(gen, 2) * 50, -3.0),
             tolerance=Tolerance(rtol=5e-3, atol=1e-30)),
        hidden("one_row_f64", randn(gen, 1, 6, dtype=F64), randn(gen, 6, dtype=F64), 0.0),
    ]


def _probs(gen, *shape, dtype=F32):
    return rand(gen, *shape, dtype=dtype) * 0.98 + 0.01


def _labels(gen, *shape, dtype=F32):
    return randint(gen, 0, 2, *shape).to(dtype)


@SPECS.add("U1.3", "bce_loss", logistic_regression.bce_loss,
           tolerance=Tolerance(rtol=1e-5, atol=1e-5))
def _cases_bce(gen):
    return [
        public("small", torch.tensor([0.9, 0.2, 0.6]), torch.tensor([1.0, 0.0, 1.0])),
        hidden("random", _probs(gen, 40), _labels(gen, 40)),
        hidden("certain_and_wrong", torch.tensor([0.0, 1.0, 1.0]), torch.tensor([1.0, 0.0, 1.0])),
        hidden("one_f64", _probs(gen, 1, dtype=F64), _labels(gen, 1, dtype=F64)),
        hidden("matrix", _probs(gen, 4, 3), _labels(gen, 4, 3)),
    ]


@SPECS.add("U1.3", "logistic_grad", logistic_regression.logistic_grad)
def _cases_logistic_grad(gen):
    return [
        public("small", randn(gen, 5, 2), _labels(gen, 5), randn(gen, 2), 0.1),
        hidden("f64", randn(gen, 40, 6, dtype=F64), _labels(gen, 40, dtype=F64),
               randn(gen, 6, dtype=F64), randn(gen, dtype=F64)),
        hidden("saturated", randn(gen, 8, 3) * 30, _labels(gen, 8), randn(gen, 3) * 30, 0.0),
        hidden("one_point", randn(gen, 1, 4), _labels(gen, 1), randn(gen, 4), -0.5),
    ]


# ---------------------------------------------------------------- U1.4 CE vs SE
@SPECS.add("U1.4", "ce_and_se_grads", loss_comparison.ce_and_se_grads)
def _cases_ce_se(gen):
    return [
        public("small", torch.tensor([-8.0, 0.0, 2.0]), torch.tensor([1.0, 1.0, 0.0])),
        # the square error's gradient is ~4e-9 at |z| = 20: float64 (where 1 - p keeps its
        # digits at p -> 1) and graded relative to it, so that zeroing it fails
        Case("saturated_wrong", args=(torch.tensor([-20.0, -10.0, 10.0, 20.0], dtype=F64),
                                      torch.tensor([1.0, 1.0, 0.0, 0.0], dtype=F64)),
             tolerance=Tolerance(rtol=1e-6, atol=1e-15)),
        hidden("random_f64", randn(gen, 25, dtype=F64) * 5, _labels(gen, 25, dtype=F64)),
        hidden("matrix", randn(gen, 3, 4), _labels(gen, 3, 4)),
    ]


# ---------------------------------------------------------------- U1.5 gradient descent
def _spd(gen, d, dtype=F64):
    M = randn(gen, d, d, dtype=dtype)
    return M @ M.T / d + torch.eye(d, dtype=dtype)


@SPECS.add("U1.5", "gradient_descent_quadratic", gradient_descent.gradient_descent_quadratic,
           tolerance=Tolerance(rtol=1e-5, atol=1e-6))
def _cases_gd(gen):
    A, A5 = _spd(gen, 2), _spd(gen, 5)
    return [
        public("converges", A, randn(gen, 2, dtype=F64), torch.zeros(2, dtype=F64), 0.1, 200),
        hidden("few_steps", A5, randn(gen, 5, dtype=F64), randn(gen, 5, dtype=F64), 0.05, 7),
        hidden("zero_steps", A, randn(gen, 2, dtype=F64), randn(gen, 2, dtype=F64), 0.1, 0),
        hidden("one_step_f32", A5.float(), randn(gen, 5), randn(gen, 5), 0.2, 1),
    ]
