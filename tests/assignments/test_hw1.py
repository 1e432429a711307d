"""Assignment 1 end to end: build self-check, solution, stub, one mistake per question, garbage."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from autograder import api
from autograder.assign import self_check
from autograder.grade.pipeline import Grader

from ..conftest import write_alternative, write_solved
from . import corpus
from .corpus import mistake_name

# Realistic mistakes, at least one per question: (question, old code in the master solution, new
# code).
MISTAKES = [
    ("q1", "score = X @ w - threshold", "score = X @ w + threshold"),
    ("q2", "return 2.0 / X.shape[0] * X.T @ (X @ w - y)", "return 1.0 / X.shape[0] * X.T @ (X @ w - y)"),
    ("q3", "return -(y * log_p + (1 - y) * log_1mp).mean()", "return (y * log_p + (1 - y) * log_1mp).mean()"),
    ("q4", "return p - y, 2 * (p - y) * p * (1 - p)", "return p - y, (p - y) * p * (1 - p)"),
    ("q5", "for _ in range(steps):", "for _ in range(steps - 1):"),
    ("q6", "if i < len(weights) - 1:\n            a = torch.sigmoid(a)", "a = torch.sigmoid(a)"),
    ("q7", "delta = (delta @ weights[i]) * a * (1 - a)", "delta = delta @ weights[i]"),
    ("q8", "h = torch.tanh(x_t @ W_ih.T + b_ih + h @ W_hh.T + b_hh)", "h = torch.tanh(x_t @ W_ih.T + b_ih + h @ W_hh.T)"),
    ("q9", "return ((x - x_hat) ** 2).mean()", "return ((x - x_hat) ** 2).sum()"),
    ("q4", "return p - y, 2 * (p - y) * p * (1 - p)", "return y - p, 2 * (y - p) * p * (1 - p)"),
]

# Points each mistake (by index) loses on its question, from the hidden and public cases it fails
# (measured once; a change of the cases or of the partial-credit arithmetic shows up here)
POINTS_LOST = {0: 0.5, 1: 0.75, 2: 0.75, 3: 1.0, 4: 0.5, 5: 1.0, 6: 2.25, 7: 2.0, 8: 0.666667,
               9: 1.0}

# A correct solution written differently: every graded cell replaced (keyed by the cell's first
# function or class): Python loops and float64 inside (perceptron, PLA, the losses, gradient
# descent), built-ins (lstsq, F.binary_cross_entropy, F.linear, nn.RNN, F.mse_loss) and
# autograd where the master differentiates by hand. It must keep full marks.
ALTERNATIVE = {
    "perceptron_predict": """
def perceptron_predict(X, w, threshold):
    out = torch.empty(X.shape[0], dtype=X.dtype)
    for n in range(X.shape[0]):
        score = sum(float(a) * float(b) for a, b in zip(X[n], w)) - float(threshold)
        out[n] = 1.0 if score >= 0 else -1.0
    return out


def pla_train(X, y, w0, max_epochs):
    w = w0.detach().clone().double()
    Xd, yd = X.double(), y.double()
    epoch = 0
    while epoch < max_epochs:
        changed = False
        for xi, yi in zip(Xd, yd):
            if float(yi * torch.dot(xi, w)) <= 0:
                w += yi * xi
                changed = True
        epoch += 1
        if not changed:
            break
    return w.to(w0.dtype)
""",
    "square_loss": """
def square_loss(X, y, w):
    r = X.double() @ w.double() - y.double()
    return (r @ r / len(r)).to(X.dtype)


def square_loss_grad(X, y, w):
    Xd = X.double()
    r = Xd @ w.double() - y.double()
    return (2 * torch.einsum("nd,n->d", Xd, r) / X.shape[0]).to(X.dtype)


def linear_regression_closed_form(X, y):
    return torch.linalg.lstsq(X, y[:, None]).solution[:, 0]
""",
    "sigmoid": """
def sigmoid(z):
    return torch.sigmoid(z)


def logistic_predict_proba(X, w, b):
    return torch.sigmoid(torch.einsum("nd,d->n", X, w) + b)


def bce_loss(p, y):
    return F.binary_cross_entropy(p, y)


