"""Unit 3 word representations (syllabus rows U3.1-U3.5): bag of words and 1-of-N, GloVe,
word2vec, analogies, ELMo."""
from __future__ import annotations

import torch

from reference import analogy, elmo, glove, word2vec
from reference import text_features as tf

from ..base import Case, SpecList, Tolerance
from ..draw import F32, F64, clear_max, draw_int, hidden, public, rand, randint, randn

SPECS = SpecList()
LOOSE = Tolerance(rtol=1e-4, atol=1e-5)  # sums of many terms
WORDS = ["the", "cat", "sat", "on", "mat", "dog", "ran", "a", "big", "red", "ball", "and",
         "bird", "sang", "in", "tree", "ate", "fish", "blue", "sky"]


def _words(gen: torch.Generator, n: int, pool: list[str] = WORDS) -> list[str]:
    return [pool[int(i)] for i in randint(gen, 0, len(pool), n)]


# ---------------------------------------------------------------- U3.1 bag of words / 1-of-N
@SPECS.add("U3.1", "build_vocab", tf.build_vocab)
def _cases_build_vocab(gen):
    return [
        public("two_docs", [["the", "cat", "sat"], ["the", "dog", "sat", "on", "a", "mat"]]),
        hidden("min_count_2", [_words(gen, 12), _words(gen, 9), _words(gen, 15)], 2),
        hidden("with_empty_doc", [[], _words(gen, 6), []]),
        hidden("one_repeated_word", [["dog", "dog", "dog"]]),
        hidden("long_doc", [_words(gen, 64)], 3),
    ]


@SPECS.add("U3.1", "one_hot_encode", tf.one_hot_encode)
def _cases_one_hot(gen):
    vocab = ["cat", "dog", "mat", "sat", "the"]
    shuffled = [WORDS[int(i)] for i in torch.randperm(len(WORDS), generator=gen)[:12]]
    return [
        public("sentence", ["the", "cat", "sat"], vocab),
        hidden("unknown_words", ["the", "zebra", "dog", "emu"], vocab),
        hidden("single_word", ["dog"], ["dog"]),
        hidden("unsorted_vocab", _words(gen, 20), shuffled),
        hidden("long", _words(gen, 64), sorted(set(WORDS))),
    ]


@SPECS.add("U3.1", "bag_of_words", tf.bag_of_words)
def _cases_bag_of_words(gen):
    vocab = sorted(set(WORDS))
    return [
        public("two_docs", [["the", "cat", "sat", "on", "the", "mat"], ["the", "dog"]],
               ["cat", "dog", "mat", "on", "sat", "the"]),
        hidden("empty_and_unknown", [[], ["zebra", "cat", "cat"], _words(gen, 7)],
               ["cat", "dog", "sat"]),
        hidden("single_doc", [_words(gen, 10)], vocab),
        hidden("many_docs", [_words(gen, draw_int(gen, 1, 30)) for _ in range(8)], vocab),
        hidden("unsorted_vocab", [_words(gen, 25), _words(gen, 5)],
               [WORDS[int(i)] for i in torch.randperm(len(WORDS), generator=gen)[:9]]),
    ]


# ---------------------------------------------------------------- U3.2 GloVe
@SPECS.add("U3.2", "cooccurrence_counts", glove.cooccurrence_counts)
def _cases_cooccurrence(gen):
    return [
        public("window2", torch.tensor([0, 1, 2, 0, 3, 1]), 4, 2),
        hidden("whole_document", randint(gen, 0, 6, 15), 6, None),
        hidden("harmonic", randint(gen, 0, 8, 30), 8, 3, True),
        hidden("single_token", torch.tensor([2]), 3, 2),
        hidden("window_longer_than_text", randint(gen, 0, 4, 5), 4, 10),
        hidden("long_repeats", randint(gen, 0, 5, 64), 7, 4, True),
    ]


@SPECS.add("U3.2", "glove_weighting", glove.glove_weighting)
def _cases_glove_weighting(gen):
    return [
        public("paper_defaults", torch.tensor([0.0, 1.0, 10.0, 50.0, 100.0, 300.0])),
        hidden("random_counts", rand(gen, 4, 5) * 200),
        hidden("other_alpha", rand(gen, 7) * 20, 10.0, 0.5),
        hidden("all_above_max", 100.0 + rand(gen, 3) * 50),
    ]


def _glove_args(gen, V, D, n_tokens, window, harmonic=False, big=0.0):
    counts = glove.cooccurrence_counts(randint(gen, 0, V, n_tokens), V, window, harmonic)
    if big:
        counts = counts * big
    return (0.3 * randn(gen, V, D), 0.3 * randn(gen, V, D), 0.3 * randn(gen, V),
            0.3 * randn(gen, V), counts)


