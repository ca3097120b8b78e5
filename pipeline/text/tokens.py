"""Word tokens with character offsets, and the surface-normal form used for matching.

The normal form removes differences that say nothing about copying: case, quote
and dash styles, abbreviation dots ("U.S." = "US"), digit grouping ("1,000" =
"1000"), month abbreviations ("Oct." = "October"), number words ("two" = "2")
and "per cent" / "percent" / "%". Synonym folding is a separate, later step
(pipeline.text.synonyms) so the surface form stays available as evidence.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import polars as pl
import pyarrow as pa

from pipeline.runtime.parallel import even_slices, thread_map
from pipeline.core.tables import sorted_unique

# An abbreviation ("U.S."), a number ("1,000.5"), a word (with inner apostrophes), or "%".
_TOKEN = re.compile(
    r"(?:[^\W\d_]\.){2,}"
    r"|\d+(?:[.,]\d+)*"
    r"|[^\W_](?:[^\W_]|[\u0300-\u036f])*(?:['’][^\W_]+)*"  # combining accents stay inside the word
    r"|%"
)

# The same pattern in Rust regex syntax, for Polars' vectorised extraction. Python's ``[^\W_]``
# (str.isalnum) is Unicode letters and numbers, ``\d`` is Nd: spelled out as categories here because
# Rust's ``\w`` also takes marks and connectors (tested equal on arbitrary Unicode text).
TOKEN_RUST = (
    r"(?:[\p{L}\p{Nl}\p{No}]\.){2,}"
    r"|\d+(?:[.,]\d+)*"
    r"|[\p{L}\p{N}](?:[\p{L}\p{N}]|[\x{0300}-\x{036f}])*(?:['’][\p{L}\p{N}]+)*"
    r"|%"
)


@lru_cache(maxsize=1)
def _classed_apart_rust() -> str | None:
    """A Rust regex class of the characters that TOKEN_RUST's classes sort differently from _TOKEN's
    (letter or number, decimal digit), or None. Python's re reads Python's Unicode database (14.0 in
    Python 3.11), Polars' regex crate its own, newer one: with Polars 2.1, 9,392 characters unassigned
    in 14.0 are letters or digits there (CJK Extension H, Kawi, ...). Found by both engines reading
    every code point, once per process (0.3 s)."""
    everything = "".join(map(chr, itertools.chain(range(0xD800), range(0xE000, 0x110000))))
    series = pl.Series(values=[everything], dtype=pl.String)
    apart: set[str] = set()
    for python_class, rust_class in ((r"[^\W_]+", r"[\p{L}\p{N}]+"), (r"\d+", r"\d+")):
        in_python = set("".join(re.findall(python_class, everything)))
        apart |= in_python.symmetric_difference("".join(series.str.extract_all(rust_class)[0].to_list()))
    ranges: list[list[int]] = []
    for code in sorted(map(ord, apart)):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "[" + "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges) + "]" if ranges else None


def tokenized_alike_by_rust(texts: pl.Series) -> pl.Series:
    """Whether TOKEN_RUST finds exactly _TOKEN's tokens in each text: it holds no character the two
    engines' Unicode tables class apart (see _classed_apart_rust)."""
    apart = _classed_apart_rust()
    return pl.repeat(True, len(texts), eager=True) if apart is None else ~texts.str.contains(apart)


MONTHS = {
    "jan": "january", "feb": "february", "mar": "march", "apr": "april", "jun": "june",
    "jul": "july", "aug": "august", "sep": "september", "sept": "september", "oct": "october",
    "nov": "november", "dec": "december",
}
NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13",
    "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18",
    "nineteen": "19", "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "hundred": "100",
    "thousand": "1000", "million": "1000000", "billion": "1000000000",
}
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor not now of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves s t don didn doesn isn wasn weren
    won wouldn shouldn couldn may might must shall would upon per via""".split()
)


class Token(NamedTuple):
    """One word of a text: ``text[start:end]`` is ``surface``; ``norm`` is what matching compares.

    A named tuple: every stage tokenises every passage, and a frozen dataclass cost half the time.
    """

    start: int
    end: int
    surface: str
    norm: str

    @property
    def is_capitalised(self) -> bool:
        return self.surface[:1].isupper()


@lru_cache(maxsize=1 << 17)  # news vocabulary repeats: most words are normalised once
def normal_form(surface: str) -> str:
    """Surface-normal form of one token (see module doc)."""
    word = surface.casefold().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if "." in word and not word[0].isdigit():
        word = word.replace(".", "")
    elif word[0].isdigit():
        word = word.replace(",", "")
    if word == "%" or word == "percent":
        return "percent"
    return MONTHS.get(word, NUMBER_WORDS.get(word, word))


# _TOKEN as the separator of re.split, which then returns gap, token, gap, ..., token, gap.
_TOKEN_SPLIT = re.compile(f"({_TOKEN.pattern})")


def tokenize(text: str) -> list[Token]:
    """Tokens of ``text`` with offsets; "per cent" becomes one token, like "percent" and "%"."""
    # Built in C where no "cent" may merge (nearly every text): the offsets are running sums of the
    # split pieces' lengths, and a Python call per token was most of the cost.
    pieces = _TOKEN_SPLIT.split(text)
    surfaces = pieces[1::2]
    norms = list(map(normal_form, surfaces))
    if "cent" in norms:
        return _tokenize_one_by_one(text)
    bounds = list(itertools.accumulate(map(len, pieces)))
    return list(map(tuple.__new__, itertools.repeat(Token), zip(bounds[0:-1:2], bounds[1::2], surfaces, norms)))


def _tokenize_one_by_one(text: str) -> list[Token]:
    """``tokenize``'s definition, match by match, merging "per cent"."""
    tokens: list[Token] = []
    for match in _TOKEN.finditer(text):
        surface = match.group()
        norm = normal_form(surface)
        if norm == "cent" and tokens and tokens[-1].norm == "per" and tokens[-1].end + 1 >= match.start():
            previous = tokens.pop()
            tokens.append(Token(previous.start, match.end(), text[previous.start:match.end()], "percent"))
            continue
        tokens.append(Token(match.start(), match.end(), surface, norm))
    return tokens


