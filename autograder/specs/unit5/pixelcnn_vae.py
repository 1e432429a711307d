"""Unit 5 likelihood models (syllabus rows U5.4-U5.6): PixelCNN, the VAE, the hierarchical
VAE."""
from __future__ import annotations

import torch

from reference import pixelcnn, vae

from ..base import Case, SpecList, Tolerance
from ..draw import F32, F64, hidden, public, rand, randint, randn

SPECS = SpecList()


# ---------------------------------------------------------------- U5.4 PixelCNN
@SPECS.add("U5.4", "pixelcnn_mask", pixelcnn.pixelcnn_mask)
def _cases_mask(gen):
    return [
        public("k3_A", 3, "A"),
        hidden("k3_B", 3, "B"),
        hidden("k5_A", 5, "A"),
        hidden("k7_B", 7, "B"),
        hidden("k1_A", 1, "A"),
    ]


@SPECS.add("U5.4", "masked_conv2d", pixelcnn.masked_conv2d, points=2)
def _cases_masked_conv(gen):
    def case(name, B, cin, cout, H, W, k, mt, hidden, bias=True):
        return Case(name, args=(randn(gen, B, cin, H, W), randn(gen, cout, cin, k, k) * 0.4,
                                randn(gen, cout) * 0.1 if bias else None, mt), hidden=hidden)

    return [
        case("b2_c1to4_k3_A", 2, 1, 4, 5, 5, 3, "A", hidden=False),
        case("b2_c4to4_k3_B", 2, 4, 4, 6, 5, 3, "B", hidden=True),
        case("batch1_k5_A", 1, 2, 3, 7, 7, 5, "A", hidden=True),
        case("no_bias_k5_B", 2, 3, 2, 4, 6, 5, "B", hidden=True, bias=False),
    ]


@SPECS.add("U5.4", "pixelcnn_log_likelihood", pixelcnn.pixelcnn_log_likelihood)
def _cases_pixel_ll(gen):
    return [
        public("b2_k4_4x4", randn(gen, 2, 4, 4, 4), randint(gen, 0, 4, 2, 4, 4)),
        hidden("batch1_binary", randn(gen, 1, 2, 3, 5), randint(gen, 0, 2, 1, 3, 5)),
        hidden("k256_8x8", randn(gen, 2, 256, 8, 8) * 2, randint(gen, 0, 256, 2, 8, 8)),
        hidden("extreme_logits", randn(gen, 3, 5, 4, 4) * 80, randint(gen, 0, 5, 3, 4, 4)),
    ]


# ---------------------------------------------------------------- U5.5 VAE
# sums of many log-density terms of size ~1-10 in float32 can cancel to near 0: absolute slack
LOGLIK_TOL = Tolerance(rtol=1e-5, atol=1e-5)


@SPECS.add("U5.5", "reparameterize", vae.reparameterize, repeat=True, grad_wrt=(0, 1))
def _cases_reparam(gen):
    return [
        public("b4_d3", randn(gen, 4, 3), randn(gen, 4, 3), randn(gen, 4, 3)),
        hidden("batch1_d1", randn(gen, 1, 1), randn(gen, 1, 1), randn(gen, 1, 1)),
        hidden("tiny_variance", randn(gen, 3, 4), torch.full((3, 4), -30.0), randn(gen, 3, 4)),
        hidden("float64_d16", randn(gen, 5, 16, dtype=F64), randn(gen, 5, 16, dtype=F64),
               randn(gen, 5, 16, dtype=F64)),
    ]


@SPECS.add("U5.5", "gaussian_kl", vae.gaussian_kl, grad_wrt=(0, 1))
def _cases_kl(gen):
    return [
        public("b4_d3", randn(gen, 4, 3), randn(gen, 4, 3)),
        hidden("standard_normal_zero", torch.zeros(2, 5), torch.zeros(2, 5)),
        hidden("batch1_d1", randn(gen, 1, 1) * 2, randn(gen, 1, 1) * 2),
        hidden("wide_logvar", randn(gen, 3, 8) * 3, randn(gen, 3, 8) * 4),
        hidden("float64_d32", randn(gen, 4, 32, dtype=F64), randn(gen, 4, 32, dtype=F64)),
    ]


