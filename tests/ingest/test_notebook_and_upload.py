"""What grading reads of a notebook, and the course server's one upload."""
from __future__ import annotations

import json

import pytest

from autograder.ingest import NotebookError, code_cells
from autograder.ingest.notebook import MAX_CELL_CHARS
from autograder.serve.grading import submission_from_upload

from .helpers import make_zip, notebook, otter_export


def test_a_cell_over_the_wires_string_limit_is_refused_at_ingest():
    """Issue 17: a cell between 100,000 characters and 1 MiB passed ingest, then the grader's
    own wire.dumps refused it and the error escaped the batch."""
    from autograder.sandbox.wire import MAX_STR, WireError, dumps

    assert MAX_CELL_CHARS == MAX_STR
    big = "x = 1\n" * 20_000  # 120,000 characters
    with pytest.raises(WireError):
        dumps({"cells": [big]})
    with pytest.raises(NotebookError, match="cell 1 is larger than 100000 characters"):
        code_cells(notebook("a = 1", big))
    assert code_cells(notebook("a" * MAX_STR)) == ["a" * MAX_STR]


def test_nbformat_3_notebooks_are_converted():
    """Issue 17: an nbformat v3 notebook was graded 0 as a whole."""
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "hw1"}, "worksheets": [
        {"cells": [{"cell_type": "markdown", "source": ["# hw1"], "metadata": {}},
                   {"cell_type": "code", "input": ["def f(x):\n", "    return 2 * x"],
                    "language": "python", "outputs": [], "collapsed": False,
                    "metadata": {}, "prompt_number": 1},
                   {"cell_type": "code", "input": "y = f(1)", "language": "python",
                    "outputs": [], "metadata": {}}], "metadata": {}}]}
    assert code_cells(json.dumps(v3).encode()) == ["def f(x):\n    return 2 * x", "y = f(1)"]


def test_a_cell_with_null_source_is_empty():
    """Issue 17: a code cell with ``source: null`` made the whole notebook 0."""
    nb = json.loads(notebook("a = 1", "b = 2"))
    nb["cells"][0]["source"] = None
    assert code_cells(json.dumps(nb).encode()) == ["", "b = 2"]


def test_an_upload_is_always_the_uploaders():
    """The server reads an upload by the same rules as ``grade`` reads one student's zip."""
    nb = notebook("x = 1")
    sub = submission_from_upload("s1-1", "s1", "hw1_2026.zip",
                                 make_zip({**otter_export(nb), "__MACOSX/._hw1.ipynb": b"\0"}),
                                 "2026-03-01T10:00:00+08:00", "hw1")
    assert (sub.student_id, sub.error, sub.data) == ("s1", "", nb)
    bulk = make_zip({"doe_1001_1_hw1.ipynb": nb, "bo_1002_2_hw1.ipynb": nb})
    sub = submission_from_upload("s1-2", "s1", "download.zip", bulk, "", "hw1")
    assert sub.student_id == "s1" and "2 notebooks" in sub.error  # never read as a download
    sub = submission_from_upload("s1-3", "s1", "hw1.pdf", b"%PDF-1.7\n", "", "hw1")
    assert sub.error.startswith("a PDF, not a notebook")
    sub = submission_from_upload("s1-4", "s1", "hw1.ipynb", nb, "", "hw1")
    assert (sub.error, sub.data) == ("", nb)
