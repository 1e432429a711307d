"""Oracle tests for U5.4 (PixelCNN), U5.5 (VAE) and U5.6 (hierarchical VAE).

Oracles: hand-written masks and a raster-order construction of them, ``F.conv2d``, autograd
(the output at pixel i has zero gradient with respect to every input pixel at or after i), the
normalisation of an autoregressive model (probabilities of all 2^n images sum to 1, which fails
for an unmasked network), ``F.cross_entropy`` / ``torch.distributions``, Monte-Carlo KL and ELBO
estimates, and linear-Gaussian models whose log-likelihood is known in closed form.

Monte-Carlo tolerances: a mean of N i.i.d. draws is compared with its expectation within
6 standard errors (sample standard deviation / sqrt(N), N >= 1e5). By the CLT the chance of a
false failure is about 2e-9 per comparison (< 1e-6 for the whole file); the seeds are fixed,
so the tests are deterministic.
"""
from __future__ import annotations

import itertools
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Bernoulli, Normal, kl_divergence

from reference import pixelcnn, vae

F64 = torch.float64
SIGMAS = 6.0


def _mc_close(samples: torch.Tensor, expected: float) -> None:
    n = samples.numel()
    se = float(samples.std()) / math.sqrt(n)
    assert abs(float(samples.mean()) - expected) <= SIGMAS * se + 1e-12, (
        float(samples.mean()), expected, se)


# ---------------------------------------------------------------- U5.4
@pytest.mark.oracle("U5.4")
def test_masks_hand_examples_and_raster_construction():
    assert pixelcnn.pixelcnn_mask(3, "A").tolist() == [[1, 1, 1], [1, 0, 0], [0, 0, 0]]
    assert pixelcnn.pixelcnn_mask(3, "B").tolist() == [[1, 1, 1], [1, 1, 0], [0, 0, 0]]
    assert pixelcnn.pixelcnn_mask(1, "A").tolist() == [[0]]
    assert pixelcnn.pixelcnn_mask(1, "B").tolist() == [[1]]
    for k in (3, 5, 7):
        raster = torch.arange(k * k).reshape(k, k)  # raster index of every tap
        centre = (k * k) // 2
        assert torch.equal(pixelcnn.pixelcnn_mask(k, "A"), (raster < centre).float())
        assert torch.equal(pixelcnn.pixelcnn_mask(k, "B"), (raster <= centre).float())


