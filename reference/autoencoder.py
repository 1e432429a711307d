"""An auto-encoder (lecture: "Auto Encoder"): an encoder to a compact code, a decoder that
reconstructs the input from it, trained on the reconstruction error."""
import torch
import torch.nn as nn


class AutoEncoder(nn.Module):
    def __init__(self, d_in: int, d_hidden: int, d_code: int):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(d_in, d_hidden), nn.ReLU(),
                                     nn.Linear(d_hidden, d_code))
        self.decoder = nn.Sequential(nn.Linear(d_code, d_hidden), nn.ReLU(),
                                     nn.Linear(d_hidden, d_in))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))  # (B, d_in) -> (B, d_code) -> (B, d_in)


def reconstruction_loss(x: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
    return ((x - x_hat) ** 2).mean()


def train_autoencoder(x: torch.Tensor, d_hidden: int, d_code: int, steps: int, lr: float,
                      seed: int) -> torch.Tensor:
    """Full-batch Adam on the reconstruction loss; returns the loss at every step (steps,)."""
    gen = torch.Generator().manual_seed(seed)
    model = AutoEncoder(x.shape[1], d_hidden, d_code)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.3)
    model.to(x.device, x.dtype)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = reconstruction_loss(x, model(x))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.detach())
    return torch.stack(losses)
