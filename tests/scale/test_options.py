"""The grading options, checked once where the command line builds them."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from autograder.cli import app

from ..conftest import REPO


@pytest.mark.parametrize("flag, value, message", [
    ("--executor", "spark", "unknown executor 'spark': local or dask"),
    ("--device", "tpu", "unknown device 'tpu': auto, cpu or cuda"),
])
def test_the_cli_refuses_an_unknown_option_before_anything_runs(tmp_path, flag, value, message):
    (tmp_path / "subs").mkdir()
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["grade", "hw1", str(tmp_path / "subs"), "-o", str(out),
                                 "--course", str(REPO), flag, value, "-q"])
    assert r.exit_code == 2 and message in " ".join(r.output.split())
    assert not out.exists()
