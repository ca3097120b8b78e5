"""Reading and writing the Parquet tables, atomically.

Layout under an output folder::

    <out>/<table>/<YYYY-MM-DD>/part-0.parquet   # batched tables; each file holds ``batch`` too
    <out>/runs/<YYYY-MM-DD>/<Stage>/part-0.parquet   # one partition per stage run
    <out>/outlets/gazetteer/part-0.parquet      # the gazetteer
    <out>/.staging/                             # in-flight writes, never globbed

Partition folders are named by the bare value, not ``batch=<date>`` (or ``stage=<Stage>``): a
hive-style name made DuckDB, Polars and Spark add a column of their own (a date, a string or a
dictionary) beside the one in the files, and pandas refuse the two. Every reader now sees one
``batch``, the files' string column (``newsprov upgrade`` renames an older output's folders).

A partition is written into ``.staging`` and renamed into place in one
``os.rename``: readers (pyarrow.dataset, DuckDB globs) see the whole partition
or nothing, and a crashed run leaves only a ``.staging`` entry, which the next
write never reads.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
import uuid
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.core import row_store
from pipeline.core.errors import OutputError, SchemaError
from pipeline.core.ids import batch_date
from pipeline.core.schema import ROWS_WITHOUT_BATCH, SCHEMA_KEY, TABLES

STAGING = ".staging"
UNBATCHED_DIR = "gazetteer"  # the folder of a table that is not partitioned by batch (outlets)
OLD_BATCH_PREFIX = "batch="  # partition folders before the bare date (newsprov upgrade renames them)
REPORTS = "reports"  # <out>/reports/<date>/report.html: pipeline.report.pages
PART_FILE = "part-0.parquet"
UNPUBLISHED_FILE = ".part-0.parquet.partial"


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Return ``table`` with exactly ``schema``'s columns, order, types and metadata.

    Raises SchemaError naming the columns that are missing, unexpected, null
    where the contract forbids it, or of a type that cannot be cast safely.
    """
    name = schema.metadata[SCHEMA_KEY].decode()
    missing = [f.name for f in schema if f.name not in table.column_names]
    extra = [c for c in table.column_names if c not in schema.names]
    if missing or extra:
        raise SchemaError(f"{name}: missing columns {missing}, unexpected columns {extra}")
    columns = []
    for field in schema:
        column = table.column(field.name)
        if not field.nullable and column.null_count:
            raise SchemaError(f"{name}: column {field.name!r} has {column.null_count} nulls")
        try:
            columns.append(column.cast(field.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise SchemaError(f"{name}: column {field.name!r} cannot be {field.type}: {exc}") from exc
    return pa.Table.from_arrays(columns, schema=schema)


def empty(table_name: str) -> pa.Table:
    """A table of no rows with the contract schema of ``table_name``."""
    return rows_schema(table_name).empty_table()


def rows_schema(table_name: str) -> pa.Schema:
    """The schema of ``table_name``'s rows as the stages make them and the pipeline reads them:
    the file's, less the ``batch`` that write_partition adds to some tables (ROWS_WITHOUT_BATCH)."""
    return ROWS_WITHOUT_BATCH.get(table_name, TABLES[table_name])


def partition_dir(out_dir: Path, table_name: str, batch: str | None, stage: str | None = None) -> Path:
    """Where a table's batch partition (or the unbatched table) lives; ``stage`` names a partition
    of the batch's partition (the runs table: each stage publishes its own row)."""
    base = Path(out_dir) / table_name / (UNBATCHED_DIR if batch is None else batch)
    return base if stage is None else base / stage


def write_partition(
    table: pa.Table,
    out_dir: Path,
    table_name: str,
    batch: str | None,
    stage: str | None = None,
    notes: dict[str, str] | None = None,
) -> Path:
    """Check ``table`` against its schema and publish it atomically; return the folder.

    ``notes``: key-value pairs for the file's metadata, beside the schema's (``partition_notes``
    reads them): facts of how the partition was made that travel with it, such as the candidate
    join's skipped buckets when it ran in a Spark driver.

    The file is written as a hidden, non-``.parquet`` name (``.part-0.parquet.partial``)
    in ``<out>/.staging``, its folder renamed into place, and the file renamed to
    ``part-0.parquet`` last: neither pyarrow.dataset (which skips hidden names) nor a
    DuckDB glob over the whole output (which does not) ever sees a file that is not
    published, whenever the process is killed. An existing partition is replaced whole.
    """
    table = conform(table, rows_schema(table_name))
    final = partition_dir(out_dir, table_name, batch, stage)
    staging_root = Path(out_dir) / STAGING
    refuse_links(staging_root, Path(out_dir) / table_name, *([final.parent] if stage else []), final)
    try:
        staging_root.mkdir(parents=True, exist_ok=True)
        final.parent.mkdir(parents=True, exist_ok=True)
        staged = staging_root / f"{table_name}-{batch or 'all'}-{uuid.uuid4().hex}"
        staged.mkdir()
        schema = TABLES[table_name]
        if notes:
            schema = schema.with_metadata({**schema.metadata, **{k.encode(): v.encode() for k, v in notes.items()}})
            table = table.replace_schema_metadata(schema.metadata)
        _write_file(_compact_dictionaries(table), staged / UNPUBLISHED_FILE, schema, batch)
        if final.exists():
            if (final / PART_FILE).exists():
                os.rename(final / PART_FILE, final / UNPUBLISHED_FILE)
            retired = staging_root / f"retired-{uuid.uuid4().hex}"
            os.rename(final, retired)
            os.rename(staged, final)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.rename(staged, final)
        os.rename(final / UNPUBLISHED_FILE, final / PART_FILE)
    except OSError as exc:
        # pyarrow's own OSError has the errno and a long strerror ("Error writing bytes to file. Detail: ...").
        cause = os.strerror(exc.errno) if exc.errno else (exc.strerror or exc)
        raise OutputError(f"cannot write {final}: {cause}") from exc
    return final


def partition_notes(out_dir: Path, table_name: str, batch: str | None) -> dict[str, str]:
    """The ``notes`` a published partition was written with (write_partition); empty when none."""
    metadata = pq.read_schema(partition_dir(out_dir, table_name, batch) / PART_FILE).metadata or {}
    return {k.decode(): v.decode() for k, v in metadata.items() if k not in (SCHEMA_KEY, b"ARROW:schema")}


def _write_file(table: pa.Table, path: Path, schema: pa.Schema, batch: str | None) -> None:
    """Write ``table`` as a Parquet file of ``schema``: when the rows lack the schema's ``batch``
    (ROWS_WITHOUT_BATCH), it is added, one row group at a time (a bands column of 32M strings
    would cost 450 MB)."""
    if schema.names == table.schema.names:
        pq.write_table(
            table, path, compression="zstd", row_group_size=ROW_GROUP_ROWS, use_dictionary=_dictionary_columns(schema)
        )
        return
    with pq.ParquetWriter(path, schema, compression="zstd", use_dictionary=_dictionary_columns(schema)) as writer:
        for start in range(0, max(table.num_rows, 1), ROW_GROUP_ROWS):
            part = table.slice(start, ROW_GROUP_ROWS)
            writer.write_table(
                pa.Table.from_arrays([*part.columns, pa.array([batch] * part.num_rows, pa.string())], schema=schema),
                row_group_size=ROW_GROUP_ROWS,
            )


def refuse_links(*paths: Path) -> None:
    """Raise OutputError naming the first of ``paths`` that is a symbolic link: a link planted in
    the output (a table folder, ``.staging``, a batch folder) would have partitions written, and
    replaced ones removed, wherever it points."""
    for path in paths:
        if os.path.islink(path):
            raise OutputError(
                f"{path} is a symbolic link; newsprov writes only real folders under --out: "
                "remove the link (and move what it points to into place, if it is yours)"
            )


# Rows per Parquet row group. With pyarrow's default (1M rows) a bulk load's passages were one row
# group of a GB, decoded on one thread and held whole to read a few documents' rows; smaller groups
# are decoded on every core, one at a time.
ROW_GROUP_ROWS = 1 << 17


def _dictionary_columns(schema: pa.Schema) -> list[str]:
    """Columns written with Parquet dictionary pages: text ones (ids, kinds, Arrow dictionaries).

    Numbers here are hash keys, offsets and scores that seldom repeat: the writer built a
    dictionary for each of their row groups only to fall back to plain pages, slower and larger.
    """
    return [
        field.name
        for field in schema
        if pa.types.is_dictionary(field.type) or pa.types.is_string(field.type) or pa.types.is_large_string(field.type)
    ]


def _compact_dictionaries(table: pa.Table) -> pa.Table:
    """``table`` with each dictionary column cut into row-group chunks that hold only their own values.

    Parquet writes an Arrow dictionary column's whole dictionary into every row group: a bulk
    load's bands carried every passage id once per row group, and each group read back the whole
    dictionary. The values are unchanged.
    """
    dictionary_columns = [
        i
        for i, field in enumerate(table.schema)
        if pa.types.is_dictionary(field.type) and not table.column(i).null_count
    ]
    if not dictionary_columns or table.num_rows <= ROW_GROUP_ROWS:
        return table
    for i in dictionary_columns:
        column = table.column(i).combine_chunks()
        chunks = []
        for start in range(0, len(column), ROW_GROUP_ROWS):
            chunk = column.slice(start, ROW_GROUP_ROWS)
            used, codes = np.unique(chunk.indices.to_numpy(zero_copy_only=False), return_inverse=True)
            chunks.append(
                pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), chunk.dictionary.take(pa.array(used)))
            )
        table = table.set_column(i, table.schema.field(i), pa.chunked_array(chunks, type=column.type))
    return table


