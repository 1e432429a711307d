"""OUT/similarity.csv and OUT/similarity.html.

Everything in them that a student controls (ids from file names, submission names, the code
itself) is data: CSV cells that a spreadsheet would read as a formula get a leading ``'``, and
the HTML is rendered with autoescaping on, the code passed as plain text segments (control
characters dropped, :mod:`autograder.textsafe`).
"""
from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

from ..report.render import environment
from ..textsafe import clean, csv_cell, one_line
from .detect import Match

COLUMNS = ("a", "b", "score", "score_a", "score_b", "matched_tokens", "matched_lines_a",
           "matched_lines_b", "a_submission", "b_submission", "b_previous")
HTML_PAIRS = 200  # side-by-side views in the HTML (the CSV has every pair above the floor)
HTML_ROWS = 1000  # rows of the HTML's ranked table


def row(m: Match) -> dict[str, str]:
    return {"a": one_line(m.a.student_id), "b": one_line(m.b.student_id),
            "score": f"{m.score:.3f}",
            "score_a": f"{m.score_a:.3f}", "score_b": f"{m.score_b:.3f}",
            "matched_tokens": str(m.tokens), "matched_lines_a": str(m.lines_a),
            "matched_lines_b": str(m.lines_b), "a_submission": one_line(m.a.key),
            "b_submission": one_line(m.b.key),
            "b_previous": "yes" if m.b.previous else ""}


def write_csv(matches: list[Match], path: Path) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(COLUMNS)
        for m in matches:
            r = row(m)
            out.writerow([csv_cell(r[c]) for c in COLUMNS])
    return path


def segments(text: str, slices: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, matched) runs along ``slices`` (clamped, in order)."""
    out, at = [], 0
    for start, end in sorted(slices):
        start, end = max(at, min(start, len(text))), max(at, min(end, len(text)))
        if start > at:
            out.append((text[at:start], False))
        if end > start:
            out.append((text[start:end], True))
        at = max(at, end)
    if at < len(text):
        out.append((text[at:], False))
    return out


def render_html(matches: list[Match], *, title: str, floor: float, compared: int,
                previous: int, skipped: list[tuple[str, str]], empty: list[str],
                shared: list[str] = (), templates: str | Path | None = None) -> str:
    pairs = [{"rank": i, "row": row(m),
              "left": [(clean(t), hit) for t, hit in segments(m.a.text, m.slices_a)],
              "right": [(clean(t), hit) for t, hit in segments(m.b.text, m.slices_b)]}
             for i, m in enumerate(matches[:HTML_PAIRS], 1)]
    return environment(templates).get_template("similarity.html.j2").render(
        title=title, floor=floor, compared=compared, previous=previous,
        rows=[row(m) for m in matches[:HTML_ROWS]], total=len(matches), pairs=pairs,
        shown=len(pairs), skipped=[(one_line(n), one_line(w)) for n, w in skipped],
        empty=[one_line(e) for e in empty], shared=[one_line(k) for k in shared],
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
