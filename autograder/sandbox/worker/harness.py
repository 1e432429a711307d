"""What runs inside the sandboxed child: load a submission's code, call its functions
(:mod:`.calls`), stream results.

This module executes untrusted code, so nothing here decides a score. It only reports, per case,
either the returned value (as wire data) or why there is none: the name is not defined, is not
callable, raised, ran out of time, or returned something that cannot travel. The grader, in its
own process, turns those reports into points.

Loading a notebook runs only its *definitions*: imports, ``def``/``class`` statements and
top-level assignments, cell by cell. Plots, prints, training runs and other top-level statements
are skipped, so that grading costs the student's graded functions and nothing else, and a broken
exploratory cell cannot take the graded ones down with it. Notebook plumbing (``otter``, the
``grader`` object, IPython magics) is dropped.
"""
from __future__ import annotations

import ast
import functools
import io
import os
import signal
import sys
import time
from typing import Any, BinaryIO

import torch

from ... import wire
from ..isolation import PR_SET_CHILD_SUBREAPER, prctl
from ..limits import LOAD_CPU_EXIT, LOAD_WALL_EXIT
from .calls import (BACKSTOP, SUBMISSION_FILE, CallTimeout, arm, disarm, error_fields, framed,
                    run_case)

KEPT_STATEMENTS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                   ast.ClassDef, ast.Assign, ast.AnnAssign)
DROPPED_NAMES = {"otter", "grader"}


def _strip_magics(source: str) -> str:
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        lines.append("" if stripped.startswith(("%", "!")) else line)
    return "\n".join(lines)


