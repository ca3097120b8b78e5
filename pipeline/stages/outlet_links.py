"""Stage 9: who copies whom between publishers, one row per batch and pair of publishers.

From the batch's provenance links whose two sides have different known publishers and a
direction (a tie, or two siblings of one source, name no copy): how many copy links the copying
publisher has to the source publisher, how many of them credit it, credit others only, or credit
no one, and when the first and last copy of the batch were published.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa

from pipeline.core.schema import OUTLET_LINKS, UNDIRECTED_BASES
from pipeline.core.tables import conform

# The credit statuses of links between two different known publishers.
BETWEEN_PUBLISHERS = ("credited", "credited_other", "uncredited")


@dataclass
class _Edge:
    publisher: str | None
    publisher_outlet_id: str | None
    source_publisher: str | None
    source_publisher_outlet_id: str | None
    first_seen: dt.datetime
    last_seen: dt.datetime
    copy_links: int = 0
    credited: int = 0
    credited_other: int = 0
    uncredited: int = 0


def _key(outlet_id: str | None, name: str | None) -> str:
    return outlet_id or (name or "").casefold()


def _moment(published_at: dt.datetime | None, published: dt.date | None, batch: str) -> dt.datetime:
    """When a document was published: its time, else its day's start (UTC), else its batch's."""
    if published_at is not None:
        return published_at
    day = published or dt.date.fromisoformat(batch)
    return dt.datetime.combine(day, dt.time(), dt.timezone.utc)


def outlet_links(provenance: pa.Table, documents: pa.Table, batch: str) -> pa.Table:
    """The outlet_links rows of ``batch``. ``provenance``: the batch's links; ``documents``: doc_id,
    published, published_at and batch of (at least) their copying documents."""
    when = {
        doc_id: _moment(published_at, published, doc_batch)
        for doc_id, published, published_at, doc_batch in zip(
            documents.column("doc_id").to_pylist(),
            documents.column("published").to_pylist(),
            documents.column("published_at").to_pylist(),
            documents.column("batch").to_pylist(),
        )
    }
    edges: dict[tuple[str, str], _Edge] = {}
    for link in provenance.to_pylist():
        if link["credit_status"] not in BETWEEN_PUBLISHERS or link["origin_basis"] in UNDIRECTED_BASES:
            continue
        key = (
            _key(link["publisher_outlet_id"], link["publisher"]),
            _key(link["source_publisher_outlet_id"], link["source_publisher"]),
        )
        seen = when[link["doc_id"]]
        edge = edges.get(key)
        if edge is None:
            edge = edges[key] = _Edge(
                link["publisher"],
                link["publisher_outlet_id"],
                link["source_publisher"],
                link["source_publisher_outlet_id"],
                seen,
                seen,
            )
        edge.copy_links += 1
        setattr(edge, link["credit_status"], getattr(edge, link["credit_status"]) + 1)
        edge.first_seen, edge.last_seen = min(edge.first_seen, seen), max(edge.last_seen, seen)
    ordered = [edges[key] for key in sorted(edges)]
    columns = {name: [getattr(e, name) for e in ordered] for name in OUTLET_LINKS.names if name != "batch"}
    columns["batch"] = [batch] * len(ordered)
    return conform(
        pa.table({k: pa.array(v, type=OUTLET_LINKS.field(k).type) for k, v in columns.items()}), OUTLET_LINKS
    )
