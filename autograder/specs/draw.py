"""Seeded drawing helpers for the case generators.

Every random number a case holds comes from the generator ``make_cases(gen)`` receives, through
these helpers, so that fixtures regenerate bit for bit from the assignment's seed. Shapes are
given as trailing integers, as in ``torch.randn``.
"""
from __future__ import annotations

import torch

from .base import Case

F32, F64 = torch.float32, torch.float64


def randn(gen: torch.Generator, *shape: int, dtype: torch.dtype = F32) -> torch.Tensor:
    """Standard normal draws."""
    return torch.randn(shape, generator=gen, dtype=dtype)


def rand(gen: torch.Generator, *shape: int, dtype: torch.dtype = F32) -> torch.Tensor:
    """Uniform draws in [0, 1)."""
    return torch.rand(shape, generator=gen, dtype=dtype)


def randint(gen: torch.Generator, low: int, high: int, *shape: int) -> torch.Tensor:
    """int64 draws in [low, high)."""
    return torch.randint(low, high, shape, generator=gen)


def draw_int(gen: torch.Generator, low: int, high: int) -> int:
    """A Python int in [low, high)."""
    return int(randint(gen, low, high))


def clear_max(values: torch.Tensor, gap: float) -> bool:
    """The largest value beats the second largest by more than ``gap``: no near-tie that
    floating-point rounding could turn into a different arg-max."""
    if values.numel() < 2:
        return True
    top = torch.topk(values.flatten().double(), 2).values
    return bool(top[0] - top[1] > gap)


def public(name: str, *args, **kwargs) -> Case:
    """A case students see (``fn(*args, **kwargs)``)."""
    return Case(name, args=args, kwargs=kwargs, hidden=False)


def hidden(name: str, *args, **kwargs) -> Case:
    """A hidden case (``fn(*args, **kwargs)``)."""
    return Case(name, args=args, kwargs=kwargs, hidden=True)
