"""Unit 3 course components (syllabus rows U3.1-U3.13): word representations (bag of words,
GloVe, word2vec, analogies, ELMo), attention and the Transformer, BERT, GPT and Image GPT.

Every graded function is a pure function of tensors, plain numbers and strings; where the
lecture's procedure is random (BERT masking, next-sentence pairs, sampling a token) the noise is
an argument, so outputs are compared exactly. Networks are given by their weights (a dict under
the ``state_dict`` names of the matching ``torch.nn`` module), except the tiny GPT, a
``"module"`` spec whose reference weights are injected. The first case of each spec is public;
the rest are hidden edge cases. Where a near-tie could make a correct answer differ from the
reference by floating-point rounding (arg-max, nearest neighbour, inverse-CDF sampling), the
case generator redraws until the decision has a clear margin.
"""
from __future__ import annotations

import torch

from reference import analogy, attention, bert, elmo, glove, gpt, image_gpt
from reference import text_features as tf
from reference import transformer, word2vec

from .base import Case, Spec, Tolerance

F32, F64 = torch.float32, torch.float64
LOOSE = Tolerance(rtol=1e-4, atol=1e-5)  # sums of many terms, deep blocks


# ---------------------------------------------------------------- drawing helpers
def _n(gen: torch.Generator, *shape: int, dtype: torch.dtype = F32) -> torch.Tensor:
    return torch.randn(shape, generator=gen, dtype=dtype)


def _u(gen: torch.Generator, *shape: int, dtype: torch.dtype = F32) -> torch.Tensor:
    return torch.rand(shape, generator=gen, dtype=dtype)


def _i(gen: torch.Generator, low: int, high: int, *shape: int) -> torch.Tensor:
    return torch.randint(low, high, shape, generator=gen)


def _int(gen: torch.Generator, low: int, high: int) -> int:
    """A Python int in [low, high)."""
    return int(_i(gen, low, high))


def _public(name: str, *args, **kwargs) -> Case:
    return Case(name, args=args, kwargs=kwargs, hidden=False)


def _hidden(name: str, *args, **kwargs) -> Case:
    return Case(name, args=args, kwargs=kwargs, hidden=True)


WORDS = ["the", "cat", "sat", "on", "mat", "dog", "ran", "a", "big", "red", "ball", "and",
         "bird", "sang", "in", "tree", "ate", "fish", "blue", "sky"]


def _words(gen: torch.Generator, n: int, pool: list[str] = WORDS) -> list[str]:
    return [pool[int(i)] for i in _i(gen, 0, len(pool), n)]


def _margin_ok(values: torch.Tensor, gap: float) -> bool:
    """The largest value beats the second largest by more than ``gap`` (no near-tie)."""
    if values.numel() < 2:
        return True
    top = torch.topk(values.flatten().double(), 2).values
    return bool(top[0] - top[1] > gap)


# ================================================================ U3.1 bag of words / 1-of-N
def _cases_build_vocab(gen):
    return [
        _public("two_docs", [["the", "cat", "sat"], ["the", "dog", "sat", "on", "a", "mat"]]),
        _hidden("min_count_2", [_words(gen, 12), _words(gen, 9), _words(gen, 15)], 2),
        _hidden("with_empty_doc", [[], _words(gen, 6), []]),
        _hidden("one_repeated_word", [["dog", "dog", "dog"]]),
        _hidden("long_doc", [_words(gen, 64)], 3),
    ]


def _cases_one_hot(gen):
    vocab = ["cat", "dog", "mat", "sat", "the"]
    shuffled = [WORDS[int(i)] for i in torch.randperm(len(WORDS), generator=gen)[:12]]
    return [
        _public("sentence", ["the", "cat", "sat"], vocab),
        _hidden("unknown_words", ["the", "zebra", "dog", "emu"], vocab),
        _hidden("single_word", ["dog"], ["dog"]),
        _hidden("unsorted_vocab", _words(gen, 20), shuffled),
        _hidden("long", _words(gen, 64), sorted(set(WORDS))),
    ]


def _cases_bag_of_words(gen):
    vocab = sorted(set(WORDS))
    return [
        _public("two_docs", [["the", "cat", "sat", "on", "the", "mat"], ["the", "dog"]],
                ["cat", "dog", "mat", "on", "sat", "the"]),
        _hidden("empty_and_unknown", [[], ["zebra", "cat", "cat"], _words(gen, 7)],
                ["cat", "dog", "sat"]),
        _hidden("single_doc", [_words(gen, 10)], vocab),
        _hidden("many_docs", [_words(gen, _int(gen, 1, 30)) for _ in range(8)], vocab),
        _hidden("unsorted_vocab", [_words(gen, 25), _words(gen, 5)],
                [WORDS[int(i)] for i in torch.randperm(len(WORDS), generator=gen)[:9]]),
    ]


# ================================================================ U3.2 GloVe
def _cases_cooccurrence(gen):
    return [
        _public("window2", torch.tensor([0, 1, 2, 0, 3, 1]), 4, 2),
        _hidden("whole_document", _i(gen, 0, 6, 15), 6, None),
        _hidden("harmonic", _i(gen, 0, 8, 30), 8, 3, True),
        _hidden("single_token", torch.tensor([2]), 3, 2),
        _hidden("window_longer_than_text", _i(gen, 0, 4, 5), 4, 10),
        _hidden("long_repeats", _i(gen, 0, 5, 64), 7, 4, True),
    ]


def _cases_glove_weighting(gen):
    return [
        _public("paper_defaults", torch.tensor([0.0, 1.0, 10.0, 50.0, 100.0, 300.0])),
        _hidden("random_counts", _u(gen, 4, 5) * 200),
        _hidden("other_alpha", _u(gen, 7) * 20, 10.0, 0.5),
        _hidden("all_above_max", 100.0 + _u(gen, 3) * 50),
    ]


def _glove_args(gen, V, D, n_tokens, window, harmonic=False, big=0.0):
    counts = glove.cooccurrence_counts(_i(gen, 0, V, n_tokens), V, window, harmonic)
    if big:
        counts = counts * big
    return (0.3 * _n(gen, V, D), 0.3 * _n(gen, V, D), 0.3 * _n(gen, V), 0.3 * _n(gen, V),
            counts)


def _cases_glove_loss(gen):
    return [
        _public("small", *_glove_args(gen, 5, 3, 20, 2)),
        _hidden("harmonic_counts", *_glove_args(gen, 8, 4, 60, 3, harmonic=True)),
        _hidden("counts_above_xmax", *_glove_args(gen, 6, 5, 40, 2, big=60.0)),
        _hidden("other_xmax_alpha", *_glove_args(gen, 7, 3, 30, 2), x_max=5.0, alpha=0.5),
        _hidden("sparse_long", *_glove_args(gen, 20, 6, 64, 1)),
    ]