def normal_words(text: str) -> list[str]:
    """``[t.norm for t in tokenize(text)]``, without building Token records (the fingerprint hot path)."""
    words: list[str] = []
    previous_end = -2
    for match in _TOKEN.finditer(text):
        norm = normal_form(match.group())
        if norm == "cent" and words and words[-1] == "per" and previous_end + 1 >= match.start():
            words[-1] = "percent"
        else:
            words.append(norm)
        previous_end = match.end()
    return words


def count_words(text: str) -> int:
    """Number of word tokens, as the passages table reports it."""
    return len(_TOKEN.findall(text))


def word_counts(texts: Sequence[str]) -> list[int]:
    """``[count_words(t) for t in texts]`` by Polars' regex kernel, ten times faster (tested equal);
    texts holding a character the two engines' Unicode tables class apart are counted by ``count_words``."""
    texts = list(texts)
    series = pl.Series(values=texts, dtype=pl.String)
    counts = series.str.count_matches(TOKEN_RUST).to_list()
    for i in np.flatnonzero(~tokenized_alike_by_rust(series).to_numpy()).tolist():
        counts[i] = count_words(texts[i])
    return counts


@dataclass(frozen=True)
class WordIds:
    """The normal words of many texts at once, as integer ids: text ``i`` is
    ``[vocabulary[j] for j in ids[offsets[i]:offsets[i + 1]]]``, equal to ``normal_words(texts[i])``."""

    offsets: np.ndarray  # int64, len(texts) + 1
    ids: np.ndarray  # int64 indexes into vocabulary
    vocabulary: list[str]

    def words(self, i: int) -> list[str]:
        return [self.vocabulary[j] for j in self.ids[self.offsets[i]:self.offsets[i + 1]]]


def normal_word_ids(texts: Sequence[str], parts: int = 1) -> WordIds:
    """``normal_words`` of every text, tokenised by Polars' regex kernel and normalised once per
    distinct surface form: the fingerprint stage's hot path (pure-Python tokenising capped it).

    ``parts`` > 1 cuts the texts into that many slices tokenised on threads (the kernel releases the GIL).
    """
    texts = list(texts)
    pieces = thread_map(_surfaces, [texts[start:start + length] for start, length in even_slices(len(texts), parts)])
    surfaces = pa.concat_arrays(pieces) if pieces else _surfaces([])
    offsets = surfaces.offsets.to_numpy().astype(np.int64)
    offsets -= offsets[0]
    encoded = pa.chunked_array([surfaces.flatten()]).combine_chunks().dictionary_encode()
    vocabulary: dict[str, int] = {}
    surface_to_word = np.fromiter(
        (vocabulary.setdefault(normal_form(s), len(vocabulary)) for s in encoded.dictionary.to_pylist()),
        dtype=np.int64, count=len(encoded.dictionary),
    )
    ids = surface_to_word[encoded.indices.to_numpy(zero_copy_only=False)]
    words = WordIds(offsets, ids, list(vocabulary))
    return _merge_per_cent(words, texts)


def _surfaces(texts: list[str]) -> pa.ListArray:
    return pl.Series(values=texts, dtype=pl.String).str.extract_all(TOKEN_RUST).to_arrow()


def _merge_per_cent(words: WordIds, texts: Sequence[str]) -> WordIds:
    """Redo, token by token, the few texts where "per" is followed by "cent": whether they merge
    into "percent" depends on the characters between them, which the vectorised pass does not keep."""
    try:
        per, cent = words.vocabulary.index("per"), words.vocabulary.index("cent")
    except ValueError:
        return words
    follows = np.flatnonzero((words.ids[1:] == cent) & (words.ids[:-1] == per)) + 1
    text_of = np.searchsorted(words.offsets, follows, side="right") - 1
    texts_hit = sorted_unique(text_of[words.offsets[text_of] < follows]).tolist()  # "per" ends the text before
    if not texts_hit:
        return words
    vocabulary = {w: i for i, w in enumerate(words.vocabulary)}
    pieces, lengths, start = [], np.diff(words.offsets), 0
    for i in texts_hit:
        pieces.append(words.ids[words.offsets[start]:words.offsets[i]])
        redone = [vocabulary.setdefault(w, len(vocabulary)) for w in normal_words(texts[i])]
        pieces.append(np.asarray(redone, dtype=np.int64))
        lengths[i] = len(redone)
        start = i + 1
    pieces.append(words.ids[words.offsets[start]:])
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return WordIds(offsets, np.concatenate(pieces), list(vocabulary))

