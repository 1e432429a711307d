"""The API contract: authentication, another student's submission, limits, unknown
assignments, visibility over time, late submissions, history."""
from __future__ import annotations

import pytest

from .conftest import DUE, Clock, submit, wait_done


def test_submit_and_get_the_graded_result(make_server, notebooks):
    harness, client = make_server()
    r = submit(client, harness, "s01", notebooks["solved"])
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "queued" and body["position"] >= 1 and body["id"]
    assert body["remaining"] == 2 and body["limit"] == 3
    assert r.headers["location"] == f"/api/v1/submissions/{body['id']}"
    done = wait_done(client, harness, "s01", body["id"])
    assert done["status"] == "graded" and done["assignment"] == "hw1"
    assert done["late"] is False and done["late_days"] == 0
    # before the due date the hidden tests are withheld: the score covers the public ones
    tests = done["tests"]
    assert tests and all(t["hidden"] is False and t["status"] == "passed" for t in tests)
    assert done["withheld"]["tests"] > 0 and done["withheld"]["in_score"] is False
    assert done["score"] == done["max_score"] == pytest.approx(sum(t["max_score"] for t in tests))
    assert done["max_score"] + done["withheld"]["max_score"] == pytest.approx(19)
    assert done["counts"] is True and "final_score" not in done  # would reveal hidden points

    # after the due date, everything shows: 19/19 and every hidden test passed
    harness.clock.now = DUE.timestamp() + 60
    after = client.get(f"/api/v1/submissions/{body['id']}", headers=harness.auth("s01")).json()
    assert after["score"] == after["max_score"] == 19 and after["withheld"] is None
    hidden = [t for t in after["tests"] if t["hidden"]]
    assert hidden and all(t["status"] == "passed" and t["visibility"] == "after_due_date"
                          for t in hidden)
    assert after["final_score"] == 19 and after["penalty"] == 0  # submitted on time

    # the history is the caller's own
    history = client.get("/api/v1/submissions?assignment=hw1", headers=harness.auth("s01"))
    assert [h["id"] for h in history.json()] == [body["id"]]
    assert client.get("/api/v1/submissions?assignment=hw1",
                      headers=harness.auth("s02")).json() == []


def test_authentication_and_another_students_submission(make_server, notebooks):
    harness, client = make_server()
    sid = submit(client, harness, "s03", notebooks["stub"]).json()["id"]
    url = f"/api/v1/submissions/{sid}"
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer agt_wrong"}).status_code == 401
    assert client.get(url, headers={"Authorization": f"Basic {harness.tokens['s03']}"}
                      ).status_code == 401
    r = client.post("/api/v1/submissions", data={"assignment": "hw1"},
                    files={"file": ("hw1.ipynb", notebooks["stub"])})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    # another student: exactly the answer for an id that does not exist
    theirs = client.get(url, headers=harness.auth("s04"))
    nothing = client.get("/api/v1/submissions/0123456789abcdef", headers=harness.auth("s04"))
    assert theirs.status_code == nothing.status_code == 404
    assert theirs.json() == nothing.json()
    assert client.get(url, headers=harness.auth("s03")).status_code == 200
    assert client.get(url, headers=harness.auth("ta1")).status_code == 200  # staff see all
    wait_done(client, harness, "s03", sid)


def test_rate_limit_is_a_token_bucket(make_server, notebooks):
    clock = Clock()
    harness, client = make_server(clock)
    ids = []
    for left in (2, 1, 0):
        r = submit(client, harness, "s05", notebooks["stub"])
        assert r.status_code == 202 and r.json()["remaining"] == left
        ids.append(r.json()["id"])
    r = submit(client, harness, "s05", notebooks["stub"])
    assert r.status_code == 429
    assert r.headers["retry-after"] == "1200"  # one of 3 per hour comes back after 20 min
    assert r.json()["remaining"] == 0
    budget = client.get("/api/v1/assignments", headers=harness.auth("s05")).json()[0]
    assert budget["remaining"] == 0 and budget["next_in_seconds"] == 1200
    assert submit(client, harness, "s06", notebooks["stub"]).status_code == 202  # per student
    clock.now += 1200
    assert submit(client, harness, "s05", notebooks["stub"]).status_code == 202
    assert submit(client, harness, "s05", notebooks["stub"]).status_code == 429
    for _ in range(5):  # staff are not limited
        assert submit(client, harness, "ta1", notebooks["stub"]).status_code == 202
    for sid in ids:
        wait_done(client, harness, "s05", sid)


def test_unknown_assignment_and_bad_forms(make_server, notebooks):
    harness, client = make_server()
    r = submit(client, harness, "s07", notebooks["stub"], assignment="hw9")
    assert r.status_code == 422
    assert "hw9" in r.json()["detail"] and r.json()["known"] == ["hw1"]
    assert client.get("/api/v1/submissions?assignment=hw9",
                      headers=harness.auth("s07")).status_code == 422
    r = client.post("/api/v1/submissions", headers=harness.auth("s07"),
                    data={"assignment": "hw1"})
    assert r.status_code == 422 and "file" in r.json()["detail"]
    # nothing was spent on refused requests
    assert client.get("/api/v1/assignments", headers=harness.auth("s07")).json()[0][
        "remaining"] == 3


def test_late_submission_by_the_servers_clock(make_server, notebooks):
    clock = Clock(DUE.timestamp() + 86400 + 3600)  # one day and an hour late: 2 days
    harness, client = make_server(clock, extensions=[{"student_id": "s09", "assignment": "hw1",
                                                      "days": 3}])
    late = submit(client, harness, "s08", notebooks["solved"]).json()["id"]
    extended = submit(client, harness, "s09", notebooks["solved"]).json()["id"]
    body = wait_done(client, harness, "s08", late)
    assert body["late"] is True and body["late_days"] == 2
    assert body["due"].startswith("2026-03-02T12:00")
    # hidden tests show after the due date: the late penalty is 2 × 10% of 19
    assert body["score"] == 19 and body["penalty"] == 3.8 and body["final_score"] == 15.2
    ok = wait_done(client, harness, "s09", extended)
    assert ok["late"] is False and ok["late_days"] == 0
    assert ok["withheld"] is not None  # the extension moves the due date of s09's tests too
