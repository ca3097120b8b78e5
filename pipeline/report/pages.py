"""The evidence report: one static HTML page over an output folder's tables.

    newsprov report --out output        # writes output/report.html

The page is self-contained (inline CSS and SVG, no script, no network: its Content-Security-Policy
forbids every fetch). Per story cluster it shows a who-copied-whom graph on a time axis, the
documents with the outlets they credit and the sentence that credits each, and per document pair
the copy link and every overlap as side-by-side passages. Each overlap span is one
``<mark class="shared" data-overlap=ID data-span=N data-side=a|b>`` on each side, so a browser can
count them; offsets are ``documents.text`` indices, and the text around and inside them is escaped.

The evidence is read by ``pipeline.report.evidence``; this module arranges it (story order, pairs,
graph geometry) and renders ``templates/report.html.j2`` with jinja2's autoescape, so every value a
template prints is escaped unless it is Markup made by ``highlight``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import jinja2.ext
from markupsafe import Markup, escape

from pipeline.core.errors import OutputError
from pipeline.core.ids import ordinal_of
from pipeline.core.tables import REPORTS
from pipeline.report.evidence import (
    Credit,
    Document,
    Evidence,
    Link,
    Overlap,
    Reject,
    Sighting,
    by_story,
    link_ends,
    load_evidence,
    overlap_ends,
    story_members,
    story_order,
    unordered_pair,
)

REPORT_FILE = "report.html"

# Past this, a story's graph draws only some documents (with a note saying so).
MAX_GRAPH_DOCUMENTS = 40

RELATION_LABELS = {
    "reprint": "reprint",
    "excerpt": "excerpt",
    "spun": "spun",
    "light_edit": "light edit",
    "paraphrase": "paraphrase",
}
ORIGIN_NOTES = {"tie": "origin: tie", "unknown": "origin: unknown"}  # an overlap's origin where no side is first


@dataclass(frozen=True)
class Mark:
    """A highlighted range of a text: ``[start, end)`` becomes ``<tag class=... attrs>``."""

    start: int
    end: int
    css_class: str
    attrs: tuple[tuple[str, str], ...] = ()
    tag: str = "mark"


def highlight(text: str, start: int, end: int, marks: list[Mark]) -> Markup:
    """Escaped ``text[start:end]`` with one element per mark.

    Marks are clamped to the window; where two overlap, the later one starts where the earlier one
    ends (it may become empty), so elements never nest and each mark yields exactly one element.
    """
    start, end = max(0, start), min(len(text), end)
    out, cursor = [], start
    for mark in sorted(marks, key=lambda m: (m.start, m.end)):
        s = min(max(mark.start, cursor), end)
        e = min(max(mark.end, s), end)
        attrs = "".join(f' {name}="{escape(value)}"' for name, value in mark.attrs)
        out.append(escape(text[cursor:s]))
        out.append(f'<{mark.tag} class="{escape(mark.css_class)}"{attrs}>{escape(text[s:e])}</{mark.tag}>')
        cursor = e
    out.append(escape(text[cursor:end]))
    return Markup("".join(out))


def _window(text: str, passage: tuple[str, int, int] | None, starts: list[int], ends: list[int]) -> tuple[int, int]:
    """The passage's range grown to hold every span; without a passage, the lines holding the spans."""
    if passage is not None:
        return min([passage[1], *starts]), max([passage[2], *ends])
    if not starts:
        return 0, len(text)
    s, e = min(starts), max(ends)
    line_end = text.find("\n", e)
    return text.rfind("\n", 0, s) + 1, len(text) if line_end < 0 else line_end


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _percent(value: float | None) -> str:
    return "?" if value is None else f"{100 * value:.0f}%"


def _number(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f}"


# --- what the templates draw ---------------------------------------------------------------


@dataclass(frozen=True)
class CreditItem:
    """An outlet a document credits (or an alias no outlet is known for), with its cues and sentences."""

    name: str
    title: str
    css_class: str
    cues: list[str]
    sentences: list[Markup]  # each crediting sentence, its mentions marked


@dataclass(frozen=True)
class Side:
    """One document of an overlap or a copy link: its text (highlighted) or None where not read."""

    doc_id: str
    label: str  # the passage's number, "¶3"; "" for a copy link's full text
    is_origin: bool
    text: Markup | None


