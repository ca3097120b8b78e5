"""Clusters and Provenance read only the history rows a batch's links touch, and find what a read
of all history finds: each daily batch's published rows against the stage run on every earlier row."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from articles import HARBOUR, HARBOUR_REPRINT, ORCHARD
from daily import run_batches

from pipeline.core.tables import batches_of, read_batches, read_partition
from pipeline.orchestration import config
from pipeline.stages.clusters import Assignment, assign_clusters, same_story_links
from pipeline.stages.provenance import chained_links, document_links

HARBOUR_MASTER = (
    "The harbour master, Tom Avery, said the inner basin would stay open to small boats on weekdays "
    "while the northern half of the wall is rebuilt."
)
REPRINT = HARBOUR_REPRINT.replace("\n\nSign up", "\n\n" + HARBOUR_MASTER + "\n\nSign up")
# Shares one paragraph with the original and two with the reprint: linked to the original through the
# chain; and it copies the orchard article whole, joining the two copy clusters.
EXCERPT = ORCHARD.split("\n", 1)[1] + "\n" + HARBOUR_MASTER + "\n\n" + HARBOUR.split("\n\n")[3] + "\n"
# Both articles in one, linked to every earlier copy of either.
ROUNDUP = "Weekend roundup\n\n" + HARBOUR.split("\n", 1)[1] + "\n" + ORCHARD.split("\n", 1)[1]
DAYS = {
    "2025-03-02": {"original.txt": HARBOUR, "ferry.txt": "Ferry times change on Monday.\n"},
    "2025-03-03": {"orchard.txt": ORCHARD},
    "2025-03-04": {"reprint.txt": REPRINT},
    "2025-03-05": {"excerpt.txt": EXCERPT},
    "2025-03-06": {"roundup.txt": ROUNDUP},
    "2025-03-07": {"orchard-reprint.txt": "Frost hits apple growers\n\n" + ORCHARD.split("\n", 1)[1]},
}


@pytest.fixture(scope="module")
def daily_out(tmp_path_factory):
    return run_batches(tmp_path_factory.mktemp("history"), DAYS)


def _upto(out, table: str, batch: str, include: bool = True) -> list[str]:
    return [b for b in batches_of(out, table) if b < batch or (include and b == batch)]


def clusters_over_all_history(out, batch: str) -> pa.Table:
    """The clusters rows of ``batch`` from every earlier clusters row and every provenance row (the
    reads Clusters made before its reads were bounded)."""
    current: dict[str, Assignment] = {}
    for row in sorted(
        read_batches(out, "clusters", _upto(out, "clusters", batch, False)).to_pylist(), key=lambda r: r["batch"]
    ):
        current[row["doc_id"]] = Assignment(row["doc_id"], row["copy_cluster_id"], row["story_id"], row["is_origin"])
    provenance = read_batches(out, "provenance", _upto(out, "provenance", batch)).to_pylist()
    documents = read_batches(out, "documents", _upto(out, "documents", batch)).to_pylist()
    dates = {d["doc_id"]: d["published"] or dt.date.fromisoformat(d["batch"]) for d in documents}
    new_docs = [d["doc_id"] for d in documents if d["batch"] == batch]
    return assign_clusters(
        list(current.values()),
        new_docs,
        [(p["doc_id"], p["source_doc_id"], p["origin_basis"]) for p in provenance],
        same_story_links(read_partition(out, "overlaps", batch)),
        dates,
        batch,
    )


def provenance_over_all_history(out, batch: str) -> pa.Table:
    """The provenance rows of ``batch`` with every earlier link as ``earlier_links``."""
    overlaps, paraphrases = read_partition(out, "overlaps", batch), read_partition(out, "paraphrases", batch)
    docs = {d for t in (overlaps, paraphrases) for c in ("doc_a", "doc_b") for d in t.column(c).to_pylist()}
    documents, passages, attributions = (
        read_batches(out, table, _upto(out, table, batch), doc_ids=docs)
        for table in ("documents", "passages", "attributions")
    )
    earlier = read_batches(out, "provenance", _upto(out, "provenance", batch, False)).to_pylist()
    return document_links(
        overlaps,
        documents,
        passages,
        attributions,
        batch,
        config.provenance().params(),
        [(p["doc_id"], p["source_doc_id"]) for p in earlier],
        paraphrases,
    )


def test_the_days_exercise_history(daily_out):
    provenance = read_batches(daily_out, "provenance", batches_of(daily_out, "provenance")).to_pylist()
    clusters = read_batches(daily_out, "clusters", batches_of(daily_out, "clusters")).to_pylist()
    # The excerpt of a copy links to the original: once through the chain of copy links, now by
    # its own reused passage (issue 22); the clusters still merge across batches.
    assert any(p["evidence"] in ("copy_chain", "reused_passages") and p["batch"] == "2025-03-05" for p in provenance)
    assert any(c["merged_from"] and c["batch"] == "2025-03-05" for c in clusters)
    assert [c["cluster_size"] for c in clusters if c["batch"] == "2025-03-07"] == [6]


@pytest.mark.parametrize("batch", list(DAYS))
def test_each_batch_equals_a_read_of_all_history(daily_out, batch):
    assert read_partition(daily_out, "clusters", batch).equals(clusters_over_all_history(daily_out, batch))
    assert read_partition(daily_out, "provenance", batch).equals(provenance_over_all_history(daily_out, batch))


def test_chained_links_follow_every_chain_from_the_documents():
    links = [("b", "a"), ("c", "b"), ("d", "c"), ("x", "y"), ("e", "d")]
    asked = []

    def touching(ids):
        asked.append(set(ids))
        return [link for link in links if set(link) & ids]

    assert chained_links({"a"}, touching) == [("b", "a"), ("c", "b"), ("d", "c"), ("e", "d")]
    assert asked == [{"a"}, {"b"}, {"c"}, {"d"}, {"e"}]
    assert chained_links({"z"}, touching) == []
