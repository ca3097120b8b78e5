"""Stage 7: from passage overlaps to document links: who copied whom, how, and crediting whom.

Passage overlaps of two documents are aggregated into one link when they are
enough evidence of copying: at least ``min_shared_passages`` substantial
passages (``min_evidence_words`` words or more, not headers) on each side (all
of them for a document that has fewer, with at least one more on the other
side), or shared spans covering most of both documents (a short article
reprinted whole), or one long paragraph (``long_copy_min_words``) copied
nearly word for word, or that many words copied in one run inside a paragraph
of other text (a cut-and-paste answer, an excerpt woven into a new article's
own paragraph). A short copied line (a one-line quote, a caption) counts
only next to a substantial copied pair.
One shared paragraph between two long articles is not a copy of the article:
boilerplate ("Sign up for our newsletter"), a quoted statement or a stock
sentence does that.

Documents holding a reused passage found sentence by sentence (pipeline.stages.paraphrase,
pipeline.text.reuse: seeds, extension, filter; any length, verbatim or reworded) are linked
too, with evidence ``reused_passages``, when the overlaps prove nothing for the pair: relation
``paraphrase`` when the passages were reworded, else ``excerpt`` (or ``reprint`` when they cover
most of both documents). Their spans are exact at both ends where the words were copied, so
they are the link's spans whenever the pair has them.

The link's relation follows the strongest transformation seen, judged on the
substantial passages: ``excerpt`` (only part of both documents is shared: a
part of the source inside a different article), ``spun`` (synonym-rewritten),
``light_edit`` (most of the source, edited), ``reprint`` (the source,
unchanged but for boilerplate). Its direction comes from the
earlier date; then from publishers: the side that credits the other side's
publisher (or the agency of the other side's wire dateline) is the copy; then
from a credit that introduces the shared text; then from the earlier
publication time when both sides have one; then from containment (the copy is
the side mostly made of the other); otherwise it is a tie, flagged as such.
Two documents of one day that each copy a third are siblings: each is linked
to that source, and their own link says they share it (``shared_source``)
instead of naming one the copy of the other.

Each link says who published each side and whether the copy credits the
source's publisher (``credit_status``, see ``credit_status``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core.ids import ordinal_of
from pipeline.core.schema import COPY_RELATIONS, PROVENANCE, UNDIRECTED_BASES
from pipeline.core.settings import setting
from pipeline.core.tables import conform
from pipeline.core.union_find import UnionFind
from pipeline.core.validation import require_at_least, require_fraction


@dataclass(frozen=True)
class ProvenanceParams:
    """The ``[provenance]`` settings."""

    min_shared_passages: int = setting(2, "shared passages on each side that make a document link")
    min_evidence_words: int = setting(15, "words a shared passage needs to count as evidence")
    whole_document_coverage: float = setting(0.6, "shared spans covering this share of both documents make a link")
    excerpt_max_coverage: float = setting(0.7, "below this share of shared passages on both sides a copy is an excerpt")
    spun_min_share: float = setting(0.5, "share of spun passage overlaps that makes a link spun")
    reprint_min_jaccard: float = setting(0.9, "every overlap at least this Jaccard (and full coverage) makes a reprint")
    containment_margin: float = setting(0.15, "same day, no credit: the copy shares this much more than the other side")
    contained_coverage: float = setting(
        0.9, "same day, no credit: the copy has at least this share of its passages shared"
    )
    long_copy_min_words: int = setting(40, "a paragraph or copied span of this many words is a copy on its own")
    long_copy_min_jaccard: float = setting(0.8, "Jaccard at which such a paragraph is a copy on its own")
    verbatim_min_share: float = setting(
        0.8, "share of reused passages' words in verbatim runs that makes them a copy, not a paraphrase"
    )

    def __post_init__(self) -> None:
        require_at_least("provenance", self, ("min_shared_passages", "min_evidence_words", "long_copy_min_words"), 1)
        require_fraction(
            "provenance",
            self,
            (
                "whole_document_coverage",
                "excerpt_max_coverage",
                "spun_min_share",
                "reprint_min_jaccard",
                "containment_margin",
                "contained_coverage",
                "long_copy_min_jaccard",
                "verbatim_min_share",
            ),
        )


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: str
    date: dt.date
    body_chars: int
    substantial_passages: int
    body_start: int = 0
    publisher: str | None = None  # as the source names it
    outlet_id: str | None = None  # the publisher in the gazetteer
    published_at: dt.datetime | None = None
    url: str | None = None
    title: str | None = None

    @property
    def publisher_key(self) -> str | None:
        """Who published it, for comparing two documents: the outlet, else the name as given."""
        return self.outlet_id or (self.publisher.casefold() if self.publisher else None)


@dataclass(frozen=True)
class PassageInfo:
    doc_id: str
    substantial: bool
    words: int


@dataclass
class _PairEvidence:
    """Copy overlaps between documents x < y, accumulated; relations and Jaccards of substantial ones."""

    passages_x: set[str] = field(default_factory=set)
    passages_y: set[str] = field(default_factory=set)
    spans: list[tuple[int, int, int, int]] = field(default_factory=list)  # x_start, x_end, y_start, y_end
    relations: list[str] = field(default_factory=list)
    jaccards: list[float] = field(default_factory=list)
    words_x: list[int] = field(default_factory=list)
    words_y: list[int] = field(default_factory=list)
    longest_span_words: int = 0
    verbatim_share: float | None = None  # reused passages (the paraphrases table) only


def merged_length(intervals: list[tuple[int, int]]) -> int:
    """Characters covered by the union of [start, end) intervals."""
    total, end = 0, None
    for start, stop in sorted(intervals):
        if end is None or start > end:
            total += stop - start
            end = stop
        elif stop > end:
            total += stop - end
            end = stop
    return total


def _covered(spans: list[tuple[int, int, int, int]]) -> int:
    """Characters under the spans, both documents together."""
    return merged_length([(s[0], s[1]) for s in spans]) + merged_length([(s[2], s[3]) for s in spans])


def passage_info(passages: pa.Table, params: ProvenanceParams) -> dict[str, PassageInfo]:
    """Which passages count as evidence: not headers, at least ``min_evidence_words`` words."""
    return {
        pid: PassageInfo(doc_id, kind != "header" and n_tokens >= params.min_evidence_words, n_tokens)
        for pid, doc_id, kind, n_tokens in zip(
            passages.column("passage_id").to_pylist(),
            passages.column("doc_id").to_pylist(),
            passages.column("kind").to_pylist(),
            passages.column("n_tokens").to_pylist(),
        )
    }


def document_info(documents: pa.Table, passages: dict[str, PassageInfo]) -> dict[str, DocumentInfo]:
    """Date (published, else batch), body length and number of substantial passages of each document."""
    substantial: Counter[str] = Counter(p.doc_id for p in passages.values() if p.substantial)
    info = {}
    absent = [None] * documents.num_rows  # publisher columns, when the table has none (the tests' own)
    for doc_id, published, batch, n_chars, body_start, publisher, outlet_id, published_at, url, title in zip(
        documents.column("doc_id").to_pylist(),
        documents.column("published").to_pylist(),
        documents.column("batch").to_pylist(),
        documents.column("n_chars").to_pylist(),
        documents.column("body_start").to_pylist(),
        *(
            documents.column(name).to_pylist() if name in documents.column_names else absent
            for name in ("publisher", "publisher_outlet_id", "published_at", "url", "title")
        ),
    ):
        info[doc_id] = DocumentInfo(
            doc_id,
            published or dt.date.fromisoformat(batch),
            max(1, n_chars - body_start),
            max(1, substantial[doc_id]),
            body_start,
            publisher,
            outlet_id,
            published_at,
            url,
            title,
        )
    return info


def _evidence_rows(overlaps: pa.Table, passages: dict[str, PassageInfo]) -> list[dict]:
    """Copy overlaps that count as evidence: both passages substantial, or a short pair (a
    one-line quote, a caption) right next to a substantial copied pair in both documents.
    A boilerplate line next to an article's own text has no copied neighbour."""
    # Copies only, picked in Arrow: most overlaps of a large batch are same_story rows.
    copies = overlaps.filter(pc.is_in(overlaps.column("relation"), pa.array(COPY_RELATIONS, type=pa.string())))
    rows = copies.select(
        ["passage_a", "passage_b", "doc_a", "doc_b", "relation", "jaccard", "spans", "longest_span_words"]
    ).to_pylist()
    substantial = {
        (r["doc_a"], ordinal_of(r["passage_a"]), r["doc_b"], ordinal_of(r["passage_b"]))
        for r in rows
        if passages[r["passage_a"]].substantial and passages[r["passage_b"]].substantial
    }

    def next_to_substantial(r: dict) -> bool:
        a, b = ordinal_of(r["passage_a"]), ordinal_of(r["passage_b"])
        return any((r["doc_a"], a + step, r["doc_b"], b + step) in substantial for step in (-1, 1))

    return [
        r
        for r in rows
        if (r["doc_a"], ordinal_of(r["passage_a"]), r["doc_b"], ordinal_of(r["passage_b"])) in substantial
        or next_to_substantial(r)
    ]


