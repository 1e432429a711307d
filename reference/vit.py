"""Vision transformer inputs (lecture: "Vision Transformer", "DeiT", "Swin Transformer";
Dosovitskiy et al. 2021, Touvron et al. 2021, Liu et al. 2021)."""
import torch


def patchify(x: torch.Tensor, p: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, N, p·p·C) patches in raster order, each flattened (p, p, C)."""
    B, C, H, W = x.shape
    assert H % p == 0 and W % p == 0
    x = x.view(B, C, H // p, p, W // p, p).permute(0, 2, 4, 3, 5, 1)  # (B, H/p, W/p, p, p, C)
    return x.reshape(B, (H // p) * (W // p), p * p * C)


def patch_embed(x, p: int, weight, bias, cls_token, pos_embed, dist_token=None):
    """ViT input tokens: linear patch embedding (weight (D, p·p·C)), a [CLS] token (D,) in front
    (and DeiT's distillation token after it), plus position embeddings (N + 1 (+1), D)."""
    tokens = patchify(x, p) @ weight.T + bias  # (B, N, D)
    B, _, D = tokens.shape
    extra = [cls_token.expand(B, 1, D)]
    if dist_token is not None:
        extra.append(dist_token.expand(B, 1, D))
    tokens = torch.cat(extra + [tokens], dim=1)
    assert pos_embed.shape == tokens.shape[1:], "one position embedding per token"
    return tokens + pos_embed


def window_partition(x: torch.Tensor, window: int) -> torch.Tensor:
    """Swin: (B, H, W, C) -> (B·nW, window, window, C), windows in raster order."""
    B, H, W, C = x.shape
    x = x.view(B, H // window, window, W // window, window, C)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, window, window, C)


def window_reverse(windows: torch.Tensor, window: int, H: int, W: int) -> torch.Tensor:
    B = windows.shape[0] // ((H // window) * (W // window))
    x = windows.view(B, H // window, W // window, window, window, -1)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(B, H, W, -1)


def cyclic_shift(x: torch.Tensor, shift: int) -> torch.Tensor:
    """Swin's shifted windows: roll the (B, H, W, C) map by −shift on both axes."""
    return torch.roll(x, shifts=(-shift, -shift), dims=(1, 2))
