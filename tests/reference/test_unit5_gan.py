"""Oracle tests for U5.1 (GAN objective), U5.2 (WGAN) and U5.3 (CycleGAN / conditional GAN).

Oracles: brute-force maximisation over discriminators on discrete distributions, scipy's
Jensen-Shannon distance, ``F.binary_cross_entropy``, hand-derived gradients of a linear GAN,
``scipy.stats.wasserstein_distance``, the transport linear programme of the earth mover's
distance (``scipy.optimize.linprog``), the analytic input gradient of a tanh critic,
``nn.L1Loss`` and hand examples.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from scipy.optimize import linprog
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance

from reference import cyclegan, gan, wgan

F64 = torch.float64


def _randn(gen, *shape):
    return torch.randn(shape, generator=gen, dtype=F64)


def _dists(gen, n, k):
    return torch.softmax(torch.randn(n, k, generator=gen, dtype=F64) * 1.5, dim=-1)


# ---------------------------------------------------------------- U5.1
@pytest.mark.oracle("U5.1")
def test_optimal_discriminator_maximises_value_by_brute_force():
    gen = torch.Generator().manual_seed(0)
    grid = torch.linspace(1e-5, 1 - 1e-5, 200_001, dtype=F64)  # spacing 5e-6
    for p, q in zip(_dists(gen, 5, 4), _dists(gen, 5, 4)):
        d_star = gan.optimal_discriminator(p, q)
        # V is a sum of independent per-outcome terms: maximise each over the grid
        per_outcome = p[:, None] * torch.log(grid) + q[:, None] * torch.log1p(-grid)  # (K, G)
        best = grid[per_outcome.argmax(1)]
        assert torch.allclose(d_star, best, atol=1e-5)
        v_star = gan.gan_value_discrete(p, q, d_star)
        assert float(v_star) >= float(per_outcome.max(1).values.sum()) - 1e-12
        # no random discriminator beats D*
        rand_d = torch.rand(2000, 4, generator=gen, dtype=F64).clamp(1e-9, 1 - 1e-9)
        assert bool((gan.gan_value_discrete(p, q, rand_d) <= v_star + 1e-12).all())


@pytest.mark.oracle("U5.1")
def test_max_value_is_minus_2log2_plus_2jsd_scipy():
    gen = torch.Generator().manual_seed(1)
    pairs = [(p, q) for p, q in zip(_dists(gen, 6, 5), _dists(gen, 6, 5))]
    pairs += [(torch.tensor([0.5, 0.5, 0.0, 0.0], dtype=F64),
               torch.tensor([0.0, 0.0, 0.25, 0.75], dtype=F64)),  # disjoint: JSD = log 2
              (torch.tensor([0.7, 0.3, 0.0], dtype=F64), torch.tensor([0.2, 0.3, 0.5], dtype=F64))]
    for p, q in pairs:
        js = jensenshannon(p.numpy(), q.numpy()) ** 2  # scipy returns the distance, base e
        assert float(gan.jsd(p, q)) == pytest.approx(js, abs=1e-12)
        expected = -2 * math.log(2) + 2 * js
        assert float(gan.max_discriminator_value(p, q)) == pytest.approx(expected, abs=1e-12)
        v_star = gan.gan_value_discrete(p, q, gan.optimal_discriminator(p, q))
        assert float(v_star) == pytest.approx(expected, abs=1e-12)
        assert gan.max_value_from_probs(p.tolist(), q.tolist()) == pytest.approx(expected,
                                                                                 abs=1e-12)
    # identical distributions: JSD = 0, D* = 1/2, max V = -2 log 2
    p = pairs[0][0]
    assert torch.allclose(gan.optimal_discriminator(p, p), torch.full_like(p, 0.5))
    assert float(gan.max_discriminator_value(p, p)) == pytest.approx(-2 * math.log(2), abs=1e-12)
    assert gan.optimal_discriminator_value(0.3, 0.1) == pytest.approx(0.75)
    # batched over a leading axis
    P, Q = _dists(gen, 3, 4), _dists(gen, 3, 4)
    js = [jensenshannon(a.numpy(), b.numpy()) ** 2 for a, b in zip(P, Q)]
    assert torch.allclose(gan.jsd(P, Q), torch.tensor(js, dtype=F64), atol=1e-12)


@pytest.mark.oracle("U5.1")
def test_losses_match_bce_and_hand_values_at_extreme_logits():
    gen = torch.Generator().manual_seed(2)
    r = torch.randn(7, generator=gen, dtype=F64) * 3
    f = torch.randn(5, generator=gen, dtype=F64) * 3
    bce = (F.binary_cross_entropy(torch.sigmoid(r), torch.ones_like(r))
           + F.binary_cross_entropy(torch.sigmoid(f), torch.zeros_like(f)))
    assert float(gan.gan_discriminator_loss(r, f)) == pytest.approx(float(bce), abs=1e-12)
    assert float(gan.gan_value(torch.sigmoid(r), torch.sigmoid(f))) == pytest.approx(
        -float(bce), abs=1e-12)
    assert float(gan.gan_value_from_logits(r, f)) == pytest.approx(-float(bce), abs=1e-12)
    g_bce = F.binary_cross_entropy(torch.sigmoid(f), torch.ones_like(f))
    assert float(gan.gan_generator_loss(f)) == pytest.approx(float(g_bce), abs=1e-12)
    minimax = torch.log(1 - torch.sigmoid(f)).mean()
    assert float(gan.gan_generator_loss_minimax(f)) == pytest.approx(float(minimax), abs=1e-12)

    # extreme logits in float32: softplus(a) = log1p(exp(a)) evaluated by hand in float64
    def sp(a):
        return max(a, 0.0) + math.log1p(math.exp(-abs(a)))

    real = [40.0, -40.0, 25.0, -90.0]
    fake = [-60.0, 35.0, 0.5, 90.0]
    want = sum(sp(-a) for a in real) / 4 + sum(sp(a) for a in fake) / 4
    got = gan.gan_discriminator_loss(torch.tensor(real), torch.tensor(fake))
    assert torch.isfinite(got) and float(got) == pytest.approx(want, rel=1e-6)
    fl = [-80.0, -30.0, 30.0, 80.0, 0.0]
    got_g = gan.gan_generator_loss(torch.tensor(fl))
    assert float(got_g) == pytest.approx(sum(sp(-a) for a in fl) / 5, rel=1e-6)


def _hand_gan_step(wd, bd, Wg, bg, x, z, lr):
    """Hand-derived gradients of the linear GAN (numpy float64)."""
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    xf = z @ Wg.T + bg
    sr, sf = x @ wd + bd, xf @ wd + bd
    gr, gf = (sig(sr) - 1) / len(sr), sig(sf) / len(sf)  # dL_D/ds
    wd2 = wd - lr * (x.T @ gr + xf.T @ gf)
    bd2 = bd - lr * (gr.sum() + gf.sum())
    s = xf @ wd2 + bd2
    g = (sig(s) - 1) / len(s)  # dL_G/ds, and dL_G/dxf = g w'
    Wg2 = Wg - lr * np.outer(wd2, g @ z)
    bg2 = bg - lr * wd2 * g.sum()
    return wd2, bd2, Wg2, bg2


@pytest.mark.oracle("U5.1")
def test_gan_train_step_matches_hand_gradients():
    gen = torch.Generator().manual_seed(3)
    for B, d, k, lr in [(8, 2, 3, 0.1), (1, 3, 1, 0.7), (16, 5, 4, 0.05)]:
        args = [_randn(gen, d), _randn(gen), _randn(gen, d, k), _randn(gen, d),
                _randn(gen, B, d) + 1, _randn(gen, B, k)]
        before = [a.clone() for a in args]
        got = gan.gan_train_step(*args, lr)
        want = _hand_gan_step(*[a.numpy() for a in args], lr)
        for g_, w_ in zip(got, want):
            assert np.allclose(g_.numpy(), w_, rtol=1e-12, atol=1e-12)
        assert all(torch.equal(a, b) for a, b in zip(args, before)), "inputs were modified"


@pytest.mark.oracle("U5.1")
def test_module_steps_update_only_their_own_player():
    torch.manual_seed(0)
    D, G = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1)), nn.Linear(3, 2)
    x, z = torch.randn(16, 2), torch.randn(16, 3)
    g0 = [p.detach().clone() for p in G.parameters()]
    d0 = [p.detach().clone() for p in D.parameters()]
    loss_d = gan.discriminator_step(D, G, torch.optim.SGD(D.parameters(), lr=0.1), x, z)
    assert all(torch.equal(a, b) for a, b in zip(G.parameters(), g0))
    assert not all(torch.equal(a, b) for a, b in zip(D.parameters(), d0))
    d1 = [p.detach().clone() for p in D.parameters()]
    loss_g = gan.generator_step(D, G, torch.optim.SGD(G.parameters(), lr=0.1), z)
    assert all(torch.equal(a, b) for a, b in zip(D.parameters(), d1))
    assert not all(torch.equal(a, b) for a, b in zip(G.parameters(), g0))
    assert all(p.grad is None for p in D.parameters())
    assert math.isfinite(loss_d) and math.isfinite(loss_g)


# ---------------------------------------------------------------- U5.2
def _emd_lp(x: np.ndarray, y: np.ndarray) -> float:
    """The slides' definition: the cheapest moving plan, as a transport linear programme."""
    n, m = len(x), len(y)
    cost = np.abs(x[:, None] - y[None, :]).ravel()
    A_eq = np.zeros((n + m, n * m))
    for i in range(n):
        A_eq[i, i * m:(i + 1) * m] = 1
    for j in range(m):
        A_eq[n + j, j::m] = 1
    b_eq = np.concatenate([np.full(n, 1 / n), np.full(m, 1 / m)])
    res = linprog(cost, A_eq=A_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    assert res.status == 0
    return float(res.fun)


@pytest.mark.oracle("U5.2")
def test_wasserstein_1d_matches_scipy_and_the_transport_lp():
    gen = torch.Generator().manual_seed(4)
    cases = [(_randn(gen, n) * s, _randn(gen, m) + o)
             for n, m, s, o in [(8, 8, 1, 0.5), (11, 4, 2, 0), (1, 1, 1, 3), (200, 150, 1, 1),
                                (3, 7, 0.1, -2)]]
    cases += [(torch.tensor([0.0, 1, 1, 2, 5], dtype=F64), torch.tensor([1.0, 1, 3], dtype=F64)),
              (torch.tensor([2.0, 2, 2], dtype=F64), torch.tensor([2.0], dtype=F64))]
    for x, y in cases:
        want = wasserstein_distance(x.numpy(), y.numpy())
        assert float(wgan.wasserstein_1d(x, y)) == pytest.approx(want, rel=1e-12, abs=1e-12)
        assert float(wgan.wasserstein_1d(x.float(), y.float())) == pytest.approx(want, rel=1e-5,
                                                                                  abs=1e-6)
        if len(x) * len(y) <= 64:
            assert float(wgan.wasserstein_1d(x, y)) == pytest.approx(
                _emd_lp(x.numpy(), y.numpy()), abs=1e-9)


@pytest.mark.oracle("U5.2")
def test_gradient_penalty_matches_analytic_critic_gradient():
    gen = torch.Generator().manual_seed(5)
    for B, d, h in [(4, 2, 8), (1, 3, 5), (6, 16, 10)]:
        real = torch.randn(B, d, generator=gen, dtype=F64)
        fake = torch.randn(B, d, generator=gen, dtype=F64)
        eps = torch.rand(B, generator=gen, dtype=F64)
        w1, b1 = _randn(gen, h, d), _randn(gen, h)
        w2 = torch.randn(h, generator=gen, dtype=F64)
        x_hat = eps[:, None] * real + (1 - eps[:, None]) * fake
        hid = np.tanh(x_hat.numpy() @ w1.numpy().T + b1.numpy())  # (B, h)
        grad = (w2.numpy() * (1 - hid ** 2)) @ w1.numpy()  # (B, d) = d critic / d x
        want = ((np.linalg.norm(grad, axis=1) - 1) ** 2).mean()
        got = wgan.gradient_penalty_mlp(real, fake, eps, w1, b1, w2).detach()
        assert float(got) == pytest.approx(want, rel=1e-12)
    # a 1-Lipschitz linear critic with unit gradient has zero penalty, any eps
    w = torch.tensor([0.6, 0.8], dtype=F64)
    gp = wgan.gradient_penalty(lambda x: x @ w, real[:, :2], fake[:, :2], eps).detach()
    assert float(gp) == pytest.approx(0.0, abs=1e-15)


@pytest.mark.oracle("U5.2")
def test_gradient_penalty_backpropagates_into_the_critic_gradcheck():
    gen = torch.Generator().manual_seed(6)
    real, fake = _randn(gen, 3, 2), _randn(gen, 3, 2)
    eps = torch.rand(3, generator=gen, dtype=F64)
    w1 = torch.randn(4, 2, generator=gen, dtype=F64, requires_grad=True)
    b1 = torch.randn(4, generator=gen, dtype=F64, requires_grad=True)
    w2 = torch.randn(4, generator=gen, dtype=F64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda a, b, c: wgan.gradient_penalty_mlp(real, fake, eps, a, b, c), (w1, b1, w2))


@pytest.mark.oracle("U5.2")
def test_critic_losses_and_weight_clipping_hand_examples():
    real, fake = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([0.5, -0.5])
    assert float(wgan.wgan_critic_loss(real, fake)) == pytest.approx(0.0 - 2.0)
    assert float(wgan.wgan_generator_loss(fake)) == pytest.approx(0.0)
    clipped = wgan.wgan_clip_weights([torch.tensor([-0.5, 0.005, 0.02]), torch.tensor([[0.01]])],
                                     0.01)
    assert clipped[0].tolist() == pytest.approx([-0.01, 0.005, 0.01])
    assert clipped[1].tolist() == [[pytest.approx(0.01)]]
    lin = nn.Linear(4, 3)
    with torch.no_grad():
        lin.weight.mul_(10)
    wgan.clip_weights_(lin, 0.05)
    assert all(bool((p.abs() <= torch.tensor(0.05)).all()) for p in lin.parameters())
    assert float(lin.weight.detach().abs().max()) == pytest.approx(0.05)
    x = torch.randn(5, 4)
    assert torch.equal(wgan.interpolate(x, x + 1, torch.ones(5)), x)
    assert torch.equal(wgan.interpolate(x, x + 1, torch.zeros(5)), x + 1)


# ---------------------------------------------------------------- U5.3
@pytest.mark.oracle("U5.3")
def test_cycle_consistency_hand_examples_and_l1loss():
    x = torch.tensor([[1.0, -2.0], [3.0, 0.0]])
    y = torch.tensor([[0.5, 0.5], [-1.0, 2.0], [0.0, -4.0]])
    eye = torch.eye(2)
    # inverse maps: zero loss
    assert float(cyclegan.cycle_consistency_loss_linear(x, y, 2 * eye, 0.5 * eye)) == 0.0
    # F(G(x)) = 2x: mean |2x - x| = mean |x| = 6/4; G(F(y)) = 2y: mean |y| = 8/6
    got = cyclegan.cycle_consistency_loss_linear(x, y, 2 * eye, eye, lam=10.0)
    assert float(got) == pytest.approx(10 * (6 / 4 + 8 / 6))
    # nn.L1Loss on nn.Linear translators (no bias)
    torch.manual_seed(0)
    G, Fm = nn.Linear(3, 2, bias=False), nn.Linear(2, 3, bias=False)
    xa, ya = torch.randn(5, 3), torch.randn(4, 2)
    with torch.no_grad():
        want = 10 * (nn.L1Loss()(Fm(G(xa)), xa) + nn.L1Loss()(G(Fm(ya)), ya))
        via_modules = cyclegan.cycle_consistency_loss(xa, ya, G, Fm)
    got = cyclegan.cycle_consistency_loss_linear(xa, ya, G.weight.detach(), Fm.weight.detach())
    assert float(got) == pytest.approx(float(want), rel=1e-6)
    assert float(via_modules) == pytest.approx(float(want), rel=1e-6)
    lsgan = cyclegan.cyclegan_generator_loss(torch.tensor([1.0, 0.0]), torch.tensor([0.5]),
                                             torch.tensor(2.0), lam=10.0)
    assert float(lsgan) == pytest.approx(0.5 + 0.25 + 20.0)


@pytest.mark.oracle("U5.3")
def test_conditional_inputs_hand_examples():
    z = torch.tensor([[0.1, 0.2], [0.3, 0.4]], dtype=F64)
    got = cyclegan.conditional_generator_input(z, torch.tensor([2, 0]), 3)
    want = torch.tensor([[0.1, 0.2, 0, 0, 1], [0.3, 0.4, 1, 0, 0]], dtype=F64)
    assert got.dtype == F64 and torch.equal(got, want)
    emb = torch.tensor([[9.0], [8.0]])
    assert torch.equal(cyclegan.text_conditioned_input(z.float(), emb),
                       torch.tensor([[0.1, 0.2, 9.0], [0.3, 0.4, 8.0]]))
    with pytest.raises(AssertionError):
        cyclegan.conditional_generator_input(z, torch.tensor([3, 0]), 3)