def logistic_grad(X, y, w, b):
    w_ = w.detach().clone().requires_grad_(True)
    b_ = torch.as_tensor(b, dtype=X.dtype).detach().clone().requires_grad_(True)
    with torch.enable_grad():
        loss = F.binary_cross_entropy_with_logits(X @ w_ + b_, y)
        grad_w, grad_b = torch.autograd.grad(loss, (w_, b_))
    return grad_w, grad_b
""",
    "ce_and_se_grads": """
def ce_and_se_grads(z, y):
    zd, yd = z.double(), y.double()
    p = 1 / (1 + torch.exp(-zd))
    return (p - yd).to(z.dtype), (2 * (p - yd) * p * (1 - p)).to(z.dtype)
""",
    "gradient_descent_quadratic": """
def gradient_descent_quadratic(A, b, w0, lr, steps):
    w = w0.clone()
    step = 0
    while step < steps:
        w -= lr * (torch.mv(A, w) - b)
        step += 1
    return w
""",
    "linear_forward": """
def linear_forward(x, W, b):
    return F.linear(x, W, b)


def mlp_forward(x, weights, biases):
    layers = list(zip(weights, biases))
    a = x
    for W, b in layers[:-1]:
        a = torch.sigmoid(F.linear(a, W, b))
    W, b = layers[-1]
    return F.linear(a, W, b)
""",
    "mlp_backward": """
def mlp_backward(x, y, weights, biases):
    Ws = [W.detach().clone().requires_grad_(True) for W in weights]
    bs = [b.detach().clone().requires_grad_(True) for b in biases]
    with torch.enable_grad():
        a = x
        for i, (W, b) in enumerate(zip(Ws, bs)):
            a = a @ W.T + b
            if i < len(Ws) - 1:
                a = torch.sigmoid(a)
        loss = 0.5 * ((a - y) ** 2).sum() / x.shape[0]
        grads = torch.autograd.grad(loss, Ws + bs)
    return list(grads[:len(Ws)]), list(grads[len(Ws):])
""",
    "rnn_forward": """
def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
    rnn = nn.RNN(x.shape[-1], h0.shape[-1]).to(x.dtype)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(W_ih)
        rnn.weight_hh_l0.copy_(W_hh)
        rnn.bias_ih_l0.copy_(b_ih)
        rnn.bias_hh_l0.copy_(b_hh)
        out, h_last = rnn(x, h0[None])
    return out, h_last[0]
""",
    "AutoEncoder": """
class AutoEncoder(nn.Module):
    def __init__(self, d_in, d_hidden, d_code):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(d_in, d_hidden), nn.ReLU(),
                                     nn.Linear(d_hidden, d_code))
        self.decoder = nn.Sequential(nn.Linear(d_code, d_hidden), nn.ReLU(),
                                     nn.Linear(d_hidden, d_in))

    def forward(self, x):
        e, d = self.encoder, self.decoder
        h = torch.clamp(F.linear(x, e[0].weight, e[0].bias), min=0)
        code = F.linear(h, e[2].weight, e[2].bias)
        h = torch.clamp(F.linear(code, d[0].weight, d[0].bias), min=0)
        return F.linear(h, d[2].weight, d[2].bias)


def reconstruction_loss(x, x_hat):
    return F.mse_loss(x_hat, x)
