"""The released notebook works alone: in Colab or Jupyter, with nothing beside the ``.ipynb``.

otter assign writes the public tests to ``tests/<question>.py`` beside the notebook; a student who
uploads only the notebook (to Colab, say) then gets ``Test q1 not found``. otter can keep tests in
the notebook's metadata instead, but it refuses them on Colab (a Colab kernel cannot read its own
notebook file), and its export cell does not run on Colab at all. So the build turns otter's
student notebook into one that carries everything itself:

* a **setup cell** first (after the title): installs the ``otter-grader`` release the notebook
  was built with when it is missing (Colab has torch, not otter), writes the public tests it
  holds to ``.tests/<hw>/`` beside the notebook and starts ``grader``;
* **how the hidden tests grade** (:mod:`.rules`): the rules beyond a value, for this
  assignment's functions;
* **submission cells** last: what to upload where, and an export cell that makes otter's zip in
  Jupyter and, in Colab, says to download the ``.ipynb`` instead;
* the course server's **submit cell** (:mod:`.submit_cell`) when the course has a server.

The grader runs only a notebook's imports, definitions and top-level assignments, and drops
anything that names ``otter`` or ``grader`` (:mod:`autograder.sandbox.worker.harness`): of these cells it
runs the assignment of the tests' dictionary and the ``def`` of the setup function, nothing else.
"""
from __future__ import annotations

import ast
import pprint
import tomllib
from importlib.metadata import version
from pathlib import Path

from .submit_cell import submit_cell

OTTER_PACKAGE = "otter-grader"
SETUP_TAG = "setup"
SUBMISSION_TAG = "submission"
RULES_TAG = "grading-rules"
TESTS_FOLDER = ".tests"  # beside the notebook: .tests/<hw>/<question>.py


def server_url(config: Path | str | None) -> str | None:
    """The course server's address, ``[server] url`` in the course configuration
    (``course.toml``); ``None`` without a configuration, a ``[server]`` table or a url."""
    if config is None:
        return None
    try:
        data = tomllib.loads(Path(config).read_text())
    except FileNotFoundError:
        raise ValueError(f"no course configuration at {config}") from None
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{config}: {e}") from None
    server = data.get("server", {})
    url = server.get("url", "") if isinstance(server, dict) else ""
    if not isinstance(url, str):
        raise ValueError(f"{config}: [server] url must be a string, not {url!r}")
    return url.strip() or None


def otter_requirement() -> str:
    """The otter-grader release this notebook is built with, pinned (``otter-grader==7.0.0``)."""
    return f"{OTTER_PACKAGE}=={version(OTTER_PACKAGE)}"


def public_tests(tests_dir: Path) -> dict[str, dict]:
    """``{question: otter's test dictionary}`` from otter assign's ``tests/*.py`` (OK format:
    ``OK_FORMAT = True`` and one literal ``test = {...}``; read as a literal, never run)."""
    tests = {}
    for path in sorted(tests_dir.glob("*.py"), key=lambda p: _question_order(p.stem)):
        tree = ast.parse(path.read_text())
        value = next((node.value for node in tree.body if isinstance(node, ast.Assign)
                      and [getattr(t, "id", None) for t in node.targets] == ["test"]), None)
        if value is None:
            raise ValueError(f"{path}: no `test = {{...}}` (otter's OK format)")
        tests[path.stem] = ast.literal_eval(value)
    return tests


def _question_order(name: str) -> tuple[int, str]:
    digits = "".join(ch for ch in name if ch.isdigit())
    return (int(digits) if digits else 0, name)


_SETUP = '''\
#@title Setup: run this cell first
# Colab has torch but not otter-grader: this cell installs the release this notebook was made
# for (when it is missing), writes the public tests of every question (below) to
# {folder}/ beside the notebook and starts `grader`, so that grader.check("q1") needs nothing
# but this notebook.
_PUBLIC_TESTS = {tests}


def _setup(assignment, tests, requirement):
    import importlib, importlib.metadata, os, pprint, subprocess, sys
    name, wanted = requirement.split("==")
    try:
        installed = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        installed = None
    if installed != wanted:
        print(f"Installing {{requirement}} (takes a minute) ...")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", requirement], check=True)
        importlib.invalidate_caches()
    folder = os.path.join({tests_folder!r}, assignment)
    os.makedirs(folder, exist_ok=True)
    for question, test in tests.items():
        with open(os.path.join(folder, question + ".py"), "w", encoding="utf-8") as f:
            f.write("OK_FORMAT = True\\n\\ntest = " + pprint.pformat(test, width=100) + "\\n")
    import otter
    notebook = assignment + ".ipynb"
    return otter.Notebook(notebook if os.path.isfile(notebook) else None, tests_dir=folder)


grader = _setup({hw!r}, _PUBLIC_TESTS, {requirement!r})
'''

