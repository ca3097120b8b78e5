"""Per-document limits: no one file stalls a batch (a time budget per document, inline and in the
pool), and every stage's work per document is bounded."""

from __future__ import annotations

import datetime
import time

import pytest

from pipeline.runtime.parallel import ParallelParams, TooSlow, time_budget
from pipeline.stages.ingest import IngestParams, ingest_folder

BATCH = "2025-10-27"
NOW = datetime.datetime(2025, 10, 27, 6, 0, tzinfo=datetime.timezone.utc)
ARTICLE = "date 2025-10-27 Paris: The minister spoke on Monday about the budget.\n\nShe said more later.\n"
# One endless sentence of credit cues: the credit search on it takes minutes.
ENDLESS_CUES = "according to the Times and Reuters and the BBC, told the Post, " * 8_000


def test_a_time_budget_stops_a_block_inside_a_regular_expression():
    import re

    start = time.monotonic()
    with pytest.raises(TooSlow), time_budget(1):
        re.match(r"(a+)+b", "a" * 40)  # catastrophic backtracking: hours
    assert time.monotonic() - start < 5


def test_no_budget_and_a_block_within_it_run_to_their_end():
    with time_budget(0):
        time.sleep(0.01)
    with time_budget(5):
        time.sleep(0.01)


@pytest.mark.parametrize("processes", [1, 2])
def test_a_file_over_its_time_budget_is_a_reject_and_the_batch_goes_on(tmp_path, processes):
    folder = tmp_path / BATCH
    folder.mkdir()
    (folder / "cues.txt").write_text(ENDLESS_CUES)
    for k in range(3):
        (folder / f"article{k}.txt").write_text(ARTICLE.replace("Monday", f"Monday {k}"))
    start = time.monotonic()
    # min_items 1: the pool runs even this small a batch when there are two processes
    result = ingest_folder(
        folder, BATCH, IngestParams(max_seconds=1), NOW, parallel=ParallelParams(processes=processes, min_items=1)
    )
    assert time.monotonic() - start < 30  # the file alone takes minutes without a budget
    rejects = {r["source_path"]: r for r in result.rejects.to_pylist()}
    assert rejects["cues.txt"]["reason"] == "too_slow"
    assert rejects["cues.txt"]["detail"].startswith("stage ingest: stopped after 1 s")
    assert sorted(result.documents.column("source_path").to_pylist()) == [f"article{k}.txt" for k in range(3)]
