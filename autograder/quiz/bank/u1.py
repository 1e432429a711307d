"""U1: learning basics: perceptron, linear and logistic regression, cross-entropy vs square error,
gradient descent."""
from __future__ import annotations

import torch

from reference import (gradient_descent, linear_regression, logistic_regression, loss_comparison,
                       perceptron)

from ..question import Redraw, fmt, mc, numeric, short, tf
from ..registry import generator
from .common import M, T, rf, ri, vec

_BOUNDARY = "(a point with y·(w·x) ≤ 0, the boundary included, counts as misclassified)"


@generator("U1.1", "perceptron")
def u1_pla_update(rng):
    w = [ri(rng, -3, 3) for _ in range(3)]
    x = [1] + [ri(rng, -3, 3) for _ in range(2)]
    y = rng.choice([-1, 1])
    new = perceptron.pla_update(T(*w), T(*x), float(y))
    return short(f"A perceptron has weights w = {vec(w)} (the first input is the constant 1). "
                 f"PLA visits the point x = {vec(x)} with label y = {y:+d} {_BOUNDARY}. Give w "
                 f"after this one PLA step, as (w0, w1, w2).", vec(new.tolist()), w=w, x=x, y=y)


@generator("U1.1", "perceptron")
def u1_pla_update_component(rng):
    w = [ri(rng, -3, 3) for _ in range(3)]
    x = [1] + [ri(rng, -3, 3) for _ in range(2)]
    y = rng.choice([-1, 1])
    new = perceptron.pla_update(T(*w), T(*x), float(y))
    if torch.equal(new, T(*w)):
        raise Redraw("want a misclassified point")
    i = ri(rng, 1, 2)
    return numeric(f"w = {vec(w)}, point x = {vec(x)} (x0 = 1), label y = {y:+d} {_BOUNDARY}. "
                   f"After one PLA update, what is w{i}?", new[i], integer=True, w=w, x=x, y=y, i=i)


@generator("U1.1", "perceptron")
def u1_perceptron_predict(rng):
    w = [rf(rng, -2, 2) for _ in range(2)]
    x = [ri(rng, -3, 3) for _ in range(2)]
    th = rf(rng, -2, 2)
    if abs(sum(a * b for a, b in zip(w, x)) - th) < 0.05:
        raise Redraw("too close to the boundary")
    pred = float(perceptron.perceptron_predict(T(*x)[None], T(*w), th)[0])
    return tf(f"A perceptron h(x) = sign(w·x − threshold) with w = {vec(w)} and threshold "
              f"{fmt(th)} outputs +1 for x = {vec(x)}.", pred > 0, w=w, x=x, threshold=th)


@generator("U1.2", "linear regression")
def u1_square_loss(rng):
    X = [[1, ri(rng, -2, 3)] for _ in range(3)]
    y = [ri(rng, -3, 3) for _ in range(3)]
    w = [rf(rng, -1, 1), rf(rng, -2, 2)]
    loss = linear_regression.square_loss(M(X), T(*y), T(*w))
    return numeric(f"Linear model h(x) = wᵀx with w = {vec(w)}. Data (x, y): "
                   + ", ".join(f"({vec(xi)}, {yi})" for xi, yi in zip(X, y))
                   + ". What is the mean square loss (1/N) Σ (h(x) − y)²?", loss, X=X, y=y, w=w)


@generator("U1.2", "linear regression")
def u1_square_loss_grad(rng):
    X = [[1, ri(rng, -2, 3)] for _ in range(3)]
    y = [ri(rng, -3, 3) for _ in range(3)]
    w = [rf(rng, -1, 1), rf(rng, -2, 2)]
    j = ri(rng, 0, 1)
    g = linear_regression.square_loss_grad(M(X), T(*y), T(*w))[j]
    return numeric(f"Linear model h(x) = wᵀx, w = {vec(w)}, mean square loss L = (1/N) Σ (h(x) − "
                   f"y)². Data (x, y): " + ", ".join(f"({vec(xi)}, {yi})" for xi, yi in zip(X, y))
                   + f". What is ∂L/∂w{j}?", g, X=X, y=y, w=w, j=j)


@generator("U1.2", "linear regression")
def u1_least_squares_slope(rng):
    xs = sorted(rng.sample(range(-3, 5), 3))
    y = [ri(rng, -4, 6) for _ in range(3)]
    X = [[1, x] for x in xs]
    w = linear_regression.linear_regression_closed_form(M(X), T(*y))
    return numeric("Fit h(x) = w0 + w1·x by least squares (closed form) to the points (x, y) = "
                   + ", ".join(f"({x}, {yi})" for x, yi in zip(xs, y)) + ". What is the slope w1?",
                   w[1], xs=xs, y=y)


@generator("U1.3", "logistic regression")
def u1_sigmoid(rng):
    w, x, b = [rf(rng, -2, 2) for _ in range(2)], [rf(rng, -2, 2) for _ in range(2)], rf(rng, -1, 1)
    p = logistic_regression.logistic_predict_proba(T(*x)[None], T(*w), b)[0]
    return numeric(f"Logistic regression P(C1 | x) = σ(w·x + b) with w = {vec(w)}, b = {fmt(b)}. "
                   f"What is P(C1 | x) for x = {vec(x)}?", p, w=w, x=x, b=b)


