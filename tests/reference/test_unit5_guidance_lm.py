"""Oracle tests for U5.10 (guidance, latent scaling, DiT) and U5.11 (masked diffusion LM).

Oracles: hand examples; diffusers' pipeline guidance formula, ``get_timestep_embedding`` and
``AutoencoderKL``'s default scaling factor; ``F.unfold`` and a patch-embedding convolution (DiT's
``x_embedder``) for patchify; DiT's ``unpatchify`` transcribed from the paper's code;
``nn.LayerNorm``; ``F.cross_entropy``; and statistics of the masking / unmasking draws.

Statistical tests compare a mean of N independent draws with its expectation within 6 standard
errors (binomial: sqrt(p (1 - p) / N)); with the CLT each comparison fails falsely with chance
about 2e-9, and the file makes fewer than 100 such comparisons (< 1e-6 in all). Seeds are
fixed, so the tests are deterministic.
"""
from __future__ import annotations

import inspect
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from reference import diffusion_lm as lm
from reference import guidance as g

F64 = torch.float64
SIGMAS = 6.0


def _binomial_close(hits: int, n: int, p: float) -> None:
    se = math.sqrt(max(p * (1 - p), 1e-12) / n)
    assert abs(hits / n - p) <= SIGMAS * se, (hits / n, p, se)


# ---------------------------------------------------------------- U5.10
@pytest.mark.oracle("U5.10")
def test_classifier_free_guidance_hand_examples_and_diffusers_form():
    eps_c = torch.tensor([1.0, 2.0, -1.0])
    eps_u = torch.tensor([0.0, 1.0, 1.0])
    assert g.classifier_free_guidance(eps_c, eps_u, 2.0).tolist() == [3.0, 4.0, -5.0]
    assert torch.equal(g.classifier_free_guidance(eps_c, eps_u, 0.0), eps_c)
    # diffusers' StableDiffusionPipeline: uncond + guidance_scale * (text - uncond), s = 1 + w
    for w in (0.0, 2.0, 6.5):
        s = 1 + w
        diffusers_form = eps_u + s * (eps_c - eps_u)
        assert torch.allclose(g.classifier_free_guidance(eps_c, eps_u, w), diffusers_form)
        assert torch.allclose(g.guidance_scale_mix(eps_u, eps_c, s), diffusers_form)
    assert torch.equal(g.guidance_scale_mix(eps_u, eps_c, 0.0), eps_u)  # s = 0: unconditional
    # classifier guidance: eps - s sqrt(1 - ab) grad
    got = g.classifier_guidance_eps(eps_c, torch.tensor([1.0, 0.0, 2.0]), 0.75, 2.0)
    assert torch.allclose(got, torch.tensor([0.0, 2.0, -3.0]))


@pytest.mark.oracle("U5.10")
def test_latent_scaling_hand_example_and_sd_factor():
    lat = torch.tensor([[1.0, -1.0], [1.0, -1.0]]).reshape(1, 1, 2, 2) * 5
    factor = g.latent_scale_factor(lat)  # unbiased std of (+-5) x 4 = 5 sqrt(4/3)
    assert float(factor) == pytest.approx(1 / (5 * math.sqrt(4 / 3)), rel=1e-6)
    z = g.scale_latents(lat, factor)
    assert float(z.flatten().std()) == pytest.approx(1.0, rel=1e-6)
    assert torch.allclose(g.unscale_latents(z, factor), lat)
    from diffusers import AutoencoderKL
    default = inspect.signature(AutoencoderKL.__init__).parameters["scaling_factor"].default
    assert default == g.SD_V1_SCALING_FACTOR


@pytest.mark.oracle("U5.10")
def test_patchify_hand_example():
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    want = torch.tensor([[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]],
                        dtype=torch.float32)
    assert torch.equal(g.dit_patchify(x, 2), want[None])
    # two channels: a token is (row in patch, column in patch, channel)
    x2 = torch.stack([torch.tensor([[1.0, 2.0], [3.0, 4.0]]),
                      torch.tensor([[10.0, 20.0], [30.0, 40.0]])])[None]  # (1, 2, 2, 2)
    assert g.dit_patchify(x2, 2).tolist() == [[[1, 10, 2, 20, 3, 30, 4, 40]]]


