"""The question bank: parameterised generators over every unit of the syllabus (U1-U5).

Each generator is registered for one syllabus row (``@generator("U4.2", topic)``, see
/work/shared/course/SYLLABUS.md) and draws its parameters from the ``rng`` it is given. Every
answer and every distractor is the output of a :mod:`reference` function: a distractor is the
reference called with a typical mistake (no √d_k, α_t for ᾱ_t, padding ignored, groups ignored,
the labels swapped, ...). Nothing here types an answer by hand; the numbers in this file are
the questions' parameters. Answers are computed with tiny float64 tensors (a few microseconds),
so 200 variants of every generator take seconds.
"""
from __future__ import annotations

import math

import torch

from reference import (analogy, architectures, attention, autoencoder, backprop, bert, cnn,
                       conv, cyclegan, diffusion, diffusion_lm, elmo, gan, glove, gpt, guidance,
                       image_gpt, inception, linear_regression, logistic_regression,
                       loss_comparison, gradient_descent, mlp, param_counts, perceptron,
                       pixelcnn, pooling, resnet, rnn, text_features, transformer, vae, vit, wgan,
                       word2vec)

from .model import Redraw, fmt, generator, ma, mc, numeric, shape_str, short, tf

F64 = torch.float64


def T(*xs) -> torch.Tensor:
    return torch.tensor(xs, dtype=F64)


def M(rows) -> torch.Tensor:
    return torch.tensor(rows, dtype=F64)


def ri(rng, a, b):
    return rng.randint(a, b)


def rf(rng, a, b, digits=1):
    return round(rng.uniform(a, b), digits)


def vec(v) -> str:
    return "(" + ", ".join(fmt(x, 3) for x in v) + ")"


def mat(rows) -> str:
    """A matrix by rows: [[1, -0.5], [0, 2]]."""
    return "[" + ", ".join("[" + ", ".join(fmt(x, 3) for x in r) + "]" for r in rows) + "]"


def n_params(make) -> int:
    """Parameters of the reference module ``make()`` built on the meta device (no memory, no
    initialisation cost)."""
    with torch.device("meta"):
        return sum(p.numel() for p in make().parameters())


def meta_shape(make, shape) -> tuple[int, ...]:
    """Output shape of the reference module ``make()`` on a meta input of ``shape``."""
    with torch.device("meta"):
        return tuple(make()(torch.empty(*shape)).shape)


# ================================================================ U1: learning basics
_BOUNDARY = "(a point with y·(w·x) ≤ 0, the boundary included, counts as misclassified)"


@generator("U1.1", "perceptron")
def u1_pla_update(rng):
    w = [ri(rng, -3, 3) for _ in range(3)]
    x = [1] + [ri(rng, -3, 3) for _ in range(2)]
    y = rng.choice([-1, 1])
    new = perceptron.pla_update(T(*w), T(*x), float(y))
    return short(f"A perceptron has weights w = {vec(w)} (the first input is the constant 1). "
                 f"PLA visits the point x = {vec(x)} with label y = {y:+d} {_BOUNDARY}. Give w "
                 f"after this one PLA step, as (w0, w1, w2).", vec(new.tolist()), w=w, x=x, y=y)


@generator("U1.1", "perceptron")
def u1_pla_update_component(rng):
    w = [ri(rng, -3, 3) for _ in range(3)]
    x = [1] + [ri(rng, -3, 3) for _ in range(2)]
    y = rng.choice([-1, 1])
    new = perceptron.pla_update(T(*w), T(*x), float(y))
    if torch.equal(new, T(*w)):
        raise Redraw("want a misclassified point")
    i = ri(rng, 1, 2)
    return numeric(f"w = {vec(w)}, point x = {vec(x)} (x0 = 1), label y = {y:+d} {_BOUNDARY}. "
                   f"After one PLA update, what is w{i}?", new[i], integer=True, w=w, x=x, y=y, i=i)


@generator("U1.1", "perceptron")
def u1_perceptron_predict(rng):
    w = [rf(rng, -2, 2) for _ in range(2)]
    x = [ri(rng, -3, 3) for _ in range(2)]
    th = rf(rng, -2, 2)
    if abs(sum(a * b for a, b in zip(w, x)) - th) < 0.05:
        raise Redraw("too close to the boundary")
    pred = float(perceptron.perceptron_predict(T(*x)[None], T(*w), th)[0])
    return tf(f"A perceptron h(x) = sign(w·x − threshold) with w = {vec(w)} and threshold "
              f"{fmt(th)} outputs +1 for x = {vec(x)}.", pred > 0, w=w, x=x, threshold=th)


@generator("U1.2", "linear regression")
def u1_square_loss(rng):
    X = [[1, ri(rng, -2, 3)] for _ in range(3)]
    y = [ri(rng, -3, 3) for _ in range(3)]
    w = [rf(rng, -1, 1), rf(rng, -2, 2)]
    loss = linear_regression.square_loss(M(X), T(*y), T(*w))
    return numeric(f"Linear model h(x) = wᵀx with w = {vec(w)}. Data (x, y): "
                   + ", ".join(f"({vec(xi)}, {yi})" for xi, yi in zip(X, y))
                   + ". What is the mean square loss (1/N) Σ (h(x) − y)²?", loss, X=X, y=y, w=w)


@generator("U1.2", "linear regression")
def u1_square_loss_grad(rng):
    X = [[1, ri(rng, -2, 3)] for _ in range(3)]
    y = [ri(rng, -3, 3) for _ in range(3)]
    w = [rf(rng, -1, 1), rf(rng, -2, 2)]
    j = ri(rng, 0, 1)
    g = linear_regression.square_loss_grad(M(X), T(*y), T(*w))[j]
    return numeric(f"Linear model h(x) = wᵀx, w = {vec(w)}, mean square loss L = (1/N) Σ (h(x) − "
                   f"y)². Data (x, y): " + ", ".join(f"({vec(xi)}, {yi})" for xi, yi in zip(X, y))
                   + f". What is ∂L/∂w{j}?", g, X=X, y=y, w=w, j=j)


@generator("U1.2", "linear regression")
def u1_least_squares_slope(rng):
    xs = sorted(rng.sample(range(-3, 5), 3))
    y = [ri(rng, -4, 6) for _ in range(3)]
    X = [[1, x] for x in xs]
    w = linear_regression.linear_regression_closed_form(M(X), T(*y))
    return numeric("Fit h(x) = w0 + w1·x by least squares (closed form) to the points (x, y) = "
                   + ", ".join(f"({x}, {yi})" for x, yi in zip(xs, y)) + ". What is the slope w1?",
                   w[1], xs=xs, y=y)


@generator("U1.3", "logistic regression")
def u1_sigmoid(rng):
    w, x, b = [rf(rng, -2, 2) for _ in range(2)], [rf(rng, -2, 2) for _ in range(2)], rf(rng, -1, 1)
    p = logistic_regression.logistic_predict_proba(T(*x)[None], T(*w), b)[0]
    return numeric(f"Logistic regression P(C1 | x) = σ(w·x + b) with w = {vec(w)}, b = {fmt(b)}. "
                   f"What is P(C1 | x) for x = {vec(x)}?", p, w=w, x=x, b=b)


@generator("U1.3", "logistic regression")
def u1_bce(rng):
    p = [round(rng.uniform(0.05, 0.95), 2) for _ in range(3)]
    y = [rng.choice([0, 1]) for _ in range(3)]
    loss = logistic_regression.bce_loss(T(*p), T(*y))
    return numeric(f"Predicted probabilities p = {vec(p)} for labels y = {vec(y)}. What is the "
                   f"mean binary cross-entropy (natural log)?", loss, p=p, y=y)


