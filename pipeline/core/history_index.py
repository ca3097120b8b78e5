"""The history index: the band rows of earlier batches sorted by bucket, so that a batch looks up its
own buckets instead of reading every earlier batch's rows.

For ``bands`` and ``sentence_bands`` (INDEXED), under an output folder::

    <out>/index/<table>/<first>_<last>/keys.parquet    band, bucket, doc, ordinal, start: a row group
                                                        per band, sorted by bucket; bucket, doc, ordinal
                                                        and start uncompressed PLAIN, one page each
    <out>/index/<table>/<first>_<last>/docs.parquet    doc (the code) and doc_id, in code order
    <out>/index/<table>/<first>_<last>/fences.parquet  band, row and bucket of every FENCE-th row

A segment holds the rows of some batches (``first`` .. ``last``, listed in keys.parquet's metadata
with the size and modification time of each one's partition file). Ids are stored as integers: the
document's code, the passage's ordinal and the sentence's start (-1 for a passage), spelled back by
``pipeline.core.ids`` (a batch whose ids do not spell back so is not indexed, and is read from its
partition). A lookup finds each wanted bucket's block in the fences, and reads those blocks of the
bucket column through a memory map of the file: it costs the batch's buckets times a block, not
the archive (pages of the file it does not touch are never read). Parquet all the same, so that
Spark, DuckDB or pyarrow read the index like any table (Spark's candidate join does).

A segment is written into ``<out>/.staging`` and its folder renamed into place, as a partition is;
one whose batches' partitions changed since (a batch run again) or that does not read is stale:
lookups leave it out (those batches are read from their partitions), and ``refresh``, which a run
calls holding the output lock, removes it, indexes the batches no segment holds, and merges small
segments (``compact``). ``newsprov doctor`` names stale segments.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.core.errors import OutputError
from pipeline.core.ids import id_groups, join_ids, join_ids_encoded, split_ids
from pipeline.core.row_store import (
    INDEX_DIR,
    STORE_FILES,
    STORE_MIN_ROWS,
    STORED,
    fresh_store,
    store_file,
    store_path,
    store_problem,
    write_store,
)
from pipeline.core.schema import SCHEMA_KEY
from pipeline.core.tables import (
    PART_FILE,
    STAGING,
    PartitionCache,
    conform,
    partition_dir,
    read_rows_with,
    refuse_links,
    rows_schema,
    sorted_member,
    unique_counts,
)

INDEXED = ("bands", "sentence_bands")
KEYS, DOCS, FENCES = "keys.parquet", "docs.parquet", "fences.parquet"
INDEX_SCHEMA = b"index/1"
SOURCES_KEY = b"newsprov.index_sources"
# Rows per block between two fences: a lookup reads this many buckets per wanted bucket at most.
FENCE = 64
# Segments are merged while the older of the last two holds no more rows than the newer (so there
# are about log2(batches) of them) and together no more than this: a bulk load stays alone.
COMPACT_MAX_ROWS = 1 << 27

KEY_SCHEMA = pa.schema(
    [
        pa.field("band", pa.int16(), nullable=False),
        pa.field("bucket", pa.int64(), nullable=False),
        pa.field("doc", pa.int32(), nullable=False),
        pa.field("ordinal", pa.int32(), nullable=False),
        pa.field("start", pa.int32(), nullable=False),
    ],
    metadata={SCHEMA_KEY: INDEX_SCHEMA},
)
_RAW = ("bucket", "doc", "ordinal", "start")  # memory-mapped: uncompressed PLAIN, one page per row group


@dataclass(frozen=True)
class Segment:
    folder: Path
    batches: tuple[str, ...]
    rows: int


def index_dir(out_dir: Path, table: str) -> Path:
    return Path(out_dir) / INDEX_DIR / table


def _source_identity(out_dir: Path, table: str, batch: str) -> list[int] | None:
    try:
        info = os.stat(partition_dir(out_dir, table, batch) / PART_FILE)
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns]


def segments(out_dir: Path, table: str) -> tuple[list[Segment], list[tuple[Path, str]]]:
    """The segments of ``table``'s index that can be read (oldest first), and those that cannot,
    each with why (stale: a batch's partition changed or went; unreadable)."""
    valid, stale = [], []
    try:
        entries = sorted(os.scandir(index_dir(out_dir, table)), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return [], []
    for entry in entries:
        folder = Path(entry.path)
        if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
            stale.append((folder, "not a segment folder"))
            continue
        try:
            metadata = pq.read_metadata(folder / KEYS)
            pq.read_metadata(folder / DOCS), pq.read_metadata(folder / FENCES)
            meta = metadata.schema.to_arrow_schema().metadata or {}
            sources = json.loads(meta[SOURCES_KEY])
        except (OSError, pa.ArrowException, KeyError, ValueError) as exc:
            stale.append((folder, f"unreadable ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"))
            continue
        if meta.get(SCHEMA_KEY) != INDEX_SCHEMA:
            stale.append((folder, "of another index version"))
            continue
        changed = [b for b, identity in sources.items() if _source_identity(out_dir, table, b) != identity]
        if changed:
            stale.append((folder, f"stale (batch {changed[0]} was run again or removed)"))
            continue
        valid.append(Segment(folder, tuple(sorted(sources)), metadata.num_rows))
    return valid, stale


def cover(valid: list[Segment], batches: list[str]) -> tuple[list[Segment], list[str]]:
    """Disjoint segments holding only ``batches`` (the largest first), and the batches none holds."""
    wanted, chosen, held = set(batches), [], set()
    for segment in sorted(valid, key=lambda s: (-len(s.batches), s.batches)):
        if set(segment.batches) <= wanted and held.isdisjoint(segment.batches):
            chosen.append(segment)
            held.update(segment.batches)
    return sorted(chosen, key=lambda s: s.batches), [b for b in batches if b not in held]


# --- writing -------------------------------------------------------------------------------------


def _key_bands(rows: pa.Table) -> tuple[pa.Array, Iterator[pa.Table]] | None:
    """The docs list, and each band's (band, bucket, doc, ordinal, start) rows of bands-schema ``rows``
    one band at a time (a bulk load has 32M rows); None when an id does not spell back from its parts."""
    ids = rows.column("passage_id")
    ids = ids.unify_dictionaries().combine_chunks() if pa.types.is_dictionary(ids.type) else ids.combine_chunks()
    values = ids.dictionary if pa.types.is_dictionary(ids.type) else ids
    codes = (
        ids.indices.to_numpy(zero_copy_only=False)
        if pa.types.is_dictionary(ids.type)
        else np.arange(len(ids), dtype=np.int32)
    )
    parts = split_ids(values.cast(pa.string()))
    if parts is None:
        return None
    docs, doc, ordinal, start = parts
    band, bucket = _numpy(rows, "band"), _numpy(rows, "bucket")

    def bands() -> Iterator[pa.Table]:
        for number in _bands_in(band):
            at = np.flatnonzero(band == number)
            of = codes[at]
            yield pa.table(
                {"band": band[at], "bucket": bucket[at], "doc": doc[of], "ordinal": ordinal[of], "start": start[of]}
            )

    return docs, bands()


def _numpy(rows: pa.Table, column: str) -> np.ndarray:
    return rows.column(column).combine_chunks().to_numpy(zero_copy_only=False)


def _bands_in(band: np.ndarray) -> list[int]:
    return np.flatnonzero(np.bincount(band.astype(np.int64))).tolist() if len(band) else []


def _publish(out_dir: Path, table: str, batches: list[str], docs: pa.Array, bands: Iterator[pa.Table]) -> Segment:
    """Write a segment of ``batches`` (``bands``: each band's key rows, one table per band, in band
    order) into staging, sorted by bucket within each band, and rename its folder into place."""
    sources = {b: _source_identity(out_dir, table, b) for b in batches}
    if any(identity is None for identity in sources.values()):
        raise OutputError(f"cannot index {table} of batches {batches}: a partition is not published")
    name = f"{batches[0]}_{batches[-1]}"
    final = index_dir(out_dir, table) / name
    staging_root = Path(out_dir) / STAGING
    refuse_links(staging_root, Path(out_dir) / INDEX_DIR, index_dir(out_dir, table), final)
    try:
        staging_root.mkdir(parents=True, exist_ok=True)
        final.parent.mkdir(parents=True, exist_ok=True)
        staged = staging_root / f"index-{table}-{name}-{uuid.uuid4().hex}"
        staged.mkdir()
        rows = _write_keys(bands, staged / KEYS, sources, fences := [])
        codes = pa.array(np.arange(len(docs), dtype=np.int32))
        pq.write_table(pa.table({"doc": codes, "doc_id": docs}), staged / DOCS, compression="zstd")
        pq.write_table(pa.concat_tables(fences) if fences else _FENCES.empty_table(), staged / FENCES)
        if final.exists():  # a segment of the same batches: stale, or left by a killed compaction
            retired = staging_root / f"retired-{uuid.uuid4().hex}"
            os.rename(final, retired)
            shutil.rmtree(retired, ignore_errors=True)
        os.rename(staged, final)
    except OSError as exc:
        cause = os.strerror(exc.errno) if exc.errno else (exc.strerror or exc)
        raise OutputError(f"cannot write {final}: {cause}") from exc
    return Segment(final, tuple(batches), rows)


_FENCES = pa.schema([("band", pa.int16()), ("row", pa.int64()), ("bucket", pa.int64())])
_WHOLE = (1 << 31) - 1  # one page per column chunk, however many rows


def _write_keys(bands: Iterator[pa.Table], path: Path, sources: dict, fences: list[pa.Table]) -> int:
    """Write each band's rows as a row group sorted by bucket; append its fences; the rows written."""
    schema = KEY_SCHEMA.with_metadata({SCHEMA_KEY: INDEX_SCHEMA, SOURCES_KEY: json.dumps(sources).encode()})
    written = 0
    with pq.ParquetWriter(
        path,
        schema,
        use_dictionary=["band"],
        compression={"band": "zstd", **{c: "none" for c in _RAW}},
        column_encoding={c: "PLAIN" for c in _RAW},
        data_page_size=_WHOLE,
        max_rows_per_page=_WHOLE,
        write_batch_size=_WHOLE,
    ) as writer:
        for rows in bands:
            if not rows.num_rows:
                continue
            bucket = rows.column("bucket").to_numpy()
            order = np.argsort(bucket, kind="stable")
            rows = pa.Table.from_arrays([rows.column(n).take(pa.array(order)) for n in KEY_SCHEMA.names], schema=schema)
            writer.write_table(rows, row_group_size=rows.num_rows)
            at = np.arange(0, rows.num_rows, FENCE)
            fences.append(
                pa.table(
                    {"band": rows.column("band").to_numpy()[at], "row": at, "bucket": bucket[order][at]},
                    schema=_FENCES,
                )
            )
            written += rows.num_rows
    return written


def index_batch(out_dir: Path, table: str, batch: str, rows: pa.Table) -> Segment | None:
    """Index ``rows``, the published partition of ``table`` of ``batch`` (its writer has them at hand);
    None when its ids do not spell back (it is read from its partition)."""
    found = _key_bands(rows)
    return None if found is None else _publish(out_dir, table, [batch], *found)


def refresh(out_dir: Path, table: str, batches: list[str], cache: PartitionCache | None = None) -> None:
    """Make the index hold ``batches`` (published partitions of ``table``): remove stale segments,
    index the batches no segment holds, merge small segments. For a run that holds the output lock."""
    valid, stale = segments(out_dir, table)
    for folder, _ in stale:
        shutil.rmtree(folder, ignore_errors=True)
    chosen, missing = cover(valid, batches)
    for segment in valid:
        if segment not in chosen and set(segment.batches) <= set(batches):
            shutil.rmtree(segment.folder, ignore_errors=True)  # left by a killed compaction: merged already
    for batch in missing:
        rows = (cache or PartitionCache(0)).read(partition_dir(out_dir, table, batch) / PART_FILE, rows_schema(table))
        index_batch(out_dir, table, batch, rows)
    compact(out_dir, table, batches)


def compact(out_dir: Path, table: str, batches: list[str]) -> None:
    """Merge the last two segments of ``batches`` while the older holds no more rows than the newer
    and both fit COMPACT_MAX_ROWS: daily batches end in about log2(days) segments."""
    chosen, _ = cover(segments(out_dir, table)[0], batches)
    while len(chosen) >= 2:
        older, newer = chosen[-2], chosen[-1]
        if older.rows > newer.rows or older.rows + newer.rows > COMPACT_MAX_ROWS:
            return
        merged = _merge(out_dir, table, older, newer)
        shutil.rmtree(older.folder, ignore_errors=True)
        shutil.rmtree(newer.folder, ignore_errors=True)
        chosen = [*chosen[:-2], merged]


def _merge(out_dir: Path, table: str, older: Segment, newer: Segment) -> Segment:
    """One segment of both, written band by band (a band of each is in memory at a time)."""
    files = [pq.ParquetFile(segment.folder / KEYS) for segment in (older, newer)]
    docs = [pq.read_table(segment.folder / DOCS).column("doc_id").combine_chunks() for segment in (older, newer)]
    groups = [_groups_by_band(f.metadata) for f in files]

    def bands() -> Iterator[pa.Table]:
        for band in sorted(set(groups[0]) | set(groups[1])):
            parts = []
            for i, f in enumerate(files):
                if band in groups[i]:
                    part = f.read_row_group(groups[i][band])
                    offset = len(docs[0]) if i else 0
                    parts.append(part.set_column(2, "doc", pa.array(part.column("doc").to_numpy() + offset)))
            yield pa.concat_tables(parts)

    return _publish(out_dir, table, sorted(older.batches + newer.batches), pa.concat_arrays(docs), bands())


def _groups_by_band(metadata: pq.FileMetaData) -> dict[int, int]:
    return {int(metadata.row_group(i).column(0).statistics.min): i for i in range(metadata.num_row_groups)}


# --- lookups -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    """A segment's rows in the wanted buckets, as the index holds them: band, bucket, and the id's
    parts (``doc`` a code of the segment's docs list); ``probe``: each row's bucket as its place in
    the band's wanted buckets, and ``held``: how many rows each wanted bucket of a band has here."""

    segment: Segment
    band: np.ndarray
    bucket: np.ndarray
    doc: np.ndarray
    ordinal: np.ndarray
    start: np.ndarray
    probe: np.ndarray
    held: dict[int, np.ndarray]

    def spelled(self, schema: pa.Schema, keep: np.ndarray | None = None) -> tuple[pa.Table, np.ndarray]:
        """The rows (``keep`` only, when given) as rows of ``schema`` (the table's: ids spelled
        back), and which of them are of a passage that also has a row left out."""
        if keep is not None and keep.all():
            keep = None
        n = len(self.band) if keep is None else int(keep.sum())
        if not n:
            return schema.empty_table(), np.zeros(0, dtype=bool)
        docs = pq.read_table(self.segment.folder / DOCS).column("doc_id").combine_chunks()
        if keep is None:
            ids, stock = join_ids_encoded(docs, self.doc, self.ordinal, self.start), np.zeros(n, dtype=bool)
        else:
            ids, stock = _kept_ids(docs, self, keep)
        columns = (column if keep is None else column[keep] for column in (self.doc, self.band, self.bucket))
        doc, band, bucket = columns
        doc_ids = pa.DictionaryArray.from_arrays(pa.array(doc.astype(np.int32)), docs)
        table = pa.Table.from_arrays(
            [ids, doc_ids, pa.array(band, pa.int16()), pa.array(bucket, pa.int64())], schema=schema
        )
        return table, stock


def _kept_ids(docs: pa.Array, found: _Found, keep: np.ndarray) -> tuple[pa.DictionaryArray, np.ndarray]:
    """``join_ids_encoded`` of ``found``'s rows in ``keep``, and which of those are of a passage
    with a row outside ``keep``: one grouping of all its rows by id serves both."""
    group, first = id_groups(found.doc, found.ordinal, found.start)
    outside = np.zeros(len(first), dtype=bool)
    outside[group[~keep]] = True
    kept = group[keep]
    # Each kept id's first kept row, ids in order of first appearance (as dictionary_encode has them).
    first_kept = np.full(len(first), len(kept), dtype=np.int64)
    np.minimum.at(first_kept, kept, np.arange(len(kept)))
    present = np.flatnonzero(first_kept < len(kept))
    present = present[np.argsort(first_kept[present], kind="stable")]
    code = np.empty(len(first), dtype=np.int32)
    code[present] = np.arange(len(present), dtype=np.int32)
    rows = np.flatnonzero(keep)[first_kept[present]]
    dictionary = join_ids(docs, found.doc[rows], found.ordinal[rows], found.start[rows])
    return pa.DictionaryArray.from_arrays(pa.array(code[kept]), dictionary), outside[kept]


def _found_in(segment: Segment, wanted: dict[int, np.ndarray]) -> _Found:
    """The rows of ``segment`` whose bucket is one of ``wanted[band]`` (sorted, unique)."""
    metadata = pq.read_metadata(segment.folder / KEYS)
    fences = pq.read_table(segment.folder / FENCES)
    fence_band = fences.column("band").to_numpy()
    empty = [np.zeros(0, np.int16), np.zeros(0, np.int64), *[np.zeros(0, np.int32)] * 4]
    found: list[tuple[np.ndarray, ...]] = [tuple(empty)]
    held = {}
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        band = int(row_group.column(0).statistics.min)
        probes = wanted.get(band)
        if probes is None or not len(probes):
            continue
        # The band's raw columns mapped alone, and let go before the next: the pages read leave
        # this process's memory with the map.
        chunks = [row_group.column(i) for i in range(1, len(_RAW) + 1)]
        lo = min(c.data_page_offset for c in chunks)
        hi = max(c.data_page_offset + c.total_compressed_size for c in chunks)
        mapped = np.memmap(segment.folder / KEYS, dtype=np.uint8, mode="r", offset=lo, shape=(hi - lo,))
        columns = {name: _raw_column(mapped, lo, row_group, i + 1) for i, name in enumerate(_RAW)}
        rows, counts = _matching_rows(
            columns["bucket"], fences.column("bucket").to_numpy()[fence_band == band], probes, row_group.num_rows
        )
        held[band] = held.get(band, 0) + counts
        probe = np.repeat(np.arange(len(probes), dtype=np.int32), counts)
        found.append((np.full(len(rows), band, np.int16), *(np.asarray(columns[name][rows]) for name in _RAW), probe))
        del mapped, columns
    columns = [np.concatenate(column) for column in zip(*found)]
    del found
    return _Found(segment, *columns, held)


def _raw_column(mapped: np.memmap, at: int, row_group: pq.RowGroupMetaData, column: int) -> np.ndarray:
    """The values of a PLAIN, uncompressed, single-page column chunk, in place in ``mapped`` (the
    file from offset ``at``): the chunk's last ``rows * width`` bytes (its page header and levels
    come first)."""
    chunk = row_group.column(column)
    dtype = np.dtype(np.int64 if column == 1 else np.int32)
    size = row_group.num_rows * dtype.itemsize
    end = chunk.data_page_offset + chunk.total_compressed_size - at
    if (
        chunk.compression != "UNCOMPRESSED"
        or chunk.dictionary_page_offset is not None
        or set(chunk.encodings) - {"PLAIN", "RLE"}
        or chunk.num_values != row_group.num_rows
        or end > len(mapped)
    ):
        raise OutputError(f"index column {chunk.path_in_schema} is not a raw column: remove {INDEX_DIR}/ to rebuild")
    return mapped[end - size : end].view(dtype)


def _matching_rows(
    buckets: np.ndarray, fences: np.ndarray, probes: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the sorted ``buckets`` (n of them, every FENCE-th in ``fences``) equal to one of
    ``probes``, probe by probe, and how many each probe has."""
    # A probe's rows lie from the block of the last fence below it to the block of the last fence
    # at or below it (a bucket of many rows spans several blocks).
    first = np.maximum(np.searchsorted(fences, probes, "left") - 1, 0)
    last = np.maximum(np.searchsorted(fences, probes, "right") - 1, 0)
    spans = last - first + 1
    blocks = np.unique(np.repeat(first, spans) + ramp_of(spans))
    rows = (blocks[:, None] * FENCE + np.arange(FENCE)).ravel()
    rows = rows[rows < n]
    values = np.asarray(buckets[rows])  # an aligned copy of the blocks read: sorted, as they are
    lo, hi = np.searchsorted(values, probes, "left"), np.searchsorted(values, probes, "right")
    counts = hi - lo
    return rows[np.repeat(lo, counts) + ramp_of(counts)], counts


def ramp_of(counts: np.ndarray) -> np.ndarray:
    """0, 1, ..., count - 1 for each count, concatenated."""
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)


def stale_segments(out_dir: Path) -> list[str]:
    """``index/<table>/<segment>: why`` for each segment lookups leave out, and ``index/<table>/
    <batch>: ...`` for each row store reads leave out (doctor's findings)."""
    found = [
        f"{folder.relative_to(out_dir)}: {why}" for table in INDEXED for folder, why in segments(out_dir, table)[1]
    ]
    return found + [f"{store.parent.relative_to(out_dir)}: {why}" for store, why in _stale_stores(out_dir)]


def drop_unused(out_dir: Path) -> None:
    """Remove the index folder's stale segments and row stores (doctor --fix; a run does so per table)."""
    for table in INDEXED:
        for folder, _ in segments(out_dir, table)[1]:
            shutil.rmtree(folder, ignore_errors=True)
    for store, _ in _stale_stores(out_dir):
        _remove_store(store)


# --- row stores (pipeline.core.row_store) ----------------------------------------------------------


def store_batch(out_dir: Path, table: str, batch: str, rows: pa.Table) -> Path | None:
    """Write the row store of ``rows``, the published partition of ``table`` of ``batch`` (its
    writer has them at hand), when the table has stores and the partition is big enough."""
    if table not in STORED or rows.num_rows < STORE_MIN_ROWS:
        return None
    partition = partition_dir(out_dir, table, batch) / PART_FILE
    final = store_path(partition)
    staging_root = Path(out_dir) / STAGING
    refuse_links(staging_root, Path(out_dir) / INDEX_DIR, index_dir(out_dir, table), final.parent, final)
    try:
        staging_root.mkdir(parents=True, exist_ok=True)
        staged = staging_root / f"store-{table}-{batch}-{uuid.uuid4().hex}.arrow"
        write_store(staged, conform(rows, rows_schema(table)), partition)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, final)
    except OSError as exc:
        cause = os.strerror(exc.errno) if exc.errno else (exc.strerror or exc)
        raise OutputError(f"cannot write {final}: {cause}") from exc
    return final


def refresh_stores(out_dir: Path, table: str, batches: list[str]) -> None:
    """Give every partition of ``batches`` big enough a store that holds its rows (an archive made
    before stores, or a store gone stale), and remove stores no partition has. For a run that
    holds the output lock."""
    if table not in STORED:
        return
    for store, _ in _stale_stores(out_dir):
        _remove_store(store)
    for batch in batches:
        partition = partition_dir(out_dir, table, batch) / PART_FILE
        if fresh_store(partition) is None and pq.read_metadata(partition).num_rows >= STORE_MIN_ROWS:
            store_batch(out_dir, table, batch, pq.read_table(partition))


def _remove_store(store: Path) -> None:
    """Remove a store file, and its folder once empty (a store of another size may share it)."""
    store.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        store.parent.rmdir()


def _stale_stores(out_dir: Path) -> list[tuple[Path, str]]:
    """Each store whose partition is not the one it was made from, or that does not read, and why."""
    stale = []
    for table in STORED:
        for store in sorted(index_dir(out_dir, table).glob(f"*/{STORE_FILES}")):
            partition = partition_dir(out_dir, table, store.parent.name) / PART_FILE
            if store.name != store_file():
                stale.append((store, "written in record batches of another size (another release)"))
            elif (problem := store_problem(partition)) is not None:
                stale.append((store, problem))
    return stale


def history_rows(
    out_dir: Path, table: str, batches: list[str], new_rows: pa.Table, cache: PartitionCache | None = None
) -> pa.Table:
    """The rows of ``table`` (bands or sentence_bands) of ``batches`` in one of ``new_rows``' buckets
    of the same band: through the index where a segment holds them, else read from the partitions
    (a batch not indexed yet, or whose segment is stale). Only such rows can pair with ``new_rows``."""
    return history_lookup(out_dir, table, batches, new_rows, cache).rows


@dataclass(frozen=True)
class Lookup:
    """The history rows a batch can pair with (``history_lookup``). ``over``: each band's buckets
    (sorted) that hold more than the cap's rows with the batch's own and whose history rows
    ``rows`` leaves out; ``stock``: which of ``rows`` are of a passage in one of those too."""

    rows: pa.Table
    over: dict[int, np.ndarray]
    stock: np.ndarray


def history_lookup(
    out_dir: Path,
    table: str,
    batches: list[str],
    new_rows: pa.Table,
    cache: PartitionCache | None = None,
    cap: int | None = None,
) -> Lookup:
    """``history_rows``; with a ``cap``, the rows of a bucket that holds more than ``cap`` rows
    with the batch's are left out and the bucket named in ``over`` instead: the pairing skips such
    a bucket all the same (``pipeline.lsh.pairs``), and in a long archive most history rows in a
    batch's buckets are in such stock buckets (spelling their ids was most of a lookup's time)."""
    schema = rows_schema(table)
    if not batches or not new_rows.num_rows:
        return Lookup(schema.empty_table(), {}, np.zeros(0, dtype=bool))
    chosen, rest = cover(segments(out_dir, table)[0], batches)
    counted = bucket_counts(new_rows)
    wanted = {band: buckets for band, (buckets, _) in counted.items()}
    found = [_found_in(segment, wanted) for segment in chosen]
    read = None
    if rest:
        read = read_rows_with(out_dir, table, rest, "bucket", new_rows.column("bucket").to_numpy(), cache)
        read = read.filter(pa.array(_in_buckets(_numpy(read, "band"), _numpy(read, "bucket"), wanted)))
    held = {band: np.zeros(len(buckets), dtype=np.int64) for band, buckets in wanted.items()}
    for f in found:
        for band, counts in f.held.items():
            held[band] += counts
    if read is not None:
        band, bucket = _numpy(read, "band"), _numpy(read, "bucket")
        for number, buckets in wanted.items():
            held[number] += np.bincount(np.searchsorted(buckets, bucket[band == number]), minlength=len(buckets))
    # Per band, which wanted buckets are over the cap with the batch's rows (history rows left out).
    over_at = {
        band: (held[band] > 0) & (counts + held[band] > cap) if cap is not None else np.zeros(len(counts), bool)
        for band, (_, counts) in counted.items()
    }
    parts, stock = [], []
    for f in found:
        part, part_stock = f.spelled(schema, ~_flags(over_at, f.band, f.probe))
        parts.append(part)
        stock.append(part_stock)
    over = {band: wanted[band][at] for band, at in over_at.items() if at.any()}
    if read is not None:
        dropped = _in_buckets(_numpy(read, "band"), _numpy(read, "bucket"), over)
        kept_rows = read.filter(pa.array(~dropped))
        parts.append(kept_rows)
        left_out = pc.unique(read.filter(pa.array(dropped)).column("passage_id").cast(pa.string()))
        stock.append(pc.is_in(kept_rows.column("passage_id").cast(pa.string()), value_set=left_out).to_numpy())
    rows = pa.concat_tables(parts) if parts else schema.empty_table()
    return Lookup(rows, over, np.concatenate(stock) if stock else np.zeros(0, dtype=bool))


def _flags(by_band: dict[int, np.ndarray], band: np.ndarray, probe: np.ndarray) -> np.ndarray:
    """``by_band[band[i]][probe[i]]`` for each row i (``probe``: a place in the band's array)."""
    if not len(band):
        return np.zeros(0, dtype=bool)
    bands = sorted(by_band)
    offsets = np.zeros(max(bands) + 1, dtype=np.int64)
    sizes = [len(by_band[b]) for b in bands]
    offsets[bands] = np.cumsum(sizes) - sizes
    return np.concatenate([by_band[b] for b in bands])[offsets[band] + probe]


def bucket_counts(new_rows: pa.Table) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Each band's distinct buckets of ``new_rows`` (bands schema), sorted, and how many rows hold
    each; band by band (a bulk load's 32M rows sorted at once would cost GBs)."""
    band, bucket = _numpy(new_rows, "band"), _numpy(new_rows, "bucket")
    return {number: unique_counts(bucket[band == number]) for number in _bands_in(band)}


def _in_buckets(band: np.ndarray, bucket: np.ndarray, by_band: dict[int, np.ndarray]) -> np.ndarray:
    """Which rows hold one of ``by_band``'s buckets (sorted, unique) of their band."""
    keep = np.zeros(len(band), dtype=bool)
    for number, probes in by_band.items():
        at = np.flatnonzero(band == number)
        keep[at] = sorted_member(bucket[at], probes)
    return keep
