"""U4: CNNs and vision transformers: parameter counts, convolution and pooling sizes, the CIFAR CNN,
classic architectures, Inception, ResNet/ResNeXt/DenseNet, ViT and Swin."""
from __future__ import annotations

import math

import torch

from reference import architectures, cnn, conv, inception, param_counts, pooling, resnet, vit

from ..question import Redraw, fmt, ma, mc, numeric, shape_str, short, tf
from ..registry import generator
from .common import M, T, meta_shape, n_params, ri, vec


def _conv_draw(rng):
    n = rng.choice([7, 14, 28, 32, 56, 64, 224, 227])
    k, s, p = rng.choice([1, 3, 5, 7, 11]), rng.choice([1, 2, 4]), rng.choice([0, 1, 2, 3])
    if k > n + 2 * p or p >= k:
        raise Redraw("kernel does not fit")
    return n, k, s, p


@generator("U4.1", "parameter counts")
def u4_conv_params(rng):
    cin, cout, k = rng.choice([1, 3, 16, 32, 64]), rng.choice([8, 16, 32, 64, 128]), rng.choice([1, 3, 5])
    bias = rng.choice([True, False])
    n = param_counts.conv_param_count(cin, cout, k, bias)
    return numeric(f"How many parameters does nn.Conv2d({cin}, {cout}, kernel_size={k}, "
                   f"bias={bias}) have?", n, integer=True, cin=cin, cout=cout, k=k, bias=bias)


@generator("U4.1", "parameter counts")
def u4_local_vs_conv_mc(rng):
    # side ≤ 100: the fully connected distractor (side⁴ weights) stays printable (≤ 1e9)
    side, field = rng.choice([20, 28, 32, 50, 64, 100]), rng.choice([3, 5, 7, 10])
    nf = rng.choice([16, 32, 50, 64, 100])
    hidden = side * side
    good = param_counts.locally_connected_params(hidden, field)
    wrong = [param_counts.fully_connected_params(side * side, hidden),  # fully connected
             param_counts.conv_shared_params(nf, field),  # weights shared as in a conv layer
             param_counts.locally_connected_params(hidden, field, bias=True)]  # biases counted
    return mc(rng, f"A {side}×{side} image feeds {hidden} hidden units, each looking at its own "
              f"{field}×{field} patch with its own weights (locally connected, no bias). How many "
              f"weights?", str(good), [str(w) for w in wrong], side=side, field=field, nf=nf)


@generator("U4.1", "parameter counts")
def u4_fc_vs_conv_tf(rng):
    side, field, nf = rng.choice([32, 100, 200]), rng.choice([3, 5, 10]), rng.choice([16, 64, 100])
    fc = param_counts.fully_connected_params(side * side, side * side)
    cv = param_counts.conv_shared_params(nf, field)
    ratio = rng.choice([1000, 10 ** 6, 10 ** 8])
    if abs(math.log10(fc / cv) - math.log10(ratio)) < 0.05:
        raise Redraw("too close")
    return tf(f"A {side}×{side} image: a fully connected layer with {side * side} hidden units "
              f"(no bias) has more than {ratio:,} times as many weights as a conv layer of {nf} "
              f"shared {field}×{field} filters (no bias).", fc > ratio * cv,
              side=side, field=field, nf=nf, ratio=ratio)


@generator("U4.2", "convolution sizes")
def u4_conv_output_size(rng):
    n, k, s, p = _conv_draw(rng)
    out = param_counts.conv_output_size(n, k, s, p)
    return numeric(f"A conv layer with a {k}×{k} kernel, stride {s} and padding {p} is applied "
                   f"to a {n}×{n} input. What is the output side length (rounded down)?", out,
                   integer=True,
                   n=n, k=k, s=s, p=p)


@generator("U4.2", "convolution sizes")
def u4_conv_output_mc(rng):
    n, k, s, p = _conv_draw(rng)
    if p == 0 or s == 1:
        raise Redraw("want padding and stride")
    if k > n:
        raise Redraw("the padding-ignored distractor needs a kernel that fits without padding")
    good = param_counts.conv_output_size(n, k, s, p)
    wrong = [param_counts.conv_output_size(n, k, s, 0),  # padding ignored
             param_counts.conv_output_size(n, k, 1, p),  # stride ignored
             param_counts.conv_output_size(n + 2 * p, k, s, p)]  # padding counted twice
    return mc(rng, f"Input {n}×{n}, conv kernel {k}×{k}, stride {s}, padding {p}. Output side "
              f"(rounded down)?",
              str(good), [str(w) for w in wrong], n=n, k=k, s=s, p=p)


