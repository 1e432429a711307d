"""U5: generative models: GAN, WGAN, CycleGAN, PixelCNN, VAE, DDPM, guidance, latent diffusion,
diffusion language models."""
from __future__ import annotations

import math

import torch

from reference import cyclegan, diffusion, diffusion_lm, gan, guidance, pixelcnn, vae, wgan

from ..question import Redraw, fmt, ma, mc, numeric, shape_str, short, tf
from ..registry import generator
from .common import F64, M, T, rf, ri, vec


def _probs(rng, k):
    raw = [ri(rng, 1, 9) for _ in range(k)]
    head = [round(r / sum(raw), 2) for r in raw[:-1]]
    return head + [round(1 - sum(head), 2)]


@generator("U5.1", "GAN")
def u5_gan_dstar(rng):
    pd, pg = round(rng.uniform(0.05, 0.9), 2), round(rng.uniform(0.05, 0.9), 2)
    return numeric(f"At an outcome x, p_data(x) = {pd} and p_G(x) = {pg}. What is the optimal "
                   f"discriminator's output D*(x)?", gan.optimal_discriminator_value(pd, pg),
                   p_data=pd, p_g=pg)


@generator("U5.1", "GAN")
def u5_gan_dstar_mc(rng):
    pd, pg = round(rng.uniform(0.05, 0.9), 2), round(rng.uniform(0.05, 0.9), 2)
    d = gan.optimal_discriminator_value
    good = d(pd, pg)
    wrong = [d(pg, pd),  # p_G on top
             d(pd, pd),  # as if the generator already matched the data: 1/2
             d(pd, 1 - pd)]  # p_G taken as 1 − p_data
    return mc(rng, f"p_data(x) = {pd}, p_G(x) = {pg}. For a fixed generator, the optimal "
              f"discriminator D*(x) is:", fmt(good, 3), [fmt(w, 3) for w in wrong],
              p_data=pd, p_g=pg)


@generator("U5.1", "GAN")
def u5_gan_max_value(rng):
    p, q = _probs(rng, 3), _probs(rng, 3)
    if min(p + q) <= 0:
        raise Redraw("zero probability")
    return numeric(f"On three outcomes p_data = {vec(p)} and p_G = {vec(q)}. What is "
                   f"max_D V(G, D) (natural log)?", gan.max_value_from_probs(p, q), p=p, q=q)


@generator("U5.1", "GAN")
def u5_jsd(rng):
    p, q = _probs(rng, 2), _probs(rng, 2)
    if min(p + q) <= 0:
        raise Redraw("zero probability")
    j = gan.jsd(T(*p), T(*q))
    return numeric(f"Two distributions on two outcomes: P = {vec(p)}, Q = {vec(q)}. What is the "
                   f"Jensen-Shannon divergence JSD(P‖Q) in nats?", j, p=p, q=q)


@generator("U5.1", "GAN")
def u5_gan_ma(rng):
    pd, pg = _probs(rng, 4), _probs(rng, 4)
    if min(pd + pg) <= 0:
        raise Redraw("zero probability")
    d = [gan.optimal_discriminator_value(a, b) for a, b in zip(pd, pg)]
    if any(abs(v - 0.5) < 1e-9 for v in d):
        raise Redraw("tie")
    opts = [(f"x{i + 1}", v > 0.5) for i, v in enumerate(d)]
    return ma(rng, f"Outcomes x1..x4 have p_data = {vec(pd)} and p_G = {vec(pg)}. Select every "
              f"outcome where the optimal discriminator outputs more than 1/2.", opts,
              p_data=pd, p_g=pg)


@generator("U5.2", "WGAN")
def u5_wasserstein(rng):
    x = [ri(rng, 0, 6) for _ in range(3)]
    y = [ri(rng, 0, 6) for _ in range(3)]
    w = wgan.wasserstein_1d(T(*x), T(*y))
    return numeric(f"Two empirical 1-D distributions, each point with mass 1/3: x = {vec(x)}, "
                   f"y = {vec(y)}. What is the Wasserstein-1 (earth mover's) distance?", w,
                   x=x, y=y)


