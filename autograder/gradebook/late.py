"""The late policy: how late a submission is, and what that costs.

A submission is late when it arrives after its effective due date (the item's due date, moved by
the student's extension) plus the grace period. It is then ``ceil(time past due / 1 day)`` days
late. With a late-day budget, each student spends free late days first (assignments in due-date
order); every remaining day costs ``per_day`` of the item's points (``penalty_of = "max"``) or of
the points earned (``"score"``); beyond ``max_days`` charged days the submission earns 0.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from .config import LatePolicy


@dataclass(frozen=True)
class Lateness:
    known: bool  # the submission time is known
    due: datetime | None  # the effective due date (with the extension)
    seconds_late: float  # after the effective due date (0 if on time or unknown)
    days: int  # started days late, 0 when on time (grace included)

    @property
    def on_time(self) -> bool:
        return self.days == 0


def lateness(submitted_at: datetime | None, due: datetime | None,
             policy: LatePolicy) -> Lateness:
    if submitted_at is None or due is None:
        return Lateness(submitted_at is not None, due, 0.0, 0)
    seconds = (submitted_at - due).total_seconds()
    if seconds <= policy.grace_minutes * 60:
        return Lateness(True, due, max(0.0, seconds), 0)
    return Lateness(True, due, seconds, max(1, math.ceil(seconds / 86400 - 1e-9)))


@dataclass(frozen=True)
class Penalty:
    score: float  # after the penalty
    points: float  # points taken off
    budget_used: int  # free late days spent
    charged_days: int  # late days that cost points
    too_late: bool  # beyond max_days: 0 points


def penalty(raw: float, max_points: float, days: int, budget_left: int,
            policy: LatePolicy) -> Penalty:
    used = min(days, max(0, budget_left)) if policy.budget_days > 0 else 0
    charged = days - used
    if charged <= 0:
        return Penalty(raw, 0.0, used, 0, False)
    if policy.max_days is not None and charged > policy.max_days:
        return Penalty(0.0, raw, used, charged, True)
    basis = max_points if policy.penalty_of == "max" else raw
    off = min(raw, policy.per_day * charged * basis)
    return Penalty(round(raw - off, 6), round(off, 6), used, charged, False)


def extended(due: datetime | None, days: float = 0.0, until: datetime | None = None):
    if due is None:
        return until
    moved = due + timedelta(days=days)
    return max(moved, until) if until else moved
