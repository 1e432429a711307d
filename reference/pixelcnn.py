"""U5.4 PixelCNN likelihood (lecture "Variational Auto-Encoder: so far..."; van den Oord et al.,
2016, "Pixel Recurrent Neural Networks", sec. 3.4 and "Conditional Image Generation with
PixelCNN Decoders").

An autoregressive image model with an explicit, tractable density

    p(x) = prod_{i=1}^{n} p(x_i | x_1, ..., x_{i-1}),    log p(x) = sum_i log p(x_i | x_<i),

pixels in raster order (row by row, left to right). Causality comes from masked convolutions:
the kernel is zeroed at every tap at or after the centre in raster order. Mask 'A' (first layer)
also zeroes the centre, so output i never sees input i; mask 'B' (later layers) keeps the centre,
so a stack A, B, B, ... still never sees pixel i or later at position i.

Here all channels form one group (no R -> G -> B ordering inside a pixel), kernels are square
with odd size k, stride 1 and padding k // 2 (same-size output). Each pixel takes one of K
intensity levels; the network outputs logits (B, K, H, W).
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def pixelcnn_mask(kernel_size: int, mask_type: str, dtype: torch.dtype = torch.float32,
                  device: torch.device | str | None = None) -> torch.Tensor:
    """The (k, k) 0/1 mask: rows above the centre 1; in the centre row, columns left of the
    centre 1, the centre itself 1 only for type 'B'; everything after 0."""
    assert kernel_size % 2 == 1 and kernel_size >= 1, "odd kernel size"
    assert mask_type in ("A", "B"), mask_type
    k, c = kernel_size, kernel_size // 2
    mask = torch.zeros(k, k, dtype=dtype, device=device)
    mask[:c, :] = 1  # rows strictly above the centre
    mask[c, :c] = 1  # left of the centre in its row
    if mask_type == "B":
        mask[c, c] = 1
    return mask


def masked_conv2d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None,
                  mask_type: str) -> torch.Tensor:
    """``F.conv2d`` with the kernel masked: x (B, C_in, H, W), weight (C_out, C_in, k, k),
    bias (C_out,) or None -> (B, C_out, H, W)."""
    assert weight.dim() == 4 and weight.shape[-1] == weight.shape[-2]
    k = weight.shape[-1]
    mask = pixelcnn_mask(k, mask_type, dtype=weight.dtype, device=weight.device)
    return F.conv2d(x, weight * mask, bias, stride=1, padding=k // 2)


class MaskedConv2d(nn.Conv2d):
    """``nn.Conv2d`` whose kernel is multiplied by a fixed causal mask on every forward, so the
    masked taps get zero gradient and stay irrelevant whatever the optimiser does."""

    def __init__(self, mask_type: str, in_channels: int, out_channels: int, kernel_size: int,
                 bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride=1,
                         padding=kernel_size // 2, bias=bias)
        self.mask_type = mask_type
        self.register_buffer("mask", pixelcnn_mask(kernel_size, mask_type))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask.to(self.weight.dtype), self.bias,
                        stride=1, padding=self.padding)


class TinyPixelCNN(nn.Module):
    """A small PixelCNN: one 'A' layer, ``n_layers - 1`` 'B' layers with ReLU, a 1x1 head to
    K logits per pixel. Input: integer image (B, H, W) in [0, K); output logits (B, K, H, W)."""

    def __init__(self, levels: int, hidden: int = 16, kernel_size: int = 3,
                 n_layers: int = 3) -> None:
        super().__init__()
        self.levels = levels
        layers: list[nn.Module] = [MaskedConv2d("A", 1, hidden, kernel_size)]
        for _ in range(n_layers - 1):
            layers += [nn.ReLU(), MaskedConv2d("B", hidden, hidden, kernel_size)]
        layers += [nn.ReLU(), nn.Conv2d(hidden, levels, 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # scale levels to [-1, 1]: (B, H, W) -> (B, 1, H, W)
        inp = x.to(self.net[0].weight.dtype).unsqueeze(1) / max(self.levels - 1, 1) * 2 - 1
        return self.net(inp)


def pixelcnn_log_likelihood(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``log p(x) = sum_i log softmax(logits_i)[x_i]`` per image.

    logits: (B, K, H, W) (or (B, K, *dims)), where ``logits[b, :, i, j]`` parameterises
    ``p(x_ij | x_<ij)``; x: (B, H, W) int64 in [0, K). Returns (B,) log-likelihoods in nats.
    """
    assert logits.dim() == x.dim() + 1 and logits.shape[0] == x.shape[0]
    assert logits.shape[2:] == x.shape[1:]
    logp = F.log_softmax(logits, dim=1)  # stable even for extreme logits
    picked = logp.gather(1, x.long().unsqueeze(1)).squeeze(1)  # (B, H, W)
    return picked.flatten(1).sum(1)


def bits_per_dim(log_likelihood: torch.Tensor, num_dims: int) -> torch.Tensor:
    """Negative log-likelihood in bits per dimension: ``-log p(x) / (D ln 2)``."""
    return -log_likelihood / (num_dims * math.log(2.0))
