"""Issue 25's batch, scaled down: every file that once stalled, garbled or vanished from a batch,
run with the seeds through the command line; every path under the input folder has its row.
(Its full size, for timing: ``python tests/hostile.py FOLDER`` then ``newsprov run FOLDER``.)"""

from __future__ import annotations

import os

import duckdb
import luigi
import pytest
from hostile import FRENCH, write

from pipeline.orchestration.cli import main

BATCH = "2025-10-27"


@pytest.fixture
def quick_budget(tmp_path):
    """``[ingest] max_seconds = 5``: the endless sentence of credit cues is stopped sooner."""
    parser = luigi.configuration.get_config()
    had = parser.has_option("ingest", "max_seconds")
    old = parser.get("ingest", "max_seconds") if had else None
    cfg = tmp_path / "budget.cfg"
    cfg.write_text("[ingest]\nmax_seconds = 5\n")
    luigi.configuration.add_config_path(str(cfg))
    try:
        yield
    finally:
        type(parser)._config_paths.remove(str(cfg))
        if had:
            parser.set("ingest", "max_seconds", old)
        else:
            parser.remove_option("ingest", "max_seconds")


def _walked(folder) -> set[str]:
    """Every file and every empty folder under ``folder``, as source_path spells it."""
    found = set()
    for parent, dirs, files in os.walk(folder):
        for name in files + [d for d in dirs if not os.listdir(os.path.join(parent, d))]:
            found.add(os.path.relpath(os.path.join(parent, name), folder))
    return found


def test_the_hostile_batch_runs_and_accounts_for_every_path(tmp_path, quick_budget):
    folder, out = tmp_path / BATCH, tmp_path / "out"
    write(folder, scale=0.05)
    assert main(["run", str(folder), "--out", str(out)]) == 0
    with duckdb.connect() as con:
        documents = {
            row[0]: row[1:]
            for row in con.execute(
                f"select source_path, text, encoding, replaced_bytes, capped from '{out}/documents/**/*.parquet'"
            ).fetchall()
        }
        rejects = dict(con.execute(f"select source_path, reason from '{out}/rejects/**/*.parquet'").fetchall())
        sightings = {p for (p,) in con.execute(f"select source_path from '{out}/sightings/**/*.parquet'").fetchall()}
    assert sorted([*documents, *rejects, *sightings]) == sorted(_walked(folder))  # each once
    assert rejects["dir.txt"] == rejects["nested/empty"] == "not_a_file"
    assert rejects.get("credit_cues.txt", "too_slow") == "too_slow"  # a document once the credit search is linear
    for name in ("french_bad_byte.txt", "russian_bad_byte.txt", "chinese_bad_byte.txt"):
        assert documents[name][1:3] == ("utf-8", 1)
    assert documents["french_bad_byte.txt"][0].replace("\ufffd", "", 1).strip() == FRENCH.strip()
    assert "Les cafés ont rouvert, avec des travaux de €2,000 à Paris." in documents["cp1252_line.txt"][0]
    assert "Der Stadtrat von Köln" in documents["latin1_german.txt"][0]
    assert "市議会は火曜日" in documents["iso2022jp.txt"][0]
    assert any(c.startswith("passages: ") for c in documents["one_word.txt"][3])
    assert any(c.startswith("sentences: ") for c in documents["capitalised_words.txt"][3])
