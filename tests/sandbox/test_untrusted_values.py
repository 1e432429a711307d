"""What comes back from a sandbox is data, validated: the wire format refuses what the grader's
checks could choke on, and the session rebuilds every report from validated fields (a typed
CaseReport), showing less for hidden cases."""
from __future__ import annotations

import pytest
import torch

from autograder import wire
from autograder.sandbox import session
from autograder.sandbox.limits import Limits
from autograder.sandbox.reports import Status

CELLS = ["import torch\n", "def f(x):\n    y = x + 1\n    raise ValueError(y)\n"]


def case(hidden: bool) -> session._Case:
    return session._Case(("q1", "f/a"), {"question": "q1", "name": "f", "call": "function"},
                         {"name": "f/a"}, hidden)


@pytest.mark.parametrize("value, code", [
    (10 ** 30, "int"), (torch.zeros(2, dtype=torch.complex64), "dtype"),
    (torch.zeros(2, dtype=torch.uint32), "dtype"), (torch.zeros(2, dtype=torch.float8_e4m3fn),
                                                    "dtype"),
    ([1.0] * (wire.MAX_ITEMS + 1), "many"), ({1: 2}, "key"), (object(), "type")])
def test_values_the_checks_cannot_handle_are_refused_with_a_reason_code(value, code):
    with pytest.raises(wire.WireError) as e:
        wire.encode(value)
    assert e.value.code == code


def test_tensor_size_is_bounded_before_anything_is_copied():
    big = torch.empty(1 << 20)  # 4 MiB
    with pytest.raises(wire.WireError) as e:
        wire.encode([big, big], max_tensor_bytes=6 << 20)
    assert e.value.code == "too_large"
    tree, tensors = wire.encode([big], max_tensor_bytes=6 << 20)
    assert tensors["t0"].data_ptr() != big.data_ptr()  # a copy the student cannot change


def test_a_subclass_with_torch_function_is_stripped_without_running_it():
    calls = []

    class Sneaky(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            calls.append(func)
            return super().__torch_function__(func, types, args, kwargs or {})

    t = torch.arange(3.0).as_subclass(Sneaky)
    calls.clear()
    back = wire.loads(wire.dumps(t))
    assert type(back) is torch.Tensor and back.tolist() == [0.0, 1.0, 2.0] and not calls


def test_forged_messages_decode_to_errors_not_crashes():
    for data in (b"\x00" * 8 + b"\x00" * 8, wire.dumps({"x": 1})[:-1],
                 (5).to_bytes(8, "big") + b"[[[[[" + (0).to_bytes(8, "big"),
                 (4305).to_bytes(8, "big") + b"1" * 4305 + (0).to_bytes(8, "big")):
        with pytest.raises(wire.WireError):
            wire.loads(data)


def test_hidden_reports_keep_only_builtin_names_and_no_message():
    raw = {"status": "error", "error_type": "Leak_1_2_3", "error_message": "input was 0.123",
           "where": "cell 1, line 3", "seconds": 99.0}
    hidden, _ = session.clean_report(raw, case(True), 0.01, CELLS, Limits())
    assert hidden.error_type == "Exception" and hidden.error_message == ""
    assert hidden.where == "cell 1, line 3" and hidden.seconds == 0.01  # measured here
    public, _ = session.clean_report(raw, case(False), 0.01, CELLS, Limits())
    assert public.error_type == "Leak_1_2_3" and public.error_message == "input was 0.123"
    builtin, _ = session.clean_report({**raw, "error_type": "ZeroDivisionError"}, case(True),
                                      0.0, CELLS, Limits())
    assert builtin.error_type == "ZeroDivisionError"


@pytest.mark.parametrize("where", ["cell 9, line 1", "cell 1, line 400", "cell 1, line 3 0.25",
                                   "<submission>:secret", 42])
def test_where_must_name_a_real_line(where):
    raw = {"status": "error", "error_type": "ValueError", "where": where}
    report, _ = session.clean_report(raw, case(False), 0.0, CELLS, Limits())
    assert report.where == ""


def test_forged_statuses_and_fields_are_dropped():
    for raw in ({"status": "passed", "score": 5}, {"status": "returned"},
                {"status": ["returned"]}):
        report, _ = session.clean_report(raw, case(False), 0.0, CELLS, Limits())
        assert report.status is Status.ERROR and report.error_type == "MalformedOutput"
        assert report.error_message == "a malformed report" and report.value is None
    report, _ = session.clean_report({"status": "not_callable", "type": "Leak_42"},
                                     case(True), 0.0, CELLS, Limits())
    assert report.type_name == "object"
    report, _ = session.clean_report({"status": "unencodable", "reason": "x",
                                      "error_message": "secret 0.5"}, case(True), 0.0, CELLS,
                                     Limits())
    assert "secret" not in report.error_message


def test_limit_hits_become_incidents():
    _, incident = session.clean_report(
        {"status": "error", "error_type": "RuntimeError",
         "error_message": "DefaultCPUAllocator: can't allocate memory"}, case(True), 0.0, CELLS,
        Limits())
    assert incident and incident[0] == "memory"
    _, incident = session.clean_report({"status": "timeout"}, case(True), 0.0, CELLS, Limits())
    assert incident and incident[0] == "timeout"
    _, incident = session.clean_report({"status": "timeout", "skipped": True}, case(True), 0.0,
                                       CELLS, Limits())
    assert incident is None
