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

Words are compared by their normal form (pipeline.text.tokens); months, weekdays and
figures are never names, nor are sentence-initial stopwords. ``anchors_in`` is
the definition, token by token; ``anchor_key_rows`` applies the same rules to
many texts at once, a numpy mask per rule (the Bands stage's hot path, tested
equal).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from pipeline.core.tables import sorted_unique
from pipeline.text.sentences import BREAK_BETWEEN_TOKENS
from pipeline.text.tokens import (
    MONTHS,
    STOPWORDS,
    Token,
    TokenRows,
    normal_form,
    token_rows,
    tokenize,
    tokenized_alike_by_rust,
)

_MONTH_NAMES = frozenset(MONTHS.values())
_WEEKDAYS = frozenset(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])


@dataclass(frozen=True)
class Anchor:
    key: str
    start: int
    end: int


def _starts_sentence(text: str, token: Token, previous: Token | None) -> bool:
    gap = text[previous.end : token.start] if previous else text[: token.start]
    return previous is None or any(ch in BREAK_BETWEEN_TOKENS for ch in gap)


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
        if _starts_sentence(text, token, previous) and (
            norm in STOPWORDS or following is None or not following.is_capitalised
        ):
            continue
        anchors.append(Anchor(f"n:{norm}", token.start, token.end))
    return anchors


def anchor_keys(text: str) -> frozenset[str]:
    return frozenset(a.key for a in extract_anchors(text))


@dataclass(frozen=True)
class AnchorKeyRows:
    """``sorted(anchor_keys(texts[i]))`` of many texts back to back: row ``r`` is anchor ``keys[r]``
    of text ``text_index[r]``, texts in order."""

    text_index: np.ndarray  # int64
    keys: pa.Array  # string


def anchor_key_rows(texts: Sequence[str]) -> AnchorKeyRows:
    """``anchor_keys`` of every text at once (tested equal): the Bands stage's hot path, where a
    Python call per token was several times slower.

    Texts holding a "cent" take ``anchor_keys``: whether "per cent" merges into one token depends
    on the gap between the two, which the vectorised tokens do not keep. So do the texts with a
    character Polars' Unicode tables class apart from Python's (tokens.tokenized_alike_by_rust).
    """
    texts = list(texts)
    series = pl.Series(values=texts, dtype=pl.String)
    tokens = token_rows(series, BREAK_BETWEEN_TOKENS)
    surfaces = SurfaceFlags.of(tokens.surfaces)
    found = _vector_keys(tokens, surfaces)
    slow_texts = sorted_unique(
        np.concatenate(
            [tokens.text[surfaces.is_cent[tokens.surface]], np.flatnonzero(~tokenized_alike_by_rust(series).to_numpy())]
        )
    )
    fast = ~np.isin(found.text_index, slow_texts)
    slow = [(i, key) for i in slow_texts.tolist() for key in anchor_keys(texts[i])]
    return _distinct_sorted_rows(
        np.concatenate([found.text_index[fast], np.array([i for i, _ in slow], dtype=np.int64)]),
        np.concatenate([found.key[fast], np.arange(len(found.key_names), len(found.key_names) + len(slow))]),
        found.key_names + [key for _, key in slow],
    )


def _distinct_sorted_rows(text_index: np.ndarray, key: np.ndarray, key_names: list[str]) -> AnchorKeyRows:
    """Each text's distinct keys in ``sorted`` order, texts in order, from rows whose ``key`` indexes
    ``key_names`` (repeats allowed)."""
    names = sorted(set(key_names))  # Python's order, as sorted(anchor_keys(text))
    rank = {name: r for r, name in enumerate(names)}
    key_rank = np.array([rank[name] for name in key_names], dtype=np.int64)[key]
    width = max(len(names), 1)
    text_index, key_rank = np.divmod(sorted_unique(text_index * width + key_rank), width)
    return AnchorKeyRows(text_index, pa.array(names, pa.string()).take(key_rank))


