"""Pairwise comparison of answer texts with copydetect's winnowed fingerprints.

Each text is tokenised as copydetect does (names become ``V``/``F``/``O``, strings ``S``,
comments and spacing dropped; :mod:`~autograder.similarity.tokens`), so renamed variables and
reformatted code compare equal; every k-gram of the tokens is hashed (a fixed hash, so a class
gives the same scores in every run) and copydetect's robust winnowing keeps a subset as the
text's fingerprints (Schleimer, Wilkerson and Aiken, SIGMOD 2003); copydetect's slices and token
coverage turn shared fingerprints into matched regions and scores. Fingerprints of the boilerplate (the released
notebook) are dropped before any comparison, and so are those that more than ``common`` of the
class share (an idiom everyone writes is no evidence of copying).

A pair's score is the larger of the two fractions of each text's fingerprinted tokens that lie
in matched regions: a short answer copied into a longer notebook scores high on its own side.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from itertools import combinations

import numpy as np
from copydetect.utils import get_copied_slices, get_token_coverage, winnow

from .tokens import filter_python

NOISE_TOKENS = 25  # k: matches shorter than this many filtered tokens are ignored
GUARANTEE_TOKENS = 30  # every match at least this long is found (window = 30 - 25 + 1)


@dataclass
class Document:
    """One submission's answers, fingerprinted."""
    key: str  # unique: the submission's name, or previous:<dir>/<name>
    student_id: str
    text: str
    previous: bool = False
    fingerprint: Fingerprint | None = None
    hash_array: np.ndarray | None = None  # set by compare_all (_index)
    position_array: np.ndarray | None = None
    unique_hashes: np.ndarray | None = None

    @property
    def empty(self) -> bool:
        """Nothing beyond the boilerplate to compare."""
        return self.fingerprint is None or not self.fingerprint.hashes


@dataclass
class Match:
    a: Document
    b: Document
    score_a: float
    score_b: float
    tokens: int  # matched filtered tokens (on a's side)
    slices_a: list[tuple[int, int]] = field(default_factory=list)  # character ranges of a.text
    slices_b: list[tuple[int, int]] = field(default_factory=list)

    @property
    def score(self) -> float:
        return max(self.score_a, self.score_b)

    @cached_property
    def lines_a(self) -> int:
        return matched_lines(self.a.text, self.slices_a)

    @cached_property
    def lines_b(self) -> int:
        return matched_lines(self.b.text, self.slices_b)


def matched_lines(text: str, slices: list[tuple[int, int]]) -> int:
    """How many lines of ``text`` hold a matched character that is not blank."""
    lines = set()
    for start, end in slices:
        first = text.count("\n", 0, start)
        for offset, line in enumerate(text[start:end].split("\n")):
            if line.strip():
                lines.add(first + offset)
    return len(lines)


@dataclass
class Fingerprint:
    """What copydetect's ``CodeFingerprint`` keeps of a text, with reproducible hashes."""
    k: int
    filtered: str  # the tokens as text (filter_python)
    offsets: np.ndarray  # filtered position -> original position (filter_python)
    hashes: set  # the winnowed k-gram hashes, the boilerplate's removed
    hash_idx: dict  # hash -> filtered positions of its k-grams
    token_coverage: float  # filtered characters covered by the kept k-grams


_BASE = np.uint64(1_000_003)


