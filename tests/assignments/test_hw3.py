"""Assignment 3 end to end: the solved notebook, the stub, a corpus of typical mistakes and a
correct but differently written solution, graded in one batch."""
from __future__ import annotations

import pytest

from . import corpus

# Typical mistakes: (question, old code in the master solution, new code). Each is one edit of
# the solved notebook and must cost points on its question and nowhere else.
MISTAKES = [
    # q1: a bag of words that records presence instead of counts
    ("q1", "out[d, index[word]] += 1.0", "out[d, index[word]] = 1.0"),
    # q2: skip-gram pairs the centre word with itself
    ("q2", "offsets = torch.tensor([o for o in range(-window, window + 1) if o != 0], "
           "device=tokens.device)\n    centre = torch.arange(T,",
     "offsets = torch.tensor(list(range(-window, window + 1)), device=tokens.device)\n"
     "    centre = torch.arange(T,"),
    # q3: CBOW sums the context vectors instead of averaging them
    ("q3", "h = w_in[contexts].mean(dim=1)", "h = w_in[contexts].sum(dim=1)"),
    # q3: negative sampling pushes the negatives' scores up (the missing minus sign)
    ("q3", "F.logsigmoid(-neg)", "F.logsigmoid(neg)"),
    # q4: nearest by dot product, not by cosine
    ("q4", "sims = F.cosine_similarity(embeddings, query[None, :], dim=1)",
     "sims = embeddings @ query"),
    # q5: missing 1/sqrt(d_k)
    ("q5", "scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)  # (..., T, S)",
     "scores = q @ k.transpose(-2, -1)  # (..., T, S)"),
    # q5: softmax over the queries instead of the keys
    ("q5", "weights = torch.softmax(scores, dim=-1)  # each row",
     "weights = torch.softmax(scores, dim=-2)  # each row"),
    # q5: the mask applied after the softmax (rows no longer sum to 1)
    ("q5", "    if mask is not None:\n        scores = scores.masked_fill(~mask, float(\"-inf\"))\n"
           "    weights = torch.softmax(scores, dim=-1)  # each row: a distribution over the keys\n",
     "    weights = torch.softmax(scores, dim=-1)  # each row: a distribution over the keys\n"
     "    if mask is not None:\n        weights = weights.masked_fill(~mask, 0.0)\n"),
    # q5: the mask read as "True = blocked" (nn.MultiheadAttention's convention)
    ("q5", "scores = scores.masked_fill(~mask,", "scores = scores.masked_fill(mask,"),
    # q6: heads split by reshaping (B, T, E) straight to (B, nh, T, hs), without the transpose
    ("q6", "t.reshape(B, T, num_heads, hs).transpose(1, 2) for t in (q, k, v))  # (B, nh, T, hs)",
     "t.reshape(B, num_heads, T, hs) for t in (q, k, v))  # (B, nh, T, hs)"),
    # q6: scaled by sqrt(E) instead of the head size
    ("q6", "scores = q @ k.transpose(-2, -1) / math.sqrt(hs)  # (B, nh, T, T)",
     "scores = q @ k.transpose(-2, -1) / math.sqrt(E)  # (B, nh, T, T)"),
    # q7: LayerNorm with the unbiased variance (torch.var's default)
    ("q7", "var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)",
     "var = x.var(dim=-1, keepdim=True)"),
    # q7: LayerNorm without eps (0 / 0 on a constant row, blown-up noise on a near-constant one)
    ("q7", "return (x - mean) / torch.sqrt(var + eps) * weight + bias",
     "return (x - mean) / torch.sqrt(var) * weight + bias"),
    # q7: no residual connection around the feed-forward network
    ("q7", "return layer_norm(x + ff,", "return layer_norm(ff,"),
    # q7: sine and cosine swapped in the positional encoding
    ("q7", "torch.stack([torch.sin(angle), torch.cos(angle)], dim=-1)",
     "torch.stack([torch.cos(angle), torch.sin(angle)], dim=-1)"),
    # q8: the 10% random words drawn with 0.1 instead of 0.1 / (1 - 0.8)
    ("q8", "to_random = chosen & ~to_mask & (u_random < p_random)",
     "to_random = chosen & ~to_mask & (u_random < random_replace_prob)"),
    # q8: labels only where [MASK] was put, not at every chosen position
    ("q8", "labels = torch.where(chosen, input_ids,",
     "labels = torch.where(chosen & (u_replace < mask_replace_prob), input_ids,"),
    # q9: the first [SEP] put into segment 1
    ("q9", "[0] * (len(a) + 2) + [1] * (len(b) + 1)", "[0] * (len(a) + 1) + [1] * (len(b) + 2)"),
    # q9: the coin read the wrong way round (random B when coin >= p)
    ("q9", "if float(coins[i]) < nsp_probability:", "if float(coins[i]) >= nsp_probability:"),
    # q10: the start and end probabilities normalised over the batch instead of the positions
    ("q10", "torch.softmax(hidden @ start, dim=-1), torch.softmax(hidden @ end, dim=-1)",
     "torch.softmax(hidden @ start, dim=0), torch.softmax(hidden @ end, dim=0)"),
    # q10: best start and best end taken separately (may give e < s or a too long span)
    ("q10", "return torch.stack([best // T, best % T], dim=1)",
     "return torch.stack([p_start.argmax(dim=1), p_end.argmax(dim=1)], dim=1)"),
    # q10: allowed applied to the start only (an answer may end on [SEP] or padding)
    ("q10", "valid = valid & allowed[:, :, None] & allowed[:, None, :]",
     "valid = valid & allowed[:, :, None]"),
    # q11: the targets not shifted (each position "predicts" its own token)
    ("q11", "F.cross_entropy(logits[:, :-1].reshape(-1, V), targets[:, 1:].reshape(-1),",
     "F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1),"),
    # q11: ignore_index not passed on (only the default -100 is ignored)
    ("q11", ",\n                           ignore_index=ignore_index)", ")"),
    # q11: the causal mask's upper triangle (looks ahead)
    ("q11", "return torch.tril(torch.ones(T, T,", "return torch.triu(torch.ones(T, T,"),
    # q12: greedy arg-max over the batch axis
    ("q12", "return logits.argmax(dim=-1)", "return logits.argmax(dim=0)"),
    # q12: temperature multiplied instead of divided
    ("q12", "logits = logits / temperature", "logits = logits * temperature"),
    # q12: top-k keeps only k - 1 logits (drops the k-th)
    ("q12", "logits.masked_fill(logits < kth,", "logits.masked_fill(logits <= kth,"),
    # q8: the corruption written into the caller's input_ids (no clone): the returned values
    # are right, the batch the caller still holds is not
    ("q8", "corrupted = input_ids.clone()", "corrupted = input_ids"),
    # q12: the sample drawn with torch.multinomial from the global random state instead of by
    # inverse CDF from the given uniforms: not reproducible from its inputs
    ("q12", "    cdf = torch.softmax(logits, dim=-1).cumsum(dim=-1)  # (B, V)",
     "    return torch.multinomial(torch.softmax(logits, dim=-1), 1).squeeze(-1)\n"
     "    cdf = torch.softmax(logits, dim=-1).cumsum(dim=-1)  # (B, V)"),
    # q11: the language-model loss returned as a Python number (.item()): the right value, but
    # the model cannot be trained through it
    ("q11", "ignore_index=ignore_index)", "ignore_index=ignore_index).item()"),
]

