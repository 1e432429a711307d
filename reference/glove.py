"""GloVe, the count-based word embedding (lecture "Word Embedding - Glove"; Pennington, Socher
and Manning, "GloVe: Global Vectors for Word Representation", EMNLP 2014).

If two words w_i and w_j often co-occur, V(w_i)·V(w_j) should be large: GloVe fits
``w_i·w̃_j + b_i + b̃_j ≈ log N_ij`` by weighted least squares over the pairs that co-occur,
with the weight ``f(x) = min(1, (x / x_max)^α)`` (paper: x_max = 100, α = 3/4) so that rare pairs
count less and very frequent ones do not dominate.
"""
from __future__ import annotations

import torch


def cooccurrence_counts(tokens: torch.Tensor, vocab_size: int, window: int | None = None,
                        harmonic: bool = False) -> torch.Tensor:
    """Co-occurrence matrix N, (V, V) float32: N[i, j] = number of positions p ≠ q with
    tokens[p] = i, tokens[q] = j and |p − q| <= window (window None: anywhere in the sequence,
    i.e. "in the same document"). Symmetric. ``harmonic=True`` counts a pair at distance d as 1/d
    (the GloVe paper's weighting)."""
    assert tokens.dim() == 1, "one sequence (a document) of token ids"
    T = tokens.size(0)
    span = T - 1 if window is None else min(window, T - 1)
    counts = torch.zeros(vocab_size, vocab_size, device=tokens.device)  # (V, V)
    for d in range(1, span + 1):
        left, right = tokens[:-d], tokens[d:]  # (T-d,) pairs at distance d
        w = torch.full(left.shape, 1.0 / d if harmonic else 1.0, device=tokens.device)
        counts.index_put_((left, right), w, accumulate=True)
        counts.index_put_((right, left), w, accumulate=True)
    return counts


def glove_weighting(x: torch.Tensor, x_max: float = 100.0, alpha: float = 0.75) -> torch.Tensor:
    """f(x) = (x / x_max)^α for x < x_max, 1 otherwise (f(0) = 0)."""
    return (x / x_max).pow(alpha).clamp(max=1.0)


def glove_loss(w: torch.Tensor, w_ctx: torch.Tensor, b: torch.Tensor, b_ctx: torch.Tensor,
               counts: torch.Tensor, x_max: float = 100.0, alpha: float = 0.75) -> torch.Tensor:
    """J = Σ_{i,j: N_ij > 0} f(N_ij) (w_i·w̃_j + b_i + b̃_j − log N_ij)², a scalar.

    w, w_ctx: (V, D) word and context vectors; b, b_ctx: (V,) biases; counts: (V, V)."""
    V, D = w.size()
    assert w_ctx.shape == (V, D) and b.shape == (V,) and b_ctx.shape == (V,)
    assert counts.shape == (V, V)
    seen = counts > 0  # pairs that never co-occur have f(0) = 0 and an undefined log
    log_n = torch.log(torch.where(seen, counts, torch.ones_like(counts)))  # (V, V)
    pred = w @ w_ctx.T + b[:, None] + b_ctx[None, :]  # (V, V)
    err = torch.where(seen, pred - log_n, torch.zeros_like(pred))
    return (glove_weighting(counts, x_max, alpha) * err.pow(2)).sum()