def kgram_hashes(filtered: str, k: int) -> np.ndarray:
    """A 64-bit polynomial hash of every k-gram of ``filtered``. copydetect hashes k-grams with
    Python's ``hash``, which changes from one run to the next (hash randomisation), and so do
    the winnowed fingerprints and the scores; this one does not, so the same class gives the
    same report."""
    codes = np.frombuffer(filtered.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = len(codes) - k + 1
    if n <= 0:
        return np.array([], dtype=np.int64)
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h = h * _BASE + codes[j:j + n]
    return h.view(np.int64)


def _fingerprint(text: str, window: int, boilerplate: np.ndarray | None = None) -> Fingerprint:
    """copydetect's fingerprinting of ``text`` (``get_document_fingerprints``: k-gram hashes,
    robust winnowing, the boilerplate's hashes removed), tokenised by :func:`filter_python`."""
    filtered, offsets = filter_python(text)
    every = kgram_hashes(filtered, NOISE_TOKENS)
    hash_idx: dict[int, list[int]] = {}
    if len(every):
        hashes, idx = winnow(every, window, remove_duplicates=False)
        if boilerplate is not None and len(boilerplate):
            keep = ~np.isin(hashes, boilerplate)
            hashes, idx = hashes[keep], idx[keep]
        for h, i in zip(hashes.tolist(), idx.tolist()):
            hash_idx.setdefault(h, []).append(i)
    return Fingerprint(NOISE_TOKENS, filtered, offsets, set(hash_idx), hash_idx,
                       get_token_coverage(hash_idx, NOISE_TOKENS, len(filtered)))


def boilerplate_hashes(text: str) -> np.ndarray:
    """Every k-gram hash of the boilerplate (window 1: all of them, as copydetect does)."""
    if not text.strip():
        return np.array([], dtype=np.int64)
    return np.array(sorted(_fingerprint(text, 1).hashes), dtype=np.int64)


def fingerprint(docs: list[Document], boilerplate: str = "") -> None:
    window = GUARANTEE_TOKENS - NOISE_TOKENS + 1
    bp = boilerplate_hashes(boilerplate)
    for doc in docs:
        doc.fingerprint = _fingerprint(doc.text, window, bp if len(bp) else None)


def drop_common(docs: list[Document], common: float) -> list[str]:
    """Drop the fingerprints found in more than ``common`` (a fraction) of the current
    documents, if there are at least 10 of them: an idiom everyone writes is a small part of an
    answer. A document that would lose more than half of its fingerprints keeps them all: when
    most of an answer is what most of the class handed in, the answer itself is what is shared
    (one source copied by many), and it is compared in full. Returns those documents' keys."""
    current = [d for d in docs if not d.previous and d.fingerprint is not None]
    if len(current) < 10 or common >= 1:
        return []
    counts: dict[int, int] = defaultdict(int)
    for d in current:
        for h in d.fingerprint.hashes:
            counts[h] += 1
    limit = max(2, math.floor(common * len(current)))
    drop = {h for h, n in counts.items() if n > limit}
    kept_whole = []
    for d in docs:
        fp = d.fingerprint
        if fp is None or not (fp.hashes & drop):
            continue
        if 2 * len(fp.hashes & drop) > len(fp.hashes):
            kept_whole.append(d.key)
            continue
        fp.hashes = fp.hashes - drop
        fp.hash_idx = {h: i for h, i in fp.hash_idx.items() if h not in drop}
        fp.token_coverage = get_token_coverage(fp.hash_idx, fp.k, len(fp.filtered))
    return kept_whole


def _pairs(docs: list[Document], floor: float):
    """Pairs that may reach ``floor``: current × current and current × previous, never two
    previous ones, never two submissions of one student. Pairs are found through the
    fingerprints they share; a pair whose shared fingerprints are under half the floor of the
    smaller side's (the score is the share of tokens those fingerprints cover) is not compared
    further."""
    owners: dict[int, list[int]] = defaultdict(list)
    for i, d in enumerate(docs):
        if not d.empty:
            for h in d.fingerprint.hashes:
                owners[h].append(i)
    shared: dict[tuple[int, int], int] = defaultdict(int)
    for members in owners.values():
        for pair in combinations(members, 2):
            shared[pair] += 1
    for (i, j), count in shared.items():
        a, b = docs[i], docs[j]
        if (a.previous and b.previous) or (
                not a.previous and not b.previous and a.student_id == b.student_id):
            continue
        smaller = min(len(a.fingerprint.hashes), len(b.fingerprint.hashes))
        if count < floor / 2 * smaller:
            continue
        yield (b, a) if a.previous else (a, b)


def _ranges(slices) -> list[tuple[int, int]]:
    arr = np.asarray(slices)
    if arr.size == 0:
        return []
    return [(int(s), int(e)) for s, e in arr.T.tolist()]


def _index(doc: Document) -> None:
    """Flat arrays of a document's fingerprints (one entry per position it occurs at), sorted by
    hash, for vectorised look-ups."""
    fp = doc.fingerprint
    hashes = [h for h, where in fp.hash_idx.items() for _ in where]
    where = [i for places in fp.hash_idx.values() for i in places]
    order = np.argsort(np.asarray(hashes, dtype=np.int64), kind="stable")
    doc.hash_array = np.asarray(hashes, dtype=np.int64)[order]
    doc.position_array = np.asarray(where, dtype=np.int64)[order]
    doc.unique_hashes = np.unique(doc.hash_array)


def _side(doc: Document, shared: np.ndarray):
    """(matched filtered tokens, slices in the original text) of ``doc`` for the ``shared``
    fingerprints: copydetect's ``compare_files`` for one side, the overlap found with numpy."""
    fp = doc.fingerprint
    idx = doc.position_array[np.isin(doc.hash_array, shared, assume_unique=False)]
    slices = get_copied_slices(idx, fp.k)
    if slices.shape[1] == 0:
        return 0, slices
    tokens = int(np.sum(slices[1] - slices[0]))
    if len(fp.offsets) > 0:
        slices = slices + fp.offsets[:, 1][np.clip(np.searchsorted(fp.offsets[:, 0], slices),
                                                   0, fp.offsets.shape[0] - 1)]
    return tokens, slices


def compare(a: Document, b: Document) -> Match:
    """copydetect's comparison of two fingerprinted documents (``compare_files``): the share of
    each side's fingerprinted tokens in regions whose fingerprints the other side has too."""
    shared = np.intersect1d(a.unique_hashes, b.unique_hashes, assume_unique=True)
    tokens_a, slices_a = _side(a, shared)
    tokens_b, slices_b = _side(b, shared)
    score_a = tokens_a / a.fingerprint.token_coverage if a.fingerprint.token_coverage else 0.0
    score_b = tokens_b / b.fingerprint.token_coverage if b.fingerprint.token_coverage else 0.0
    return Match(a, b, min(1.0, float(score_a)), min(1.0, float(score_b)), tokens_a,
                 _ranges(slices_a), _ranges(slices_b))


def compare_all(docs: list[Document], floor: float) -> list[Match]:
    """Every pair scoring at least ``floor``, highest first (ties by names)."""
    for doc in docs:
        if not doc.empty:
            _index(doc)
    found = []
    for a, b in _pairs(docs, floor):
        m = compare(a, b)
        if m.score >= floor and m.tokens > 0:
            found.append(m)
    found.sort(key=lambda m: (-m.score, -m.tokens, m.a.key, m.b.key))
    return found
