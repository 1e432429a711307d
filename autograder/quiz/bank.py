"""The question bank: parameterised generators over units U1-U5.

Every answer and distractor is the output of a :mod:`reference` function (a distractor is the
reference called with a typical mistake: no √d_k, α_t for ᾱ_t, padding ignored, ...).
"""
from __future__ import annotations

import math
import random

import torch

from reference import (architectures, attention, bert, diffusion, diffusion_lm, gan, guidance,
                       linear_regression, logistic_regression, loss_comparison, gradient_descent,
                       mlp, param_counts, perceptron, pooling, rnn, text_features, transformer,
                       vae, vit, wgan, word2vec)

from .model import Redraw, fmt, generator, ma, mc, numeric, shape_str, short, tf

F64 = torch.float64


def T(*xs) -> torch.Tensor:
    return torch.tensor(xs, dtype=F64)


def ri(rng, a, b):
    return rng.randint(a, b)


def rf(rng, a, b, digits=1):
    return round(rng.uniform(a, b), digits)


def vec(v) -> str:
    return "(" + ", ".join(fmt(x, 3) for x in v) + ")"


# ================================================================ U1: classic learning
@generator("U1", "perceptron")
def u1_pla_update(rng):
    w = [ri(rng, -3, 3) for _ in range(3)]
    x = [1] + [ri(rng, -3, 3) for _ in range(2)]
    y = rng.choice([-1, 1])
    new = perceptron.pla_update(T(*w), T(*x), float(y))
    return short(f"A perceptron has weights w = {vec(w)} (the first input is the constant 1). "
                 f"PLA visits the point x = {vec(x)} with label y = {y:+d}. Give w after this "
                 f"one PLA step, as (w0, w1, w2).", vec(new.tolist()), w=w, x=x, y=y)


@generator("U1", "perceptron")
def u1_pla_update_component(rng):
    w = [ri(rng, -3, 3) for _ in range(3)]
    x = [1] + [ri(rng, -3, 3) for _ in range(2)]
    y = rng.choice([-1, 1])
    if float(perceptron.perceptron_predict(T(*x)[None], T(*w), 0.0)[0]) == y:
        raise Redraw("want a misclassified point")
    i = ri(rng, 1, 2)
    new = perceptron.pla_update(T(*w), T(*x), float(y))
    return numeric(f"w = {vec(w)}, point x = {vec(x)} (x0 = 1), label y = {y:+d}. After one PLA "
                   f"update, what is w{i}?", new[i], integer=True, w=w, x=x, y=y, i=i)


@generator("U1", "perceptron")
def u1_perceptron_predict(rng):
    w = [rf(rng, -2, 2) for _ in range(2)]
    x = [ri(rng, -3, 3) for _ in range(2)]
    th = rf(rng, -2, 2)
    if abs(sum(a * b for a, b in zip(w, x)) - th) < 0.05:
        raise Redraw("too close to the boundary")
    pred = float(perceptron.perceptron_predict(T(*x)[None], T(*w), th)[0])
    return tf(f"A perceptron with w = {vec(w)} and threshold {fmt(th)} outputs +1 for "
              f"x = {vec(x)}.", pred > 0, w=w, x=x, threshold=th)


@generator("U1", "logistic regression")
def u1_sigmoid(rng):
    w, x, b = [rf(rng, -2, 2) for _ in range(2)], [rf(rng, -2, 2) for _ in range(2)], rf(rng, -1, 1)
    p = logistic_regression.logistic_predict_proba(T(*x)[None], T(*w), b)[0]
    return numeric(f"Logistic regression with w = {vec(w)}, b = {fmt(b)}. What is P(C1 | x) for "
                   f"x = {vec(x)}?", p, w=w, x=x, b=b)


@generator("U1", "logistic regression")
def u1_bce(rng):
    p = [round(rng.uniform(0.05, 0.95), 2) for _ in range(3)]
    y = [rng.choice([0, 1]) for _ in range(3)]
    loss = logistic_regression.bce_loss(T(*p), T(*y))
    return numeric(f"Predicted probabilities p = {vec(p)} for labels y = {vec(y)}. What is the "
                   f"mean binary cross-entropy (natural log)?", loss, p=p, y=y)


@generator("U1", "logistic regression")
def u1_bce_mc(rng):
    p = [round(rng.uniform(0.05, 0.95), 2) for _ in range(2)]
    y = [1, 0]
    good = logistic_regression.bce_loss(T(*p), T(*y))
    wrong = [logistic_regression.bce_loss(T(*p), T(*y)) * 2,  # summed instead of averaged
             logistic_regression.bce_loss(T(*p), 1 - T(*y)),  # labels swapped
             logistic_regression.bce_loss(T(*p), T(*y)) / math.log(2)]  # log base 2
    return mc(rng, f"Two examples: p = {vec(p)}, y = {vec(y)}. The mean binary cross-entropy "
              f"(natural log) is:", fmt(good), [fmt(v) for v in wrong], p=p, y=y)


@generator("U1", "cross-entropy vs square error")
def u1_ce_grad(rng):
    z, y = rf(rng, -4, 4), rng.choice([0, 1])
    ce, _ = loss_comparison.ce_and_se_grads(T(z), T(y))
    return numeric(f"A sigmoid output unit has pre-activation z = {fmt(z)} and target y = {y}. "
                   f"What is ∂CE/∂z?", ce[0], z=z, y=y)


