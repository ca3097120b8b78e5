"""The runs table (one row per batch and stage), read as a user would, and `newsprov stats`' stage summary."""

from __future__ import annotations

import shutil

import duckdb
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from conftest import SEED_BATCH, settings
from daily import STAGES as DAILY_STAGES

from pipeline import __version__
from pipeline.core.schema import RUNS
from pipeline.orchestration import runs
from pipeline.orchestration.cli import main
from pipeline.report.queries import stage_summaries

STAGES = set(DAILY_STAGES)


def _runs(out) -> dict[str, dict]:
    rows = ds.dataset(out / "runs", format="parquet", partitioning="hive").to_table().to_pylist()
    return {row["stage"]: row for row in rows}


def _rows(out, table: str) -> int:
    with duckdb.connect() as con:
        return con.execute(f"select count(*) from read_parquet('{out}/{table}/**/*.parquet')").fetchone()[0]


def test_each_stage_of_the_batch_has_one_row_in_its_own_partition(seed_run):
    files = sorted(p.relative_to(seed_run.out) for p in (seed_run.out / "runs").rglob("*.parquet"))
    assert [str(f) for f in files] == sorted(f"runs/{SEED_BATCH}/{s}/part-0.parquet" for s in STAGES)
    assert all(pq.read_schema(seed_run.out / f).metadata[b"newsprov.schema"] == b"runs/1" for f in files)
    got = _runs(seed_run.out)
    assert set(got) == STAGES
    assert {row["batch"] for row in got.values()} == {SEED_BATCH}
    assert all(
        row["code_version"].startswith(__version__) and row["seconds"] > 0 and row["peak_rss_bytes"] > 2**20
        for row in got.values()
    )


def test_rows_in_and_out_are_the_rows_of_the_partitions_each_stage_read_and_wrote(seed_run):
    got, out = _runs(seed_run.out), seed_run.out
    assert got["Ingest"]["rows_in"] is None  # it reads files
    assert got["Ingest"]["rows_out"] == sum(_rows(out, t) for t in ("documents", "rejects", "sightings", "credits"))
    assert (got["Fingerprint"]["rows_in"], got["Fingerprint"]["rows_out"]) == (
        _rows(out, "documents"),
        _rows(out, "passages"),
    )
    assert got["CandidateJoin"]["rows_in"] == _rows(out, "bands") + _rows(out, "anchors")
    assert (got["Align"]["rows_in"], got["Align"]["rows_out"]) == (_rows(out, "candidates"), _rows(out, "overlaps"))
    assert got["Clusters"]["rows_out"] == _rows(out, "clusters")
    assert (got["CandidateJoin"]["skipped_buckets"], got["CandidateJoin"]["skipped_anchors"]) == (0, 0)
    assert (got["Paraphrase"]["skipped_buckets"], got["Paraphrase"]["skipped_anchors"]) == (0, None)
    assert got["Align"]["skipped_buckets"] is None


def test_duckdb_reads_the_runs_table_with_its_stage_partitions(seed_run):
    with duckdb.connect() as con:
        rows = con.execute(
            f"select stage, rows_out from '{seed_run.out}/runs/**/*.parquet' "
            "where stage in ('Align', 'Provenance') order by stage"
        ).fetchall()
        columns = [
            c[0]
            for c in con.execute(
                f"describe select * from read_parquet('{seed_run.out}/runs/**/*.parquet', hive_partitioning=false)"
            ).fetchall()
        ]
    assert rows == [("Align", _rows(seed_run.out, "overlaps")), ("Provenance", _rows(seed_run.out, "provenance"))]
    assert columns == RUNS.names


def test_the_settings_hash_follows_the_stage_settings():
    before = runs.settings_hash(("align", "fingerprint"))
    assert runs.settings_hash(("fingerprint", "align")) == before
    with settings({"align": {"min_span_words": "5"}}):
        assert runs.settings_hash(("align", "fingerprint")) != before
        assert runs.settings_hash(("fingerprint",)) == runs.settings_hash(("fingerprint",))
    assert runs.settings_hash(("align", "fingerprint")) == before


def test_the_runs_rows_are_no_part_of_a_batch_being_complete(seed_run, tmp_path):
    """A batch published before the runs table existed (or killed between a stage's tables and
    its row) is complete: running it again runs nothing and writes no row."""
    out = tmp_path / "output"
    shutil.copytree(seed_run.out, out)
    shutil.rmtree(out / "runs")
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.parquet")}
    assert main(["run", str(seed_run.input_dir), "--out", str(out), "--batch", SEED_BATCH]) == 0
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.parquet")} == before
    assert stage_summaries(out) == []


def test_stats_prints_a_line_per_stage_in_the_order_they_ran(seed_run, capsys):
    assert main(["stats", "--out", str(seed_run.out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("stages (runs table"))
    stage_lines = [line.split() for line in lines[first + 2 : first + 2 + len(STAGES)]]
    assert [s[0] for s in stage_lines][:2] == ["Ingest", "Fingerprint"] and {s[0] for s in stage_lines} == STAGES
    align = next(s for s in stage_lines if s[0] == "Align")
    assert align[1:4] == ["1", str(_rows(seed_run.out, "candidates")), str(_rows(seed_run.out, "overlaps"))]
    candidates = next(s for s in stage_lines if s[0] == "CandidateJoin")
    assert candidates[-4:] == ["0", "buckets,", "0", "anchors"]