@dataclass
class Pair:
    """Two documents with the copy link and the overlaps between them; ``left`` is the source side."""

    left: str
    right: str
    link: Link | None = None
    overlaps: list[Overlap] = field(default_factory=list)

    @property
    def copied(self) -> bool:
        return self.link is not None or any(o.relation != "same_story" for o in self.overlaps)


@dataclass(frozen=True)
class Edge:
    relation: str
    label: str
    directed: bool
    start_x: int
    end_x: int
    mid_x: float
    rise: int  # the curve's height above the nodes, where its label is


@dataclass(frozen=True)
class Node:
    doc: Document
    x: int
    is_origin: bool
    short_name: str
    date: str | None  # under the axis where it differs from the node before


@dataclass(frozen=True)
class Graph:
    """Who copied whom: documents left to right on a time axis, copy links as labelled arrows."""

    marker: str
    width: int
    height: int
    node_y: int
    axis_y: int
    axis_start: int
    edges: list[Edge]
    nodes: list[Node]


@dataclass(frozen=True)
class Story:
    number: int
    story_id: str
    name: str
    n_documents: int
    n_links: int
    n_overlaps: int
    cards: list[tuple[Document, int]]  # each document in story order, with its copy cluster's size here
    graph: Graph
    pairs: list[Pair]  # every copy pair, then the same-story pairs shown
    more_pairs: int  # same-story pairs not shown


@dataclass(frozen=True)
class Header:
    n_stories: int
    n_overlaps: int
    by_relation: str
    toc: list[tuple[str, str, int]]  # story id, its first document's name, its documents


