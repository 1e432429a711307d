"""Unit 3 attention and the Transformer (syllabus rows U3.6-U3.8): scaled dot-product and
self-attention, multi-head attention, positional encodings and the encoder block."""
from __future__ import annotations

import torch

from reference import attention, transformer

from ..base import Case, SpecList, Tolerance
from ..draw import F64, draw_int, hidden, public, rand, randint, randn

SPECS = SpecList()
# attention outputs are O(0.1-1): F.scaled_dot_product_attention on a CPU used up to 2/3 of the
# default rtol 1e-5 + atol 1e-6, leaving little for other kernels; rtol 1e-4 keeps every case
# within 1e-3 of its typical magnitude
ATTENTION_TOL = Tolerance(rtol=1e-4, atol=1e-6)


# ---------------------------------------------------------------- U3.6 self-attention
def _mask_with_one_key_rows(gen, *shape):
    """Random boolean mask (True = may attend); every row keeps >= 1 key, one row keeps exactly
    one."""
    T, S = shape[-2], shape[-1]
    mask = rand(gen, *shape) < 0.5
    mask[..., torch.arange(T), randint(gen, 0, S, T)] = True
    mask[..., -1, :] = False
    mask[..., -1, draw_int(gen, 0, S)] = True
    return mask


@SPECS.add("U3.6", "attention_weights_from_scores", attention.attention_weights_from_scores)
def _cases_weights_from_scores(gen):
    return [
        public("slide_112_96", torch.tensor([112.0, 96.0]), 64),
        hidden("score_matrix", 10 * randn(gen, 2, 4, 4), 16),
        hidden("d_k_24", 5 * randn(gen, 3, 7), 24),
        hidden("single_key", randn(gen, 5, 1), 8),
    ]


@SPECS.add("U3.6", "scaled_dot_product_attention", attention.scaled_dot_product_attention,
           points=2, tolerance=ATTENTION_TOL)
def _cases_sdpa(gen):
    return [
        public("b2_t4", randn(gen, 2, 4, 8), randn(gen, 2, 4, 8), randn(gen, 2, 4, 8)),
        hidden("masked_one_key_rows", randn(gen, 2, 6, 5), randn(gen, 2, 6, 5),
               randn(gen, 2, 6, 3), mask=_mask_with_one_key_rows(gen, 2, 6, 6)),
        hidden("t1_b1", randn(gen, 1, 1, 4), randn(gen, 1, 1, 4), randn(gen, 1, 1, 4)),
        hidden("causal_t64_dk24", randn(gen, 2, 64, 24), randn(gen, 2, 64, 24),
               randn(gen, 2, 64, 16), mask=torch.ones(64, 64, dtype=torch.bool).tril()),
        hidden("cross_attention_heads", randn(gen, 2, 3, 5, 12), randn(gen, 2, 3, 9, 12),
               randn(gen, 2, 3, 9, 7)),
        # peaked weights (many below 1e-10): float64, graded relative to each weight
        Case("large_scores", args=(4 * randn(gen, 1, 8, 6, dtype=F64),
                                   4 * randn(gen, 1, 8, 6, dtype=F64), randn(gen, 1, 8, 6, dtype=F64)),
             kwargs={"mask": _mask_with_one_key_rows(gen, 8, 8)},
             tolerance=Tolerance(rtol=1e-6, atol=1e-30)),
    ]


@SPECS.add("U3.6", "self_attention", attention.self_attention, points=2,
           tolerance=ATTENTION_TOL)
def _cases_self_attention(gen):
    def ws(C, d_k, d_v):
        s = C ** -0.5
        return s * randn(gen, d_k, C), s * randn(gen, d_k, C), s * randn(gen, d_v, C)

    return [
        public("b2_t4", randn(gen, 2, 4, 6), *ws(6, 4, 4)),
        hidden("unbatched_dv_ne_dk", randn(gen, 5, 8), *ws(8, 3, 6)),
        hidden("t1", randn(gen, 1, 1, 5), *ws(5, 5, 5)),
        hidden("causal_t64_dk24", randn(gen, 2, 64, 30), *ws(30, 24, 24),
               mask=torch.ones(64, 64, dtype=torch.bool).tril()),
        hidden("masked_one_key_rows", randn(gen, 3, 7, 10), *ws(10, 6, 5),
               mask=_mask_with_one_key_rows(gen, 3, 7, 7)),
    ]


# ---------------------------------------------------------------- U3.7 multi-head attention
def _mha_weights(gen, E, bias=True):
    s = E ** -0.5
    w = [s * randn(gen, 3 * E, E), 0.1 * randn(gen, 3 * E) if bias else None,
         s * randn(gen, E, E), 0.1 * randn(gen, E) if bias else None]
    return w