@generator("U1", "cross-entropy vs square error")
def u1_se_grad(rng):
    z, y = rf(rng, -3, 3), rng.choice([0, 1])
    _, se = loss_comparison.ce_and_se_grads(T(z), T(y))
    return numeric(f"A sigmoid output p = σ(z) with z = {fmt(z)}, target y = {y}, loss (p − y)². "
                   f"What is the derivative of the loss with respect to z?", se[0], z=z, y=y)


@generator("U1", "cross-entropy vs square error")
def u1_ce_vs_se_tf(rng):
    z, y = rf(rng, -5, 5), rng.choice([0, 1])
    ce, se = loss_comparison.ce_and_se_grads(T(z), T(y))
    if abs(abs(float(ce[0])) - abs(float(se[0]))) < 1e-3:
        raise Redraw("too close")
    return tf(f"At z = {fmt(z)} with target y = {y}, the gradient magnitude |∂/∂z| of the "
              f"cross-entropy is larger than that of the square error (p − y)².",
              abs(float(ce[0])) > abs(float(se[0])), z=z, y=y)


@generator("U1", "gradient descent")
def u1_gradient_descent(rng):
    a, b, w0 = ri(rng, 1, 4), ri(rng, -4, 4), ri(rng, -3, 3)
    lr, steps = rng.choice([0.1, 0.2, 0.25]), ri(rng, 1, 3)
    w = gradient_descent.gradient_descent_quadratic(T(a)[None], T(b), T(w0), lr, steps)
    return numeric(f"Gradient descent on L(w) = ½·{a}·w² − ({b})·w from w = {w0} with learning "
                   f"rate η = {lr}. What is w after {steps} step(s)?", w[0],
                   a=a, b=b, w0=w0, lr=lr, steps=steps)


@generator("U1", "linear regression")
def u1_square_loss(rng):
    X = [[1, ri(rng, -2, 3)] for _ in range(3)]
    y = [ri(rng, -3, 3) for _ in range(3)]
    w = [rf(rng, -1, 1), rf(rng, -2, 2)]
    loss = linear_regression.square_loss(torch.tensor(X, dtype=F64), T(*y), T(*w))
    return numeric(f"Linear model h(x) = wᵀx with w = {vec(w)}. Data (x, y): "
                   + ", ".join(f"({vec(xi)}, {yi})" for xi, yi in zip(X, y))
                   + ". What is the mean square loss?", loss, X=X, y=y, w=w)


# ================================================================ U2: networks and CNNs
@generator("U2", "fully connected layer")
def u2_linear_forward(rng):
    W = [[ri(rng, -2, 2) for _ in range(2)] for _ in range(2)]
    b, x = [ri(rng, -2, 2) for _ in range(2)], [ri(rng, -2, 2) for _ in range(2)]
    i = ri(rng, 0, 1)
    z = mlp.linear_forward(T(*x)[None], torch.tensor(W, dtype=F64), T(*b))[0, i]
    return numeric(f"A layer z = Wa + b with W = {W}, b = {vec(b)}, a = {vec(x)}. What is "
                   f"z[{i}] (0-based)?", z, integer=True, W=W, b=b, x=x, i=i)


@generator("U2", "fully connected network")
def u2_mlp_forward(rng):
    W1 = [[rf(rng, -1, 1) for _ in range(2)] for _ in range(2)]
    b1 = [rf(rng, -1, 1) for _ in range(2)]
    W2, b2 = [[rf(rng, -1, 1) for _ in range(2)]], [rf(rng, -1, 1)]
    x = [rf(rng, -1, 1) for _ in range(2)]
    out = mlp.mlp_forward(T(*x)[None], [torch.tensor(W1, dtype=F64), torch.tensor(W2, dtype=F64)],
                          [T(*b1), T(*b2)])
    return numeric(f"A 2-2-1 network: hidden layer a = σ(W1 x + b1) with W1 = {W1}, "
                   f"b1 = {vec(b1)}; linear output y = W2 a + b2 with W2 = {W2}, b2 = {vec(b2)}. "
                   f"What is y for x = {vec(x)}?", out[0, 0], W1=W1, b1=b1, W2=W2, b2=b2, x=x)


@generator("U2", "RNN")
def u2_rnn(rng):
    wih, whh, b, h0 = rf(rng, -1, 1), rf(rng, -1, 1), rf(rng, -0.5, 0.5), rf(rng, -1, 1)
    xs = [rf(rng, -1, 1) for _ in range(2)]
    _, h = rnn.rnn_forward(torch.tensor(xs, dtype=F64).reshape(2, 1, 1), T(h0)[None],
                           T(wih)[None], T(whh)[None], T(b), T(0.0))
    return numeric(f"A scalar RNN h_t = tanh(w_x x_t + w_h h_(t−1) + b) with w_x = {fmt(wih)}, "
                   f"w_h = {fmt(whh)}, b = {fmt(b)}, h_0 = {fmt(h0)}. The inputs are x_1 = "
                   f"{fmt(xs[0])}, x_2 = {fmt(xs[1])}. What is h_2?", h[0, 0],
                   wih=wih, whh=whh, b=b, h0=h0, xs=xs)


