"""Staff work: score overrides (audited, shown by publish), regrade requests answered to the
student, publishing hidden results; visibility levels over time; the pages escape everything a
student controls and refuse forged forms."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from autograder import api

from .conftest import DUE, Clock, notebook_json, submit, wait_done

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def sign_in(client, harness, who: str) -> str:
    """Sign the client in as ``who``; the CSRF value of the session."""
    r = client.post("/signin", data={"token": harness.tokens[who]}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"])
    assert page.status_code == 200
    return CSRF.search(page.text).group(1)


def test_an_override_is_audited_and_shown_by_publish(make_server, notebooks, tmp_path):
    harness, client = make_server()
    sid = submit(client, harness, "s18", notebooks["solved"]).json()["id"]
    wait_done(client, harness, "s18", sid)
    csrf = sign_in(client, harness, "ta1")
    form = {"csrf": csrf, "assignment": "hw1", "student_id": "s18", "score": "12",
            "reason": "=copied q3 (academic integrity case 7)"}
    assert client.post("/staff/overrides", data={**form, "csrf": "0" * 64},
                       follow_redirects=False).status_code == 404  # forged: nothing happens
    assert harness.server.records.overrides() == []
    r = client.post("/staff/overrides", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/staff/students/s18"
    r = client.post("/staff/overrides", data={**form, "student_id": "s19", "score": "5",
                                              "reason": "oral exam instead"},
                    follow_redirects=False)
    assert r.status_code == 303
    assert client.post("/staff/overrides", data={**form, "reason": ""}).status_code == 422
    page = client.get("/staff/students/s18").text
    assert "=copied q3 (academic integrity case 7)" in page and "override" in page
    audit = harness.server.records.audit_log(assignment="hw1")
    assert [(a["action"], a["student_id"], a["actor"]) for a in audit][:2] == [
        ("override", "s19", "ta1"), ("override", "s18", "ta1")]

    # publish reads the server's results folder, and the overrides beside it
    run = api.publish(harness.settings.course, None, tmp_path / "course", feedback=False,
                      reports=False)
    book = pd.read_csv(run.files["gradebook"], dtype={"student_id": str}).set_index("student_id")
    assert book.loc["s18", "hw1"] == 12 and "override" in book.loc["s18", "hw1_flags"]
    assert book.loc["s19", "hw1"] == 5 and "missing" not in book.loc["s19", "hw1_flags"]
    assert book.loc["s20", "hw1"] == 0 and "missing" in book.loc["s20", "hw1_flags"]
    items = pd.read_csv(run.files["items"], dtype={"student_id": str}).set_index("student_id")
    assert items.loc["s18", "override"] == "12 by ta1: '=copied q3 (academic integrity case 7)"
    assert any("s18's score is overridden" in line for line in run.book.issues)

    # removing it: the computed score again, and the removal is in the audit log
    client.post("/staff/overrides", data={**form, "score": ""}, follow_redirects=False)
    run = api.publish(harness.settings.course, None, tmp_path / "again", feedback=False,
                      reports=False)
    assert run.book.students.set_index("student_id").loc["s18", "hw1"] == pytest.approx(19)
    assert harness.server.records.audit_log(student_id="s18")[0]["action"] == "override-removed"


def test_a_regrade_request_is_answered_to_the_student(make_server, notebooks):
    harness, client = make_server()
    sid = submit(client, harness, "s21", notebooks["stub"]).json()["id"]
    wait_done(client, harness, "s21", sid)
    csrf = sign_in(client, harness, "s21")
    page = client.get(f"/submissions/{sid}")
    assert page.status_code == 200 and 'id="regrade-open"' in page.text
    r = client.post(f"/submissions/{sid}/regrades", follow_redirects=False, data={
        "csrf": csrf, "question": "q2", "message": "My <b>sigmoid</b> is right\x07!"})
    assert r.status_code == 303
    (request,) = harness.server.records.regrades(submission_id=sid)
    assert request.message == "My <b>sigmoid</b> is right!" and request.status == "open"

    staff = sign_in(client, harness, "ta1")  # the same browser, now staff
    assert "My &lt;b&gt;sigmoid&lt;/b&gt; is right!" in client.get("/staff/regrades").text
    r = client.post(f"/staff/regrades/{request.id}", follow_redirects=False, data={
        "csrf": staff, "answer": "Checked: q2 passes its public test but not the hidden one.",
        "back": "https://evil.example/"})
    assert r.status_code == 303 and r.headers["location"] == "/staff/regrades"
    csrf = sign_in(client, harness, "s21")
    page = client.get(f"/submissions/{sid}").text
    assert "Checked: q2 passes its public test but not the hidden one." in page
    assert "answered" in page
    actions = [a["action"] for a in harness.server.records.audit_log(student_id="s21")]
    assert actions == ["regrade-answer", "regrade-request"]
    # nobody else can open one on this submission, or see it
    sign_in(client, harness, "s22")
    assert client.get(f"/submissions/{sid}").status_code == 404
    csrf = CSRF.search(client.get("/home").text).group(1)
    r = client.post(f"/submissions/{sid}/regrades", data={"csrf": csrf, "question": "q2",
                                                          "message": "me too"})
    assert r.status_code == 404 and len(harness.server.records.regrades()) == 1


@pytest.mark.parametrize("public, hidden, expect", [
    # shown (public tests, hidden tests, whole score) before the due date, after it, and
    # after staff publish
    ("visible", "visible", [(True, True, True)] * 3),
    ("visible", "after_due_date", [(True, False, False), (True, True, True), (True, True, True)]),
    ("visible", "after_published", [(True, False, False), (True, False, False),
                                    (True, True, True)]),
    ("visible", "hidden", [(True, False, False), (True, False, False), (True, False, True)]),
    ("after_due_date", "after_due_date", [(False, False, False), (True, True, True),
                                          (True, True, True)]),
])
def test_visibility_over_time(make_server, notebooks, public, hidden, expect):
    clock = Clock()
    harness, client = make_server(clock, server={"public": public, "hidden": hidden})
    sid = submit(client, harness, "s23", notebooks["solved"]).json()["id"]
    wait_done(client, harness, "s23", sid)
    moments = [lambda: None, lambda: setattr(clock, "now", DUE.timestamp() + 1),
               lambda: harness.server.records.set_published("hw1", True, "ta1", clock())]
    for move, (pub, hid, total) in zip(moments, expect):
        move()
        body = client.get(f"/api/v1/submissions/{sid}", headers=harness.auth("s23")).json()
        kinds = {t["hidden"] for t in body["tests"]}
        assert (False in kinds, True in kinds) == (pub, hid), body
        assert (body["score"] == pytest.approx(19)) == total, body
        assert ("final_score" in body) == total
        if not (pub and hid):
            assert body["withheld"]["tests"] > 0 and body["withheld"]["in_score"] == total


def test_pages_escape_what_students_control(make_server, notebooks):
    harness, client = make_server(Clock(DUE.timestamp() + 60))
    payload = "<img src=x onerror=alert(1)>"
    nb = notebook_json("import torch",
                       f"def perceptron_predict(*args):\n    raise ValueError({payload!r})")
    sid = submit(client, harness, "s02", nb, filename=f"{payload}.ipynb").json()["id"]
    wait_done(client, harness, "s02", sid)
    sign_in(client, harness, "s02")
    for url in ("/home", f"/submissions/{sid}"):
        page = client.get(url)
        assert payload not in page.text and "&lt;img src=x onerror=alert(1)&gt;" in page.text
        assert "<script" not in page.text
        assert "script-src" not in page.headers["content-security-policy"]  # none allowed
        assert page.headers["content-security-policy"].startswith("default-src 'none'")
        assert page.headers["cache-control"] == "no-store"
    sign_in(client, harness, "ta1")
    for url in ("/staff/assignments/hw1", "/staff/students/s02", f"/staff/submissions/{sid}",
                "/staff/queue", "/staff"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert payload not in page.text and "<b>Bob</b>" not in page.text
    assert "&lt;b&gt;Bob&lt;/b&gt; &amp; &#34;Co&#34;" in client.get("/staff/assignments/hw1").text
    # students reach no staff page
    sign_in(client, harness, "s02")
    assert client.get("/staff/assignments/hw1").status_code == 404
    assert client.get("/staff/queue").status_code == 404
