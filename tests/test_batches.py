"""Scheduled, incremental runs: dated batch folders, history joins, no re-hashing, locks, luigid."""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb
import luigi
import pytest
from articles import HARBOUR, HARBOUR_REPRINT, ORCHARD
from daily import luigi_inbox

import pipeline.orchestration.tasks as tasks
import pipeline.stages.passages as passages_stage
from pipeline.orchestration.cli import main
from pipeline.runtime.locking import output_lock

BATCHES = {
    "2025-03-02": {"harbour.txt": HARBOUR},
    "2025-03-03": {"orchard.txt": ORCHARD},
    "2025-03-04": {"reprint.txt": HARBOUR_REPRINT},
}


def make_inbox(root: Path, batches=BATCHES) -> Path:
    for date, files in batches.items():
        (root / date).mkdir(parents=True)
        for name, text in files.items():
            (root / date / name).write_text(text)
    return root


def run_inbox(inbox: Path, out: Path, stop: str = "2025-03-04", days_back: int = 30) -> luigi.LuigiStatusCode:
    task = tasks.Inbox(inbox=str(inbox), out_dir=str(out), stop=dt.date.fromisoformat(stop), days_back=days_back)
    return luigi.build([task], local_scheduler=True, detailed_summary=True, log_level="WARNING").status


def provenance(out: Path) -> list[tuple]:
    with duckdb.connect() as con:
        return con.execute(f"""
            select p.batch, dc.source_path, ds.source_path, p.relation, p.origin_basis
            from read_parquet('{out}/provenance/**/*.parquet', hive_partitioning=false) p
            join read_parquet('{out}/documents/**/*.parquet', hive_partitioning=false) dc on dc.doc_id = p.doc_id
            join read_parquet('{out}/documents/**/*.parquet', hive_partitioning=false) ds
              on ds.doc_id = p.source_doc_id order by all""").fetchall()


def current_clusters(out: Path) -> dict[str, tuple[str, bool]]:
    """Each document's latest cluster row, with cluster ids spelled by source file for readability."""
    with duckdb.connect() as con:
        rows = con.execute(f"""
            with d as (select doc_id, source_path from read_parquet('{out}/documents/**/*.parquet',
                                                                    hive_partitioning=false)),
            latest as (select doc_id, arg_max(copy_cluster_id, batch) as cluster, arg_max(is_origin, batch) as origin
                       from read_parquet('{out}/clusters/**/*.parquet', hive_partitioning=false) group by doc_id)
            select d.source_path, first_doc.source_path, latest.origin from latest join d using (doc_id)
            join d first_doc on 'copy:' || first_doc.doc_id = latest.cluster""").fetchall()
    return {path: ("copy:" + first, origin) for path, first, origin in rows}


@pytest.fixture
def hashing_counter(monkeypatch) -> Counter:
    """Counts the passages fingerprinted, per batch."""
    counts: Counter = Counter()
    original = passages_stage.add_signatures

    def counting(passages, params):
        for batch in passages.column("batch").to_pylist():
            counts[batch] += 1
        return original(passages, params)

    monkeypatch.setattr(passages_stage, "add_signatures", counting)
    return counts


def test_a_later_batch_links_to_an_earlier_one_without_rehashing_it(tmp_path, hashing_counter):
    inbox, out = make_inbox(tmp_path / "inbox"), tmp_path / "out"
    assert run_inbox(inbox, out).name == "SUCCESS"
    assert provenance(out) == [("2025-03-04", "reprint.txt", "harbour.txt", "reprint", "date")]
    assert hashing_counter == {"2025-03-02": 6, "2025-03-03": 5, "2025-03-04": 7}
    assert current_clusters(out) == {
        "harbour.txt": ("copy:harbour.txt", True),
        "orchard.txt": ("copy:orchard.txt", True),
        "reprint.txt": ("copy:harbour.txt", False),
    }

    # A fourth day arrives: only its passages are hashed; the history is joined, not recomputed.
    make_inbox(inbox, {"2025-03-05": {"second-reprint.txt": HARBOUR_REPRINT.replace("top stories", "headlines")}})
    hashing_counter.clear()
    assert run_inbox(inbox, out, stop="2025-03-05").name == "SUCCESS"
    assert hashing_counter == {"2025-03-05": 7}
    links = provenance(out)
    assert ("2025-03-05", "second-reprint.txt", "harbour.txt", "reprint", "date") in links
    assert ("2025-03-05", "second-reprint.txt", "reprint.txt", "reprint", "date") in links  # copy of a copy
    assert current_clusters(out)["second-reprint.txt"] == ("copy:harbour.txt", False)


