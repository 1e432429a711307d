"""The server's policies as plain functions: the course config's [server] section, the token
bucket, visibility levels, and what a student may see of a result."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from autograder.gradebook.config import ConfigError
from autograder.gradebook.samples import make_result
from autograder.serve.policy import (AssignmentPolicy, Bucket, settings_from_dict, take,
                                     visibility)
from autograder.serve.views import visible_result

DUE = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


def test_server_settings_with_per_assignment_overrides(tmp_path):
    data = {"results": "out", "late": {"per_day": 0.2},
            "assignments": [{"name": "hw1", "due": DUE, "server": {"rate": 20,
                                                                   "hidden": "visible"}},
                            {"name": "hw2", "due": DUE}, {"name": "hw3"}],
            "server": {"rate": 4, "window_hours": 2, "hidden": "after_published",
                       "assignments": ["hw1", "hw2"], "max_upload_mb": 2}}
    s = settings_from_dict(data, tmp_path, known=["hw1", "hw2", "hw3"])
    assert s.assignments == ["hw1", "hw2"]
    assert s.policy("hw1") == AssignmentPolicy(20, 7200.0, "visible", "visible")
    assert s.policy("hw2") == AssignmentPolicy(4, 7200.0, "visible", "after_published")
    assert s.max_upload_bytes == 2 << 20
    assert s.store == f"sqlite:///{(tmp_path / 'out' / 'server.sqlite').resolve()}"
    assert s.course.item("hw1").results == tmp_path / "out" / "hw1"  # where publish reads
    assert s.lateness("x", "hw1", DUE + timedelta(hours=25)).days == 2
    defaults = settings_from_dict({"results": "out", "assignments": [{"name": "hw1"}]},
                                  tmp_path, known=["hw1"])
    assert defaults.policy("hw1") == AssignmentPolicy(10, 3600.0, "visible", "after_due_date")
    for bad, why in [({"hidden": "sometimes"}, "hidden must be one of"),
                     ({"rate": 0}, "at least 1"), ({"assignments": ["hw7"]}, "hw7")]:
        with pytest.raises(ConfigError, match=why):
            settings_from_dict({**data, "server": bad}, tmp_path, known=["hw1", "hw2", "hw3"])
    with pytest.raises(ConfigError, match="no results store"):
        settings_from_dict({"assignments": [{"name": "hw1"}]}, tmp_path, known=["hw1"])


def test_token_bucket_refills_evenly_and_caps_at_its_size():
    policy = AssignmentPolicy(rate=4, window_seconds=3600)
    bucket = None
    for left in (3, 2, 1, 0):
        ok, bucket = take(bucket, policy, 0.0)
        assert ok and bucket.remaining == left
    ok, refused = take(bucket, policy, 100.0)
    assert not ok and refused.retry_after(policy) == pytest.approx(800)  # 900 s per token
    ok, bucket = take(bucket, policy, 900.0)
    assert ok and bucket.remaining == 0
    assert Bucket(0.5, 0).next_token(policy) == pytest.approx(450)
    assert Bucket(0, 0).refilled(policy, 10 * 3600).tokens == 4  # never more than its size
    assert Bucket(4, 0).next_token(policy) == 0


@pytest.mark.parametrize("level, before, after, published", [
    ("visible", True, True, True),
    ("after_due_date", False, True, True),
    ("after_published", False, False, True),
    ("hidden", False, False, False),
])
def test_visibility_levels(level, before, after, published):
    policy = AssignmentPolicy(hidden=level)
    early, late = DUE - timedelta(seconds=1), DUE
    assert visibility(policy, DUE, False, early).hidden is before
    assert visibility(policy, DUE, False, late).hidden is after
    assert visibility(policy, DUE, True, early).hidden is published
    assert visibility(policy, DUE, True, early).totals  # published: the total shows


def test_a_withheld_result_keeps_no_trace_of_its_hidden_cases():
    result = make_result("s1", 0.5)  # q1 and q2: a public and a hidden case each
    shown = visibility(AssignmentPolicy(hidden="after_due_date"), DUE, False,
                       DUE - timedelta(days=1))
    visible, withheld = visible_result(result, shown)
    assert [c.hidden for q in visible.questions for c in q.cases] == [False, False]
    assert visible.max_score == 2.5 and visible.score == 2.5
    assert withheld == {"tests": 2, "max_score": 2.5, "visibility": "after_due_date",
                        "shown_from": DUE.isoformat(), "in_score": False}
    assert "reference within tolerance" not in repr(visible)  # the hidden messages are gone
    everything, none = visible_result(result, visibility(AssignmentPolicy(), DUE, False,
                                                         DUE + timedelta(days=1)))
    assert none is None and everything.score == result.score


def test_notes_about_a_withheld_case_are_withheld_with_it():
    """A crash on a hidden input would tell, before the tests show, that the case failed."""
    result = make_result("s1", 1.0, status="graded")
    hidden = result.questions[1].cases[1]  # q2's hidden case
    hidden.passed, hidden.score = False, 0.0
    result.status = "memory"
    result.message = (f"q2: `q2_fn` ran out of memory (case {hidden.name}); the other cases ran "
                      "in a fresh process; code cell 3 raised NameError: name 'x' is not defined")
    early = visibility(AssignmentPolicy(), DUE, False, DUE - timedelta(days=1))
    visible, _ = visible_result(result, early)
    assert visible.status == "graded"
    assert visible.message == "code cell 3 raised NameError: name 'x' is not defined"
    late = visibility(AssignmentPolicy(), DUE, False, DUE + timedelta(days=1))
    visible, _ = visible_result(result, late)
    assert (visible.status, visible.message) == ("memory", result.message)
    public = result.questions[0].cases[0]  # a public incident stays, with its status
    result.message = (f"q1: `q1_fn` ran out of memory (case {public.name}; MemoryError); the "
                      f"other cases ran in a fresh process; q2: `q2_fn` ran out of memory (case "
                      f"{hidden.name}); the other cases ran in a fresh process")
    visible, _ = visible_result(result, early)
    assert visible.status == "memory" and hidden.name not in visible.message
    assert visible.message == (f"q1: `q1_fn` ran out of memory (case {public.name}; "
                               "MemoryError); the other cases ran in a fresh process")
