"""U2: networks: fully connected layers, backpropagation, RNNs, auto-encoders."""
from __future__ import annotations

import torch

from reference import autoencoder, backprop, mlp, rnn

from ..question import Redraw, fmt, mc, numeric, shape_str, short
from ..registry import generator
from .common import M, T, mat, n_params, rf, ri, vec


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