@dataclass(frozen=True)
class SurfaceFlags:
    """What the anchor rules ask of a token, computed once per distinct surface (arrays by surface)."""

    norm: np.ndarray  # index into norms
    norms: list[str]
    is_month: np.ndarray
    is_digits: np.ndarray
    norm_length: np.ndarray
    is_capitalised: np.ndarray
    is_stopword: np.ndarray
    is_weekday: np.ndarray
    is_cent: np.ndarray

    @classmethod
    def of(cls, surfaces: list[str]) -> SurfaceFlags:
        vocabulary: dict[str, int] = {}
        norm = np.fromiter(
            (vocabulary.setdefault(normal_form(s), len(vocabulary)) for s in surfaces),
            dtype=np.int64,
            count=len(surfaces),
        )
        norms = list(vocabulary)

        def of_norms(test) -> np.ndarray:
            return np.fromiter(map(test, norms), dtype=bool, count=len(norms))[norm]

        return cls(
            norm=norm,
            norms=norms,
            is_month=of_norms(_MONTH_NAMES.__contains__),
            is_digits=of_norms(str.isdigit),
            norm_length=np.fromiter(map(len, norms), dtype=np.int64, count=len(norms))[norm],
            is_capitalised=np.fromiter((s[:1].isupper() for s in surfaces), dtype=bool, count=len(surfaces)),
            is_stopword=of_norms(STOPWORDS.__contains__),
            is_weekday=of_norms(_WEEKDAYS.__contains__),
            is_cent=of_norms("cent".__eq__),
        )


@dataclass(frozen=True)
class _VectorKeys:
    """Anchors found, repeats within a text included: text ``text_index[r]`` has ``key_names[key[r]]``,
    starting at token ``token[r]`` (a date's month; its day is the token after)."""

    text_index: np.ndarray
    key: np.ndarray
    key_names: list[str]
    token: np.ndarray


@dataclass(frozen=True)
class _AnchorMasks:
    """Which tokens start an anchor, a mask over the tokens per kind."""

    date: np.ndarray  # a month name followed by its day number (the next token)
    figure: np.ndarray
    name: np.ndarray


def _vector_keys(tokens: TokenRows, surfaces: SurfaceFlags) -> _VectorKeys:
    """``anchors_in``'s keys of every token at once."""
    return keys_of(tokens.text, surfaces.norm[tokens.surface], surfaces.norms, anchor_masks(tokens, surfaces))


def anchor_masks(tokens: TokenRows, surfaces: SurfaceFlags) -> _AnchorMasks:
    """``anchors_in``'s rules on every token at once, a mask per branch."""
    same_text = tokens.text[1:] == tokens.text[:-1]
    has_previous, has_following = np.zeros(len(tokens.text), bool), np.zeros(len(tokens.text), bool)
    has_previous[1:], has_following[:-1] = same_text, same_text

    def previous(flag: np.ndarray) -> np.ndarray:
        return has_previous & np.roll(flag, 1)

    def following(flag: np.ndarray) -> np.ndarray:
        return has_following & np.roll(flag, -1)

    def token(flags: np.ndarray) -> np.ndarray:
        return flags[tokens.surface]

    month, digits, length, capitalised = (
        token(surfaces.is_month),
        token(surfaces.is_digits),
        token(surfaces.norm_length),
        token(surfaces.is_capitalised),
    )
    date = month & following(digits & (length <= 2))
    figure = digits & (length >= 2) & ~previous(month)
    starts_sentence = ~has_previous | tokens.after_break
    name = (
        capitalised
        & ~digits
        & ~month
        & ~token(surfaces.is_weekday)
        & ~(starts_sentence & (token(surfaces.is_stopword) | ~following(capitalised)))
    )
    return _AnchorMasks(date, figure, name)


def keys_of(text: np.ndarray, norm: np.ndarray, norms: list[str], masks: _AnchorMasks) -> _VectorKeys:
    """Keys of the anchor tokens, each distinct key spelled once: coded as (kind, norm, 1 + the
    following token's norm for a date, else 0)."""
    date, figure, name = masks.date, masks.figure, masks.name
    at = np.flatnonzero(date | figure | name)
    kind = np.where(date[at], 0, np.where(figure[at], 1, 2))
    day = np.where(date[at], np.roll(norm, -1)[at] + 1, 0)
    size = len(norms) + 1
    distinct, key = np.unique((kind * size + norm[at]) * size + day, return_inverse=True)
    names = []
    for code in distinct.tolist():
        rest, day_code = divmod(code, size)
        kind_code, word = divmod(rest, size)
        names.append(
            f"d:{norms[word]} {norms[day_code - 1]}"
            if kind_code == 0
            else f"{'f' if kind_code == 1 else 'n'}:{norms[word]}"
        )
    return _VectorKeys(text[at], key.reshape(-1), names, at)
