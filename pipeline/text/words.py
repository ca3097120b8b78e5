"""A passage's words as align compares them, and its anchors with their offsets.

``passage_words`` is the definition, token by token (tokenize, anchors_in, "<language name>
language" merged into one word). ``passage_words_of`` works out many passages at once with Polars'
regex kernel and numpy masks (tested equal): a Python call per token was a fifth of align's time.
``RecentPassageWords`` keeps the words of the passages aligned lately, for the history passages a
process aligns again in later batches.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipeline.text.anchors import Anchor, SurfaceFlags, anchor_masks, anchors_in, keys_of
from pipeline.text.sentences import BREAK_BETWEEN_TOKENS
from pipeline.text.synonyms import Lexicon
from pipeline.text.tokens import Token, TokenRows, token_rows, tokenize, tokenized_alike_by_rust


@dataclass(frozen=True)
class PassageWords:
    """A passage's words as align compares them, worked out once per passage (not once per pair)."""

    keys: tuple[str, ...]  # normal forms, "Chinese language" one word "chinese"
    starts: tuple[int, ...]  # offsets of each word into the passage text
    ends: tuple[int, ...]
    first_anchor: dict[str, Anchor]  # each anchor key's first occurrence, in text order


def passage_words(text: str, lexicon: Lexicon) -> PassageWords:
    """Words and anchors of a passage's text, tokenised once for both (the definition)."""
    tokens = tokenize(text)
    first_anchor: dict[str, Anchor] = {}
    for anchor in anchors_in(text, tokens):
        first_anchor.setdefault(anchor.key, anchor)
    merged = _merge_language_suffix(tokens, lexicon)
    return PassageWords(
        tuple(t.norm for t in merged), tuple(t.start for t in merged), tuple(t.end for t in merged), first_anchor
    )


def _merge_language_suffix(tokens: list[Token], lexicon: Lexicon) -> list[Token]:
    """'Chinese language' -> one token 'chinese' spanning both words."""
    merged: list[Token] = []
    for token in tokens:
        if token.norm == "language" and merged and lexicon.is_language_name(merged[-1].norm):
            previous = merged.pop()
            token = Token(previous.start, token.end, previous.surface, previous.norm)
        merged.append(token)
    return merged


def passage_words_of(texts: Sequence[str], lexicon: Lexicon) -> list[PassageWords]:
    """``[passage_words(t, lexicon) for t in texts]``, all texts at once (tested equal): Polars
    extracts the tokens, the anchor rules are anchors.anchor_key_rows' masks, and each distinct
    surface is normalised once.

    Texts holding a "cent" take ``passage_words``: whether "per cent" merges into one token depends
    on the gap between the two (anchor_key_rows does the same). So do the texts with a character
    Polars' Unicode tables class apart from Python's (tokens.tokenized_alike_by_rust).
    """
    texts = list(texts)
    return [
        words
        for start in range(0, len(texts), _WORDS_SLICE)
        for words in _passage_words_of_slice(texts[start : start + _WORDS_SLICE], lexicon)
    ]


# Texts worked out at once, for memory: every token and gap as strings and int64 arrays costs
# several times the words themselves. Any cut gives the same words.
_WORDS_SLICE = 1 << 15


def _passage_words_of_slice(texts: list[str], lexicon: Lexicon) -> list[PassageWords]:
    series = pl.Series(values=texts, dtype=pl.String)
    tokens = token_rows(series, BREAK_BETWEEN_TOKENS, offsets=True)
    surfaces = SurfaceFlags.of(tokens.surfaces)
    norm = surfaces.norm[tokens.surface]
    slow = np.zeros(len(texts), dtype=bool)
    slow[tokens.text[surfaces.is_cent[tokens.surface]]] = True
    slow |= ~tokenized_alike_by_rust(series).to_numpy()
    words = _words_by_text(tokens, norm, surfaces.norms, lexicon, len(texts))
    anchors = _first_anchors_by_text(tokens, surfaces, len(texts), slow)
    return [
        passage_words(text, lexicon) if is_slow else PassageWords(*word, anchor)
        for text, is_slow, word, anchor in zip(texts, slow.tolist(), words, anchors)
    ]


