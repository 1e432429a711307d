"""Unit 5 course components (syllabus rows U5.1-U5.11): GANs, WGAN, CycleGAN, PixelCNN, VAEs,
diffusion (DDPM), guidance / latent / DiT, diffusion language models.

Every graded function is a pure function of tensors and plain numbers: where the lecture's
algorithm needs a network (a GAN step, a WGAN critic, a DDPM sampler) the spec fixes a tiny one
given by its weights (documented in each ``doc``), and every random draw (noise, interpolation
epsilon, uniforms for masking) is an argument. The first case of each spec is public; the rest
are hidden edge cases. Diffusion index convention: ``t`` arguments are 0-based int64 indices
into ``betas`` (T,), index i being the paper's step i + 1 (as ``diffusers`` timesteps); see
``reference/diffusion.py``.
"""
from __future__ import annotations

import torch

from reference import cyclegan, diffusion, diffusion_lm, gan, guidance, pixelcnn, vae, wgan

from .base import Case, Spec, Tolerance

F32, F64 = torch.float32, torch.float64


# ---------------------------------------------------------------- drawing helpers
def _n(gen: torch.Generator, *shape: int, dtype: torch.dtype = F32) -> torch.Tensor:
    return torch.randn(shape, generator=gen, dtype=dtype)


def _u(gen: torch.Generator, *shape: int, dtype: torch.dtype = F32) -> torch.Tensor:
    return torch.rand(shape, generator=gen, dtype=dtype)


def _i(gen: torch.Generator, low: int, high: int, *shape: int) -> torch.Tensor:
    return torch.randint(low, high, shape, generator=gen)


def _dist(gen: torch.Generator, *shape: int, dtype: torch.dtype = F32) -> torch.Tensor:
    """Random probability vectors along the last axis."""
    return torch.softmax(_n(gen, *shape, dtype=F64) * 1.5, dim=-1).to(dtype)


def _public(name: str, *args, **kwargs) -> Case:
    return Case(name, args=args, kwargs=kwargs, hidden=False)


def _hidden(name: str, *args, **kwargs) -> Case:
    return Case(name, args=args, kwargs=kwargs, hidden=True)


# ================================================================ U5.1 GAN objective
def _cases_d_loss(gen):
    return [
        _public("batch4", _n(gen, 4) * 2, _n(gen, 4) * 2),
        _hidden("batch1", _n(gen, 1) * 2, _n(gen, 1) * 2),
        _hidden("unequal_sizes", _n(gen, 7), _n(gen, 3)),
        _hidden("extreme_logits", torch.tensor([40.0, -40.0, 25.0, -90.0]),
                torch.tensor([-60.0, 35.0, 0.5, 90.0])),
        _hidden("float64", _n(gen, 6, dtype=F64) * 3, _n(gen, 6, dtype=F64) * 3),
    ]


def _cases_g_loss(gen):
    return [
        _public("batch4", _n(gen, 4) * 2),
        _hidden("batch1", _n(gen, 1) * 2),
        _hidden("extreme_logits", torch.tensor([-80.0, -30.0, 30.0, 80.0, 0.0])),
        _hidden("float64", _n(gen, 9, dtype=F64) * 3),
    ]


def _cases_opt_d(gen):
    p5, q5 = _dist(gen, 5), _dist(gen, 5)
    pz = torch.tensor([0.5, 0.0, 0.3, 0.2])
    qz = torch.tensor([0.0, 0.4, 0.3, 0.3])
    return [
        _public("k5", p5, q5),
        _hidden("equal", p5, p5.clone()),
        _hidden("disjoint_support", pz, qz),
        _hidden("batched", _dist(gen, 3, 6), _dist(gen, 3, 6)),
    ]


def _cases_jsd(gen):
    pz = torch.tensor([0.5, 0.5, 0.0, 0.0], dtype=F64)
    qz = torch.tensor([0.0, 0.0, 0.25, 0.75], dtype=F64)
    p, q = _dist(gen, 4, dtype=F64), _dist(gen, 4, dtype=F64)
    return [
        _public("k4", p, q),
        _hidden("identical", p, p.clone()),
        _hidden("disjoint_support", pz, qz),
        _hidden("partial_zeros", torch.tensor([0.7, 0.3, 0.0], dtype=F64),
                torch.tensor([0.2, 0.3, 0.5], dtype=F64)),
        _hidden("batched", _dist(gen, 3, 5, dtype=F64), _dist(gen, 3, 5, dtype=F64)),
    ]


def _gan_step_case(gen, name, B, d, k, lr, hidden, dtype=F32):
    args = (_n(gen, d, dtype=dtype), _n(gen, dtype=dtype) * 0.5, _n(gen, d, k, dtype=dtype) * 0.7,
            _n(gen, d, dtype=dtype) * 0.3, _n(gen, B, d, dtype=dtype) + 1.0,
            _n(gen, B, k, dtype=dtype), lr)
    return Case(name, args=args, hidden=hidden)


def _cases_gan_step(gen):
    return [
        _gan_step_case(gen, "b8_d2_k3", 8, 2, 3, 0.1, hidden=False),
        _gan_step_case(gen, "batch1", 1, 2, 2, 0.5, hidden=True),
        _gan_step_case(gen, "d5_k4", 16, 5, 4, 0.05, hidden=True),
        _gan_step_case(gen, "float64", 6, 3, 2, 0.2, hidden=True, dtype=F64),
    ]