def _collect(overlaps: pa.Table, passages: dict[str, PassageInfo]) -> dict[tuple[str, str], _PairEvidence]:
    pairs: dict[tuple[str, str], _PairEvidence] = defaultdict(_PairEvidence)
    for row in _evidence_rows(overlaps, passages):
        flip = row["doc_a"] > row["doc_b"]
        key = (row["doc_b"], row["doc_a"]) if flip else (row["doc_a"], row["doc_b"])
        evidence = pairs[key]
        evidence.passages_x.add(row["passage_b"] if flip else row["passage_a"])
        evidence.passages_y.add(row["passage_a"] if flip else row["passage_b"])
        evidence.relations.append(row["relation"])
        evidence.jaccards.append(row["jaccard"])
        evidence.longest_span_words = max(evidence.longest_span_words, row["longest_span_words"] or 0)
        evidence.words_x.append(passages[row["passage_b"] if flip else row["passage_a"]].words)
        evidence.words_y.append(passages[row["passage_a"] if flip else row["passage_b"]].words)
        for s in row["spans"]:
            if flip:
                evidence.spans.append((s["b_start"], s["b_end"], s["a_start"], s["a_end"]))
            else:
                evidence.spans.append((s["a_start"], s["a_end"], s["b_start"], s["b_end"]))
    return pairs


