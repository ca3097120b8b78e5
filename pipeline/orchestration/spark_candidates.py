"""Stage 4 on Apache Spark: the candidate join of ``pipeline.stages.candidates`` in Spark SQL.

Chosen with ``[candidates] engine = spark`` in luigi.cfg; ``luigi.contrib.spark`` reads the
``[spark]`` section (master, conf, spark-submit, ...). The inputs are the same Parquet band and
anchor partitions the DuckDB join reads, and the output is the same ``candidates`` table
(``pipeline.core.schema.CANDIDATES``, rows ordered by passage_a, passage_b): Align reads either engine's
partition unchanged. The queries are the join's one definition, ``candidates.join_statements``,
which the tests also hold ``find_candidates`` to; ``tests/test_spark.py`` compares the two engines'
tables row for row.

Only Spark SQL runs on the executors (no Python UDFs), so a cluster needs no Python environment
beyond the driver's. This module imports no pyspark at load time: the Luigi worker that calls
spark-submit only needs the helpers below.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.core import history_index, tables
from pipeline.core.ids import PASSAGE_ID_SQL
from pipeline.core.schema import CANDIDATES
from pipeline.stages.candidates import CandidateParams, CandidateResult, join_statements

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

BAND_COLUMNS = ("passage_id", "doc_id", "band", "bucket")
ANCHOR_COLUMNS = ("passage_id", "doc_id", "anchor")
# Statements read by several later ones: cached, and released when the join is done.
_CACHED = frozenset({"all_bands", "all_anchors", "bucket_sizes", "anchor_sizes"})


def spark_submit_path(configured: str | None) -> str:
    """``[spark] spark-submit`` when set, else the one pyspark's wheel installs beside this Python.

    A venv's bin folder is usually not on PATH (``make test`` never activates it), and a system
    ``spark-submit`` of another Spark version would not match the installed pyspark.
    """
    if configured:
        return configured
    beside = Path(sys.executable).parent / "spark-submit"
    return str(beside) if beside.is_file() else "spark-submit"


def submit_environment(base: dict[str, str]) -> dict[str, str]:
    """Environment for spark-submit: this interpreter for the driver, ``pipeline`` importable.

    pyspark's spark-submit script finds its Spark home by running ``PYSPARK_PYTHON``; the driver
    unpickles the Luigi task, so it must import this package even when it is not pip-installed.
    """
    env = dict(base)
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    package_root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    return env


def _read_files(spark: SparkSession, paths: list[Path], columns: tuple[str, ...]) -> DataFrame:
    # Explicit file:// (a cluster whose default filesystem is HDFS must still read the shared folder).
    return spark.read.parquet(*[f"file://{p.resolve()}" for p in paths]).select(*columns)


def _new_and_history(
    spark: SparkSession, out_dir: Path, table: str, batch: str, earlier: list[str], columns: tuple[str, ...]
) -> tuple[DataFrame, DataFrame]:
    """The batch's partition of ``table`` and its earlier batches' partitions (an empty frame when none)."""

    def part(b: str) -> Path:
        return tables.partition_dir(out_dir, table, b) / tables.PART_FILE

    new = _read_files(spark, [part(batch)], columns)
    history = (
        _read_files(spark, [part(b) for b in earlier], columns) if earlier else spark.createDataFrame([], new.schema)
    )
    return new, history


def _history_bands(spark: SparkSession, out_dir: Path, batches: list[str], new: DataFrame) -> DataFrame:
    """The band rows of ``batches``: from the history index's segments that hold them (the worker
    brought it up to date before spark-submit), the rest from their partitions."""
    chosen, rest = history_index.cover(history_index.segments(out_dir, "bands")[0], batches)
    frames = []
    for segment in chosen:
        keys = _read_files(spark, [segment.folder / history_index.KEYS], ("band", "bucket", "doc", "ordinal", "start"))
        docs = _read_files(spark, [segment.folder / history_index.DOCS], ("doc", "doc_id"))
        spelled = PASSAGE_ID_SQL.format(doc="doc_id", ordinal="ordinal", start="start")
        frames.append(keys.join(docs, "doc").selectExpr(f"{spelled} as passage_id", "doc_id", "band", "bucket"))
    if rest:
        frames.append(
            _read_files(
                spark, [tables.partition_dir(out_dir, "bands", b) / tables.PART_FILE for b in rest], BAND_COLUMNS
            )
        )
    if not frames:
        return spark.createDataFrame([], new.schema)
    history = frames[0]
    for frame in frames[1:]:
        history = history.unionByName(frame)
    return history


def join_partitions(
    spark: SparkSession,
    out_dir: Path,
    batch: str,
    band_batches: list[str],
    anchor_batches: list[str],
    params: CandidateParams,
) -> CandidateResult:
    """Candidates of ``batch`` from the published bands and anchors of it, the bands of the
    ``band_batches`` and the anchors of the ``anchor_batches`` (earlier ones: candidates.anchor_window)."""
    new_bands, _ = _new_and_history(spark, out_dir, "bands", batch, [], BAND_COLUMNS)
    history_bands = _history_bands(spark, out_dir, band_batches, new_bands)
    new_anchors, history_anchors = _new_and_history(spark, out_dir, "anchors", batch, anchor_batches, ANCHOR_COLUMNS)
    return spark_find_candidates(spark, new_bands, new_anchors, history_bands, history_anchors, params)


def spark_find_candidates(
    spark: SparkSession,
    new_bands: DataFrame,
    new_anchors: DataFrame,
    history_bands: DataFrame,
    history_anchors: DataFrame,
    params: CandidateParams,
) -> CandidateResult:
    """``find_candidates`` on Spark: the same pairs, columns, skipped counts and row order.

    A pair within the batch appears once, with ``passage_a < passage_b``; passages of the same
    document are never paired. The pairs are collected to the driver as Arrow: a batch's
    candidates are what the single-node Align stage reads whole anyway.
    """
    cap = params.max_bucket_size
    inputs = {
        "new_bands": new_bands,
        "new_anchors": new_anchors,
        "history_bands": history_bands,
        "history_anchors": history_anchors,
    }
    statements = join_statements(params)
    cached: list[DataFrame] = []
    try:
        for name, frame in inputs.items():
            frame.createOrReplaceTempView(name)
        for name, statement in statements.items():
            frame = spark.sql(statement)
            if name in _CACHED:
                cached.append(frame.cache())
            frame.createOrReplaceTempView(name)
        # One Spark job for both counts (each job costs seconds on a cold JVM).
        skipped_buckets, skipped_anchors = spark.table("skipped").first()
        # Sorted on the driver, byte order as DuckDB's `order by`: the partition reads the same either way.
        table = spark.table("candidates").toArrow().sort_by([("passage_a", "ascending"), ("passage_b", "ascending")])
    finally:
        for frame in cached:
            frame.unpersist()
        for name in [*inputs, *statements]:
            spark.catalog.dropTempView(name)
    if skipped_buckets or skipped_anchors:
        log.info(
            "candidates: skipped %d LSH buckets and %d anchors shared by more than %d passages",
            skipped_buckets,
            skipped_anchors,
            cap,
        )
    return CandidateResult(tables.conform(table, CANDIDATES), skipped_buckets, skipped_anchors)