U51 = [
    Spec("U5.1", "gan_discriminator_loss", gan.gan_discriminator_loss, _cases_d_loss, points=2,
         doc="gan_discriminator_loss(real_logits (M,), fake_logits (N,)) -> 0-d: "
             "-V(G,D) = -[mean log D(x) + mean log(1 - D(G(z)))] with D = sigmoid(logits). "
             "Hidden cases include logits of magnitude up to 90: compute from logits stably "
             "(softplus / BCE-with-logits), not log(sigmoid(.))."),
    Spec("U5.1", "gan_generator_loss", gan.gan_generator_loss, _cases_g_loss,
         doc="gan_generator_loss(fake_logits (N,)) -> 0-d: the non-saturating loss "
             "-mean log D(G(z)) = mean softplus(-logits); extreme logits in hidden cases."),
    Spec("U5.1", "optimal_discriminator", gan.optimal_discriminator, _cases_opt_d,
         doc="optimal_discriminator(p_data (..., K), p_g (..., K)) -> (..., K): "
             "D* = p_data / (p_data + p_g); where both are 0, return 0.5 (no such case is "
             "graded)."),
    Spec("U5.1", "jsd", gan.jsd, _cases_jsd,
         doc="jsd(p (..., K), q (..., K)) -> (...): Jensen-Shannon divergence in nats, "
             "0 log 0 = 0; max_D V = -2 log 2 + 2 jsd."),
    Spec("U5.1", "gan_train_step", gan.gan_train_step, _cases_gan_step, points=3,
         doc="gan_train_step(d_weight (d,), d_bias (), g_weight (d, k), g_bias (d,), "
             "x_real (B, d), z (B, k), lr) -> (d_weight, d_bias, g_weight, g_bias) updated: "
             "D(x) = sigmoid(x @ d_weight + d_bias), G(z) = z @ g_weight.T + g_bias. One SGD step "
             "of D on gan_discriminator_loss with G(z) held fixed, then one SGD step of G on the "
             "non-saturating loss through the updated D, same z."),
]


# ================================================================ U5.2 WGAN
def _cases_critic(gen):
    return [
        _public("batch4", _n(gen, 4) * 3, _n(gen, 4) * 3),
        _hidden("batch1", _n(gen, 1), _n(gen, 1)),
        _hidden("unequal_sizes", _n(gen, 9) + 2, _n(gen, 4) - 1),
        _hidden("large_scores", _n(gen, 5) * 1e3, _n(gen, 5) * 1e3),
    ]


def _cases_wgan_g(gen):
    return [
        _public("batch4", _n(gen, 4) * 3),
        _hidden("batch1", _n(gen, 1)),
        _hidden("float64", _n(gen, 7, dtype=F64)),
    ]


def _gp_case(gen, name, B, d, h, hidden, eps=None, dtype=F32):
    real = _n(gen, B, d, dtype=dtype) + 1
    fake = _n(gen, B, d, dtype=dtype) - 1
    e = _u(gen, B, dtype=dtype) if eps is None else eps.to(dtype)
    return Case(name, args=(real, fake, e, _n(gen, h, d, dtype=dtype), _n(gen, h, dtype=dtype),
                            _n(gen, h, dtype=dtype) * 0.8), hidden=hidden)


def _cases_gp(gen):
    return [
        _gp_case(gen, "b4_d2_h8", 4, 2, 8, hidden=False),
        _gp_case(gen, "batch1", 1, 3, 5, hidden=True),
        _gp_case(gen, "eps_0_and_1", 4, 2, 6, hidden=True, eps=torch.tensor([0.0, 1.0, 0.0, 1.0])),
        _gp_case(gen, "d16_float64", 6, 16, 10, hidden=True, dtype=F64),
    ]


def _cases_clip(gen):
    return [
        _public("two_tensors", [_n(gen, 3, 2) * 0.02, _n(gen, 3) * 0.02], 0.01),
        _hidden("inside_range", [_n(gen, 4) * 1e-3], 0.01),
        _hidden("four_tensors_c05", [_n(gen, 2, 2), _n(gen, 2), _n(gen, 1, 2), _n(gen, 1)], 0.5),
    ]


def _cases_w1(gen):
    tied_x = torch.tensor([0.0, 1.0, 1.0, 2.0, 5.0])
    tied_y = torch.tensor([1.0, 1.0, 3.0])
    return [
        _public("n8_m8", _n(gen, 8), _n(gen, 8) + 0.5),
        _hidden("unequal_sizes", _n(gen, 11) * 2, _n(gen, 4)),
        _hidden("single_points", torch.tensor([0.3]), torch.tensor([-1.2])),
        _hidden("ties", tied_x, tied_y),
        _hidden("identical", tied_x, tied_x.flip(0)),
        _hidden("float64_n200", _n(gen, 200, dtype=F64), _n(gen, 150, dtype=F64) * 2 + 1),
    ]


U52 = [
    Spec("U5.2", "wgan_critic_loss", wgan.wgan_critic_loss, _cases_critic,
         doc="wgan_critic_loss(critic_real (M,), critic_fake (N,)) -> 0-d: "
             "mean D(fake) - mean D(real) (minimised by the critic)."),
    Spec("U5.2", "wgan_generator_loss", wgan.wgan_generator_loss, _cases_wgan_g,
         doc="wgan_generator_loss(critic_fake (N,)) -> 0-d: -mean D(fake)."),
    Spec("U5.2", "gradient_penalty", wgan.gradient_penalty_mlp, _cases_gp, points=2,
         doc="gradient_penalty(x_real (B, d), x_fake (B, d), eps (B,), w1 (h, d), b1 (h,), "
             "w2 (h,)) -> 0-d: mean_b (||grad_x D(x_hat_b)||_2 - 1)^2 (no lambda) with "
             "x_hat = eps x_real + (1 - eps) x_fake and the critic "
             "D(x) = tanh(x @ w1.T + b1) @ w2."),
    Spec("U5.2", "wgan_clip_weights", wgan.wgan_clip_weights, _cases_clip,
         doc="wgan_clip_weights(params: list of tensors, c) -> list of the tensors clamped to "
             "[-c, c] (new tensors, same order)."),
    Spec("U5.2", "wasserstein_1d", wgan.wasserstein_1d, _cases_w1, points=2,
         doc="wasserstein_1d(x (n,), y (m,)) -> 0-d: earth mover's distance between the two "
             "empirical distributions (equal mass per point), = integral |F_x - F_y|; n != m "
             "and ties in hidden cases."),
]


# ================================================================ U5.3 CycleGAN / conditional
def _cases_cycle(gen):
    def case(name, B, dx, dy, lam, hidden):
        return Case(name, args=(_n(gen, B, dx), _n(gen, B + 1, dy), _n(gen, dy, dx) * 0.6,
                                _n(gen, dx, dy) * 0.6), kwargs={"lam": lam}, hidden=hidden)

    eye = torch.eye(3)
    return [
        case("b4_dx3_dy2", 4, 3, 2, 10.0, hidden=False),
        case("batch1", 1, 2, 2, 10.0, hidden=True),
        case("lam1_dx4_dy5", 5, 4, 5, 1.0, hidden=True),
        _hidden("inverse_maps_zero_loss", _n(gen, 3, 3), _n(gen, 3, 3), 2 * eye, 0.5 * eye,
                lam=10.0),
    ]