@SPECS.add("U3.7", "multi_head_attention", attention.multi_head_attention, points=3,
           tolerance=ATTENTION_TOL)
def _cases_mha(gen):
    B, T = 3, 9
    lengths = randint(gen, 1, T + 1, B)
    padding = (torch.arange(T)[None] < lengths[:, None])[:, None, None, :]  # (B, 1, 1, T)
    return [
        public("b2_t5_h2", randn(gen, 2, 5, 8), *_mha_weights(gen, 8), 2),
        hidden("causal_t64_h4_hs6", randn(gen, 2, 64, 24), *_mha_weights(gen, 24), 4,
               mask=torch.ones(64, 64, dtype=torch.bool).tril()),
        hidden("padding_mask", randn(gen, B, T, 12), *_mha_weights(gen, 12), 3, mask=padding),
        hidden("per_head_weights", randn(gen, 2, 6, 20), *_mha_weights(gen, 20), 5,
               mask=_mask_with_one_key_rows(gen, 6, 6), average_weights=False),
        hidden("one_head_no_bias", randn(gen, 1, 7, 6), *_mha_weights(gen, 6, bias=False), 1),
        hidden("t1_b1", randn(gen, 1, 1, 8), *_mha_weights(gen, 8), 4),
    ]


# ---------------------------------------------------------------- U3.8 transformer encoder block
# atol 1e-4: float32 angle computations up to position 63
@SPECS.add("U3.8", "sinusoidal_positional_encoding", transformer.sinusoidal_positional_encoding,
           tolerance=Tolerance(rtol=1e-4, atol=1e-4))
def _cases_positional(gen):
    return [
        public("t10_d16", 10, 16),
        hidden("t1", 1, 8),
        hidden("t64_d32", 64, 32),
        hidden("d_not_power_of_two", 12, 10),
        hidden("d2", 5, 2),
    ]


def _encoder_params(gen, E, d_ff):
    s, s_ff = E ** -0.5, d_ff ** -0.5
    return {
        "self_attn.in_proj_weight": s * randn(gen, 3 * E, E),
        "self_attn.in_proj_bias": 0.1 * randn(gen, 3 * E),
        "self_attn.out_proj.weight": s * randn(gen, E, E),
        "self_attn.out_proj.bias": 0.1 * randn(gen, E),
        "linear1.weight": s * randn(gen, d_ff, E), "linear1.bias": 0.1 * randn(gen, d_ff),
        "linear2.weight": s_ff * randn(gen, E, d_ff), "linear2.bias": 0.1 * randn(gen, E),
        "norm1.weight": 1 + 0.1 * randn(gen, E), "norm1.bias": 0.1 * randn(gen, E),
        "norm2.weight": 1 + 0.1 * randn(gen, E), "norm2.bias": 0.1 * randn(gen, E),
    }


@SPECS.add("U3.8", "transformer_encoder_block", transformer.transformer_encoder_block,
           tolerance=Tolerance(rtol=1e-4, atol=1e-4), points=3)
def _cases_encoder_block(gen):
    return [
        public("b2_t5", randn(gen, 2, 5, 8), _encoder_params(gen, 8, 16), 2),
        hidden("t1_b1", randn(gen, 1, 1, 12), _encoder_params(gen, 12, 24), 3),
        hidden("causal_t64", randn(gen, 2, 64, 24), _encoder_params(gen, 24, 48), 4,
               mask=torch.ones(64, 64, dtype=torch.bool).tril()),
        hidden("odd_sizes", randn(gen, 3, 7, 18), _encoder_params(gen, 18, 7), 3,
               mask=_mask_with_one_key_rows(gen, 7, 7)),
        hidden("eps_1e-6", 3 * randn(gen, 2, 4, 10), _encoder_params(gen, 10, 20), 5, eps=1e-6),
        # LayerNorm's eps: rows whose variance is 0 (0 / 0 without it) or below eps
        hidden("constant_and_near_constant_rows", *_flat_rows(gen, 3, 5, 12), 3),
    ]


def _flat_rows(gen, B, T, E):
    """Inputs whose rows are constant (the first example) or constant up to a spread whose
    variance is near eps = 1e-5 (the others), with the attention's output projection zeroed, so
    that the first LayerNorm sees x itself: a level per token, about 0.1."""
    spread = torch.tensor([0.0] + [3e-3] * (B - 1)).view(B, 1, 1)
    x = 0.1 * randn(gen, B, T, 1) + spread * randn(gen, B, T, E)
    params = _encoder_params(gen, E, 2 * E)
    params["self_attn.out_proj.weight"] = torch.zeros(E, E)
    params["self_attn.out_proj.bias"] = torch.zeros(E)
    return x, params
