"""Oracles for unit 3, word representations: bag of words, GloVe, word2vec, analogies, ELMo.

Each test checks a reference function against something that is not itself: brute-force Python
counting, hand-made examples, autograd, hand-built vectors, or ``nn.LSTM``.
"""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from reference import analogy as an
from reference import elmo, glove, text_features as tf, word2vec as w2v


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ---- U3.1 bag of words / 1-of-N -----------------------------------------------------------


@pytest.mark.oracle("U3.1")
def test_one_hot_and_bag_of_words_by_hand():
    vocab = ["apple", "bag", "cat", "dog", "elephant"]
    one_hot = tf.one_hot_encode(["cat", "apple", "zebra"], vocab)
    assert torch.equal(one_hot, torch.tensor([[0., 0, 1, 0, 0], [1, 0, 0, 0, 0], [0, 0, 0, 0, 0]]))
    assert one_hot.dtype == torch.float32
    docs = [["dog", "cat", "dog"], [], ["elephant", "unknown", "apple", "apple", "apple"]]
    bow = tf.bag_of_words(docs, vocab)
    assert torch.equal(bow, torch.tensor([[0., 0, 1, 2, 0], [0, 0, 0, 0, 0], [3, 0, 0, 0, 1]]))
    assert tf.build_vocab([["b", "a", "b"], ["c", "a"]]) == ["a", "b", "c"]
    assert tf.build_vocab([["b", "a", "b"], ["c", "a"]], min_count=2) == ["a", "b"]


@pytest.mark.oracle("U3.1")
def test_bag_of_words_matches_brute_force_counting():
    g = _gen(1)
    words = [f"w{i}" for i in range(12)]
    docs = [[words[int(i)] for i in torch.randint(12, (int(n),), generator=g)]
            for n in torch.randint(0, 30, (7,), generator=g)]
    vocab = tf.build_vocab(docs)
    assert vocab == sorted(set(w for d in docs for w in d))
    bow = tf.bag_of_words(docs, vocab)
    for d, doc in enumerate(docs):
        for i, w in enumerate(vocab):
            assert bow[d, i].item() == sum(1 for x in doc if x == w)


# ---- U3.2 GloVe ---------------------------------------------------------------------------


def _brute_cooccurrence(tokens: list[int], V: int, window: int | None, harmonic: bool):
    N = [[0.0] * V for _ in range(V)]
    for p in range(len(tokens)):
        for q in range(len(tokens)):
            d = abs(p - q)
            if p != q and (window is None or d <= window):
                N[tokens[p]][tokens[q]] += 1.0 / d if harmonic else 1.0
    return torch.tensor(N)


@pytest.mark.oracle("U3.2")
@pytest.mark.parametrize("window,harmonic", [(1, False), (2, False), (3, True), (None, False),
                                             (100, True)])
def test_cooccurrence_counts_match_brute_force(window, harmonic):
    g = _gen(2)
    tokens = torch.randint(6, (25,), generator=g)
    got = glove.cooccurrence_counts(tokens, 6, window, harmonic)
    want = _brute_cooccurrence(tokens.tolist(), 6, window, harmonic)
    torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-6)
    assert torch.equal(got, got.T)


@pytest.mark.oracle("U3.2")
def test_cooccurrence_hand_example():
    # "a b a c" with window 1: pairs (a,b), (b,a), (a,c) in both directions
    got = glove.cooccurrence_counts(torch.tensor([0, 1, 0, 2]), 3, window=1)
    assert torch.equal(got, torch.tensor([[0., 2, 1], [2, 0, 0], [1, 0, 0]]))


@pytest.mark.oracle("U3.2")
def test_glove_loss_matches_brute_force_sum():
    g = _gen(3)
    V, D = 7, 4
    counts = glove.cooccurrence_counts(torch.randint(V, (60,), generator=g), V, window=3,
                                       harmonic=True)
    counts[0, 1] = counts[1, 0] = 250.0  # above x_max: weight 1
    w, wc = torch.randn(V, D, generator=g, dtype=torch.float64), torch.randn(V, D, generator=g,
                                                                           dtype=torch.float64)
    b, bc = torch.randn(V, generator=g, dtype=torch.float64), torch.randn(V, generator=g,
                                                                       dtype=torch.float64)
    counts = counts.double()
    want = 0.0
    for i in range(V):
        for j in range(V):
            x = counts[i, j].item()
            if x > 0:
                f = min(1.0, (x / 100.0) ** 0.75)
                dot = sum(w[i, k].item() * wc[j, k].item() for k in range(D))
                want += f * (dot + b[i].item() + bc[j].item() - math.log(x)) ** 2
    got = glove.glove_loss(w, wc, b, bc, counts)
    assert abs(got.item() - want) <= 1e-10 * max(1.0, abs(want))
    assert glove.glove_weighting(torch.tensor([0.0, 100.0, 1000.0, 50.0])).tolist() == \
        pytest.approx([0.0, 1.0, 1.0, 0.5 ** 0.75])


