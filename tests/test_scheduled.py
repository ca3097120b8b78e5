"""The README's scheduled commands as a user types them: the `luigi` Inbox command on one host, and
`newsprov run` on a day folder or on an inbox of day folders."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pyarrow.parquet as pq
from conftest import SEEDS
from daily import STAGES, luigi_inbox

from pipeline.core import tables
from pipeline.orchestration.cli import main


def make_inbox(root: Path, days: list[str]) -> Path:
    """One seed file per day folder, in turn."""
    seeds = sorted(SEEDS.glob("*.txt"))
    for i, day in enumerate(days):
        (root / day).mkdir(parents=True)
        shutil.copy(seeds[i % len(seeds)], root / day)
    return root


def test_the_luigi_inbox_command_logs_a_line_per_batch_and_stage_and_its_warnings(tmp_path):
    today = dt.date.today()
    days = [(today - dt.timedelta(days=n)).isoformat() for n in (40, 2, 1)]
    inbox = make_inbox(tmp_path / "inbox", days)
    result = luigi_inbox(inbox, tmp_path / "out", "--days-back", "30", "--local-scheduler")
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stderr.splitlines()
    assert not [line for line in lines if line.startswith("DEBUG")]
    assert any(line.startswith("WARNING") and days[0] in line for line in lines)  # the folder left out
    for day in days[1:]:
        for stage in STAGES:
            assert sum(line.startswith(f"INFO batch {day} {stage}:") for line in lines) == 1, (day, stage)
    assert len(lines) < 40, result.stderr


def test_newsprov_run_takes_a_day_folders_date(tmp_path, capsys):
    inbox = make_inbox(tmp_path / "inbox", ["2025-01-01"])
    assert main(["run", str(inbox / "2025-01-01"), "--out", str(tmp_path / "out")]) == 0
    assert tables.batches_of(tmp_path / "out", "documents") == ["2025-01-01"]
    assert "batch 2025-01-01:" in capsys.readouterr().out


def test_newsprov_run_on_an_inbox_runs_each_day_as_its_batch_in_order(tmp_path, capsys):
    inbox = make_inbox(tmp_path / "inbox", ["2025-01-02", "2025-01-01"])
    out = tmp_path / "out"
    assert main(["run", str(inbox), "--out", str(out)]) == 0
    assert tables.batches_of(out, "documents") == ["2025-01-01", "2025-01-02"]
    for day in ("2025-01-01", "2025-01-02"):
        documents = pq.read_table(tables.partition_dir(out, "documents", day) / tables.PART_FILE)
        assert documents.num_rows == 1 and documents.column("batch").to_pylist() == [day]
    printed = capsys.readouterr().out
    assert printed.index("batch 2025-01-01:") < printed.index("batch 2025-01-02:")
    assert main(["run", str(inbox), "--out", str(out), "--batch", "2025-01-03"]) == 2
    assert "day folders" in capsys.readouterr().err