def _relation(
    passage_coverage_x: float, passage_coverage_y: float, evidence: _PairEvidence, params: ProvenanceParams
) -> str:
    spun_share = evidence.relations.count("spun") / len(evidence.relations)
    # Part of one document inside a different one, whichever way round: a short source page
    # excerpted whole into a long article is still an excerpt.
    if min(passage_coverage_x, passage_coverage_y) < params.excerpt_max_coverage:
        return "excerpt"
    if spun_share >= params.spun_min_share:
        return "spun"
    # Judged on substantial paragraphs: a reprint may change a short credit or footer line.
    body = [
        j
        for j, wx, wy in zip(evidence.jaccards, evidence.words_x, evidence.words_y)
        if min(wx, wy) >= params.min_evidence_words
    ]
    if min(body or evidence.jaccards) >= params.reprint_min_jaccard:
        return "reprint"
    return "light_edit"


def _reused_relation(coverage_x: float, coverage_y: float, evidence: _PairEvidence, params: ProvenanceParams) -> str:
    """Reused passages: reworded (paraphrase), or copied word for word: part of one document inside
    another (excerpt) or most of both (reprint). By characters: where the copier cut names nothing."""
    if (evidence.verbatim_share or 0.0) < params.verbatim_min_share:
        return "paraphrase"
    if min(coverage_x, coverage_y) < params.excerpt_max_coverage:
        return "excerpt"
    return "reprint"


