"""U3: text models and attention: bag of words, GloVe, word2vec, analogies, ELMo, attention,
transformers, BERT, GPT, Image GPT."""
from __future__ import annotations

import math

import torch

from reference import (analogy, attention, bert, elmo, glove, gpt, image_gpt, text_features,
                       transformer, word2vec)

from ..question import Redraw, fmt, mc, numeric, shape_str, short, tf
from ..registry import generator
from .common import F64, M, T, rf, ri, vec

_WORDS = ["cat", "dog", "sat", "mat", "the", "on", "a", "ran"]


@generator("U3.1", "bag of words")
def u3_bag_of_words(rng):
    docs = [[rng.choice(_WORDS[:5]) for _ in range(ri(rng, 3, 6))] for _ in range(2)]
    vocab = text_features.build_vocab(docs)
    d = ri(rng, 0, 1)
    counts = text_features.bag_of_words(docs, vocab)[d]
    return short(f"Documents: D1 = \"{' '.join(docs[0])}\", D2 = \"{' '.join(docs[1])}\". The "
                 f"vocabulary is every word that occurs, sorted alphabetically: {', '.join(vocab)}. "
                 f"Give the bag-of-words count vector of D{d + 1}.", vec(counts.tolist()), docs=docs, d=d)


@generator("U3.1", "bag of words")
def u3_vocab_size(rng):
    docs = [[rng.choice(_WORDS) for _ in range(ri(rng, 4, 7))] for _ in range(3)]
    mc_ = ri(rng, 1, 3)
    n = len(text_features.build_vocab(docs, mc_))
    return numeric("Documents: " + "; ".join(f"\"{' '.join(d)}\"" for d in docs)
                   + f". How many words are in the vocabulary if a word needs at least {mc_} "
                   f"occurrence(s) in all documents together?", n, integer=True, docs=docs, min_count=mc_)


@generator("U3.1", "1-of-N encoding")
def u3_one_hot(rng):
    vocab = sorted(rng.sample(_WORDS, ri(rng, 4, 6)))
    word = rng.choice(vocab)
    v = text_features.one_hot_encode([word], vocab)[0]
    return short(f"Vocabulary (in this order): {', '.join(vocab)}. Give the 1-of-N (one-hot) "
                 f"vector of \"{word}\".", vec(v.tolist()), vocab=vocab, word=word)


@generator("U3.2", "GloVe")
def u3_glove_weight(rng):
    x = rng.choice([1, 2, 5, 10, 20, 30, 50, 75, 99, 150, 400])
    x_max, alpha = rng.choice([100, 50]), rng.choice([0.75, 0.5])
    f = glove.glove_weighting(T(x), x_max, alpha)
    return numeric(f"GloVe weights each squared error by f(N_ij) = (N_ij / x_max)^α for N_ij < "
                   f"x_max and 1 otherwise, with x_max = {x_max}, α = {alpha}. What is f({x})?",
                   f, x=x, x_max=x_max, alpha=alpha)


@generator("U3.2", "GloVe")
def u3_cooccurrence(rng):
    words = ["the", "cat", "sat", "on", "mat"]
    seq = [rng.choice(words) for _ in range(ri(rng, 6, 8))]
    a, b = rng.sample(words, 2)
    if a not in seq or b not in seq:
        raise Redraw("both words should occur")
    window = ri(rng, 1, 3)
    ids = torch.tensor([words.index(w) for w in seq])
    n = glove.cooccurrence_counts(ids, len(words), window)[words.index(a), words.index(b)]
    return numeric(f"The sentence \"{' '.join(seq)}\". Count co-occurrences N_ij: every ordered "
                   f"pair of positions p ≠ q with |p − q| ≤ {window} and word i at p, word j at q. "
                   f"What is N(\"{a}\", \"{b}\")?", n, integer=True, seq=seq, a=a, b=b, window=window)


@generator("U3.3", "word2vec")
def u3_skipgram_pairs(rng):
    n, w = ri(rng, 5, 20), ri(rng, 1, 3)
    return numeric(f"Skip-gram with window {w} (context = up to {w} word(s) on each side) on a "
                   f"sentence of {n} tokens: how many (centre, context) training pairs?",
                   word2vec.skipgram_pair_count(n, w), integer=True, T=n, window=w)


@generator("U3.3", "word2vec")
def u3_cbow_examples(rng):
    n, w = ri(rng, 6, 30), ri(rng, 1, 4)
    contexts, _ = word2vec.cbow_pairs(torch.arange(n), w)
    if contexts.shape[0] == 0:
        raise Redraw("no example")
    return short(f"CBOW with window {w}: every position with {w} word(s) on both sides becomes one "
                 f"example (its context words → the centre word). For a sentence of {n} tokens, "
                 f"what is the shape (N, context size) of the context tensor?",
                 shape_str(contexts.shape), T=n, window=w)