# ================================================================ U3.3 word2vec
def _cases_skipgram_pairs(gen):
    return [
        _public("window1", torch.tensor([4, 7, 1, 9, 2]), 1),
        _hidden("window2", _i(gen, 0, 50, 9), 2),
        _hidden("single_token", torch.tensor([3]), 2),
        _hidden("window_longer_than_text", _i(gen, 0, 50, 3), 5),
        _hidden("long", _i(gen, 0, 100, 64), 3),
    ]


def _cases_cbow_pairs(gen):
    return [
        _public("window1", torch.tensor([4, 7, 1, 9, 2]), 1),
        _hidden("window2", _i(gen, 0, 50, 11), 2),
        _hidden("exactly_one_window", _i(gen, 0, 50, 7), 3),
        _hidden("too_short", _i(gen, 0, 50, 4), 2),
        _hidden("long", _i(gen, 0, 100, 64), 4),
    ]


def _emb(gen, V, D, dtype=F32):
    return 0.5 * _n(gen, V, D, dtype=dtype), 0.5 * _n(gen, V, D, dtype=dtype)


def _cases_skipgram_loss(gen):
    V = 12
    return [
        _public("six_pairs", _i(gen, 0, V, 6), _i(gen, 0, V, 6), *_emb(gen, V, 4)),
        _hidden("one_pair", _i(gen, 0, 30, 1), _i(gen, 0, 30, 1), *_emb(gen, 30, 8)),
        _hidden("large_vectors", _i(gen, 0, V, 10), _i(gen, 0, V, 10),
                *(3 * e for e in _emb(gen, V, 5))),
        _hidden("many_pairs", _i(gen, 0, 40, 64), _i(gen, 0, 40, 64), *_emb(gen, 40, 7)),
    ]


def _cases_cbow_loss(gen):
    V = 12
    return [
        _public("window1", _i(gen, 0, V, 5, 2), _i(gen, 0, V, 5), *_emb(gen, V, 4)),
        _hidden("one_example", _i(gen, 0, 30, 1, 6), _i(gen, 0, 30, 1), *_emb(gen, 30, 8)),
        _hidden("repeated_context", torch.full((3, 4), 2), _i(gen, 0, V, 3), *_emb(gen, V, 5)),
        _hidden("many", _i(gen, 0, 40, 64, 4), _i(gen, 0, 40, 64), *_emb(gen, 40, 7)),
    ]


def _cases_neg_loss(gen):
    V = 15
    return [
        _public("k3", _i(gen, 0, V, 4), _i(gen, 0, V, 4), _i(gen, 0, V, 4, 3), *_emb(gen, V, 5)),
        _hidden("one_pair_one_negative", _i(gen, 0, V, 1), _i(gen, 0, V, 1), _i(gen, 0, V, 1, 1),
                *_emb(gen, V, 3)),
        _hidden("large_scores", _i(gen, 0, V, 6), _i(gen, 0, V, 6), _i(gen, 0, V, 6, 5),
                *(4 * e for e in _emb(gen, V, 6))),
        _hidden("many", _i(gen, 0, 50, 64), _i(gen, 0, 50, 64), _i(gen, 0, 50, 64, 10),
                *_emb(gen, 50, 8)),
    ]


def _cases_neg_grads(gen):
    return [
        _public("n2_k3", _n(gen, 2, 4), _n(gen, 2, 4), _n(gen, 2, 3, 4)),
        _hidden("n1_k1", _n(gen, 1, 3), _n(gen, 1, 3), _n(gen, 1, 1, 3)),
        _hidden("float64", _n(gen, 5, 6, dtype=F64), _n(gen, 5, 6, dtype=F64),
                _n(gen, 5, 4, 6, dtype=F64)),
        _hidden("large", 3 * _n(gen, 16, 10), 3 * _n(gen, 16, 10), 3 * _n(gen, 16, 7, 10)),
    ]


# ================================================================ U3.4 analogies
def _clear_nearest(gen, V, D, exclude_n, k):
    """(query, embeddings, exclude) whose top k+1 cosine similarities are well separated."""
    while True:
        E, q = _n(gen, V, D), _n(gen, D)
        exclude = [int(i) for i in torch.randperm(V, generator=gen)[:exclude_n]]
        sims = (E.double() @ q.double()) / (E.double().norm(dim=1) * q.double().norm())
        keep = torch.ones(V, dtype=torch.bool)
        keep[exclude] = False
        top = torch.sort(sims[keep], descending=True).values[: k + 1]
        if bool((top[:-1] - top[1:]).min() > 1e-3):
            return q, E, exclude


def _cases_cosine_nearest(gen):
    cases = []
    for name, V, D, n_ex, k, public in [("top3", 10, 4, 0, 3, True),
                                        ("exclude", 20, 5, 3, 1, False),
                                        ("k_is_rest", 6, 3, 2, 4, False),
                                        ("many_words", 64, 16, 3, 5, False)]:
        q, E, ex = _clear_nearest(gen, V, D, n_ex, k)
        case = Case(name, args=(q, E), kwargs={"exclude": ex, "k": k}, hidden=not public)
        cases.append(case)
    scaled = torch.tensor([[1.0, 0.0], [0.0, 1.0], [5.0, 0.1]])
    cases.append(_hidden("scale_invariant", torch.tensor([2.0, 0.0]), scaled, exclude=[0], k=2))
    return cases


CAPITALS_VOCAB = ["Rome", "Italy", "Berlin", "Germany", "Paris", "France", "banana"]
CAPITALS = torch.tensor([
    [0.3, 1.0, 0.0, 0.0, 0.0],  # Rome
    [0.0, 1.0, 0.0, 0.0, 0.0],  # Italy
    [0.3, 0.0, 1.0, 0.0, 0.0],  # Berlin
    [0.0, 0.0, 1.0, 0.0, 0.5],  # Germany
    [0.3, 0.0, 0.0, 1.0, 0.0],  # Paris
    [0.0, 0.0, 0.0, 1.0, 0.5],  # France
    [0.0, 0.0, 0.0, 0.0, 1.0],  # banana
])


def _random_analogy(gen, V, D):
    vocab = [f"w{i}" for i in range(V)]
    while True:
        E = _n(gen, V, D)
        a, b, c = (int(i) for i in torch.randperm(V, generator=gen)[:3])
        q = (E[c] - E[a] + E[b]).double()
        sims = (E.double() @ q) / (E.double().norm(dim=1) * q.norm())
        sims[[a, b, c]] = -2.0
        if _margin_ok(sims, 1e-3):
            return E, vocab, vocab[a], vocab[b], vocab[c]


def _cases_analogy(gen):
    return [
        _public("rome_italy_berlin", CAPITALS, CAPITALS_VOCAB, "Rome", "Italy", "Berlin"),
        _hidden("germany_berlin_france", CAPITALS, CAPITALS_VOCAB, "Germany", "Berlin", "France"),
        _hidden("random_small", *_random_analogy(gen, 8, 4)),
        _hidden("random_large", *_random_analogy(gen, 64, 12)),
    ]


