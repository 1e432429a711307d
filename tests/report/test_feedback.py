"""Student feedback: what it shows, and that no hidden input or expected value ever reaches it.

The leak test is generic: for every assignment of the course whose fixtures can be built, each
hidden case is failed in several ways (wrong values, wrong shape, an exception whose message
echoes the inputs), the verdicts come from the real grading code (``checks.verdict``), the
feedback is rendered in HTML and Markdown, and every number of the hidden inputs, expected
values and secrets is looked for in the text: in the usual printed forms (``repr``, fixed and
general formats at several precisions, ``str(tensor)``) and by value (any printed number that
rounds to a hidden value at its own precision).
"""
from __future__ import annotations

import bisect
import math
import re
import struct
from functools import partial

import pytest
import torch

from autograder.fixtures import FixtureCase
from autograder.grade.checks import Verdict, verdict
from autograder.grade.results import GradingResults, QuestionResult
from autograder.grade.results import TestCaseResult as CaseResult
from autograder.gradebook.samples import make_result
from autograder.report.feedback import render_feedback, safe_message
from autograder.sandbox.reports import CaseReport, Status

TOKEN = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w])")
SAMPLE = 48  # numbers taken from each tensor: the first ones, plus its min and max


# ------------------------------------------------------------------ what the pages show


def test_feedback_pages_show_points_messages_and_time():
    r = make_result("s1", 0.5, seconds=2.0, submitted_at="2026-02-19T10:00:00+08:00")
    r.questions[1] = make_result("s1", 0.0, seconds=2.0).questions[1]  # q2: both cases fail
    html = render_feedback(r, "html", course="Course", title="Assignment 1",
                           student={"name": "Ann <b>"})
    md = render_feedback(r, "md", title="Assignment 1")
    for text in (html, md):
        assert "q1" in text and "q2" in text
        assert "q1: 1 / 2" in text and "q2: 0 / 3" in text  # question points
        assert "`q2_fn` returned 1.0, expected 2.0" in text.replace("\\`", "`")  # public case
        assert "do not match the reference within tolerance" in text  # hidden: names it
        assert "500 ms" in text  # time per case
        assert "2026-02-19 10:00 +08:00" in text
    assert "Ann &lt;b&gt;" in html and "<b>" not in html.split("<body>")[1].split("</header>")[0]
    assert html.count("✗ failed") == 3 and html.count("✓ passed") == 1
    assert md.count("| hidden |") == 2


def test_feedback_says_why_nothing_ran():
    r = make_result("s1", 0.0, status="error", message="not a notebook: invalid JSON")
    html = render_feedback(r, "html")
    assert "Status: error" in html and "not a notebook: invalid JSON" in html


def test_safe_message_blanks_numbers_of_hidden_cases_only():
    hidden = CaseResult("q1", "f/hidden", 0, 1, True, False,
                            "`f` returned 0.12345 where 2.5e-07 was expected (rtol=1e-05, "
                            "atol=1e-06); shape (4, 16), line 12; id 123456")
    assert safe_message(hidden) == ("`f` returned … where … was expected (rtol=1e-05, "
                                    "atol=1e-06); shape (4, 16), line 12; id …")
    public = CaseResult("q1", "f/public", 0, 1, False, False, "got 0.12345, expected 0.5")
    assert safe_message(public) == "got 0.12345, expected 0.5"


# ------------------------------------------------------------------ no hidden value leaks


def _numbers(value, out: list[float]) -> None:
    if isinstance(value, torch.Tensor):
        if value.is_complex() or value.numel() == 0:
            return
        flat = value.detach().flatten().double()
        picked = flat[:SAMPLE].tolist() + [flat.min().item(), flat.max().item()]
        out.extend(x for x in picked if math.isfinite(x))
    elif isinstance(value, bool) or value is None or isinstance(value, str):
        return
    elif isinstance(value, (int, float)):
        if math.isfinite(value):
            out.append(float(value))
    elif isinstance(value, (list, tuple)):
        for v in value:
            _numbers(v, out)
    elif isinstance(value, dict):
        for v in value.values():
            _numbers(v, out)