def _elbo_case(gen, name, B, D, d, hidden, decoder="bernoulli", dtype=F32, logvar_dec=None):
    mu, logvar = randn(gen, B, d, dtype=dtype), randn(gen, B, d, dtype=dtype) * 0.5
    if decoder == "bernoulli":
        x = (rand(gen, B, D) < 0.5).to(dtype)
        kwargs = {}
    else:
        x = randn(gen, B, D, dtype=dtype)
        kwargs = {"decoder": "gaussian", "decoder_logvar": logvar_dec}
    out = randn(gen, B, D, dtype=dtype) * 2
    return Case(name, args=(x, out, mu, logvar), kwargs=kwargs, hidden=hidden)


@SPECS.add("U5.5", "elbo", vae.elbo, points=2, tolerance=LOGLIK_TOL, grad_wrt=(1, 2, 3))
def _cases_elbo(gen):
    return [
        _elbo_case(gen, "bernoulli_b4", 4, 6, 2, hidden=False),
        _elbo_case(gen, "gaussian_b3", 3, 5, 2, hidden=False, decoder="gaussian",
                   logvar_dec=randn(gen, 3, 5) * 0.3),
        _elbo_case(gen, "bernoulli_batch1", 1, 10, 3, hidden=True),
        _elbo_case(gen, "gaussian_scalar_logvar", 4, 3, 1, hidden=True, decoder="gaussian",
                   logvar_dec=-1.0),
        _elbo_case(gen, "bernoulli_float64_d784", 2, 784, 20, hidden=True, dtype=F64),
    ]


@SPECS.add("U5.5", "sample_prior", vae.sample_prior, repeat=True)
def _cases_sample_prior(gen):
    return [
        public("probs_n4", randn(gen, 4, 2), randn(gen, 6, 2), randn(gen, 6)),
        hidden("binary_n5", randn(gen, 5, 3), randn(gen, 8, 3), randn(gen, 8), u=rand(gen, 5, 8)),
        hidden("batch1", randn(gen, 1, 2), randn(gen, 3, 2), randn(gen, 3)),
        hidden("binary_float64", randn(gen, 3, 2, dtype=F64), randn(gen, 4, 2, dtype=F64),
               randn(gen, 4, dtype=F64), u=rand(gen, 3, 4, dtype=F64)),
    ]


# ---------------------------------------------------------------- U5.6 hierarchical VAE
def _hvae_case(gen, name, B, D, dims, hidden, decoder="bernoulli", dtype=F64):
    L = len(dims)
    q_mus = [randn(gen, B, dl, dtype=dtype) for dl in dims]
    q_logvars = [randn(gen, B, dl, dtype=dtype) * 0.5 for dl in dims]
    zs = [m + torch.exp(0.5 * lv) * randn(gen, B, m.shape[1], dtype=dtype)
          for m, lv in zip(q_mus, q_logvars)]
    p_mus = [randn(gen, B, dims[l], dtype=dtype) for l in range(L - 1)]
    p_logvars = [randn(gen, B, dims[l], dtype=dtype) * 0.5 for l in range(L - 1)]
    out = randn(gen, B, D, dtype=dtype) * 2
    if decoder == "bernoulli":
        x = (rand(gen, B, D) < 0.5).to(dtype)
        kwargs = {}
    else:
        x = randn(gen, B, D, dtype=dtype)
        kwargs = {"decoder": "gaussian", "decoder_logvar": -0.5}
    return Case(name, args=(x, out, zs, q_mus, q_logvars, p_mus, p_logvars), kwargs=kwargs,
                hidden=hidden)


@SPECS.add("U5.6", "hierarchical_elbo", vae.hierarchical_elbo, points=2, tolerance=LOGLIK_TOL)
def _cases_hvae(gen):
    return [
        _hvae_case(gen, "two_layers", 4, 6, [3, 2], hidden=False),
        _hvae_case(gen, "one_layer", 3, 5, [2], hidden=True),
        _hvae_case(gen, "three_layers_gaussian", 2, 4, [4, 3, 2], hidden=True, decoder="gaussian"),
        _hvae_case(gen, "batch1_float32", 1, 3, [2, 2], hidden=True, dtype=F32),
    ]
