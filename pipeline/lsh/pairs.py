"""LSH pair codes: the pairs of rows that share a bucket, grouped in numpy on integer codes.

The new batch's band rows are joined with themselves and with the history rows in their
buckets. Rows are grouped band by band (a counting pass first drops the many unique buckets)
and paired within each bucket; a bucket of more than ``max_bucket_size`` rows is skipped and
counted instead of expanded into a quadratic number of pairs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core.tables import sorted_member, sorted_unique, unique_counts
from pipeline.lsh.bands import LshParams
from pipeline.runtime.memory import release_arrow_pool
from pipeline.runtime.parallel import thread_budget, thread_map


@dataclass(frozen=True)
class Codes:
    """An id column as integer codes: row ``i`` is ``values[codes[i]]``."""

    codes: np.ndarray
    values: pa.Array


def codes_of(column: pa.ChunkedArray) -> Codes:
    if pa.types.is_dictionary(column.type):
        encoded = column.unify_dictionaries().combine_chunks()
    else:
        encoded = column.combine_chunks().dictionary_encode()
    return Codes(encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary)  # int32, not copied


@dataclass(frozen=True)
class _BandIndex:
    """The new batch's band rows and the history rows in its buckets, as integer arrays.

    Passage codes below ``n_new`` are the new batch's passages; ``rank`` orders those by id.
    """

    passage: np.ndarray
    band: np.ndarray
    bucket: np.ndarray
    n_new: int
    passage_ids: pa.Array
    doc_of: np.ndarray  # passage code -> document code
    doc_ids: pa.Array
    rank: np.ndarray

    @classmethod
    def build(cls, new: pa.Table, history: pa.Table) -> _BandIndex:
        new_passages, history_passages = codes_of(new.column("passage_id")), codes_of(history.column("passage_id"))
        new_docs, history_docs = codes_of(new.column("doc_id")), codes_of(history.column("doc_id"))
        n_new = len(new_passages.values)
        # One document code space for both sides: the same document may be on both.
        docs = pa.concat_arrays([new_docs.values, history_docs.values]).dictionary_encode()
        doc_code = docs.indices.to_numpy(zero_copy_only=False)
        doc_of = np.zeros(n_new + len(history_passages.values), dtype=np.int32)
        doc_of[new_passages.codes] = doc_code[new_docs.codes]
        doc_of[history_passages.codes + n_new] = doc_code[len(new_docs.values) + history_docs.codes]
        rank = np.zeros(len(doc_of), dtype=np.int64)
        rank[:n_new] = np.asarray(pc.rank(new_passages.values, sort_keys="ascending"))
        return cls(
            passage=_joined(new_passages.codes, history_passages.codes + n_new),
            band=_joined(_numpy(new, "band"), _numpy(history, "band")),
            bucket=_joined(_numpy(new, "bucket"), _numpy(history, "bucket")),
            n_new=n_new,
            passage_ids=pa.concat_arrays([new_passages.values, history_passages.values]),
            doc_of=doc_of,
            doc_ids=docs.dictionary,
            rank=rank,
        )


def _joined(new: np.ndarray, history: np.ndarray) -> np.ndarray:
    """``new`` then ``history``; ``new`` itself when history adds nothing (a 200k-passage batch's
    band columns are tens of MB: no copy for nothing)."""
    return np.concatenate([new, history]) if len(history) else new


def _numpy(table: pa.Table, column: str) -> np.ndarray:
    return table.column(column).combine_chunks().to_numpy(zero_copy_only=False)


# Below this many rows a band is grouped by sorting outright; above, a counting pass on the low
# bits of the bucket first drops the rows whose bucket is surely unique (most of them).
_PREFILTER_ROWS = 1 << 16


def _bucket_groups(buckets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows in buckets shared by two or more rows, grouped by bucket; group starts and sizes."""
    rows = np.arange(len(buckets))
    if len(buckets) > _PREFILTER_ROWS:
        slots = 1 << int(len(buckets) * 4).bit_length()
        slot = (buckets & (slots - 1)).astype(np.intp)
        rows = np.flatnonzero(np.bincount(slot, minlength=slots)[slot] >= 2)
    if not len(rows):
        return rows, rows, rows
    rows = rows[np.argsort(buckets[rows], kind="stable")]
    ordered = buckets[rows]
    boundary = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1], True])
    sizes = np.diff(boundary)
    shared = sizes >= 2
    rows, sizes = rows[np.repeat(shared, sizes)], sizes[shared]
    return rows, np.cumsum(sizes) - sizes, sizes


