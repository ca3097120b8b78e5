"""The evidence report: static HTML pages over an output folder's tables.

    newsprov report --out output        # writes output/reports/all/ (and output/report.html pointing there)

A report is a folder: ``report.html``, the summary (every story in one line: the answer, its size,
its strongest evidence; the publisher graph; rejects and sightings), and one page per story under
``stories/`` (its answer, a graph on a time axis, the documents, and per copy link the evidence:
how much was copied, the credit or its absence, the words a rewrite swapped). No page grows with
the batch past a bound: a story page shows at most ``MAX_EVIDENCE_PAIRS`` pairs in full and
``MAX_CARDS`` document cards (the rest as one line each), and the documents of no story are listed
``MAX_CARDS`` to a page.

Every page is self-contained (inline CSS and SVG, no script, no network: its
Content-Security-Policy forbids every fetch); pages link to each other by relative paths. Each
overlap span is one ``<mark class="shared" data-overlap=ID data-span=N data-side=a|b>`` on each
side, so a browser can count them; offsets are ``documents.text`` indices, and the text around and
inside them is escaped.

The evidence is read by ``pipeline.report.evidence``; this module arranges it (story order, pairs,
graph geometry) and renders ``templates/`` with jinja2's autoescape, so every value a template
prints is escaped unless it is Markup made by ``highlight``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import re
import shutil
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import jinja2.ext
from markupsafe import Markup

from pipeline.core.errors import OutputError
from pipeline.core.ids import ordinal_of
from pipeline.core.tables import REPORTS
from pipeline.report import answers, graphs
from pipeline.report.diff import LinkEvidence, compare_paragraphs, compare_spans, words_in
from pipeline.report.evidence import (
    UNDIRECTED,
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
from pipeline.report.markup import Mark, highlight

__all__ = ["Mark", "highlight", "render_report", "report_path", "write_report"]

REPORT_FILE = "report.html"
ALL_BATCHES = "all"  # <out>/reports/all/: the report over every batch

# Past these, a story's graph draws only some documents, its page shows only some pairs' evidence
# in full and some documents as cards (each with a note and the others one line each).
MAX_GRAPH_DOCUMENTS = 40
MAX_EVIDENCE_PAIRS = 40
MAX_CARDS = 200

RELATION_LABELS = {
    "reprint": "reprint",
    "excerpt": "excerpt",
    "spun": "spun",
    "light_edit": "light edit",
    "paraphrase": "paraphrase",
    "update": "update",
}
# Which evidence outranks which, for a story's "strongest evidence": most text copied as it stood first.
RELATION_STRENGTH = {"reprint": 5, "light_edit": 4, "spun": 3, "excerpt": 2, "paraphrase": 1}
REWRITES = ("spun", "light_edit", "paraphrase", "update")  # links whose evidence is a word-level diff


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


def _file_name(story_id: str) -> str:
    return "stories/" + re.sub(r"[^A-Za-z0-9_-]", "_", story_id) + ".html"


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
class Credited:
    """A copy link's credit as the page says it: ``kind`` credited / uncredited / unknown / same_publisher."""

    kind: str
    outlet: str | None
    sentences: list[Markup]
    elsewhere: list[str]  # outlets the copy credits away from the copied text


