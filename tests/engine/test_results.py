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


# ------------------------------------------------------------------ points that add up exactly

DOCUMENTED_TOP = {"score", "execution_time", "output", "output_format", "test_output_format",
                  "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests",
                  "leaderboard"}
DOCUMENTED_TEST = {"score", "max_score", "status", "name", "name_format", "number", "output",
                   "output_format", "tags", "visibility", "extra_data"}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}


def _fractional(passed: bool = True) -> GradingResults:
    """19 points over questions whose cases are thirds, sevenths, ninths... of their points."""
    questions = []
    for qi, (q_points, n) in enumerate([(1.0, 3), (3.0, 7), (2.0, 9), (5.0, 11), (8.0, 13)]):
        shares = [q_points * 1.0 / n for _ in range(n)]
        cases = [results.TestCaseResult(f"q{qi}", f"c{i}", s if passed else 0.0, s, i % 2 == 1,
                                        passed, "", 0.01) for i, s in enumerate(shares)]
        questions.append(QuestionResult(f"q{qi}", q_points if passed else 0.0, q_points, cases))
    return GradingResults("hw1", "s1_hw1", "s1", "in/s1.ipynb", "ab" * 32, "graded",
                          questions=questions, max_score=19.0, grader_version="v", fixtures="f")


def test_fractional_case_points_add_up_exactly():
    r = _fractional()
    assert r.score == 19.0
    back = GradingResults.from_gradescope(r.to_gradescope())  # as publish reads results
    assert back.score == back.max_score == 19.0
    assert [(q.score, q.max_score) for q in back.questions] == \
        [(q.max_score, q.max_score) for q in r.questions]
    stored = GradingResults.from_dict(r.to_dict())  # as the results store reads them
    assert stored.score == 19.0


def test_partial_scores_round_once():
    r = _fractional()
    q = r.questions[1]  # 3 points over 7 cases: 4 of them passed is exactly 12/7
    for c in q.cases[4:]:
        c.passed, c.score = False, 0.0
    back = GradingResults.from_gradescope(r.to_gradescope())
    assert back.questions[1].score == round(12 / 7, 6)
    assert back.score == round(19 - 9 / 7, 6)


def test_the_score_histogram_keeps_full_marks():
    import numpy as np

    from autograder.report.instructor import clipped, score_edges

    scores = [GradingResults.from_gradescope(_fractional().to_gradescope()).score] * 3
    scores += [GradingResults.from_gradescope(_fractional(False).to_gradescope()).score]
    counts, _ = np.histogram(clipped(scores, 19.0), bins=score_edges(19.0))
    assert counts.sum() == 4 and counts[-1] == 3 and counts[0] == 1
    counts, _ = np.histogram(clipped([19.000001, 20.0], 19.0), bins=score_edges(19.0))
    assert counts[-1] == 2  # above the maximum (a bonus): still counted, in the top bin


def test_fixture_points_spread_exactly():
    from fractions import Fraction

    from autograder.grade import points

    for q_points, n in [(1.0, 3), (3.0, 7), (2.5, 9), (8.0, 13), (0.1, 6)]:
        shares = points.spread(q_points, [Fraction(1)] * n)
        assert points.total(shares) == q_points and len(shares) == n
    shares = points.spread(1.0, [Fraction(1), Fraction(2)])  # in proportion to the weights
    assert shares == [1 / 3, 2 / 3]


def test_results_json_is_in_gradescopes_documented_format():
    payload = _fractional().to_gradescope()
    assert set(payload) <= DOCUMENTED_TOP, set(payload) - DOCUMENTED_TOP
    assert "max_score" not in payload  # not a top-level key of results.json
    assert payload["score"] == 19.0
    for test in payload["tests"]:
        assert set(test) <= DOCUMENTED_TEST, set(test) - DOCUMENTED_TEST
        assert test["status"] in ("passed", "failed") and test["visibility"] in VISIBILITIES
    assert payload["extra_data"]["max_score"] == 19.0  # ours, where extra data goes


def test_built_fixtures_spread_each_question_exactly(course, built):
    from autograder.grade import points

    config = course.config("hw1")
    fixtures = built("hw1")
    for q in config.questions:
        shares = [c.points for c in fixtures.for_question(q.name)]
        assert len(shares) > 1 and points.total(shares) == q.points, q.name
    assert points.total(c.points for c in fixtures.cases) == config.max_score