# ================================================================ U3.5 ELMo
def _cases_layer_mix(gen):
    return [
        _public("three_layers", _n(gen, 3, 2, 4, 6), _n(gen, 3), 1.5),
        _hidden("one_layer", _n(gen, 1, 1, 3, 4), _n(gen, 1), 0.7),
        _hidden("tensor_gamma", _n(gen, 4, 2, 5, 8), _n(gen, 4), torch.tensor(2.5)),
        _hidden("peaked_weights", _n(gen, 3, 1, 64, 10), torch.tensor([10.0, -10.0, 0.0]), 1.0),
        _hidden("float64", _n(gen, 2, 3, 4, dtype=F64), _n(gen, 2, dtype=F64), 0.3),
    ]


def _lstm_params(gen, H, L):
    s = H ** -0.5  # nn.LSTM's U(-1/sqrt(H), 1/sqrt(H)) initialisation
    p = {}
    for j in range(L):
        p[f"weight_ih_l{j}"] = (2 * _u(gen, 4 * H, H) - 1) * s
        p[f"weight_hh_l{j}"] = (2 * _u(gen, 4 * H, H) - 1) * s
        p[f"bias_ih_l{j}"] = (2 * _u(gen, 4 * H) - 1) * s
        p[f"bias_hh_l{j}"] = (2 * _u(gen, 4 * H) - 1) * s
    return p


def _cases_bilm(gen):
    def args(B, T, H, L):
        return _n(gen, B, T, H), _lstm_params(gen, H, L), _lstm_params(gen, H, L), L

    return [
        _public("two_layers", *args(2, 5, 4, 2)),
        _hidden("one_token", *args(1, 1, 3, 1)),
        _hidden("three_layers", *args(3, 7, 6, 3)),
        _hidden("long_sentence", *args(1, 64, 8, 2)),
    ]


# ================================================================ U3.6 self-attention
def _mask_with_one_key_rows(gen, *shape):
    """Random boolean mask (True = may attend); every row keeps >= 1 key, one row keeps exactly
    one."""
    T, S = shape[-2], shape[-1]
    mask = _u(gen, *shape) < 0.5
    mask[..., torch.arange(T), _i(gen, 0, S, T)] = True
    mask[..., -1, :] = False
    mask[..., -1, _int(gen, 0, S)] = True
    return mask


def _cases_weights_from_scores(gen):
    return [
        _public("slide_112_96", torch.tensor([112.0, 96.0]), 64),
        _hidden("score_matrix", 10 * _n(gen, 2, 4, 4), 16),
        _hidden("d_k_24", 5 * _n(gen, 3, 7), 24),
        _hidden("single_key", _n(gen, 5, 1), 8),
    ]


def _cases_sdpa(gen):
    return [
        _public("b2_t4", _n(gen, 2, 4, 8), _n(gen, 2, 4, 8), _n(gen, 2, 4, 8)),
        _hidden("masked_one_key_rows", _n(gen, 2, 6, 5), _n(gen, 2, 6, 5), _n(gen, 2, 6, 3),
                mask=_mask_with_one_key_rows(gen, 2, 6, 6)),
        _hidden("t1_b1", _n(gen, 1, 1, 4), _n(gen, 1, 1, 4), _n(gen, 1, 1, 4)),
        _hidden("causal_t64_dk24", _n(gen, 2, 64, 24), _n(gen, 2, 64, 24), _n(gen, 2, 64, 16),
                mask=torch.ones(64, 64, dtype=torch.bool).tril()),
        _hidden("cross_attention_heads", _n(gen, 2, 3, 5, 12), _n(gen, 2, 3, 9, 12),
                _n(gen, 2, 3, 9, 7)),
        _hidden("large_scores", 4 * _n(gen, 1, 8, 6), 4 * _n(gen, 1, 8, 6), _n(gen, 1, 8, 6),
                mask=_mask_with_one_key_rows(gen, 8, 8)),
    ]


def _cases_self_attention(gen):
    def ws(C, d_k, d_v):
        s = C ** -0.5
        return s * _n(gen, d_k, C), s * _n(gen, d_k, C), s * _n(gen, d_v, C)

    return [
        _public("b2_t4", _n(gen, 2, 4, 6), *ws(6, 4, 4)),
        _hidden("unbatched_dv_ne_dk", _n(gen, 5, 8), *ws(8, 3, 6)),
        _hidden("t1", _n(gen, 1, 1, 5), *ws(5, 5, 5)),
        _hidden("causal_t64_dk24", _n(gen, 2, 64, 30), *ws(30, 24, 24),
                mask=torch.ones(64, 64, dtype=torch.bool).tril()),
        _hidden("masked_one_key_rows", _n(gen, 3, 7, 10), *ws(10, 6, 5),
                mask=_mask_with_one_key_rows(gen, 3, 7, 7)),
    ]


# ================================================================ U3.7 multi-head attention
def _mha_weights(gen, E, bias=True):
    s = E ** -0.5
    w = [s * _n(gen, 3 * E, E), 0.1 * _n(gen, 3 * E) if bias else None,
         s * _n(gen, E, E), 0.1 * _n(gen, E) if bias else None]
    return w


def _cases_mha(gen):
    B, T = 3, 9
    lengths = _i(gen, 1, T + 1, B)
    padding = (torch.arange(T)[None] < lengths[:, None])[:, None, None, :]  # (B, 1, 1, T)
    return [
        _public("b2_t5_h2", _n(gen, 2, 5, 8), *_mha_weights(gen, 8), 2),
        _hidden("causal_t64_h4_hs6", _n(gen, 2, 64, 24), *_mha_weights(gen, 24), 4,
                mask=torch.ones(64, 64, dtype=torch.bool).tril()),
        _hidden("padding_mask", _n(gen, B, T, 12), *_mha_weights(gen, 12), 3, mask=padding),
        _hidden("per_head_weights", _n(gen, 2, 6, 20), *_mha_weights(gen, 20), 5,
                mask=_mask_with_one_key_rows(gen, 6, 6), average_weights=False),
        _hidden("one_head_no_bias", _n(gen, 1, 7, 6), *_mha_weights(gen, 6, bias=False), 1),
        _hidden("t1_b1", _n(gen, 1, 1, 8), *_mha_weights(gen, 8), 4),
    ]


# ================================================================ U3.8 transformer encoder block
def _cases_positional(gen):
    return [
        _public("t10_d16", 10, 16),
        _hidden("t1", 1, 8),
        _hidden("t64_d32", 64, 32),
        _hidden("d_not_power_of_two", 12, 10),
        _hidden("d2", 5, 2),
    ]