# The fewest partitions the cache can hold at once (see PartitionCache._too_big).
KEPT_PARTITIONS = 8


_MISSING = object()


class _Kept:
    """Values (tuples of arrays, or None) kept by key within a byte budget, the least recently used
    dropped first; with ``keep_newest``, the newest stays even when it alone is over the budget."""

    def __init__(self, budget_bytes: int, keep_newest: bool) -> None:
        self._budget, self._keep_newest = budget_bytes, keep_newest
        self._values: OrderedDict = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @staticmethod
    def _size(value) -> int:
        return 0 if value is None else sum(array.nbytes for array in value)

    def get(self, key):
        """The value kept for ``key`` (now the most recently used), or ``_MISSING``."""
        with self._lock:
            if key not in self._values:
                return _MISSING
            self._values.move_to_end(key)
            return self._values[key]

    def put(self, key, value):
        """Keep ``value`` for ``key`` and return it; the value kept already when another thread
        put one meanwhile."""
        with self._lock:
            if key in self._values:
                return self._values[key]
            self._values[key] = value
            self._bytes += self._size(value)
            while self._bytes > self._budget and len(self._values) > self._keep_newest:
                _, dropped = self._values.popitem(last=False)
                self._bytes -= self._size(dropped)
            return value


class PartitionCache:
    """Columns of published partitions read once per process, least recently used dropped past a
    byte budget.

    A published partition never changes in place (write_partition renames a new folder over
    it), so (path, mtime, size) identifies its content. A run over many batches reads each
    earlier batch's tables again and again: this keeps that from reading the files each time,
    and keeps each partition's set of doc_ids so a read for some documents skips the
    partitions that hold none of them. Columns are kept one by one, as they are asked for: a
    daily run that wants a few documents' texts from each earlier batch read every column of
    the batches' passages (their signatures are two thirds of them), and its peak memory grew
    with the history it touched.
    """

    def __init__(self, budget_bytes: int) -> None:
        self.budget_bytes = budget_bytes
        self._columns: OrderedDict[tuple[str, int, int, str], pa.ChunkedArray] = OrderedDict()
        self._doc_ids: dict[tuple[str, int, int], np.ndarray] = {}
        self._sizes: dict[tuple[str, int, int], int] = {}  # uncompressed bytes, from the footer
        self._distinct: dict[tuple[str, int, int, str], int] = {}
        # The indexes share the byte budget's size, least recently used dropped: a backfill of
        # years of daily batches in one process would otherwise keep one per partition.
        self._sorted = _Kept(budget_bytes, keep_newest=False)
        # An encoded column over the budget is kept all the same: its partition's next read wants it.
        self._encoded = _Kept(budget_bytes, keep_newest=True)
        self._bytes = 0
        self._lock = threading.Lock()

    @staticmethod
    def _key(path: str | Path) -> tuple[str, int, int]:
        stat = os.stat(path)
        return os.fspath(path), stat.st_mtime_ns, stat.st_size

    def read(self, path: str | Path, schema: pa.Schema, columns: list[str] | None = None) -> pa.Table:
        """The partition: all columns, or ``columns`` only when given (read from the file and not
        kept when the partition is too big to keep)."""
        key = self._key(path)
        names = tuple(columns or schema.names)
        # Threads may read at once (a task's halves: Bands). One of them reads the columns to keep,
        # and the others wait and find them kept.
        with self._lock:
            table = self._kept(key, names, schema)
            if table is not None:
                return table
            if columns is not None and self._too_big(path):
                table = None
            else:
                missing = [name for name in names if (*key, name) not in self._columns]
                read = conform(pq.read_table(path, columns=missing), _select(schema, missing))
                if read.nbytes <= self.budget_bytes:  # else it would push out every other partition
                    for name in missing:
                        self._columns[(*key, name)] = read.column(name)
                        self._bytes += read.column(name).nbytes
                    table = self._kept(key, names, schema)
                    while self._bytes > self.budget_bytes:
                        _, dropped = self._columns.popitem(last=False)
                        self._bytes -= dropped.nbytes
                else:
                    found = {name: self._columns.get((*key, name)) for name in names}
                    arrays = [read.column(name) if found[name] is None else found[name] for name in names]
                    table = pa.Table.from_arrays(arrays, schema=_select(schema, names))
        if table is None:
            # A bulk load's passages are GBs with their texts and signatures, over any budget:
            # read only the columns asked for.
            return conform(pq.read_table(path, columns=list(names)), _select(schema, names))
        return table

    def _kept(self, key: tuple[str, int, int], names: tuple[str, ...], schema: pa.Schema) -> pa.Table | None:
        """The kept columns ``names`` of the partition at ``key`` as a table, None unless all are kept."""
        arrays = []
        for name in names:
            array = self._columns.get((*key, name))
            if array is None:
                return None
            self._columns.move_to_end((*key, name))
            arrays.append(array)
        return pa.Table.from_arrays(arrays, schema=_select(schema, names))

    def read_rows_in(
        self, paths: list[str], schema: pa.Schema, columns: list[str] | None, column: str, values: pa.Array
    ) -> pa.Table:
        """The rows whose ``column`` holds one of ``values``, of the partitions at ``paths`` in that
        order (``columns`` only, when given; they must include ``column``): from the cache when a
        partition is kept, else from its row store when it has one, else filtered while reading
        the file, so that a partition too big to keep is never held whole (a 1M-passage batch's
        passages are 0.9 GB in memory)."""
        columns = columns or schema.names
        pieces: list[pa.Table] = []
        kept: list[pa.Table] = []

        def filter_kept() -> None:
            # One mask over the kept partitions together: ``is_in`` builds its hash set of the
            # values per call, and a daily run over years of history reads a few rows of hundreds
            # of partitions per task (a filter per partition paid its own start-up and set each time).
            if kept:
                joined = pa.concat_tables(kept)
                pieces.append(joined.filter(pc.is_in(joined.column(column), value_set=values)))
                kept.clear()

        for path in paths:
            with self._lock:
                table = self._kept(self._key(path), tuple(columns), schema)
            if table is not None or not self._too_big(path):
                kept.append(table if table is not None else self.read(path, schema, columns))
                continue
            filter_kept()
            store = row_store.fresh_store(Path(path))
            if store is None:
                piece = filtered_read(path, columns, column, values)
            else:
                # The rows' places from the one column, then those rows alone (pipeline.core.row_store).
                distinct, codes = self._encoded_column(path, schema, column)
                wanted = np.flatnonzero(pc.is_in(distinct, value_set=values).to_numpy(zero_copy_only=False))
                at = np.flatnonzero(np.isin(codes, wanted))
                piece = row_store.read_store(store, at, columns)
            pieces.append(conform(piece, _select(schema, columns)))
        filter_kept()
        return pa.concat_tables(pieces) if pieces else _select(schema, columns).empty_table()

    def distinct_count(self, path: str | Path, schema: pa.Schema, column: str) -> int:
        """How many distinct values ``column`` holds in a partition (kept, like doc_ids)."""
        key = (*self._key(path), column)
        if key not in self._distinct:
            self._distinct[key] = pc.count_distinct(self.read(path, schema, [column]).column(column)).as_py()
        return self._distinct[key]

    def doc_ids(self, path: str | Path, schema: pa.Schema) -> np.ndarray:
        """The distinct doc_id values of a partition, sorted, as bytes (kept after its rows leave
        the cache: about 16 bytes an id, where a set of strings took about 100, times every
        document of the archive)."""
        key = self._key(path)
        if key not in self._doc_ids:
            if self._too_big(path):  # its rows are read by their places: the same read gives those
                distinct = self._encoded_column(path, schema, "doc_id")[0]
            else:
                distinct = pc.unique(self.read(path, schema, ["doc_id"]).column("doc_id"))
            self._doc_ids[key] = id_bytes(distinct)
        return self._doc_ids[key]

    def _encoded_column(self, path: str | Path, schema: pa.Schema, column: str) -> tuple[pa.Array, np.ndarray]:
        """A column of a partition too big to keep, dictionary-encoded: its distinct values and
        each row's code (int32), kept like sorted columns. Finding some values' rows then reads
        the column once per process, not once per read (a 1M-row column of ids is 0.3 s)."""
        key = (*self._key(path), column)
        found = self._encoded.get(key)
        if found is _MISSING:
            encoded = pc.dictionary_encode(self.read(path, schema, [column]).column(column).combine_chunks())
            found = self._encoded.put(key, (encoded.dictionary, encoded.indices.to_numpy(zero_copy_only=False)))
        return found

    def holds_any(self, path: str | Path, schema: pa.Schema, wanted: np.ndarray) -> bool:
        """Whether the partition holds one of ``wanted`` (``id_bytes``) doc_ids."""
        held = self.doc_ids(path, schema)
        if not len(held) or not len(wanted):
            return False
        at = np.minimum(np.searchsorted(held, wanted), len(held) - 1)
        return bool((held[at] == wanted).any())

    def sorted_column(self, path: str | Path, schema: pa.Schema, column: str) -> tuple[np.ndarray, np.ndarray] | None:
        """An integer column of a partition sorted, and the row order that sorts it (kept, like
        doc_ids: a later read for some values looks them up instead of scanning every row);
        None for a partition of more than INDEXED_MAX_ROWS rows, which is scanned instead."""
        key = (*self._key(path), column)
        index = self._sorted.get(key)
        if index is _MISSING:
            index = None
            if pq.read_metadata(path).num_rows <= INDEXED_MAX_ROWS:  # a bigger one is not read here at all
                values = self.read(path, schema, [column]).column(column).to_numpy()
                order = np.argsort(values, kind="stable")
                index = (values[order], order)
            index = self._sorted.put(key, index)
        return index

    def _too_big(self, path: str | Path) -> bool:
        """Whether the partition's uncompressed size (from its footer, read once) is over an
        eighth of the budget: it is not kept, and a read for some of its rows filters the file.
        One that would fill most of the budget pushed out every other partition, and a daily batch
        that wanted a few documents of each big earlier batch read every one of them whole."""
        key = self._key(path)
        if key not in self._sizes:
            metadata = pq.read_metadata(path)
            self._sizes[key] = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
        return self._sizes[key] > self.budget_bytes // KEPT_PARTITIONS


