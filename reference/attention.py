"""Self-attention and multi-head attention (lecture "Self-Attention (1)-(4)", "Multi-Head
Attention", "Attention Map"; Vaswani et al., "Attention Is All You Need", NeurIPS 2017).

The slides write ``Q = W_q X`` with the tokens as the columns of X. Here the tokens are rows
(x: (..., T, C), the PyTorch convention), so the same matrices act as ``Q = X W_qᵀ`` with
W_q of shape (d_k, C): exactly ``nn.Linear``'s weight layout.

    Attention(Q, K, V) = softmax(Q Kᵀ / √d_k) V

Masks are boolean and **True means "may attend"** (the convention of
``F.scaled_dot_product_attention`` and of a lower-triangular causal mask); note that
``nn.MultiheadAttention``'s ``attn_mask`` uses the opposite one (True = blocked). Every query
must be allowed at least one key, otherwise its softmax has no support.

Slide example: q1·k1 = 112, q1·k2 = 96, d_k = 64 → 14, 12 → softmax 0.88, 0.12.
"""
from __future__ import annotations

import math

import torch


def attention_weights_from_scores(scores: torch.Tensor, d_k: int) -> torch.Tensor:
    """softmax(scores / √d_k) over the last dimension (the slide's "divide by √d_k, softmax")."""
    return torch.softmax(scores / math.sqrt(d_k), dim=-1)


def multi_head_attention_param_count(E: int, bias: bool = True) -> int:
    """Parameters of a multi-head attention layer of width E: W_q, W_k, W_v and the output
    projection are E x E each (the heads split E, they add none), plus 4E biases: 4E² + 4E."""
    return 4 * E * E + (4 * E if bias else 0)


def scaled_dot_product_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                                 mask: torch.Tensor | None = None
                                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """q: (..., T, d_k), k: (..., S, d_k), v: (..., S, d_v); mask: bool broadcastable to
    (..., T, S), True = may attend. Returns (output (..., T, d_v), weights (..., T, S))."""
    d_k = q.size(-1)
    scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)  # (..., T, S)
    if mask is not None:
        assert mask.dtype == torch.bool and bool(mask.any(-1).all()), \
            "boolean mask; every query needs at least one key it may attend to"
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)  # (..., T, S)
    return weights @ v, weights


def self_attention(x: torch.Tensor, w_q: torch.Tensor, w_k: torch.Tensor, w_v: torch.Tensor,
                   mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Single-head self-attention of x: (..., T, C) with w_q, w_k: (d_k, C), w_v: (d_v, C):
    Q = X W_qᵀ, K = X W_kᵀ, V = X W_vᵀ. Returns (output (..., T, d_v), weights (..., T, T))."""
    q, k, v = x @ w_q.T, x @ w_k.T, x @ w_v.T  # (..., T, d_k), (..., T, d_k), (..., T, d_v)
    return scaled_dot_product_attention(q, k, v, mask)


def multi_head_attention(x: torch.Tensor, in_proj_weight: torch.Tensor,
                         in_proj_bias: torch.Tensor | None, out_proj_weight: torch.Tensor,
                         out_proj_bias: torch.Tensor | None, num_heads: int,
                         mask: torch.Tensor | None = None, average_weights: bool = True
                         ) -> tuple[torch.Tensor, torch.Tensor]:
    """Multi-head self-attention with ``nn.MultiheadAttention(E, num_heads, batch_first=True)``'s
    weights: in_proj_weight (3E, E) = [W_q; W_k; W_v], in_proj_bias (3E,) or None,
    out_proj_weight (E, E), out_proj_bias (E,) or None.

    x: (B, T, E); mask: bool broadcastable to (B, nh, T, T), True = may attend (a (T, T) mask,
    or (B, 1, 1, T) for padded keys). Split into heads of size hs = E / nh, attend, concatenate,
    project. Returns (output (B, T, E), weights): the attention map averaged over heads,
    (B, T, T), as nn.MultiheadAttention returns by default; per head (B, nh, T, T) if
    ``average_weights=False``."""
    B, T, E = x.size()
    assert E % num_heads == 0, "embedding size must be divisible by the number of heads"
    hs = E // num_heads
    qkv = x @ in_proj_weight.T  # (B, T, 3E)
    if in_proj_bias is not None:
        qkv = qkv + in_proj_bias
    q, k, v = qkv.split(E, dim=-1)  # each (B, T, E)
    q = q.view(B, T, num_heads, hs).transpose(1, 2)  # (B, nh, T, hs)
    k = k.view(B, T, num_heads, hs).transpose(1, 2)  # (B, nh, T, hs)
    v = v.view(B, T, num_heads, hs).transpose(1, 2)  # (B, nh, T, hs)
    y, weights = scaled_dot_product_attention(q, k, v, mask)  # (B, nh, T, hs), (B, nh, T, T)
    y = y.transpose(1, 2).contiguous().view(B, T, E)  # concatenate the heads: (B, T, E)
    y = y @ out_proj_weight.T
    if out_proj_bias is not None:
        y = y + out_proj_bias
    return y, (weights.mean(dim=1) if average_weights else weights)
