"""Word tokens with character offsets, and the surface-normal form used for matching.

The normal form removes differences that say nothing about copying: case, quote
and dash styles, abbreviation dots ("U.S." = "US"), digit grouping ("1,000" =
"1000"), month abbreviations ("Oct." = "October"), number words ("two" = "2")
and "per cent" / "percent" / "%". Synonym folding is a separate, later step
(pipeline.text.synonyms) so the surface form stays available as evidence.

One token rule (``TOKEN``, spelled ``TOKEN_RUST`` for Polars), two ways to apply it: ``tokenize``
one text at a time, ``token_rows`` many texts at once (text index, offsets, surface codes; tested
equal). ``NAME_TOKEN`` is the gazetteer's different rule, kept here beside it.
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
import pyarrow.compute as pc

from pipeline.core.tables import sorted_unique
from pipeline.runtime.parallel import even_slices, thread_map

# Scripts written without spaces between words (Chinese Han, Japanese kana): each character is a
# token of its own, so that shingles of them are character n-grams and a copied Chinese paragraph
# shares them (a clause would otherwise be one "word"). Hangul is written with spaces.
_UNSPACED = [
    (0x3040, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFF66, 0xFF9F),
    (0x20000, 0x2FA1F),
]
# Marks that stay inside a word: Latin combining accents, Hebrew points, Arabic harakat (vowel
# marks), which str.isalnum does not count as letters.
_MARKS = [(0x0300, 0x036F), (0x0591, 0x05C7), (0x0610, 0x061A), (0x064B, 0x065F), (0x0670, 0x0670), (0x06D6, 0x06ED)]


def _python_class(ranges: list[tuple[int, int]]) -> str:
    return "".join(f"{chr(a)}-{chr(b)}" for a, b in ranges)


def _rust_class(ranges: list[tuple[int, int]]) -> str:
    return "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges)


# The one definition of a word token, in two regex syntaxes: ``TOKEN`` for Python's re (``tokenize``,
# one text at a time) and ``TOKEN_RUST`` for Polars' vectorised kernel (``token_rows``, many texts at once).
# A character of an unspaced script, an abbreviation ("U.S."), a number ("1,000.5"), a word (with
# inner apostrophes and marks), or "%".
TOKEN = re.compile(
    f"[{_python_class(_UNSPACED)}](?<=[^\\W_])"  # a letter of those blocks (not an unassigned code point)
    r"|(?:[^\W\d_]\.){2,}"
    r"|\d+(?:[.,]\d+)*"
    f"|[^\\W_{_python_class(_UNSPACED)}](?:[^\\W_{_python_class(_UNSPACED)}]|[{_python_class(_MARKS)}])*"
    f"(?:['’][^\\W_{_python_class(_UNSPACED)}]+)*"
    r"|%"
)

# The same pattern in Rust regex syntax. Python's ``[^\W_]`` (str.isalnum) is Unicode letters and
# numbers, ``\d`` is Nd: spelled out as categories here because Rust's ``\w`` also takes marks and
# connectors (tested equal on arbitrary Unicode text).
_WORD_RUST = f"[[\\p{{L}}\\p{{N}}]--[{_rust_class(_UNSPACED)}]]"
TOKEN_RUST = (
    f"[[\\p{{L}}\\p{{N}}]&&[{_rust_class(_UNSPACED)}]]"
    r"|(?:[\p{L}\p{Nl}\p{No}]\.){2,}"
    r"|\d+(?:[.,]\d+)*"
    f"|{_WORD_RUST}(?:{_WORD_RUST}|[{_rust_class(_MARKS)}])*(?:['’]{_WORD_RUST}+)*"
    r"|%"
)

# What the outlet gazetteer matches names on: every run of word characters and every other
# non-space character alone. It differs from TOKEN on purpose: a name is matched token for token,
# its punctuation included ("Post-Gazette", "AT&T", "Yahoo!"), and "_" and marks belong to words.
NAME_TOKEN = re.compile(r"\w+|[^\w\s]")


@lru_cache(maxsize=1)
def _classed_apart_rust() -> str | None:
    """A Rust regex class of the characters that TOKEN_RUST's classes sort differently from TOKEN's
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
    """Whether TOKEN_RUST finds exactly TOKEN's tokens in each text: it holds no character the two
    engines' Unicode tables class apart (see _classed_apart_rust)."""
    apart = _classed_apart_rust()
    return pl.repeat(True, len(texts), eager=True) if apart is None else ~texts.str.contains(apart)


