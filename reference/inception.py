"""The Inception module (lecture: "Review: GoogLeNet"; Szegedy et al. 2015): parallel 1×1,
3×3 and 5×5 convolutions and a 3×3 max pool, with 1×1 bottlenecks before the large kernels and
after the pool, concatenated along channels."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class InceptionModule(nn.Module):
    def __init__(self, in_ch: int, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int,
                 ch5x5: int, pool_proj: int):
        super().__init__()
        self.branch1 = nn.Conv2d(in_ch, ch1x1, 1)
        self.branch2 = nn.Sequential(nn.Conv2d(in_ch, ch3x3red, 1), nn.ReLU(),
                                     nn.Conv2d(ch3x3red, ch3x3, 3, padding=1))
        self.branch3 = nn.Sequential(nn.Conv2d(in_ch, ch5x5red, 1), nn.ReLU(),
                                     nn.Conv2d(ch5x5red, ch5x5, 5, padding=2))
        self.branch4 = nn.Conv2d(in_ch, pool_proj, 1)

    def forward(self, x):  # (B, C, H, W) -> (B, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W)
        pooled = F.max_pool2d(x, 3, stride=1, padding=1)
        branches = [self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(pooled)]
        return F.relu(torch.cat(branches, dim=1))
