"""A student notebook filled in with the master's solutions: what a perfect submission looks like.

Used for example submissions, for the typical-mistake corpus (a solved notebook with one edit)
and for benchmarks. Each stub cell of the student notebook is replaced by the master cell that
defines the same first function or class, with otter's solution markers removed.
"""
from __future__ import annotations

import ast
import copy
import json
import re
from pathlib import Path

MARKER = re.compile(r"^\s*#\s*(BEGIN|END) SOLUTION.*$|\s*#\s*SOLUTION\s*$")


def _first_definition(source: str) -> str | None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            return node.name
    return None


def _strip_markers(source: str) -> str:
    lines = [MARKER.sub("", line) for line in source.splitlines()]
    return "\n".join(line for line, raw in zip(lines, source.splitlines())
                     if line.strip() or not raw.strip())


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def solved_notebook(student: Path, master: Path, edits: list[tuple[str, str]] = ()) -> dict:
    """The student notebook with its stubs solved, then each ``(old, new)`` edit applied once
    to the code (every ``old`` must occur, so a stale edit fails loudly)."""
    nb = json.loads(Path(student).read_text())
    solutions = {}
    for cell in json.loads(Path(master).read_text())["cells"]:
        if cell["cell_type"] == "code":
            name = _first_definition(_source(cell))
            if name and name not in solutions and "SOLUTION" in _source(cell):
                solutions[name] = _strip_markers(_source(cell))
    out = copy.deepcopy(nb)
    for cell in out["cells"]:
        if cell["cell_type"] != "code":
            continue
        name = _first_definition(_source(cell))
        if name in solutions:
            cell["source"] = solutions[name]
    for old, new in edits:
        for cell in out["cells"]:
            if cell["cell_type"] == "code" and old in _source(cell):
                cell["source"] = _source(cell).replace(old, new, 1)
                break
        else:
            raise ValueError(f"edit target not found in any code cell: {old!r}")
    return out