def _pairs_within(starts: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of positions (i < j) inside each group [start, start + size)."""
    members = np.repeat(starts, sizes) + ramp(sizes)
    later = np.repeat(sizes, sizes) - 1 - ramp(sizes)  # members after each one in its group
    left = np.repeat(members, later)
    return left, left + 1 + ramp(later)


def ramp(counts: np.ndarray) -> np.ndarray:
    """0, 1, ..., count - 1 for each count, concatenated."""
    total = int(counts.sum())
    return np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)


@dataclass(frozen=True)
class PairCodes:
    """LSH pairs as integer codes: pair i is passages ``a[i]`` (a new one) and ``b[i]``, sharing
    ``shared[i]`` buckets; ``passage_ids`` / ``doc_of`` / ``doc_ids`` decode them. ``skipped``
    buckets held more than the cap; ``capped`` are the passages in them."""

    a: np.ndarray
    b: np.ndarray
    shared: np.ndarray
    skipped: int
    capped: np.ndarray
    passage_ids: pa.Array
    doc_of: np.ndarray
    doc_ids: pa.Array


def _lsh_pair_codes(
    index: _BandIndex, cap: int, left_out: np.ndarray | None = None, stock: np.ndarray | None = None, over: int = 0
) -> PairCodes:
    """Passage pairs sharing a bucket in at least one band, with how many; buckets over ``cap`` skipped.
    ``left_out``: rows of the ``over`` buckets known to be over the cap already (not grouped, their
    passages capped); ``stock``: rows whose passages are capped all the same."""
    # One band's rows at a time, in row order: a stable sort of the small band numbers (a radix
    # sort) splits them all at once, where a comparison per band passed over every row 32 times.
    # As int32 (row numbers of one batch and its history fit): a bulk load's rows are 40M.
    by_band = np.argsort(index.band, kind="stable").astype(np.int32)
    if left_out is not None:
        by_band = by_band[~left_out[by_band]]
    kept = index.band if left_out is None else index.band[~left_out]
    band_sizes = np.bincount(kept) if len(kept) else np.zeros(0, dtype=np.int64)
    del kept
    band_ends = np.cumsum(band_sizes)
    bands = [by_band[band_ends[band] - band_sizes[band] : band_ends[band]] for band in np.flatnonzero(band_sizes)]
    # Bands are independent, and numpy's sorts and gathers let go of the GIL: a thread per core.
    groups = [bands[g :: thread_budget()] for g in range(min(thread_budget(), len(bands)))]
    found = thread_map(functools.partial(_bands_pair_codes, index, cap), groups)
    pieces = [piece for codes, _, _ in found for piece in codes]
    capped = [c for _, c, _ in found if len(c)]
    capped += [index.passage[rows] for rows in (left_out, stock) if rows is not None]
    skipped = over + sum(n for _, _, n in found)
    del found  # the only other holder of the pieces, which _concatenate_freeing lets go one by one
    n = len(index.doc_of)
    pair_codes, shared = unique_counts(_concatenate_freeing(pieces))
    # Passage codes fit int32 (they index an Arrow array): half the memory of 30M pairs' int64s.
    a, b = np.empty(len(pair_codes), dtype=np.int32), np.empty(len(pair_codes), dtype=np.int32)
    np.floor_divide(pair_codes, n, out=a, casting="unsafe")
    np.remainder(pair_codes, n, out=b, casting="unsafe")
    del pair_codes
    return PairCodes(
        a,
        b,
        shared,
        skipped,
        sorted_unique(np.concatenate(capped)).astype(np.int64) if capped else np.zeros(0, np.int64),
        index.passage_ids,
        index.doc_of,
        index.doc_ids,
    )


def _bands_pair_codes(index: _BandIndex, cap: int, bands: list[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray, int]:
    """For the rows of each of ``bands``: the codes of the pairs in a shared bucket (an array per
    band), the passages of the buckets over ``cap`` (skipped), and how many those were."""
    is_new = index.passage < index.n_new
    n = len(index.doc_of)
    codes, skipped, capped = [], 0, []
    for rows in bands:
        order, starts, sizes = _bucket_groups(index.bucket[rows])
        members = rows[order]
        with_new = np.maximum.reduceat(is_new[members], starts) if len(starts) else np.zeros(0, dtype=bool)
        over = with_new & (sizes > cap)
        skipped += int(np.sum(over))
        if over.any():
            capped.append(index.passage[members[np.repeat(over, sizes)]])
        keep = with_new & (sizes <= cap)
        left, right = _pairs_within(starts[keep], sizes[keep])
        x, y = index.passage[members[left]].astype(np.int64), index.passage[members[right]].astype(np.int64)
        x_new, y_new = x < index.n_new, y < index.n_new
        wanted = (x_new | y_new) & (index.doc_of[x] != index.doc_of[y])
        x, y, x_new, y_new = x[wanted], y[wanted], x_new[wanted], y_new[wanted]
        # passage_a is the new one; of two new ones, the smaller id (the candidate join's rule).
        x_first = x_new & (~y_new | (index.rank[x] < index.rank[y]))
        a, b = np.where(x_first, x, y), np.where(x_first, y, x)
        codes.append(a * n + b)
    return codes, np.concatenate(capped) if capped else np.zeros(0, np.int64), skipped


def _concatenate_freeing(pieces: list[np.ndarray]) -> np.ndarray:
    """``np.concatenate(pieces)`` of int64 arrays, each piece let go once copied (``pieces`` is
    emptied): a bulk load's sentence pairs are hundreds of MB, held twice otherwise."""
    joined = np.empty(sum(len(piece) for piece in pieces), dtype=np.int64)
    at = 0
    pieces.reverse()
    while pieces:
        piece = pieces.pop()
        joined[at : at + len(piece)] = piece
        at += len(piece)
    return joined


def lsh_pair_codes(
    new_bands: pa.Table,
    history_bands: pa.Table,
    lsh: LshParams,
    over: dict[int, np.ndarray] | None = None,
    history_stock: np.ndarray | None = None,
) -> PairCodes:
    """Pairs of rows (a new one and a new or earlier one, of different documents) sharing a bucket,
    over ``bands``-schema rows, as codes: the candidates stage makes passage ids of them, and
    paraphrase's millions of sentence pairs need not become strings. ``over`` and ``history_stock``:
    what a capped history lookup left out (``history_index.Lookup``): each band's buckets over the
    cap whose history rows are not in ``history_bands`` (skipped, counted, their new passages
    capped), and which ``history_bands`` rows are of a passage in one of them (capped too)."""
    # Only history rows in one of the batch's buckets can pair with it (a bucket value of another
    # band is grouped apart). Sorted arrays, not a hash set of the batch's buckets: a bulk load
    # has tens of millions, and an Arrow hash set of them would cost far more memory.
    if history_bands.num_rows:
        new_buckets = sorted_unique(_numpy(new_bands, "bucket"))
        kept = sorted_member(_numpy(history_bands, "bucket"), new_buckets)
        del new_buckets
        # The history index's lookups give only such rows: no copy of them (a bulk load's are tens
        # of millions, and the caller still holds the originals through the pairing).
        if not kept.all():
            history_bands = history_bands.filter(pa.array(kept))
            history_stock = None if history_stock is None else history_stock[kept]
    index = _BandIndex.build(new_bands, history_bands)
    release_arrow_pool()  # the columns' Arrow copies that build let go of
    n_new, left_out, stock = new_bands.num_rows, None, None
    if over:
        left_out = np.zeros(len(index.band), dtype=bool)
        for number, buckets in over.items():
            at = np.flatnonzero(index.band[:n_new] == number)
            left_out[at] = sorted_member(index.bucket[at], buckets)
    if history_stock is not None and history_stock.any():
        stock = np.zeros(len(index.band), dtype=bool)
        stock[n_new:] = history_stock
    skipped = sum(len(buckets) for buckets in (over or {}).values())
    return _lsh_pair_codes(index, lsh.max_bucket_size, left_out, stock, skipped)
