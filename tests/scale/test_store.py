"""The results store and the incremental plan, without grading anything (fast)."""
from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace

import pytest

from autograder.grade.batch import Sink, run_plan, sync_result, write_result
from autograder.grade.executor import gpu_fraction
from autograder.grade.incremental import inputs_digest, plan
from autograder.grade.results import GradingResults, QuestionResult
from autograder.grade.results import TestCaseResult as CaseResult
from autograder.grade.store import ResultStore, default_url, key_of
from autograder.grade.version import GRADER_VERSION, code_files
from autograder.ingest import Submission

FP = "f" * 64


def sub(name: str, data: bytes, sid: str = "", error: str = "") -> Submission:
    return Submission(name, sid or name, f"/subs/{name}.ipynb", data, error=error,
                      submitted_at="2026-02-01T10:00:00+00:00")


def result_for(s: Submission, score: float = 1.0, fixtures: str = FP,
               version: str = GRADER_VERSION, message: str = "") -> GradingResults:
    case = CaseResult("q1", "c1", score, 1.0, False, score == 1.0)
    return GradingResults("hw1", s.name, s.student_id, s.source, s.sha256, "graded",
                          message=message, questions=[QuestionResult("q1", score, 1.0, [case])],
                          max_score=1.0, seconds=0.5, isolation="process", device="cpu",
                          grader_version=version, fixtures=fixtures,
                          submitted_at=s.submitted_at)


@pytest.fixture
def store(tmp_path):
    s = ResultStore(default_url(tmp_path))
    yield s
    s.close()


def test_put_is_idempotent_and_round_trips(store):
    s = sub("alice", b"nb-a")
    r = result_for(s)
    assert store.put(r) is True
    assert store.put(r) is False  # the same key again: a no-op, no duplicate
    assert store.count() == 1
    assert store.get(key_of(r)).to_dict() == r.to_dict()


def test_plan_reuses_same_bytes_and_copies_identical_ones(store):
    a, b = sub("alice", b"nb-a"), sub("bob", b"nb-b")
    store.put(result_for(a, 1.0))
    store.put(result_for(b, 0.0))
    carol = sub("carol", b"nb-a")  # alice's bytes under another name
    changed = sub("bob", b"nb-b2")  # bob changed his notebook
    moved = replace(a, source="/elsewhere/alice.ipynb", student_id="A1")  # same bytes, new place
    p = plan(store, "hw1", [moved, changed, carol], FP, GRADER_VERSION)
    assert [i for i, _ in p.todo] == [1]
    assert p.reused[0].source == "/elsewhere/alice.ipynb" and p.reused[0].student_id == "A1"
    assert p.reused[2].submission == "carol" and p.reused[2].score == 1.0 and p.copies == 1
    assert {r.submission for r in store.latest("hw1")} == {"alice", "bob", "carol"}
    # the moved submission's stored copy now says where it is
    assert {r.submission: r.student_id for r in store.latest("hw1")}["alice"] == "A1"
    # other fixtures, another grader version, or --regrade: everything runs
    assert len(plan(store, "hw1", [a], "0" * 64, GRADER_VERSION).todo) == 1
    assert len(plan(store, "hw1", [a], FP, "0.0.0+other").todo) == 1
    assert len(plan(store, "hw1", [a], FP, GRADER_VERSION, regrade=True).todo) == 1
    assert len(plan(None, "hw1", [a], FP, GRADER_VERSION).todo) == 1


def test_unreadable_submissions_are_never_copies(store):
    missing = sub("x", b"", error="no such file")
    store.put(result_for(missing, 0.0, message="no such file"))
    p = plan(store, "hw1", [sub("y", b"", error="symbolic link"), missing], FP, GRADER_VERSION)
    assert [i for i, _ in p.todo] == [0, 1]


def test_latest_follows_what_a_run_saw_last(store, tmp_path):
    v1, v2 = sub("alice", b"version 1"), sub("alice", b"version 2")
    store.put(result_for(v1, 0.0))
    store.put(result_for(v2, 1.0))
    assert store.latest("hw1")[0].sha256 == v2.sha256
    p = plan(store, "hw1", [v1], FP, GRADER_VERSION)  # the student went back to version 1
    assert not p.todo and store.latest("hw1")[0].sha256 == v1.sha256
    out = tmp_path / "out"
    write_result(out, result_for(v2, 1.0), "")
    sync_result(out, p.reused[0])  # OUT/results/alice.json said version 2: rewritten
    assert '"score": 0.0' in (out / "results" / "alice.json").read_text()


def test_fingerprint_memo(store, course):
    digest = inputs_digest(course, "hw1")
    assert len(digest) == 64 and digest == inputs_digest(course, "hw1")
    assert digest != inputs_digest(course, "hw2")
    assert store.fingerprint_for(digest) is None
    store.remember_fingerprint(digest, "hw1", FP)
    store.remember_fingerprint(digest, "hw1", FP)  # twice: harmless
    assert store.fingerprint_for(digest) == FP