@generator("U1.3", "logistic regression")
def u1_bce_mc(rng):
    p = [round(rng.uniform(0.05, 0.95), 2) for _ in range(2)]
    y = [1, 0]
    bce = logistic_regression.bce_loss
    good = bce(T(*p), T(*y))
    wrong = [sum(bce(T(pi), T(yi)) for pi, yi in zip(p, y)),  # summed, not averaged
             bce(T(*p), 1 - T(*y)),  # labels swapped
             bce(T(*p), T(1, 1))]  # every example treated as positive
    return mc(rng, f"Two examples: p = {vec(p)}, y = {vec(y)}. The mean binary cross-entropy "
              f"(natural log) is:", fmt(good), [fmt(v) for v in wrong], p=p, y=y)


@generator("U1.3", "logistic regression")
def u1_logistic_grad_b(rng):
    X = [[rf(rng, -2, 2)] for _ in range(2)]
    y = [1, 0]
    w, b = rf(rng, -1.5, 1.5), rf(rng, -1, 1)
    _, gb = logistic_regression.logistic_grad(M(X), T(*y), T(w), b)
    return numeric(f"Logistic regression σ(w·x + b) with w = {fmt(w)}, b = {fmt(b)}, trained on "
                   f"the mean cross-entropy of two examples (x, y) = ({fmt(X[0][0])}, 1) and "
                   f"({fmt(X[1][0])}, 0). What is ∂L/∂b?", gb, X=X, y=y, w=w, b=b)


@generator("U1.4", "cross-entropy vs square error")
def u1_ce_grad(rng):
    z, y = rf(rng, -4, 4), rng.choice([0, 1])
    ce, _ = loss_comparison.ce_and_se_grads(T(z), T(y))
    return numeric(f"A sigmoid output unit has pre-activation z = {fmt(z)} and target y = {y}. "
                   f"What is ∂CE/∂z for the cross-entropy CE = −y log σ(z) − (1 − y) log(1 − σ(z))?",
                   ce[0], z=z, y=y)


@generator("U1.4", "cross-entropy vs square error")
def u1_se_grad(rng):
    z, y = rf(rng, -3, 3), rng.choice([0, 1])
    _, se = loss_comparison.ce_and_se_grads(T(z), T(y))
    return numeric(f"A sigmoid output p = σ(z) with z = {fmt(z)}, target y = {y}, loss (p − y)². "
                   f"What is the derivative of the loss with respect to z?", se[0], z=z, y=y)


@generator("U1.4", "cross-entropy vs square error")
def u1_ce_vs_se_tf(rng):
    z, y = rf(rng, -5, 5), rng.choice([0, 1])
    ce, se = loss_comparison.ce_and_se_grads(T(z), T(y))
    if abs(abs(float(ce[0])) - abs(float(se[0]))) < 1e-3:
        raise Redraw("too close")
    return tf(f"A sigmoid output σ(z) at z = {fmt(z)} with target y = {y}: the gradient magnitude "
              f"|∂/∂z| of the cross-entropy is larger than that of the square error (σ(z) − y)².",
              abs(float(ce[0])) > abs(float(se[0])), z=z, y=y)


@generator("U1.5", "gradient descent")
def u1_gradient_descent(rng):
    a, b, w0 = ri(rng, 1, 4), ri(rng, -4, 4), ri(rng, -3, 3)
    lr, steps = rng.choice([0.1, 0.2, 0.25]), ri(rng, 1, 3)
    w = gradient_descent.gradient_descent_quadratic(T(a)[None], T(b), T(w0), lr, steps)
    return numeric(f"Gradient descent on L(w) = ½·{a}·w² − ({b})·w from w = {w0} with learning "
                   f"rate η = {lr}. What is w after {steps} step(s)?", w[0],
                   a=a, b=b, w0=w0, lr=lr, steps=steps)


@generator("U1.5", "gradient descent")
def u1_gradient_descent_mc(rng):
    a, b, w0 = ri(rng, 1, 4), ri(rng, -4, 4), ri(rng, -3, 3)
    lr = rng.choice([0.1, 0.2, 0.25])
    gd = gradient_descent.gradient_descent_quadratic
    good = gd(T(a)[None], T(b), T(w0), lr, 1)[0]
    wrong = [gd(-T(a)[None], -T(b), T(w0), lr, 1)[0],  # stepped up the gradient (w + η∇L)
             gd(T(a)[None], T(b), T(w0), 1.0, 1)[0],  # learning rate forgotten
             gd(T(a)[None], T(b), T(w0), lr, 2)[0]]  # two steps
    return mc(rng, f"L(w) = ½·{a}·w² − ({b})·w. One gradient-descent step w ← w − η ∇L from "
              f"w = {w0} with η = {lr} gives:", fmt(good), [fmt(x) for x in wrong],
              a=a, b=b, w0=w0, lr=lr)


# ================================================================ U2: networks
@generator("U2.1", "fully connected layer")
def u2_linear_forward(rng):
    W = [[ri(rng, -2, 2) for _ in range(2)] for _ in range(2)]
    b, x = [ri(rng, -2, 2) for _ in range(2)], [ri(rng, -2, 2) for _ in range(2)]
    i = ri(rng, 0, 1)
    z = mlp.linear_forward(T(*x)[None], M(W), T(*b))[0, i]
    return numeric(f"A layer z = Wa + b with W = {W} (rows), b = {vec(b)}, a = {vec(x)}. What is "
                   f"z[{i}] (0-based)?", z, integer=True, W=W, b=b, x=x, i=i)


@generator("U2.1", "fully connected network")
def u2_mlp_forward(rng):
    W1 = [[rf(rng, -1, 1) for _ in range(2)] for _ in range(2)]
    b1 = [rf(rng, -1, 1) for _ in range(2)]
    W2, b2 = [[rf(rng, -1, 1) for _ in range(2)]], [rf(rng, -1, 1)]
    x = [rf(rng, -1, 1) for _ in range(2)]
    out = mlp.mlp_forward(T(*x)[None], [M(W1), M(W2)], [T(*b1), T(*b2)])
    return numeric(f"A 2-2-1 network: hidden layer a = σ(W1 x + b1) with W1 = {mat(W1)}, "
                   f"b1 = {vec(b1)}; linear output y = W2 a + b2 with W2 = {mat(W2)}, b2 = {vec(b2)}. "
                   f"What is y for x = {vec(x)}?", out[0, 0], W1=W1, b1=b1, W2=W2, b2=b2, x=x)


def _tiny_net(rng):
    return dict(x=rf(rng, -2, 2), w1=rf(rng, -1.5, 1.5), b1=rf(rng, -1, 1), w2=rf(rng, -1.5, 1.5),
                b2=rf(rng, -1, 1), y=rf(rng, -1, 1))


def _tiny_grads(p):
    gW, gb = backprop.mlp_backward(T(p["x"])[None], T(p["y"])[None], [M([[p["w1"]]]),
                                   M([[p["w2"]]])], [T(p["b1"]), T(p["b2"])])
    return {"w1": float(gW[0]), "b1": float(gb[0]), "w2": float(gW[1]), "b2": float(gb[1])}


_TINY = ("A 1-1-1 network: a = σ(w1·x + b1), ŷ = w2·a + b2, loss l = ½(ŷ − y)², with x = {x}, "
         "w1 = {w1}, b1 = {b1}, w2 = {w2}, b2 = {b2}, y = {y}.")


