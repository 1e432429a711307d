"""The registry of course components: every ``Spec`` of the unit modules, by name.

Each unit module (``unit1``, ..., the ``unit3`` and ``unit5`` packages by topic, and the outcome
specs of assignments 4 and 5) defines ``SPECS``, its specs in syllabus order; in a module, each
spec is declared on its case generator (``@SPECS.add(...)``, see ``base.SpecList``), and the
generators draw through ``draw``.
"""
from __future__ import annotations

from functools import lru_cache

from .base import Call, Case, Spec, SpecList, Tolerance

__all__ = ["Call", "Case", "Spec", "SpecList", "Tolerance", "all_specs", "get_spec",
           "specs_for_row"]


@lru_cache(maxsize=1)
def all_specs() -> dict[str, Spec]:
    # imported on first use, not with the package: the unit modules import every reference
    # implementation, which a caller that only needs ``Case`` or ``Spec`` should not pay for
    from . import unit1, unit2, unit3, unit4, unit5, unit5_hw4, unit5_hw5

    found: dict[str, Spec] = {}
    for module in (unit1, unit2, unit3, unit4, unit5, unit5_hw4, unit5_hw5):
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
