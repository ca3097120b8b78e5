"""Per-document limits: no one file stalls a batch (a time budget per document, inline and in the
pool), and every stage's work per document is bounded."""

from __future__ import annotations

import datetime
import time

import pytest

from pipeline.runtime.parallel import ParallelParams, TooSlow, shutdown, time_budget
from pipeline.stages.ingest import IngestParams, ingest_folder

BATCH = "2025-10-27"
NOW = datetime.datetime(2025, 10, 27, 6, 0, tzinfo=datetime.timezone.utc)
ARTICLE = "date 2025-10-27 Paris: The minister spoke on Monday about the budget.\n\nShe said more later.\n"
# A megabyte of lines that each need their mojibake repaired: seconds of work, linear but slow.
REPAIRS = "It\u00e2\u20ac\u2122s a line with a caf\u00e9 and e\u0301 and a \x01 control.\r\n" * 20_000


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
    (folder / "repairs.txt").write_text(REPAIRS)
    for k in range(3):
        (folder / f"article{k}.txt").write_text(ARTICLE.replace("Monday", f"Monday {k}"))
    start = time.monotonic()
    try:
        # min_items 1: the pool runs even this small a batch when there are two processes
        result = ingest_folder(
            folder, BATCH, IngestParams(max_seconds=1), NOW, parallel=ParallelParams(processes=processes, min_items=1)
        )
    finally:
        shutdown()  # later tests expect no pool of this process
    assert time.monotonic() - start < 30
    rejects = {r["source_path"]: r for r in result.rejects.to_pylist()}
    assert rejects["repairs.txt"]["reason"] == "too_slow"
    assert rejects["repairs.txt"]["detail"].startswith("stage ingest: stopped after 1 s")
    assert sorted(result.documents.column("source_path").to_pylist()) == [f"article{k}.txt" for k in range(3)]


def test_a_document_says_what_the_limits_cut(tmp_path):
    from pipeline.stages.passages import split_passages
    from pipeline.text.paragraphs import PASSAGE_MAX_CHARS
    from pipeline.text.sentences import SENTENCE_MAX_CHARS, split_sentences

    folder = tmp_path / BATCH
    folder.mkdir()
    (folder / "endless.txt").write_text(" ".join(["Capitalised", "words", "without", "a", "stop"] * 20_000))
    (folder / "article.txt").write_text(ARTICLE)
    result = ingest_folder(folder, BATCH, IngestParams(credit_search_chars=50_000), NOW)
    documents = {d["source_path"]: d for d in result.documents.to_pylist()}
    endless = documents["endless.txt"]
    n = endless["n_chars"]
    sentences = split_sentences(endless["text"])
    assert sum(s.cut for s in sentences) == len(sentences) - 1 >= n // SENTENCE_MAX_CHARS
    assert endless["capped"] == [
        f"sentences: {len(sentences) - 1} cut at {SENTENCE_MAX_CHARS} characters",
        f"passages: {endless['n_passages'] - 1} cut at {PASSAGE_MAX_CHARS} characters",
        "credits: searched in the first 50000 characters",
    ]
    assert documents["article.txt"]["capped"] == []
    passages = split_passages(result.documents).to_pylist()
    mine = [p for p in passages if p["doc_id"] == endless["doc_id"]]
    assert len(mine) == endless["n_passages"] == n // PASSAGE_MAX_CHARS + 1  # cut at spaces: 40,000 give or take a word
    assert max(p["char_end"] - p["char_start"] for p in mine) <= PASSAGE_MAX_CHARS
    assert all(p["text"].split()[0] in ("Capitalised", "words", "without", "a", "stop") for p in mine)  # at spaces