def _cases_cond_input(gen):
    return [
        _public("b4_c10", _n(gen, 4, 3), _i(gen, 0, 10, 4), 10),
        _hidden("batch1_c2", _n(gen, 1, 5), torch.tensor([1]), 2),
        _hidden("edge_labels", _n(gen, 3, 2), torch.tensor([0, 6, 0]), 7),
        _hidden("float64", _n(gen, 2, 4, dtype=F64), torch.tensor([2, 1]), 3),
    ]


U53 = [
    Spec("U5.3", "cycle_consistency_loss", cyclegan.cycle_consistency_loss_linear, _cases_cycle,
         doc="cycle_consistency_loss(x (B, dx), y (B', dy), g_weight (dy, dx), f_weight (dx, dy), "
             "lam=10.0) -> 0-d: lam * (mean|F(G(x)) - x| + mean|G(F(y)) - y|) with "
             "G(x) = x @ g_weight.T and F(y) = y @ f_weight.T (mean absolute error over all "
             "elements, as nn.L1Loss)."),
    Spec("U5.3", "conditional_generator_input", cyclegan.conditional_generator_input,
         _cases_cond_input,
         doc="conditional_generator_input(z (B, d), labels (B,) int64, num_classes) -> "
             "(B, d + num_classes): [z, one_hot(labels)] in z's dtype."),
]


# ================================================================ U5.4 PixelCNN
def _cases_mask(gen):
    return [
        _public("k3_A", 3, "A"),
        _hidden("k3_B", 3, "B"),
        _hidden("k5_A", 5, "A"),
        _hidden("k7_B", 7, "B"),
        _hidden("k1_A", 1, "A"),
    ]


def _cases_masked_conv(gen):
    def case(name, B, cin, cout, H, W, k, mt, hidden, bias=True):
        return Case(name, args=(_n(gen, B, cin, H, W), _n(gen, cout, cin, k, k) * 0.4,
                                _n(gen, cout) * 0.1 if bias else None, mt), hidden=hidden)

    return [
        case("b2_c1to4_k3_A", 2, 1, 4, 5, 5, 3, "A", hidden=False),
        case("b2_c4to4_k3_B", 2, 4, 4, 6, 5, 3, "B", hidden=True),
        case("batch1_k5_A", 1, 2, 3, 7, 7, 5, "A", hidden=True),
        case("no_bias_k5_B", 2, 3, 2, 4, 6, 5, "B", hidden=True, bias=False),
    ]


def _cases_pixel_ll(gen):
    return [
        _public("b2_k4_4x4", _n(gen, 2, 4, 4, 4), _i(gen, 0, 4, 2, 4, 4)),
        _hidden("batch1_binary", _n(gen, 1, 2, 3, 5), _i(gen, 0, 2, 1, 3, 5)),
        _hidden("k256_8x8", _n(gen, 2, 256, 8, 8) * 2, _i(gen, 0, 256, 2, 8, 8)),
        _hidden("extreme_logits", _n(gen, 3, 5, 4, 4) * 80, _i(gen, 0, 5, 3, 4, 4)),
    ]


U54 = [
    Spec("U5.4", "pixelcnn_mask", pixelcnn.pixelcnn_mask, _cases_mask,
         doc="pixelcnn_mask(kernel_size (odd int), mask_type 'A' or 'B') -> (k, k) float32 0/1: "
             "1 above the centre row and left of the centre in its row; the centre is 1 only "
             "for 'B'."),
    Spec("U5.4", "masked_conv2d", pixelcnn.masked_conv2d, _cases_masked_conv, points=2,
         doc="masked_conv2d(x (B, Cin, H, W), weight (Cout, Cin, k, k), bias (Cout,) or None, "
             "mask_type) -> (B, Cout, H, W): conv2d with the masked kernel, stride 1, padding "
             "k // 2 (all channels one group)."),
    Spec("U5.4", "pixelcnn_log_likelihood", pixelcnn.pixelcnn_log_likelihood, _cases_pixel_ll,
         doc="pixelcnn_log_likelihood(logits (B, K, H, W), x (B, H, W) int64) -> (B,): "
             "sum_i log softmax(logits[:, :, i])[x_i] in nats; hidden cases include extreme "
             "logits (use log_softmax)."),
]


# ================================================================ U5.5 VAE
# sums of many log-density terms of size ~1-10 in float32 can cancel to near 0: absolute slack
LOGLIK_TOL = Tolerance(rtol=1e-5, atol=1e-5)


def _cases_reparam(gen):
    return [
        _public("b4_d3", _n(gen, 4, 3), _n(gen, 4, 3), _n(gen, 4, 3)),
        _hidden("batch1_d1", _n(gen, 1, 1), _n(gen, 1, 1), _n(gen, 1, 1)),
        _hidden("tiny_variance", _n(gen, 3, 4), torch.full((3, 4), -30.0), _n(gen, 3, 4)),
        _hidden("float64_d16", _n(gen, 5, 16, dtype=F64), _n(gen, 5, 16, dtype=F64),
                _n(gen, 5, 16, dtype=F64)),
    ]


def _cases_kl(gen):
    return [
        _public("b4_d3", _n(gen, 4, 3), _n(gen, 4, 3)),
        _hidden("standard_normal_zero", torch.zeros(2, 5), torch.zeros(2, 5)),
        _hidden("batch1_d1", _n(gen, 1, 1) * 2, _n(gen, 1, 1) * 2),
        _hidden("wide_logvar", _n(gen, 3, 8) * 3, _n(gen, 3, 8) * 4),
        _hidden("float64_d32", _n(gen, 4, 32, dtype=F64), _n(gen, 4, 32, dtype=F64)),
    ]


