"""Oracle tests for unit 4 (U4.1–U4.8): the slides' numbers, F.conv2d and the pooling built-ins,
a BasicBlock built from nn layers exactly as torchvision defines it, shape identities."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from autograder.specs import get_spec, specs_for_row, unit4
from reference import architectures, cnn, conv, inception, param_counts, pooling, resnet, vit


@pytest.mark.oracle("U4.1")
def test_parameter_counts_from_the_slides():
    pixels, hidden = 200 * 200, 40_000
    fc = param_counts.fully_connected_params(pixels, hidden)
    assert 1.5e9 <= fc <= 2.5e9  # "~2B"
    assert param_counts.locally_connected_params(hidden, 10) == 4_000_000  # "4M"
    assert param_counts.conv_shared_params(100, 10) == 10_000  # "10K"
    for args in [(3, 6, 5), (64, 128, 3, False), (64, 128, 3, True, 32)]:
        layer = nn.Conv2d(args[0], args[1], args[2], bias=args[3] if len(args) > 3 else True,
                          groups=args[4] if len(args) > 4 else 1)
        assert param_counts.conv_param_count(*args) == sum(p.numel() for p in layer.parameters())


@pytest.mark.oracle("U4.1")
@pytest.mark.parametrize("n, k, s, p, d", [(227, 11, 4, 0, 1), (32, 3, 1, 1, 1), (15, 3, 2, 1, 1),
                                           (10, 3, 3, 0, 1), (20, 3, 1, 2, 2), (7, 7, 1, 0, 1)])
def test_output_size_matches_conv2d(n, k, s, p, d):
    out = F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=s, padding=p, dilation=d)
    assert param_counts.conv_output_size(n, k, s, p, d) == out.shape[-1]


@pytest.mark.oracle("U4.2")
@pytest.mark.parametrize("stride, padding, k, H, W", [(1, 0, 3, 8, 8), (2, 1, 3, 9, 9), (1, 2, 3, 7, 12),
                                                      (3, 1, 2, 6, 6), (1, 0, 5, 5, 5), (2, 0, 1, 4, 7)])
def test_conv2d_matches_f_conv2d(stride, padding, k, H, W):
    gen = torch.Generator().manual_seed(stride * 10 + padding)
    x = torch.randn(2, 3, H, W, generator=gen, dtype=torch.float64)
    w = torch.randn(4, 3, k, k, generator=gen, dtype=torch.float64)
    b = torch.randn(4, generator=gen, dtype=torch.float64)
    ref = F.conv2d(x, w, b, stride=stride, padding=padding)
    assert torch.allclose(conv.conv2d(x, w, b, stride, padding), ref, atol=1e-12)
    assert torch.allclose(conv.conv2d_relu(x, w, b, stride, padding), ref.clamp(min=0), atol=1e-12)


@pytest.mark.oracle("U4.2")
def test_conv2d_gradients_pass_gradcheck():
    x = torch.randn(1, 2, 5, 5, dtype=torch.float64, requires_grad=True)
    w = torch.randn(3, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, w: conv.conv2d(x, w, None, 2, 1), (x, w))


@pytest.mark.oracle("U4.3")
@pytest.mark.parametrize("k, s", [(2, None), (3, 2), (3, 1)])
def test_pooling_matches_builtins(k, s):
    x = torch.randn(2, 3, 9, 9, dtype=torch.float64)
    assert torch.equal(pooling.max_pool2d(x, k, s), F.max_pool2d(x, k, s))
    assert torch.allclose(pooling.avg_pool2d(x, k, s), F.avg_pool2d(x, k, s), atol=1e-12)
    assert torch.allclose(pooling.l2_pool2d(x, k, s), F.lp_pool2d(x, 2, k, s), atol=1e-12)
    feat = pooling.l2_pool_features(x[:, :2], 2)
    assert torch.allclose(feat, x[:, :2].pow(2).sum(1, keepdim=True).sqrt())


@pytest.mark.oracle("U4.4")
def test_cnn_shapes_confusion_matrix_and_training_outcome():
    model = cnn.CifarCNN()
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert sum(p.numel() for p in model.parameters()) == 62_006  # the PyTorch CIFAR-10 tutorial net
    pred, y = torch.tensor([0, 1, 1, 2, 2, 2]), torch.tensor([0, 1, 2, 2, 1, 0])
    cm = cnn.confusion_matrix(pred, y, 3)
    brute = torch.zeros(3, 3, dtype=torch.long)
    for p, t in zip(pred.tolist(), y.tolist()):
        brute[t, p] += 1
    assert torch.equal(cm, brute) and cm.sum() == 6
    spec = get_spec("train_cnn")
    case = spec.cases(5)[0]
    ok, message = spec.judge(spec.reference(*case.args), case)
    assert ok, message
    # the fresh network of the case's seed fails (untrained layers), so does another seed's
    # (every parameter inside the default initialisation's bound), and so does one moved past
    # that bound but untrained (accuracy near chance)
    assert not spec.judge(dict(unit4.fresh_cifar_state(case.secret["seed"], 10)), case)[0]
    ok, message = spec.judge(dict(cnn.CifarCNN().state_dict()), case)
    assert not ok and "still hold a default initialisation" in message, message
    ok, message = spec.judge({k: 1.5 * v for k, v in cnn.CifarCNN().state_dict().items()}, case)
    assert not ok and "held-out accuracy" in message, message


@pytest.mark.oracle("U4.5")
def test_alexnet_and_lenet_shape_tables_and_vgg_receptive_field():
    sizes = [row[2] for row in architectures.alexnet_shapes()]
    assert [sizes[0], sizes[1], sizes[2], sizes[4], sizes[-1]] == [227, 55, 27, 13, 6]
    assert [row[2] for row in architectures.lenet5_shapes()] == [32, 28, 14, 10, 5, 1]
    assert architectures.vgg_stack_receptive_field(3) == 7  # three 3×3 = one 7×7
    C = 64
    assert architectures.vgg_stack_params(3, C) == 27 * C * C < 49 * C * C
    x = torch.zeros(1, 1, 15, 15)  # receptive field by probing: one input pixel's reach
    x[0, 0, 7, 7] = 1.0
    y = x
    for _ in range(3):
        y = F.conv2d(y, torch.ones(1, 1, 3, 3), padding=1)
    assert int((y[0, 0] != 0).sum(1).max()) == 7


@pytest.mark.oracle("U4.6")
def test_inception_concatenates_branches_along_channels():
    m = inception.InceptionModule(192, 64, 96, 128, 16, 32, 32)  # GoogLeNet's inception (3a)
    out = m(torch.randn(1, 192, 28, 28))
    assert out.shape == (1, 256, 28, 28)
    with torch.no_grad():
        branch1 = F.relu(m.branch1(torch.ones(1, 192, 28, 28)))
        assert torch.allclose(m(torch.ones(1, 192, 28, 28))[:, :64], branch1)


def _max_pool_3x3_same(x):
    """3×3 max pool, stride 1, padding 1, written as the maximum of the nine shifted copies of the
    input padded with -inf (no pooling built-in)."""
    H, W = x.shape[-2:]
    padded = F.pad(x, (1, 1, 1, 1), value=float("-inf"))
    shifts = [padded[..., i:i + H, j:j + W] for i in range(3) for j in range(3)]
    return torch.stack(shifts).amax(0)


def _inception_by_hand(state, x):
    """GoogLeNet's Inception module (Szegedy et al. 2015, fig. 2b) from its parts: four branches
    of nn layers holding the given weights, each followed by its ReLU, concatenated on channels.
    State keys name the branches as the specs' contract does (branchK...)."""
    def conv(prefix, padding):
        w, b = state[f"{prefix}.weight"], state[f"{prefix}.bias"]
        layer = nn.Conv2d(w.shape[1], w.shape[0], w.shape[-1], padding=padding)
        layer.load_state_dict({"weight": w, "bias": b})
        return layer

    one = nn.Sequential(conv("branch1", 0), nn.ReLU())
    three = nn.Sequential(conv("branch2.0", 0), nn.ReLU(), conv("branch2.2", 1), nn.ReLU())
    five = nn.Sequential(conv("branch3.0", 0), nn.ReLU(), conv("branch3.2", 2), nn.ReLU())
    pool = nn.Sequential(conv("branch4", 0), nn.ReLU())
    with torch.no_grad():
        return torch.cat([one(x), three(x), five(x), pool(_max_pool_3x3_same(x))], dim=1)


