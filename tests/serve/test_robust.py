"""Robustness: a restart loses no accepted submission and resumes the queue; one submission in
flight per student; oversize and hostile uploads are refused or graded like any other."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from fastapi.testclient import TestClient

from autograder.serve.queue import Queue

from ..conftest import REPO
from ..attacks.corpus import ATTACKS, Context, _with_cell
from .conftest import DUE, Clock, submit, wait_done


def test_a_restart_resumes_the_queue(make_harness, pool, notebooks):
    first = make_harness().restarted(None)  # accepts, grades nothing: the queue fills
    with TestClient(first.app) as client:
        ids = [submit(client, first, who, notebooks[kind]).json()["id"]
               for who, kind in [("s12", "solved"), ("s12", "stub"), ("s13", "solved")]]
        # a submission that was being graded when the server died (kill -9): left running
        claimed, _ = first.server.queue.claim(first.clock())
        assert claimed.id == ids[0] and claimed.status == "running"
        assert [r.status for r in first.server.queue.rows()] == ["running", "queued", "queued"]
    again = first.restarted(pool)
    with TestClient(again.app) as client:
        done = {sid: wait_done(client, again, who, sid)
                for sid, who in zip(ids, ["s12", "s12", "s13"])}
    assert [done[sid]["status"] for sid in ids] == ["graded"] * 3
    assert [done[sid]["score"] > 0 for sid in ids] == [True, False, True]
    rows = {r.id: r for r in again.server.queue.rows()}
    assert rows[ids[0]].attempts == 2 and rows[ids[1]].attempts == 1
    # every result is in the results store and the results folder publish reads
    folder = again.settings.course.item("hw1").results / "results"
    assert sorted(p.stem for p in folder.glob("*.json")) == sorted(r.name for r in rows.values())


def test_one_submission_in_flight_per_student(make_harness):
    harness = make_harness()
    queue = Queue(harness.server.results.engine)
    now = harness.clock()
    for who in ("s14", "s14", "s15"):
        queue.accept(who, "hw1", "hw1.ipynb", b"{}", now, None)
    first, _ = queue.claim(now)
    second, _ = queue.claim(now)
    assert (first.student_id, second.student_id) == ("s14", "s15")  # s14's second one waits
    assert queue.claim(now) is None
    queue.finish(first, status="graded", now=now)
    third, _ = queue.claim(now)
    assert third.student_id == "s14"


def test_oversize_uploads_are_refused_before_they_cost_anything(make_server):
    harness, client = make_server()
    big = b"x" * (1 << 20) + b"x"  # the test course allows 1 MiB
    r = submit(client, harness, "s16", big)
    assert r.status_code == 413 and "1 MiB" in r.json()["detail"]

    def chunks():  # no Content-Length: cut off once more than the limit has arrived
        for _ in range(64):
            yield b"y" * (64 << 10)

    r = client.post("/api/v1/submissions", headers={
        **harness.auth("s16"), "Content-Type": "multipart/form-data; boundary=zz"},
        content=chunks())
    assert r.status_code == 413
    assert harness.server.queue.rows() == []
    assert client.get("/api/v1/assignments", headers=harness.auth("s16")).json()[0][
        "remaining"] == 3
    assert submit(client, harness, "s16", b"x" * 1000).status_code == 202  # under the limit


CHOSEN = ["read_fixtures", "write_results", "patch_harness", "leak_via_messages",
          "kill_parent", "malformed_json", "zip_dotdot", "zip_symlink", "too_many_cells"]


def test_hostile_uploads_are_submissions_like_any_other(make_server, course, notebooks):
    clock = Clock(DUE.timestamp() + 60)  # after the due date: hidden tests show
    harness, client = make_server(clock, server={"rate": 50})
    ctx = Context(repo=REPO, build_root=course.build_root, out=harness.server.folder("hw1"),
                  port=9)
    attacks = {a.name: a for a in ATTACKS if a.name in CHOSEN}
    sent = {}
    for name, attack in attacks.items():
        if attack.file is not None:
            filename, data = attack.file(ctx, notebooks["solved"])
        else:
            filename, data = f"{name}.ipynb", _with_cell(notebooks["solved"], attack.cell(ctx))
        r = submit(client, harness, "s17", data, filename=filename)
        assert r.status_code == 202, (name, r.text)
        sent[name] = r.json()["id"]
    # a hostile file name, garbage, and an export zip holding two notebooks
    hostile = "..\\..\\etc/x\x1b[2J<img src=x onerror=alert(1)>.ipynb"
    odd = submit(client, harness, "s17", b"\x00\xff garbage", filename=hostile).json()["id"]
    two = io.BytesIO()
    with zipfile.ZipFile(two, "w") as zf:
        zf.writestr("a.ipynb", notebooks["solved"])
        zf.writestr("b.ipynb", notebooks["solved"])
    twice = submit(client, harness, "s17", two.getvalue(), filename="export.zip").json()["id"]
    for name, sid in sent.items():
        body = wait_done(client, harness, "s17", sid)
        attack = attacks[name]
        result_status = body.get("result_status")
        assert result_status in attack.status, (name, body)
        for needle in attack.message:
            assert needle in body["message"], (name, needle, body["message"])
        per_question = {}
        for test in body["tests"]:
            got, top = per_question.get(test["question"], (0.0, 0.0))
            per_question[test["question"]] = (got + test["score"], top + test["max_score"])
        for q, (got, top) in per_question.items():
            if result_status == "error" or q in attack.zero:
                assert got == 0, (name, q)
            else:
                assert got == pytest.approx(top), (name, q, body["tests"])
        for test in body["tests"]:  # what a hidden case raised is named, never echoed
            if test["hidden"]:
                assert "LEAK" not in test["output"], (name, test)
    forged = harness.server.folder("hw1") / "results"
    for path in forged.glob("*.json"):  # written by the server, never by a submission
        assert "FORGED" not in json.loads(path.read_text())["output"]
    body = wait_done(client, harness, "s17", odd)
    assert body["status"] == "error" and "not a notebook" in body["message"]
    assert body["filename"] == "x[2J<img src=x onerror=alert(1)>.ipynb"  # no path, no ESC
    body = wait_done(client, harness, "s17", twice)
    assert body["status"] == "error" and "2 notebooks" in body["message"]
