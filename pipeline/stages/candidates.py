"""Stage 4: candidate passage pairs, from LSH bands and from shared anchors.

Two channels, computed over Arrow tables and integer arrays so history never
has to fit in Python objects:

- **minhash_lsh**: the signature is cut into ``bands`` bands of ``rows`` rows;
  passages that agree on a whole band share a bucket. Finds copies.
- **anchors**: passages that share ``min_shared_anchors`` names, dates or
  figures. Finds independent reports of one event, and spun copies whose
  synonyms broke too many shingles for MinHash.

The new batch is joined against itself and against every earlier batch's
``bands`` partitions, and against the ``anchors`` partitions of the earlier batches of the last
``[anchors] window_days`` (``anchor_window``): an anchor's holders and the idf are counted in that
window, so that an anchor's count does not grow with the archive until every anchor is over the
cap (all history made every anchor of the bench corpus skipped from its second 1M-passage batch on). numpy cuts history to the new batch's
buckets; Arrow cuts history to the batch's anchors and counts their holders;
both channels group their pairs in numpy on integer codes (LSH buckets band by
band, a counting pass dropping the many unique buckets before sorting; anchor
holders new passage by new passage, in bounded chunks), faster than DuckDB
joins over string ids; DuckDB merges the two channels.
Buckets and anchors shared by more than ``max_bucket_size`` passages are
boilerplate or ubiquitous names; they are skipped rather than expanded into a
quadratic number of pairs, and counted.
The join's rules are written once, as SQL (``join_statements``): Spark runs it
(pipeline.orchestration.spark_candidates), and the tests hold the numpy channels to it.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core.errors import ConfigError, SchemaError
from pipeline.core.schema import ANCHORS, BANDS, CANDIDATES
from pipeline.core.settings import setting
from pipeline.core.tables import conform, unique_sums
from pipeline.core.validation import require_at_least
from pipeline.lsh.bands import LshParams, band_keys, band_table
from pipeline.lsh.pairs import PairCodes, codes_of, lsh_pair_codes, ramp
from pipeline.runtime.parallel import concurrently, thread_budget, thread_map
from pipeline.text.anchors import anchor_key_rows

log = logging.getLogger(__name__)


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

    @property
    def lsh(self) -> LshParams:
        return LshParams(self.bands, self.rows, self.max_bucket_size)


@dataclass(frozen=True)
class AnchorParams:
    """The ``[anchors]`` settings: which earlier batches a batch's story anchors are matched against."""

    window_days: int = setting(
        30,
        "anchors are matched against the batches of the last this many days before the batch's date "
        "(0: every earlier batch); LSH bands always against every earlier batch",
    )

    def __post_init__(self) -> None:
        require_at_least("anchors", self, ("window_days",), 0)


def anchor_window(batch: str, earlier: list[str], params: AnchorParams) -> list[str]:
    """The ``earlier`` batches (``YYYY-MM-DD``, ordered) whose anchors ``batch`` is joined with: those
    dated ``window_days`` or fewer days before it. News re-reports a story within days or weeks;
    counted over all history, every name's holders pass ``max_bucket_size`` sooner or later and
    the anchor channel falls silent."""
    if not params.window_days:
        return list(earlier)
    date = dt.date.fromisoformat(batch)
    start = date - dt.timedelta(days=min(params.window_days, (date - dt.date.min).days))
    return [b for b in earlier if b >= start.isoformat()]


@dataclass(frozen=True)
class CandidateResult:
    candidates: pa.Table
    skipped_buckets: int
    skipped_anchors: int


# Keys of the candidates file's notes (tables.write_partition) that carry the skipped counts to the
# runs table, from whichever process ran the join.
SKIPPED_BUCKETS = "newsprov.skipped_buckets"
SKIPPED_ANCHORS = "newsprov.skipped_anchors"


# --- The join's rules, one definition for both engines ----------------------------------------
# find_candidates makes band_pairs and anchor_pairs in numpy (tests/test_candidates.py holds them
# to these statements, run in DuckDB) and merges them with MERGE_SQL;
# pipeline.orchestration.spark_candidates runs every statement in Spark SQL.

