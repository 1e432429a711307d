"""Unit 5 course components (syllabus rows U5.1-U5.11): GANs, WGAN, CycleGAN, PixelCNN, VAEs,
diffusion (DDPM), guidance / latent / DiT, diffusion language models.

Every graded function is a pure function of tensors and plain numbers: where the lecture's
algorithm needs a network (a GAN step, a WGAN critic, a DDPM sampler) the spec fixes a tiny one
given by its weights (described in the reference function's docstring), and every random draw
(noise, interpolation epsilon, uniforms for masking) is an argument. The first case of each spec
is public; the rest are hidden edge cases. Diffusion index convention: ``t`` arguments are 0-based
int64 indices into ``betas`` (T,), index i being the paper's step i + 1 (as ``diffusers``
timesteps); see ``reference/diffusion.py``.

The outcome-graded training questions of assignments 4 and 5 are ``unit5_hw4`` and
``unit5_hw5``.
"""
from __future__ import annotations

from . import diffusion, gan, guidance_lm, pixelcnn_vae

SPECS = [*gan.SPECS, *pixelcnn_vae.SPECS, *diffusion.SPECS, *guidance_lm.SPECS]
