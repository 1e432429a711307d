"""Unit 4 course components (syllabus rows U4.1–U4.8): parameter counts and output sizes,
convolution, pooling, the CIFAR-10 style CNN (and its training, judged by outcome), classic
architectures, Inception, residual blocks and vision-transformer inputs.

Modules (CifarCNN, ResidualBlock, InceptionModule) are ``"module"`` specs: the reference weights
are injected with ``load_state_dict``, so results never depend on a student's initialisation.
"""
from __future__ import annotations

import math

import torch

from reference import architectures, cnn, conv, inception, param_counts, pooling, resnet, vit

from .base import Case, SpecList, Tolerance
from .draw import F32, F64, hidden, public, rand, randint, randn

CONV_TOL = Tolerance(rtol=1e-4, atol=1e-5)
SPECS = SpecList()


# ---------------------------------------------------------------- U4.1 counts and sizes
@SPECS.add("U4.1", "conv_output_size", param_counts.conv_output_size)
def _cases_output_size(gen):
    return [public("alexnet_conv1", 227, 11, 4, 0), hidden("same_padding", 32, 3, 1, 1),
            hidden("stride2_odd", 15, 3, 2, 1), hidden("kernel_is_input", 7, 7, 1, 0),
            hidden("floor", 10, 3, 3, 0), hidden("dilated", 20, 3, 1, 2, 2)]


@SPECS.add("U4.1", "conv_param_count", param_counts.conv_param_count)
def _cases_param_count(gen):
    return [public("cifar_conv1", 3, 6, 5), hidden("no_bias", 64, 128, 3, False),
            hidden("grouped", 64, 128, 3, True, 32), hidden("pointwise", 256, 64, 1)]


# ---------------------------------------------------------------- U4.2 convolution
def _conv_case(gen, name, B, C, H, W, O, k, stride, padding, hidden=True, bias=True, dtype=F32):
    w = randn(gen, O, C, k, k, dtype=dtype) / (C * k * k) ** 0.5
    b = randn(gen, O, dtype=dtype) if bias else None
    return Case(name, args=(randn(gen, B, C, H, W, dtype=dtype), w, b),
                kwargs={"stride": stride, "padding": padding}, hidden=hidden)


@SPECS.add("U4.2", "conv2d", conv.conv2d, tolerance=CONV_TOL, points=2)
def _cases_conv(gen):
    return [_conv_case(gen, "basic", 2, 3, 8, 8, 4, 3, 1, 0, hidden=False),
            _conv_case(gen, "stride2_pad1", 2, 3, 9, 9, 5, 3, 2, 1),
            _conv_case(gen, "non_square", 1, 2, 7, 12, 3, 3, 1, 2),
            _conv_case(gen, "kernel_is_input", 3, 4, 5, 5, 2, 5, 1, 0),
            _conv_case(gen, "no_bias_f64", 1, 1, 6, 6, 1, 2, 3, 1, bias=False, dtype=F64),
            _conv_case(gen, "1x1", 2, 8, 4, 4, 3, 1, 1, 0)]


# ---------------------------------------------------------------- U4.3 pooling
@SPECS.add("U4.3", "max_pool2d", pooling.max_pool2d)
def _cases_pool(gen):
    return [public("2x2", randn(gen, 2, 3, 8, 8), 2),
            hidden("3x3_stride2", randn(gen, 1, 2, 9, 9), 3, 2),
            hidden("non_square", randn(gen, 2, 1, 6, 10), 2),
            hidden("overlap", randn(gen, 1, 3, 7, 7), 3, 1),
            hidden("whole_map_f64", randn(gen, 1, 4, 4, 4, dtype=F64), 4)]


SPECS.add("U4.3", "avg_pool2d", pooling.avg_pool2d)(_cases_pool)
SPECS.add("U4.3", "l2_pool2d", pooling.l2_pool2d, tolerance=CONV_TOL)(_cases_pool)


@SPECS.add("U4.3", "l2_pool_features", pooling.l2_pool_features)
def _cases_pool_features(gen):
    return [public("pairs", randn(gen, 2, 4, 3, 3), 2),
            hidden("all_channels", randn(gen, 1, 6, 2, 5), 6),
            hidden("group_1", randn(gen, 1, 3, 2, 2), 1)]


