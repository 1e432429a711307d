"""What the unit modules share: float64 tensors, parameter draws, vectors and matrices as
printed, and parameter counts and output shapes of reference modules built on the meta device.
The question builders (``numeric``, ``mc``, ``fmt``, ...) are in :mod:`autograder.quiz.question`."""
from __future__ import annotations

import torch

from ..question import fmt

F64 = torch.float64


def T(*xs) -> torch.Tensor:
    return torch.tensor(xs, dtype=F64)


def M(rows) -> torch.Tensor:
    return torch.tensor(rows, dtype=F64)


def ri(rng, a, b):
    return rng.randint(a, b)


def rf(rng, a, b, digits=1):
    return round(rng.uniform(a, b), digits)


def vec(v) -> str:
    return "(" + ", ".join(fmt(x, 3) for x in v) + ")"


def mat(rows) -> str:
    """A matrix by rows: [[1, -0.5], [0, 2]]."""
    return "[" + ", ".join("[" + ", ".join(fmt(x, 3) for x in r) + "]" for r in rows) + "]"


def n_params(make) -> int:
    """Parameters of the reference module ``make()`` built on the meta device (no memory, no
    initialisation cost)."""
    with torch.device("meta"):
        return sum(p.numel() for p in make().parameters())


def meta_shape(make, shape) -> tuple[int, ...]:
    """Output shape of the reference module ``make()`` on a meta input of ``shape``."""
    with torch.device("meta"):
        return tuple(make()(torch.empty(*shape)).shape)
