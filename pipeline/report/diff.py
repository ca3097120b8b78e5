"""What a copy kept and what it changed, word by word and paragraph by paragraph.

A copy link's evidence is shown as blocks in the copy's order: runs of paragraphs both documents
hold word for word (shown once: "9 of 9 paragraphs identical"), paragraphs rewritten (both sides,
the substituted, inserted and deleted words marked), and paragraphs only one side has. Words are
the project's tokens (``pipeline.text.tokens.tokenize``) compared by their normal form, so a
changed quote style or "Oct." for "October" is not a change; difflib's opcodes say which runs
differ.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass, field

from markupsafe import Markup

from pipeline.report.evidence import Document
from pipeline.report.markup import Mark, highlight
from pipeline.text.paragraphs import document_pieces
from pipeline.text.tokens import Token, tokenize

# A paragraph of the copy is shown as a rewrite of one of the source's when this share of their
# words match in order (difflib's ratio); below it, the two are shown as one side's own text.
REWRITE_MIN_RATIO = 0.5

CHANGE_TITLES = {"sub": "substituted", "ins": "inserted by the copy", "del": "left out by the copy"}
CHANGE_TAGS = {"sub": "mark", "ins": "ins", "del": "del"}


@dataclass
class WordChanges:
    """Marks for both sides of one aligned range, and how many words of each kind."""

    source_marks: list[Mark] = field(default_factory=list)
    copy_marks: list[Mark] = field(default_factory=list)
    substituted: int = 0  # words of the copy standing where the source has other words
    inserted: int = 0  # words of the copy with nothing in the source
    deleted: int = 0  # words of the source with nothing in the copy
    same: int = 0  # words of the copy equal to the source's


def _tokens(text: str, start: int, end: int) -> list[Token]:
    return [Token(t.start + start, t.end + start, t.surface, t.norm) for t in tokenize(text[start:end])]


def _run(kind: str, tokens: list[Token], side: str) -> Mark:
    """One mark over a run of tokens (the spaces between them included)."""
    attrs = (("title", CHANGE_TITLES[kind]), ("data-side", side))
    return Mark(tokens[0].start, tokens[-1].end, f"chg {kind}", attrs, CHANGE_TAGS[kind])


def word_changes(source: str, source_range: tuple[int, int], copy: str, copy_range: tuple[int, int]) -> WordChanges:
    """The words the copy's range substitutes, inserts and leaves out against the source's range."""
    a, b = _tokens(source, *source_range), _tokens(copy, *copy_range)
    matcher = difflib.SequenceMatcher(None, [t.norm for t in a], [t.norm for t in b], autojunk=False)
    changes = WordChanges()
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            changes.same += j2 - j1
        elif tag == "replace":
            changes.source_marks.append(_run("sub", a[i1:i2], "source"))
            changes.copy_marks.append(_run("sub", b[j1:j2], "copy"))
            changes.substituted += j2 - j1
        elif tag == "delete":
            changes.source_marks.append(_run("del", a[i1:i2], "source"))
            changes.deleted += i2 - i1
        else:
            changes.copy_marks.append(_run("ins", b[j1:j2], "copy"))
            changes.inserted += j2 - j1
    return changes


@dataclass(frozen=True)
class Block:
    """A piece of a copy link's evidence.

    ``same``: paragraphs both hold word for word (``copy`` holds them, once); ``changed``: one
    paragraph rewritten, both sides marked; ``copy_only`` / ``source_only``: paragraphs one side has.
    """

    kind: str
    copy: list[Markup]
    source: list[Markup]
    changes: WordChanges | None = None


@dataclass(frozen=True)
class LinkEvidence:
    blocks: list[Block]
    copy_paragraphs: int
    source_paragraphs: int
    identical: int  # paragraphs of the copy the source holds word for word
    substituted: int
    inserted: int
    deleted: int


def paragraphs(text: str, body_start: int, title: str | None = None) -> list[tuple[int, int]]:
    """A document's paragraphs (the passages' rule) as text ranges, the header and the headline
    left out: a copy under its own headline still holds every paragraph of the source."""
    pieces = document_pieces(text, body_start)[1]
    if title and pieces and text[pieces[0][0] : pieces[0][1]].strip() == title.strip():
        return pieces[1:]
    return pieces


@functools.lru_cache(maxsize=1024)
def _paragraph_keys(
    text: str, body_start: int, title: str | None
) -> tuple[list[tuple[int, int]], list[tuple[str, ...]]]:
    """A document's paragraphs and each one's words: a document is compared with each document it
    is linked to, so its paragraphs are read once."""
    pieces = paragraphs(text, body_start, title)
    return pieces, [tuple(t.norm for t in tokenize(text[s:e])) for s, e in pieces]


def compare_paragraphs(source: Document, copy: Document, rewrites: bool = True) -> LinkEvidence:
    """The copy's paragraphs against the source's, in the copy's order; with ``rewrites``, a
    paragraph that differs is paired with the source paragraph it rewrites (spun, light edits)."""
    src, src_keys = _paragraph_keys(source.text, source.body_start, source.title)
    cpy, cpy_keys = _paragraph_keys(copy.text, copy.body_start, copy.title)
    source, copy = source.text, copy.text
    matcher = difflib.SequenceMatcher(None, src_keys, cpy_keys, autojunk=False)
    blocks: list[Block] = []
    identical = substituted = inserted = deleted = 0

    def plain(text: str, piece: tuple[int, int]) -> Markup:
        return highlight(text, piece[0], piece[1], [])

    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            identical += j2 - j1
            blocks.append(Block("same", [plain(copy, p) for p in cpy[j1:j2]], []))
            continue
        unpaired_src = list(range(i1, i2))
        for j in range(j1, j2):
            best, best_ratio = None, 0.0
            if rewrites:
                for i in unpaired_src:
                    ratio = difflib.SequenceMatcher(None, src_keys[i], cpy_keys[j], autojunk=False).ratio()
                    if ratio > best_ratio:
                        best, best_ratio = i, ratio
            if best is None or best_ratio < REWRITE_MIN_RATIO:
                blocks.append(Block("copy_only", [plain(copy, cpy[j])], []))
                continue
            unpaired_src.remove(best)
            changes = word_changes(source, src[best], copy, cpy[j])
            substituted, inserted, deleted = (
                substituted + changes.substituted,
                inserted + changes.inserted,
                deleted + changes.deleted,
            )
            blocks.append(
                Block(
                    "changed",
                    [highlight(copy, *cpy[j], changes.copy_marks)],
                    [highlight(source, *src[best], changes.source_marks)],
                    changes,
                )
            )
        if unpaired_src:
            blocks.append(Block("source_only", [], [plain(source, src[i]) for i in unpaired_src]))
    return LinkEvidence(blocks, len(cpy), len(src), identical, substituted, inserted, deleted)


def compare_spans(source: str, copy: str, spans: list[tuple[int, int, int, int]]) -> LinkEvidence:
    """Matched ranges (``copy_start, copy_end, source_start, source_end``: sentences retold in other
    words) word by word, each a ``changed`` block."""
    blocks, substituted, inserted, deleted = [], 0, 0, 0
    for c_start, c_end, s_start, s_end in spans:
        changes = word_changes(source, (s_start, s_end), copy, (c_start, c_end))
        substituted += changes.substituted
        inserted += changes.inserted
        deleted += changes.deleted
        blocks.append(
            Block(
                "changed",
                [highlight(copy, c_start, c_end, changes.copy_marks)],
                [highlight(source, s_start, s_end, changes.source_marks)],
                changes,
            )
        )
    return LinkEvidence(blocks, 0, 0, 0, substituted, inserted, deleted)


def words_in(text: str, ranges: list[tuple[int, int]]) -> int:
    """Tokens of ``text`` inside the union of ``ranges``."""
    merged: list[list[int]] = []
    for s, e in sorted(r for r in ranges if r[0] < r[1]):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return sum(len(tokenize(text[s:e])) for s, e in merged)