def _direction(
    x: DocumentInfo,
    y: DocumentInfo,
    coverage_x: float,
    coverage_y: float,
    introduces_x: bool,
    introduces_y: bool,
    params: ProvenanceParams,
    names_x: bool = False,
    names_y: bool = False,
) -> tuple[bool, str]:
    """(x is the copy, basis): the later date; else the side that names the other's publisher
    (``names_*``, see ``_names_publisher``); else the side that introduces the shared text with a
    credit; else the later publication time; else the side contained in the other (almost all of
    it shared, clearly more than the other side); else a tie. A reprint with a footer added is a
    tie, not a guess."""
    if x.date != y.date:
        return x.date > y.date, "date"
    if names_x != names_y:
        return names_x, "publisher_credit"
    if introduces_x != introduces_y:
        return introduces_x, "credit"
    if x.published_at is not None and y.published_at is not None and x.published_at != y.published_at:
        return x.published_at > y.published_at, "timestamp"
    for x_is_copy, copy, source in ((True, coverage_x, coverage_y), (False, coverage_y, coverage_x)):
        if copy >= params.contained_coverage and copy - source > params.containment_margin:
            return x_is_copy, "containment"
    return True, "tie"


def _credited_outlet(
    doc: str, shared_passages: set[str], credits: dict[str, list[PassageCredit]], introducing_only: bool = False
) -> str | None:
    """An outlet the document credits in the passage just before a shared one ("The following
    account was first published by ...:") or, unless ``introducing_only``, inside a shared one."""
    ordinals = {ordinal_of(p) for p in shared_passages}
    for credit in credits.get(doc, []):
        introduces = credit.can_introduce and credit.ordinal + 1 in ordinals and credit.ordinal not in ordinals
        if introduces or (not introducing_only and credit.ordinal in ordinals):
            return credit.outlet_id
    return None


# Cues that can introduce copied text ("The Straits Times reported on Friday:"). Photo credits,
# datelines and "contributed to this report" lines sit next to an article's own text.
INTRODUCING_CUES = frozenset({"reported", "according_to", "citing", "said", "other"})


@dataclass(frozen=True)
class PassageCredit:
    ordinal: int
    outlet_id: str
    can_introduce: bool
    cue: str = "other"


def _credits(attributions: pa.Table) -> dict[str, list[PassageCredit]]:
    found: dict[str, list[PassageCredit]] = defaultdict(list)
    for doc_id, passage_id, outlet_id, cue in zip(
        attributions.column("doc_id").to_pylist(),
        attributions.column("passage_id").to_pylist(),
        attributions.column("outlet_id").to_pylist(),
        attributions.column("cue").to_pylist(),
    ):
        if outlet_id is not None:
            found[doc_id].append(PassageCredit(ordinal_of(passage_id), outlet_id, cue in INTRODUCING_CUES, cue))
    return found


def _credited_outlets(doc: DocumentInfo, credits: dict[str, list[PassageCredit]]) -> set[str]:
    """Outlets a document credits for its text anywhere in it (a photo credit is for a picture), its
    own publisher left out: a wire story's own dateline credits no one."""
    return {c.outlet_id for c in credits.get(doc.doc_id, ()) if c.cue != "photo_credit"} - {doc.outlet_id}