@generator("U5.2", "WGAN")
def u5_wgan_critic_loss(rng):
    real = [rf(rng, -2, 3) for _ in range(3)]
    fake = [rf(rng, -3, 2) for _ in range(3)]
    loss = wgan.wgan_critic_loss(T(*real), T(*fake))
    return numeric(f"A WGAN critic scores real samples {vec(real)} and generated samples "
                   f"{vec(fake)}. What is the critic's loss mean D(fake) − mean D(real)?", loss,
                   real=real, fake=fake)


@generator("U5.3", "CycleGAN")
def u5_cycle_loss(rng):
    g, f = rf(rng, -2, 2), rf(rng, -2, 2)
    x = [rf(rng, -2, 2) for _ in range(2)]
    y = [rf(rng, -2, 2) for _ in range(2)]
    lam = rng.choice([1.0, 5.0, 10.0])
    loss = cyclegan.cycle_consistency_loss_linear(T(*x)[:, None], T(*y)[:, None], M([[g]]),
                                                  M([[f]]), lam)
    return numeric(f"CycleGAN with 1-D linear translators G(x) = {fmt(g)}·x and F(y) = {fmt(f)}·y. "
                   f"Samples x = {vec(x)}, y = {vec(y)}. What is the cycle-consistency loss "
                   f"λ (mean|F(G(x)) − x| + mean|G(F(y)) − y|) with λ = {fmt(lam)}?", loss,
                   g=g, f=f, x=x, y=y, lam=lam)


@generator("U5.3", "conditional GAN")
def u5_conditional_input(rng):
    dz, K = rng.choice([16, 64, 100, 128]), rng.choice([10, 100, 1000])
    B = rng.choice([8, 32])
    shape = cyclegan.conditional_generator_input(torch.zeros(B, dz), torch.zeros(B, dtype=torch.long), K).shape
    return short(f"A class-conditional generator takes [z, one-hot(label)] for a batch of {B} "
                 f"noise vectors z of dimension {dz} and labels from {K} classes. What is the "
                 f"shape of its input?", shape_str(shape), dz=dz, K=K, B=B)


@generator("U5.4", "PixelCNN", versions=8)
def u5_pixelcnn_mask_count(rng):
    k, kind = rng.choice([3, 5, 7, 9]), rng.choice(["A", "B"])
    n = pixelcnn.pixelcnn_mask(k, kind).sum()
    return numeric(f"PixelCNN masks its {k}×{k} kernels so a pixel sees only pixels above it and "
                   f"to its left (mask type {kind}: the centre is {'not ' if kind == 'A' else ''}"
                   f"visible). How many of the {k * k} kernel weights are kept (mask = 1)?", n,
                   integer=True, k=k, kind=kind)


@generator("U5.4", "PixelCNN")
def u5_pixelcnn_mask_ma(rng):
    k, kind = 5, rng.choice(["A", "B"])
    mask = pixelcnn.pixelcnn_mask(k, kind)
    cells = rng.sample([(r, c) for r in range(k) for c in range(k)], 5)
    opts = [(f"(row {r}, col {c})", bool(mask[r, c] == 1)) for r, c in cells]
    return ma(rng, f"A 5×5 PixelCNN kernel with mask type {kind}; rows and columns are 0-based, "
              f"the centre is (2, 2). Select every kernel position whose weight is kept.", opts,
              kind=kind, cells=[list(c) for c in cells])


@generator("U5.4", "PixelCNN")
def u5_bits_per_dim(rng):
    side, K = rng.choice([4, 8, 28]), rng.choice([2, 256])
    nll = round(rng.uniform(0.2, 0.9) * side * side * math.log(K), 1)
    bpd = pixelcnn.bits_per_dim(T(-nll), side * side)
    return numeric(f"A PixelCNN assigns a {side}×{side} single-channel image log p(x) = −{fmt(nll)} "
                   f"nats. What is the negative log-likelihood in bits per dimension?", bpd,
                   side=side, nll=nll)


