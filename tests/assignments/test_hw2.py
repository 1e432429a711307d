"""Assignment 2 end to end: solution, stub, a differently written correct solution, and the
typical-mistake corpus — each mistake must lose points on its own question only."""
from __future__ import annotations

import pytest

from autograder import api
from autograder.specs import get_spec

from ..conftest import write_solved

HW = "hw2"
# (id, question, old code in the master solution, new code)
MISTAKES = [
    ("padding_ignored_in_size", "q1", "(n + 2 * padding - dilation", "(n - dilation"),
    ("bias_not_counted", "q1", "return weights + (out_channels if bias else 0)", "return weights"),
    ("groups_ignored", "q1", "(in_channels // groups)", "in_channels"),
    ("padding_one_side", "q2", "x = F.pad(x, (padding, padding, padding, padding))", "x = F.pad(x, (0, padding, 0, padding))"),
    ("kernel_flipped", "q2", "out = torch.einsum(\"bchwij,ocij->bohw\", cols, weight)",
     "out = torch.einsum(\"bchwij,ocij->bohw\", cols, weight.flip(-1, -2))"),
    ("stride_ignored", "q2", "cols = x.unfold(2, kh, stride).unfold(3, kw, stride)", "cols = x.unfold(2, kh, 1).unfold(3, kw, 1)"),
    ("l2_without_sqrt", "q3", "return _pool_windows(x, kernel_size, stride).pow(2).sum(dim=(-1, -2)).sqrt()",
     "return _pool_windows(x, kernel_size, stride).pow(2).sum(dim=(-1, -2))"),
    ("avg_over_one_axis", "q3", "return _pool_windows(x, kernel_size, stride).mean(dim=(-1, -2))",
     "return _pool_windows(x, kernel_size, stride).mean(dim=-1).amax(dim=-1)"),
    ("fixed_ten_classes", "q4", "self.fc3 = nn.Linear(84, num_classes)", "self.fc3 = nn.Linear(84, 10)"),
    ("confusion_transposed", "q5", "C.index_put_((y.long(), pred.long())", "C.index_put_((pred.long(), y.long())"),
    ("no_training", "q6", "for epoch in range(3):", "for epoch in range(0):"),
    # only the classifier on top of the random features trained: the other layers keep the
    # seed's fresh initialisation
    ("last_layer_only", "q6", "opt = torch.optim.Adam(model.parameters(), lr=3e-3)",
     "opt = torch.optim.Adam(model.fc3.parameters(), lr=3e-3)"),
    ("no_projection_shortcut", "q7", "shortcut = x if self.downsample is None else self.downsample(x)",
     "shortcut = 0"),
    ("relu_before_bn", "q7", "out = F.relu(self.bn1(self.conv1(x)))", "out = self.bn1(F.relu(self.conv1(x)))"),
    ("pool_branch_without_pool", "q8", "self.branch4(pooled)", "self.branch4(x)"),
    ("patches_channel_first", "q9", ".permute(0, 2, 4, 3, 5, 1)", ".permute(0, 2, 4, 1, 3, 5)"),
    ("cls_token_last", "q9", "torch.cat(front + [tokens], dim=1)", "torch.cat([tokens] + front, dim=1)"),
]

# Correct, but written differently from the master solution: loops instead of einsum/unfold.
DIFFERENT_BUT_CORRECT = [
    ("    x = F.pad(x, (padding, padding, padding, padding))\n    O, C, kh, kw = weight.shape\n"
     "    cols = x.unfold(2, kh, stride).unfold(3, kw, stride)  # (B, C, H', W', kh, kw)\n"
     "    out = torch.einsum(\"bchwij,ocij->bohw\", cols, weight)\n",
     "    x = F.pad(x, (padding, padding, padding, padding))\n    O, C, kh, kw = weight.shape\n"
     "    Ho = (x.shape[2] - kh) // stride + 1\n    Wo = (x.shape[3] - kw) // stride + 1\n"
     "    out = x.new_zeros(x.shape[0], O, Ho, Wo)\n"
     "    for i in range(Ho):\n        for j in range(Wo):\n"
     "            patch = x[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]\n"
     "            out[:, :, i, j] = (patch[:, None] * weight[None]).sum(dim=(2, 3, 4))\n"),
    ("return (n + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1",
     "return math.floor((n + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1"),
    ("    C = torch.zeros(num_classes, num_classes, dtype=torch.long, device=y.device)\n"
     "    C.index_put_((y.long(), pred.long()), torch.ones_like(y, dtype=torch.long), accumulate=True)\n"
     "    return C",
     "    return torch.bincount(y * num_classes + pred, minlength=num_classes ** 2).reshape(num_classes, num_classes)"),
]


@pytest.fixture(scope="module")
def graded(course, built, tmp_path_factory):
    built(HW)
    folder = tmp_path_factory.mktemp(f"{HW}-subs")
    write_solved(course, HW, folder / "solved.ipynb")
    write_solved(course, HW, folder / "different.ipynb", DIFFERENT_BUT_CORRECT)
    (folder / "stub.ipynb").write_bytes(course.student_notebook(HW).read_bytes())
    for name, _, old, new in MISTAKES:
        write_solved(course, HW, folder / f"{name}.ipynb", [(old, new)])
    run = api.grade(HW, [folder], tmp_path_factory.mktemp(f"{HW}-out"), course, workers=2,
                    device="cpu")
    return {r.submission: r for r in run.results}


def test_solutions_full_marks_stub_zero(graded):
    for name in ("solved", "different"):
        r = graded[name]
        assert r.status == "graded" and r.score == pytest.approx(r.max_score), \
            [(c.name, c.message) for q in r.questions for c in q.cases if not c.passed]
    assert graded["stub"].score == 0


@pytest.mark.parametrize("name, question", [(m[0], m[1]) for m in MISTAKES])
def test_each_mistake_loses_points_on_its_question_only(graded, name, question):
    r = graded[name]
    assert r.status == "graded", r.message
    for q in r.questions:
        if q.name == question:
            assert q.score < q.max_score, f"{name} not caught by {question}"
        else:
            assert q.score == pytest.approx(q.max_score), f"{name} cost points on {q.name}"


def test_training_outcome_passes_with_the_reference():
    spec = get_spec("train_cnn")  # benchmarks/outcome_calibration.py runs 20 seeds
    for seed in range(4):
        case = spec.cases(seed)[0]
        ok, message = spec.judge(spec.reference(*case.args), case)
        assert ok, (seed, message)