def _significant(text: str) -> int:
    mantissa = re.split(r"[eE]", text.lstrip("+-"))[0].replace(".", "")
    return len(mantissa.strip("0"))


def _forms(x: float) -> set[str]:
    """The ways a hidden number is usually printed, keeping those distinctive enough to look
    for (at least 4 significant digits; integers from 10000 up)."""
    if float(x).is_integer():
        return {str(int(x))} if abs(x) >= 10_000 else set()
    as_float32 = struct.unpack("f", struct.pack("f", x))[0] if abs(x) < 3e38 else x
    forms = {repr(x), repr(as_float32), str(x)}
    # str(tensor) prints 4 decimals, or 4 in scientific notation for very small/large values
    for digits in (4, 5, 6, 8):
        forms |= {f"{x:.{digits}f}", f"{x:.{digits}g}", f"{x:.{digits - 1}e}",
                  f"{x:.{digits}e}"}
    return {f.lstrip("+-") for f in forms if _significant(f) >= 4}


class LeakFinder:
    """Finds printed numbers in a text that are (a printed form of) one of ``hidden``."""

    def __init__(self, hidden: list[float]) -> None:
        unique = set(hidden)
        self.forms: dict[str, float] = {}
        for x in unique:
            for f in _forms(x):
                self.forms[f] = x
        self.values = sorted({abs(x) for x in unique if not float(x).is_integer()})

    def __call__(self, text: str) -> list[str]:
        tokens = {t.lstrip("+-") for t in TOKEN.findall(text)}
        leaks = [f"{t} (form of {self.forms[t]!r})" for t in tokens if t in self.forms]
        for t in tokens:  # by value: a number that rounds to a hidden one at its own precision
            if _significant(t) < 4 or not any(c in t for c in ".eE"):
                continue
            mantissa, _, exponent = t.lower().partition("e")
            decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
            half = 0.5 * 10.0 ** (int(exponent or 0) - decimals) * (1 + 1e-9)
            value = float(t)
            near = self.values[bisect.bisect_left(self.values, value - half):
                               bisect.bisect_right(self.values, value + half)]
            leaks += [f"{t} (≈ {v!r})" for v in near]
        return sorted(set(leaks))


def find_leaks(text: str, hidden: list[float]) -> list[str]:
    return LeakFinder(hidden)(text)


def _perturbed(value):
    if isinstance(value, torch.Tensor):
        if value.dtype == torch.bool:
            return ~value
        if value.is_floating_point() or value.is_complex():
            return value * 1.37 + 0.011
        return value + 1
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value * 1.37 + 0.011
    if isinstance(value, (list, tuple)):
        return type(value)(_perturbed(v) for v in value)
    if isinstance(value, dict):
        return {k: _perturbed(v) for k, v in value.items()}
    return value


def _wrong_shape(value):
    if isinstance(value, torch.Tensor):
        return torch.cat([value.flatten(), value.flatten()[:1]]) if value.numel() else \
            torch.zeros(3)
    if isinstance(value, (list, tuple)) and value:
        return type(value)([_wrong_shape(value[0]), *value[1:]])
    return value


def _failing_report(case: FixtureCase, mode: int) -> CaseReport:
    """A report of a failed call: an exception echoing the inputs (kept, as if validation had
    let it through), a timeout, wrong values, a wrong shape (an outcome spec gets None instead
    of the last two)."""
    report = partial(CaseReport, case.question, case.name)
    if mode == 0:
        echo = f"bad input {case.inputs!r} expected {case.expected!r} secret {case.secret!r}"
        return report(Status.ERROR, error_type="ValueError", error_message=echo[:5000],
                      where="cell 3, line 4")
    if mode == 1:
        return report(Status.TIMEOUT)
    if case.call == "outcome":
        return report(Status.RETURNED, value=None)
    if mode == 2:
        return report(Status.RETURNED, value=_perturbed(case.expected))
    return report(Status.RETURNED, value=_wrong_shape(case.expected))


