"""Every table reads the same with DuckDB, Polars, pandas (pyarrow) and Spark, as README "Tables" shows.

A two-batch output: the seeds, then a day with one of them reprinted. Each reader is called exactly as
the README writes it; all must find the same rows and one `batch` column, a string, in every table
partitioned by batch (outlets has none).
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest
from conftest import SEED_BATCH, SEEDS

from pipeline.core import tables
from pipeline.core.errors import OutputError
from pipeline.core.schema import ROWS_WITHOUT_BATCH, TABLES
from pipeline.orchestration.cli import main

NEXT_BATCH = "2025-10-25"
BATCHED = [name for name in TABLES if name != "outlets"]


@pytest.fixture(scope="module")
def two_batches(tmp_path_factory, seed_run) -> Path:
    root = tmp_path_factory.mktemp("readers")
    out = root / "output"
    shutil.copytree(seed_run.out, out)
    day = root / NEXT_BATCH
    day.mkdir()
    seed = min(SEEDS.glob("000_*.txt"))
    (day / "reprint.txt").write_text("Reprinted from the South China Morning Post\n\n" + seed.read_text())
    assert main(["run", str(day), "--out", str(out)]) == 0  # the folder's name is the batch
    return out


def duckdb_read(out: Path, table: str) -> tuple[list[str], list]:
    with duckdb.connect() as con:
        relation = con.sql(f"select * from '{out}/{table}/**/*.parquet'")
        types = dict(zip(relation.columns, (str(t) for t in relation.types)))
        batches = [b for (b,) in relation.select("batch").fetchall()] if "batch" in types else None
        return relation.columns, [types.get("batch"), relation.shape[0], batches]


def polars_read(out: Path, table: str) -> tuple[list[str], list]:
    frame = pl.read_parquet(f"{out}/{table}/**/*.parquet")
    batch = frame.get_column("batch") if "batch" in frame.columns else None
    return frame.columns, [
        None if batch is None else str(batch.dtype),
        frame.height,
        None if batch is None else batch.to_list(),
    ]


def pandas_read(out: Path, table: str) -> tuple[list[str], list]:
    frame = pd.read_parquet(out / table, engine="pyarrow")
    batch = frame["batch"] if "batch" in frame.columns else None
    kind = (
        None
        if batch is None
        else (
            "string"
            if pd.api.types.is_string_dtype(batch) and not isinstance(batch.dtype, pd.CategoricalDtype)
            else str(batch.dtype)
        )
    )
    return list(frame.columns), [kind, len(frame), None if batch is None else batch.tolist()]


def normalised(read: tuple[list[str], list]) -> tuple[list[str], str | None, int, Counter | None]:
    columns, (kind, rows, batches) = read
    kind = None if kind is None else {"VARCHAR": "string", "String": "string", "StringType()": "string"}.get(kind, kind)
    return columns, kind, rows, None if batches is None else Counter(batches)


def expected(out: Path, table: str) -> tuple[list[str], str | None, int, Counter | None]:
    """What the files hold, read one by one with pyarrow."""
    files = sorted((out / table).rglob("part-0.parquet"))
    data = [pq.read_table(path) for path in files]
    batches = Counter(b for d in data if "batch" in d.column_names for b in d.column("batch").to_pylist())
    return (
        TABLES[table].names,
        "string" if table != "outlets" else None,
        sum(d.num_rows for d in data),
        batches if table != "outlets" else None,
    )


@pytest.mark.parametrize("table", list(TABLES))
@pytest.mark.parametrize("reader", [duckdb_read, polars_read, pandas_read], ids=["duckdb", "polars", "pandas"])
def test_each_reader_finds_the_rows_and_one_string_batch(two_batches, table, reader):
    want = expected(two_batches, table)
    # outlet_links: the seeds are text files, whose documents name no publisher
    assert want[2] > 0 or table in ("paraphrases", "sentence_bands", "rejects", "sightings", "outlet_links")
    if want[3] is not None:
        assert set(want[3]) <= {SEED_BATCH, NEXT_BATCH}
    assert normalised(reader(two_batches, table)) == want


def test_the_second_batch_took_its_folders_date_and_every_batched_file_holds_batch(two_batches):
    assert tables.batches_of(two_batches, "documents") == [SEED_BATCH, NEXT_BATCH]
    for table in BATCHED:
        for path in (two_batches / table).rglob("part-0.parquet"):
            assert pq.read_schema(path).field("batch").type == "string", path
            batch = path.relative_to(two_batches / table).parts[0]
            assert set(pq.read_table(path, columns=["batch"]).column("batch").to_pylist()) <= {batch}


def test_an_output_of_the_old_layout_is_one_line_until_upgraded(two_batches, tmp_path, capsys):
    old = tmp_path / "old"
    shutil.copytree(two_batches, old)
    for table in BATCHED:  # as newsprov wrote it before: batch=<date> folders, no batch in four tables
        for folder in sorted((old / table).iterdir()):
            if table in ROWS_WITHOUT_BATCH:
                path = folder / tables.PART_FILE
                pq.write_table(pq.read_table(path).drop_columns(["batch"]), path)
            for stage in folder.iterdir() if table == "runs" else []:
                stage.rename(stage.with_name(f"stage={stage.name}"))
            folder.rename(folder.with_name(f"batch={folder.name}"))
    for report in (old / "reports").iterdir():
        report.rename(report.with_name(f"batch={report.name}"))
    shutil.move(old / "outlets" / "gazetteer" / tables.PART_FILE, old / "outlets" / tables.PART_FILE)
    (old / "outlets" / "gazetteer").rmdir()
    with pytest.raises(OutputError, match="newsprov upgrade"):
        tables.batches_of(old, "documents")
    (tmp_path / "input").mkdir()  # beside the output: an output inside the input is refused first
    assert main(["run", str(tmp_path / "input"), "--out", str(old), "--batch", "2025-10-26"]) == 2
    assert "newsprov upgrade --out" in capsys.readouterr().err
    assert main(["doctor", str(old)]) == 1
    assert "newsprov upgrade --out" in capsys.readouterr().out
    assert main(["upgrade", "--out", str(old)]) == 0
    assert main(["doctor", str(old)]) == 0
    assert sorted(p.name for p in (old / "reports").iterdir()) == [SEED_BATCH, NEXT_BATCH]
    for table in TABLES:
        assert normalised(duckdb_read(old, table)) == expected(two_batches, table)


# Spark: one session for the module's tests, started only when they run.
@pytest.fixture(scope="module")
def spark():
    pyspark_sql = pytest.importorskip("pyspark.sql")
    session = (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .appName("newsprov-readers")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.mark.slow
@pytest.mark.spark
def test_spark_reads_every_table_as_the_others_do(two_batches, spark):
    for table in TABLES:
        frame = spark.read.option("recursiveFileLookup", "true").parquet(str(two_batches / table))
        kind = str(frame.schema["batch"].dataType) if "batch" in frame.columns else None
        batches = [row[0] for row in frame.select("batch").collect()] if kind else None
        got = normalised((frame.columns, [kind, frame.count(), batches]))
        assert got == expected(two_batches, table) == normalised(duckdb_read(two_batches, table)), table
