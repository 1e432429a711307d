"""The staff pages show an assignment's similarity page when ``autograder similarity`` wrote one
next to the server's results, to staff only."""
from __future__ import annotations


from autograder import api

from .test_staff import sign_in


def test_similarity_page_shown_to_staff_when_it_exists(make_server, notebooks, course,
                                                       tmp_path):
    harness, client = make_server()
    sign_in(client, harness, "ta1")
    assert 'id="similarity"' not in client.get("/staff/assignments/hw1").text
    assert client.get("/staff/assignments/hw1/similarity").status_code == 404

    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "<i>s01.ipynb").write_bytes(notebooks["solved"])
    (subs / "s02.ipynb").write_bytes(notebooks["solved"])
    api.similarity("hw1", [subs], harness.settings.results_root / "hw1" / "similarity", course)
    assert 'href="/staff/assignments/hw1/similarity"' in client.get("/staff/assignments/hw1").text
    page = client.get("/staff/assignments/hw1/similarity")
    assert page.status_code == 200 and "<mark>" in page.text
    assert "&lt;i&gt;s01" in page.text and "<i>s01" not in page.text
    assert client.get("/staff/assignments/nope/similarity").status_code == 404

    student = client.__class__(harness.app)
    r = student.post("/signin", data={"token": harness.tokens["s01"]}, follow_redirects=False)
    assert r.status_code == 303
    refused = student.get("/staff/assignments/hw1/similarity")
    assert refused.status_code == 404 and "<mark>" not in refused.text
