"""U5.11 Diffusion language models: masked (absorbing-state) discrete diffusion over tokens
(lecture "Diffusion Language Model?"; Austin et al., 2021, D3PM absorbing state; Sahoo et al.,
2024, "Simple and Effective Masked Diffusion Language Models" (MDLM); Shi et al., 2024, "Simplified
and Generalized Masked Diffusion for Discrete Data" (MD4); Nie et al., 2025, LLaDA).

Forward process with the linear schedule alpha_t = 1 - t, t in [0, 1]: every token of x_0 is
replaced by the mask token independently with probability t (and stays masked: absorbing).

Training (MDLM / MD4 continuous-time ELBO for this schedule; LLaDA eq. 3): a network sees x_t
and predicts the clean token at every position; only masked positions are scored, weighted by
1/t:

    loss = E_t E_{x_t} [ (1 / (t L)) sum_{i: x_t^i = [M]} -log p_theta(x_0^i | x_t) ]

per sequence of length L, averaged over the batch. Sampling runs t from 1 down to 0; one step
from t to s < t reveals each still-masked token with probability (t - s) / t (the exact
reverse of the forward process) to a token drawn from p_theta(. | x_t); revealed tokens never
change again ("carry-over unmasking").

Vocabulary convention here: logits cover the V real tokens ``0 .. V-1`` and the mask token is a
separate id (conventionally ``mask_id = V``), so the model never predicts the mask. All
randomness is passed in: uniforms ``u`` for masking / revealing decisions (``u < p`` happens
with probability p) and Gumbel noise for categorical draws (``argmax(logits + g)`` is a sample
of ``softmax(logits)``; g = 0 gives greedy decoding).
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F


def diffusion_lm_mask(x0: torch.Tensor, t: torch.Tensor, u: torch.Tensor,
                      mask_id: int) -> torch.Tensor:
    """x_t: x0 (B, L) int64, t (B,) masking rates in [0, 1], u (B, L) uniforms in [0, 1);
    position i of sequence b is masked iff ``u[b, i] < t[b]``. Returns (B, L) int64."""
    assert x0.dim() == 2 and u.shape == x0.shape and t.shape == x0.shape[:1]
    masked = u < t.to(u.dtype).unsqueeze(1)  # (B, L)
    return torch.where(masked, torch.full_like(x0, mask_id), x0)


def diffusion_lm_loss(logits: torch.Tensor, x0: torch.Tensor, xt: torch.Tensor, t: torch.Tensor,
                      mask_id: int) -> torch.Tensor:
    """``mean_b (1 / (t_b L)) sum_{i masked} -log softmax(logits[b, i])[x0[b, i]]``; 0-d tensor.

    logits (B, L, V) over the real tokens, x0 / xt (B, L) int64, t (B,) in (0, 1] the rate xt
    was drawn with. Unmasked positions contribute nothing (even if the model is wrong there).
    """
    B, L, V = logits.shape
    assert x0.shape == xt.shape == (B, L) and t.shape == (B,)
    assert bool((t > 0).all()), "t = 0 masks nothing and has infinite weight"
    masked = xt == mask_id  # (B, L)
    nll = F.cross_entropy(logits.reshape(B * L, V), x0.reshape(B * L), reduction="none")
    nll = nll.reshape(B, L) * masked.to(nll.dtype)  # (B, L)
    return (nll.sum(1) / (t.to(nll.dtype) * L)).mean()


def gumbel_from_uniform(u: torch.Tensor, tiny: float = 1e-20) -> torch.Tensor:
    """Standard Gumbel noise ``-log(-log u)`` from uniforms in (0, 1)."""
    return -torch.log(-torch.log(u.clamp(min=tiny)) + tiny)


def diffusion_lm_unmask_step(xt: torch.Tensor, logits: torch.Tensor, t: torch.Tensor,
                             s: torch.Tensor, u: torch.Tensor, gumbel: torch.Tensor,
                             mask_id: int) -> torch.Tensor:
    """One ancestral step of the sampler from time t to s (0 <= s < t <= 1), per sequence.

    xt (B, L) int64 with masks; logits (B, L, V) the model's output on xt; t, s (B,);
    u (B, L) uniforms; gumbel (B, L, V). A masked position is revealed iff
    ``u < (t - s) / t``, to ``argmax(logits + gumbel)``; other positions are copied.
    Returns x_s (B, L) int64.
    """
    B, L, V = logits.shape
    assert xt.shape == u.shape == (B, L) and gumbel.shape == logits.shape
    assert t.shape == s.shape == (B,) and bool((s < t).all()) and bool((t > 0).all())
    p_reveal = ((t - s) / t).to(u.dtype).unsqueeze(1)  # (B, 1)
    reveal = (xt == mask_id) & (u < p_reveal)  # (B, L)
    proposal = (logits + gumbel.to(logits.dtype)).argmax(-1)  # (B, L)
    return torch.where(reveal, proposal, xt)


def confidence_unmask_step(xt: torch.Tensor, logits: torch.Tensor, k: int,
                           mask_id: int) -> torch.Tensor:
    """LLaDA's deterministic low-confidence remasking step: predict ``argmax`` at every masked
    position and reveal the k of them (per sequence; all if fewer) whose predicted token has
    the highest probability. xt (B, L), logits (B, L, V) -> (B, L) int64."""
    B, L, V = logits.shape
    masked = xt == mask_id
    probs = logits.softmax(-1)
    conf, pred = probs.max(-1)  # (B, L) each
    conf = torch.where(masked, conf, torch.full_like(conf, -1.0))
    k = min(k, L)
    top = conf.topk(k, dim=1).indices  # (B, k)
    chosen = torch.zeros_like(masked).scatter_(1, top, True) & masked
    return torch.where(chosen, pred, xt)


def sample(model: Callable[[torch.Tensor], torch.Tensor], xt: torch.Tensor, times: torch.Tensor,
           us: torch.Tensor, gumbels: torch.Tensor, mask_id: int) -> torch.Tensor:
    """The iterative unmasking sampler: ``times`` (K + 1,) decreasing from 1 to 0, one step per
    consecutive pair; ``us`` (K, B, L) and ``gumbels`` (K, B, L, V) the noise of each step;
    model maps x_t (B, L) to logits (B, L, V). Starts from xt (all masks, usually)."""
    K = times.shape[0] - 1
    assert us.shape[0] == K and gumbels.shape[0] == K
    B = xt.shape[0]
    for k in range(K):
        t = times[k].expand(B)
        s = times[k + 1].expand(B)
        xt = diffusion_lm_unmask_step(xt, model(xt), t, s, us[k], gumbels[k], mask_id)
    return xt
