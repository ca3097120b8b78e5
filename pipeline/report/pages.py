"""The evidence report: one static HTML page over an output folder's tables.

    newsprov report --out output        # writes output/report.html

The page is self-contained (inline CSS and SVG, no script, no network: its Content-Security-Policy
forbids every fetch). Per story cluster it shows a who-copied-whom graph on a time axis, the
documents with the outlets they credit and the sentence that credits each, and per document pair
the copy link and every overlap as side-by-side passages. Each overlap span is one
``<mark class="shared" data-overlap=ID data-span=N data-side=a|b>`` on each side, so a browser can
count them; offsets are ``documents.text`` indices, and the text around and inside them is escaped.
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import html
import operator
import os
import shutil
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import NamedTuple, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core import tables
from pipeline.core.errors import InputError, OutputError
from pipeline.core.ids import ordinal_of
from pipeline.report.queries import check_output, read_rows, read_table
from pipeline.core.tables import batches_of

REPORT_FILE = "report.html"

T = TypeVar("T")

# Past these, a story's same-story pairs and graph are cut (with a note saying so): a story of
# thousands of documents otherwise made a page of hundreds of megabytes.
MAX_SAME_STORY_PAIRS = 25
MAX_GRAPH_DOCUMENTS = 40

RELATION_LABELS = {"reprint": "reprint", "excerpt": "excerpt", "spun": "spun", "light_edit": "light edit",
                   "paraphrase": "paraphrase"}


@dataclass(frozen=True)
class Mark:
    """A highlighted range of a text: ``[start, end)`` becomes ``<tag class=... attrs>``."""

    start: int
    end: int
    css_class: str
    attrs: tuple[tuple[str, str], ...] = ()
    tag: str = "mark"


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

    @property
    def date(self) -> dt.date:
        return self.published or dt.date.fromisoformat(self.batch)

    @property
    def name(self) -> str:
        return self.title or self.source_path


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
    rejects: list[dict]
    sightings: list[dict]
    batch: str | None = None  # a one-batch report's batch (load_evidence); None: every batch


@dataclass
class Pair:
    """Two documents with the copy link and the overlaps between them; ``left`` is the source side."""

    left: str
    right: str
    link: Link | None = None
    overlaps: list[Overlap] = field(default_factory=list)


def _span_tuples(column: pa.ChunkedArray) -> list[tuple[tuple[int, int, int, int], ...]]:
    """Each row's spans (a list of a_start/a_end/b_start/b_end structs) as tuples; () where null.

    Field by field, not row by row: a bulk load's report reads hundreds of thousands of overlaps,
    and a dict per span was a tenth of its time."""
    rows: list[tuple[tuple[int, int, int, int], ...]] = []
    for chunk in column.chunks:
        offsets = chunk.offsets.to_pylist()
        offsets_by_field = [chunk.values.field(name).to_pylist() for name in ("a_start", "a_end", "b_start", "b_end")]
        spans = list(zip(*offsets_by_field))
        valid = chunk.is_valid().to_pylist()
        rows.extend(tuple(spans[offsets[i]:offsets[i + 1]]) if valid[i] else () for i in range(len(chunk)))
    return rows


def _python_values(column: pa.ChunkedArray, name: str) -> list:
    if name == "spans":
        return _span_tuples(column)
    if pa.types.is_list(column.type):
        return [tuple(values or ()) for values in column.to_pylist()]
    return column.to_pylist()


def _records(out_dir: Path, table: str, record: type, batches: list[str] | None,
             where: pc.Expression | None) -> Iterator:
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
    # Same-story overlaps are most of a batch's (177,442 of 195,058 at 20,000 documents), but a page
    # draws at most MAX_SAME_STORY_PAIRS pairs of them per story: read whole, they were 3 of the
    # report's 5 s. Their ends are read first; whole records only for those drawn.
    either, same_story_relation = scope.either("doc_a", "doc_b"), pc.field("relation") == "same_story"
    copies = list(_records(out_dir, "overlaps", Overlap, scope.later_batches, _both(either, ~same_story_relation)))
    same_story = list(_records(out_dir, "overlaps", SameStory, scope.later_batches, _both(either, same_story_relation)))
    links_by_pair: dict[tuple[str, str], Link] = {}
    for link in sorted(_records(out_dir, "provenance", Link, scope.later_batches,
                                scope.either("doc_id", "source_doc_id")), key=lambda link: link.batch):
        links_by_pair[(link.doc_id, link.source_doc_id)] = link  # a later batch's link replaces an earlier one
    shown = scope.with_ends([(o.doc_a, o.doc_b) for o in copies] + [(o.doc_a, o.doc_b) for o in same_story]
                            + [(link.doc_id, link.source_doc_id) for link in links_by_pair.values()])
    current: dict[str, dict] = {}
    for row in sorted(read_rows(out_dir, "clusters", ["doc_id", "batch", "copy_cluster_id", "story_id", "is_origin"],
                                where=shown), key=lambda r: r["batch"]):
        current[row["doc_id"]] = row  # a document's latest batch's row is its current one
    documents = {}
    for row in read_rows(out_dir, "documents", ["doc_id", "source_path", "batch", "published", "dateline", "title",
                                                "text", "credited_outlets", "wire_copy"], where=shown):
        cluster = current.get(row["doc_id"], {})
        documents[row["doc_id"]] = Document(
            row["doc_id"], row["source_path"], row["batch"], row["published"], row["dateline"], row["title"],
            row["text"], list(row["credited_outlets"] or ()), bool(row["wire_copy"]),
            cluster.get("copy_cluster_id") or f"copy:{row['doc_id']}",
            cluster.get("story_id") or f"story:{row['doc_id']}", bool(cluster.get("is_origin", True)))
    links = list(links_by_pair.values())
    overlaps = copies + _same_story_records(
        out_dir, scope.later_batches, either, _same_story_shown(documents, links, copies, same_story))
    passage_ids = tables.string_array({p for o in overlaps for p in (o.passage_a, o.passage_b)})
    passages = {r["passage_id"]: (r["doc_id"], r["char_start"], r["char_end"])
                for r in read_rows(out_dir, "passages", ["passage_id", "doc_id", "char_start", "char_end"],
                                   where=pc.field("passage_id").isin(passage_ids))}
    credits: dict[str, list[Credit]] = defaultdict(list)
    for r in read_rows(out_dir, "attributions", ["doc_id", "outlet_id", "surface", "cue", "char_start", "char_end",
                                                 "sentence_start", "sentence_end"], where=shown):
        credits[r["doc_id"]].append(Credit(**r))
    outlet_names = {r["outlet_id"]: r["name"] for r in read_rows(out_dir, "outlets", ["outlet_id", "name"])}
    batches = [batch] if batch is not None else sorted(
        {b for table in ("documents", "rejects", "sightings") for b in batches_of(out_dir, table)})
    return Evidence(
        out_dir, batches, documents, passages, overlaps, same_story, links, dict(credits), outlet_names,
        read_rows(out_dir, "rejects", ["source_path", "batch", "reason", "detail"], scope.own_batch),
        read_rows(out_dir, "sightings", ["source_path", "batch", "doc_id", "first_batch", "first_source_path"],
                  scope.own_batch), batch)


def _same_story_shown(documents: dict[str, Document], links: list[Link], copies: list[Overlap],
                      same_story: list[SameStory]) -> set[SameStory]:
    """The same-story overlaps the page draws: those between two stories, those of a document pair
    with copy evidence too, and those of each story's first MAX_SAME_STORY_PAIRS pairs without, in
    the page's pair order (``_Page.pairs_of``); the others are only counted."""
    story = {doc_id: doc.story_id for doc_id, doc in documents.items()}
    copied = {_ordered(l.doc_id, l.source_doc_id) for l in links} | {_ordered(o.doc_a, o.doc_b) for o in copies}
    shown: set[SameStory] = set()
    candidates: dict[str, dict[tuple[str, str], list[SameStory]]] = defaultdict(lambda: defaultdict(list))
    for overlap in same_story:
        pair, s = _ordered(overlap.doc_a, overlap.doc_b), story.get(overlap.doc_a)
        if s is None or s != story.get(overlap.doc_b) or pair in copied:
            shown.add(overlap)
        else:
            candidates[s][pair].append(overlap)
    members = _story_members(documents)
    story_links, _ = _by_story(documents, links, _link_ends)
    for s, pairs in candidates.items():
        rank = {d: i for i, d in enumerate(story_order(documents, members[s], story_links[s]))}
        for pair in heapq.nsmallest(MAX_SAME_STORY_PAIRS, pairs, key=lambda p: sorted((rank[p[0]], rank[p[1]]))):
            shown.update(pairs[pair])
    return shown


