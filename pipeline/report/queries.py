"""What an output folder holds: rows per table, what each stage did, and the outlets credited most.

    newsprov stats --out output

Reads only published partitions (``<out>/<table>/<YYYY-MM-DD>/part-0.parquet``, the runs table's
``<out>/runs/<YYYY-MM-DD>/<Stage>/part-0.parquet`` and the gazetteer ``<out>/outlets/gazetteer/part-0.parquet``),
never ``.staging``; a table that is missing counts zero rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.core.errors import InputError
from pipeline.core.schema import TABLES
from pipeline.core.tables import PART_FILE, batches_of, partition_dir

UNBATCHED = ("outlets",)
BY_STAGE = ("runs",)  # a partition per batch and stage


@dataclass(frozen=True)
class TableCount:
    """Rows of one table over all its published partitions."""

    table: str
    rows: int
    partitions: int  # batches (the gazetteer: 1)


@dataclass(frozen=True)
class StageSummary:
    """One stage over every batch of the runs table: rows summed, seconds summed, the largest peak."""

    stage: str
    batches: int
    rows_in: int | None
    rows_out: int
    seconds: float
    peak_rss_bytes: int
    skipped_buckets: int | None
    skipped_anchors: int | None


@dataclass(frozen=True)
class OutletCount:
    """An outlet with how many documents credit it and how many mentions credit it."""

    outlet_id: str
    name: str
    documents: int
    mentions: int


def table_files(out_dir: Path, table: str) -> list[Path]:
    """Published Parquet files of ``table`` under ``out_dir``, oldest batch first; [] when missing."""
    if table in UNBATCHED:
        path = partition_dir(out_dir, table, None) / PART_FILE
        return [path] if path.is_file() else []
    batches = batches_of(Path(out_dir), table)
    if table in BY_STAGE:
        return [p for batch in batches for p in sorted(partition_dir(out_dir, table, batch).glob(f"*/{PART_FILE}"))]
    paths = [partition_dir(out_dir, table, batch) / PART_FILE for batch in batches]
    return [p for p in paths if p.is_file()]


def check_output(out_dir: Path) -> None:
    """Raise InputError unless ``out_dir`` is a folder holding at least one newsprov table."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise InputError(
            f"output folder {out_dir} does not exist: run `newsprov run INPUT_DIR --out {out_dir}` "
            "first, or pass the --out of an earlier run"
        )
    if not any(table_files(out_dir, table) for table in TABLES if table not in UNBATCHED):
        raise InputError(
            f"no newsprov tables under {out_dir} (expected "
            f"{out_dir}/documents/<YYYY-MM-DD>/part-0.parquet): run `newsprov run INPUT_DIR --out "
            f"{out_dir}` first"
        )


def read_table(
    out_dir: Path, table: str, columns: list[str], batches: list[str] | None = None, where: pc.Expression | None = None
) -> pa.Table:
    """The published partitions of ``table`` (those of ``batches`` when given) as one table of
    ``columns``, of their contract types; only the rows ``where`` holds for when given (evaluated
    while reading, so a large partition is never held whole).

    A column a file lacks (an older schema version) reads as nulls; an unreadable file is an InputError.
    """
    wanted = None if batches is None else set(batches)
    paths = [
        path
        for path in table_files(out_dir, table)
        if wanted is None or (path.parent.parent if table in BY_STAGE else path.parent).name in wanted
    ]
    schema = pa.schema([_field_of(table, c, paths) for c in columns])
    pieces: list[pa.Table] = []
    for path in paths:
        try:
            data: pa.Table = pq.read_table(
                path, columns=[c for c in columns if c in pq.read_schema(path).names], filters=where
            )
            pieces.append(
                pa.table(
                    [
                        data.column(c).cast(f.type) if c in data.column_names else pa.nulls(data.num_rows, f.type)
                        for c, f in zip(columns, schema)
                    ],
                    schema=schema,
                )
            )
        except (OSError, pa.ArrowException) as exc:
            raise InputError(f"cannot read {path}: {exc}; run the batch again to rewrite it") from exc
    return pa.concat_tables(pieces) if pieces else schema.empty_table()


def _field_of(table: str, column: str, paths: list[Path]) -> pa.Field:
    """The contract's field of ``column``; for a column the contract does not hold (one a newer
    writer adds), its type in the first file that has it, else a null column."""
    contract = TABLES[table]
    if column in contract.names:
        return contract.field(column).with_nullable(True)
    for path in paths:
        try:
            names = pq.read_schema(path)
        except (OSError, pa.ArrowException) as exc:
            raise InputError(f"cannot read {path}: {exc}; run the batch again to rewrite it") from exc
        if column in names.names:
            return names.field(column).with_nullable(True)
    return pa.field(column, pa.null())


def read_rows(
    out_dir: Path, table: str, columns: list[str], batches: list[str] | None = None, where: pc.Expression | None = None
) -> list[dict]:
    """``read_table``'s rows as dicts of ``columns``."""
    return read_table(out_dir, table, columns, batches, where).to_pylist()