def _conv_draw(rng):
    n = rng.choice([7, 14, 28, 32, 56, 64, 224, 227])
    k, s, p = rng.choice([1, 3, 5, 7, 11]), rng.choice([1, 2, 4]), rng.choice([0, 1, 2, 3])
    if k > n + 2 * p or p >= k:
        raise Redraw("kernel does not fit")
    return n, k, s, p


@generator("U2", "convolution sizes")
def u2_conv_output_size(rng):
    n, k, s, p = _conv_draw(rng)
    out = param_counts.conv_output_size(n, k, s, p)
    return numeric(f"A conv layer with a {k}×{k} kernel, stride {s} and padding {p} is applied "
                   f"to a {n}×{n} input. What is the output side length?", out, integer=True,
                   n=n, k=k, s=s, p=p)


@generator("U2", "convolution sizes")
def u2_conv_output_mc(rng):
    n, k, s, p = _conv_draw(rng)
    if p == 0 or s == 1:
        raise Redraw("want padding and stride")
    good = param_counts.conv_output_size(n, k, s, p)
    wrong = [param_counts.conv_output_size(n, k, s, 0),  # padding ignored
             param_counts.conv_output_size(n, k, 1, p),  # stride ignored
             param_counts.conv_output_size(n + 2 * p, k, s, p)]  # padding counted twice
    return mc(rng, f"Input {n}×{n}, conv kernel {k}×{k}, stride {s}, padding {p}. Output side?",
              str(good), [str(w) for w in wrong], n=n, k=k, s=s, p=p)


@generator("U2", "pooling")
def u2_pool_output_size(rng):
    n, k = rng.choice([6, 13, 27, 55, 32, 112]), rng.choice([2, 3])
    s = rng.choice([2, k])
    out = param_counts.conv_output_size(n, k, s, 0)
    return numeric(f"Max pooling with a {k}×{k} window and stride {s} (no padding) on a {n}×{n} "
                   f"feature map gives what side length?", out, integer=True, n=n, k=k, s=s)


@generator("U2", "parameter counts")
def u2_conv_params(rng):
    cin, cout, k = rng.choice([1, 3, 16, 32, 64]), rng.choice([8, 16, 32, 64, 128]), rng.choice([1, 3, 5])
    bias = rng.choice([True, False])
    n = param_counts.conv_param_count(cin, cout, k, bias)
    return numeric(f"How many parameters does nn.Conv2d({cin}, {cout}, kernel_size={k}, "
                   f"bias={bias}) have?", n, integer=True, cin=cin, cout=cout, k=k, bias=bias)


@generator("U2", "parameter counts")
def u2_conv_params_mc(rng):
    g = rng.choice([2, 4])
    cin, cout, k = g * ri(rng, 2, 8), g * ri(rng, 2, 8), rng.choice([3, 5])
    good = param_counts.conv_param_count(cin, cout, k, True, g)
    wrong = [param_counts.conv_param_count(cin, cout, k, False, g),  # bias forgotten
             param_counts.conv_param_count(cin, cout, k, True, 1),  # groups ignored
             param_counts.conv_shared_params(cout, k, 1, True)]  # input channels forgotten
    return mc(rng, f"Parameters of nn.Conv2d({cin}, {cout}, kernel_size={k}, groups={g}) "
              f"(with bias)?", str(good), [str(w) for w in wrong], cin=cin, cout=cout, k=k, g=g)


@generator("U2", "receptive field")
def u2_receptive_field(rng):
    layers = [(rng.choice([2, 3, 5]), rng.choice([1, 1, 2])) for _ in range(ri(rng, 2, 4))]
    r = param_counts.receptive_field(layers)
    desc = ", ".join(f"{k}×{k}/stride {s}" for k, s in layers)
    return numeric(f"Layers (kernel/stride), first layer first: {desc}. What is the receptive "
                   f"field (side, in input pixels) of one unit of the last layer?", r,
                   integer=True, layers=layers)


@generator("U2", "receptive field")
def u2_vgg_rf_ma(rng):
    target = rng.choice([5, 7, 9])
    cands = [[(3, 1)] * n for n in (1, 2, 3, 4)] + [[(target, 1)], [(5, 1), (3, 1)],
                                                    [(3, 2), (3, 1)], [(7, 1), (3, 1)]]
    rng.shuffle(cands)
    cands = cands[:5]
    opts = [(" → ".join(f"{k}×{k}/s{s}" for k, s in c),
             param_counts.receptive_field(c) == target) for c in cands]
    return ma(rng, f"Select every layer stack whose receptive field is {target}×{target}.", opts,
              target=target, stacks=[[list(l) for l in c] for c in cands])


@generator("U2", "parameter counts")
def u2_vgg_params(rng):
    n, c = rng.choice([2, 3]), rng.choice([64, 128, 256])
    return numeric(f"VGG stacks {n} convolutions of 3×3 with {c} → {c} channels (no bias). How "
                   f"many weights does the stack have?", architectures.vgg_stack_params(n, c),
                   integer=True, n=n, c=c)