# A bucket or an anchor pairs its holders when it has MIN_HOLDERS..max_bucket_size of them, a new
# one among them; x pairs with y when x is new, of another document, the smaller id of two new ones.
MIN_HOLDERS = 2
_PAIRABLE = "x.is_new and x.doc_id <> y.doc_id and (not y.is_new or x.passage_id < y.passage_id)"

MERGE_SQL = """
    select coalesce(p.passage_a, q.passage_a) as passage_a, coalesce(p.passage_b, q.passage_b) as passage_b,
           coalesce(p.doc_a, q.doc_a) as doc_a, coalesce(p.doc_b, q.doc_b) as doc_b,
           cast(coalesce(p.shared_bands, 0) as smallint) as shared_bands,
           cast(coalesce(q.shared_anchors, 0) as smallint) as shared_anchors,
           cast(coalesce(q.anchor_score, 0) as float) as anchor_score,
           case when p.passage_a is null then 'anchors' when q.passage_a is null then 'minhash_lsh'
                else 'both' end as method
    from band_pairs p full outer join anchor_pairs q
      on p.passage_a = q.passage_a and p.passage_b = q.passage_b"""


def join_statements(params: CandidateParams) -> dict[str, str]:
    """The candidate join as SQL: named statements, in order, each over the ones before it and the
    inputs ``new_bands`` and ``history_bands`` (columns passage_id, doc_id, band, bucket),
    ``new_anchors`` and ``history_anchors`` (passage_id, doc_id, anchor). ``candidates`` is the
    result, in no order; ``skipped`` the buckets and the anchors over the cap."""
    cap = params.max_bucket_size
    kept = f"n between {MIN_HOLDERS} and {cap}"
    return {
        # Only history rows in a bucket or anchor of the new batch can pair with it: cut them first.
        "all_bands": "select passage_id, doc_id, band, bucket, true as is_new from new_bands "
        "union all select h.passage_id, h.doc_id, h.band, h.bucket, false from history_bands h "
        "semi join new_bands n on h.band = n.band and h.bucket = n.bucket",
        "all_anchors": "select passage_id, doc_id, anchor, true as is_new from new_anchors "
        "union all select h.passage_id, h.doc_id, h.anchor, false from history_anchors h "
        "semi join new_anchors n on h.anchor = n.anchor",
        "bucket_sizes": "select band, bucket, count(*) as n from all_bands group by band, bucket "
        "having bool_or(is_new)",
        # N of the idf: distinct passages with anchors in the batch and the whole history (not just the cut).
        "anchor_passages": "select greatest(count(distinct passage_id), 1) as n from (select passage_id "
        "from new_anchors union all select passage_id from history_anchors)",
        "anchor_sizes": "select a.anchor, count(*) as n, ln(max(t.n) / count(*)) as idf from all_anchors a "
        "cross join anchor_passages t group by a.anchor having bool_or(a.is_new)",
        "keep_buckets": f"select band, bucket from bucket_sizes where {kept}",
        "keep_anchors": f"select anchor, idf from anchor_sizes where {kept}",
        "skipped": f"select (select count(*) from bucket_sizes where n > {cap}) as buckets, "
        f"(select count(*) from anchor_sizes where n > {cap}) as anchors",
        "band_pairs": f"""
            with b as (select a.* from all_bands a semi join keep_buckets k on a.band = k.band and a.bucket = k.bucket)
            select x.passage_id as passage_a, y.passage_id as passage_b,
                   x.doc_id as doc_a, y.doc_id as doc_b, count(*) as shared_bands
            from b x join b y on x.band = y.band and x.bucket = y.bucket
            where {_PAIRABLE}
            group by x.passage_id, y.passage_id, x.doc_id, y.doc_id""",
        "anchor_pairs": f"""
            with an as (select a.*, k.idf from all_anchors a join keep_anchors k on a.anchor = k.anchor)
            select x.passage_id as passage_a, y.passage_id as passage_b,
                   x.doc_id as doc_a, y.doc_id as doc_b, count(*) as shared_anchors, sum(x.idf) as anchor_score
            from an x join an y on x.anchor = y.anchor
            where {_PAIRABLE}
            group by x.passage_id, y.passage_id, x.doc_id, y.doc_id
            having count(*) >= {params.min_shared_anchors}""",
        "candidates": MERGE_SQL,
    }


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
    signatures = signature.values.to_numpy(zero_copy_only=False)[start : start + n * width].reshape(n, width)
    params.check_signature_length(width)
    return conform(
        band_table(passage_ids.combine_chunks(), doc_ids.combine_chunks(), band_keys(signatures, params.lsh)), BANDS
    )