class LinkView:
    """A copy link with what the page says of it: which side copies, how much, the credit, the changes."""

    def __init__(self, page: _Page, pair: Pair, link: Link) -> None:
        self.page, self.pair, self.link = page, pair, link
        self.tie = link.origin_basis in UNDIRECTED
        self.copy = page.docs.get(link.doc_id)
        self.source = page.docs.get(link.source_doc_id)

    @functools.cached_property
    def copied_words(self) -> tuple[int, int]:
        """Words inside the link's spans, in the copy and in the source."""
        if self.copy is None or self.source is None:
            return 0, 0
        spans = self.link.spans
        return (
            words_in(self.copy.text, [(s[0], s[1]) for s in spans]),
            words_in(self.source.text, [(s[2], s[3]) for s in spans]),
        )

    @functools.cached_property
    def evidence(self) -> LinkEvidence | None:
        if self.copy is None or self.source is None:
            return None
        # Reused passages (reworded, or a short excerpt cut mid-sentence) are their spans, not paragraphs.
        if self.link.relation == "paraphrase" or self.link.evidence == "reused_passages":
            return compare_spans(self.source.text, self.copy.text, list(self.link.spans))
        return compare_paragraphs(self.source, self.copy, rewrites=self.link.relation in REWRITES)

    @functools.cached_property
    def credit(self) -> Credited:
        copy, link, page = self.copy, self.link, self.page
        status = self.credit_status
        outlet = page.outlet_name(link.credited_outlet_id) if link.credited_outlet_id else None
        credits = page.ev.credits.get(link.doc_id, []) if copy is not None else []
        sentences: list[Markup] = []
        if link.credited_outlet_id and copy is not None:
            chosen = [c for c in credits if c.outlet_id == link.credited_outlet_id]
            spans = sorted({(c.sentence_start, c.sentence_end) for c in chosen})
            sentences = [
                highlight(
                    copy.text,
                    s,
                    e,
                    [Mark(c.char_start, c.char_end, "mention", tag="b") for c in chosen if c.sentence_start == s],
                )
                for s, e in spans
            ]
        elsewhere = [
            page.outlet_name(o) for o in (copy.credited_outlets if copy else []) if o != link.credited_outlet_id
        ]
        if status in ("uncredited", "same_publisher"):
            return Credited(status, None, [], elsewhere)
        if status == "credited_other":  # it credits someone, not the source's publisher
            return Credited("credited_other", outlet, sentences, elsewhere)
        if outlet is not None or status == "credited":
            return Credited(
                "credited", outlet or (self.source.publisher if self.source else None), sentences, elsewhere
            )
        return Credited("uncredited", None, [], elsewhere)

    @property
    def credit_status(self) -> str | None:
        """Provenance's credit status; None where the tables have none or it is ``unknown`` (a side
        names no publisher, as text files never do): the outlet credited at the copied text, if
        any, still says whether the copy credits its source."""
        return None if self.link.credit_status == "unknown" else self.link.credit_status

    def facts(self) -> answers.CopyFacts:
        evidence = self.evidence if self.link.relation in REWRITES else None
        credit = self.credit
        return answers.CopyFacts(
            self.copy,
            self.link.relation,
            credit.outlet if credit.kind in ("credited", "credited_other") else None,
            self.credit_status,
            evidence.substituted if evidence is not None else 0,
        )

    def strength(self) -> tuple[int, float]:
        return RELATION_STRENGTH.get(self.link.relation, 0), self.link.coverage or 0.0


@dataclass(frozen=True)
class LegendItem:
    number: int
    doc: Document
    is_origin: bool


@dataclass(frozen=True)
class Story:
    number: int
    story_id: str
    file: str  # the story's page, relative to the summary
    name: str  # its origin's name (the main copy cluster's), else its first document's
    sentence: str
    n_documents: int
    n_links: int
    n_overlaps: int
    strongest: str  # "reprint, 94% of the copy"
    cards: list[tuple[Document, bool]]  # the documents shown as cards, in story order, with the ORIGIN badge
    rows: list[Document]  # the documents past MAX_CARDS, one line each
    drawing: graphs.Drawing
    legend: list[LegendItem]
    pairs: list[Pair]  # copy pairs shown in full, then the same-story pairs shown
    brief_pairs: list[LinkView]  # copy links past MAX_EVIDENCE_PAIRS, one line each
    more_pairs: int  # same-story pairs not shown


@dataclass(frozen=True)
class StoryRow:
    """A story's line on the summary page."""

    number: int
    story_id: str
    file: str
    name: str
    sentence: str
    n_documents: int
    n_links: int
    strongest: str


@dataclass(frozen=True)
class Header:
    n_stories: int
    n_overlaps: int
    by_relation: str


@dataclass(frozen=True)
class PublisherGraph:
    """Publisher to publisher: copy links summed per (copying publisher, source publisher)."""

    drawing: graphs.Drawing | None
    rows: list[tuple[str, str, int, int]]  # copying publisher, source publisher, links, uncredited