def test_a_store_from_an_earlier_version_is_upgraded(tmp_path):
    path = tmp_path / "results.sqlite"
    with sqlite3.connect(path) as conn:  # the first schema: no seen_at column
        conn.execute("CREATE TABLE results (key VARCHAR(400) PRIMARY KEY, assignment VARCHAR(64),"
                     " submission VARCHAR(200), student_id VARCHAR(200), sha256 VARCHAR(64),"
                     " fixtures VARCHAR(64), grader_version VARCHAR(32), status VARCHAR(16),"
                     " score FLOAT, max_score FLOAT, graded_at VARCHAR(40), data TEXT)")
    store = ResultStore(f"sqlite:///{path}")
    s = sub("alice", b"nb")
    assert store.put(result_for(s))
    assert store.latest("hw1")[0].submission == "alice"
    store.close()


def test_concurrent_writers_on_sqlite(tmp_path):
    """Threads with their own connections, like two TAs' processes: no lost or torn rows."""
    url = default_url(tmp_path)
    stores = [ResultStore(url) for _ in range(4)]
    subs = [sub(f"s{i}", f"nb{i}".encode()) for i in range(40)]

    def writer(store):
        for s in subs:  # every writer inserts every result: each key lands exactly once
            store.put(result_for(s))

    threads = [threading.Thread(target=writer, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert stores[0].count() == 40 and len(stores[0].latest("hw1")) == 40
    for s in stores:
        s.close()


def test_gpu_memory_share():
    assert gpu_fraction("cpu", 4) == 0.0
    assert gpu_fraction("cuda", 1) == 0.0  # alone on the GPU: no cap
    assert gpu_fraction("cuda", 2) == pytest.approx(0.45)
    assert gpu_fraction("cuda", 3, 0.2) == 0.2


def test_cuda_jobs_carry_the_memory_cap(course, built):
    from autograder.grade.pipeline import Grader

    config = course.config("hw1")
    grader = Grader.for_assignment(config, built("hw1"), device="cuda")
    assert "cuda_memory_fraction" not in grader.job(["x = 1"]).settings
    job = replace(grader, cuda_memory_fraction=0.45).job(["x = 1"]).settings
    assert job["device"] == "cuda" and job["cuda_memory_fraction"] == 0.45


def test_grader_version_covers_the_grading_code():
    names = {p.name for p in code_files()}
    assert {"pipeline.py", "checks.py", "harness.py", "wire.py"} <= names
    assert "batch.py" not in names and "dask_executor.py" not in names
    assert GRADER_VERSION.startswith("0.") and "+" in GRADER_VERSION


class Backwards:
    """An executor (:class:`autograder.grade.executor.Executor`) that finishes the last
    submission first, from another thread, without a sandbox."""

    def __init__(self):
        self.ran = []

    def start(self, count):
        pass

    def close(self):
        pass

    def run(self, grader, todo, done):
        def work():
            for index, s in reversed(todo):
                self.ran.append(s.name)
                done(index, result_for(s, 0.5), f"printed by {s.name}")

        t = threading.Thread(target=work)
        t.start()
        t.join()


def test_a_run_keeps_input_order_whatever_order_its_executor_finishes_in(store, tmp_path):
    subs = [sub(f"s{i}", f"nb{i}".encode()) for i in range(4)]
    store.put(result_for(subs[1]))  # graded before: reused, never handed to the executor
    p = plan(store, "hw1", subs, FP, GRADER_VERSION)
    seen, started, executor = [], [], Backwards()
    out = tmp_path / "out"
    results = run_plan(p, object(), executor, Sink(out, store, lambda r, reused: seen.append(
        (r.submission, reused))), lambda todo, reused: started.append((todo, reused)))
    assert [r.submission for r in results] == ["s0", "s1", "s2", "s3"]
    assert [r.score for r in results] == [0.5, 1.0, 0.5, 0.5]
    assert executor.ran == ["s3", "s2", "s0"] and started == [(3, 1)]
    assert seen == [("s1", True), ("s3", False), ("s2", False), ("s0", False)]
    assert store.count("hw1") == 4 and sorted(p.name for p in (out / "results").iterdir()) == \
        ["s0.json", "s1.json", "s2.json", "s3.json"]
    assert (out / "logs" / "s3.txt").read_text() == "printed by s3"
    assert not (out / "logs" / "s1.txt").exists()  # a reused result has no new log


def test_grader_version_covers_the_notebook_reader_not_the_scheduling():
    names = {p.relative_to(p.parents[1]).as_posix() for p in code_files()}
    assert "ingest/notebook.py" in names  # which cells run decides a result
    assert not names & {"grade/store.py", "grade/options.py", "grade/executor.py",
                        "grade/local_executor.py", "grade/incremental.py", "ingest/sources.py"}
