"""Quiz specs (TOML) and per-student variants, derived deterministically from (seed, student id)."""
from __future__ import annotations

import hashlib
import random
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .model import Question, draw, generators


@dataclass
class Pool:
    unit: str
    count: int
    points: float


@dataclass
class QuizSpec:
    title: str
    seed: int
    time_minutes: int = 60
    pools: list[Pool] = field(default_factory=list)
    instructions: str = ""
    bank_size: int = 3  # instances per generator in the Moodle/QTI/JSON pool exports

    @classmethod
    def load(cls, path: str | Path) -> "QuizSpec":
        data = tomllib.loads(Path(path).read_text())
        pools = [Pool(unit, int(p["count"]), float(p["points"]))
                 for unit, p in data.get("pools", {}).items()]
        return cls(title=data["title"], seed=int(data["seed"]),
                   time_minutes=int(data.get("time_minutes", data.get("time", 60))),
                   pools=pools, instructions=data.get("instructions", ""),
                   bank_size=int(data.get("bank_size", 3)))

    @property
    def max_score(self) -> float:
        return sum(p.count * p.points for p in self.pools)


@dataclass
class Variant:
    student_id: str
    seed: int
    questions: list[Question]
    points: list[float]

    @property
    def max_score(self) -> float:
        return sum(self.points)


def variant_seed(quiz_seed: int, student_id: str) -> int:
    """A 64-bit seed from sha256("<quiz seed>:<student id>"): stable across runs and machines."""
    digest = hashlib.sha256(f"{quiz_seed}:{str(student_id).strip()}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def make_variant(spec: QuizSpec, student_id: str) -> Variant:
    """The student's paper: for each pool, ``count`` distinct generators of that unit drawn
    without replacement, each question drawn from its own sub-seed."""
    seed = variant_seed(spec.seed, student_id)
    rng = random.Random(seed)
    questions, points = [], []
    for pool in spec.pools:
        gens = generators(pool.unit)
        if pool.count > len(gens):
            raise ValueError(f"pool {pool.unit} asks for {pool.count} questions, bank has {len(gens)}")
        for g in rng.sample(gens, pool.count):
            questions.append(draw(g.name, random.Random(rng.getrandbits(64))))
            points.append(pool.points)
    return Variant(str(student_id), seed, questions, points)


def bank(spec: QuizSpec) -> dict[str, list[Question]]:
    """The question pools for LMS export: ``bank_size`` instances of every generator, by unit."""
    out: dict[str, list[Question]] = {}
    for pool in spec.pools:
        qs = []
        for g in generators(pool.unit):
            for i in range(spec.bank_size):
                qs.append(draw(g.name, random.Random(variant_seed(spec.seed, f"bank:{g.name}:{i}"))))
        out[pool.unit] = qs
    return out


def read_roster(path: str | Path) -> list[str]:
    df = pd.read_csv(path, dtype=str)
    col = "student_id" if "student_id" in df.columns else df.columns[0]
    return [s.strip() for s in df[col].dropna()]


def roster_names(path: str | Path) -> dict[str, str]:
    df = pd.read_csv(path, dtype=str)
    if "name" not in df.columns:
        return {}
    return dict(zip(df["student_id"].str.strip(), df["name"].fillna("")))
