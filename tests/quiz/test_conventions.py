"""The conventions a paper states once and every question keeps (0-based indices, floor for
output sizes, the guidance and cosine formulas where they are needed, full precision until the
end), and answers read without guessing: ambiguous decimal commas flagged, invalid picks counted
as wrong, every malformed answer listed, ``True.`` accepted like ``A.``."""
from __future__ import annotations

import math
import random
import re
from pathlib import Path

import pandas as pd
import pytest

from autograder.quiz import grading, render, run
from autograder.quiz.model import draw, single_threaded
from autograder.quiz.question import Question
from autograder.quiz.spec import QuizSpec, make_variant

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "examples" / "quiz" / "midterm.toml"
NUM = r"[-+]?\d+(?:\.\d+)?"


def _draws(name: str, n: int = 60):
    with single_threaded():
        return [draw(name, random.Random(7000 + i)) for i in range(n)]


def test_paper_states_the_conventions_once():
    spec = QuizSpec.load(SPEC)
    paper = render.render_paper(spec, make_variant(spec, "1001"), key=False)
    for phrase in ("0-based", "rounded down", "full precision", "a comma only groups thousands"):
        assert paper.count(phrase) >= 1, phrase
    assert paper.count("Conventions.") == 1
    assert "Keep full precision until the final answer" in spec.instructions


def test_attention_weight_names_its_key_0_based():
    for q in _draws("u3_attention_weight"):
        scores = [float(x) for x in re.search(r"q·k = \(([^)]*)\)", q.text).group(1).split(",")]
        d_k = int(re.search(r"d_k = (\d+)", q.text).group(1))
        key = int(re.search(r"on key (\d) \(0-based\)", q.text).group(1))
        e = [math.exp(s / math.sqrt(d_k)) for s in scores]
        assert q.answer == pytest.approx(e[key] / sum(e), rel=1e-9), q.text


@pytest.mark.parametrize("name", ["u4_conv_output_size", "u4_pool_output_size",
                                  "u4_conv_output_mc"])
def test_output_sizes_round_down(name):
    uneven = 0
    for q in _draws(name, 120):
        assert "rounded down" in q.text
        n, k = q.params["n"], q.params["k"]
        s, p = q.params["s"], q.params.get("p", 0)
        uneven += (n + 2 * p - k) % s != 0
        want = math.floor((n + 2 * p - k) / s) + 1
        got = q.answer if q.qtype == "numeric" else float(q.options["ABCDEFGH".index(q.answer)])
        assert got == want, q.text
    assert uneven > 0, f"{name}: no draw where the stride does not divide evenly"


def test_guidance_question_gives_its_formula():
    for q in _draws("u5_cfg_mc"):
        assert "ε̃ = (1 + w)·ε_c − w·ε_u" in q.text
        w, ec, eu = q.params["w"], q.params["ec"], q.params["eu"]
        shown = float(q.options["ABCDEFGH".index(q.answer)])
        assert shown == pytest.approx((1 + w) * ec - w * eu, abs=6e-4)