@generator("U4.2", "convolution layer")
def u4_conv_value(rng):
    x = [[ri(rng, -2, 3) for _ in range(3)] for _ in range(3)]
    w = [[ri(rng, -1, 2) for _ in range(2)] for _ in range(2)]
    b = ri(rng, -2, 1)
    i, j = ri(rng, 0, 1), ri(rng, 0, 1)
    out = conv.conv2d_relu(M(x)[None, None], M(w)[None, None], T(b))[0, 0, i, j]
    return numeric(f"A conv layer h = max(0, x ∗ w + b) (cross-correlation, stride 1, no padding) "
                   f"with the 2×2 kernel w = {w} (rows) and bias b = {b}, on the 3×3 input "
                   f"x = {x} (rows). What is output entry [{i}, {j}] (0-based)?", out,
                   integer=True, x=x, w=w, b=b, i=i, j=j)


@generator("U4.2", "convolution sizes")
def u4_shape_stack(rng):
    B, C, n = rng.choice([4, 8, 16]), rng.choice([1, 3]), rng.choice([28, 32, 64])
    kinds = [("conv", 3, 1, 1), ("conv", 3, 1, 0), ("conv", 5, 1, 2), ("conv", 3, 2, 1),
             ("pool", 2, 2, 0), ("conv", 1, 1, 0)]
    layers, desc, c = [], [], C
    for j in range(ri(rng, 2, 3)):
        kind, k, s, p = rng.choice(kinds)
        out = rng.choice([8, 16, 32]) if kind == "conv" else c
        layers.append((f"l{j}", kind, out, k, s, p))
        desc.append(f"Conv2d({c}, {out}, {k}, stride={s}, padding={p})" if kind == "conv"
                    else f"MaxPool2d({k}, stride={s})")
        c = out
    _, c, h, w = architectures.shape_table(layers, n, C)[-1]
    return short(f"An input of shape ({B}, {C}, {n}, {n}) goes through " + " → ".join(desc)
                 + ". What is the output shape (B, C, H, W)?", shape_str((B, c, h, w)),
                 B=B, C=C, n=n, layers=[list(l) for l in layers])


@generator("U4.3", "pooling")
def u4_pool_output_size(rng):
    n, k = rng.choice([6, 13, 27, 55, 32, 112]), rng.choice([2, 3])
    s = rng.choice([2, k])
    out = param_counts.conv_output_size(n, k, s, 0)
    return numeric(f"Max pooling with a {k}×{k} window and stride {s} (no padding) on a {n}×{n} "
                   f"feature map gives what side length (rounded down)?", out, integer=True,
                   n=n, k=k, s=s)


@generator("U4.3", "pooling")
def u4_pool_value(rng):
    x = [[ri(rng, -5, 9) for _ in range(4)] for _ in range(4)]
    mode = rng.choice(["max", "average", "L2"])
    fn = {"max": pooling.max_pool2d, "average": pooling.avg_pool2d, "L2": pooling.l2_pool2d}[mode]
    i, j = ri(rng, 0, 1), ri(rng, 0, 1)
    out = fn(M(x)[None, None], 2)[0, 0, i, j]
    how = {"max": "max", "average": "average", "L2": "L2 (√Σx² over the window)"}[mode]
    return numeric(f"{how} pooling, 2×2 window, stride 2, on the 4×4 map (rows) {x}. What is "
                   f"output entry [{i}, {j}] (0-based)?", out, integer=(mode == "max"),
                   x=x, mode=mode, i=i, j=j)


@generator("U4.3", "pooling")
def u4_pool_mc(rng):
    x = [[ri(rng, -5, 9) for _ in range(4)] for _ in range(4)]
    i, j = ri(rng, 0, 1), ri(rng, 0, 1)
    t = M(x)[None, None]
    good = pooling.l2_pool2d(t, 2)[0, 0, i, j]
    wrong = [pooling.max_pool2d(t, 2)[0, 0, i, j],  # max instead of L2
             pooling.avg_pool2d(t, 2)[0, 0, i, j],  # average instead of L2
             pooling.l2_pool2d(t, 2, 1)[0, 0, i, j]]  # stride 1 (overlapping windows)
    return mc(rng, f"L2 pooling (√ of the sum of squares over each window), 2×2 window, stride 2, "
              f"on the 4×4 map (rows) {x}. Output entry [{i}, {j}] (0-based) is:", fmt(good, 3),
              [fmt(w, 3) for w in wrong], x=x, i=i, j=j)