@generator("U2.2", "backpropagation")
def u2_backprop_grad(rng):
    p = _tiny_net(rng)
    which = rng.choice(["w1", "b1", "w2"])
    g = _tiny_grads(p)[which]
    return numeric(_TINY.format(**{k: fmt(v) for k, v in p.items()})
                   + f" Backpropagate: what is ∂l/∂{which}?", g, which=which, **p)


@generator("U2.2", "backpropagation")
def u2_backprop_mc(rng):
    p = _tiny_net(rng)
    g = _tiny_grads(p)  # the typical mix-up: another parameter's gradient
    return mc(rng, _TINY.format(**{k: fmt(v) for k, v in p.items()}) + " ∂l/∂w1 is:",
              fmt(g["w1"]), [fmt(g["b1"]), fmt(g["w2"]), fmt(g["b2"])], **p)


@generator("U2.3", "RNN")
def u2_rnn(rng):
    wih, whh, b, h0 = rf(rng, -1, 1), rf(rng, -1, 1), rf(rng, -0.5, 0.5), rf(rng, -1, 1)
    xs = [rf(rng, -1, 1) for _ in range(2)]
    _, h = rnn.rnn_forward(M(xs).reshape(2, 1, 1), T(h0)[None], T(wih)[None], T(whh)[None],
                           T(b), T(0.0))
    return numeric(f"A scalar RNN h_t = tanh(w_x x_t + w_h h_(t−1) + b) with w_x = {fmt(wih)}, "
                   f"w_h = {fmt(whh)}, b = {fmt(b)}, h_0 = {fmt(h0)}. The inputs are x_1 = "
                   f"{fmt(xs[0])}, x_2 = {fmt(xs[1])}. What is h_2?", h[0, 0],
                   wih=wih, whh=whh, b=b, h0=h0, xs=xs)


@generator("U2.3", "RNN")
def u2_rnn_shape(rng):
    Tn, B, D, H = ri(rng, 3, 30), rng.choice([1, 4, 16, 32]), rng.choice([8, 16, 50]), rng.choice([20, 32, 64])
    outs, _ = rnn.rnn_forward(torch.zeros(Tn, B, D), torch.zeros(B, H), torch.zeros(H, D),
                              torch.zeros(H, H), torch.zeros(H), torch.zeros(H))
    return short(f"An RNN h' = tanh(W_ih x + W_hh h + b) with hidden size {H} reads a "
                 f"sequence-first batch x of shape ({Tn}, {B}, {D}) and returns the hidden state of "
                 f"every step. What is the shape of those outputs?", shape_str(outs.shape),
                 T=Tn, B=B, D=D, H=H)


@generator("U2.4", "auto-encoder")
def u2_autoencoder_params(rng):
    d_in, d_h, d_c = rng.choice([784, 256, 100, 64]), rng.choice([128, 64, 32]), rng.choice([2, 8, 16])
    if not d_in > d_h > d_c:
        raise Redraw("want a bottleneck")
    n = n_params(lambda: autoencoder.AutoEncoder(d_in, d_h, d_c))
    return numeric(f"An auto-encoder: encoder Linear({d_in}, {d_h}) → ReLU → Linear({d_h}, {d_c}); "
                   f"decoder Linear({d_c}, {d_h}) → ReLU → Linear({d_h}, {d_in}), all with biases. "
                   f"How many parameters does it have?", n, integer=True, d_in=d_in, d_h=d_h, d_c=d_c)


@generator("U2.4", "auto-encoder")
def u2_reconstruction_loss(rng):
    x = [rf(rng, 0, 1) for _ in range(4)]
    xh = [rf(rng, 0, 1) for _ in range(4)]
    loss = autoencoder.reconstruction_loss(T(*x), T(*xh))
    if float(loss) == 0:
        raise Redraw("perfect reconstruction")
    return numeric(f"An auto-encoder maps x = {vec(x)} to the reconstruction x̂ = {vec(xh)}. What "
                   f"is the reconstruction loss, the mean square error over the 4 entries?", loss,
                   x=x, xh=xh)


# ================================================================ U3: text models and attention
_WORDS = ["cat", "dog", "sat", "mat", "the", "on", "a", "ran"]


@generator("U3.1", "bag of words")
def u3_bag_of_words(rng):
    docs = [[rng.choice(_WORDS[:5]) for _ in range(ri(rng, 3, 6))] for _ in range(2)]
    vocab = text_features.build_vocab(docs)
    d = ri(rng, 0, 1)
    counts = text_features.bag_of_words(docs, vocab)[d]
    return short(f"Documents: D1 = \"{' '.join(docs[0])}\", D2 = \"{' '.join(docs[1])}\". The "
                 f"vocabulary is every word that occurs, sorted alphabetically: {', '.join(vocab)}. "
                 f"Give the bag-of-words count vector of D{d + 1}.", vec(counts.tolist()), docs=docs, d=d)


@generator("U3.1", "bag of words")
def u3_vocab_size(rng):
    docs = [[rng.choice(_WORDS) for _ in range(ri(rng, 4, 7))] for _ in range(3)]
    mc_ = ri(rng, 1, 3)
    n = len(text_features.build_vocab(docs, mc_))
    return numeric("Documents: " + "; ".join(f"\"{' '.join(d)}\"" for d in docs)
                   + f". How many words are in the vocabulary if a word needs at least {mc_} "
                   f"occurrence(s) in all documents together?", n, integer=True, docs=docs, min_count=mc_)


@generator("U3.1", "1-of-N encoding")
def u3_one_hot(rng):
    vocab = sorted(rng.sample(_WORDS, ri(rng, 4, 6)))
    word = rng.choice(vocab)
    v = text_features.one_hot_encode([word], vocab)[0]
    return short(f"Vocabulary (in this order): {', '.join(vocab)}. Give the 1-of-N (one-hot) "
                 f"vector of \"{word}\".", vec(v.tolist()), vocab=vocab, word=word)


@generator("U3.2", "GloVe")
def u3_glove_weight(rng):
    x = rng.choice([1, 2, 5, 10, 20, 30, 50, 75, 99, 150, 400])
    x_max, alpha = rng.choice([100, 50]), rng.choice([0.75, 0.5])
    f = glove.glove_weighting(T(x), x_max, alpha)
    return numeric(f"GloVe weights each squared error by f(N_ij) = (N_ij / x_max)^α for N_ij < "
                   f"x_max and 1 otherwise, with x_max = {x_max}, α = {alpha}. What is f({x})?",
                   f, x=x, x_max=x_max, alpha=alpha)


@generator("U3.2", "GloVe")
def u3_cooccurrence(rng):
    words = ["the", "cat", "sat", "on", "mat"]
    seq = [rng.choice(words) for _ in range(ri(rng, 6, 8))]
    a, b = rng.sample(words, 2)
    if a not in seq or b not in seq:
        raise Redraw("both words should occur")
    window = ri(rng, 1, 3)
    ids = torch.tensor([words.index(w) for w in seq])
    n = glove.cooccurrence_counts(ids, len(words), window)[words.index(a), words.index(b)]
    return numeric(f"The sentence \"{' '.join(seq)}\". Count co-occurrences N_ij: every ordered "
                   f"pair of positions p ≠ q with |p − q| ≤ {window} and word i at p, word j at q. "
                   f"What is N(\"{a}\", \"{b}\")?", n, integer=True, seq=seq, a=a, b=b, window=window)


