"""``python -m autograder.sandbox.isolation``: which levels work on this host."""
from .plan import LEVELS
from .probe import _probe_cached

for lvl in LEVELS:
    why = _probe_cached(lvl)
    print(f"{lvl:11s} {'ok' if not why else 'unavailable: ' + why}")