def _dit_unpatchify(x, p, c):
    """DiT (facebookresearch/DiT, models.py, DiT.unpatchify), transcribed."""
    h = w = int(x.shape[1] ** 0.5)
    assert h * w == x.shape[1]
    x = x.reshape(shape=(x.shape[0], h, w, p, p, c))
    x = torch.einsum("nhwpqc->nchpwq", x)
    return x.reshape(shape=(x.shape[0], c, h * p, h * p))


@pytest.mark.oracle("U5.10")
def test_patchify_unfold_patch_embedding_and_dit_unpatchify():
    gen = torch.Generator().manual_seed(0)
    for B, C, H, W, p in [(2, 3, 8, 8, 2), (1, 4, 8, 8, 4), (2, 2, 6, 4, 2), (1, 3, 3, 3, 1)]:
        x = torch.randn(B, C, H, W, generator=gen, dtype=F64)
        tokens = g.dit_patchify(x, p)
        N = (H // p) * (W // p)
        # F.unfold: (B, C*p*p, N) in (C, p, p) order; reorder to (p, p, C)
        unf = F.unfold(x, kernel_size=p, stride=p).reshape(B, C, p, p, N)
        assert torch.equal(tokens, unf.permute(0, 4, 2, 3, 1).reshape(B, N, p * p * C))
        # DiT's x_embedder (a stride-p conv) is a linear map of these tokens
        conv = nn.Conv2d(C, 5, p, stride=p).double()
        emb = conv(x).flatten(2).transpose(1, 2)  # (B, N, 5)
        lin_w = conv.weight.permute(0, 2, 3, 1).reshape(5, p * p * C)
        assert torch.allclose(emb, tokens @ lin_w.T + conv.bias, atol=1e-12)
        if H == W:
            assert torch.equal(_dit_unpatchify(tokens, p, C), x)
            assert torch.equal(g.dit_unpatchify(tokens, p, C), x)
            t2 = torch.randn(B, N, p * p * C, generator=gen, dtype=F64)
            assert torch.equal(g.dit_unpatchify(t2, p, C), _dit_unpatchify(t2, p, C))
            assert torch.equal(g.dit_patchify(g.dit_unpatchify(t2, p, C), p), t2)


@pytest.mark.oracle("U5.10")
def test_adaln_modulation_hand_example_and_layernorm():
    x = torch.tensor([[[1.0, 2.0], [3.0, 4.0]]])  # (1, 2, 2)
    shift, scale = torch.tensor([[10.0, 0.0]]), torch.tensor([[1.0, -1.0]])
    assert g.adaln_modulate(x, shift, scale).tolist() == [[[12.0, 0.0], [16.0, 0.0]]]
    assert torch.equal(g.adaln_modulate(x, torch.zeros(1, 2), torch.zeros(1, 2)), x)
    gen = torch.Generator().manual_seed(1)
    xr = torch.randn(3, 4, 6, generator=gen)
    sh, sc = torch.randn(3, 6, generator=gen), torch.randn(3, 6, generator=gen)
    ln = nn.LayerNorm(6, elementwise_affine=False, eps=1e-6)
    want = ln(xr) * (1 + sc[:, None, :]) + sh[:, None, :]
    assert torch.allclose(g.adaln(xr, sh, sc), want, atol=1e-6)


@pytest.mark.oracle("U5.10")
def test_timestep_embedding_matches_diffusers():
    from diffusers.models.embeddings import get_timestep_embedding
    for t, dim in [(torch.tensor([0, 1, 10, 999]), 8), (torch.tensor([3.7, 250.0, 999.9]), 16),
                   (torch.tensor([5, 500]), 7), (torch.tensor([250]), 256)]:
        want = get_timestep_embedding(t, dim, flip_sin_to_cos=True, downscale_freq_shift=0)
        got = g.timestep_embedding(t, dim)
        assert got.dtype == torch.float32 and torch.allclose(got, want, rtol=1e-6, atol=1e-6)
    e = g.timestep_embedding(torch.tensor([0]), 6)
    assert e.tolist() == [[1.0, 1.0, 1.0, 0.0, 0.0, 0.0]]  # cos 0 = 1, sin 0 = 0


# ---------------------------------------------------------------- U5.11
@pytest.mark.oracle("U5.11")
def test_masking_rate_statistics():
    gen = torch.Generator().manual_seed(2)
    B, L, V = 4, 50_000, 30
    x0 = torch.randint(0, V, (B, L), generator=gen)
    t = torch.tensor([0.1, 0.5, 0.9, 0.25])
    xt = lm.diffusion_lm_mask(x0, t, torch.rand(B, L, generator=gen), V)
    masked = xt == V
    for b in range(B):
        _binomial_close(int(masked[b].sum()), L, float(t[b]))
    assert torch.equal(xt[~masked], x0[~masked])  # unmasked tokens are untouched
    # masks are independent of the token value: the rate among tokens equal to 0 is t too
    zero = x0[2] == 0
    _binomial_close(int(masked[2][zero].sum()), int(zero.sum()), 0.9)
    ends = lm.diffusion_lm_mask(x0[:2, :10], torch.tensor([0.0, 1.0]),
                                torch.rand(2, 10, generator=gen), V)
    assert torch.equal(ends[0], x0[0, :10]) and bool((ends[1] == V).all())


@pytest.mark.oracle("U5.11")
def test_loss_hand_example_and_cross_entropy():
    # L = 2, V = 2, uniform logits: each masked position costs log 2; one masked, t = 0.5
    logits = torch.zeros(1, 2, 2)
    x0, xt = torch.tensor([[1, 0]]), torch.tensor([[2, 0]])
    got = lm.diffusion_lm_loss(logits, x0, xt, torch.tensor([0.5]), 2)
    assert float(got) == pytest.approx(math.log(2) / (0.5 * 2))
    gen = torch.Generator().manual_seed(3)
    B, L, V = 3, 12, 9
    logits = torch.randn(B, L, V, generator=gen, dtype=F64) * 3
    x0 = torch.randint(0, V, (B, L), generator=gen)
    t = torch.tensor([0.3, 0.7, 1.0], dtype=F64)
    xt = lm.diffusion_lm_mask(x0, t, torch.rand(B, L, generator=gen, dtype=F64), V)
    targets = torch.where(xt == V, x0, torch.full_like(x0, -100))  # ignore unmasked
    ce = F.cross_entropy(logits.permute(0, 2, 1), targets, reduction="none", ignore_index=-100)
    want = (ce.sum(1) / (t * L)).mean()
    got = lm.diffusion_lm_loss(logits, x0, xt, t, V)
    assert float(got) == pytest.approx(float(want), abs=1e-12)
    # extreme logits stay finite in float32
    big = lm.diffusion_lm_loss((logits * 40).float(), x0, xt, t.float(), V)
    ref = lm.diffusion_lm_loss(logits * 40, x0, xt, t, V)
    assert torch.isfinite(big) and float(big) == pytest.approx(float(ref), rel=1e-5)


@pytest.mark.oracle("U5.11")
def test_loss_is_unbiased_for_the_token_nll_of_independent_tokens():
    """With tokens i.i.d. from pi and a model predicting pi everywhere, for every fixed t
    E_mask[loss] = (1/L) sum_i -log pi(x0_i): the 1/t weight exactly undoes the masking rate.
    20k masks per t, 6-sigma bound on the mean."""
    gen = torch.Generator().manual_seed(4)
    V, L, N = 6, 16, 20_000
    pi = torch.softmax(torch.randn(V, generator=gen, dtype=F64), 0)
    x0 = torch.multinomial(pi, L, replacement=True, generator=gen)[None]  # (1, L)
    target = float(-torch.log(pi[x0]).mean())
    logits = torch.log(pi).expand(1, L, V)
    nll = -torch.log(pi[x0]).expand(N, L)  # (N, L) per-token costs of the model
    for t in (0.2, 0.5, 0.9):
        xt = lm.diffusion_lm_mask(x0.expand(N, L), torch.full((N,), t),
                                  torch.rand(N, L, generator=gen, dtype=F64), V)
        loss = lm.diffusion_lm_loss(logits.expand(N, L, V), x0.expand(N, L), xt,
                                    torch.full((N,), t, dtype=F64), V)  # mean of N draws
        per_draw = ((xt == V) * nll).sum(1) / (t * L)  # only for the standard error
        assert float(loss) == pytest.approx(float(per_draw.mean()), rel=1e-10)
        se = float(per_draw.std()) / math.sqrt(N)
        assert abs(float(loss) - target) <= SIGMAS * se


@pytest.mark.oracle("U5.11")
def test_unmask_step_statistics():
    gen = torch.Generator().manual_seed(5)
    B, L, V = 2, 40_000, 5
    x0 = torch.randint(0, V, (B, L), generator=gen)
    t, s = torch.tensor([0.8, 0.5]), torch.tensor([0.3, 0.1])
    xt = lm.diffusion_lm_mask(x0, t, torch.rand(B, L, generator=gen), V)
    logits = torch.tensor([2.0, 0.0, -1.0, 1.0, 0.5]).expand(B, L, V)
    gumbel = lm.gumbel_from_uniform(torch.rand(B, L, V, generator=gen))
    xs = lm.diffusion_lm_unmask_step(xt, logits, t, s, torch.rand(B, L, generator=gen), gumbel, V)
    was = xt == V
    assert torch.equal(xs[~was], xt[~was])  # carry-over: revealed tokens never change
    probs = torch.softmax(logits[0, 0], 0)
    for b in range(B):
        revealed = was[b] & (xs[b] != V)
        _binomial_close(int(revealed.sum()), int(was[b].sum()), float((t[b] - s[b]) / t[b]))
        # marginal consistency: masked at rate t, one step to s, masked at rate s
        _binomial_close(int((xs[b] == V).sum()), L, float(s[b]))
        # Gumbel-max draws follow softmax(logits)
        tokens = xs[b][revealed]
        for v in range(V):
            _binomial_close(int((tokens == v).sum()), tokens.numel(), float(probs[v]))


@pytest.mark.oracle("U5.11")
def test_unmask_and_confidence_steps_hand_examples():
    M = 3
    xt = torch.tensor([[M, 1, M, M]])
    logits = torch.tensor([[[0.0, 5.0, 1.0], [9.0, 0.0, 0.0], [2.0, 0.0, 0.1], [0.0, 0.0, 3.0]]])
    u = torch.tensor([[0.1, 0.0, 0.7, 0.4]])
    zero = torch.zeros(1, 4, 3)
    # (t - s) / t = 0.5: positions 0 and 3 revealed greedily, 2 stays masked, 1 copied
    out = lm.diffusion_lm_unmask_step(xt, logits, torch.tensor([0.8]), torch.tensor([0.4]), u,
                                      zero, M)
    assert out.tolist() == [[1, 1, M, 2]]
    # s = 0 reveals every mask
    out = lm.diffusion_lm_unmask_step(xt, logits, torch.tensor([0.8]), torch.tensor([0.0]),
                                      torch.full((1, 4), 0.999), zero, M)
    assert out.tolist() == [[1, 1, 0, 2]]
    # Gumbel noise changes the draw
    gum = torch.zeros(1, 4, 3)
    gum[0, 0, 2] = 10.0
    out = lm.diffusion_lm_unmask_step(xt, logits, torch.tensor([0.8]), torch.tensor([0.0]), u,
                                      gum, M)
    assert out[0, 0].item() == 2
    # confidence: max probs at masked positions 0, 2, 3: softmax max of [0,5,1] > [0,0,3] > [2,0,.1]
    assert lm.confidence_unmask_step(xt, logits, 1, M).tolist() == [[1, 1, M, M]]
    assert lm.confidence_unmask_step(xt, logits, 2, M).tolist() == [[1, 1, M, 2]]
    assert lm.confidence_unmask_step(xt, logits, 4, M).tolist() == [[1, 1, 0, 2]]


@pytest.mark.oracle("U5.11")
def test_sampler_ends_unmasked_and_recovers_a_confident_model():
    gen = torch.Generator().manual_seed(6)
    B, L, V, K = 3, 12, 7, 6
    target = torch.randint(0, V, (B, L), generator=gen)
    confident = F.one_hot(target, V).float() * 50  # the model knows the answer

    def model(x):
        return confident

    times = torch.linspace(1, 0, K + 1)
    us = torch.rand(K, B, L, generator=gen)
    gumbels = lm.gumbel_from_uniform(torch.rand(K, B, L, V, generator=gen))
    out = lm.sample(model, torch.full((B, L), V), times, us, gumbels, V)
    assert torch.equal(out, target)
