"""A graded call must leave its inputs as it found them (unless its spec works in place): the
sandbox compares a copy of every input tensor after the call, the session keeps only well-formed
labels of what changed, and the grader fails the case naming the argument, never a value."""
from __future__ import annotations

import dataclasses

import torch

from autograder.fixtures import FixtureCase
from autograder.grade import pipeline
from autograder.sandbox import session
from autograder.sandbox.worker import harness
from autograder.specs import get_spec


def _run(source: str, name: str, *args, **kwargs) -> dict:
    namespace: dict = {"torch": torch}
    exec(source, namespace)
    report, _ = harness.run_case(namespace, name, "function",
                                 {"args": args, "kwargs": kwargs}, "cpu", 10)
    return report


def test_the_sandbox_names_each_input_changed_in_place():
    src = """
def clobber(x, ws, mask=None):
    x.add_(1)
    ws[1].zero_()
    return x
def pure(x, ws, mask=None):
    return x + ws[0].sum() + ws[1].sum()
def masks(x, ws, mask=None):
    mask[0] = ~mask[0]
    return x
"""
    x, ws = torch.ones(3), [torch.ones(2), torch.ones(2)]
    mask = torch.tensor([True, False])
    assert _run(src, "clobber", x.clone(), [w.clone() for w in ws])["changed_inputs"] == \
        ["args[0]", "args[1][1]"]
    report = _run(src, "pure", x, ws, mask=mask)
    assert report["status"] == "returned" and "changed_inputs" not in report
    assert _run(src, "masks", x, ws, mask=mask.clone())["changed_inputs"] == ["kwargs['mask']"]


def test_nan_inputs_left_alone_are_not_a_change():
    src = "def f(x):\n    return torch.nan_to_num(x)\n"
    report = _run(src, "f", torch.tensor([float("nan"), 1.0]))
    assert report["status"] == "returned" and "changed_inputs" not in report


def test_the_session_keeps_only_the_harness_labels():
    raw = ["args[0]", "kwargs['mask']", "args[1][2]", "<script>", 5, "args[0]; rm", "x"]
    assert session._changed_inputs(raw) == ["args[0]", "kwargs['mask']", "args[1][2]"]
    assert session._changed_inputs("args[0]") == [] and session._changed_inputs(None) == []


def _case(hidden: bool) -> FixtureCase:
    return FixtureCase(question="q8", spec="bert_mask_tokens", name="bert_mask_tokens/a",
                       call="function", hidden=hidden, points=1.0, rtol=0.0, atol=0.0,
                       exact_dtype=False, inputs={}, expected=(torch.ones(2), torch.zeros(2)))


def test_a_right_value_from_a_call_that_changed_its_input_fails(monkeypatch):
    value = (torch.ones(2), torch.zeros(2))
    clean = {"status": "returned", "value": value}
    assert pipeline._verdict(_case(True), clean, "").passed
    for hidden in (False, True):
        verdict = pipeline._verdict(_case(hidden), {**clean, "changed_inputs": ["args[0]"]}, "")
        assert not verdict.passed
        assert "`bert_mask_tokens` changed its input args[0] in place" in verdict.message
    # a spec whose contract is to work in place keeps the case
    in_place = dataclasses.replace(get_spec("bert_mask_tokens"), in_place=True)
    monkeypatch.setattr(pipeline, "get_spec", lambda name: in_place)
    assert pipeline._verdict(_case(True), {**clean, "changed_inputs": ["args[0]"]}, "").passed
