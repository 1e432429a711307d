"""Incremental and resumable grading through the results store, on SQLite and PostgreSQL, and
the same grading on a Dask cluster. One local grading run of four hw1 notebooks is shared by the
tests (each sandboxed run costs real time); every other run reuses it or grades a little."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from autograder import api
from autograder.grade.options import GradeOptions
from autograder.grade.store import ResultStore, default_url

from ..conftest import REPO, write_solved
from . import postgres

HW = "hw1"
WRONG = ("return ((x - x_hat) ** 2).mean()", "return ((x - x_hat) ** 2).sum()")


@pytest.fixture(scope="module")
def folder(course, built, tmp_path_factory):
    built(HW)
    d = tmp_path_factory.mktemp("inc-subs")
    for i in range(3):  # correct notebooks whose bytes differ (a comment)
        write_solved(course, HW, d / f"s{i}_hw1.ipynb", [("import math\n", f"import math  # {i}\n")])
    write_solved(course, HW, d / "wrong_hw1.ipynb", [WRONG])
    return d


@pytest.fixture(scope="module")
def local(course, folder, tmp_path_factory):
    """The reference run: four submissions graded here, two warm workers."""
    out = tmp_path_factory.mktemp("local-out")
    return api.grade(HW, [folder], out, course, workers=2, device="cpu")


@pytest.fixture(scope="module")
def pg():
    if postgres.binaries() is None:
        pytest.skip("PostgreSQL binaries not installed (Debian: apt-get install postgresql; "
                    ".ci/run installs it)")
    server = postgres.Server()
    yield server
    server.stop()


def essence(r):
    """Everything about a result but timings and where the file was."""
    d = r.to_dict()
    for key in ("seconds", "source", "submitted_at"):
        d.pop(key)
    for q in d["questions"]:
        for c in q["cases"]:
            c.pop("seconds")
    return d


def test_local_run(local):
    by_name = {r.submission: r for r in local.results}
    assert sorted(by_name) == ["s0_hw1", "s1_hw1", "s2_hw1", "wrong_hw1"] and local.reused == 0
    assert all(by_name[f"s{i}_hw1"].score == by_name[f"s{i}_hw1"].max_score for i in range(3))
    assert by_name["wrong_hw1"].score < by_name["wrong_hw1"].max_score
    assert len(local.gradebook) == 4 and (local.out / "gradebook.csv").is_file()


def test_rerun_grades_only_what_changed(course, folder, local, tmp_path):
    subs = tmp_path / "subs"
    shutil.copytree(folder, subs)
    out = tmp_path / "out"
    url = default_url(local.out)
    again = api.grade(HW, [subs], out, course, store=url)
    assert again.reused == 4 and not any((out / "logs").glob("*"))
    assert [essence(r) for r in again.results] == [essence(r) for r in local.results]
    assert len(list((out / "results").glob("*.json"))) == 4  # written for the new folder
    wrong = (subs / "wrong_hw1.ipynb").read_bytes()
    (subs / "wrong_hw1.ipynb").write_bytes(  # fixed: new bytes, graded again
        (folder / "s0_hw1.ipynb").read_bytes().replace(b"# 0", b"# 9"))
    shutil.copy(folder / "s1_hw1.ipynb", subs / "renamed_hw1.ipynb")  # same bytes, new name
    third = api.grade(HW, [subs], out, course, store=url)
    assert third.reused == 4 and len(third.results) == 5  # only 'wrong' ran
    by_name = {r.submission: r for r in third.results}
    assert by_name["wrong_hw1"].score == by_name["wrong_hw1"].max_score
    assert by_name["renamed_hw1"].score == by_name["renamed_hw1"].max_score
    assert len(third.gradebook) == 5  # the gradebook: latest result of every submission
    (subs / "wrong_hw1.ipynb").write_bytes(wrong)  # back to the first version: nothing runs
    fourth = api.grade(HW, [subs], out, course, store=url)
    assert fourth.reused == 5
    row = fourth.gradebook.set_index("submission").loc["wrong_hw1"]
    assert row["total"] < row["max"]
    saved = json.loads((out / "results" / "wrong_hw1.json").read_text())
    assert saved["score"] == row["total"]


def test_unchanged_rerun_needs_no_torch(course, folder, local, tmp_path):
    """The fast path: nothing changed, so the store answers without torch or fixtures."""
    code = ("import sys, json; from pathlib import Path; from autograder import api; "
            "from autograder.course import Course; "
            f"c = Course(Path({str(REPO)!r}), build_root=Path({str(course.build_root)!r})); "
            f"run = api.grade({HW!r}, [{str(folder)!r}], {str(tmp_path / 'out')!r}, c, "
            f"store={default_url(local.out)!r}); "
            "print(json.dumps([run.reused, 'torch' in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == [4, False]


def test_keywords_override_the_options_object(course, folder, local, tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    options = GradeOptions(store=default_url(elsewhere), workers=1, device="cpu")
    with pytest.raises(TypeError):  # a misspelt option: refused before anything is written
        api.grade(HW, [folder], out, course, options=options, wrokers=2)
    assert not out.exists()
    again = api.grade(HW, [folder], out, course, options=options, store=default_url(local.out))
    assert again.reused == 4 and again.store == default_url(local.out)
    assert not elsewhere.exists()


def _kill_then_resume(course, folder, tmp_path, url):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "autograder.cli", "grade", HW, str(folder), "-o", str(out),
           "--workers", "1", "-q", "--course", str(REPO), "--store", url, "--device", "cpu"]
    env = {**os.environ, "AUTOGRADER_BUILD_ROOT": str(course.build_root)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    store = ResultStore(url)
    deadline = time.monotonic() + 180
    try:
        while store.count(HW) < 1 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # the CLI process only: its workers see it die
        proc.wait()
    finished = {r.submission: r for r in store.results(HW)}
    assert 1 <= len(finished) < 4, ("the run was not killed halfway", proc.stderr.read())
    resumed = api.grade(HW, [folder], out, course, workers=1, store=url)
    assert len(resumed.results) == 4
    assert resumed.reused == len(finished)  # nothing finished was lost or graded again
    by_name = {r.submission: r for r in resumed.results}
    for name, before in finished.items():
        assert essence(by_name[name]) == essence(before)
    assert store.count(HW) == 4 and len(list((out / "results").glob("*.json"))) == 4
    assert [essence(r) for r in resumed.results] == [essence(r) for r in
                                                     api.grade(HW, [folder], out, course,
                                                               store=url).results]
    store.close()


def test_killed_run_resumes_on_sqlite(course, folder, tmp_path):
    _kill_then_resume(course, folder, tmp_path, default_url(tmp_path / "out"))


def test_killed_run_resumes_on_postgresql(course, folder, tmp_path, pg):
    _kill_then_resume(course, folder, tmp_path, pg.database("killed"))


def test_two_graders_at_once_share_one_store(course, folder, local, tmp_path, pg):
    url = pg.database("shared")
    runs, errors = [], []

    def grade(i):
        try:
            runs.append(api.grade(HW, [folder], tmp_path / f"out{i}", course, workers=1,
                                  store=url))
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=grade, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(runs) == 2
    store = ResultStore(url)
    assert store.count(HW) == 4 and len(store.latest(HW)) == 4  # one row per submission
    for run in runs:
        assert [essence(r) for r in run.results] == [essence(r) for r in local.results]
    store.close()


def test_dask_cluster_grades_like_local(course, folder, local, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        remote = api.grade(HW, [folder], tmp_path / "dask", course, executor="dask",
                           scheduler=cluster.scheduler_address, device="cpu")
        with distributed.Client(cluster) as client:  # the sandboxes ran on the workers
            zygotes = client.run(lambda: __import__(
                "autograder.grade.dask_executor", fromlist=["_ALL"])._ALL.__len__())
    assert remote.reused == 0
    assert [essence(r) for r in remote.results] == [essence(r) for r in local.results]
    assert sum(zygotes.values()) >= 1 and len(zygotes) == 2
