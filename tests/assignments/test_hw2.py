"""Assignment 2 end to end: solution, stub, a differently written correct solution, and the
typical-mistake corpus — each mistake must lose points on its own question only."""
from __future__ import annotations

import pytest

from autograder import api
from autograder.specs import get_spec

from ..conftest import write_solved
from . import corpus

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
    # the seed left unused: initial weights and minibatch order from the global random state, so
    # two trainings with the same seed differ
    ("unseeded", "q6", "    torch.manual_seed(seed)\n    model = CifarCNN", "    model = CifarCNN"),
    ("no_projection_shortcut", "q7", "shortcut = x if self.downsample is None else self.downsample(x)",
     "shortcut = 0"),
    ("relu_before_bn", "q7", "out = F.relu(self.bn1(self.conv1(x)))", "out = self.bn1(F.relu(self.conv1(x)))"),
    ("pool_branch_without_pool", "q8", "self.branch4(pooled)", "self.branch4(x)"),
    ("patches_channel_first", "q9", ".permute(0, 2, 4, 3, 5, 1)", ".permute(0, 2, 4, 1, 3, 5)"),
    ("cls_token_last", "q9", "torch.cat(front + [tokens], dim=1)", "torch.cat([tokens] + front, dim=1)"),
]

# Points each mistake loses on its question, from the cases it fails (measured once; a change of
# the cases or of the partial-credit arithmetic shows up here); q6 is judged by its outcome only
POINTS_LOST = {
    "padding_ignored_in_size": 0.5, "bias_not_counted": 0.75, "groups_ignored": 0.25,
    "padding_one_side": 1.5, "kernel_flipped": 2.5, "stride_ignored": 1.0,
    "l2_without_sqrt": 1.0, "avg_over_one_axis": 1.0, "fixed_ten_classes": 0.666667,
    "confusion_transposed": 0.75, "no_projection_shortcut": 2.0, "relu_before_bn": 2.0,
    "pool_branch_without_pool": 2.0, "patches_channel_first": 1.5, "cls_token_last": 2.0
}

# Correct, but written differently from the master solution, every graded function but the
# training question's: loops instead of einsum/unfold, built-ins, float64 inside.
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
    # built-ins: nn.Conv2d's own parameter count, F.max_pool2d / F.avg_pool2d / F.lp_pool2d
    ("    weights = out_channels * (in_channels // groups) * kernel_size * kernel_size\n"
     "    return weights + (out_channels if bias else 0)",
     "    layer = nn.Conv2d(in_channels, out_channels, kernel_size, groups=groups, bias=bias,\n"
     "                      device=\"meta\")\n"
     "    return sum(p.numel() for p in layer.parameters())"),
    ("return _pool_windows(x, kernel_size, stride).amax(dim=(-1, -2))",
     "return F.max_pool2d(x, kernel_size, stride)"),
    ("return _pool_windows(x, kernel_size, stride).mean(dim=(-1, -2))",
     "return F.avg_pool2d(x, kernel_size, stride)"),
    ("return _pool_windows(x, kernel_size, stride).pow(2).sum(dim=(-1, -2)).sqrt()",
     "return F.lp_pool2d(x.double(), 2, kernel_size, stride).to(x.dtype)"),
    # CifarCNN through F.conv2d / F.linear on its own parameters, reshape instead of flatten
    ("        x = F.max_pool2d(F.relu(self.conv1(x)), 2)\n"
     "        x = F.max_pool2d(F.relu(self.conv2(x)), 2)\n"
     "        x = torch.flatten(x, 1)\n",
     "        for conv in (self.conv1, self.conv2):\n"
     "            x = F.conv2d(x, conv.weight, conv.bias).clamp(min=0)\n"
     "            x = F.max_pool2d(x, kernel_size=2, stride=2)\n"
     "        x = x.reshape(x.shape[0], -1)\n"),
    # the residual block step by step, ReLU as clamp
    ("        out = F.relu(self.bn1(self.conv1(x)))\n"
     "        out = self.bn2(self.conv2(out))\n"
     "        return F.relu(out + shortcut)",
     "        out = self.conv1(x)\n        out = self.bn1(out).clamp(min=0)\n"
     "        out = self.bn2(self.conv2(out))\n        out = out + shortcut\n"
     "        return out.clamp(min=0)"),
    # Inception: an nn.MaxPool2d, each branch's ReLU applied on its own
    ("        pooled = F.max_pool2d(x, 3, stride=1, padding=1)\n"
     "        out = torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(pooled)], dim=1)\n"
     "        return F.relu(out)",
     "        pooled = nn.MaxPool2d(3, 1, 1)(x)\n"
     "        parts = [self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(pooled)]\n"
     "        return torch.cat([torch.relu(part) for part in parts], dim=1)"),
    # the patch embedding as a strided convolution, in float64
    ("    patches = x.reshape(B, C, H // p, p, W // p, p).permute(0, 2, 4, 3, 5, 1).reshape(B, -1, p * p * C)\n"
     "    tokens = patches @ weight.T + bias\n",
     "    kernel = weight.reshape(weight.shape[0], p, p, C).permute(0, 3, 1, 2)\n"
     "    tokens = F.conv2d(x.double(), kernel.double(), bias.double(), stride=p)\n"
     "    tokens = tokens.flatten(2).transpose(1, 2).to(x.dtype)\n"),
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


def test_every_mistake_off_the_training_question_has_its_points_pinned():
    assert set(POINTS_LOST) == {m[0] for m in MISTAKES if m[1] != "q6"}


@pytest.mark.parametrize("name, question", [(m[0], m[1]) for m in MISTAKES if m[1] != "q6"])
def test_a_mistake_loses_exactly_the_points_of_the_cases_it_fails(graded, name, question):
    q = next(q for q in graded[name].questions if q.name == question)
    corpus.check_points_lost(q, POINTS_LOST[name])


def test_training_outcome_passes_with_the_reference():
    spec = get_spec("train_cnn")  # benchmarks/outcome_calibration.py runs 20 seeds
    for seed in range(4):
        case = spec.cases(seed)[0]
        ok, message = spec.judge(spec.reference(*case.args), case)
        assert ok, (seed, message)


def test_training_that_ignores_its_seed_is_not_reproducible(graded):
    corpus.check_fails_on_rung(graded["unseeded"], "q6", "repeat")