# Rows decoded at once by ``filtered_read``.
FILTERED_READ_ROWS = 1 << 13


def filtered_read(path: str | Path, columns: list[str], column: str, values: pa.Array) -> pa.Table:
    """The rows of a Parquet file whose ``column`` holds one of ``values`` (``columns`` only),
    decoded ``FILTERED_READ_ROWS`` at a time and filtered as they come. ``pq.read_table`` with a
    filter held about twice the file's columns at its peak (1.55 GB of Arrow memory to find 3,000
    documents' passages in a 1M-passage batch, against 0.2 GB this way, in no more time)."""
    file = pq.ParquetFile(path, pre_buffer=False)
    batches = [
        batch.filter(pc.is_in(batch.column(column), value_set=values))
        for batch in file.iter_batches(FILTERED_READ_ROWS, columns=columns)
    ]
    schema = file.schema_arrow
    return pa.Table.from_batches(batches, schema=pa.schema([schema.field(name) for name in columns], schema.metadata))


@functools.lru_cache(maxsize=1024)
def _selected(schema: pa.Schema, columns: tuple[str, ...]) -> pa.Schema:
    return pa.schema([schema.field(c) for c in columns], metadata=schema.metadata)


def _select(schema: pa.Schema, columns: list[str] | tuple[str, ...]) -> pa.Schema:
    # Memoised: a run over many batches selects the same few column sets hundreds of thousands of times.
    return _selected(schema, tuple(columns))


