"""The command line: ``autograder tokens`` and ``autograder serve``, as the README runs them;
a server killed with a non-empty queue resumes it when it starts again."""
from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from typer.testing import CliRunner

from autograder.cli import app
from autograder.serve.auth import token_hash

from ..conftest import REPO
from .conftest import STUDENTS


def write_config(root) -> None:
    (root / "roster.csv").write_text("student_id,name\n" + "".join(f"{s},{s}\n"
                                                                   for s in STUDENTS[:5]))
    (root / "course.toml").write_text('''
title = "CLI course"
timezone = "Asia/Hong_Kong"
roster = "roster.csv"
results = "out"

[[assignments]]
name = "hw1"
due = 2099-01-01T23:59:00

[server]
rate = 10
hidden = "after_due_date"
url = "https://grader.example.edu"
''')


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_tokens_are_kept_rotated_and_stored_as_hashes(tmp_path):
    write_config(tmp_path)
    runner = CliRunner()
    args = ["tokens", "--config", str(tmp_path / "course.toml"), "-o",
            str(tmp_path / "tokens.csv"), "--course", str(REPO)]
    r = runner.invoke(app, [*args, "--staff", "ta1", "--staff", "prof"])
    assert r.exit_code == 0, r.output
    first = read_csv(tmp_path / "tokens.csv")
    assert list(first[0]) == ["student_id", "token"]
    assert [row["student_id"] for row in first] == [*STUDENTS[:5], "ta1", "prof"]
    assert len({row["token"] for row in first}) == 7
    assert oct((tmp_path / "tokens.csv").stat().st_mode & 0o777) == "0o600"
    store = (tmp_path / "out" / "server.sqlite").read_bytes()
    for row in first:  # the store holds hashes, never a token
        assert row["token"].encode() not in store and token_hash(row["token"]).encode() in store

    assert runner.invoke(app, args).exit_code == 0  # again: the same tokens, staff kept
    assert read_csv(tmp_path / "tokens.csv") == first
    assert runner.invoke(app, [*args, "--rotate"]).exit_code == 0
    rotated = read_csv(tmp_path / "tokens.csv")
    assert [r["student_id"] for r in rotated] == [r["student_id"] for r in first]
    assert not {r["token"] for r in rotated} & {r["token"] for r in first}
    r = runner.invoke(app, [*args, "--staff", STUDENTS[0]])
    assert r.exit_code == 2 and "also student ids" in r.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(url, token, body=None, content_type=None):
    headers = {"Authorization": f"Bearer {token}"}
    if content_type:
        headers["Content-Type"] = content_type
    with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers),
                                timeout=30) as r:
        return json.load(r)


def _post(base, token, data):
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"assignment\"\r\n\r\nhw1"
            f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"hw1.ipynb\"\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return _call(f"{base}/api/v1/submissions", token, body,
                 f"multipart/form-data; boundary={boundary}")


def _start(tmp_path, port, course):
    env = {**os.environ, "AUTOGRADER_BUILD_ROOT": str(course.build_root)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "autograder.cli", "serve", "--config",
         str(tmp_path / "course.toml"), "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1", "--course", str(REPO)],
        env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "server.log", "ab"),
        start_new_session=True)
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return proc
        except (urllib.error.URLError, OSError):
            assert proc.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)


def test_serve_survives_kill_9_with_a_full_queue(tmp_path, course, built, notebooks):
    built("hw1")
    write_config(tmp_path)
    assert CliRunner().invoke(app, ["tokens", "--config", str(tmp_path / "course.toml"), "-o",
                                    str(tmp_path / "tokens.csv"), "--course",
                                    str(REPO)]).exit_code == 0
    tokens = {r["student_id"]: r["token"] for r in read_csv(tmp_path / "tokens.csv")}
    nb = json.loads(notebooks["solved"])
    nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [],
                        "execution_count": None, "source": "_pause = __import__('time').sleep(3)"})
    slow = json.dumps(nb).encode()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(tmp_path, port, course)
    try:
        ids = [_post(base, tokens[STUDENTS[0]], slow)["id"]]
        ids += [_post(base, tokens[s], notebooks["solved"])["id"] for s in STUDENTS[1:4]]
        deadline = time.monotonic() + 60
        while _call(f"{base}/api/v1/submissions/{ids[0]}", tokens[STUDENTS[0]])[
                "status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the server and everything it started
        proc.wait(30)
    proc = _start(tmp_path, port, course)
    try:
        deadline = time.monotonic() + 120
        for sid, who in zip(ids, STUDENTS):
            while (body := _call(f"{base}/api/v1/submissions/{sid}", tokens[who]))[
                    "status"] not in ("graded", "error"):
                assert time.monotonic() < deadline, body
                time.sleep(0.1)
            assert body["status"] == "graded" and body["score"] > 0, body
    finally:
        proc.send_signal(signal.SIGTERM)  # a clean stop: uvicorn's shutdown closes the pool
        assert proc.wait(60) in (0, -signal.SIGTERM)  # (uvicorn raises the signal again)
    log = (tmp_path / "server.log").read_text()
    assert "queued again 1 submission(s)" in log and "Application shutdown complete" in log
    results = [p.stem for p in (tmp_path / "out" / "hw1" / "results").glob("*.json")]
    assert sorted(name.rsplit("-", 1)[1] for name in results) == sorted(ids)
