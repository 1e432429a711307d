"""Canvas: the gradebook CSV it imports. (What its bulk downloads say in their file names is
read by :mod:`autograder.ingest.canvas`.)

**Gradebook import** (Grades → Import) takes a CSV shaped like Canvas's own export: the columns
``Student, ID, SIS User ID, SIS Login ID, Section``, then one column per assignment, then a
``Points Possible`` row under the header. A column named ``hw1 (12345)`` updates Canvas
assignment 12345; any other name creates a new assignment with the points of that row. Canvas
finds each student by ``ID`` (its user id), else ``SIS User ID``, else ``SIS Login ID``.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from ..textsafe import csv_cell

FIXED_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_ROW = "    Points Possible"  # as Canvas writes it in its exports


def column_name(title: str, canvas_id: str = "") -> str:
    title = title.replace(",", " ").strip()
    return f"{title} ({canvas_id})" if canvas_id else title


def _first(row: pd.Series, columns: list[str]) -> str:
    for col in columns:
        if col and col in row and str(row[col]).strip() not in ("", "nan"):
            return str(row[col]).strip()
    return ""


def canvas_frame(book) -> pd.DataFrame:
    """The Canvas import table (without the Points Possible row) for a
    :class:`~autograder.gradebook.course.CourseGradebook`: roster students only, graded items
    only."""
    cfg = book.config.canvas
    id_cols = [cfg.get("id_column", "canvas_id"), "canvas_id", "student_id"]
    sis_cols = [cfg.get("sis_user_id_column", "sis_id"), "sis_id"]
    login_cols = [cfg.get("sis_login_id_column", "login_id"), "login_id"]
    roster = book.roster.frame.set_index("student_id", drop=False) if book.roster else None
    students = book.students[book.students["on_roster"]]
    items = [i for i in book.item_info if not i["pending"]]
    rows = []
    for _, st in students.iterrows():
        info = roster.loc[st["student_id"]] if roster is not None else st
        row = {"Student": st.get("name", "") or st["student_id"],
               "ID": _first(info, id_cols), "SIS User ID": _first(info, sis_cols),
               "SIS Login ID": _first(info, login_cols), "Section": st.get("section", "")}
        for item in items:
            value = st[item["name"]]
            row[column_name(item["label"], item["canvas_id"])] = (
                "" if pd.isna(value) else round(float(value), 2))
        rows.append(row)
    columns = FIXED_COLUMNS + [column_name(i["label"], i["canvas_id"]) for i in items]
    return pd.DataFrame(rows, columns=columns)


def canvas_csv(book) -> str:
    frame = canvas_frame(book)
    items = [i for i in book.item_info if not i["pending"]]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([csv_cell(c) for c in frame.columns])
    writer.writerow([POINTS_ROW, "", "", "", ""] + [f"{i['max_points']:g}" for i in items])
    for row in frame.itertuples(index=False):
        writer.writerow(["" if (isinstance(v, float) and pd.isna(v)) else csv_cell(v)
                         for v in row])
    return buffer.getvalue()


def write_canvas_csv(book, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(canvas_csv(book), encoding="utf-8")
    return path


def read_canvas_csv(path: str | Path) -> tuple[pd.DataFrame, dict[str, float]]:
    """A Canvas gradebook CSV (ours or Canvas's export): (students, points possible per
    assignment column). Used to check what we write."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    points: dict[str, float] = {}
    is_points = frame["Student"].str.strip() == "Points Possible"
    if is_points.any():
        row = frame[is_points].iloc[0]
        for col in frame.columns[len(FIXED_COLUMNS):]:
            try:
                points[col] = float(row[col])
            except ValueError:
                pass
    return frame[~is_points].reset_index(drop=True), points
