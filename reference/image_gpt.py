"""Image GPT: a GPT over pixels (lecture "Image GPT?"; Chen et al., "Generative Pretraining from
Pixels", ICML 2020).

An image becomes a token sequence: every pixel's colour is replaced by the index of the nearest
colour of a small palette (iGPT: 512 k-means clusters of RGB values), and the grid is read in
raster order (row by row, left to right). The model is then exactly a GPT language model over
palette indices, trained with the next-token loss of ``gpt.gpt_causal_lm_loss``.
"""
from __future__ import annotations

import torch

from .gpt import gpt_causal_lm_loss


def quantize_pixels(images: torch.Tensor, palette: torch.Tensor) -> torch.Tensor:
    """images (B, C, H, W), palette (K, C) -> (B, H, W) long: the index of the palette colour
    nearest to each pixel in squared Euclidean distance (the lower index on a tie)."""
    B, C, H, W = images.size()
    pixels = images.permute(0, 2, 3, 1)  # (B, H, W, C)
    d2 = ((pixels[..., None, :] - palette) ** 2).sum(-1)  # (B, H, W, K)
    return d2.argmin(dim=-1)


def raster_sequence(codes: torch.Tensor) -> torch.Tensor:
    """(B, H, W) -> (B, H*W): row by row, left to right."""
    B, H, W = codes.size()
    return codes.reshape(B, H * W)


def image_to_sequence(images: torch.Tensor, palette: torch.Tensor) -> torch.Tensor:
    """images (B, C, H, W) -> palette-index sequences (B, H*W) long."""
    return raster_sequence(quantize_pixels(images, palette))


def sequence_to_image(seq: torch.Tensor, palette: torch.Tensor, H: int, W: int) -> torch.Tensor:
    """The inverse view: (B, H*W) palette indices -> (B, C, H, W) palette colours."""
    B = seq.size(0)
    return palette[seq].view(B, H, W, -1).permute(0, 3, 1, 2)


def kmeans_palette(pixels: torch.Tensor, init: torch.Tensor, iters: int) -> torch.Tensor:
    """Lloyd's k-means from the given initial centroids: pixels (N, C), init (K, C) -> (K, C).
    Each iteration assigns every pixel to its nearest centroid (lower index on a tie) and moves
    each centroid to the mean of its pixels; a centroid with no pixels stays where it is."""
    centroids = init.clone()
    K = init.size(0)
    for _ in range(iters):
        assign = ((pixels[:, None, :] - centroids) ** 2).sum(-1).argmin(dim=1)  # (N,)
        sums = torch.zeros_like(centroids).index_add_(0, assign, pixels)  # (K, C)
        counts = torch.bincount(assign, minlength=K).to(pixels.dtype)  # (K,)
        centroids = torch.where(counts[:, None] > 0, sums / counts.clamp_min(1)[:, None],
                                centroids)
    return centroids


def image_gpt_loss(logits: torch.Tensor, images: torch.Tensor, palette: torch.Tensor
                   ) -> torch.Tensor:
    """Next-pixel loss: logits (B, H*W, K) of a causal model over the palette-index sequence of
    images (B, C, H, W); the GPT loss with shifted targets. A scalar."""
    return gpt_causal_lm_loss(logits, image_to_sequence(images, palette))
