"""How a grading run runs: one frozen object from the command line through the API to the run.

Nothing here decides a result: the options choose where submissions run, how many at once, under
which isolation, on which device and into which store (a result records its isolation level and
device itself).
"""
from __future__ import annotations

from dataclasses import dataclass

EXECUTORS = ("local", "dask")
DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class GradeOptions:
    """``workers``: submissions graded at once (default: one per core; with ``dask`` and no
    ``scheduler``, the processes of a local cluster). ``device``: auto, cpu or cuda.
    ``isolation``: auto (the strongest level this host allows), namespaces, userns, landlock or
    process (see docs/ISOLATION.md). ``store``: the results store, an SQLAlchemy URL (default
    ``sqlite:///OUT/results.sqlite``). ``executor``: ``local`` (warm workers on this machine) or
    ``dask`` (the workers of the Dask cluster at ``scheduler``). ``regrade``: grade everything
    again, even submissions the store has results for. ``gpu_memory_fraction``: on a GPU, the
    share of its memory each sandbox may use (default 0.9 / the sandboxes sharing it)."""

    workers: int | None = None
    device: str = "auto"
    isolation: str = "auto"
    store: str | None = None
    executor: str = "local"
    scheduler: str | None = None
    regrade: bool = False
    gpu_memory_fraction: float | None = None

    def __post_init__(self) -> None:
        if self.executor not in EXECUTORS:
            raise ValueError(f"unknown executor {self.executor!r}: local or dask")
        if self.device not in DEVICES:
            raise ValueError(f"unknown device {self.device!r}: auto, cpu or cuda")


def resolve_device(device: str = "auto") -> str:
    """``auto``: cuda when torch sees a GPU, else cpu."""
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}: auto, cpu or cuda")
    if device == "auto":
        import torch  # only for "auto": a run with nothing to grade never resolves its device

        return "cuda" if torch.cuda.is_available() else "cpu"
    return device