@pytest.mark.oracle("U5.4")
def test_masked_conv_equals_conv2d_with_masked_kernel():
    gen = torch.Generator().manual_seed(0)
    for k, mt in [(3, "A"), (5, "B"), (3, "B")]:
        x = torch.randn(2, 3, 6, 5, generator=gen)
        w = torch.randn(4, 3, k, k, generator=gen)
        b = torch.randn(4, generator=gen)
        raster = torch.arange(k * k).reshape(k, k)
        keep = raster < (k * k) // 2 if mt == "A" else raster <= (k * k) // 2
        want = F.conv2d(x, torch.where(keep, w, torch.zeros_like(w)), b, padding=k // 2)
        assert torch.allclose(pixelcnn.masked_conv2d(x, w, b, mt), want, rtol=1e-6, atol=1e-6)
        layer = pixelcnn.MaskedConv2d(mt, 3, 4, k)
        with torch.no_grad():
            layer.weight.copy_(w)
            layer.bias.copy_(b)
        assert torch.allclose(layer(x), want, rtol=1e-6, atol=1e-6)


def _dependency(fn, H, W, cin=1) -> torch.Tensor:
    """dep[i, j] = True iff output pixel i (raster) has non-zero gradient w.r.t. input pixel j."""
    torch.manual_seed(0)
    x = torch.randn(1, cin, H, W, dtype=F64)
    jac = torch.autograd.functional.jacobian(lambda inp: fn(inp).sum(1), x)  # (1,H,W,1,cin,H,W)
    return jac.reshape(H * W, cin, H * W).abs().sum(1) > 0


@pytest.mark.oracle("U5.4")
def test_causality_by_autograd():
    H, W = 5, 4
    n = H * W
    before = torch.tril(torch.ones(n, n, dtype=torch.bool), diagonal=-1)  # j < i
    gen = torch.Generator().manual_seed(1)
    for k in (3, 5):
        w = torch.randn(3, 2, k, k, generator=gen, dtype=F64)
        dep_a = _dependency(lambda x: pixelcnn.masked_conv2d(x, w, None, "A"), H, W, cin=2)
        dep_b = _dependency(lambda x: pixelcnn.masked_conv2d(x, w, None, "B"), H, W, cin=2)
        assert not (dep_a & ~before).any(), "mask A sees the current or a later pixel"
        assert not (dep_b & ~(before | torch.eye(n, dtype=torch.bool))).any()
        assert dep_b.diagonal().all(), "mask B must see the current pixel"
        assert dep_a[n - 1, n - 2] and dep_a[W + 1, 0]  # left neighbour, upper-left
    net = pixelcnn.TinyPixelCNN(levels=3, hidden=6, kernel_size=3, n_layers=3).double()
    dep = _dependency(lambda x: net.net(x), H, W)
    assert not (dep & ~before).any(), "the stack A, B, B sees pixel i or later at pixel i"
    unmasked = nn.Conv2d(1, 2, 3, padding=1).double()
    assert (_dependency(unmasked, H, W) & ~before).any()  # the check can fail


@pytest.mark.oracle("U5.4")
def test_log_likelihood_matches_cross_entropy_and_categorical():
    gen = torch.Generator().manual_seed(2)
    logits = torch.randn(3, 5, 4, 6, generator=gen, dtype=F64) * 3
    x = torch.randint(0, 5, (3, 4, 6), generator=gen)
    want = -F.cross_entropy(logits, x, reduction="none").sum((1, 2))
    assert torch.allclose(pixelcnn.pixelcnn_log_likelihood(logits, x), want, atol=1e-12)
    cat = torch.distributions.Categorical(logits=logits.permute(0, 2, 3, 1))
    assert torch.allclose(pixelcnn.pixelcnn_log_likelihood(logits, x),
                          cat.log_prob(x).sum((1, 2)), atol=1e-12)
    # extreme logits in float32 stay finite and agree with float64
    big = logits * 30
    got = pixelcnn.pixelcnn_log_likelihood(big.float(), x)
    ref = pixelcnn.pixelcnn_log_likelihood(big, x)
    assert torch.isfinite(got).all() and torch.allclose(got.double(), ref, rtol=1e-5)
    bpd = pixelcnn.bits_per_dim(ref, 24)
    assert torch.allclose(bpd, -ref / (24 * math.log(2)))


@pytest.mark.oracle("U5.4")
def test_autoregressive_probabilities_sum_to_one():
    """log p(x) = sum_i log p(x_i | x_<i) defines a distribution only if the network is causal:
    the probabilities of all 2^6 binary 2x3 images sum to 1 (and do not without the masks)."""
    torch.manual_seed(3)
    net = pixelcnn.TinyPixelCNN(levels=2, hidden=8, kernel_size=3, n_layers=3).double()
    images = torch.tensor(list(itertools.product([0, 1], repeat=6))).reshape(-1, 2, 3)
    with torch.no_grad():
        total = pixelcnn.pixelcnn_log_likelihood(net(images), images).exp().sum()
        assert float(total) == pytest.approx(1.0, abs=1e-12)
        for layer in net.net:  # remove the masks: no longer a distribution
            if isinstance(layer, pixelcnn.MaskedConv2d):
                layer.mask.fill_(1)
        leaky = pixelcnn.pixelcnn_log_likelihood(net(images), images).exp().sum()
    assert abs(float(leaky) - 1.0) > 1e-3


# ---------------------------------------------------------------- U5.5
@pytest.mark.oracle("U5.5")
def test_reparameterize_and_kl_against_torch_distributions():
    gen = torch.Generator().manual_seed(4)
    mu, logvar, eps = (torch.randn(4, 3, generator=gen, dtype=F64) for _ in range(3))
    sigma = torch.exp(0.5 * logvar)
    assert torch.allclose(vae.reparameterize(mu, logvar, eps), mu + sigma * eps, atol=1e-15)
    kl = kl_divergence(Normal(mu, sigma), Normal(0.0, 1.0)).sum(-1)
    assert torch.allclose(vae.gaussian_kl(mu, logvar), kl, atol=1e-12)
    mu_p = torch.randn(4, 3, generator=gen, dtype=F64)
    logvar_p = torch.randn(4, 3, generator=gen, dtype=F64)
    kl2 = kl_divergence(Normal(mu, sigma), Normal(mu_p, torch.exp(0.5 * logvar_p)))
    assert torch.allclose(vae.gaussian_kl_general(mu, logvar, mu_p, logvar_p), kl2, atol=1e-12)
    for m, s, mp, sp in [(0.0, 1.0, 0.0, 1.0), (1.5, 0.3, 0.0, 1.0), (-2.0, 2.0, 1.0, 0.5)]:
        q = Normal(torch.tensor(m, dtype=F64), torch.tensor(s, dtype=F64))
        want = float(kl_divergence(q, Normal(torch.tensor(mp, dtype=F64),
                                             torch.tensor(sp, dtype=F64))))
        assert vae.gaussian_kl_scalar(m, s, mp, sp) == pytest.approx(want, abs=1e-12)
    assert float(vae.gaussian_kl(torch.zeros(1, 5), torch.zeros(1, 5))) == 0.0


@pytest.mark.oracle("U5.5")
def test_gaussian_kl_monte_carlo():
    """KL = E_q[log q(z) - log p(z)] with z ~ q, 400k draws, 6-sigma bound (see module doc)."""
    gen = torch.Generator().manual_seed(5)
    mu = torch.tensor([[0.5, -1.0, 2.0]], dtype=F64)
    logvar = torch.tensor([[0.3, -1.2, 0.8]], dtype=F64)
    eps = torch.randn(400_000, 3, generator=gen, dtype=F64)
    z = vae.reparameterize(mu.expand_as(eps), logvar.expand_as(eps), eps)
    q = Normal(mu, torch.exp(0.5 * logvar))
    log_ratio = (q.log_prob(z) - Normal(0.0, 1.0).log_prob(z)).sum(-1)  # (N,)
    _mc_close(log_ratio, float(vae.gaussian_kl(mu, logvar)))


@pytest.mark.oracle("U5.5")
def test_decoder_likelihoods_against_torch_distributions():
    gen = torch.Generator().manual_seed(6)
    logits = torch.randn(3, 7, generator=gen, dtype=F64) * 3
    x = (torch.rand(3, 7, generator=gen, dtype=F64) < 0.5).to(F64)
    assert torch.allclose(vae.bernoulli_log_likelihood(x, logits),
                          Bernoulli(logits=logits).log_prob(x).sum(-1), atol=1e-12)
    mean = torch.randn(3, 7, generator=gen, dtype=F64)
    lv = torch.randn(3, 7, generator=gen, dtype=F64)
    xg = torch.randn(3, 7, generator=gen, dtype=F64)
    want = Normal(mean, torch.exp(0.5 * lv)).log_prob(xg).sum(-1)
    assert torch.allclose(vae.gaussian_log_likelihood(xg, mean, lv), want, atol=1e-12)
    want_scalar = Normal(mean, math.exp(0.5 * -1.0)).log_prob(xg).sum(-1)
    assert torch.allclose(vae.gaussian_log_likelihood(xg, mean, -1.0), want_scalar, atol=1e-12)
    mu = torch.randn(3, 2, generator=gen, dtype=F64)
    logvar = torch.randn(3, 2, generator=gen, dtype=F64)
    kl = kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(0.0, 1.0)).sum(-1)
    assert torch.allclose(vae.elbo(x, logits, mu, logvar),
                          Bernoulli(logits=logits).log_prob(x).sum(-1) - kl, atol=1e-12)
    assert torch.allclose(vae.elbo(xg, mean, mu, logvar, decoder="gaussian", decoder_logvar=lv),
                          want - kl, atol=1e-12)


