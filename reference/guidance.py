"""U5.10 Guided, latent and transformer diffusion (lecture "Diffusion Models Beat GANs",
"Stable Diffusion", "Diffusion Transformer"; Ho & Salimans, 2022, "Classifier-Free Diffusion
Guidance"; Dhariwal & Nichol, 2021; Rombach et al., 2022, "High-Resolution Image Synthesis with
Latent Diffusion Models"; Peebles & Xie, 2023, "Scalable Diffusion Models with Transformers").

Classifier-free guidance, two equivalent conventions (state which one you use):

* Ho & Salimans eq. 6, guidance *strength* w >= 0 (w = 0: plain conditional model):
  ``eps~ = (1 + w) eps(x, c) - w eps(x, none)``;
* diffusers / Stable Diffusion, ``guidance_scale`` s = 1 + w (s = 1: plain conditional model):
  ``eps~ = eps_u + s (eps_c - eps_u)``.

Latent diffusion runs the diffusion model on ``z = f * E(x)``, the autoencoder latent times a
scaling factor chosen so that z has about unit variance: Rombach sec. 4.3 / appendix G sets
``f = 1 / std(latents)`` over a first batch (0.18215 for Stable Diffusion v1's VAE); decode
``D(z / f)``.

DiT cuts a latent (B, C, H, W) into non-overlapping p x p patches, raster order of patches, each
token the patch flattened as (p_row, p_col, C) (the inverse of DiT's ``unpatchify``:
``einsum('nhwpqc->nchpwq')``), and conditions each block by adaLN:
``modulate(x, shift, scale) = x * (1 + scale) + shift`` with one (shift, scale) per sample,
broadcast over tokens.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

SD_V1_SCALING_FACTOR = 0.18215


# ---------------------------------------------------------------- guidance
def classifier_free_guidance(eps_cond: torch.Tensor, eps_uncond: torch.Tensor,
                             w: float) -> torch.Tensor:
    """Ho & Salimans: ``(1 + w) * eps_cond - w * eps_uncond`` (w = 0: no guidance)."""
    assert eps_cond.shape == eps_uncond.shape
    return (1 + w) * eps_cond - w * eps_uncond


def guidance_scale_mix(eps_uncond: torch.Tensor, eps_cond: torch.Tensor,
                       guidance_scale: float) -> torch.Tensor:
    """diffusers' form ``eps_u + s (eps_c - eps_u)``; equals the above with ``w = s - 1``."""
    assert eps_cond.shape == eps_uncond.shape
    return eps_uncond + guidance_scale * (eps_cond - eps_uncond)


def classifier_guidance_eps(eps: torch.Tensor, grad_log_p_y: torch.Tensor,
                            alpha_bar_t: torch.Tensor | float, scale: float) -> torch.Tensor:
    """Classifier guidance in eps form (Dhariwal & Nichol, eq. 14):
    ``eps - scale * sqrt(1 - alpha_bar_t) * grad_x log p(y | x_t)``; alpha_bar_t broadcasts."""
    ab = torch.as_tensor(alpha_bar_t, dtype=eps.dtype, device=eps.device)
    return eps - scale * torch.sqrt(1 - ab) * grad_log_p_y


# ---------------------------------------------------------------- latent scaling
def latent_scale_factor(latents: torch.Tensor) -> torch.Tensor:
    """``1 / std`` of all entries of a batch of latents (torch's default unbiased std, as the
    LDM code ``1. / z.flatten().std()``); 0-d tensor."""
    assert latents.numel() > 1
    return 1.0 / latents.flatten().std()


def scale_latents(latents: torch.Tensor, factor: torch.Tensor | float) -> torch.Tensor:
    """What the diffusion model sees: ``z = factor * E(x)``."""
    return latents * factor


def unscale_latents(z: torch.Tensor, factor: torch.Tensor | float) -> torch.Tensor:
    """What the decoder gets back: ``z / factor``."""
    return z / factor


# ---------------------------------------------------------------- DiT
def dit_patchify(x: torch.Tensor, p: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, (H/p)(W/p), p*p*C): patches in raster order, each flattened as
    (p_row, p_col, channel)."""
    B, C, H, W = x.shape
    assert H % p == 0 and W % p == 0, "patch size must divide the image"
    h, w = H // p, W // p
    x = x.reshape(B, C, h, p, w, p)
    x = x.permute(0, 2, 4, 3, 5, 1)  # (B, h, w, p, p, C)
    return x.reshape(B, h * w, p * p * C)


def dit_unpatchify(tokens: torch.Tensor, p: int, c: int) -> torch.Tensor:
    """(B, N, p*p*c) -> (B, c, H, W) for a square grid of N patches (DiT's ``unpatchify``)."""
    B, N, D = tokens.shape
    h = math.isqrt(N)
    assert h * h == N and D == p * p * c, "a square number of tokens of size p*p*c"
    x = tokens.reshape(B, h, h, p, p, c)
    x = x.permute(0, 5, 1, 3, 2, 4)  # (B, c, h, p, w, p)
    return x.reshape(B, c, h * p, h * p)


def adaln_modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """DiT's ``modulate``: ``x * (1 + scale) + shift``; x (B, N, D), shift and scale (B, D)."""
    assert x.dim() == 3 and shift.shape == scale.shape == (x.shape[0], x.shape[2])
    return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


def adaln(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor,
          eps: float = 1e-6) -> torch.Tensor:
    """LayerNorm without affine parameters (DiT: eps 1e-6) followed by :func:`adaln_modulate`."""
    return adaln_modulate(F.layer_norm(x, x.shape[-1:], eps=eps), shift, scale)


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """DiT's sinusoidal timestep embedding: frequencies ``exp(-log(max_period) k / half)``,
    k = 0..half-1, ``[cos(t f), sin(t f)]``, zero-padded to an odd dim; t (B,) -> (B, dim)
    float32 (or t's dtype if floating point with more precision)."""
    assert t.dim() == 1
    half = dim // 2
    dtype = t.dtype if t.is_floating_point() and t.dtype == torch.float64 else torch.float32
    freqs = torch.exp(-math.log(max_period)
                      * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t.to(dtype)[:, None] * freqs.to(dtype)[None]  # (B, half)
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
    return emb
