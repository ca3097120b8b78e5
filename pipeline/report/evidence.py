"""What the evidence report shows, read from an output folder's published tables as typed records.

``load_evidence`` reads the documents, overlaps, copy links, credits, rejects and sightings of every
batch, or of one batch with the documents linked to it; which documents make a story and in which
order they are shown (``story_order``) are decided here, since the same-story overlaps read depend
on it. Rendering is ``pipeline.report.pages``.
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import NamedTuple, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core import tables
from pipeline.core.errors import InputError
from pipeline.core.tables import batches_of
from pipeline.report.queries import check_output, read_rows, read_table

T = TypeVar("T")

# Past this, a story's same-story pairs are only counted (the page says so): a story of thousands
# of documents otherwise made a page of hundreds of megabytes.
MAX_SAME_STORY_PAIRS = 25

# Copy links that say no side copied the other: a tie (the tables cannot tell which came first) and
# two siblings copying one source (origin_basis shared_source, in provenance files of a later version).
UNDIRECTED = ("tie", "shared_source")

# documents columns of a later schema version (readers of web pages and exports), read when present.
PUBLISHER_COLUMNS = ("publisher", "publisher_outlet_id", "published_at", "url")

# A document without a headline is named by its first line, cut to about this many characters.
NAME_CHARS = 90


@dataclass
class Document:
    doc_id: str
    source_path: str
    batch: str
    published: dt.date | None
    dateline: str | None
    title: str | None
    text: str
    credited_outlets: list[str]
    wire_copy: bool
    copy_cluster_id: str
    story_id: str
    is_origin: bool
    body_start: int = 0
    # Columns a reader of web pages and exports adds (documents of later schema versions); None where
    # the tables do not have them or the source did not say.
    publisher: str | None = None
    publisher_outlet_id: str | None = None
    published_at: dt.datetime | None = None
    url: str | None = None

    @property
    def date(self) -> dt.date:
        if self.published_at is not None:
            return self.when.date()
        return self.published or dt.date.fromisoformat(self.batch)

    @property
    def when(self) -> dt.datetime:
        """When it was published, as precisely as known: the time where given, else the day's start."""
        if self.published_at is not None:
            at = self.published_at
            return (at.astimezone(dt.timezone.utc) if at.tzinfo else at).replace(tzinfo=None)
        return dt.datetime.combine(self.date, dt.time())

    @property
    def name(self) -> str:
        """Its headline; else the first line of its body, cut at a word; else its file name."""
        if self.title:
            return self.title
        line = next((line.strip() for line in self.text[self.body_start :].splitlines() if line.strip()), "")
        if not line:
            return self.source_path
        if len(line) <= NAME_CHARS:
            return line
        return line[:NAME_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"


@dataclass(frozen=True)
class Overlap:
    passage_a: str
    passage_b: str
    doc_a: str
    doc_b: str
    batch: str
    relation: str
    jaccard: float
    containment_a: float
    containment_b: float
    aligned_ratio: float
    shared_anchors: tuple[str, ...]
    spans: tuple[tuple[int, int, int, int], ...]
    method: str
    origin: str

    @property
    def overlap_id(self) -> str:
        return f"{self.passage_a}~{self.passage_b}"


class SameStory(NamedTuple):
    """A same-story overlap's ends: most are only counted, never drawn (see ``_same_story_shown``),
    so the report reads these four columns of them, not the whole record."""

    passage_a: str
    passage_b: str
    doc_a: str
    doc_b: str

    @property
    def overlap_id(self) -> str:
        return f"{self.passage_a}~{self.passage_b}"


@dataclass(frozen=True)
class Link:
    doc_id: str
    source_doc_id: str
    batch: str
    relation: str
    coverage: float
    source_coverage: float
    spans: tuple[tuple[int, int, int, int], ...]
    origin_basis: str
    credited_outlet_id: str | None
    evidence: str | None
    # credited / credited_other / uncredited / same_publisher / unknown: provenance files of a later
    # schema version have it (publisher-level provenance); None where the tables do not.
    credit_status: str | None


@dataclass(frozen=True)
class Credit:
    doc_id: str
    outlet_id: str | None
    surface: str
    cue: str
    char_start: int
    char_end: int
    sentence_start: int
    sentence_end: int
    is_alias: bool = True  # with outlet_id null: an unresolved alias, or (False) a name the gazetteer lacks


@dataclass(frozen=True)
class Reject:
    source_path: str
    batch: str
    reason: str
    detail: str | None


@dataclass(frozen=True)
class Sighting:
    source_path: str
    batch: str
    doc_id: str
    first_batch: str
    first_source_path: str


@dataclass
class Evidence:
    """Everything the report shows, read from one output folder."""

    out_dir: Path
    batches: list[str]
    documents: dict[str, Document]
    passages: dict[str, tuple[str, int, int]]  # those of the overlaps shown
    overlaps: list[Overlap]  # every copy overlap, and the same-story overlaps shown
    same_story: list[SameStory]  # every same-story overlap
    links: list[Link]
    credits: dict[str, list[Credit]]
    outlet_names: dict[str, str]
    rejects: list[Reject]
    sightings: list[Sighting]
    batch: str | None = None  # a one-batch report's batch (load_evidence); None: every batch
    max_same_story_pairs: int = MAX_SAME_STORY_PAIRS  # per story, the same-story pairs read whole
    publishers_known: bool = False  # some document names its publisher (text files name none)


def _span_tuples(column: pa.ChunkedArray) -> list[tuple[tuple[int, int, int, int], ...]]:
    """Each row's spans (a list of a_start/a_end/b_start/b_end structs) as tuples; () where null.

    Field by field, not row by row: a bulk load's report reads hundreds of thousands of overlaps."""
    rows: list[tuple[tuple[int, int, int, int], ...]] = []
    for chunk in column.chunks:
        offsets = chunk.offsets.to_pylist()
        offsets_by_field = [chunk.values.field(name).to_pylist() for name in ("a_start", "a_end", "b_start", "b_end")]
        spans = list(zip(*offsets_by_field))
        valid = chunk.is_valid().to_pylist()
        rows.extend(tuple(spans[offsets[i] : offsets[i + 1]]) if valid[i] else () for i in range(len(chunk)))
    return rows


def _python_values(column: pa.ChunkedArray, name: str) -> list:
    if name == "spans":
        return _span_tuples(column)
    if pa.types.is_list(column.type):
        return [tuple(values or ()) for values in column.to_pylist()]
    return column.to_pylist()


def _records(
    out_dir: Path, table: str, record: type, batches: list[str] | None, where: pc.Expression | None
) -> Iterator:
    """``record`` objects of the table's rows, its fields read from the columns of the same names
    (lists as tuples, spans as tuples of offsets), column by column."""
    names = list(record._fields) if issubclass(record, tuple) else [f.name for f in fields(record)]
    data = read_table(out_dir, table, names, batches, where)
    return map(record, *(_python_values(data.column(name), name) for name in names))


def _both(*conditions: pc.Expression | None) -> pc.Expression | None:
    """The conditions that are given, and-ed; None when none is."""
    given = [c for c in conditions if c is not None]
    return functools.reduce(operator.and_, given) if given else None


def load_evidence(out_dir: Path, batch: str | None = None) -> Evidence:
    """Read the tables the report needs; missing tables read as empty.

    With ``batch``, only that batch's evidence: its documents, every overlap and copy link that
    has one of them on a side (made in that batch or a later one), the documents at the other
    ends, and the batch's rejects and sightings. A daily run reports its own batch: a page over a
    whole archive is hundreds of megabytes that nobody reads, and rendering it costs more than
    the batch.
    """
    out_dir = Path(out_dir)
    check_output(out_dir)
    scope = _Scope.of(out_dir, batch)
    # Same-story overlaps are most of a batch's, but a page draws at most MAX_SAME_STORY_PAIRS pairs
    # of them per story: their ends are read first, whole records only for those drawn.
    max_pairs = MAX_SAME_STORY_PAIRS
    either, same_story_relation = scope.either("doc_a", "doc_b"), pc.field("relation") == "same_story"
    copies = list(_records(out_dir, "overlaps", Overlap, scope.later_batches, _both(either, ~same_story_relation)))
    same_story = list(_records(out_dir, "overlaps", SameStory, scope.later_batches, _both(either, same_story_relation)))
    links_by_pair: dict[tuple[str, str], Link] = {}
    for link in sorted(
        _records(out_dir, "provenance", Link, scope.later_batches, scope.either("doc_id", "source_doc_id")),
        key=lambda link: link.batch,
    ):
        links_by_pair[(link.doc_id, link.source_doc_id)] = link  # a later batch's link replaces an earlier one
    shown = scope.with_ends(
        [(o.doc_a, o.doc_b) for o in copies]
        + [(o.doc_a, o.doc_b) for o in same_story]
        + [(link.doc_id, link.source_doc_id) for link in links_by_pair.values()]
    )
    current: dict[str, dict] = {}
    for row in sorted(
        read_rows(out_dir, "clusters", ["doc_id", "batch", "copy_cluster_id", "story_id", "is_origin"], where=shown),
        key=lambda r: r["batch"],
    ):
        current[row["doc_id"]] = row  # a document's latest batch's row is its current one
    documents = {}
    for row in read_rows(
        out_dir,
        "documents",
        [
            "doc_id",
            "source_path",
            "batch",
            "published",
            "dateline",
            "title",
            "text",
            "credited_outlets",
            "wire_copy",
            "body_start",
            *PUBLISHER_COLUMNS,
        ],
        where=shown,
    ):
        cluster = current.get(row["doc_id"], {})
        documents[row["doc_id"]] = Document(
            row["doc_id"],
            row["source_path"],
            row["batch"],
            row["published"],
            row["dateline"],
            row["title"],
            row["text"],
            list(row["credited_outlets"] or ()),
            bool(row["wire_copy"]),
            cluster.get("copy_cluster_id") or f"copy:{row['doc_id']}",
            cluster.get("story_id") or f"story:{row['doc_id']}",
            bool(cluster.get("is_origin", True)),
            row["body_start"] or 0,
            *(row[c] for c in PUBLISHER_COLUMNS),
        )
    links = list(links_by_pair.values())
    overlaps = copies + _same_story_records(
        out_dir, scope.later_batches, either, _same_story_shown(documents, links, copies, same_story, max_pairs)
    )
    passage_ids = tables.string_array({p for o in overlaps for p in (o.passage_a, o.passage_b)})
    passages = {
        r["passage_id"]: (r["doc_id"], r["char_start"], r["char_end"])
        for r in read_rows(
            out_dir,
            "passages",
            ["passage_id", "doc_id", "char_start", "char_end"],
            where=pc.field("passage_id").isin(passage_ids),
        )
    }
    credits: dict[str, list[Credit]] = defaultdict(list)
    for r in read_rows(
        out_dir,
        "attributions",
        [
            "doc_id",
            "outlet_id",
            "surface",
            "cue",
            "char_start",
            "char_end",
            "sentence_start",
            "sentence_end",
            "is_alias",
        ],
        where=shown,
    ):
        credits[r["doc_id"]].append(Credit(**r))
    outlet_names = {r["outlet_id"]: r["name"] for r in read_rows(out_dir, "outlets", ["outlet_id", "name"])}
    batches = (
        [batch]
        if batch is not None
        else sorted({b for table in ("documents", "rejects", "sightings") for b in batches_of(out_dir, table)})
    )
    return Evidence(
        out_dir,
        batches,
        documents,
        passages,
        overlaps,
        same_story,
        links,
        dict(credits),
        outlet_names,
        list(_records(out_dir, "rejects", Reject, scope.own_batch, None)),
        list(_records(out_dir, "sightings", Sighting, scope.own_batch, None)),
        batch,
        max_pairs,
        any(doc.publisher for doc in documents.values()),
    )


def _same_story_shown(
    documents: dict[str, Document],
    links: list[Link],
    copies: list[Overlap],
    same_story: list[SameStory],
    max_pairs: int,
) -> set[SameStory]:
    """The same-story overlaps the page draws: those between two stories, those of a document pair
    with copy evidence too, and those of each story's first ``max_pairs`` pairs without, in the
    page's pair order (``pipeline.report.pages``); the others are only counted."""
    story = {doc_id: doc.story_id for doc_id, doc in documents.items()}
    copied = {unordered_pair(l.doc_id, l.source_doc_id) for l in links} | {
        unordered_pair(o.doc_a, o.doc_b) for o in copies
    }
    shown: set[SameStory] = set()
    candidates: dict[str, dict[tuple[str, str], list[SameStory]]] = defaultdict(lambda: defaultdict(list))
    for overlap in same_story:
        pair, s = unordered_pair(overlap.doc_a, overlap.doc_b), story.get(overlap.doc_a)
        if s is None or s != story.get(overlap.doc_b) or pair in copied:
            shown.add(overlap)
        else:
            candidates[s][pair].append(overlap)
    members = story_members(documents)
    story_links, _ = by_story(documents, links, link_ends)
    for s, pairs in candidates.items():
        rank = {d: i for i, d in enumerate(story_order(documents, members[s], story_links[s]))}
        for pair in heapq.nsmallest(max_pairs, pairs, key=lambda p: sorted((rank[p[0]], rank[p[1]]))):
            shown.update(pairs[pair])
    return shown


def _same_story_records(
    out_dir: Path, batches: list[str] | None, either: pc.Expression | None, wanted: set[SameStory]
) -> list[Overlap]:
    """The whole records of these same-story overlaps."""
    if not wanted:
        return []
    where = _both(
        either,
        pc.field("relation") == "same_story",
        pc.field("passage_a").isin(tables.string_array({o.passage_a for o in wanted})),
        pc.field("passage_b").isin(tables.string_array({o.passage_b for o in wanted})),
    )
    ids = {o.overlap_id for o in wanted}  # the filter above also lets through other pairs of those passages
    return [o for o in _records(out_dir, "overlaps", Overlap, batches, where) if o.overlap_id in ids]


def story_members(documents: dict[str, Document]) -> dict[str, list[str]]:
    """Each story's documents."""
    members: dict[str, list[str]] = defaultdict(list)
    for doc in documents.values():
        members[doc.story_id].append(doc.doc_id)
    return members


def by_story(
    documents: dict[str, Document], items: Iterable[T], ends: Callable[[T], tuple[str, str]]
) -> tuple[dict[str, list[T]], list[T]]:
    """``items`` (overlaps, links) with both ``ends`` in one story, by story; and the others: between
    two stories, or with a document not read."""
    within: dict[str, list[T]] = defaultdict(list)
    between: list[T] = []
    for item in items:
        a, b = (documents.get(doc_id) for doc_id in ends(item))
        if a is not None and b is not None and a.story_id == b.story_id:
            within[a.story_id].append(item)
        else:
            between.append(item)
    return within, between


def overlap_ends(overlap: Overlap | SameStory) -> tuple[str, str]:
    return overlap.doc_a, overlap.doc_b


def link_ends(link: Link) -> tuple[str, str]:
    return link.doc_id, link.source_doc_id


def story_order(documents: dict[str, Document], doc_ids: list[str], links: list[Link]) -> list[str]:
    """A story's documents by date; on a day, sources before their copies, the origin first."""
    depth = {d: 0 for d in doc_ids}
    directed = [(l.source_doc_id, l.doc_id) for l in links if l.origin_basis not in UNDIRECTED]
    for _ in range(len(doc_ids)):
        changed = False
        for source, copy in directed:
            if source in depth and copy in depth and depth[copy] < depth[source] + 1 <= len(doc_ids):
                depth[copy], changed = depth[source] + 1, True
        if not changed:
            break

    def key(d: str):
        doc = documents[d]
        return doc.when, depth[d], not doc.is_origin, doc.source_path, d

    return sorted(doc_ids, key=key)


@dataclass(frozen=True)
class _Scope:
    """Which partitions and rows a report reads: everything, or one batch's evidence."""

    own_batch: list[str] | None  # partitions holding the batch's own rows (documents, rejects, sightings)
    later_batches: list[str] | None  # partitions that can hold a link to one of its documents
    doc_ids: frozenset[str] | None  # the batch's documents

    @classmethod
    def of(cls, out_dir: Path, batch: str | None) -> _Scope:
        if batch is None:
            return cls(None, None, None)
        known = batches_of(out_dir, "documents")
        if batch not in known:
            raise InputError(
                f"no batch {batch} under {out_dir} (batches: {', '.join(known[-5:]) or 'none'}): "
                "pass the --batch of an earlier run"
            )
        rows = read_rows(out_dir, "documents", ["doc_id"], [batch])
        return cls(
            [batch],
            [b for b in batches_of(out_dir, "overlaps") + batches_of(out_dir, "provenance") if b >= batch],
            frozenset(r["doc_id"] for r in rows),
        )

    def either(self, column_a: str, column_b: str) -> pc.Expression | None:
        if self.doc_ids is None:
            return None
        ids = tables.string_array(set(self.doc_ids))
        return pc.field(column_a).isin(ids) | pc.field(column_b).isin(ids)

    def with_ends(self, pairs: list[tuple[str, str]]) -> pc.Expression | None:
        """The documents to show: the batch's and those linked to one of them."""
        if self.doc_ids is None:
            return None
        return pc.field("doc_id").isin(tables.string_array(set(self.doc_ids).union(*pairs)))


def unordered_pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)
