"""Copy clusters and stories: stable ids, merges recorded, origin flagged."""

from __future__ import annotations

import datetime as dt

from pipeline.stages.clusters import Assignment, assign_clusters

D1, D2, D3 = dt.date(2025, 3, 1), dt.date(2025, 3, 2), dt.date(2025, 3, 3)


def rows(table):
    return {r["doc_id"]: r for r in table.to_pylist()}


def test_new_documents_start_their_own_clusters_and_copies_join_the_source():
    table = assign_clusters(
        [], ["a", "b", "c"], [("b", "a", "date")], [("a", "c")], {"a": D1, "b": D2, "c": D2}, "2025-03-02"
    )
    got = rows(table)
    assert got["a"]["copy_cluster_id"] == got["b"]["copy_cluster_id"]
    assert got["c"]["copy_cluster_id"] == "copy:c"
    assert got["a"]["story_id"] == got["b"]["story_id"] == got["c"]["story_id"]
    assert (got["a"]["is_origin"], got["b"]["is_origin"], got["c"]["is_origin"]) == (True, False, True)


def test_ids_are_stable_and_a_merge_is_recorded():
    previous = [
        Assignment("a", "copy:a", "story:a", True),
        Assignment("b", "copy:a", "story:a", False),
        Assignment("x", "copy:x", "story:x", True),
    ]
    # A new document copies both a and x: the larger cluster keeps its id, x's is absorbed.
    table = assign_clusters(
        previous,
        ["n"],
        [("b", "a", "date"), ("n", "a", "date"), ("n", "x", "date")],
        [],
        {"a": D1, "b": D2, "x": D2, "n": D3},
        "2025-03-03",
    )
    got = rows(table)
    assert set(got) == {"n", "x"}  # a and b did not change, so they get no new row
    assert got["n"]["copy_cluster_id"] == got["x"]["copy_cluster_id"] == "copy:a"
    assert "copy:x" in got["x"]["merged_from"]
    assert got["x"]["is_origin"] is False  # a, dated first, is the merged cluster's origin


def test_a_tied_link_leaves_both_documents_candidates_for_origin():
    table = assign_clusters([], ["a", "b"], [("a", "b", "tie")], [], {"a": D1, "b": D1}, "2025-03-01")
    assert [r["is_origin"] for r in table.to_pylist()] == [False, False]


def test_a_large_merge_records_each_documents_own_former_ids():
    """A story joining many stories writes one row per document with that document's former ids,
    not every absorbed id on every row (which grew with the square of the story)."""
    previous = [Assignment(f"d{i:02d}", f"copy:d{i:02d}", f"story:d{i:02d}", True) for i in range(40)]
    story_links = [("n", f"d{i:02d}") for i in range(40)]
    table = assign_clusters(
        previous, ["n"], [], story_links, {f"d{i:02d}": D1 for i in range(40)} | {"n": D2}, "2025-03-02"
    )
    got = rows(table)
    survivor = got["n"]["story_id"]
    assert {r["story_id"] for r in got.values()} == {survivor}
    assert got["n"]["merged_from"] == []  # a new document had no id before
    absorbed = {doc: r["merged_from"] for doc, r in got.items() if doc != "n"}
    assert all(ids == [f"story:{doc}"] for doc, ids in absorbed.items())
    assert f"story:{survivor.split(':')[1]}" not in {i for ids in absorbed.values() for i in ids}
