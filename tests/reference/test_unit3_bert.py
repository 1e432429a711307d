"""Oracles for unit 3, BERT: ``transformers``' DataCollatorForLanguageModeling (exactly, and by
statistics over many draws), a BERT tokenizer's pair encoding, the slides' examples, and tiny
randomly initialised ``transformers`` BERT heads with copied weights. Nothing is downloaded: the
tokenizer's vocabulary is written to a temporary file."""
from __future__ import annotations

import math

import pytest
import torch

from reference import bert

transformers = pytest.importorskip("transformers")

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = ["the", "man", "went", "to", "store", "he", "bought", "a", "gallon", "milk", "penguin",
         "are", "flight", "##less", "birds", "my", "dog", "is", "cute", "likes", "play", "##ing"]


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    path = tmp_path_factory.mktemp("vocab") / "vocab.txt"
    words = WORDS + [f"w{i}" for i in range(50 - len(SPECIALS) - len(WORDS))]
    path.write_text("\n".join(SPECIALS + words) + "\n")
    return transformers.BertTokenizer(str(path))


def _special_mask(ids: torch.Tensor, tok) -> torch.Tensor:
    return torch.isin(ids, torch.tensor(tok.all_special_ids))


def _batch(tok, B: int, T: int, g: torch.Generator) -> torch.Tensor:
    """[CLS] w ... w [SEP] [PAD]...: rows of ordinary tokens with special tokens around them."""
    first = len(SPECIALS)
    ids = torch.randint(first, len(tok), (B, T), generator=g)
    ids[:, 0] = tok.cls_token_id
    lengths = torch.randint(T // 2, T, (B,), generator=g)
    for b, n in enumerate(lengths.tolist()):
        ids[b, n] = tok.sep_token_id
        ids[b, n + 1:] = tok.pad_token_id
    return ids


# ---- U3.9 masked LM -----------------------------------------------------------------------


@pytest.mark.oracle("U3.9")
def test_slide_rates_80_10_10():
    mask, rand, keep = bert.masked_lm_rates()
    assert (mask, rand, keep) == pytest.approx((0.12, 0.015, 0.015))  # "random only 1.5%"


@pytest.mark.oracle("U3.9")
def test_mask_tokens_by_hand():
    ids = torch.tensor([[2, 10, 11, 12, 13, 3, 0]])  # [CLS] a b c d [SEP] [PAD]
    special = torch.tensor([[True, False, False, False, False, True, True]])
    u_select = torch.tensor([[0.0, 0.1, 0.9, 0.05, 0.14, 0.0, 0.0]])  # choose a, c, d
    u_replace = torch.tensor([[0.0, 0.5, 0.0, 0.85, 0.95, 0.0, 0.0]])  # a -> [MASK]
    u_random = torch.tensor([[0.0, 0.0, 0.0, 0.2, 0.7, 0.0, 0.0]])  # c -> random, d kept
    random_tokens = torch.full((1, 7), 42)
    out, labels = bert.bert_mask_tokens(ids, special, 4, u_select, u_replace, u_random,
                                        random_tokens)
    assert out.tolist() == [[2, 4, 11, 42, 13, 3, 0]]
    assert labels.tolist() == [[-100, 10, -100, 12, 13, -100, -100]]


def _bernoulli_is_uniform_below_p() -> bool:
    """Whether this torch's CPU ``torch.bernoulli(p_tensor, generator)`` draws ``rand < p``: the
    premise of the exact comparison below (true for torch 2.x CPU)."""
    p = torch.rand(4096, generator=torch.Generator().manual_seed(0))
    p[::7] = 0.0
    a = torch.bernoulli(p, generator=torch.Generator().manual_seed(1)).bool()
    b = torch.rand(p.shape, generator=torch.Generator().manual_seed(1)) < p
    return bool((a == b).all())


@pytest.mark.oracle("U3.9")
@pytest.mark.parametrize("seed,B,T", [(0, 4, 12), (1, 64, 40), (2, 1, 3)])
def test_mask_tokens_equals_the_collator_draw_for_draw(tokenizer, seed, B, T):
    if not _bernoulli_is_uniform_below_p():
        pytest.skip("torch.bernoulli does not draw rand < p here; the statistical test decides")
    ids = _batch(tokenizer, B, T, torch.Generator().manual_seed(100 + seed))
    collator = transformers.DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15,
                                                            seed=seed)
    batch = collator([{"input_ids": row.tolist()} for row in ids])
    out, labels = bert.bert_mask_tokens_with_generator(
        ids, _special_mask(ids, tokenizer), tokenizer.mask_token_id, len(tokenizer),
        torch.Generator().manual_seed(seed))
    assert torch.equal(out, batch["input_ids"])
    assert torch.equal(labels, batch["labels"])