_SUBMISSION_TEXT = '''\
## Submission

1. Run every cell from the top (Colab: *Runtime → Run all*; Jupyter: *Run → Run All Cells*) and
   check that each `grader.check` above passes. Passing them is necessary, not sufficient: the
   grader runs hidden tests as well.
2. Save the notebook (*File → Save*, or Ctrl+S).
3. Run the cell below.
   * **Jupyter**: it writes `{hw}_<date>_<time>.zip` beside this notebook and shows a link to
     download it. That zip is your submission.
   * **Colab**: the cell cannot reach the saved file; download the notebook itself with
     *File → Download → Download .ipynb*. That `{hw}.ipynb` is your submission.
4. Upload that one file, the zip or the `.ipynb`, to the assignment **{hw}** on Canvas (or on
   Gradescope, if your course grades there), without renaming it: Canvas adds your name and id
   to the name itself.{server}

The grader runs your imports, `def`/`class` statements and top-level assignments only, on its own
inputs: it needs no other file from you.
'''

_SERVER_TEXT = '''
5. Or submit to the course's grading server with the last cell of this notebook: it uploads the
   zip (or the saved notebook) with your token and shows your score in about a second.'''

_EXPORT = '''\
# Save the notebook first (File > Save), then run this cell.
import os
import sys

if "google.colab" in sys.modules:
    print("In Colab: File > Download > Download .ipynb, then upload that {hw}.ipynb to the "
          "assignment {hw} on Canvas (or Gradescope).")
else:
    grader.export({notebook!r} if os.path.isfile({notebook!r}) else None, pdf=False)
'''


def _code_cell(source: str, tag: str, metadata: dict | None = None) -> dict:
    return {"cell_type": "code", "execution_count": None, "outputs": [],
            "metadata": {"tags": [tag], **(metadata or {})}, "source": source.splitlines(True)}


def _markdown_cell(source: str, tag: str) -> dict:
    return {"cell_type": "markdown", "metadata": {"tags": [tag]},
            "source": source.splitlines(True)}


def setup_cell(hw: str, tests: dict[str, dict], requirement: str | None = None) -> dict:
    """The first code cell: install otter, write the public tests, start ``grader``. Collapsed
    in Colab (a form titled by its first line) and in Jupyter (``source_hidden``)."""
    body = pprint.pformat(tests, width=100, sort_dicts=False)
    source = _SETUP.format(tests=body, hw=hw, requirement=requirement or otter_requirement(),
                           folder=f"{TESTS_FOLDER}/{hw}", tests_folder=TESTS_FOLDER)
    return _code_cell(source, SETUP_TAG, {"cellView": "form", "jupyter": {"source_hidden": True}})


def submission_cells(hw: str, server: str | None = None) -> list[dict]:
    """What to upload where, and the export cell."""
    text = _SUBMISSION_TEXT.format(hw=hw, server=_SERVER_TEXT if server else "")
    return [_markdown_cell(text, SUBMISSION_TAG),
            _code_cell(_EXPORT.format(hw=hw, notebook=f"{hw}.ipynb"), SUBMISSION_TAG)]


def standalone(nb: dict, hw: str, tests: dict[str, dict], server: str | None = None,
               requirement: str | None = None, rules: str | None = None) -> dict:
    """otter's student notebook ``nb`` (built with ``init_cell: false``, ``export_cell: false``)
    with the setup cell after its title, ``rules`` (how the hidden tests grade, markdown) and
    the submission cells at the end and, when the course has a server at ``server``, its submit
    cell last."""
    cells = list(nb["cells"])
    for cell in cells:
        source = "".join(cell.get("source", ""))
        if cell["cell_type"] == "code" and ("otter.Notebook(" in source
                                            or "grader.export(" in source):
            raise ValueError(f"{hw}: otter assign already wrote an init or export cell: set "
                             "`init_cell: false` and `export_cell: false` in the master notebook")
    at = 1 if cells and cells[0]["cell_type"] == "markdown" else 0
    cells.insert(at, setup_cell(hw, tests, requirement))
    while cells and cells[-1]["cell_type"] == "markdown" and not "".join(
            cells[-1].get("source", "")).strip():
        cells.pop()  # otter's empty boundary cell
    if rules:
        cells.append(_markdown_cell(rules, RULES_TAG))
    cells += submission_cells(hw, server)
    if server:
        cells.append(submit_cell(hw, server))
    return {**nb, "cells": cells}
