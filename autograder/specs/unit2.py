"""Unit 2 course components (syllabus rows U2.1–U2.4): fully connected layers and networks,
backpropagation by hand, the RNN, the auto-encoder (a ``"module"`` spec: reference weights are
injected into the student's module, so results never depend on its initialisation)."""
from __future__ import annotations

import torch

from reference import autoencoder, backprop, mlp, rnn

from .base import Case, SpecList, Tolerance
from .draw import F32, F64, hidden, public, rand, randn

SPECS = SpecList()


def _net(gen, sizes, dtype=F32):
    Ws = [randn(gen, o, i, dtype=dtype) / i ** 0.5 for i, o in zip(sizes, sizes[1:])]
    bs = [randn(gen, o, dtype=dtype) * 0.1 for o in sizes[1:]]
    return Ws, bs


@SPECS.add("U2.1", "linear_forward", mlp.linear_forward)
def _cases_linear(gen):
    W, b = _net(gen, [4, 3])
    W2, b2 = _net(gen, [7, 9], dtype=F64)
    return [public("small", randn(gen, 5, 4), W[0], b[0]),
            hidden("f64", randn(gen, 16, 7, dtype=F64), W2[0], b2[0]),
            hidden("batch_1", randn(gen, 1, 4), W[0], b[0]),
            hidden("one_output", randn(gen, 3, 4), W[0][:1], b[0][:1])]


@SPECS.add("U2.1", "mlp_forward", mlp.mlp_forward, tolerance=Tolerance(1e-5, 1e-5))
def _cases_mlp(gen):
    Ws, bs = _net(gen, [4, 3, 2])
    Ws3, bs3 = _net(gen, [6, 8, 8, 5, 3], dtype=F64)
    W1, b1 = _net(gen, [5, 2])
    return [public("two_layers", randn(gen, 5, 4), Ws, bs),
            hidden("four_layers_f64", randn(gen, 12, 6, dtype=F64), Ws3, bs3),
            hidden("one_layer_is_linear", randn(gen, 4, 5), W1, b1),
            hidden("batch_1", randn(gen, 1, 4), Ws, bs)]


@SPECS.add("U2.2", "mlp_backward", backprop.mlp_backward, points=2,
           tolerance=Tolerance(rtol=1e-4, atol=1e-5))
def _cases_backward(gen):
    Ws, bs = _net(gen, [3, 4, 2])
    Ws3, bs3 = _net(gen, [5, 6, 6, 3], dtype=F64)
    W1, b1 = _net(gen, [4, 2])
    return [public("two_layers", randn(gen, 6, 3), randn(gen, 6, 2), Ws, bs),
            hidden("three_layers_f64", randn(gen, 10, 5, dtype=F64), randn(gen, 10, 3, dtype=F64),
                   Ws3, bs3),
            hidden("one_layer", randn(gen, 3, 4), randn(gen, 3, 2), W1, b1),
            hidden("batch_1", randn(gen, 1, 3), randn(gen, 1, 2), Ws, bs)]


def _rnn_case(gen, name, T, B, D, H, hidden=True, dtype=F32):
    k = 1 / H ** 0.5
    u = lambda *s: (rand(gen, *s, dtype=dtype) * 2 - 1) * k  # nn.RNN's init
    return Case(name, (randn(gen, T, B, D, dtype=dtype), randn(gen, B, H, dtype=dtype), u(H, D),
                       u(H, H), u(H), u(H)), hidden=hidden)


@SPECS.add("U2.3", "rnn_forward", rnn.rnn_forward, tolerance=Tolerance(1e-5, 1e-5))
def _cases_rnn(gen):
    return [_rnn_case(gen, "small", 5, 2, 3, 4, hidden=False),
            _rnn_case(gen, "one_step", 1, 3, 2, 5),
            _rnn_case(gen, "long_f64", 50, 2, 4, 6, dtype=F64),
            _rnn_case(gen, "batch_1", 8, 1, 3, 3)]


def _ae_reference(init, state, x):
    model = autoencoder.AutoEncoder(**init).to(x.dtype)
    model.load_state_dict(state)
    with torch.no_grad():
        return model(x)


def _ae_case(gen, name, d_in, d_hidden, d_code, batch, hidden=True):
    model = autoencoder.AutoEncoder(d_in, d_hidden, d_code)
    state = {k: randn(gen, *v.shape) / max(v.shape[-1], 1) ** 0.5
             for k, v in model.state_dict().items()}
    return Case(name, args=(randn(gen, batch, d_in),), hidden=hidden,
                init={"d_in": d_in, "d_hidden": d_hidden, "d_code": d_code}, state=state)


@SPECS.add("U2.4", "AutoEncoder", _ae_reference, call="module",
           tolerance=Tolerance(rtol=1e-5, atol=1e-5))
def _cases_ae(gen):
    return [_ae_case(gen, "small", 8, 6, 2, 4, hidden=False), _ae_case(gen, "wide", 20, 32, 3, 16),
            _ae_case(gen, "code_1", 5, 4, 1, 3), _ae_case(gen, "batch_1", 8, 6, 2, 1)]


@SPECS.add("U2.4", "reconstruction_loss", autoencoder.reconstruction_loss, grad_wrt=(1,))
def _cases_recon(gen):
    return [public("small", randn(gen, 4, 8), randn(gen, 4, 8)),
            hidden("identical", (x := randn(gen, 3, 5)), x.clone()),
            hidden("f64_batch_1", randn(gen, 1, 6, dtype=F64), randn(gen, 1, 6, dtype=F64))]
