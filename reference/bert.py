"""BERT pre-training inputs and fine-tuning heads (lecture "BERT - Mask LLM", "BERT - Next
Sentence Prediction", "BERT - Fine Tuning"; Devlin et al., "BERT: Pre-training of Deep
Bidirectional Transformers for Language Understanding", NAACL 2019).

Masked LM: choose 15% of the (non-special) tokens; of those 80% become [MASK], 10% a random
token, 10% stay unchanged; the labels are the original ids there and -100 (ignored by
``F.cross_entropy``) everywhere else. Random replacement is only 0.15 × 0.1 = 1.5% overall.
``bert_mask_tokens`` takes its uniform noise as tensors and makes the same decisions as
``transformers.DataCollatorForLanguageModeling.torch_mask_tokens``: a Bernoulli(p) draw is
``u < p``, and the "random word" draw is made among the tokens not turned into [MASK], with
probability 0.1 / (1 − 0.8) = 0.5.

Next sentence prediction: ``[CLS] A [SEP] B [SEP]`` with segment ids 0 for ``[CLS] A [SEP]`` and
1 for ``B [SEP]``; half the time B is the actual next sentence (IsNext, label 0), otherwise a
random sentence (NotNext, label 1): the labels of ``BertForPreTraining``'s
``next_sentence_label``.

Fine-tuning heads on the final hidden states T_i (B, T, H): a classifier on [CLS] (position 0),
optionally after BERT's pooler tanh(W_p h + b_p); QA start/end probabilities
``P_i = softmax_i(S·T_i)`` and the best span; a per-token tagging classifier.
"""
from __future__ import annotations

import torch

IS_NEXT, NOT_NEXT = 0, 1


# ---- masked LM (U3.9) ---------------------------------------------------------------------


def bert_mask_tokens(input_ids: torch.Tensor, special_mask: torch.Tensor, mask_token_id: int,
                     u_select: torch.Tensor, u_replace: torch.Tensor, u_random: torch.Tensor,
                     random_tokens: torch.Tensor, mlm_probability: float = 0.15,
                     mask_replace_prob: float = 0.8, random_replace_prob: float = 0.1
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """Masked-LM corruption of input_ids (B, T) long. special_mask (B, T) bool marks tokens that
    are never chosen ([CLS], [SEP], [PAD], ...). u_select, u_replace, u_random: uniform [0, 1)
    noise (B, T); random_tokens (B, T) long: the replacement a "random word" position gets.

    chosen   = u_select < mlm_probability, and not special
    [MASK]   = chosen and u_replace < mask_replace_prob
    random   = chosen, not [MASK], and u_random < random_replace_prob / (1 − mask_replace_prob)
    the rest of the chosen tokens stay as they are.
    Returns (corrupted input_ids (B, T), labels (B, T): the original id where chosen, else -100)."""
    assert input_ids.shape == special_mask.shape == u_select.shape == random_tokens.shape
    chosen = (u_select < mlm_probability) & ~special_mask  # (B, T)
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, -100))
    to_mask = chosen & (u_replace < mask_replace_prob)
    corrupted = input_ids.masked_fill(to_mask, mask_token_id)
    if mask_replace_prob < 1 and random_replace_prob > 0:
        p_random = random_replace_prob / (1 - mask_replace_prob)
        to_random = chosen & ~to_mask & (u_random < p_random)
        corrupted = torch.where(to_random, random_tokens, corrupted)
    return corrupted, labels