def _same_story_records(out_dir: Path, batches: list[str] | None, either: pc.Expression | None,
                        wanted: set[SameStory]) -> list[Overlap]:
    """The whole records of these same-story overlaps."""
    if not wanted:
        return []
    where = _both(either, pc.field("relation") == "same_story",
                  pc.field("passage_a").isin(tables.string_array({o.passage_a for o in wanted})),
                  pc.field("passage_b").isin(tables.string_array({o.passage_b for o in wanted})))
    ids = {o.overlap_id for o in wanted}  # the filter above also lets through other pairs of those passages
    return [o for o in _records(out_dir, "overlaps", Overlap, batches, where) if o.overlap_id in ids]


def _story_members(documents: dict[str, Document]) -> dict[str, list[str]]:
    """Each story's documents."""
    members: dict[str, list[str]] = defaultdict(list)
    for doc in documents.values():
        members[doc.story_id].append(doc.doc_id)
    return members


def _by_story(documents: dict[str, Document], items: Iterable[T], ends: Callable[[T], tuple[str, str]]
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


def _overlap_ends(overlap: Overlap | SameStory) -> tuple[str, str]:
    return overlap.doc_a, overlap.doc_b


def _link_ends(link: Link) -> tuple[str, str]:
    return link.doc_id, link.source_doc_id


def story_order(documents: dict[str, Document], doc_ids: list[str], links: list[Link]) -> list[str]:
    """A story's documents by date; on a day, sources before their copies, the origin first."""
    depth = {d: 0 for d in doc_ids}
    directed = [(l.source_doc_id, l.doc_id) for l in links if l.origin_basis != "tie"]
    for _ in range(len(doc_ids)):
        changed = False
        for source, copy in directed:
            if source in depth and copy in depth and depth[copy] < depth[source] + 1 <= len(doc_ids):
                depth[copy], changed = depth[source] + 1, True
        if not changed:
            break

    def key(d: str):
        doc = documents[d]
        return doc.date, depth[d], not doc.is_origin, doc.source_path, d
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
            raise InputError(f"no batch {batch} under {out_dir} (batches: {', '.join(known[-5:]) or 'none'}): "
                             "pass the --batch of an earlier run")
        rows = read_rows(out_dir, "documents", ["doc_id"], [batch])
        return cls([batch], [b for b in batches_of(out_dir, "overlaps") + batches_of(out_dir, "provenance")
                             if b >= batch], frozenset(r["doc_id"] for r in rows))

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


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def highlight(text: str, start: int, end: int, marks: list[Mark]) -> str:
    """Escaped ``text[start:end]`` with one element per mark.

    Marks are clamped to the window; where two overlap, the later one starts where the earlier one
    ends (it may become empty), so elements never nest and each mark yields exactly one element.
    """
    start, end = max(0, start), min(len(text), end)
    out, cursor = [], start
    for mark in sorted(marks, key=lambda m: (m.start, m.end)):
        s = min(max(mark.start, cursor), end)
        e = min(max(mark.end, s), end)
        attrs = "".join(f' {name}="{_e(value)}"' for name, value in mark.attrs)
        out.append(_e(text[cursor:s]))
        out.append(f'<{mark.tag} class="{mark.css_class}"{attrs}>{_e(text[s:e])}</{mark.tag}>')
        cursor = e
    out.append(_e(text[cursor:end]))
    return "".join(out)


def _window(text: str, passage: tuple[str, int, int] | None, starts: list[int], ends: list[int]) -> tuple[int, int]:
    """The passage's range grown to hold every span; without a passage, the lines holding the spans."""
    if passage is not None:
        return min([passage[1], *starts]), max([passage[2], *ends])
    if not starts:
        return 0, len(text)
    s, e = min(starts), max(ends)
    line_end = text.find("\n", e)
    return text.rfind("\n", 0, s) + 1, len(text) if line_end < 0 else line_end


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _percent(value: float | None) -> str:
    return "?" if value is None else f"{100 * value:.0f}%"


def _number(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f}"


class _Page:
    """Renders an Evidence into the report's HTML."""

    def __init__(self, evidence: Evidence) -> None:
        self.ev = evidence
        self.docs = evidence.documents
        self.svg_count = 0

    # --- documents -------------------------------------------------------------------------

    def doc_ref(self, doc_id: str) -> str:
        doc = self.docs.get(doc_id)
        if doc is None:
            return f'<span class="missing">{_e(doc_id)} (not in documents)</span>'
        path = f' <span class="path">({_e(doc.source_path)})</span>' if doc.title else ""
        return f'<a href="#doc-{_e(doc_id)}">{_e(doc.name)}</a>{path}'

    def outlet_name(self, outlet_id: str | None, surface: str = "") -> str:
        if outlet_id is None:
            return surface
        return self.ev.outlet_names.get(outlet_id, outlet_id)

    def credits_html(self, doc: Document) -> str:
        credits = self.ev.credits.get(doc.doc_id, [])
        order = list(doc.credited_outlets)
        order += [c.outlet_id for c in credits if c.outlet_id is not None and c.outlet_id not in order]
        items = []
        for outlet_id in order:
            mine = [c for c in credits if c.outlet_id == outlet_id]
            items.append(self.credit_item(doc, self.outlet_name(outlet_id), outlet_id, "badge", mine))
        for c in credits:
            if c.outlet_id is None:
                items.append(self.credit_item(doc, c.surface, "unresolved alias", "badge unresolved", [c]))
        if not items:
            return '<p class="nocredit">credits no outlet</p>'
        return '<ul class="credits">' + "".join(items) + "</ul>"

    def credit_item(self, doc: Document, name: str, title: str, css: str, credits: list[Credit]) -> str:
        cues = sorted({c.cue for c in credits})
        sentences: dict[tuple[int, int], list[Credit]] = defaultdict(list)
        for c in credits:
            sentences[(c.sentence_start, c.sentence_end)].append(c)
        quoted = "".join(
            '<q class="sentence">' + highlight(doc.text, s, e, [Mark(c.char_start, c.char_end, "mention", tag="b")
                                                              for c in group]) + "</q>"
            for (s, e), group in sorted(sentences.items()))
        cue_html = f' <span class="cue">{_e(", ".join(cues))}</span>' if cues else ""
        return f'<li><span class="{css}" title="{_e(title)}">{_e(name)}</span>{cue_html} {quoted}</li>'

    def doc_card(self, doc: Document, cluster_size: int) -> str:
        badges = []
        if doc.is_origin and cluster_size > 1:
            badges.append('<span class="origin">origin</span>')
        if doc.wire_copy:
            badges.append('<span class="tag">wire copy</span>')
        date = (f"{doc.published.isoformat()}" if doc.published
                else f"undated (batch {_e(doc.batch)})")
        dateline = f" · {_e(doc.dateline)}" if doc.dateline else ""
        return (f'<article class="doc" id="doc-{_e(doc.doc_id)}"><h4>{_e(doc.name)} {"".join(badges)}</h4>'
                f'<p class="meta"><time>{date}</time>{dateline} · {_e(doc.source_path)} · doc {_e(doc.doc_id)} '
                f'· batch {_e(doc.batch)} · {_e(doc.copy_cluster_id)}</p>{self.credits_html(doc)}</article>')

    # --- pairs -----------------------------------------------------------------------------

    def side_html(self, doc_id: str, passage_id: str | None, spans: list[tuple[int, int]], marks: list[Mark],
                  is_origin: bool) -> str:
        doc = self.docs.get(doc_id)
        origin = ' <span class="origin">origin</span>' if is_origin else ""
        label = f"¶{ordinal_of(passage_id)}" if passage_id and ":" in passage_id else ""
        head = f'<div class="who">{self.doc_ref(doc_id)} {label}{origin}</div>'
        if doc is None:
            return f'<div class="col">{head}<p class="passage missing">text not available</p></div>'
        start, end = _window(doc.text, self.ev.passages.get(passage_id) if passage_id else None,
                             [s for s, _ in spans], [e for _, e in spans])
        return f'<div class="col">{head}<p class="passage">{highlight(doc.text, start, end, marks)}</p></div>'

    def overlap_html(self, overlap: Overlap, left: str) -> str:
        oid = overlap.overlap_id
        sides = {}
        for side, doc_id, passage in (("a", overlap.doc_a, overlap.passage_a), ("b", overlap.doc_b, overlap.passage_b)):
            ranges = [(s[0], s[1]) if side == "a" else (s[2], s[3]) for s in overlap.spans]
            marks = [Mark(s, e, "shared", (("data-overlap", oid), ("data-span", str(i)), ("data-side", side),
                                           ("title", f"{overlap.relation} span {i}: chars {s}-{e}")))
                     for i, (s, e) in enumerate(ranges)]
            sides[side] = self.side_html(doc_id, passage, ranges, marks, overlap.origin == side)
        order = ("a", "b") if overlap.doc_a == left else ("b", "a")
        anchors = ", ".join(overlap.shared_anchors) or "none"
        origin = {"tie": "origin: tie", "unknown": "origin: unknown"}.get(overlap.origin, "")
        return (f'<div class="overlap" id="ov-{_e(oid)}"><p class="ometa">'
                f'<span class="rel rel-{_e(overlap.relation)}">{_e(overlap.relation.replace("_", " "))}</span> '
                f'jaccard {_number(overlap.jaccard)} · containment {_number(overlap.containment_a)} / '
                f'{_number(overlap.containment_b)} · aligned {_number(overlap.aligned_ratio)} · '
                f'{_count(len(overlap.spans), "span")} · found by {_e(overlap.method)} in batch '
                f'{_e(overlap.batch)} · '
                f'shared names, dates, figures: {_e(anchors)} {_e(origin)}</p>'
                f'<div class="cols">{sides[order[0]]}{sides[order[1]]}</div></div>')

    def link_html(self, pair: Pair, link: Link) -> str:
        relation = RELATION_LABELS.get(link.relation, link.relation)
        credit = (f" · credits {_e(self.outlet_name(link.credited_outlet_id))} at the shared text"
                  if link.credited_outlet_id else "")
        if link.origin_basis == "tie":
            direction = f"{self.doc_ref(link.doc_id)} and {self.doc_ref(link.source_doc_id)}: no side is known to " \
                        f"be first"
        else:
            direction = (f"{self.doc_ref(link.doc_id)} copies {self.doc_ref(link.source_doc_id)} "
                         f"(origin decided by {_e(link.origin_basis)})")
        summary = (f'<p class="link"><span class="rel rel-{_e(link.relation)}">{_e(relation)}</span> {direction} · '
                   f'covers {_percent(link.coverage)} of the copy and {_percent(link.source_coverage)} of the source'
                   f'{credit} · batch {_e(link.batch)}</p>')
        cols = []
        for doc_id in (pair.left, pair.right):
            side = "a" if doc_id == link.doc_id else "b"
            ranges = [(s[0], s[1]) if side == "a" else (s[2], s[3]) for s in link.spans]
            doc = self.docs.get(doc_id)
            marks = [Mark(s, e, "link", (("data-link-span", str(i)),)) for i, (s, e) in enumerate(ranges)]
            is_origin = link.origin_basis != "tie" and doc_id == link.source_doc_id
            origin = ' <span class="origin">origin</span>' if is_origin else ""
            body = (highlight(doc.text, 0, len(doc.text), marks) if doc is not None else "text not available")
            cols.append(f'<div class="col"><div class="who">{self.doc_ref(doc_id)}{origin}</div>'
                        f'<div class="fulltext">{body}</div></div>')
        opened = "" if pair.overlaps else " open"
        return (f'{summary}<details{opened}><summary>both texts, the link\'s {len(link.spans)} shared spans '
                f'highlighted</summary><div class="cols">{"".join(cols)}</div></details>')

    def pair_html(self, pair: Pair) -> str:
        parts = [f'<section class="pair"><h3>{self.doc_ref(pair.left)} ⇄ {self.doc_ref(pair.right)}</h3>']
        if pair.link is not None:
            parts.append(self.link_html(pair, pair.link))
        else:
            copied = any(o.relation != "same_story" for o in pair.overlaps)
            parts.append('<p class="link nolink">' + (
                "copied passages, too few for a document link" if copied else
                "no copied text: independent reports of the same story") + "</p>")
        ordered = sorted(pair.overlaps, key=lambda o: (self.ev.passages.get(
            o.passage_a if o.doc_a == pair.left else o.passage_b, ("", 0, 0))[1], o.overlap_id))
        parts.extend(self.overlap_html(o, pair.left) for o in ordered)
        parts.append("</section>")
        return "".join(parts)

    # --- stories ---------------------------------------------------------------------------

    def order(self, doc_ids: list[str], links: list[Link]) -> list[str]:
        return story_order(self.docs, doc_ids, links)

    def graph_svg(self, order: list[str], links: list[Link], story_pairs: list[tuple[str, str]]) -> str:
        """Who copied whom: documents left to right on a time axis, copy links as labelled arrows."""
        self.svg_count += 1
        marker = f"arrow-{self.svg_count}"
        col, left_pad = 170, 90
        x = {d: left_pad + i * col for i, d in enumerate(order)}
        width = left_pad * 2 + col * max(len(order) - 1, 1)
        edges = [(l.source_doc_id, l.doc_id, RELATION_LABELS.get(l.relation, l.relation)
                  + (" (tie)" if l.origin_basis == "tie" else ""), l.relation, l.origin_basis == "tie")
                 for l in links if l.doc_id in x and l.source_doc_id in x]
        edges += [(a, b, "same story", "same_story", True) for a, b in story_pairs if a in x and b in x]
        index = {d: i for i, d in enumerate(order)}
        sizes: dict[str, int] = defaultdict(int)
        for d in order:
            sizes[self.docs[d].copy_cluster_id] += 1

        def rise(a: str, b: str) -> int:
            return 34 + 26 * min(abs(index[a] - index[b]), 5)
        top = max([rise(a, b) for a, b, *_ in edges] or [0]) + 24
        y0, axis = top + 10, top + 86
        height = axis + 40
        parts = [(f'<svg class="graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
                  f'width="{width}" height="{height}" role="img" aria-label="who copied whom">'),
                 (f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
                  f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker>'
                  f'</defs>')]
        for source, copy, label, relation, undirected in edges:
            x1, x2 = x[source], x[copy]
            h = rise(source, copy)
            mx = (x1 + x2) / 2
            arrow = "" if undirected else f' marker-end="url(#{marker})"'
            sx, ex = (x1 + 6, x2 - 6) if x2 >= x1 else (x1 - 6, x2 + 6)
            parts.append(f'<path class="edge edge-{_e(relation)}" d="M{sx},{y0 - 8} Q{mx},{y0 - 8 - 2 * h} '
                         f'{ex},{y0 - 8}"{arrow}/>')
            parts.append(f'<text class="elabel" x="{mx}" y="{y0 - 8 - h + 4}" text-anchor="middle">{_e(label)}</text>')
        parts.append(f'<line class="axis" x1="{left_pad - 50}" y1="{axis}" x2="{width - 20}" y2="{axis}" '
                     f'marker-end="url(#{marker})"/>')
        parts.append(f'<text class="axislabel" x="{width - 24}" y="{axis + 28}" text-anchor="end">time</text>')
        previous = None
        for d in order:
            doc = self.docs[d]
            origin = doc.is_origin and sizes[doc.copy_cluster_id] > 1
            name = doc.name if len(doc.name) <= 20 else doc.name[:19] + "…"
            parts.append(f'<a href="#doc-{_e(d)}"><title>{_e(doc.name)} ({_e(doc.source_path)})</title>'
                         f'<circle class="node{" node-origin" if origin else ""}" cx="{x[d]}" cy="{y0}" r="9"/>'
                         f'<text class="nlabel" x="{x[d]}" y="{y0 + 28}" text-anchor="middle">{_e(name)}</text>')
            if origin:
                parts.append(f'<text class="olabel" x="{x[d]}" y="{y0 + 44}" text-anchor="middle">origin</text>')
            parts.append("</a>")
            parts.append(f'<line class="tick" x1="{x[d]}" y1="{axis - 5}" x2="{x[d]}" y2="{axis + 5}"/>')
            date = doc.date.isoformat() + ("" if doc.published else " (batch)")
            if date != previous:
                parts.append(f'<text class="date" x="{x[d]}" y="{axis + 20}" text-anchor="middle">{_e(date)}</text>')
            previous = date
        parts.append("</svg>")
        return "".join(parts)

    def pairs_of(self, overlaps: list[Overlap], links: list[Link], order: list[str]) -> list[Pair]:
        rank = {d: i for i, d in enumerate(order)}
        pairs: dict[tuple[str, str], Pair] = {}  # by _ordered doc_ids

        def pair(a: str, b: str) -> Pair:
            key = _ordered(a, b)
            found = pairs.get(key)
            if found is None:
                unranked = len(rank)
                first, second = (a, b) if (rank.get(a, unranked), a) <= (rank.get(b, unranked), b) else (b, a)
                found = pairs[key] = Pair(first, second)
            return found
        for link in links:
            p = pair(link.doc_id, link.source_doc_id)
            p.link = link
            if link.origin_basis != "tie":
                p.left, p.right = link.source_doc_id, link.doc_id
        for overlap in overlaps:
            pair(overlap.doc_a, overlap.doc_b).overlaps.append(overlap)
        return sorted(pairs.values(), key=lambda p: (rank.get(p.left, len(rank)), rank.get(p.right, len(rank)),
                                                     p.left, p.right))

    def story_html(self, number: int, story_id: str, doc_ids: list[str], overlaps: list[Overlap],
                   links: list[Link], same_story_ends: list[SameStory]) -> str:
        """One story: ``overlaps`` are those drawn (load_evidence), ``same_story_ends`` every same-story one."""
        order = self.order(doc_ids, links)
        sizes = defaultdict(int)
        for d in doc_ids:
            sizes[self.docs[d].copy_cluster_id] += 1
        same_story_pairs = {_ordered(o.doc_a, o.doc_b) for o in same_story_ends}
        story_pairs = sorted(same_story_pairs - {_ordered(l.doc_id, l.source_doc_id) for l in links})
        n_overlaps = sum(o.relation != "same_story" for o in overlaps) + len(same_story_ends)
        first = self.docs[order[0]]
        heading = (f"Story {number}: {_e(first.name)} <small>{_count(len(doc_ids), 'document')} · "
                   f"{_count(len(links), 'copy link')} · {_count(n_overlaps, 'overlap')} · {_e(story_id)}</small>")
        cards = "".join(self.doc_card(self.docs[d], sizes[self.docs[d].copy_cluster_id]) for d in order)
        # Copy evidence is always shown in full; same-story pairs (no copied text) can number
        # thousands in a large story, so only the first ones are drawn and shown.
        pairs = self.pairs_of(overlaps, links, order)
        copied, same_story = [], []
        for p in pairs:
            is_copy = p.link is not None or any(o.relation != "same_story" for o in p.overlaps)
            (copied if is_copy else same_story).append(p)
        shown = same_story[:MAX_SAME_STORY_PAIRS]
        n_same_story = len(same_story_pairs - {_ordered(p.left, p.right) for p in copied})
        more = (f'<p class="more">{_count(n_same_story - len(shown), "more same-story pair")} of this story not '
                f'shown: query the overlaps table (relation = \'same_story\').</p>' if len(shown) < n_same_story else "")
        drawn = {_ordered(p.left, p.right) for p in shown}
        graph_docs = self.graph_documents(order, links, drawn)
        return (f'<section class="story" id="{_e(story_id)}"><h2>{heading}</h2>'
                f'{self.graph_svg(graph_docs, links, [p for p in story_pairs if p in drawn])}'
                + (f'<p class="more">The graph shows {len(graph_docs)} of the {len(order)} documents: those with '
                   f'copy links and shown pairs first.</p>' if len(graph_docs) < len(order) else "")
                + f'<div class="docs">{cards}</div>{"".join(self.pair_html(p) for p in copied + shown)}{more}</section>')

    def graph_documents(self, order: list[str], links: list[Link], drawn: set[tuple[str, str]]) -> list[str]:
        """At most MAX_GRAPH_DOCUMENTS of a story's documents, in story order: linked ones first."""
        if len(order) <= MAX_GRAPH_DOCUMENTS:
            return order
        wanted = {d for l in links for d in (l.doc_id, l.source_doc_id)} | {d for pair in drawn for d in pair}
        position = {d: i for i, d in enumerate(order)}
        keep = set(sorted(wanted & position.keys(), key=position.get)[:MAX_GRAPH_DOCUMENTS])
        keep |= set([d for d in order if d not in keep][:MAX_GRAPH_DOCUMENTS - len(keep)])
        return [d for d in order if d in keep]

    # --- page ------------------------------------------------------------------------------

    def render(self) -> str:
        return "".join(self.pieces())

    def pieces(self) -> Iterator[str]:
        """The page in pieces, story by story: a bulk load's page is hundreds of MB, and held whole
        (the pieces, the joined page, its UTF-8 bytes) it was most of the report's memory."""
        ev = self.ev
        stories = _story_members(ev.documents)
        story_overlaps, stray_overlaps = _by_story(ev.documents, ev.overlaps, _overlap_ends)
        story_links, stray_links = _by_story(ev.documents, ev.links, _link_ends)
        # Those between stories are drawn, so ev.overlaps has them too.
        story_same_story, _ = _by_story(ev.documents, ev.same_story, _overlap_ends)
        linked = [s for s, docs in stories.items() if len(docs) > 1 or story_overlaps[s] or story_links[s]]
        linked.sort(key=lambda s: (-len(stories[s]), min(self.docs[d].date for d in stories[s]), s))
        shown_as_stories = set(linked)  # a list lookup per story was quadratic: 7 s of a 93k-document batch
        single = sorted((d for s, docs in stories.items() if s not in shown_as_stories for d in docs),
                        key=lambda d: (self.docs[d].date, self.docs[d].source_path, d))
        relations = defaultdict(int)
        for o in ev.overlaps:
            if o.relation != "same_story":  # counted from ev.same_story, which has all of them
                relations[o.relation] += 1
        if ev.same_story:
            relations["same_story"] = len(ev.same_story)
        by_relation = ", ".join(f"{r} {n}" for r, n in sorted(relations.items())) or "none"
        toc = "".join(f'<li><a href="#{_e(s)}">{_e(self.docs[self.order(stories[s], story_links[s])[0]].name)}</a> '
                      f'({len(stories[s])} documents)</li>' for s in linked)
        scope = (f"batch {_e(ev.batch)}: its documents and the documents linked to them" if ev.batch is not None
                 else f'batches {_e(", ".join(ev.batches) or "none")}')
        head, tail = _PAGE.split("{body}")
        yield head.format(title=_e(f"newsprov report: {ev.out_dir}"), css=_CSS)
        yield (f'<header><h1>newsprov evidence report</h1><p class="meta">{_e(ev.out_dir)} · {scope} · '
               f'{_count(len(ev.documents), "document")} · '
               f'{_count(len(linked), "story cluster")} · {_count(len(ev.links), "copy link")} · '
               f'{_count(sum(relations.values()), "overlap")} ({_e(by_relation)}) · '
               f'{_count(len(ev.rejects), "reject")} · {_count(len(ev.sightings), "sighting")}</p>'
               f'<p class="legend"><span class="key key-shared">shared text of an overlap</span> '
               f'<span class="key key-link">shared text of a copy link</span> <span class="origin">origin</span> '
               f'<span class="badge">credited outlet</span> with the sentence that credits it</p>'
               + (f'<nav><ol>{toc}</ol></nav>' if toc else "") + "</header>")
        if not ev.documents:
            yield '\n<p class="empty">No documents in these tables.</p>'
        for i, s in enumerate(linked, 1):
            yield "\n" + self.story_html(i, s, stories[s], story_overlaps[s], story_links[s], story_same_story[s])
        if stray_overlaps or stray_links:
            order = sorted({d for o in stray_overlaps for d in (o.doc_a, o.doc_b)}
                           | {d for l in stray_links for d in (l.doc_id, l.source_doc_id)},
                           key=lambda d: (self.docs[d].date, d) if d in self.docs else (dt.date.max, d))
            yield ('\n<section class="story" id="between-stories"><h2>Overlaps between story clusters '
                   '<small>copied text too short to join the documents</small></h2>')
            yield from (self.pair_html(p) for p in self.pairs_of(stray_overlaps, stray_links, order))
            yield "</section>"
        if single:
            yield ('\n<section class="story" id="unlinked"><h2>Documents without links '
                   f'<small>{len(single)}</small></h2><div class="docs">')
            yield from (self.doc_card(self.docs[d], 1) for d in single)
            yield "</div></section>"
        yield "\n" + self.rejects_html()
        yield "\n" + self.sightings_html()
        yield tail

    def rejects_html(self) -> str:
        rows = sorted(self.ev.rejects, key=lambda r: (r["batch"], r["source_path"]))
        if not rows:
            return '<section id="rejects"><h2>Rejected files</h2><p class="empty">none</p></section>'
        cells = "".join(f'<tr><td>{_e(r["batch"])}</td><td>{_e(r["source_path"])}</td><td>{_e(r["reason"])}</td>'
                        f'<td>{_e(r["detail"])}</td></tr>' for r in rows)
        return (f'<section id="rejects"><h2>Rejected files <small>{len(rows)}</small></h2><table><thead><tr>'
                f'<th>batch</th><th>file</th><th>reason</th><th>detail</th></tr></thead><tbody>{cells}</tbody>'
                f'</table></section>')

    def sightings_html(self) -> str:
        rows = sorted(self.ev.sightings, key=lambda r: (r["batch"], r["source_path"]))
        if not rows:
            return '<section id="sightings"><h2>Sightings</h2><p class="empty">none</p></section>'
        cells = "".join(f'<tr><td>{_e(r["batch"])}</td><td>{_e(r["source_path"])}</td>'
                        f'<td>{self.doc_ref(r["doc_id"])}</td><td>{_e(r["first_source_path"])} '
                        f'(batch {_e(r["first_batch"])})</td></tr>' for r in rows)
        return (f'<section id="sightings"><h2>Sightings <small>{_count(len(rows), "file")} repeating a '
                f'document word for word</small></h2><table><thead><tr><th>batch</th><th>file</th><th>repeats</th>'
                f'<th>first seen as</th></tr></thead><tbody>{cells}</tbody></table></section>')


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
{body}
</body>
</html>
"""

_CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1240px;
       padding: 1em 1.5em; color: #1d1d1f; background: #fafafa; }
h1 { margin: 0.2em 0; } h2 { border-bottom: 2px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
h2 small, h3 small { font-weight: normal; color: #666; font-size: 0.7em; }
h3 { font-size: 1.05em; margin: 1.2em 0 0.4em; } h4 { margin: 0 0 0.2em; font-size: 1em; }
.meta, .ometa { color: #555; font-size: 0.85em; margin: 0.2em 0; }
a { color: #0b57d0; text-decoration: none; } a:hover { text-decoration: underline; }
mark.shared, .key-shared { background: #ffd84d; padding: 0 1px; border-radius: 2px; }
mark.link, .key-link { background: #bfe3ff; padding: 0 1px; border-radius: 2px; }
b.mention { background: #e6d4ff; font-weight: 600; }
.origin { display: inline-block; background: #b3261e; color: #fff; font-size: 0.72em; font-weight: 600;
          padding: 0 0.5em; border-radius: 8px; vertical-align: middle; text-transform: uppercase; }
.badge { display: inline-block; background: #0b57d0; color: #fff; font-size: 0.8em; padding: 0.05em 0.6em;
         border-radius: 10px; }
.badge.unresolved { background: #888; }
.tag { display: inline-block; border: 1px solid #999; color: #444; font-size: 0.72em; padding: 0 0.4em;
       border-radius: 6px; }
.cue { color: #666; font-size: 0.8em; font-style: italic; }
.credits { list-style: none; padding: 0; margin: 0.3em 0; } .credits li { margin: 0.25em 0; }
q.sentence { display: block; margin: 0.1em 0 0 1em; color: #333; font-size: 0.9em; }
.nocredit { color: #888; font-size: 0.85em; margin: 0.2em 0; }
.docs { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 0.6em; }
.doc { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 0.6em 0.8em; }
.pair { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 0.3em 0.9em 0.8em; margin: 1em 0; }
.link { margin: 0.3em 0; } .nolink { color: #666; font-style: italic; }
.rel { display: inline-block; font-size: 0.8em; font-weight: 600; padding: 0 0.5em; border-radius: 4px;
       background: #eee; }
.rel-verbatim, .rel-reprint { background: #d7f5dd; } .rel-near_copy, .rel-light_edit { background: #e5f0ff; }
.rel-spun { background: #ffe3cc; } .rel-excerpt { background: #f3e1ff; } .rel-same_story { background: #eee; }
.rel-paraphrase { background: #fff3bf; }
.overlap { border-top: 1px dashed #ccc; padding-top: 0.4em; margin-top: 0.5em; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
.who { font-size: 0.85em; font-weight: 600; margin-bottom: 0.2em; }
.passage { margin: 0; white-space: pre-wrap; font-family: Georgia, serif; }
.fulltext { white-space: pre-wrap; font-family: Georgia, serif; font-size: 0.9em; max-height: 28em; overflow: auto;
            border: 1px solid #eee; padding: 0.4em; }
details summary { cursor: pointer; color: #555; font-size: 0.85em; }
svg.graph { display: block; max-width: 100%; height: auto; background: #fff; border: 1px solid #ddd;
            border-radius: 6px; margin: 0.6em 0; }
svg .edge { fill: none; stroke: #444; stroke-width: 1.6; }
svg .edge-spun { stroke: #d9480f; } svg .edge-excerpt { stroke: #7b2cbf; } svg .edge-light_edit { stroke: #0b57d0; }
svg .edge-paraphrase { stroke: #b08800; }
svg .edge-same_story { stroke: #999; stroke-dasharray: 5 4; }
svg .elabel { font-size: 12px; fill: #222; paint-order: stroke; stroke: #fff; stroke-width: 4px; }
svg .node { fill: #fff; stroke: #0b57d0; stroke-width: 3; } svg .node-origin { fill: #b3261e; stroke: #b3261e; }
svg .nlabel { font-size: 12px; fill: #222; } svg .olabel { font-size: 11px; fill: #b3261e; font-weight: 700; }
svg .axis, svg .tick { stroke: #888; stroke-width: 1.2; } svg .date, svg .axislabel { font-size: 11px; fill: #555; }
table { border-collapse: collapse; background: #fff; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; }
.empty, .missing, .more { color: #888; } .path { color: #777; font-size: 0.85em; font-weight: normal; }
"""


def render_report(out_dir: Path, batch: str | None = None) -> str:
    """The report page for the tables under ``out_dir``; for one batch's evidence with ``batch``
    (see load_evidence).

    Raises InputError when ``out_dir`` is missing, holds no newsprov table or no such batch.
    """
    return _Page(load_evidence(Path(out_dir), batch)).render()


def report_path(out_dir: Path, batch: str | None = None) -> Path:
    """Where the report lives: ``<out>/report.html``, or a batch's ``<out>/reports/<date>/report.html``."""
    out_dir = Path(out_dir)
    return out_dir / REPORT_FILE if batch is None else out_dir / "reports" / batch / REPORT_FILE


def write_report(out_dir: Path, target: Path | None = None, copies: tuple[Path, ...] = (),
                 batch: str | None = None) -> Path:
    """Write the report (of one batch with ``batch``) to ``target`` (default: ``report_path``) and to
    each of ``copies``, each atomically, rendering it once; return ``target``."""
    out_dir = Path(out_dir)
    page = _Page(load_evidence(out_dir, batch))
    target = Path(target) if target is not None else report_path(out_dir, batch)
    _write_atomically(target, lambda stage: _write_pieces(stage, page.pieces()))
    for path in copies:
        _write_atomically(path, lambda stage: shutil.copyfile(target, stage))
    return target


def _write_pieces(path: Path, pieces: Iterable[str]) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.writelines(pieces)


def _write_atomically(target: Path, write: Callable[[Path], object]) -> None:
    """``write(stage)`` into a hidden file beside ``target``, then renamed over it: a reader never sees
    half a page."""
    stage = target.parent / f".{target.name}.{uuid.uuid4().hex}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write(stage)
        os.replace(stage, target)
    except OSError as exc:
        stage.unlink(missing_ok=True)
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}; pass a writable --out") from exc
    except BaseException:  # the page is rendered while it is written: a failure leaves no hidden file behind
        stage.unlink(missing_ok=True)
        raise
