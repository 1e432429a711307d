"""Unit 3 BERT (syllabus rows U3.9-U3.11): masked-LM corruption, next-sentence pairs,
fine-tuning heads."""
from __future__ import annotations

import torch

from reference import bert

from ..base import Case, SpecList, Tolerance
from ..draw import clear_max, draw_int, hidden, public, rand, randint, randn

CLS, SEP, PAD, MASK = 2, 3, 0, 4  # special token ids
SPECS = SpecList()
# softmax probabilities down to ~1e-40: float32 formulas (softmax, exp / sum, log_softmax().exp())
# agree to ~2e-6 relative; below 1e-30 (subnormal territory) anything is as good as 0
SMALL_PROBS_TOL = Tolerance(rtol=1e-4, atol=1e-30)


# ---------------------------------------------------------------- U3.9 BERT masked LM


def _mlm_args(gen, B, T, vocab=50, pad=True):
    ids = randint(gen, 5, vocab, B, T)
    ids[:, 0] = CLS
    for b in range(B):
        n = draw_int(gen, max(1, T // 2), T) if pad and T > 2 else T - 1
        ids[b, n] = SEP
        ids[b, n + 1:] = PAD
    special = (ids == CLS) | (ids == SEP) | (ids == PAD)
    return (ids, special, MASK, rand(gen, B, T), rand(gen, B, T), rand(gen, B, T),
            randint(gen, 0, vocab, B, T))


@SPECS.add("U3.9", "bert_mask_tokens", bert.bert_mask_tokens, points=2, repeat=True)
def _cases_mlm(gen):
    return [
        public("b2_t12", *_mlm_args(gen, 2, 12)),
        hidden("half_chosen", *_mlm_args(gen, 3, 20), mlm_probability=0.5),
        hidden("b1_t64", *_mlm_args(gen, 1, 64, pad=False)),
        hidden("no_random_words", *_mlm_args(gen, 2, 16), mlm_probability=0.6,
               mask_replace_prob=1.0, random_replace_prob=0.0),
        hidden("other_split", *_mlm_args(gen, 4, 10), mlm_probability=0.4,
               mask_replace_prob=0.5, random_replace_prob=0.3),
        hidden("only_specials_and_one", *_mlm_args(gen, 1, 3, pad=False), mlm_probability=0.9),
    ]


# ---------------------------------------------------------------- U3.10 BERT NSP
def _sentence(gen, lo=1, hi=8):
    return [int(t) for t in randint(gen, 5, 50, draw_int(gen, lo, hi))]


@SPECS.add("U3.10", "bert_pair_encoding", bert.bert_pair_encoding)
def _cases_pair_encoding(gen):
    return [
        public("slide_like", [5, 6, 7, 8, 4, 9], [10, 11, 12, 13, 4, 14], CLS, SEP),
        hidden("random", _sentence(gen), _sentence(gen), 101, 102),
        hidden("one_token_each", [7], [8], CLS, SEP),
        hidden("empty_b", _sentence(gen), [], CLS, SEP),
        hidden("long", _sentence(gen, 30, 31), _sentence(gen, 30, 31), CLS, SEP),
    ]


def _nsp_args(gen, n_sent, lo=1, hi=8, cls=CLS, sep=SEP, pad=PAD):
    sents = [_sentence(gen, lo, hi) for _ in range(n_sent)]
    n = n_sent - 1
    # a random sentence other than the true next one: (i + 2 + r) % n_sent, r < n_sent - 1
    random_index = (torch.arange(n) + 2 + randint(gen, 0, n_sent - 1, n)) % n_sent
    return sents, rand(gen, n), random_index, cls, sep, pad


@SPECS.add("U3.10", "nsp_pairs", bert.nsp_pairs, points=2, repeat=True)
def _cases_nsp(gen):
    return [
        public("four_sentences", *_nsp_args(gen, 4)),
        hidden("one_pair", *_nsp_args(gen, 2)),
        hidden("other_ids", *_nsp_args(gen, 6, cls=101, sep=102, pad=7)),
        hidden("nsp_probability_0.3", *_nsp_args(gen, 9, 1, 20), nsp_probability=0.3),
        hidden("all_not_next", *_nsp_args(gen, 5), nsp_probability=1.0),
    ]


# ---------------------------------------------------------------- U3.11 BERT fine-tuning heads
@SPECS.add("U3.11", "cls_classification_logits", bert.cls_classification_logits)
def _cases_cls_logits(gen):
    H = 16
    s = H ** -0.5
    return [
        public("pair_classification", randn(gen, 2, 7, H), s * randn(gen, 3, H),
               0.1 * randn(gen, 3)),
        hidden("with_pooler", randn(gen, 3, 9, H), s * randn(gen, 2, H), 0.1 * randn(gen, 2),
               s * randn(gen, H, H), 0.1 * randn(gen, H)),
        hidden("t1_b1", randn(gen, 1, 1, 8), randn(gen, 5, 8), randn(gen, 5)),
        hidden("long", randn(gen, 2, 64, 12), randn(gen, 4, 12), randn(gen, 4),
               pooler_weight=randn(gen, 12, 12), pooler_bias=randn(gen, 12)),
    ]


@SPECS.add("U3.11", "qa_span_probs", bert.qa_span_probs)
def _cases_qa_probs(gen):
    return [
        public("b2_t8", randn(gen, 2, 8, 16), randn(gen, 16) * 0.3, randn(gen, 16) * 0.3),
        hidden("t1", randn(gen, 1, 1, 4), randn(gen, 4), randn(gen, 4)),
        # most probabilities here are far below 1e-6: graded relative to each one
        Case("peaked", args=(3 * randn(gen, 3, 10, 8), 2 * randn(gen, 8), 2 * randn(gen, 8)),
             tolerance=SMALL_PROBS_TOL),
        Case("long", args=(randn(gen, 2, 64, 12), randn(gen, 12), randn(gen, 12)),
             tolerance=SMALL_PROBS_TOL),
    ]


def _clear_span(gen, B, T, max_len, allowed=None):
    """(p_start, p_end) whose best valid span beats the second best by a clear margin."""
    while True:
        ps = torch.softmax(2 * randn(gen, B, T), -1)
        pe = torch.softmax(2 * randn(gen, B, T), -1)
        score = (ps[:, :, None] * pe[:, None, :]).double()
        s = torch.arange(T)
        valid = (s[None, :] >= s[:, None]) & (s[None, :] < s[:, None] + max_len)
        valid = valid[None].expand(B, T, T)
        if allowed is not None:
            valid = valid & allowed[:, :, None] & allowed[:, None, :]
        score = score.masked_fill(~valid, -1.0)
        if all(clear_max(score[b], 1e-4 * float(score[b].max())) for b in range(B)):
            return ps, pe


def _outside_paragraph_span():
    p_start = torch.tensor([[0.05, 0.05, 0.10, 0.10, 0.50, 0.10, 0.05, 0.05],
                            [0.05, 0.05, 0.55, 0.05, 0.20, 0.05, 0.03, 0.02],
                            [0.10, 0.10, 0.10, 0.54, 0.10, 0.02, 0.02, 0.02]])
    p_end = torch.tensor([[0.02, 0.02, 0.05, 0.10, 0.20, 0.50, 0.06, 0.05],
                          [0.05, 0.05, 0.05, 0.30, 0.10, 0.25, 0.10, 0.10],
                          [0.10, 0.44, 0.10, 0.10, 0.20, 0.02, 0.02, 0.02]])
    return p_start, p_end


@SPECS.add("U3.11", "qa_best_span", bert.qa_best_span, points=2)
def _cases_best_span(gen):
    allowed = torch.ones(3, 20, dtype=torch.bool)
    allowed[:, :6] = False  # [CLS] and the question
    allowed[:, -1] = False  # the final [SEP]
    return [
        public("b2_t8", *_clear_span(gen, 2, 8, 4), 4),
        hidden("max_len_1", *_clear_span(gen, 3, 10, 1), 1),
        hidden("paragraph_only", *_clear_span(gen, 3, 20, 6, allowed), 6, allowed),
        # the best end right after the paragraph (on [SEP]) follows an allowed start, and the
        # best start in the question precedes an allowed end: ``allowed`` bounds both ends;
        # then (every position allowed) the best end comes before the best start
        hidden("best_ends_outside_paragraph_or_before_start", *_outside_paragraph_span(), 4,
               torch.tensor([[False, False, True, True, True, False, False, False],
                             [False, False, False, True, True, True, True, False],
                             [True] * 8])),
        hidden("t1", torch.ones(1, 1), torch.ones(1, 1), 3),
        hidden("long", *_clear_span(gen, 2, 64, 64), 64),
    ]


@SPECS.add("U3.11", "token_tagging_logits", bert.token_tagging_logits)
def _cases_tagging(gen):
    return [
        public("ner_b2_t6", randn(gen, 2, 6, 8), randn(gen, 5, 8), randn(gen, 5)),
        hidden("t1_b1", randn(gen, 1, 1, 4), randn(gen, 3, 4), randn(gen, 3)),
        hidden("long", randn(gen, 3, 64, 16), 0.25 * randn(gen, 9, 16), randn(gen, 9)),
    ]