def bert_mask_tokens_with_generator(input_ids: torch.Tensor, special_mask: torch.Tensor,
                                    mask_token_id: int, vocab_size: int,
                                    generator: torch.Generator, mlm_probability: float = 0.15,
                                    mask_replace_prob: float = 0.8,
                                    random_replace_prob: float = 0.1
                                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """``bert_mask_tokens`` with its noise drawn from ``generator`` (CPU) in the collator's order:
    three uniform (B, T) tensors, then the random tokens in [0, vocab_size)."""
    shape = input_ids.shape
    u_select = torch.rand(shape, generator=generator)
    u_replace = torch.rand(shape, generator=generator)
    u_random = torch.rand(shape, generator=generator)
    random_tokens = torch.randint(vocab_size, shape, generator=generator)
    dev = input_ids.device
    return bert_mask_tokens(input_ids, special_mask, mask_token_id, u_select.to(dev),
                            u_replace.to(dev), u_random.to(dev), random_tokens.to(dev),
                            mlm_probability, mask_replace_prob, random_replace_prob)


def masked_lm_rates(mlm_probability: float = 0.15, mask_replace_prob: float = 0.8,
                    random_replace_prob: float = 0.1) -> tuple[float, float, float]:
    """Fractions of all (non-special) tokens that become [MASK], a random token, or are chosen
    but kept: (0.12, 0.015, 0.015) for BERT's 15% / 80-10-10."""
    keep = 1.0 - mask_replace_prob - random_replace_prob
    return (mlm_probability * mask_replace_prob, mlm_probability * random_replace_prob,
            mlm_probability * keep)


# ---- next sentence prediction (U3.10) -----------------------------------------------------


def bert_pair_encoding(a: list[int], b: list[int], cls_id: int, sep_id: int
                       ) -> tuple[torch.Tensor, torch.Tensor]:
    """``[CLS] a [SEP] b [SEP]`` as (input_ids (L,), token_type_ids (L,)) long, L = len(a)+len(b)+3;
    segment 0 covers [CLS] a [SEP], segment 1 covers b [SEP]."""
    ids = [cls_id, *a, sep_id, *b, sep_id]
    segments = [0] * (len(a) + 2) + [1] * (len(b) + 1)
    return torch.tensor(ids, dtype=torch.long), torch.tensor(segments, dtype=torch.long)


def nsp_pairs(sentences: list[list[int]], coins: torch.Tensor, random_index: torch.Tensor,
              cls_id: int, sep_id: int, pad_id: int, nsp_probability: float = 0.5
              ) -> dict[str, torch.Tensor]:
    """One NSP example per consecutive pair of a document's sentences (n sentences → n−1 examples).

    Example i has A = sentences[i]; if coins[i] < nsp_probability, B = sentences[random_index[i]]
    and the label is NotNext (1), otherwise B = sentences[i+1] and the label is IsNext (0).
    Padded on the right with pad_id to the longest example. Returns a dict of long tensors:
    input_ids, token_type_ids, attention_mask (N, L) and next_sentence_label (N,)."""
    n = len(sentences) - 1
    assert n >= 1 and coins.shape == (n,) and random_index.shape == (n,)
    examples, labels = [], []
    for i in range(n):
        if float(coins[i]) < nsp_probability:
            b, label = sentences[int(random_index[i])], NOT_NEXT
        else:
            b, label = sentences[i + 1], IS_NEXT
        examples.append(bert_pair_encoding(sentences[i], b, cls_id, sep_id))
        labels.append(label)
    L = max(ids.size(0) for ids, _ in examples)
    input_ids = torch.full((n, L), pad_id, dtype=torch.long)
    token_type_ids = torch.zeros(n, L, dtype=torch.long)
    attention_mask = torch.zeros(n, L, dtype=torch.long)
    for i, (ids, seg) in enumerate(examples):
        input_ids[i, : ids.size(0)] = ids
        token_type_ids[i, : ids.size(0)] = seg
        attention_mask[i, : ids.size(0)] = 1
    out = {"input_ids": input_ids, "token_type_ids": token_type_ids,
           "attention_mask": attention_mask,
           "next_sentence_label": torch.tensor(labels, dtype=torch.long)}
    return {k: v.to(coins.device) for k, v in out.items()}


# ---- fine-tuning heads (U3.11) ------------------------------------------------------------


def cls_classification_logits(hidden: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor,
                              pooler_weight: torch.Tensor | None = None,
                              pooler_bias: torch.Tensor | None = None) -> torch.Tensor:
    """Sentence(-pair) classification from the [CLS] state: hidden (B, T, H), weight (C, H),
    bias (C,) -> logits (B, C). With pooler weights (H, H), (H,), the [CLS] state first goes
    through BERT's pooler tanh(W_p h + b_p) (as in BertForSequenceClassification)."""
    h = hidden[:, 0]  # (B, H): [CLS] is position 0
    if pooler_weight is not None:
        h = torch.tanh(h @ pooler_weight.T + pooler_bias)
    return h @ weight.T + bias


def qa_span_probs(hidden: torch.Tensor, start: torch.Tensor, end: torch.Tensor
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Start and end probabilities over positions: P_i = softmax_i(S·T_i), likewise with E.
    hidden (B, T, H); start, end (H,). Returns (p_start (B, T), p_end (B, T))."""
    return torch.softmax(hidden @ start, dim=-1), torch.softmax(hidden @ end, dim=-1)


def qa_best_span(p_start: torch.Tensor, p_end: torch.Tensor, max_answer_len: int,
                 allowed: torch.Tensor | None = None) -> torch.Tensor:
    """The span (s, e) maximising p_start[s] · p_end[e] with s <= e < s + max_answer_len and
    both ends allowed (allowed (B, T) bool, e.g. paragraph tokens only; default all).
    p_start, p_end: (B, T). Returns (B, 2) long [start, end]; ties go to the smallest s, then e."""
    B, T = p_start.size()
    score = p_start[:, :, None] * p_end[:, None, :]  # (B, T, T): [b, s, e]
    s = torch.arange(T, device=p_start.device)
    valid = (s[None, :] >= s[:, None]) & (s[None, :] < s[:, None] + max_answer_len)  # (T, T)
    valid = valid[None].expand(B, T, T)
    if allowed is not None:
        valid = valid & allowed[:, :, None] & allowed[:, None, :]
    assert bool(valid.flatten(1).any(1).all()), "every example needs at least one valid span"
    score = score.masked_fill(~valid, -1.0)  # probabilities are >= 0
    best = score.flatten(1).argmax(dim=1)  # (B,): the first maximum in (s, e) order
    return torch.stack([best // T, best % T], dim=1)


def token_tagging_logits(hidden: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor
                         ) -> torch.Tensor:
    """Single-sentence tagging (e.g. NER): a linear classifier on every token's state.
    hidden (B, T, H), weight (C, H), bias (C,) -> logits (B, T, C)."""
    return hidden @ weight.T + bias