# Passages whose anchors are found at once, for memory: the vectorised tokens of a bulk load in one
# piece are tens of millions of strings; anchor_rows is row-wise, so any cut gives the same rows.
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
        parts.append(
            pa.table(
                {
                    "passage_id": part.column("passage_id").take(rows),
                    "doc_id": part.column("doc_id").take(rows),
                    "anchor": found.keys,
                }
            )
        )
    if not parts:
        return ANCHORS.empty_table()
    return conform(pa.concat_tables(parts), ANCHORS)


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
    def build(
        cls, new: pa.Table, history: pa.Table, cap: int, min_shared: int, history_passages: int | None = None
    ) -> _AnchorGroups:
        """``history_passages``: how many passages hold anchors in all of history, when ``history``
        holds only the rows of the batch's anchors (else counted from ``history``)."""
        columns = ["passage_id", "doc_id", "anchor"]
        cut = history.select(columns).filter(
            pc.is_in(history.column("anchor"), value_set=pc.unique(new.column("anchor").combine_chunks()))
        )
        rows = pa.concat_tables(
            [
                new.select(columns).append_column("is_new", pa.array(np.ones(new.num_rows, dtype=bool))),
                cut.append_column("is_new", pa.array(np.zeros(cut.num_rows, dtype=bool))),
            ]
        )
        groups = rows.group_by("anchor").aggregate([("passage_id", "count"), ("is_new", "any")])
        passages, with_new = groups.column("passage_id_count"), groups.column("is_new_any")
        kept = groups.filter(
            pc.and_(with_new, pc.and_(pc.greater_equal(passages, MIN_HOLDERS), pc.less_equal(passages, cap)))
        )
        skipped = pc.sum(pc.and_(with_new, pc.greater(passages, cap)).cast(pa.int64())).as_py() or 0
        if history_passages is None:
            n_passages = pc.count_distinct(
                pa.chunked_array(
                    new.column("passage_id").chunks + history.column("passage_id").chunks, type=pa.string()
                )
            ).as_py()
        else:  # a batch's passages are new: none of them is in history
            n_passages = pc.count_distinct(new.column("passage_id")).as_py() + history_passages
        # A pair needs min_shared kept anchors, so each side holds that many: the rows of a passage
        # holding fewer can pair with nothing (the join would still expand and count them).
        rows = rows.filter(pc.is_in(rows.column("anchor"), value_set=kept.column("anchor")))
        held = rows.group_by("passage_id").aggregate([("anchor", "count")])
        pairable = held.filter(pc.greater_equal(held.column("anchor_count"), min_shared)).column("passage_id")
        rows = rows.filter(pc.is_in(rows.column("passage_id"), value_set=pairable))
        return cls(
            rows,
            pa.table({"anchor": kept.column("anchor"), "passages": kept.column("passage_id_count")}),
            skipped,
            n_passages,
        )


# Anchor pairs are expanded for this many (passage, holder) rows at a time, whole new passages per
# chunk: a passage's count of shared anchors is complete within its chunk, so pairs under the
# minimum are dropped before the next chunk (a 200k-passage batch expands about 19M rows).
_ANCHOR_CHUNK_ROWS = 1 << 22


