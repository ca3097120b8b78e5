"""Scheduled runs without surprises: late day folders, files added to a day that ran, backfills that
link and cluster as an in-order run, and inbox entries that are not day folders."""

from __future__ import annotations

import datetime as dt
import shutil
import time

import duckdb
import pytest
from articles import HARBOUR, HARBOUR_REPRINT, ORCHARD
from daily import luigi_inbox
from test_batches import BATCHES, current_clusters, make_inbox, provenance, run_inbox

import pipeline.orchestration.tasks as tasks
from pipeline.core.errors import ConfigError
from pipeline.orchestration.cli import main

INBOX_LOG = "pipeline.orchestration.inbox"


def archive(out) -> dict[str, list[tuple]]:
    """What a user reads of the links and clusters: source paths, batches, relations, directions
    (ids and the ``*_at`` timestamps left out)."""
    with duckdb.connect() as con:

        def rows(sql: str) -> list[tuple]:
            return con.execute(sql.replace("{out}", str(out))).fetchall()

        return {
            "provenance": provenance(out),
            "clusters": sorted(current_clusters(out).items()),
            "documents": rows(
                "select batch::varchar, source_path, doc_id from "
                "read_parquet('{out}/documents/**/*.parquet', hive_partitioning=false) order by all"
            ),
            "sightings": rows(
                "select batch::varchar, source_path, first_batch::varchar, first_source_path from "
                "read_parquet('{out}/sightings/**/*.parquet', hive_partitioning=false) order by all"
            ),
            "overlaps": rows(
                "select batch::varchar, passage_a, passage_b, relation, origin "
                "from read_parquet('{out}/overlaps/**/*.parquet', hive_partitioning=false) order by all"
            ),
            "duplicate_passages": rows(
                "select passage_id from read_parquet('{out}/passages/**/*.parquet') group by 1 having count(*) > 1"
            ),
        }


def test_a_late_folder_is_run_by_the_next_inbox_run_and_links_to_the_later_batch(tmp_path, caplog):
    inbox, out = make_inbox(tmp_path / "inbox", {d: BATCHES[d] for d in ("2025-03-03", "2025-03-04")}), tmp_path / "out"
    assert run_inbox(inbox, out).name == "SUCCESS"
    assert provenance(out) == []  # the reprint's source has not arrived yet

    make_inbox(inbox, {"2025-03-02": BATCHES["2025-03-02"]})
    with caplog.at_level("WARNING", logger=INBOX_LOG):
        assert run_inbox(inbox, out).name == "SUCCESS"
    assert sorted(p.name for p in (out / "documents").iterdir()) == list(BATCHES)
    # The link to the newer batch is made, the source decided by date, not by arrival.
    assert provenance(out) == [("2025-03-04", "reprint.txt", "harbour.txt", "reprint", "date")]
    assert current_clusters(out)["reprint.txt"] == ("copy:harbour.txt", False)
    assert "2025-03-02" in caplog.text and "arrived after later batches ran" in caplog.text


def test_files_added_to_or_changed_in_a_day_that_ran_are_ingested_with_a_warning(tmp_path, caplog):
    inbox, out = make_inbox(tmp_path / "inbox"), tmp_path / "out"
    assert run_inbox(inbox, out).name == "SUCCESS"
    time.sleep(0.01)
    late = HARBOUR_REPRINT.replace("top stories", "headlines")
    (inbox / "2025-03-02" / "late.txt").write_text(late)
    changed_orchard = ORCHARD + "\nThe agency said it would decide on the request before the summer.\n"
    (inbox / "2025-03-03" / "orchard.txt").write_text(changed_orchard)
    with caplog.at_level("WARNING", logger=INBOX_LOG):
        assert run_inbox(inbox, out).name == "SUCCESS"
    assert "late.txt" in caplog.text and "did not ingest" in caplog.text
    assert "orchard.txt" in caplog.text and "changed since its batch ran" in caplog.text

    # The same tables as a run that had every file from the start.
    reference = make_inbox(
        tmp_path / "reference",
        {
            **BATCHES,
            "2025-03-02": {**BATCHES["2025-03-02"], "late.txt": late},
            "2025-03-03": {"orchard.txt": changed_orchard},
        },
    )
    assert run_inbox(reference, tmp_path / "reference-out").name == "SUCCESS"
    got, want = archive(out), archive(tmp_path / "reference-out")
    assert ("2025-03-02", "late.txt") in {row[:2] for row in got["documents"]}
    assert got == want

    caplog.clear()  # a third run finds nothing new
    with caplog.at_level("WARNING", logger=INBOX_LOG):
        assert run_inbox(inbox, out).name == "SUCCESS"
    assert "run again" not in caplog.text


THREE_DAYS = {
    "2025-03-02": {"harbour.txt": HARBOUR},
    "2025-03-03": {"reprint.txt": HARBOUR_REPRINT, "orchard.txt": ORCHARD},
    "2025-03-04": {
        "second-reprint.txt": HARBOUR_REPRINT.replace("top stories", "headlines"),
        "again.txt": HARBOUR,
        "orchard-copy.txt": "Cider news\n\n" + ORCHARD.split("\n", 1)[1],
    },
}


def test_a_backfill_links_and_clusters_as_an_in_order_run(tmp_path, caplog):
    in_order = make_inbox(tmp_path / "a-inbox", THREE_DAYS)
    assert run_inbox(in_order, tmp_path / "a").name == "SUCCESS"

    # Out of order: the last day first, then the first, then the middle one.
    backfilled, out = tmp_path / "b-inbox", tmp_path / "b"
    for day in ("2025-03-04", "2025-03-02", "2025-03-03"):
        make_inbox(backfilled, {day: THREE_DAYS[day]})
        assert run_inbox(backfilled, out).name == "SUCCESS"

    got, want = archive(out), archive(tmp_path / "a")
    assert ("2025-03-04", "second-reprint.txt", "harbour.txt", "reprint", "date") in want["provenance"]
    assert ("2025-03-04", "again.txt", "2025-03-02", "harbour.txt") in want["sightings"]
    assert got == want
    assert got["duplicate_passages"] == []