def test_rerunning_a_batch_changes_nothing_and_a_deleted_batch_is_rebuilt_exactly(tmp_path):
    inbox, out = make_inbox(tmp_path / "inbox"), tmp_path / "out"
    assert run_inbox(inbox, out).name == "SUCCESS"
    with duckdb.connect() as con:
        before = con.execute(f"select * exclude (batch) from '{out}/overlaps/**/*.parquet' order by all").fetchall()
    assert run_inbox(inbox, out).name == "SUCCESS"  # nothing left to run: every output exists
    for partition in out.glob("*/2025-03-04"):
        shutil.rmtree(partition)
    assert run_inbox(inbox, out).name == "SUCCESS"
    with duckdb.connect() as con:
        after = con.execute(f"select * exclude (batch) from '{out}/overlaps/**/*.parquet' order by all").fetchall()
    assert after == before and after


def test_a_text_seen_in_an_earlier_batch_is_a_sighting_not_a_new_document(tmp_path):
    inbox = make_inbox(tmp_path / "inbox", {**BATCHES, "2025-03-05": {"again.txt": HARBOUR}})
    out = tmp_path / "out"
    assert run_inbox(inbox, out, stop="2025-03-05").name == "SUCCESS"
    with duckdb.connect() as con:
        sightings = con.execute(f"""select source_path, batch, first_batch, first_source_path
            from read_parquet('{out}/sightings/**/*.parquet', hive_partitioning=false)""").fetchall()
        documents = con.execute(
            f"select count(*), count(distinct doc_id) from '{out}/documents/**/*.parquet'"
        ).fetchone()
    assert sightings == [("again.txt", "2025-03-05", "2025-03-02", "harbour.txt")]
    assert documents == (3, 3)


def test_folders_outside_the_window_are_named_not_silently_skipped(tmp_path, caplog):
    inbox, out = make_inbox(tmp_path / "inbox"), tmp_path / "out"
    with caplog.at_level("WARNING", logger="pipeline.orchestration.tasks"):
        assert run_inbox(inbox, out, days_back=1).name == "SUCCESS"
    assert "2025-03-02" in caplog.text and "outside --days-back" in caplog.text
    assert sorted(p.name for p in (out / "documents").iterdir()) == ["2025-03-03", "2025-03-04"]


def test_a_second_run_on_the_same_output_stops_with_the_already_running_code(tmp_path, capsys):
    inbox, out = make_inbox(tmp_path / "inbox"), tmp_path / "out"
    out.mkdir()
    with output_lock(out):
        code = main(["run", str(inbox / "2025-03-02"), "--out", str(out), "--batch", "2025-03-02"])
    assert code == luigi.retcodes.retcode().already_running == 10
    assert "another run is writing to" in capsys.readouterr().err
    assert not (out / "documents").exists()
    assert main(["run", str(inbox / "2025-03-02"), "--out", str(out), "--batch", "2025-03-02"]) == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_central_scheduler_with_two_workers_runs_a_range_of_batches(tmp_path):
    inbox, out = make_inbox(tmp_path / "inbox"), tmp_path / "out"
    port = _free_port()
    luigid = Path(sys.executable).parent / "luigid"
    (tmp_path / "logs").mkdir()
    server = subprocess.Popen(
        [
            str(luigid),
            "--address",
            "127.0.0.1",
            "--port",
            str(port),
            "--logdir",
            str(tmp_path / "logs"),
            "--state-path",
            str(tmp_path / "state.pickle"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("luigid did not start")
                time.sleep(0.2)
        result = luigi_inbox(
            inbox,
            out,
            "--stop",
            "2025-03-04",
            "--days-back",
            "30",
            "--workers",
            "2",
            "--scheduler-host",
            "127.0.0.1",
            "--scheduler-port",
            str(port),
        )
        assert result.returncode == 0, result.stderr[-2000:]
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert provenance(out) == [("2025-03-04", "reprint.txt", "harbour.txt", "reprint", "date")]