def _anchor_pair_table(anchors: _AnchorGroups, min_shared: int) -> pa.Table:
    """The anchors channel: (new passage, other passage) pairs of different documents sharing at
    least ``min_shared`` kept anchors, with how many and the sum of their idf, ln(N / holders).

    Of two new passages, passage_a is the smaller id. Grouped in numpy on integer codes: DuckDB's
    self-join and hash aggregate over the expanded rows were most of the stage's time.
    """
    rows = anchors.rows
    if not rows.num_rows:
        return pa.table(
            {
                "passage_a": pa.array([], pa.string()),
                "passage_b": pa.array([], pa.string()),
                "doc_a": pa.array([], pa.string()),
                "doc_b": pa.array([], pa.string()),
                "shared_anchors": pa.array([], pa.int64()),
                "anchor_score": pa.array([], pa.float64()),
            }
        )
    ids = pc.unique(rows.column("passage_id").combine_chunks())
    ids = ids.take(pc.sort_indices(ids))  # code order is id order: "the smaller id" compares codes
    passage = pc.index_in(rows.column("passage_id"), value_set=ids).to_numpy(zero_copy_only=False).astype(np.int64)
    docs = codes_of(rows.column("doc_id"))
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
        x_rows = new_rows[chunk[0] : chunk[1]]
        group = group_of_row[x_rows]
        x_rows = np.repeat(x_rows, sizes[group])
        y_rows = np.repeat(starts[group], sizes[group]) + ramp(sizes[group])
        x, y = passage[x_rows], passage[y_rows]
        pairable = (doc_of[x] != doc_of[y]) & (~is_new[y_rows] | (x < y))
        codes, counts, scores = unique_sums(x[pairable] * n + y[pairable], idf[anchor[x_rows[pairable]]])
        enough = counts >= min_shared
        return codes[enough], counts[enough], scores[enough]

    # Chunks hold whole new passages, so a pair's shared anchors are all counted in one chunk
    # however the rows are cut. numpy lets go of the GIL in the sorts and gathers, so the chunks
    # run on threads.
    found = thread_map(expand, list(zip(bounds[:-1].tolist(), bounds[1:].tolist())))  # one chunk at least
    codes, counts, scores = (np.concatenate(column) for column in zip(*found))
    a, b = pa.array(codes // n), pa.array(codes % n)
    return pa.table(
        {
            "passage_a": ids.take(a),
            "passage_b": ids.take(b),
            "doc_a": docs.values.take(pa.array(doc_of[codes // n])),
            "doc_b": docs.values.take(pa.array(doc_of[codes % n])),
            "shared_anchors": counts,
            "anchor_score": scores,
        }
    )


def _pair_table(pairs: PairCodes) -> pa.Table:
    """The pairs as ids, with how many buckets each shares."""
    a, b = pa.array(pairs.a), pa.array(pairs.b)
    table = pa.table(
        {
            "passage_a": pairs.passage_ids.take(a),
            "passage_b": pairs.passage_ids.take(b),
            "doc_a": pairs.doc_ids.take(pa.array(pairs.doc_of[pairs.a])),
            "doc_b": pairs.doc_ids.take(pa.array(pairs.doc_of[pairs.b])),
            "shared_bands": pairs.shared.astype(np.int64),
        }
    )
    return table


@functools.lru_cache(maxsize=1)
def _database(pid: int) -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB per process (``pid``: a forked Luigi worker opens its own): opening one
    costs about 37 ms, a cursor on it nothing, and a run over many small daily batches opened one
    per batch."""
    return duckdb.connect()


def find_candidates(
    new_bands: pa.Table,
    new_anchors: pa.Table,
    history_bands: pa.Table,
    history_anchors: pa.Table,
    params: CandidateParams,
    history_anchor_passages: int | None = None,
) -> CandidateResult:
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
            codes = lsh_pair_codes(new_bands, history_bands, params.lsh)
            return _pair_table(codes), codes.skipped

        def anchor_channel() -> tuple[pa.Table, int]:
            anchors = _AnchorGroups.build(
                new_anchors, history_anchors, cap, params.min_shared_anchors, history_anchor_passages
            )
            return _anchor_pair_table(anchors, params.min_shared_anchors), anchors.skipped

        # The two channels share nothing, and both are numpy and Arrow work that lets go of the GIL,
        # so they run at once.
        (band_pairs, skipped_buckets), (anchor_pairs, skipped_anchors) = concurrently(band_channel, anchor_channel)
        con.register("band_pairs", band_pairs)
        con.register("anchor_pairs", anchor_pairs)
        pairs = con.sql(f"{MERGE_SQL} order by passage_a, passage_b").to_arrow_table()
    finally:
        con.close()
    if skipped_buckets or skipped_anchors:
        log.info(
            "candidates: skipped %d LSH buckets and %d anchors shared by more than %d passages",
            skipped_buckets,
            skipped_anchors,
            cap,
        )
    return CandidateResult(conform(pairs, CANDIDATES), skipped_buckets, skipped_anchors)
