"""Oracle tests for unit 2 (U2.1–U2.4): nn.Linear, autograd and gradcheck, nn.RNN, and an
auto-encoder whose loss falls on toy data."""
import pytest
import torch
import torch.nn as nn

from autograder.specs import get_spec, specs_for_row
from reference.autoencoder import AutoEncoder, train_autoencoder
from reference.backprop import mlp_backward
from reference.mlp import linear_forward, mlp_forward
from reference.rnn import rnn_forward

F64 = torch.float64


@pytest.mark.oracle("U2.1")
def test_linear_and_mlp_match_nn_modules_with_copied_weights():
    torch.manual_seed(0)
    layers = [nn.Linear(6, 5), nn.Linear(5, 4), nn.Linear(4, 2)]
    net = nn.Sequential(layers[0], nn.Sigmoid(), layers[1], nn.Sigmoid(), layers[2])
    x = torch.randn(7, 6)
    Ws = [l.weight.detach() for l in layers]
    bs = [l.bias.detach() for l in layers]
    assert torch.allclose(linear_forward(x, Ws[0], bs[0]), layers[0](x).detach(), atol=1e-6)
    assert torch.allclose(mlp_forward(x, Ws, bs), net(x).detach(), atol=1e-6)


@pytest.mark.oracle("U2.2")
def test_backprop_matches_autograd():
    gen = torch.Generator().manual_seed(3)
    sizes = [5, 7, 6, 3]
    Ws = [torch.randn(o, i, generator=gen, dtype=F64, requires_grad=True) for i, o in zip(sizes, sizes[1:])]
    bs = [torch.randn(o, generator=gen, dtype=F64, requires_grad=True) for o in sizes[1:]]
    x, y = torch.randn(9, 5, generator=gen, dtype=F64), torch.randn(9, 3, generator=gen, dtype=F64)
    (0.5 * ((mlp_forward(x, Ws, bs) - y) ** 2).sum() / 9).backward()
    gW, gb = mlp_backward(x, y, [W.detach() for W in Ws], [b.detach() for b in bs])
    for ours, p in zip(gW + gb, Ws + bs):
        assert torch.allclose(ours, p.grad, atol=1e-12)


@pytest.mark.oracle("U2.2")
def test_backprop_passes_gradcheck():
    x, y = torch.randn(4, 3, dtype=F64), torch.randn(4, 2, dtype=F64)

    class Net(torch.autograd.Function):
        @staticmethod
        def forward(ctx, W1, b1, W2, b2):
            ctx.save_for_backward(W1, b1, W2, b2)
            return 0.5 * ((mlp_forward(x, [W1, W2], [b1, b2]) - y) ** 2).sum() / 4

        @staticmethod
        def backward(ctx, g):
            W1, b1, W2, b2 = ctx.saved_tensors
            (gW1, gW2), (gb1, gb2) = mlp_backward(x, y, [W1, W2], [b1, b2])
            return g * gW1, g * gb1, g * gW2, g * gb2

    params = [torch.randn(s, dtype=F64, requires_grad=True) for s in [(5, 3), (5,), (2, 5), (2,)]]
    assert torch.autograd.gradcheck(Net.apply, tuple(params))


@pytest.mark.oracle("U2.3")
def test_rnn_matches_nn_rnn_with_copied_weights():
    torch.manual_seed(1)
    rnn = nn.RNN(4, 6)
    x, h0 = torch.randn(11, 3, 4), torch.randn(3, 6)
    out, hT = rnn_forward(x, h0, rnn.weight_ih_l0.detach(), rnn.weight_hh_l0.detach(),
                          rnn.bias_ih_l0.detach(), rnn.bias_hh_l0.detach())
    ref_out, ref_h = rnn(x, h0[None])
    assert torch.allclose(out, ref_out.detach(), atol=1e-6)
    assert torch.allclose(hT, ref_h[0].detach(), atol=1e-6)


@pytest.mark.oracle("U2.4")
def test_autoencoder_loss_decreases_on_toy_data_and_injected_weights_are_used():
    gen = torch.Generator().manual_seed(4)
    basis = torch.randn(2, 8, generator=gen)
    x = torch.randn(128, 2, generator=gen) @ basis + 0.05 * torch.randn(128, 8, generator=gen)
    losses = train_autoencoder(x, 16, 2, steps=300, lr=1e-2, seed=0)
    assert losses[-1] < 0.2 * losses[0]
    spec = get_spec("AutoEncoder")
    case = spec.cases(0)[0]
    model = nn.Sequential()  # an independent module with the same state-dict names
    model.encoder = nn.Sequential(nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 2))
    model.decoder = nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 8))
    model.load_state_dict(case.state)
    expected = model.decoder(model.encoder(case.args[0])).detach()
    assert torch.allclose(spec.expected(case), expected, atol=1e-6)


@pytest.mark.parametrize("row", ["U2.1", "U2.2", "U2.3", "U2.4"])
def test_specs_are_deterministic_and_finite(row):
    for spec in specs_for_row(row):
        for ca, cb in zip(spec.cases(3), spec.cases(3)):
            assert ca.name == cb.name
            out = spec.expected(ca)
            flat = out if isinstance(out, (tuple, list)) else [out]
            for o in flat:
                for t in (o if isinstance(o, list) else [o]):
                    assert torch.isfinite(t).all(), (spec.name, ca.name)


@pytest.mark.oracle("U2.4")
def test_reconstruction_loss_is_the_mean_squared_error_over_every_entry():
    """(1/(N·d)) Σ_n Σ_j (x_nj − x̂_nj)², summed in Python floats, for every case of the spec."""
    spec = get_spec("reconstruction_loss")
    for case in spec.cases(13):
        x, x_hat = case.args
        diffs = [float(a) - float(b) for a, b in zip(x.flatten(), x_hat.flatten())]
        closed = sum(d * d for d in diffs) / len(diffs)
        assert float(spec.expected(case)) == pytest.approx(closed, rel=1e-5, abs=1e-12), case.name
    x = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
    x_hat = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    assert float(spec.reference(x, x_hat)) == pytest.approx((0 + 4 + 1 + 0) / 4)