@generator("U4.4", "CIFAR-10 CNN")
def u4_cifar_flatten(rng):
    n = rng.choice([32, 36, 40, 48, 64])
    c1, c2 = rng.choice([6, 8]), rng.choice([16, 32])
    layers = [("conv1", "conv", c1, 5, 1, 0), ("pool1", "pool", c1, 2, 2, 0),
              ("conv2", "conv", c2, 5, 1, 0), ("pool2", "pool", c2, 2, 2, 0)]
    _, c, h, w = architectures.shape_table(layers, n, 3)[-1]
    return numeric(f"The CIFAR-10 CNN conv({3}, {c1}, 5) → max-pool 2 → conv({c1}, {c2}, 5) → "
                   f"max-pool 2 → flatten → fc (no padding, stride 1 convs) is fed {n}×{n} RGB "
                   f"images. How many inputs does the first fully connected layer need?", c * h * w,
                   integer=True, n=n, c1=c1, c2=c2)


@generator("U4.4", "CIFAR-10 CNN")
def u4_cifar_layer_params(rng):
    k = rng.choice([10, 100])
    name = rng.choice(["conv1", "conv2", "fc1", "fc2", "fc3"])
    n = n_params(lambda: getattr(cnn.CifarCNN(k), name))
    return numeric(f"The lecture's CIFAR CNN: conv1 = Conv2d(3, 6, 5), pool, conv2 = Conv2d(6, 16, "
                   f"5), pool, fc1 = Linear(16·5·5, 120), fc2 = Linear(120, 84), fc3 = Linear(84, "
                   f"{k}) ({k} classes), all with biases. How many parameters does {name} have?",
                   n, integer=True, k=k, layer=name)


@generator("U4.4", "CIFAR-10 CNN")
def u4_accuracy(rng):
    n = ri(rng, 6, 10)
    y = [ri(rng, 0, 2) for _ in range(n)]
    pred = [v if rng.random() < 0.6 else ri(rng, 0, 2) for v in y]
    c = rng.choice([0, 1, 2])
    cm = cnn.confusion_matrix(torch.tensor(pred), torch.tensor(y), 3)
    which = rng.choice(["accuracy", "diag", "row"])
    if which == "accuracy":
        val = cnn.accuracy(torch.nn.functional.one_hot(torch.tensor(pred), 3).double(),
                           torch.tensor(y))
        ask = "What is the accuracy (a fraction)?"
    elif which == "diag":
        val, ask = cm[c, c], f"How many examples of class {c} are classified correctly?"
    else:
        val, ask = cm[c].sum() - cm[c, c], f"How many examples of class {c} are misclassified?"
    return numeric(f"A 3-class classifier: true labels {vec(y)}, predictions {vec(pred)}. " + ask,
                   val, integer=(which != "accuracy"), y=y, pred=pred, c=c, which=which)


@generator("U4.5", "classic architectures")
def u4_receptive_field(rng):
    layers = [(rng.choice([2, 3, 5]), rng.choice([1, 1, 2])) for _ in range(ri(rng, 2, 4))]
    r = param_counts.receptive_field(layers)
    desc = ", ".join(f"{k}×{k}/stride {s}" for k, s in layers)
    return numeric(f"Layers (kernel/stride), first layer first: {desc}. What is the receptive "
                   f"field (side, in input pixels) of one unit of the last layer?", r,
                   integer=True, layers=layers)


@generator("U4.5", "classic architectures")
def u4_vgg_rf_ma(rng):
    target = rng.choice([5, 7, 9])
    cands = [[(3, 1)] * n for n in (1, 2, 3, 4)] + [[(target, 1)], [(5, 1), (3, 1)],
                                                    [(3, 2), (3, 1)], [(7, 1), (3, 1)]]
    rng.shuffle(cands)
    cands = cands[:5]
    opts = [(" → ".join(f"{k}×{k}/s{s}" for k, s in c),
             param_counts.receptive_field(c) == target) for c in cands]
    return ma(rng, f"Select every layer stack whose receptive field is {target}×{target}.", opts,
              target=target, stacks=[[list(l) for l in c] for c in cands])