@generator("U5.5", "VAE")
def u5_gaussian_kl(rng):
    mu, sigma = rf(rng, -2, 2), rf(rng, 0.3, 2.0)
    return numeric(f"What is KL(N({fmt(mu)}, {fmt(sigma)}²) ‖ N(0, 1)) in nats?",
                   vae.gaussian_kl_scalar(mu, sigma), mu=mu, sigma=sigma)


@generator("U5.5", "VAE")
def u5_gaussian_kl_mc(rng):
    mu, sigma = rf(rng, -2, 2), rf(rng, 0.3, 2.0)
    if sigma == 1.0:
        raise Redraw("σ = 1 hides the variance mistake")
    good = vae.gaussian_kl_scalar(mu, sigma)
    wrong = [vae.gaussian_kl_scalar(mu, sigma ** 2),  # variance used as σ
             vae.gaussian_kl_scalar(0.0, 1.0, mu, sigma),  # reverse KL
             vae.gaussian_kl_scalar(0.0, sigma)]  # mean term forgotten
    return mc(rng, f"The VAE's KL term for one latent dimension with μ = {fmt(mu)}, "
              f"σ = {fmt(sigma)} against the prior N(0, 1) is:", fmt(good, 3),
              [fmt(w, 3) for w in wrong], mu=mu, sigma=sigma)


@generator("U5.5", "VAE")
def u5_kl_asymmetry_tf(rng):
    mu, sigma = rf(rng, -1.5, 1.5), rf(rng, 0.3, 2.0)
    a, b = vae.gaussian_kl_scalar(mu, sigma), vae.gaussian_kl_scalar(0.0, 1.0, mu, sigma)
    if abs(a - b) < 1e-3:
        raise Redraw("too close")
    return tf(f"For q = N({fmt(mu)}, {fmt(sigma)}²) and p = N(0, 1): KL(q‖p) > KL(p‖q).", a > b,
              mu=mu, sigma=sigma)


@generator("U5.5", "VAE")
def u5_reparameterize(rng):
    mu, logvar, eps = rf(rng, -2, 2), rf(rng, -2, 2), rf(rng, -2, 2)
    z = vae.reparameterize(T(mu), T(logvar), T(eps))[0]
    return numeric(f"Reparameterisation z = μ + σ·ε: μ = {fmt(mu)}, log σ² = {fmt(logvar)}, "
                   f"ε = {fmt(eps)}. What is z?", z, mu=mu, logvar=logvar, eps=eps)


@generator("U5.6", "hierarchical VAE")
def u5_hvae_kl(rng):
    mq, sq = rf(rng, -1.5, 1.5), rf(rng, 0.3, 1.5)
    mp, sp = rf(rng, -1, 1), rf(rng, 0.5, 2.0)
    kl = vae.gaussian_kl_general(T(mq), T(2 * math.log(sq)), T(mp), T(2 * math.log(sp)))
    return numeric(f"In a two-layer hierarchical VAE the ELBO's KL term for z_1 compares "
                   f"q(z_1 | x) = N({fmt(mq)}, {fmt(sq)}²) with the learned prior p(z_1 | z_2) = "
                   f"N({fmt(mp)}, {fmt(sp)}²) (one dimension). What is this KL in nats?", kl,
                   mq=mq, sq=sq, mp=mp, sp=sp)


# Schedules short enough to multiply out on a calculator (ᾱ_t is a product of t factors).
_TOY = [(10, 0.01, 0.2), (10, 0.05, 0.5), (20, 0.01, 0.1), (5, 0.1, 0.5), (8, 0.02, 0.3)]
_LINEAR = "DDPM linear schedule (β_1 = 1e-4 to β_T = 0.02, T = 1000)"


def _schedule_values(t: int, Tn: int = 1000) -> str:
    """The numbers a T = 1000 question needs (nobody multiplies 1000 factors in an exam), from
    the reference, to 6 significant digits."""
    beta = diffusion.linear_beta(t, Tn)
    ab, ab_prev = diffusion.alpha_bar_linear(t, Tn), diffusion.alpha_bar_linear(t - 1, Tn)
    return f"At t = {t}: β_t = {beta:.6g}, ᾱ_t = {ab:.6g}, ᾱ_(t−1) = {ab_prev:.6g}."


