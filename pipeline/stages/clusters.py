"""Stage 8: story clusters, kept stable from batch to batch.

Two levels:
- a **copy cluster** holds documents connected by copy links (provenance rows):
  one original and its reprints, excerpts, spun and edited copies;
- a **story** joins copy clusters that report the same event independently
  (``same_story`` overlaps).

Ids come from the first document of a cluster (``copy:<doc_id>``,
``story:<doc_id>``), so they do not change when later batches add documents.
When a batch links two existing clusters, the one with more documents keeps its
id (on a tie, the source's); the rows of the absorbed cluster's documents record
their former ids in ``merged_from`` (each row its own: a merge into a story of
thousands of documents stays one id per row, not thousands).

Each batch writes a row for every document that is new or whose cluster, story
or origin flag changed: a document's current assignment is its row of the
latest batch (see README).

A batch can change only the stories its documents and links touch: earlier
copy links join documents of one copy cluster already (a copy cluster is a
connected set of copy links), so they change nothing, and a merge's surviving
id depends on the sizes of the merged clusters. ``assign_clusters`` therefore
needs the current assignments of the documents of those stories, whole, and
the copy links of their documents; the rest of history gives the same rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core.schema import CLUSTERS, UNDIRECTED_BASES
from pipeline.core.tables import conform
from pipeline.core.union_find import UnionFind


@dataclass(frozen=True)
class Assignment:
    doc_id: str
    copy_cluster_id: str
    story_id: str
    is_origin: bool


def current_assignments(rows: pa.Table) -> dict[str, Assignment]:
    """Each document's current assignment: its row of the latest batch among ``rows`` (clusters rows)."""
    current: dict[str, Assignment] = {}
    for row in sorted(
        rows.select(["doc_id", "batch", "copy_cluster_id", "story_id", "is_origin"]).to_pylist(),
        key=lambda r: r["batch"],
    ):
        current[row["doc_id"]] = Assignment(row["doc_id"], row["copy_cluster_id"], row["story_id"], row["is_origin"])
    return current


def same_story_links(overlaps: pa.Table) -> list[tuple[str, str]]:
    """The distinct (doc_a, doc_b) pairs of ``overlaps``' same-story rows, sorted. Made distinct
    in Arrow: a batch has about as many same-story document pairs as overlaps."""
    same_story = overlaps.filter(pc.equal(overlaps.column("relation"), "same_story")).select(["doc_a", "doc_b"])
    same_story = (
        same_story.group_by(["doc_a", "doc_b"]).aggregate([]).sort_by([("doc_a", "ascending"), ("doc_b", "ascending")])
    )
    return list(zip(same_story.column("doc_a").to_pylist(), same_story.column("doc_b").to_pylist()))


def _merge(ids_of: dict[str, str], links: list[tuple[str, str]]) -> dict[str, str]:
    """New id per document after joining linked documents' clusters."""
    size: dict[str, int] = {}
    for cluster in ids_of.values():
        size[cluster] = size.get(cluster, 0) + 1
    forest = UnionFind()
    for x, y in links:
        if x in ids_of and y in ids_of:
            forest.union(ids_of[x], ids_of[y], size)
    return {doc: forest.find(cluster) for doc, cluster in ids_of.items()}


def assign_clusters(
    previous: list[Assignment],
    new_docs: list[str],
    copy_links: list[tuple[str, str, str]],
    story_links: list[tuple[str, str]],
    doc_dates: dict[str, dt.date],
    batch: str,
) -> pa.Table:
    """The clusters rows of ``batch``.

    ``previous``: current assignments from earlier batches; ``new_docs``: this batch's
    documents; ``copy_links``: (copy, source, origin_basis) of every provenance row so far
    that touches a document of these clusters; ``story_links``: same-story document pairs.
    """
    before = {a.doc_id: a for a in previous}
    copy_of = {doc: a.copy_cluster_id for doc, a in before.items()}
    story_of = {doc: a.story_id for doc, a in before.items()}
    for doc in new_docs:
        copy_of.setdefault(doc, f"copy:{doc}")
        story_of.setdefault(doc, f"story:{doc}")

    copy_of = _merge(copy_of, [(x, y) for x, y, _ in copy_links])
    # A copy link also puts both documents in one story; stories are unions of copy clusters.
    story_of = _merge(story_of, [(x, y) for x, y, _ in copy_links] + list(story_links))

    members: dict[str, list[str]] = {}
    for doc, cluster in copy_of.items():
        members.setdefault(cluster, []).append(doc)
    copies = {x for x, _, basis in copy_links if basis not in UNDIRECTED_BASES}
    origin_of: dict[str, str | None] = {}
    for cluster, docs in members.items():
        candidates = [d for d in docs if d not in copies]
        earliest = min((doc_dates.get(d, dt.date.max) for d in candidates), default=None)
        firsts = [d for d in candidates if doc_dates.get(d, dt.date.max) == earliest]
        origin_of[cluster] = firsts[0] if len(firsts) == 1 else None  # a tie names no origin

    rows: dict[str, list] = {name: [] for name in CLUSTERS.names}
    for doc in sorted(copy_of):
        now = Assignment(doc, copy_of[doc], story_of[doc], origin_of[copy_of[doc]] == doc)
        if before.get(doc) == now:
            continue
        rows["doc_id"].append(doc)
        rows["batch"].append(batch)
        rows["copy_cluster_id"].append(now.copy_cluster_id)
        rows["story_id"].append(now.story_id)
        rows["is_origin"].append(now.is_origin)
        rows["cluster_size"].append(len(members[now.copy_cluster_id]))
        old = before.get(doc)  # ids only change by being absorbed; a new document's own ids never existed
        rows["merged_from"].append(
            []
            if old is None
            else sorted(
                {
                    was
                    for was, is_now in ((old.copy_cluster_id, now.copy_cluster_id), (old.story_id, now.story_id))
                    if was != is_now
                }
            )
        )
    table = pa.table({name: pa.array(values, type=CLUSTERS.field(name).type) for name, values in rows.items()})
    return conform(table, CLUSTERS)