_ANALOGY_WORDS = ["king", "queen", "man", "woman", "prince", "girl", "boy", "princess"]


@generator("U3.4", "analogies")
def u3_analogy_mc(rng):
    words = rng.sample(_ANALOGY_WORDS, 6)
    E = [[ri(rng, -3, 3), ri(rng, -3, 3)] for _ in words]
    if len({tuple(e) for e in E}) < len(E) or [0, 0] in E:
        raise Redraw("need distinct, non-zero vectors")
    a, b, c = words[:3]
    emb = M(E)
    query = emb[2] - emb[0] + emb[1]
    if float(query.norm()) < 1e-9:
        raise Redraw("zero query")
    sims = sorted(torch.nn.functional.cosine_similarity(query[None], emb[3:]).tolist())
    if sims[-1] - sims[-2] < 1e-3:
        raise Redraw("near tie for the answer")
    good = analogy.analogy(emb, words, a, b, c)
    wrong = [words[int(analogy.cosine_nearest(query, emb, k=1)[0])],  # query words not excluded
             analogy.analogy(emb, words, b, a, c),  # V(c) − V(b) + V(a): the sign flipped
             words[int(analogy.cosine_nearest(query, emb, exclude=[0, 1, 2], k=2)[1])]]  # runner-up
    return mc(rng, "Word vectors: " + ", ".join(f"V({w}) = {vec(e)}" for w, e in zip(words, E))
              + f". Which word answers {a} : {b} = {c} : ? (the word whose vector is most cosine-"
              f"similar to V({c}) − V({a}) + V({b}), excluding {a}, {b} and {c})", good, wrong,
              words=words, E=E)


@generator("U3.5", "ELMo")
def u3_elmo_mix(rng):
    h = [rf(rng, -2, 2) for _ in range(3)]
    w = [rf(rng, -1, 1) for _ in range(3)]
    gamma = rng.choice([0.5, 1.0, 1.5, 2.0])
    out = elmo.elmo_layer_mix(T(*h)[:, None], T(*w), gamma)[0]
    return numeric(f"ELMo mixes the biLM's layers h_0, h_1, h_2 (one dimension shown: {vec(h)}) "
                   f"as γ Σ_j s_j h_j with s = softmax(w), w = {vec(w)} and γ = {gamma}. What is "
                   f"the mixed value?", out, h=h, w=w, gamma=gamma)


@generator("U3.6", "self-attention")
def u3_attention_weight(rng):
    d_k = rng.choice([4, 16, 64])
    s = [ri(rng, 0, 3 * int(math.sqrt(d_k))) for _ in range(3)]
    j = ri(rng, 0, 2)
    w = attention.attention_weights_from_scores(T(*s), d_k)[j]
    return numeric(f"A query's dot products with keys 0, 1 and 2 are q·k = {vec(s)}, "
                   f"d_k = {d_k}. What is the attention weight on key {j} (0-based) after "
                   f"scaling and softmax?", w,
                   scores=s, d_k=d_k, j=j)


@generator("U3.6", "self-attention")
def u3_attention_mc(rng):
    d_k = rng.choice([16, 64])
    s = [ri(rng, 60, 120), ri(rng, 60, 120)]
    if abs(s[0] - s[1]) < 4:
        raise Redraw("too close")
    good = attention.attention_weights_from_scores(T(*s), d_k)[0]
    wrong = [attention.attention_weights_from_scores(T(*s), 1)[0],  # forgot √d_k
             attention.attention_weights_from_scores(T(*s), d_k * d_k)[0],  # divided by d_k
             attention.attention_weights_from_scores(T(*s[::-1]), d_k)[0]]  # keys swapped
    return mc(rng, f"q1·k1 = {s[0]}, q1·k2 = {s[1]}, d_k = {d_k}. The attention weight α_(1,1) is:",
              fmt(good, 3), [fmt(w, 3) for w in wrong], scores=s, d_k=d_k)


@generator("U3.6", "self-attention")
def u3_attention_tf(rng):
    d_k = rng.choice([4, 16, 64])
    s = [ri(rng, 0, 20) for _ in range(2)]
    w = float(attention.attention_weights_from_scores(T(*s), d_k)[0])
    if abs(w - 0.7) < 0.02:
        raise Redraw("too close")
    return tf(f"With scores q·k = {vec(s)} and d_k = {d_k}, the weight on the first key after "
              f"scaling by 1/√d_k and softmax exceeds 0.7.", w > 0.7, scores=s, d_k=d_k)