MONTHS = {
    "jan": "january",
    "feb": "february",
    "mar": "march",
    "apr": "april",
    "jun": "june",
    "jul": "july",
    "aug": "august",
    "sep": "september",
    "sept": "september",
    "oct": "october",
    "nov": "november",
    "dec": "december",
}
NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "thirteen": "13",
    "fourteen": "14",
    "fifteen": "15",
    "sixteen": "16",
    "seventeen": "17",
    "eighteen": "18",
    "nineteen": "19",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "hundred": "100",
    "thousand": "1000",
    "million": "1000000",
    "billion": "1000000000",
}
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "s",
        "t",
        "don",
        "didn",
        "doesn",
        "isn",
        "wasn",
        "weren",
        "won",
        "wouldn",
        "shouldn",
        "couldn",
        "may",
        "might",
        "must",
        "shall",
        "would",
        "upon",
        "per",
        "via",
    ]
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


# TOKEN as the separator of re.split, which then returns gap, token, gap, ..., token, gap.
_TOKEN_SPLIT = re.compile(f"({TOKEN.pattern})")


def tokenize(text: str) -> list[Token]:
    """Tokens of ``text`` with offsets; "per cent" becomes one token, like "percent" and "%"."""
    # Built in C: the offsets are running sums of the split pieces' lengths, and a Python call per
    # token was most of the cost. (tests/oracles.py holds the definition match by match.)
    pieces = _TOKEN_SPLIT.split(text)
    surfaces = pieces[1::2]
    norms = list(map(normal_form, surfaces))
    bounds = list(itertools.accumulate(map(len, pieces)))
    tokens = list(map(tuple.__new__, itertools.repeat(Token), zip(bounds[0:-1:2], bounds[1::2], surfaces, norms)))
    return _merge_per_cent(text, tokens) if "cent" in norms else tokens


def _merge_per_cent(text: str, tokens: list[Token]) -> list[Token]:
    """ "per" and a "cent" at most one character after it as one token "percent"."""
    merged: list[Token] = []
    for token in tokens:
        if token.norm == "cent" and merged and merged[-1].norm == "per" and merged[-1].end + 1 >= token.start:
            previous = merged.pop()
            token = Token(previous.start, token.end, text[previous.start : token.end], "percent")
        merged.append(token)
    return merged


def normal_words(text: str) -> list[str]:
    """``[t.norm for t in tokenize(text)]``, without building Token records where no "cent" may merge."""
    norms = list(map(normal_form, _TOKEN_SPLIT.split(text)[1::2]))
    return [t.norm for t in tokenize(text)] if "cent" in norms else norms


def count_words(text: str) -> int:
    """Number of TOKEN matches ("per cent" counts two), as the passages table reports it."""
    return len(TOKEN.findall(text))


def word_counts(texts: Sequence[str]) -> list[int]:
    """``[count_words(t) for t in texts]`` by Polars' regex kernel, ten times faster (tested equal);
    texts holding a character the two engines' Unicode tables class apart are counted by ``count_words``."""
    texts = list(texts)
    series = pl.Series(values=texts, dtype=pl.String)
    counts = series.str.count_matches(TOKEN_RUST).to_list()
    for i in np.flatnonzero(~tokenized_alike_by_rust(series).to_numpy()).tolist():
        counts[i] = count_words(texts[i])
    return counts


# ---------------------------------------------------------------------------- many texts at once
@dataclass(frozen=True)
class TokenRows:
    """TOKEN_RUST's tokens of many texts back to back, in text order, as codes into their distinct
    ``surfaces``: token ``r`` is ``surfaces[surface[r]]``, of text ``text[r]``; text ``i``'s tokens
    are rows ``bounds[i]:bounds[i + 1]``. No "per cent" is merged (see ``tokenize``)."""

    text: np.ndarray  # int64
    surface: np.ndarray  # int64 index into surfaces
    surfaces: list[str]
    bounds: np.ndarray  # int64, len(texts) + 1
    after_break: np.ndarray  # a character of ``breaks`` lies between the previous token and this one
    start: np.ndarray | None = None  # int64 character offsets into the token's text (``offsets=True``)
    end: np.ndarray | None = None


