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

from ..textsafe import one_line
from .question import LETTERS, Question
from .spec import Variant

_NUM = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
ID_COLUMNS = ("student_id", "studentid", "student id", "id", "sis_id", "sis user id", "sis id")
_QCOL = re.compile(r"^\s*(?:q|question)?\s*[#_.-]?\s*(\d+)\s*(?:[:).\s].*)?$", re.IGNORECASE)


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().lower()


def _picks(s: str) -> list[str]:
    """The picks of a multiple-answer response: tokens between ';', ',' or spaces, upper-cased,
    each stripped of brackets and a final full stop."""
    return [t.strip().upper().strip("().") for t in re.split(r"[;,\s]+", s) if t.strip("(). ")]


_AMBIGUOUS = re.compile(r"[-+]?[1-9]\d{0,2},\d{3}")


def read_number(s: str) -> tuple[float | None, str]:
    """(value, problem) of a number as students write it: "73728", "73,728,000" or "1,586.5"
    (thousands), "0,884" or "12,5" (a decimal comma), "1.5e-3". A single comma before exactly
    three digits after a non-zero group ("1,586") reads as 1586 or as 1.586: that is not guessed,
    the value is None and the problem says so. Not a number: None and why."""
    s = s.strip().replace(" ", "")
    if _AMBIGUOUS.fullmatch(s):
        return None, f"ambiguous comma: {s} reads as {s.replace(',', '')} or {s.replace(',', '.')}"
    if re.fullmatch(r"[-+]?[1-9]\d{0,2}(,\d{3})+(\.\d*)?", s):
        s = s.replace(",", "")
    elif re.fullmatch(r"[-+]?\d+,\d+", s):
        s = s.replace(",", ".")
    try:
        value = float(s)
    except ValueError:
        return None, "not a number"
    if not math.isfinite(value):
        return None, "not a finite number"
    return value, ""


def parse_number(s: str) -> float | None:
    """A number as students write it (:func:`read_number`), or None if it is none or ambiguous."""
    return read_number(s)[0]


def _counts(q: Question) -> bool:
    """An integer answer graded as one (tolerance 0.5: a count, a size)."""
    return q.answer == int(q.answer) and q.tolerance == 0.5


def _within(q: Question, x: float) -> bool:
    return abs(x - q.answer) <= q.tolerance + 1e-12


def assess(q: Question, response, points: float) -> tuple[float, str]:
    """(points earned, problem): numeric within tolerance; MC / TF exact (case, brackets and a
    final full stop aside: ``b``, ``(B)``, ``A.``, ``true.``); MA partial credit
    max(0, (right picked − wrong picked) / number right), where a pick that is no option's
    letter (``Z``, ``AB``) is a wrong pick; short answers compare their numbers (1e-6 relative)
    or, without numbers, their words. ``problem`` is "" for a well-formed answer, right or wrong,
    and otherwise says what is malformed (for ``issues.txt``). An ambiguous number (``1,586``)
    is read with thousands in an integer question (a count has no decimals); elsewhere it scores
    what both readings score, or, when they differ, 0 until someone reviews it."""
    if response is None or (isinstance(response, float) and math.isnan(response)):
        return 0.0, ""
    r = str(response).strip()
    if not r:
        return 0.0, ""
    if q.qtype == "numeric":
        x, problem = read_number(r)
        if x is not None:
            return (points if _within(q, x) else 0.0), ""
        if problem.startswith("ambiguous"):
            plain = r.replace(" ", "")
            readings = [float(plain.replace(",", "")), float(plain.replace(",", "."))]
            if _counts(q):  # a count is never written with decimals: 1,586 is 1586
                return (points if _within(q, readings[0]) else 0.0), ""
            right = [_within(q, v) for v in readings]
            if right[0] == right[1]:
                return (points if right[0] else 0.0), ""
            return 0.0, problem + "; one of them is right: review"
        return 0.0, problem
    if q.qtype == "mc":
        letter = r.upper().strip("() .")
        if letter not in LETTERS[:len(q.options)]:
            return 0.0, f"not one of the letters {LETTERS[0]}-{LETTERS[len(q.options) - 1]}"
        return (points if letter == q.answer else 0.0), ""
    if q.qtype == "tf":
        norm = {"T": "True", "TRUE": "True", "F": "False", "FALSE": "False"}.get(
            r.upper().strip("() ."))
        if norm is None:
            return 0.0, "not T or F"
        return (points if norm == q.answer else 0.0), ""
    if q.qtype == "ma":
        valid = set(LETTERS[:len(q.options)])
        picks = _picks(r)
        invalid = [p for p in picks if p not in valid]
        picked = set(picks) & valid
        right = set(q.answer)
        wrong = len(picked - right) + len(invalid)
        frac = (len(picked & right) - wrong) / len(right)
        problem = (f"{', '.join(invalid)} {'is' if len(invalid) == 1 else 'are'} no option's "
                   f"letter (counted as wrong picks)") if invalid else ""
        return points * max(0.0, frac), problem
    got, want = _NUM.findall(r), _NUM.findall(q.answer)
    if not want:  # a word or phrase: compare case- and space-insensitively
        return (points if _norm(r) == _norm(q.answer) else 0.0), ""
    if len(got) != len(want):
        return 0.0, ""
    ok = all(abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b))) for a, b in zip(got, want))
    return (points if ok else 0.0), ""


def score_answer(q: Question, response, points: float) -> float:
    """Points earned (:func:`assess` without the problem)."""
    return assess(q, response, points)[0]


def shown(response, limit: int = 60) -> str:
    """A response as a line of ``issues.txt``: control characters dropped, at most ``limit``
    characters."""
    text = one_line(response).strip()
    return text if len(text) <= limit else text[:limit - 1] + "…"


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


def grade(variants: dict[str, Variant], responses: pd.DataFrame | Responses,
          problems: list[str] | None = None) -> pd.DataFrame:
    """One row per student in ``variants`` (in its order): student_id, score, max_score and the
    points of q1..qN. A student without a response row scores 0 on every question. Every
    malformed answer is appended to ``problems`` as ``student q3: 'A;Z': why``."""
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
            row[col], problem = assess(q, resp, pts)
            if problem and problems is not None:
                problems.append(f"{shown(sid)} {col}: {shown(resp)!r}: {problem}")
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
