"""Stage 4: candidate passage pairs, from LSH bands and from shared anchors.

Two channels, joined in DuckDB over Arrow tables and Parquet files so history
never has to fit in Python objects:

- **minhash_lsh**: the signature is cut into ``bands`` bands of ``rows`` rows;
  passages that agree on a whole band share a bucket. Finds copies.
- **anchors**: passages that share ``min_shared_anchors`` names, dates or
  figures. Finds independent reports of one event, and spun copies whose
  synonyms broke too many shingles for MinHash.

The new batch is joined against itself and against every earlier batch's
``bands`` and ``anchors`` partitions (given as Arrow tables; DuckDB scans them
in place). Buckets and anchors shared by more than ``max_bucket_size``
passages are boilerplate or ubiquitous names; they are skipped rather than
expanded into a quadratic number of pairs, and counted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from pipeline.anchors import anchor_keys
from pipeline.errors import ConfigError
from pipeline.schema import ANCHORS, BANDS, CANDIDATES
from pipeline.tables import conform
from pipeline.validation import require_at_least

log = logging.getLogger(__name__)

_FNV64_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV64_PRIME = np.uint64(0x100000001B3)


@dataclass(frozen=True)
class CandidateParams:
    bands: int = 32
    rows: int = 4
    max_bucket_size: int = 200
    min_shared_anchors: int = 3

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


def band_rows(passages: pa.Table, params: CandidateParams) -> pa.Table:
    """One row per (passage, band) for passages that have a signature."""
    with_sig = passages.filter(passages.column("signature").is_valid())
    n = with_sig.num_rows
    width = params.bands * params.rows
    if n:
        flat = with_sig.column("signature").combine_chunks().flatten().to_numpy(zero_copy_only=False)
        num_perm = len(flat) // n
        params.check_signature_length(num_perm)
        matrix = flat.reshape(n, num_perm)[:, :width].astype(np.uint64)
    else:
        matrix = np.zeros((0, width), dtype=np.uint64)
    cube = matrix.reshape(n, params.bands, params.rows)
    buckets = np.full((n, params.bands), _FNV64_OFFSET, dtype=np.uint64)
    for r in range(params.rows):
        buckets = (buckets ^ cube[:, :, r]) * _FNV64_PRIME
    rows = np.repeat(np.arange(n), params.bands)  # Arrow takes: no Python string objects per row
    table = pa.table(
        {
            "passage_id": with_sig.column("passage_id").take(rows),
            "doc_id": with_sig.column("doc_id").take(rows),
            "band": np.tile(np.arange(params.bands, dtype=np.int16), n),
            "bucket": buckets.reshape(-1).view(np.int64),
        }
    )
    return conform(table, BANDS)


def anchor_rows(passages: pa.Table) -> pa.Table:
    """One row per distinct anchor of each passage (header passages have none: see add_signatures)."""
    ids, docs, keys = [], [], []
    for pid, doc, text, kind in zip(
        passages.column("passage_id").to_pylist(), passages.column("doc_id").to_pylist(),
        passages.column("text").to_pylist(), passages.column("kind").to_pylist(),
    ):
        if kind == "header":
            continue
        for key in sorted(anchor_keys(text)):
            ids.append(pid)
            docs.append(doc)
            keys.append(key)
    return conform(pa.table({"passage_id": ids, "doc_id": docs, "anchor": keys}), ANCHORS)


def _run(con: duckdb.DuckDBPyConnection, query: str) -> list[tuple]:
    return con.execute(query).fetchall()


def _scalar(con: duckdb.DuckDBPyConnection, query: str):
    return _run(con, query)[0][0]


def find_candidates(new_bands: pa.Table, new_anchors: pa.Table, history_bands: pa.Table, history_anchors: pa.Table,
                    params: CandidateParams) -> CandidateResult:
    """Candidate pairs (new passage, new-or-earlier passage) from both channels.

    A pair within the batch appears once, with ``passage_a < passage_b``;
    passages of the same document are never paired.
    """
    con = duckdb.connect()
    try:
        con.register("new_bands", new_bands)
        con.register("new_anchors", new_anchors)
        con.register("history_bands", history_bands)
        con.register("history_anchors", history_anchors)
        # Only history rows in a bucket or anchor of the new batch can pair with it: cut them first.
        _run(con, "create temp table all_bands as select passage_id, doc_id, band, bucket, true as is_new "
                  "from new_bands union all select h.passage_id, h.doc_id, h.band, h.bucket, false "
                  "from history_bands h semi join new_bands n using (band, bucket)")
        _run(con, "create temp table all_anchors as select passage_id, doc_id, anchor, true as is_new "
                  "from new_anchors union all select h.passage_id, h.doc_id, h.anchor, false "
                  "from history_anchors h semi join new_anchors n using (anchor)")
        cap = params.max_bucket_size
        _run(con, f"""
            create temp table keep_buckets as
            select band, bucket from all_bands group by band, bucket
            having count(*) between 2 and {cap} and bool_or(is_new)""")
        skipped_buckets = _scalar(con, f"""
            select count(*) from (select band, bucket from all_bands group by band, bucket
            having count(*) > {cap} and bool_or(is_new))""")
        n_passages = _scalar(con, "select count(distinct passage_id) from (select passage_id from new_anchors "
                                  "union all select passage_id from history_anchors)")
        _run(con, f"""
            create temp table keep_anchors as
            select anchor, ln({max(n_passages, 1)} / count(*)) as idf from all_anchors group by anchor
            having count(*) between 2 and {cap} and bool_or(is_new)""")
        skipped_anchors = _scalar(con, f"""
            select count(*) from (select anchor from all_anchors group by anchor
            having count(*) > {cap} and bool_or(is_new))""")
        pairs = con.sql(f"""
            with b as (select a.* from all_bands a semi join keep_buckets k using (band, bucket)),
            band_pairs as (
                select x.passage_id as passage_a, y.passage_id as passage_b,
                       any_value(x.doc_id) as doc_a, any_value(y.doc_id) as doc_b, count(*) as shared_bands
                from b x join b y on x.band = y.band and x.bucket = y.bucket
                where x.is_new and x.doc_id <> y.doc_id and (not y.is_new or x.passage_id < y.passage_id)
                group by all),
            an as (select a.*, k.idf from all_anchors a join keep_anchors k using (anchor)),
            anchor_pairs as (
                select x.passage_id as passage_a, y.passage_id as passage_b,
                       any_value(x.doc_id) as doc_a, any_value(y.doc_id) as doc_b, count(*) as shared_anchors,
                       sum(x.idf) as anchor_score
                from an x join an y on x.anchor = y.anchor
                where x.is_new and x.doc_id <> y.doc_id and (not y.is_new or x.passage_id < y.passage_id)
                group by all
                having count(*) >= {params.min_shared_anchors})
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
