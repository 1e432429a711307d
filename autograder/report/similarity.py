"""Where ``autograder similarity`` and ``quiz grade`` leave their copying signals, for the reports
and the course server's staff pages to show.

* an assignment's similarity output is ``<results root>/<hw>/similarity/`` (``similarity.html``
  and ``similarity.csv``), next to its ``results/`` folder:
  ``autograder similarity hw3 SUBMISSIONS -o <results root>/hw3/similarity``;
* a quiz's is ``copying.csv`` next to its ``scores.csv``.
"""
from __future__ import annotations

import csv
from pathlib import Path

FOLDER = "similarity"
PAGE = "similarity.html"
QUIZ_FILE = "copying.csv"
QUIZ_COLUMNS = ("student_id", "own_score", "other_id", "other_score", "max_score")


def similarity_page(results_root: str | Path | None, hw: str) -> Path | None:
    """The similarity page of ``hw`` if ``autograder similarity`` wrote one next to its
    results."""
    if results_root is None:
        return None
    page = Path(results_root) / hw / FOLDER / PAGE
    return page if page.is_file() else None


def pair_count(page: Path) -> int:
    """The rows of the similarity.csv beside ``page`` (pairs above the floor)."""
    try:
        with open(page.with_name("similarity.csv"), newline="", encoding="utf-8") as f:
            return max(0, sum(1 for _ in csv.reader(f)) - 1)
    except OSError:
        return 0


def quiz_copying(scores: str | Path | None) -> list[dict[str, str]]:
    """The rows of the copying.csv next to a quiz's ``scores``, or [] if there is none."""
    if scores is None:
        return []
    path = Path(scores).with_name(QUIZ_FILE)
    try:
        with open(path, newline="", encoding="utf-8") as f:
            return [{c: r.get(c, "") or "" for c in QUIZ_COLUMNS} for r in csv.DictReader(f)]
    except (OSError, csv.Error, UnicodeDecodeError):
        return []