def _or_uncached(cache: PartitionCache | None) -> PartitionCache:
    # No cache given: read through one that keeps nothing (a run passes its RunContext's).
    return PartitionCache(budget_bytes=0) if cache is None else cache


def read_partition(
    out_dir: Path,
    table_name: str,
    batch: str | None,
    columns: list[str] | None = None,
    cache: PartitionCache | None = None,
) -> pa.Table:
    """Read one partition written by write_partition, with its contract schema (``columns`` only,
    when given)."""
    return _or_uncached(cache).read(
        partition_dir(out_dir, table_name, batch) / PART_FILE, rows_schema(table_name), columns
    )


def batches_of(out_dir: Path, table_name: str) -> list[str]:
    """Batch dates that have a published partition of ``table_name``, oldest first.

    Raises OutputError on an output written before partition folders were named by the bare date
    (``batch=<date>``): run ``newsprov upgrade`` on it first.
    """
    try:
        entries = list(os.scandir(os.path.join(os.fspath(out_dir), table_name)))
    except (FileNotFoundError, NotADirectoryError):
        return []
    names = [e.name for e in entries if e.is_dir()]
    if any(name.startswith(OLD_BATCH_PREFIX) for name in names):
        raise OutputError(
            f"{out_dir} was written by an older newsprov (folders {table_name}/batch=<date>/): "
            f"run `newsprov upgrade --out {out_dir}` once to rename them, then run again"
        )
    return sorted(name for name in names if batch_date(name) is not None)


