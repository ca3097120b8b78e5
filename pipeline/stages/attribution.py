"""Attribution: sentences that credit an outlet, one row per credited mention.

The credits of a document's text (``pipeline.text.credits.find_credits``: a cue ties the
mention to its sentence) are placed in the passage that holds them, with the passages
that go on with the credited source.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

import pyarrow as pa

from pipeline.core.errors import InputError
from pipeline.core.schema import ATTRIBUTIONS
from pipeline.text.credits import Credit, DocumentCredits, credits_by_document, find_credits, summarise
from pipeline.text.gazetteer import Gazetteer

# ---------------------------------------------------------------------------- covered passages
# Cues of running text: their source may go on speaking in the passages that follow.
_CONTINUABLE = frozenset({"reported", "according_to", "told", "citing", "said", "other"})
_TAG_VERBS = (
    r"(?:said|says|added|adds|told|tells|continued|explained|noted|wrote|writes|stated|"
    r"reported|reports|insisted|warned|argued|recalled)"
)
# '"...," the official said' / 'he told the Post' / 'the newspaper added' / 'said the spokesman'
# A noun phrase word: not a function word ("the soybeans but said" is no tag).
_NP_WORD = (
    r"(?!(?:and|but|or|that|which|who|also|then|has|had|have|was|were|is|are|not|to|of|in|on|for|with|"
    r"as|by)\b)[a-z][\w-]*"
)
_ANAPHORIC_TAG = re.compile(
    rf"(?:\b(?:[Hh]e|[Ss]he|[Tt]hey|[Ii]t)|\b[Tt]he\s+(?:{_NP_WORD}\s+){{0,3}}(?P<noun>{_NP_WORD}))\s+"
    rf"(?:(?:also|later|then|further)\s+)?{_TAG_VERBS}\b"
    # inverted, closing its clause: '..., said the spokesman.'
    rf"|\b{_TAG_VERBS}\s+the\s+(?:{_NP_WORD}\s+){{0,3}}(?P<noun2>{_NP_WORD})(?=\s*(?:[.,;:!?\"”]|$))"
)
# 'Guo said', 'said Dan Wang', 'according to the ministry': someone else speaks.
_NAMED_TAG = re.compile(
    rf"\b(?!(?:He|She|They|It|The|This|That|But|And)\b)[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*\s+"
    rf"(?:(?:also|later|then|further)\s+)?{_TAG_VERBS}\b"
    rf"|\b{_TAG_VERBS}\s+(?!(?:He|She|They|It|The)\b)[A-Z]\w+"
    r"|\b[Aa]ccording to\b"
)
# Nouns that name a document or an outlet: "the report said", "the newspaper added".
_SOURCE_NOUNS = frozenset(
    [
        "report",
        "article",
        "story",
        "newspaper",
        "paper",
        "daily",
        "agency",
        "outlet",
        "publication",
        "broadcaster",
        "network",
        "magazine",
        "website",
        "tabloid",
        "statement",
        "letter",
        "document",
        "memo",
    ]
)


def _continues(passage: str, earlier: str, foreign_credit: bool, same_credit: bool) -> bool:
    """``passage`` goes on with the source credited in ``earlier`` (the passages covered so far)."""
    if foreign_credit:
        return False
    if _NAMED_TAG.search(passage):
        return same_credit  # "Trump told the Post": a new speaker, the same credited outlet
    if same_credit:
        return True
    for m in _ANAPHORIC_TAG.finditer(passage):
        noun = m.group("noun") or m.group("noun2")
        if noun is None or noun in _SOURCE_NOUNS or re.search(rf"\b{re.escape(noun)}\b", earlier):
            return True
    # A quote that runs on: a paragraph opening a quotation it does not close.
    last = earlier.rsplit("\n", 1)[-1].lstrip()
    return last[:1] in '“"' and last.count("”") + last.count('"') < 2 and passage.lstrip()[:1] in '“"'


def covered_passages(
    text: str, spans: list[tuple[int, int, str]], k: int, credit: Credit, credits: list[Credit]
) -> list[str]:
    """Passage ids the credit covers: spans[k] (its own), then following passages that go on with it.

    A following passage continues when a tag points back to the same source ('"...," the
    official said', 'he told the Post', 'the newspaper added') or credits the same outlet,
    and stops at the first passage that brings in another outlet or a named speaker. A
    credit ending its passage with ':' ("X reported on Friday:") always takes the next passage.
    """
    covered = [spans[k][2]]
    if credit.cue not in _CONTINUABLE:
        return covered
    earlier = text[spans[k][0] : spans[k][1]]
    introduces = text[credit.sentence.start : credit.sentence.end].rstrip().endswith(":") and (
        text[credit.sentence.end : spans[k][1]].strip() == ""
    )
    for j in range(k + 1, len(spans)):
        start, end, pid = spans[j]
        passage = text[start:end]
        inside = [c for c in credits if start <= c.char_start < end]
        foreign = any(c.outlet_id != credit.outlet_id for c in inside)
        same = any(c.outlet_id == credit.outlet_id for c in inside)
        if not (introduces and j == k + 1) and not _continues(passage, earlier, foreign, same):
            break
        covered.append(pid)
        earlier += "\n" + passage
    return covered


# ---------------------------------------------------------------------------- tables
_DOC_COLUMNS = ("doc_id", "batch", "text")
_PASSAGE_COLUMNS = ("passage_id", "doc_id", "char_start", "char_end")
_ATTRIBUTION_COLUMNS = ("doc_id", "char_start", "outlet_id", "credit_line")


def _require(table: pa.Table, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise InputError(f"{what} table lacks columns {missing}; it needs {list(columns)}")


def extract_attributions(
    documents: pa.Table, passages: pa.Table, gazetteer: Gazetteer, credits: pa.Table | None = None
) -> pa.Table:
    """One ATTRIBUTIONS row per credited outlet mention, in the passage that holds it.

    ``credits``: the documents' CREDITS rows, as ingest found them; without it the texts are
    searched here. Mentions outside every passage of their document (e.g. in a stripped header)
    are left out: a row must name its passage. ``documents.body_start``, where
    present, keeps the ingest header out of datelines.
    """
    _require(documents, _DOC_COLUMNS, "documents")
    _require(passages, _PASSAGE_COLUMNS, "passages")
    by_doc: dict[str, list[tuple[int, int, str]]] = {}
    for pid, did, s, e in zip(*(passages.column(c).to_pylist() for c in _PASSAGE_COLUMNS)):
        by_doc.setdefault(did, []).append((s, e, pid))
    for spans in by_doc.values():
        spans.sort()

    found = None if credits is None else credits_by_document(credits)
    rows: dict[str, list] = {f.name: [] for f in ATTRIBUTIONS}
    body_starts = (
        documents.column("body_start").to_pylist()
        if "body_start" in documents.column_names
        else [0] * documents.num_rows
    )
    for (doc_id, batch, text), body_start in zip(
        zip(*(documents.column(c).to_pylist() for c in _DOC_COLUMNS)), body_starts
    ):
        text = text or ""
        spans = by_doc.get(doc_id, [])
        span_starts = [s for s, _, _ in spans]
        placed: list[tuple[int, Credit]] = []
        in_text = find_credits(text, gazetteer, body_start or 0) if found is None else found.get(doc_id, ())
        for c in in_text:
            k = bisect.bisect_right(span_starts, c.char_start) - 1
            if k >= 0 and spans[k][0] <= c.char_start and c.char_end <= spans[k][1]:
                placed.append((k, c))
        doc_credits = [c for _, c in placed]
        for k, c in placed:
            values = {
                "doc_id": doc_id,
                "batch": batch,
                "passage_id": spans[k][2],
                "char_start": c.char_start,
                "char_end": c.char_end,
                "sentence_start": c.sentence.start,
                "sentence_end": c.sentence.end,
                "outlet_id": c.outlet_id,
                "surface": c.surface,
                "cue": c.cue,
                "is_alias": c.is_alias,
                "is_fuzzy": c.is_fuzzy,
                "confidence": round(min(1.0, max(0.0, c.confidence)), 3),
                "covered_passages": covered_passages(text, spans, k, c, doc_credits),
                "credit_line": c.credit_line,
            }
            for name, value in values.items():
                rows[name].append(value)
    return pa.Table.from_pydict(rows, schema=ATTRIBUTIONS)


# ---------------------------------------------------------------------------- per document summary
def document_credits(attributions: pa.Table, gazetteer: Gazetteer) -> dict[str, DocumentCredits]:
    """Per doc_id of ``attributions``: the outlets it credits (first credit first) and whether it is wire copy.

    Wire copy: a dateline or a credit line (see ``pipeline.text.credits.is_credit_line``) naming an
    outlet of type agency. A document with no row is absent: use ``pipeline.text.credits.NO_CREDITS`` for it.
    """
    _require(attributions, _ATTRIBUTION_COLUMNS, "attributions")
    per_doc: dict[str, list[tuple[int, str | None, bool]]] = {}
    for doc_id, start, outlet_id, credit_line in zip(
        *(attributions.column(c).to_pylist() for c in _ATTRIBUTION_COLUMNS)
    ):
        per_doc.setdefault(doc_id, []).append((start, outlet_id, credit_line))
    return {doc_id: summarise(rows, gazetteer) for doc_id, rows in per_doc.items()}
