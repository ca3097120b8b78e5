"""The history index (pipeline.core.history_index) finds the same earlier band rows as a read of every
partition, through compaction, a batch run again and ids it cannot spell."""

from __future__ import annotations

import os
from dataclasses import replace

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from pipeline.core import history_index, tables
from pipeline.core.ids import PASSAGE_ID_SQL, join_ids, passage_id, sentence_id, split_ids
from pipeline.lsh import pairs
from pipeline.lsh.bands import LshParams, band_table
from pipeline.stages.paraphrase import ParaphraseParams, candidate_documents

BATCHES = ["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-05"]


def band_partition(rng: np.random.Generator, batch: str, n: int, sentences: bool = False) -> pa.Table:
    """``n`` passages (or sentences) of 4 bands, buckets drawn from few values so that many rows
    share them, and one bucket held by a hundred rows (a bucket running over many blocks)."""
    docs = [f"{batch}-d{i // 3}" for i in range(n)]
    ids = [passage_id(d, i % 3) for i, d in enumerate(docs)]
    if sentences:
        ids = [sentence_id(p, 10 * i) for i, p in enumerate(ids)]
    buckets = rng.integers(-40, 40, (n, 4)).astype(np.int64)
    buckets[: min(n, 100), 2] = 7
    return band_table(pa.array(ids), pa.array(docs), buckets)


def expected_rows(out, table: str, batches: list[str], new: pa.Table) -> set[tuple]:
    rows = tables.read_batches(out, table, batches)
    wanted = {(b, k) for b, k in zip(new.column("band").to_pylist(), new.column("bucket").to_pylist())}
    return {r for r in _rows(rows) if (r[2], r[3]) in wanted}


def _rows(table: pa.Table) -> set[tuple]:
    columns = [
        table.column(n).cast(pa.string()) if n in ("passage_id", "doc_id") else table.column(n)
        for n in ("passage_id", "doc_id", "band", "bucket")
    ]
    return set(zip(*(c.to_pylist() for c in columns)))


@pytest.fixture
def archive(tmp_path, monkeypatch):
    monkeypatch.setattr(history_index, "FENCE", 4)  # many blocks, so lookups cross their edges
    rng = np.random.default_rng(3)
    for i, batch in enumerate(BATCHES):
        for table, sentences in (("bands", False), ("sentence_bands", True)):
            rows = band_partition(rng, batch, 50 + 60 * i, sentences)
            tables.write_partition(rows, tmp_path, table, batch)
            history_index.index_batch(tmp_path, table, batch, rows)
    new = band_partition(rng, "2025-01-09", 40)
    return tmp_path, new


@pytest.mark.parametrize("table", history_index.INDEXED)
def test_lookups_find_the_rows_of_a_read_of_every_partition(archive, table):
    out, new = archive
    got = history_index.history_rows(out, table, BATCHES, new)
    assert got.schema.equals(tables.rows_schema(table))
    assert _rows(got) == expected_rows(out, table, BATCHES, new)
    assert len(_rows(got)) == got.num_rows  # no row twice
    # The batches asked for, not those of a segment beyond them.
    assert _rows(history_index.history_rows(out, table, BATCHES[:2], new)) == expected_rows(
        out, table, BATCHES[:2], new
    )


def test_compaction_merges_segments_and_finds_the_same_rows(archive):
    out, new = archive
    before = len(history_index.segments(out, "bands")[0])
    history_index.refresh(out, "bands", BATCHES)
    valid, stale = history_index.segments(out, "bands")
    assert before == 4 and len(valid) < before and not stale
    assert sorted(b for s in valid for b in s.batches) == BATCHES
    assert _rows(history_index.history_rows(out, "bands", BATCHES, new)) == expected_rows(out, "bands", BATCHES, new)


