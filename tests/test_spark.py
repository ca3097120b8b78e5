"""The candidate join on Spark (``[candidates] engine = spark``) writes the same tables as the DuckDB join.

Both engines run the real pipeline (Luigi, local scheduler) on one inbox: the seeds as the first batch,
then two days of small articles written for this test with same-day and cross-day copies, a spun copy,
an independent report of the same event and a newsletter line in every document (a bucket over the
cap). Spark runs in ``local[2]``, one spark-submit per batch, from pyspark's own spark-submit.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import duckdb
import luigi
import luigi.configuration
import pyarrow.parquet as pq
import pytest
from conftest import SEED_BATCH, SEEDS, settings

import pipeline.orchestration.tasks as tasks
from pipeline.core.errors import ConfigError
from pipeline.orchestration import config
from pipeline.orchestration.cli import main

pytestmark = [pytest.mark.slow, pytest.mark.spark]

NEWSLETTER = "Sign up for our morning newsletter to get the day's top stories in your inbox."

BRIDGE = f"""date 2025-10-25 Millbrook:
The Millbrook swing bridge reopened to traffic on Saturday after eighteen months of repairs that cost the county 27 million dollars and forced thousands of commuters onto a long detour.

County engineer Tomas Lindqvist said the old steel deck had been replaced piece by piece, and that the new bearings should keep the bridge turning smoothly for at least another fifty years.

Shop owners on the east bank said the closure had cut their trade by almost half, and several asked the county to compensate businesses that had struggled through two winters without passing customers.

The first vehicle across was a school bus carrying pupils from Harlow Primary, who cheered as the barriers lifted just after nine in the morning.

{NEWSLETTER}
"""

BRIDGE_WIRE = f"""Millbrook bridge back in service, Riverside Gazette says

The Millbrook swing bridge reopened to traffic on Saturday after eighteen months of repairs that cost the county 27 million dollars and forced thousands of commuters onto a long detour, the Riverside Gazette reported.

County engineer Tomas Lindqvist said the old steel deck had been replaced piece by piece, and that the new bearings should keep the bridge turning smoothly for at least another fifty years.

Shop owners on the east bank said the closure had cut their trade by almost half, and several asked the county to compensate businesses that had struggled through two winters without passing customers.

{NEWSLETTER}
"""

LIBRARY = f"""date 2025-10-25 Eastford:
The Eastford public library will stay open until ten at night on weekdays from next month, after volunteers raised enough money to pay for two extra evening staff members.

Head librarian Grace Okafor said students preparing for exams had asked for longer hours for years, and that the reading rooms were often full by the middle of the afternoon.

The fundraising campaign collected 86 thousand dollars from bake sales, a sponsored walk along the canal and a single large gift from a retired teacher who asked not to be named.

The library board will review the late opening after six months, looking at how many visitors come after seven and whether the heating costs can be kept under control.

{NEWSLETTER}
"""

LIBRARY_SPUN = f"""date 2025-10-26 Eastford:
The Eastford public library will remain open until ten at night on weekdays from next month, after volunteers collected sufficient money to pay for two additional evening staff members.

Chief librarian Grace Okafor stated that pupils preparing for examinations had requested longer hours for years, and that the reading rooms were frequently full by the middle of the afternoon.

The fundraising drive gathered 86 thousand dollars from bake sales, a sponsored stroll along the canal and a single big present from a retired instructor who asked not to be named.

{NEWSLETTER}
"""

BRIDGE_REPORT = f"""date 2025-10-26 Millbrook:
Commuters in Millbrook finally have their crossing back. Tomas Lindqvist, who oversaw the work for the county, watched on Saturday as the swing bridge carried cars again.

The eighteen months of work on the Millbrook crossing came to 27 million dollars, Lindqvist confirmed, most of it spent on a new deck and bearings.

Pupils from Harlow Primary rode the first bus over the Millbrook bridge, Lindqvist added, and traders from the east bank came out to watch.

{NEWSLETTER}
"""

BRIDGE_EXCERPT = f"""Weekend roundup

