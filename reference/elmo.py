"""ELMo: Embeddings from Language Models (lecture "Embeddings from Language Model (ELMO)",
"ELMO"; Peters et al., "Deep contextualized word representations", NAACL 2018,
https://arxiv.org/abs/1802.05365).

A forward LSTM language model reads the sentence left to right, a separate backward one right
to left; the biLM representation of token k at layer j is ``[h→_kj ; h←_kj]`` (layer 0: the token
embedding, repeated for both directions). "Each layer can generate a latent representation;
which one should we use?" ELMo learns a task-specific mix of all of them:

    ELMo_k = γ Σ_j s_j h_kj,   s = softmax(w)     (eq. 1 of the paper)

LSTM weights use ``nn.LSTM``'s layout: a dict with ``weight_ih_l{j}`` (4H, in), ``weight_hh_l{j}``
(4H, H), ``bias_ih_l{j}``, ``bias_hh_l{j}`` (4H,), gates stacked in the order i, f, g, o.
"""
from __future__ import annotations

import torch


def elmo_layer_mix(layers: torch.Tensor, w: torch.Tensor, gamma: torch.Tensor | float
                   ) -> torch.Tensor:
    """γ Σ_j softmax(w)_j layers[j]. layers: (L+1, ..., D) stacked layer states; w: (L+1,)
    unnormalised layer weights; gamma: a scalar. Returns (..., D)."""
    assert w.shape == (layers.size(0),)
    s = torch.softmax(w, dim=0)  # (L+1,)
    mixed = (s.view(-1, *([1] * (layers.dim() - 1))) * layers).sum(dim=0)  # (..., D)
    return gamma * mixed


def lstm_layer(x: torch.Tensor, w_ih: torch.Tensor, w_hh: torch.Tensor, b_ih: torch.Tensor,
               b_hh: torch.Tensor) -> torch.Tensor:
    """One LSTM layer over a batch-first sequence, zero initial state. x: (B, T, in) -> (B, T, H).

    i, f, g, o = σ, σ, tanh, σ of (W_ih x_t + b_ih + W_hh h + b_hh);
    c = f c + i g;  h = o tanh(c)."""
    B, T, _ = x.size()
    H = w_hh.size(1)
    h = x.new_zeros(B, H)
    c = x.new_zeros(B, H)
    outputs = []
    for t in range(T):
        gates = x[:, t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh  # (B, 4H)
        i, f, g, o = gates.chunk(4, dim=-1)  # each (B, H)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outputs.append(h)
    return torch.stack(outputs, dim=1)  # (B, T, H)


def lstm_stack(x: torch.Tensor, params: dict[str, torch.Tensor], num_layers: int
               ) -> list[torch.Tensor]:
    """The hidden states of every layer of a stacked LSTM (nn.LSTM(batch_first=True) weights):
    a list of num_layers tensors (B, T, H)."""
    states = []
    for j in range(num_layers):
        x = lstm_layer(x, params[f"weight_ih_l{j}"], params[f"weight_hh_l{j}"],
                       params[f"bias_ih_l{j}"], params[f"bias_hh_l{j}"])
        states.append(x)
    return states


def bilm_states(embeddings: torch.Tensor, forward_params: dict[str, torch.Tensor],
                backward_params: dict[str, torch.Tensor], num_layers: int) -> torch.Tensor:
    """The biLM layer stack ELMo mixes: (L+1, B, T, 2H) for embeddings (B, T, E) with E = H.

    Layer 0 is ``[x_k ; x_k]``; layer j >= 1 is ``[h→_kj ; h←_kj]`` where the backward LM runs its
    own LSTM over the reversed sentence (its states flipped back to the original order). The two
    LMs are independent: unlike ``nn.LSTM(bidirectional=True)``, the backward direction's upper
    layers never see the forward states."""
    B, T, E = embeddings.size()
    fwd = lstm_stack(embeddings, forward_params, num_layers)  # L x (B, T, H)
    bwd = lstm_stack(embeddings.flip(1), backward_params, num_layers)  # L x (B, T, H), reversed
    H = fwd[0].size(-1)
    assert E == H, "layer 0 is [x; x], so the embedding size must equal the LSTM hidden size"
    layers = [torch.cat([embeddings, embeddings], dim=-1)]  # (B, T, 2H)
    layers += [torch.cat([f, b.flip(1)], dim=-1) for f, b in zip(fwd, bwd)]
    return torch.stack(layers)  # (L+1, B, T, 2H)