def test_a_batch_run_again_makes_its_segment_stale_until_refreshed(archive):
    out, new = archive
    history_index.refresh(out, "bands", BATCHES)
    again = band_partition(np.random.default_rng(9), BATCHES[1], 30)
    tables.write_partition(again, out, "bands", BATCHES[1])
    os.utime(tables.partition_dir(out, "bands", BATCHES[1]) / tables.PART_FILE, ns=(1, 1))
    assert history_index.stale_segments(out)  # what doctor names
    assert _rows(history_index.history_rows(out, "bands", BATCHES, new)) == expected_rows(out, "bands", BATCHES, new)
    history_index.refresh(out, "bands", BATCHES)
    assert not history_index.stale_segments(out)
    assert _rows(history_index.history_rows(out, "bands", BATCHES, new)) == expected_rows(out, "bands", BATCHES, new)


def test_a_segment_cut_short_is_left_out_and_rebuilt(archive):
    out, new = archive
    keys = next((out / "index" / "bands").glob("2025-01-02_*")) / history_index.KEYS
    keys.write_bytes(keys.read_bytes()[:100])
    assert any("unreadable" in line for line in history_index.stale_segments(out))
    assert _rows(history_index.history_rows(out, "bands", BATCHES, new)) == expected_rows(out, "bands", BATCHES, new)
    history_index.refresh(out, "bands", BATCHES)
    assert not history_index.stale_segments(out)


def test_spark_and_duckdb_read_the_index_as_parquet(archive):
    out, _ = archive
    segment = history_index.segments(out, "bands")[0][0]
    assert pq.read_metadata(segment.folder / history_index.KEYS).num_rows == segment.rows
    with duckdb.connect() as con:
        spelled = con.execute(
            f"select {PASSAGE_ID_SQL.format(doc='d.doc_id', ordinal='k.ordinal', start='k.start')} "
            f"from '{segment.folder / history_index.KEYS}' k "
            f"join '{segment.folder / history_index.DOCS}' d on d.doc = k.doc"
        ).fetchall()
    assert {s for (s,) in spelled} == {
        p for p, _, _, _ in _rows(tables.read_partition(out, "bands", segment.batches[0]))
    }


def test_ids_it_cannot_spell_back_are_not_indexed(tmp_path):
    rows = band_table(pa.array(["a:007", "b:0001"]), pa.array(["a", "b"]), np.ones((2, 4), np.int64))
    tables.write_partition(rows, tmp_path, "bands", BATCHES[0])
    assert history_index.index_batch(tmp_path, "bands", BATCHES[0], rows) is None
    assert history_index.history_rows(tmp_path, "bands", BATCHES[:1], rows).num_rows == 8  # read from the partition


@hypothesis_settings(deadline=None, max_examples=50)  # a DuckDB connection per example
@given(
    st.lists(
        st.tuples(st.text(min_size=0, max_size=8), st.integers(0, 2**31 - 1), st.integers(-1, 2**31 - 1)),
        max_size=20,
    )
)
def test_ids_split_and_spell_back(parts):
    ids = pa.array([passage_id(d, o) if s < 0 else sentence_id(passage_id(d, o), s) for d, o, s in parts], pa.string())
    split = split_ids(ids)
    assert split is not None
    assert join_ids(*split).equals(ids)
    with duckdb.connect() as con:
        docs, doc, ordinal, start = split
        table = pa.table({"doc_id": docs.take(pa.array(doc)), "ordinal": ordinal, "start": start})
        con.register("t", table)
        spelled = [
            s
            for (s,) in con.execute(
                f"select {PASSAGE_ID_SQL.format(doc='doc_id', ordinal='ordinal', start='start')} from t"
            ).fetchall()
        ]
    assert spelled == ids.to_pylist()


def _pairs(codes: pairs.PairCodes) -> set[tuple[str, str, int]]:
    ids = codes.passage_ids.cast(pa.string())
    return set(zip(ids.take(pa.array(codes.a)).to_pylist(), ids.take(pa.array(codes.b)).to_pylist(), codes.shared))