def _observed_rates(ids, out, labels, special, mask_id):
    """Per selectable token: chosen, shown as [MASK], changed to another token, chosen but kept."""
    free = ~special
    n = int(free.sum())
    chosen = labels != -100
    return n, {
        "chosen": int(chosen.sum()) / n,
        "mask": int((chosen & (out == mask_id)).sum()) / n,
        "random": int((chosen & (out != mask_id) & (out != ids)).sum()) / n,
        "kept": int((chosen & (out == ids)).sum()) / n,
    }


@pytest.mark.oracle("U3.9")
def test_mask_tokens_statistics_match_the_collator(tokenizer):
    """Both the reference and transformers' collator, over more than 1.5e5 selectable tokens
    each, against the exact per-token probabilities (V = 50 tokens, ids never special):

        chosen 0.15; [MASK] 0.15·(0.8 + 0.1/V) (a random draw may be [MASK] too);
        changed to another token 0.15·0.1·(V−2)/V; kept 0.15·(0.1 + 0.1/V).

    Each indicator is independent across tokens, so Hoeffding gives
    P(|p̂ − p| >= t) <= 2·exp(−2 n t²); with t = sqrt(ln(2/δ) / (2n)) and δ = 1e-7 per check,
    any of the 8 checks fails with probability < 8e-7 < 1e-6 when the code is right (t < 0.0075).
    A wrong split is far outside: masking every chosen token gives 0.15 for [MASK] instead of
    0.12 (> 4 t), choosing special tokens too breaks the exact checks."""
    V = len(tokenizer)
    B, T = 1800, 128
    ids = _batch(tokenizer, B, T, torch.Generator().manual_seed(7))
    special = _special_mask(ids, tokenizer)
    want = {"chosen": 0.15, "mask": 0.15 * (0.8 + 0.1 / V), "random": 0.15 * 0.1 * (V - 2) / V,
            "kept": 0.15 * (0.1 + 0.1 / V)}

    out, labels = bert.bert_mask_tokens_with_generator(
        ids, special, tokenizer.mask_token_id, V, torch.Generator().manual_seed(8))
    collator = transformers.DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15,
                                                            seed=9)
    batch = collator([{"input_ids": row.tolist()} for row in ids])
    for name, (o, lab) in {"reference": (out, labels),
                           "collator": (batch["input_ids"], batch["labels"])}.items():
        # exact structure: special tokens never chosen, labels only where chosen, rest untouched
        assert (lab[special] == -100).all(), name
        chosen = lab != -100
        assert torch.equal(lab[chosen], ids[chosen]), name
        assert torch.equal(o[~chosen], ids[~chosen]), name
        n, rates = _observed_rates(ids, o, lab, special, tokenizer.mask_token_id)
        t = math.sqrt(math.log(2 / 1e-7) / (2 * n))
        assert n > 150_000 and t < 0.0075
        for key in want:
            assert abs(rates[key] - want[key]) < t, (name, key, rates[key], want[key], t)


@pytest.mark.oracle("U3.9")
def test_mask_tokens_probabilities_are_parameters():
    ids = torch.arange(5, 105).view(4, 25)
    special = torch.zeros_like(ids, dtype=torch.bool)
    g = torch.Generator().manual_seed(3)
    out, labels = bert.bert_mask_tokens_with_generator(ids, special, 4, 200, g,
                                                       mlm_probability=1.0, mask_replace_prob=1.0,
                                                       random_replace_prob=0.0)
    assert (out == 4).all() and torch.equal(labels, ids)
    out, labels = bert.bert_mask_tokens_with_generator(ids, special, 4, 200, g,
                                                       mlm_probability=0.0)
    assert torch.equal(out, ids) and (labels == -100).all()