@generator("U3.3", "word2vec")
def u3_skipgram_pairs(rng):
    n, w = ri(rng, 5, 20), ri(rng, 1, 3)
    return numeric(f"Skip-gram with window {w} (context = up to {w} word(s) on each side) on a "
                   f"sentence of {n} tokens: how many (centre, context) training pairs?",
                   word2vec.skipgram_pair_count(n, w), integer=True, T=n, window=w)


@generator("U3.3", "word2vec")
def u3_cbow_examples(rng):
    n, w = ri(rng, 6, 30), ri(rng, 1, 4)
    contexts, _ = word2vec.cbow_pairs(torch.arange(n), w)
    if contexts.shape[0] == 0:
        raise Redraw("no example")
    return short(f"CBOW with window {w}: every position with {w} word(s) on both sides becomes one "
                 f"example (its context words → the centre word). For a sentence of {n} tokens, "
                 f"what is the shape (N, context size) of the context tensor?",
                 shape_str(contexts.shape), T=n, window=w)


_ANALOGY_WORDS = ["king", "queen", "man", "woman", "prince", "girl", "boy", "princess"]


@generator("U3.4", "analogies")
def u3_analogy_mc(rng):
    words = rng.sample(_ANALOGY_WORDS, 6)
    E = [[ri(rng, -3, 3), ri(rng, -3, 3)] for _ in words]
    if len({tuple(e) for e in E}) < len(E) or [0, 0] in E:
        raise Redraw("need distinct, non-zero vectors")
    a, b, c = words[:3]
    emb = M(E)
    query = emb[2] - emb[0] + emb[1]
    if float(query.norm()) < 1e-9:
        raise Redraw("zero query")
    sims = sorted(torch.nn.functional.cosine_similarity(query[None], emb[3:]).tolist())
    if sims[-1] - sims[-2] < 1e-3:
        raise Redraw("near tie for the answer")
    good = analogy.analogy(emb, words, a, b, c)
    wrong = [words[int(analogy.cosine_nearest(query, emb, k=1)[0])],  # query words not excluded
             analogy.analogy(emb, words, b, a, c),  # V(c) − V(b) + V(a): the sign flipped
             words[int(analogy.cosine_nearest(query, emb, exclude=[0, 1, 2], k=2)[1])]]  # runner-up
    return mc(rng, "Word vectors: " + ", ".join(f"V({w}) = {vec(e)}" for w, e in zip(words, E))
              + f". Which word answers {a} : {b} = {c} : ? (the word whose vector is most cosine-"
              f"similar to V({c}) − V({a}) + V({b}), excluding {a}, {b} and {c})", good, wrong,
              words=words, E=E)


@generator("U3.5", "ELMo")
def u3_elmo_mix(rng):
    h = [rf(rng, -2, 2) for _ in range(3)]
    w = [rf(rng, -1, 1) for _ in range(3)]
    gamma = rng.choice([0.5, 1.0, 1.5, 2.0])
    out = elmo.elmo_layer_mix(T(*h)[:, None], T(*w), gamma)[0]
    return numeric(f"ELMo mixes the biLM's layers h_0, h_1, h_2 (one dimension shown: {vec(h)}) "
                   f"as γ Σ_j s_j h_j with s = softmax(w), w = {vec(w)} and γ = {gamma}. What is "
                   f"the mixed value?", out, h=h, w=w, gamma=gamma)


@generator("U3.6", "self-attention")
def u3_attention_weight(rng):
    d_k = rng.choice([4, 16, 64])
    s = [ri(rng, 0, 3 * int(math.sqrt(d_k))) for _ in range(3)]
    j = ri(rng, 0, 2)
    w = attention.attention_weights_from_scores(T(*s), d_k)[j]
    return numeric(f"A query's dot products with three keys are q·k = {vec(s)}, d_k = {d_k}. "
                   f"What is the attention weight on key {j + 1} after scaling and softmax?", w,
                   scores=s, d_k=d_k, j=j)


@generator("U3.6", "self-attention")
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


@generator("U3.6", "self-attention")
def u3_attention_tf(rng):
    d_k = rng.choice([4, 16, 64])
    s = [ri(rng, 0, 20) for _ in range(2)]
    w = float(attention.attention_weights_from_scores(T(*s), d_k)[0])
    if abs(w - 0.7) < 0.02:
        raise Redraw("too close")
    return tf(f"With scores q·k = {vec(s)} and d_k = {d_k}, the weight on the first key after "
              f"scaling by 1/√d_k and softmax exceeds 0.7.", w > 0.7, scores=s, d_k=d_k)


@generator("U3.6", "self-attention")
def u3_sdpa_output(rng):
    q = [ri(rng, -2, 2) for _ in range(2)]
    K = [[ri(rng, -2, 2) for _ in range(2)] for _ in range(2)]
    V = [rf(rng, -2, 2) for _ in range(2)]
    out, _ = attention.scaled_dot_product_attention(T(*q)[None], M(K), T(*V)[:, None])
    return numeric(f"One query q = {vec(q)}, keys k1 = {vec(K[0])}, k2 = {vec(K[1])} (d_k = 2), "
                   f"scalar values v1 = {fmt(V[0])}, v2 = {fmt(V[1])}. What is the output of "
                   f"softmax(q·K/√d_k)·V?", out[0, 0], q=q, K=K, V=V)


@generator("U3.7", "multi-head attention")
def u3_mha_params(rng):
    E, h = rng.choice([64, 128, 256, 512, 768]), rng.choice([4, 8])
    return numeric(f"How many parameters does nn.MultiheadAttention(embed_dim={E}, num_heads={h}) "
                   f"have (with biases)?", attention.multi_head_attention_param_count(E),
                   integer=True, E=E, h=h)