def _feedback_texts(assignment: str, cases: list[FixtureCase]) -> list[str]:
    """Feedback (HTML and Markdown) for submissions that fail every hidden case, in each way."""
    texts = []
    for mode in range(4):
        questions: dict[str, QuestionResult] = {}
        for case in cases:
            q = questions.setdefault(case.question, QuestionResult(case.question, 0.0, 0.0))
            if case.hidden:
                try:
                    found = verdict(case, _failing_report(case, mode), "no result")
                except Exception as e:  # noqa: BLE001 - a judge that cannot take None
                    found = Verdict(False, f"judge raised {type(e).__name__}")
                passed, message = False, found.message
            else:
                passed, message = True, ""
            q.cases.append(CaseResult(case.question, case.name, case.points if passed
                                          else 0.0, case.points, case.hidden, passed, message,
                                          0.01))
            q.max_score += case.points
        result = GradingResults(assignment=assignment, submission=f"failing-{mode}",
                                student_id="s1", source="x.ipynb", sha256="0" * 64,
                                status="graded", questions=list(questions.values()),
                                max_score=sum(q.max_score for q in questions.values()),
                                seconds=1.0, grader_version="test", fixtures="a" * 64)
        texts += [render_feedback(result, "html", title=assignment),
                  render_feedback(result, "md", title=assignment)]
    return texts


def _assert_no_leaks(assignment: str, cases: list[FixtureCase]) -> int:
    hidden = [c for c in cases if c.hidden]
    numbers: list[float] = []
    for case in hidden:
        _numbers([case.inputs.get("args"), case.inputs.get("kwargs"), case.inputs.get("init"),
                  case.inputs.get("state"), case.expected, case.secret], numbers)
    texts = _feedback_texts(assignment, cases)
    find = LeakFinder(numbers)
    for text in texts:
        leaks = find(text)
        assert not leaks, f"{assignment}: hidden values in feedback: {leaks[:10]}"
    return len(hidden)


def _toy_cases() -> list[FixtureCase]:
    x = torch.tensor([[0.1234567, -2.3456789], [3.4567891, 45678.9]])
    common = dict(call="function", points=1.0, rtol=1e-5, atol=1e-6, exact_dtype=False)
    return [
        FixtureCase(question="q1", spec="f", name="f/public", hidden=False,
                    inputs={"args": (torch.ones(2),), "kwargs": {}}, expected=torch.ones(2),
                    **common),
        FixtureCase(question="q1", spec="f", name="f/hidden", hidden=True,
                    inputs={"args": (x,), "kwargs": {"scale": 0.98765432}},
                    expected=x.softmax(-1), **common),
        FixtureCase(question="q2", spec="g", name="g/hidden_number", hidden=True,
                    inputs={"args": (1.2345678, 98765), "kwargs": {}}, expected=0.7654321,
                    **common),
        FixtureCase(question="q2", spec="g", name="g/hidden_tuple", hidden=True,
                    inputs={"args": ([0.31415926, 2.7182818],), "kwargs": {}},
                    expected=(torch.tensor([1.6180339]), {"k": 0.5772156}), **common),
    ]


def test_the_leak_detector_finds_leaks():
    hidden = [0.1234567, 45678.9, 0.7654321]
    assert find_leaks("got 0.1235 and 45678.9", hidden)
    assert find_leaks("tensor([0.1235, 7.0000])", hidden)
    assert find_leaks("expected 7.654e-01", hidden)
    assert not find_leaks("rtol=1e-05, atol=1e-06, 0.5 points, 375 ms, shape (4, 16)", hidden)


def test_no_hidden_values_in_feedback_for_a_synthetic_assignment():
    assert _assert_no_leaks("toy", _toy_cases()) == 3


def test_no_hidden_values_in_feedback_for_every_built_assignment(course, built):
    assignments = course.assignments()
    assert {"hw1", "hw2", "hw3", "hw4", "hw5"} <= set(assignments), assignments
    for hw in assignments:
        _assert_no_leaks(hw, built(hw).cases)
