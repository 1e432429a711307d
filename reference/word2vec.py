"""word2vec: CBOW and skip-gram (lecture "Prediction-based", "Word2Vec (1)-(3)"; Mikolov et al.,
"Efficient Estimation of Word Representations in Vector Space", 2013, and "Distributed
Representations of Words and Phrases and their Compositionality", NeurIPS 2013).

Two embedding tables: ``w_in`` (V, D), the input vectors v_w that become the word embedding
V(w) (the first layer's weights), and ``w_out`` (V, D), the output vectors u_w.

* skip-gram: the centre word predicts each word of its window, ``p(o | c) = softmax(U v_c)_o``;
* CBOW: the mean of the window's input vectors predicts the centre word;
* negative sampling replaces the softmax over V words by
  ``−log σ(u_o·v_c) − Σ_k log σ(−u_k·v_c)`` with K negative words (passed in, never drawn here).

Losses are means over the training pairs.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def skipgram_pairs(tokens: torch.Tensor, window: int) -> torch.Tensor:
    """(N, 2) long tensor of (centre, context) token ids: for each position i in order, the
    positions j = i−window … i+window (j ≠ i, inside the sequence) in increasing order."""
    assert tokens.dim() == 1 and window >= 1
    T = tokens.size(0)
    pairs = [(i, j) for i in range(T) for j in range(i - window, i + window + 1)
             if j != i and 0 <= j < T]
    if not pairs:
        return torch.zeros(0, 2, dtype=torch.long, device=tokens.device)
    pos = torch.tensor(pairs, device=tokens.device)  # (N, 2) positions
    return tokens[pos]


def skipgram_pair_count(T: int, window: int) -> int:
    """How many (centre, context) pairs ``skipgram_pairs`` makes from T tokens:
    Σ_{d=1..window} 2·max(T − d, 0), since any two positions at distance d <= window give one
    pair in each direction (2·window·T − window·(window+1) when T > window)."""
    return sum(2 * max(T - d, 0) for d in range(1, window + 1))


def cbow_pairs(tokens: torch.Tensor, window: int) -> tuple[torch.Tensor, torch.Tensor]:
    """CBOW examples for every position with a full window: contexts (N, 2·window) long, the
    window's words left to right without the centre, and centres (N,) long; N = T − 2·window
    (0 if the sequence is shorter than a window)."""
    assert tokens.dim() == 1 and window >= 1
    T = tokens.size(0)
    N = max(T - 2 * window, 0)
    centre = torch.arange(window, window + N, device=tokens.device)  # (N,) positions
    offsets = torch.tensor([o for o in range(-window, window + 1) if o != 0],
                           device=tokens.device)  # (2w,)
    return tokens[centre[:, None] + offsets[None, :]], tokens[centre]


def skipgram_softmax_loss(centres: torch.Tensor, contexts: torch.Tensor, w_in: torch.Tensor,
                          w_out: torch.Tensor) -> torch.Tensor:
    """Full-softmax skip-gram loss: mean over pairs of −log softmax(U v_c)_o. centres,
    contexts: (N,) ids; w_in, w_out: (V, D)."""
    v = w_in[centres]  # (N, D)
    logits = v @ w_out.T  # (N, V)
    return F.cross_entropy(logits, contexts)


def cbow_softmax_loss(contexts: torch.Tensor, centres: torch.Tensor, w_in: torch.Tensor,
                      w_out: torch.Tensor) -> torch.Tensor:
    """Full-softmax CBOW loss: h = mean of the window's input vectors, mean over examples of
    −log softmax(U h)_centre. contexts: (N, 2w) ids; centres: (N,) ids; w_in, w_out: (V, D)."""
    h = w_in[contexts].mean(dim=1)  # (N, 2w, D) -> (N, D)
    logits = h @ w_out.T  # (N, V)
    return F.cross_entropy(logits, centres)


def negative_sampling_loss(centres: torch.Tensor, contexts: torch.Tensor, negatives: torch.Tensor,
                           w_in: torch.Tensor, w_out: torch.Tensor) -> torch.Tensor:
    """Skip-gram with negative sampling: mean over pairs of
    −log σ(u_o·v_c) − Σ_k log σ(−u_k·v_c). centres, contexts: (N,); negatives: (N, K) ids."""
    v = w_in[centres]  # (N, D)
    u_pos = w_out[contexts]  # (N, D)
    u_neg = w_out[negatives]  # (N, K, D)
    pos = F.logsigmoid((u_pos * v).sum(-1))  # (N,)
    neg = F.logsigmoid(-(u_neg @ v[:, :, None]).squeeze(-1)).sum(-1)  # (N, K) -> (N,)
    return -(pos + neg).mean()


def negative_sampling_grads(v: torch.Tensor, u_pos: torch.Tensor, u_neg: torch.Tensor
                            ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Hand-derived gradients of the per-pair loss ℓ = −log σ(u_o·v) − Σ_k log σ(−u_k·v) for a
    batch of independent pairs (the gradient of Σ_n ℓ_n): v, u_pos: (N, D); u_neg: (N, K, D).

    ∂ℓ/∂v = (σ(u_o·v) − 1) u_o + Σ_k σ(u_k·v) u_k,  ∂ℓ/∂u_o = (σ(u_o·v) − 1) v,
    ∂ℓ/∂u_k = σ(u_k·v) v. Returns (dv (N, D), du_pos (N, D), du_neg (N, K, D))."""
    s_pos = torch.sigmoid((u_pos * v).sum(-1)) - 1.0  # (N,)
    s_neg = torch.sigmoid((u_neg @ v[:, :, None]).squeeze(-1))  # (N, K)
    dv = s_pos[:, None] * u_pos + (s_neg[:, :, None] * u_neg).sum(1)  # (N, D)
    du_pos = s_pos[:, None] * v  # (N, D)
    du_neg = s_neg[:, :, None] * v[:, None, :]  # (N, K, D)
    return dv, du_pos, du_neg
