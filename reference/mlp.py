"""Fully connected layers and networks (lecture: "Fully Connected Layer (1)–(4)").

z^l = W^l a^{l−1} + b^l, a^l = σ(z^l), with w^l_ij from neuron j of layer l−1 to neuron i of
layer l, so W^l is (N_l, N_{l−1}) — nn.Linear's weight layout. Batches are rows: x is (B, N_0).
"""
import torch


def linear_forward(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    assert x.shape[-1] == W.shape[1] and b.shape == (W.shape[0],)
    return x @ W.T + b  # (B, N_{l-1}) @ (N_{l-1}, N_l) -> (B, N_l)


def mlp_forward(x: torch.Tensor, weights: list, biases: list) -> torch.Tensor:
    """Sigmoid after every layer except the last, which stays linear."""
    assert len(weights) == len(biases) >= 1
    a = x
    for i, (W, b) in enumerate(zip(weights, biases)):
        a = linear_forward(a, W, b)
        if i < len(weights) - 1:
            a = torch.sigmoid(a)
    return a