@generator("U2", "parameter counts")
def u2_local_vs_conv_mc(rng):
    side, field, nf = rng.choice([100, 200]), rng.choice([5, 10]), rng.choice([50, 100])
    hidden = side * side
    good = param_counts.locally_connected_params(hidden, field)
    wrong = [param_counts.fully_connected_params(side * side, hidden),
             param_counts.conv_shared_params(nf, field),
             param_counts.locally_connected_params(hidden, field) // field]
    return mc(rng, f"A {side}×{side} image feeds {hidden} hidden units, each looking at its own "
              f"{field}×{field} patch with its own weights (locally connected, no bias). How many "
              f"weights?", str(good), [str(w) for w in wrong], side=side, field=field)


_STACK_LAYERS = [("conv", 3, 1, 1), ("conv", 3, 1, 0), ("conv", 5, 1, 2), ("conv", 3, 2, 1),
                 ("pool", 2, 2, 0), ("conv", 1, 1, 0)]


@generator("U2", "shapes")
def u2_shape_stack(rng):
    B, C, n = rng.choice([4, 8, 16]), rng.choice([1, 3]), rng.choice([28, 32, 64])
    layers, desc = [], []
    for j in range(ri(rng, 2, 3)):
        kind, k, s, p = rng.choice(_STACK_LAYERS)
        out = rng.choice([8, 16, 32])
        layers.append((f"l{j}", kind, out, k, s, p))
        desc.append(f"Conv2d(·, {out}, {k}, stride={s}, padding={p})" if kind == "conv"
                    else f"MaxPool2d({k}, stride={s})")
    _, c, h, w = architectures.shape_table(layers, n, C)[-1]
    return short(f"An input of shape ({B}, {C}, {n}, {n}) goes through " + " → ".join(desc)
                 + ". What is the output shape (B, C, H, W)?", shape_str((B, c, h, w)),
                 B=B, C=C, n=n, layers=[list(l) for l in layers])


@generator("U2", "shapes")
def u2_alexnet_shape(rng):
    table = architectures.alexnet_shapes()
    i = ri(rng, 1, len(table) - 1)
    name, c, h, w = table[i]
    return short(f"AlexNet (227×227×3 input, as in the lecture). What is the shape (C, H, W) "
                 f"after {name}?", shape_str((c, h, w)), layer=name, index=i)


@generator("U2", "pooling")
def u2_max_pool_value(rng):
    x = [[ri(rng, -5, 9) for _ in range(4)] for _ in range(4)]
    mode = rng.choice(["max", "average", "L2"])
    fn = {"max": pooling.max_pool2d, "average": pooling.avg_pool2d, "L2": pooling.l2_pool2d}[mode]
    i, j = ri(rng, 0, 1), ri(rng, 0, 1)
    out = fn(torch.tensor(x, dtype=F64)[None, None], 2)[0, 0, i, j]
    return numeric(f"{mode} pooling, 2×2 window, stride 2, on the 4×4 map (rows) {x}. What is "
                   f"output entry [{i}, {j}] (0-based)?", out, integer=(mode == "max"),
                   x=x, mode=mode, i=i, j=j)


# ================================================================ U3: text and attention
@generator("U3", "self-attention")
def u3_attention_weight(rng):
    d_k = rng.choice([4, 16, 64])
    s = [ri(rng, 0, 3 * int(math.sqrt(d_k))) for _ in range(3)]
    j = ri(rng, 0, 2)
    w = attention.attention_weights_from_scores(T(*s), d_k)[j]
    return numeric(f"A query's dot products with three keys are q·k = {vec(s)}, d_k = {d_k}. "
                   f"What is the attention weight on key {j + 1}?", w, scores=s, d_k=d_k, j=j)


@generator("U3", "self-attention")
def u3_attention_mc(rng):
    d_k = rng.choice([16, 64])
    s = [ri(rng, 60, 120), ri(rng, 60, 120)]
    if abs(s[0] - s[1]) < 4:
        raise Redraw("too close")
    good = attention.attention_weights_from_scores(T(*s), d_k)[0]
    wrong = [attention.attention_weights_from_scores(T(*s), 1)[0],  # forgot √d_k
             attention.attention_weights_from_scores(T(*s), d_k * d_k)[0],  # divided by d_k
             attention.attention_weights_from_scores(T(*s[::-1]), d_k)[0]]  # keys swapped
    return mc(rng, f"q1·k1 = {s[0]}, q1·k2 = {s[1]}, d_k = {d_k}. The attention weight α_(1,1) is:",
              fmt(good, 3), [fmt(w, 3) for w in wrong], scores=s, d_k=d_k)


@generator("U3", "self-attention")
def u3_attention_tf(rng):
    d_k = rng.choice([4, 16, 64])
    s = [ri(rng, 0, 20) for _ in range(2)]
    w = float(attention.attention_weights_from_scores(T(*s), d_k)[0])
    if abs(w - 0.7) < 0.02:
        raise Redraw("too close")
    return tf(f"With scores q·k = {vec(s)} and d_k = {d_k}, the weight on the first key after "
              f"scaling and softmax exceeds 0.7.", w > 0.7, scores=s, d_k=d_k)


@generator("U3", "self-attention")
def u3_sdpa_output(rng):
    q = [ri(rng, -2, 2) for _ in range(2)]
    K = [[ri(rng, -2, 2) for _ in range(2)] for _ in range(2)]
    V = [rf(rng, -2, 2) for _ in range(2)]
    out, _ = attention.scaled_dot_product_attention(T(*q)[None], torch.tensor(K, dtype=F64),
                                                    T(*V)[:, None])
    return numeric(f"One query q = {vec(q)}, keys k1 = {vec(K[0])}, k2 = {vec(K[1])} (d_k = 2), "
                   f"scalar values v1 = {fmt(V[0])}, v2 = {fmt(V[1])}. What is the attention "
                   f"output?", out[0, 0], q=q, K=K, V=V)


@generator("U3", "multi-head attention")
def u3_mha_params(rng):
    E, h = rng.choice([64, 128, 256, 512, 768]), rng.choice([4, 8])
    return numeric(f"How many parameters does nn.MultiheadAttention(embed_dim={E}, num_heads={h}) "
                   f"have (with biases)?", attention.multi_head_attention_param_count(E),
                   integer=True, E=E, h=h)


@generator("U3", "multi-head attention")
def u3_mha_params_mc(rng):
    E, h = rng.choice([64, 128, 256]), rng.choice([4, 8])
    good = attention.multi_head_attention_param_count(E, bias=True)
    wrong = [attention.multi_head_attention_param_count(E, bias=False),  # biases forgotten
             h * attention.multi_head_attention_param_count(E, bias=True),  # per head E×E
             attention.multi_head_attention_param_count(E, bias=True) * 3 // 4]  # no out proj
    return mc(rng, f"Parameters of a multi-head attention layer, width E = {E}, {h} heads, with "
              f"biases?", str(good), [str(w) for w in wrong], E=E, h=h)


@generator("U3", "BERT")
def u3_bert_rates(rng):
    p, m, r = rng.choice([0.1, 0.15, 0.2]), rng.choice([0.8, 0.7]), rng.choice([0.1, 0.15])
    which = ri(rng, 0, 2)
    val = bert.masked_lm_rates(p, m, r)[which]
    label = ["replaced by [MASK]", "replaced by a random token", "selected but kept unchanged"][which]
    return numeric(f"BERT selects {p:.0%} of the tokens; of those {m:.0%} become [MASK], {r:.0%} a "
                   f"random token, the rest stay. What fraction of all tokens is {label}?", val,
                   tol=1e-4, p=p, m=m, r=r, which=which)


@generator("U3", "BERT")
def u3_bert_mc(rng):
    p = rng.choice([0.1, 0.15, 0.2, 0.25])
    good = bert.masked_lm_rates(p, 0.8, 0.1)[0]
    wrong = [bert.masked_lm_rates(1.0, 0.8, 0.1)[0] * 1,  # forgot the selection rate
             bert.masked_lm_rates(p, 1.0, 0.0)[0],  # all selected become [MASK]
             bert.masked_lm_rates(p, 0.8, 0.1)[1]]  # the random-token share
    return mc(rng, f"BERT masked LM with selection rate {p:.0%} and the 80/10/10 rule: the "
              f"fraction of all tokens that the model sees as [MASK] is:", fmt(good, 4),
              [fmt(w, 4) for w in wrong], p=p)


@generator("U3", "word2vec")
def u3_skipgram_pairs(rng):
    n, w = ri(rng, 5, 20), ri(rng, 1, 3)
    return numeric(f"Skip-gram with window {w} on a sentence of {n} tokens: how many (centre, "
                   f"context) training pairs?", word2vec.skipgram_pair_count(n, w), integer=True,
                   T=n, window=w)


_WORDS = ["cat", "dog", "sat", "mat", "the", "on", "a", "ran"]


@generator("U3", "bag of words")
def u3_bag_of_words(rng):
    docs = [[rng.choice(_WORDS[:5]) for _ in range(ri(rng, 3, 6))] for _ in range(2)]
    vocab = text_features.build_vocab(docs)
    d = ri(rng, 0, 1)
    counts = text_features.bag_of_words(docs, vocab)[d]
    return short(f"Documents: D1 = \"{' '.join(docs[0])}\", D2 = \"{' '.join(docs[1])}\". The "
                 f"vocabulary is every word that occurs, sorted alphabetically: {vocab}. Give the "
                 f"bag-of-words count vector of D{d + 1}.", vec(counts.tolist()), docs=docs, d=d)


@generator("U3", "bag of words")
def u3_vocab_size(rng):
    docs = [[rng.choice(_WORDS) for _ in range(ri(rng, 4, 7))] for _ in range(3)]
    mc_ = ri(rng, 1, 3)
    n = len(text_features.build_vocab(docs, mc_))
    return numeric("Documents: " + "; ".join(f"\"{' '.join(d)}\"" for d in docs)
                   + f". How many words are in the vocabulary with min_count = {mc_}?", n,
                   integer=True, docs=docs, min_count=mc_)


@generator("U3", "transformer")
def u3_positional_encoding(rng):
    pos, d, i = ri(rng, 1, 20), rng.choice([4, 8, 16]), None
    i = ri(rng, 0, min(d, 4) - 1)
    val = transformer.sinusoidal_positional_encoding(pos + 1, d).double()[pos, i]
    return numeric(f"Sinusoidal positional encoding with d_model = {d}: PE[pos, 2i] = "
                   f"sin(pos/10000^(2i/d)), PE[pos, 2i+1] = cos(pos/10000^(2i/d)). What is "
                   f"PE[{pos}, {i}]?", val, tol=0.005, pos=pos, d=d, i=i)


# ================================================================ U4: ViT, GANs, VAEs
@generator("U4", "ViT")
def u4_vit_shape(rng):
    B, C, p = rng.choice([2, 8]), 3, rng.choice([4, 8, 16])
    n = p * rng.choice([2, 4, 7, 14])
    if n > 224:
        raise Redraw("image too big")
    shape = vit.patchify(torch.zeros(B, C, n, n), p).shape
    return short(f"ViT patchify: images of shape ({B}, {C}, {n}, {n}) cut into {p}×{p} patches, "
                 f"each flattened. What is the shape (B, N, D) of the patch sequence?",
                 shape_str(shape), B=B, C=C, n=n, p=p)


@generator("U4", "ViT")
def u4_vit_tokens(rng):
    p = rng.choice([8, 14, 16, 32])
    n = p * rng.choice([4, 7, 8, 14, 16])
    N = vit.patchify(torch.zeros(1, 1, n, n), p).shape[1]
    return numeric(f"A ViT with {p}×{p} patches on {n}×{n} images adds one [CLS] token. How many "
                   f"tokens enter the transformer?", N + 1, integer=True, n=n, p=p)


def _probs(rng, k):
    raw = [ri(rng, 1, 9) for _ in range(k)]
    return [round(r / sum(raw), 2) for r in raw[:-1]] + [round(1 - sum(round(r / sum(raw), 2) for r in raw[:-1]), 2)]


@generator("U4", "GAN")
def u4_gan_dstar(rng):
    pd, pg = round(rng.uniform(0.05, 0.9), 2), round(rng.uniform(0.05, 0.9), 2)
    return numeric(f"At an outcome x, p_data(x) = {pd} and p_G(x) = {pg}. What is the optimal "
                   f"discriminator's output D*(x)?", gan.optimal_discriminator_value(pd, pg),
                   p_data=pd, p_g=pg)


@generator("U4", "GAN")
def u4_gan_dstar_mc(rng):
    pd, pg = round(rng.uniform(0.05, 0.9), 2), round(rng.uniform(0.05, 0.9), 2)
    good = gan.optimal_discriminator_value(pd, pg)
    wrong = [gan.optimal_discriminator_value(pg, pd),  # p_G on top
             gan.optimal_discriminator_value(pd, 0.0) * pd,  # forgot p_G in the denominator → p_data
             0.5 * gan.optimal_discriminator_value(1.0, 1.0) * 2]  # "always 1/2"
    return mc(rng, f"p_data(x) = {pd}, p_G(x) = {pg}. For a fixed generator, the optimal "
              f"discriminator D*(x) is:", fmt(good, 3), [fmt(w, 3) for w in wrong],
              p_data=pd, p_g=pg)


@generator("U4", "GAN")
def u4_gan_max_value(rng):
    p, q = _probs(rng, 3), _probs(rng, 3)
    if min(p + q) <= 0:
        raise Redraw("zero probability")
    return numeric(f"On three outcomes p_data = {vec(p)} and p_G = {vec(q)}. What is "
                   f"max_D V(G, D) (natural log)?", gan.max_value_from_probs(p, q), p=p, q=q)


@generator("U4", "GAN")
def u4_jsd(rng):
    p, q = _probs(rng, 2), _probs(rng, 2)
    if min(p + q) <= 0:
        raise Redraw("zero probability")
    return numeric(f"Two distributions on two outcomes: P = {vec(p)}, Q = {vec(q)}. What is the "
                   f"Jensen-Shannon divergence JSD(P‖Q) in nats?", gan.jsd(T(*p), T(*q)),
                   tol=max(0.002, 0.02 * float(gan.jsd(T(*p), T(*q)))), p=p, q=q)


@generator("U4", "GAN")
def u4_gan_ma(rng):
    K = 4
    pd, pg = _probs(rng, K), _probs(rng, K)
    if min(pd + pg) <= 0:
        raise Redraw("zero probability")
    d = [gan.optimal_discriminator_value(a, b) for a, b in zip(pd, pg)]
    if any(abs(v - 0.5) < 1e-9 for v in d):
        raise Redraw("tie")
    opts = [(f"x{i + 1}", v > 0.5) for i, v in enumerate(d)]
    return ma(rng, f"Outcomes x1..x4 have p_data = {vec(pd)} and p_G = {vec(pg)}. Select every "
              f"outcome where the optimal discriminator outputs more than 1/2.", opts,
              p_data=pd, p_g=pg)


@generator("U4", "WGAN")
def u4_wasserstein(rng):
    x = [ri(rng, 0, 6) for _ in range(3)]
    y = [ri(rng, 0, 6) for _ in range(3)]
    w = wgan.wasserstein_1d(T(*x), T(*y))
    return numeric(f"Two empirical 1-D distributions, each point with mass 1/3: x = {vec(x)}, "
                   f"y = {vec(y)}. What is the Wasserstein-1 (earth mover's) distance?", w,
                   x=x, y=y)


@generator("U4", "VAE")
def u4_gaussian_kl(rng):
    mu, sigma = rf(rng, -2, 2), rf(rng, 0.3, 2.0)
    return numeric(f"What is KL(N({fmt(mu)}, {fmt(sigma)}²) ‖ N(0, 1)) in nats?",
                   vae.gaussian_kl_scalar(mu, sigma), mu=mu, sigma=sigma)


@generator("U4", "VAE")
def u4_gaussian_kl_mc(rng):
    mu, sigma = rf(rng, -2, 2), rf(rng, 0.3, 2.0)
    if sigma == 1.0:
        raise Redraw("σ = 1 hides the variance mistake")
    good = vae.gaussian_kl_scalar(mu, sigma)
    wrong = [vae.gaussian_kl_scalar(mu, sigma ** 2),  # variance used as σ
             vae.gaussian_kl_scalar(0.0, 1.0, mu, sigma),  # reverse KL
             vae.gaussian_kl_scalar(0.0, sigma)]  # mean term forgotten
    return mc(rng, f"The VAE's KL term for one latent dimension with μ = {fmt(mu)}, "
              f"σ = {fmt(sigma)} against the prior N(0, 1) is:", fmt(good, 3),
              [fmt(w, 3) for w in wrong], mu=mu, sigma=sigma)


@generator("U4", "VAE")
def u4_kl_asymmetry_tf(rng):
    mu, sigma = rf(rng, -1.5, 1.5), rf(rng, 0.3, 2.0)
    a, b = vae.gaussian_kl_scalar(mu, sigma), vae.gaussian_kl_scalar(0.0, 1.0, mu, sigma)
    if abs(a - b) < 1e-3:
        raise Redraw("too close")
    return tf(f"For q = N({fmt(mu)}, {fmt(sigma)}²) and p = N(0, 1): KL(q‖p) > KL(p‖q).", a > b,
              mu=mu, sigma=sigma)


@generator("U4", "VAE")
def u4_reparameterize(rng):
    mu, logvar, eps = rf(rng, -2, 2), rf(rng, -2, 2), rf(rng, -2, 2)
    z = vae.reparameterize(T(mu), T(logvar), T(eps))[0]
    return numeric(f"Reparameterisation: μ = {fmt(mu)}, log σ² = {fmt(logvar)}, ε = {fmt(eps)}. "
                   f"What is z?", z, mu=mu, logvar=logvar, eps=eps)


# ================================================================ U5: diffusion
_SCHED = [(1000, 1e-4, 0.02), (100, 1e-4, 0.02), (50, 1e-3, 0.05)]


@generator("U5", "DDPM schedule")
def u5_alpha_bar_linear(rng):
    Tn, b0, b1 = rng.choice(_SCHED)
    t = ri(rng, 1, Tn)
    return numeric(f"DDPM linear schedule β_1 = {b0}, …, β_T = {b1}, T = {Tn}. What is ᾱ_{t}?",
                   diffusion.alpha_bar_linear(t, Tn, b0, b1), tol=0.002, T=Tn, b0=b0, b1=b1, t=t)


@generator("U5", "DDPM schedule")
def u5_alpha_bar_mc(rng):
    Tn, b0, b1 = rng.choice(_SCHED)
    t = ri(rng, 2, Tn // 2)
    good = diffusion.alpha_bar_linear(t, Tn, b0, b1)
    wrong = [1 - diffusion.linear_beta(t, Tn, b0, b1),  # α_t instead of ᾱ_t
             diffusion.alpha_bar_linear(t - 1, Tn, b0, b1),  # off by one
             diffusion.alpha_bar_cosine(t, Tn)]  # the other schedule
    return mc(rng, f"Linear schedule from β_1 = {b0} to β_T = {b1} with T = {Tn}. ᾱ_{t} equals:",
              fmt(good, 4), [fmt(w, 4) for w in wrong], T=Tn, b0=b0, b1=b1, t=t)


@generator("U5", "DDPM schedule")
def u5_alpha_bar_cosine(rng):
    Tn = rng.choice([100, 1000])
    t = ri(rng, 1, Tn - 1)
    return numeric(f"Cosine schedule (s = 0.008), T = {Tn}: ᾱ_t = f(t/T)/f(0) with "
                   f"f(u) = cos²((u + s)/(1 + s)·π/2). What is ᾱ_{t}?",
                   diffusion.alpha_bar_cosine(t, Tn), tol=0.002, T=Tn, t=t)


@generator("U5", "DDPM schedule")
def u5_schedule_tf(rng):
    Tn = 1000
    t = ri(rng, 50, 950)
    a, b = diffusion.alpha_bar_cosine(t, Tn), diffusion.alpha_bar_linear(t, Tn)
    if abs(a - b) < 1e-3:
        raise Redraw("too close")
    return tf(f"With T = {Tn}, at t = {t} the cosine schedule's ᾱ_t is larger than the linear "
              f"schedule's (β from 1e-4 to 0.02).", a > b, T=Tn, t=t)


@generator("U5", "DDPM posterior")
def u5_posterior_mean(rng):
    Tn, t = 1000, rng.choice([10, 50, 100, 200, 500, 900])
    x0, xt = rf(rng, -1, 1), rf(rng, -2, 2)
    mean, _ = diffusion.posterior_mean_variance_scalar(x0, xt, t, Tn)
    return numeric(f"DDPM, linear schedule (β from 1e-4 to 0.02, T = {Tn}). With x_0 = {fmt(x0)} "
                   f"and x_{t} = {fmt(xt)}, what is the posterior mean μ̃_{t}(x_t, x_0) of "
                   f"q(x_{t - 1} | x_t, x_0)?", mean, tol=max(0.005, 0.01 * abs(mean)),
                   T=Tn, t=t, x0=x0, xt=xt)


@generator("U5", "DDPM posterior")
def u5_posterior_variance(rng):
    Tn, t = 1000, rng.choice([2, 10, 100, 500, 1000])
    _, var = diffusion.posterior_mean_variance_scalar(0.0, 0.0, t, Tn)
    return numeric(f"DDPM linear schedule (β from 1e-4 to 0.02, T = {Tn}). What is the posterior "
                   f"variance β̃_{t}?", var, tol=max(1e-5, 0.01 * var), T=Tn, t=t)


@generator("U5", "DDPM forward process")
def u5_q_sample(rng):
    Tn, t = 1000, rng.choice([1, 10, 100, 250, 500, 999])
    x0, eps = rf(rng, -1, 1), rf(rng, -2, 2)
    betas = diffusion.linear_beta_schedule(Tn, dtype=F64)
    xt = diffusion.q_sample(T(x0), torch.tensor([t - 1]), T(eps), betas)[0]
    return numeric(f"DDPM linear schedule (β from 1e-4 to 0.02, T = {Tn}). With x_0 = {fmt(x0)} "
                   f"and noise ε = {fmt(eps)}, what is x_{t} = √ᾱ_t x_0 + √(1 − ᾱ_t) ε?", xt,
                   tol=0.005, T=Tn, t=t, x0=x0, eps=eps)


@generator("U5", "DDPM reverse process")
def u5_x0_from_eps(rng):
    Tn, t = 1000, rng.choice([1, 10, 100, 250, 500])
    xt, eps = rf(rng, -2, 2), rf(rng, -2, 2)
    betas = diffusion.linear_beta_schedule(Tn, dtype=F64)
    x0 = diffusion.predict_x0_from_eps(T(xt), torch.tensor([t - 1]), T(eps), betas)[0]
    return numeric(f"DDPM linear schedule (β from 1e-4 to 0.02, T = {Tn}). The network predicts "
                   f"ε̂ = {fmt(eps)} at x_{t} = {fmt(xt)}. What is the implied x̂_0?", x0,
                   tol=max(0.01, 0.01 * abs(float(x0))), T=Tn, t=t, xt=xt, eps=eps)


@generator("U5", "guidance")
def u5_cfg(rng):
    ec, eu, w = rf(rng, -1, 1), rf(rng, -1, 1), rng.choice([0.5, 1.0, 2.0, 3.0, 7.5])
    out = guidance.classifier_free_guidance(T(ec), T(eu), w)[0]
    return numeric(f"Classifier-free guidance (Ho & Salimans, ε̃ = (1 + w) ε_c − w ε_u) with "
                   f"ε_c = {fmt(ec)}, ε_u = {fmt(eu)}, w = {w}. What is ε̃?", out,
                   ec=ec, eu=eu, w=w)


@generator("U5", "guidance")
def u5_cfg_mc(rng):
    ec, eu, w = rf(rng, -1, 1), rf(rng, -1, 1), rng.choice([2.0, 3.0, 7.5])
    if abs(ec - eu) < 0.1:
        raise Redraw("too close")
    good = guidance.classifier_free_guidance(T(ec), T(eu), w)[0]
    wrong = [guidance.guidance_scale_mix(T(eu), T(ec), w)[0],  # diffusers' s used as w
             guidance.classifier_free_guidance(T(eu), T(ec), w)[0],  # roles swapped
             guidance.classifier_free_guidance(T(ec), T(eu), 0.0)[0]]  # no guidance
    return mc(rng, f"Ho & Salimans' guidance with weight w = {w}: ε_c = {fmt(ec)}, "
              f"ε_u = {fmt(eu)}. The guided ε̃ is:", fmt(good, 3), [fmt(x, 3) for x in wrong],
              ec=ec, eu=eu, w=w)


@generator("U5", "latent diffusion")
def u5_dit_shape(rng):
    B, C, p = rng.choice([2, 4]), 4, rng.choice([2, 4, 8])
    n = p * rng.choice([4, 8, 16])
    shape = guidance.dit_patchify(torch.zeros(B, C, n, n), p).shape
    return short(f"DiT patchifies latents of shape ({B}, {C}, {n}, {n}) with patch size {p}. What "
                 f"is the token tensor's shape (B, N, p·p·C)?", shape_str(shape), B=B, C=C, n=n, p=p)


@generator("U5", "diffusion LM")
def u5_diffusion_lm_mask(rng):
    L = 8
    u = [round(rng.random(), 2) for _ in range(L)]
    t = rng.choice([0.25, 0.5, 0.75])
    xt = diffusion_lm.diffusion_lm_mask(torch.arange(L)[None], torch.tensor([t]),
                                        torch.tensor(u, dtype=F64)[None], mask_id=99)
    n = int((xt == 99).sum())
    return numeric(f"Masked diffusion LM: a sequence of {L} tokens at masking rate t = {t}; "
                   f"position i is masked iff u_i < t, with u = {vec(u)}. How many positions are "
                   f"masked?", n, integer=True, u=u, t=t)