class _Page:
    """An Evidence arranged for the templates: stories in order, each story's pairs, graphs and texts.

    Stories are arranged one by one as the template reaches them: a bulk load's page is hundreds of
    MB, and only one story of it is held at a time."""

    def __init__(self, evidence: Evidence) -> None:
        self.ev = evidence
        self.docs = evidence.documents
        self._stories = story_members(evidence.documents)
        self._story_overlaps, self._stray_overlaps = by_story(evidence.documents, evidence.overlaps, overlap_ends)
        self._story_links, self._stray_links = by_story(evidence.documents, evidence.links, link_ends)
        # Those between stories are drawn, so evidence.overlaps has them too.
        self._story_same_story, _ = by_story(evidence.documents, evidence.same_story, overlap_ends)
        stories, docs = self._stories, self.docs
        self._linked = [
            s for s, members in stories.items() if len(members) > 1 or self._story_overlaps[s] or self._story_links[s]
        ]
        self._linked.sort(key=lambda s: (-len(stories[s]), min(docs[d].date for d in stories[s]), s))
        shown_as_stories = set(self._linked)
        self.unlinked = sorted(
            (docs[d] for s, members in stories.items() if s not in shown_as_stories for d in members),
            key=lambda doc: (doc.date, doc.source_path, doc.doc_id),
        )

    # --- documents -------------------------------------------------------------------------

    def outlet_name(self, outlet_id: str) -> str:
        return self.ev.outlet_names.get(outlet_id, outlet_id)

    def credit_items(self, doc: Document) -> list[CreditItem]:
        credits = self.ev.credits.get(doc.doc_id, [])
        order = list(doc.credited_outlets)
        order += [c.outlet_id for c in credits if c.outlet_id is not None and c.outlet_id not in order]
        items = [
            self._credit_item(
                doc, self.outlet_name(outlet_id), outlet_id, "badge", [c for c in credits if c.outlet_id == outlet_id]
            )
            for outlet_id in order
        ]
        items += [
            self._credit_item(
                doc, c.surface, "unresolved alias" if c.is_alias else "not in the gazetteer", "badge unresolved", [c]
            )
            for c in credits
            if c.outlet_id is None
        ]
        return items

    @staticmethod
    def _credit_item(doc: Document, name: str, title: str, css_class: str, credits: list[Credit]) -> CreditItem:
        sentences: dict[tuple[int, int], list[Credit]] = defaultdict(list)
        for c in credits:
            sentences[(c.sentence_start, c.sentence_end)].append(c)
        return CreditItem(
            name,
            title,
            css_class,
            sorted({c.cue for c in credits}),
            [
                highlight(doc.text, s, e, [Mark(c.char_start, c.char_end, "mention", tag="b") for c in group])
                for (s, e), group in sorted(sentences.items())
            ],
        )

    # --- pairs -----------------------------------------------------------------------------

    def overlap_sides(self, overlap: Overlap, left: str) -> list[Side]:
        """Both sides of an overlap, ``left``'s first, each span marked."""
        oid = overlap.overlap_id
        sides = []
        for side, doc_id, passage_id in (
            ("a", overlap.doc_a, overlap.passage_a),
            ("b", overlap.doc_b, overlap.passage_b),
        ):
            ranges = [(s[0], s[1]) if side == "a" else (s[2], s[3]) for s in overlap.spans]
            marks = [
                Mark(
                    s,
                    e,
                    "shared",
                    (
                        ("data-overlap", oid),
                        ("data-span", str(i)),
                        ("data-side", side),
                        ("title", f"{overlap.relation} span {i}: chars {s}-{e}"),
                    ),
                )
                for i, (s, e) in enumerate(ranges)
            ]
            label = f"¶{ordinal_of(passage_id)}" if passage_id else ""
            doc, text = self.docs.get(doc_id), None
            if doc is not None:
                start, end = _window(
                    doc.text,
                    self.ev.passages.get(passage_id) if passage_id else None,
                    [s for s, _ in ranges],
                    [e for _, e in ranges],
                )
                text = highlight(doc.text, start, end, marks)
            sides.append(Side(doc_id, label, overlap.origin == side, text))
        return sides if overlap.doc_a == left else sides[::-1]

    def link_sides(self, pair: Pair, link: Link) -> list[Side]:
        """Both documents of a copy link in full, ``pair.left`` first, the link's spans marked."""
        sides = []
        for doc_id in (pair.left, pair.right):
            ranges = [(s[0], s[1]) if doc_id == link.doc_id else (s[2], s[3]) for s in link.spans]
            doc = self.docs.get(doc_id)
            marks = [Mark(s, e, "link", (("data-link-span", str(i)),)) for i, (s, e) in enumerate(ranges)]
            text = highlight(doc.text, 0, len(doc.text), marks) if doc is not None else None
            sides.append(Side(doc_id, "", link.origin_basis != "tie" and doc_id == link.source_doc_id, text))
        return sides

    def ordered_overlaps(self, pair: Pair) -> list[Overlap]:
        """A pair's overlaps in the order of their passages in the left document."""
        return sorted(
            pair.overlaps,
            key=lambda o: (
                self.ev.passages.get(o.passage_a if o.doc_a == pair.left else o.passage_b, ("", 0, 0))[1],
                o.overlap_id,
            ),
        )

    def pairs_of(self, overlaps: list[Overlap], links: list[Link], order: list[str]) -> list[Pair]:
        rank = {d: i for i, d in enumerate(order)}
        pairs: dict[tuple[str, str], Pair] = {}  # by unordered_pair doc_ids

        def pair(a: str, b: str) -> Pair:
            key = unordered_pair(a, b)
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
        return sorted(
            pairs.values(), key=lambda p: (rank.get(p.left, len(rank)), rank.get(p.right, len(rank)), p.left, p.right)
        )

    # --- stories ---------------------------------------------------------------------------

    def order(self, doc_ids: list[str], links: list[Link]) -> list[str]:
        return story_order(self.docs, doc_ids, links)

    def graph(self, number: int, order: list[str], links: list[Link], story_pairs: list[tuple[str, str]]) -> Graph:
        """The story's graph: ``order`` are the documents drawn, ``story_pairs`` the same-story pairs drawn."""
        col, left_pad = 170, 90
        x = {d: left_pad + i * col for i, d in enumerate(order)}
        width = left_pad * 2 + col * max(len(order) - 1, 1)
        ends = [
            (
                l.source_doc_id,
                l.doc_id,
                RELATION_LABELS.get(l.relation, l.relation) + (" (tie)" if l.origin_basis == "tie" else ""),
                l.relation,
                l.origin_basis == "tie",
            )
            for l in links
            if l.doc_id in x and l.source_doc_id in x
        ]
        ends += [(a, b, "same story", "same_story", True) for a, b in story_pairs if a in x and b in x]
        index = {d: i for i, d in enumerate(order)}
        sizes = self._cluster_sizes(order)

        def rise(a: str, b: str) -> int:
            return 34 + 26 * min(abs(index[a] - index[b]), 5)

        top = max([rise(a, b) for a, b, *_ in ends] or [0]) + 24
        y0, axis = top + 10, top + 86
        edges = []
        for source, copy, label, relation, undirected in ends:
            x1, x2 = x[source], x[copy]
            sx, ex = (x1 + 6, x2 - 6) if x2 >= x1 else (x1 - 6, x2 + 6)
            edges.append(Edge(relation, label, not undirected, sx, ex, (x1 + x2) / 2, rise(source, copy)))
        nodes, previous = [], None
        for d in order:
            doc = self.docs[d]
            date = doc.date.isoformat() + ("" if doc.published else " (batch)")
            nodes.append(
                Node(
                    doc,
                    x[d],
                    doc.is_origin and sizes[doc.copy_cluster_id] > 1,
                    doc.name if len(doc.name) <= 20 else doc.name[:19] + "…",
                    None if date == previous else date,
                )
            )
            previous = date
        return Graph(f"arrow-{number}", width, axis + 40, y0, axis, left_pad - 50, edges, nodes)

    def graph_documents(self, order: list[str], links: list[Link], drawn: set[tuple[str, str]]) -> list[str]:
        """At most MAX_GRAPH_DOCUMENTS of a story's documents, in story order: linked ones first."""
        if len(order) <= MAX_GRAPH_DOCUMENTS:
            return order
        wanted = {d for l in links for d in (l.doc_id, l.source_doc_id)} | {d for pair in drawn for d in pair}
        position = {d: i for i, d in enumerate(order)}
        keep = set(sorted(wanted & position.keys(), key=position.get)[:MAX_GRAPH_DOCUMENTS])
        keep |= set([d for d in order if d not in keep][: MAX_GRAPH_DOCUMENTS - len(keep)])
        return [d for d in order if d in keep]

    def _cluster_sizes(self, doc_ids: list[str]) -> dict[str, int]:
        sizes: dict[str, int] = defaultdict(int)
        for d in doc_ids:
            sizes[self.docs[d].copy_cluster_id] += 1
        return sizes

    def story(self, number: int, story_id: str) -> Story:
        """One story: its overlaps are those drawn (load_evidence), its same-story ends every same-story one."""
        doc_ids, links = self._stories[story_id], self._story_links[story_id]
        overlaps, same_story_ends = self._story_overlaps[story_id], self._story_same_story[story_id]
        order = self.order(doc_ids, links)
        sizes = self._cluster_sizes(doc_ids)
        same_story_pairs = {unordered_pair(o.doc_a, o.doc_b) for o in same_story_ends}
        story_pairs = sorted(same_story_pairs - {unordered_pair(l.doc_id, l.source_doc_id) for l in links})
        n_overlaps = sum(o.relation != "same_story" for o in overlaps) + len(same_story_ends)
        # Copy evidence is always shown in full; same-story pairs (no copied text) can number
        # thousands in a large story, so only the first ones are drawn and shown.
        pairs = self.pairs_of(overlaps, links, order)
        copied = [p for p in pairs if p.copied]
        shown = [p for p in pairs if not p.copied][: self.ev.max_same_story_pairs]
        n_same_story = len(same_story_pairs - {unordered_pair(p.left, p.right) for p in copied})
        drawn = {unordered_pair(p.left, p.right) for p in shown}
        graph = self.graph(
            number, self.graph_documents(order, links, drawn), links, [p for p in story_pairs if p in drawn]
        )
        return Story(
            number,
            story_id,
            self.docs[order[0]].name,
            len(doc_ids),
            len(links),
            n_overlaps,
            [(self.docs[d], sizes[self.docs[d].copy_cluster_id]) for d in order],
            graph,
            copied + shown,
            n_same_story - len(shown),
        )

    def stories(self) -> Iterator[Story]:
        """The stories with more than one document or a link, the largest first."""
        return (self.story(number, s) for number, s in enumerate(self._linked, 1))

    def between_stories(self) -> list[Pair]:
        """The pairs of overlaps and links whose documents are in two stories (or not read)."""
        if not (self._stray_overlaps or self._stray_links):
            return []
        docs = self.docs
        order = sorted(
            {d for o in self._stray_overlaps for d in (o.doc_a, o.doc_b)}
            | {d for l in self._stray_links for d in (l.doc_id, l.source_doc_id)},
            key=lambda d: (docs[d].date, d) if d in docs else (dt.date.max, d),
        )
        return self.pairs_of(self._stray_overlaps, self._stray_links, order)

    def header(self) -> Header:
        relations: dict[str, int] = defaultdict(int)
        for o in self.ev.overlaps:
            if o.relation != "same_story":  # counted from ev.same_story, which has all of them
                relations[o.relation] += 1
        if self.ev.same_story:
            relations["same_story"] = len(self.ev.same_story)
        by_relation = ", ".join(f"{r} {n}" for r, n in sorted(relations.items())) or "none"
        toc = [
            (s, self.docs[self.order(self._stories[s], self._story_links[s])[0]].name, len(self._stories[s]))
            for s in self._linked
        ]
        return Header(len(self._linked), sum(relations.values()), by_relation, toc)

    def rejects(self) -> list[Reject]:
        return sorted(self.ev.rejects, key=lambda r: (r.batch, r.source_path))

    def sightings(self) -> list[Sighting]:
        return sorted(self.ev.sightings, key=lambda r: (r.batch, r.source_path))