""",
}


@pytest.fixture(scope="module")
def graded(course, built, tmp_path_factory):
    """Grade, in one batch: the solved notebook, the stub, every mistake, and garbage files."""
    built("hw1")
    folder = tmp_path_factory.mktemp("hw1-subs")
    write_solved(course, "hw1", folder / "solved.ipynb")
    (folder / "stub.ipynb").write_bytes(course.student_notebook("hw1").read_bytes())
    for i, (_, old, new) in enumerate(MISTAKES):
        write_solved(course, "hw1", folder / f"{mistake_name(MISTAKES, i)}.ipynb", [(old, new)])
    write_alternative(course, "hw1", folder / "alternative.ipynb", ALTERNATIVE)
    (folder / "empty.ipynb").write_text("{}")
    (folder / "nothing.ipynb").write_bytes(b"")
    (folder / "essay.docx").write_bytes(b"PK\x03\x04 not really a docx")
    write_solved(course, "hw1", folder / "import_error.ipynb",
                 [("import math\n", "import math\nimport no_such_module\n")])
    write_solved(course, "hw1", folder / "renamed.ipynb",
                 [("def sigmoid(z):", "def my_sigmoid(z):")])
    out = tmp_path_factory.mktemp("hw1-out")
    run = api.grade("hw1", [folder], out, course, workers=2, device="cpu")
    return {r.submission: r for r in run.results}, run, out


def test_solution_gets_full_marks_and_stub_zero(graded, course):
    results, _, _ = graded
    solved, stub = results["solved"], results["stub"]
    assert solved.status == "graded" and solved.score == pytest.approx(solved.max_score)
    assert solved.max_score == course.config("hw1").max_score
    assert stub.status == "graded" and stub.score == 0
    for q in stub.questions:  # every question of the stub says why, by name
        assert q.cases and all(c.message for c in q.cases), q.name
        assert any("returned None" in c.message for c in q.cases) or q.name == "q9", q.name


@pytest.mark.parametrize("i", range(len(MISTAKES)), ids=lambda i: mistake_name(MISTAKES, i))
def test_a_mistake_loses_points_on_its_question_only(graded, i):
    results, _, _ = graded
    question = MISTAKES[i][0]
    r = results[mistake_name(MISTAKES, i)]
    assert r.status == "graded"
    for q in r.questions:
        if q.name == question:
            assert q.score < q.max_score - 1e-9, f"{question}: mistake not caught"
            assert any(not c.passed and c.message for c in q.cases)
        else:
            assert q.score == pytest.approx(q.max_score), f"{q.name} lost points for a {question} mistake"


def test_every_mistake_has_its_points_pinned():
    assert set(POINTS_LOST) == set(range(len(MISTAKES)))


@pytest.mark.parametrize("i", range(len(MISTAKES)), ids=lambda i: mistake_name(MISTAKES, i))
def test_a_mistake_loses_exactly_the_points_of_the_cases_it_fails(graded, i):
    results, _, _ = graded
    corpus.check_mistake_loses_pinned_points(results, MISTAKES, i, POINTS_LOST)


def test_differently_written_solution_keeps_full_marks(graded):
    corpus.check_alternative_full_marks(graded[0])


def test_garbage_gets_error_rows_and_the_batch_goes_on(graded):
    results, run, out = graded
    for name, why in [("empty", "no list of cells"), ("nothing", "empty file")]:
        assert results[name].status == "error" and why in results[name].message, name
        assert results[name].score == 0
    book = pd.read_csv(out / "gradebook.csv", dtype={"student_id": str})
    assert len(book) == len(results) and set(book["submission"]) == set(results)
    # a file in a folder that is neither a notebook nor a zip is skipped, never a student
    assert "essay" not in results and not (out / "results" / "essay.json").exists()


def test_import_error_only_costs_what_depends_on_it(graded):
    r = graded[0]["import_error"]
    assert r.status == "graded" and "ModuleNotFoundError" in r.message
    # the failing import is on the first line of the imports cell, so torch is never imported:
    # every function then fails with NameError, each case saying so
    assert r.score < r.max_score


def test_renamed_function_is_reported_as_undefined(graded):
    r = graded[0]["renamed"]
    q3 = next(q for q in r.questions if q.name == "q3")
    messages = [c.message for c in q3.cases if c.name.startswith("sigmoid/")]
    assert messages and all("`sigmoid` is not defined" in m for m in messages)


def test_hidden_case_messages_never_show_values(graded):
    seen = 0
    for r in graded[0].values():
        for q in r.questions:
            for c in q.cases:
                if c.hidden and not c.passed:
                    seen += 1
                    assert " got " not in c.message and "index" not in c.message, c.message
    assert seen > 10


def test_results_json_is_gradescope_shaped(graded):
    _, _, out = graded
    data = json.loads((out / "results" / "solved.json").read_text())
    assert set(data) >= {"score", "tests", "execution_time", "output"}
    assert {t["visibility"] for t in data["tests"]} <= {"visible", "after_due_date", "hidden"}
    for t in data["tests"]:
        assert set(t) >= {"name", "score", "max_score", "visibility", "output"}


def test_self_check_names_the_broken_question(course, built, tmp_path):
    fixtures = built("hw1")
    grader = Grader.for_assignment(course.config("hw1"), fixtures)
    broken = write_solved(course, "hw1", tmp_path / "hw1.ipynb", [MISTAKES[3][1:]])
    _, _, problems = self_check(grader, broken, course.student_notebook("hw1"))
    assert len(problems) == 1 and problems[0].startswith("q4: the solution scores")
