"""The grader's side of the conversation with a sandboxed process, driven by scripted message
sequences: no process, no pipe, no clock (``now`` is given)."""
from __future__ import annotations

from autograder.sandbox import wire
from autograder.sandbox.limits import Limits
from autograder.sandbox.protocol import Conversation, Finish, Kill, Send, next_message

LIMITS = Limits(wall_seconds=100, load_seconds=10, call_seconds=2, grace_seconds=1,
                result_bytes=1 << 20)
PUBLIC = [("q1", "a"), ("q1", "b")]
HIDDEN = [("q1", "h1"), ("q1", "h2")]


def talk(eager: bool = False, cells=(0, 1), call_limits=None, parts=None) -> Conversation:
    parts = parts if parts is not None else [(b"PUBLIC", PUBLIC), (b"HIDDEN", HIDDEN)]
    return Conversation(b"HEADER", parts, list(cells), LIMITS, deadline=100.0, now=0.0,
                        call_limits=call_limits, eager=eager)


def case(key, **extra):
    return {"kind": "case", "question": key[0], "case": key[1], "status": "returned",
            "value": 1, **extra}


def loaded(c: Conversation, now: float = 1.0) -> list:
    for cell in (0, 1):
        assert c.on_message({"kind": "cell", "cell": cell}, now) == []
    return c.on_message({"kind": "loaded", "cells": []}, now)


def run_part(c: Conversation, keys, start: float) -> list:
    assert c.on_message({"kind": "part"}, start) == []
    actions = []
    for i, key in enumerate(keys):
        actions = c.on_message(case(key), start + i + 0.5)
    return actions


def test_a_clean_run_sends_each_part_after_the_last_reported_and_finishes():
    c = talk()
    assert c.start() == [Send(b"HEADER")]
    assert loaded(c) == [Send(b"PUBLIC")]  # the public part only once the cells are loaded
    assert run_part(c, PUBLIC, 2.0) == [Send(b"HIDDEN")]  # hidden inputs only now
    assert run_part(c, HIDDEN, 5.0) == []
    assert c.on_message({"kind": "done"}, 8.0) == [Finish()]
    a = c.attempt
    assert a.done and not a.violation and list(a.reports) == PUBLIC + HIDDEN
    assert a.seconds[("q1", "a")] == 0.5 and a.seconds[("q1", "b")] == 1.0


def test_eager_sends_the_public_part_with_the_header():
    c = talk(eager=True)
    assert c.start() == [Send(b"HEADERPUBLIC")]
    assert loaded(c) == []  # already on its way
    assert run_part(c, PUBLIC, 2.0) == [Send(b"HIDDEN")]


def test_a_message_after_done_is_a_violation():
    c = talk(parts=[(b"P", PUBLIC)])
    c.start()
    loaded(c)
    run_part(c, PUBLIC, 2.0)
    assert c.on_message({"kind": "done"}, 3.0) == [Finish()]
    assert c.on_message(case(PUBLIC[0]), 3.1) == [Kill("protocol")]
    assert c.attempt.violation == "a message after 'done'" and c.phase == "broken"


def test_a_report_before_its_part_was_read_is_a_violation():
    c = talk()
    c.start()
    loaded(c)
    assert c.on_message(case(PUBLIC[0]), 2.0) == [Kill("protocol")]
    assert "unexpected 'case'" in c.attempt.violation and not c.attempt.reports


def test_a_report_for_another_case_than_the_running_one_is_a_violation():
    c = talk()
    c.start()
    loaded(c)
    c.on_message({"kind": "part"}, 2.0)
    assert c.on_message(case(PUBLIC[1]), 2.1) == [Kill("protocol")]  # "a" is running
    assert c.attempt.in_flight == PUBLIC[0]


def test_cells_out_of_order_or_a_case_while_loading_are_violations():
    c = talk()
    c.start()
    assert c.on_message({"kind": "cell", "cell": 1}, 0.5) == [Kill("protocol")]
    c = talk()
    c.start()
    c.on_message({"kind": "cell", "cell": 0}, 0.5)
    assert c.on_message(case(PUBLIC[0]), 0.6) == [Kill("protocol")]
    assert c.attempt.cell == 0  # the cell that was loading when it went wrong


def test_done_before_the_hidden_part_is_a_violation():
    c = talk()
    c.start()
    loaded(c)
    run_part(c, PUBLIC, 2.0)
    assert c.on_message({"kind": "done"}, 4.0) == [Kill("protocol")]
    assert not c.attempt.done


