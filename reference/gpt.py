"""GPT: a decoder-only Transformer trained by next-token prediction (lecture "Generative
Pre-trained Transformer (GPT)": "Training: Next token prediction", "Zero-shot Learning?";
Radford et al. 2018 and 2019 (GPT-2); the code follows Karpathy's nanoGPT).

* causal mask: position t may attend to positions <= t (lower triangle, True = may attend);
* loss: cross-entropy of the logits at t against the token at t + 1 (targets shifted by one),
  positions whose target is -100 ignored, as ``GPT2LMHeadModel(labels=input_ids)`` computes it;
* generation: from the last position's logits, greedy (argmax) or sampled after dividing by a
  temperature and keeping the top-k logits. Sampling takes its uniform noise u as an argument
  and inverts the CDF in vocabulary order: the token is the first i with cdf_i > u · cdf_V;
* zero-shot prompts: reading comprehension ``document, "Q:", question, "A:"`` and
  summarisation ``document, "TL;DR:"``.

``GPT`` is a tiny GPT-2 in nanoGPT's layout (learned position embeddings, pre-LN blocks, GELU with
GPT-2's tanh approximation, tied input/output embeddings, no dropout).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

# ---- masks, loss, sampling (U3.12) --------------------------------------------------------


def causal_mask(T: int, device: torch.device | str | None = None) -> torch.Tensor:
    """(T, T) bool, True on and below the diagonal: query t may attend to keys 0..t."""
    return torch.ones(T, T, dtype=torch.bool, device=device).tril()


def gpt_causal_lm_loss(logits: torch.Tensor, targets: torch.Tensor,
                       ignore_index: int = -100) -> torch.Tensor:
    """Next-token cross-entropy: logits (B, T, V) at positions 0..T-2 against targets (B, T) at
    positions 1..T-1 (pass input_ids as targets), mean over the targets that are not
    ``ignore_index``. A scalar."""
    B, T, V = logits.size()
    assert targets.shape == (B, T) and T >= 2, "need at least two tokens to predict one"
    shift_logits = logits[:, :-1].reshape(-1, V)  # (B*(T-1), V)
    shift_targets = targets[:, 1:].reshape(-1)  # (B*(T-1),)
    return F.cross_entropy(shift_logits, shift_targets, ignore_index=ignore_index)


def greedy_next_token(logits: torch.Tensor) -> torch.Tensor:
    """logits (B, V) -> (B,) long: the most likely token (the first one on a tie)."""
    return logits.argmax(dim=-1)


def top_k_filter(logits: torch.Tensor, top_k: int | None) -> torch.Tensor:
    """Keep the logits >= the k-th largest of each row, set the rest to -inf (nanoGPT)."""
    if top_k is None:
        return logits
    k = min(top_k, logits.size(-1))
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]  # (B, 1)
    return logits.masked_fill(logits < kth, float("-inf"))


def next_token_probs(logits: torch.Tensor, temperature: float = 1.0,
                     top_k: int | None = None) -> torch.Tensor:
    """softmax(top_k_filter(logits / temperature)): (B, V)."""
    assert temperature > 0, "temperature 0 is greedy decoding: use greedy_next_token"
    return torch.softmax(top_k_filter(logits / temperature, top_k), dim=-1)


def sample_next_token(logits: torch.Tensor, u: torch.Tensor, temperature: float = 1.0,
                      top_k: int | None = None) -> torch.Tensor:
    """Sample from next_token_probs by inverse CDF with uniform noise u (B,) in [0, 1):
    the first token i (vocabulary order) with cdf_i > u · cdf_V. Returns (B,) long."""
    cdf = next_token_probs(logits, temperature, top_k).cumsum(dim=-1)  # (B, V)
    target = (u * cdf[:, -1]).to(cdf.dtype)[:, None]  # (B, 1)
    return torch.searchsorted(cdf, target, right=True).squeeze(-1)


@torch.no_grad()
def generate(logits_fn: Callable[[torch.Tensor], torch.Tensor], idx: torch.Tensor,
             max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None,
             u: torch.Tensor | None = None, block_size: int | None = None) -> torch.Tensor:
    """Autoregressive generation (nanoGPT's ``generate``). logits_fn maps idx (B, t) to logits
    (B, t, V); idx (B, T) is the prompt. With u None decoding is greedy; otherwise u
    (B, max_new_tokens) is the uniform noise of each sampling step. The context is cropped to
    the last block_size tokens. Returns (B, T + max_new_tokens)."""
    for step in range(max_new_tokens):
        context = idx if block_size is None else idx[:, -block_size:]
        logits = logits_fn(context)[:, -1, :]  # (B, V): the last position predicts the next
        if u is None:
            nxt = greedy_next_token(logits)
        else:
            nxt = sample_next_token(logits, u[:, step], temperature, top_k)
        idx = torch.cat([idx, nxt[:, None]], dim=1)
    return idx


# ---- zero-shot prompt formats -------------------------------------------------------------


def format_qa_prompt(document: str, question: str) -> str:
    """Reading comprehension as in the slide: ``d_1..d_N, "Q:", q_1..q_N, "A:"``."""
    return f"{document}\nQ: {question}\nA:"


def format_tldr_prompt(document: str) -> str:
    """Summarisation as in the slide: ``d_1..d_N, "TL;DR:"``."""
    return f"{document}\nTL;DR:"


# ---- a tiny GPT in nanoGPT's layout -------------------------------------------------------


@dataclass
class GPTConfig:
    block_size: int = 32  # longest context
    vocab_size: int = 50
    n_layer: int = 2
    n_head: int = 2
    n_embd: int = 16


class CausalSelfAttention(nn.Module):

    def __init__(self, config: GPTConfig):
        super().__init__()
        assert config.n_embd % config.n_head == 0
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)  # q, k, v for all heads
        self.c_proj = nn.Linear(config.n_embd, config.n_embd)
        self.n_head = config.n_head
        self.register_buffer("mask", causal_mask(config.block_size), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))  # (B, nh, T, T)
        att = att.masked_fill(~self.mask[:T, :T], float("-inf"))
        att = F.softmax(att, dim=-1)
        y = att @ v  # (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # re-assemble the heads
        return self.c_proj(y)


class MLP(nn.Module):

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)
        self.gelu = nn.GELU(approximate="tanh")  # GPT-2's "gelu_new"
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))  # pre-LN, as in GPT-2
        x = x + self.mlp(self.ln_2(x))
        return x


class GPT(nn.Module):
    """State-dict keys: transformer.wte.weight, transformer.wpe.weight,
    transformer.h.{i}.{ln_1,attn.c_attn,attn.c_proj,ln_2,mlp.c_fc,mlp.c_proj}.{weight,bias},
    transformer.ln_f.{weight,bias}, lm_head.weight (tied to transformer.wte.weight)."""

    def __init__(self, config: GPTConfig | None = None, **kwargs):
        super().__init__()
        config = config if config is not None else GPTConfig(**kwargs)  # GPT(vocab_size=50, ...)
        self.config = config
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(config.vocab_size, config.n_embd),
            wpe=nn.Embedding(config.block_size, config.n_embd),
            h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
            ln_f=nn.LayerNorm(config.n_embd),
        ))
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight  # weight tying

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """idx (B, T) long -> logits (B, T, vocab_size) at every position."""
        B, T = idx.size()
        assert T <= self.config.block_size, f"sequence of {T} > block size {self.config.block_size}"
        pos = torch.arange(T, dtype=torch.long, device=idx.device)  # (T,)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)  # (B, T, C)
        for block in self.transformer.h:
            x = block(x)
        return self.lm_head(self.transformer.ln_f(x))  # (B, T, V)


def gpt_forward(init: dict, state: dict[str, torch.Tensor], idx: torch.Tensor) -> torch.Tensor:
    """The logits of ``GPT(**init)`` with the weights ``state``, for idx (B, T)."""
    model = GPT(**init).to(idx.device)
    model.load_state_dict(state, strict=True)
    model.eval()
    with torch.no_grad():
        return model(idx)