def _linear_gaussian_vae(gen, D=4, d=2):
    """p(z) = N(0, I), p(x|z) = N(W z + b, s2 I) with orthogonal columns of W, so that the exact
    posterior is diagonal. Returns the model, a data point and its exact posterior and log p(x)."""
    Q, _ = torch.linalg.qr(torch.randn(D, d, generator=gen, dtype=F64))
    W = Q * torch.tensor([1.5, 0.7], dtype=F64)
    b = torch.randn(D, generator=gen, dtype=F64)
    s2 = 0.3
    x = torch.randn(1, D, generator=gen, dtype=F64)
    cov_x = W @ W.T + s2 * torch.eye(D, dtype=F64)
    log_px = torch.distributions.MultivariateNormal(b, cov_x).log_prob(x)
    prec = torch.eye(d, dtype=F64) + W.T @ W / s2  # diagonal
    post_var = 1 / prec.diagonal()
    post_mu = (post_var * ((x - b) @ W / s2)).reshape(1, d)
    return W, b, s2, x, post_mu, post_var.log().reshape(1, d), float(log_px)


@pytest.mark.oracle("U5.5")
def test_elbo_equals_log_likelihood_with_exact_posterior_monte_carlo():
    """E_eps[elbo] = log p(x) when q(z|x) is the exact posterior (linear-Gaussian model), and is
    strictly lower for another q. 200k draws, 6-sigma bound."""
    gen = torch.Generator().manual_seed(7)
    W, b, s2, x, mu, logvar, log_px = _linear_gaussian_vae(gen)
    N = 200_000
    eps = torch.randn(N, 2, generator=gen, dtype=F64)
    z = vae.reparameterize(mu.expand(N, 2), logvar.expand(N, 2), eps)
    est = vae.elbo(x.expand(N, -1), z @ W.T + b, mu.expand(N, 2), logvar.expand(N, 2),
                   decoder="gaussian", decoder_logvar=math.log(s2))
    _mc_close(est, log_px)
    worse = vae.elbo(x.expand(N, -1), (mu + 0.5 + eps) @ W.T + b, (mu + 0.5).expand(N, 2),
                     torch.zeros(N, 2, dtype=F64), decoder="gaussian", decoder_logvar=math.log(s2))
    assert float(worse.mean()) + SIGMAS * float(worse.std()) / math.sqrt(N) < log_px


