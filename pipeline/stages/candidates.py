"""Stage 4: candidate passage pairs, from LSH bands and from shared anchors.

Two channels, computed over Arrow tables and integer arrays so history never
has to fit in Python objects:

- **minhash_lsh**: the signature is cut into ``bands`` bands of ``rows`` rows;
  passages that agree on a whole band share a bucket. Finds copies.
- **anchors**: passages that share ``min_shared_anchors`` names, dates or
  figures. Finds independent reports of one event, and spun copies whose
  synonyms broke too many shingles for MinHash.

The new batch is joined against itself and against every earlier batch's
``bands`` and ``anchors`` partitions. numpy cuts history to the new batch's
buckets; Arrow cuts history to the batch's anchors and counts their holders;
both channels group their pairs in numpy on integer codes (LSH buckets band by
band, a counting pass dropping the many unique buckets before sorting; anchor
holders new passage by new passage, in bounded chunks), about 3x the DuckDB
joins over string ids at 200k passages; DuckDB merges the two channels.
Buckets and anchors shared by more than ``max_bucket_size`` passages are
boilerplate or ubiquitous names; they are skipped rather than expanded into a
quadratic number of pairs, and counted.
pipeline.orchestration.spark_candidates runs the same join in Spark SQL.
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.text.anchors import anchor_key_rows
from pipeline.core.errors import ConfigError, SchemaError
from pipeline.runtime.parallel import concurrently, thread_budget, thread_map
from pipeline.core.schema import ANCHORS, BANDS, CANDIDATES
from pipeline.core.tables import conform, sorted_member, sorted_unique, unique_counts, unique_sums
from pipeline.core.settings import setting
from pipeline.core.validation import require_at_least

log = logging.getLogger(__name__)

_FNV64_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV64_PRIME = np.uint64(0x100000001B3)


@dataclass(frozen=True)
class CandidateParams:
    """The ``[candidates]`` settings of the join itself (``engine``, where it runs, is orchestration's)."""

    bands: int = setting(32, "LSH bands: a pair agreeing on a whole band is a candidate")
    rows: int = setting(4, "signature values per band (bands * rows <= fingerprint.num_perm)")
    max_bucket_size: int = setting(200, "buckets and anchors shared by more passages are skipped (boilerplate)")
    min_shared_anchors: int = setting(3, "passages sharing this many names, dates or figures are candidates too")

    def __post_init__(self) -> None:
        require_at_least("candidates", self, ("bands", "rows", "max_bucket_size", "min_shared_anchors"), 1)

    def check_signature_length(self, num_perm: int) -> None:
        if self.bands * self.rows > num_perm:
            raise ConfigError(
                f"candidates.bands * candidates.rows = {self.bands * self.rows} exceeds "
                f"fingerprint.num_perm = {num_perm}: lower bands or rows, or raise num_perm"
            )


@dataclass(frozen=True)
class CandidateResult:
    candidates: pa.Table
    skipped_buckets: int
    skipped_anchors: int


def band_keys(signatures: np.ndarray, params: CandidateParams) -> np.ndarray:
    """Bucket of every (passage, band): FNV-1a over the band's ``rows`` signature values (int64)."""
    n, num_perm = signatures.shape
    params.check_signature_length(num_perm)
    cube = signatures[:, :params.bands * params.rows].reshape(n, params.bands, params.rows)
    buckets = np.full((n, params.bands), _FNV64_OFFSET, dtype=np.uint64)
    for r in range(params.rows):
        buckets ^= cube[:, :, r]
        buckets *= _FNV64_PRIME
    return buckets.view(np.int64)


def band_rows(passages: pa.Table, params: CandidateParams) -> pa.Table:
    """One row per (passage, band) for passages that have a signature."""
    signature = passages.column("signature").combine_chunks()
    valid = signature.is_valid()
    passage_ids, doc_ids = passages.column("passage_id"), passages.column("doc_id")
    if signature.null_count:
        passage_ids, doc_ids = passage_ids.filter(valid), doc_ids.filter(valid)
    n = len(passage_ids)
    lengths = np.diff(signature.offsets.to_numpy())
    signed = valid.to_numpy(zero_copy_only=False)
    width = int(lengths[signed][0]) if n else params.bands * params.rows
    if not (lengths[signed] == width).all():
        raise SchemaError(f"passages.signature: signatures of different lengths ({sorted(set(lengths[signed]))})")
    if lengths[~signed].any():
        signature = signature.filter(valid)  # null rows that hold values: read around them
    # The signed passages' values back to back, read in place.
    start = signature.offsets[0].as_py()
    signatures = signature.values.to_numpy(zero_copy_only=False)[start:start + n * width].reshape(n, width)
    return conform(band_table(passage_ids.combine_chunks(), doc_ids.combine_chunks(),
                              band_keys(signatures, params)), BANDS)


def band_table(ids: pa.Array, doc_ids: pa.Array, buckets: np.ndarray) -> pa.Table:
    """Rows (id, doc_id, band, bucket) of ``buckets`` (one row per id, one column per band).

    Ids as dictionary indices: every id is repeated once per band, and the join works on the
    integer codes.
    """
    n, bands = buckets.shape
    rows = np.repeat(np.arange(n, dtype=np.int32), bands)
    docs = doc_ids.dictionary_encode()
    return pa.table({
        "passage_id": pa.DictionaryArray.from_arrays(pa.array(rows), ids),
        "doc_id": pa.DictionaryArray.from_arrays(pa.array(docs.indices.to_numpy(zero_copy_only=False)[rows]),
                                                 docs.dictionary),
        "band": np.tile(np.arange(bands, dtype=np.int16), n),
        "bucket": buckets.reshape(-1),
    })


# Passages whose anchors are found at once: the vectorised tokens of a 1M-passage batch in one piece
# (about 60M matches as strings) took the process to 5.1 GB; anchor_rows is row-wise, so any cut
# gives the same rows.
_ANCHOR_SLICE = 1 << 17


def anchor_rows(passages: pa.Table) -> pa.Table:
    """One row per distinct anchor of each passage, in passage then key order (header passages have
    none: see add_signatures)."""
    bodies = passages.filter(pc.not_equal(passages.column("kind"), "header"))
    parts = []
    for start in range(0, bodies.num_rows, _ANCHOR_SLICE):
        part = bodies.slice(start, _ANCHOR_SLICE)
        found = anchor_key_rows(part.column("text").to_pylist())
        rows = pa.array(found.text_index)
        parts.append(pa.table({"passage_id": part.column("passage_id").take(rows),
                               "doc_id": part.column("doc_id").take(rows), "anchor": found.keys}))
    if not parts:
        return ANCHORS.empty_table()
    return conform(pa.concat_tables(parts), ANCHORS)


@dataclass(frozen=True)
class _Codes:
    """An id column as integer codes: row ``i`` is ``values[codes[i]]``."""

    codes: np.ndarray
    values: pa.Array


def _codes(column: pa.ChunkedArray) -> _Codes:
    if pa.types.is_dictionary(column.type):
        encoded = column.unify_dictionaries().combine_chunks()
    else:
        encoded = column.combine_chunks().dictionary_encode()
    return _Codes(encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary)  # int32, not copied


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
        new_passages, history_passages = _codes(new.column("passage_id")), _codes(history.column("passage_id"))
        new_docs, history_docs = _codes(new.column("doc_id")), _codes(history.column("doc_id"))
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


@dataclass(frozen=True)
class _AnchorGroups:
    """The anchor rows that can pair a new passage (the batch's, and history's sharing an anchor
    with it), the anchors shared by 2..cap passages with a new one among them (``kept``: anchor,
    passages), how many were over the cap, and N of the idf: passages with anchors, batch and history."""

    rows: pa.Table
    kept: pa.Table
    skipped: int
    n_passages: int

    @classmethod
    def build(cls, new: pa.Table, history: pa.Table, cap: int, min_shared: int,
              history_passages: int | None = None) -> _AnchorGroups:
        """``history_passages``: how many passages hold anchors in all of history, when ``history``
        holds only the rows of the batch's anchors (else counted from ``history``)."""
        columns = ["passage_id", "doc_id", "anchor"]
        cut = history.select(columns).filter(pc.is_in(history.column("anchor"), value_set=pc.unique(
            new.column("anchor").combine_chunks())))
        rows = pa.concat_tables([
            new.select(columns).append_column("is_new", pa.array(np.ones(new.num_rows, dtype=bool))),
            cut.append_column("is_new", pa.array(np.zeros(cut.num_rows, dtype=bool))),
        ])
        groups = rows.group_by("anchor").aggregate([("passage_id", "count"), ("is_new", "any")])
        passages, with_new = groups.column("passage_id_count"), groups.column("is_new_any")
        kept = groups.filter(pc.and_(with_new, pc.and_(pc.greater_equal(passages, 2), pc.less_equal(passages, cap))))
        skipped = pc.sum(pc.and_(with_new, pc.greater(passages, cap)).cast(pa.int64())).as_py() or 0
        if history_passages is None:
            n_passages = pc.count_distinct(pa.chunked_array(
                new.column("passage_id").chunks + history.column("passage_id").chunks, type=pa.string())).as_py()
        else:  # a batch's passages are new: none of them is in history
            n_passages = pc.count_distinct(new.column("passage_id")).as_py() + history_passages
        # A pair needs min_shared kept anchors, so each side holds that many: the rows of a passage
        # holding fewer can pair with nothing (the join would still expand and count them).
        rows = rows.filter(pc.is_in(rows.column("anchor"), value_set=kept.column("anchor")))
        held = rows.group_by("passage_id").aggregate([("anchor", "count")])
        pairable = held.filter(pc.greater_equal(held.column("anchor_count"), min_shared)).column("passage_id")
        rows = rows.filter(pc.is_in(rows.column("passage_id"), value_set=pairable))
        return cls(rows, pa.table({"anchor": kept.column("anchor"), "passages": kept.column("passage_id_count")}),
                   skipped, n_passages)


# Anchor pairs are expanded for this many (passage, holder) rows at a time, whole new passages per
# chunk: a passage's count of shared anchors is complete within its chunk, so pairs under the
# minimum are dropped before the next chunk (a 200k-passage batch expands about 19M rows).
_ANCHOR_CHUNK_ROWS = 1 << 22


def _anchor_pair_table(anchors: _AnchorGroups, min_shared: int) -> pa.Table:
    """The anchors channel: (new passage, other passage) pairs of different documents sharing at
    least ``min_shared`` kept anchors, with how many and the sum of their idf, ln(N / holders).

    Of two new passages, passage_a is the smaller id. Grouped in numpy on integer codes: DuckDB's
    self-join and hash aggregate over the expanded rows took 8 of the 10 s of a 200k-passage batch.
    """
    rows = anchors.rows
    if not rows.num_rows:
        return pa.table({"passage_a": pa.array([], pa.string()), "passage_b": pa.array([], pa.string()),
                         "doc_a": pa.array([], pa.string()), "doc_b": pa.array([], pa.string()),
                         "shared_anchors": pa.array([], pa.int64()), "anchor_score": pa.array([], pa.float64())})
    ids = pc.unique(rows.column("passage_id").combine_chunks())
    ids = ids.take(pc.sort_indices(ids))  # code order is id order: "the smaller id" compares codes
    passage = pc.index_in(rows.column("passage_id"), value_set=ids).to_numpy(zero_copy_only=False).astype(np.int64)
    docs = _codes(rows.column("doc_id"))
    doc_of = np.zeros(len(ids), dtype=np.int64)
    doc_of[passage] = docs.codes
    anchor = pc.index_in(rows.column("anchor"), value_set=anchors.kept.column("anchor")).to_numpy(zero_copy_only=False)
    idf = np.log(max(anchors.n_passages, 1) / anchors.kept.column("passages").to_numpy().astype(np.float64))
    is_new = rows.column("is_new").to_numpy()

    order = np.argsort(anchor, kind="stable")  # rows grouped by anchor
    passage, anchor, is_new = passage[order], anchor[order], is_new[order]
    _, starts, sizes = np.unique(anchor, return_index=True, return_counts=True)
    group_of_row = np.repeat(np.arange(len(starts)), sizes)
    # Each new row pairs with every holder of its anchor; new rows taken passage by passage.
    new_rows = np.flatnonzero(is_new)
    new_rows = new_rows[np.argsort(passage[new_rows], kind="stable")]
    expansion = np.cumsum(sizes[group_of_row[new_rows]])
    # Chunks run on the threads at once, so each is a thread's share of the rows expanded at a time.
    chunk_of_row = expansion // max(1, _ANCHOR_CHUNK_ROWS // thread_budget())
    # A chunk ends where the passage changes: its rows all go to the chunk of its first row.
    first_of_passage = np.r_[True, passage[new_rows[1:]] != passage[new_rows[:-1]]]
    chunk_of_row = np.maximum.accumulate(np.where(first_of_passage, chunk_of_row, 0))
    bounds = np.flatnonzero(np.r_[True, chunk_of_row[1:] != chunk_of_row[:-1], True])
    n = len(ids)

    def expand(chunk: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x_rows = new_rows[chunk[0]:chunk[1]]
        group = group_of_row[x_rows]
        x_rows = np.repeat(x_rows, sizes[group])
        y_rows = np.repeat(starts[group], sizes[group]) + _ramp(sizes[group])
        x, y = passage[x_rows], passage[y_rows]
        pairable = (doc_of[x] != doc_of[y]) & (~is_new[y_rows] | (x < y))
        codes, counts, scores = unique_sums(x[pairable] * n + y[pairable], idf[anchor[x_rows[pairable]]])
        enough = counts >= min_shared
        return codes[enough], counts[enough], scores[enough]

    # Chunks hold whole new passages, so a pair's shared anchors are all counted in one chunk
    # however the rows are cut. numpy lets go of the GIL in the sorts and gathers: on two threads
    # the 20,000-document bench batch's anchor pairs took 0.6-0.7 s, 1.0-1.1 s on one; with the
    # LSH channel beside them, find_candidates took 1.1-1.4 s, 1.9-2.4 s before.
    found = thread_map(expand, list(zip(bounds[:-1].tolist(), bounds[1:].tolist())))  # one chunk at least
    codes, counts, scores = (np.concatenate(column) for column in zip(*found))
    a, b = pa.array(codes // n), pa.array(codes % n)
    return pa.table({
        "passage_a": ids.take(a), "passage_b": ids.take(b),
        "doc_a": docs.values.take(pa.array(doc_of[codes // n])), "doc_b": docs.values.take(pa.array(doc_of[codes % n])),
        "shared_anchors": counts, "anchor_score": scores,
    })


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
    members = np.repeat(starts, sizes) + _ramp(sizes)
    later = np.repeat(sizes, sizes) - 1 - _ramp(sizes)  # members after each one in its group
    left = np.repeat(members, later)
    return left, left + 1 + _ramp(later)


def _ramp(counts: np.ndarray) -> np.ndarray:
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


def _lsh_pair_codes(index: _BandIndex, cap: int) -> PairCodes:
    """Passage pairs sharing a bucket in at least one band, with how many; buckets over ``cap`` skipped."""
    # One band's rows at a time, in row order: a stable sort of the small band numbers (a radix
    # sort) splits them all at once, where a comparison per band passed over every row 32 times.
    by_band = np.argsort(index.band, kind="stable")
    band_sizes = np.bincount(index.band) if len(index.band) else np.zeros(0, dtype=np.int64)
    band_ends = np.cumsum(band_sizes)
    bands = [by_band[band_ends[band] - band_sizes[band]:band_ends[band]] for band in np.flatnonzero(band_sizes)]
    # Bands are independent, and numpy's sorts and gathers let go of the GIL: on two threads the
    # 20,000-document bench batch's sentence bands took 0.56-0.74 s, 0.78-0.82 s on one.
    groups = [bands[g::thread_budget()] for g in range(min(thread_budget(), len(bands)))]
    found = thread_map(functools.partial(_bands_pair_codes, index, cap), groups)
    pieces = [piece for codes, _, _ in found for piece in codes]
    capped = [c for _, c, _ in found if len(c)]
    skipped = sum(n for _, _, n in found)
    del found  # the only other holder of the pieces, which _concatenate_freeing lets go one by one
    n = len(index.doc_of)
    pair_codes, shared = unique_counts(_concatenate_freeing(pieces))
    return PairCodes(pair_codes // n, pair_codes % n, shared, skipped,
                     sorted_unique(np.concatenate(capped)).astype(np.int64) if capped else np.zeros(0, np.int64),
                     index.passage_ids, index.doc_of, index.doc_ids)


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
        # passage_a is the new one; of two new ones, the smaller id (as the SQL of the anchors channel).
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
        joined[at:at + len(piece)] = piece
        at += len(piece)
    return joined


def _pair_table(pairs: PairCodes) -> pa.Table:
    """The pairs as ids, with how many buckets each shares."""
    a, b = pa.array(pairs.a), pa.array(pairs.b)
    table = pa.table({
        "passage_a": pairs.passage_ids.take(a), "passage_b": pairs.passage_ids.take(b),
        "doc_a": pairs.doc_ids.take(pa.array(pairs.doc_of[pairs.a])),
        "doc_b": pairs.doc_ids.take(pa.array(pairs.doc_of[pairs.b])),
        "shared_bands": pairs.shared.astype(np.int64),
    })
    return table


def lsh_pair_codes(new_bands: pa.Table, history_bands: pa.Table, cap: int) -> PairCodes:
    """The LSH channel over ``bands``-schema rows, as codes (the passage join makes ids of them;
    pipeline.stages.paraphrase's millions of sentence pairs need not become strings)."""
    # Only history rows in one of the batch's buckets can pair with it (a bucket value of another
    # band is grouped apart). Sorted arrays, not a hash set of the batch's buckets: a bulk load
    # has tens of millions, and an Arrow hash set of them cost about 1 GB at 8.7M.
    if history_bands.num_rows:
        new_buckets = sorted_unique(_numpy(new_bands, "bucket"))
        history_bands = history_bands.filter(pa.array(sorted_member(_numpy(history_bands, "bucket"), new_buckets)))
    return _lsh_pair_codes(_BandIndex.build(new_bands, history_bands), cap)


@functools.lru_cache(maxsize=1)
def _database(pid: int) -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB per process (``pid``: a forked Luigi worker opens its own): opening one
    costs about 37 ms, a cursor on it nothing, and a run over many small daily batches opened one
    per batch."""
    return duckdb.connect()


def find_candidates(new_bands: pa.Table, new_anchors: pa.Table, history_bands: pa.Table, history_anchors: pa.Table,
                    params: CandidateParams, history_anchor_passages: int | None = None) -> CandidateResult:
    """Candidate pairs (new passage, new-or-earlier passage) from both channels.

    A pair within the batch appears once, with ``passage_a < passage_b``;
    passages of the same document are never paired. History rows outside the batch's
    buckets and anchors pair with nothing, so they may be left out, except that the
    anchors' idf counts every passage with anchors: with ``history_anchors`` cut to the
    batch's anchors, ``history_anchor_passages`` gives that count for all of history.
    """
    cap = params.max_bucket_size
    con = _database(os.getpid()).cursor()  # its own connection: registrations and temp tables stay in this call
    try:
        def band_channel() -> tuple[pa.Table, int]:
            codes = lsh_pair_codes(new_bands, history_bands, cap)
            return _pair_table(codes), codes.skipped

        def anchor_channel() -> tuple[pa.Table, int]:
            anchors = _AnchorGroups.build(new_anchors, history_anchors, cap, params.min_shared_anchors,
                                          history_anchor_passages)
            return _anchor_pair_table(anchors, params.min_shared_anchors), anchors.skipped
        # The two channels share nothing, and both are numpy and Arrow work that lets go of the GIL:
        # the 20,000-document bench batch's candidates took 1.5-1.7 s, 1.9-2.4 s one after the other.
        (band_pairs, skipped_buckets), (anchor_pairs, skipped_anchors) = concurrently(band_channel, anchor_channel)
        con.register("band_pairs", band_pairs)
        con.register("anchor_pairs", anchor_pairs)
        pairs = con.sql("""
            select coalesce(p.passage_a, q.passage_a) as passage_a, coalesce(p.passage_b, q.passage_b) as passage_b,
                   coalesce(p.doc_a, q.doc_a) as doc_a, coalesce(p.doc_b, q.doc_b) as doc_b,
                   coalesce(p.shared_bands, 0)::smallint as shared_bands,
                   coalesce(q.shared_anchors, 0)::smallint as shared_anchors,
                   coalesce(q.anchor_score, 0)::real as anchor_score,
                   case when p.passage_a is null then 'anchors' when q.passage_a is null then 'minhash_lsh'
                        else 'both' end as method
            from band_pairs p full outer join anchor_pairs q
              on p.passage_a = q.passage_a and p.passage_b = q.passage_b
            order by passage_a, passage_b""").to_arrow_table()
    finally:
        con.close()
    if skipped_buckets or skipped_anchors:
        log.info("candidates: skipped %d LSH buckets and %d anchors shared by more than %d passages",
                 skipped_buckets, skipped_anchors, cap)
    return CandidateResult(conform(pairs, CANDIDATES), skipped_buckets, skipped_anchors)
