"""Stage 3: shingles and MinHash signatures per passage, interchangeable with datasketch.

A passage's shingles are its word k-grams in surface-normal form
(``pipeline.text.tokens``), joined by one space. Signatures equal what datasketch
computes for the same shingles::

    from datasketch import MinHash, LeanMinHash
    from pipeline.lsh.fingerprint import shingle_hash, shingles
    m = MinHash(num_perm=128, seed=1, hashfunc=shingle_hash)   # scheme "affine32"
    for s in shingles(passage_text, k=3):
        m.update(s)
    # m.hashvalues == passages.signature of that passage
    LeanMinHash(seed=1, hashvalues=row["signature"], scheme="affine32")

``shingle_hash`` hashes each word with xxh32 (seed 0) and combines the word
hashes FNV-style, so the pipeline hashes each distinct word once and builds
every shingle hash with a few numpy operations over all passages end to end.
Words come from Polars' regex kernel (``pipeline.text.tokens.normal_word_ids``),
normalised once per distinct surface form; the MinHash permutations run as
one (permutations x shingles) matrix operation per block of passages.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import xxhash

from pipeline.core.errors import ConfigError
from pipeline.core.schema import PASSAGES
from pipeline.core.settings import setting
from pipeline.core.tables import conform
from pipeline.core.validation import require_at_least
from pipeline.runtime.parallel import thread_budget, thread_map
from pipeline.text.tokens import normal_word_ids, normal_words

_COMBINE = np.uint32(0x01000193)  # FNV-1 32-bit prime
_FMIX = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))
# Shingles per permutation block: a (num_perm x shingles) uint32 matrix that stays in cache;
# smaller blocks were slower (bench/results.md history).
_BLOCK_SHINGLES = 1 << 14
# From this many texts on, a thread per core (below, thread hand-offs cost more than they save).
_THREADED_TEXTS = 2000


@dataclass(frozen=True)
class FingerprintParams:
    """The ``[fingerprint]`` settings."""

    num_perm: int = setting(128, "MinHash permutations (datasketch's num_perm)")
    seed: int = setting(1, "MinHash seed (datasketch's seed)")
    shingle_size: int = setting(3, "words per shingle")

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
    return [words[i : i + k] for i in range(len(words) - k + 1)]


def shingles(text: str, k: int) -> list[str]:
    """Shingles of ``text`` as datasketch would be fed them (duplicates included).

    One text at a time through the Python tokenizer, which gives the same words as the vectorised
    one (``normal_word_ids``; property-tested) without its per-call set-up.
    """
    return [" ".join(window) for window in shingle_words(normal_words(text), k)]


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutation parameters (a, b) for this num_perm and seed.

    Drawn as datasketch 2.x draws them (``MinHash._init_permutations``: an odd ``a``, any ``b``,
    from ``RandomState(seed)``), not asked of datasketch: importing it imports scipy, 0.4 s in
    the main process and in every worker. tests/test_fingerprint.py compares the two.
    """
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _fmix32(h: np.ndarray) -> np.ndarray:
    s1, m1, s2, m2, s3 = _FMIX
    h = h ^ (h >> s1)
    h = h * m1
    h = h ^ (h >> s2)
    h = h * m2
    return h ^ (h >> s3)


def _fold(columns: list[np.ndarray]) -> np.ndarray:
    """``shingle_hash`` of windows given as one array of word hashes per window position."""
    h = np.zeros(len(columns[0]), dtype=np.uint32)
    for column in columns:
        h = (h * _COMBINE) ^ column
    return h


