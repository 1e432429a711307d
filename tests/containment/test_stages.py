"""Each grading stage confines a failure to the submission that caused it: the submission gets a
row with status ``error`` and the reason; nothing is raised to the batch."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from autograder.grade import pipeline
from autograder.grade.batch import Sink
from autograder.grade.pipeline import Grader
from autograder.grade.store import ResultStore
from autograder.gradebook.samples import make_result
from autograder.ingest import Submission
from autograder.sandbox.session import RunOutput
from autograder.wire import WireError

from ..conftest import write_solved


@pytest.fixture(scope="module")
def grader(course, built):
    return Grader.for_assignment(course.config("hw1"), built("hw1"))


@pytest.fixture(scope="module")
def solved(course, tmp_path_factory):
    return write_solved(course, "hw1", tmp_path_factory.mktemp("nb") / "hw1.ipynb").read_bytes()


def _sub(data: bytes, name: str = "s1") -> Submission:
    return Submission(name, name, f"/subs/{name}.ipynb", data)


def _finished_run(**changes):
    return RunOutput(done=True, output=b"\x1b[2Jprinted \xed\xa0\x80", exit_code=0,
                     **changes)


def _ran(grader, sub, monkeypatch, run=None, error=None):
    """What :meth:`Grader.run` gives when the sandbox session returns ``run`` or raises
    ``error``."""
    def run_job(zygote, job, limits):
        if error is not None:
            raise error
        return run

    monkeypatch.setattr(pipeline.session, "run_job", run_job)
    return grader.run(sub, SimpleNamespace(level="process"))


def test_a_job_the_wire_refuses_is_that_submissions_error(grader, solved, monkeypatch):
    """A cell between 100,000 characters and 1 MiB passed ingestion, and the wire's refusal
    used to escape the batch (no gradebook.csv at all)."""
    ran = _ran(grader, _sub(solved), monkeypatch,
               error=WireError("string longer than 100000 characters", "string"))
    result, log = grader.score(ran)
    assert result.status == "error" and "could not be graded" in result.message
    assert "100000" in result.message and result.score == 0
    assert [q.name for q in result.questions] == [q.name for q in grader.config.questions]


def test_a_notebook_no_reader_expected_is_that_submissions_error(grader, monkeypatch):
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [{"cell_type": "code", "source": {"a": [1, None]}, "metadata": {}}]}
    ran = _ran(grader, _sub(json.dumps(nb).encode()), monkeypatch, run=_finished_run())
    result, _ = grader.score(ran)
    assert result.status == "error" and result.message


def test_a_run_that_cannot_be_scored_is_that_submissions_error(grader, solved, monkeypatch):
    def broken(case, report, reason, cells):
        raise KeyError("a report no check expected")

    ran = _ran(grader, _sub(solved), monkeypatch, run=_finished_run())
    monkeypatch.setattr(pipeline, "verdict", broken)
    result, log = grader.score(ran)
    assert result.status == "error" and "could not be scored" in result.message
    assert log == ""


def test_the_instructor_log_is_stored_as_plain_text(grader, solved, monkeypatch):
    _, log = grader.score(_ran(grader, _sub(solved), monkeypatch, run=_finished_run()))
    assert log == "printed \ufffd\ufffd\ufffd"


class RefusingStore(ResultStore):
    """A store that refuses one submission's result (as a database refuses a value)."""

    def put(self, result, replace=False):
        if result.submission == "refused" and result.status != "error":
            raise ValueError("the database refused a value")
        return super().put(result, replace)


def test_a_result_the_store_refuses_is_kept_as_an_error_row(tmp_path):
    store = RefusingStore(f"sqlite:///{tmp_path / 'r.sqlite'}")
    seen = []
    sink = Sink(tmp_path, store, lambda r, reused: seen.append((r.submission, r.status)))
    sink.graded(make_result("a", 1.0, submission="refused"), "log")
    sink.graded(make_result("b", 1.0, submission="fine"), "log")
    assert seen == [("refused", "error"), ("fine", "graded")]
    stored = {r.submission: r for r in store.latest("hw1")}
    assert stored["refused"].status == "error"
    assert "could not be stored" in stored["refused"].message
    written = json.loads((tmp_path / "results" / "refused.json").read_text())
    assert "could not be stored" in written["output"]
    store.close()