def _encoder_params(gen, E, d_ff):
    s, s_ff = E ** -0.5, d_ff ** -0.5
    return {
        "self_attn.in_proj_weight": s * _n(gen, 3 * E, E),
        "self_attn.in_proj_bias": 0.1 * _n(gen, 3 * E),
        "self_attn.out_proj.weight": s * _n(gen, E, E),
        "self_attn.out_proj.bias": 0.1 * _n(gen, E),
        "linear1.weight": s * _n(gen, d_ff, E), "linear1.bias": 0.1 * _n(gen, d_ff),
        "linear2.weight": s_ff * _n(gen, E, d_ff), "linear2.bias": 0.1 * _n(gen, E),
        "norm1.weight": 1 + 0.1 * _n(gen, E), "norm1.bias": 0.1 * _n(gen, E),
        "norm2.weight": 1 + 0.1 * _n(gen, E), "norm2.bias": 0.1 * _n(gen, E),
    }


def _cases_encoder_block(gen):
    return [
        _public("b2_t5", _n(gen, 2, 5, 8), _encoder_params(gen, 8, 16), 2),
        _hidden("t1_b1", _n(gen, 1, 1, 12), _encoder_params(gen, 12, 24), 3),
        _hidden("causal_t64", _n(gen, 2, 64, 24), _encoder_params(gen, 24, 48), 4,
                mask=torch.ones(64, 64, dtype=torch.bool).tril()),
        _hidden("odd_sizes", _n(gen, 3, 7, 18), _encoder_params(gen, 18, 7), 3,
                mask=_mask_with_one_key_rows(gen, 7, 7)),
        _hidden("eps_1e-6", 3 * _n(gen, 2, 4, 10), _encoder_params(gen, 10, 20), 5, eps=1e-6),
    ]


# ================================================================ U3.9 BERT masked LM
CLS, SEP, PAD, MASK = 2, 3, 0, 4


