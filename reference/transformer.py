"""The Transformer encoder block and sinusoidal positional encoding (lecture "Transformer
Encoder", "Transformer"; Vaswani et al., "Attention Is All You Need", NeurIPS 2017, §3.1-3.5).

One encoder layer as in the paper (post-LN):

    x = LayerNorm(x + MultiHeadAttention(x))
    x = LayerNorm(x + W_2 ReLU(W_1 x + b_1) + b_2)

With the weights of ``nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout=0,
activation="relu", batch_first=True, norm_first=False)`` passed as a dict under its
``state_dict()`` names this gives the same output.
"""
from __future__ import annotations

import torch

from .attention import multi_head_attention

ENCODER_LAYER_KEYS = (
    "self_attn.in_proj_weight", "self_attn.in_proj_bias",
    "self_attn.out_proj.weight", "self_attn.out_proj.bias",
    "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
    "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
)


def sinusoidal_positional_encoding(T: int, d_model: int,
                                   device: torch.device | str | None = None) -> torch.Tensor:
    """PE (T, d_model) float32: PE[pos, 2i] = sin(pos / 10000^(2i/d)),
    PE[pos, 2i+1] = cos(pos / 10000^(2i/d)) (for odd d_model the last column is a sine)."""
    pos = torch.arange(T, dtype=torch.float64)[:, None]  # (T, 1)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)  # (ceil(d/2),)
    angle = pos / torch.pow(10000.0, two_i / d_model)  # (T, ceil(d/2))
    pe = torch.zeros(T, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle[:, : d_model // 2])
    return pe.float().to(device)


def transformer_encoder_block(x: torch.Tensor, params: dict[str, torch.Tensor], num_heads: int,
                              mask: torch.Tensor | None = None, eps: float = 1e-5
                              ) -> torch.Tensor:
    """x: (B, T, E) -> (B, T, E). params: the ``ENCODER_LAYER_KEYS`` of an
    nn.TransformerEncoderLayer state dict; mask: bool broadcastable to (B, nh, T, T),
    True = may attend (nn.TransformerEncoderLayer's ``src_mask`` is the negation)."""
    B, T, E = x.size()
    attn, _ = multi_head_attention(
        x, params["self_attn.in_proj_weight"], params["self_attn.in_proj_bias"],
        params["self_attn.out_proj.weight"], params["self_attn.out_proj.bias"], num_heads, mask)
    x = layer_norm(x + attn, params["norm1.weight"], params["norm1.bias"], eps)
    h = torch.relu(x @ params["linear1.weight"].T + params["linear1.bias"])  # (B, T, d_ff)
    ff = h @ params["linear2.weight"].T + params["linear2.bias"]  # (B, T, E)
    return layer_norm(x + ff, params["norm2.weight"], params["norm2.bias"], eps)


def layer_norm(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor,
               eps: float = 1e-5) -> torch.Tensor:
    """LayerNorm over the last dimension written out: (x − mean) / √(var + eps) · weight + bias,
    with the biased variance."""
    mean = x.mean(-1, keepdim=True)
    var = x.var(-1, unbiased=False, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * weight + bias

