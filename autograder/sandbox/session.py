"""One submission's run, on the grader's side: tries, checks and cleans up what comes back.

The job the grading pipeline builds (cells, and per question the student-visible inputs of its
cases) is sent to a sandboxed child in parts (:func:`autograder.sandbox.worker.harness.main`):
first the cells and the public cases (the child loads the cells, then reads the cases); once every
public case has reported, the hidden ones. So the process has seen no hidden input while it
produces anything the student may read in full (cell errors, public-case error messages), and
everything reported after a hidden input arrived is shown only in a reduced form (an
exception's built-in type name and line, never its message, an exit code or a student-chosen
name).

The child's messages are followed against what it was asked
(:class:`autograder.sandbox.protocol.Conversation`): a message
out of place, a call past its time limit, a process that dies, too much output — each ends that
process. Then the run goes on in a fresh one, past the case that was running (it fails, with a
clear reason) or the cell that was loading (skipped), so one hostile or broken function costs
its own cases and nothing else. Functions that time out are not called again (each try would
cost the full limit). Every such event is an *incident*: a status (timeout, memory, crashed)
and a message for the results.

Every report is rebuilt here from validated fields; the time each case took is measured here,
not taken from the child.
"""
from __future__ import annotations

import builtins
import re
import signal
import time
from dataclasses import dataclass, field
from typing import Any

from . import wire
from .client import Zygote
from .limits import LOAD_CPU_EXIT, LOAD_WALL_EXIT, Limits
from .protocol import Attempt

STATUSES = ("undefined", "not_callable", "timeout", "error", "unencodable", "returned")
BUILTIN_ERRORS = frozenset(n for n, v in vars(builtins).items()
                           if isinstance(v, type) and issubclass(v, BaseException))
# exception names that describe a limit or a crash rather than the student's own choice
SYNTHETIC_ERRORS = frozenset({"ProcessEnded", "MalformedOutput", "OutOfMemoryError",
                              "LinAlgError"})
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,79}$")
WHERE = re.compile(r"^cell (\d{1,5}), line (\d{1,7})$")
MEMORY_WORDS = ("can't allocate memory", "cannot allocate memory", "not enough memory",
                "out of memory", "std::bad_alloc")
REASONS = {
    "type": "it is not plain data (tensors, numbers, bools, strings, None, and lists, tuples "
            "and str-keyed dicts of them)",
    "key": "a dict with keys that are not plain strings",
    "deep": f"it is nested deeper than {wire.MAX_DEPTH} levels",
    "many": f"it has more than {wire.MAX_ITEMS} items",
    "string": f"it holds a string longer than {wire.MAX_STR} characters",
    "int": "it holds an integer too large to compare",
    "dtype": "it holds a tensor of an unsupported dtype (complex, quantized, float8, uint16-64)",
    "nested": "it holds a nested tensor (return a list of tensors, or one padded tensor)",
    "too_large": "it is larger than the size limit for one value",
    "failed": "it could not be encoded",
}
MAX_MESSAGE = 2000