# ---- U3.10 next sentence prediction -------------------------------------------------------


@pytest.mark.oracle("U3.10")
def test_pair_encoding_matches_the_bert_tokenizer(tokenizer):
    a, b = "the man went to [MASK] store", "he bought a gallon [MASK] milk"
    enc = tokenizer(a, b)
    ids_a = tokenizer(a, add_special_tokens=False)["input_ids"]
    ids_b = tokenizer(b, add_special_tokens=False)["input_ids"]
    input_ids, segments = bert.bert_pair_encoding(ids_a, ids_b, tokenizer.cls_token_id,
                                                  tokenizer.sep_token_id)
    assert input_ids.tolist() == enc["input_ids"]
    assert segments.tolist() == enc["token_type_ids"]
    assert tokenizer.convert_ids_to_tokens(input_ids.tolist()) == [
        "[CLS]", "the", "man", "went", "to", "[MASK]", "store", "[SEP]",
        "he", "bought", "a", "gallon", "[MASK]", "milk", "[SEP]"]


@pytest.mark.oracle("U3.10")
def test_nsp_pairs_slide_example(tokenizer):
    sents = [tokenizer(s, add_special_tokens=False)["input_ids"] for s in
             ["the man went to [MASK] store", "he bought a gallon [MASK] milk",
              "penguin [MASK] are flight ##less birds"]]
    # pair 0: coin 0.9 >= 0.5, the true next sentence (IsNext);
    # pair 1: coin 0.1 < 0.5, the random sentence 0 (NotNext)
    out = bert.nsp_pairs(sents, torch.tensor([0.9, 0.1]), torch.tensor([2, 0]),
                         tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id)
    assert out["next_sentence_label"].tolist() == [bert.IS_NEXT, bert.NOT_NEXT] == [0, 1]
    enc0 = tokenizer("the man went to [MASK] store", "he bought a gallon [MASK] milk")
    enc1 = tokenizer("he bought a gallon [MASK] milk", "the man went to [MASK] store")
    padded = tokenizer.pad([enc0, enc1], return_tensors="pt")
    for key in ("input_ids", "token_type_ids", "attention_mask"):
        assert torch.equal(out[key], padded[key]), key


@pytest.mark.oracle("U3.10")
def test_nsp_half_is_next():
    """With coins from torch.rand the IsNext fraction over n = 20000 pairs is within
    t = sqrt(ln(2/1e-7)/(2n)) = 0.029 of 0.5 except with probability < 1e-7 (Hoeffding)."""
    g = torch.Generator().manual_seed(11)
    n = 20_000
    sents = [[5 + i % 40] for i in range(n + 1)]
    coins = torch.rand(n, generator=g)
    out = bert.nsp_pairs(sents, coins, torch.zeros(n, dtype=torch.long), 2, 3, 0)
    frac = (out["next_sentence_label"] == bert.IS_NEXT).float().mean().item()
    assert abs(frac - 0.5) < math.sqrt(math.log(2 / 1e-7) / (2 * n))
    is_next = out["next_sentence_label"] == bert.IS_NEXT
    firsts_of_b = torch.tensor([s[0] for s in sents[1:]])
    assert torch.equal(out["input_ids"][is_next, 3], firsts_of_b[is_next])


# ---- U3.11 fine-tuning heads --------------------------------------------------------------


def _bert_config(**kw):
    return transformers.BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1,
                                   num_attention_heads=2, intermediate_size=32,
                                   max_position_embeddings=64, hidden_dropout_prob=0.0,
                                   attention_probs_dropout_prob=0.0, **kw)


