"""Paragraph rules: where a document's passages begin and end, and what kind each one is.

A document either separates paragraphs with blank lines (then a single newline
is a line wrap inside a paragraph) or puts one paragraph per line; we take
whichever separator the document uses more. A document hard-wrapped at a fixed
width (e-mail, wire and archive text: every line but a paragraph's last is
filled to about the same column) is told apart by how its lines break: a
wrapping editor breaks a line only where the next word would not fit, so there
a single newline joins lines of one paragraph and a line that stops short ends
one, with or without blank lines between paragraphs. Short lines such as photo captions,
credit lines and subheadings are kept and tagged, never dropped: they carry
attributions ("Pool, AFP | Getty Images") and copies reuse them.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from pipeline.text.sentences import ENDS_LIKE_SENTENCE, PASSAGE_CUT_AFTER, cuts_within
from pipeline.text.tokens import count_words

_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")
_ANY_NEWLINE = re.compile(r"\n\s*")
_NEWLINE = re.compile(r"\n")
# Hard-wrapped text: at least this many single newlines, lines of at most this width, and
# this share of the single newlines after a full line inside a sentence (see _wrap_breaks).
WRAP_MIN_LINES = 3
WRAP_MAX_WIDTH = 100
WRAP_MIN_SHARE = 0.6
WRAP_MIN_SLACK = 3
_CREDIT = re.compile(
    r"\S\s*\|\s*\S"  # "Jim Watson | Pool, AFP | Getty Images"
    r"|^(?:photo(?:graph)?s?|image|picture|credit|source)\s*:"
    r"|contributed(?: reporting)? to th(?:is|e) (?:report|article|story)"
    r"|^\(?(?:reporting|writing|editing|additional reporting) by\b",
    re.IGNORECASE,
)
_CAPTION_MARK = re.compile(
    r"\((?:left|right|centre|center|top|bottom|l|r|c|pictured|file)\)|\bpictured\b|\bin this photo\b", re.IGNORECASE
)
CAPTION_MAX_WORDS = 40
HEADING_MAX_WORDS = 12
# Longer passages are body text, however few their words (a 40,000-character "word"): the regexes
# that tell the short kinds apart scanned each of them whole.
SHORT_MAX_CHARS = 2_000
# The optional `date YYYY-MM-DD Place:` header, at the start of one of the first HEADER_LINES
# non-empty lines (a headline may stand above it); the text after it on its line is body.
_HEADER = re.compile(r"[ \t]*date[ \t]+(\d{4})-(\d{2})-(\d{2})[ \t]+([^:\n]{1,60}?)[ \t]*:\s*", re.IGNORECASE)
HEADER_LINES = 3
# Longest passage in characters: a longer paragraph (a page without line breaks) is cut, after a
# sentence end where it can be, so that the work per passage of every later stage is bounded. Longer
# than any paragraph of the eval sets (the longest is 32,715 characters).
PASSAGE_MAX_CHARS = 40_000
_LINE_START = re.compile(r"^(?=[ \t]*\S)", re.MULTILINE)


@dataclass(frozen=True)
class PassageSpan:
    """One passage: ``text[start:end]`` of its document, stripped of surrounding space."""

    ordinal: int
    start: int
    end: int
    kind: str


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _wrap_breaks(text: str, start: int) -> list[tuple[int, int]] | None:
    """Paragraph breaks (separator start, end) of a hard-wrapped ``text[start:]``, or None
    when its lines are not wrapped at a fixed width (see module doc)."""
    newlines = [m.start() for m in _NEWLINE.finditer(text, start)]
    lines = list(zip([start] + [n + 1 for n in newlines], newlines + [len(text)]))
    # (line length, the next line's first word, whether the line ends a sentence, end of the
    # line's text, start of the next line's text) for every single newline between two lines.
    joins = []
    for (a0, a1), (b0, b1) in itertools.pairwise(lines):
        first, last = _stripped(text, a0, a1), _stripped(text, b0, b1)
        if first[0] < first[1] and last[0] < last[1]:
            next_word = text[last[0] : last[1]].split(maxsplit=1)[0]
            ends_sentence = bool(ENDS_LIKE_SENTENCE.search(text, first[0], first[1])) and next_word[:1].isupper()
            joins.append((first[1] - a0, len(next_word), ends_sentence, first[1], last[0]))
    if len(joins) < WRAP_MIN_LINES:
        return None
    width = max(length for length, *_ in joins)
    if width > WRAP_MAX_WIDTH:
        return None
    # A line is full when the next word would not have fitted on it (give or take the slack:
    # people and tools wrap a little short of the widest line). One sentence per line (a list,
    # a line-per-paragraph brief) is not wrapping, however even the lengths.
    slack = max(WRAP_MIN_SLACK, width // 10)
    full = [length + 1 + word >= width - slack for length, word, *_ in joins]
    wraps = sum(f and not ends_sentence for f, (_, _, ends_sentence, *_) in zip(full, joins))
    if wraps < WRAP_MIN_SHARE * len(joins):
        return None
    short = [(end, begin) for f, (*_, end, begin) in zip(full, joins) if not f]
    blank = [(m.start(), m.end()) for m in _BLANK_LINE.finditer(text, start)]
    # Blank lines, where the writer used them, are the paragraph breaks; else a short line ends one.
    return blank or short


def _pieces(text: str, start: int) -> list[tuple[int, int]]:
    """(start, end) of each paragraph of ``text[start:]``, separator chosen per document."""
    wrapped = _wrap_breaks(text, start)
    if wrapped is not None:
        return _between(text, start, wrapped)
    body = text[start:]
    blank_separators = _BLANK_LINE.findall(body)
    blank = len(blank_separators)
    single = body.count("\n") - sum(sep.count("\n") for sep in blank_separators)
    separator = _BLANK_LINE if blank and blank >= single else _ANY_NEWLINE
    return _between(text, start, [(m.start(), m.end()) for m in separator.finditer(text, start)])


def _between(text: str, start: int, breaks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Non-empty stripped pieces of ``text[start:]`` between the (start, end) ``breaks``, none
    longer than ``PASSAGE_MAX_CHARS``."""
    spans, cursor = [], start
    for begin, end in breaks:
        spans.append((cursor, begin))
        cursor = end
    spans.append((cursor, len(text)))
    pieces = []
    for a, b in (_stripped(text, a, b) for a, b in spans):
        if b - a > PASSAGE_MAX_CHARS:
            for cut in cuts_within(text, a, b, PASSAGE_MAX_CHARS, PASSAGE_CUT_AFTER):
                pieces.append(_stripped(text, a, cut))
                a = cut
        pieces.append(_stripped(text, a, b))
    return [s for s in pieces if s[0] < s[1]]