def _elbo_case(gen, name, B, D, d, hidden, decoder="bernoulli", dtype=F32, logvar_dec=None):
    mu, logvar = _n(gen, B, d, dtype=dtype), _n(gen, B, d, dtype=dtype) * 0.5
    if decoder == "bernoulli":
        x = (_u(gen, B, D) < 0.5).to(dtype)
        kwargs = {}
    else:
        x = _n(gen, B, D, dtype=dtype)
        kwargs = {"decoder": "gaussian", "decoder_logvar": logvar_dec}
    out = _n(gen, B, D, dtype=dtype) * 2
    return Case(name, args=(x, out, mu, logvar), kwargs=kwargs, hidden=hidden)


def _cases_elbo(gen):
    return [
        _elbo_case(gen, "bernoulli_b4", 4, 6, 2, hidden=False),
        _elbo_case(gen, "gaussian_b3", 3, 5, 2, hidden=False, decoder="gaussian",
                   logvar_dec=_n(gen, 3, 5) * 0.3),
        _elbo_case(gen, "bernoulli_batch1", 1, 10, 3, hidden=True),
        _elbo_case(gen, "gaussian_scalar_logvar", 4, 3, 1, hidden=True, decoder="gaussian",
                   logvar_dec=-1.0),
        _elbo_case(gen, "bernoulli_float64_d784", 2, 784, 20, hidden=True, dtype=F64),
    ]


def _cases_sample_prior(gen):
    return [
        _public("probs_n4", _n(gen, 4, 2), _n(gen, 6, 2), _n(gen, 6)),
        _hidden("binary_n5", _n(gen, 5, 3), _n(gen, 8, 3), _n(gen, 8), u=_u(gen, 5, 8)),
        _hidden("batch1", _n(gen, 1, 2), _n(gen, 3, 2), _n(gen, 3)),
        _hidden("binary_float64", _n(gen, 3, 2, dtype=F64), _n(gen, 4, 2, dtype=F64),
                _n(gen, 4, dtype=F64), u=_u(gen, 3, 4, dtype=F64)),
    ]


U55 = [
    Spec("U5.5", "reparameterize", vae.reparameterize, _cases_reparam,
         doc="reparameterize(mu, logvar, eps) -> mu + exp(logvar / 2) * eps (same shape)."),
    Spec("U5.5", "gaussian_kl", vae.gaussian_kl, _cases_kl,
         doc="gaussian_kl(mu (B, d), logvar (B, d)) -> (B,): KL(N(mu, exp(logvar)) || N(0, I)) "
             "= -1/2 sum_j (1 + logvar - mu^2 - exp(logvar))."),
    Spec("U5.5", "elbo", vae.elbo, _cases_elbo, points=2,
         tolerance=LOGLIK_TOL,
         doc="elbo(x (B, D), decoder_out (B, D), mu (B, d), logvar (B, d), decoder='bernoulli', "
             "decoder_logvar=None) -> (B,): log p(x|z) - KL(q || N(0, I)), log p(x|z) summed over "
             "D; 'bernoulli': decoder_out are logits; 'gaussian': decoder_out is the mean, "
             "decoder_logvar a tensor (B, D) or a float, density including -1/2 log(2 pi)."),
    Spec("U5.5", "sample_prior", vae.sample_prior, _cases_sample_prior,
         doc="sample_prior(eps (N, d), dec_weight (D, d), dec_bias (D,), u=None) -> (N, D): "
             "z = eps ~ N(0, I), p = sigmoid(z @ dec_weight.T + dec_bias); returns p, or with "
             "uniforms u (N, D) the binary sample (u < p) in eps's dtype."),
]


# ================================================================ U5.6 hierarchical VAE
def _hvae_case(gen, name, B, D, dims, hidden, decoder="bernoulli", dtype=F64):
    L = len(dims)
    q_mus = [_n(gen, B, dl, dtype=dtype) for dl in dims]
    q_logvars = [_n(gen, B, dl, dtype=dtype) * 0.5 for dl in dims]
    zs = [m + torch.exp(0.5 * lv) * _n(gen, B, m.shape[1], dtype=dtype)
          for m, lv in zip(q_mus, q_logvars)]
    p_mus = [_n(gen, B, dims[l], dtype=dtype) for l in range(L - 1)]
    p_logvars = [_n(gen, B, dims[l], dtype=dtype) * 0.5 for l in range(L - 1)]
    out = _n(gen, B, D, dtype=dtype) * 2
    if decoder == "bernoulli":
        x = (_u(gen, B, D) < 0.5).to(dtype)
        kwargs = {}
    else:
        x = _n(gen, B, D, dtype=dtype)
        kwargs = {"decoder": "gaussian", "decoder_logvar": -0.5}
    return Case(name, args=(x, out, zs, q_mus, q_logvars, p_mus, p_logvars), kwargs=kwargs,
                hidden=hidden)


def _cases_hvae(gen):
    return [
        _hvae_case(gen, "two_layers", 4, 6, [3, 2], hidden=False),
        _hvae_case(gen, "one_layer", 3, 5, [2], hidden=True),
        _hvae_case(gen, "three_layers_gaussian", 2, 4, [4, 3, 2], hidden=True, decoder="gaussian"),
        _hvae_case(gen, "batch1_float32", 1, 3, [2, 2], hidden=True, dtype=F32),
    ]


U56 = [
    Spec("U5.6", "hierarchical_elbo", vae.hierarchical_elbo, _cases_hvae, points=2,
         tolerance=LOGLIK_TOL,
         doc="hierarchical_elbo(x, decoder_out, zs, q_mus, q_logvars, p_mus, p_logvars, "
             "decoder='bernoulli', decoder_logvar=None) -> (B,): one-sample ELBO estimate "
             "log p(x|z_1) + log N(z_L; 0, I) + sum_{l<L} log p(z_l|z_{l+1}) - sum_l log q(z_l|.). "
             "zs: L tensors (B, d_l), z_1 first; q_*: L Gaussians (mean, log-variance) of "
             "q(z_1|x), q(z_2|z_1), ...; p_*: L-1 Gaussians of p(z_1|z_2), ..., p(z_{L-1}|z_L). "
             "Diagonal Gaussian densities include -1/2 log(2 pi)."),
]