@generator("U3.7", "multi-head attention")
def u3_mha_params_mc(rng):
    E, h = rng.choice([64, 128, 256]), rng.choice([4, 8])
    count = attention.multi_head_attention_param_count
    good = count(E, bias=True)
    wrong = [count(E, bias=False),  # biases forgotten
             count(E // h, bias=True),  # counted one head's width d_k = E/h
             count(E * h, bias=True)]  # every head given the full width E
    return mc(rng, f"Parameters of a multi-head attention layer (W_q, W_k, W_v and the output "
              f"projection, all with biases), width E = {E}, {h} heads?", str(good),
              [str(w) for w in wrong], E=E, h=h)


@generator("U3.8", "transformer")
def u3_positional_encoding(rng):
    pos, d = ri(rng, 1, 20), rng.choice([4, 8, 16])
    i = ri(rng, 0, min(d, 4) - 1)
    val = transformer.sinusoidal_positional_encoding(pos + 1, d).double()[pos, i]
    return numeric(f"Sinusoidal positional encoding with d_model = {d}: PE[pos, 2i] = "
                   f"sin(pos/10000^(2i/d)), PE[pos, 2i+1] = cos(pos/10000^(2i/d)). What is "
                   f"PE[{pos}, {i}] (0-based column)?", val, pos=pos, d=d, i=i)


@generator("U3.8", "transformer")
def u3_layer_norm(rng):
    x = [ri(rng, -4, 6) for _ in range(4)]
    if len(set(x)) == 1:
        raise Redraw("constant input")
    i = ri(rng, 0, 3)
    out = transformer.layer_norm(T(*x), torch.ones(4, dtype=F64), torch.zeros(4, dtype=F64))[i]
    return numeric(f"LayerNorm (weight 1, bias 0, ε ≈ 0, biased variance) of the vector x = "
                   f"{vec(x)}. What is entry {i} (0-based) of the output?", out, x=x, i=i)


@generator("U3.9", "BERT masked LM")
def u3_bert_rates(rng):
    p, m, r = rng.choice([0.1, 0.15, 0.2]), rng.choice([0.8, 0.7]), rng.choice([0.1, 0.15])
    which = ri(rng, 0, 2)
    val = bert.masked_lm_rates(p, m, r)[which]
    label = ["replaced by [MASK]", "replaced by a random token", "selected but kept unchanged"][which]
    return numeric(f"BERT selects {p:.0%} of the tokens; of those {m:.0%} become [MASK], {r:.0%} a "
                   f"random token, the rest stay. What fraction of all tokens is {label}?", val,
                   p=p, m=m, r=r, which=which)


@generator("U3.9", "BERT masked LM")
def u3_bert_mc(rng):
    p = rng.choice([0.1, 0.15, 0.2, 0.25])
    good = bert.masked_lm_rates(p, 0.8, 0.1)[0]
    wrong = [bert.masked_lm_rates(1.0, 0.8, 0.1)[0],  # forgot the selection rate
             bert.masked_lm_rates(p, 1.0, 0.0)[0],  # all selected become [MASK]
             bert.masked_lm_rates(p, 0.8, 0.1)[1]]  # the random-token share
    return mc(rng, f"BERT masked LM with selection rate {p:.0%} and the 80/10/10 rule: the "
              f"fraction of all tokens that the model sees as [MASK] is:", fmt(good, 4),
              [fmt(w, 4) for w in wrong], p=p)


@generator("U3.10", "BERT next sentence prediction")
def u3_nsp_segments(rng):
    la, lb = ri(rng, 1, 4), ri(rng, 1, 4)
    ids, seg = bert.bert_pair_encoding(list(range(10, 10 + la)), list(range(20, 20 + lb)), 101, 102)
    return short(f"BERT's next sentence prediction input is [CLS] A [SEP] B [SEP]. Sentence A has "
                 f"{la} token(s), sentence B has {lb}. Give the segment (token type) ids of the "
                 f"whole input, one per token.", vec(seg.tolist()), la=la, lb=lb)


@generator("U3.11", "BERT fine-tuning (QA)")
def u3_qa_span(rng):
    n, L = 5, ri(rng, 2, 3)
    ps = [ri(rng, 1, 9) for _ in range(n)]
    pe = [ri(rng, 1, 9) for _ in range(n)]
    ps_t, pe_t = T(*ps) / sum(ps), T(*pe) / sum(pe)
    scores = sorted((ps[s] * pe[e] for s in range(n) for e in range(s, min(n, s + L))), reverse=True)
    if scores[0] == scores[1]:
        raise Redraw("tie")
    span = bert.qa_best_span(ps_t[None], pe_t[None], L)[0]
    return short(f"BERT QA over a 5-token paragraph (positions 0-4): start scores ∝ {vec(ps)}, end "
                 f"scores ∝ {vec(pe)} (divide each by its sum for P_start, P_end). The answer span "
                 f"(s, e) maximises P_start(s)·P_end(e) with s ≤ e ≤ s + {L - 1}. Give (s, e).",
                 vec(span.tolist()), ps=ps, pe=pe, L=L)


@generator("U3.12", "GPT generation")
def u3_gpt_next_token_prob(rng):
    logits = [rf(rng, -2, 3) for _ in range(4)]
    temp, k = rng.choice([0.5, 1.0, 2.0]), rng.choice([None, 2, 3])
    probs = gpt.next_token_probs(T(*logits)[None], temp, k)[0]
    j = int(torch.argmax(probs)) if rng.random() < 0.5 else ri(rng, 0, 3)
    if k is not None and len(set(logits)) < 4:
        raise Redraw("ties at the top-k cut")
    if float(probs[j]) == 0:
        raise Redraw("filtered token")
    rule = "no top-k filtering" if k is None else f"top-k with k = {k}"
    return numeric(f"A GPT's next-token logits over a 4-token vocabulary are {vec(logits)}. Sampling "
                   f"with temperature {temp} and {rule}: what is the probability of token {j} "
                   f"(0-based)?", probs[j], logits=logits, temperature=temp, k=k, j=j)


@generator("U3.12", "GPT generation")
def u3_gpt_temperature_mc(rng):
    logits = [rf(rng, -2, 3) for _ in range(4)]
    if len(set(logits)) < 4:
        raise Redraw("ties")
    temp, k = rng.choice([0.5, 2.0]), rng.choice([2, 3])
    top = int(torch.argmax(T(*logits)))
    P = lambda t, kk: float(gpt.next_token_probs(T(*logits)[None], t, kk)[0, top])  # noqa: E731
    good = P(temp, k)
    wrong = [P(1.0, k),  # temperature ignored
             P(temp, None),  # top-k ignored
             P(1 / temp, k)]  # multiplied by the temperature instead of dividing
    return mc(rng, f"Logits {vec(logits)}; temperature {temp}, top-k with k = {k}. The probability "
              f"of the most likely token (token {top}) is:", fmt(good, 3), [fmt(w, 3) for w in wrong],
              logits=logits, temperature=temp, k=k)


@generator("U3.12", "GPT causal mask")
def u3_causal_mask_count(rng):
    n = ri(rng, 3, 64)
    allowed = int(gpt.causal_mask(n).sum())
    return numeric(f"A GPT processes a sequence of {n} tokens with a causal mask (a query at "
                   f"position t may attend to keys 0..t). How many (query, key) pairs are allowed?",
                   allowed, integer=True, n=n)


@generator("U3.13", "Image GPT")
def u3_image_gpt_sequence(rng):
    palette = sorted(rng.sample([0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0], 3))
    pixels = [round(rng.uniform(0, 1), 2) for _ in range(4)]
    d = [[abs(x - c) for c in palette] for x in pixels]
    if any(sorted(r)[1] - sorted(r)[0] < 0.011 for r in d):
        raise Redraw("pixel (almost) halfway between two colours")
    img = M(pixels).reshape(1, 1, 2, 2)
    seq = image_gpt.image_to_sequence(img, M(palette)[:, None])[0]
    return short(f"Image GPT quantises a 2×2 grayscale image with rows ({fmt(pixels[0])}, "
                 f"{fmt(pixels[1])}) and ({fmt(pixels[2])}, {fmt(pixels[3])}) to the palette "
                 f"{vec(palette)} (indices 0, 1, 2; nearest colour) and reads it in raster order. "
                 f"Give the index sequence.", vec(seq.tolist()), palette=palette, pixels=pixels)


# ================================================================ U4: CNNs and vision transformers
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
    side, field, nf = rng.choice([100, 200]), rng.choice([5, 10]), rng.choice([50, 100])
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
                   f"to a {n}×{n} input. What is the output side length?", out, integer=True,
                   n=n, k=k, s=s, p=p)


@generator("U4.2", "convolution sizes")
def u4_conv_output_mc(rng):
    n, k, s, p = _conv_draw(rng)
    if p == 0 or s == 1:
        raise Redraw("want padding and stride")
    good = param_counts.conv_output_size(n, k, s, p)
    wrong = [param_counts.conv_output_size(n, k, s, 0),  # padding ignored
             param_counts.conv_output_size(n, k, 1, p),  # stride ignored
             param_counts.conv_output_size(n + 2 * p, k, s, p)]  # padding counted twice
    return mc(rng, f"Input {n}×{n}, conv kernel {k}×{k}, stride {s}, padding {p}. Output side?",
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
                   f"feature map gives what side length?", out, integer=True, n=n, k=k, s=s)


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