def token_rows(
    texts: pl.Series, breaks: frozenset[str] = frozenset(), offsets: bool = False, parts: int = 1
) -> TokenRows:
    """The tokens of every text of a String series by Polars' regex kernel (equal to ``tokenize``'s
    before "per cent" merges, where ``tokenized_alike_by_rust``), marking those after one of the
    ``breaks`` characters.

    ``offsets`` also finds each token's character offsets: a slower pass (every gap between two
    tokens is a match of its own), so asked for only where needed. ``parts`` > 1 cuts the texts into
    that many slices tokenised on threads (the kernel releases the GIL); not with ``offsets``.
    ``breaks`` go into a regex class as they are: no "]", "\\", "^" or "-".
    """
    if offsets:
        return _located_token_rows(texts, breaks)
    # Each break character is a match of its own between the tokens (no token starts with one).
    pattern = f"{TOKEN_RUST}|[{''.join(sorted(breaks))}]" if breaks else TOKEN_RUST
    per_text, codes, dictionary = _matches(texts, pattern, parts)
    pieces = dictionary.to_pylist()
    if not breaks:
        return TokenRows(_text_of(per_text), codes, pieces, _bounds(per_text), np.zeros(len(codes), dtype=bool))
    is_break = np.fromiter((s in breaks for s in pieces), dtype=bool, count=len(pieces))
    position = np.flatnonzero(~is_break[codes])  # of the tokens among the matches
    text = _text_of(per_text)[position]
    return TokenRows(
        text,
        codes[position],
        pieces,
        _bounds(np.bincount(text, minlength=len(texts))),
        np.diff(position, prepend=-1) > 1,
    )


# A gap between two tokens as one match: tokens and gaps are then the whole text, and a token's offset
# is the summed length of the matches before it. No token starts with a character outside
# [\p{L}\p{N}%], and one starts at each character inside it, so a gap is a run of those outside.
_GAP_RUST = r"[^\p{L}\p{N}%]+"


def _located_token_rows(texts: pl.Series, breaks: frozenset[str]) -> TokenRows:
    per_text, codes, dictionary = _matches(texts, f"{TOKEN_RUST}|{_GAP_RUST}", 1)
    pieces = pl.Series(values=dictionary)
    piece_is_token = pieces.str.contains(f"^(?:{_GAP_RUST})").not_().to_numpy()
    is_token = piece_is_token[codes]
    lengths = pc.utf8_length(dictionary).to_numpy().astype(np.int64)[codes]
    text = _text_of(per_text)
    ends = np.cumsum(lengths)
    text_start = np.concatenate([[0], ends])[np.cumsum(per_text) - per_text]  # each text's first match
    end = ends - text_start[text]
    at = np.flatnonzero(is_token)
    # Between two tokens of a text lies one gap match or none.
    after_break = np.zeros(len(at), dtype=bool)
    if breaks:
        has_break = pieces.str.contains(f"[{''.join(sorted(breaks))}]").to_numpy()[codes]
        after_break[at > 0] = (~is_token & has_break)[at[at > 0] - 1]
    token_pieces = np.flatnonzero(piece_is_token)
    surface_of_piece = np.zeros(len(piece_is_token), dtype=np.int64)
    surface_of_piece[token_pieces] = np.arange(len(token_pieces))
    return TokenRows(
        text[at],
        surface_of_piece[codes[at]],
        dictionary.take(pa.array(token_pieces)).to_pylist(),
        _bounds(np.bincount(text[at], minlength=len(texts))),
        after_break,
        end[at] - lengths[at],
        end[at],
    )


def _matches(texts: pl.Series, pattern: str, parts: int) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """Every match of ``pattern`` in the texts, back to back: (matches per text, each match's code,
    the distinct matches)."""
    found = thread_map(
        _extract_all, [(texts.slice(start, length), pattern) for start, length in even_slices(len(texts), parts)]
    )
    matches = pa.concat_arrays(found) if found else _extract_all((texts, pattern))
    per_text = np.diff(matches.offsets.to_numpy().astype(np.int64))
    encoded = pa.chunked_array([matches.flatten()], pa.large_string()).combine_chunks().dictionary_encode()
    return per_text, encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), encoded.dictionary


