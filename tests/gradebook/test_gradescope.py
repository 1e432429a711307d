"""The Gradescope autograder: its setup.sh on Gradescope's Ubuntu base images (22.04 with
Python 3.10, 24.04 with 3.12), the notebook it picks from an upload, and its results.json."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import zipfile

import pytest

from autograder.lms import gradescope

from .test_lms import _nb, toy_course

PYTHON_FAKE = """#!/bin/bash
echo "$(basename "$0") $*" >> "$LOG"
if [ "$1" = "-c" ]; then {check}; fi
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  mkdir -p "$3/bin" && cp "$FAKES/venv-python" "$3/bin/python"
fi
exit 0
"""
VENV_PYTHON = '#!/bin/bash\necho "venv-python $*" >> "$LOG"\n'
# apt-get: installing python3-venv gives python3 its venv module; python3.12 appears once
# the deadsnakes PPA was added
APT_GET = """#!/bin/bash
echo "apt-get $*" >> "$LOG"
for pkg in "$@"; do
  case "$pkg" in
    python3-venv) touch "$FAKES/venv-installed" ;;
    python3.12)
      if grep -q "add-apt-repository -y ppa:deadsnakes/ppa" "$LOG"; then
        sed 's/{{CHECK}}/exit 0/' "$FAKES/python-template" > "$BIN/python3.12"
        chmod +x "$BIN/python3.12"
      fi ;;
  esac
