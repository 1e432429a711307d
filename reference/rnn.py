"""A recurrent network (lecture: "Recurrent Neural Network"): one function h', y = f(h, x)
applied at every step. Elman cell with nn.RNN's layout and tanh:
h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh), y_t = h_t.
"""
import torch


def rnn_forward(x: torch.Tensor, h0: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor,
                b_ih: torch.Tensor, b_hh: torch.Tensor):
    """x (T, B, D) sequence-first, h0 (B, H) -> (outputs (T, B, H), h_T (B, H))."""
    T, B, D = x.shape
    H = W_hh.shape[0]
    assert W_ih.shape == (H, D) and h0.shape == (B, H)
    h = h0
    outputs = []
    for t in range(T):
        h = torch.tanh(x[t] @ W_ih.T + b_ih + h @ W_hh.T + b_hh)  # (B, H)
        outputs.append(h)
    return torch.stack(outputs), h
