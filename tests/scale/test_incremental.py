"""Incremental and resumable grading through the results store, on SQLite and PostgreSQL, and
the same grading on a Dask cluster."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from autograder import api
from autograder.store import ResultStore, default_url

from ..conftest import REPO, write_solved
from . import postgres

HW = "hw1"


@pytest.fixture(scope="module")
def folder(course, built, tmp_path_factory):
    built(HW)
    d = tmp_path_factory.mktemp("inc-subs")
    for i in range(4):  # four different correct-ish notebooks (a comment makes bytes differ)
        write_solved(course, HW, d / f"s{i}_hw1.ipynb", [("import math\n", f"import math  # {i}\n")])
    write_solved(course, HW, d / "wrong_hw1.ipynb", [("return ((x - x_hat) ** 2).mean()",
                                                       "return ((x - x_hat) ** 2).sum()")])
    return d


@pytest.fixture(scope="module")
def pg():
    if postgres.binaries() is None:
        pytest.skip("PostgreSQL binaries not installed (Debian package postgresql; .ci/run installs it)")
    server = postgres.Server()
    yield server
    server.stop()


def test_rerun_grades_only_what_changed(course, folder, tmp_path):
    subs = tmp_path / "subs"
    shutil.copytree(folder, subs)
    out = tmp_path / "out"
    first = api.grade(HW, [subs], out, course, workers=2)
    assert first.reused == 0 and len(first.results) == 5
    again = api.grade(HW, [subs], out, course, workers=2)
    assert again.reused == 5
    assert [r.to_dict() for r in again.results] == [r.to_dict() for r in first.results]
    (subs / "wrong_hw1.ipynb").write_bytes((folder / "s0_hw1.ipynb").read_bytes().replace(b"# 0", b"# 9"))
    (subs / "new_hw1.ipynb").write_bytes((folder / "s1_hw1.ipynb").read_bytes().replace(b"# 1", b"# 8"))
    third = api.grade(HW, [subs], out, course, workers=2)
    assert third.reused == 4 and len(third.results) == 6  # 'wrong' changed, 'new' is new
    by_name = {r.submission: r for r in third.results}
    assert by_name["wrong_hw1"].score == by_name["wrong_hw1"].max_score
    assert len(third.gradebook) == 6  # the gradebook: latest result of every submission


def _kill_then_resume(course, folder, tmp_path, url):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "autograder.cli", "grade", HW, str(folder), "-o", str(out),
           "--workers", "1", "-q", "--course", str(REPO), "--store", url]
    env = {**os.environ, "AUTOGRADER_BUILD_ROOT": str(course.build_root)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    store = ResultStore(url)
    deadline = time.monotonic() + 120
    try:
        while store.count() < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        finished_before_kill = {r.submission for r in store.results(HW)}
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert 2 <= len(finished_before_kill) < 5, "the run was not killed halfway"
    resumed = api.grade(HW, [folder], out, course, workers=2, store=url)
    assert len(resumed.results) == 5
    assert resumed.reused >= len(finished_before_kill)  # nothing finished was lost or redone
    assert {r.submission for r in store.results(HW)} == {r.submission for r in resumed.results}
    store.close()


def test_killed_run_resumes_on_sqlite(course, folder, tmp_path):
    _kill_then_resume(course, folder, tmp_path, default_url(tmp_path / "out"))


def test_killed_run_resumes_on_postgresql(course, folder, tmp_path, pg):
    _kill_then_resume(course, folder, tmp_path, pg.url)


def test_two_graders_at_once_share_one_store(course, folder, tmp_path, pg):
    import threading

    runs = []
    threads = [threading.Thread(target=lambda i=i: runs.append(
        api.grade(HW, [folder], tmp_path / f"out{i}", course, workers=1, store=pg.url)))
        for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store = ResultStore(pg.url)
    assert len(runs) == 2 and len(store.latest(HW)) == 5
    store.close()


def test_dask_cluster_grades_like_local(course, folder, tmp_path):
    distributed = pytest.importorskip("distributed")
    local = api.grade(HW, [folder], tmp_path / "local", course, workers=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        remote = api.grade(HW, [folder], tmp_path / "dask", course, executor="dask",
                           scheduler=cluster.scheduler_address)

    def essence(r):
        return (r.submission, r.status, r.score, [(c.name, c.passed, c.message)
                                                  for q in r.questions for c in q.cases])

    assert [essence(r) for r in remote.results] == [essence(r) for r in local.results]