@dataclass
class RunOutput:
    """Everything the grader learns from one sandboxed run (all its tries, see
    :func:`run_job`)."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    output: bytes = b""  # the head of the child's stdout/stderr, for instructors only
    output_truncated: bool = False
    exit_code: int | None = None
    signal: int | None = None
    timed_out: bool = False  # the whole submission ran past its time limit
    timeout_limit: str = ""  # which: "cpu" (its CPU seconds) or "wall" (the wall-clock backstop)
    cpu_seconds: float = 0.0  # CPU time of the submission's processes, all tries (as measured)
    wire_error: str = ""
    seconds: float = 0.0
    level: str = ""
    zygote_died: bool = False
    setup_error: str = ""  # the sandbox could not be entered
    # (status, message) for each limit hit or crash the run survived by trying again; the
    # message is safe to show the student
    incidents: list[tuple[str, str]] = field(default_factory=list)
    attempts: int = 0


@dataclass
class _Case:
    key: tuple[str, str]
    question: dict[str, Any]  # question, name, call
    case: dict[str, Any]
    hidden: bool

    @property
    def function(self) -> str:
        return str(self.question["name"])

    def seconds(self, limits: Limits) -> float:
        return float(self.question.get("call_seconds", limits.call_seconds))


@dataclass
class Job:
    """A job, parsed: the notebook's cells, the run's settings, and the cases. Every submission of
    an assignment has the same cases, so a grader parses them once and shares them (and the
    encoded parts, ``parts``) between submissions with :func:`dataclasses.replace`."""
    cells: list[str]
    settings: dict[str, Any]
    cases: list[_Case]
    parts: dict[tuple, list] = field(default_factory=dict, repr=False)  # remaining keys → parts

    def parts_for(self, remaining: list[_Case]) -> list[tuple[bytes, list[tuple[str, str]]]]:
        key = tuple(c.key for c in remaining)
        found = self.parts.get(key)
        if found is None:
            found = _parts(remaining)
            if len(self.parts) < 64:  # the full list, and the few retries that recur
                self.parts[key] = found
        return found


def parse_job(job: bytes) -> Job:
    spec = wire.loads(job, max_bytes=1 << 40)
    cases: list[_Case] = []
    for q in spec["questions"]:
        info = {"question": str(q["question"]), "name": str(q["name"]), "call": str(q["call"])}
        if q.get("call_seconds") is not None:  # a per-question limit
            info["call_seconds"] = float(q["call_seconds"])
        for case in q["cases"]:
            # a case without a visibility flag is treated as hidden: the safe side
            cases.append(_Case((info["question"], str(case["name"])), info,
                               {k: v for k, v in case.items() if k != "hidden"},
                               case.get("hidden", True) is not False))
    settings = {k: v for k, v in spec.items() if k not in ("questions", "cells")}
    return Job(list(spec["cells"]), settings, cases)


def _parts(cases: list[_Case]) -> list[tuple[bytes, list[tuple[str, str]]]]:
    """Public cases, then hidden ones, each part a message of questions in job order."""
    groups = [[c for c in cases if not c.hidden], [c for c in cases if c.hidden]]
    groups = [g for g in groups if g]
    parts = []
    for i, group in enumerate(groups):
        questions: list[dict[str, Any]] = []
        for c in group:
            if not questions or questions[-1]["question"] != c.key[0] or \
                    questions[-1]["name"] != c.function:
                questions.append({**c.question, "cases": []})
            questions[-1]["cases"].append(c.case)
        data = wire.dumps({"questions": questions, "more": i < len(groups) - 1}, copy=False)
        parts.append((data, [c.key for c in group]))
    return parts


def run_job(zygote: Zygote, job: "bytes | Job", limits: Limits) -> RunOutput:
    if not isinstance(job, Job):
        job = parse_job(job)
    spec, cells, cases = job.settings, job.cells, job.cases
    device = str(spec.get("device", "cpu"))
    by_key = {c.key: c for c in cases}
    order = [c for c in cases if not c.hidden] + [c for c in cases if c.hidden]
    start = time.monotonic()
    # the submission's limit counts the CPU seconds of its processes; the wall clock is only a
    # backstop (for code that sleeps), several times as long
    deadline = start + limits.wall(limits.wall_seconds)
    out = RunOutput(level=zygote.level)
    reports: dict[tuple[str, str], dict] = {}
    loaded: dict | None = None
    skip_cells: dict[int, str] = {}
    incidents: list[tuple[str, str]] = []
    crashes: dict[str, int] = {}
    log = bytearray()
    stalls = 0
    max_attempts = len(cases) + len(cells) + 4
    while True:
        remaining = [c for c in order if c.key not in reports]
        if loaded is not None and not remaining:
            break
        if out.attempts >= max_attempts:
            out.zygote_died = out.zygote_died or not reports
            break
        if out.cpu_seconds >= limits.wall_seconds:
            out.timed_out, out.timeout_limit = True, "cpu"
            break
        if time.monotonic() >= deadline:
            out.timed_out, out.timeout_limit = True, "wall"
            break
        parts = job.parts_for(remaining)
        settings = dict(spec)  # device options etc.
        settings.update(cells=cells, device=device, more=bool(parts),
                        call_seconds=float(spec.get("call_seconds", limits.call_seconds)),
                        load_seconds=float(spec.get("load_seconds", limits.load_seconds)),
                        backstop=float(limits.backstop),
                        value_bytes=int(limits.value_bytes), skip_cells=sorted(skip_cells))
        header = wire.dumps(settings)
        run_cells = [i for i in range(len(cells)) if i not in skip_cells]
        out.attempts += 1
        # public inputs are no secret: they travel with the cells (no round trip once the
        # cells are loaded); hidden ones only once every public case has reported
        a = zygote.attempt(header, parts, run_cells, limits, deadline, device,
                           {c.key: c.seconds(limits) for c in remaining},
                           eager=bool(parts) and not remaining[0].hidden,
                           cpu_budget=limits.wall_seconds - out.cpu_seconds)
        out.cpu_seconds += a.cpu_seconds
        _log(log, out.attempts, a, limits)
        out.output_truncated |= a.output_truncated
        out.exit_code, out.signal = a.exit_code, a.signal
        if a.setup_error and a.loaded is None and a.cell is None:
            out.setup_error = a.setup_error
            break
        progress = False
        if a.loaded is not None and loaded is None:
            loaded = _clean_loaded(a.loaded, cells, skip_cells)
            progress = True
        for key, raw in a.reports.items():
            c = by_key[key]
            report, incident = _clean_report(raw, c, a.seconds.get(key, 0.0), cells, limits)
            reports[key] = report
            if incident:
                incidents.append(incident)
            progress = True
        if a.done:
            break
        # the process ended early: find what it was doing, and go on past it
        if a.killed == "wall" or time.monotonic() >= deadline:
            out.timed_out, out.timeout_limit = True, "wall"
            break
        if a.in_flight is not None:
            c = by_key[a.in_flight]
            why, status, detail = _ending(a, limits, c.seconds(limits))
            reports[c.key] = _failed_report(c, status, why)
            incidents.append((status, _incident_text(c, status, why, detail)))
            progress = True
            if status == "timeout":  # not called again: each call would cost the full limit
                for other in remaining:
                    if other.function == c.function and other.key not in reports:
                        reports[other.key] = _skipped_report(other, "timeout")
            else:
                crashes[c.function] = crashes.get(c.function, 0) + 1
                if crashes[c.function] >= 3:
                    for other in remaining:
                        if other.function == c.function and other.key not in reports:
                            reports[other.key] = _skipped_report(other, "crashed")
        elif a.loaded is None and a.cell is not None:
            why, status, detail = _ending(a, limits)
            skip_cells[a.cell] = why
            incidents.append((status, f"code cell {a.cell} {why} while the notebook was "
                                      f"loading; the cell was skipped"))
            progress = True
        if a.zygote_died and not progress:
            stalls += 1
        if not progress:
            stalls += 1
            if stalls >= 2 and loaded is not None:  # nothing was running: blame the next case
                c = next(c for c in order if c.key not in reports)
                why, status, detail = _ending(a, limits, c.seconds(limits))
                reports[c.key] = _failed_report(c, status, why)
                incidents.append((status, _incident_text(c, status, why, detail)))
                stalls = 0
            elif stalls >= 3:
                out.zygote_died = True
                break
        else:
            stalls = 0
    out.incidents = incidents
    messages: list[dict[str, Any]] = []
    if loaded is not None:
        messages.append(loaded)
    messages += [reports[c.key] for c in cases if c.key in reports]
    if loaded is not None and len(reports) == len(cases) and not out.timed_out:
        messages.append({"kind": "done"})
    out.messages = messages
    out.output = bytes(log)
    out.seconds = time.monotonic() - start
    return out


# ---------------------------------------------------------------- why a process ended


def _signal_name(number: int | None) -> str:
    try:
        return signal.Signals(number).name
    except (ValueError, TypeError):
        return f"signal {number}"


def _ending(a: Attempt, limits: Limits, call_seconds: float | None = None
            ) -> tuple[str, str, str]:
    """(why, status, detail): why and status are safe to show for any case; detail (exit code,
    signal) only for public ones."""
    if a.zygote_died:
        return "ended the grading worker", "crashed", ""
    if a.killed == "call_time":
        seconds = limits.call_seconds if call_seconds is None else call_seconds
        return f"{_backstop_text(limits, seconds, 'its')} and was stopped", "timeout", ""
    if a.killed == "load_time" or (a.loaded is None and a.cell is not None and not a.killed
                                   and a.exit_code == LOAD_WALL_EXIT):
        return (f"{_backstop_text(limits, limits.load_seconds, 'the loading')} and was "
                f"stopped"), "timeout", ""
    if a.loaded is None and a.cell is not None and not a.killed and \
            a.exit_code == LOAD_CPU_EXIT:
        return (f"did not finish within the loading CPU time limit of "
                f"{limits.load_seconds:g} s"), "timeout", ""
    if a.violation.startswith("more than"):
        return f"sent back more than {limits.result_bytes} bytes", "crashed", ""
    if a.violation:
        return "wrote malformed output to the grader's channel", "crashed", ""
    if a.killed:
        return "was stopped", "crashed", ""
    # RLIMIT_CPU: SIGXCPU, or SIGKILL a second later for a process that ignored it
    if a.signal == signal.SIGXCPU or (a.signal == signal.SIGKILL and a.cpu_budget is not None
                                      and a.cpu_seconds >= min(a.cpu_budget,
                                                               limits.cpu_seconds)):
        return (f"ran out of CPU time (the submission's CPU time limit is "
                f"{limits.wall_seconds:g} s, {limits.cpu_seconds} s per process)"), "timeout", ""
    if a.signal:
        return "ended the process", "crashed", f"killed by {_signal_name(a.signal)}"
    if a.exit_code is not None:
        return "ended the process", "crashed", f"exit code {a.exit_code}"
    return "ended the process", "crashed", ""


def _backstop_text(limits: Limits, seconds: float, whose: str) -> str:
    return (f"did not finish within the wall-clock backstop of {limits.wall(seconds):g} s "
            f"({limits.backstop:g} x {whose} CPU time limit of {seconds:g} s, for code that "
            f"sleeps or waits)")


def _incident_text(c: _Case, status: str, why: str, detail: str) -> str:
    text = f"{c.key[0]}: `{c.function}` {why} (case {c.key[1]})"
    if detail and not c.hidden:
        text = text[:-1] + f"; {detail})"
    if status != "timeout":
        text += "; the other cases ran in a fresh process"
    return text


def _failed_report(c: _Case, status: str, why: str) -> dict[str, Any]:
    base = {"kind": "case", "question": c.key[0], "case": c.key[1], "seconds": 0.0}
    if status == "timeout":
        return {**base, "status": "timeout", "limit": "cpu" if "CPU time (" in why else "wall"}
    kind = "MalformedOutput" if "malformed" in why or "bytes" in why else "ProcessEnded"
    return {**base, "status": "error", "error_type": kind,
            "error_message": f"this call {why}", "where": ""}


def _skipped_report(c: _Case, why: str) -> dict[str, Any]:
    base = {"kind": "case", "question": c.key[0], "case": c.key[1], "seconds": 0.0}
    if why == "timeout":
        return {**base, "status": "timeout", "skipped": True}
    return {**base, "status": "error", "error_type": "ProcessEnded", "where": "",
            "error_message": "not called: earlier calls of this function ended the process"}


# ---------------------------------------------------------------- validation


def _where(value: Any, cells: list[str]) -> str:
    if type(value) is not str:
        return ""
    m = WHERE.match(value)
    if not m:
        return ""
    cell, line = int(m.group(1)), int(m.group(2))
    if cell >= len(cells) or not 1 <= line <= cells[cell].count("\n") + 1:
        return ""
    return value


def _text(value: Any, limit: int = MAX_MESSAGE) -> str:
    if type(value) is not str:
        return ""
    return value if len(value) <= limit else value[:limit] + "…"


def _error_type(value: Any, hidden: bool) -> str:
    name = value if type(value) is str else ""
    if hidden:  # only names from a fixed set: a student-chosen name could carry an input
        return name if name in BUILTIN_ERRORS or name in SYNTHETIC_ERRORS else "Exception"
    return name if IDENTIFIER.match(name) else "Exception"


def _is_memory(raw: dict) -> bool:
    if raw.get("error_type") in ("MemoryError", "OutOfMemoryError"):
        return True
    message = raw.get("error_message")
    return type(message) is str and any(w in message.lower() for w in MEMORY_WORDS)


INPUT_LABEL = re.compile(r"(args|kwargs)(\[(\d{1,4}|'[A-Za-z_][A-Za-z0-9_]{0,40}')\]){1,4}")


def _changed_inputs(raw: Any) -> list[str]:
    """Where a call changed its inputs in place, as the harness labels them (``args[0]``,
    ``kwargs['mask']``); anything else the process wrote there is dropped."""
    if not isinstance(raw, list):
        return []
    return [x for x in raw[:8] if type(x) is str and INPUT_LABEL.fullmatch(x)]


def _clean_report(raw: dict, c: _Case, seconds: float, cells: list[str],
                  limits: Limits) -> tuple[dict[str, Any], tuple[str, str] | None]:
    """A report rebuilt from validated fields, and the incident it is (a limit hit), if any."""
    out: dict[str, Any] = {"kind": "case", "question": c.key[0], "case": c.key[1],
                           "seconds": round(max(0.0, seconds), 3)}
    status = raw.get("status")
    if status not in STATUSES:
        return {**out, "status": "error", "error_type": "MalformedOutput", "where": "",
                "error_message": "a malformed report"}, None
    out["status"] = status
    incident = None
    if status == "returned":
        if "value" not in raw:
            return {**out, "status": "error", "error_type": "MalformedOutput", "where": "",
                    "error_message": "a malformed report"}, None
        out["value"] = raw["value"]
        changed = _changed_inputs(raw.get("changed_inputs"))
        if changed:
            out["changed_inputs"] = changed
    elif status == "not_callable":
        tp = raw.get("type") if type(raw.get("type")) is str else ""
        out["type"] = tp if tp in vars(builtins) and IDENTIFIER.match(tp) else "object"
    elif status == "timeout":
        out["skipped"] = raw.get("skipped") is True
        out["limit"] = "wall" if raw.get("limit") == "wall" else "cpu"
        if not out["skipped"]:
            seconds = c.seconds(limits)
            why = (f"did not finish within its CPU time limit of {seconds:g} s"
                   if out["limit"] == "cpu" else _backstop_text(limits, seconds, "its"))
            incident = ("timeout", f"{c.key[0]}: `{c.function}` {why} (case {c.key[1]})")
    elif status == "error":
        memory = _is_memory(raw)
        out["error_type"] = "MemoryError" if memory else _error_type(raw.get("error_type"),
                                                                     c.hidden)
        out["error_message"] = "" if c.hidden else _text(raw.get("error_message"))
        out["where"] = _where(raw.get("where"), cells)
        if memory:
            incident = ("memory", f"{c.key[0]}: `{c.function}` ran out of memory (limit "
                                  f"{limits.memory_bytes / 2**30:g} GiB; case {c.key[1]})")
    elif status == "unencodable":
        reason = raw.get("reason") if raw.get("reason") in REASONS else "failed"
        out["reason"] = reason
        out["error_message"] = REASONS[reason]
    return out, incident


def _clean_loaded(raw: dict, cells: list[str], skipped: dict[int, str]) -> dict[str, Any]:
    """The load report: sent before any hidden input reached the process, so messages are
    kept.
    Skipped cells (they ended the process) are reported as incidents instead."""
    entries = []
    for entry in raw.get("cells", []):
        if not isinstance(entry, dict) or type(entry.get("cell")) is not int:
            continue
        i = entry["cell"]
        if not 0 <= i < len(cells) or i in skipped:
            continue
        clean: dict[str, Any] = {"cell": i}
        if entry.get("error_type") is not None:
            clean.update(error_type=_error_type(entry.get("error_type"), False),
                         error_message=_text(entry.get("error_message")),
                         where=_where(entry.get("where"), cells))
        entries.append(clean)
    loaded = {"kind": "loaded", "cells": entries}
    if raw.get("timeout") is True:
        loaded["timeout"] = True
    return loaded


def _log(log: bytearray, n: int, a: Attempt, limits: Limits) -> None:
    """The instructor-only log: the child's own output, and how each try ended."""
    room = limits.output_bytes - len(log)
    if room > 0:
        log += a.output[:room]
    end = []
    if a.killed:
        end.append(f"killed ({a.killed})")
    if a.violation:
        end.append(f"protocol violation: {a.violation}")
    if a.setup_error:
        end.append(f"sandbox setup failed: {a.setup_error}")
    if a.zygote_died:
        end.append("the worker process died")
    if not a.done:
        if a.signal:
            end.append(f"killed by {_signal_name(a.signal)}")
        elif a.exit_code is not None:
            end.append(f"exit code {a.exit_code}")
        if a.in_flight:
            end.append(f"during {a.in_flight[0]} {a.in_flight[1]}")
        elif a.cell is not None:
            end.append(f"while loading cell {a.cell}")
    if end:
        line = f"\n[sandbox, try {n}] " + "; ".join(end) + "\n"
        log += line.encode()
