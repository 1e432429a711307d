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

Every report is rebuilt once from validated fields, as a typed
:class:`~autograder.sandbox.reports.CaseReport`; the time each case took is measured here, not
taken from the child.
"""
from __future__ import annotations

import signal
import time
from dataclasses import dataclass, field
from typing import Any

from .. import wire
from .client import Zygote
from .limits import LOAD_CPU_EXIT, LOAD_WALL_EXIT, Limits
from .protocol import Attempt
from .reports import CaseReport, LoadReport, Status


@dataclass
class RunOutput:
    """Everything the grader learns from one sandboxed run (all its tries, see
    :func:`run_job`)."""

    loaded: LoadReport | None = None  # the cells, once they loaded
    reports: list[CaseReport] = field(default_factory=list)  # in the job's order
    done: bool = False  # every case reported, within the wall-clock budget
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
        """The CPU time limit of one call."""
        return float(self.question.get("call_seconds", limits.call_seconds))

    def budget(self, limits: Limits) -> float:
        """The CPU time the case may take: one call's limit, twice for a case that is called
        again to check that it is reproducible (Spec.repeat)."""
        return self.seconds(limits) * (2 if self.case.get("repeat") is True else 1)


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


def make_job(spec: dict[str, Any]) -> Job:
    """The job for ``spec``: ``cells``, ``questions`` (each with ``question``, ``name``,
    ``call``, an optional ``call_seconds``, and ``cases``: a name, ``hidden`` and the
    student-visible inputs) and the run's settings (``device``, ``call_seconds`` ...)."""
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


def run_job(zygote: Zygote, job: Job, limits: Limits) -> RunOutput:
    spec, cells, cases = job.settings, job.cells, job.cases
    device = str(spec.get("device", "cpu"))
    by_key = {c.key: c for c in cases}
    order = [c for c in cases if not c.hidden] + [c for c in cases if c.hidden]
    start = time.monotonic()
    # the submission's limit counts the CPU seconds of its processes; the wall clock is only a
    # backstop (for code that sleeps), several times as long
    deadline = start + limits.wall(limits.wall_seconds)
    out = RunOutput(level=zygote.level)
    reports: dict[tuple[str, str], CaseReport] = {}
    loaded: LoadReport | None = None
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
                           {c.key: c.budget(limits) for c in remaining},
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
            loaded = LoadReport.from_child(a.loaded, cells, skip_cells)
            progress = True
        for key, raw in a.reports.items():
            c = by_key[key]
            report, incident = clean_report(raw, c, a.seconds.get(key, 0.0), cells, limits)
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
            why, status, detail = _ending(a, limits, c.budget(limits))
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
                why, status, detail = _ending(a, limits, c.budget(limits))
                reports[c.key] = _failed_report(c, status, why)
                incidents.append((status, _incident_text(c, status, why, detail)))
                stalls = 0
            elif stalls >= 3:
                out.zygote_died = True
                break
        else:
            stalls = 0
    out.incidents = incidents
    out.loaded = loaded
    out.reports = [reports[c.key] for c in cases if c.key in reports]
    out.done = loaded is not None and len(reports) == len(cases) and not out.timed_out
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


def _failed_report(c: _Case, status: str, why: str) -> CaseReport:
    if status == "timeout":
        return CaseReport(c.key[0], c.key[1], Status.TIMEOUT,
                          limit="cpu" if "CPU time (" in why else "wall")
    kind = "MalformedOutput" if "malformed" in why or "bytes" in why else "ProcessEnded"
    return CaseReport(c.key[0], c.key[1], Status.ERROR, error_type=kind,
                      error_message=f"this call {why}")


def _skipped_report(c: _Case, why: str) -> CaseReport:
    if why == "timeout":
        return CaseReport(c.key[0], c.key[1], Status.TIMEOUT, skipped=True)
    return CaseReport(c.key[0], c.key[1], Status.ERROR, error_type="ProcessEnded",
                      error_message="not called: earlier calls of this function ended the "
                                    "process")


def clean_report(raw: dict, c: _Case, seconds: float, cells: list[str],
                 limits: Limits) -> tuple[CaseReport, tuple[str, str] | None]:
    """The child's report for ``c``, validated (:meth:`CaseReport.from_child`), and the
    incident it is (a limit hit), if any."""
    report = CaseReport.from_child(raw, c.key[0], c.key[1], c.hidden, seconds, cells)
    if report.status is Status.TIMEOUT and not report.skipped:
        seconds = c.seconds(limits)
        why = (f"did not finish within its CPU time limit of {seconds:g} s"
               if report.limit == "cpu" else _backstop_text(limits, seconds, "its"))
        return report, ("timeout", f"{c.key[0]}: `{c.function}` {why} (case {c.key[1]})")
    if report.status is Status.ERROR and report.error_type == "MemoryError":
        return report, ("memory", f"{c.key[0]}: `{c.function}` ran out of memory (limit "
                                  f"{limits.memory_bytes / 2**30:g} GiB; case {c.key[1]})")
    return report, None


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