class _Page:
    """An Evidence arranged for the templates: stories in order, each story's pairs, graphs and texts.

    Stories are arranged one by one as their pages are written: a bulk load has thousands, and only
    one of them is held at a time."""

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
        # The largest first; among stories of one size, the strongest copy evidence first.
        self._linked.sort(
            key=lambda s: (-len(stories[s]), [-x for x in self._strength(s)], min(docs[d].when for d in stories[s]), s)
        )
        shown_as_stories = set(self._linked)
        self.unlinked = sorted(
            (docs[d] for s, members in stories.items() if s not in shown_as_stories for d in members),
            key=lambda doc: (doc.when, doc.source_path, doc.doc_id),
        )
        self.rows: list[StoryRow] = []  # filled as the story pages are made

    def _strength(self, story_id: str) -> tuple[int, float]:
        """A story's strongest copy link: its relation's rank, then its coverage; (0, 0) without one."""
        return max(
            ((RELATION_STRENGTH.get(l.relation, 0), l.coverage or 0.0) for l in self._story_links[story_id]),
            default=(0, 0.0),
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

    def when(self, doc: Document) -> str:
        return answers.when(doc)

    def anchor_words(self, overlap: Overlap) -> dict[str, list[str]]:
        texts = [self.docs[d].text[s:e] for d, s, e in self._passage_ranges(overlap) if d in self.docs]
        return answers.anchor_words(overlap.shared_anchors, texts)

    def _passage_ranges(self, overlap: Overlap) -> list[tuple[str, int, int]]:
        return [self.ev.passages[p] for p in (overlap.passage_a, overlap.passage_b) if p in self.ev.passages]

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
            sides.append(Side(doc_id, label, text))
        return sides if overlap.doc_a == left else sides[::-1]

    def link_sides(self, pair: Pair, link: Link) -> list[Side]:
        """Both documents of a copy link in full, ``pair.left`` first, the link's spans marked."""
        sides = []
        for doc_id in (pair.left, pair.right):
            ranges = [(s[0], s[1]) if doc_id == link.doc_id else (s[2], s[3]) for s in link.spans]
            doc = self.docs.get(doc_id)
            marks = [Mark(s, e, "link", (("data-link-span", str(i)),)) for i, (s, e) in enumerate(ranges)]
            text = highlight(doc.text, 0, len(doc.text), marks) if doc is not None else None
            sides.append(Side(doc_id, "", text))
        return sides

    def view(self, pair: Pair) -> LinkView | None:
        return None if pair.link is None else LinkView(self, pair, pair.link)

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
            if link.origin_basis not in UNDIRECTED:
                p.left, p.right = link.source_doc_id, link.doc_id
        for overlap in overlaps:
            pair(overlap.doc_a, overlap.doc_b).overlaps.append(overlap)
        return sorted(
            pairs.values(), key=lambda p: (rank.get(p.left, len(rank)), rank.get(p.right, len(rank)), p.left, p.right)
        )

    # --- stories ---------------------------------------------------------------------------

    def order(self, doc_ids: list[str], links: list[Link]) -> list[str]:
        return story_order(self.docs, doc_ids, links)

    def _cluster_sizes(self, doc_ids: list[str]) -> dict[str, int]:
        sizes: dict[str, int] = defaultdict(int)
        for d in doc_ids:
            sizes[self.docs[d].copy_cluster_id] += 1
        return sizes

    def graph_documents(self, order: list[str], links: list[Link], drawn: set[tuple[str, str]]) -> list[str]:
        """At most MAX_GRAPH_DOCUMENTS of a story's documents, in story order: linked ones first."""
        if len(order) <= MAX_GRAPH_DOCUMENTS:
            return order
        wanted = {d for l in links for d in (l.doc_id, l.source_doc_id)} | {d for pair in drawn for d in pair}
        position = {d: i for i, d in enumerate(order)}
        keep = set(sorted(wanted & position.keys(), key=position.get)[:MAX_GRAPH_DOCUMENTS])
        keep |= set([d for d in order if d not in keep][: MAX_GRAPH_DOCUMENTS - len(keep)])
        return [d for d in order if d in keep]

    def drawing(
        self, number: int, order: list[str], origins: set[str], links: list[Link], story_pairs: list[tuple[str, str]]
    ) -> graphs.Drawing:
        nodes = [
            graphs.TimedNode(
                d,
                self.docs[d].when,
                self.docs[d].published_at is not None,
                f"{self.docs[d].name} ({self.docs[d].publisher or self.docs[d].source_path}, {self.when(self.docs[d])})",
                "node node-origin" if d in origins else "node",
                f"#doc-{d}",
                "ORIGIN" if d in origins else "",
            )
            for d in order
        ]
        edges = [
            graphs.EdgeSpec(
                l.source_doc_id,
                l.doc_id,
                f"edge edge-{l.relation}" + (" edge-tie" if l.origin_basis in UNDIRECTED else ""),
                RELATION_LABELS.get(l.relation, l.relation) + (" (tie)" if l.origin_basis in UNDIRECTED else ""),
                l.origin_basis not in UNDIRECTED,
                f"{self.docs[l.doc_id].name} {'and' if l.origin_basis in UNDIRECTED else 'copies'} "
                f"{self.docs[l.source_doc_id].name}: {l.relation}",
            )
            for l in links
        ]
        edges += [
            graphs.EdgeSpec(a, b, "edge edge-same_story", "same story", False, "independent reports of one story")
            for a, b in story_pairs
        ]
        return graphs.timeline(f"arrow-{number}", nodes, edges)

    def story(self, number: int, story_id: str) -> Story:
        """One story: its overlaps are those drawn (load_evidence), its same-story ends every same-story one."""
        doc_ids, links = self._stories[story_id], self._story_links[story_id]
        overlaps, same_story_ends = self._story_overlaps[story_id], self._story_same_story[story_id]
        order = self.order(doc_ids, links)
        sizes = self._cluster_sizes(doc_ids)
        origins = {d for d in doc_ids if self.docs[d].is_origin and sizes[self.docs[d].copy_cluster_id] > 1}
        same_story_pairs = {unordered_pair(o.doc_a, o.doc_b) for o in same_story_ends}
        story_pairs = sorted(same_story_pairs - {unordered_pair(l.doc_id, l.source_doc_id) for l in links})
        n_overlaps = sum(o.relation != "same_story" for o in overlaps) + len(same_story_ends)
        # Copy evidence is shown in full up to MAX_EVIDENCE_PAIRS pairs; same-story pairs (no copied
        # text) can number thousands in a large story, so only the first ones are drawn and shown.
        pairs = self.pairs_of(overlaps, links, order)
        copied = [p for p in pairs if p.copied]
        shown = [p for p in pairs if not p.copied][: self.ev.max_same_story_pairs]
        n_same_story = len(same_story_pairs - {unordered_pair(p.left, p.right) for p in copied})
        drawn = {unordered_pair(p.left, p.right) for p in shown}
        graph_docs = self.graph_documents(order, links, drawn)
        in_graph = set(graph_docs)
        drawing = self.drawing(
            number,
            graph_docs,
            origins,
            [l for l in links if l.doc_id in in_graph and l.source_doc_id in in_graph],
            [p for p in story_pairs if p in drawn and p[0] in in_graph and p[1] in in_graph],
        )
        views = [LinkView(self, p, p.link) for p in copied if p.link is not None]
        in_full = {id(p) for p in copied[:MAX_EVIDENCE_PAIRS]}
        name, sentence = self._answer(order, origins, views, sizes)
        strongest = max(views, key=LinkView.strength, default=None)
        return Story(
            number,
            story_id,
            _file_name(story_id),
            name,
            sentence,
            len(doc_ids),
            len(links),
            n_overlaps,
            self._strongest(strongest),
            [(self.docs[d], d in origins) for d in order[:MAX_CARDS]],
            [self.docs[d] for d in order[MAX_CARDS:]],
            drawing,
            [LegendItem(i, self.docs[n.key], n.key in origins) for i, n in enumerate(drawing.nodes, 1)],
            copied[:MAX_EVIDENCE_PAIRS] + shown,
            [v for v in views if id(v.pair) not in in_full],
            n_same_story - len(shown),
        )

    def _strongest(self, view: LinkView | None) -> str:
        if view is None:
            return "same story, no copied text"
        label = RELATION_LABELS.get(view.link.relation, view.link.relation)
        return f"{label}, {_percent(view.link.coverage)} of the copy"

    def _answer(
        self, order: list[str], origins: set[str], views: list[LinkView], sizes: dict[str, int]
    ) -> tuple[str, str]:
        """The story's name and its sentence, told from its largest copy cluster's origin."""
        docs = self.docs
        clusters: dict[str, list[str]] = defaultdict(list)
        for d in order:
            clusters[docs[d].copy_cluster_id].append(d)
        main = max(clusters.values(), key=len)
        origin_id = next((d for d in main if d in origins), None)
        origin = docs[origin_id] if origin_id is not None else None
        in_copy_clusters = sum(len(m) for m in clusters.values() if len(m) > 1)
        independent = len(order) - in_copy_clusters
        copies: list[answers.CopyFacts] = []
        tied: list[Document] = []
        if len(main) > 1:
            if origin is not None:
                direct = {v.link.doc_id: v for v in views if v.link.source_doc_id == origin.doc_id}
                for d in main:
                    if d == origin.doc_id:
                        continue
                    view = direct.get(d) or next((v for v in views if d in (v.link.doc_id,)), None)
                    if view is not None and view.copy is not None:
                        copies.append(view.facts())
            else:
                tied = [docs[d] for d in main]
        name = (origin or docs[main[0]] if len(main) > 1 else docs[order[0]]).name
        other_groups = sum(len(m) > 1 for m in clusters.values()) - (len(main) > 1)
        sentence = answers.story_sentence(
            origin, copies, tied, independent, self.outlet_name, self.ev.publishers_known, other_groups
        )
        return name, sentence

    def stories(self) -> Iterator[Story]:
        """The stories with more than one document or a link, the largest first; each one's summary
        line is kept in ``rows`` once it is made."""
        for number, s in enumerate(self._linked, 1):
            story = self.story(number, s)
            self.rows.append(
                StoryRow(
                    number, s, story.file, story.name, story.sentence, story.n_documents, story.n_links, story.strongest
                )
            )
            yield story

    def between_stories(self) -> list[Pair]:
        """The pairs of overlaps and links whose documents are in two stories (or not read)."""
        if not (self._stray_overlaps or self._stray_links):
            return []
        docs = self.docs
        order = sorted(
            {d for o in self._stray_overlaps for d in (o.doc_a, o.doc_b)}
            | {d for l in self._stray_links for d in (l.doc_id, l.source_doc_id)},
            key=lambda d: (docs[d].when, d) if d in docs else (dt.datetime.max, d),
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
        return Header(len(self._linked), sum(relations.values()), by_relation)

    def publisher_graph(self) -> PublisherGraph | None:
        """None where the documents have no publisher column (the tables cannot say who published)."""
        if not self.ev.publishers_known:
            return None
        counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for link in self.ev.links:
            copy, source = self.docs.get(link.doc_id), self.docs.get(link.source_doc_id)
            if copy is None or source is None or not copy.publisher or not source.publisher:
                continue
            if link.origin_basis in UNDIRECTED:  # no side is known to have copied the other
                continue
            uncredited = (
                link.credit_status == "uncredited"
                if link.credit_status not in (None, "unknown")
                else link.credited_outlet_id is None
            )
            count = counts[(copy.publisher, source.publisher)]
            count[0] += 1
            count[1] += uncredited
        rows = sorted(((a, b, n, u) for (a, b), (n, u) in counts.items()), key=lambda r: (-r[3], -r[2], r[0], r[1]))
        if not rows:
            return PublisherGraph(None, [])
        weight: dict[str, int] = defaultdict(int)
        for a, b, n, _ in rows:
            if a != b:
                weight[a] += n
                weight[b] += n
        names = sorted(weight, key=lambda p: (-weight[p], p))[:MAX_GRAPH_DOCUMENTS]
        edges = [
            graphs.EdgeSpec(
                a,
                b,
                "edge edge-uncredited" if u else "edge",
                f"{n}" + (f", {u} uncredited" if u else ""),
                True,
                f"{a} copied {b} {_plural(n, 'time')}, {u} without credit",
                1.4 + min(n, 32) ** 0.5,
            )
            for a, b, n, u in rows
            if a != b
        ]
        drawing = graphs.circle("arrow-publishers", [(p, p) for p in names], edges) if names else None
        return PublisherGraph(drawing, rows)

    def rejects(self) -> list[Reject]:
        return sorted(self.ev.rejects, key=lambda r: (r.batch, r.source_path))

    def sightings(self) -> list[Sighting]:
        return sorted(self.ev.sightings, key=lambda r: (r.batch, r.source_path))

    def unlinked_pages(self) -> list[tuple[str, list[Document]]]:
        """The documents of no story, MAX_CARDS to a page."""
        return [
            (f"unlinked-{i // MAX_CARDS + 1}.html", self.unlinked[i : i + MAX_CARDS])
            for i in range(0, len(self.unlinked), MAX_CARDS)
        ]


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
_ENV.globals.update(RELATION_LABELS=RELATION_LABELS, REWRITES=REWRITES, page_when=answers.when)


def _pages(evidence: Evidence) -> Iterator[tuple[str, Iterator[str]]]:
    """Each page's path in the report folder and its text in pieces: the story pages first (the
    summary lists what they found), one story held at a time."""
    page = _Page(evidence)
    story = _ENV.get_template("story.html.j2")
    for s in page.stories():
        yield s.file, story.generate(ev=evidence, page=page, story=s, root="../")
    between = page.between_stories()
    if between:
        yield (
            "stories/between.html",
            _ENV.get_template("between.html.j2").generate(ev=evidence, page=page, between=between, root="../"),
        )
    unlinked = page.unlinked_pages()
    for i, (path, docs) in enumerate(unlinked):
        yield (
            path,
            _ENV.get_template("unlinked.html.j2").generate(
                ev=evidence, page=page, docs=docs, part=i + 1, parts=len(unlinked), root=""
            ),
        )
    yield (
        REPORT_FILE,
        _ENV.get_template("report.html.j2").generate(
            ev=evidence, page=page, between=bool(between), unlinked=unlinked, root=""
        ),
    )


def render_report(out_dir: Path, batch: str | None = None) -> dict[str, str]:
    """The report's pages for the tables under ``out_dir`` (for one batch's evidence with ``batch``,
    see load_evidence), by path in the report folder; ``report.html`` is the summary.

    Raises InputError when ``out_dir`` is missing, holds no newsprov table or no such batch.
    """
    return {path: "".join(pieces) for path, pieces in _pages(load_evidence(Path(out_dir), batch))}


def report_dir(out_dir: Path, batch: str | None = None) -> Path:
    """A report's folder: ``<out>/reports/<date>/``, or ``<out>/reports/all/`` for every batch."""
    return Path(out_dir) / REPORTS / (batch if batch is not None else ALL_BATCHES)


def report_path(out_dir: Path, batch: str | None = None) -> Path:
    """A report's summary page, ``<report_dir>/report.html``."""
    return report_dir(out_dir, batch) / REPORT_FILE


def latest_path(out_dir: Path) -> Path:
    """``<out>/report.html``: a small page that sends the reader on to the last report written."""
    return Path(out_dir) / REPORT_FILE


def write_report(out_dir: Path, batch: str | None = None, latest: bool = True) -> Path:
    """Write the report's folder (of one batch with ``batch``, else of every batch), rendering each
    page once; with ``latest``, ``<out>/report.html`` then points to it. Returns the summary's path.

    The folder is written beside its place and renamed into it, so a reader never sees half a
    report; ``<out>/report.html`` is a redirect of a few hundred bytes, never a second copy."""
    out_dir = Path(out_dir)
    evidence = load_evidence(out_dir, batch)
    target = report_dir(out_dir, batch)
    stage = target.parent / f".{target.name}.{uuid.uuid4().hex}"
    try:
        for path, pieces in _pages(evidence):
            (stage / path).parent.mkdir(parents=True, exist_ok=True)
            with (stage / path).open("w", encoding="utf-8") as out:
                out.writelines(pieces)
        _swap_in(stage, target)
    except OSError as exc:
        with contextlib.suppress(OSError):  # a read-only folder refuses this too
            shutil.rmtree(stage)
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}; pass a writable --out") from exc
    except BaseException:  # the pages are rendered while they are written: a failure leaves no folder behind
        shutil.rmtree(stage, ignore_errors=True)
        raise
    summary = target / REPORT_FILE
    if latest:
        _write_redirect(latest_path(out_dir), summary.relative_to(out_dir))
    return summary


def _swap_in(stage: Path, target: Path) -> None:
    """Put the folder ``stage`` where ``target`` is: the old one is moved aside first, then removed."""
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old.{uuid.uuid4().hex}"
        os.replace(target, old)
    os.replace(stage, target)
    if old is not None:
        shutil.rmtree(old)


def _write_redirect(path: Path, relative: Path) -> None:
    page = _ENV.get_template("latest.html.j2").render(href=relative.as_posix())
    stage = path.parent / f".{path.name}.{uuid.uuid4().hex}"
    try:
        stage.write_text(page, encoding="utf-8")
        os.replace(stage, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            stage.unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}; pass a writable --out") from exc
