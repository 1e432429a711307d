"""The course server under test: one warm grading pool for the whole session, shared by every
server the tests start (each with its own store, settings and clock).

Servers run in-process through Starlette's TestClient, or, for the browser and the notebook's
submit cell, under uvicorn on a loopback port (:func:`live`), stopped at the end of the test.
"""
from __future__ import annotations

import json
import socket
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest

from autograder.serve.app import create_app
from autograder.serve.auth import Principals, issue_tokens
from autograder.serve.grading import GradingPool
from autograder.serve.policy import settings_from_dict
from autograder.serve.service import Server
from tests.conftest import write_solved

DUE = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
BEFORE = DUE.timestamp() - 2 * 86400  # two days before the due date
STUDENTS = [f"s{i:02d}" for i in range(1, 41)]
NAMES = {"s01": "Ada Lovelace", "s02": "<b>Bob</b> & \"Co\""}
STAFF = ["ta1"]


class Clock:
    """The server's clock, moved by the tests."""

    def __init__(self, now: float = BEFORE) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="session")
def pool(course, built):
    built("hw1")  # the fixtures, once (shared with the other tests of the session)
    pool = GradingPool(course, ["hw1"], workers=2, isolation="auto", device="cpu").start()
    assert pool.ready(300)
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def notebooks(course, tmp_path_factory):
    """A solved hw1 notebook (full marks) and the untouched student notebook (0)."""
    folder = tmp_path_factory.mktemp("notebooks")
    solved = write_solved(course, "hw1", folder / "hw1.ipynb").read_bytes()
    stub = course.student_notebook("hw1").read_bytes()
    return {"solved": solved, "stub": stub}


def course_toml(root: Path, server: dict | None = None, assignment: dict | None = None,
                late: dict | None = None, extensions: list[dict] | None = None) -> dict:
    """A course config (as a dict) for the server under test, with its roster written."""
    roster = root / "roster.csv"
    roster.write_text("student_id,name,email\n" + "".join(
        f'{s},"{NAMES.get(s, s).replace(chr(34), chr(34) * 2)}",{s}@uni.edu\n'
        for s in STUDENTS))
    hw1 = {"name": "hw1", "due": DUE, "weight": 100, **(assignment or {})}
    return {"title": "Test course", "timezone": "UTC", "roster": "roster.csv",
            "results": "results", "select": "latest",
            "late": {"grace_minutes": 0, "per_day": 0.1, "penalty_of": "max", "max_days": 5,
                     **(late or {})},
            "assignments": [hw1], "extensions": extensions or [],
            "server": {"rate": 3, "window_minutes": 60, "hidden": "after_due_date",
                       "max_upload_mb": 1, **(server or {})}}


class Harness:
    """One server: its settings, clock, tokens, and helpers to call it."""

    def __init__(self, root: Path, course, pool, clock: Clock, data: dict) -> None:
        self.root, self.clock = root, clock
        self.settings = settings_from_dict(data, root, root / "course.toml",
                                           known=course.assignments())
        self.course = course
        self.server = Server(self.settings, course, pool, own_pool=False, clock=clock)
        principals = Principals(self.server.results.engine)
        issue_tokens(principals, STUDENTS, root / "tokens.csv", STAFF, now=clock())
        rows = (root / "tokens.csv").read_text().splitlines()[1:]
        self.tokens = dict(line.split(",", 1) for line in rows)
        self.app = create_app(self.server)

    def restarted(self, pool) -> "Harness":
        """The same server started again (same store, settings, clock and tokens), with
        ``pool`` (None: it accepts submissions but grades nothing)."""
        other = object.__new__(Harness)
        other.__dict__.update(self.__dict__)
        other.server = Server(self.settings, self.course, pool, own_pool=False,
                              clock=self.clock)
        other.app = create_app(other.server)
        return other

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def make_harness(tmp_path, course, pool):
    """``make_harness(clock, server={...}, ...)`` → a server (not started) with its tokens."""
    count = [0]

    def make(clock: Clock | None = None, **config) -> Harness:
        count[0] += 1
        root = tmp_path / f"server{count[0]}"
        root.mkdir()
        return Harness(root, course, pool, clock or Clock(), course_toml(root, **config))

    return make


@pytest.fixture
def make_server(make_harness):
    """``make_server(clock, server={...}, ...)`` → (harness, TestClient), started; closed
    after the test."""
    from fastapi.testclient import TestClient

    opened = []

    def make(clock: Clock | None = None, **config):
        harness = make_harness(clock, **config)
        client = TestClient(harness.app)
        client.__enter__()  # runs the lifespan: the server starts its grading workers
        opened.append(client)
        return harness, client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def submit(client, harness: Harness, who: str, data: bytes, filename: str = "hw1.ipynb",
           assignment: str = "hw1"):
    return client.post("/api/v1/submissions", headers=harness.auth(who),
                       data={"assignment": assignment}, files={"file": (filename, data)})


def wait_done(client, harness: Harness, who: str, sid: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/api/v1/submissions/{sid}", headers=harness.auth(who)).json()
        if body["status"] in ("graded", "error"):
            return body
        assert time.monotonic() < deadline, f"not graded in {timeout} s: {body}"
        time.sleep(0.05)


@contextmanager
def live(app, timeout: float = 600.0):
    """``app`` under uvicorn on 127.0.0.1 (a free port); yields its base URL. Stops at the end
    of the block, or by itself after ``timeout`` seconds."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    stopper = threading.Timer(timeout, lambda: setattr(server, "should_exit", True))
    stopper.daemon = True
    stopper.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stopper.cancel()
        server.should_exit = True
        thread.join(60)
        sock.close()


def notebook_json(*sources: str) -> bytes:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": s, "metadata": {}, "outputs": [],
         "execution_count": None} for s in sources]}).encode()