@generator("U5.7", "DDPM schedule")
def u5_alpha_bar_linear(rng):
    Tn, b0, b1 = rng.choice(_TOY)
    t = ri(rng, 2, Tn)
    ab = diffusion.alpha_bar_linear(t, Tn, b0, b1)
    return numeric(f"A toy DDPM linear schedule: β_1 = {b0}, …, β_T = {b1}, T = {Tn} (β_t evenly "
                   f"spaced), α_t = 1 − β_t. What is ᾱ_{t}?", ab, T=Tn, b0=b0, b1=b1, t=t)


@generator("U5.7", "DDPM schedule")
def u5_alpha_bar_mc(rng):
    Tn, b0, b1 = rng.choice(_TOY)
    t = ri(rng, 2, Tn - 1)
    betas = diffusion.linear_beta_schedule(Tn, b0, b1, dtype=F64)
    good = diffusion.alpha_bar_linear(t, Tn, b0, b1)
    wrong = [float(diffusion.alphas(betas)[t - 1]),  # α_t instead of ᾱ_t
             diffusion.alpha_bar_linear(t - 1, Tn, b0, b1),  # one factor short (0- vs 1-based)
             diffusion.alpha_bar_linear(t + 1, Tn, b0, b1)]  # one factor too many
    return mc(rng, f"Toy linear schedule from β_1 = {b0} to β_T = {b1} with T = {Tn} (evenly "
              f"spaced). ᾱ_{t} equals:", fmt(good, 4), [fmt(w, 4) for w in wrong],
              T=Tn, b0=b0, b1=b1, t=t)


@generator("U5.7", "DDPM schedule")
def u5_alpha_bar_cosine(rng):
    Tn = rng.choice([100, 1000])
    t = ri(rng, 1, Tn - 1)
    ab = diffusion.alpha_bar_cosine(t, Tn)
    if ab < 0.02:
        raise Redraw("ᾱ_t too close to 0 for a 1% answer")
    return numeric(f"Cosine schedule (s = 0.008), T = {Tn}: ᾱ_t = f(t/T)/f(0) with "
                   f"f(u) = cos²((u + s)/(1 + s)·π/2). What is ᾱ_{t}?", ab, T=Tn, t=t)


@generator("U5.7", "DDPM schedule")
def u5_schedule_tf(rng):
    Tn = 1000
    t = ri(rng, 50, 950)
    a, b = diffusion.alpha_bar_cosine(t, Tn), diffusion.alpha_bar_linear(t, Tn)
    if abs(a - b) < 0.05:
        raise Redraw("too close to call")
    return tf(f"With T = {Tn}, at t = {t} the cosine schedule's ᾱ_t = f(t)/f(0), "
              f"f(t) = cos²(((t/T + s)/(1 + s))·π/2) with s = 0.008, is larger than the linear "
              f"schedule's ᾱ_t = ∏(1 − β_i) (β from 1e-4 to 0.02).", a > b, T=Tn, t=t)


@generator("U5.7", "DDPM forward process")
def u5_q_sample(rng):
    Tn, t = 1000, rng.choice([1, 10, 100, 250, 500, 999])
    x0, eps = rf(rng, -1, 1), rf(rng, -2, 2)
    betas = diffusion.linear_beta_schedule(Tn, dtype=F64)
    xt = diffusion.q_sample(T(x0), torch.tensor([t - 1]), T(eps), betas)[0]
    return numeric(f"{_LINEAR}. {_schedule_values(t)} With x_0 = {fmt(x0)} and noise "
                   f"ε = {fmt(eps)}, what is x_{t} sampled from q(x_{t} | x_0)?", xt,
                   T=Tn, t=t, x0=x0, eps=eps)