def cut_passages(text: str, pieces: list[tuple[int, int]]) -> int:
    """How many of ``pieces`` (``document_pieces``'s, the header's left out) end where ``PASSAGE_MAX_CHARS``
    cut a paragraph: no line break between them and the next piece, as there is after every paragraph."""
    return sum("\n" not in text[a[1] : b[0]] for a, b in itertools.pairwise(pieces))


def classify(passage: str, next_passage: str | None, words: int | None = None) -> str:
    """Kind of a passage: credit, caption, heading or body; ``words`` is its ``count_words``, when known."""
    if len(passage) > SHORT_MAX_CHARS:
        return "body"
    if words is None:
        words = count_words(passage)
    # The word count before the regexes: most passages are long body text, and searching them was the cost.
    if words <= CAPTION_MAX_WORDS and _CREDIT.search(passage):
        return "credit"
    if words <= CAPTION_MAX_WORDS and (
        _CAPTION_MARK.search(passage)
        or (next_passage is not None and "|" in next_passage and _CREDIT.search(next_passage))
    ):
        return "caption"
    if words <= HEADING_MAX_WORDS and not ENDS_LIKE_SENTENCE.search(passage):
        return "heading"
    return "body"


def find_header(text: str) -> re.Match | None:
    """The ``date YYYY-MM-DD Place:`` header: the first of the first HEADER_LINES non-empty lines
    that begins like one (its date checked by the caller); None when none does. The match ends
    where the body begins, the blank space after the header included."""
    for line, start in enumerate(_LINE_START.finditer(text)):
        if line == HEADER_LINES:
            return None
        match = _HEADER.match(text, start.start())
        if match is not None:
            return match
    return None


def document_pieces(text: str, body_start: int) -> tuple[tuple[int, int] | None, list[tuple[int, int]]]:
    """(start, end) of a document's header passage (None without one) and of its other passages,
    unclassified, in text order: lines above the header (a headline) come before it."""
    if body_start <= 0:
        return None, _pieces(text, 0)
    match = find_header(text)
    header_start = match.start() if match is not None and match.end() == body_start else 0
    header = _stripped(text, header_start, body_start)
    above = _pieces(text[:header_start], 0) if header_start else []
    return (header if header[0] < header[1] else None), above + _pieces(text, body_start)


def in_text_order(header: tuple[int, int] | None, pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The header and the other pieces of ``document_pieces``, in text order: the passages' order."""
    return pieces if header is None else sorted([header, *pieces])


def classify_pieces(
    text: str, header: tuple[int, int] | None, pieces: list[tuple[int, int]], counts: list[int] | None = None
) -> list[PassageSpan]:
    """``document_pieces`` as passages with their kinds, in text order; ``counts``: ``count_words``
    of each passage in that order, when known."""
    spans: list[PassageSpan] = []
    following = {piece: text[after[0] : after[1]] for piece, after in itertools.pairwise(pieces)}
    ordered = in_text_order(header, pieces)
    for (start, end), words in zip(ordered, counts if counts is not None else [None] * len(ordered)):
        kind = "header" if (start, end) == header else classify(text[start:end], following.get((start, end)), words)
        spans.append(PassageSpan(len(spans), start, end, kind))
    return spans


def split_document(text: str, body_start: int) -> list[PassageSpan]:
    """Passages of one document; a header before ``body_start`` is its own passage."""
    return classify_pieces(text, *document_pieces(text, body_start))