def stock_partition(rng: np.random.Generator, batch: str, n: int) -> pa.Table:
    """``n`` sentences of 4 bands, a third of whose buckets are one of four stock values."""
    docs = [f"{batch}-d{i // 3}" for i in range(n)]
    ids = [sentence_id(passage_id(d, i % 3), 10 * i) for i, d in enumerate(docs)]
    buckets = np.where(rng.random((n, 4)) < 0.3, rng.integers(0, 4, (n, 4)), rng.integers(-200, 200, (n, 4)))
    return band_table(pa.array(ids), pa.array(docs), buckets.astype(np.int64))


@pytest.mark.parametrize("cap", [3, 6, 15, 10_000])
def test_a_capped_lookup_pairs_as_the_whole_lookup_does(tmp_path, monkeypatch, cap):
    """Leaving out the history rows of buckets over the cap changes no pair, no count of skipped
    buckets, no stock sentence that pairs and no candidate; one batch is read from its partition."""
    monkeypatch.setattr(history_index, "FENCE", 4)
    rng = np.random.default_rng(3)
    for i, batch in enumerate(BATCHES):
        rows = stock_partition(rng, batch, 50 + 60 * i)
        tables.write_partition(rows, tmp_path, "sentence_bands", batch)
        if i != 2:
            history_index.index_batch(tmp_path, "sentence_bands", batch, rows)
    new = stock_partition(rng, "2025-01-09", 90)
    lsh = LshParams(4, 1, cap)
    whole = history_index.history_rows(tmp_path, "sentence_bands", BATCHES, new)
    lookup = history_index.history_lookup(tmp_path, "sentence_bands", BATCHES, new, cap=cap)
    expected = pairs.lsh_pair_codes(new, whole, lsh)
    got = pairs.lsh_pair_codes(new, lookup.rows, lsh, lookup.over, lookup.stock)
    assert _pairs(got) == _pairs(expected) and got.skipped == expected.skipped
    # Stock: the same new sentences, and the same earlier ones among those that pair.
    capped = [set(c.passage_ids.cast(pa.string()).take(pa.array(c.capped)).to_pylist()) for c in (got, expected)]
    paired = {p for a, b, _ in _pairs(got) for p in (a, b)} | set(new.column("passage_id").to_pylist())
    assert capped[0] <= capped[1] and capped[0] & paired == capped[1] & paired
    params = replace(ParaphraseParams(), stock_documents=cap, min_candidate_sentences=1)
    candidates = candidate_documents(new, lookup.rows, params, lookup.over, lookup.stock)
    assert candidates == candidate_documents(new, whole, params) and candidates.doc_pairs
    if cap < 10:  # the case it is for: most rows left out, and earlier sentences in both kinds of bucket
        assert lookup.rows.num_rows < whole.num_rows / 2 and lookup.over and lookup.stock.any()
    if cap == 10_000:
        assert not lookup.over and _rows(lookup.rows) == _rows(whole)


@hypothesis_settings(deadline=None, max_examples=60)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(-1, 2), st.booleans()), min_size=1))
def test_the_kept_rows_ids_are_encoded_as_dictionary_encode_does(rows):
    docs = pa.array(["a", "b", "c", "d"])
    doc, ordinal, start, keep = (np.array(column) for column in zip(*rows))
    doc, ordinal, start = doc.astype(np.int32), ordinal.astype(np.int32), start.astype(np.int32)
    found = history_index._Found(None, doc, doc, doc, ordinal, start, doc, {})
    ids, outside = history_index._kept_ids(docs, found, keep)
    expected = join_ids(docs, doc[keep], ordinal[keep], start[keep]).dictionary_encode()
    assert ids.dictionary.equals(expected.dictionary) and ids.indices.equals(expected.indices.cast(pa.int32()))
    everywhere = join_ids(docs, doc, ordinal, start).to_pylist()
    left_out = {i for i, k in zip(everywhere, keep) if not k}
    assert outside.tolist() == [i in left_out for i in expected.to_pylist()]
