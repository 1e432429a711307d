"""What runs inside the sandboxed child: load a submission's code, call its functions, stream results.

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
import signal
import sys
import time
import traceback
from typing import Any, BinaryIO

import torch

from . import wire

SUBMISSION_FILE = "<submission>"
KEPT_STATEMENTS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                   ast.ClassDef, ast.Assign, ast.AnnAssign)
DROPPED_NAMES = {"otter", "grader"}


class CallTimeout(BaseException):
    """Raised by the per-call alarm; a BaseException so that ``except Exception`` cannot eat it."""


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
    return False


def definitions(source: str) -> ast.Module:
    """The part of a cell that grading runs (see the module docstring)."""
    tree = ast.parse(_strip_magics(source), filename=SUBMISSION_FILE)
    tree.body = [node for node in tree.body
                 if isinstance(node, KEPT_STATEMENTS) and not _mentions_dropped(node)]
    return tree


def _where(tb) -> str:
    """The last line of the student's own code in a traceback, e.g. 'cell 3, line 7'."""
    place = ""
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename.startswith(SUBMISSION_FILE):
            place = f"{frame.f_code.co_filename[len(SUBMISSION_FILE) + 1:]}, line {lineno}"
    return place


def _error(e: BaseException) -> dict[str, Any]:
    message = str(e)
    if len(message) > 2000:
        message = message[:2000] + "…"
    return {"error_type": type(e).__name__, "error_message": message,
            "where": _where(e.__traceback__)}


def load_cells(cells: list[str], namespace: dict[str, Any]) -> list[dict[str, Any]]:
    """Run each cell's definitions; a failing cell is reported and the next one still runs."""
    report = []
    for index, source in enumerate(cells):
        entry: dict[str, Any] = {"cell": index}
        try:
            code = compile(definitions(source), f"{SUBMISSION_FILE}:cell {index}", "exec")
            exec(code, namespace)
        except CallTimeout:
            raise
        except BaseException as e:  # SystemExit and KeyboardInterrupt from student code too
            entry.update(_error(e))
        report.append(entry)
    return report


def _to_device(value: Any, device: str) -> Any:
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, (list, tuple)):
        return type(value)(_to_device(v, device) for v in value)
    if isinstance(value, dict):
        return {k: _to_device(v, device) for k, v in value.items()}
    return value


def _invoke(target: Any, call: str, case: dict[str, Any], device: str) -> Any:
    args = _to_device(case.get("args", ()), device)
    kwargs = _to_device(case.get("kwargs", {}), device)
    if call == "module":
        module = target(**case.get("init", {}))
        if not isinstance(module, torch.nn.Module):
            raise TypeError(f"{type(module).__name__} is not a torch.nn.Module")
        module.load_state_dict(_to_device(case.get("state") or {}, device), strict=True)
        module.to(device)
        module.eval()
        with torch.no_grad():
            return module(*args, **kwargs)
    return target(*args, **kwargs)


def run_case(namespace: dict[str, Any], name: str, call: str, case: dict[str, Any],
             device: str, seconds: float) -> dict[str, Any]:
    """Call the student's ``name`` on one case; the first rungs of the ladder (defined, callable,
    runs) and the encoding of the value happen here."""
    if name not in namespace:
        return {"status": "undefined"}
    target = namespace[name]
    if not callable(target):
        return {"status": "not_callable", "type": type(target).__name__}
    torch.manual_seed(0)  # a student function that (wrongly) draws global randomness is stable
    start = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        value = _invoke(target, call, case, device)
        if device != "cpu":
            torch.cuda.synchronize()
    except CallTimeout:
        return {"status": "timeout", "seconds": time.perf_counter() - start}
    except BaseException as e:
        return {"status": "error", "seconds": time.perf_counter() - start, **_error(e)}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    elapsed = time.perf_counter() - start
    try:
        wire.encode(value)
    except wire.WireError as e:
        return {"status": "unencodable", "seconds": elapsed, "error_message": str(e)}
    return {"status": "returned", "seconds": elapsed, "value": value}


def _on_alarm(signum, frame):
    raise CallTimeout()


def main(job_in: BinaryIO, results_out: BinaryIO) -> None:
    """Read one job, load the cells, run every case, and stream one message per step.

    Job: ``{"cells": [str], "device": str, "call_seconds": float, "load_seconds": float,
    "questions": [{"question", "name", "call", "cases": [{"name", "args", "kwargs", "init",
    "state"}]}]}``. Messages out: ``{"kind": "loaded", "cells": [...]}``, then one
    ``{"kind": "case", "question", "case", ...}`` per case, then ``{"kind": "done"}``.
    """
    job = wire.read_message(job_in)
    signal.signal(signal.SIGALRM, _on_alarm)
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
    sys.argv = ["submission"]
    signal.setitimer(signal.ITIMER_REAL, job["load_seconds"])
    try:
        cells = load_cells(job["cells"], namespace)
        loaded = {"kind": "loaded", "cells": cells}
    except CallTimeout:
        loaded = {"kind": "loaded", "cells": [], "timeout": True}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    wire.write_message(results_out, loaded)
    timed_out: set[str] = set()  # a function that hung once is not called again
    for question in job["questions"]:
        for case in question["cases"]:
            if question["name"] in timed_out:
                report = {"status": "timeout", "skipped": True}
            else:
                report = run_case(namespace, question["name"], question["call"], case,
                                  job["device"], job["call_seconds"])
            if report["status"] == "timeout":
                timed_out.add(question["name"])
            report.update(kind="case", question=question["question"], case=case["name"])
            try:
                wire.write_message(results_out, report)
            except wire.WireError as e:  # a value that encoded once but not twice
                wire.write_message(results_out, {"kind": "case", "question": question["question"],
                                                 "case": case["name"], "status": "unencodable",
                                                 "error_message": str(e)})
    wire.write_message(results_out, {"kind": "done"})