@pytest.mark.oracle("U5.5")
def test_sample_prior_hand_example():
    eps = torch.tensor([[0.0, 1.0], [2.0, -1.0]])
    W = torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    bias = torch.tensor([0.0, -1.0, 0.5])
    logits = torch.tensor([[0.0, 1.0, 1.5], [2.0, -3.0, 1.5]])
    assert torch.allclose(vae.sample_prior(eps, W, bias), torch.sigmoid(logits))
    u = torch.tensor([[0.49, 0.74, 0.9], [0.5, 0.04, 0.82]])
    want = torch.tensor([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]])  # sigmoid: .5 .73 .82 / .88 .047 .82
    assert torch.equal(vae.sample_prior(eps, W, bias, u), want)


# ---------------------------------------------------------------- U5.6
def _chain(gen, L, D):
    """A per-dimension linear-Gaussian chain z_L -> ... -> z_1 -> x (all diagonal):
    z_L ~ N(0, 1), z_{l} | z_{l+1} ~ N(A_l z_{l+1} + c_l, s_l^2), x | z_1 ~ N(A_0 z_1 + c_0, s_0^2).
    Index 0 of the lists is the x layer."""
    A = [torch.randn(D, generator=gen, dtype=F64) for _ in range(L)]
    c = [torch.randn(D, generator=gen, dtype=F64) * 0.5 for _ in range(L)]
    s2 = [0.2 + torch.rand(D, generator=gen, dtype=F64) for _ in range(L)]
    # marginal means / variances, top down: m[L] = 0, v[L] = 1; m[l] for z_l (m[0] for x)
    m, v = [None] * (L + 1), [None] * (L + 1)
    m[L], v[L] = torch.zeros(D, dtype=F64), torch.ones(D, dtype=F64)
    for l in range(L - 1, -1, -1):
        m[l] = A[l] * m[l + 1] + c[l]
        v[l] = A[l] ** 2 * v[l + 1] + s2[l]
    return A, c, s2, m, v


