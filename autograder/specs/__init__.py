"""The registry of course components: every ``Spec`` defined in ``autograder/specs/unit*.py``.

Each ``unit<N>.py`` module defines ``SPECS: list[Spec]``; this package collects them by name.
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from .base import Call, Case, Spec, Tolerance

__all__ = ["Call", "Case", "Spec", "Tolerance", "all_specs", "get_spec", "specs_for_row"]


@lru_cache(maxsize=1)
def all_specs() -> dict[str, Spec]:
    found: dict[str, Spec] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("unit"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for spec in module.SPECS:
            assert spec.name not in found, f"spec {spec.name!r} defined twice"
            found[spec.name] = spec
    return found


def get_spec(name: str) -> Spec:
    specs = all_specs()
    if name not in specs:
        raise KeyError(f"no spec named {name!r}; known: {', '.join(sorted(specs))}")
    return specs[name]


def specs_for_row(row: str) -> list[Spec]:
    return [s for s in all_specs().values() if s.id == row]