@pytest.mark.oracle("U4.6")
def test_inception_equals_its_branches_built_from_nn_layers():
    torch.manual_seed(0)
    m = inception.InceptionModule(7, 3, 2, 4, 2, 3, 2)
    state = {k: torch.randn(v.shape) * 0.5 for k, v in m.state_dict().items()}
    m.load_state_dict(state)
    x = torch.randn(2, 7, 9, 6)
    with torch.no_grad():
        assert torch.allclose(m(x), _inception_by_hand(state, x), atol=1e-5)
    assert torch.equal(_max_pool_3x3_same(x), F.max_pool2d(x, 3, 1, 1))
    spec = get_spec("InceptionModule")
    for case in spec.cases(3):  # the answer key of every case, against the composition
        (x,) = case.args
        assert torch.allclose(spec.expected(case), _inception_by_hand(case.state, x),
                              atol=1e-5), case.name


def _cifar_cnn_sequential(state):
    """The lecture's CIFAR-10 CNN as one nn.Sequential: conv 5×5 (6), ReLU, 2×2 max pool,
    conv 5×5 (16), ReLU, pool, flatten, 120, 84, classes; the weights copied in by position."""
    n_classes = state["fc3.weight"].shape[0]
    net = nn.Sequential(nn.Conv2d(3, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5),
                        nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(),
                        nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, n_classes))
    order = ["conv1", "conv2", "fc1", "fc2", "fc3"]
    layers = [m for m in net if isinstance(m, (nn.Conv2d, nn.Linear))]
    for name, layer in zip(order, layers):
        layer.load_state_dict({"weight": state[f"{name}.weight"], "bias": state[f"{name}.bias"]})
    return net.eval()