def _mentions_dropped(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id in DROPPED_NAMES:
            return True
        if isinstance(sub, ast.alias) and sub.name.split(".")[0] in DROPPED_NAMES:
            return True
        if isinstance(sub, ast.ImportFrom) and (sub.module or "").split(".")[0] in DROPPED_NAMES:
            return True
    return False


def definitions(source: str) -> ast.Module:
    """The part of a cell that grading runs (see the module docstring)."""
    tree = ast.parse(_strip_magics(source), filename=SUBMISSION_FILE)
    # an ASCII cell that nowhere spells a dropped name cannot mention one (identifiers are
    # NFKC-normalised, so other cells are walked)
    walk = not source.isascii() or any(name in source for name in DROPPED_NAMES)
    tree.body = [node for node in tree.body if isinstance(node, KEPT_STATEMENTS)
                 and not (walk and _mentions_dropped(node))]
    return tree


def load_cells(cells: list[str], namespace: dict[str, Any], results_out: BinaryIO | None = None,
               skip: frozenset[int] = frozenset()) -> list[dict[str, Any]]:
    """Run each cell's definitions; a failing cell is reported and the next one still runs.
    Before each cell, a ``{"kind": "cell"}`` message tells the grader which one is running (a
    cell that ends the process is skipped when the grader tries again); ``skip`` are such cells."""
    report = []
    for index, source in enumerate(cells):
        entry: dict[str, Any] = {"cell": index}
        if index in skip:
            entry.update(skipped=True)
            report.append(entry)
            continue
        if results_out is not None:
            wire.write_message(results_out, {"kind": "cell", "cell": index})
        try:
            code = compile(definitions(source), f"{SUBMISSION_FILE}:cell {index}", "exec")
            exec(code, namespace)
        except CallTimeout:
            raise
        except BaseException as e:  # SystemExit and KeyboardInterrupt from student code too
            entry.update(error_fields(e))
        report.append(entry)
    return report


def _reclaim(*streams: BinaryIO) -> None:
    """Student code can reach the harness's own pipes: make them blocking again (a
    non-blocking read of the next part would fail before the part arrives)."""
    for stream in streams:
        try:
            fd = stream.fileno()
            if not os.get_blocking(fd):
                os.set_blocking(fd, True)
        except (OSError, ValueError, AttributeError):  # closed, or an in-memory stream
            pass


def _on_alarm(signum, frame):
    raise CallTimeout("wall" if signum == signal.SIGALRM else "cpu")


def _flush() -> None:
    """The student's prints reach the instructor log even though the process ends with
    os._exit (which skips Python's own flushing)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 - a replaced or closed stream
            pass


def _children() -> list[int]:
    kids = []
    try:
        for tid in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{tid}/children") as f:
                kids += [int(k) for k in f.read().split()]
    except (OSError, ValueError):
        pass
    return kids


def end_descendants() -> None:
    """Kill every process the student code started (a call is over: whatever it forked goes
    with it, so that a fork bomb or a busy background process cannot slow down the next case).
    PID 1 of a PID namespace signals all of it at once; elsewhere this process is a child
    subreaper, so descendants whose parent died are its children and are found here."""
    if os.getpid() == 1:
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        if not _reap():  # nothing was running, or it has all been reaped
            return
        _await_ended(_children())  # some are still dying: gone before the next call starts
    else:
        for _ in range(100):
            if not _reap():  # no child at all, so no descendant: the usual case, no /proc
                return
            kids = _children()
            if not kids:
                break
            for pid in kids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            # their own children come to this process once they have ended: look again then
            _await_ended(kids)
    _reap()


def _await_ended(pids: list[int], seconds: float = 2.0) -> None:
    """Wait (at most ``seconds``) for children that were sent SIGKILL to end, and reap them."""
    deadline = time.monotonic() + seconds
    left = set(pids)
    while left:
        for pid in list(left):
            try:
                if os.waitpid(pid, os.WNOHANG)[0] != 0:
                    left.discard(pid)
            except OSError:  # not (or no longer) a child
                left.discard(pid)
        if left:
            if time.monotonic() > deadline:
                return
            time.sleep(0.001)


def _reap() -> bool:
    """Reap the children that have ended; whether any child is left."""
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return True
        except ChildProcessError:
            return False
        except OSError:
            return True


def _exact_cuda(memory_fraction: float) -> None:
    """On a GPU: no TF32 or other reduced-precision shortcuts, so that tolerances mean the
    same as on the CPU; and, when several workers share the GPU, a cap on this child's share of
    its memory (an out-of-memory error then stays inside this submission). CUDA is initialised
    here, in the child, never in the zygote (a forked CUDA context is unusable)."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction = False
    torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction = False
    torch.set_float32_matmul_precision("highest")
    torch.backends.cudnn.benchmark = False  # no autotuning: the same kernels every run
    torch.backends.cudnn.deterministic = True
    if memory_fraction > 0:
        torch.cuda.set_per_process_memory_fraction(memory_fraction)


def main(job_in: BinaryIO, results_out: BinaryIO) -> None:
    """Read the job, load the cells, run every case, and stream one message per step.

    The job arrives in parts. First ``{"cells": [str], "device": str, "call_seconds": float,
    "load_seconds": float, "backstop": float, "value_bytes": int, "skip_cells": [int],
    "more": bool}`` (the time limits count this process's CPU seconds; ``backstop`` times as
    many wall-clock seconds stop code that sleeps); then (if ``more``), once the grader has
    seen ``loaded``, one or more ``{"questions": [{"question", "name", "call", "call_seconds"
    (optional, overrides the job's), "cases": [{"name", "args", "kwargs", "init", "state"}]}],
    "more": bool}`` (the grader sends the hidden cases only
    after every public case has reported, so nothing a public case shows can hold a hidden
    input). Messages out: ``{"kind": "cell", "cell"}`` before each cell, ``{"kind": "loaded",
    "cells": [...]}``, then for each part ``{"kind": "part"}`` once it is read and, per case in
    the order they were sent, ``{"kind": "case", "question", "case", "status", ...}`` (the
    grader takes the case after the last one reported to be running), and finally ``{"kind":
    "done"}``.
    """
    job = wire.read_message(job_in)
    if str(job["device"]).startswith("cuda"):
        _exact_cuda(float(job.get("cuda_memory_fraction", 0.0)))
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGPROF, _on_alarm)
    BACKSTOP[0] = float(job.get("backstop", BACKSTOP[0]))
    if os.getpid() != 1:
        prctl(PR_SET_CHILD_SUBREAPER, 1)
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
    sys.argv = ["submission"]
    arm(job["load_seconds"])
    try:
        cells = load_cells(job["cells"], namespace, results_out,
                           frozenset(job.get("skip_cells", ())))
        loaded = {"kind": "loaded", "cells": cells}
    except CallTimeout as e:
        # the cell last announced ran past the loading limit: this process ends, and the
        # grader loads the notebook again without that cell (one cell costs only itself)
        disarm()
        end_descendants()
        _flush()
        os._exit(LOAD_WALL_EXIT if e.limit == "wall" else LOAD_CPU_EXIT)
    finally:
        disarm()
    end_descendants()
    _flush()
    wire.write_message(results_out, loaded)
    value_bytes = int(job.get("value_bytes", 1 << 30))
    timed_out: set[str] = set()  # a function that hung once is not called again
    more = bool(job.get("more", True))
    while more:
        _reclaim(job_in, results_out)
        part = wire.read_message(job_in)
        more = bool(part.get("more"))
        wire.write_message(results_out, {"kind": "part"})
        for question in part["questions"]:
            for case in question["cases"]:
                where = {"question": question["question"], "case": case["name"]}
                encoded = None
                if question["name"] in timed_out:
                    report = {"status": "timeout", "skipped": True}
                else:
                    report, encoded = run_case(namespace, question["name"], question["call"],
                                               case, job["device"],
                                               question.get("call_seconds", job["call_seconds"]),
                                               value_bytes)
                    end_descendants()
                    _flush()
                    _reclaim(results_out)  # (the job pipe: before the next part is read)
                if report["status"] == "timeout":
                    timed_out.add(question["name"])
                report.update(kind="case", **where)
                if encoded is not None:
                    results_out.write(framed(report, encoded))
                    results_out.flush()
                else:
                    wire.write_message(results_out, report)
    wire.write_message(results_out, {"kind": "done"})


