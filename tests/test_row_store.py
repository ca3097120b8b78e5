"""Row stores (pipeline.core.row_store): reads of a few documents of a big partition give the rows a
read of the whole file gives, through a batch run again, a store cut short and a run over an archive
made before stores; doctor names stale stores."""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core import history_index, row_store, tables

SCHEMA = tables.rows_schema("passages")


def passages(batch: str, docs: list[int], seed: int = 0) -> pa.Table:
    """Passages of documents ``d<n>``, one row per entry (a document's rows together, as a
    partition has them), with texts and signatures of several lengths."""
    rng = np.random.default_rng(seed)
    order = sorted(range(len(docs)), key=lambda i: docs[i])
    doc_ids = [f"d{docs[i]}" for i in order]
    ordinals = [sum(1 for d in doc_ids[:k] if d == doc_ids[k]) for k in range(len(doc_ids))]
    signature = [None if k % 5 == 4 else rng.integers(0, 2**32, 1 + k % 7).tolist() for k in range(len(docs))]
    return tables.conform(
        pa.table(
            {
                "passage_id": [f"{d}:{o:04d}" for d, o in zip(doc_ids, ordinals)],
                "doc_id": doc_ids,
                "batch": [batch] * len(docs),
                "ordinal": pa.array(ordinals, pa.int32()),
                "char_start": pa.array([10 * o for o in ordinals], pa.int32()),
                "char_end": pa.array([10 * o + 9 for o in ordinals], pa.int32()),
                "text": ["é" * (k % 13) + f"text {k} {seed}" for k in range(len(docs))],
                "kind": ["body"] * len(docs),
                "n_tokens": pa.array([k % 11 for k in range(len(docs))], pa.int32()),
                "signature": pa.array(signature, pa.list_(pa.uint32())),
            }
        ),
        SCHEMA,
    )


@pytest.fixture
def small_stores(monkeypatch):
    """Stores for partitions of a few rows, in record batches of a few rows, read a few at a time."""
    monkeypatch.setattr(row_store, "STORE_BATCH_ROWS", 4)
    monkeypatch.setattr(row_store, "READ_BATCHES", 3)
    monkeypatch.setattr(history_index, "STORE_MIN_ROWS", 10)


def publish(out, batch: str, rows: pa.Table) -> str:
    path = tables.write_partition(rows, out, "passages", batch) / tables.PART_FILE
    history_index.store_batch(out, "passages", batch, rows)
    return str(path)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 30), min_size=10, max_size=80),
    st.sets(st.integers(0, 35)),
    st.sampled_from([None, ["passage_id", "doc_id", "text"], ["signature", "doc_id", "char_start"]]),
)
def test_a_read_through_a_store_is_a_read_of_the_whole_file(tmp_path_factory, docs, wanted, columns):
    out = tmp_path_factory.mktemp("store")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(row_store, "STORE_BATCH_ROWS", 4)
        patch.setattr(row_store, "READ_BATCHES", 3)
        patch.setattr(history_index, "STORE_MIN_ROWS", 10)
        path = publish(out, "2025-01-01", passages("2025-01-01", docs))
        assert row_store.fresh_store(path) is not None
        values = tables.string_array({f"d{d}" for d in wanted})
        got = tables.PartitionCache(0).read_rows_in([path], SCHEMA, columns, "doc_id", values)
    whole = pq.read_table(path)
    expected = whole.filter(pc.is_in(whole.column("doc_id"), value_set=values)).select(columns or SCHEMA.names)
    assert got.schema.names == (columns or SCHEMA.names) and got.schema.metadata == SCHEMA.metadata
    assert got.to_pylist() == expected.to_pylist()


def test_a_store_is_read_instead_of_the_partition(tmp_path, small_stores, monkeypatch):
    path = publish(tmp_path, "2025-01-01", passages("2025-01-01", list(range(40))))
    monkeypatch.setattr(tables, "filtered_read", lambda *args: pytest.fail("the partition was filtered"))
    got = tables.PartitionCache(0).read_rows_in([path], SCHEMA, ["passage_id"], "doc_id", pa.array(["d3", "d39"]))
    assert got.column("passage_id").to_pylist() == ["d3:0000", "d39:0000"]


