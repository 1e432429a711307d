"""Code cells named the way a student finds them.

The sandbox reports a place as ``cell 3, line 7``: the fourth code cell, counted from 0, which
nobody can find in Colab or Jupyter (neither numbers cells; execution counts are another
thing). A message says instead ``line 7 of the cell that defines `bce_loss```, or, for a cell
that defines nothing, ``the cell that starts `x = torch.randn(4)```.
"""
from __future__ import annotations

import re
from typing import Sequence

DEFINITION = re.compile(r"^(?:async[ \t]+def|def|class)[ \t]+([^\W\d]\w*)", re.MULTILINE)
PLACE = re.compile(r"\bcell (\d{1,5}), line (\d{1,7})\b")
CODE_CELL = re.compile(r"\bcode cell (\d{1,5})\b")
MAX_FIRST_LINE = 40


def cell_label(cells: Sequence[str], index: int, line: int | None = None) -> str:
    """How a student finds code cell ``index`` (counted from 0): the function or class it
    defines (the one around ``line``, when it defines several), else its first line."""
    if not 0 <= index < len(cells):
        return f"code cell {index + 1}"
    source = cells[index]
    definitions = [(source.count("\n", 0, m.start()) + 1, m.group(1))
                   for m in DEFINITION.finditer(source)]
    if definitions:
        around = [name for start, name in definitions if line is not None and start <= line]
        return f"the cell that defines `{(around or [definitions[0][1]])[-1]}`"
    first = next((text.strip() for text in source.splitlines() if text.strip()), "")
    if not first:
        return "an empty code cell"
    first = first.replace("`", "'")
    if len(first) > MAX_FIRST_LINE:
        first = first[:MAX_FIRST_LINE - 1] + "…"
    return f"the cell that starts `{first}`"


def name_cells(text: str, cells: Sequence[str]) -> str:
    """``text`` with every ``cell N, line L`` and ``code cell N`` named by :func:`cell_label`."""
    if not cells or "cell " not in text:
        return text
    text = PLACE.sub(lambda m: f"line {m.group(2)} of "
                               f"{cell_label(cells, int(m.group(1)), int(m.group(2)))}", text)
    return CODE_CELL.sub(lambda m: cell_label(cells, int(m.group(1))), text)