def _names_publisher(copy: DocumentInfo, source: DocumentInfo, credits: dict[str, list[PassageCredit]]) -> bool:
    """Whether ``copy`` credits ``source``'s publisher, or the agency of ``source``'s own wire dateline
    ("LONDON (Reuters) -") when it is not ``copy``'s dateline too."""
    named = _credited_outlets(copy, credits)
    if not named:
        return False
    copy_datelines = {c.outlet_id for c in credits.get(copy.doc_id, ()) if c.cue == "dateline"}
    source_agencies = {c.outlet_id for c in credits.get(source.doc_id, ()) if c.cue == "dateline"} - copy_datelines
    return bool(named & ({source.outlet_id} - {None} | source_agencies))


def credit_status(copy: DocumentInfo, source: DocumentInfo, credits: dict[str, list[PassageCredit]]) -> str:
    """``unknown`` when a side has no publisher; ``same_publisher``; ``credited`` when the copy credits
    the source's publisher; ``credited_other`` when it credits other outlets only; else ``uncredited``."""
    if copy.publisher_key is None or source.publisher_key is None:
        return "unknown"
    if copy.publisher_key == source.publisher_key:
        return "same_publisher"
    named = _credited_outlets(copy, credits)
    if source.outlet_id is not None and source.outlet_id in named:
        return "credited"
    return "credited_other" if named else "uncredited"


# Same-day directions that two siblings of one source would get from each other: a credit of the
# source's publisher, a later time, containment or a tie. A date, or a credit introducing the
# shared text, says one copied the other.
_SIBLING_BASES = ("publisher_credit", "timestamp", "containment", "tie")


def _url_key(url: str | None) -> str | None:
    """A URL for comparing two versions of a page: no scheme, fragment or trailing slash."""
    if not url:
        return None
    return url.split("#", 1)[0].split("://", 1)[-1].rstrip("/").lower()


def is_version(x: DocumentInfo, y: DocumentInfo) -> bool:
    """Two texts of one story of one publisher: the same URL, or the same publisher and title."""
    if _url_key(x.url) is not None and _url_key(x.url) == _url_key(y.url):
        return True
    return (
        x.publisher_key is not None
        and x.publisher_key == y.publisher_key
        and bool(x.title)
        and (x.title or "").casefold() == (y.title or "").casefold()
    )


def _version_direction(x: DocumentInfo, y: DocumentInfo, computed: tuple[bool, str]) -> tuple[bool, str]:
    """(x is the later version, basis): the later time, else the later day, else as computed."""
    if x.published_at is not None and y.published_at is not None and x.published_at != y.published_at:
        return x.published_at > y.published_at, "timestamp"
    if x.date != y.date:
        return x.date > y.date, "date"
    return computed


def changed_spans(spans: list[tuple[int, int, int, int]], a_length: int, b_length: int, a_text: str, b_text: str):
    """The stretches between shared spans, as (a_start, a_end, b_start, b_end): what one version has
    where the other has something else or nothing; whitespace-only stretches left out."""
    merged: list[list[int]] = []
    for a0, a1, b0, b1 in sorted(spans):
        if merged and a0 <= merged[-1][1] and b0 >= merged[-1][2]:
            merged[-1][1], merged[-1][3] = max(merged[-1][1], a1), max(merged[-1][3], b1)
        else:
            merged.append([a0, a1, b0, b1])
    changed, a_at, b_at = [], 0, 0
    for a0, a1, b0, b1 in [*merged, [a_length, a_length, b_length, b_length]]:
        a_gap, b_gap = (a_at, max(a_at, a0)), (b_at, max(b_at, b0))
        if a_text[a_gap[0] : a_gap[1]].strip() or b_text[b_gap[0] : b_gap[1]].strip():
            changed.append((*a_gap, *b_gap))
        a_at, b_at = max(a_at, a1), max(b_at, b1)
    return changed