def table_counts(out_dir: Path) -> list[TableCount]:
    """Rows and partitions of every table of the contract, in pipeline.core.schema order; 0 when missing."""
    check_output(out_dir)
    counts = []
    for table in TABLES:
        files = table_files(out_dir, table)
        try:
            rows = sum(pq.ParquetFile(path).metadata.num_rows for path in files)
        except (OSError, pa.ArrowException) as exc:
            raise InputError(f"cannot read a {table} file under {out_dir}: {exc}") from exc
        counts.append(TableCount(table, rows, len({p.parent.parent if table in BY_STAGE else p.parent for p in files})))
    return counts


def stage_summaries(out_dir: Path) -> list[StageSummary]:
    """Each stage of the runs table over all its batches, in the order the stages first ran; []
    when no run recorded any (an output written before the runs table existed)."""
    files = table_files(out_dir, "runs")
    if not files:
        return []
    query = """
        select stage, count(distinct batch), sum(rows_in), sum(rows_out), sum(seconds), max(peak_rss_bytes),
               sum(skipped_buckets), sum(skipped_anchors)
        from read_parquet($files, hive_partitioning = false)
        group by stage order by min(finished_at), stage
    """
    try:
        with duckdb.connect() as con:
            rows = con.execute(query, {"files": [str(p) for p in files]}).fetchall()
    except duckdb.Error as exc:
        raise InputError(f"cannot read the runs table under {out_dir}: {exc}") from exc
    return [StageSummary(*row) for row in rows]


def top_outlets(out_dir: Path, n: int = 10) -> list[OutletCount]:
    """The ``n`` outlets credited by the most documents (documents.credited_outlets), then by mentions
    (attributions rows); names from the outlets table, the outlet id where it has none."""
    if n < 1:
        raise InputError(f"n must be >= 1, got {n}")
    check_output(out_dir)
    documents = table_files(out_dir, "documents")
    if not documents:
        return []
    attributions = table_files(out_dir, "attributions")
    outlets = table_files(out_dir, "outlets")
    query = """
        with credits as (
            select outlet_id, count(distinct doc_id) as documents
            from (select doc_id, unnest(credited_outlets) as outlet_id
                  from read_parquet($documents, hive_partitioning = false))
            group by 1
        ),
        mentions as ({mentions}),
        names as ({names})
        select c.outlet_id, coalesce(names.name, c.outlet_id), c.documents, coalesce(m.mentions, 0)
        from credits c left join mentions m using (outlet_id) left join names using (outlet_id)
        order by c.documents desc, coalesce(m.mentions, 0) desc, 2, 1
        limit $n
    """.format(
        mentions="select outlet_id, count(*) as mentions from read_parquet($attributions, hive_partitioning = false) "
        "where outlet_id is not null group by 1"
        if attributions
        else "select null::varchar as outlet_id, 0 as mentions where false",
        names="select outlet_id, name from read_parquet($outlets)"
        if outlets
        else "select null::varchar as outlet_id, null::varchar as name where false",
    )
    params: dict[str, object] = {"documents": [str(p) for p in documents], "n": n}
    if attributions:
        params["attributions"] = [str(p) for p in attributions]
    if outlets:
        params["outlets"] = [str(p) for p in outlets]
    try:
        with duckdb.connect() as con:
            rows = con.execute(query, params).fetchall()
    except duckdb.Error as exc:
        raise InputError(f"cannot read the tables under {out_dir}: {exc}") from exc
    return [OutletCount(outlet_id, name, documents, mentions) for outlet_id, name, documents, mentions in rows]


def format_stats(out_dir: Path, top: int = 10) -> str:
    """The text ``newsprov stats`` prints: rows per table, then the ``top`` most credited outlets."""
    if top < 1:
        raise InputError(f"--top must be >= 1, got {top}")
    lines = [f"tables under {out_dir}:"]
    for count in table_counts(out_dir):
        where = (
            "missing"
            if not count.partitions
            else (
                "gazetteer"
                if count.table in UNBATCHED
                else f"{count.partitions} batch" + ("es" if count.partitions != 1 else "")
            )
        )
        lines.append(f"  {count.table:<13}{count.rows:>9}  {where}")
    lines += _format_stages(stage_summaries(out_dir))
    outlets = top_outlets(out_dir, top)
    if not outlets:
        lines.append("top credited outlets: none credited")
        return "\n".join(lines)
    lines.append("top credited outlets (documents crediting, mentions):")
    width = max(len(o.name) for o in outlets)
    for rank, outlet in enumerate(outlets, 1):
        lines.append(
            f"  {rank:>2}. {outlet.name:<{width}}  {outlet.documents:>6}  {outlet.mentions:>6}  {outlet.outlet_id}"
        )
    return "\n".join(lines)


def _format_stages(stages: list[StageSummary]) -> list[str]:
    if not stages:
        return ["stages: no runs recorded"]
    lines = [
        "stages (runs table; rows and seconds summed over batches, peak memory the largest):",
        f"  {'stage':<19}{'batches':>8}{'rows in':>10}{'rows out':>10}{'seconds':>9}{'peak MB':>9}  skipped",
    ]
    for s in stages:
        skipped = "" if s.skipped_buckets is None else f"{s.skipped_buckets} buckets, {s.skipped_anchors} anchors"
        rows_in = "-" if s.rows_in is None else str(s.rows_in)
        lines.append(
            f"  {s.stage:<19}{s.batches:>8}{rows_in:>10}{s.rows_out:>10}{s.seconds:>9.1f}"
            f"{s.peak_rss_bytes / 2**20:>9.0f}  {skipped}".rstrip()
        )
    return lines
