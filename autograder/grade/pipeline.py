"""Grading one submission, as an ordered pipeline of small steps.

read notebook → build the job (student-visible inputs only) → run it in a sandboxed child
forked from a warm zygote → turn each case's report into a verdict with the ladder of checks →
score. Every step that can fail on bad input turns the failure into a status and a message;
nothing a submission does raises out of :meth:`Grader.grade`.
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from ..course import AssignmentConfig
from ..fixtures import FixtureCase, Fixtures
from ..ingest import NotebookError, Submission, code_cells
from ..sandbox import session, wire
from ..sandbox.limits import Limits
from ..sandbox.client import Zygote
from ..sandbox.session import RunOutput
from ..specs import Case, get_spec
from ..textsafe import clean
from . import points
from .cells import PLACE, cell_label, name_cells
from .checks import Verdict, compare
from .results import GradingResults, QuestionResult, TestCaseResult
from .version import GRADER_VERSION


@dataclass
class Grader:
    """Grades submissions of one assignment against its fixtures."""

    config: AssignmentConfig
    fixtures: Fixtures
    limits: Limits
    device: str = "cpu"
    # on a GPU shared by several workers: the share of its memory each sandboxed child may use
    # (torch.cuda.set_per_process_memory_fraction in the child); 0: no cap
    cuda_memory_fraction: float = 0.0
    # the cases parsed and encoded once, shared by every submission (see session.Job)
    _shared: "session.Job | None" = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def for_assignment(cls, config: AssignmentConfig, fixtures: Fixtures,
                       device: str = "cpu", limits: Limits | None = None) -> "Grader":
        limits = limits or Limits(wall_seconds=config.wall_seconds,
                                  call_seconds=config.call_seconds)
        return cls(config, fixtures, limits, device)

    # -- step 1: the job the sandbox receives: code and inputs, never expected values
    def parsed_job(self, cells: list[str]) -> "session.Job":
        """:meth:`job`, parsed, with the settings, cases and their encoded parts shared between
        calls: encoding the same inputs for every submission would be most of the grader's work.
        (A Grader is never changed in place; ``replace`` makes a new one, with nothing shared.)"""
        if self._shared is None:
            self._shared = session.parse_job(self.job([]))
        return replace(self._shared, cells=list(cells))

    def job(self, cells: list[str]) -> bytes:
        groups: dict[tuple[str, str], list[FixtureCase]] = defaultdict(list)
        for case in self.fixtures.cases:
            groups[(case.question, case.spec)].append(case)
        questions = [{"question": q, "name": spec, "call": cases[0].call,
                      "cases": [c.student_view() for c in cases]}
                     for (q, spec), cases in groups.items()]
        gpu = {"cuda_memory_fraction": self.cuda_memory_fraction} \
            if self.device.startswith("cuda") and self.cuda_memory_fraction > 0 else {}
        return wire.dumps({"cells": cells, "device": self.device, "questions": questions,
                           "call_seconds": self.limits.call_seconds,
                           "load_seconds": self.limits.load_seconds, **gpu})

    # -- the whole pipeline for one submission
    def grade(self, sub: Submission, zygote: Zygote) -> tuple[GradingResults, str]:
        """Returns the results and an instructor-only log (the submission's own output)."""
        return self.score(self.run(sub, zygote))

    def run(self, sub: Submission, zygote: Zygote) -> "Ran":
        """The steps up to the sandboxed run (what needs the zygote); :meth:`score` does the
        rest, so that a batch can score one submission while the next one runs."""
        start = time.perf_counter()
        result = GradingResults(
            assignment=self.config.name, submission=sub.name, student_id=sub.student_id,
            source=sub.source, sha256=sub.sha256, status="graded",
            max_score=self.config.max_score, isolation=zygote.level, device=self.device,
            grader_version=GRADER_VERSION, fixtures=self.fixtures.fingerprint,
            submitted_at=sub.submitted_at)
        result.message = sub.note  # what ingestion assumed or changed; kept by score()
        try:
            data = sub.data  # read now (a zip member); may set sub.error
            if sub.error:
                raise NotebookError(sub.error)
            cells = code_cells(data)
        except NotebookError as e:
            return Ran(result, None, str(e), time.perf_counter() - start)
        except Exception as e:  # noqa: BLE001 - a notebook no reader expected
            return Ran(result, None, f"unreadable notebook: {_reason(e)}",
                       time.perf_counter() - start)
        try:
            run = session.run_job(zygote, self.parsed_job(cells), self.limits)
        except Exception as e:  # noqa: BLE001 - contained to this submission
            # what this submission holds could not be sent to the sandbox (e.g. a cell longer
            # than the wire allows): its own row says so; the batch goes on
            return Ran(result, None, f"could not be graded: {_reason(e)}",
                       time.perf_counter() - start)
        return Ran(result, run, "", time.perf_counter() - start, cells)

    def score(self, ran: "Ran") -> tuple[GradingResults, str]:
        """Verdicts and points for a run; a run whose output cannot be scored gives an
        ``error`` result with the reason, never an exception."""
        try:
            result, log = self._score_run(ran)
        except Exception as e:  # noqa: BLE001 - contained to this submission
            result = ran.result
            result.status, result.message = "error", f"could not be scored: {_reason(e)}"
            result.questions = self._unscored("not graded: its results could not be scored")
            log = ""
        return result.sanitize(), clean(log)

    def _score_run(self, ran: "Ran") -> tuple[GradingResults, str]:
        start = time.perf_counter()
        result, run = ran.result, ran.run
        note = result.message
        if run is None:
            result.status, result.message = "error", "; ".join(filter(None, [ran.error, note]))
            result.questions = self._score({}, reason=f"not graded: {ran.error}")
            result.seconds = ran.seconds + time.perf_counter() - start
            return result, ""
        reports = {(m.get("question"), m.get("case")): m
                   for m in run.messages if m.get("kind") == "case"}
        result.status, result.message, reason = _run_status(run, self.limits)
        notes = _cell_notes(run, ran.cells)
        result.message = "; ".join(filter(None, [result.message, notes, note]))
        # cells named as the student finds them, not by their index
        result.message = name_cells(result.message, ran.cells)
        result.questions = self._score(reports, reason, ran.cells)
        result.seconds = ran.seconds + time.perf_counter() - start
        log = run.output.decode("utf-8", "replace")
        if run.output_truncated:
            log += "\n[output truncated]"
        return result, log

    def _unscored(self, reason: str) -> list[QuestionResult]:
        """Every case failed with ``reason``, without looking at any report."""
        return [QuestionResult(q.name, 0.0, q.points, [
            TestCaseResult(question=q.name, name=case.name, score=0.0, max_score=case.points,
                           hidden=case.hidden, passed=False, message=reason)
            for case in self.fixtures.for_question(q.name)]) for q in self.config.questions]

    # -- last step: verdicts and points
    def _score(self, reports: dict[tuple[Any, Any], dict], reason: str,
               cells: list[str] | tuple[str, ...] = ()) -> list[QuestionResult]:
        questions = []
        for q in self.config.questions:
            qr = QuestionResult(q.name, 0.0, q.points)
            for case in self.fixtures.for_question(q.name):
                report = reports.get((q.name, case.name))
                verdict = _verdict(case, report, reason, cells)
                score = case.points if verdict.passed else 0.0
                qr.cases.append(TestCaseResult(
                    question=q.name, name=case.name, score=score, max_score=case.points,
                    hidden=case.hidden, passed=verdict.passed, message=verdict.message,
                    seconds=float((report or {}).get("seconds", 0.0) or 0.0)))
            # all cases passed gives exactly the question's points; else their exact sum
            qr.score = q.points if all(c.passed for c in qr.cases) else \
                points.total(c.score for c in qr.cases)
            questions.append(qr)
        return questions


@dataclass
class Ran:
    """A submission between :meth:`Grader.run` and :meth:`Grader.score`: its results so far,
    and the sandbox's output (None when the notebook could not be read: ``error`` says why)."""

    result: GradingResults
    run: RunOutput | None
    error: str
    seconds: float
    cells: list[str] = field(default_factory=list)  # the notebook's code cells, as run


def _run_status(run: RunOutput, limits: Limits) -> tuple[str, str, str]:
    """(status, message, why a case has no report) for a finished run."""
    done = any(m.get("kind") == "done" for m in run.messages)
    incidents = list(run.incidents)
    if run.setup_error:
        return "crashed", f"the sandbox could not be set up ({run.setup_error})", \
            "not run: the sandbox could not be set up"
    if run.zygote_died:
        return "crashed", "the grading worker died during this submission", "not run: worker died"
    if run.timed_out:
        msg = f"CPU time limit of {limits.wall_seconds:g} s reached" \
            if run.timeout_limit == "cpu" else \
            (f"wall-clock backstop of {limits.wall(limits.wall_seconds):g} s reached (the "
             f"submission's CPU time limit is {limits.wall_seconds:g} s)")
        return "timeout", "; ".join([msg, *(m for _, m in incidents)])[:4000], f"not run: {msg}"
    if run.wire_error:
        return "crashed", f"malformed output from the submission ({run.wire_error})", \
            "no valid result"
    if done:
        if incidents:  # limits hit or crashes, each costing only its own cases
            return incidents[0][0], "; ".join(m for _, m in incidents)[:4000], "no result"
        return "graded", "", "no result"
    if run.signal:
        how = f"killed by signal {run.signal}"
    elif run.exit_code is not None:
        how = f"exited with code {run.exit_code}"
    else:
        how = "ended"
    if any(m.get("error_type") == "MemoryError" for m in run.messages):
        return "memory", f"out of memory ({how})", "not run: out of memory"
    return "crashed", f"the submission's process {how} before it finished", \
        f"not run: the process {how}"


def _cell_notes(run: RunOutput, cells: list[str] | tuple[str, ...] = ()) -> str:
    for m in run.messages:
        if m.get("kind") == "loaded":
            if m.get("timeout"):
                return "loading the notebook's definitions hit its time limit"
            errors = [_cell_error(c, cells) for c in m.get("cells", [])
                      if isinstance(c, dict) and c.get("error_type")]
            return "; ".join(errors[:5])
    return ""


def _cell_error(entry: dict, cells: list[str] | tuple[str, ...]) -> str:
    """``the cell that defines `f` raised NameError: ... (line 3)``."""
    place = PLACE.fullmatch(entry.get("where") or "")
    line = int(place.group(2)) if place and int(place.group(1)) == entry["cell"] else None
    suffix = f" (line {line})" if line else \
        (f" ({name_cells(entry['where'], cells)})" if entry.get("where") else "")
    return (f"{cell_label(cells, entry['cell'], line)} raised {entry['error_type']}: "
            f"{entry['error_message']}{suffix}")


def _verdict(case: FixtureCase, report: dict | None, reason: str,
             cells: list[str] | tuple[str, ...] = ()) -> Verdict:
    fn = f"`{case.spec}`"
    if report is None:
        return Verdict(False, reason)
    status = report.get("status")
    if status == "undefined":
        return Verdict(False, f"{fn} is not defined (check the name, and that its cell runs)")
    if status == "not_callable":
        return Verdict(False, f"{fn} is a {report.get('type', '?')}, not a function or class")
    if status == "timeout":
        if report.get("skipped"):
            return Verdict(False, f"{fn} not called again: an earlier case hit the time limit")
        if report.get("limit") == "wall":
            return Verdict(False, f"{fn} was stopped by the wall-clock backstop of its time "
                                  f"limit (it sleeps or waits)")
        return Verdict(False, f"{fn} did not finish within its CPU time limit")
    if status == "error":
        if case.hidden:  # its type, message and line could each encode the hidden input
            return Verdict(False, f"{fn} raised an exception")
        where = f" ({name_cells(report['where'], cells)})" if report.get("where") else ""
        return Verdict(False, f"{fn} raised {report.get('error_type')}: "
                              f"{report.get('error_message')}{where}")
    if status == "unencodable":
        if case.hidden:
            return Verdict(False, f"{fn} returned a value that cannot be graded")
        return Verdict(False, f"{fn} returned a value that cannot be graded: "
                              f"{report.get('error_message')}")
    if status != "returned" or "value" not in report:
        return Verdict(False, f"{fn}: malformed report from the submission")
    value = report["value"]
    changed = report.get("changed_inputs")
    if changed and not get_spec(case.spec).in_place:
        # positions of the arguments only: they are the function's signature, never a value
        where = ", ".join(str(c) for c in list(changed)[:4])
        return Verdict(False, f"{fn} changed its input {where} in place; work on a copy "
                              f"(e.g. `.clone()`) and leave the caller's tensors as they were")
    if case.grad_wrt:
        return _compare_with_gradient(value, case, fn)
    if case.call == "outcome":
        spec = get_spec(case.spec)
        assert spec.judge is not None
        ok, message = spec.judge(value, Case(name=case.name, secret=case.secret))
        return Verdict(bool(ok), f"{fn}: {message}" if message else "")
    return compare(value, case.expected, fn, case)


def _compare_with_gradient(wrapped: Any, case: FixtureCase, fn: str) -> Verdict:
    """The value, then its gradient in the arguments the lecture trains through (the sandbox
    wraps both: ``{"value", "grads"}``)."""
    if not isinstance(wrapped, dict) or set(wrapped) != {"value", "grads"}:
        return Verdict(False, f"{fn}: malformed report from the submission")
    verdict = compare(wrapped["value"], case.expected, fn, case)
    if not verdict.passed:
        return verdict
    names = ", ".join(f"argument {i + 1}" for i in case.grad_wrt)
    if wrapped["grads"] is None:
        return Verdict(False, f"{fn} is right but not differentiable in {names}: the result "
                              f"must keep its graph (e.g. create_graph=True), since training "
                              f"goes through it")
    return compare(list(wrapped["grads"]), list(case.expected_grads), f"{fn}'s gradient", case)


def _reason(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error)[:300]}"


def with_limits(grader: Grader, **changes: Any) -> Grader:
    return replace(grader, limits=replace(grader.limits, **changes))
