"""newsprov stats: rows per table and the most credited outlets, checked against DuckDB over the same files."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from pipeline.core.errors import InputError
from pipeline.core.schema import TABLES
from pipeline.orchestration.cli import main
from pipeline.report.queries import OutletCount, TableCount, format_stats, table_counts, top_outlets


def test_table_counts_equal_duckdb_counts(seed_run):
    counts = table_counts(seed_run.out)
    assert [c.table for c in counts] == list(TABLES)
    with duckdb.connect() as con:
        for count in counts:
            expected = con.execute(f"select count(*) from '{seed_run.out}/{count.table}/**/*.parquet'").fetchone()[0]
            assert count.rows == expected, count.table
    by_table = {c.table: c for c in counts}
    assert by_table["documents"] == TableCount("documents", 2, 1)
    assert by_table["overlaps"].rows == 5 and by_table["rejects"].rows == 0
    assert by_table["outlets"].partitions == 1 and by_table["outlets"].rows > 1000


def test_a_missing_table_counts_zero(seed_run, tmp_path):
    out = tmp_path / "output"
    shutil.copytree(seed_run.out / "documents", out / "documents")
    by_table = {c.table: c for c in table_counts(out)}
    assert by_table["documents"].rows == 2
    assert by_table["provenance"] == TableCount("provenance", 0, 0)
    outlets = top_outlets(out)  # no attributions: no mentions; no outlets table: the id stands in for the name
    assert {o.outlet_id for o in outlets} == {"np:scmp", "Q40464", "np:getty", "Q9684", "np:cnbc"}
    assert all(o.name == o.outlet_id and o.mentions == 0 for o in outlets)


def test_top_outlets_rank_by_documents_then_mentions(seed_run):
    outlets = top_outlets(seed_run.out)
    # 000 credits the SCMP twice ("reported", then "told the Post"); 004 credits four outlets once each
    assert outlets[0] == OutletCount("np:scmp", "South China Morning Post", 1, 2)
    assert {o.outlet_id for o in outlets[1:]} == {"Q40464", "np:getty", "Q9684", "np:cnbc"}
    assert all(o.documents == 1 and o.mentions == 1 for o in outlets[1:])
    assert [o.outlet_id for o in top_outlets(seed_run.out, n=2)] == [outlets[0].outlet_id, outlets[1].outlet_id]


def test_newsprov_stats_prints_counts_and_outlets(seed_run, capsys):
    assert main(["stats", "--out", str(seed_run.out), "--top", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"tables under {seed_run.out}:"
    assert lines[1].split() == ["documents", "2", "1", "batch"]
    assert any(line.split()[:2] == ["provenance", "0"] for line in lines)
    top = lines[lines.index("top credited outlets (documents crediting, mentions):") + 1 :]
    assert len(top) == 3 and top[0].split() == ["1.", "South", "China", "Morning", "Post", "1", "2", "np:scmp"]


def test_stats_errors_are_one_line(tmp_path, capsys):
    with pytest.raises(InputError, match="does not exist"):
        table_counts(tmp_path / "missing")
    assert main(["stats", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"newsprov: no newsprov tables under {tmp_path}") and err.count("\n") == 1
    with pytest.raises(InputError, match="--top must be >= 1, got 0"):
        format_stats(tmp_path, 0)


def test_stats_help(capsys):
    with pytest.raises(SystemExit):
        main(["stats", "--help"])
    help_text = capsys.readouterr().out
    assert "--top" in help_text and "newsprov stats --out output" in help_text