def version_documents(documents: pa.Table) -> set[str]:
    """Documents of ``documents`` (doc_id, url, publisher, publisher_outlet_id, title) that may be
    versions of another of them (``is_version``): whose texts ``document_links`` wants."""
    groups: dict[tuple, set[str]] = defaultdict(set)
    for doc_id, url, publisher, outlet_id, title in zip(
        *(documents.column(n).to_pylist() for n in ("doc_id", "url", "publisher", "publisher_outlet_id", "title"))
    ):
        if _url_key(url):
            groups["url", _url_key(url)].add(doc_id)
        key = outlet_id or (publisher.casefold() if publisher else None)
        if key and title:
            groups["title", key, title.casefold()].add(doc_id)
    return {doc for group in groups.values() if len(group) > 1 for doc in group}


def _siblings(rows: dict[str, list], earlier_links: Iterable[tuple[str, str]]) -> None:
    """Mark the same-day links (``_SIBLING_BASES``) whose two documents each copy (or update) one third
    document, in this batch's links or earlier ones: ``origin_basis`` shared_source, and that source."""
    sources: dict[str, set[str]] = defaultdict(set)
    for copy, source in earlier_links:
        sources[copy].add(source)
    for copy, source, basis in zip(rows["doc_id"], rows["source_doc_id"], rows["origin_basis"]):
        if basis not in UNDIRECTED_BASES:
            sources[copy].add(source)
    for n, (x, y, basis) in enumerate(zip(rows["doc_id"], rows["source_doc_id"], rows["origin_basis"])):
        if basis not in _SIBLING_BASES or rows["relation"][n] == "update":
            continue
        shared = (sources[x] & sources[y]) - {x, y}
        # the one of them that copies none of the others: the first source, not a copy of it
        firsts = sorted(z for z in shared if not sources[z] & shared) or sorted(shared)
        if firsts:
            rows["origin_basis"][n] = "shared_source"
            rows["shared_source_doc_id"][n] = firsts[0]


def _evidence_basis(
    x: DocumentInfo,
    y: DocumentInfo,
    evidence: _PairEvidence,
    coverage_x: float,
    coverage_y: float,
    params: ProvenanceParams,
) -> str | None:
    """Why the shared passages prove copying on their own (see module doc); None when they do not."""
    # A one-paragraph document (a brief, an answer) cannot share two paragraphs of its own.
    if (
        len(evidence.passages_x) >= min(params.min_shared_passages, x.substantial_passages)
        and len(evidence.passages_y) >= min(params.min_shared_passages, y.substantial_passages)
        and len(evidence.passages_x) + len(evidence.passages_y) >= params.min_shared_passages + 1
    ):
        return "shared_passages"
    if min(coverage_x, coverage_y) >= params.whole_document_coverage:
        return "whole_document"
    # One long paragraph copied nearly word for word is a copy by itself (a wire paragraph, an excerpt),
    # and so is as long a run copied into a paragraph of other text: no independent report, no quote
    # of a few lines, repeats that many words in order.
    if evidence.longest_span_words >= params.long_copy_min_words or any(
        j >= params.long_copy_min_jaccard and max(wx, wy) >= params.long_copy_min_words
        for j, wx, wy in zip(evidence.jaccards, evidence.words_x, evidence.words_y)
    ):
        return "long_copy"
    return None


def _paraphrase_evidence(paraphrases: pa.Table) -> dict[tuple[str, str], _PairEvidence]:
    """Reused passages of each pair as evidence (x < y), one 'paraphrase' relation per passage."""
    pairs: dict[tuple[str, str], _PairEvidence] = {}
    for row in paraphrases.select(
        ["doc_a", "doc_b", "containment_mean", "verbatim_share", "passages_a", "passages_b", "spans"]
    ).to_pylist():
        flip = row["doc_a"] > row["doc_b"]
        key = (row["doc_b"], row["doc_a"]) if flip else (row["doc_a"], row["doc_b"])
        spans = [
            (s["b_start"], s["b_end"], s["a_start"], s["a_end"])
            if flip
            else (s["a_start"], s["a_end"], s["b_start"], s["b_end"])
            for s in row["spans"]
        ]
        passages_a, passages_b = set(row["passages_a"]), set(row["passages_b"])
        pairs[key] = _PairEvidence(
            passages_b if flip else passages_a,
            passages_a if flip else passages_b,
            spans,
            ["paraphrase"] * len(spans),
            [row["containment_mean"]] * len(spans),
            verbatim_share=row["verbatim_share"],
        )
    return pairs