def _inputs(B=3, T=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, 50, (B, T), generator=g)
    ids[:, 0] = 2
    return ids, (torch.arange(T)[None] >= T // 2).long().expand(B, T)


@pytest.mark.oracle("U3.11")
def test_cls_classification_matches_bert_for_sequence_classification():
    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(_bert_config(num_labels=3)).eval()
    ids, seg = _inputs()
    with torch.no_grad():
        out = model(input_ids=ids, token_type_ids=seg, output_hidden_states=True)
    hidden = out.hidden_states[-1]
    got = bert.cls_classification_logits(hidden, model.classifier.weight, model.classifier.bias,
                                         model.bert.pooler.dense.weight,
                                         model.bert.pooler.dense.bias)
    torch.testing.assert_close(got, out.logits, rtol=1e-5, atol=1e-5)


@pytest.mark.oracle("U3.11")
def test_qa_probs_match_bert_for_question_answering():
    torch.manual_seed(1)
    model = transformers.BertForQuestionAnswering(_bert_config()).eval()
    with torch.no_grad():
        model.qa_outputs.bias.normal_()  # a bias shifts every S·T_i equally: softmax ignores it
    ids, seg = _inputs(seed=1)
    with torch.no_grad():
        out = model(input_ids=ids, token_type_ids=seg, output_hidden_states=True)
    S, E = model.qa_outputs.weight
    p_start, p_end = bert.qa_span_probs(out.hidden_states[-1], S, E)
    torch.testing.assert_close(p_start, out.start_logits.softmax(-1), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(p_end, out.end_logits.softmax(-1), rtol=1e-5, atol=1e-6)


@pytest.mark.oracle("U3.11")
def test_token_tagging_matches_bert_for_token_classification():
    torch.manual_seed(2)
    model = transformers.BertForTokenClassification(_bert_config(num_labels=5)).eval()
    ids, seg = _inputs(seed=2)
    with torch.no_grad():
        out = model(input_ids=ids, token_type_ids=seg, output_hidden_states=True)
    got = bert.token_tagging_logits(out.hidden_states[-1], model.classifier.weight,
                                    model.classifier.bias)
    torch.testing.assert_close(got, out.logits, rtol=1e-5, atol=1e-5)
    assert torch.allclose(
        bert.cls_classification_logits(out.hidden_states[-1], model.classifier.weight,
                                       model.classifier.bias), out.logits[:, 0], atol=1e-6)


def _brute_best_span(ps, pe, max_len, allowed):
    best, arg = -1.0, None
    for s in range(len(ps)):
        for e in range(s, min(len(ps), s + max_len)):
            if allowed[s] and allowed[e] and ps[s] * pe[e] > best:
                best, arg = ps[s] * pe[e], [s, e]
    return arg


@pytest.mark.oracle("U3.11")
@pytest.mark.parametrize("B,T,max_len,restrict", [(4, 10, 3, False), (3, 30, 8, True),
                                                  (1, 1, 1, False), (2, 64, 64, True)])
def test_best_span_matches_brute_force(B, T, max_len, restrict):
    g = torch.Generator().manual_seed(T)
    ps = torch.softmax(3 * torch.randn(B, T, generator=g, dtype=torch.float64), -1)
    pe = torch.softmax(3 * torch.randn(B, T, generator=g, dtype=torch.float64), -1)
    allowed = torch.ones(B, T, dtype=torch.bool)
    if restrict:
        allowed[:, : T // 3] = False  # question tokens and [CLS]
    got = bert.qa_best_span(ps, pe, max_len, allowed if restrict else None)
    for b in range(B):
        assert got[b].tolist() == _brute_best_span(ps[b].tolist(), pe[b].tolist(), max_len,
                                                   allowed[b].tolist())


@pytest.mark.oracle("U3.11")
def test_best_span_by_hand():
    # the best start (index 3) comes after the best end (index 1): the valid span wins
    ps = torch.tensor([[0.1, 0.1, 0.1, 0.6, 0.1]])
    pe = torch.tensor([[0.1, 0.5, 0.1, 0.1, 0.2]])
    assert bert.qa_best_span(ps, pe, max_answer_len=5).tolist() == [[3, 4]]
    assert bert.qa_best_span(ps, pe, max_answer_len=1).tolist() == [[3, 3]]
