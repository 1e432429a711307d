"""Where the machine's CPU goes while grading, per submission, by process role (needs ``perf``).

    .venv/bin/python benchmarks/cpu_by_role.py [--hw hw1] [--submissions 60]

Grades SUBMISSIONS copies of the assignment's solved notebook on one worker, as step 1 of
``throughput.py`` does, and samples every CPU (``perf record -a -g``, cpu-clock at 1999 Hz) from
the 10th result to the 8th from last. Each process of a worker is named for its role
(``isolation.name_process``), so the samples say who spent what:

* ``grader``: this process (sending jobs, reading and scoring results, the store, the files);
* ``ag-zygote``: the warm worker (handing jobs to sandboxes, forking the next one);
* ``ag-supervisor``: a namespace sandbox's parent (entering the namespaces, relaying its end);
* ``ag-spare``: a sandbox before its job (its allowlisted root, the harness's warm-up);
* ``ag-submission``: the run itself (the student's code, the harness, the wire, its exit);

each split into user code, page faults (copy-on-write copies of the worker's memory, first
touches), fork, exit and other kernel work; plus ``idle`` and anything else the machine ran.
The sum over roles is what grading one submission costs the machine: with C cores, results
cannot come faster than one per (sum / C), however the work is scheduled. The interval printed
is the median between consecutive results while perf samples (perf itself slows it a little).

Measured on the course's 2-core machine (namespaces isolation, root; bare execution of hw1
14-17 ms, 22-26 ms in a freshly forked process; hw3 (121 cases) 18 ms; this VM drifts by a third):

    hw1: 41 submissions sampled, 2 cores, median interval 64.4 ms
    role              ms/sub    user  faults    fork    exit  kernel
    ag-submission       55.6    43.4     4.7     0.0     5.6     1.9
    grader              13.5    12.2     0.1     0.0     0.0     1.2
    ag-spare            14.4     5.7     7.5     0.0     0.0     1.1
    ag-supervisor        8.2     0.5     1.5     2.7     2.6     0.8
    ag-zygote            6.9     0.9     2.9     2.4     0.0     0.7
    other                2.4     0.0     0.0     0.0     0.0     2.4
    idle                17.5
    machine            101.0 ms of CPU per submission on 2 cores: at least 50.5 ms between results

    hw3: ag-submission 80.6, grader 25.2, ag-spare 16.4, ag-supervisor 8.9, ag-zygote 7.7,
         other 3.5: 142.3 ms of CPU per submission, at least 71.1 ms between results

The run itself is most of it, and most of the run is user code: the harness around the
student's functions (decoding the inputs, one encoded message per case, the per-case clean-up)
costs as much again as the functions themselves for notebooks of many tiny cases.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from autograder import api  # noqa: E402
from autograder.course import Course  # noqa: E402
from throughput import make_submissions  # noqa: E402

ROLES = ("ag-submission", "grader", "ag-spare", "ag-supervisor", "ag-zygote")
KINDS = ("user", "faults", "fork", "exit", "kernel")
RATE = 1999


def kind(frames: list[tuple[str, str]]) -> str:
    """What a sample was doing, from its call chain (leaf first): (symbol, object) pairs."""
    symbols = {sym for sym, _ in frames}
    if "exc_page_fault" in symbols:
        return "faults"
    if symbols & {"do_exit", "exit_mmap"}:
        return "exit"
    if symbols & {"copy_process", "dup_mmap", "kernel_clone"}:
        return "fork"
    return "kernel" if frames and frames[0][1] == "[kernel.kallsyms]" else "user"


def samples(data: Path, grader_pid: int) -> tuple[Counter, int]:
    """(role, kind) → samples, and the total number of samples."""
    text = subprocess.run(["perf", "script", "-i", str(data), "-F", "comm,pid,ip,sym,dso"],
                          capture_output=True, text=True, check=True).stdout
    counts: Counter = Counter()
    total = 0
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        head = lines[0].split()
        comm, pid = " ".join(head[:-1]), int(head[-1])
        frames = []
        for line in lines[1:]:
            parts = line.split()
            if len(parts) >= 3:
                frames.append((parts[1].split("+")[0], parts[-1].strip("()")))
        role = "grader" if pid == grader_pid else ("idle" if comm == "swapper" else comm)
        counts[(role if role in ROLES or role == "idle" else "other", kind(frames))] += 1
        total += 1
    return counts, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hw", default="hw1")
    parser.add_argument("--submissions", type=int, default=60)
    args = parser.parse_args()
    if shutil.which("perf") is None:
        sys.exit("perf is not installed (Debian: apt-get install linux-perf)")
    course = Course(REPO)
    work = Path(tempfile.mkdtemp(prefix="bench-roles-"))
    paths = make_submissions(course, args.hw, work / "subs", args.submissions)
    data = work / "perf.data"
    first, last = 10, args.submissions - 8
    stamps: list[float] = []
    perf: list[subprocess.Popen] = []

    def on_result(_result, _reused) -> None:
        stamps.append(time.perf_counter())
        if len(stamps) == first:
            perf.append(subprocess.Popen(
                ["perf", "record", "-e", "cpu-clock", "-F", str(RATE), "-a", "-g", "-q",
                 "-o", str(data)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            time.sleep(0.3)  # perf's own start-up is not sampled anyway; let it settle
            stamps.append(time.perf_counter())
        if len(stamps) == last + 1 and perf:
            perf[0].send_signal(signal.SIGINT)

    run = api.grade(args.hw, paths, work / "out", course, workers=1, device="cpu",
                    on_result=on_result)
    if perf:
        perf[0].wait()
    if not data.is_file():
        sys.exit("perf recorded nothing: run as root, or lower kernel.perf_event_paranoid")
    assert all(r.score == r.max_score for r in run.results), "a correct submission lost points"
    window = stamps[first + 1:last + 1]
    graded = len(window) - 1
    counts, total = samples(data, os.getpid())
    ms = 1000 / RATE / graded  # one sample, in ms per submission
    print(f"{args.hw}: {graded} submissions sampled, {os.cpu_count()} cores, median interval "
          f"{statistics.median(b - a for a, b in zip(window, window[1:])) * 1000:.1f} ms")
    print(f"{'role':16s} {'ms/sub':>7s} " + " ".join(f"{k:>7s}" for k in KINDS))
    by_role: dict[str, Counter] = defaultdict(Counter)
    for (role, k), n in counts.items():
        by_role[role][k] += n
    busy = 0.0
    for role in [*ROLES, "other", "idle"]:
        row = by_role.get(role, Counter())
        spent = sum(row.values()) * ms
        if role != "idle":
            busy += spent
        cells = " ".join(f"{row[k] * ms:7.1f}" for k in KINDS) if role != "idle" else ""
        print(f"{role:16s} {spent:7.1f} {cells}")
    cores = os.cpu_count() or 1
    print(f"{'machine':16s} {busy:7.1f} ms of CPU per submission on {cores} cores: at least "
          f"{busy / cores:.1f} ms between results ({total} samples)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
