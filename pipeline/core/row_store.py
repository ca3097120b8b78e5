"""Row stores: a big partition's rows again, in a file that gives any few of them at the cost of
those rows, where Parquet gives them at the cost of the whole file.

A daily batch reads whole documents of earlier batches (align extends copies to their
neighbours; paraphrase reads the documents it verifies): a few thousand documents, spread over
the archive. pyarrow reads Parquet a row group at a time, and the documents wanted touch every
row group of a big partition, so each read decoded every partition holding one of them (texts
and signatures), and a day cost more with every month of history. pyarrow does not use Parquet's
page index to read; DuckDB and Polars, filtering while they read, took as long (bench/results.md).
So a partition of ``STORE_MIN_ROWS`` rows or more of a ``STORED`` table gets a store:

    <out>/index/<table>/<batch>/rows-<n>.arrow   the partition's rows in its order, in Arrow IPC
                                                 record batches of n = STORE_BATCH_ROWS rows,
                                                 uncompressed

A read takes the record batches holding the rows wanted (positional reads of their buffers)
and nothing else. It costs about as much disk as the partition (its signatures do not compress).
A store names the size and modification time of the partition it was made from: one that does
not match (the batch was run again) or does not read is stale, and reads use the partition.
Stores are written and removed by ``pipeline.core.history_index``, with the output lock held.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pyarrow as pa

INDEX_DIR = "index"  # the history index's folder too (pipeline.core.history_index)
STORED = ("passages",)
STORE_MIN_ROWS = 1 << 14
# A few documents' rows (a document is about ten passages in a row): a daily batch wants a few
# percent of an earlier batch's documents, and its read of a 1M-row partition took 7% of the
# record batches (574), where with 1,024 rows a batch it took 43% (423), eight times the bytes.
STORE_BATCH_ROWS = 1 << 7
# Record batches a read gathers before taking its rows from them (a take per batch was half its time).
READ_BATCHES = 64
_SOURCE_KEY = b"newsprov.store_source"
# Every store's file name, whatever its record batches' size: one of another size than
# STORE_BATCH_ROWS (another release's) is stale, and a release that reads it as its own never sees it.
STORE_FILES = "rows*.arrow"


def store_file() -> str:
    """The store's file name, which names its record batches' size."""
    return f"rows-{STORE_BATCH_ROWS}.arrow"


def store_path(partition: Path) -> Path:
    """Where the store of the partition file ``<out>/<table>/<batch>/part-0.parquet`` is."""
    partition = Path(partition)
    batch_dir = partition.parent
    return batch_dir.parent.parent / INDEX_DIR / batch_dir.parent.name / batch_dir.name / store_file()


def source_identity(partition: Path) -> list[int] | None:
    """The partition file's size and modification time, which its store names; None if it is gone."""
    try:
        info = os.stat(partition)
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns]


def store_problem(partition: Path) -> str | None:
    """Why the store of ``partition`` does not hold the partition's rows as they are now (None: it does)."""
    try:
        with pa.OSFile(str(store_path(partition))) as file:
            meta = pa.ipc.open_file(file).schema.metadata or {}
            source = json.loads(meta[_SOURCE_KEY])
    except (OSError, pa.ArrowException, KeyError, ValueError):
        return "it does not read"
    identity = source_identity(partition)
    if identity is None:
        return "its partition is gone"
    if source != identity:
        return "stale (its batch was run again)"
    return None


def fresh_store(partition: Path) -> Path | None:
    """The store of ``partition`` when it holds the partition's rows as they are now, else None."""
    return store_path(partition) if store_problem(partition) is None else None


def write_store(path: Path, rows: pa.Table, partition: Path) -> None:
    """Write ``rows`` (the published ``partition``'s, in its order) as a store at ``path``."""
    schema = rows.schema.with_metadata(
        {**(rows.schema.metadata or {}), _SOURCE_KEY: json.dumps(source_identity(partition)).encode()}
    )
    with pa.OSFile(str(path), "wb") as file, pa.ipc.new_file(file, schema) as writer:
        for start in range(0, rows.num_rows, STORE_BATCH_ROWS):
            # Every record batch but the last of STORE_BATCH_ROWS rows: a row's batch is its
            # position over that, without reading any batch's length.
            piece = rows.slice(start, STORE_BATCH_ROWS).combine_chunks()
            writer.write_batch(pa.RecordBatch.from_arrays([c.chunk(0) for c in piece.columns], schema=schema))


def read_store(store: Path, positions: np.ndarray, columns: list[str]) -> pa.Table:
    """The rows at ``positions`` (sorted) of the store, ``columns`` only, in that order."""
    with pa.OSFile(str(store)) as file:
        reader = pa.ipc.open_file(file)
        schema = pa.schema([reader.schema.field(name) for name in columns])
        batch_of = positions // STORE_BATCH_ROWS
        numbers = np.unique(batch_of)
        pieces = []
        for group in range(0, len(numbers), READ_BATCHES):
            wanted = numbers[group : group + READ_BATCHES]
            batches = [reader.get_batch(int(number)).select(columns) for number in wanted]
            first = np.searchsorted(batch_of, wanted[0])
            end = np.searchsorted(batch_of, wanted[-1], side="right")
            # Each row's place among the batches read: its batch's rank times their size, as every
            # batch but a store's last holds STORE_BATCH_ROWS rows.
            rank = np.searchsorted(wanted, batch_of[first:end])
            at = rank * STORE_BATCH_ROWS + positions[first:end] - batch_of[first:end] * STORE_BATCH_ROWS
            pieces.append(pa.Table.from_batches(batches, schema=schema).take(pa.array(at)))
    return pa.concat_tables(pieces) if pieces else schema.empty_table()
