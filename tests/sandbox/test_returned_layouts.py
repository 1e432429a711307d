"""Values in layouts the grader does not compare directly: a sparse result is densified and
graded by its values; a nested tensor is a clean "cannot be graded" for its own case, and the
process goes on with the next one (it used to end the harness, exit code 70)."""
from __future__ import annotations

import pytest
import torch

from autograder.sandbox import isolation, session
from autograder.sandbox.client import Zygote
from autograder.sandbox.limits import Limits
from autograder.sandbox.reports import Status

CELL = '''
import torch
def sparse():
    return torch.tensor([[0.0, 2.0], [3.0, 0.0]]).to_sparse()
def csr():
    return torch.tensor([[0.0, 2.0], [3.0, 0.0]]).to_sparse_csr()
def nested():
    return torch.nested.nested_tensor([torch.ones(2), torch.ones(3)])
def after():
    return 7
'''


@pytest.fixture(scope="module")
def out():
    names = ("sparse", "csr", "nested", "after")
    job = session.make_job({
        "cells": [CELL], "device": "cpu", "call_seconds": 20.0,
        "load_seconds": 30.0,
        "questions": [{"question": n, "name": n, "call": "function",
                       "cases": [{"name": f"c{int(h)}", "hidden": h, "args": [],
                                  "kwargs": {}} for h in (False, True)]}
                      for n in names]})
    with Zygote(isolation.resolve("auto")) as z:
        return session.run_job(z, job, Limits())


def reports(out, name):
    return [r for r in out.reports if r.question == name]


@pytest.mark.parametrize("name", ["sparse", "csr"])
def test_a_sparse_result_is_graded_dense(out, name):
    for report in reports(out, name):
        assert report.status is Status.RETURNED
        assert torch.equal(report.value, torch.tensor([[0.0, 2.0], [3.0, 0.0]]))


def test_a_nested_tensor_is_unencodable_and_the_run_goes_on(out):
    for report in reports(out, "nested"):
        assert report.status is Status.UNENCODABLE and report.reason == "nested"
        assert "nested tensor" in report.error_message
    assert [r.value for r in reports(out, "after")] == [7, 7]
    assert out.attempts == 1 and not out.incidents  # no crash, no fresh process
    assert out.done
