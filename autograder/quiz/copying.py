"""The quiz's copying signal: a response sheet that earns more on another student's paper than
on its own.

Every student's paper is a different variant (numbers, option order, questions drawn), so a sheet
copied from a neighbour matches the neighbour's key, not its own. Each responding student's
sheet is graded against every other responding student's variant; a sheet whose best other
score exceeds its own score is listed with the paper it fits best. Like the similarity of
notebooks, it is a reason to look, not proof: a near-empty sheet, or two variants that happen to
share answers, can fit another paper by chance, which the margin in the list helps to judge.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ..textsafe import csv_frame
from .grading import Responses, score_answer
from .spec import Variant

COLUMNS = ["student_id", "own_score", "other_id", "other_score", "max_score", "margin"]


def _sheet(frame: pd.DataFrame) -> dict[str, list]:
    qcols = sorted((c for c in frame.columns if c != "student_id"), key=lambda c: int(c[1:]))
    width = max((int(c[1:]) for c in qcols), default=0)
    sheets = {}
    for _, r in frame.iterrows():
        answers = [None] * width
        for c in qcols:
            answers[int(c[1:]) - 1] = r[c]
        sheets[str(r["student_id"])] = answers
    return sheets


def _score(v: Variant, answers: list) -> float:
    total = 0.0
    for i, (q, pts) in enumerate(zip(v.questions, v.points)):
        if i < len(answers):
            total += score_answer(q, answers[i], pts)
    return total


def copying(variants: dict[str, Variant], responses: Responses | pd.DataFrame) -> pd.DataFrame:
    """One row per sheet that scores more on another responding student's paper than on its
    own: student_id, own_score, other_id (the paper it fits best), other_score, max_score,
    margin (other - own); largest margin first."""
    frame = responses.frame if isinstance(responses, Responses) else responses
    sheets = {s: a for s, a in _sheet(frame).items() if s in variants}
    rows = []
    for sid, answers in sheets.items():
        own = _score(variants[sid], answers)
        best, best_id = -math.inf, ""
        for other in sheets:
            if other == sid:
                continue
            got = _score(variants[other], answers)
            if got > best:
                best, best_id = got, other
        if best_id and best > own + 1e-9:
            rows.append({"student_id": sid, "own_score": round(own, 4), "other_id": best_id,
                         "other_score": round(best, 4),
                         "max_score": variants[sid].max_score,
                         "margin": round(best - own, 4)})
    out = pd.DataFrame(rows, columns=COLUMNS)
    return out.sort_values(["margin", "student_id"], ascending=[False, True],
                           kind="stable").reset_index(drop=True)


def write(frame: pd.DataFrame, path: str | Path) -> Path:
    """copying.csv, its text cells cleaned and neutralised against spreadsheet formulas."""
    csv_frame(frame).to_csv(path, index=False)
    return Path(path)
