"""The LSH channel's vectorised grouping equals a plain reading of its definition, and both
channels equal the join's SQL (``join_statements``, which Spark runs) run in DuckDB."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.errors import SchemaError
from pipeline.core.ids import passage_id
from pipeline.core.schema import ANCHORS, CANDIDATES
from pipeline.core.tables import conform, empty
from pipeline.lsh import pairs
from pipeline.stages import candidates
from pipeline.stages.candidates import CandidateParams, band_rows, find_candidates, join_statements

PARAMS = CandidateParams(bands=4, rows=2, max_bucket_size=4)


def passages_table(signatures: list[list[int] | None], doc_of: list[int], prefix: str) -> pa.Table:
    docs = [f"{prefix}{d:03d}" for d in doc_of]
    ids = [passage_id(doc, i) for i, doc in enumerate(docs)]
    return pa.table({"passage_id": ids, "doc_id": docs, "signature": pa.array(signatures, type=pa.list_(pa.uint32()))})


def definition_pairs(new: pa.Table, history: pa.Table, key, cap: int) -> tuple[list[tuple[str, str, int]], int]:
    """(passage_a, passage_b, holders of the key) for every key both share, by the definition: keys
    held by 2..cap rows with a new one, different documents, new passage first (the smaller id
    when both are new); and how many keys were over the cap."""
    holders = defaultdict(list)
    for is_new, table in ((True, new), (False, history)):
        for row in table.to_pylist():
            holders[key(row)].append((row["passage_id"], row["doc_id"], is_new))
    pairs, skipped = [], 0
    for members in holders.values():
        if not any(m[2] for m in members) or len(members) < 2:
            continue
        if len(members) > cap:
            skipped += 1
            continue
        pairs += [
            (x[0], y[0], len(members))
            for x in members
            for y in members
            if x[2] and x[1] != y[1] and (not y[2] or x[0] < y[0])
        ]
    return pairs, skipped


def reference_pairs(new: pa.Table, history: pa.Table, params: CandidateParams) -> tuple[dict, int]:
    """LSH pairs: the number of bands whose buckets agree."""
    pairs, skipped = definition_pairs(new, history, lambda row: (row["band"], row["bucket"]), params.max_bucket_size)
    return dict(Counter((a, b) for a, b, _ in pairs)), skipped


signature = st.lists(st.integers(0, 3), min_size=8, max_size=8)  # few values: many shared buckets


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(signature, st.integers(0, 5)), max_size=14),
    st.lists(st.tuples(signature, st.integers(0, 5)), max_size=10),
)
def test_band_pairs_equal_the_definition(new_rows, history_rows):
    new = band_rows(passages_table([s for s, _ in new_rows], [d for _, d in new_rows], "n"), PARAMS)
    history = band_rows(passages_table([s for s, _ in history_rows], [d for _, d in history_rows], "h"), PARAMS)
    result = find_candidates(new, empty("anchors"), history, empty("anchors"), PARAMS)
    expected, skipped = reference_pairs(new, history, PARAMS)
    found = {(r["passage_a"], r["passage_b"]): r["shared_bands"] for r in result.candidates.to_pylist()}
    assert found == expected
    assert result.skipped_buckets == skipped
    assert [(r["passage_a"], r["passage_b"]) for r in result.candidates.to_pylist()] == sorted(found)


def test_prefiltering_unique_buckets_keeps_the_same_pairs(monkeypatch):
    rng = np.random.default_rng(3)
    n = 20_000
    signatures = rng.integers(0, 2**32, size=(n, 8), dtype=np.uint64).astype(np.uint32)
    copies = rng.choice(n, size=200, replace=False)
    signatures[copies[100:], :2] = signatures[copies[:100], :2]  # band 0 shared by 100 pairs
    params = CandidateParams(bands=4, rows=2)
    bands = band_rows(passages_table(signatures.tolist(), list(range(n)), "d"), params)
    monkeypatch.setattr(pairs, "_PREFILTER_ROWS", 0)  # a counting pass drops unique buckets first
    prefiltered = find_candidates(bands, empty("anchors"), empty("bands"), empty("anchors"), params)
    monkeypatch.setattr(pairs, "_PREFILTER_ROWS", 1 << 30)
    sorted_outright = find_candidates(bands, empty("anchors"), empty("bands"), empty("anchors"), params)
    assert prefiltered.candidates.equals(sorted_outright.candidates)
    assert prefiltered.candidates.num_rows >= 100


@pytest.mark.parametrize("threads", [1, 3, 5])
def test_bands_split_between_threads_give_the_same_pairs(monkeypatch, threads):
    rng = np.random.default_rng(5)
    signatures = rng.integers(0, 7, size=(400, 8), dtype=np.uint32)  # few values: crowded buckets, some over the cap
    params = CandidateParams(bands=4, rows=2, max_bucket_size=12)
    new = band_rows(passages_table(signatures[:300].tolist(), list(range(300)), "n"), params)
    history = band_rows(passages_table(signatures[300:].tolist(), list(range(100)), "h"), params)
    monkeypatch.setattr(pairs, "thread_budget", lambda: 2)
    reference = pairs.lsh_pair_codes(new, history, params.lsh)
    monkeypatch.setattr(pairs, "thread_budget", lambda: threads)
    split = pairs.lsh_pair_codes(new, history, params.lsh)
    assert reference.skipped > 0 and len(reference.capped) and len(reference.a)
    for field in ("a", "b", "shared", "capped"):
        assert np.array_equal(getattr(split, field), getattr(reference, field)), field
    assert split.skipped == reference.skipped


def test_passages_without_signature_get_no_band_rows():
    table = passages_table([[1] * 8, None, [2] * 8], [0, 1, 2], "d")
    bands = band_rows(table, PARAMS)
    assert sorted(set(bands.column("passage_id").to_pylist())) == ["d000:0000", "d002:0002"]
    assert bands.num_rows == 2 * PARAMS.bands


def test_signatures_of_different_lengths_are_a_schema_error():
    with pytest.raises(SchemaError, match="different lengths"):
        band_rows(passages_table([[1] * 8, [1] * 9], [0, 1], "d"), PARAMS)


def anchors_table(rows: list[tuple[int, list[str]]], prefix: str) -> pa.Table:
    """(document number, anchors) per passage -> the anchors table."""
    ids, docs, keys = [], [], []
    for i, (doc, anchors) in enumerate(rows):
        for key in sorted(set(anchors)):
            ids.append(passage_id(f"{prefix}{doc:03d}", i))
            docs.append(f"{prefix}{doc:03d}")
            keys.append(key)
    return conform(
        pa.table(
            {
                "passage_id": pa.array(ids, pa.string()),
                "doc_id": pa.array(docs, pa.string()),
                "anchor": pa.array(keys, pa.string()),
            }
        ),
        ANCHORS,
    )


def reference_anchor_pairs(new: pa.Table, history: pa.Table, params: CandidateParams) -> tuple[dict, int]:
    """Anchor pairs: at least min_shared_anchors shared; score = sum of ln(N / holders) over them."""
    n = len(set(new.column("passage_id").to_pylist()) | set(history.column("passage_id").to_pylist()))
    pairs, skipped = definition_pairs(new, history, lambda row: row["anchor"], params.max_bucket_size)
    scores = defaultdict(list)
    for a, b, holders in pairs:
        scores[(a, b)].append(math.log(max(n, 1) / holders))
    return {k: (len(v), sum(v)) for k, v in scores.items() if len(v) >= params.min_shared_anchors}, skipped


anchor_rows_st = st.lists(st.tuples(st.integers(0, 4), st.lists(st.sampled_from("abcdefg"), max_size=5)), max_size=12)


@settings(max_examples=150, deadline=None)
@given(anchor_rows_st, anchor_rows_st, st.integers(2, 5), st.integers(1, 3))
def test_anchor_pairs_equal_the_definition(new_rows, history_rows, cap, min_shared):
    params = CandidateParams(max_bucket_size=cap, min_shared_anchors=min_shared)
    new, history = anchors_table(new_rows, "n"), anchors_table(history_rows, "h")
    result = find_candidates(empty("bands"), new, empty("bands"), history, params)
    expected, skipped = reference_anchor_pairs(new, history, params)
    found = {
        (r["passage_a"], r["passage_b"]): (r["shared_anchors"], r["anchor_score"])
        for r in result.candidates.to_pylist()
    }
    assert found.keys() == expected.keys()
    for pair, (count, score) in found.items():
        assert count == expected[pair][0]
        assert score == pytest.approx(expected[pair][1], rel=1e-6, abs=1e-6)
    assert result.skipped_anchors == skipped
    assert all(r["method"] == "anchors" for r in result.candidates.to_pylist())


@settings(max_examples=100, deadline=None)
@given(anchor_rows_st, anchor_rows_st, st.integers(2, 5), st.integers(1, 3), st.integers(1, 6), st.integers(1, 3))
def test_anchor_pairs_expanded_in_small_chunks_are_the_same(
    new_rows, history_rows, cap, min_shared, chunk_rows, threads
):
    # Chunks end only between new passages, so a pair's shared anchors are all counted in one chunk,
    # whichever thread expands it.
    params = CandidateParams(max_bucket_size=cap, min_shared_anchors=min_shared)
    new, history = anchors_table(new_rows, "n"), anchors_table(history_rows, "h")
    whole = find_candidates(empty("bands"), new, empty("bands"), history, params).candidates
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(candidates, "_ANCHOR_CHUNK_ROWS", chunk_rows)
        patch.setattr(candidates, "thread_budget", lambda: threads)
        chunked = find_candidates(empty("bands"), new, empty("bands"), history, params).candidates
    assert chunked.equals(whole)


def sql_join(
    new_bands: pa.Table,
    new_anchors: pa.Table,
    history_bands: pa.Table,
    history_anchors: pa.Table,
    params: CandidateParams,
) -> tuple[pa.Table, tuple[int, int]]:
    """The candidates and skipped counts of ``join_statements`` run in DuckDB, statement by statement."""
    con = duckdb.connect()
    for name, table in (
        ("new_bands", new_bands),
        ("new_anchors", new_anchors),
        ("history_bands", history_bands),
        ("history_anchors", history_anchors),
    ):
        # Ids as strings, as Spark reads them: DuckDB would compare dictionary columns by code.
        con.register(
            name,
            table.cast(
                pa.schema(
                    [pa.field(f.name, f.type.value_type) if pa.types.is_dictionary(f.type) else f for f in table.schema]
                )
            ),
        )
    for name, statement in join_statements(params).items():
        con.execute(f"create temp view {name} as {statement}")
    skipped = con.sql("select buckets, anchors from skipped").fetchall()[0]
    found = con.sql("select * from candidates order by passage_a, passage_b").to_arrow_table()
    return conform(found, CANDIDATES), skipped


passage_rows_st = st.lists(
    st.tuples(signature, st.integers(0, 4), st.lists(st.sampled_from("abcdef"), max_size=4)), max_size=10
)


@settings(max_examples=150, deadline=None)
@given(passage_rows_st, passage_rows_st, st.integers(2, 5), st.integers(1, 3))
def test_both_channels_follow_the_join_statements(new_rows, history_rows, cap, min_shared):
    params = CandidateParams(bands=4, rows=2, max_bucket_size=cap, min_shared_anchors=min_shared)

    def inputs(rows, prefix):
        docs = [d for _, d, _ in rows]
        return (
            band_rows(passages_table([s for s, _, _ in rows], docs, prefix), params),
            anchors_table([(d, a) for _, d, a in rows], prefix),
        )

    (new_bands, new_anchors), (history_bands, history_anchors) = inputs(new_rows, "n"), inputs(history_rows, "h")
    result = find_candidates(new_bands, new_anchors, history_bands, history_anchors, params)
    expected, skipped = sql_join(new_bands, new_anchors, history_bands, history_anchors, params)
    assert (result.skipped_buckets, result.skipped_anchors) == skipped
    found = result.candidates
    assert found.drop_columns(["anchor_score"]).equals(expected.drop_columns(["anchor_score"]))
    assert np.allclose(found.column("anchor_score").to_numpy(), expected.column("anchor_score").to_numpy(), rtol=1e-6)