def check_layout(out_dir: Path) -> None:
    """Raise OutputError when ``out_dir`` holds a table of the ``batch=<date>`` layout (see batches_of)."""
    for table_name in TABLES:
        batches_of(out_dir, table_name)


def upgrade_layout(out_dir: Path) -> list[str]:
    """Bring an output of the ``batch=<date>`` layout to the current one, in place; the partitions
    changed, as ``<table>/<folder>``.

    Each ``<table>/batch=<date>/`` is renamed to ``<table>/<date>/`` (the tables that had no
    ``batch`` column in their files are written again with it) and ``outlets/part-0.parquet``
    moves to ``outlets/gazetteer/``. Run with no other run on the folder.
    """
    out_dir = Path(out_dir)
    changed = []
    for table_name in TABLES:
        base = out_dir / table_name
        if table_name == "outlets":
            if (base / PART_FILE).is_file():
                write_partition(pq.read_table(base / PART_FILE), out_dir, table_name, None)
                (base / PART_FILE).unlink()
                changed.append(f"{table_name}/{UNBATCHED_DIR}")
            continue
        for old in sorted(base.glob(f"{OLD_BATCH_PREFIX}*")) if base.is_dir() else []:
            batch = old.name[len(OLD_BATCH_PREFIX) :]
            for stage in sorted(old.glob("stage=*")):  # the runs table
                os.rename(stage, old / stage.name[len("stage=") :])
            if table_name in ROWS_WITHOUT_BATCH:
                write_partition(
                    pq.read_table(old / PART_FILE, columns=rows_schema(table_name).names, partitioning=None),
                    out_dir,
                    table_name,
                    batch,
                )
                shutil.rmtree(old)
            else:
                os.rename(old, base / batch)
            changed.append(f"{table_name}/{batch}")
    return changed


