"""Unit 2 course components (syllabus rows U2.1–U2.4): fully connected layers and networks,
backpropagation by hand, the RNN, the auto-encoder (a ``"module"`` spec: reference weights are
injected into the student's module, so results never depend on its initialisation)."""
from __future__ import annotations

import torch

from reference import autoencoder, backprop, mlp, rnn

from .base import Case, Spec, Tolerance

F32, F64 = torch.float32, torch.float64


def _n(gen, *shape, dtype=F32):
    return torch.randn(shape, generator=gen, dtype=dtype)


def _net(gen, sizes, dtype=F32):
    Ws = [_n(gen, o, i, dtype=dtype) / i ** 0.5 for i, o in zip(sizes, sizes[1:])]
    bs = [_n(gen, o, dtype=dtype) * 0.1 for o in sizes[1:]]
    return Ws, bs


def _cases_linear(gen):
    W, b = _net(gen, [4, 3])
    W2, b2 = _net(gen, [7, 9], dtype=F64)
    return [Case("small", (_n(gen, 5, 4), W[0], b[0]), hidden=False),
            Case("f64", (_n(gen, 16, 7, dtype=F64), W2[0], b2[0])),
            Case("batch_1", (_n(gen, 1, 4), W[0], b[0])),
            Case("one_output", (_n(gen, 3, 4), W[0][:1], b[0][:1]))]


def _cases_mlp(gen):
    Ws, bs = _net(gen, [4, 3, 2])
    Ws3, bs3 = _net(gen, [6, 8, 8, 5, 3], dtype=F64)
    W1, b1 = _net(gen, [5, 2])
    return [Case("two_layers", (_n(gen, 5, 4), Ws, bs), hidden=False),
            Case("four_layers_f64", (_n(gen, 12, 6, dtype=F64), Ws3, bs3)),
            Case("one_layer_is_linear", (_n(gen, 4, 5), W1, b1)),
            Case("batch_1", (_n(gen, 1, 4), Ws, bs))]


def _cases_backward(gen):
    Ws, bs = _net(gen, [3, 4, 2])
    Ws3, bs3 = _net(gen, [5, 6, 6, 3], dtype=F64)
    W1, b1 = _net(gen, [4, 2])
    return [Case("two_layers", (_n(gen, 6, 3), _n(gen, 6, 2), Ws, bs), hidden=False),
            Case("three_layers_f64", (_n(gen, 10, 5, dtype=F64), _n(gen, 10, 3, dtype=F64), Ws3, bs3)),
            Case("one_layer", (_n(gen, 3, 4), _n(gen, 3, 2), W1, b1)),
            Case("batch_1", (_n(gen, 1, 3), _n(gen, 1, 2), Ws, bs))]


def _rnn_case(gen, name, T, B, D, H, hidden=True, dtype=F32):
    k = 1 / H ** 0.5
    u = lambda *s: (torch.rand(s, generator=gen, dtype=dtype) * 2 - 1) * k  # nn.RNN's init
    return Case(name, (_n(gen, T, B, D, dtype=dtype), _n(gen, B, H, dtype=dtype), u(H, D), u(H, H),
                       u(H), u(H)), hidden=hidden)


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
    state = {k: _n(gen, *v.shape) / max(v.shape[-1], 1) ** 0.5 for k, v in model.state_dict().items()}
    return Case(name, args=(_n(gen, batch, d_in),), hidden=hidden,
                init={"d_in": d_in, "d_hidden": d_hidden, "d_code": d_code}, state=state)


def _cases_ae(gen):
    return [_ae_case(gen, "small", 8, 6, 2, 4, hidden=False), _ae_case(gen, "wide", 20, 32, 3, 16),
            _ae_case(gen, "code_1", 5, 4, 1, 3), _ae_case(gen, "batch_1", 8, 6, 2, 1)]


def _cases_recon(gen):
    return [Case("small", (_n(gen, 4, 8), _n(gen, 4, 8)), hidden=False),
            Case("identical", ((x := _n(gen, 3, 5)), x.clone())),
            Case("f64_batch_1", (_n(gen, 1, 6, dtype=F64), _n(gen, 1, 6, dtype=F64)))]


SPECS = [
    Spec("U2.1", "linear_forward", mlp.linear_forward, _cases_linear),
    Spec("U2.1", "mlp_forward", mlp.mlp_forward, _cases_mlp, tolerance=Tolerance(1e-5, 1e-5)),
    Spec("U2.2", "mlp_backward", backprop.mlp_backward, _cases_backward, points=2,
         tolerance=Tolerance(rtol=1e-4, atol=1e-5)),
    Spec("U2.3", "rnn_forward", rnn.rnn_forward, _cases_rnn, tolerance=Tolerance(1e-5, 1e-5)),
    Spec("U2.4", "AutoEncoder", _ae_reference, _cases_ae, call="module",
         tolerance=Tolerance(rtol=1e-5, atol=1e-5)),
    Spec("U2.4", "reconstruction_loss", autoencoder.reconstruction_loss, _cases_recon),
]