# ================================================================ U5.7 forward process
# Conditioning policy for U5.7-U5.9: in float32, 1 - alpha_bar_t with beta_1 = 1e-4 keeps only
# ~3 significant digits at small t, so any correct float32 formula can be off by ~4e-4 relative
# there. Cases that include small t (1 - alpha_bar_t < 0.05) are float64, where every correct
# formula agrees to ~1e-12; float32 cases use larger t.
SCHEDULE_TOL = Tolerance(rtol=1e-5, atol=1e-6)
COSINE_TOL = Tolerance(rtol=1e-5, atol=5e-6)
ALPHA_BAR_TOL = Tolerance(rtol=2e-5, atol=1e-6)


def _cases_linear(gen):
    return [
        _public("T10", 10, 1e-4, 0.02),
        _hidden("T1000_ddpm", 1000, 1e-4, 0.02),
        _hidden("T2", 2, 1e-3, 0.02),
        _hidden("T50_custom", 50, 5e-4, 0.05),
    ]


def _cases_cosine(gen):
    # in float32, f(t/T) near t = T is tiny and 1 - f(t/T)/f((t-1)/T) carries absolute errors up
    # to ~3e-5 at T = 1000 whatever the formula: that case is graded with atol 5e-5
    return [
        _public("T10", 10),
        Case("T1000", args=(1000,), tolerance=Tolerance(rtol=1e-4, atol=5e-5)),
        _hidden("T1_clipped", 1),
        _hidden("T100_s0", 100, s=0.0),
    ]


def _cases_alpha_bar(gen):
    return [
        _public("linear_T10", diffusion.linear_beta_schedule(10)),
        _hidden("linear_T1000", diffusion.linear_beta_schedule(1000)),
        _hidden("cosine_T1000", diffusion.cosine_beta_schedule(1000)),
        _hidden("T1", torch.tensor([0.3])),
        _hidden("random_float64", _u(gen, 20, dtype=F64) * 0.2),
    ]


def _q_case(gen, name, T, shape, t, hidden, schedule="linear", dtype=F32):
    betas = (diffusion.linear_beta_schedule(T) if schedule == "linear"
             else diffusion.cosine_beta_schedule(T)).to(dtype)
    return Case(name, args=(_n(gen, *shape, dtype=dtype), torch.as_tensor(t, dtype=torch.long),
                            _n(gen, *shape, dtype=dtype), betas), hidden=hidden)


def _cases_q_sample(gen):
    return [
        _q_case(gen, "T10_b3", 10, (3, 2), [0, 4, 9], hidden=False, dtype=F64),
        _q_case(gen, "T1000_first_last", 1000, (2, 3), [0, 999], hidden=True, dtype=F64),
        _q_case(gen, "batch1_image_float32", 1000, (1, 3, 4, 4), [500], hidden=True),
        _q_case(gen, "cosine_images_float32", 100, (4, 1, 2, 2), [20, 33, 66, 99], hidden=True,
                schedule="cosine"),
        _q_case(gen, "T50_float64", 50, (5, 2), [49, 0, 10, 25, 1], hidden=True, dtype=F64),
    ]


U57 = [
    Spec("U5.7", "linear_beta_schedule", diffusion.linear_beta_schedule, _cases_linear,
         tolerance=SCHEDULE_TOL,
         doc="linear_beta_schedule(T, beta_start, beta_end) -> (T,) float32: beta_1 = beta_start "
             "... beta_T = beta_end evenly spaced (torch.linspace)."),
    Spec("U5.7", "cosine_beta_schedule", diffusion.cosine_beta_schedule, _cases_cosine,
         tolerance=COSINE_TOL,
         doc="cosine_beta_schedule(T, s=0.008, max_beta=0.999) -> (T,) float32: "
             "f(u) = cos^2((u + s)/(1 + s) pi/2), beta_t = min(1 - f(t/T)/f((t-1)/T), max_beta) "
             "(Nichol & Dhariwal; diffusers 'squaredcos_cap_v2'). The T = 1000 case uses "
             "atol 5e-5 (float32 rounding near t = T)."),
    Spec("U5.7", "alpha_bar", diffusion.alpha_bar, _cases_alpha_bar, tolerance=ALPHA_BAR_TOL,
         doc="alpha_bar(betas (T,)) -> (T,): cumulative products of 1 - beta (index i is the "
             "paper's alpha_bar_{i+1})."),
    Spec("U5.7", "q_sample_step", diffusion.q_sample_step, _cases_q_sample,
         doc="q_sample_step(x_prev (B, ...), t (B,) int64 0-based, noise (B, ...), betas (T,)) "
             "-> sqrt(1 - betas[t]) x_prev + sqrt(betas[t]) noise: a draw of q(x_t | x_{t-1})."),
    Spec("U5.7", "q_sample", diffusion.q_sample, _cases_q_sample, points=2,
         tolerance=ALPHA_BAR_TOL,
         doc="q_sample(x0 (B, ...), t (B,) int64 0-based, noise (B, ...), betas (T,)) -> "
             "sqrt(alpha_bar[t]) x0 + sqrt(1 - alpha_bar[t]) noise (as DDPMScheduler.add_noise)."),
]


# ================================================================ U5.8 posterior and loss
def _post_case(gen, name, T, shape, t, hidden, schedule="linear", dtype=F32):
    betas = (diffusion.linear_beta_schedule(T) if schedule == "linear"
             else diffusion.cosine_beta_schedule(T)).to(dtype)
    return Case(name, args=(_n(gen, *shape, dtype=dtype), _n(gen, *shape, dtype=dtype),
                            torch.as_tensor(t, dtype=torch.long), betas), hidden=hidden)


def _cases_posterior(gen):
    # In float32, 1 - alpha_bar_1 with beta_1 = 1e-4 keeps ~3 significant digits, so the slide
    # formula is off by ~4e-4 (relative) at small t whatever the care taken: cases with small t
    # are float64, where every correct formula agrees to ~1e-12.
    return [
        _post_case(gen, "T10_b3", 10, (3, 2), [1, 5, 9], hidden=False, dtype=F64),
        _post_case(gen, "t_index0_variance0", 1000, (2, 2), [0, 0], hidden=True, dtype=F64),
        _post_case(gen, "T1000_last_float32", 1000, (2, 1, 3, 3), [999, 998], hidden=True),
        _post_case(gen, "cosine_batch1_float32", 50, (1, 4), [25], hidden=True,
                   schedule="cosine"),
        _post_case(gen, "T100_float64", 100, (4, 2), [0, 1, 50, 99], hidden=True, dtype=F64),
    ]