@pytest.mark.oracle("U4.4")
def test_cifar_cnn_forward_equals_the_sequential_network_with_the_same_weights():
    spec = get_spec("CifarCNN")
    cases = spec.cases(5)
    assert {tuple(spec.expected(c).shape[1:]) for c in cases} == {(10,), (5,)}
    for case in cases:
        (x,) = case.args
        with torch.no_grad():
            theirs = _cifar_cnn_sequential(case.state)(x)
        assert torch.allclose(spec.expected(case), theirs, atol=1e-5), case.name
        assert theirs.abs().max() > 1e-2  # not a degenerate all-zero comparison


def _torchvision_basic_block(inplanes, planes, stride):
    """torchvision.models.resnet.BasicBlock, written out (torchvision is not installed)."""
    block = nn.Module()
    block.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
    block.bn1 = nn.BatchNorm2d(planes)
    block.relu = nn.ReLU(inplace=True)
    block.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
    block.bn2 = nn.BatchNorm2d(planes)
    block.downsample = (nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False),
                                      nn.BatchNorm2d(planes)) if stride != 1 or inplanes != planes else None)

    def forward(x):
        identity = x if block.downsample is None else block.downsample(x)
        out = block.relu(block.bn1(block.conv1(x)))
        out = block.bn2(block.conv2(out))
        return block.relu(out + identity)

    block.forward = forward
    return block


@pytest.mark.oracle("U4.7")
@pytest.mark.parametrize("inp, out, stride", [(4, 4, 1), (4, 8, 2), (3, 6, 2)])
def test_residual_block_matches_basic_block_with_copied_weights(inp, out, stride):
    ours = resnet.ResidualBlock(inp, out, stride)
    theirs = _torchvision_basic_block(inp, out, stride)
    state = {k: torch.randn(v.shape) if v.is_floating_point() else v for k, v in ours.state_dict().items()}
    state = {k: v.abs() + 0.5 if "running_var" in k else v for k, v in state.items()}
    ours.load_state_dict(state)
    theirs.load_state_dict(state, strict=True)
    ours.eval(), theirs.eval()
    x = torch.randn(2, inp, 8, 8)
    with torch.no_grad():
        assert torch.allclose(ours(x), theirs.forward(x), atol=1e-5)
    g = resnet.ResNeXtBlock(8, 8, cardinality=4)
    assert g.grouped.weight.shape == (8, 2, 3, 3)  # grouped conv: C/groups inputs per filter
    d = resnet.DenseBlock(3, 4, 3)
    assert d(torch.randn(1, 3, 5, 5)).shape == (1, 15, 5, 5)


