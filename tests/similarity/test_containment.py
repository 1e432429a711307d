"""The containment suite's hostile hw1 folder (formula, markup, escape-sequence and bidi file
names, a name that is not UTF-8, lone surrogates and payloads in the code, a file that is no
notebook) through ``autograder similarity``: the command completes, every file it writes is read
back and carries no live payload, and the terminal shows names as plain text."""
from __future__ import annotations

import csv
import json

from typer.testing import CliRunner

from autograder.cli import app

from ..conftest import REPO
from ..containment.hostile import HOSTILE_NAMES, write_folder
from ..containment.payloads import payloads_under, terminal_problems


def test_hostile_folder_through_similarity(course, tmp_path):
    folder = tmp_path / "submissions"
    write_folder(course, folder)
    out = tmp_path / "results" / "hw1" / "similarity"
    run = CliRunner().invoke(app, ["similarity", "hw1", str(folder), "-o", str(out),
                                   "--course", str(REPO)])
    assert run.exit_code == 0, run.output
    assert terminal_problems(run.output) == []
    assert payloads_under(out) == []
    with open(out / "similarity.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    # every copy of the solved notebook pairs with every other: hostile names included; the notebook over the size limit is listed as not compared
    named = {r["a_submission"] for r in rows} | {r["b_submission"] for r in rows}
    assert len(named) >= len(HOSTILE_NAMES)
    huge = json.loads((folder / "huge_cell.ipynb").read_text(encoding="utf-8"))["cells"]
    at = next(i for i, c in enumerate(huge) if len("".join(c["source"])) > 100_000)
    assert f"huge_cell: cell {at} is larger than" in \
        (out / "similarity.html").read_text(encoding="utf-8")