def _extract_all(texts_and_pattern: tuple[pl.Series, str]) -> pa.ListArray:
    texts, pattern = texts_and_pattern
    return texts.str.extract_all(pattern).to_arrow()


def _text_of(per_text: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(len(per_text), dtype=np.int64), per_text)


def _bounds(per_text: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(per_text)]).astype(np.int64)


@dataclass(frozen=True)
class WordIds:
    """The normal words of many texts at once, as integer ids: text ``i`` is
    ``[vocabulary[j] for j in ids[offsets[i]:offsets[i + 1]]]``, equal to ``normal_words(texts[i])``."""

    offsets: np.ndarray  # int64, len(texts) + 1
    ids: np.ndarray  # int64 indexes into vocabulary
    vocabulary: list[str]

    def words(self, i: int) -> list[str]:
        return [self.vocabulary[j] for j in self.ids[self.offsets[i] : self.offsets[i + 1]]]


def normal_word_ids(texts: Sequence[str], parts: int = 1) -> WordIds:
    """``normal_words`` of every text, from ``token_rows`` normalised once per distinct surface form:
    the fingerprint stage's hot path (pure-Python tokenising capped it). ``parts`` as in ``token_rows``."""
    texts = list(texts)
    tokens = token_rows(pl.Series(values=texts, dtype=pl.String), parts=parts)
    vocabulary: dict[str, int] = {}
    surface_to_word = np.fromiter(
        (vocabulary.setdefault(normal_form(s), len(vocabulary)) for s in tokens.surfaces),
        dtype=np.int64,
        count=len(tokens.surfaces),
    )
    words = WordIds(tokens.bounds, surface_to_word[tokens.surface], list(vocabulary))
    return _merge_per_cent_words(words, texts)


def _merge_per_cent_words(words: WordIds, texts: Sequence[str]) -> WordIds:
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
        pieces.append(words.ids[words.offsets[start] : words.offsets[i]])
        redone = [vocabulary.setdefault(w, len(vocabulary)) for w in normal_words(texts[i])]
        pieces.append(np.asarray(redone, dtype=np.int64))
        lengths[i] = len(redone)
        start = i + 1
    pieces.append(words.ids[words.offsets[start] :])
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return WordIds(offsets, np.concatenate(pieces), list(vocabulary))


# ---------------------------------------------------------------------------- outlet-name tokens
class NameToken(NamedTuple):  # built for every word of every sentence: a tuple is 2x cheaper than a dataclass
    """One NAME_TOKEN match: ``text[start:end]``."""

    start: int
    end: int
    text: str


# NAME_TOKEN as the separator of re.split, which then returns gap, token, gap, ..., token, gap.
_NAME_TOKEN_SPLIT = re.compile(f"({NAME_TOKEN.pattern})")


def name_tokens(text: str) -> list[NameToken]:
    """``[NameToken(m.start(), m.end(), m.group()) for m in NAME_TOKEN.finditer(text)]``, built in C:
    the offsets are running sums of the split pieces' lengths (a Python call per token was a fifth
    of find_credits)."""
    pieces = _NAME_TOKEN_SPLIT.split(text)
    bounds = list(itertools.accumulate(map(len, pieces)))
    return list(map(tuple.__new__, itertools.repeat(NameToken), zip(bounds[0:-1:2], bounds[1::2], pieces[1::2])))


class LazyNameTokens(Sequence[NameToken]):
    """``name_tokens(text)``, each token built when asked for: the gazetteer looks at the few tokens
    around the words that may begin a name, and a tuple for each of a news article's 560 words was
    a third of its time."""

    __slots__ = ("_pieces", "_bounds", "_n")

    def __init__(self, text: str) -> None:
        self._pieces = _NAME_TOKEN_SPLIT.split(text)  # gap, token, gap, ..., token, gap
        self._bounds = list(itertools.accumulate(map(len, self._pieces)))
        self._n = len(self._pieces) // 2

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(self._n))]
        if k < 0:
            k += self._n
        if not 0 <= k < self._n:
            raise IndexError(k)
        return NameToken(self._bounds[2 * k], self._bounds[2 * k + 1], self._pieces[2 * k + 1])

    def words(self) -> list[str]:
        return self._pieces[1::2]
