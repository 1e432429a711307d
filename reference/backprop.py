"""Backpropagation by hand for the sigmoid MLP of reference.mlp (lecture: "Backpropagation –
Summary").

Forward pass: keep every activation a (since ∂z/∂w = a). Backward pass: carry ∂l/∂z from the
output to the input; then ∂l/∂W = (∂l/∂z)ᵀ a and ∂l/∂b = Σ_batch ∂l/∂z.
Loss: L = ½ Σ_batch ‖out − y‖² / B.
"""
import torch


def mlp_backward(x: torch.Tensor, y: torch.Tensor, weights: list, biases: list):
    """(grads_W, grads_b), lists matching ``weights`` and ``biases``."""
    B = x.shape[0]
    L = len(weights)
    activations = [x]  # a^0 .. a^L
    for i, (W, b) in enumerate(zip(weights, biases)):
        z = activations[-1] @ W.T + b
        activations.append(torch.sigmoid(z) if i < L - 1 else z)
    delta = (activations[-1] - y) / B  # ∂L/∂z^L for the linear output layer, (B, N_L)
    grads_W, grads_b = [None] * L, [None] * L
    for i in reversed(range(L)):
        grads_W[i] = delta.T @ activations[i]  # (N_i+1, B) @ (B, N_i)
        grads_b[i] = delta.sum(0)
        if i > 0:
            a = activations[i]
            delta = (delta @ weights[i]) * a * (1 - a)  # σ'(z) = a(1 − a)
    return grads_W, grads_b