# ---------------------------------------------------------------- U4.4 CNN and its training
def _module_state(module_cls, gen, init, scale=1.0):
    model = module_cls(**init)
    state = {}
    for k, v in model.state_dict().items():
        if k.endswith("running_var"):
            state[k] = rand(gen, *v.shape) + 0.5
        elif k.endswith("num_batches_tracked"):
            state[k] = v.clone()
        elif v.dim() > 1:
            state[k] = randn(gen, *v.shape) * scale / v[0].numel() ** 0.5
        else:
            state[k] = randn(gen, *v.shape) * 0.1
    return state


def _module_reference(module_cls):
    def reference(init, state, x):
        model = module_cls(**init)
        model.load_state_dict(state)
        model.eval()
        with torch.no_grad():
            return model(x)

    reference.__module__ = module_cls.__module__
    reference.__qualname__ = f"{module_cls.__name__}.forward"
    return reference


def _module_case(gen, cls, name, init, x, hidden=True):
    return Case(name, args=(x,), init=init, state=_module_state(cls, gen, init), hidden=hidden)


@SPECS.add("U4.4", "CifarCNN", _module_reference(cnn.CifarCNN), call="module",
           tolerance=CONV_TOL, points=2)
def _cases_cifar(gen):
    C = cnn.CifarCNN
    return [_module_case(gen, C, "batch_4", {}, randn(gen, 4, 3, 32, 32), hidden=False),
            _module_case(gen, C, "batch_1", {}, randn(gen, 1, 3, 32, 32)),
            _module_case(gen, C, "five_classes", {"num_classes": 5}, randn(gen, 3, 3, 32, 32))]


@SPECS.add("U4.4", "confusion_matrix", cnn.confusion_matrix)
def _cases_confusion(gen):
    y = randint(gen, 0, 10, 50)
    return [public("small", torch.tensor([0, 1, 1, 2, 2, 2]), torch.tensor([0, 1, 2, 2, 1, 0]), 3),
            hidden("ten_classes", randint(gen, 0, 10, 50), y, 10),
            hidden("perfect", y.clone(), y, 10),
            hidden("unused_class", torch.tensor([0, 0, 1]), torch.tensor([0, 1, 1]), 4)]


# U4.4 training, judged by outcome. train_cnn(X_train, y_train, seed) returns the weights of the
# lecture's CifarCNN (fixed architecture, reference.cnn.CifarCNN); the judge loads them into its
# own CifarCNN and classifies TRAIN_CNN_HELD_OUT synthetic images it never hands out. A case
# passes at ACCURACY_THRESHOLD held-out accuracy when every layer differs from the fresh
# initialisation the notebook prescribes (torch.manual_seed(seed), then CifarCNN(num_classes)):
# the whole network was trained, not only a classifier on top of random features. Layers frozen
# at another seed's initialisation are caught without knowing the seed: PyTorch initialises a
# Conv2d or Linear uniformly within +-1/sqrt(fan_in), and training moves some of its parameters
# past that bound (measured: 9-32% of each layer's parameters for the solution over 6 seeds,
# >= 1.6% with SGD at lr 0.01; a frozen layer has none), so a layer with every parameter inside
# it still holds a default initialisation.
# Calibration (benchmarks/outcome_calibration.py, 20 seeds): the notebook's solution (3 epochs of
# Adam) 100% on every seed; an untrained network ~10%; the last layer alone trained on random
# features (rejected by the initialisation check), the three linear layers trained on convolutions
# frozen at another seed (100% accurate: rejected by the bound check) and a network trained on
# shuffled labels (~10%): tests/assignments/test_outcome_cheats.py.
ACCURACY_THRESHOLD = 0.6
TRAIN_CNN_HELD_OUT = 300
MIN_LAYER_CHANGE = 1e-4  # largest |w - w_init| of each parameter tensor for it to count as trained


