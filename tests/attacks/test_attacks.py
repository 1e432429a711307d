"""The attack corpus (tests/attacks/corpus.py), graded in one batch like a real class.

Each attack gets exactly the score it deserves (0 on what it attacked, full marks beside it),
the grader survives all of them, the gradebook has a row for every file, nothing the attacks
tried to reach was reached, and nothing they started outlives the run.
"""
from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from autograder import api
from autograder.sandbox import isolation

from ..conftest import REPO, write_solved
from .corpus import ATTACKS, SECRET_ENV, SECRET_VALUE, SURVIVOR, Context, write_corpus

PROTECTED = ["reference/rnn.py", "autograder/grade/checks.py", "solutions/hw1/hw1.ipynb"]


class Listener:
    """A TCP server on 127.0.0.1 that records every connection (none may come)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.stop = True
        self.thread.join()
        self.sock.close()


@pytest.fixture(scope="module")
def graded(course, built, tmp_path_factory):
    fixtures = built("hw1")
    folder = tmp_path_factory.mktemp("attacks")
    out = tmp_path_factory.mktemp("attacks-out")
    solved = write_solved(course, "hw1", folder / "honest.ipynb").read_bytes()
    listener = Listener()
    ctx = Context(repo=REPO, build_root=course.build_root, out=out, port=listener.port)
    attacks = write_corpus(folder, ctx, solved)
    protected = [REPO / p for p in PROTECTED] + [course.build_dir("hw1") / "fixtures.bin"]
    os.environ[SECRET_ENV] = SECRET_VALUE  # a secret in the grader's environment
    start = time.monotonic()
    try:
        run = api.grade("hw1", [folder], out, course, workers=2, device="cpu")
    finally:
        del os.environ[SECRET_ENV]
        listener.close()
    seconds = time.monotonic() - start
    by_source = {}
    for r in run.results:
        stem = r.source.split("!")[0].rsplit("/", 1)[-1].rsplit(".", 1)[0]
        by_source.setdefault(stem, []).append(r)
    return {"run": run, "attacks": attacks, "by_source": by_source, "out": out,
            "listener": listener, "protected": protected, "seconds": seconds,
            "fixtures": fixtures}


def test_the_honest_control_gets_full_marks(graded):
    (honest,) = graded["by_source"]["honest"]
    assert honest.status == "graded" and honest.score == pytest.approx(honest.max_score)
    assert honest.isolation == isolation.resolve("auto")


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_each_attack_gets_exactly_the_score_it_deserves(graded, attack):
    results = graded["by_source"][attack.name]
    assert len(results) == attack.rows
    for r in results:
        assert r.status in attack.status, (r.status, r.message)
        for needle in attack.message:
            assert needle in r.message, (needle, r.message)
        if r.status == "error":
            assert r.score == 0
            continue
        for q in r.questions:
            if q.name in attack.zero:
                assert q.score == 0, (q.name, [c.message for c in q.cases])
            elif q.name in attack.forged:  # the forged claims were checked, and failed
                assert q.score < q.max_score, (q.name, [c.message for c in q.cases])
            else:
                assert q.score == pytest.approx(q.max_score), \
                    (q.name, [c.message for c in q.cases if not c.passed], r.message)


def test_every_file_has_a_gradebook_row_and_a_results_file(graded):
    run, out = graded["run"], graded["out"]
    expected = 1 + sum(a.rows for a in ATTACKS)
    assert len(run.results) == expected
    book = pd.read_csv(out / "gradebook.csv", dtype={"student_id": str})
    assert len(book) == expected and set(book["submission"]) == {r.submission for r in run.results}
    for r in run.results:  # written by the grader, never by a submission
        data = json.loads((out / "results" / f"{r.submission}.json").read_text())
        assert data["score"] == pytest.approx(r.score) and "FORGED" not in data["output"]
        assert data["extra_data"]["isolation"] == r.isolation


def test_nothing_was_reached_or_rewritten(graded):
    """(Files are checked for the attack's own mark, not by digest: other people may be editing
    the repository while this runs.)"""
    import torch

    assert graded["listener"].connections == 0
    for path in [*graded["protected"], Path(torch.__file__), Path(os.__file__),
                 Path("/etc/passwd"), Path("/usr/bin/env")]:
        assert not path.read_bytes().endswith(b"# owned"), path
    assert not (REPO.parent / "escape.ipynb").exists() and not (REPO / "b.ipynb").exists()


def _survivors() -> list[str]:
    """Processes the attacks started to outlive the run, and any process of a sandbox uid."""
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == SURVIVOR:
                    found.append(f"{SURVIVOR} {pid}")
        except OSError:
            pass
    if os.geteuid() == 0:
        for slot in range(isolation.MAX_SLOTS):
            for uid in isolation.slot_uids(slot):
                found += [f"slot {slot} uid {uid}: {pid}" for pid in isolation.processes_of(uid)]
    return found


def test_nothing_outlives_the_run(graded):
    """A process killed as its run ended may take a moment to be reaped on a loaded machine;
    one still there 10 s later outlived the run."""
    deadline = time.monotonic() + 10
    while _survivors() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _survivors()


def test_hidden_inputs_never_show(graded):
    """The leak attack raises its inputs in messages and exception names: only the public
    case's own input may show, and only in the public case's message."""
    (r,) = graded["by_source"]["leak_via_messages"]
    q8 = next(q for q in r.questions if q.name == "q8")
    public = [c for c in q8.cases if not c.hidden]
    hidden = [c for c in q8.cases if c.hidden]
    assert public and hidden
    assert all("LEAK1:" in c.message for c in public)  # it had seen one input: its own
    for c in hidden:
        assert "LEAK" not in c.message and "Leak_" not in c.message, c.message
    (crash,) = graded["by_source"]["os_exit"]  # data-dependent exit codes of hidden calls
    assert crash.message.count("exit code") <= len([c for q in crash.questions
                                                    for c in q.cases if not c.hidden])
    for r in graded["run"].results:
        assert "Leak_" not in r.message


def test_the_whole_corpus_is_fast(graded):
    assert graded["seconds"] < 120, graded["seconds"]