def _eps_case(gen, name, T, shape, t, hidden, schedule="linear", dtype=F32):
    betas = (diffusion.linear_beta_schedule(T) if schedule == "linear"
             else diffusion.cosine_beta_schedule(T)).to(dtype)
    return Case(name, args=(_n(gen, *shape, dtype=dtype), torch.as_tensor(t, dtype=torch.long),
                            _n(gen, *shape, dtype=dtype), betas), hidden=hidden)


def _cases_pred_mean(gen):
    return [
        _eps_case(gen, "T10_b3", 10, (3, 2), [1, 5, 9], hidden=False, dtype=F64),
        _eps_case(gen, "t_index0", 1000, (2, 2), [0, 0], hidden=True, dtype=F64),
        _eps_case(gen, "T1000_last_float32", 1000, (2, 1, 3, 3), [999, 998], hidden=True),
        _eps_case(gen, "cosine_batch1_float32", 50, (1, 4), [49], hidden=True,
                  schedule="cosine"),
        _eps_case(gen, "T100_float64", 100, (4, 2), [0, 1, 50, 99], hidden=True, dtype=F64),
    ]


def _cases_lambda(gen):
    # float64 betas: lambda_1 = beta_1^2 / (2 beta_1 alpha_1 (1 - alpha_bar_1)) cancels badly in
    # float32 (see _cases_posterior)
    return [
        _public("T10_large", diffusion.linear_beta_schedule(10, dtype=F64), "fixed_large"),
        _hidden("T1000_large", diffusion.linear_beta_schedule(1000, dtype=F64), "fixed_large"),
        _hidden("T1_large", diffusion.linear_beta_schedule(1, dtype=F64), "fixed_large"),
        _hidden("cosine_T100_large", diffusion.cosine_beta_schedule(100, dtype=F64),
                "fixed_large"),
        _hidden("random_betas", _u(gen, 30, dtype=F64) * 0.3 + 1e-3, "fixed_large"),
    ]


def _lsimple_case(gen, name, T, B, D, t, hidden, dtype=F32):
    betas = diffusion.linear_beta_schedule(T).to(dtype)
    return Case(name, args=(_n(gen, B, D, dtype=dtype), torch.as_tensor(t, dtype=torch.long),
                            _n(gen, B, D, dtype=dtype), betas, _n(gen, T, D, dtype=dtype) * 0.5,
                            _n(gen, T, D, dtype=dtype) * 0.5), hidden=hidden)


def _cases_lsimple(gen):
    return [
        _lsimple_case(gen, "T10_b4", 10, 4, 2, [0, 3, 7, 9], hidden=False, dtype=F64),
        _lsimple_case(gen, "batch1_t_last_float32", 1000, 1, 2, [999], hidden=True),
        _lsimple_case(gen, "T1000_first_last", 1000, 3, 3, [0, 999, 500], hidden=True,
                      dtype=F64),
        _lsimple_case(gen, "float64_T1", 1, 2, 2, [0, 0], hidden=True, dtype=F64),
    ]


U58 = [
    Spec("U5.8", "posterior_mean_variance", diffusion.posterior_mean_variance, _cases_posterior,
         points=2, tolerance=ALPHA_BAR_TOL,
         doc="posterior_mean_variance(x0 (B, ...), xt (B, ...), t (B,) int64 0-based, betas (T,)) "
             "-> (mean (B, ...), variance (B,)): mu~_t and beta~_t of q(x_{t-1} | x_t, x_0), "
             "with the paper's alpha_bar_0 = 1 at index 0 (variance 0 there). Small-t cases are "
             "float64 (float32 loses ~3 digits in 1 - alpha_bar_1)."),
    Spec("U5.8", "predict_mean_from_eps", diffusion.predict_mean_from_eps, _cases_pred_mean,
         tolerance=ALPHA_BAR_TOL,
         doc="predict_mean_from_eps(xt (B, ...), t (B,), eps_hat (B, ...), betas (T,)) -> "
             "(xt - beta_t / sqrt(1 - alpha_bar_t) eps_hat) / sqrt(alpha_t)."),
    Spec("U5.8", "lambda_weights", diffusion.lambda_weights, _cases_lambda,
         tolerance=ALPHA_BAR_TOL,
         doc="lambda_weights(betas (T,) float64, variance 'fixed_large' | 'fixed_small') -> (T,): "
             "beta_t^2 / (2 sigma_t^2 alpha_t (1 - alpha_bar_t)), sigma_t^2 = beta_t (large) or "
             "beta~_t (small; inf at index 0, so only 'fixed_large' is graded)."),
    Spec("U5.8", "l_simple", diffusion.l_simple, _cases_lsimple, points=2,
         tolerance=ALPHA_BAR_TOL,
         doc="l_simple(x0 (B, D), t (B,) int64 0-based, noise (B, D), betas (T,), a (T, D), "
             "b (T, D)) -> 0-d: mean over batch and elements of (noise - eps_theta(x_t, t))^2, "
             "x_t = q_sample(x0, t, noise, betas), with the toy model "
             "eps_theta(x, t) = a[t] * x + b[t]."),
]


# ================================================================ U5.9 sampling
def _sample_case(gen, name, T, B, D, hidden, variance="fixed_small", optimal=True,
                 dtype=F32, tol=None):
    betas = diffusion.linear_beta_schedule(T).to(dtype)
    if optimal:  # near the exact eps-predictor for Gaussian data: values stay O(1)
        a, b = diffusion.optimal_linear_eps(betas, _n(gen, D, dtype=dtype),
                                            0.5 + _u(gen, D, dtype=dtype))
        a = a + 0.05 * _n(gen, T, D, dtype=dtype)
        b = b + 0.05 * _n(gen, T, D, dtype=dtype)
    else:
        a, b = _n(gen, T, D, dtype=dtype) * 0.3, _n(gen, T, D, dtype=dtype) * 0.3
    return Case(name, args=(_n(gen, B, D, dtype=dtype), _n(gen, T, B, D, dtype=dtype), betas,
                            a, b), kwargs={"variance": variance}, hidden=hidden, tolerance=tol)