def chained_links(
    documents: set[str], links_touching: Callable[[set[str]], Iterable[tuple[str, str]]]
) -> list[tuple[str, str]]:
    """The earlier links of every chain of copy links that reaches one of ``documents``, sorted:
    all of ``earlier_links`` that ``document_links`` needs to tell which of ``documents`` copy
    links already join. ``links_touching(ids)`` gives the (doc_id, source_doc_id) links with an
    end in ``ids``; it is asked once per step outward from ``documents``, until a step finds no
    new link."""
    reached, frontier, links = set(documents), set(documents), set()
    while frontier:
        found = set(links_touching(frontier)) - links
        links |= found
        frontier = {doc for link in found for doc in link} - reached
        reached |= frontier
    return sorted(links)


def document_links(
    overlaps: pa.Table,
    documents: pa.Table,
    passages: pa.Table,
    attributions: pa.Table,
    batch: str,
    params: ProvenanceParams,
    earlier_links: Iterable[tuple[str, str]] = (),
    paraphrases: pa.Table | None = None,
    texts: Mapping[str, str] | None = None,
) -> pa.Table:
    """The provenance table: one row per (copying document, source document).

    ``documents`` and ``passages`` must cover every document the overlaps and
    ``paraphrases`` name (all their passages); ``attributions`` the credits of
    those documents; ``earlier_links`` the (doc_id, source_doc_id) links of
    earlier batches (those of ``chained_links`` are enough); ``texts`` the texts of
    the documents of ``version_documents`` (an update's changed spans leave out
    what is only whitespace in them).

    Two versions of one story (``is_version``: the same URL, or the same
    publisher and title) are linked as ``update``: the later one is doc_id, and
    ``changed_spans`` are the stretches between their shared spans.

    Copied text too short to prove a link by itself still links two documents
    that copy links already join through others (evidence ``copy_chain``): an
    excerpt of a spun copy shares one or two spun paragraphs with the original,
    and its chain of copies shows where they came from.
    """
    earlier_links, texts = list(earlier_links), texts or {}
    passages_info = passage_info(passages, params)
    info = document_info(documents, passages_info)
    credits = _credits(attributions)
    collected = _collect(overlaps, passages_info)
    paraphrased = _paraphrase_evidence(paraphrases) if paraphrases is not None else {}
    pairs = []
    for key in sorted(collected.keys() | paraphrased.keys()):
        x, y = info[key[0]], info[key[1]]
        proof = None
        reused = paraphrased.get(key)
        for evidence in [e for e in (collected.get(key), reused) if e is not None]:
            coverage_x = min(1.0, merged_length([(s[0], s[1]) for s in evidence.spans]) / x.body_chars)
            coverage_y = min(1.0, merged_length([(s[2], s[3]) for s in evidence.spans]) / y.body_chars)
            if evidence is reused:
                proof = "reused_passages"
            else:
                proof = _evidence_basis(x, y, evidence, coverage_x, coverage_y, params)
            if proof:
                break
        spans = evidence.spans
        # Reused passages have exact ends; but a heavy spin aligns only word by word (align folds
        # synonyms): their spans stand where they cover no less text than the overlaps'.
        if reused is not None and _covered(reused.spans) >= _covered(spans):
            spans = reused.spans
        pairs.append((x, y, evidence, spans, coverage_x, coverage_y, proof))
    chained = UnionFind([*earlier_links, *((x.doc_id, y.doc_id) for x, y, *_, proof in pairs if proof)])
    rows: dict[str, list] = {name: [] for name in PROVENANCE.names}
    for x, y, evidence, pair_spans, coverage_x, coverage_y, proof in pairs:
        if proof is None and chained.find(x.doc_id) == chained.find(y.doc_id):
            proof = "copy_chain"
        if proof is None:
            continue
        x_id, y_id = x.doc_id, y.doc_id
        # Matched sentences may sit in short passages too, which substantial_passages does not count.
        passage_coverage_x = min(1.0, len(evidence.passages_x) / x.substantial_passages)
        passage_coverage_y = min(1.0, len(evidence.passages_y) / y.substantial_passages)
        credit_x = _credited_outlet(x_id, evidence.passages_x, credits)
        credit_y = _credited_outlet(y_id, evidence.passages_y, credits)
        x_is_copy, basis = _direction(
            x,
            y,
            passage_coverage_x,
            passage_coverage_y,
            _credited_outlet(x_id, evidence.passages_x, credits, introducing_only=True) is not None,
            _credited_outlet(y_id, evidence.passages_y, credits, introducing_only=True) is not None,
            params,
            _names_publisher(x, y, credits),
            _names_publisher(y, x, credits),
        )
        version = proof != "reused_passages" and is_version(x, y)
        if version:
            x_is_copy, basis = _version_direction(x, y, (x_is_copy, basis))
            pair_spans = evidence.spans  # an update's changed spans are what its paragraph overlaps leave out
        if x_is_copy:
            copy, source, spans, credit = x, y, pair_spans, credit_x
            copy_cov, source_cov, copy_passages, source_passages = (
                coverage_x,
                coverage_y,
                evidence.passages_x,
                evidence.passages_y,
            )
        else:
            copy, source, spans, credit = y, x, [(s[2], s[3], s[0], s[1]) for s in pair_spans], credit_y
            copy_cov, source_cov, copy_passages, source_passages = (
                coverage_y,
                coverage_x,
                evidence.passages_y,
                evidence.passages_x,
            )
        rows["doc_id"].append(copy.doc_id)
        rows["source_doc_id"].append(source.doc_id)
        rows["batch"].append(batch)
        if version:
            relation = "update"
        elif proof == "reused_passages":
            relation = _reused_relation(coverage_x, coverage_y, evidence, params)
        else:
            relation = _relation(passage_coverage_x, passage_coverage_y, evidence, params)
        rows["relation"].append(relation)
        rows["changed_spans"].append(
            [
                {"a_start": a0, "a_end": a1, "b_start": b0, "b_end": b1}
                for a0, a1, b0, b1 in changed_spans(
                    spans,
                    copy.body_chars + copy.body_start,
                    source.body_chars + source.body_start,
                    texts.get(copy.doc_id, ""),
                    texts.get(source.doc_id, ""),
                )
            ]
            if version
            else None
        )
        rows["shared_passages"].append(len(copy_passages))
        rows["source_shared_passages"].append(len(source_passages))
        rows["coverage"].append(copy_cov)
        rows["source_coverage"].append(source_cov)
        rows["spun_share"].append(evidence.relations.count("spun") / len(evidence.relations))
        rows["jaccard_mean"].append(sum(evidence.jaccards) / len(evidence.jaccards))
        rows["spans"].append(
            [{"a_start": a0, "a_end": a1, "b_start": b0, "b_end": b1} for a0, a1, b0, b1 in sorted(spans)]
        )
        rows["origin_basis"].append(basis)
        rows["credited_outlet_id"].append(credit)
        rows["evidence"].append(proof)
        rows["publisher"].append(copy.publisher)
        rows["publisher_outlet_id"].append(copy.outlet_id)
        rows["source_publisher"].append(source.publisher)
        rows["source_publisher_outlet_id"].append(source.outlet_id)
        rows["credit_status"].append(credit_status(copy, source, credits))
        rows["shared_source_doc_id"].append(None)
    _siblings(rows, earlier_links)
    table = pa.table({name: pa.array(values, type=PROVENANCE.field(name).type) for name, values in rows.items()})
    return conform(table, PROVENANCE)