done
"""


def _executable(path, text):
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def _run_setup(tmp_path, system_python: str, apt: bool = True):
    """setup.sh from a real bundle, on a fake Ubuntu: only the fake tools are on PATH (nothing
    is installed). ``system_python``: "3.10" (22.04) or "3.12" (24.04, python3-venv missing)."""
    bundle = gradescope.make_bundle(toy_course(tmp_path), "toy", tmp_path / "toy.zip")
    source = tmp_path / "source"
    with zipfile.ZipFile(bundle) as zf:
        zf.extract("setup.sh", source)
    fakes, bin_ = tmp_path / "fakes", tmp_path / "bin"
    fakes.mkdir()
    bin_.mkdir()
    for tool in ("dirname", "basename", "mkdir", "cp", "touch", "grep", "sed", "chmod", "cat"):
        real = next(p for p in ("/usr/bin", "/bin") if os.path.exists(f"{p}/{tool}"))
        (bin_ / tool).symlink_to(f"{real}/{tool}")
    (fakes / "python-template").write_text(PYTHON_FAKE.replace("{check}", "{{CHECK}}"))
    _executable(fakes / "venv-python", VENV_PYTHON)
    check = ("exit 1" if system_python == "3.10"
             else '[ -e "$FAKES/venv-installed" ] && exit 0 || exit 1')
    _executable(bin_ / "python3", PYTHON_FAKE.replace("{check}", check))
    if apt:
        _executable(bin_ / "apt-get", APT_GET)
        _executable(bin_ / "add-apt-repository",
                    '#!/bin/bash\necho "add-apt-repository $*" >> "$LOG"\n')
    log = tmp_path / "log"
    log.write_text("")
    env = {"PATH": str(bin_), "LOG": str(log), "FAKES": str(fakes), "BIN": str(bin_),
           "AUTOGRADER_ROOT": str(tmp_path / "autograder"), "HOME": str(tmp_path)}
    proc = subprocess.run(["/bin/bash", str(source / "setup.sh")], env=env,
                          capture_output=True, text=True, timeout=60)
    return proc, log.read_text().splitlines(), tmp_path / "autograder"


def test_setup_installs_python_3_12_on_ubuntu_22_04(tmp_path):
    proc, log, root = _run_setup(tmp_path, "3.10")
    assert proc.returncode == 0, proc.stderr
    assert "add-apt-repository -y ppa:deadsnakes/ppa" in log
    install = next(x for x in log if x.startswith("apt-get install") and "python3.12" in x)
    assert "python3.12-venv" in install
    assert f"python3.12 -m venv {root}/venv" in log
    assert f"python3 -m venv {root}/venv" not in log
    assert "venv-python -m pip install -q ./package" in log
    assert log[-1].startswith("venv-python -c import torch")  # the install is checked


def test_setup_uses_the_system_python_on_ubuntu_24_04(tmp_path):
    proc, log, root = _run_setup(tmp_path, "3.12")
    assert proc.returncode == 0, proc.stderr
    assert not any(x.startswith("add-apt-repository") for x in log)
    assert any(x.startswith("apt-get install") and "python3-venv" in x for x in log)
    assert f"python3 -m venv {root}/venv" in log
    assert "venv-python -m pip install -q ./package" in log


def test_setup_says_why_when_no_python_can_be_had(tmp_path):
    proc, log, root = _run_setup(tmp_path, "3.10", apt=False)
    assert proc.returncode != 0
    assert "needs Python >= 3.11" in proc.stderr
    assert not (root / "venv").exists()


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    """A toy bundle unpacked as Gradescope does (``root/source``, ``root/submission``)."""
    tmp = tmp_path_factory.mktemp("gs")
    bundle = gradescope.make_bundle(toy_course(tmp), "toy", tmp / "toy.zip")
    root = tmp / "autograder"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
    return root


def _submit(root, files: dict[str, bytes]):
    import shutil

    shutil.rmtree(root / "submission", ignore_errors=True)
    for name, data in files.items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / name).write_bytes(data)
    return gradescope.run_autograder(root, device="cpu")


def test_a_macos_upload_grades_the_notebook_not_its_resource_fork(layout):
    fork = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + b"\x00" * 64
    payload = _submit(layout, {
        "__MACOSX/._toy (1).ipynb": fork,  # sorts before the notebook
        "__MACOSX/.__MACOSX": fork,
        ".ipynb_checkpoints/toy (1)-checkpoint.ipynb": _nb("def double(x):\n    return x"),
        "._toy (1).ipynb": fork,
        ".DS_Store": b"\x00\x00\x00\x01Bud1",
        "toy (1).ipynb": _nb("def double(x):\n    return 2 * x")})
    assert payload["score"] == 2, payload["output"]
    assert "__MACOSX" not in payload["output"] and "checkpoint" not in payload["output"]
    saved = json.loads((layout / "results" / "results.json").read_text())
    assert saved == payload


def test_an_upload_of_only_clutter_says_there_is_no_notebook(layout):
    payload = _submit(layout, {"__MACOSX/._toy.ipynb": b"\x00\x05\x16\x07",
                               "essay.pdf": b"%PDF-1.7"})
    assert payload["score"] == 0
    assert "no .ipynb notebook" in payload["output"] and "essay.pdf" in payload["output"]
    assert "__MACOSX" not in payload["output"]


def test_results_json_has_only_documented_keys(layout):
    from ..engine.test_results import DOCUMENTED_TEST, DOCUMENTED_TOP

    payload = _submit(layout, {"toy.ipynb": _nb("def double(x):\n    return 2 * x")})
    assert set(payload) <= DOCUMENTED_TOP and "max_score" not in payload
    assert payload["score"] == sum(t["score"] for t in payload["tests"]) == 2
    assert all(set(t) <= DOCUMENTED_TEST for t in payload["tests"])
    hidden = [t for t in payload["tests"] if t["extra_data"]["hidden"]]
    assert hidden and {t["visibility"] for t in hidden} == {"after_due_date"}


def test_what_students_read_before_the_due_date_tells_no_hidden_result(layout, capsys):
    """Hidden cases are after_due_date: the text every student sees now gives the public
    tests' points, not the total, which would tell how the hidden tests went."""
    public_only = _nb("def double(x):\n    return 2 * x if bool((x > 0).all()) else x")
    payload = _submit(layout, {"toy.ipynb": public_only})
    assert payload["score"] == 1  # stored for the due date; Gradescope shows it then
    out = payload["output"]
    assert "Public tests: 1 / 1 point." in out
    assert "The 1 hidden test (1 point) and the total score show after the due date" in out
    assert "1/2" not in out and "1 / 2" not in out and "graded" not in out
    assert "graded: 1/2" in capsys.readouterr().out  # the instructors' stdout has it
    shown = gradescope.run_autograder(layout, device="cpu", hidden_visibility="visible")
    assert shown["output"].startswith("graded: 1/2")