def test_newsprov_run_of_a_batch_older_than_the_archive_is_refused_in_one_line(tmp_path, capsys):
    inbox, out = make_inbox(tmp_path / "inbox", {d: BATCHES[d] for d in ("2025-03-02", "2025-03-03")}), tmp_path / "out"
    assert main(["run", str(inbox / "2025-03-03"), "--out", str(out), "--batch", "2025-03-03"]) == 0
    capsys.readouterr()
    assert main(["run", str(inbox / "2025-03-02"), "--out", str(out), "--batch", "2025-03-02"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("newsprov: folder") and "Inbox task" in err and err.count("\n") == 1
    assert sorted(p.name for p in (out / "documents").iterdir()) == ["2025-03-03"]


def test_only_exact_day_folders_are_batches_and_the_rest_is_named(tmp_path, caplog):
    inbox = tmp_path / "inbox"
    for name in ("2025-03-05", "20250305", "2025-W10-3", "2025-02-30", "notes"):
        (inbox / name).mkdir(parents=True)
    (inbox / "2025-03-06").write_text("a file, not a folder")
    with caplog.at_level("WARNING", logger=INBOX_LOG):
        assert tasks.dated_folders(inbox) == [(dt.date(2025, 3, 5), inbox / "2025-03-05")]
    for name in (
        "20250305 (not named YYYY-MM-DD)",
        "2025-W10-3 (not named",
        "2025-02-30 (no such date)",
        "notes (not named",
        "2025-03-06 (not a folder)",
    ):
        assert name in caplog.text


def test_future_folders_are_named_and_today_is_the_latest_of_local_and_utc(tmp_path, caplog, monkeypatch):
    days = {"2025-03-02": BATCHES["2025-03-02"], "2025-03-09": {"x.txt": ORCHARD}}
    inbox, out = make_inbox(tmp_path / "inbox", days), tmp_path / "out"
    with caplog.at_level("WARNING", logger=INBOX_LOG):
        assert run_inbox(inbox, out, stop="2025-03-04").name == "SUCCESS"
    assert "2025-03-09" in caplog.text and "future" in caplog.text
    assert [p.name for p in (out / "documents").iterdir()] == ["2025-03-02"]

    from pipeline.orchestration import inbox as inbox_module

    for zone in ("Etc/GMT+12", "Etc/GMT-14"):  # UTC-12 and UTC+14: one of the two dates is another day
        monkeypatch.setenv("TZ", zone)
        time.tzset()
        utc, local = dt.datetime.now(dt.timezone.utc).date(), dt.date.today()
        assert inbox_module.today() == max(utc, local)
        assert tasks.Inbox(inbox=str(inbox)).stop is None  # decided when the task runs, not at import
    monkeypatch.delenv("TZ")
    time.tzset()


def test_a_negative_days_back_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="days_back must be 0 or more"):
        tasks.Inbox(inbox=str(tmp_path), days_back=-5)
    result = luigi_inbox(tmp_path, tmp_path / "out", "--days-back", "-5", "--local-scheduler")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["luigi: --days-back must be 0 or more (days before --stop), got -5"]


def test_a_batch_to_run_again_whose_folder_lost_files_stops_the_run_before_removing_anything(tmp_path, caplog):
    inbox, out = make_inbox(tmp_path / "inbox", {d: BATCHES[d] for d in ("2025-03-03", "2025-03-04")}), tmp_path / "out"
    assert run_inbox(inbox, out).name == "SUCCESS"
    (inbox / "2025-03-04" / "reprint.txt").unlink()
    make_inbox(inbox, {"2025-03-02": BATCHES["2025-03-02"]})
    assert run_inbox(inbox, out).name != "SUCCESS"
    assert sorted(p.name for p in (out / "documents").iterdir()) == ["2025-03-03", "2025-03-04"]


def test_newsprov_run_again_ingests_files_added_to_the_latest_batch(tmp_path, capsys, caplog):
    inbox, out = make_inbox(tmp_path / "inbox", {"2025-03-02": BATCHES["2025-03-02"]}), tmp_path / "out"
    assert main(["run", str(inbox / "2025-03-02"), "--out", str(out), "--batch", "2025-03-02"]) == 0
    (inbox / "2025-03-02" / "reprint.txt").write_text(HARBOUR_REPRINT)
    with caplog.at_level("WARNING", logger=INBOX_LOG):
        assert main(["run", str(inbox / "2025-03-02"), "--out", str(out), "--batch", "2025-03-02"]) == 0
    assert "1 files its batch did not ingest: reprint.txt" in caplog.text
    assert [row[1:3] for row in provenance(out)] == [("reprint.txt", "harbour.txt")]


def test_a_lost_documents_partition_of_an_earlier_batch_is_rebuilt_not_taken_for_a_backfill(tmp_path):
    inbox, out = make_inbox(tmp_path / "inbox"), tmp_path / "out"
    assert run_inbox(inbox, out).name == "SUCCESS"
    before = archive(out)
    shutil.rmtree(out / "documents" / "2025-03-02")
    assert main(["run", str(inbox / "2025-03-02"), "--out", str(out), "--batch", "2025-03-02"]) == 0
    assert archive(out) == before