@pytest.mark.oracle("U3.2")
def test_glove_loss_gradient_is_finite_where_counts_are_zero():
    V, D = 4, 3
    counts = torch.zeros(V, V, dtype=torch.float64)
    counts[0, 1] = counts[1, 0] = 3.0
    params = [torch.randn(V, D, dtype=torch.float64, requires_grad=True, generator=_gen(4)),
              torch.randn(V, D, dtype=torch.float64, requires_grad=True, generator=_gen(5)),
              torch.zeros(V, dtype=torch.float64, requires_grad=True),
              torch.zeros(V, dtype=torch.float64, requires_grad=True)]
    glove.glove_loss(*params, counts).backward()
    assert all(torch.isfinite(p.grad).all() for p in params)
    assert params[0].grad[2:].abs().max() == 0  # words that never co-occur get no gradient


# ---- U3.3 word2vec ------------------------------------------------------------------------


@pytest.mark.oracle("U3.3")
def test_skipgram_pairs_hand_window():
    tokens = torch.tensor([10, 11, 12, 13])
    pairs = w2v.skipgram_pairs(tokens, window=1)
    assert pairs.tolist() == [[10, 11], [11, 10], [11, 12], [12, 11], [12, 13], [13, 12]]
    pairs2 = w2v.skipgram_pairs(tokens, window=2)
    assert pairs2.tolist()[:5] == [[10, 11], [10, 12], [11, 10], [11, 12], [11, 13]]
    assert len(pairs2) == 10
    assert w2v.skipgram_pairs(torch.tensor([5]), 2).shape == (0, 2)


@pytest.mark.oracle("U3.3")
@pytest.mark.parametrize("T,window", [(9, 1), (9, 2), (17, 3), (3, 4)])
def test_window_pairs_match_brute_force(T, window):
    tokens = torch.randint(100, (T,), generator=_gen(T + window))
    t = tokens.tolist()
    want = [(t[i], t[j]) for i in range(T) for j in range(T) if 0 < abs(i - j) <= window]
    assert [tuple(p) for p in w2v.skipgram_pairs(tokens, window).tolist()] == want
    ctx, centre = w2v.cbow_pairs(tokens, window)
    want_ctx = [t[i - window:i] + t[i + 1:i + window + 1] for i in range(window, T - window)]
    assert ctx.tolist() == want_ctx and ctx.shape == (len(want_ctx), 2 * window)
    assert centre.tolist() == [t[i] for i in range(window, T - window)]


@pytest.mark.oracle("U3.3")
def test_skipgram_pair_count_closed_form():
    for T in range(0, 12):
        for window in range(1, 6):
            brute = sum(1 for i in range(T) for j in range(T) if 0 < abs(i - j) <= window)
            assert w2v.skipgram_pair_count(T, window) == brute
            if T > 0:
                assert len(w2v.skipgram_pairs(torch.arange(T), window)) == brute
            if T > window:
                assert brute == 2 * window * T - window * (window + 1)


@pytest.mark.oracle("U3.3")
def test_word2vec_softmax_losses_by_hand_loop():
    g = _gen(6)
    V, D, N = 9, 5, 6
    w_in, w_out = torch.randn(V, D, generator=g), torch.randn(V, D, generator=g)
    c, o = torch.randint(V, (N,), generator=g), torch.randint(V, (N,), generator=g)
    want = sum(-math.log(math.exp(w_in[c[n]] @ w_out[o[n]]) /
                         sum(math.exp(w_in[c[n]] @ w_out[v]) for v in range(V)))
               for n in range(N)) / N
    assert w2v.skipgram_softmax_loss(c, o, w_in, w_out).item() == pytest.approx(want, rel=1e-5)
    ctx = torch.randint(V, (N, 4), generator=g)
    h = [w_in[ctx[n]].mean(0) for n in range(N)]
    want = sum(-math.log(math.exp(h[n] @ w_out[c[n]]) /
                         sum(math.exp(h[n] @ w_out[v]) for v in range(V))) for n in range(N)) / N
    assert w2v.cbow_softmax_loss(ctx, c, w_in, w_out).item() == pytest.approx(want, rel=1e-5)