def test_cosine_schedule_question_defines_the_schedule():
    for q in _draws("u5_schedule_tf", 30):
        assert "cos²(((t/T + s)/(1 + s))·π/2)" in q.text and "s = 0.008" in q.text
        t, T, s = q.params["t"], q.params["T"], 0.008
        f = lambda u: math.cos((u / T + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
        linear = math.prod(1 - (1e-4 + (0.02 - 1e-4) * (i - 1) / (T - 1)) for i in range(1, t + 1))
        assert q.answer == str(f(t) / f(0) > linear)


def test_local_vs_conv_has_many_versions():
    texts = {(q.text, tuple(sorted(q.options))) for q in _draws("u4_local_vs_conv_mc", 200)}
    assert len(texts) >= 10


# ---------------------------------------------------------------- reading answers
DECIMAL = Question("x", "numeric", 1.586, 0.01586)
COUNT = Question("x", "numeric", 1586.0, 0.5)


def test_ambiguous_comma_is_flagged_not_guessed():
    points, problem = grading.assess(DECIMAL, "1,586", 2)
    assert points == 0 and "ambiguous" in problem and "review" in problem
    assert grading.assess(Question("x", "numeric", 1586.0, 15.86), "1,586", 2)[1]  # either way
    assert grading.assess(Question("x", "numeric", 7.0, 0.07), "1,586", 2) == (0.0, "")
    assert grading.assess(COUNT, "1,586", 2) == (2, "")  # a count has no decimals
    assert grading.assess(Question("x", "numeric", 0.412, 0.01), "0,412", 1) == (1, "")
    assert grading.assess(Question("x", "numeric", 1586.5, 1.0), "1,586.5", 1) == (1, "")
    assert grading.assess(Question("x", "numeric", 1.5865, 0.02), "1,5865", 1) == (1, "")


def test_invalid_picks_are_wrong_picks():
    ma = Question("x", "ma", ["A", "C"], options=["a", "b", "c", "d"])
    points, problem = grading.assess(ma, "A;Z", 4)
    assert points == 0 and "Z" in problem  # one right, one wrong pick
    points, problem = grading.assess(ma, "AB;C", 4)
    assert points == 0 and "AB" in problem  # was read as C alone: 2 points
    assert grading.assess(ma, "A;C;E", 4)[0] == 2  # E is no option (4 options)
    assert grading.assess(ma, "(A); c.", 4) == (4, "")


def test_true_with_a_full_stop_is_accepted_like_a_letter():
    tf = Question("x", "tf", "True", options=["True", "False"])
    mc = Question("x", "mc", "A", options=["1", "2", "3"])
    assert grading.assess(tf, "True.", 1) == (1, "") and grading.assess(mc, "A.", 1) == (1, "")
    assert grading.assess(tf, "(T)", 1) == (1, "") and grading.assess(tf, "f.", 1) == (0, "")
    assert grading.assess(tf, "yes", 1) == (0, "not T or F")


def test_every_malformed_answer_is_listed_by_student_and_question(tmp_path):
    spec = QuizSpec.load(SPEC)
    ids = ["1001", "1002"]
    sheet = run.example_responses(spec, ids)
    kinds = {i: make_variant(spec, "1001").questions[i - 1].qtype for i in range(1, 18)}
    num = next(i for i, t in kinds.items() if t == "numeric")
    mc = next(i for i, t in kinds.items() if t == "mc")
    sheet.loc[0, f"q{num}"] = "about 3\x1b[2J"
    sheet.loc[0, f"q{mc}"] = "Z"
    path = tmp_path / "responses.csv"
    sheet.to_csv(path, index=False)
    rep = run.grade(spec, path, None, tmp_path / "out")
    issues = (tmp_path / "out" / "issues.txt").read_text()
    assert f"1001 q{num}: 'about 3': not a number" in issues
    assert f"1001 q{mc}: 'Z': not one of the letters" in issues
    assert "\x1b" not in issues and "1002 q" not in issues
    graded = pd.read_csv(tmp_path / "out" / "responses_graded.csv", dtype={"student_id": str})
    assert graded.set_index("student_id").loc["1001", f"q{num}"] == 0
    assert rep.graded.set_index("student_id").loc["1002", "score"] == spec.max_score


def test_malformed_answers_print_as_text(tmp_path):
    """An answer is the student's text: rich markup in it is printed, not interpreted (an
    unbalanced closing tag used to stop the command after grading)."""
    from typer.testing import CliRunner

    from autograder.cli import app

    spec = QuizSpec.load(SPEC)
    sheet = run.example_responses(spec, ["1001"])
    sheet.loc[0, "q1"] = "[/yellow][bold]x"
    sheet.to_csv(tmp_path / "responses.csv", index=False)
    result = CliRunner().invoke(app, ["quiz", "grade", str(SPEC), str(tmp_path / "responses.csv"),
                                      "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "[/yellow][bold]x" in result.output