def _cifar_state(value, num_classes):
    """The returned weights as a CifarCNN state dict (CPU float32), or None and why not."""
    if not isinstance(value, dict):
        return None, f"expected dict(model.state_dict()) of a CifarCNN, not {type(value).__name__}"
    shapes = {k: tuple(v.shape) for k, v in cnn.CifarCNN(num_classes).state_dict().items()}
    missing = [k for k in shapes if k not in value]
    extra = sorted(set(value) - set(shapes))
    if missing or extra:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + \
                ([f"unexpected {', '.join(extra)}"] if extra else [])
        return None, "the weights are not those of CifarCNN (" + "; ".join(parts) + ")"
    state = {}
    for k, shape in shapes.items():
        v = value[k]
        if not isinstance(v, torch.Tensor) or not v.is_floating_point():
            return None, f"{k} must be a floating-point tensor"
        if tuple(v.shape) != shape:
            return None, f"{k} has shape {tuple(v.shape)}, expected {shape}"
        if not bool(torch.isfinite(v).all()):
            return None, f"{k} contains NaN or inf"
        state[k] = v.detach().to("cpu", torch.float32)
    return state, ""


def fresh_cifar_state(seed, num_classes):
    """The initialisation the notebook prescribes: torch.manual_seed(seed), then CifarCNN."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return cnn.CifarCNN(num_classes).state_dict()


def default_initialised(state: dict[str, torch.Tensor]) -> list[str]:
    """The layers (weight tensors of 2+ dims, with their bias) whose every parameter lies
    within +-1/sqrt(fan_in), the bound of PyTorch's default Conv2d and Linear initialisation."""
    found = []
    for key, weight in state.items():
        if not key.endswith(".weight") or weight.dim() < 2:
            continue
        bound = (1 + 1e-6) / math.sqrt(weight[0].numel())  # + float32 rounding of the bound
        bias = state.get(key[:-len("weight")] + "bias", weight.new_zeros(0))
        if float(weight.abs().max()) <= bound and (bias.numel() == 0 or
                                                   float(bias.abs().max()) <= bound):
            found.append(key[:-len(".weight")])
    return found


def _judge_train_cnn(value, case):
    secret = case.secret
    num_classes = int(secret["num_classes"])
    state, why = _cifar_state(value, num_classes)
    if state is None:
        return False, why
    fresh = fresh_cifar_state(int(secret["seed"]), num_classes)
    untrained = [k for k in state if float((state[k] - fresh[k]).abs().max()) < MIN_LAYER_CHANGE]
    if untrained:
        return False, (f"{', '.join(untrained)} equal the fresh initialisation: train the whole "
                       "network")
    frozen = default_initialised(state)
    if frozen:
        return False, (f"{', '.join(frozen)} still hold a default initialisation (every "
                       "parameter within PyTorch's initial bound, 1/sqrt(fan_in)): train the "
                       "whole network")
    model = cnn.CifarCNN(num_classes)
    model.load_state_dict(state)
    model.eval()
    with torch.no_grad():
        pred = model(secret["images"]).argmax(-1)
    acc = float((pred == secret["labels"]).float().mean())
    verdict = "reaches" if acc >= ACCURACY_THRESHOLD else "is below"
    return acc >= ACCURACY_THRESHOLD, \
        f"held-out accuracy {acc:.1%} {verdict} the {ACCURACY_THRESHOLD:.0%} threshold"


def _train_cnn_reference(X_train, y_train, seed):
    """The reference training (reference.cnn.train_cnn), its model's weights returned."""
    return {k: v.detach().clone() for k, v in cnn.train_cnn(X_train, y_train, seed).items()}


@SPECS.add("U4.4", "train_cnn", _train_cnn_reference, call="outcome", judge=_judge_train_cnn,
           points=3, repeat=True)
def _cases_train_cnn(gen):
    seed = int(randint(gen, 0, 2**31, 1))
    data = torch.Generator().manual_seed(seed)
    X, y = cnn.synthetic_images(600, 10, data)
    Xt, yt = cnn.synthetic_images(TRAIN_CNN_HELD_OUT, 10, data)
    return [Case("synthetic_cifar", args=(X, y, seed % 1000),
                 secret={"images": Xt, "labels": yt, "seed": seed % 1000, "num_classes": 10})]


