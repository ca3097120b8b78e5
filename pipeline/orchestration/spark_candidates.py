"""Stage 4 on Apache Spark: the candidate join of ``pipeline.stages.candidates.find_candidates`` in Spark SQL.

Chosen with ``[candidates] engine = spark`` in luigi.cfg; ``luigi.contrib.spark`` reads the
``[spark]`` section (master, conf, spark-submit, ...). The inputs are the same Parquet band and
anchor partitions the DuckDB join reads, and the output is the same ``candidates`` table
(``pipeline.core.schema.CANDIDATES``, rows ordered by passage_a, passage_b): Align reads either engine's
partition unchanged. The queries mirror ``find_candidates`` clause for clause, so a change there
must be made here too; ``tests/test_spark.py`` compares the two engines' tables row for row.

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

from pipeline.core import tables
from pipeline.stages.candidates import CandidateParams, CandidateResult
from pipeline.core.schema import CANDIDATES

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

BAND_COLUMNS = ("passage_id", "doc_id", "band", "bucket")
ANCHOR_COLUMNS = ("passage_id", "doc_id", "anchor")


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


def _new_and_history(spark: SparkSession, out_dir: Path, table: str, batch: str, earlier: list[str],
                     columns: tuple[str, ...]) -> tuple[DataFrame, DataFrame]:
    """The batch's partition of ``table`` and its earlier batches' partitions (an empty frame when none)."""
    def part(b: str) -> Path:
        return tables.partition_dir(out_dir, table, b) / tables.PART_FILE

    new = _read_files(spark, [part(batch)], columns)
    history = _read_files(spark, [part(b) for b in earlier], columns) if earlier else \
        spark.createDataFrame([], new.schema)
    return new, history


def join_partitions(spark: SparkSession, out_dir: Path, batch: str, earlier: list[str],
                    params: CandidateParams) -> CandidateResult:
    """Candidates of ``batch`` from the published bands and anchors of it and of the ``earlier`` batches."""
    new_bands, history_bands = _new_and_history(spark, out_dir, "bands", batch, earlier, BAND_COLUMNS)
    new_anchors, history_anchors = _new_and_history(spark, out_dir, "anchors", batch, earlier, ANCHOR_COLUMNS)
    return spark_find_candidates(spark, new_bands, new_anchors, history_bands, history_anchors, params)


def spark_find_candidates(spark: SparkSession, new_bands: DataFrame, new_anchors: DataFrame,
                          history_bands: DataFrame, history_anchors: DataFrame,
                          params: CandidateParams) -> CandidateResult:
    """``find_candidates`` on Spark: the same pairs, columns, skipped counts and row order.

    A pair within the batch appears once, with ``passage_a < passage_b``; passages of the same
    document are never paired. The pairs are collected to the driver as Arrow: a batch's
    candidates are what the single-node Align stage reads whole anyway.
    """
    cap = params.max_bucket_size
    cached: list[DataFrame] = []

    def cache(frame: DataFrame) -> DataFrame:
        # Each of these is read by several queries below; released when the join is done.
        cached.append(frame.cache())
        return frame

    try:
        # Only history rows in a bucket or anchor of the new batch can pair with it: cut them first.
        all_bands = cache(spark.sql(
            "select passage_id, doc_id, band, bucket, true as is_new from {new_bands} "
            "union all select h.passage_id, h.doc_id, h.band, h.bucket, false from {history_bands} h "
            "left semi join {new_bands} n on h.band = n.band and h.bucket = n.bucket",
            new_bands=new_bands, history_bands=history_bands))
        all_anchors = cache(spark.sql(
            "select passage_id, doc_id, anchor, true as is_new from {new_anchors} "
            "union all select h.passage_id, h.doc_id, h.anchor, false from {history_anchors} h "
            "left semi join {new_anchors} n on h.anchor = n.anchor",
            new_anchors=new_anchors, history_anchors=history_anchors))
        bucket_sizes = cache(spark.sql("select band, bucket, count(*) as n from {b} group by band, bucket "
                                       "having bool_or(is_new)", b=all_bands))
        # N of the idf: distinct passages with anchors in the batch and the whole history (not just the cut).
        n_passages = spark.sql(
            "select greatest(count(distinct passage_id), 1) as n from (select passage_id from {new_anchors} "
            "union all select passage_id from {history_anchors})",
            new_anchors=new_anchors, history_anchors=history_anchors)
        anchor_sizes = cache(spark.sql(
            "select a.anchor, count(*) as n, ln(max(t.n) / count(*)) as idf from {a} a cross join {t} t "
            "group by a.anchor having bool_or(a.is_new)", a=all_anchors, t=n_passages))
        keep_buckets = bucket_sizes.where(f"n between 2 and {cap}").select("band", "bucket")
        keep_anchors = anchor_sizes.where(f"n between 2 and {cap}").select("anchor", "idf")
        # One Spark job for both counts (each job costs seconds on a cold JVM).
        skipped_buckets, skipped_anchors = spark.sql(
            f"select (select count(*) from {{b}} where n > {cap}), (select count(*) from {{a}} where n > {cap})",
            b=bucket_sizes, a=anchor_sizes).first()
        pairs = spark.sql(f"""
            with b as (select a.* from {{all_bands}} a
                       left semi join {{keep_buckets}} k on a.band = k.band and a.bucket = k.bucket),
            band_pairs as (
                select x.passage_id as passage_a, y.passage_id as passage_b,
                       x.doc_id as doc_a, y.doc_id as doc_b, count(*) as shared_bands
                from b x join b y on x.band = y.band and x.bucket = y.bucket
                where x.is_new and x.doc_id <> y.doc_id and (not y.is_new or x.passage_id < y.passage_id)
                group by x.passage_id, y.passage_id, x.doc_id, y.doc_id),
            an as (select a.*, k.idf from {{all_anchors}} a join {{keep_anchors}} k on a.anchor = k.anchor),
            anchor_pairs as (
                select x.passage_id as passage_a, y.passage_id as passage_b,
                       x.doc_id as doc_a, y.doc_id as doc_b, count(*) as shared_anchors,
                       sum(x.idf) as anchor_score
                from an x join an y on x.anchor = y.anchor
                where x.is_new and x.doc_id <> y.doc_id and (not y.is_new or x.passage_id < y.passage_id)
                group by x.passage_id, y.passage_id, x.doc_id, y.doc_id
                having count(*) >= {params.min_shared_anchors})
            select coalesce(p.passage_a, q.passage_a) as passage_a, coalesce(p.passage_b, q.passage_b) as passage_b,
                   coalesce(p.doc_a, q.doc_a) as doc_a, coalesce(p.doc_b, q.doc_b) as doc_b,
                   cast(coalesce(p.shared_bands, 0) as smallint) as shared_bands,
                   cast(coalesce(q.shared_anchors, 0) as smallint) as shared_anchors,
                   cast(coalesce(q.anchor_score, 0) as float) as anchor_score,
                   case when p.passage_a is null then 'anchors' when q.passage_a is null then 'minhash_lsh'
                        else 'both' end as method
            from band_pairs p full outer join anchor_pairs q
              on p.passage_a = q.passage_a and p.passage_b = q.passage_b""",
                          all_bands=all_bands, keep_buckets=keep_buckets, all_anchors=all_anchors,
                          keep_anchors=keep_anchors)
        # Sorted on the driver, byte order as DuckDB's `order by`: the partition reads the same either way.
        table = pairs.toArrow().sort_by([("passage_a", "ascending"), ("passage_b", "ascending")])
    finally:
        for frame in cached:
            frame.unpersist()
    if skipped_buckets or skipped_anchors:
        log.info("candidates: skipped %d LSH buckets and %d anchors shared by more than %d passages",
                 skipped_buckets, skipped_anchors, cap)
    return CandidateResult(tables.conform(table, CANDIDATES), skipped_buckets, skipped_anchors)
