"""Pairwise comparison of answer texts with copydetect's winnowed fingerprints.

Each text is tokenised by copydetect (names become ``V``/``F``/``O``, strings ``S``, comments
and spacing dropped), so renamed variables and reformatted code compare equal; every k-gram of
the tokens is hashed and a winnowing window keeps a subset as the text's fingerprints
(Schleimer, Wilkerson and Aiken, SIGMOD 2003). Fingerprints of the boilerplate (the released
notebook) are dropped before any comparison, and so are those that more than ``common`` of the
class share (an idiom everyone writes is no evidence of copying).

A pair's score is the larger of the two fractions of each text's fingerprinted tokens that lie
in matched regions: a short answer copied into a longer notebook scores high on its own side.
"""
from __future__ import annotations

import io
import math
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
from copydetect import CodeFingerprint, compare_files
from copydetect.utils import get_token_coverage

NOISE_TOKENS = 25  # k: matches shorter than this many filtered tokens are ignored
GUARANTEE_TOKENS = 30  # every match at least this long is found (window = 30 - 25 + 1)


@dataclass
class Document:
    """One submission's answers, fingerprinted."""
    key: str  # unique: the submission's name, or previous:<dir>/<name>
    student_id: str
    text: str
    previous: bool = False
    fingerprint: CodeFingerprint | None = None

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

    @property
    def lines_a(self) -> int:
        return matched_lines(self.a.text, self.slices_a)

    @property
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


def _fingerprint(text: str, window: int, boilerplate=None) -> CodeFingerprint:
    return CodeFingerprint("answers.py", NOISE_TOKENS, window, boilerplate=boilerplate,
                           language="python", fp=io.StringIO(text))


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


def drop_common(docs: list[Document], common: float) -> int:
    """Drop the fingerprints found in more than ``common`` (a fraction) of the current
    documents, if there are at least 10 of them; returns how many were dropped."""
    current = [d for d in docs if not d.previous and d.fingerprint is not None]
    if len(current) < 10 or common >= 1:
        return 0
    counts: dict[int, int] = defaultdict(int)
    for d in current:
        for h in d.fingerprint.hashes:
            counts[h] += 1
    limit = max(2, math.floor(common * len(current)))
    drop = {h for h, n in counts.items() if n > limit}
    for d in docs:
        fp = d.fingerprint
        if fp is None or not (fp.hashes & drop):
            continue
        fp.hashes = fp.hashes - drop
        fp.hash_idx = {h: i for h, i in fp.hash_idx.items() if h not in drop}
        fp.token_coverage = get_token_coverage(fp.hash_idx, fp.k, len(fp.filtered_code))
    return len(drop)


def _pairs(docs: list[Document]):
    """Pairs that share a fingerprint: current × current and current × previous, never two
    previous ones, never two submissions of one student."""
    owners: dict[int, list[int]] = defaultdict(list)
    for i, d in enumerate(docs):
        if not d.empty:
            for h in d.fingerprint.hashes:
                owners[h].append(i)
    seen = set()
    for members in owners.values():
        for i, j in combinations(members, 2):
            if (i, j) in seen:
                continue
            seen.add((i, j))
            a, b = docs[i], docs[j]
            if (a.previous and b.previous) or (
                    not a.previous and not b.previous and a.student_id == b.student_id):
                continue
            yield (b, a) if a.previous else (a, b)


def _ranges(slices) -> list[tuple[int, int]]:
    arr = np.asarray(slices)
    if arr.size == 0:
        return []
    return [(int(s), int(e)) for s, e in zip(arr[0], arr[1])]


def compare(a: Document, b: Document) -> Match:
    tokens, (sa, sb), (slices_a, slices_b) = compare_files(a.fingerprint, b.fingerprint)
    return Match(a, b, float(sa), float(sb), int(tokens), _ranges(slices_a), _ranges(slices_b))


def compare_all(docs: list[Document], floor: float) -> list[Match]:
    """Every pair scoring at least ``floor``, highest first (ties by names)."""
    found = []
    for a, b in _pairs(docs):
        m = compare(a, b)
        if m.score >= floor and m.tokens > 0:
            found.append(m)
    found.sort(key=lambda m: (-m.score, -m.tokens, m.a.key, m.b.key))
    return found
