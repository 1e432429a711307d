"""Solving analogies with word vectors (lecture "Word2Vec (3)": Rome : Italy = Berlin : ?,
compute V(Berlin) − V(Rome) + V(Italy) and find the word w with the closest V(w)).

"Closest" is by cosine similarity, and the three query words themselves are excluded (otherwise
the answer is nearly always one of them). Ties go to the lower word index.
"""
from __future__ import annotations

import torch


def cosine_nearest(query: torch.Tensor, embeddings: torch.Tensor, exclude: list[int] = (),
                   k: int = 1, eps: float = 1e-8) -> torch.Tensor:
    """Indices (k,) long of the k rows of ``embeddings`` (V, D) most cosine-similar to ``query``
    (D,), best first, skipping the indices in ``exclude``."""
    V, D = embeddings.size()
    assert query.shape == (D,) and 1 <= k <= V - len(set(exclude))
    norms = embeddings.norm(dim=1) * query.norm()  # (V,)
    sims = (embeddings @ query) / norms.clamp_min(eps)  # (V,)
    if len(exclude):
        sims[torch.tensor(list(exclude), device=sims.device)] = float("-inf")
    order = torch.sort(sims, descending=True, stable=True).indices  # stable: ties keep index order
    return order[:k]


def analogy(embeddings: torch.Tensor, vocab: list[str], a: str, b: str, c: str) -> str:
    """a : b = c : ?  The word closest to V(c) − V(a) + V(b), excluding a, b and c.
    (Rome : Italy = Berlin : ? → Germany.)"""
    index = {w: i for i, w in enumerate(vocab)}
    ia, ib, ic = index[a], index[b], index[c]
    query = embeddings[ic] - embeddings[ia] + embeddings[ib]  # (D,)
    best = cosine_nearest(query, embeddings, exclude=[ia, ib, ic], k=1)
    return vocab[int(best[0])]