def test_not_a_dict_is_a_violation():
    c = talk()
    c.start()
    assert c.on_message([1, 2], 0.1) == [Kill("protocol")]


def test_a_timeout_on_the_second_case_of_a_part_blames_that_case():
    c = talk(call_limits={PUBLIC[1]: 0.5})
    c.start()
    loaded(c)
    c.on_message({"kind": "part"}, 2.0)
    c.on_message(case(PUBLIC[0]), 2.2)  # "b" starts at 2.2 with its own limit of 0.5 s
    assert c.wake_at() == 2.2 + 0.5 + LIMITS.grace_seconds
    assert c.on_tick(3.6) == []
    assert c.on_tick(3.8) == [Kill("call_time")]
    assert c.on_tick(3.9) == []  # asked for once
    assert c.attempt.in_flight == PUBLIC[1] and list(c.attempt.reports) == [PUBLIC[0]]


def test_the_default_call_limit_and_the_load_limit():
    c = talk()
    c.start()
    assert c.wake_at() == LIMITS.load_seconds + LIMITS.grace_seconds
    assert c.on_tick(10.9) == [] and c.on_tick(11.0) == [Kill("load_time")]
    c = talk()
    c.start()
    loaded(c, 1.0)
    c.on_message({"kind": "part"}, 2.0)
    assert c.on_tick(2.0 + 2 + 1 - 0.01) == []
    assert c.on_tick(5.0) == [Kill("call_time")]


def test_a_child_that_does_not_exit_after_done_and_the_wall_deadline():
    c = talk(parts=[])
    c.start()
    loaded(c)
    c.on_message({"kind": "done"}, 1.5)
    assert c.on_tick(2.6) == [Kill("exit_time")]
    c = talk()
    c.start()
    assert c.on_tick(100.0) == [Kill("wall")]  # the submission's budget before any limit


def test_waiting_for_the_next_part_is_bounded_by_the_grace():
    c = talk()
    c.start()
    loaded(c, 1.0)  # the part went out; the child must say it read it within the grace
    assert c.on_tick(2.01) == [Kill("call_time")] and c.attempt.in_flight is None


def test_framing_whole_split_and_coalesced_messages():
    frames = wire.dumps({"kind": "cell", "cell": 0}) + wire.dumps({"kind": "cell", "cell": 1})
    frames += wire.dumps({"kind": "loaded", "cells": []})
    c = talk()
    c.start()
    actions = []
    for i in range(0, len(frames), 7):  # seven bytes at a time
        actions += c.on_results(frames[i:i + 7], 1.0)
    assert actions == [Send(b"PUBLIC")] and c.attempt.loaded == {"kind": "loaded", "cells": []}
    assert c.attempt.result_bytes == len(frames)


def test_malformed_frames_kill_the_process():
    huge_header = (LIMITS.result_bytes + 1).to_bytes(8, "big")
    assert next_message(huge_header, LIMITS.result_bytes)[2] == \
        "a message header that is too large"
    assert next_message(b"\x00" * 7, LIMITS.result_bytes) == (None, 0, "")  # incomplete
    body = b'{"kind": '  # not JSON
    bad = len(body).to_bytes(8, "big") + body + (0).to_bytes(8, "big")
    msg, used, why = next_message(bad, LIMITS.result_bytes)
    assert msg is None and used == 0 and why.startswith("a malformed message")
    big_blob = (2).to_bytes(8, "big") + b"{}" + (LIMITS.result_bytes + 1).to_bytes(8, "big")
    assert next_message(big_blob, LIMITS.result_bytes)[2] == "a tensor blob that is too large"
    c = talk()
    c.start()
    assert c.on_results(bad, 0.5) == [Kill("protocol")]
    assert c.attempt.violation.startswith("a malformed message")
    assert c.on_results(wire.dumps({"kind": "loaded", "cells": []}), 0.6) == []  # ignored


def test_too_many_result_bytes_is_a_violation():
    c = talk()
    c.start()
    assert c.on_results(b"\x00" * (LIMITS.result_bytes + 1), 0.5) == [Kill("protocol")]
    assert c.attempt.violation == f"more than {LIMITS.result_bytes} bytes of results"


def test_coalescing_only_while_more_reports_are_due_without_an_answer():
    c = talk()
    c.start()
    assert c.coalesce  # loading: the cells report one after another
    loaded(c)
    assert not c.coalesce  # waiting for "part"
    c.on_message({"kind": "part"}, 2.0)
    assert c.coalesce  # "a" runs, "b" follows without a round trip
    c.on_message(case(PUBLIC[0]), 2.1)
    assert not c.coalesce  # the last case of the part: answered at once