def upgrade_columns(out_dir: Path) -> list[str]:
    """Bring every partition of an older schema version whose columns the current one only adds to (all
    of them nullable: documents/2 or /3 -> documents/4) to the current version, the new columns null; the
    partitions changed, as ``<table>/<folder>``. A partition of a version that is not so upgraded is left
    for the run to rebuild. Run with no other run on the folder."""
    out_dir = Path(out_dir)
    changed = []
    for table_name, schema in TABLES.items():
        if table_name == "outlets":
            continue  # the gazetteer is written again at every run
        expected = schema.metadata[SCHEMA_KEY]
        for batch in batches_of(out_dir, table_name):
            stages = sorted(p.name for p in partition_dir(out_dir, table_name, batch).iterdir() if p.is_dir())
            for stage in stages if table_name == "runs" else [None]:
                path = partition_dir(out_dir, table_name, batch, stage) / PART_FILE
                if not path.is_file():
                    continue
                found = pq.read_schema(path)
                if (found.metadata or {}).get(SCHEMA_KEY) == expected:
                    continue
                added = [f for f in schema if f.name not in found.names]
                if any(not f.nullable for f in added) or any(n not in schema.names for n in found.names):
                    continue
                rows = pq.read_table(path, partitioning=None)
                for field in added:
                    rows = rows.append_column(field.name, pa.nulls(rows.num_rows, field.type))
                write_partition(rows.select(rows_schema(table_name).names), out_dir, table_name, batch, stage)
                changed.append(f"{table_name}/{batch}" + (f"/{stage}" if stage else ""))
    return changed