def _words_by_text(
    tokens: TokenRows, norm: np.ndarray, norms: list[str], lexicon: Lexicon, n_texts: int
) -> list[tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]]]:
    """Each text's ``(keys, starts, ends)`` after ``_merge_language_suffix``."""
    merged = _merged_into_previous(tokens.text, norm, norms, lexicon)
    kept = np.flatnonzero(~merged)
    last = np.append(kept, len(merged))[1:] - 1  # a kept token spans the merged ones after it
    # Whole tuples sliced: a tuple's slice is a tuple, a list's would be copied twice.
    keys = tuple(np.array(norms, dtype=object)[norm[kept]].tolist())
    starts, ends = tuple(tokens.start[kept].tolist()), tuple(tokens.end[last].tolist())
    bounds = np.searchsorted(tokens.text[kept], np.arange(n_texts + 1)).tolist()
    return [(keys[a:b], starts[a:b], ends[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def _merged_into_previous(text: np.ndarray, norm: np.ndarray, norms: list[str], lexicon: Lexicon) -> np.ndarray:
    """Which tokens ``_merge_language_suffix`` folds into the word before: a "language" after a
    language name, or after a "language" folded so (the merged word keeps the name's norm)."""
    merged = np.zeros(len(norm), dtype=bool)
    if "language" not in norms:
        return merged
    is_name = np.fromiter(map(lexicon.is_language_name, norms), dtype=bool, count=len(norms))
    # Rare ("Chinese language" is spinner output): token by token.
    for i in np.flatnonzero(norm == norms.index("language")).tolist():
        merged[i] = i > 0 and text[i - 1] == text[i] and (merged[i - 1] or is_name[norm[i - 1]])
    return merged


def _first_anchors_by_text(
    tokens: TokenRows, surfaces: SurfaceFlags, n_texts: int, skip: np.ndarray
) -> list[dict[str, Anchor]]:
    """Each text's first anchor of each key, in text order, as ``passage_words`` keeps them
    (empty for the texts ``skip`` marks)."""
    masks = anchor_masks(tokens, surfaces)
    found = keys_of(tokens.text, surfaces.norm[tokens.surface], surfaces.norms, masks)
    # Rows are in token order, so the first row of each (text, key) is its first occurrence.
    first = pl.Series(values=found.text_index * max(len(found.key_names), 1) + found.key).is_first_distinct()
    first = np.flatnonzero(first.to_numpy() & ~skip[found.text_index])
    at = found.token[first]
    end = tokens.end[at + masks.date[at]]  # a date ends with its day, the token after
    anchors: list[dict[str, Anchor]] = [{} for _ in range(n_texts)]
    names = np.array(found.key_names, dtype=object)[found.key[first]].tolist()
    for text, key, start, stop in zip(found.text_index[first].tolist(), names, tokens.start[at].tolist(), end.tolist()):
        anchors[text][key] = Anchor(key, start, stop)
    return anchors


class RecentPassageWords:
    """``passage_words`` of the passages aligned lately, the ``size`` most recently asked for.

    A history passage is aligned again in every later batch that pairs with it, in the same
    process (the eval, an Inbox catch-up). No Token objects are kept, so the entries stay small
    (a few kB each).
    """

    def __init__(self, entries: MutableMapping[tuple[str, Lexicon], PassageWords]) -> None:
        """``entries``: where the words are kept, a ``cachetools.LRUCache`` of the size wanted (a
        RunContext's ``passage_words``)."""
        self._entries = entries

    def words(self, text: str, lexicon: Lexicon) -> PassageWords:
        """``passage_words(text, lexicon)``; one text is cheaper by the definition."""
        found = self._get(text, lexicon)
        if found is None:
            found = passage_words(text, lexicon)
            self._put(text, lexicon, found)
        return found

    def words_of(self, texts: Sequence[str], lexicon: Lexicon) -> list[PassageWords]:
        """``[passage_words(t, lexicon) for t in texts]``, those not kept worked out at once."""
        found = [self._get(text, lexicon) for text in texts]
        missing = list(dict.fromkeys(text for text, words in zip(texts, found) if words is None))
        computed = dict(zip(missing, passage_words_of(missing, lexicon))) if missing else {}
        for text, words in computed.items():
            self._put(text, lexicon, words)
        return [computed[text] if words is None else words for text, words in zip(texts, found)]

    def _get(self, text: str, lexicon: Lexicon) -> PassageWords | None:
        return self._entries.get((text, lexicon))  # an LRUCache counts a hit as a use

    def _put(self, text: str, lexicon: Lexicon, words: PassageWords) -> None:
        self._entries[(text, lexicon)] = words  # an LRUCache lets the least recently used go past its size
