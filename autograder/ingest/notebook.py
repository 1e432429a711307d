"""A notebook's code cells, or a :class:`NotebookError` saying why a file has none.

What grading runs of a submission, so it is part of the grader's version
(:mod:`autograder.grade.version`): a changed limit or message here regrades everything.
"""
from __future__ import annotations

import json

MAX_CELLS = 2_000
MAX_CELL_CHARS = 1 << 20


class NotebookError(ValueError):
    pass


def code_cells(data: bytes) -> list[str]:
    """The code cells of a notebook, or :class:`NotebookError` saying why there are none."""
    if not data.strip():
        raise NotebookError("empty file")
    try:
        nb = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise NotebookError(f"not a notebook: invalid JSON ({type(e).__name__})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookError("not a notebook: no list of cells")
    cells = nb["cells"]
    if len(cells) > MAX_CELLS:
        raise NotebookError(f"notebook has {len(cells)} cells, more than {MAX_CELLS}")
    sources = []
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise NotebookError(f"cell {i}: source is not text")
        if len(source) > MAX_CELL_CHARS:
            raise NotebookError(f"cell {i} is larger than {MAX_CELL_CHARS} characters")
        sources.append(source)
    if not sources:
        raise NotebookError("notebook has no code cells")
    return sources