# Points each mistake (by index) loses on its question, from the cases it fails (measured once;
# a change of the cases or of the partial-credit arithmetic shows up here)
POINTS_LOST = {
    0: 0.666667, 1: 1.0, 2: 1.0, 3: 1.0, 4: 0.65, 5: 1.96, 6: 1.96, 7: 1.08, 8: 1.08, 9: 2.0,
    10: 2.0, 11: 2.25, 12: 0.375, 13: 2.25, 14: 0.75, 15: 0.666667, 16: 1.0, 17: 2.0, 18: 1.333333,
    19: 0.5, 20: 0.888889, 21: 0.222222, 22: 1.333333, 23: 0.266667, 24: 0.5, 25: 0.666667,
    26: 0.444444, 27: 0.666667, 28: 1.666667, 29: 1.111111, 30: 1.333333,
}
OUTCOME_QUESTION = None


# A correct solution written differently: every graded cell replaced (keyed by the cell's first
# function): loops instead of vectorised code, einsum attention, one head at a time, torch's own
# TransformerEncoderLayer, manual log-softmax, searchsorted sampling. It must keep full marks.
ALTERNATIVE = {
    "build_vocab": '''
from collections import Counter


def build_vocab(documents, min_count=1):
    counts = Counter(word for doc in documents for word in doc)
    return sorted(word for word in counts if counts[word] >= min_count)


def one_hot_encode(words, vocab):
    rows = [[1.0 if word == v else 0.0 for v in vocab] for word in words]
    return torch.tensor(rows, dtype=torch.float32).reshape(len(words), len(vocab))


def bag_of_words(documents, vocab):
    rows = []
    for doc in documents:
        counts = Counter(doc)
        rows.append([float(counts[v]) for v in vocab])
    return torch.tensor(rows, dtype=torch.float32).reshape(len(documents), len(vocab))
''',
    "skipgram_pairs": '''
def skipgram_pairs(tokens, window):
    T = len(tokens)
    pairs = []
    for i in range(T):
        for j in range(i - window, i + window + 1):
            if j != i and 0 <= j < T:
                pairs.append([int(tokens[i]), int(tokens[j])])
    return torch.tensor(pairs, dtype=torch.long, device=tokens.device).reshape(-1, 2)


def cbow_pairs(tokens, window):
    if len(tokens) < 2 * window + 1:
        return tokens.new_zeros(0, 2 * window), tokens.new_zeros(0)
    windows = tokens.unfold(0, 2 * window + 1, 1)  # (N, 2w+1)
    return torch.cat([windows[:, :window], windows[:, window + 1:]], dim=1), windows[:, window]
''',
    "skipgram_softmax_loss": '''
def skipgram_softmax_loss(centres, contexts, w_in, w_out):
    log_p = torch.log_softmax(torch.einsum("nd,vd->nv", w_in[centres], w_out), dim=1)
    return -log_p.gather(1, contexts[:, None]).mean()


def cbow_softmax_loss(contexts, centres, w_in, w_out):
    h = w_in[contexts].sum(dim=1) / contexts.shape[1]
    log_p = torch.log_softmax(h @ w_out.T, dim=1)
    return -log_p[torch.arange(len(centres), device=centres.device), centres].mean()


def negative_sampling_loss(centres, contexts, negatives, w_in, w_out):
    v = w_in[centres]
    pos = torch.einsum("nd,nd->n", w_out[contexts], v)
    neg = (w_out[negatives] @ v.unsqueeze(-1)).squeeze(-1)
    return (F.softplus(-pos) + F.softplus(neg).sum(dim=1)).mean()  # -log sigmoid(x) = softplus(-x)
''',
    "cosine_nearest": '''
def cosine_nearest(query, embeddings, exclude=(), k=1):
    sims = (embeddings / embeddings.norm(dim=1, keepdim=True)) @ (query / query.norm())
    banned = {int(i) for i in exclude}
    keep = [int(i) for i in torch.argsort(sims, descending=True) if int(i) not in banned]
    return torch.tensor(keep[:k], dtype=torch.long, device=embeddings.device)


def analogy(embeddings, vocab, a, b, c):
    ia, ib, ic = vocab.index(a), vocab.index(b), vocab.index(c)
    target = embeddings[ib] - embeddings[ia] + embeddings[ic]
    return vocab[int(cosine_nearest(target, embeddings, [ia, ib, ic])[0])]
''',
    "attention_weights_from_scores": '''
def attention_weights_from_scores(scores, d_k):
    z = scores / d_k ** 0.5
    e = torch.exp(z - z.amax(dim=-1, keepdim=True))
    return e / e.sum(dim=-1, keepdim=True)


def scaled_dot_product_attention(q, k, v, mask=None):
    scores = torch.einsum("...td,...sd->...ts", q, k) / q.shape[-1] ** 0.5
    if mask is not None:
        scores = torch.where(mask, scores, torch.full_like(scores, -1e9))
    weights = scores.softmax(dim=-1)
    return torch.einsum("...ts,...sv->...tv", weights, v), weights


def self_attention(x, w_q, w_k, w_v, mask=None):
    q, k, v = (torch.einsum("...tc,dc->...td", x, w) for w in (w_q, w_k, w_v))
    return scaled_dot_product_attention(q, k, v, mask=mask)
''',
    "multi_head_attention": '''
def multi_head_attention(x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                         num_heads, mask=None, average_weights=True):
    B, T, E = x.shape
    hs = E // num_heads
    w_q, w_k, w_v = in_proj_weight[:E], in_proj_weight[E:2 * E], in_proj_weight[2 * E:]
    q, k, v = x @ w_q.T, x @ w_k.T, x @ w_v.T
    if in_proj_bias is not None:
        q, k, v = q + in_proj_bias[:E], k + in_proj_bias[E:2 * E], v + in_proj_bias[2 * E:]
    if mask is not None:
        mask = mask.expand(B, num_heads, T, T)
    outputs, maps = [], []
    for h in range(num_heads):  # one head at a time
        part = slice(h * hs, (h + 1) * hs)
        scores = torch.einsum("btd,bsd->bts", q[..., part], k[..., part]) / math.sqrt(hs)
        if mask is not None:
            scores = scores.masked_fill(~mask[:, h], float("-inf"))
        w = torch.softmax(scores, dim=-1)
        outputs.append(w @ v[..., part])
        maps.append(w)
    y = torch.cat(outputs, dim=-1) @ out_proj_weight.T
    if out_proj_bias is not None:
        y = y + out_proj_bias
    weights = torch.stack(maps, dim=1)
    return y, weights.mean(dim=1) if average_weights else weights
''',
    "sinusoidal_positional_encoding": '''
def sinusoidal_positional_encoding(T, d_model, device=None):
    pe = torch.zeros(T, d_model)
    for pos in range(T):
        for i in range(0, d_model, 2):
            angle = pos / 10000 ** (i / d_model)
            pe[pos, i] = math.sin(angle)
            pe[pos, i + 1] = math.cos(angle)
    return pe.to(device)


def layer_norm(x, weight, bias, eps=1e-5):
    return F.layer_norm(x, x.shape[-1:], weight, bias, eps)


def transformer_encoder_block(x, params, num_heads, mask=None, eps=1e-5):
    E, d_ff = x.shape[-1], params["linear1.weight"].shape[0]
    layer = nn.TransformerEncoderLayer(E, num_heads, d_ff, dropout=0.0, batch_first=True,
                                       layer_norm_eps=eps).to(x.device)
    layer.load_state_dict(params)
    layer.eval()
    return layer(x, src_mask=None if mask is None else ~mask).detach()
''',
    "bert_mask_tokens": '''
def bert_mask_tokens(input_ids, special_mask, mask_token_id, u_select, u_replace, u_random,
                     random_tokens, mlm_probability=0.15, mask_replace_prob=0.8,
                     random_replace_prob=0.1):
    chosen = (u_select < mlm_probability) & ~special_mask
    labels = torch.full_like(input_ids, -100)
    labels[chosen] = input_ids[chosen]
    masked = chosen & (u_replace < mask_replace_prob)
    corrupted = torch.where(masked, torch.full_like(input_ids, mask_token_id), input_ids)
    if mask_replace_prob < 1:
        randomised = chosen & ~masked & (u_random < random_replace_prob / (1 - mask_replace_prob))
        corrupted = torch.where(randomised, random_tokens, corrupted)
    return corrupted, labels
''',
    "bert_pair_encoding": '''
def bert_pair_encoding(a, b, cls_id, sep_id):
    ids = [cls_id] + list(a) + [sep_id]
    types = [0] * len(ids)
    ids += list(b) + [sep_id]
    types += [1] * (len(b) + 1)
    return torch.tensor(ids), torch.tensor(types)


def nsp_pairs(sentences, coins, random_index, cls_id, sep_id, pad_id, nsp_probability=0.5):
    n = len(sentences) - 1
    is_random = coins < nsp_probability
    rows = []
    for i in range(n):
        b = sentences[int(random_index[i])] if bool(is_random[i]) else sentences[i + 1]
        rows.append(bert_pair_encoding(sentences[i], b, cls_id, sep_id))
    L = max(len(ids) for ids, _ in rows)
    input_ids = torch.full((n, L), pad_id)
    token_type_ids = torch.zeros(n, L, dtype=torch.long)
    attention_mask = torch.zeros(n, L, dtype=torch.long)
    for i, (ids, types) in enumerate(rows):
        input_ids[i, :len(ids)] = ids
        token_type_ids[i, :len(ids)] = types
        attention_mask[i, :len(ids)] = 1
    return {"input_ids": input_ids.to(coins.device),
            "token_type_ids": token_type_ids.to(coins.device),
            "attention_mask": attention_mask.to(coins.device),
            "next_sentence_label": is_random.long()}
''',
    "qa_span_probs": '''
def qa_span_probs(hidden, start, end):
    s = torch.einsum("bth,h->bt", hidden, start)
    e = torch.einsum("bth,h->bt", hidden, end)
    return s.softmax(dim=1), e.softmax(dim=1)


def qa_best_span(p_start, p_end, max_answer_len, allowed=None):
    B, T = p_start.shape
    spans = []
    for b in range(B):
        best, best_score = None, -1.0
        for s in range(T):
            for e in range(s, min(T, s + max_answer_len)):
                if allowed is not None and not (allowed[b, s] and allowed[b, e]):
                    continue
                score = float(p_start[b, s] * p_end[b, e])
                if score > best_score:
                    best, best_score = [s, e], score
        spans.append(best)
    return torch.tensor(spans, dtype=torch.long, device=p_start.device)
''',
    "causal_mask": '''
def causal_mask(T, device=None):
    i = torch.arange(T, device=device)
    return i[:, None] >= i[None, :]


def gpt_causal_lm_loss(logits, targets, ignore_index=-100):
    pred, target = logits[:, :-1], targets[:, 1:]
    keep = target != ignore_index
    log_p = pred - torch.logsumexp(pred, dim=-1, keepdim=True)
    nll = -log_p.gather(-1, torch.where(keep, target, 0).unsqueeze(-1)).squeeze(-1)
    return nll[keep].mean()
''',
    "greedy_next_token": '''
def greedy_next_token(logits):
    return torch.max(logits, dim=1).indices


def sample_next_token(logits, u, temperature=1.0, top_k=None):
    scaled = logits / temperature
    if top_k is not None:
        ranked = torch.sort(scaled, dim=-1, descending=True).values
        scaled = torch.where(scaled >= ranked[:, top_k - 1:top_k], scaled,
                             torch.full_like(scaled, float("-inf")))
    cdf = torch.cumsum(F.softmax(scaled, dim=-1), dim=-1)
    return torch.searchsorted(cdf, (u * cdf[:, -1]).unsqueeze(-1), right=True).squeeze(-1)
''',
}


