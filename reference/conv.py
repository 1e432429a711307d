"""The convolution layer (lecture: "Convolutional Layer"): h_j = max(0, Σ_k h_k * w_kj), with
stride and zero padding. Written with unfold (im2col) + a matrix product, not F.conv2d."""
import torch


def conv2d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           stride: int = 1, padding: int = 0) -> torch.Tensor:
    """Cross-correlation as in nn.Conv2d. x (B, C, H, W), weight (O, C, kH, kW) -> (B, O, H', W')."""
    B, C, H, W = x.shape
    O, Cw, kH, kW = weight.shape
    assert C == Cw, f"input has {C} channels, weight expects {Cw}"
    x = torch.nn.functional.pad(x, (padding, padding, padding, padding))
    Hp, Wp = H + 2 * padding, W + 2 * padding
    Ho, Wo = (Hp - kH) // stride + 1, (Wp - kW) // stride + 1
    # every (kH, kW) window at stride s: (B, C, Ho, Wo, kH, kW)
    patches = x.unfold(2, kH, stride).unfold(3, kW, stride)
    out = torch.einsum("bchwij,ocij->bohw", patches, weight)  # (B, O, Ho, Wo)
    if bias is not None:
        out = out + bias.view(1, O, 1, 1)
    return out


def conv2d_relu(x, weight, bias=None, stride=1, padding=0):
    """h_j = max(0, Σ_k h_k * w_kj + b_j): the slide's convolution layer with its ReLU."""
    return torch.clamp(conv2d(x, weight, bias, stride, padding), min=0)
