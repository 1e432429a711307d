"""A notebook's code cells, or a :class:`NotebookError` saying why a file has none.

What grading runs of a submission, so it is part of the grader's version
(:mod:`autograder.grade.version`): a changed limit or message here regrades everything.

* an nbformat 3 notebook (cells inside ``worksheets``) is converted to version 4 first;
* a code cell whose ``source`` is ``null`` is an empty cell;
* a cell longer than :data:`MAX_CELL_CHARS` (the longest string the grader's wire format
  carries, :data:`autograder.sandbox.wire.MAX_STR`) is refused here, as this submission's
  error, rather than failing when the cells are sent to the sandbox;
* a file that is no notebook says what it is ("a PDF, not a notebook").
"""
from __future__ import annotations

import json

from .files import what_it_is

MAX_CELLS = 2_000
MAX_CELL_CHARS = 100_000  # = autograder.sandbox.wire.MAX_STR (a test keeps them equal)


class NotebookError(ValueError):
    pass


def _not_json(data: bytes) -> NotebookError:
    kind = what_it_is("", data[:16])
    if kind != "a file":
        return NotebookError(f"{kind}, not a notebook: submit the .ipynb file")
    return NotebookError("not a notebook: invalid JSON")


def _v4_cells(nb: dict) -> list:
    """The cells of a notebook, version 3 converted to 4."""
    if nb.get("nbformat") == 3 or ("worksheets" in nb and "cells" not in nb):
        try:
            import nbformat

            converted = nbformat.convert(nbformat.from_dict(nb), 4)
        except Exception as e:  # noqa: BLE001 - any conversion problem is this file's error
            raise NotebookError(f"nbformat 3 notebook that cannot be converted "
                                f"({type(e).__name__})") from None
        return converted.get("cells")
    return nb.get("cells")


def code_cells(data: bytes) -> list[str]:
    """The code cells of a notebook, or :class:`NotebookError` saying why there are none."""
    if not data.strip():
        raise NotebookError("empty file")
    try:
        nb = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise _not_json(data) from None
    if not isinstance(nb, dict):
        raise NotebookError("not a notebook: no list of cells")
    cells = _v4_cells(nb)
    if not isinstance(cells, list):
        raise NotebookError("not a notebook: no list of cells")
    if len(cells) > MAX_CELLS:
        raise NotebookError(f"notebook has {len(cells)} cells, more than {MAX_CELLS}")
    sources = []
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if source is None:
            source = ""
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