def _mlm_args(gen, B, T, vocab=50, pad=True):
    ids = _i(gen, 5, vocab, B, T)
    ids[:, 0] = CLS
    for b in range(B):
        n = _int(gen, max(1, T // 2), T) if pad and T > 2 else T - 1
        ids[b, n] = SEP
        ids[b, n + 1:] = PAD
    special = (ids == CLS) | (ids == SEP) | (ids == PAD)
    return (ids, special, MASK, _u(gen, B, T), _u(gen, B, T), _u(gen, B, T),
            _i(gen, 0, vocab, B, T))


def _cases_mlm(gen):
    return [
        _public("b2_t12", *_mlm_args(gen, 2, 12)),
        _hidden("half_chosen", *_mlm_args(gen, 3, 20), mlm_probability=0.5),
        _hidden("b1_t64", *_mlm_args(gen, 1, 64, pad=False)),
        _hidden("no_random_words", *_mlm_args(gen, 2, 16), mlm_probability=0.6,
                mask_replace_prob=1.0, random_replace_prob=0.0),
        _hidden("other_split", *_mlm_args(gen, 4, 10), mlm_probability=0.4,
                mask_replace_prob=0.5, random_replace_prob=0.3),
        _hidden("only_specials_and_one", *_mlm_args(gen, 1, 3, pad=False), mlm_probability=0.9),
    ]


# ================================================================ U3.10 BERT NSP
def _sentence(gen, lo=1, hi=8):
    return [int(t) for t in _i(gen, 5, 50, _int(gen, lo, hi))]


def _cases_pair_encoding(gen):
    return [
        _public("slide_like", [5, 6, 7, 8, 4, 9], [10, 11, 12, 13, 4, 14], CLS, SEP),
        _hidden("random", _sentence(gen), _sentence(gen), 101, 102),
        _hidden("one_token_each", [7], [8], CLS, SEP),
        _hidden("empty_b", _sentence(gen), [], CLS, SEP),
        _hidden("long", _sentence(gen, 30, 31), _sentence(gen, 30, 31), CLS, SEP),
    ]


def _nsp_args(gen, n_sent, lo=1, hi=8, cls=CLS, sep=SEP, pad=PAD):
    sents = [_sentence(gen, lo, hi) for _ in range(n_sent)]
    n = n_sent - 1
    # a random sentence other than the true next one: (i + 2 + r) % n_sent, r < n_sent - 1
    random_index = (torch.arange(n) + 2 + _i(gen, 0, n_sent - 1, n)) % n_sent
    return sents, _u(gen, n), random_index, cls, sep, pad


def _cases_nsp(gen):
    return [
        _public("four_sentences", *_nsp_args(gen, 4)),
        _hidden("one_pair", *_nsp_args(gen, 2)),
        _hidden("other_ids", *_nsp_args(gen, 6, cls=101, sep=102, pad=7)),
        _hidden("nsp_probability_0.3", *_nsp_args(gen, 9, 1, 20), nsp_probability=0.3),
        _hidden("all_not_next", *_nsp_args(gen, 5), nsp_probability=1.0),
    ]


# ================================================================ U3.11 BERT fine-tuning heads
def _cases_cls_logits(gen):
    H = 16
    s = H ** -0.5
    return [
        _public("pair_classification", _n(gen, 2, 7, H), s * _n(gen, 3, H), 0.1 * _n(gen, 3)),
        _hidden("with_pooler", _n(gen, 3, 9, H), s * _n(gen, 2, H), 0.1 * _n(gen, 2),
                s * _n(gen, H, H), 0.1 * _n(gen, H)),
        _hidden("t1_b1", _n(gen, 1, 1, 8), _n(gen, 5, 8), _n(gen, 5)),
        _hidden("long", _n(gen, 2, 64, 12), _n(gen, 4, 12), _n(gen, 4),
                pooler_weight=_n(gen, 12, 12), pooler_bias=_n(gen, 12)),
    ]


def _cases_qa_probs(gen):
    return [
        _public("b2_t8", _n(gen, 2, 8, 16), _n(gen, 16) * 0.3, _n(gen, 16) * 0.3),
        _hidden("t1", _n(gen, 1, 1, 4), _n(gen, 4), _n(gen, 4)),
        _hidden("peaked", 3 * _n(gen, 3, 10, 8), 2 * _n(gen, 8), 2 * _n(gen, 8)),
        _hidden("long", _n(gen, 2, 64, 12), _n(gen, 12), _n(gen, 12)),
    ]


def _clear_span(gen, B, T, max_len, allowed=None):
    """(p_start, p_end) whose best valid span beats the second best by a clear margin."""
    while True:
        ps = torch.softmax(2 * _n(gen, B, T), -1)
        pe = torch.softmax(2 * _n(gen, B, T), -1)
        score = (ps[:, :, None] * pe[:, None, :]).double()
        s = torch.arange(T)
        valid = (s[None, :] >= s[:, None]) & (s[None, :] < s[:, None] + max_len)
        valid = valid[None].expand(B, T, T)
        if allowed is not None:
            valid = valid & allowed[:, :, None] & allowed[:, None, :]
        score = score.masked_fill(~valid, -1.0)
        if all(_margin_ok(score[b], 1e-4 * float(score[b].max())) for b in range(B)):
            return ps, pe


def _cases_best_span(gen):
    allowed = torch.ones(3, 20, dtype=torch.bool)
    allowed[:, :6] = False  # [CLS] and the question
    allowed[:, -1] = False  # the final [SEP]
    return [
        _public("b2_t8", *_clear_span(gen, 2, 8, 4), 4),
        _hidden("start_after_best_end", torch.tensor([[0.1, 0.1, 0.1, 0.6, 0.1]]),
                torch.tensor([[0.1, 0.5, 0.1, 0.1, 0.2]]), 5),
        _hidden("max_len_1", *_clear_span(gen, 3, 10, 1), 1),
        _hidden("paragraph_only", *_clear_span(gen, 3, 20, 6, allowed), 6, allowed),
        _hidden("t1", torch.ones(1, 1), torch.ones(1, 1), 3),
        _hidden("long", *_clear_span(gen, 2, 64, 64), 64),
    ]


def _cases_tagging(gen):
    return [
        _public("ner_b2_t6", _n(gen, 2, 6, 8), _n(gen, 5, 8), _n(gen, 5)),
        _hidden("t1_b1", _n(gen, 1, 1, 4), _n(gen, 3, 4), _n(gen, 3)),
        _hidden("long", _n(gen, 3, 64, 16), 0.25 * _n(gen, 9, 16), _n(gen, 9)),
    ]


# ================================================================ U3.12 GPT
def _cases_causal_mask(gen):
    return [_public("t4", 4), _hidden("t1", 1), _hidden("t7", 7), _hidden("t64", 64)]


def _cases_lm_loss(gen):
    padded = _i(gen, 0, 50, 3, 16)
    padded[0, 9:] = -100
    padded[2, -1] = -100
    return [
        _public("b2_t8", 2 * _n(gen, 2, 8, 50), _i(gen, 0, 50, 2, 8)),
        _hidden("t2_b1", _n(gen, 1, 2, 10), _i(gen, 0, 10, 1, 2)),
        _hidden("ignored_padding", _n(gen, 3, 16, 50), padded),
        _hidden("long", _n(gen, 2, 64, 100), _i(gen, 0, 100, 2, 64)),
        _hidden("other_ignore_index", _n(gen, 2, 5, 7), torch.tensor([[1, 2, 3, 0, 0],
                                                                      [4, 5, 6, 6, 0]]),
                ignore_index=0),
    ]


def _clear_logits(gen, B, V, scale=2.0):
    while True:
        logits = scale * _n(gen, B, V)
        if all(_margin_ok(row, 1e-3) for row in logits):
            return logits


def _cases_greedy(gen):
    return [
        _public("b3_v10", _clear_logits(gen, 3, 10)),
        _hidden("b1_v2", _clear_logits(gen, 1, 2)),
        _hidden("large_vocab", _clear_logits(gen, 4, 500)),
    ]


def _clear_sample(gen, B, V, temperature, top_k, scale=2.0):
    """(logits, u) such that every u is well away from a CDF step."""
    logits = scale * _n(gen, B, V)
    cdf = gpt.next_token_probs(logits.double(), temperature, top_k).cumsum(-1)
    u = torch.empty(B)
    for b in range(B):
        while True:
            x = float(_u(gen))
            if bool(((cdf[b] - x * cdf[b, -1]).abs() > 1e-4).all()):
                u[b] = x
                break
    return logits, u


def _cases_sample(gen):
    return [
        _public("t1_no_topk", *_clear_sample(gen, 3, 10, 1.0, None)),
        _hidden("temperature_0.5", *_clear_sample(gen, 4, 20, 0.5, None), temperature=0.5),
        _hidden("top_k_3", *_clear_sample(gen, 4, 20, 1.0, 3), top_k=3),
        _hidden("hot_top_k", *_clear_sample(gen, 2, 50, 2.0, 10), temperature=2.0, top_k=10),
        _hidden("top_k_1", *_clear_sample(gen, 3, 12, 0.7, 1), temperature=0.7, top_k=1),
        _hidden("b1_top_k_full", *_clear_sample(gen, 1, 6, 1.3, 6), temperature=1.3, top_k=6),
    ]


def _gpt_case(gen, name, B, T, hidden=True, **config):
    init = dict(vocab_size=50, block_size=32, n_layer=1, n_head=2, n_embd=16)
    init.update(config)
    with torch.device("meta"):  # shapes only: the values are drawn from gen below
        shapes = {k: v.shape for k, v in gpt.GPT(**init).state_dict().items()}
    state = {}
    for key, shape in shapes.items():
        if key == "lm_head.weight":
            continue
        if ".ln_" in key:
            state[key] = (1.0 if key.endswith("weight") else 0.0) + 0.1 * _n(gen, *shape)
        elif key.endswith("bias"):
            state[key] = 0.05 * _n(gen, *shape)
        else:
            state[key] = 0.2 * _n(gen, *shape)
    state["lm_head.weight"] = state["transformer.wte.weight"].clone()  # tied
    idx = _i(gen, 0, init["vocab_size"], B, T)
    return Case(name, args=(idx,), init=init, state=state, hidden=hidden)


def _cases_gpt(gen):
    return [
        _gpt_case(gen, "one_layer_b2_t8", 2, 8, hidden=False),
        _gpt_case(gen, "t1", 1, 1),
        _gpt_case(gen, "full_block_two_layers", 2, 32, n_layer=2),
        _gpt_case(gen, "four_heads_hs6", 3, 11, n_head=4, n_embd=24, vocab_size=37),
    ]


DOCS = ["The cat sat on the mat.", "Rain fell all night over the quiet town.",
        "Precipitation forms as smaller droplets coalesce via collision with other rain drops "
        "or ice crystals within a cloud."]
QUESTIONS = ["Where did the cat sit?", "When did the rain fall?",
             "Where do water droplets collide with ice crystals to form precipitation?"]


def _cases_qa_prompt(gen):
    return [
        _public("cat", DOCS[0], QUESTIONS[0]),
        _hidden("slide_squad", DOCS[2], QUESTIONS[2]),
        _hidden("empty_document", "", QUESTIONS[1]),
    ]


def _cases_tldr_prompt(gen):
    return [_public("cat", DOCS[0]), _hidden("rain", DOCS[1]), _hidden("two_lines",
                                                                        DOCS[2] + "\n" + DOCS[1])]


# ================================================================ U3.13 Image GPT
def _clear_pixels(gen, B, H, W, palette):
    """Images whose every pixel is clearly nearest one palette colour."""
    C = palette.size(1)
    img = _u(gen, B, C, H, W)
    while True:
        px = img.permute(0, 2, 3, 1)  # (B, H, W, C)
        d2 = ((px[..., None, :] - palette) ** 2).sum(-1).double()  # (B, H, W, K)
        two = torch.topk(-d2, 2, dim=-1).values if palette.size(0) > 1 else None
        bad = (two[..., 0] - two[..., 1]).abs() < 1e-4 if two is not None else \
            torch.zeros(B, H, W, dtype=torch.bool)
        if not bad.any():
            return img
        img = img.permute(0, 2, 3, 1).clone()
        img[bad] = _u(gen, int(bad.sum()), C)
        img = img.permute(0, 3, 1, 2).contiguous()


HAND_PALETTE = torch.tensor([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
HAND_IMAGE = torch.tensor([[[0.1, 0.9, 0.8], [0.0, 0.6, 0.8]],
                           [[0.0, 0.9, 0.1], [0.1, 0.1, 0.7]],
                           [[0.1, 0.9, 0.1], [0.9, 0.0, 0.9]]])[None]  # (1, 3, 2, 3)


def _cases_quantize(gen):
    p8, p16, p1 = _u(gen, 8, 3), _u(gen, 16, 3), _u(gen, 1, 3)
    return [
        _public("hand_2x3", HAND_IMAGE, HAND_PALETTE),
        _hidden("rgb_8_colours", _clear_pixels(gen, 2, 5, 4, p8), p8),
        _hidden("one_colour", _u(gen, 1, 3, 2, 2), p1),
        _hidden("grey_palette", _clear_pixels(gen, 1, 8, 8, torch.linspace(0, 1, 5)[:, None]),
                torch.linspace(0, 1, 5)[:, None]),
        _hidden("larger", _clear_pixels(gen, 3, 8, 8, p16), p16),
    ]


def _cases_image_to_sequence(gen):
    p8 = _u(gen, 8, 3)
    return [
        _public("hand_2x3", HAND_IMAGE, HAND_PALETTE),
        _hidden("non_square", _clear_pixels(gen, 2, 3, 7, p8), p8),
        _hidden("one_pixel", _clear_pixels(gen, 1, 1, 1, p8), p8),
    ]


def _cases_igpt_loss(gen):
    p8 = _u(gen, 8, 3)
    return [
        _public("hand_2x3", _n(gen, 1, 6, 4), HAND_IMAGE, HAND_PALETTE),
        _hidden("b2_4x4", 2 * _n(gen, 2, 16, 8), _clear_pixels(gen, 2, 4, 4, p8), p8),
        _hidden("one_row", _n(gen, 1, 5, 8), _clear_pixels(gen, 1, 1, 5, p8), p8),
        _hidden("8x8", _n(gen, 2, 64, 8), _clear_pixels(gen, 2, 8, 8, p8), p8),
    ]


def _clustered(gen, K, n_per, C=3, spread=0.04):
    centres = torch.stack([torch.tensor([(k * 0.618) % 1.0, (k * 0.381) % 1.0, k / K])
                           for k in range(K)])[:, :C]
    idx = _i(gen, 0, K, K * n_per)
    idx[:K] = torch.arange(K)  # every cluster has points, the first of each at the front
    return centres[idx] + spread * _n(gen, K * n_per, C)


def _cases_kmeans(gen):
    px4 = _clustered(gen, 4, 30)
    px6 = _clustered(gen, 6, 40)
    px3 = _clustered(gen, 3, 20)
    far = torch.cat([px3[:2], torch.tensor([[5.0, 5.0, 5.0]])])
    return [
        _public("four_clusters", px4, px4[:4].clone(), 5),
        _hidden("six_clusters", px6, px6[:6] + 0.05 * _n(gen, 6, 3), 10),
        _hidden("zero_iterations", px4, px4[:4].clone(), 0),
        _hidden("empty_cluster_stays", px3, far, 4),
        _hidden("float64", px3.double(), px3[:3].double(), 3),
    ]


# ================================================================ the specs

SPECS: list[Spec] = [
    # ---- U3.1
    Spec("U3.1", "build_vocab", tf.build_vocab, _cases_build_vocab,
         doc="build_vocab(documents: list[list[str]], min_count=1) -> list[str]: the words "
             "occurring >= min_count times over all documents, sorted alphabetically."),
    Spec("U3.1", "one_hot_encode", tf.one_hot_encode, _cases_one_hot,
         doc="one_hot_encode(words: list[str], vocab: list[str]) -> (N, V) float32 1-of-N rows "
             "(all zeros for a word not in vocab)."),
    Spec("U3.1", "bag_of_words", tf.bag_of_words, _cases_bag_of_words,
         doc="bag_of_words(documents: list[list[str]], vocab) -> (D, V) float32 word counts; "
             "words outside vocab are ignored, an empty document is a zero row."),
    # ---- U3.2
    Spec("U3.2", "cooccurrence_counts", glove.cooccurrence_counts, _cases_cooccurrence,
         doc="cooccurrence_counts(tokens (T,) long, vocab_size, window=None, harmonic=False) -> "
             "(V, V) float32 symmetric N_ij: pairs of positions p != q with |p-q| <= window "
             "(None: the whole sequence); harmonic counts a pair at distance d as 1/d."),
    Spec("U3.2", "glove_weighting", glove.glove_weighting, _cases_glove_weighting,
         doc="glove_weighting(x, x_max=100.0, alpha=0.75) -> min(1, (x/x_max)**alpha), "
             "elementwise."),
    Spec("U3.2", "glove_loss", glove.glove_loss, _cases_glove_loss, tolerance=LOOSE, points=2,
         doc="glove_loss(w, w_ctx (V, D), b, b_ctx (V,), counts (V, V), x_max=100.0, alpha=0.75)"
             " -> scalar sum over N_ij > 0 of f(N_ij) (w_i.w~_j + b_i + b~_j - log N_ij)^2."),
    # ---- U3.3
    Spec("U3.3", "skipgram_pairs", word2vec.skipgram_pairs, _cases_skipgram_pairs,
         doc="skipgram_pairs(tokens (T,) long, window) -> (N, 2) long (centre, context) pairs, "
             "centre positions in order, then context positions i-window..i+window (skipping i "
             "and positions outside the sequence) in increasing order; (0, 2) if none."),
    Spec("U3.3", "cbow_pairs", word2vec.cbow_pairs, _cases_cbow_pairs,
         doc="cbow_pairs(tokens (T,) long, window) -> (contexts (N, 2*window) long, centres (N,) "
             "long) for every position with a full window (N = max(T - 2*window, 0)); context "
             "words left to right without the centre."),
    Spec("U3.3", "skipgram_softmax_loss", word2vec.skipgram_softmax_loss, _cases_skipgram_loss,
         doc="skipgram_softmax_loss(centres (N,), contexts (N,), w_in (V, D), w_out (V, D)) -> "
             "scalar mean of -log softmax(w_out @ w_in[c])[o]."),
    Spec("U3.3", "cbow_softmax_loss", word2vec.cbow_softmax_loss, _cases_cbow_loss,
         doc="cbow_softmax_loss(contexts (N, 2w), centres (N,), w_in, w_out) -> scalar mean of "
             "-log softmax(w_out @ h)[centre] with h the mean of the context input vectors."),
    Spec("U3.3", "negative_sampling_loss", word2vec.negative_sampling_loss, _cases_neg_loss,
         doc="negative_sampling_loss(centres (N,), contexts (N,), negatives (N, K), w_in, w_out) "
             "-> scalar mean of -log sig(u_o.v_c) - sum_k log sig(-u_k.v_c)."),
    Spec("U3.3", "negative_sampling_grads", word2vec.negative_sampling_grads, _cases_neg_grads,
         points=2,
         doc="negative_sampling_grads(v (N, D), u_pos (N, D), u_neg (N, K, D)) -> (dv, du_pos, "
             "du_neg): hand-derived gradients of sum_n [-log sig(u_o.v) - sum_k log "
             "sig(-u_k.v)]; no autograd needed."),
    # ---- U3.4
    Spec("U3.4", "cosine_nearest", analogy.cosine_nearest, _cases_cosine_nearest,
         doc="cosine_nearest(query (D,), embeddings (V, D), exclude=[], k=1) -> (k,) long "
             "indices of the most cosine-similar rows, best first, never an excluded index."),
    Spec("U3.4", "analogy", analogy.analogy, _cases_analogy,
         doc="analogy(embeddings (V, D), vocab: list[str], a, b, c) -> str: a : b = c : ?, the "
             "word nearest by cosine to V(c) - V(a) + V(b), excluding a, b and c."),
    # ---- U3.5
    Spec("U3.5", "elmo_layer_mix", elmo.elmo_layer_mix, _cases_layer_mix,
         doc="elmo_layer_mix(layers (L+1, ..., D), w (L+1,), gamma) -> (..., D): "
             "gamma * sum_j softmax(w)_j layers[j]."),
    Spec("U3.5", "bilm_states", elmo.bilm_states, _cases_bilm, points=2,
         doc="bilm_states(embeddings (B, T, H), forward_params, backward_params, num_layers) -> "
             "(L+1, B, T, 2H): layer 0 [x; x], layer j [h_fwd_j; h_bwd_j]. The params are "
             "nn.LSTM(H, H, num_layers, batch_first=True) state dicts (weight_ih_l{j}, "
             "weight_hh_l{j}, bias_ih_l{j}, bias_hh_l{j}; gates i, f, g, o); the backward LM is "
             "a separate LSTM run on the reversed sentence, its states flipped back."),
    # ---- U3.6
    Spec("U3.6", "attention_weights_from_scores", attention.attention_weights_from_scores,
         _cases_weights_from_scores,
         doc="attention_weights_from_scores(scores, d_k) -> softmax(scores / sqrt(d_k)) over "
             "the last dimension (slide: 112, 96, d_k=64 -> 0.88, 0.12)."),
    Spec("U3.6", "scaled_dot_product_attention", attention.scaled_dot_product_attention,
         _cases_sdpa, points=2,
         doc="scaled_dot_product_attention(q (..., T, d_k), k (..., S, d_k), v (..., S, d_v), "
             "mask=None) -> (output (..., T, d_v), weights (..., T, S)); mask is bool, "
             "broadcastable to (..., T, S), True = may attend (every row keeps >= 1 key)."),
    Spec("U3.6", "self_attention", attention.self_attention, _cases_self_attention, points=2,
         doc="self_attention(x (..., T, C), w_q (d_k, C), w_k (d_k, C), w_v (d_v, C), mask=None)"
             " -> (output (..., T, d_v), weights (..., T, T)): Q = x w_q^T etc. (the slides' "
             "Q = W_q X with tokens as rows), then scaled dot-product attention."),
    # ---- U3.7
    Spec("U3.7", "multi_head_attention", attention.multi_head_attention, _cases_mha, points=3,
         doc="multi_head_attention(x (B, T, E), in_proj_weight (3E, E), in_proj_bias (3E,) or "
             "None, out_proj_weight (E, E), out_proj_bias (E,) or None, num_heads, mask=None, "
             "average_weights=True) -> (output (B, T, E), weights): nn.MultiheadAttention("
             "batch_first=True)'s computation and weight layout. mask: bool broadcastable to "
             "(B, nh, T, T), True = may attend (nn.MultiheadAttention's attn_mask is the "
             "negation). weights: (B, T, T) averaged over heads, or (B, nh, T, T) per head when "
             "average_weights=False."),
    # ---- U3.8
    Spec("U3.8", "sinusoidal_positional_encoding", transformer.sinusoidal_positional_encoding,
         _cases_positional, tolerance=Tolerance(rtol=1e-4, atol=1e-4),
         doc="sinusoidal_positional_encoding(T, d_model) -> (T, d_model) float32, "
             "PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(...). atol 1e-4 allows "
             "float32 angle computations up to pos 63."),
    Spec("U3.8", "transformer_encoder_block", transformer.transformer_encoder_block,
         _cases_encoder_block, tolerance=Tolerance(rtol=1e-4, atol=1e-4), points=3,
         doc="transformer_encoder_block(x (B, T, E), params: dict, num_heads, mask=None, "
             "eps=1e-5) -> (B, T, E): post-LN x = LN1(x + MHA(x)); x = LN2(x + W2 relu(W1 x + "
             "b1) + b2). params has nn.TransformerEncoderLayer's state_dict keys "
             "(self_attn.in_proj_weight, self_attn.in_proj_bias, self_attn.out_proj.weight, "
             "self_attn.out_proj.bias, linear1.*, linear2.*, norm1.*, norm2.*); mask as in "
             "multi_head_attention (True = may attend)."),
    # ---- U3.9
    Spec("U3.9", "bert_mask_tokens", bert.bert_mask_tokens, _cases_mlm, points=2,
         doc="bert_mask_tokens(input_ids (B, T), special_mask (B, T) bool, mask_token_id, "
             "u_select, u_replace, u_random (B, T) uniform noise, random_tokens (B, T) long, "
             "mlm_probability=0.15, mask_replace_prob=0.8, random_replace_prob=0.1) -> "
             "(corrupted ids, labels). chosen = u_select < mlm_probability and not special; "
             "[MASK] where chosen and u_replace < mask_replace_prob; random_tokens where chosen, "
             "not [MASK] and u_random < random_replace_prob / (1 - mask_replace_prob); labels = "
             "original ids where chosen, -100 elsewhere (transformers' "
             "DataCollatorForLanguageModeling with Bernoulli(p) = [u < p]). Judged exactly: the "
             "noise is an argument."),
    # ---- U3.10
    Spec("U3.10", "bert_pair_encoding", bert.bert_pair_encoding, _cases_pair_encoding,
         doc="bert_pair_encoding(a: list[int], b: list[int], cls_id, sep_id) -> (input_ids (L,) "
             "long, token_type_ids (L,) long) for [CLS] a [SEP] b [SEP]; segment 0 up to and "
             "including the first [SEP], 1 after."),
    Spec("U3.10", "nsp_pairs", bert.nsp_pairs, _cases_nsp, points=2,
         doc="nsp_pairs(sentences: list[list[int]], coins (n-1,), random_index (n-1,) long, "
             "cls_id, sep_id, pad_id, nsp_probability=0.5) -> dict of long tensors input_ids, "
             "token_type_ids, attention_mask (n-1, L) right-padded with pad_id, and "
             "next_sentence_label (n-1,): pair i is sentences[i] with sentences[random_index[i]]"
             " (NotNext = 1) if coins[i] < nsp_probability, else with sentences[i+1] "
             "(IsNext = 0). Judged exactly: the coins are an argument."),
    # ---- U3.11
    Spec("U3.11", "cls_classification_logits", bert.cls_classification_logits, _cases_cls_logits,
         doc="cls_classification_logits(hidden (B, T, H), weight (C, H), bias (C,), "
             "pooler_weight=None, pooler_bias=None) -> (B, C) logits from the [CLS] state "
             "hidden[:, 0], through tanh(pooler) first when pooler weights are given."),
    Spec("U3.11", "qa_span_probs", bert.qa_span_probs, _cases_qa_probs,
         doc="qa_span_probs(hidden (B, T, H), start (H,), end (H,)) -> (p_start (B, T), "
             "p_end (B, T)), P_i = softmax_i(S . T_i)."),
    Spec("U3.11", "qa_best_span", bert.qa_best_span, _cases_best_span, points=2,
         doc="qa_best_span(p_start (B, T), p_end (B, T), max_answer_len, allowed=None) -> (B, 2)"
             " long [start, end] maximising p_start[s] * p_end[e] over s <= e < s + "
             "max_answer_len with both ends allowed (bool (B, T), default all)."),
    Spec("U3.11", "token_tagging_logits", bert.token_tagging_logits, _cases_tagging,
         doc="token_tagging_logits(hidden (B, T, H), weight (C, H), bias (C,)) -> (B, T, C)."),
    # ---- U3.12
    Spec("U3.12", "causal_mask", gpt.causal_mask, _cases_causal_mask,
         doc="causal_mask(T) -> (T, T) bool, True on and below the diagonal (True = may "
             "attend)."),
    Spec("U3.12", "gpt_causal_lm_loss", gpt.gpt_causal_lm_loss, _cases_lm_loss, points=2,
         doc="gpt_causal_lm_loss(logits (B, T, V), targets (B, T), ignore_index=-100) -> scalar "
             "mean cross-entropy of logits[:, :-1] against targets[:, 1:], skipping "
             "ignore_index (GPT2LMHeadModel's loss with labels=targets)."),
    Spec("U3.12", "greedy_next_token", gpt.greedy_next_token, _cases_greedy,
         doc="greedy_next_token(logits (B, V)) -> (B,) long argmax."),
    Spec("U3.12", "sample_next_token", gpt.sample_next_token, _cases_sample, points=2,
         doc="sample_next_token(logits (B, V), u (B,), temperature=1.0, top_k=None) -> (B,) "
             "long. probs = softmax of logits / temperature with all but the top_k logits set to "
             "-inf; the token is the first i with cumsum(probs)[i] > u * cumsum(probs)[-1] "
             "(inverse CDF in vocabulary order). Judged exactly: u is an argument and is never "
             "within 1e-4 of a CDF step."),
    Spec("U3.12", "GPT", gpt.gpt_forward, _cases_gpt, call="module",
         tolerance=Tolerance(rtol=1e-4, atol=1e-4), points=3,
         doc="class GPT(nn.Module) built as GPT(vocab_size, block_size, n_layer, n_head, "
             "n_embd); forward(idx (B, T) long) -> logits (B, T, vocab_size). nanoGPT/GPT-2 "
             "layout with exactly these state_dict keys (strict load): transformer.wte.weight, "
             "transformer.wpe.weight, transformer.h.{i}.ln_1.{weight,bias}, "
             "transformer.h.{i}.attn.c_attn.{weight,bias} (nn.Linear(C, 3C)), "
             "transformer.h.{i}.attn.c_proj.{weight,bias}, transformer.h.{i}.ln_2.{weight,bias},"
             " transformer.h.{i}.mlp.c_fc.{weight,bias} (C -> 4C), "
             "transformer.h.{i}.mlp.c_proj.{weight,bias}, transformer.ln_f.{weight,bias}, "
             "lm_head.weight (no bias; tied to wte, the injected values are equal). Pre-LN "
             "blocks, causal attention, GELU(approximate='tanh'), LayerNorm eps 1e-5, no "
             "dropout; a causal-mask buffer must be non-persistent."),
    Spec("U3.12", "format_qa_prompt", gpt.format_qa_prompt, _cases_qa_prompt,
         doc="format_qa_prompt(document, question) -> f'{document}\\nQ: {question}\\nA:'."),
    Spec("U3.12", "format_tldr_prompt", gpt.format_tldr_prompt, _cases_tldr_prompt,
         doc="format_tldr_prompt(document) -> f'{document}\\nTL;DR:'."),
    # ---- U3.13
    Spec("U3.13", "quantize_pixels", image_gpt.quantize_pixels, _cases_quantize,
         doc="quantize_pixels(images (B, C, H, W), palette (K, C)) -> (B, H, W) long index of "
             "the nearest palette colour (squared Euclidean distance)."),
    Spec("U3.13", "image_to_sequence", image_gpt.image_to_sequence, _cases_image_to_sequence,
         doc="image_to_sequence(images (B, C, H, W), palette (K, C)) -> (B, H*W) long palette "
             "indices in raster order (row by row, left to right)."),
    Spec("U3.13", "image_gpt_loss", image_gpt.image_gpt_loss, _cases_igpt_loss, points=2,
         doc="image_gpt_loss(logits (B, H*W, K), images (B, C, H, W), palette (K, C)) -> scalar "
             "next-pixel cross-entropy: gpt_causal_lm_loss on the quantised raster sequence."),
    Spec("U3.13", "kmeans_palette", image_gpt.kmeans_palette, _cases_kmeans,
         tolerance=Tolerance(rtol=1e-5, atol=1e-5),
         doc="kmeans_palette(pixels (N, C), init (K, C), iters) -> (K, C): `iters` Lloyd steps "
             "(assign each pixel to its nearest centroid, move each centroid to the mean of its "
             "pixels; a centroid with no pixels stays put)."),
]