@pytest.mark.oracle("U4.8")
def test_patch_embedding_equals_strided_conv_and_windows_are_reversible():
    B, C, H, W, p, D = 2, 3, 8, 12, 4, 5
    x = torch.randn(B, C, H, W, dtype=torch.float64)
    proj = nn.Conv2d(C, D, p, stride=p).double()
    # a (p, p, C)-flattened weight row equals the conv kernel permuted to (D, p, p, C)
    weight = proj.weight.detach().permute(0, 2, 3, 1).reshape(D, -1)
    cls, pos = torch.randn(D, dtype=torch.float64), torch.zeros(1 + (H // p) * (W // p), D, dtype=torch.float64)
    tokens = vit.patch_embed(x, p, weight, proj.bias.detach(), cls, pos)
    conv_tokens = proj(x).flatten(2).transpose(1, 2).detach()
    assert torch.allclose(tokens[:, 1:], conv_tokens, atol=1e-12)
    assert torch.equal(tokens[:, 0], cls.expand(B, D))
    deit = vit.patch_embed(x, p, weight, proj.bias.detach(), cls, torch.zeros(2 + 6, D, dtype=torch.float64),
                           dist_token=torch.ones(D, dtype=torch.float64))
    assert deit.shape == (B, 8, D) and torch.equal(deit[:, 1], torch.ones(B, D, dtype=torch.float64))
    # the position term: token i gets row i of a non-zero embedding, [CLS] and patches alike
    pos = torch.randn(1 + (H // p) * (W // p), D, dtype=torch.float64)
    with_pos = vit.patch_embed(x, p, weight, proj.bias.detach(), cls, pos)
    assert torch.allclose(with_pos[:, 0], cls + pos[0], atol=1e-12)
    assert torch.allclose(with_pos[:, 1:], conv_tokens + pos[1:], atol=1e-12)
    spec = get_spec("patch_embed")
    for case in spec.cases(9):  # every case: conv tokens + a non-zero position embedding
        xs, ps, w, b, c, pe = case.args
        d = w.shape[0]
        kernel = w.reshape(d, ps, ps, xs.shape[1]).permute(0, 3, 1, 2)
        patches = F.conv2d(xs, kernel, b, stride=ps).flatten(2).transpose(1, 2)
        front = [c.expand(xs.shape[0], 1, d)]
        if "dist_token" in case.kwargs:
            front.append(case.kwargs["dist_token"].expand(xs.shape[0], 1, d))
        assert pe.abs().max() > 0.1  # a non-zero position embedding
        assert torch.allclose(spec.expected(case), torch.cat(front + [patches], 1) + pe,
                              atol=1e-5), case.name
    fmap = torch.randn(2, 8, 12, 3)
    windows = vit.window_partition(fmap, 4)
    assert windows.shape == (12, 4, 4, 3) and torch.equal(windows[1], fmap[0, :4, 4:8])
    assert torch.equal(vit.window_reverse(windows, 4, 8, 12), fmap)
    assert torch.equal(vit.cyclic_shift(vit.cyclic_shift(fmap, 2), -2), fmap)


@pytest.mark.parametrize("row", [f"U4.{i}" for i in range(1, 9)])
def test_specs_are_deterministic_and_finite(row):
    specs = specs_for_row(row)
    assert specs
    for spec in specs:
        if spec.call == "outcome":
            continue  # judged by outcome; exercised above
        for case in spec.cases(2):
            out = spec.expected(case)
            if isinstance(out, torch.Tensor) and out.is_floating_point():
                assert torch.isfinite(out).all(), (spec.name, case.name)
