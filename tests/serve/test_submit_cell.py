"""The notebook's submit cell, run as a student would, against a live server on loopback."""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import time
import zipfile

import pytest

from autograder.assign.submit_cell import submit_cell_source, with_submit_cell

from .conftest import live


def _run(source: str, cwd, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-I", "-c", source], cwd=cwd, capture_output=True,
                          text=True, timeout=180, env={"PATH": os.environ["PATH"], **env})


def test_the_cell_uses_the_standard_library_only():
    tree = ast.parse(submit_cell_source("hw1", "https://grader.example.edu"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom)}
    assert imported and imported <= set(sys.stdlib_module_names), imported


def test_the_cell_submits_the_notebook_then_the_newer_export_zip(make_harness, notebooks,
                                                                 tmp_path):
    harness = make_harness()
    work = tmp_path / "student"
    work.mkdir()
    (work / "hw1.ipynb").write_bytes(notebooks["solved"])
    with live(harness.app) as url:
        source = submit_cell_source("hw1", url)
        env = {"AUTOGRADER_TOKEN": harness.tokens["s11"]}
        first = _run(source, work, env)
        assert first.returncode == 0, first.stderr
        assert "Submitted hw1.ipynb" in first.stdout
        assert "graded: " in first.stdout and "ok  " in first.stdout  # public tests shown
        assert "hidden tests, shown after the due date" in first.stdout
        assert f"Feedback: {url}/submissions/" in first.stdout

        time.sleep(0.01)  # the export cell ran after the notebook was saved: its zip is newer
        with zipfile.ZipFile(work / "hw1_2026_03_01T10_00_00.zip", "w") as zf:
            zf.writestr("hw1.ipynb", notebooks["stub"])
            zf.writestr(".OTTER_LOG", b"\x80\x04log")
        second = _run(source, work, env)
        assert "Submitted hw1_2026_03_01T10_00_00.zip" in second.stdout, second.stdout
        assert "graded: 0.0 / " in second.stdout and "FAIL" in second.stdout

        bad = _run(source, work, {"AUTOGRADER_TOKEN": "agt_not-a-token"})
        assert "The server answered 401" in bad.stdout
    history = harness.server.queue.rows(student_id="s11")
    assert [r.filename for r in history] == ["hw1.ipynb", "hw1_2026_03_01T10_00_00.zip"]
    assert [r.status for r in history] == ["graded", "graded"]


def test_without_a_server_the_cell_says_how_to_submit(tmp_path):
    out = _run(submit_cell_source("hw1", None), tmp_path, {})
    assert out.returncode == 0 and "no submission server" in out.stdout
    assert "submit hw1.ipynb" in out.stdout


def test_the_cell_is_added_once_and_the_address_is_checked():
    nb = {"cells": [{"cell_type": "code", "source": "x = 1", "metadata": {}}]}
    once = with_submit_cell(nb, "hw1", "https://grader.example.edu/course")
    twice = with_submit_cell(once, "hw1", "https://grader.example.edu/course")
    assert len(twice["cells"]) == 2 and twice["cells"][-1]["metadata"]["tags"] == ["submit"]
    assert "SERVER = 'https://grader.example.edu/course'" in "".join(twice["cells"][-1]["source"])
    for bad in ("ftp://x", "grader.example.edu", "https://x/?a='; import os"):
        with pytest.raises(ValueError):
            submit_cell_source("hw1", bad)


def test_the_cell_is_added_to_a_built_notebook_in_place(course, tmp_path):
    from autograder.assign.submit_cell import main

    path = tmp_path / "hw1.ipynb"
    path.write_bytes(course.student_notebook("hw1").read_bytes())
    cells = len(json.loads(path.read_text())["cells"])
    main([str(path), "--url", "https://grader.example.edu"])
    main([str(path), "--url", "https://grader.example.edu/aims5740"])
    nb = json.loads(path.read_text())
    assert len(nb["cells"]) == cells + 1
    assert "SERVER = 'https://grader.example.edu/aims5740'" in "".join(nb["cells"][-1]["source"])