@generator("U1.3", "logistic regression")
def u1_bce(rng):
    p = [round(rng.uniform(0.05, 0.95), 2) for _ in range(3)]
    y = [rng.choice([0, 1]) for _ in range(3)]
    loss = logistic_regression.bce_loss(T(*p), T(*y))
    return numeric(f"Predicted probabilities p = {vec(p)} for labels y = {vec(y)}. What is the "
                   f"mean binary cross-entropy (natural log)?", loss, p=p, y=y)


@generator("U1.3", "logistic regression")
def u1_bce_mc(rng):
    p = [round(rng.uniform(0.05, 0.95), 2) for _ in range(2)]
    y = [1, 0]
    bce = logistic_regression.bce_loss
    good = bce(T(*p), T(*y))
    wrong = [sum(bce(T(pi), T(yi)) for pi, yi in zip(p, y)),  # summed, not averaged
             bce(T(*p), 1 - T(*y)),  # labels swapped
             bce(T(*p), T(1, 1))]  # every example treated as positive
    return mc(rng, f"Two examples: p = {vec(p)}, y = {vec(y)}. The mean binary cross-entropy "
              f"(natural log) is:", fmt(good), [fmt(v) for v in wrong], p=p, y=y)


@generator("U1.3", "logistic regression")
def u1_logistic_grad_b(rng):
    X = [[rf(rng, -2, 2)] for _ in range(2)]
    y = [1, 0]
    w, b = rf(rng, -1.5, 1.5), rf(rng, -1, 1)
    _, gb = logistic_regression.logistic_grad(M(X), T(*y), T(w), b)
    return numeric(f"Logistic regression σ(w·x + b) with w = {fmt(w)}, b = {fmt(b)}, trained on "
                   f"the mean cross-entropy of two examples (x, y) = ({fmt(X[0][0])}, 1) and "
                   f"({fmt(X[1][0])}, 0). What is ∂L/∂b?", gb, X=X, y=y, w=w, b=b)


@generator("U1.4", "cross-entropy vs square error")
def u1_ce_grad(rng):
    z, y = rf(rng, -4, 4), rng.choice([0, 1])
    ce, _ = loss_comparison.ce_and_se_grads(T(z), T(y))
    return numeric(f"A sigmoid output unit has pre-activation z = {fmt(z)} and target y = {y}. "
                   f"What is ∂CE/∂z for the cross-entropy CE = −y log σ(z) − (1 − y) log(1 − σ(z))?",
                   ce[0], z=z, y=y)


@generator("U1.4", "cross-entropy vs square error")
def u1_se_grad(rng):
    z, y = rf(rng, -3, 3), rng.choice([0, 1])
    _, se = loss_comparison.ce_and_se_grads(T(z), T(y))
    return numeric(f"A sigmoid output p = σ(z) with z = {fmt(z)}, target y = {y}, loss (p − y)². "
                   f"What is the derivative of the loss with respect to z?", se[0], z=z, y=y)


@generator("U1.4", "cross-entropy vs square error")
def u1_ce_vs_se_tf(rng):
    z, y = rf(rng, -5, 5), rng.choice([0, 1])
    ce, se = loss_comparison.ce_and_se_grads(T(z), T(y))
    if abs(abs(float(ce[0])) - abs(float(se[0]))) < 1e-3:
        raise Redraw("too close")
    return tf(f"A sigmoid output σ(z) at z = {fmt(z)} with target y = {y}: the gradient magnitude "
              f"|∂/∂z| of the cross-entropy is larger than that of the square error (σ(z) − y)².",
              abs(float(ce[0])) > abs(float(se[0])), z=z, y=y)


@generator("U1.5", "gradient descent")
def u1_gradient_descent(rng):
    a, b, w0 = ri(rng, 1, 4), ri(rng, -4, 4), ri(rng, -3, 3)
    lr, steps = rng.choice([0.1, 0.2, 0.25]), ri(rng, 1, 3)
    w = gradient_descent.gradient_descent_quadratic(T(a)[None], T(b), T(w0), lr, steps)
    return numeric(f"Gradient descent on L(w) = ½·{a}·w² − ({b})·w from w = {w0} with learning "
                   f"rate η = {lr}. What is w after {steps} step(s)?", w[0],
                   a=a, b=b, w0=w0, lr=lr, steps=steps)


@generator("U1.5", "gradient descent")
def u1_gradient_descent_mc(rng):
    a, b, w0 = ri(rng, 1, 4), ri(rng, -4, 4), ri(rng, -3, 3)
    lr = rng.choice([0.1, 0.2, 0.25])
    gd = gradient_descent.gradient_descent_quadratic
    good = gd(T(a)[None], T(b), T(w0), lr, 1)[0]
    wrong = [gd(-T(a)[None], -T(b), T(w0), lr, 1)[0],  # stepped up the gradient (w + η∇L)
             gd(T(a)[None], T(b), T(w0), 1.0, 1)[0],  # learning rate forgotten
             gd(T(a)[None], T(b), T(w0), lr, 2)[0]]  # two steps
    return mc(rng, f"L(w) = ½·{a}·w² − ({b})·w. One gradient-descent step w ← w − η ∇L from "
              f"w = {w0} with η = {lr} gives:", fmt(good), [fmt(x) for x in wrong],
              a=a, b=b, w0=w0, lr=lr)
