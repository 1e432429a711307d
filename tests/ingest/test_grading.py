"""The ingestion rules through the real grader, on the one-question toy course."""
from __future__ import annotations

import pandas as pd

from autograder import api
from tests.gradebook.test_lms import toy_course

from .helpers import make_zip, notebook, otter_export

EXPORT = "toy_2026_03_01T10_00_00_123456.zip"


def test_a_batch_of_messy_inputs_gives_one_row_each_and_completes(tmp_path):
    """Issue 17: a cell over the wire's 100,000 characters escaped the batch (no gradebook);
    issue 16: an otter export zip became three rows under the notebook's name."""
    course = toy_course(tmp_path)
    subs = tmp_path / "subs"
    subs.mkdir()
    good = notebook("def double(x):\n    return 2 * x")
    (subs / "honest.ipynb").write_bytes(good)
    (subs / "giant.ipynb").write_bytes(notebook("def double(x):\n    return 2 * x",
                                                "x = 1\n" * 20_000))
    make_zip(otter_export(good, "toy"), subs / f"doejane_12345_67890_{EXPORT}")
    (subs / "bo_222_333_toy.pdf").write_bytes(b"%PDF-1.7\n")
    (subs / "README.md").write_text("# submissions")
    run = api.grade("toy", [subs], tmp_path / "out", course, workers=1, device="cpu")
    rows = {r.student_id: r for r in run.results}
    assert sorted(rows) == ["12345", "222", "giant", "honest"]
    assert rows["honest"].score == rows["12345"].score == 2.0
    assert rows["12345"].source.endswith(f"{EXPORT}!toy.ipynb")
    assert rows["giant"].status == "error" and "larger than 100000" in rows["giant"].message
    assert rows["222"].status == "error" and rows["222"].message.startswith("a PDF")
    book = pd.read_csv(tmp_path / "out" / "gradebook.csv", dtype={"student_id": str})
    assert sorted(book["student_id"]) == ["12345", "222", "giant", "honest"]