@pytest.mark.oracle("U5.6")
@pytest.mark.parametrize("L", [1, 2, 3])
def test_hierarchical_elbo_is_exact_with_the_true_posterior(L):
    """With q(z_1|x) = p(z_1|x) and q(z_l|z_{l-1}) = p(z_l|z_{l-1}) (the true posterior of a
    Markov chain), every one-sample ELBO equals log p(x) exactly."""
    gen = torch.Generator().manual_seed(10 + L)
    D, B = 3, 5
    A, c, s2, m, v = _chain(gen, L, D)
    x = torch.randn(B, D, generator=gen, dtype=F64) * 2
    log_px = Normal(m[0], v[0].sqrt()).log_prob(x).sum(-1)  # (B,)
    prev = x  # the variable below z_l (x for l = 1)
    zs, q_mus, q_logvars = [], [], []
    for l in range(1, L + 1):  # p(z_l | below) by Bayes: prior N(m_l, v_l), below|z_l linear
        post_var = 1 / (1 / v[l] + A[l - 1] ** 2 / s2[l - 1])
        post_mu = post_var * (m[l] / v[l] + A[l - 1] * (prev - c[l - 1]) / s2[l - 1])
        z = vae.reparameterize(post_mu, post_var.log().expand(B, D),
                               torch.randn(B, D, generator=gen, dtype=F64))
        zs.append(z), q_mus.append(post_mu), q_logvars.append(post_var.log().expand(B, D))
        prev = z
    p_mus = [A[l] * zs[l] + c[l] for l in range(1, L)]  # p(z_l | z_{l+1}) for l = 1 .. L-1
    p_logvars = [s2[l].log().expand(B, D) for l in range(1, L)]
    got = vae.hierarchical_elbo(x, A[0] * zs[0] + c[0], zs, q_mus, q_logvars, p_mus, p_logvars,
                                decoder="gaussian", decoder_logvar=s2[0].log().expand(B, D))
    assert torch.allclose(got, log_px, atol=1e-10)


@pytest.mark.oracle("U5.6")
def test_hierarchical_elbo_matches_torch_distributions_log_probs():
    gen = torch.Generator().manual_seed(20)
    B, dims = 4, [3, 2, 2]
    x = (torch.rand(B, 5, generator=gen) < 0.5).to(F64)
    logits = torch.randn(B, 5, generator=gen, dtype=F64)
    q_mus = [torch.randn(B, d, generator=gen, dtype=F64) for d in dims]
    q_lvs = [torch.randn(B, d, generator=gen, dtype=F64) for d in dims]
    zs = [torch.randn(B, d, generator=gen, dtype=F64) for d in dims]
    p_mus = [torch.randn(B, d, generator=gen, dtype=F64) for d in dims[:-1]]
    p_lvs = [torch.randn(B, d, generator=gen, dtype=F64) for d in dims[:-1]]
    want = Bernoulli(logits=logits).log_prob(x).sum(-1)
    want = want + Normal(0.0, 1.0).log_prob(zs[-1]).sum(-1)
    for z, mu_, lv in zip(zs, p_mus, p_lvs):
        want = want + Normal(mu_, torch.exp(0.5 * lv)).log_prob(z).sum(-1)
    for z, mu_, lv in zip(zs, q_mus, q_lvs):
        want = want - Normal(mu_, torch.exp(0.5 * lv)).log_prob(z).sum(-1)
    got = vae.hierarchical_elbo(x, logits, zs, q_mus, q_lvs, p_mus, p_lvs)
    assert torch.allclose(got, want, atol=1e-12)


@pytest.mark.oracle("U5.6")
def test_one_layer_reduces_to_the_vae_elbo_monte_carlo():
    """With one layer, E_eps[hierarchical_elbo] = elbo (U5.5's closed-form KL): the per-draw
    difference log N(z; 0, I) - log q(z|x) + KL has mean 0. 300k draws, 6-sigma bound."""
    gen = torch.Generator().manual_seed(21)
    N, d = 300_000, 3
    mu = torch.randn(1, d, generator=gen, dtype=F64).expand(N, d)
    logvar = (torch.randn(1, d, generator=gen, dtype=F64) * 0.5).expand(N, d)
    x = (torch.rand(1, 6, generator=gen) < 0.5).to(F64).expand(N, 6)
    logits = torch.randn(1, 6, generator=gen, dtype=F64).expand(N, 6)
    z = vae.reparameterize(mu, logvar, torch.randn(N, d, generator=gen, dtype=F64))
    h = vae.hierarchical_elbo(x, logits, [z], [mu], [logvar], [], [])
    diff = h - vae.elbo(x, logits, mu, logvar)
    _mc_close(diff, 0.0)
