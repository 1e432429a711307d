"""The answer cells of a notebook: what a student wrote, as one text to compare.

The released notebook marks each answer cell with the ``otter_answer_cell`` tag (otter assign
writes it), so a submission's answers are its tagged cells. A notebook whose cells lost their
tags (copied into a fresh notebook, say) falls back to every code cell that is not one of the
released notebook's fixed cells (the otter set-up, ``grader.check`` calls, imports left as
given). Each answer cell is labelled with the question whose ``grader.check`` follows it.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from ..ingest.notebook import NotebookError, code_cells

ANSWER_TAG = "otter_answer_cell"
_CHECK = re.compile(r"""grader\.check\(\s*["']([^"']+)["']\s*\)""")


@dataclass
class Answers:
    """A notebook's answer cells, each with its question (``""`` if none follows)."""
    cells: list[tuple[str, str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The cells as one Python text, each under a ``# qN`` comment line (comments carry no
        weight in the comparison)."""
        return "".join(f"# {q or 'cell'}\n{source.rstrip()}\n\n" for q, source in self.cells)


def _cells(data: bytes) -> list[dict]:
    code_cells(data)  # raises NotebookError with the reason a file is no notebook
    nb = json.loads(data)
    out = []
    for cell in nb["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        meta = cell.get("metadata")
        tags = meta.get("tags", []) if isinstance(meta, dict) else []
        out.append({"source": source, "tags": tags if isinstance(tags, list) else []})
    return out


def _label(cells: list[dict]) -> list[str]:
    """Each cell's question: that of the next ``grader.check`` at or after it."""
    labels, following = [""] * len(cells), ""
    for i in range(len(cells) - 1, -1, -1):
        m = _CHECK.search(cells[i]["source"])
        if m:
            following = m.group(1)
        labels[i] = following
    return labels


def _norm(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def released_fixed_cells(released: bytes) -> set[str]:
    """The released notebook's code cells that are not answers (normalised text)."""
    return {_norm(c["source"]) for c in _cells(released) if ANSWER_TAG not in c["tags"]}


def answers(data: bytes, fixed: set[str] = frozenset()) -> Answers:
    """The answer cells of the notebook ``data`` (:class:`NotebookError` if it is none)."""
    cells = _cells(data)
    labels = _label(cells)
    tagged = [i for i, c in enumerate(cells) if ANSWER_TAG in c["tags"]]
    if not tagged:
        tagged = [i for i, c in enumerate(cells)
                  if _norm(c["source"]) not in fixed and not _CHECK.search(c["source"])
                  and c["source"].strip()]
    return Answers([(labels[i], cells[i]["source"]) for i in tagged])


__all__ = ["ANSWER_TAG", "Answers", "NotebookError", "answers", "released_fixed_cells"]


def boilerplate(released: bytes) -> str:
    """The starter code as the comparison sees it: the released answer cells joined exactly as
    a submission's are (so that the seams between untouched cells match too), then every code
    cell of the released notebook."""
    return answers(released).text + "\n".join(code_cells(released))