LOOP_TOL = Tolerance(rtol=1e-4, atol=1e-4)


def _cases_ddpm_sample(gen):
    return [
        _sample_case(gen, "T10_b4", 10, 4, 2, hidden=False, optimal=False),
        _sample_case(gen, "T1_no_noise", 1, 3, 2, hidden=True, optimal=False),
        _sample_case(gen, "T1000_batch1", 1000, 1, 2, hidden=True, tol=LOOP_TOL),
        _sample_case(gen, "T1000_fixed_large", 1000, 3, 2, hidden=True, variance="fixed_large",
                     tol=LOOP_TOL),
        _sample_case(gen, "T100_float64", 100, 2, 3, hidden=True, dtype=F64),
    ]


U59 = [
    Spec("U5.9", "ddpm_sample", diffusion.ddpm_sample, _cases_ddpm_sample, points=3,
         tolerance=Tolerance(rtol=2e-5, atol=2e-5),
         doc="ddpm_sample(x_T (B, D), noises (T, B, D), betas (T,), a (T, D), b (T, D), "
             "variance='fixed_small') -> x_0 (B, D): Algorithm 2 with eps_theta(x, t) = "
             "a[t] * x + b[t]; for index i = T-1 ... 0: x <- (x - beta_i / sqrt(1 - alpha_bar_i) "
             "eps_theta(x, i)) / sqrt(alpha_i) + sigma_i noises[i], except no noise at i = 0 "
             "(noises[0] is unused); sigma_i^2 = beta~_i ('fixed_small') or beta_i "
             "('fixed_large'). T = 1000 cases use rtol = atol = 1e-4."),
]


# ================================================================ U5.10 guidance / latent / DiT
def _cases_cfg(gen):
    return [
        _public("w3", _n(gen, 2, 4), _n(gen, 2, 4), 3.0),
        _hidden("w0_is_conditional", _n(gen, 3, 2), _n(gen, 3, 2), 0.0),
        _hidden("w6.5_images", _n(gen, 1, 4, 3, 3), _n(gen, 1, 4, 3, 3), 6.5),
        _hidden("negative_w", _n(gen, 2, 2), _n(gen, 2, 2), -1.0),
    ]


def _cases_scale(gen):
    return [
        _public("b2_c4_8x8", _n(gen, 2, 4, 8, 8) * 5.0),
        _hidden("batch1", _n(gen, 1, 4, 4, 4) * 0.2 + 1.0),
        _hidden("float64", _n(gen, 3, 4, 2, 2, dtype=F64) * 3.0),
    ]


def _cases_patchify(gen):
    return [
        _public("b2_c3_4x4_p2", _n(gen, 2, 3, 4, 4), 2),
        _hidden("batch1_c4_8x8_p4", _n(gen, 1, 4, 8, 8), 4),
        _hidden("nonsquare_6x4_p2", _n(gen, 2, 2, 6, 4), 2),
        _hidden("p1", _n(gen, 1, 3, 3, 3), 1),
    ]


def _cases_unpatchify(gen):
    return [
        _public("b2_c3_p2_n4", _n(gen, 2, 4, 12), 2, 3),
        _hidden("batch1_c4_p4_n4", _n(gen, 1, 4, 64), 4, 4),
        _hidden("c1_p2_n9", _n(gen, 3, 9, 4), 2, 1),
    ]


def _cases_adaln(gen):
    return [
        _public("b2_n3_d4", _n(gen, 2, 3, 4), _n(gen, 2, 4), _n(gen, 2, 4)),
        _hidden("batch1_n1", _n(gen, 1, 1, 5), _n(gen, 1, 5), _n(gen, 1, 5)),
        _hidden("zero_is_identity", _n(gen, 2, 4, 3), torch.zeros(2, 3), torch.zeros(2, 3)),
        _hidden("float64", _n(gen, 3, 2, 6, dtype=F64), _n(gen, 3, 6, dtype=F64),
                _n(gen, 3, 6, dtype=F64)),
    ]


def _cases_temb(gen):
    return [
        _public("t_int_dim8", torch.tensor([0, 1, 10, 999]), 8),
        _hidden("fractional_dim16", _u(gen, 3) * 1000, 16),
        _hidden("odd_dim7", torch.tensor([5, 500]), 7),
        _hidden("batch1_dim256", torch.tensor([250]), 256),
    ]


EMB_TOL = Tolerance(rtol=1e-5, atol=2e-4)  # sin/cos of arguments up to 1e3 in float32

U510 = [
    Spec("U5.10", "classifier_free_guidance", guidance.classifier_free_guidance, _cases_cfg,
         tolerance=Tolerance(rtol=1e-5, atol=1e-5),  # (1 + w) c - w u vs u + (1 + w)(c - u)
         doc="classifier_free_guidance(eps_cond, eps_uncond, w) -> (1 + w) eps_cond - "
             "w eps_uncond (Ho & Salimans; diffusers' guidance_scale is s = 1 + w)."),
    Spec("U5.10", "latent_scale_factor", guidance.latent_scale_factor, _cases_scale,
         doc="latent_scale_factor(latents (B, C, h, w)) -> 0-d: 1 / std of all entries "
             "(torch's default unbiased std), so that factor * latents has unit variance."),
    Spec("U5.10", "dit_patchify", guidance.dit_patchify, _cases_patchify, points=2,
         doc="dit_patchify(x (B, C, H, W), p) -> (B, (H/p)(W/p), p*p*C): patches in raster "
             "order, each flattened in (row in patch, column in patch, channel) order, the "
             "inverse of DiT's unpatchify."),
    Spec("U5.10", "dit_unpatchify", guidance.dit_unpatchify, _cases_unpatchify,
         doc="dit_unpatchify(tokens (B, N, p*p*c), p, c) -> (B, c, H, W), N a square: "
             "DiT's unpatchify (reshape (B, h, w, p, p, c), einsum 'nhwpqc->nchpwq')."),
    Spec("U5.10", "adaln_modulate", guidance.adaln_modulate, _cases_adaln,
         doc="adaln_modulate(x (B, N, D), shift (B, D), scale (B, D)) -> x * (1 + scale) + "
             "shift, broadcast over the N tokens."),
    Spec("U5.10", "timestep_embedding", guidance.timestep_embedding, _cases_temb,
         tolerance=EMB_TOL,
         doc="timestep_embedding(t (B,), dim, max_period=10000) -> (B, dim) float32: "
             "half = dim // 2, f_k = exp(-ln(max_period) k / half), [cos(t f), sin(t f)], "
             "a zero column appended when dim is odd (DiT's TimestepEmbedder)."),
]


