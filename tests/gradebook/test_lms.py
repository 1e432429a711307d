"""LMS exchange: Gradescope exports and Canvas zips read by ``collect``, submission times, and
the Gradescope autograder bundle and its ``run_autograder`` run in a temporary folder."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from datetime import datetime, timezone

import pytest
import torch

from autograder import fixtures as fixture_store
from autograder.course import Course
from autograder.fixtures import FixtureCase, Fixtures
from autograder.ingest import collect
from autograder.lms import gradescope

METADATA = """\
submission_1:
  :submitters:
  - :name: Ann
    :sid: 's1'
    :email: ann@uni.edu
  :created_at: 2026-02-19 15:22:09.380920000 +08:00
  :score: !ruby/object:BigDecimal 18:0.1e2
  :history: []
submission_2:
  :submitters:
  - :name: Bo
    :sid: ''
    :email: bo@uni.edu
  - :name: Cy
    :sid: s3
    :email: cy@uni.edu
  :created_at: 2026-02-20 01:00:00.000000000 +08:00
:submission_3:
  :submitters:
  - :name: Di
    :sid: s4
  :created_at: 2026-02-19 10:00:00 +08:00
"""


def _nb(*sources: str) -> bytes:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": s, "metadata": {}, "outputs": [],
         "execution_count": None} for s in sources]}).encode()


def _export_zip(path):
    with zipfile.ZipFile(path, "w") as zf:
        base = "assignment_9_export/"
        zf.writestr(base + "submission_metadata.yml", METADATA)
        zf.writestr(base + "submission_1/hw1.ipynb", _nb("a = 1"))
        zf.writestr(base + "submission_2/hw1.ipynb", _nb("b = 2"))
        zf.writestr(base + "submission_3/report.pdf", b"%PDF")
        zf.writestr(base + "submission_4/hw1.ipynb", _nb("c = 3"))
    return path


def _check_export(subs):
    by_id = {s.student_id: s for s in subs}
    assert set(by_id) == {"s1", "bo@uni.edu", "s3", "s4", "submission_4"}
    assert by_id["s1"].submitted_at == "2026-02-19T15:22:09.380920+08:00"
    assert by_id["s1"].error == "" and b"a = 1" in by_id["s1"].data
    # a group submission: one row per member, same notebook and time
    assert by_id["bo@uni.edu"].data == by_id["s3"].data
    assert by_id["s3"].submitted_at == "2026-02-20T01:00:00+08:00"
    assert "no notebook" in by_id["s4"].error and "report.pdf" in by_id["s4"].error
    assert "not named in submission_metadata.yml" in by_id["submission_4"].error
    assert len({s.name for s in subs}) == len(subs)


def test_gradescope_export_zip_and_folder(tmp_path):
    archive = _export_zip(tmp_path / "export.zip")
    _check_export(collect([archive]))
    folder = tmp_path / "extracted"
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(folder)
    _check_export(collect([folder]))


def test_submission_times_from_files_and_zips(tmp_path):
    plain = tmp_path / "plain" / "s9.ipynb"
    plain.parent.mkdir()
    plain.write_bytes(_nb("x = 1"))
    stamp = datetime(2026, 2, 19, 12, 0, tzinfo=timezone.utc).timestamp()
    os.utime(plain, (stamp, stamp))
    archive = tmp_path / "canvas.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(zipfile.ZipInfo("doe_LATE_101_5_hw1.ipynb", (2026, 3, 1, 9, 0, 0)),
                    _nb("y = 2"))
    own = tmp_path / "own.zip"  # a student's zip: its entries' dates are the uploader's choice
    with zipfile.ZipFile(own, "w") as zf:
        zf.writestr(zipfile.ZipInfo("hw1.ipynb", (2026, 2, 18, 8, 30, 0)), _nb("z = 3"))
    os.utime(own, (stamp, stamp))
    subs = {s.name: s for s in collect([plain.parent, archive, own])}
    assert subs["s9"].submitted_at == "2026-02-19T12:00:00+00:00"
    assert subs["doe_LATE_101_5_hw1"].submitted_at == ""  # Canvas stamps the zip time
    assert subs["doe_LATE_101_5_hw1"].student_id == "101"
    assert subs["own"].submitted_at == "2026-02-19T12:00:00+00:00"  # the file's, as for s9


# ------------------------------------------------------------------ the Gradescope autograder

HIDDEN_X = [0.123456789, -4.5678912]


def toy_course(tmp_path) -> Course:
    """A one-question course whose fixtures are written by hand (no spec needed): ``double``."""
    root = tmp_path / "course"
    (root / "solutions" / "toy").mkdir(parents=True)
    (root / "solutions" / "toy" / "grading.toml").write_text(
        'title = "Toy"\nseed = 1\ncall_seconds = 5\nwall_seconds = 60\n'
        '[[questions]]\nname = "q1"\npoints = 2\nspecs = ["double"]\n')
    course = Course(root)
    config = course.config("toy")
    fixtures = Fixtures("toy", fixture_store.fingerprint(course, config))
    for name, hidden, x in [("double/public", False, torch.tensor([1.0, 2.0])),
                            ("double/hidden", True, torch.tensor(HIDDEN_X))]:
        fixtures.cases.append(FixtureCase(
            question="q1", spec="double", name=name, call="function", hidden=hidden, points=1.0,
            rtol=1e-5, atol=1e-6, exact_dtype=False, inputs={"args": (x,), "kwargs": {}},
            expected=2 * x))
    fixture_store.save(fixtures, course.build_dir("toy"), config)
    return course


def _unpack(bundle, root):
    """Lay the bundle out as Gradescope does: /autograder/source, /autograder/run_autograder."""
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
    run = root / "run_autograder"
    run.write_bytes((root / "source" / "run_autograder").read_bytes())
    run.chmod(0o755)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    return run


def test_bundle_and_run_autograder(tmp_path):
    course = toy_course(tmp_path)
    bundle = gradescope.make_bundle(course, "toy", tmp_path / "toy-gradescope.zip")
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        settings = json.loads(zf.read("gradescope.json"))
    assert {"setup.sh", "run_autograder", "gradescope.json", "course/solutions/toy/grading.toml",
            "course/build/toy/fixtures.bin", "package/pyproject.toml",
            "package/autograder/lms/gradescope.py"} <= names
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert settings["hidden_visibility"] == "after_due_date"

    root = tmp_path / "autograder"
    run = _unpack(bundle, root)
    (root / "submission" / "toy.ipynb").write_bytes(
        _nb("import torch", "def double(x):\n    print('printed-secret')\n"
            "    return x * 2 + (x.abs() > 1) * 1.0"))
    (root / "submission_metadata.json").write_text(json.dumps(
        {"created_at": "2026-02-19T10:00:00.123456-08:00",
         "users": [{"sid": "s1", "email": "ann@uni.edu", "name": "Ann"}]}))
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable}
    proc = subprocess.run(["bash", str(run)], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = (root / "results" / "results.json").read_text()
    results = json.loads(text)
    tests = {t["name"]: t for t in results["tests"]}
    public, hidden = tests["q1: double/public"], tests["q1: double/hidden"]
    assert public["status"] == "failed" and public["visibility"] == "visible"
    assert hidden["status"] == "failed" and hidden["visibility"] == "after_due_date"
    assert results["score"] == 0 and results["extra_data"]["student_id"] == "s1"
    assert results["extra_data"]["submitted_at"] == "2026-02-19T10:00:00.123456-08:00"
    assert results["stdout_visibility"] == "hidden"
    assert "printed-secret" in proc.stdout and "printed-secret" not in text  # instructors only
    for x in HIDDEN_X:  # neither the hidden input nor its expected value, in any usual form
        for value in (x, 2 * x):
            for form in (repr(value), f"{value:.4f}", f"{value:.6g}", f"{value:.3e}"):
                assert form not in hidden["output"] and form not in text, form

    # the same bundle, the correct answer, hidden cases hidden; and no notebook at all
    (root / "submission" / "toy.ipynb").write_bytes(
        _nb("def double(x):\n    return 2 * x"))
    payload = gradescope.run_autograder(root, hidden_visibility="hidden")
    assert payload["score"] == 2
    assert {t["visibility"] for t in payload["tests"] if t["extra_data"]["hidden"]} == {"hidden"}
    (root / "submission" / "toy.ipynb").unlink()
    (root / "submission" / "essay.pdf").write_bytes(b"%PDF")
    payload = gradescope.run_autograder(root)
    assert payload["score"] == 0 and "no .ipynb notebook" in payload["output"]
    assert json.loads((root / "results" / "results.json").read_text()) == payload


def test_run_autograder_always_writes_results(tmp_path):
    """Even when the grader itself cannot start (no bundle), Gradescope gets a results.json."""
    payload = gradescope.run_autograder(tmp_path)
    assert payload["score"] == 0 and "autograder itself failed" in payload["output"]
    assert (tmp_path / "results" / "results.json").is_file()


def test_bundle_refuses_an_unknown_visibility(tmp_path):
    with pytest.raises(ValueError, match="visibility"):
        gradescope.make_bundle(toy_course(tmp_path), "toy", hidden_visibility="sometimes")


def test_grade_stores_times_and_the_gradebook_resolves_resubmissions(tmp_path):
    """Through the real grader: two Canvas-named files of one student with different times
    (the later one is right but late), a Gradescope export, and the course gradebook."""
    import pandas as pd

    from autograder import api
    from autograder.gradebook.config import config_from_dict
    from autograder.gradebook.course import course_gradebook
    from autograder.gradebook.roster import roster_from_frame

    course = toy_course(tmp_path)
    subs = tmp_path / "subs"
    subs.mkdir()
    for name, body, when in [
            ("ann_101_1_toy.ipynb", "def double(x):\n    return x + 1", "2026-02-19T10:00:00"),
            ("ann_101_2_toy.ipynb", "def double(x):\n    return 2 * x", "2026-02-20T12:00:00")]:
        (subs / name).write_bytes(_nb(body))
        stamp = datetime.fromisoformat(when + "+08:00").timestamp()
        os.utime(subs / name, (stamp, stamp))
    export = tmp_path / "gs.zip"
    with zipfile.ZipFile(export, "w") as zf:
        zf.writestr("submission_metadata.yml", "submission_7:\n  :submitters:\n  - :sid: s2\n"
                    "  :created_at: 2026-02-19 20:00:00.5 +08:00\n")
        zf.writestr("submission_7/toy.ipynb", _nb("def double(x):\n    return x * 2.0"))
    run = api.grade("toy", [subs, export], tmp_path / "out" / "toy", course, workers=1,
                    device="cpu")
    times = {r.submission: r.submitted_at for r in run.results}
    assert times["ann_101_2_toy"] == "2026-02-20T04:00:00+00:00"
    assert times["s2_submission_7"] == "2026-02-19T20:00:00.500000+08:00"

    roster = roster_from_frame(pd.DataFrame({"student_id": ["s1", "s2"], "name": ["Ann", "Bo"],
                                             "canvas_id": ["101", "102"]}))
    for select, counted, score in [("latest", "ann_101_1_toy", 0.0),
                                   ("best", "ann_101_2_toy", 1.8), ("last", "ann_101_2_toy", 1.8)]:
        config = config_from_dict({
            "timezone": "Asia/Hong_Kong", "select": select, "results": str(tmp_path / "out"),
            "late": {"per_day": 0.1},
            "assignments": [{"name": "toy", "due": "2026-02-19T23:59:00"}]})
        book = course_gradebook(config, roster=roster)
        rows = book.items.set_index("student_id")
        assert rows.loc["s1", "submission"] == counted, select
        assert rows.loc["s1", "score"] == pytest.approx(score), select
        assert rows.loc["s2", "score"] == 2.0 and rows.loc["s2", "flags"] == ""
