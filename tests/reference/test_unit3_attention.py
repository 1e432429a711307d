"""Oracles for unit 3, attention: the slides' worked example, ``F.scaled_dot_product_attention``,
``nn.MultiheadAttention`` and ``nn.TransformerEncoderLayer`` with copied weights."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from reference import attention as att
from reference import transformer as tr


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _random_mask(g, shape, *, keep_diag=True):
    """A boolean mask (True = may attend) with at least one True per query row."""
    mask = torch.rand(shape, generator=g) < 0.5
    if keep_diag:
        mask = mask | torch.eye(shape[-1], dtype=torch.bool)
    return mask


# ---- U3.6 scaled dot-product self-attention -----------------------------------------------


@pytest.mark.oracle("U3.6")
def test_slide_example_112_96():
    w = att.attention_weights_from_scores(torch.tensor([112.0, 96.0]), d_k=64)
    # 112/8 = 14, 96/8 = 12; softmax(14, 12) = (0.8808, 0.1192): the slide's 0.88, 0.12
    assert torch.tensor([112.0, 96.0]).div(math.sqrt(64)).tolist() == [14.0, 12.0]
    assert [round(x, 2) for x in w.tolist()] == [0.88, 0.12]
    assert w[0].item() == pytest.approx(1 / (1 + math.exp(-2)), abs=1e-7)


@pytest.mark.oracle("U3.6")
def test_slide_example_through_self_attention():
    # hand-made X, W_q, W_k so that q1·k1 = 112 and q1·k2 = 96 with d_k = 64
    d_k = 64
    x = torch.eye(2, 4)  # x1 = e1, x2 = e2
    w_q = torch.zeros(d_k, 4)
    w_q[0, 0] = 1.0  # q1 = e1 (in R^64)
    w_k = torch.zeros(d_k, 4)
    w_k[0, 0], w_k[0, 1] = 112.0, 96.0  # k1 = 112 e1, k2 = 96 e1
    w_v = torch.eye(3, 4)
    out, weights = att.self_attention(x, w_q, w_k, w_v)
    assert [round(v, 2) for v in weights[0].tolist()] == [0.88, 0.12]
    torch.testing.assert_close(out[0], weights[0, 0] * w_v[:, 0] + weights[0, 1] * w_v[:, 1])


@pytest.mark.oracle("U3.6")
@pytest.mark.parametrize("B,T,S,d_k,d_v,masked", [
    (2, 5, 5, 8, 8, False), (1, 1, 1, 3, 2, False), (3, 64, 64, 24, 16, True),
    (2, 7, 11, 5, 9, True), (1, 6, 6, 12, 7, True)])
def test_sdpa_matches_torch(B, T, S, d_k, d_v, masked):
    g = _gen(T * S + d_k)
    q, k = torch.randn(B, T, d_k, generator=g), torch.randn(B, S, d_k, generator=g)
    v = torch.randn(B, S, d_v, generator=g)
    mask = _random_mask(g, (B, T, S), keep_diag=False) if masked else None
    if mask is not None:
        mask[..., 0] = True  # every query keeps one key
        mask[0, -1] = False  # fully masked but one
        mask[0, -1, S - 1] = True
    out, w = att.scaled_dot_product_attention(q, k, v, mask)
    want = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    torch.testing.assert_close(out, want, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(w.sum(-1), torch.ones(B, T))
    if masked:
        assert (w[~mask] == 0).all()
        torch.testing.assert_close(out[0, -1], v[0, S - 1])  # the single allowed key's value


@pytest.mark.oracle("U3.6")
def test_causal_mask_matches_is_causal():
    g = _gen(1)
    q, k, v = (torch.randn(2, 3, 10, 6, generator=g) for _ in range(3))
    out, w = att.scaled_dot_product_attention(q, k, v, torch.ones(10, 10, dtype=torch.bool).tril())
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, is_causal=True),
                               rtol=1e-5, atol=1e-5)
    assert (w.triu(1) == 0).all()


@pytest.mark.oracle("U3.6")
def test_self_attention_matches_linear_projections_and_sdpa():
    g = _gen(2)
    x = torch.randn(2, 9, 10, generator=g, dtype=torch.float64)
    w_q, w_k = torch.randn(6, 10, generator=g, dtype=torch.float64), torch.randn(
        6, 10, generator=g, dtype=torch.float64)
    w_v = torch.randn(4, 10, generator=g, dtype=torch.float64)
    out, w = att.self_attention(x, w_q, w_k, w_v)
    q, k, v = F.linear(x, w_q), F.linear(x, w_k), F.linear(x, w_v)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v))
    # the slides' column form: Q = W_q X with the tokens as the columns of X
    Q = w_q @ x[0].T  # (d_k, T)
    torch.testing.assert_close(q[0], Q.T)
    assert w.shape == (2, 9, 9)


# ---- U3.7 multi-head attention ------------------------------------------------------------


def _mha(E, nh, bias=True, seed=0):
    torch.manual_seed(seed)
    m = nn.MultiheadAttention(E, nh, bias=bias, batch_first=True).eval()
    if bias:  # nn.MultiheadAttention zero-initialises its biases: make them count
        with torch.no_grad():
            m.in_proj_bias.normal_()
            m.out_proj.bias.normal_()
    return m


@pytest.mark.oracle("U3.7")
@pytest.mark.parametrize("B,T,E,nh,mask_kind", [
    (2, 5, 8, 2, None), (1, 1, 6, 3, None), (3, 64, 24, 4, "causal"), (2, 10, 20, 5, "random"),
    (4, 7, 12, 1, "padding"), (2, 6, 18, 6, "one-key")])
def test_mha_matches_nn_multihead_attention(B, T, E, nh, mask_kind):
    m = _mha(E, nh, seed=T + E)
    g = _gen(T + E)
    x = torch.randn(B, T, E, generator=g)
    mask, kwargs = None, {}
    if mask_kind == "causal":
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        kwargs = dict(attn_mask=~mask)
    elif mask_kind == "random":
        mask = _random_mask(g, (T, T))
        kwargs = dict(attn_mask=~mask)
    elif mask_kind == "padding":  # (B, 1, 1, T): keys past each sequence's length are padding
        lengths = torch.randint(1, T + 1, (B,), generator=g)
        keep = torch.arange(T)[None] < lengths[:, None]  # (B, T)
        mask = keep[:, None, None, :]
        kwargs = dict(key_padding_mask=~keep)
    elif mask_kind == "one-key":  # every query may attend to exactly one key
        mask = torch.zeros(T, T, dtype=torch.bool)
        mask[torch.arange(T), torch.randint(T, (T,), generator=g)] = True
        kwargs = dict(attn_mask=~mask)
    sd = m.state_dict()
    with torch.no_grad():
        want, want_w = m(x, x, x, need_weights=True, **kwargs)
        _, want_heads = m(x, x, x, need_weights=True, average_attn_weights=False, **kwargs)
    out, w = att.multi_head_attention(x, sd["in_proj_weight"], sd["in_proj_bias"],
                                      sd["out_proj.weight"], sd["out_proj.bias"], nh, mask)
    _, w_heads = att.multi_head_attention(x, sd["in_proj_weight"], sd["in_proj_bias"],
                                          sd["out_proj.weight"], sd["out_proj.bias"], nh, mask,
                                          average_weights=False)
    torch.testing.assert_close(out, want, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(w, want_w, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(w_heads, want_heads, rtol=1e-5, atol=1e-6)


@pytest.mark.oracle("U3.7")
def test_mha_without_bias_matches():
    m = _mha(12, 3, bias=False, seed=5)
    x = torch.randn(2, 4, 12, generator=_gen(5))
    sd = m.state_dict()
    out, w = att.multi_head_attention(x, sd["in_proj_weight"], None, sd["out_proj.weight"], None, 3)
    with torch.no_grad():
        want, want_w = m(x, x, x)
    torch.testing.assert_close(out, want, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(w, want_w, rtol=1e-5, atol=1e-6)


@pytest.mark.oracle("U3.7")
@pytest.mark.parametrize("E,nh,bias", [(8, 2, True), (512, 8, True), (24, 4, False)])
def test_mha_param_count_matches_nn(E, nh, bias):
    m = nn.MultiheadAttention(E, nh, bias=bias)
    assert att.multi_head_attention_param_count(E, bias) == sum(p.numel() for p in m.parameters())


@pytest.mark.oracle("U3.7")
def test_one_head_is_single_head_self_attention():
    g = _gen(6)
    E = 5
    x = torch.randn(1, 4, E, generator=g)
    w_in = torch.randn(3 * E, E, generator=g)
    out, w = att.multi_head_attention(x, w_in, None, torch.eye(E), None, 1)
    out1, w1 = att.self_attention(x, w_in[:E], w_in[E:2 * E], w_in[2 * E:])
    torch.testing.assert_close(out, out1)
    torch.testing.assert_close(w, w1)


# ---- U3.8 transformer encoder block, positional encoding ----------------------------------


def _encoder_layer(E, nh, d_ff, seed):
    torch.manual_seed(seed)
    layer = nn.TransformerEncoderLayer(E, nh, d_ff, dropout=0.0, activation="relu",
                                       batch_first=True, norm_first=False).eval()
    with torch.no_grad():
        for name, p in layer.named_parameters():
            if name.endswith("bias") or name.startswith("norm"):
                p.add_(0.3 * torch.randn_like(p))  # non-trivial biases and LayerNorm affines
    return layer


@pytest.mark.oracle("U3.8")
@pytest.mark.parametrize("B,T,E,nh,d_ff,masked", [
    (2, 5, 8, 2, 16, False), (1, 1, 12, 3, 20, False), (3, 64, 32, 4, 64, True),
    (2, 9, 18, 3, 7, True)])
def test_encoder_block_matches_nn_transformer_encoder_layer(B, T, E, nh, d_ff, masked):
    layer = _encoder_layer(E, nh, d_ff, seed=T * E)
    g = _gen(T * E)
    x = torch.randn(B, T, E, generator=g)
    mask = torch.ones(T, T, dtype=torch.bool).tril() if masked else None
    params = dict(layer.state_dict())
    assert set(params) == set(tr.ENCODER_LAYER_KEYS)
    got = tr.transformer_encoder_block(x, params, nh, mask)
    with torch.no_grad():
        want = layer(x, src_mask=None if mask is None else ~mask)
        layer.train()  # the slow path too (eval may take the fused fast path)
        want_slow = layer(x, src_mask=None if mask is None else ~mask)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(got, want_slow, rtol=1e-4, atol=1e-5)


@pytest.mark.oracle("U3.8")
def test_layer_norm_matches_torch():
    g = _gen(7)
    x, w, b = torch.randn(3, 4, 10, generator=g), torch.randn(10, generator=g), torch.randn(
        10, generator=g)
    torch.testing.assert_close(tr.layer_norm(x, w, b), F.layer_norm(x, (10,), w, b),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.oracle("U3.8")
@pytest.mark.parametrize("T,d", [(1, 4), (10, 16), (64, 32), (7, 5)])
def test_sinusoidal_positional_encoding_by_formula(T, d):
    pe = tr.sinusoidal_positional_encoding(T, d)
    assert pe.shape == (T, d) and pe.dtype == torch.float32
    for pos in range(T):
        for col in range(d):
            i2 = col - col % 2
            angle = pos / 10000 ** (i2 / d)
            want = math.sin(angle) if col % 2 == 0 else math.cos(angle)
            assert abs(pe[pos, col].item() - want) < 1e-6
    assert pe[0, 0::2].abs().max() == 0 and (pe[0, 1::2] == 1).all()
