"""Stage 3: shingles and MinHash signatures per passage, interchangeable with datasketch.

A passage's shingles are its word k-grams in surface-normal form
(``pipeline.tokens``), joined by one space. Signatures equal what datasketch
computes for the same shingles::

    from datasketch import MinHash, LeanMinHash
    from pipeline.fingerprint import shingle_hash, shingles
    m = MinHash(num_perm=128, seed=1, hashfunc=shingle_hash)   # scheme "affine32"
    for s in shingles(passage_text, k=3):
        m.update(s)
    # m.hashvalues == passages.signature of that passage
    LeanMinHash(seed=1, hashvalues=row["signature"], scheme="affine32")

``shingle_hash`` hashes each word with xxh32 (seed 0) and combines the word
hashes FNV-style, so the pipeline hashes each distinct word once and builds
every shingle hash with a few numpy operations; the MinHash permutations run
as one matrix operation over all shingles of many passages at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import xxhash
from datasketch import MinHash

from pipeline.errors import ConfigError
from pipeline.progress import progress
from pipeline.schema import PASSAGES
from pipeline.tables import conform
from pipeline.validation import require_at_least
from pipeline.tokens import normal_words

_COMBINE = np.uint32(0x01000193)  # FNV-1 32-bit prime
_FMIX = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))
# Shingles per permutation block: a (shingles x num_perm) uint32 matrix of 2 MB at 128 perms stays in
# cache; 65,536 (32 MB) was measured 25% slower (bench/README.md).
_BLOCK_SHINGLES = 1 << 12


@dataclass(frozen=True)
class FingerprintParams:
    num_perm: int = 128
    seed: int = 1
    shingle_size: int = 3

    def __post_init__(self) -> None:
        require_at_least("fingerprint", self, ("num_perm",), 2)
        require_at_least("fingerprint", self, ("shingle_size",), 1)
        if not 0 <= self.seed < 2**32:
            raise ConfigError(f"fingerprint.seed must be in [0, 2**32), got {self.seed}")


def word_hash(word: str) -> int:
    return xxhash.xxh32_intdigest(word.encode("utf-8"))


def shingle_hash(shingle: str) -> int:
    """32-bit hash of a shingle: FNV-style fold of the xxh32 of its space-separated words.

    This is the ``hashfunc`` to give datasketch for identical signatures.
    """
    h = 0
    for word in shingle.split(" "):
        h = ((h * 0x01000193) & 0xFFFFFFFF) ^ word_hash(word)
    return h


def shingle_words(words: list[str], k: int) -> list[list[str]]:
    """k-word windows; a passage shorter than k is one shingle of all its words."""
    if not words:
        return []
    if len(words) <= k:
        return [words]
    return [words[i:i + k] for i in range(len(words) - k + 1)]


def shingles(text: str, k: int) -> list[str]:
    """Shingles of ``text`` as datasketch would be fed them (duplicates included)."""
    return [" ".join(window) for window in shingle_words(normal_words(text), k)]


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's own affine32 permutation parameters (a, b) for this num_perm and seed."""
    a, b = MinHash(num_perm=num_perm, seed=seed).permutations
    return a.astype(np.uint32), b.astype(np.uint32)


def _fmix32(h: np.ndarray) -> np.ndarray:
    s1, m1, s2, m2, s3 = _FMIX
    h = h ^ (h >> s1)
    h = h * m1
    h = h ^ (h >> s2)
    h = h * m2
    return h ^ (h >> s3)


def _shingle_hashes(word_ids: np.ndarray, word_hashes: np.ndarray, k: int) -> np.ndarray:
    """Hashes of all k-windows of one passage's word ids (vectorised over windows)."""
    n = len(word_ids)
    hashes = word_hashes[word_ids]
    if n <= k:
        h = np.zeros(1, dtype=np.uint32)
        for value in hashes:
            h = (h * _COMBINE) ^ value
        return h
    h = np.zeros(n - k + 1, dtype=np.uint32)
    for offset in range(k):
        h = (h * _COMBINE) ^ hashes[offset:n - k + 1 + offset]
    return h


def signatures(texts: list[str], params: FingerprintParams) -> list[np.ndarray | None]:
    """MinHash hashvalues (uint32, num_perm) of each text; None for a text without words."""
    vocabulary: dict[str, int] = {}
    passage_word_ids: list[np.ndarray] = []
    for text in progress(texts, "fingerprint"):
        ids = [vocabulary.setdefault(word, len(vocabulary)) for word in normal_words(text)]
        passage_word_ids.append(np.asarray(ids, dtype=np.int64))
    word_hashes = np.fromiter((word_hash(w) for w in vocabulary), dtype=np.uint32, count=len(vocabulary))

    per_passage = [
        _shingle_hashes(ids, word_hashes, params.shingle_size) if len(ids) else np.empty(0, np.uint32)
        for ids in passage_word_ids
    ]
    a, b = permutations(params.num_perm, params.seed)
    result: list[np.ndarray | None] = [None] * len(texts)
    start = 0
    while start < len(texts):
        # A block of whole passages, about _BLOCK_SHINGLES shingles in all.
        stop, total = start, 0
        while stop < len(texts) and (total == 0 or total + len(per_passage[stop]) <= _BLOCK_SHINGLES):
            total += len(per_passage[stop])
            stop += 1
        block = [p for p in per_passage[start:stop] if len(p)]
        if block:
            hv = _fmix32(np.concatenate(block))
            permuted = hv[:, None] * a[None, :] + b[None, :]
            offsets = np.cumsum([0] + [len(p) for p in block[:-1]])
            minima = np.minimum.reduceat(permuted, offsets, axis=0)
            rows = iter(minima)
            for i in range(start, stop):
                if len(per_passage[i]):
                    result[i] = next(rows)
        start = stop
    return result


def add_signatures(passages: pa.Table, params: FingerprintParams) -> pa.Table:
    """The passages table with its ``signature`` column computed.

    Header passages ("date 2025-10-24 Beijing:") get none: every dated document has one,
    and a shared date line is not shared reporting.
    """
    texts = ["" if kind == "header" else text
             for text, kind in zip(passages.column("text").to_pylist(), passages.column("kind").to_pylist())]
    values = signatures(texts, params)
    column = pa.array([None if v is None else v.tolist() for v in values], type=PASSAGES.field("signature").type)
    index = passages.schema.get_field_index("signature")
    return conform(passages.set_column(index, PASSAGES.field("signature"), column), PASSAGES)