@pytest.fixture(scope="module")
def graded(course, built, tmp_path_factory):
    return corpus.grade_corpus(course, built, tmp_path_factory, "hw3", MISTAKES, ALTERNATIVE)


def _name(i: int) -> str:
    return corpus.mistake_name(MISTAKES, i)


def test_corpus_covers_every_question(course):
    corpus.check_covers_every_question(course, "hw3", MISTAKES)


def test_solution_gets_full_marks_and_stub_zero(graded, course):
    corpus.check_solution_full_marks_and_stub_zero(graded, course, "hw3")


def test_differently_written_solution_keeps_full_marks(graded):
    corpus.check_alternative_full_marks(graded)


@pytest.mark.parametrize("i", range(len(MISTAKES)), ids=_name)
def test_a_mistake_loses_points_on_its_question_only(graded, i):
    corpus.check_mistake_costs_its_question_only(graded, MISTAKES, i)


def test_grading_a_submission_takes_well_under_a_minute(graded):
    for name in ("solved", "alternative"):
        r = graded[name]
        assert corpus.student_seconds(r) < 20 and r.seconds < 60, \
            (name, corpus.student_seconds(r), r.seconds)


def test_every_mistake_off_the_outcome_question_has_its_points_pinned():
    assert set(POINTS_LOST) == {i for i, m in enumerate(MISTAKES) if m[0] != OUTCOME_QUESTION}


@pytest.mark.parametrize("i", range(len(MISTAKES)), ids=_name)
def test_a_mistake_loses_exactly_the_points_of_the_cases_it_fails(graded, i):
    corpus.check_mistake_loses_pinned_points(graded, MISTAKES, i, POINTS_LOST)


# mistakes (by index) that fail on a rung past the value: random numbers drawn off the function's
# inputs (the repeated first case disagrees), a right value training cannot backpropagate through
RUNG_OF = {29: "repeat", 30: "gradient"}


@pytest.mark.parametrize("i", sorted(RUNG_OF), ids=_name)
def test_a_mistake_fails_on_its_rung(graded, i):
    corpus.check_fails_on_rung(graded[_name(i)], MISTAKES[i][0], RUNG_OF[i])