@generator("U3.6", "self-attention")
def u3_sdpa_output(rng):
    q = [ri(rng, -2, 2) for _ in range(2)]
    K = [[ri(rng, -2, 2) for _ in range(2)] for _ in range(2)]
    V = [rf(rng, -2, 2) for _ in range(2)]
    out, _ = attention.scaled_dot_product_attention(T(*q)[None], M(K), T(*V)[:, None])
    return numeric(f"One query q = {vec(q)}, keys k1 = {vec(K[0])}, k2 = {vec(K[1])} (d_k = 2), "
                   f"scalar values v1 = {fmt(V[0])}, v2 = {fmt(V[1])}. What is the output of "
                   f"softmax(q·K/√d_k)·V?", out[0, 0], q=q, K=K, V=V)


@generator("U3.7", "multi-head attention")
def u3_mha_params(rng):
    E, h = rng.choice([64, 128, 256, 512, 768]), rng.choice([4, 8])
    return numeric(f"How many parameters does nn.MultiheadAttention(embed_dim={E}, num_heads={h}) "
                   f"have (with biases)?", attention.multi_head_attention_param_count(E),
                   integer=True, E=E, h=h)


@generator("U3.7", "multi-head attention")
def u3_mha_params_mc(rng):
    E, h = rng.choice([32, 64, 96, 128, 192, 256, 512]), rng.choice([2, 4, 8])
    count = attention.multi_head_attention_param_count
    good = count(E, bias=True)
    wrong = [count(E, bias=False),  # biases forgotten
             count(E // h, bias=True),  # counted one head's width d_k = E/h
             count(E * h, bias=True)]  # every head given the full width E
    return mc(rng, f"Parameters of a multi-head attention layer (W_q, W_k, W_v and the output "
              f"projection, all with biases), width E = {E}, {h} heads?", str(good),
              [str(w) for w in wrong], E=E, h=h)


@generator("U3.8", "transformer")
def u3_positional_encoding(rng):
    pos, d = ri(rng, 1, 20), rng.choice([4, 8, 16])
    i = ri(rng, 0, min(d, 4) - 1)
    val = transformer.sinusoidal_positional_encoding(pos + 1, d).double()[pos, i]
    return numeric(f"Sinusoidal positional encoding with d_model = {d}: PE[pos, 2i] = "
                   f"sin(pos/10000^(2i/d)), PE[pos, 2i+1] = cos(pos/10000^(2i/d)). What is "
                   f"PE[{pos}, {i}] (0-based column)?", val, pos=pos, d=d, i=i)


@generator("U3.8", "transformer")
def u3_layer_norm(rng):
    x = [ri(rng, -4, 6) for _ in range(4)]
    if len(set(x)) == 1:
        raise Redraw("constant input")
    i = ri(rng, 0, 3)
    out = transformer.layer_norm(T(*x), torch.ones(4, dtype=F64), torch.zeros(4, dtype=F64))[i]
    return numeric(f"LayerNorm (weight 1, bias 0, ε ≈ 0, biased variance) of the vector x = "
                   f"{vec(x)}. What is entry {i} (0-based) of the output?", out, x=x, i=i)


@generator("U3.9", "BERT masked LM")
def u3_bert_rates(rng):
    p, m, r = rng.choice([0.1, 0.15, 0.2]), rng.choice([0.8, 0.7]), rng.choice([0.1, 0.15])
    which = ri(rng, 0, 2)
    val = bert.masked_lm_rates(p, m, r)[which]
    label = ["replaced by [MASK]", "replaced by a random token", "selected but kept unchanged"][which]
    return numeric(f"BERT selects {p:.0%} of the tokens; of those {m:.0%} become [MASK], {r:.0%} a "
                   f"random token, the rest stay. What fraction of all tokens is {label}?", val,
                   p=p, m=m, r=r, which=which)


@generator("U3.9", "BERT masked LM", versions=4)
def u3_bert_mc(rng):
    p = rng.choice([0.1, 0.15, 0.2, 0.25])
    good = bert.masked_lm_rates(p, 0.8, 0.1)[0]
    wrong = [bert.masked_lm_rates(1.0, 0.8, 0.1)[0],  # forgot the selection rate
             bert.masked_lm_rates(p, 1.0, 0.0)[0],  # all selected become [MASK]
             bert.masked_lm_rates(p, 0.8, 0.1)[1]]  # the random-token share
    return mc(rng, f"BERT masked LM with selection rate {p:.0%} and the 80/10/10 rule: the "
              f"fraction of all tokens that the model sees as [MASK] is:", fmt(good, 4),
              [fmt(w, 4) for w in wrong], p=p)


@generator("U3.10", "BERT next sentence prediction")
def u3_nsp_segments(rng):
    la, lb = ri(rng, 1, 4), ri(rng, 1, 4)
    ids, seg = bert.bert_pair_encoding(list(range(10, 10 + la)), list(range(20, 20 + lb)), 101, 102)
    return short(f"BERT's next sentence prediction input is [CLS] A [SEP] B [SEP]. Sentence A has "
                 f"{la} token(s), sentence B has {lb}. Give the segment (token type) ids of the "
                 f"whole input, one per token.", vec(seg.tolist()), la=la, lb=lb)


@generator("U3.11", "BERT fine-tuning (QA)")
def u3_qa_span(rng):
    n, L = 5, ri(rng, 2, 3)
    ps = [ri(rng, 1, 9) for _ in range(n)]
    pe = [ri(rng, 1, 9) for _ in range(n)]
    ps_t, pe_t = T(*ps) / sum(ps), T(*pe) / sum(pe)
    scores = sorted((ps[s] * pe[e] for s in range(n) for e in range(s, min(n, s + L))), reverse=True)
    if scores[0] == scores[1]:
        raise Redraw("tie")
    span = bert.qa_best_span(ps_t[None], pe_t[None], L)[0]
    return short(f"BERT QA over a 5-token paragraph (positions 0-4): start scores ∝ {vec(ps)}, end "
                 f"scores ∝ {vec(pe)} (divide each by its sum for P_start, P_end). The answer span "
                 f"(s, e) maximises P_start(s)·P_end(e) with s ≤ e ≤ s + {L - 1}. Give (s, e).",
                 vec(span.tolist()), ps=ps, pe=pe, L=L)


@generator("U3.12", "GPT generation")
def u3_gpt_next_token_prob(rng):
    logits = [rf(rng, -2, 3) for _ in range(4)]
    temp, k = rng.choice([0.5, 1.0, 2.0]), rng.choice([None, 2, 3])
    probs = gpt.next_token_probs(T(*logits)[None], temp, k)[0]
    j = int(torch.argmax(probs)) if rng.random() < 0.5 else ri(rng, 0, 3)
    if k is not None and len(set(logits)) < 4:
        raise Redraw("ties at the top-k cut")
    if float(probs[j]) == 0:
        raise Redraw("filtered token")
    rule = "no top-k filtering" if k is None else f"top-k with k = {k}"
    return numeric(f"A GPT's next-token logits over a 4-token vocabulary are {vec(logits)}. Sampling "
                   f"with temperature {temp} and {rule}: what is the probability of token {j} "
                   f"(0-based)?", probs[j], logits=logits, temperature=temp, k=k, j=j)


@generator("U3.12", "GPT generation")
def u3_gpt_temperature_mc(rng):
    logits = [rf(rng, -2, 3) for _ in range(4)]
    if len(set(logits)) < 4:
        raise Redraw("ties")
    temp, k = rng.choice([0.5, 2.0]), rng.choice([2, 3])
    top = int(torch.argmax(T(*logits)))
    P = lambda t, kk: float(gpt.next_token_probs(T(*logits)[None], t, kk)[0, top])  # noqa: E731
    good = P(temp, k)
    wrong = [P(1.0, k),  # temperature ignored
             P(temp, None),  # top-k ignored
             P(1 / temp, k)]  # multiplied by the temperature instead of dividing
    return mc(rng, f"Logits {vec(logits)}; temperature {temp}, top-k with k = {k}. The probability "
              f"of the most likely token (token {top}) is:", fmt(good, 3), [fmt(w, 3) for w in wrong],
              logits=logits, temperature=temp, k=k)


@generator("U3.12", "GPT causal mask")
def u3_causal_mask_count(rng):
    n = ri(rng, 3, 64)
    allowed = int(gpt.causal_mask(n).sum())
    return numeric(f"A GPT processes a sequence of {n} tokens with a causal mask (a query at "
                   f"position t may attend to keys 0..t). How many (query, key) pairs are allowed?",
                   allowed, integer=True, n=n)


@generator("U3.13", "Image GPT")
def u3_image_gpt_sequence(rng):
    palette = sorted(rng.sample([0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0], 3))
    pixels = [round(rng.uniform(0, 1), 2) for _ in range(4)]
    d = [[abs(x - c) for c in palette] for x in pixels]
    if any(sorted(r)[1] - sorted(r)[0] < 0.011 for r in d):
        raise Redraw("pixel (almost) halfway between two colours")
    img = M(pixels).reshape(1, 1, 2, 2)
    seq = image_gpt.image_to_sequence(img, M(palette)[:, None])[0]
    return short(f"Image GPT quantises a 2×2 grayscale image with rows ({fmt(pixels[0])}, "
                 f"{fmt(pixels[1])}) and ({fmt(pixels[2])}, {fmt(pixels[3])}) to the palette "
                 f"{vec(palette)} (indices 0, 1, 2; nearest colour) and reads it in raster order. "
                 f"Give the index sequence.", vec(seq.tolist()), palette=palette, pixels=pixels)