County engineer Tomas Lindqvist said the old steel deck had been replaced piece by piece, and that the new bearings should keep the bridge turning smoothly for at least another fifty years.

Shop owners on the east bank said the closure had cut their trade by almost half, and several asked the county to compensate businesses that had struggled through two winters without passing customers.

In other news, the annual pumpkin fair drew a record crowd to the market square, where a grower from Hollins Farm won first prize with a fruit weighing more than four hundred kilograms.

{NEWSLETTER}
"""

DAYS = {
    "2025-10-25": {"bridge.txt": BRIDGE, "bridge-wire.txt": BRIDGE_WIRE, "library.txt": LIBRARY},
    "2025-10-26": {
        "library-reprint.txt": LIBRARY.replace("2025-10-25", "2025-10-26"),
        "library-spun.txt": LIBRARY_SPUN,
        "bridge-report.txt": BRIDGE_REPORT,
        "bridge-excerpt.txt": BRIDGE_EXCERPT,
    },
}
LAST_DAY = dt.date(2025, 10, 26)

# A cap below the seven documents that carry the newsletter line, so both engines skip its bucket;
# story anchors matched against the day before only, so the last day's reach the seeds' day by bands alone.
COMMON = {"candidates": {"max_bucket_size": "4"}, "anchors": {"window_days": "1"}}
SPARK = {
    "candidates": {"engine": "spark"},
    "spark": {
        "master": "local[2]",
        "conf": "spark.ui.enabled=false|spark.sql.shuffle.partitions=4",
        # A short job: a JVM that starts fast beats one that optimises hard (about 8 s less per batch).
        "driver_java_options": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
    },
}
COMPARED = ("bands", "anchors", "candidates", "overlaps", "provenance", "clusters")

JOINS_RUN: dict[str, list[str]] = defaultdict(list)  # out_dir -> join tasks that succeeded there


@tasks.CandidateJoin.event_handler(luigi.Event.SUCCESS)
@tasks.SparkCandidateJoin.event_handler(luigi.Event.SUCCESS)
def _record_join(task) -> None:
    JOINS_RUN[task.out_dir].append(type(task).__name__)


def make_inbox(root: Path) -> Path:
    shutil.copytree(SEEDS, root / SEED_BATCH)
    for day, files in DAYS.items():
        (root / day).mkdir()
        for name, text in files.items():
            (root / day / name).write_text(text)
    return root


@dataclass
class EngineRuns:
    duckdb: Path
    spark: Path

    def sql(self, query: str, out: Path) -> list[tuple]:
        """``query`` with ``{table}`` bound to that table's files under ``out``, batch read from the folder name."""
        names = ("documents", "passages", "candidates", "overlaps")
        with duckdb.connect() as con:
            return con.execute(
                query.format(**{n: f"read_parquet('{out}/{n}/**/*.parquet', hive_partitioning=true)" for n in names})
            ).fetchall()


def run_inbox(inbox: Path, out: Path) -> None:
    task = tasks.Inbox(inbox=str(inbox), out_dir=str(out), stop=LAST_DAY, days_back=30, report=False)
    result = luigi.build([task], local_scheduler=True, detailed_summary=True, log_level="WARNING")
    if result.status.name != "SUCCESS":
        pytest.fail(f"pipeline run into {out} ended {result.status.name}:\n{result.summary_text}")


@pytest.fixture(scope="module")
def engine_runs(tmp_path_factory) -> EngineRuns:
    root = tmp_path_factory.mktemp("spark")
    inbox = make_inbox(root / "inbox")
    with settings(COMMON):
        run_inbox(inbox, root / "duckdb")
    with settings(COMMON, SPARK):
        run_inbox(inbox, root / "spark")
    return EngineRuns(root / "duckdb", root / "spark")


def partition_files(out: Path, table: str) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in (out / table).glob("*/*.parquet"))


def test_each_engine_ran_its_own_join(engine_runs):
    assert sorted(JOINS_RUN[str(engine_runs.spark)]) == ["SparkCandidateJoin"] * 3
    assert sorted(JOINS_RUN[str(engine_runs.duckdb)]) == ["CandidateJoin"] * 3