@pytest.mark.oracle("U3.3")
def test_negative_sampling_loss_by_hand_and_grads_by_autograd():
    g = _gen(7)
    V, D, N, K = 11, 4, 5, 3
    w_in = torch.randn(V, D, generator=g, dtype=torch.float64)
    w_out = torch.randn(V, D, generator=g, dtype=torch.float64)
    c, o = torch.randint(V, (N,), generator=g), torch.randint(V, (N,), generator=g)
    neg = torch.randint(V, (N, K), generator=g)
    sig = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    want = sum(-math.log(sig(float(w_out[o[n]] @ w_in[c[n]])))
               - sum(math.log(sig(-float(w_out[neg[n, k]] @ w_in[c[n]]))) for k in range(K))
               for n in range(N)) / N
    got = w2v.negative_sampling_loss(c, o, neg, w_in, w_out)
    assert abs(got.item() - want) < 1e-12

    v = w_in[c].clone().requires_grad_()
    u_pos = w_out[o].clone().requires_grad_()
    u_neg = w_out[neg].clone().requires_grad_()
    loss = -(F.logsigmoid((u_pos * v).sum(-1))
             + F.logsigmoid(-(u_neg @ v[:, :, None]).squeeze(-1)).sum(-1)).sum()
    loss.backward()
    dv, du_pos, du_neg = w2v.negative_sampling_grads(v.detach(), u_pos.detach(), u_neg.detach())
    torch.testing.assert_close(dv, v.grad, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(du_pos, u_pos.grad, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(du_neg, u_neg.grad, rtol=1e-12, atol=1e-12)
    # and the autograd loss is the reference's loss times N on the same vectors
    assert abs(loss.item() - N * got.item()) < 1e-10


class _HandNegSampling(torch.autograd.Function):
    """Σ_n ℓ_n forward, the reference's hand-derived gradients backward: gradcheck compares them
    with finite differences."""

    @staticmethod
    def forward(ctx, v, u_pos, u_neg):
        ctx.save_for_backward(v, u_pos, u_neg)
        return -(F.logsigmoid((u_pos * v).sum(-1))
                 + F.logsigmoid(-(u_neg @ v[:, :, None]).squeeze(-1)).sum(-1)).sum()

    @staticmethod
    def backward(ctx, grad):
        dv, du_pos, du_neg = w2v.negative_sampling_grads(*ctx.saved_tensors)
        return grad * dv, grad * du_pos, grad * du_neg


@pytest.mark.oracle("U3.3")
def test_negative_sampling_grads_pass_gradcheck():
    g = _gen(8)
    v = torch.randn(3, 4, generator=g, dtype=torch.float64, requires_grad=True)
    u_pos = torch.randn(3, 4, generator=g, dtype=torch.float64, requires_grad=True)
    u_neg = torch.randn(3, 2, 4, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(_HandNegSampling.apply, (v, u_pos, u_neg), eps=1e-6,
                                    atol=1e-7, rtol=1e-6)


@pytest.mark.oracle("U3.3")
def test_skipgram_training_reduces_loss_on_a_toy_corpus():
    # a corpus where "a" is always followed by "b": the skip-gram model must learn it
    tokens = torch.tensor([0, 1, 2, 0, 1, 3, 0, 1, 2, 0, 1, 3] * 4)
    pairs = w2v.skipgram_pairs(tokens, 1)
    g = _gen(9)
    w_in = (0.1 * torch.randn(4, 3, generator=g)).requires_grad_()
    w_out = (0.1 * torch.randn(4, 3, generator=g)).requires_grad_()
    opt = torch.optim.SGD([w_in, w_out], lr=0.5)
    first = None
    for _ in range(200):
        loss = w2v.skipgram_softmax_loss(pairs[:, 0], pairs[:, 1], w_in, w_out)
        first = loss.item() if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < first - 0.3


# ---- U3.4 analogies -----------------------------------------------------------------------


@pytest.mark.oracle("U3.4")
def test_analogy_with_hand_built_vectors():
    # axes: [capital city, Italy, Germany, France, "a country" noise]; the capital offset is
    # small, so without excluding the query words V(Berlin) − V(Rome) + V(Italy) is nearest Berlin
    vocab = ["Rome", "Italy", "Berlin", "Germany", "Paris", "France", "banana"]
    E = torch.tensor([
        [0.3, 1.0, 0.0, 0.0, 0.0],  # Rome
        [0.0, 1.0, 0.0, 0.0, 0.0],  # Italy
        [0.3, 0.0, 1.0, 0.0, 0.0],  # Berlin
        [0.0, 0.0, 1.0, 0.0, 0.5],  # Germany
        [0.3, 0.0, 0.0, 1.0, 0.0],  # Paris
        [0.0, 0.0, 0.0, 1.0, 0.5],  # France
        [0.0, 0.0, 0.0, 0.0, 1.0],  # banana
    ])
    assert an.analogy(E, vocab, "Rome", "Italy", "Berlin") == "Germany"
    assert an.analogy(E, vocab, "Germany", "Berlin", "France") == "Paris"
    assert an.analogy(E, vocab, "Italy", "Rome", "Germany") == "Berlin"
    # V(Berlin) - V(Rome) + V(Italy) is closest to Berlin itself unless the query words are excluded
    q = E[2] - E[0] + E[1]
    assert an.cosine_nearest(q, E, exclude=[], k=1).item() == 2
    assert an.cosine_nearest(q, E, exclude=[0, 1, 2], k=1).item() == 3


@pytest.mark.oracle("U3.4")
def test_cosine_nearest_matches_brute_force_ranking():
    g = _gen(10)
    E = torch.randn(30, 6, generator=g, dtype=torch.float64)
    q = torch.randn(6, generator=g, dtype=torch.float64)
    sims = [(float(q @ E[i]) / (float(q.norm()) * float(E[i].norm())), i) for i in range(30)]
    ranked = [i for _, i in sorted(sims, key=lambda s: (-s[0], s[1])) if i not in (3, 7)]
    assert an.cosine_nearest(q, E, exclude=[3, 7], k=5).tolist() == ranked[:5]
    assert torch.equal(an.cosine_nearest(q, E, k=30), torch.tensor(
        [i for _, i in sorted(sims, key=lambda s: (-s[0], s[1]))]))
    # cosine ignores scale; ties go to the lower index
    E2 = torch.tensor([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0]])
    assert an.cosine_nearest(torch.tensor([3.0, 0.0]), E2, k=2).tolist() == [0, 1]


# ---- U3.5 ELMo ----------------------------------------------------------------------------


@pytest.mark.oracle("U3.5")
def test_elmo_layer_mix_by_hand():
    layers = torch.tensor([[[1.0, 2.0]], [[3.0, 4.0]], [[5.0, 6.0]]])  # (3, 1, 2)
    w = torch.tensor([0.0, math.log(2.0), math.log(5.0)])  # softmax = [1, 2, 5] / 8
    got = elmo.elmo_layer_mix(layers, w, 2.0)
    want = 2.0 * (torch.tensor([1.0, 2.0]) * 1 + torch.tensor([3.0, 4.0]) * 2
                  + torch.tensor([5.0, 6.0]) * 5) / 8
    torch.testing.assert_close(got, want[None], rtol=1e-6, atol=1e-6)
    # equal weights and γ = 1: the plain average of the layers
    torch.testing.assert_close(elmo.elmo_layer_mix(layers, torch.zeros(3), 1.0),
                               layers.mean(0), rtol=1e-6, atol=1e-6)


@pytest.mark.oracle("U3.5")
@pytest.mark.parametrize("B,T,H,L", [(2, 7, 8, 2), (1, 1, 4, 1), (3, 20, 6, 3)])
def test_bilm_states_match_two_nn_lstms(B, T, H, L):
    torch.manual_seed(B * 100 + T)
    fwd, bwd = nn.LSTM(H, H, L, batch_first=True), nn.LSTM(H, H, L, batch_first=True)
    x = torch.randn(B, T, H)
    got = elmo.bilm_states(x, dict(fwd.state_dict()), dict(bwd.state_dict()), L)
    assert got.shape == (L + 1, B, T, 2 * H)
    torch.testing.assert_close(got[0], torch.cat([x, x], -1))
    with torch.no_grad():
        f_out, b_out = x, x.flip(1)
        for j in range(L):  # every layer's states, one single-layer nn.LSTM at a time
            f1, b1 = nn.LSTM(H, H, 1, batch_first=True), nn.LSTM(H, H, 1, batch_first=True)
            for one, full in ((f1, fwd), (b1, bwd)):
                one.load_state_dict({k.replace(f"_l{j}", "_l0"): v for k, v in
                                     full.state_dict().items() if k.endswith(f"_l{j}")})
            f_out, b_out = f1(f_out)[0], b1(b_out)[0]
            want = torch.cat([f_out, b_out.flip(1)], dim=-1)
            torch.testing.assert_close(got[j + 1], want, rtol=1e-5, atol=1e-5)
        # the top layer is what the full stacked nn.LSTM returns
        torch.testing.assert_close(got[L, ..., :H], fwd(x)[0], rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(got[L, ..., H:], bwd(x.flip(1))[0].flip(1),
                                   rtol=1e-5, atol=1e-5)