# --- rendering -----------------------------------------------------------------------------

_BREAK = re.compile(r"\n[ \t]*")


class _JoinLines(jinja2.ext.Extension):
    """The templates under ``parts/`` are written one element per line; the page has them on one
    line, so a line break in their text, with the indentation after it, is left out (a space
    inside a line is kept; a line that goes on with a space starts with ``{{ " " }}``). Only the
    templates' own text: never a value they print."""

    def filter_stream(self, stream: jinja2.lexer.TokenStream) -> Iterator[jinja2.lexer.Token]:
        joined = (stream.name or "").startswith("parts/")
        for token in stream:
            if joined and token.type == "data":
                token = jinja2.lexer.Token(token.lineno, "data", _BREAK.sub("", token.value))
            yield token


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("pipeline.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    extensions=[_JoinLines],
)
_ENV.filters.update(plural=_plural, percent=_percent, number=_number)
_ENV.globals.update(RELATION_LABELS=RELATION_LABELS, ORIGIN_NOTES=ORIGIN_NOTES)


def _pieces(evidence: Evidence) -> Iterator[str]:
    """The page in pieces, story by story: a bulk load's page is hundreds of MB, never held whole."""
    return _ENV.get_template("report.html.j2").generate(ev=evidence, page=_Page(evidence))