@pytest.mark.parametrize("table", COMPARED)
def test_spark_and_duckdb_write_equal_partitions(engine_runs, table):
    files = partition_files(engine_runs.duckdb, table)
    assert files == partition_files(engine_runs.spark, table)
    assert len(files) == 3
    for name in files:
        # Row for row, in file order, with the contract schema and its metadata.
        expected = pq.read_table(engine_runs.duckdb / name)
        got = pq.read_table(engine_runs.spark / name)
        assert got.equals(expected, check_metadata=True), f"{name} differs"


def test_the_corpus_exercises_both_channels_history_and_the_cap(engine_runs):
    out = engine_runs.spark
    methods = dict(engine_runs.sql("select method, count(*) from {candidates} group by 1", out))
    assert set(methods) == {"minhash_lsh", "anchors", "both"}
    # Pairs within a batch and against earlier batches, on the seeds' day and on the later ones.
    kinds = engine_runs.sql(
        """
        select distinct c.batch, pb.batch = c.batch
        from {candidates} c join {passages} pb on pb.passage_id = c.passage_b order by all""",
        out,
    )
    assert kinds == [("2025-10-24", True), ("2025-10-25", True), ("2025-10-26", False), ("2025-10-26", True)]
    relations = {r for (r,) in engine_runs.sql("select distinct relation from {overlaps}", out)}
    assert {"verbatim", "spun", "same_story"} <= relations
    # The newsletter line: three copies on the 25th pair up (3 pairs, 2 sides each); on the 26th its bucket
    # holds seven passages with history, over the cap of four, so it is skipped and nothing pairs with it.
    newsletter = engine_runs.sql(
        f"""
        select p.batch, count(distinct p.doc_id), count(c.passage_a) from {{passages}} p
        left join {{candidates}} c on p.passage_id in (c.passage_a, c.passage_b)
        where p.text = '{NEWSLETTER.replace("'", "''")}' group by 1 order by 1""",
        out,
    )
    assert newsletter == [("2025-10-25", 3, 6), ("2025-10-26", 4, 0)]


def test_story_anchors_reach_back_over_the_window_only(engine_runs):
    for out in (engine_runs.duckdb, engine_runs.spark):
        reach = engine_runs.sql(
            """
            select c.batch, pb.batch, bool_or(c.shared_anchors > 0)
            from {candidates} c join {passages} pb on pb.passage_id = c.passage_b
            where pb.batch <> c.batch group by all order by all""",
            out,
        )
        assert ("2025-10-26", "2025-10-25", True) in reach
        assert all(not anchored for batch, earlier, anchored in reach if (batch, earlier) == ("2025-10-26", SEED_BATCH))


def test_both_engines_count_what_they_skipped_in_the_runs_table(engine_runs):
    def skipped(out: Path) -> list[tuple]:
        with duckdb.connect() as con:
            return con.execute(
                f"select batch, skipped_buckets, skipped_anchors from '{out}/runs/**/*.parquet' "
                "where stage like '%CandidateJoin' order by batch"
            ).fetchall()

    found = skipped(engine_runs.spark)
    assert found == skipped(engine_runs.duckdb)
    assert [batch for batch, _, _ in found] == [SEED_BATCH, *DAYS]
    assert found[-1][1] > 0  # the newsletter's buckets on the last day


def test_an_unknown_engine_is_a_config_error_naming_the_setting(tmp_path, capsys):
    with pytest.raises(ConfigError, match=r"candidates\.engine must be one of duckdb, spark, got 'sparkk'"):
        config.candidates(engine="sparkk").join_engine()
    with settings({"candidates": {"engine": "sparkk"}}):
        code = main(["run", str(SEEDS), "--out", str(tmp_path / "out"), "--batch", SEED_BATCH])
    assert code == 2
    assert capsys.readouterr().err.strip() == ("newsprov: candidates.engine must be one of duckdb, spark, got 'sparkk'")
    assert not (tmp_path / "out" / "documents").exists()
