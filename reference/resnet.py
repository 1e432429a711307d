"""Residual, grouped and dense blocks (lecture: "Review: ResNet", "ResNeXt", "DenseNet";
He et al. 2016, Xie et al. 2017, Huang et al. 2017)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class ResidualBlock(nn.Module):
    """F(x) + x with two 3×3 convs (BasicBlock); stride 2 or a channel change gets a 1×1
    projection shortcut. BatchNorm as in torchvision's BasicBlock (eval mode when graded)."""

    def __init__(self, in_ch: int, out_ch: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.downsample = None
        if stride != 1 or in_ch != out_ch:
            self.downsample = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride, bias=False),
                                            nn.BatchNorm2d(out_ch))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + identity)


class ResNeXtBlock(nn.Module):
    """1×1 reduce – grouped 3×3 (cardinality groups) – 1×1 expand, plus the identity."""

    def __init__(self, channels: int, width: int, cardinality: int):
        super().__init__()
        self.reduce = nn.Conv2d(channels, width, 1, bias=False)
        self.grouped = nn.Conv2d(width, width, 3, padding=1, groups=cardinality, bias=False)
        self.expand = nn.Conv2d(width, channels, 1, bias=False)

    def forward(self, x):
        out = F.relu(self.reduce(x))
        out = F.relu(self.grouped(out))
        return F.relu(self.expand(out) + x)


class DenseBlock(nn.Module):
    """Each layer sees the concatenation of all earlier feature maps and adds growth_rate more."""

    def __init__(self, in_ch: int, growth_rate: int, n_layers: int):
        super().__init__()
        self.layers = nn.ModuleList(
            nn.Conv2d(in_ch + i * growth_rate, growth_rate, 3, padding=1) for i in range(n_layers))

    def forward(self, x):
        features = [x]
        for layer in self.layers:
            features.append(F.relu(layer(torch.cat(features, 1))))
        return torch.cat(features, 1)  # (B, in_ch + n_layers·growth_rate, H, W)
