"""Grading responses against each student's own variant, and item statistics.

A responses CSV (an LMS export or a scanned answer sheet) has a student id column
(``student_id``, or ``id`` / ``sis_id`` / ``SIS User ID`` / ``Student ID``) and one column per
question (``q1``, ``Q1``, ``1``, ``Question 1``, ...). Each student is graded against the variant
derived from their own id, so a neighbour's answers earn little.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .question import LETTERS, Question
from .spec import Variant

_NUM = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
ID_COLUMNS = ("student_id", "studentid", "student id", "id", "sis_id", "sis user id", "sis id")
_QCOL = re.compile(r"^\s*(?:q|question)?\s*[#_.-]?\s*(\d+)\s*(?:[:).\s].*)?$", re.IGNORECASE)


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().lower()


def _letters(s: str) -> set[str]:
    return {t.strip().upper() for t in re.split(r"[;,\s]+", s) if t.strip()}


def parse_number(s: str) -> float | None:
    """A number as students write it: "73728", "73,728" (thousands), "0,884" (decimal comma),
    "1.5e-3". None if it is not one."""
    s = s.strip().replace(" ", "")
    if re.fullmatch(r"[-+]?[1-9]\d{0,2}(,\d{3})+(\.\d*)?", s):
        s = s.replace(",", "")
    elif re.fullmatch(r"[-+]?\d+,\d+", s):
        s = s.replace(",", ".")
    try:
        return float(s)
    except ValueError:
        return None


def score_answer(q: Question, response, points: float) -> float:
    """Points earned: numeric within tolerance; MC / TF exact; MA partial credit
    max(0, (right picked − wrong picked) / number right); short answers compare their numbers
    (1e-6 relative), or, without numbers, their words."""
    if response is None or (isinstance(response, float) and math.isnan(response)):
        return 0.0
    r = str(response).strip()
    if not r:
        return 0.0
    if q.qtype == "numeric":
        x = parse_number(r)
        if x is None:
            return 0.0
        return points if math.isfinite(x) and abs(x - q.answer) <= q.tolerance + 1e-12 else 0.0
    if q.qtype == "mc":
        return points if r.upper().strip("() .") == q.answer else 0.0
    if q.qtype == "tf":
        norm = {"T": "True", "TRUE": "True", "F": "False", "FALSE": "False"}.get(r.upper())
        return points if norm == q.answer else 0.0
    if q.qtype == "ma":
        picked = _letters(r) & set(LETTERS[:len(q.options)])
        right = set(q.answer)
        frac = (len(picked & right) - len(picked - right)) / len(right)
        return points * max(0.0, frac)
    got, want = _NUM.findall(r), _NUM.findall(q.answer)
    if not want:  # a word or phrase: compare case- and space-insensitively
        return points if _norm(r) == _norm(q.answer) else 0.0
    if len(got) != len(want):
        return 0.0
    ok = all(abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b))) for a, b in zip(got, want))
    return points if ok else 0.0


@dataclass
class Responses:
    frame: pd.DataFrame  # student_id, q1..qN (strings), one row per student
    issues: list[str] = field(default_factory=list)


def read_responses(path: str | Path) -> Responses:
    """Read a responses CSV, normalising the id column to ``student_id`` and the question columns
    to ``q1..qN``. A student listed twice keeps their last row (reported)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    return normalise_responses(df)


def normalise_responses(df: pd.DataFrame) -> Responses:
    issues = []
    lower = {c: _norm(str(c)) for c in df.columns}
    id_col = next((c for want in ID_COLUMNS for c in df.columns if lower[c] == want), None)
    if id_col is None:
        raise ValueError(f"responses: no student id column (one of {', '.join(ID_COLUMNS)}); "
                         f"columns are {list(df.columns)}")
    rename = {id_col: "student_id"}
    for c in df.columns:
        m = _QCOL.match(str(c))
        if c != id_col and m:
            rename[c] = f"q{int(m.group(1))}"
    if len(set(rename.values())) != len(rename):
        raise ValueError("responses: two columns map to the same question")
    out = df[list(rename)].rename(columns=rename).astype(str)
    out["student_id"] = out["student_id"].str.strip()
    out = out[out["student_id"] != ""]
    dup = sorted(out.loc[out["student_id"].duplicated(), "student_id"].unique())
    if dup:
        issues.append(f"listed more than once (last row kept): {', '.join(dup)}")
        out = out.drop_duplicates("student_id", keep="last")
    return Responses(out.reset_index(drop=True), issues)


def grade(variants: dict[str, Variant], responses: pd.DataFrame | Responses) -> pd.DataFrame:
    """One row per student in ``variants`` (in its order): student_id, score, max_score and the
    points of q1..qN. A student without a response row scores 0 on every question."""
    if isinstance(responses, Responses):
        responses = responses.frame
    elif "student_id" not in responses.columns or not all(
            re.fullmatch(r"q\d+", str(c)) for c in responses.columns if c != "student_id"):
        responses = normalise_responses(responses).frame
    by_id = responses.assign(student_id=responses["student_id"].astype(str).str.strip()) \
                     .set_index("student_id")
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
    qcols = [c for c in df.columns if re.fullmatch(r"q\d+", str(c))]
    return df[["student_id", "score", "max_score"] + qcols]


def _corr(a: pd.Series, b: pd.Series) -> float:
    if len(a) < 3 or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(a.corr(b))


def item_stats(graded: pd.DataFrame, variants: dict[str, Variant]) -> pd.DataFrame:
    """Per question position (one pool draw; each student's variant differs there):
    difficulty = mean proportion of the points earned (1 = everyone right), discrimination as
    the upper-lower 27% index D (proportion right among the top 27% of total scores minus the
    bottom 27%) and the point-biserial correlation of the item with the rest score."""
    qcols = [c for c in graded.columns if re.fullmatch(r"q\d+", str(c))]
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
        gens = sorted({variants[s].questions[i].gen for s in graded["student_id"]})
        rows.append({"question": c, "pool": first.pools[i] if first.pools else first.questions[i].unit,
                     "points": pts, "n": n, "difficulty": float(prop.mean()),
                     "discrimination_27": float((upper[c] / pts).mean() - (lower[c] / pts).mean()),
                     "point_biserial": _corr(prop, rest), "generators": " ".join(gens)})
    return pd.DataFrame(rows)


def generator_stats(graded: pd.DataFrame, variants: dict[str, Variant]) -> pd.DataFrame:
    """The same statistics per generator (over every student who drew it, wherever it sat on
    their paper): which question templates are easy, hard, or do not discriminate."""
    records = []
    for _, row in graded.iterrows():
        v = variants[row["student_id"]]
        for i, (q, pts) in enumerate(zip(v.questions, v.points), 1):
            records.append({"generator": q.gen, "row": q.row, "topic": q.topic, "type": q.qtype,
                            "prop": row[f"q{i}"] / pts,
                            "rest": row["score"] - row[f"q{i}"]})
    frame = pd.DataFrame(records)
    out = []
    for gen, g in frame.groupby("generator", sort=True):
        out.append({"generator": gen, "row": g["row"].iloc[0], "topic": g["topic"].iloc[0],
                    "type": g["type"].iloc[0], "n": len(g), "difficulty": float(g["prop"].mean()),
                    "point_biserial": _corr(g["prop"], g["rest"])})
    return pd.DataFrame(out, columns=["generator", "row", "topic", "type", "n", "difficulty",
                                      "point_biserial"])