@generator("U4.5", "classic architectures")
def u4_vgg_params(rng):
    n, c = rng.choice([2, 3]), rng.choice([64, 128, 256])
    return numeric(f"VGG stacks {n} convolutions of 3×3 with {c} → {c} channels (no bias). How "
                   f"many weights does the stack have?", architectures.vgg_stack_params(n, c),
                   integer=True, n=n, c=c)


@generator("U4.5", "classic architectures")
def u4_alexnet_shape(rng):
    table = architectures.alexnet_shapes()
    i = ri(rng, 1, len(table) - 1)
    name, c, h, w = table[i]
    return short(f"AlexNet (227×227×3 input, as in the lecture: conv1 96@11×11/4, pool 3/2, conv2 "
                 f"256@5×5 pad 2, pool 3/2, conv3-5 3×3 pad 1 with 384, 384, 256 channels, pool "
                 f"3/2). What is the shape (C, H, W) after {name}?", shape_str((c, h, w)),
                 layer=name, index=i)


@generator("U4.5", "classic architectures")
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


@generator("U4.7", "ResNet / ResNeXt / DenseNet")
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


# ================================================================ U5: generative models
def _probs(rng, k):
    raw = [ri(rng, 1, 9) for _ in range(k)]
    head = [round(r / sum(raw), 2) for r in raw[:-1]]
    return head + [round(1 - sum(head), 2)]


@generator("U5.1", "GAN")
def u5_gan_dstar(rng):
    pd, pg = round(rng.uniform(0.05, 0.9), 2), round(rng.uniform(0.05, 0.9), 2)
    return numeric(f"At an outcome x, p_data(x) = {pd} and p_G(x) = {pg}. What is the optimal "
                   f"discriminator's output D*(x)?", gan.optimal_discriminator_value(pd, pg),
                   p_data=pd, p_g=pg)


@generator("U5.1", "GAN")
def u5_gan_dstar_mc(rng):
    pd, pg = round(rng.uniform(0.05, 0.9), 2), round(rng.uniform(0.05, 0.9), 2)
    d = gan.optimal_discriminator_value
    good = d(pd, pg)
    wrong = [d(pg, pd),  # p_G on top
             d(pd, pd),  # as if the generator already matched the data: 1/2
             d(pd, 1 - pd)]  # p_G taken as 1 − p_data
    return mc(rng, f"p_data(x) = {pd}, p_G(x) = {pg}. For a fixed generator, the optimal "
              f"discriminator D*(x) is:", fmt(good, 3), [fmt(w, 3) for w in wrong],
              p_data=pd, p_g=pg)


@generator("U5.1", "GAN")
def u5_gan_max_value(rng):
    p, q = _probs(rng, 3), _probs(rng, 3)
    if min(p + q) <= 0:
        raise Redraw("zero probability")
    return numeric(f"On three outcomes p_data = {vec(p)} and p_G = {vec(q)}. What is "
                   f"max_D V(G, D) (natural log)?", gan.max_value_from_probs(p, q), p=p, q=q)


@generator("U5.1", "GAN")
def u5_jsd(rng):
    p, q = _probs(rng, 2), _probs(rng, 2)
    if min(p + q) <= 0:
        raise Redraw("zero probability")
    j = gan.jsd(T(*p), T(*q))
    return numeric(f"Two distributions on two outcomes: P = {vec(p)}, Q = {vec(q)}. What is the "
                   f"Jensen-Shannon divergence JSD(P‖Q) in nats?", j, p=p, q=q)


@generator("U5.1", "GAN")
def u5_gan_ma(rng):
    pd, pg = _probs(rng, 4), _probs(rng, 4)
    if min(pd + pg) <= 0:
        raise Redraw("zero probability")
    d = [gan.optimal_discriminator_value(a, b) for a, b in zip(pd, pg)]
    if any(abs(v - 0.5) < 1e-9 for v in d):
        raise Redraw("tie")
    opts = [(f"x{i + 1}", v > 0.5) for i, v in enumerate(d)]
    return ma(rng, f"Outcomes x1..x4 have p_data = {vec(pd)} and p_G = {vec(pg)}. Select every "
              f"outcome where the optimal discriminator outputs more than 1/2.", opts,
              p_data=pd, p_g=pg)


@generator("U5.2", "WGAN")
def u5_wasserstein(rng):
    x = [ri(rng, 0, 6) for _ in range(3)]
    y = [ri(rng, 0, 6) for _ in range(3)]
    w = wgan.wasserstein_1d(T(*x), T(*y))
    return numeric(f"Two empirical 1-D distributions, each point with mass 1/3: x = {vec(x)}, "
                   f"y = {vec(y)}. What is the Wasserstein-1 (earth mover's) distance?", w,
                   x=x, y=y)


@generator("U5.2", "WGAN")
def u5_wgan_critic_loss(rng):
    real = [rf(rng, -2, 3) for _ in range(3)]
    fake = [rf(rng, -3, 2) for _ in range(3)]
    loss = wgan.wgan_critic_loss(T(*real), T(*fake))
    return numeric(f"A WGAN critic scores real samples {vec(real)} and generated samples "
                   f"{vec(fake)}. What is the critic's loss mean D(fake) − mean D(real)?", loss,
                   real=real, fake=fake)


@generator("U5.3", "CycleGAN")
def u5_cycle_loss(rng):
    g, f = rf(rng, -2, 2), rf(rng, -2, 2)
    x = [rf(rng, -2, 2) for _ in range(2)]
    y = [rf(rng, -2, 2) for _ in range(2)]
    lam = rng.choice([1.0, 5.0, 10.0])
    loss = cyclegan.cycle_consistency_loss_linear(T(*x)[:, None], T(*y)[:, None], M([[g]]),
                                                  M([[f]]), lam)
    return numeric(f"CycleGAN with 1-D linear translators G(x) = {fmt(g)}·x and F(y) = {fmt(f)}·y. "
                   f"Samples x = {vec(x)}, y = {vec(y)}. What is the cycle-consistency loss "
                   f"λ (mean|F(G(x)) − x| + mean|G(F(y)) − y|) with λ = {fmt(lam)}?", loss,
                   g=g, f=f, x=x, y=y, lam=lam)


@generator("U5.3", "conditional GAN")
def u5_conditional_input(rng):
    dz, K = rng.choice([16, 64, 100, 128]), rng.choice([10, 100, 1000])
    B = rng.choice([8, 32])
    shape = cyclegan.conditional_generator_input(torch.zeros(B, dz), torch.zeros(B, dtype=torch.long), K).shape
    return short(f"A class-conditional generator takes [z, one-hot(label)] for a batch of {B} "
                 f"noise vectors z of dimension {dz} and labels from {K} classes. What is the "
                 f"shape of its input?", shape_str(shape), dz=dz, K=K, B=B)


@generator("U5.4", "PixelCNN")
def u5_pixelcnn_mask_count(rng):
    k, kind = rng.choice([3, 5, 7, 9]), rng.choice(["A", "B"])
    n = pixelcnn.pixelcnn_mask(k, kind).sum()
    return numeric(f"PixelCNN masks its {k}×{k} kernels so a pixel sees only pixels above it and "
                   f"to its left (mask type {kind}: the centre is {'not ' if kind == 'A' else ''}"
                   f"visible). How many of the {k * k} kernel weights are kept (mask = 1)?", n,
                   integer=True, k=k, kind=kind)


@generator("U5.4", "PixelCNN")
def u5_pixelcnn_mask_ma(rng):
    k, kind = 5, rng.choice(["A", "B"])
    mask = pixelcnn.pixelcnn_mask(k, kind)
    cells = rng.sample([(r, c) for r in range(k) for c in range(k)], 5)
    opts = [(f"(row {r}, col {c})", bool(mask[r, c] == 1)) for r, c in cells]
    return ma(rng, f"A 5×5 PixelCNN kernel with mask type {kind}; rows and columns are 0-based, "
              f"the centre is (2, 2). Select every kernel position whose weight is kept.", opts,
              kind=kind, cells=[list(c) for c in cells])