@SPECS.add("U3.2", "glove_loss", glove.glove_loss, tolerance=LOOSE, points=2)
def _cases_glove_loss(gen):
    return [
        public("small", *_glove_args(gen, 5, 3, 20, 2)),
        hidden("harmonic_counts", *_glove_args(gen, 8, 4, 60, 3, harmonic=True)),
        hidden("counts_above_xmax", *_glove_args(gen, 6, 5, 40, 2, big=60.0)),
        hidden("other_xmax_alpha", *_glove_args(gen, 7, 3, 30, 2), x_max=5.0, alpha=0.5),
        hidden("sparse_long", *_glove_args(gen, 20, 6, 64, 1)),
    ]


# ---------------------------------------------------------------- U3.3 word2vec
@SPECS.add("U3.3", "skipgram_pairs", word2vec.skipgram_pairs)
def _cases_skipgram_pairs(gen):
    return [
        public("window1", torch.tensor([4, 7, 1, 9, 2]), 1),
        hidden("window2", randint(gen, 0, 50, 9), 2),
        hidden("single_token", torch.tensor([3]), 2),
        hidden("window_longer_than_text", randint(gen, 0, 50, 3), 5),
        hidden("long", randint(gen, 0, 100, 64), 3),
    ]


@SPECS.add("U3.3", "cbow_pairs", word2vec.cbow_pairs)
def _cases_cbow_pairs(gen):
    return [
        public("window1", torch.tensor([4, 7, 1, 9, 2]), 1),
        hidden("window2", randint(gen, 0, 50, 11), 2),
        hidden("exactly_one_window", randint(gen, 0, 50, 7), 3),
        hidden("too_short", randint(gen, 0, 50, 4), 2),
        hidden("long", randint(gen, 0, 100, 64), 4),
    ]


def _emb(gen, V, D, dtype=F32):
    return 0.5 * randn(gen, V, D, dtype=dtype), 0.5 * randn(gen, V, D, dtype=dtype)


@SPECS.add("U3.3", "skipgram_softmax_loss", word2vec.skipgram_softmax_loss)
def _cases_skipgram_loss(gen):
    V = 12
    return [
        public("six_pairs", randint(gen, 0, V, 6), randint(gen, 0, V, 6), *_emb(gen, V, 4)),
        hidden("one_pair", randint(gen, 0, 30, 1), randint(gen, 0, 30, 1), *_emb(gen, 30, 8)),
        hidden("large_vectors", randint(gen, 0, V, 10), randint(gen, 0, V, 10),
               *(3 * e for e in _emb(gen, V, 5))),
        hidden("many_pairs", randint(gen, 0, 40, 64), randint(gen, 0, 40, 64), *_emb(gen, 40, 7)),
    ]


@SPECS.add("U3.3", "cbow_softmax_loss", word2vec.cbow_softmax_loss)
def _cases_cbow_loss(gen):
    V = 12
    return [
        public("window1", randint(gen, 0, V, 5, 2), randint(gen, 0, V, 5), *_emb(gen, V, 4)),
        hidden("one_example", randint(gen, 0, 30, 1, 6), randint(gen, 0, 30, 1), *_emb(gen, 30, 8)),
        hidden("repeated_context", torch.full((3, 4), 2), randint(gen, 0, V, 3), *_emb(gen, V, 5)),
        hidden("many", randint(gen, 0, 40, 64, 4), randint(gen, 0, 40, 64), *_emb(gen, 40, 7)),
    ]


@SPECS.add("U3.3", "negative_sampling_loss", word2vec.negative_sampling_loss)
def _cases_neg_loss(gen):
    V = 15
    return [
        public("k3", randint(gen, 0, V, 4), randint(gen, 0, V, 4), randint(gen, 0, V, 4, 3),
               *_emb(gen, V, 5)),
        hidden("one_pair_one_negative", randint(gen, 0, V, 1), randint(gen, 0, V, 1),
               randint(gen, 0, V, 1, 1), *_emb(gen, V, 3)),
        hidden("large_scores", randint(gen, 0, V, 6), randint(gen, 0, V, 6),
               randint(gen, 0, V, 6, 5), *(4 * e for e in _emb(gen, V, 6))),
        hidden("many", randint(gen, 0, 50, 64), randint(gen, 0, 50, 64),
               randint(gen, 0, 50, 64, 10), *_emb(gen, 50, 8)),
    ]


@SPECS.add("U3.3", "negative_sampling_grads", word2vec.negative_sampling_grads, points=2)
def _cases_neg_grads(gen):
    return [
        public("n2_k3", randn(gen, 2, 4), randn(gen, 2, 4), randn(gen, 2, 3, 4)),
        hidden("n1_k1", randn(gen, 1, 3), randn(gen, 1, 3), randn(gen, 1, 1, 3)),
        hidden("float64", randn(gen, 5, 6, dtype=F64), randn(gen, 5, 6, dtype=F64),
               randn(gen, 5, 4, 6, dtype=F64)),
        hidden("large", 3 * randn(gen, 16, 10), 3 * randn(gen, 16, 10), 3 * randn(gen, 16, 7, 10)),
    ]


