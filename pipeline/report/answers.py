"""The report's words: how a document, a date, a credit and a story are said to a reader.

One sentence per story a person can repeat ("The Reuters wire "..." of 1 Jan 2026 was republished
by 3 documents; "..." credited Reuters; "..." did not and swapped 41 words"), and the anchors of
an overlap as the names, dates and figures they stand for.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.report.evidence import Document
from pipeline.text.tokens import tokenize

# A story's sentence names this many copies; the rest are counted.
NAMED_COPIES = 4


def when(doc: Document) -> str:
    """'1 Jan 2026', with the time where it is known ('1 Jan 2026 06:10 UTC'); '(batch)' when only
    the batch date is known."""
    day = doc.date
    text = f"{day.day} {day:%b %Y}"
    if doc.published_at is not None:
        return f"{text} {doc.when:%H:%M} UTC"
    return text if doc.published is not None else f"{text} (batch date)"


def quoted(doc: Document) -> str:
    """How a sentence names a document: its publisher where known, else its name in quotes."""
    return doc.publisher or f"“{doc.name}”"


def described(doc: Document, outlet_name) -> str:
    """'The Reuters wire “Title” of 1 Jan 2026': the origin, as a sentence starts with it."""
    who = doc.publisher or (outlet_name(doc.credited_outlets[0]) if doc.wire_copy and doc.credited_outlets else "")
    kind = "wire" if doc.wire_copy else "article"
    return " ".join(p for p in ("The", who, kind, f"“{doc.name}”", "of", when(doc)) if p)


@dataclass(frozen=True)
class CopyFacts:
    """What a story's sentence says of one copy."""

    doc: Document
    relation: str
    credited: str | None  # the outlet it credits at the copied text
    credit_status: str | None  # provenance's, where the tables have it and it is not "unknown"
    substituted: int  # words swapped (spun, light edits)


def copy_clause(c: CopyFacts) -> str:
    name = quoted(c.doc)
    if c.relation == "update":  # the same article again, changed: not a copy, so no credit is due
        return f"{name} is a later version of it" + (f", {c.substituted} words changed" if c.substituted else "")
    if c.credit_status == "credited_other":
        clause = f"{name} credited {c.credited or 'another outlet'}, not its source"
    elif c.credited is not None and c.credit_status in (None, "credited"):
        clause = f"{name} credited {c.credited}"
    elif c.credit_status == "same_publisher":
        clause = f"{name} is the same publisher"
    else:
        clause = f"{name} did not credit it"
    if c.relation == "excerpt":
        clause += " (an excerpt)"
    if c.substituted:
        clause += f"{' and' if 'did not' in clause else ','} swapped {c.substituted} words"
    return clause


def story_sentence(
    origin: Document | None,
    copies: Sequence[CopyFacts],
    tied: Sequence[Document],
    independent: int,
    outlet_name,
    publishers_known: bool,
    other_groups: int = 0,
) -> str:
    """The story's answer: who was first, who copied, who credited, who swapped words."""
    unit = "outlet" if publishers_known else "document"
    parts: list[str] = []
    if origin is not None and copies:
        n = len(copies)
        parts.append(f"{described(origin, outlet_name)} was republished by {n} {unit}{'s' if n != 1 else ''}")
        parts += [copy_clause(c) for c in copies[:NAMED_COPIES]]
        if n > NAMED_COPIES:
            parts.append(f"and {n - NAMED_COPIES} more")
    elif tied:
        names = ", ".join(quoted(d) for d in tied[:NAMED_COPIES]) + (
            f" and {len(tied) - NAMED_COPIES} more" if len(tied) > NAMED_COPIES else ""
        )
        parts.append(f"{len(tied)} documents share copied text ({names}); the tables do not say which came first")
    if other_groups:
        groups = "group" if other_groups == 1 else "groups"
        parts.append(f"{other_groups} other {groups} of copies of the same story (see the graph)")
    if independent:
        reports = "report" if independent == 1 else "reports"
        lead = "" if parts else "No copied text: "
        parts.append(
            f"{lead}{independent} independent {reports} of the same story in {'its' if independent == 1 else 'their'} own words"
        )
    sentence = "; ".join(parts)
    return sentence[:1].upper() + sentence[1:] + "." if sentence else ""


def anchor_words(anchors: Sequence[str], texts: Sequence[str]) -> dict[str, list[str]]:
    """Anchors ('n:europe', 'd:october 30', 'f:2025') as written in ``texts``, by kind
    ('names', 'dates', 'figures'); an anchor not found reads as its value."""
    surfaces: dict[str, str] = {}
    for text in texts:
        for key, surface in _surfaces(text).items():
            surfaces.setdefault(key, surface)
    kinds = {"n": "names", "d": "dates", "f": "figures"}
    found: dict[str, list[str]] = {}
    for anchor in anchors:
        kind, _, value = anchor.partition(":")
        word = surfaces.get(value) or (value.title() if kind == "d" else value)
        found.setdefault(kinds.get(kind, "other"), []).append(word)
    return found


@functools.lru_cache(maxsize=4096)
def _surfaces(text: str) -> dict[str, str]:
    """Each word's and each two words' normal form in ``text``, with the first way it is written there:
    a passage is in one overlap per document it shares text with, and is read once."""
    surfaces: dict[str, str] = {}
    tokens = tokenize(text)
    for t, following in zip(tokens, [*tokens[1:], None]):
        surfaces.setdefault(t.norm, t.surface)
        if following is not None:
            surfaces.setdefault(f"{t.norm} {following.norm}", text[t.start : following.end])
    return surfaces


def short_date(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"
