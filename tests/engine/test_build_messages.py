"""What `autograder build` says when otter assign fails."""
from autograder.assign import _otter_error

DOCTEST_FAILURE = """\
            Trying:
                weights = train(x)
            Expecting nothing
            ok
            Trying:
                decoder.load_state_dict(weights)
            Expecting nothing
            **********************************************************************
            Line 9, in q10 0
            Failed example:
                decoder.load_state_dict(weights)
            Expected nothing
            Got:
                <All keys matched successfully>
            Trying:
                samples = sample(decoder)
            Expecting nothing
            ok
""" + "            ok\n" * 30


def test_a_failing_public_test_is_shown_not_the_doctest_chatter():
    shown = _otter_error(DOCTEST_FAILURE)
    assert "Line 9, in q10 0" in shown and "<All keys matched successfully>" in shown
    assert "samples = sample(decoder)" not in shown and "ok" not in shown.split()


def test_otherwise_the_end_of_the_output():
    output = "\n".join(f"line {i}" for i in range(40)) + "\nValueError: bad cell"
    shown = _otter_error(output)
    assert shown.endswith("ValueError: bad cell") and "line 10" not in shown
