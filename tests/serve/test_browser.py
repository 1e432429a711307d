"""The main flows in a real headless Chromium, against the server on loopback: a student signs
in with the token, uploads, waits for the grade, reads the feedback and opens a regrade
request; staff override the score, answer the request, publish; the student sees the answer and
every test. No page logs an error (a content-security-policy violation would be one)."""
from __future__ import annotations

import time

import pytest

from ..report.browser import Browser, find_chromium
from .conftest import live


class Page:
    """A Chromium tab on the server: open, fill, click and wait for the next page."""

    def __init__(self, browser: Browser, base: str) -> None:
        self.browser, self.base = browser, base

    def open(self, path: str) -> None:
        self.browser.open(self.base + path)

    def text(self) -> str:
        return self.browser.evaluate("document.body.innerText")

    def path(self) -> str:
        return self.browser.evaluate("location.pathname")

    def js(self, expression: str):
        return self.browser.evaluate(expression)

    def fill(self, selector: str, value: str) -> None:
        assert self.js(f"""(() => {{ const e = document.querySelector({selector!r});
            if (!e) return false; e.value = {value!r}; return true; }})()"""), selector

    def click(self, selector: str) -> None:
        """Click and wait for the page it leads to."""
        since = len(self.browser.events)
        assert self.js(f"""(() => {{ const e = document.querySelector({selector!r});
            if (!e) return false; e.click(); return true; }})()"""), selector
        self.browser._wait_event("Page.loadEventFired", since)

    def attach(self, selector: str, path: str) -> None:
        root = self.browser.call("DOM.getDocument", {"depth": 0}, session=True)["root"]
        node = self.browser.call("DOM.querySelector", {"nodeId": root["nodeId"],
                                                       "selector": selector}, session=True)
        self.browser.call("DOM.setFileInputFiles", {"files": [path], "nodeId": node["nodeId"]},
                          session=True)

    def sign_in(self, token: str) -> None:
        self.open("/")
        if self.js("!!document.querySelector('#token')") is False:  # someone is signed in
            self.click("nav form button")
        self.fill("#token", token)
        self.click("#signin")


def test_student_and_staff_flows_in_chromium(make_harness, notebooks, tmp_path):
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    harness = make_harness()
    notebook = tmp_path / "hw1.ipynb"
    notebook.write_bytes(notebooks["solved"])
    with live(harness.app) as base, Browser(chromium) as browser:
        page = Page(browser, base)
        page.sign_in("agt_wrong")
        assert "That token is not valid" in page.text()
        page.sign_in(harness.tokens["s30"])
        assert page.path() == "/home" and "Signed in as s30" in page.text()
        assert "3 of 3 submissions left" in page.text()

        page.attach("#file-hw1", str(notebook))
        page.click("#submit-hw1")
        assert page.path().startswith("/submissions/")
        submission = page.path().rsplit("/", 1)[1]
        deadline = time.monotonic() + 60
        while "Regrade requests" not in page.text():  # the waiting page refreshes itself
            assert time.monotonic() < deadline, page.text()
            time.sleep(0.3)
            page.open(f"/submissions/{submission}")
        hidden_rows = "[...document.querySelectorAll('td')].filter(td => " \
                      "td.innerText === 'hidden').length"
        text = page.text()
        assert "Feedback for s30" in text and "✓ passed" in text
        assert "show after the due date" in text and page.js(hidden_rows) == 0

        page.js("document.querySelector('#regrade-question').value = 'q2'")
        page.fill("#regrade-message", "Please check q2 <again>")
        page.click("#regrade-open")
        assert "Please check q2 <again>" in page.text() and "open" in page.text()
        page.open("/home")
        assert "2 of 3 submissions left" in page.text()
        assert page.js("document.querySelectorAll('table.history tbody tr').length") == 1

        page.sign_in(harness.tokens["ta1"])
        assert page.path() == "/staff" and "hw1" in page.text()
        page.click("a[href='/staff/assignments/hw1']")
        assert "s30" in page.text() and "Publish grades" in page.text()
        page.click("a[href='/staff/students/s30']")
        page.fill("#override-hw1 input[name=score]", "17.5")
        page.fill("#override-hw1 input[name=reason]", "late-day waiver forgotten")
        page.click("#override-hw1 button")
        assert "now 17.5 (late-day waiver forgotten, by ta1)" in page.text()
        page.click("a[href='/staff/regrades']")
        assert "Please check q2 <again>" in page.text()
        page.fill(".regrade textarea", "q2 is right: see the hidden test's message.")
        page.click(".regrade button")
        assert "q2 is right" in page.text()
        page.open("/staff/assignments/hw1")
        assert "17.5 by ta1: late-day waiver forgotten" in page.text()
        page.click("#publish")
        assert "Unpublish" in page.text()
        page.click("a[href='/staff/queue']")
        assert "Nothing is waiting." in page.text()

        page.sign_in(harness.tokens["s30"])
        page.open(f"/submissions/{submission}")
        text = page.text()
        assert "q2 is right: see the hidden test's message." in text and "answered" in text
        assert "19 / 19" in text and page.js(hidden_rows) > 0  # published: every test shows
        problems = browser.problems()
        # the one error a page should log: the refused token, answered 401
        assert len([p for p in problems if "401" in p and p.endswith("/signin")]) == 1
        assert [p for p in problems if not p.endswith("/signin")] == []
