"""``autograder similarity``: read the submissions, compare their answers, write the outputs."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..ingest import NotebookError, Submission, collect
from . import answers as answer_cells
from .detect import Document, Match, compare_all, drop_common, fingerprint
from .write import render_html, write_csv

FLOOR = 0.25  # a pair below this share of matched answers is not listed
COMMON = 0.5  # fingerprints in more than this share of a class (10 or more) count as idioms


@dataclass
class SimilarityRun:
    out: Path
    csv: Path
    html: Path
    matches: list[Match]
    compared: int  # current submissions with answers beyond the starter code
    previous: int  # earlier terms' submissions with answers
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (submission, why)
    empty: list[str] = field(default_factory=list)  # answers are the starter code only
    shared: list[str] = field(default_factory=list)  # answers mostly what most of the class wrote
    seconds: float = 0.0


def _documents(subs: list[Submission], fixed: set[str], *, previous: str = ""):
    docs, skipped = [], []
    for sub in subs:
        key = f"previous:{previous}/{sub.name}" if previous else sub.name
        if sub.error:
            skipped.append((key, sub.error))
            continue
        try:
            text = answer_cells.answers(sub.data, fixed).text
        except NotebookError as e:
            skipped.append((key, str(e)))
            continue
        docs.append(Document(key, sub.student_id, text, previous=bool(previous)))
    return docs, skipped


def similarity(released: str | Path, submissions: Sequence[str | Path], out: str | Path, *,
               previous: Sequence[str | Path] = (), floor: float = FLOOR,
               common: float = COMMON, title: str = "") -> SimilarityRun:
    """Compare the answer cells of every pair of ``submissions`` (notebooks, folders, zips, read
    as ``grade`` reads them), and of each against every submission under ``previous``, with the
    released notebook ``released`` as boilerplate. Writes ``out``/similarity.csv and
    ``out``/similarity.html."""
    start = time.perf_counter()
    released_bytes = Path(released).read_bytes()
    fixed = answer_cells.released_fixed_cells(released_bytes)
    docs, skipped = _documents(collect(list(submissions)), fixed)
    for folder in previous:
        more, why = _documents(collect([folder]), fixed, previous=Path(folder).name or "previous")
        docs += more
        skipped += why
    fingerprint(docs, answer_cells.boilerplate(released_bytes))
    shared = drop_common(docs, common)
    empty = [d.key for d in docs if d.empty and not d.previous]
    matches = compare_all(docs, floor)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    csv_path, html_path = out / "similarity.csv", out / "similarity.html"
    write_csv(matches, csv_path)
    compared = sum(1 for d in docs if not d.previous and not d.empty)
    earlier = sum(1 for d in docs if d.previous and not d.empty)
    html_path.write_text(render_html(matches, title=title or Path(released).stem, floor=floor,
                                     compared=compared, previous=earlier, skipped=skipped,
                                     empty=empty, shared=shared), encoding="utf-8")
    return SimilarityRun(out, csv_path, html_path, matches, compared, earlier, skipped, empty,
                         shared, time.perf_counter() - start)