@generator("U5.4", "PixelCNN")
def u5_bits_per_dim(rng):
    side, K = rng.choice([4, 8, 28]), rng.choice([2, 256])
    nll = round(rng.uniform(0.2, 0.9) * side * side * math.log(K), 1)
    bpd = pixelcnn.bits_per_dim(T(-nll), side * side)
    return numeric(f"A PixelCNN assigns a {side}×{side} single-channel image log p(x) = −{fmt(nll)} "
                   f"nats. What is the negative log-likelihood in bits per dimension?", bpd,
                   side=side, nll=nll)


@generator("U5.5", "VAE")
def u5_gaussian_kl(rng):
    mu, sigma = rf(rng, -2, 2), rf(rng, 0.3, 2.0)
    return numeric(f"What is KL(N({fmt(mu)}, {fmt(sigma)}²) ‖ N(0, 1)) in nats?",
                   vae.gaussian_kl_scalar(mu, sigma), mu=mu, sigma=sigma)


@generator("U5.5", "VAE")
def u5_gaussian_kl_mc(rng):
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


@generator("U5.5", "VAE")
def u5_kl_asymmetry_tf(rng):
    mu, sigma = rf(rng, -1.5, 1.5), rf(rng, 0.3, 2.0)
    a, b = vae.gaussian_kl_scalar(mu, sigma), vae.gaussian_kl_scalar(0.0, 1.0, mu, sigma)
    if abs(a - b) < 1e-3:
        raise Redraw("too close")
    return tf(f"For q = N({fmt(mu)}, {fmt(sigma)}²) and p = N(0, 1): KL(q‖p) > KL(p‖q).", a > b,
              mu=mu, sigma=sigma)


@generator("U5.5", "VAE")
def u5_reparameterize(rng):
    mu, logvar, eps = rf(rng, -2, 2), rf(rng, -2, 2), rf(rng, -2, 2)
    z = vae.reparameterize(T(mu), T(logvar), T(eps))[0]
    return numeric(f"Reparameterisation z = μ + σ·ε: μ = {fmt(mu)}, log σ² = {fmt(logvar)}, "
                   f"ε = {fmt(eps)}. What is z?", z, mu=mu, logvar=logvar, eps=eps)


@generator("U5.6", "hierarchical VAE")
def u5_hvae_kl(rng):
    mq, sq = rf(rng, -1.5, 1.5), rf(rng, 0.3, 1.5)
    mp, sp = rf(rng, -1, 1), rf(rng, 0.5, 2.0)
    kl = vae.gaussian_kl_general(T(mq), T(2 * math.log(sq)), T(mp), T(2 * math.log(sp)))
    return numeric(f"In a two-layer hierarchical VAE the ELBO's KL term for z_1 compares "
                   f"q(z_1 | x) = N({fmt(mq)}, {fmt(sq)}²) with the learned prior p(z_1 | z_2) = "
                   f"N({fmt(mp)}, {fmt(sp)}²) (one dimension). What is this KL in nats?", kl,
                   mq=mq, sq=sq, mp=mp, sp=sp)


# Schedules short enough to multiply out on a calculator (ᾱ_t is a product of t factors).
_TOY = [(10, 0.01, 0.2), (10, 0.05, 0.5), (20, 0.01, 0.1), (5, 0.1, 0.5), (8, 0.02, 0.3)]
_LINEAR = "DDPM linear schedule (β_1 = 1e-4 to β_T = 0.02, T = 1000)"


def _schedule_values(t: int, Tn: int = 1000) -> str:
    """The numbers a T = 1000 question needs (nobody multiplies 1000 factors in an exam), from
    the reference, to 6 significant digits."""
    beta = diffusion.linear_beta(t, Tn)
    ab, ab_prev = diffusion.alpha_bar_linear(t, Tn), diffusion.alpha_bar_linear(t - 1, Tn)
    return f"At t = {t}: β_t = {beta:.6g}, ᾱ_t = {ab:.6g}, ᾱ_(t−1) = {ab_prev:.6g}."


@generator("U5.7", "DDPM schedule")
def u5_alpha_bar_linear(rng):
    Tn, b0, b1 = rng.choice(_TOY)
    t = ri(rng, 2, Tn)
    ab = diffusion.alpha_bar_linear(t, Tn, b0, b1)
    return numeric(f"A toy DDPM linear schedule: β_1 = {b0}, …, β_T = {b1}, T = {Tn} (β_t evenly "
                   f"spaced), α_t = 1 − β_t. What is ᾱ_{t}?", ab, T=Tn, b0=b0, b1=b1, t=t)


@generator("U5.7", "DDPM schedule")
def u5_alpha_bar_mc(rng):
    Tn, b0, b1 = rng.choice(_TOY)
    t = ri(rng, 2, Tn - 1)
    betas = diffusion.linear_beta_schedule(Tn, b0, b1, dtype=F64)
    good = diffusion.alpha_bar_linear(t, Tn, b0, b1)
    wrong = [float(diffusion.alphas(betas)[t - 1]),  # α_t instead of ᾱ_t
             diffusion.alpha_bar_linear(t - 1, Tn, b0, b1),  # one factor short (0- vs 1-based)
             diffusion.alpha_bar_linear(t + 1, Tn, b0, b1)]  # one factor too many
    return mc(rng, f"Toy linear schedule from β_1 = {b0} to β_T = {b1} with T = {Tn} (evenly "
              f"spaced). ᾱ_{t} equals:", fmt(good, 4), [fmt(w, 4) for w in wrong],
              T=Tn, b0=b0, b1=b1, t=t)


@generator("U5.7", "DDPM schedule")
def u5_alpha_bar_cosine(rng):
    Tn = rng.choice([100, 1000])
    t = ri(rng, 1, Tn - 1)
    ab = diffusion.alpha_bar_cosine(t, Tn)
    if ab < 0.02:
        raise Redraw("ᾱ_t too close to 0 for a 1% answer")
    return numeric(f"Cosine schedule (s = 0.008), T = {Tn}: ᾱ_t = f(t/T)/f(0) with "
                   f"f(u) = cos²((u + s)/(1 + s)·π/2). What is ᾱ_{t}?", ab, T=Tn, t=t)


@generator("U5.7", "DDPM schedule")
def u5_schedule_tf(rng):
    Tn = 1000
    t = ri(rng, 50, 950)
    a, b = diffusion.alpha_bar_cosine(t, Tn), diffusion.alpha_bar_linear(t, Tn)
    if abs(a - b) < 0.05:
        raise Redraw("too close to call")
    return tf(f"With T = {Tn}, at t = {t} the cosine schedule's ᾱ_t (s = 0.008) is larger than the "
              f"linear schedule's (β from 1e-4 to 0.02).", a > b, T=Tn, t=t)


@generator("U5.7", "DDPM forward process")
def u5_q_sample(rng):
    Tn, t = 1000, rng.choice([1, 10, 100, 250, 500, 999])
    x0, eps = rf(rng, -1, 1), rf(rng, -2, 2)
    betas = diffusion.linear_beta_schedule(Tn, dtype=F64)
    xt = diffusion.q_sample(T(x0), torch.tensor([t - 1]), T(eps), betas)[0]
    return numeric(f"{_LINEAR}. {_schedule_values(t)} With x_0 = {fmt(x0)} and noise "
                   f"ε = {fmt(eps)}, what is x_{t} sampled from q(x_{t} | x_0)?", xt,
                   T=Tn, t=t, x0=x0, eps=eps)


