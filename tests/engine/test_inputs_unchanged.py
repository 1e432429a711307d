"""A graded call must leave its inputs as it found them (unless its spec works in place): the
sandbox compares a copy of every input tensor after the call, the session keeps only well-formed
labels of what changed, and the grader fails the case naming the argument, never a value."""
from __future__ import annotations

import dataclasses

import torch

from autograder import wire
from autograder.fixtures import FixtureCase
from autograder.grade import checks
from autograder.sandbox import reports
from autograder.sandbox.reports import CaseReport, Status
from autograder.sandbox.worker import calls as harness
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
    assert reports._changed_inputs(raw) == ("args[0]", "kwargs['mask']", "args[1][2]")
    assert reports._changed_inputs("args[0]") == () and reports._changed_inputs(None) == ()
    report = CaseReport.from_child({"status": "returned", "value": 1, "changed_inputs": raw},
                                   "q", "c", True, 0.0, [])
    assert report.changed_inputs == ("args[0]", "kwargs['mask']", "args[1][2]")


def _case(hidden: bool) -> FixtureCase:
    return FixtureCase(question="q8", spec="bert_mask_tokens", name="bert_mask_tokens/a",
                       call="function", hidden=hidden, points=1.0, rtol=0.0, atol=0.0,
                       exact_dtype=False, inputs={}, expected=(torch.ones(2), torch.zeros(2)))


def test_a_right_value_from_a_call_that_changed_its_input_fails(monkeypatch):
    value = (torch.ones(2), torch.zeros(2))
    clean = CaseReport("q8", "bert_mask_tokens/a", Status.RETURNED, value=value)
    changed = dataclasses.replace(clean, changed_inputs=("args[0]",))
    assert checks.verdict(_case(True), clean, "").passed
    for hidden in (False, True):
        verdict = checks.verdict(_case(hidden), changed, "")
        assert not verdict.passed
        assert "`bert_mask_tokens` changed its input args[0] in place" in verdict.message
    # a spec whose contract is to work in place keeps the case
    in_place = dataclasses.replace(get_spec("bert_mask_tokens"), in_place=True)
    monkeypatch.setattr(checks, "get_spec", lambda name: in_place)
    assert checks.verdict(_case(True), changed, "").passed


# ---------------------------------------------------------------- gradients the lecture needs
GP_SOURCES = """
def kept(x_real, x_fake, eps, w1, b1, w2):
    x = (eps[:, None] * x_real + (1 - eps[:, None]) * x_fake).detach().requires_grad_(True)
    with torch.enable_grad():
        s = torch.tanh(x @ w1.T + b1) @ w2
        (g,) = torch.autograd.grad(s.sum(), x, create_graph=True)
    return ((g.norm(dim=1) - 1) ** 2).mean()
def dropped(x_real, x_fake, eps, w1, b1, w2):
    x = (eps[:, None] * x_real + (1 - eps[:, None]) * x_fake).detach().requires_grad_(True)
    with torch.enable_grad():
        s = torch.tanh(x @ w1.T + b1) @ w2
        (g,) = torch.autograd.grad(s.sum(), x)
    return ((g.norm(dim=1) - 1) ** 2).mean()
"""


def _gp_case():
    spec = get_spec("gradient_penalty")
    assert spec.grad_wrt == (3, 4, 5)
    case = spec.cases(1)[1]
    return FixtureCase(question="q5", spec=spec.name, name=f"{spec.name}/{case.name}",
                       call="function", hidden=True, points=1.0, rtol=1e-5, atol=1e-6,
                       exact_dtype=False, inputs={"args": case.args, "kwargs": case.kwargs},
                       expected=spec.expected(case), grad_wrt=spec.grad_wrt,
                       expected_grads=spec.expected_grads(case))


def _graded(name: str, case: FixtureCase):
    namespace: dict = {"torch": torch}
    exec(GP_SOURCES, namespace)
    report, encoded = harness.run_case(namespace, name, "function", case.student_view(), "cpu",
                                       10)
    report["value"] = wire.decode(*encoded)  # as the session hands it on
    report = CaseReport.from_child(report, case.question, case.name, case.hidden, 0.0, [])
    return report, checks.verdict(case, report, "")


def test_a_penalty_that_keeps_its_graph_passes_and_one_that_drops_it_fails():
    case = _gp_case()
    assert all(g.abs().sum() > 0 for g in case.expected_grads)  # the weights matter
    report, verdict = _graded("kept", case)
    assert verdict.passed, verdict.message
    assert len(report.value["grads"]) == 3
    report, verdict = _graded("dropped", case)
    assert torch.allclose(report.value["value"], case.expected)  # the right value...
    assert report.value["grads"] is None and not verdict.passed  # ...and no gradient
    assert "cannot backpropagate through it to `w1`, `b1`, `w2`" in verdict.message


def test_a_wrong_gradient_fails_and_a_forged_report_is_malformed():
    case = _gp_case()
    wrong = {"value": case.expected, "grads": [2 * g for g in case.expected_grads]}
    returned = CaseReport(case.question, case.name, Status.RETURNED, value=wrong)
    verdict = checks.verdict(case, returned, "")
    assert not verdict.passed and "gradient" in verdict.message
    verdict = checks.verdict(case, dataclasses.replace(returned, value=case.expected), "")
    assert not verdict.passed and "malformed" in verdict.message


def test_the_harness_ignores_a_grad_request_it_cannot_serve():
    assert harness._grad_leaves((torch.ones(2),), [3]) is None
    assert harness._grad_leaves((torch.ones(2, dtype=torch.long),), [0]) is None
    assert harness._grad_leaves((torch.ones(2),), "0") is None
    args, leaves = harness._grad_leaves((torch.ones(2), torch.ones(3)), [1])
    assert leaves[0].requires_grad and not args[0].requires_grad