def shingle_hashes(hashes: np.ndarray, offsets: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of every passage's shingles, passage after passage, and where each passage's shingles start.

    ``hashes`` are the word hashes of all passages end to end, passage ``i`` being
    ``hashes[offsets[i]:offsets[i + 1]]``. Windows are computed over the whole array at once and
    the ones that straddle two passages dropped; a passage shorter than ``k`` is one shingle.
    """
    lengths = np.diff(offsets)
    counts = np.where(lengths >= k, lengths - k + 1, np.minimum(lengths, 1))
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    out = np.empty(starts[-1], dtype=np.uint32)
    short = lengths < k
    n_windows = len(hashes) - k + 1
    if n_windows > 0:
        window = _fold([hashes[o : o + n_windows] for o in range(k)])
        # A window straddles two passages when a passage starts at one of its later positions.
        passage_starts = np.zeros(len(hashes) + 1, dtype=bool)
        passage_starts[offsets[1:-1]] = True
        straddles = np.zeros(n_windows, dtype=bool)
        for o in range(1, k):
            straddles |= passage_starts[o : o + n_windows]
        # The other windows are the long passages' shingles, in order: they fill every slot that
        # is not a short passage's single shingle.
        long_slot = np.ones(len(out), dtype=bool)
        long_slot[starts[:-1][short & (lengths > 0)]] = False
        out[long_slot] = window[~straddles]
    for length in range(1, k):
        of_length = np.flatnonzero(lengths == length)
        if len(of_length):
            out[starts[of_length]] = _fold([hashes[offsets[of_length] + o] for o in range(length)])
    return out, starts


def signature_matrix(texts: list[str], params: FingerprintParams) -> tuple[np.ndarray, np.ndarray]:
    """MinHash hashvalues of the texts that have words (uint32, rows x num_perm), and which texts those are."""
    # Tokenising and the permutations release the GIL: large inputs use a thread per core.
    threads = thread_budget() if len(texts) >= _THREADED_TEXTS else 1
    words = normal_word_ids(texts, parts=threads)
    word_hashes = np.fromiter((word_hash(w) for w in words.vocabulary), dtype=np.uint32, count=len(words.vocabulary))
    hashes, starts = shingle_hashes(word_hashes[words.ids], words.offsets, params.shingle_size)
    present = np.diff(starts) > 0
    first_shingle = starts[:-1][present]
    a, b = permutations(params.num_perm, params.seed)
    matrix = np.empty((len(first_shingle), params.num_perm), dtype=np.uint32)
    ends = np.append(first_shingle[1:], starts[-1])
    blocks, row = [], 0
    while row < len(first_shingle):
        # A block of whole passages, about _BLOCK_SHINGLES shingles (at least one passage).
        stop = max(row + 1, int(np.searchsorted(ends, first_shingle[row] + _BLOCK_SHINGLES, side="right")))
        blocks.append((row, stop))
        row = stop

    def minhash_block(rows: tuple[int, int]) -> None:
        first, stop = rows
        hv = _fmix32(hashes[first_shingle[first] : ends[stop - 1]])
        # permutations x shingles: the minimum then runs along contiguous memory
        permuted = a[:, None] * hv[None, :]
        permuted += b[:, None]
        matrix[first:stop] = np.minimum.reduceat(permuted, first_shingle[first:stop] - first_shingle[first], axis=1).T

    if threads > 1:
        thread_map(minhash_block, blocks)
    else:
        for block in blocks:
            minhash_block(block)
    return matrix, present


def signatures(texts: list[str], params: FingerprintParams) -> list[np.ndarray | None]:
    """MinHash hashvalues (uint32, num_perm) of each text; None for a text without words."""
    matrix, present = signature_matrix(texts, params)
    rows = iter(matrix)
    return [next(rows) if has else None for has in present]


# Passages fingerprinted at a time, for memory (signatures are row-wise, so any cut gives the same
# column): a bulk load in one piece would hold all its texts, word ids and shingle hashes at once.
_SIGNATURE_SLICE = 1 << 17


def add_signatures(passages: pa.Table, params: FingerprintParams) -> pa.Table:
    """The passages table with its ``signature`` column computed.

    Header passages ("date 2025-10-24 Beijing:") get none: every dated document has one,
    and a shared date line is not shared reporting.
    """
    signature_type = PASSAGES.field("signature").type
    pieces = []
    for start in range(0, passages.num_rows, _SIGNATURE_SLICE):
        part = passages.slice(start, _SIGNATURE_SLICE)
        texts = [
            "" if kind == "header" else text
            for text, kind in zip(part.column("text").to_pylist(), part.column("kind").to_pylist())
        ]
        matrix, present = signature_matrix(texts, params)
        # Straight from the matrix: a list per passage, empty and null where it has no signature.
        offsets = pa.array(np.concatenate([[0], np.cumsum(present * params.num_perm)]).astype(np.int32))
        pieces.append(pa.ListArray.from_arrays(offsets, pa.array(matrix.reshape(-1)), mask=pa.array(~present)))
    column = pa.chunked_array(pieces, type=signature_type) if pieces else pa.chunked_array([], type=signature_type)
    index = passages.schema.get_field_index("signature")
    return conform(passages.set_column(index, PASSAGES.field("signature"), column), PASSAGES)