def render_report(out_dir: Path, batch: str | None = None) -> str:
    """The report page for the tables under ``out_dir``; for one batch's evidence with ``batch``
    (see load_evidence).

    Raises InputError when ``out_dir`` is missing, holds no newsprov table or no such batch.
    """
    return "".join(_pieces(load_evidence(Path(out_dir), batch)))


def report_path(out_dir: Path, batch: str | None = None) -> Path:
    """Where the report lives: ``<out>/report.html``, or a batch's ``<out>/reports/<date>/report.html``."""
    out_dir = Path(out_dir)
    return out_dir / REPORT_FILE if batch is None else out_dir / REPORTS / batch / REPORT_FILE


def write_report(
    out_dir: Path, target: Path | None = None, copies: tuple[Path, ...] = (), batch: str | None = None
) -> Path:
    """Write the report (of one batch with ``batch``) to ``target`` (default: ``report_path``) and to
    each of ``copies``, each atomically, rendering it once; return ``target``."""
    out_dir = Path(out_dir)
    evidence = load_evidence(out_dir, batch)
    target = Path(target) if target is not None else report_path(out_dir, batch)
    _write_atomically(target, lambda stage: _write_pieces(stage, _pieces(evidence)))
    for path in copies:
        _write_atomically(path, lambda stage: shutil.copyfile(target, stage))
    return target


def _write_pieces(path: Path, pieces: Iterator[str]) -> None:
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
        with contextlib.suppress(OSError):  # a read-only folder refuses this too
            stage.unlink(missing_ok=True)
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}; pass a writable --out") from exc
    except BaseException:  # the page is rendered while it is written: a failure leaves no hidden file behind
        stage.unlink(missing_ok=True)
        raise
