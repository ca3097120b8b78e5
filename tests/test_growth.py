"""A daily run over months of history: story anchors are matched within ``[anchors] window_days``,
copies (LSH bands) against all history, and what the join skips is counted in the runs table."""

from __future__ import annotations

import os
import shutil

import duckdb
import pytest
from conftest import settings
from daily import run_batches

from pipeline.orchestration.cli import main
from pipeline.stages.candidates import AnchorParams, anchor_window

STORY = """date 2025-01-01 Carrow:
The Carrow ferry terminal closed on Tuesday after inspectors from Halden Marine found cracks in 14 of its 62 steel piles, harbour master Ines Varga said in a statement.

Varga said crossings to Pellham Island would move to the old Brisk Quay slipway while engineers from Halden Marine decide whether the piles can be braced or must be driven again.
"""

# The same event told again in other words, 40 and 45 days later: a same_story pair by its anchors
# (Carrow, Halden, Marine, Ines, Varga, 14, 62), with no copied text.
REPORT = """date 2025-02-10 Carrow:
Ines Varga, who runs the harbour at Carrow, has kept the ferry pier shut since engineers of Halden Marine reported 14 cracked piles out of 62 during their winter survey of the structure.

Boats for Pellham Island still leave from Brisk Quay, and Varga expects a decision on repairs before spring.
"""

FOLLOW_UP = """date 2025-02-15 Carrow:
Halden Marine told the council that 14 of the 62 piles under the Carrow pier can be braced rather than replaced, according to Ines Varga of the harbour office.

Varga said boats to Pellham Island would keep using Brisk Quay until the bracing is done, which should take about six weeks.
"""

COLUMN = """Gardening notes for a cold month

Cover tender plants with fleece on clear nights, because the worst frosts come when the sky is empty of cloud and the ground gives up its warmth before dawn.

Keep watering pots sparingly through the winter, since roots sitting in cold wet compost rot far more readily than roots left a little dry between waterings.

Prune apple trees while they are bare, taking out crossing branches first so that light and air can reach the middle of the tree when the leaves return.
"""


def filler(day: int) -> dict[str, str]:
    """Unrelated documents with anchors of their own, so the idf counts more than the story's passages."""
    return {
        f"filler-{day}-{k}.txt": (
            f"Notes {day} {k}\n\nThe Wendham choir of Oskar Lunde sang {10 + k} carols at the Tallis Hall "
            f"on a wet evening, and Marta Quist of the Rudd Trust thanked the {30 + day} volunteers.\n\n"
            f"Tickets for the spring concert by Lunde and Quist cost {40 + k} pounds at the Grove box office.\n"
        )
        for k in range(4)
    }


DAYS = {
    "2025-01-01": {"story.txt": STORY, "column.txt": COLUMN, **filler(1)},
    # The column again under another headline (the same text would be a sighting, not a document).
    "2025-02-10": {"report.txt": REPORT, "column-reprint.txt": COLUMN.replace("cold month", "February"), **filler(2)},
    "2025-02-15": {"follow-up.txt": FOLLOW_UP, **filler(3)},
}


def test_the_window_holds_the_batches_of_its_last_days():
    earlier = ["2024-12-31", "2025-01-01", "2025-01-15", "2025-01-30"]
    assert anchor_window("2025-01-31", earlier, AnchorParams(window_days=30)) == earlier[1:]
    assert anchor_window("2025-01-31", earlier, AnchorParams(window_days=1)) == ["2025-01-30"]
    assert anchor_window("2025-01-31", earlier, AnchorParams(window_days=0)) == earlier
    assert anchor_window("2025-01-31", earlier, AnchorParams(window_days=2**53)) == earlier


def _links(out) -> set[tuple[str, str, str, str]]:
    """(batch, file of passage_a, file of passage_b, relation) of every overlap between the three articles."""
    with duckdb.connect() as con:
        rows = con.execute(
            f"""
            with files as (select p.passage_id, d.source_path from '{out}/passages/**/*.parquet' p
                           join '{out}/documents/**/*.parquet' d using (doc_id))
            select distinct o.batch, a.source_path, b.source_path, o.relation
            from '{out}/overlaps/**/*.parquet' o
            join files a on a.passage_id = o.passage_a join files b on b.passage_id = o.passage_b"""
        ).fetchall()
    return {row for row in rows if not row[1].startswith("filler") and not row[2].startswith("filler")}


@pytest.fixture(scope="module")
def windowed(tmp_path_factory):
    return run_batches(tmp_path_factory.mktemp("windowed"), DAYS)


def test_story_anchors_are_matched_within_the_window_and_copies_against_all_history(windowed):
    links = _links(windowed)
    # The reprint finds its source 40 days back (bands), the follow-up the report 5 days back (anchors);
    # the story of 2025-01-01 is outside both reports' 30 days.
    assert ("2025-02-10", "column-reprint.txt", "column.txt", "verbatim") in links
    assert ("2025-02-15", "follow-up.txt", "report.txt", "same_story") in links
    assert not {link for link in links if "story.txt" in link[1:3] and link[0] != "2025-01-01"}


def test_without_a_window_the_story_is_matched_across_months(tmp_path):
    with settings({"anchors": {"window_days": "0"}}):
        out = run_batches(tmp_path, DAYS)
    links = _links(out)
    assert ("2025-02-10", "report.txt", "story.txt", "same_story") in links
    assert ("2025-02-15", "follow-up.txt", "story.txt", "same_story") in links


def test_the_runs_table_counts_what_the_join_skipped(tmp_path):
    # A cap of 2 passages: "Lunde", "Quist" and their fellows are held by every filler passage, and
    # the fillers' near-identical lines share LSH buckets.
    with settings({"candidates": {"max_bucket_size": "2"}}):
        out = run_batches(tmp_path, DAYS)
    with duckdb.connect() as con:
        skipped = con.execute(
            f"select batch, skipped_buckets, skipped_anchors from '{out}/runs/**/*.parquet' "
            "where stage = 'CandidateJoin' order by batch"
        ).fetchall()
    assert [batch for batch, _, _ in skipped] == list(DAYS)
    assert all(buckets > 0 and anchors > 0 for _, buckets, anchors in skipped)


def test_doctor_names_a_stale_history_index_segment_and_fix_removes_it(windowed, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(windowed, out)
    assert main(["doctor", str(out)]) == 0  # the index's files are no finding
    segments = sorted((out / "index" / "bands").iterdir())
    assert segments  # the earlier batches' bands, indexed by the runs
    os.utime(out / "bands" / "2025-01-01" / "part-0.parquet", ns=(1, 1))  # as if batch 2025-01-01 ran again
    assert main(["doctor", str(out)]) == 1
    assert (
        f"index/bands/{segments[0].name}: stale (batch 2025-01-01 was run again or removed)" in capsys.readouterr().out
    )
    assert main(["doctor", str(out), "--fix"]) == 0
    assert not segments[0].exists()
