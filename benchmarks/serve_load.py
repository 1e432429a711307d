"""The course server under load, on loopback: latency of one submission, and a deadline burst.

    .venv/bin/python benchmarks/serve_load.py [--single 50] [--burst 300] [--windows 60,0]
        [--workers N] [--clients 16] [--limit 900]

Starts ``autograder serve`` (a subprocess, 127.0.0.1, ``--workers N``, default one per core)
on a temporary course of ``--burst`` students with hw1 (tokens from ``autograder tokens``),
grades one warm-up submission, then:

1. SINGLE submissions of one student, one after another: from the start of the upload to the
   moment the client's poll (every 10 ms, ``GET /api/v1/submissions/{id}``) sees the graded
   result: median and p95;
2. for each WINDOW: BURST submissions, one per student, uploaded at evenly spaced times within
   WINDOW seconds (0: all at once, from ``--clients`` threads). Latency is from the start of
   each upload to the moment the server recorded the graded result (both clocks are this
   machine's); none may be lost (every one graded, with full marks). Throughput is BURST over
   the time from the first upload to the last result; the slowest upload answer (the server
   answers 202 with the queue position and an estimate at once, however long the queue);
3. the batch CLI, ``autograder grade hw1 FOLDER --workers N`` on the same notebooks, process
   start to exit: its throughput, and the server's against it.

Every submission is the solved hw1 notebook plus a comment that differs, so nothing is answered
from the results store. Everything runs on this machine (clients, server, workers share its
cores); the whole run stops by itself after ``--limit`` seconds. Benchmarks are scripts, never
timed tests; the load average is printed with the figures.

Measured on the course's 2-core CPU machine (namespaces isolation, 2 workers), shared with
other engineers' jobs (load average 13 at the start, 15 at the end: these are figures under
load), ``benchmarks/serve_load.py``, 3.2 min in all:

    warm-up submission (the first of the server's life: fixtures, zygotes)  15.7 s
    1. one at a time, 50:   median 336 ms, p95 535 ms (min 188, max 558)
    2. 300 students within 60 s:  none lost; median 218 ms, p95 535 ms (max 1.5 s);
                                  slowest 202 answer 0.93 s, deepest queue position 4
       300 students at once:      none lost; median 15.8 s, p95 26.1 s; 8.8 graded/s
                                  (34.2 s to drain); slowest 202 answer 0.96 s, position 261
    3. batch CLI, the same 300:   52.8 s process start to exit (5.7/s): the server, warm,
                                  grades an all-at-once burst 1.5x as fast

A submission's latency is mostly its grading (~60 ms of CPU for hw1 unloaded) waiting for a
core; the poll that sees the graded result also computes its late penalty and whether it counts
with the course gradebook (~25 ms).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autograder.assign.solved import solved_notebook  # noqa: E402
from autograder.course import Course  # noqa: E402


def variants(course: Course, n: int, start: int = 0) -> list[bytes]:
    nb = solved_notebook(course.student_notebook("hw1"), course.solution_notebook("hw1"), [])
    out = []
    for i in range(start, start + n):
        copy = dict(nb, cells=[*nb["cells"], {"cell_type": "code", "metadata": {}, "outputs": [],
                                              "execution_count": None,
                                              "source": f"# variant {i}"}])
        out.append(json.dumps(copy).encode())
    return out


def write_course(root: Path, students: list[str]) -> Path:
    (root / "roster.csv").write_text("student_id,name\n" + "".join(f"{s},{s}\n"
                                                                   for s in students))
    config = root / "course.toml"
    config.write_text('title = "Load test"\ntimezone = "UTC"\nroster = "roster.csv"\n'
                      'results = "out"\n\n[[assignments]]\nname = "hw1"\n'
                      'due = 2099-01-01T00:00:00\n\n[server]\nrate = 1000\n'
                      'max_upload_mb = 4\nhidden = "visible"\n')
    return config


class Client:
    def __init__(self, base: str, tokens: dict[str, str]) -> None:
        self.base, self.tokens = base, tokens

    def _call(self, who: str, path: str, body: bytes | None = None,
              content_type: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        if content_type:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        with urllib.request.urlopen(request, timeout=120) as r:
            return json.load(r)

    def submit(self, who: str, data: bytes) -> dict:
        boundary = "benchmarkboundary"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"assignment\"\r\n\r\n"
                f"hw1\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"hw1.ipynb\"\r\n\r\n").encode() + data + \
            f"\r\n--{boundary}--\r\n".encode()
        return self._call(who, "/api/v1/submissions", body,
                          f"multipart/form-data; boundary={boundary}")

    def get(self, who: str, sid: str) -> dict:
        return self._call(who, f"/api/v1/submissions/{sid}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def fmt(values: list[float]) -> str:
    return (f"median {statistics.median(values) * 1000:.0f} ms, p95 "
            f"{percentile(values, 0.95) * 1000:.0f} ms (min {min(values) * 1000:.0f}, max "
            f"{max(values) * 1000:.0f})")


def start_server(config: Path, port: int, workers: int, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "autograder.cli", "serve", "--config", str(config), "--host",
         "127.0.0.1", "--port", str(port), "--workers", str(workers), "--course", str(REPO)],
        stdout=subprocess.DEVNULL, stderr=log.open("wb"), start_new_session=True)
    deadline = time.monotonic() + 180
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return proc
        except (urllib.error.URLError, OSError):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)


def single(client: Client, who: str, notebooks: list[bytes]) -> list[float]:
    latencies = []
    for data in notebooks:
        start = time.perf_counter()
        sid = client.submit(who, data)["id"]
        while (body := client.get(who, sid))["status"] not in ("graded", "error"):
            time.sleep(0.01)
        latencies.append(time.perf_counter() - start)
        assert body["status"] == "graded" and body["score"] == body["max_score"], body
    return latencies


def burst(client: Client, store: Path, students: list[str], notebooks: list[bytes],
          window: float, clients: int) -> dict:
    starts: dict[str, float] = {}
    answers: list[float] = []
    positions: list[int] = []
    lock = threading.Lock()
    t0 = time.time() + 0.5

    def send(i: int) -> str:
        delay = t0 + (window * i / len(students) if window else 0.0) - time.time()
        if delay > 0:
            time.sleep(delay)
        began = time.time()
        body = client.submit(students[i], notebooks[i])
        with lock:
            starts[body["id"]] = began
            answers.append(time.time() - began)
            positions.append(body["position"])
        return body["id"]

    with ThreadPoolExecutor(max(clients, min(len(students), 64) if window else clients)) as ex:
        ids = list(ex.map(send, range(len(students))))
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=30)
    try:
        while db.execute("select count(*) from serve_submissions where status in "
                         "('queued', 'running')").fetchone()[0]:
            time.sleep(0.2)
        rows = {r[0]: r[1:] for r in db.execute(
            "select id, status, finished_at, score, max_score from serve_submissions")}
    finally:
        db.close()
    lost = [sid for sid in ids if sid not in rows or rows[sid][0] != "graded"
            or rows[sid][2] != rows[sid][3]]
    latencies = [rows[sid][1] - starts[sid] for sid in ids if sid in rows]
    span = max(rows[sid][1] for sid in ids) - min(starts.values())
    return {"lost": lost, "latencies": latencies, "span": span, "answers": answers,
            "max_position": max(positions)}


def batch(course: Course, notebooks: list[bytes], workers: int, root: Path) -> float:
    folder = root / "batch-in"
    folder.mkdir()
    for i, data in enumerate(notebooks):
        (folder / f"b{i:04d}.ipynb").write_bytes(data)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "autograder.cli", "grade", "hw1", str(folder), "-o",
                    str(root / "batch-out"), "--workers", str(workers), "-q", "--course",
                    str(REPO)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--single", type=int, default=50)
    parser.add_argument("--burst", type=int, default=300)
    parser.add_argument("--windows", default="60,0", help="seconds, comma-separated")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--limit", type=float, default=900, help="stop after this many s")
    args = parser.parse_args()
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(SystemExit("time limit")))
    signal.alarm(int(args.limit))
    windows = [float(w) for w in args.windows.split(",") if w.strip()]
    course = Course.find(REPO)
    from autograder import api

    api.build("hw1", course, otter=False, check=False, device="cpu")  # fixtures, if needed
    print(f"load average at start: {os.getloadavg()[0]:.2f}; {args.workers} workers")
    with tempfile.TemporaryDirectory(prefix="serve-load-") as tmp:
        root = Path(tmp)
        rounds = len(windows)
        students = ["solo"] + [f"b{r}{i:04d}" for r in range(rounds) for i in range(args.burst)]
        config = write_course(root, students)
        api.issue_tokens(config, root / "tokens.csv", course)
        tokens = dict(line.split(",", 1) for line in
                      (root / "tokens.csv").read_text().splitlines()[1:])
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        began = time.perf_counter()
        proc = start_server(config, port, args.workers, root / "server.log")
        client = Client(f"http://127.0.0.1:{port}", tokens)
        try:
            warm = single(client, "solo", variants(course, 1, 10**6))
            print(f"warm-up submission (first of the server's life): {warm[0] * 1000:.0f} ms")
            lat = single(client, "solo", variants(course, args.single))
            print(f"1. one submission at a time, {args.single}: upload to graded result "
                  f"(client's view): {fmt(lat)}")
            rates = {}
            for r, window in enumerate(windows):
                who = [f"b{r}{i:04d}" for i in range(args.burst)]
                notebooks = variants(course, args.burst, 1000 * (r + 1))
                out = burst(client, root / "out" / "server.sqlite", who, notebooks, window,
                            args.clients)
                rates[window] = args.burst / out["span"]
                print(f"2. burst of {args.burst} from {args.burst} students within "
                      f"{window:g} s: lost {len(out['lost'])}; latency {fmt(out['latencies'])}"
                      f"; {args.burst / out['span']:.1f} graded/s over {out['span']:.1f} s; "
                      f"slowest 202 answer {max(out['answers']) * 1000:.0f} ms, deepest queue "
                      f"position {out['max_position']}")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(120)
        served = time.perf_counter() - began
        seconds = batch(course, variants(course, args.burst, 50_000), args.workers, root)
        fastest = max(rates.values()) if rates else 0.0
        print(f"3. batch CLI on {args.burst} of the same notebooks: {seconds:.1f} s process "
              f"start to exit, {args.burst / seconds:.1f}/s; the server's fastest burst "
              f"{fastest:.1f}/s, {fastest / (args.burst / seconds):.2f}x the batch CLI")
        print(f"server part: {served:.0f} s; load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