@generator("U5.8", "DDPM posterior")
def u5_posterior_mean(rng):
    Tn, t = 1000, rng.choice([10, 50, 100, 200, 500, 900])
    x0, xt = rf(rng, -1, 1), rf(rng, -2, 2)
    mean, _ = diffusion.posterior_mean_variance_scalar(x0, xt, t, Tn)
    return numeric(f"{_LINEAR}. {_schedule_values(t)} With x_0 = {fmt(x0)} and x_{t} = {fmt(xt)}, "
                   f"what is the posterior mean μ̃_{t}(x_t, x_0) of q(x_{t - 1} | x_t, x_0)?",
                   mean, T=Tn, t=t, x0=x0, xt=xt)


@generator("U5.8", "DDPM posterior")
def u5_posterior_variance(rng):
    Tn, t = 1000, rng.choice([2, 5, 10, 50, 100, 200, 250, 500, 750, 1000])
    _, var = diffusion.posterior_mean_variance_scalar(0.0, 0.0, t, Tn)
    return numeric(f"{_LINEAR}. {_schedule_values(t)} What is the posterior variance β̃_{t} of "
                   f"q(x_{t - 1} | x_t, x_0)?", var, T=Tn, t=t)


@generator("U5.8", "DDPM reverse process")
def u5_x0_from_eps(rng):
    Tn, t = 1000, rng.choice([1, 10, 100, 250, 500])
    xt, eps = rf(rng, -2, 2), rf(rng, -2, 2)
    betas = diffusion.linear_beta_schedule(Tn, dtype=F64)
    x0 = diffusion.predict_x0_from_eps(T(xt), torch.tensor([t - 1]), T(eps), betas)[0]
    return numeric(f"{_LINEAR}. {_schedule_values(t)} The network predicts ε̂ = {fmt(eps)} at "
                   f"x_{t} = {fmt(xt)}. What is the implied x̂_0?", x0, T=Tn, t=t, xt=xt, eps=eps)


@generator("U5.8", "DDPM reverse process")
def u5_mu_theta(rng):
    Tn, t = 1000, rng.choice([2, 10, 100, 500, 1000])
    xt, eps = rf(rng, -2, 2), rf(rng, -2, 2)
    betas = diffusion.linear_beta_schedule(Tn, dtype=F64)
    mu = diffusion.predict_mean_from_eps(T(xt), torch.tensor([t - 1]), T(eps), betas)[0]
    return numeric(f"{_LINEAR}. {_schedule_values(t)} With x_{t} = {fmt(xt)} and the predicted "
                   f"noise ε̂ = {fmt(eps)}, what is the ε-parameterised mean μ_θ(x_{t}, {t})?", mu,
                   T=Tn, t=t, xt=xt, eps=eps)


@generator("U5.9", "DDPM sampling")
def u5_ddpm_step(rng):
    Tn = 1000
    t = rng.choice([1, 1, 2, 10, 100, 500])
    xt, eps, z = rf(rng, -2, 2), rf(rng, -2, 2), rf(rng, -2, 2)
    betas = diffusion.linear_beta_schedule(Tn, dtype=F64)
    x = diffusion.ddpm_step(T(xt), t - 1, T(eps), betas, T(z), "fixed_large")[0]
    return numeric(f"{_LINEAR}. {_schedule_values(t)} One step of Algorithm 2 (σ_t² = β_t) from "
                   f"x_{t} = {fmt(xt)} with ε_θ(x_{t}, {t}) = {fmt(eps)} and fresh noise "
                   f"z = {fmt(z)} (used only if the algorithm adds noise at this step). What is "
                   f"x_{t - 1}?", x, T=Tn, t=t, xt=xt, eps=eps, z=z)


@generator("U5.10", "classifier-free guidance")
def u5_cfg(rng):
    ec, eu, w = rf(rng, -1, 1), rf(rng, -1, 1), rng.choice([0.5, 1.0, 2.0, 3.0, 7.5])
    out = guidance.classifier_free_guidance(T(ec), T(eu), w)[0]
    return numeric(f"Classifier-free guidance (Ho & Salimans, ε̃ = (1 + w) ε_c − w ε_u) with "
                   f"ε_c = {fmt(ec)}, ε_u = {fmt(eu)}, w = {w}. What is ε̃?", out,
                   ec=ec, eu=eu, w=w)