def test_a_batch_run_again_makes_its_store_stale_until_refreshed(tmp_path, small_stores):
    path = publish(tmp_path, "2025-01-01", passages("2025-01-01", list(range(40))))
    again = passages("2025-01-01", list(range(20, 60)), seed=1)
    tables.write_partition(again, tmp_path, "passages", "2025-01-01")  # a run killed before its store
    os.utime(path, ns=(1, 1))
    assert row_store.fresh_store(path) is None
    assert any("passages/2025-01-01: stale" in line for line in history_index.stale_segments(tmp_path))
    values = pa.array(["d25", "d59"])
    read = tables.PartitionCache(0).read_rows_in(
        [path], SCHEMA, ["doc_id", "text"], "doc_id", values
    )  # the partition's
    assert (
        read.to_pylist()
        == again.filter(pc.is_in(again.column("doc_id"), value_set=values)).select(["doc_id", "text"]).to_pylist()
    )
    history_index.refresh_stores(tmp_path, "passages", ["2025-01-01"])
    assert row_store.fresh_store(path) is not None and not history_index.stale_segments(tmp_path)
    assert tables.PartitionCache(0).read_rows_in([path], SCHEMA, ["doc_id", "text"], "doc_id", values) == read


def test_a_store_cut_short_or_left_without_its_partition_is_left_out_and_removed(tmp_path, small_stores):
    path = publish(tmp_path, "2025-01-01", passages("2025-01-01", list(range(40))))
    store = row_store.store_path(path)
    store.write_bytes(store.read_bytes()[:300])
    assert row_store.fresh_store(path) is None
    values = pa.array(["d7"])
    assert tables.PartitionCache(0).read_rows_in([path], SCHEMA, ["doc_id"], "doc_id", values).num_rows == 1
    orphan = row_store.store_path(tables.partition_dir(tmp_path, "passages", "2025-01-09") / tables.PART_FILE)
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(store.read_bytes())
    assert {line.split(":")[0] for line in history_index.stale_segments(tmp_path)} == {
        "index/passages/2025-01-01",
        "index/passages/2025-01-09",
    }
    history_index.drop_unused(tmp_path)  # what doctor --fix does
    assert not history_index.stale_segments(tmp_path) and not store.exists() and not orphan.parent.exists()


def test_an_archive_made_before_stores_gets_them_for_its_big_partitions_only(tmp_path, small_stores):
    big = str(tables.write_partition(passages("2025-01-01", list(range(40))), tmp_path, "passages", "2025-01-01"))
    small = str(tables.write_partition(passages("2025-01-02", list(range(5))), tmp_path, "passages", "2025-01-02"))
    history_index.refresh_stores(tmp_path, "passages", ["2025-01-01", "2025-01-02"])
    assert row_store.fresh_store(f"{big}/{tables.PART_FILE}") is not None
    assert not row_store.store_path(f"{small}/{tables.PART_FILE}").exists()


def test_a_store_in_record_batches_of_another_size_is_stale_until_refreshed(tmp_path, small_stores, monkeypatch):
    rows = passages("2025-01-01", list(range(40)))
    path = publish(tmp_path, "2025-01-01", rows)
    monkeypatch.setattr(row_store, "STORE_BATCH_ROWS", 8)  # a newer release's layout
    assert row_store.fresh_store(path) is None
    assert history_index.stale_segments(tmp_path) == [
        "index/passages/2025-01-01: written in record batches of another size (another release)"
    ]
    values = pa.array(["d3", "d21", "d39"])
    expected = rows.filter(pc.is_in(rows.column("doc_id"), value_set=values)).select(["doc_id", "text"])
    assert tables.PartitionCache(0).read_rows_in([path], SCHEMA, ["doc_id", "text"], "doc_id", values) == expected
    history_index.refresh_stores(tmp_path, "passages", ["2025-01-01"])
    assert row_store.fresh_store(path) is not None and not history_index.stale_segments(tmp_path)
    monkeypatch.setattr(tables, "filtered_read", lambda *args: pytest.fail("the partition was filtered"))
    assert tables.PartitionCache(0).read_rows_in([path], SCHEMA, ["doc_id", "text"], "doc_id", values) == expected