@generator("U4.5", "classic architectures", versions=6)
def u4_vgg_params(rng):
    n, c = rng.choice([2, 3]), rng.choice([64, 128, 256])
    return numeric(f"VGG stacks {n} convolutions of 3×3 with {c} → {c} channels (no bias). How "
                   f"many weights does the stack have?", architectures.vgg_stack_params(n, c),
                   integer=True, n=n, c=c)


@generator("U4.5", "classic architectures", versions=8)
def u4_alexnet_shape(rng):
    table = architectures.alexnet_shapes()
    i = ri(rng, 1, len(table) - 1)
    name, c, h, w = table[i]
    return short(f"AlexNet (227×227×3 input, as in the lecture: conv1 96@11×11/4, pool 3/2, conv2 "
                 f"256@5×5 pad 2, pool 3/2, conv3-5 3×3 pad 1 with 384, 384, 256 channels, pool "
                 f"3/2). What is the shape (C, H, W) after {name}?", shape_str((c, h, w)),
                 layer=name, index=i)


@generator("U4.5", "classic architectures", versions=5)
def u4_lenet_shape(rng):
    table = architectures.lenet5_shapes()
    i = ri(rng, 1, len(table) - 1)
    name, c, h, w = table[i]
    return short(f"LeNet-5 on a 32×32×1 input: C1 = 6 convs 5×5, S2 = 2×2 pooling stride 2, C3 = "
                 f"16 convs 5×5, S4 = 2×2 pooling stride 2, C5 = 120 convs 5×5 (no padding). What "
                 f"is the shape (C, H, W) after {name}?", shape_str((c, h, w)), layer=name, index=i)


@generator("U4.6", "Inception")
def u4_inception_channels(rng):
    cin = rng.choice([192, 256, 480])
    ch = [rng.choice([32, 64, 128]), rng.choice([64, 96]), rng.choice([96, 128, 192]),
          rng.choice([16, 32]), rng.choice([32, 48, 96]), rng.choice([32, 64])]
    n = rng.choice([28, 14])
    shape = meta_shape(lambda: inception.InceptionModule(cin, *ch), (1, cin, n, n))
    return short(f"An Inception module on a ({cin}, {n}, {n}) input: 1×1 branch with {ch[0]} "
                 f"filters; 1×1 ({ch[1]}) → 3×3 ({ch[2]}) branch; 1×1 ({ch[3]}) → 5×5 ({ch[4]}) "
                 f"branch; 3×3 max pool → 1×1 ({ch[5]}) branch; 'same' padding everywhere, outputs "
                 f"concatenated along channels. What is the output shape (C, H, W)?",
                 shape_str(shape[1:]), cin=cin, ch=ch, n=n)


@generator("U4.6", "Inception")
def u4_inception_params(rng):
    cin = rng.choice([64, 192, 256])
    ch = [rng.choice([32, 64]), rng.choice([48, 96]), rng.choice([64, 128]),
          rng.choice([8, 16]), rng.choice([16, 32]), rng.choice([16, 32])]
    n = n_params(lambda: inception.InceptionModule(cin, *ch))
    return numeric(f"An Inception module with {cin} input channels: 1×1 conv ({ch[0]}); 1×1 "
                   f"({ch[1]}) → 3×3 ({ch[2]}); 1×1 ({ch[3]}) → 5×5 ({ch[4]}); 3×3 max pool → 1×1 "
                   f"({ch[5]}). Every conv has a bias. How many parameters does the module have?",
                   n, integer=True, cin=cin, ch=ch)


def _block_params(block, *names) -> int:
    return sum(p.numel() for n in names for p in getattr(block, n).parameters())


@generator("U4.7", "ResNet / ResNeXt / DenseNet", versions=3)
def u4_resnet_params_mc(rng):
    cin = rng.choice([16, 32, 64])
    cout, stride = cin * 2, 2
    with torch.device("meta"):
        block = resnet.ResidualBlock(cin, cout, stride)
    cp = param_counts.conv_param_count
    good = _block_params(block, "conv1", "bn1", "conv2", "bn2", "downsample")
    wrong = [_block_params(block, "conv1", "bn1", "conv2", "bn2"),  # projection forgotten
             cp(cin, cout, 3, False) + cp(cout, cout, 3, False) + cp(cin, cout, 1, False),  # no BN
             _block_params(block, "bn1", "bn2", "downsample") + cp(cin, cout, 3, True)
             + cp(cout, cout, 3, True)]  # conv biases counted
    return mc(rng, f"A ResNet basic block from {cin} to {cout} channels with stride {stride}: "
              f"3×3 conv (no bias) → BatchNorm → ReLU → 3×3 conv (no bias) → BatchNorm, plus a 1×1 "
              f"stride-2 projection shortcut (conv, no bias, + BatchNorm). How many trainable "
              f"parameters (BatchNorm: a weight and a bias per channel)?", str(good),
              [str(w) for w in wrong], cin=cin, cout=cout, stride=stride)