# ================================================================ U5.11 diffusion LM
def _cases_lm_mask(gen):
    V = 20
    return [
        _public("b2_l8", _i(gen, 0, V, 2, 8), torch.tensor([0.3, 0.8]), _u(gen, 2, 8), V),
        _hidden("t0_and_t1", _i(gen, 0, V, 2, 6), torch.tensor([0.0, 1.0]), _u(gen, 2, 6), V),
        _hidden("batch1_l32", _i(gen, 0, V, 1, 32), torch.tensor([0.5]), _u(gen, 1, 32), V),
        _hidden("mask_id_0", _i(gen, 1, 5, 3, 4), _u(gen, 3), _u(gen, 3, 4), 0),
    ]


def _lm_loss_case(gen, name, B, L, V, hidden, t=None, scale=1.0):
    x0 = _i(gen, 0, V, B, L)
    t = _u(gen, B) * 0.9 + 0.1 if t is None else t
    xt = diffusion_lm.diffusion_lm_mask(x0, t, _u(gen, B, L), V)
    return Case(name, args=(_n(gen, B, L, V) * scale, x0, xt, t, V), hidden=hidden)


def _cases_lm_loss(gen):
    return [
        _lm_loss_case(gen, "b3_l8_v10", 3, 8, 10, hidden=False),
        _lm_loss_case(gen, "batch1_t1_all_masked", 1, 6, 5, hidden=True, t=torch.tensor([1.0])),
        _lm_loss_case(gen, "small_t_nothing_masked", 2, 4, 7, hidden=True,
                      t=torch.tensor([1e-3, 2e-3])),
        _lm_loss_case(gen, "extreme_logits", 2, 10, 6, hidden=True, scale=60.0),
    ]


def _lm_step_case(gen, name, B, L, V, t, s, hidden, rate=0.7):
    x = _i(gen, 0, V, B, L)
    xt = diffusion_lm.diffusion_lm_mask(x, torch.full((B,), rate), _u(gen, B, L), V)
    u, g = _u(gen, B, L), diffusion_lm.gumbel_from_uniform(_u(gen, B, L, V))
    return Case(name, args=(xt, _n(gen, B, L, V) * 2, torch.as_tensor(t), torch.as_tensor(s),
                            u, g, V), hidden=hidden)


def _cases_lm_step(gen):
    return [
        _lm_step_case(gen, "b2_l10", 2, 10, 8, [0.7, 0.7], [0.5, 0.35], hidden=False),
        _lm_step_case(gen, "s0_reveals_all", 2, 6, 5, [0.4, 1.0], [0.0, 0.0], hidden=True),
        _lm_step_case(gen, "batch1_t1", 1, 16, 12, [1.0], [0.9], hidden=True, rate=1.0),
        _lm_step_case(gen, "nothing_masked", 2, 5, 4, [0.5, 0.5], [0.2, 0.4], hidden=True,
                      rate=0.0),
    ]


def _cases_lm_conf(gen):
    def case(name, B, L, V, k, rate, hidden):
        x = _i(gen, 0, V, B, L)
        xt = diffusion_lm.diffusion_lm_mask(x, torch.full((B,), rate), _u(gen, B, L), V)
        return Case(name, args=(xt, _n(gen, B, L, V) * 2, k, V), hidden=hidden)

    return [
        case("b2_l10_k3", 2, 10, 6, 3, 0.6, hidden=False),
        case("k_exceeds_masked", 2, 6, 5, 6, 0.5, hidden=True),
        case("batch1_all_masked_k1", 1, 8, 4, 1, 1.0, hidden=True),
    ]


U511 = [
    Spec("U5.11", "diffusion_lm_mask", diffusion_lm.diffusion_lm_mask, _cases_lm_mask,
         doc="diffusion_lm_mask(x0 (B, L) int64, t (B,), u (B, L) uniforms, mask_id) -> x_t "
             "(B, L) int64: position i masked iff u[b, i] < t[b]."),
    Spec("U5.11", "diffusion_lm_loss", diffusion_lm.diffusion_lm_loss, _cases_lm_loss, points=2,
         doc="diffusion_lm_loss(logits (B, L, V), x0 (B, L), xt (B, L), t (B,), mask_id) -> 0-d: "
             "mean over b of (1 / (t_b L)) sum over masked i of -log softmax(logits[b, i])[x0]; "
             "V real tokens, mask_id = V outside the logits."),
    Spec("U5.11", "diffusion_lm_unmask_step", diffusion_lm.diffusion_lm_unmask_step,
         _cases_lm_step, points=2,
         doc="diffusion_lm_unmask_step(xt (B, L), logits (B, L, V), t (B,), s (B,), u (B, L), "
             "gumbel (B, L, V), mask_id) -> x_s (B, L) int64: each masked position is revealed "
             "iff u < (t - s) / t, to argmax(logits + gumbel); other positions are copied."),
    Spec("U5.11", "diffusion_lm_confidence_step", diffusion_lm.confidence_unmask_step,
         _cases_lm_conf,
         doc="diffusion_lm_confidence_step(xt (B, L), logits (B, L, V), k, mask_id) -> (B, L): "
             "LLaDA low-confidence remasking: among masked positions reveal the k (all, if fewer) "
             "whose argmax token has the largest softmax probability, to that argmax token."),
]


SPECS: list[Spec] = [*U51, *U52, *U53, *U54, *U55, *U56, *U57, *U58, *U59, *U510, *U511]