# ---------------------------------------------------------------- U4.5 architectures
@SPECS.add("U4.5", "shape_table", architectures.shape_table)
def _cases_shape_table(gen):
    return [public("alexnet", architectures.ALEXNET, 227, 3),
            hidden("lenet5", architectures.LENET5, 32, 1),
            hidden("alexnet_small_input", architectures.ALEXNET, 195, 3)]


@SPECS.add("U4.5", "receptive_field", param_counts.receptive_field)
def _cases_receptive_field(gen):
    return [public("three_3x3", [(3, 1)] * 3), hidden("two_5x5", [(5, 1), (5, 1)]),
            hidden("strided", [(3, 2), (3, 2), (3, 1)]),
            hidden("alexnet_head", [(11, 4), (3, 2), (5, 1)])]


# ---------------------------------------------------------------- U4.6 / U4.7 blocks
@SPECS.add("U4.6", "InceptionModule", _module_reference(inception.InceptionModule),
           call="module", tolerance=CONV_TOL, points=2)
def _cases_inception(gen):
    M = inception.InceptionModule
    small = dict(in_ch=8, ch1x1=4, ch3x3red=3, ch3x3=5, ch5x5red=2, ch5x5=3, pool_proj=2)
    odd = dict(in_ch=5, ch1x1=2, ch3x3red=2, ch3x3=3, ch5x5red=1, ch5x5=2, pool_proj=1)
    return [_module_case(gen, M, "small", small, randn(gen, 2, 8, 8, 8), hidden=False),
            _module_case(gen, M, "odd_size", odd, randn(gen, 1, 5, 7, 5)),
            _module_case(gen, M, "batch_3", small, randn(gen, 3, 8, 4, 4))]


@SPECS.add("U4.7", "ResidualBlock", _module_reference(resnet.ResidualBlock), call="module",
           tolerance=CONV_TOL, points=2)
def _cases_residual(gen):
    R = resnet.ResidualBlock
    return [_module_case(gen, R, "identity", {"in_ch": 4, "out_ch": 4}, randn(gen, 2, 4, 8, 8),
                         hidden=False),
            _module_case(gen, R, "stride2_projection", {"in_ch": 4, "out_ch": 8, "stride": 2},
                         randn(gen, 2, 4, 8, 8)),
            _module_case(gen, R, "stride2_odd", {"in_ch": 3, "out_ch": 6, "stride": 2},
                         randn(gen, 1, 3, 7, 7)),
            _module_case(gen, R, "channels_only", {"in_ch": 2, "out_ch": 5},
                         randn(gen, 1, 2, 5, 5))]


# ---------------------------------------------------------------- U4.8 ViT family
def _vit_case(gen, name, B, C, H, W, p, D, distill=False, hidden=True):
    N = (H // p) * (W // p)
    extra = 2 if distill else 1
    kwargs = {"dist_token": randn(gen, D)} if distill else {}
    return Case(name, args=(randn(gen, B, C, H, W), p, randn(gen, D, p * p * C) * 0.1,
                            randn(gen, D), randn(gen, D), randn(gen, N + extra, D)),
                kwargs=kwargs, hidden=hidden)


@SPECS.add("U4.8", "patch_embed", vit.patch_embed, tolerance=CONV_TOL)
def _cases_patch_embed(gen):
    return [_vit_case(gen, "vit", 2, 3, 8, 8, 4, 6, hidden=False),
            _vit_case(gen, "deit_distillation", 1, 3, 8, 8, 2, 5, distill=True),
            _vit_case(gen, "non_square", 2, 1, 4, 12, 4, 3),
            _vit_case(gen, "one_patch", 1, 2, 4, 4, 4, 4)]


@SPECS.add("U4.8", "window_partition", vit.window_partition)
def _cases_window_partition(gen):
    return [public("2x2_windows", randn(gen, 1, 4, 4, 3), 2),
            hidden("batch_2_rect", randn(gen, 2, 4, 8, 2), 4),
            hidden("one_window", randn(gen, 1, 3, 3, 5), 3)]
