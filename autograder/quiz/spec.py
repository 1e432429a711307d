"""Quiz specs (TOML) and per-student variants, derived deterministically from (seed, student id).

A spec names its pools; each pool draws ``count`` distinct generators from the generators it
selects (by unit, syllabus row or name) and gives each question ``points``::

    title = "Mid-term quiz"
    seed = 20260318
    time_minutes = 90
    bank_size = 3            # instances of every generator in the LMS pool exports

    [[pools]]
    name = "Attention and transformers"
    rows = ["U3.6", "U3.7", "U3.8"]   # or units = ["U3"], or generators = ["u3_attention_mc"]
    count = 2
    points = 2

The older table form ``[pools.U1] count = 3 points = 2`` (one pool per unit) is read too.
A pool whose generators all examine the same rows gives every student an equivalent question
(PrairieLearn's alternative groups); a wider pool trades equivalence for coverage.
"""
from __future__ import annotations

import hashlib
import random
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .model import draw, generators
from .question import Question
from .registry import Generator


class SpecError(ValueError):
    pass


@dataclass
class Pool:
    name: str
    count: int
    points: float
    units: tuple[str, ...] = ()
    rows: tuple[str, ...] = ()
    generators: tuple[str, ...] = ()

    def candidates(self) -> list[Generator]:
        """The generators this pool draws from, in the bank's order."""
        names, rows, units = set(self.generators), set(self.rows), set(self.units)
        return [g for g in generators()
                if g.name in names or g.row in rows or g.unit in units]

    @property
    def slug(self) -> str:  # an identifier for LMS exports
        return "".join(c if c.isalnum() else "_" for c in self.name).strip("_") or "pool"


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
        raw = data.get("pools", [])
        if isinstance(raw, dict):  # [pools.U1] count = .. points = ..
            raw = [{"name": k, **v} for k, v in raw.items()]
        pools = []
        for i, p in enumerate(raw, 1):
            sel = {k: tuple(p.get(k, ())) for k in ("units", "rows", "generators")}
            name = str(p.get("name", f"pool {i}"))
            if not any(sel.values()):  # a pool named after a unit is that unit
                sel["units"] = (name,)
            if "count" not in p or "points" not in p:
                raise SpecError(f"{path}: pool {name!r} needs count and points")
            pools.append(Pool(name, int(p["count"]), float(p["points"]), **sel))
        for key in ("title", "seed"):
            if key not in data:
                raise SpecError(f"{path}: missing {key!r}")
        spec = cls(title=data["title"], seed=int(data["seed"]),
                   time_minutes=int(data.get("time_minutes", data.get("time", 60))),
                   pools=pools, instructions=data.get("instructions", ""),
                   bank_size=int(data.get("bank_size", 3)))
        spec.validate()
        return spec

    def validate(self) -> None:
        """Every selector names something in the bank; every pool can fill its count."""
        if not self.pools:
            raise SpecError("a quiz needs at least one pool")
        known = generators()
        names, rows, units = ({g.name for g in known}, {g.row for g in known},
                              {g.unit for g in known})
        for p in self.pools:
            unknown = ([g for g in p.generators if g not in names] + [r for r in p.rows if r not in rows]
                       + [u for u in p.units if u not in units])
            if unknown:
                raise SpecError(f"pool {p.name!r}: no generator for {unknown}")
            if not (0 < p.count <= len(p.candidates())):
                raise SpecError(f"pool {p.name!r} asks for {p.count} questions; it has "
                                f"{len(p.candidates())} generators")
            if p.points <= 0:
                raise SpecError(f"pool {p.name!r}: points must be positive")
        if len({p.slug for p in self.pools}) != len(self.pools):
            raise SpecError("pool names must differ")

    @property
    def max_score(self) -> float:
        return sum(p.count * p.points for p in self.pools)

    @property
    def n_questions(self) -> int:
        return sum(p.count for p in self.pools)


@dataclass
class Variant:
    student_id: str
    seed: int
    questions: list[Question]
    points: list[float]
    pools: list[str] = field(default_factory=list)  # the pool of each question

    @property
    def max_score(self) -> float:
        return sum(self.points)


def variant_seed(quiz_seed: int, student_id: str) -> int:
    """A 64-bit seed from sha256("<quiz seed>:<student id>"): stable across runs, machines and
    Python versions (unlike ``hash``)."""
    digest = hashlib.sha256(f"{quiz_seed}:{str(student_id).strip()}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def make_variant(spec: QuizSpec, student_id: str) -> Variant:
    """The student's paper: for each pool, ``count`` distinct generators (never one already on
    the paper) drawn without replacement, each question drawn from its own sub-seed. A function
    of (spec, student id) alone: regenerating gives the same paper, byte for byte."""
    seed = variant_seed(spec.seed, student_id)
    rng = random.Random(seed)
    questions, points, pools, used = [], [], [], set()
    for pool in spec.pools:
        gens = [g for g in pool.candidates() if g.name not in used]
        if pool.count > len(gens):
            raise SpecError(f"pool {pool.name!r}: {pool.count} questions asked, {len(gens)} "
                            f"generators left after the earlier pools")
        for g in rng.sample(gens, pool.count):
            used.add(g.name)
            questions.append(draw(g.name, rng.getrandbits(64)))
            points.append(pool.points)
            pools.append(pool.name)
    return Variant(str(student_id).strip(), seed, questions, points, pools)


def bank(spec: QuizSpec) -> dict[str, list[Question]]:
    """The question pools for LMS export, by pool name: ``bank_size`` instances of every
    generator the pool draws from (the LMS then picks ``count`` per student)."""
    out: dict[str, list[Question]] = {}
    for pool in spec.pools:
        qs = []
        for g in pool.candidates():
            seen = set()
            for i in range(spec.bank_size * 4):
                q = draw(g.name, variant_seed(spec.seed, f"bank:{g.name}:{i}"))
                key = (q.text, tuple(q.options))
                if key not in seen:  # small parameter spaces repeat: no twins in a pool
                    seen.add(key)
                    qs.append(q)
                if len(seen) == spec.bank_size:
                    break
        out[pool.name] = qs
    return out


def read_roster(path: str | Path) -> list[str]:
    df = pd.read_csv(path, dtype=str)
    col = "student_id" if "student_id" in df.columns else df.columns[0]
    return [s.strip() for s in df[col].dropna()]


def roster_names(path: str | Path) -> dict[str, str]:
    df = pd.read_csv(path, dtype=str)
    if "name" not in df.columns:
        return {}
    col = "student_id" if "student_id" in df.columns else df.columns[0]
    return dict(zip(df[col].str.strip(), df["name"].fillna("")))
