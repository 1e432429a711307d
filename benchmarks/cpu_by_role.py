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

Measured on the course's 2-core machine (namespaces isolation, root), hw1 (68 cases; bare
execution 14.6-16.7 ms, in a freshly forked process 22-26 ms; this VM drifts by a third):

    role              ms/sub    user  faults   fork   exit  kernel
    ag-submission       53.4    41.0     4.6    0.0    6.4     1.4
    grader              17.2    14.6     0.1    0.0    0.0     2.5
    ag-spare            16.9     7.5     8.2    0.0    0.0     1.2
    ag-supervisor       10.2     0.6     2.0    3.1    3.3     1.2
    ag-zygote            8.0     1.3     3.4    2.7    0.0     0.6
    idle                19.1
    machine            129.9 ms per submission on 2 cores: at least 65 ms between results
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
