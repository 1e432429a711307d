"""Pooling (lecture: "Pooling Layer"): max, average and L2 pooling over spatial windows, and L2
pooling over groups of feature maps. No F.*pool* calls."""
import torch


def _windows(x: torch.Tensor, kernel_size: int, stride: int | None) -> torch.Tensor:
    stride = stride or kernel_size
    return x.unfold(2, kernel_size, stride).unfold(3, kernel_size, stride)  # (B, C, Ho, Wo, k, k)


def max_pool2d(x, kernel_size: int, stride: int | None = None):
    return _windows(x, kernel_size, stride).amax(dim=(-2, -1))


def avg_pool2d(x, kernel_size: int, stride: int | None = None):
    return _windows(x, kernel_size, stride).mean(dim=(-2, -1))


def l2_pool2d(x, kernel_size: int, stride: int | None = None):
    """sqrt(Σ x²) over each window (F.lp_pool2d with p = 2)."""
    return _windows(x, kernel_size, stride).pow(2).sum(dim=(-2, -1)).sqrt()


def l2_pool_features(x, group: int):
    """L2 pooling across groups of ``group`` consecutive channels: (B, C, H, W) -> (B, C/group, H, W)."""
    B, C, H, W = x.shape
    assert C % group == 0
    return x.view(B, C // group, group, H, W).pow(2).sum(2).sqrt()