@generator("U5.10", "classifier-free guidance")
def u5_cfg_mc(rng):
    ec, eu, w = rf(rng, -1, 1), rf(rng, -1, 1), rng.choice([2.0, 3.0, 7.5])
    if abs(ec - eu) < 0.1:
        raise Redraw("too close")
    good = guidance.classifier_free_guidance(T(ec), T(eu), w)[0]
    wrong = [guidance.guidance_scale_mix(T(eu), T(ec), w)[0],  # diffusers' s used as w
             guidance.classifier_free_guidance(T(eu), T(ec), w)[0],  # roles swapped
             guidance.classifier_free_guidance(T(ec), T(eu), 0.0)[0]]  # no guidance
    return mc(rng, f"Ho & Salimans' classifier-free guidance with weight w = {w}, "
              f"ε̃ = (1 + w)·ε_c − w·ε_u: with ε_c = {fmt(ec)} and ε_u = {fmt(eu)}, ε̃ is:", fmt(good, 3), [fmt(x, 3) for x in wrong],
              ec=ec, eu=eu, w=w)


@generator("U5.10", "DiT")
def u5_dit_shape(rng):
    B, C, p = rng.choice([2, 4]), 4, rng.choice([2, 4, 8])
    n = p * rng.choice([4, 8, 16])
    shape = guidance.dit_patchify(torch.zeros(B, C, n, n), p).shape
    return short(f"DiT patchifies latents of shape ({B}, {C}, {n}, {n}) with patch size {p}. What "
                 f"is the token tensor's shape (B, N, p·p·C)?", shape_str(shape), B=B, C=C, n=n, p=p)


@generator("U5.10", "latent diffusion")
def u5_latent_scale(rng):
    z = [rf(rng, -6, 6) for _ in range(4)]
    if len(set(z)) == 1:
        raise Redraw("zero spread")
    i = ri(rng, 0, 3)
    f = guidance.latent_scale_factor(T(*z))
    scaled = guidance.scale_latents(T(*z), f)[i]
    return numeric(f"Latent diffusion rescales the autoencoder's latents by factor = 1/std (the "
                   f"unbiased sample standard deviation of all entries). A batch of latents has "
                   f"entries {vec(z)}. What does entry {i} (0-based) become after scaling?",
                   scaled, z=z, i=i)


@generator("U5.11", "diffusion language model")
def u5_diffusion_lm_mask(rng):
    L = 8
    u = [round(rng.random(), 2) for _ in range(L)]
    t = rng.choice([0.25, 0.5, 0.75])
    xt = diffusion_lm.diffusion_lm_mask(torch.arange(L)[None], torch.tensor([t]),
                                        M(u)[None], mask_id=99)
    n = int((xt == 99).sum())
    return numeric(f"Masked diffusion LM: a sequence of {L} tokens at masking rate t = {t}; "
                   f"position i is masked iff u_i < t, with u = {vec(u)}. How many positions are "
                   f"masked?", n, integer=True, u=u, t=t)


@generator("U5.11", "diffusion language model")
def u5_diffusion_lm_loss(rng):
    L = rng.choice([4, 8])
    t = rng.choice([0.25, 0.5, 0.75])
    n_masked = max(1, round(L * t))
    probs = [round(rng.uniform(0.05, 0.95), 2) for _ in range(n_masked)]
    x0 = torch.zeros(1, L, dtype=torch.long)
    xt = x0.clone()
    xt[0, :n_masked] = 2  # mask id
    logits = torch.zeros(1, L, 2, dtype=F64)
    logits[0, :n_masked] = torch.log(torch.stack([T(*probs), 1 - T(*probs)], 1))
    loss = diffusion_lm.diffusion_lm_loss(logits, x0, xt, torch.tensor([t], dtype=F64), 2)
    return numeric(f"Masked diffusion LM loss: a sequence of L = {L} tokens was masked at rate "
                   f"t = {t}; {n_masked} position(s) are masked, where the model gives the true "
                   f"tokens probabilities {vec(probs)}. The loss is (1/(t·L)) Σ over masked "
                   f"positions of −log p. What is it (natural log)?", loss, L=L, t=t, probs=probs)