@generator("U4.7", "ResNet / ResNeXt / DenseNet")
def u4_grouped_conv_mc(rng):
    g = rng.choice([2, 4, 8, 32])
    width = g * rng.choice([2, 4, 8])
    channels = rng.choice([64, 128, 256])
    if width > channels:
        raise Redraw("a bottleneck narrows")
    cp = param_counts.conv_param_count
    good = n_params(lambda: resnet.ResNeXtBlock(channels, width, g))
    wrong = [n_params(lambda: resnet.ResNeXtBlock(channels, width, 1)),  # groups ignored
             cp(width, width, 3, False, g),  # only the grouped conv
             cp(channels, width, 1, False, g) + cp(width, width, 3, False, g)
             + cp(width, channels, 1, False, g)]  # the 1×1 convs grouped too
    return mc(rng, f"A ResNeXt block on {channels} channels: 1×1 conv to {width} → 3×3 grouped conv "
              f"{width} → {width} with cardinality {g} → 1×1 conv back to {channels}, no biases, "
              f"plus the identity. How many parameters?", str(good), [str(w) for w in wrong],
              channels=channels, width=width, g=g)


@generator("U4.7", "ResNet / ResNeXt / DenseNet")
def u4_dense_channels(rng):
    cin, k, L = rng.choice([16, 24, 64]), rng.choice([12, 32]), ri(rng, 2, 6)
    shape = meta_shape(lambda: resnet.DenseBlock(cin, k, L), (1, cin, 8, 8))
    return numeric(f"A DenseNet block with {L} layers and growth rate {k}: each layer sees the "
                   f"concatenation of the block input and all earlier layers' outputs, and the "
                   f"block returns all of them concatenated. The input has {cin} channels; how "
                   f"many channels does the block output?", shape[1], integer=True,
                   cin=cin, k=k, L=L)


@generator("U4.8", "ViT")
def u4_vit_shape(rng):
    B, C, p = rng.choice([2, 8]), 3, rng.choice([4, 8, 16])
    n = p * rng.choice([2, 4, 7, 14])
    if n > 224:
        raise Redraw("image too big")
    with torch.device("meta"):  # shapes only
        shape = vit.patchify(torch.zeros(B, C, n, n), p).shape
    return short(f"ViT patchify: images of shape ({B}, {C}, {n}, {n}) cut into {p}×{p} patches, "
                 f"each flattened. What is the shape (B, N, D) of the patch sequence?",
                 shape_str(shape), B=B, C=C, n=n, p=p)


@generator("U4.8", "ViT / DeiT")
def u4_vit_tokens(rng):
    p = rng.choice([8, 14, 16, 32])
    n = p * rng.choice([4, 7, 8, 14, 16])
    deit = rng.choice([False, True])
    D = 4
    tokens = vit.patch_embed(torch.zeros(1, 1, n, n), p, torch.zeros(D, p * p), torch.zeros(D),
                             torch.zeros(D), torch.zeros((n // p) ** 2 + 1 + deit, D),
                             torch.zeros(D) if deit else None)
    extra = "a [CLS] token and DeiT's distillation token" if deit else "one [CLS] token"
    return numeric(f"A {'DeiT' if deit else 'ViT'} with {p}×{p} patches on {n}×{n} images adds "
                   f"{extra}. How many tokens enter the transformer?", tokens.shape[1],
                   integer=True, n=n, p=p, deit=deit)


@generator("U4.8", "Swin")
def u4_swin_windows(rng):
    M_ = rng.choice([4, 7, 8])
    H = M_ * rng.choice([2, 4, 7, 8])
    B = rng.choice([1, 2, 4])
    C = 3
    n = vit.window_partition(torch.zeros(B, H, H, C), M_).shape[0]
    return numeric(f"Swin partitions a batch of {B} feature maps of {H}×{H} tokens into "
                   f"non-overlapping {M_}×{M_} windows. How many windows in the whole batch?", n,
                   integer=True, B=B, H=H, M=M_)
