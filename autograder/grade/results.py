"""Grading results as small dataclasses, and their Gradescope ``results.json`` form."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from . import points
from ..textsafe import INVALID_NOTE, clean_noted

# A submission's status: graded (it ran; cases may still fail), error (nothing could be run:
# not a notebook, unreadable, ...), timeout (the whole run hit its wall clock), crashed (the
# process died before it finished), memory (it ran out of memory).
STATUSES = ("graded", "error", "timeout", "crashed", "memory")


@dataclass
class TestCaseResult:
    question: str
    name: str
    score: float
    max_score: float
    hidden: bool
    passed: bool
    message: str = ""  # safe to show the student: never a hidden input or expected value
    seconds: float = 0.0

    @property
    def visibility(self) -> str:
        return "after_due_date" if self.hidden else "visible"

    @property
    def shown_seconds(self) -> float:
        """The time this case took, as it may be shown: to the 0.1 ms for a public case; in
        whole seconds for a hidden one (code that times itself by the hidden input would
        otherwise read it back in its own results)."""
        return float(round(self.seconds)) if self.hidden else round(self.seconds, 4)


@dataclass
class QuestionResult:
    name: str
    score: float
    max_score: float
    cases: list[TestCaseResult] = field(default_factory=list)


@dataclass
class GradingResults:
    assignment: str
    submission: str  # unique name of the submission within a grading run
    student_id: str
    source: str  # where it came from: a path, or path!member for a zip
    sha256: str
    status: str
    message: str = ""
    questions: list[QuestionResult] = field(default_factory=list)
    max_score: float = 0.0
    seconds: float = 0.0
    isolation: str = ""
    device: str = "cpu"
    grader_version: str = ""
    fixtures: str = ""  # fingerprint of the fixtures it was graded against
    # when the student submitted, ISO 8601, from ingestion (Gradescope export, file mtime, zip
    # entry time); no UTC offset means course-local time; "" when unknown (Canvas bulk zips)
    submitted_at: str = ""

    def __post_init__(self) -> None:
        assert self.status in STATUSES, self.status
        self.sanitize()

    def sanitize(self) -> "GradingResults":
        """Make every text a submission controls safe to store and show (valid UTF-8, no
        control characters: :func:`autograder.textsafe.clean`), in place; if text that was not
        valid Unicode had to be replaced, the message says so."""
        invalid = False
        for name in _STUDENT_TEXT:
            text, bad = clean_noted(getattr(self, name))
            setattr(self, name, text)
            invalid |= bad
        for q in self.questions:
            for c in q.cases:
                c.message, bad = clean_noted(c.message)
                invalid |= bad
        if invalid and INVALID_NOTE not in self.message:
            self.message = "; ".join(filter(None, [self.message, INVALID_NOTE]))
        return self

    @property
    def score(self) -> float:
        """The exact sum of the case points, rounded once (a question without cases counts
        with its own score)."""
        return points.total(x for q in self.questions
                            for x in ([c.score for c in q.cases] if q.cases else [q.score]))

    def metadata(self) -> dict[str, Any]:
        """Every field but the questions."""
        return {name: getattr(self, name) for name in _METADATA}

    def to_dict(self) -> dict[str, Any]:
        # (dataclasses.asdict deep-copies field by field through reflection: ten times slower,
        # once per graded submission)
        questions = [{"name": q.name, "score": q.score, "max_score": q.max_score,
                      "cases": [{name: getattr(c, name) for name in _CASE_FIELDS}
                                for c in q.cases]}
                     for q in self.questions]
        return {name: questions if name == "questions" else getattr(self, name)
                for name in _FIELDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "GradingResults":
        data = dict(data)
        data["questions"] = [
            QuestionResult(**{**q, "cases": [TestCaseResult(**c) for c in q["cases"]]})
            for q in data.get("questions", [])]
        return cls(**data)

    def to_gradescope(self) -> dict[str, Any]:
        """Gradescope's results.json, in its documented format (``score``,
        ``execution_time``, ``output``, ``visibility``, ``stdout_visibility``, ``tests``,
        ``extra_data``; per test ``name``, ``score``, ``max_score``, ``status``,
        ``visibility``, ``output``, ``extra_data``): the assignment's maximum is the sum of the
        tests' ``max_score``; our own metadata, the maximum included, is under
        ``extra_data``."""
        tests = []
        for q in self.questions:
            for c in q.cases:
                tests.append({
                    "name": f"{q.name}: {c.name}", "score": c.score, "max_score": c.max_score,
                    "visibility": c.visibility, "status": "passed" if c.passed else "failed",
                    "output": c.message,
                    "extra_data": {"hidden": c.hidden, "seconds": c.shown_seconds}})
        return {
            "score": self.score,
            "execution_time": round(self.seconds, 3),
            "output": self.message or f"{self.status}: {self.score:g}/{self.max_score:g}",
            "visibility": "visible", "stdout_visibility": "hidden", "tests": tests,
            "extra_data": self.metadata(),
        }

    @classmethod
    def from_gradescope(cls, data: dict[str, Any]) -> "GradingResults":
        """Inverse of :meth:`to_gradescope`."""
        meta = dict(data["extra_data"])
        meta.pop("score", None)
        questions: dict[str, QuestionResult] = {}
        for t in data["tests"]:
            qname, _, cname = t["name"].partition(": ")
            q = questions.setdefault(qname, QuestionResult(qname, 0.0, 0.0))
            q.cases.append(TestCaseResult(
                question=qname, name=cname, score=t["score"], max_score=t["max_score"],
                hidden=t["extra_data"]["hidden"], passed=t["status"] == "passed",
                message=t.get("output", ""), seconds=t["extra_data"]["seconds"]))
        for q in questions.values():  # each sum rounded once, not case by case
            q.score = points.total(c.score for c in q.cases)
            q.max_score = points.total(c.max_score for c in q.cases)
        meta["questions"] = list(questions.values())
        return cls(**meta)


_FIELDS = tuple(f.name for f in fields(GradingResults))
_METADATA = tuple(name for name in _FIELDS if name != "questions")
_CASE_FIELDS = tuple(f.name for f in fields(TestCaseResult))
# the fields whose text comes from the submission: its file name, its path, its messages
_STUDENT_TEXT = ("submission", "student_id", "source", "message", "submitted_at")
