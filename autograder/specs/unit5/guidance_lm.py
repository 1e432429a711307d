"""Unit 5 guidance, latent diffusion, DiT and diffusion language models (syllabus rows
U5.10-U5.11)."""
from __future__ import annotations

import torch

from reference import diffusion_lm, guidance

from ..base import Case, SpecList, Tolerance
from ..draw import F64, hidden, public, rand, randint, randn

SPECS = SpecList()


# ---------------------------------------------------------------- U5.10 guidance / latent / DiT
@SPECS.add("U5.10", "classifier_free_guidance", guidance.classifier_free_guidance,
           tolerance=Tolerance(rtol=1e-5, atol=1e-5))  # (1 + w) c - w u vs u + (1 + w)(c - u)
def _cases_cfg(gen):
    return [
        public("w3", randn(gen, 2, 4), randn(gen, 2, 4), 3.0),
        hidden("w0_is_conditional", randn(gen, 3, 2), randn(gen, 3, 2), 0.0),
        hidden("w6.5_images", randn(gen, 1, 4, 3, 3), randn(gen, 1, 4, 3, 3), 6.5),
        hidden("negative_w", randn(gen, 2, 2), randn(gen, 2, 2), -1.0),
    ]


@SPECS.add("U5.10", "latent_scale_factor", guidance.latent_scale_factor)
def _cases_scale(gen):
    return [
        public("b2_c4_8x8", randn(gen, 2, 4, 8, 8) * 5.0),
        hidden("batch1", randn(gen, 1, 4, 4, 4) * 0.2 + 1.0),
        hidden("float64", randn(gen, 3, 4, 2, 2, dtype=F64) * 3.0),
    ]


@SPECS.add("U5.10", "dit_patchify", guidance.dit_patchify, points=2)
def _cases_patchify(gen):
    return [
        public("b2_c3_4x4_p2", randn(gen, 2, 3, 4, 4), 2),
        hidden("batch1_c4_8x8_p4", randn(gen, 1, 4, 8, 8), 4),
        hidden("nonsquare_6x4_p2", randn(gen, 2, 2, 6, 4), 2),
        hidden("p1", randn(gen, 1, 3, 3, 3), 1),
    ]


@SPECS.add("U5.10", "dit_unpatchify", guidance.dit_unpatchify)
def _cases_unpatchify(gen):
    return [
        public("b2_c3_p2_n4", randn(gen, 2, 4, 12), 2, 3),
        hidden("batch1_c4_p4_n4", randn(gen, 1, 4, 64), 4, 4),
        hidden("c1_p2_n9", randn(gen, 3, 9, 4), 2, 1),
    ]


@SPECS.add("U5.10", "adaln_modulate", guidance.adaln_modulate)
def _cases_adaln(gen):
    return [
        public("b2_n3_d4", randn(gen, 2, 3, 4), randn(gen, 2, 4), randn(gen, 2, 4)),
        hidden("batch1_n1", randn(gen, 1, 1, 5), randn(gen, 1, 5), randn(gen, 1, 5)),
        hidden("zero_is_identity", randn(gen, 2, 4, 3), torch.zeros(2, 3), torch.zeros(2, 3)),
        hidden("float64", randn(gen, 3, 2, 6, dtype=F64), randn(gen, 3, 6, dtype=F64),
               randn(gen, 3, 6, dtype=F64)),
    ]


EMB_TOL = Tolerance(rtol=1e-5, atol=2e-4)  # sin/cos of arguments up to 1e3 in float32


@SPECS.add("U5.10", "timestep_embedding", guidance.timestep_embedding, tolerance=EMB_TOL)
def _cases_temb(gen):
    return [
        public("t_int_dim8", torch.tensor([0, 1, 10, 999]), 8),
        hidden("fractional_dim16", rand(gen, 3) * 1000, 16),
        hidden("odd_dim7", torch.tensor([5, 500]), 7),
        hidden("batch1_dim256", torch.tensor([250]), 256),
    ]