WARM_UP_CELL = '''
import torch
from torch import nn

class _Net(nn.Module):
    def __init__(self, d=4):
        super().__init__()
        self.fc = nn.Linear(d, d)

    def forward(self, x):
        return torch.tanh(self.fc(x)).sum(dim=-1)

def _f(x, w):
    F = torch.nn.functional
    y = torch.sigmoid(x @ w.T + 1.0)
    z = torch.tanh(x) * torch.exp(-x) + torch.relu(x).pow(2) - torch.log1p(x.abs())
    a = F.softmax(z, dim=-1) @ torch.linalg.solve(w + 3 * torch.eye(3), w).T
    b = F.conv2d(torch.ones(1, 1, 4, 4), torch.ones(1, 1, 2, 2), padding=1).flatten()
    c = F.binary_cross_entropy(torch.sigmoid(x), torch.ones_like(x)) + F.mse_loss(x, y)
    d = torch.cat([x, y]).reshape(-1).clamp(0, 1).sum() + torch.stack([x, y]).max()
    e = torch.where(x > 0, x, -x).norm() + torch.randn(3).std() + b.mean() + c + d
    return y, a, float(x.mean()), int(x.argmax()), e.item(), (x == y).all().item()
'''


@functools.cache
def warm_up_stream() -> bytes:
    """The warm-up's job, as :func:`main` reads it (the same bytes every time)."""
    job = wire.dumps({"questions": [
        {"question": "f", "name": "_f", "call": "function",
         "cases": [{"name": "c", "args": [torch.ones(2, 3), torch.ones(3, 3)], "kwargs": {}}]},
        {"question": "m", "name": "_Net", "call": "module",
         "cases": [{"name": "c", "args": [torch.ones(2, 4)], "kwargs": {}, "init": {"d": 4},
                    "state": {"fc.weight": torch.eye(4), "fc.bias": torch.zeros(4)}}]}],
        "more": False})
    header = wire.dumps({"cells": [WARM_UP_CELL], "device": "cpu", "call_seconds": 10.0,
                         "load_seconds": 10.0, "more": True})
    return header + job


def warm_up() -> None:
    """Exercise the harness once on a job of its own (a cell, a function, a module, the wire),
    in a sandbox that waits for its job: the memory it shares with the zygote and that every
    run writes to is copied then, not while a submission runs."""
    main(io.BytesIO(warm_up_stream()), io.BytesIO())
