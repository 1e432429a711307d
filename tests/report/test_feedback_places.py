"""Feedback a student can act on: a cell named by what it defines (or its first line), not by
an index counted from 0; and the score that counts (after the late policy) as the headline."""
from __future__ import annotations

import re

import pytest

from autograder.gradebook.samples import make_result
from autograder.report.feedback import render_feedback

from ..gradebook.test_lms import _nb, toy_course

CELLS = ["import torch", "x = torch.randn(4)\nprint(x)",
         "def helper(x):\n    return x\n\n\ndef double(x):\n    return x / 0", "",
         "# Q3: `your` answer below, in a rather long first line of a comment\ny = 1"]


def test_cells_are_named_by_what_they_define_or_their_first_line():
    from autograder.grade.cells import cell_label, name_cells

    assert cell_label(CELLS, 2) == "the cell that defines `helper`"
    assert cell_label(CELLS, 2, line=6) == "the cell that defines `double`"
    assert cell_label(CELLS, 1) == "the cell that starts `x = torch.randn(4)`"
    assert cell_label(CELLS, 3) == "an empty code cell"
    label = cell_label(CELLS, 4)
    assert label.startswith("the cell that starts `# Q3: 'your' answer") and label.endswith("…`")
    assert name_cells("`double` raised ZeroDivisionError (cell 2, line 6)", CELLS) == \
        "`double` raised ZeroDivisionError (line 6 of the cell that defines `double`)"
    assert name_cells("code cell 1 ran out of time while the notebook was loading", CELLS) == \
        "the cell that starts `x = torch.randn(4)` ran out of time while the notebook was loading"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A toy notebook graded for real: a cell that fails while loading, and a function that
    raises, defined in the third code cell, second of its definitions."""
    from autograder import fixtures as fixture_store
    from autograder.grade.pipeline import Grader
    from autograder.ingest.submission import Submission
    from autograder.sandbox.client import Zygote

    course = toy_course(tmp_path_factory.mktemp("places"))
    config = course.config("toy")
    grader = Grader.for_assignment(config, fixture_store.load(course.build_dir("toy")))
    data = _nb("import torch", "print('hello')\ny = undefined_name",
               "def helper(x):\n    return x\n\n\n"
               "def double(x):\n    raise ValueError(helper('no'))")
    with Zygote() as zygote:
        result, _ = grader.grade(Submission("ann_toy", "ann", "ann_toy.ipynb", data), zygote)
    return result


def test_grading_messages_name_cells_the_student_can_find(graded):
    assert "the cell that starts `print('hello')` raised NameError" in graded.message
    assert "(line 2)" in graded.message
    messages = [c.message for q in graded.questions for c in q.cases]
    public = next(c.message for q in graded.questions for c in q.cases if not c.hidden)
    assert "line 6 of the cell that defines `double`" in public, public
    for text in [graded.message, *messages]:
        assert not re.search(r"\bcell \d", text), text  # no index of any kind


def test_the_headline_is_the_score_that_counts():
    r = make_result("s1", 1.0)  # full marks, raw
    row = {"submitted_at": "2026-02-21T10:00:00+08:00", "due": "2026-02-19T23:59:00+08:00",
           "late_days": 2, "raw_score": r.score, "penalty": 2.0, "score": r.score - 2.0,
           "counted": True, "flags": "late"}
    html = render_feedback(r, "html", submission_row=row)
    headline = re.search(r'<div class="score" id="headline">(.*?)</div>', html).group(1)
    assert headline == f"{r.score - 2:g} / {r.max_score:g}"
    raw = re.search(r'<p class="muted" id="raw-score">(.*?)</p>', html).group(1)
    assert f"{r.score:g} / {r.max_score:g}" in raw
    md = render_feedback(r, "md", submission_row=row)
    assert f"**Score: {r.score - 2:g} / {r.max_score:g}** (before the late policy: " \
           f"{r.score:g} / {r.max_score:g})" in md
    on_time = {**row, "late_days": 0, "penalty": 0.0, "score": r.score, "flags": ""}
    html = render_feedback(r, "html", submission_row=on_time)
    assert re.search(r'id="headline">(.*?)</div>', html).group(1) == \
        f"{r.score:g} / {r.max_score:g}"
    assert 'id="raw-score"' not in html
    plain = render_feedback(r, "html")  # no gradebook: the raw score is all there is
    assert re.search(r'id="headline">(.*?)</div>', plain).group(1) == \
        f"{r.score:g} / {r.max_score:g}"
