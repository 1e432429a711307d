"""Bag of words and 1-of-N encoding (lecture "Text Models": "Bag of Words (1)", "Drawbacks of BOW").

A vocabulary is a list of distinct words; word ``vocab[i]`` is "dimension i". 1-of-N encoding
gives each word a vector with a single 1 at its index; a bag of words adds up the 1-of-N vectors
of a document's words, so it keeps the counts and forgets the order. Words outside the
vocabulary have no dimension: their 1-of-N vector is all zeros and they add nothing to a bag.
"""
from __future__ import annotations

import torch


def build_vocab(documents: list[list[str]], min_count: int = 1) -> list[str]:
    """The words that occur at least ``min_count`` times in all documents together, sorted
    alphabetically (so the vocabulary does not depend on the order of the documents)."""
    counts: dict[str, int] = {}
    for doc in documents:
        for word in doc:
            counts[word] = counts.get(word, 0) + 1
    return sorted(w for w, c in counts.items() if c >= min_count)


def one_hot_encode(words: list[str], vocab: list[str]) -> torch.Tensor:
    """1-of-N vectors: (len(words), len(vocab)) float32, row n has a 1 at ``vocab.index(words[n])``
    (an all-zero row for a word outside the vocabulary)."""
    index = {w: i for i, w in enumerate(vocab)}
    assert len(index) == len(vocab), "vocabulary words must be distinct"
    out = torch.zeros(len(words), len(vocab))  # (N, V)
    for n, word in enumerate(words):
        if word in index:
            out[n, index[word]] = 1.0
    return out


def bag_of_words(documents: list[list[str]], vocab: list[str]) -> torch.Tensor:
    """Count vectors: (len(documents), len(vocab)) float32, entry (d, i) = how many times
    ``vocab[i]`` occurs in document d; the sum of the document's 1-of-N vectors."""
    rows = [one_hot_encode(doc, vocab).sum(dim=0) for doc in documents]  # each (V,)
    return torch.stack(rows) if rows else torch.zeros(0, len(vocab))
