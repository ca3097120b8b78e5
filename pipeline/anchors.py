"""Anchors: the names, dates and figures a passage is about.

Two reports of one event share anchors ("Karoline Leavitt", "October 30",
"Scott Bessent", "Malaysia") even when they share no sentence; a synonym
spinner leaves them alone (it has no synonym for "Leavitt"). Anchors feed a
second candidate channel beside MinHash, and decide the ``same_story``
relation in align.

An anchor is one of:
- ``n:<word>`` a word of a proper name: a capitalised word inside a sentence,
  or a sentence-initial one followed by another capitalised word;
- ``d:<month> <day>`` a date written with a month name;
- ``f:<number>`` a figure with at least two digits (years, amounts, percentages).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.tokens import MONTHS, STOPWORDS, Token, tokenize

_MONTH_NAMES = frozenset(MONTHS.values())
_WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
_SENTENCE_BREAK = frozenset(".!?:;\"“”")


@dataclass(frozen=True)
class Anchor:
    key: str
    start: int
    end: int


def _starts_sentence(text: str, token: Token, previous: Token | None) -> bool:
    gap = text[previous.end:token.start] if previous else text[:token.start]
    return previous is None or any(ch in _SENTENCE_BREAK or ch == "\n" for ch in gap)


def extract_anchors(text: str) -> list[Anchor]:
    """Anchors of ``text`` in order, with their offsets (see module doc)."""
    return anchors_in(text, tokenize(text))


def anchors_in(text: str, tokens: list[Token]) -> list[Anchor]:
    """``extract_anchors(text)`` from ``tokenize(text)`` already at hand (align tokenises each passage once)."""
    anchors: list[Anchor] = []
    for i, token in enumerate(tokens):
        previous = tokens[i - 1] if i else None
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        norm = token.norm
        if norm in _MONTH_NAMES and following is not None and following.norm.isdigit() and len(following.norm) <= 2:
            anchors.append(Anchor(f"d:{norm} {following.norm}", token.start, following.end))
            continue
        if norm.isdigit():
            if len(norm) >= 2 and not (previous is not None and previous.norm in _MONTH_NAMES):
                anchors.append(Anchor(f"f:{norm}", token.start, token.end))
            continue
        if not token.is_capitalised or norm in _MONTH_NAMES or norm in _WEEKDAYS:
            continue
        if _starts_sentence(text, token, previous):
            if norm in STOPWORDS or following is None or not following.is_capitalised:
                continue
        anchors.append(Anchor(f"n:{norm}", token.start, token.end))
    return anchors


def anchor_keys(text: str) -> frozenset[str]:
    return frozenset(a.key for a in extract_anchors(text))
