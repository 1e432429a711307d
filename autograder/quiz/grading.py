"""Grading responses against each student's own variant, and item statistics."""
from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from .model import LETTERS, Question
from .spec import Variant

_NUM = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _letters(s: str) -> set[str]:
    return {t.strip().upper() for t in re.split(r"[;,\s]+", s) if t.strip()}


def score_answer(q: Question, response, points: float) -> float:
    """Points earned: numeric within tolerance; MC / TF exact; MA partial credit
    max(0, (right picked − wrong picked) / number right); short answers compare their numbers."""
    if response is None or (isinstance(response, float) and math.isnan(response)):
        return 0.0
    r = str(response).strip()
    if not r:
        return 0.0
    if q.qtype == "numeric":
        try:
            x = float(r)
        except ValueError:
            return 0.0
        return points if math.isfinite(x) and abs(x - q.answer) <= q.tolerance + 1e-12 else 0.0
    if q.qtype == "mc":
        return points if r.upper() == q.answer else 0.0
    if q.qtype == "tf":
        norm = {"T": "True", "TRUE": "True", "F": "False", "FALSE": "False"}.get(r.upper())
        return points if norm == q.answer else 0.0
    if q.qtype == "ma":
        picked = _letters(r) & set(LETTERS[:len(q.options)])
        right = set(q.answer)
        frac = (len(picked & right) - len(picked - right)) / len(right)
        return points * max(0.0, frac)
    got, want = _NUM.findall(r), _NUM.findall(q.answer)
    if len(got) != len(want):
        return 0.0
    ok = all(abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b))) for a, b in zip(got, want))
    return points if ok else 0.0


def grade(variants: dict[str, Variant], responses: pd.DataFrame) -> pd.DataFrame:
    """One row per student of the roster: student_id, score, max_score, q1..qN (points)."""
    responses = responses.copy()
    responses["student_id"] = responses["student_id"].astype(str).str.strip()
    by_id = responses.set_index("student_id")
    rows = []
    for sid, v in variants.items():
        row = {"student_id": sid}
        r = by_id.loc[sid] if sid in by_id.index else None
        for i, (q, pts) in enumerate(zip(v.questions, v.points), 1):
            col = f"q{i}"
            resp = None if r is None or col not in r.index else r[col]
            row[col] = score_answer(q, resp, pts)
        row["score"] = round(sum(row[f"q{i}"] for i in range(1, len(v.questions) + 1)), 4)
        row["max_score"] = v.max_score
        rows.append(row)
    df = pd.DataFrame(rows)
    qcols = [c for c in df.columns if c.startswith("q")]
    return df[["student_id", "score", "max_score"] + qcols]


def item_stats(graded: pd.DataFrame, variants: dict[str, Variant]) -> pd.DataFrame:
    """Per question position: difficulty (mean proportion of points), upper-lower 27%
    discrimination and point-biserial correlation with the rest score."""
    qcols = [c for c in graded.columns if re.fullmatch(r"q\d+", c)]
    first = next(iter(variants.values()))
    n = len(graded)
    k = max(1, math.ceil(0.27 * n))
    order = graded.sort_values("score", kind="stable")
    lower, upper = order.head(k), order.tail(k)
    rows = []
    for i, c in enumerate(qcols):
        pts = first.points[i]
        prop = graded[c] / pts
        rest = graded["score"] - graded[c]
        pb = float(prop.corr(rest)) if prop.std() > 0 and rest.std() > 0 else float("nan")
        rows.append({"question": c, "unit": first.questions[i].unit, "points": pts,
                     "difficulty": float(prop.mean()),
                     "discrimination_27": float((upper[c] / pts).mean() - (lower[c] / pts).mean()),
                     "point_biserial": pb})
    return pd.DataFrame(rows)


def read_responses(path: str | Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)