# ---------------------------------------------------------------- U5.11 diffusion LM
@SPECS.add("U5.11", "diffusion_lm_mask", diffusion_lm.diffusion_lm_mask, repeat=True)
def _cases_lm_mask(gen):
    V = 20
    return [
        public("b2_l8", randint(gen, 0, V, 2, 8), torch.tensor([0.3, 0.8]), rand(gen, 2, 8), V),
        hidden("t0_and_t1", randint(gen, 0, V, 2, 6), torch.tensor([0.0, 1.0]), rand(gen, 2, 6), V),
        hidden("batch1_l32", randint(gen, 0, V, 1, 32), torch.tensor([0.5]), rand(gen, 1, 32), V),
        hidden("mask_id_0", randint(gen, 1, 5, 3, 4), rand(gen, 3), rand(gen, 3, 4), 0),
    ]


def _lm_loss_case(gen, name, B, L, V, hidden, t=None, scale=1.0):
    x0 = randint(gen, 0, V, B, L)
    t = rand(gen, B) * 0.9 + 0.1 if t is None else t
    xt = diffusion_lm.diffusion_lm_mask(x0, t, rand(gen, B, L), V)
    return Case(name, args=(randn(gen, B, L, V) * scale, x0, xt, t, V), hidden=hidden)


@SPECS.add("U5.11", "diffusion_lm_loss", diffusion_lm.diffusion_lm_loss, points=2)
def _cases_lm_loss(gen):
    return [
        _lm_loss_case(gen, "b3_l8_v10", 3, 8, 10, hidden=False),
        _lm_loss_case(gen, "batch1_t1_all_masked", 1, 6, 5, hidden=True, t=torch.tensor([1.0])),
        _lm_loss_case(gen, "small_t_nothing_masked", 2, 4, 7, hidden=True,
                      t=torch.tensor([1e-3, 2e-3])),
        _lm_loss_case(gen, "extreme_logits", 2, 10, 6, hidden=True, scale=60.0),
    ]


def _lm_step_case(gen, name, B, L, V, t, s, hidden, rate=0.7):
    x = randint(gen, 0, V, B, L)
    xt = diffusion_lm.diffusion_lm_mask(x, torch.full((B,), rate), rand(gen, B, L), V)
    u, g = rand(gen, B, L), diffusion_lm.gumbel_from_uniform(rand(gen, B, L, V))
    return Case(name, args=(xt, randn(gen, B, L, V) * 2, torch.as_tensor(t), torch.as_tensor(s),
                            u, g, V), hidden=hidden)


@SPECS.add("U5.11", "diffusion_lm_unmask_step", diffusion_lm.diffusion_lm_unmask_step, points=2,
           repeat=True)
def _cases_lm_step(gen):
    return [
        _lm_step_case(gen, "b2_l10", 2, 10, 8, [0.7, 0.7], [0.5, 0.35], hidden=False),
        _lm_step_case(gen, "s0_reveals_all", 2, 6, 5, [0.4, 1.0], [0.0, 0.0], hidden=True),
        _lm_step_case(gen, "batch1_t1", 1, 16, 12, [1.0], [0.9], hidden=True, rate=1.0),
        _lm_step_case(gen, "nothing_masked", 2, 5, 4, [0.5, 0.5], [0.2, 0.4], hidden=True,
                      rate=0.0),
    ]


@SPECS.add("U5.11", "diffusion_lm_confidence_step", diffusion_lm.confidence_unmask_step)
def _cases_lm_conf(gen):
    def case(name, B, L, V, k, rate, hidden):
        x = randint(gen, 0, V, B, L)
        xt = diffusion_lm.diffusion_lm_mask(x, torch.full((B,), rate), rand(gen, B, L), V)
        return Case(name, args=(xt, randn(gen, B, L, V) * 2, k, V), hidden=hidden)

    return [
        case("b2_l10_k3", 2, 10, 6, 3, 0.6, hidden=False),
        case("k_exceeds_masked", 2, 6, 5, 6, 0.5, hidden=True),
        case("batch1_all_masked_k1", 1, 8, 4, 1, 1.0, hidden=True),
    ]
