"""Results as dataclasses: their dict and Gradescope forms."""
from dataclasses import asdict

from autograder.grade import results
from autograder.grade.results import GradingResults, QuestionResult


def _result() -> GradingResults:
    cases = [results.TestCaseResult("q1", "a", 1.0, 1.0, False, True, "", 0.01),
             results.TestCaseResult("q1", "b", 0.0, 2.0, True, False, "`f` raised ValueError", 0.5)]
    return GradingResults("hw1", "s1_hw1", "s1", "in/s1.ipynb", "ab" * 32, "graded",
                          questions=[QuestionResult("q1", 1.0, 3.0, cases),
                                     QuestionResult("q2", 0.0, 1.0)],
                          max_score=4.0, seconds=1.5, grader_version="v", fixtures="f")


def test_to_dict_is_dataclasses_asdict_and_round_trips():
    r = _result()
    assert r.to_dict() == asdict(r)
    assert list(r.to_dict()) == list(asdict(r))
    assert GradingResults.from_dict(r.to_dict()) == r
    assert r.metadata() == {k: v for k, v in asdict(r).items() if k != "questions"}


def test_gradescope_form_round_trips():
    r = _result()
    back = GradingResults.from_gradescope(r.to_gradescope())
    assert back.score == r.score and back.metadata() == r.metadata()
    assert [c.name for q in back.questions for c in q.cases] == ["a", "b"]