# ---------------------------------------------------------------- U3.4 analogies
def _clear_nearest(gen, V, D, exclude_n, k):
    """(query, embeddings, exclude) whose top k+1 cosine similarities are well separated."""
    while True:
        E, q = randn(gen, V, D), randn(gen, D)
        exclude = [int(i) for i in torch.randperm(V, generator=gen)[:exclude_n]]
        sims = (E.double() @ q.double()) / (E.double().norm(dim=1) * q.double().norm())
        keep = torch.ones(V, dtype=torch.bool)
        keep[exclude] = False
        top = torch.sort(sims[keep], descending=True).values[: k + 1]
        if bool((top[:-1] - top[1:]).min() > 1e-3):
            return q, E, exclude


@SPECS.add("U3.4", "cosine_nearest", analogy.cosine_nearest)
def _cases_cosine_nearest(gen):
    cases = []
    for name, V, D, n_ex, k, shown in [("top3", 10, 4, 0, 3, True),
                                       ("exclude", 20, 5, 3, 1, False),
                                       ("k_is_rest", 6, 3, 2, 4, False),
                                       ("many_words", 64, 16, 3, 5, False)]:
        q, E, ex = _clear_nearest(gen, V, D, n_ex, k)
        case = Case(name, args=(q, E), kwargs={"exclude": ex, "k": k}, hidden=not shown)
        cases.append(case)
    scaled = torch.tensor([[1.0, 0.0], [0.0, 1.0], [5.0, 0.1]])
    cases.append(hidden("scale_invariant", torch.tensor([2.0, 0.0]), scaled, exclude=[0], k=2))
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
        E = randn(gen, V, D)
        a, b, c = (int(i) for i in torch.randperm(V, generator=gen)[:3])
        q = (E[c] - E[a] + E[b]).double()
        sims = (E.double() @ q) / (E.double().norm(dim=1) * q.norm())
        sims[[a, b, c]] = -2.0
        if clear_max(sims, 1e-3):
            return E, vocab, vocab[a], vocab[b], vocab[c]


@SPECS.add("U3.4", "analogy", analogy.analogy)
def _cases_analogy(gen):
    return [
        public("rome_italy_berlin", CAPITALS, CAPITALS_VOCAB, "Rome", "Italy", "Berlin"),
        hidden("germany_berlin_france", CAPITALS, CAPITALS_VOCAB, "Germany", "Berlin", "France"),
        hidden("random_small", *_random_analogy(gen, 8, 4)),
        hidden("random_large", *_random_analogy(gen, 64, 12)),
    ]


# ---------------------------------------------------------------- U3.5 ELMo
@SPECS.add("U3.5", "elmo_layer_mix", elmo.elmo_layer_mix)
def _cases_layer_mix(gen):
    return [
        public("three_layers", randn(gen, 3, 2, 4, 6), randn(gen, 3), 1.5),
        hidden("one_layer", randn(gen, 1, 1, 3, 4), randn(gen, 1), 0.7),
        hidden("tensor_gamma", randn(gen, 4, 2, 5, 8), randn(gen, 4), torch.tensor(2.5)),
        hidden("peaked_weights", randn(gen, 3, 1, 64, 10), torch.tensor([10.0, -10.0, 0.0]), 1.0),
        hidden("float64", randn(gen, 2, 3, 4, dtype=F64), randn(gen, 2, dtype=F64), 0.3),
    ]


def _lstm_params(gen, H, L):
    s = H ** -0.5  # nn.LSTM's U(-1/sqrt(H), 1/sqrt(H)) initialisation
    p = {}
    for j in range(L):
        p[f"weight_ih_l{j}"] = (2 * rand(gen, 4 * H, H) - 1) * s
        p[f"weight_hh_l{j}"] = (2 * rand(gen, 4 * H, H) - 1) * s
        p[f"bias_ih_l{j}"] = (2 * rand(gen, 4 * H) - 1) * s
        p[f"bias_hh_l{j}"] = (2 * rand(gen, 4 * H) - 1) * s
    return p


@SPECS.add("U3.5", "bilm_states", elmo.bilm_states, points=2)
def _cases_bilm(gen):
    def args(B, T, H, L):
        return randn(gen, B, T, H), _lstm_params(gen, H, L), _lstm_params(gen, H, L), L

    return [
        public("two_layers", *args(2, 5, 4, 2)),
        hidden("one_token", *args(1, 1, 3, 1)),
        hidden("three_layers", *args(3, 7, 6, 3)),
        hidden("long_sentence", *args(1, 64, 8, 2)),
    ]