def id_bytes(ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Distinct ids as a sorted numpy array of bytes (fixed width: compact, and searchsorted works)."""
    values = pc.cast(ids, pa.binary()).to_numpy(zero_copy_only=False)
    return np.unique(values.astype(bytes)) if len(values) else np.zeros(0, dtype="S1")


def string_array(values: set[str]) -> pa.Array:
    """A typed array for ``is_in`` filters (an empty Python set would be typed null)."""
    return pa.array(sorted(values), type=pa.string())


def rows_of_documents(table: pa.Table, docs: set[str]) -> pa.Table:
    """The rows of ``table`` whose doc_id is one of ``docs``."""
    return table.filter(pc.is_in(table.column("doc_id"), string_array(docs)))


def _paths(out_dir: Path, table_name: str, batches: list[str]) -> list[str]:
    # Plain strings, not pathlib: a run over many daily batches builds these paths per batch for
    # every earlier one.
    base = os.path.join(os.fspath(out_dir), table_name)
    return [os.path.join(base, batch, PART_FILE) for batch in batches]


def read_batches(
    out_dir: Path,
    table_name: str,
    batches: list[str],
    columns: list[str] | None = None,
    doc_ids: set[str] | None = None,
    cache: PartitionCache | None = None,
) -> pa.Table:
    """Several partitions of a table as one table (empty when ``batches`` is); only the rows of
    ``doc_ids`` when given, reading only the partitions that hold any of them."""
    schema, cache = rows_schema(table_name), _or_uncached(cache)
    paths = _paths(out_dir, table_name, batches)
    if doc_ids is not None:
        wanted_ids = id_bytes(string_array(doc_ids))
        paths = [path for path in paths if cache.holds_any(path, schema, wanted_ids)]
    if not paths:
        empty_table = schema.empty_table()
        return empty_table.select(columns) if columns else empty_table
    wanted = None if columns is None else list(dict.fromkeys([*columns, "doc_id"] if doc_ids is not None else columns))
    if doc_ids is None:
        table = pa.concat_tables([cache.read(path, schema, wanted).select(wanted or schema.names) for path in paths])
    else:
        table = cache.read_rows_in(paths, schema, wanted, "doc_id", string_array(doc_ids))
    return table.select(columns) if columns else table


def read_rows_in(
    out_dir: Path,
    table_name: str,
    batches: list[str],
    column: str,
    values: pa.Array,
    cache: PartitionCache | None = None,
) -> pa.Table:
    """The rows of several partitions whose ``column`` holds one of ``values`` (e.g. the history
    anchors that a batch's anchors can pair with), without holding a big partition whole."""
    return _or_uncached(cache).read_rows_in(
        _paths(out_dir, table_name, batches), rows_schema(table_name), None, column, values
    )


def count_distinct(
    out_dir: Path, table_name: str, batches: list[str], column: str, cache: PartitionCache | None = None
) -> int:
    """Distinct values of ``column`` over several partitions that share none (each passage is in
    one batch): the sum of each partition's count, which ``cache`` keeps per partition."""
    schema, cache = rows_schema(table_name), _or_uncached(cache)
    return sum(cache.distinct_count(path, schema, column) for path in _paths(out_dir, table_name, batches))


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)``: sorted distinct values, by a sort and a comparison of neighbours.

    numpy 2.4's ``np.unique`` without ``return_*`` arguments takes a hash-table path that is
    many times slower than sorting on integer arrays, large or small.
    """
    ordered = np.sort(values, kind="stable")
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


def unique_counts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_counts=True)``, sorting ``values`` in place (it is reordered):
    np.unique sorts a copy and keeps more temporaries (a bulk load's pair codes are 30M)."""
    values.sort()
    if not len(values):
        return values.copy(), np.zeros(0, dtype=np.int64)
    new = np.empty(len(values), dtype=bool)
    new[0] = True
    np.not_equal(values[1:], values[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    del new
    counts = np.empty(len(starts), dtype=np.int64)
    np.subtract(starts[1:], starts[:-1], out=counts[:-1])
    counts[-1] = len(values) - starts[-1]
    return values[starts], counts


def unique_sums(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct ``values``, how often each occurs and the sum of its ``weights``: what
    ``np.unique(return_inverse=True, return_counts=True)`` and ``np.bincount`` of the inverse
    give, summed in the same order, so the floats are the same.

    A stable argsort (a timsort) makes use of runs already in order: the anchors channel's pair
    codes come sorted by their first passage, which np.unique's sort does not exploit.
    """
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    first = np.r_[True, ordered[1:] != ordered[:-1]] if len(values) else np.zeros(0, bool)
    starts = np.flatnonzero(first)
    # bincount over the inverse, as np.unique's callers did: np.add.reduceat sums a long group
    # pairwise, and its last bits could differ.
    inverse = np.empty(len(values), dtype=np.intp)
    inverse[order] = np.cumsum(first) - 1
    return ordered[starts], np.diff(np.r_[starts, len(values)]), np.bincount(inverse, weights, minlength=len(starts))


def sorted_member(values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """``np.isin(values, wanted)`` for integer hashes, ``wanted`` sorted and unique.

    A bitmap of the low bits of ``wanted`` rules out most values in one gather; only the
    rest are looked up by binary search, several times faster than ``np.isin`` or an Arrow hash
    set (``pc.is_in``) on a batch's bucket values.
    """
    if not len(wanted) or not len(values):
        return np.zeros(len(values), dtype=bool)
    # 16 bits per wanted value, at most 64 MB of bitmap (a bulk load's tens of millions of buckets
    # then pass more values on to the binary search, not more memory).
    bits = 1 << min(26, max(16, int(len(wanted) * 16).bit_length()))
    bitmap = np.zeros(bits, dtype=bool)
    bitmap[wanted & (bits - 1)] = True
    maybe = np.flatnonzero(bitmap[values & (bits - 1)])
    found = np.searchsorted(wanted, values[maybe])
    hit = wanted[np.minimum(found, len(wanted) - 1)] == values[maybe]
    member = np.zeros(len(values), dtype=bool)
    member[maybe[hit]] = True
    return member


# Partitions up to this many rows are looked up through a sorted index of the column, built once
# per process; larger ones (a bulk load of a whole archive) are scanned: the index would cost more
# memory than the scan costs time.
INDEXED_MAX_ROWS = 1 << 22


def read_rows_with(
    out_dir: Path,
    table_name: str,
    batches: list[str],
    column: str,
    values: np.ndarray,
    cache: PartitionCache | None = None,
) -> pa.Table:
    """The rows of several partitions whose integer ``column`` holds one of ``values``.

    A daily run matches each small batch against every earlier batch: through the per-partition
    index ``cache`` keeps this costs the batch's values times log(history), not a pass over all of history.
    """
    schema, cache = rows_schema(table_name), _or_uncached(cache)
    if not batches:  # a first batch, or a bulk load: nothing to look up, and its values may be tens of millions
        return schema.empty_table()
    wanted = sorted_unique(values)
    parts = []
    for path in _paths(out_dir, table_name, batches):
        index = cache.sorted_column(path, schema, column)
        if index is None:
            table = cache.read(path, schema)
            parts.append(table.filter(pa.array(sorted_member(table.column(column).to_numpy(), wanted))))
            continue
        ordered, order = index
        first, last = np.searchsorted(ordered, wanted, "left"), np.searchsorted(ordered, wanted, "right")
        hit = last > first
        if not hit.any():
            continue  # most earlier batches of a daily run share no bucket with today's
        counts = last[hit] - first[hit]
        rows = order[
            np.repeat(first[hit], counts) + np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        ]
        parts.append(cache.read(path, schema).take(pa.array(np.sort(rows))))
    return pa.concat_tables(parts) if parts else schema.empty_table()