@generator("U5.8", "DDPM posterior")
def u5_posterior_mean(rng):
    Tn, t = 1000, rng.choice([10, 50, 100, 200, 500, 900])
    x0, xt = rf(rng, -1, 1), rf(rng, -2, 2)
    mean, _ = diffusion.posterior_mean_variance_scalar(x0, xt, t, Tn)
    return numeric(f"{_LINEAR}. {_schedule_values(t)} With x_0 = {fmt(x0)} and x_{t} = {fmt(xt)}, "
                   f"what is the posterior mean μ̃_{t}(x_t, x_0) of q(x_{t - 1} | x_t, x_0)?",
                   mean, T=Tn, t=t, x0=x0, xt=xt)


@generator("U5.8", "DDPM posterior")
def u5_posterior_variance(rng):
    Tn, t = 1000, rng.choice([2, 10, 100, 500, 1000])
    _, var = diffusion.posterior_mean_variance_scalar(0.0, 0.0, t, Tn)
    return numeric(f"{_LINEAR}. {_schedule_values(t)} What is the posterior variance β̃_{t} of "
                   f"q(x_{t - 1} | x_t, x_0)?", var, T=Tn, t=t)


@generator("U5.8", "DDPM reverse process")
def u5_x0_from_eps(rng):
    Tn, t = 1000, rng.choice([1, 10, 100, 250, 500])
    xt, eps = rf(rng, -2, 2), rf(rng, -2, 2)
    betas = diffusion.linear_beta_schedule(Tn, dtype=F64)
    x0 = diffusion.predict_x0_from_eps(T(xt), torch.tensor([t - 1]), T(eps), betas)[0]
    return numeric(f"{_LINEAR}. {_schedule_values(t)} The network predicts ε̂ = {fmt(eps)} at "
                   f"x_{t} = {fmt(xt)}. What is the implied x̂_0?", x0, T=Tn, t=t, xt=xt, eps=eps)


@generator("U5.8", "DDPM reverse process")
def u5_mu_theta(rng):
    Tn, t = 1000, rng.choice([2, 10, 100, 500, 1000])
    xt, eps = rf(rng, -2, 2), rf(rng, -2, 2)
    betas = diffusion.linear_beta_schedule(Tn, dtype=F64)
    mu = diffusion.predict_mean_from_eps(T(xt), torch.tensor([t - 1]), T(eps), betas)[0]
    return numeric(f"{_LINEAR}. {_schedule_values(t)} With x_{t} = {fmt(xt)} and the predicted "
                   f"noise ε̂ = {fmt(eps)}, what is the ε-parameterised mean μ_θ(x_{t}, {t})?", mu,
                   T=Tn, t=t, xt=xt, eps=eps)


@generator("U5.9", "DDPM sampling")
def u5_ddpm_step(rng):
    Tn = 1000
    t = rng.choice([1, 1, 2, 10, 100, 500])
    xt, eps, z = rf(rng, -2, 2), rf(rng, -2, 2), rf(rng, -2, 2)
    betas = diffusion.linear_beta_schedule(Tn, dtype=F64)
    x = diffusion.ddpm_step(T(xt), t - 1, T(eps), betas, T(z), "fixed_large")[0]
    return numeric(f"{_LINEAR}. {_schedule_values(t)} One step of Algorithm 2 (σ_t² = β_t) from "
                   f"x_{t} = {fmt(xt)} with ε_θ(x_{t}, {t}) = {fmt(eps)} and fresh noise "
                   f"z = {fmt(z)} (used only if the algorithm adds noise at this step). What is "
                   f"x_{t - 1}?", x, T=Tn, t=t, xt=xt, eps=eps, z=z)


@generator("U5.10", "classifier-free guidance")
def u5_cfg(rng):
    ec, eu, w = rf(rng, -1, 1), rf(rng, -1, 1), rng.choice([0.5, 1.0, 2.0, 3.0, 7.5])
    out = guidance.classifier_free_guidance(T(ec), T(eu), w)[0]
    return numeric(f"Classifier-free guidance (Ho & Salimans, ε̃ = (1 + w) ε_c − w ε_u) with "
                   f"ε_c = {fmt(ec)}, ε_u = {fmt(eu)}, w = {w}. What is ε̃?", out,
                   ec=ec, eu=eu, w=w)


@generator("U5.10", "classifier-free guidance")
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


@generator("U5.10", "DiT")
def u5_dit_shape(rng):
    B, C, p = rng.choice([2, 4]), 4, rng.choice([2, 4, 8])
    n = p * rng.choice([4, 8, 16])
    shape = guidance.dit_patchify(torch.zeros(B, C, n, n), p).shape
    return short(f"DiT patchifies latents of shape ({B}, {C}, {n}, {n}) with patch size {p}. What "
                 f"is the token tensor's shape (B, N, p·p·C)?", shape_str(shape), B=B, C=C, n=n, p=p)


@generator("U5.10", "latent diffusion")
def u5_latent_scale(rng):
    z = [rf(rng, -6, 6) for _ in range(4)]
    if len(set(z)) == 1:
        raise Redraw("zero spread")
    i = ri(rng, 0, 3)
    f = guidance.latent_scale_factor(T(*z))
    scaled = guidance.scale_latents(T(*z), f)[i]
    return numeric(f"Latent diffusion rescales the autoencoder's latents by factor = 1/std (the "
                   f"unbiased sample standard deviation of all entries). A batch of latents has "
                   f"entries {vec(z)}. What does entry {i} (0-based) become after scaling?",
                   scaled, z=z, i=i)


@generator("U5.11", "diffusion language model")
def u5_diffusion_lm_mask(rng):
    L = 8
    u = [round(rng.random(), 2) for _ in range(L)]
    t = rng.choice([0.25, 0.5, 0.75])
    xt = diffusion_lm.diffusion_lm_mask(torch.arange(L)[None], torch.tensor([t]),
                                        M(u)[None], mask_id=99)
    n = int((xt == 99).sum())
    return numeric(f"Masked diffusion LM: a sequence of {L} tokens at masking rate t = {t}; "
                   f"position i is masked iff u_i < t, with u = {vec(u)}. How many positions are "
                   f"masked?", n, integer=True, u=u, t=t)


@generator("U5.11", "diffusion language model")
def u5_diffusion_lm_loss(rng):
    L = rng.choice([4, 8])
    t = rng.choice([0.25, 0.5, 0.75])
    n_masked = max(1, round(L * t))
    probs = [round(rng.uniform(0.05, 0.95), 2) for _ in range(n_masked)]
    x0 = torch.zeros(1, L, dtype=torch.long)
    xt = x0.clone()
    xt[0, :n_masked] = 2  # mask id
    logits = torch.zeros(1, L, 2, dtype=F64)
    logits[0, :n_masked] = torch.log(torch.stack([T(*probs), 1 - T(*probs)], 1))
    loss = diffusion_lm.diffusion_lm_loss(logits, x0, xt, torch.tensor([t], dtype=F64), 2)
    return numeric(f"Masked diffusion LM loss: a sequence of L = {L} tokens was masked at rate "
                   f"t = {t}; {n_masked} position(s) are masked, where the model gives the true "
                   f"tokens probabilities {vec(probs)}. The loss is (1/(t·L)) Σ over masked "
                   f"positions of −log p. What is it (natural log)?", loss, L=L, t=t, probs=probs)
