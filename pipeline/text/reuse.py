"""Text reuse between two documents, found without paragraphs: sentence seeds, extension, filter.

The method of the strongest PAN text-alignment systems (Sanchez-Perez et al. 2014), for one
document pair:

- **seeds**: sentence pairs whose content words (lemmas, no stopwords) agree by both a tf-idf
  cosine and a Dice coefficient of at least ``seed_similarity``. The idf is over the sentences
  of the two documents: words both documents use all over (their topic) weigh little.
- **extension**: seeds at most ``max_gap_sentences`` sentences apart in both documents join one
  passage (a copied paragraph whose sentences were reworded one by one, a summary's sentences
  condensing neighbouring ones); a passage holds every sentence between its first and last seed.
- **filter**: a passage is reuse when its two sides share ``min_shared_words`` distinct content
  words and ``min_containment`` of the smaller side's are found in the other. Same-topic
  pages share a sentence or two of common words, never a passage of this many. A passage of
  three sentence pairs or more may count a synonym as a word found (``min_synonym_containment``):
  machine obfuscation and spinners swap words for thesaurus entries. Seeds of three sentence pairs
  or more pass whatever their containment when every sentence between them, on both sides, pairs
  with one of the other as growth's pairs do (``_paired_throughout``): a sentence-by-sentence
  machine translation keeps the sentences and changes half the words.
- **growth**: a passage grows over the sentence pairs around it (within the seeds' gap) that
  agree by ``extension_similarity``, below the seeds', and share ``GROWTH_SHARED_WORDS``: an
  obfuscated copy rewords some sentences more than others. Seeds that fail the filter are
  filtered again with the pairs they grow over, when they make three sentence pairs or more.
- **summaries**: sentence pairs close together on one side only (seeds, and pairs that agree as
  growth's do), not runs copied sentence for sentence, make one passage over the other side's
  paired sentences (a summary condensing an article).
- **verbatim ends**: runs of ``verbatim_words`` or more words in a row, equal in both documents,
  give a passage its exact ends: a copy cut mid-sentence starts where the copied words start,
  and a run just outside the seeds (a fragment too short to seed) is part of the passage.

Sentences are given by the caller (``start``, ``end``, ``words``: the paraphrase stage's content
sentences), and so are the words with their offsets (for the verbatim runs).
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from pipeline.text.tokens import Token

# ``Lexicon.first_synonym``: the first of some words that a word could stand for, or None.
Synonyms = Callable[[str, Iterable[str]], str | None]


class SentenceLike(Protocol):
    start: int
    end: int
    words: frozenset[str]


SHORT_SEEDS = 2
# Sentences sharing fewer words are alike by chance (two words of a topic) at growth's similarity.
GROWTH_SHARED_WORDS = 3
# A summary is at most half as long as the text it condenses.
SUMMARY_RATIO = 2
# Seeds a summary's sentences need among their pairs: one seed and loose pairs around it is what
# same-topic articles make.
SUMMARY_SEEDS = 2


@dataclass(frozen=True)
class ReuseParams:
    # The first six are [paraphrase] settings: their defaults and docs live in ParaphraseParams alone.
    seed_similarity: float
    max_gap_sentences: int
    min_shared_words: int
    min_containment: float
    min_lone_containment: float
    min_lone_words: int
    min_summary_seeds: int = 3
    verbatim_words: int = 5
    # A verbatim run reaches a passage from this many words away (a fragment of a cut sentence
    # next to the seeds); runs further off are other text.
    verbatim_reach_words: int = 30
    # Runs this long move a passage's ends; shorter ones are phrases a rewording keeps.
    min_end_run_words: int = 8
    # Share of a passage's words in verbatim runs from which its ends are cut to the runs' ends.
    verbatim_trim_share: float = 0.5
    # A passage of three sentence pairs or more whose containment falls short passes when this
    # share of its smaller side's content words is found as themselves or as synonyms: machine
    # obfuscation and spinners swap half the words of a sentence. Same-topic text pairs up two
    # sentences at most (dev, paraphrase-dev, real-pan13-dev); their best three-pair hull reaches 0.75.
    min_synonym_containment: float = 0.8
    # A word n-gram found this often in one document is a stock phrase, never a run's start.
    max_ngram_repeats: int = 8
    # A passage grows over the sentence pairs around it that agree this much (``_grown``), below
    # the seeds' similarity; 1.0: never.
    extension_similarity: float = 0.2


@dataclass(frozen=True)
class ReusedPassage:
    """A passage of one document reused in the other: offsets into each document's text."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    seeds: int  # sentence pairs that seeded it
    shared_words: int  # distinct content words of both sides
    containment: float  # share of the smaller side's content words found in the other
    verbatim_share: float  # share of both sides' words inside verbatim runs


# Each content word's column in the sentence x word matrices, the same in every SeedIndex of the
# process (two documents' matrices multiply). A memo of words, not of documents: it grows with the
# vocabulary only.
_WORD_COLUMNS: dict[str, int] = {}


@dataclass(frozen=True)
class SeedIndex:
    """A document's sentences as seeding reads them, worked out once per document (not per pair):
    each sentence's words; its (word column, sentence) entries sorted by column (word columns
    shared process-wide), with each distinct column's first entry and count; and how many
    sentences hold each word."""

    words: list[frozenset[str]]
    sizes: np.ndarray
    sentence_of_entry: np.ndarray  # entries sorted by word column
    columns: np.ndarray  # distinct word columns, ascending
    first_entry: np.ndarray
    holder_count: np.ndarray
    holding: dict[str, int]  # word -> sentences holding it

    @classmethod
    def of(cls, sentences: Sequence[SentenceLike]) -> SeedIndex:
        words = [s.words for s in sentences]
        sizes = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        entries = list(itertools.chain.from_iterable(words))
        holding = Counter(entries)
        for word in holding:
            if word not in _WORD_COLUMNS:
                _WORD_COLUMNS[word] = len(_WORD_COLUMNS)
        column = np.fromiter(map(_WORD_COLUMNS.__getitem__, entries), dtype=np.int64, count=len(entries))
        # A stable sort by column keeps each column's sentences in text order.
        order = np.argsort(column, kind="stable")
        columns, first, count = np.unique(column[order], return_index=True, return_counts=True)
        sentence = np.repeat(np.arange(len(words), dtype=np.int64), sizes)
        return cls(words, sizes, sentence[order], columns, first, count, dict(holding))


def _shared_counts(x: SeedIndex, y: SeedIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, words shared) of the sentence pairs sharing a word, in numpy: the entries of each
    shared word joined, every x holder with every y holder, then counted by pair."""
    _, at_x, at_y = np.intersect1d(x.columns, y.columns, assume_unique=True, return_indices=True)
    empty = np.empty(0, dtype=np.int64)
    if not len(at_x):
        return empty, empty, empty
    per_x, per_y = x.holder_count[at_x], y.holder_count[at_y]
    pairs = per_x * per_y
    word = np.repeat(np.arange(len(at_x)), pairs)
    offset = np.arange(int(pairs.sum())) - np.repeat(np.cumsum(pairs) - pairs, pairs)
    i = x.sentence_of_entry[x.first_entry[at_x][word] + offset // per_y[word]]
    j = y.sentence_of_entry[y.first_entry[at_y][word] + offset % per_y[word]]
    codes, counts = np.unique(i * len(y.words) + j, return_counts=True)
    return codes // len(y.words), codes % len(y.words), counts


class PairWeights:
    """The tf-idf weights of two documents' sentence words, for cosines between their sentences.

    Binary tf, idf = ln(n / df) over the n sentences of both documents; each word's weight and
    each sentence's norm is worked out once, when first needed."""

    def __init__(self, x: SeedIndex, y: SeedIndex) -> None:
        self.x, self.y = x, y
        self._n = len(x.words) + len(y.words)
        self._weights: dict[str, float] = {}
        self._norms_x: dict[int, float] = {}
        self._norms_y: dict[int, float] = {}
        self._shared: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._close: dict[tuple[float, int], list[tuple[int, int]]] = {}
        self._agreeing: dict[tuple[float, int], list[tuple[int, int]]] = {}

    def shared_counts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(i, j, words shared) of the sentence pairs sharing a word (``_shared_counts``), once."""
        if self._shared is None:
            self._shared = _shared_counts(self.x, self.y)
        return self._shared

    def close_pairs(self, similarity: float, least_shared: int = 1) -> list[tuple[int, int]]:
        """(i, j) of the sentence pairs sharing ``least_shared`` words whose Dice reaches
        ``similarity``: the only pairs ``alike`` can accept, in (i, j) order."""
        if not self.x.words or not self.y.words:
            return []
        if (similarity, least_shared) not in self._close:
            rows, cols, counts = self.shared_counts()
            close = (2 * counts >= similarity * (self.x.sizes[rows] + self.y.sizes[cols])) & (counts >= least_shared)
            self._close[similarity, least_shared] = list(zip(rows[close].tolist(), cols[close].tolist()))
        return self._close[similarity, least_shared]

    def agreeing(self, similarity: float, least_shared: int) -> list[tuple[int, int]]:
        """The ``close_pairs`` that are ``alike`` by ``similarity``, in (i, j) order, once."""
        if (similarity, least_shared) not in self._agreeing:
            close = self.close_pairs(similarity, least_shared)
            self._agreeing[similarity, least_shared] = [(i, j) for i, j in close if self.alike(i, j, similarity)]
        return self._agreeing[similarity, least_shared]

    def weight(self, word: str) -> float:
        """idf squared: a word's share of a dot product of two sentences holding it."""
        if word not in self._weights:
            self._weights[word] = math.log(self._n / (self.x.holding.get(word, 0) + self.y.holding.get(word, 0))) ** 2
        return self._weights[word]

    def alike(self, i: int, j: int, similarity: float) -> bool:
        """Whether ``x``'s sentence ``i`` and ``y``'s ``j`` agree by Dice and cosine of at least ``similarity``."""
        a, b = self.x.words[i], self.y.words[j]
        shared = a & b
        if not shared or 2 * len(shared) < similarity * (len(a) + len(b)):
            return False
        product = sum(self.weight(w) for w in shared)
        if product <= 1e-12:
            return False  # words that every sentence holds weigh nothing: no cosine without others
        if i not in self._norms_x:
            self._norms_x[i] = sum(self.weight(w) for w in a)
        if j not in self._norms_y:
            self._norms_y[j] = sum(self.weight(w) for w in b)
        return product >= similarity * math.sqrt(self._norms_x[i] * self._norms_y[j]) - 1e-9


def sentence_seeds(
    x: SeedIndex, y: SeedIndex, similarity: float, weights: PairWeights | None = None
) -> list[tuple[int, int]]:
    """(i, j) pairs of sentences whose tf-idf cosine and Dice are both at least ``similarity``
    (``PairWeights``).

    The words each sentence pair shares are counted in numpy (Dice needs only the count, and
    rules out most); the cosine is worked out for the few left."""
    return list((weights or PairWeights(x, y)).agreeing(similarity, 1))


def seed_groups(seeds: list[tuple[int, int]], max_gap: int) -> list[list[tuple[int, int]]]:
    """Seeds joined when at most ``max_gap`` sentences lie between them in both documents
    (single link), each group in (i, j) order."""
    ordered = sorted(seeds)
    parent = list(range(len(ordered)))

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    reach = max_gap + 1
    for k, (i, j) in enumerate(ordered):
        for m in range(k + 1, len(ordered)):
            i2, j2 = ordered[m]
            if i2 - i > reach:
                break
            if abs(j2 - j) <= reach:
                parent[find(m)] = find(k)
    groups: dict[int, list[tuple[int, int]]] = {}
    for k, seed in enumerate(ordered):
        groups.setdefault(find(k), []).append(seed)
    return list(groups.values())


@dataclass(frozen=True)
class Run:
    """Words ``a[i : i + size]`` equal to ``b[j : j + size]``."""

    i: int
    j: int
    size: int


def verbatim_runs(a: Sequence[str], b: Sequence[str], n: int, max_repeats: int) -> list[Run]:
    """Maximal runs of at least ``n`` equal words in a row in ``a`` and ``b``, from shared word
    n-grams (an n-gram that ``a`` repeats more than ``max_repeats`` times starts none)."""
    if len(a) < n or len(b) < n:
        return []
    grams_a, grams_b = list(zip(*(a[k:] for k in range(n)))), list(zip(*(b[k:] for k in range(n))))
    # Where each n-gram of ``b`` is in ``a`` (all its places: the repeats count); most of ``a``'s are
    # not in ``b``, and are never looked up.
    in_b = set(grams_b)
    where: dict[tuple[str, ...], list[int]] = {}
    for i in [i for i, gram in enumerate(grams_a) if gram in in_b]:
        where.setdefault(grams_a[i], []).append(i)
    where = {gram: places for gram, places in where.items() if len(places) <= max_repeats}
    # diagonal i - j -> start j of the run that reached the last j found; a run ends at the first
    # j after it that is not on its diagonal (one past ``last``, when no n-gram was found between).
    ongoing: dict[int, int] = {}
    runs: list[Run] = []
    last = -2
    for j in [j for j, gram in enumerate(grams_b) if gram in where]:
        if j != last + 1:
            runs += [Run(start + d, start, last - start + n) for d, start in ongoing.items()]
            ongoing = {}
        current = {i - j: ongoing.get(i - j, j) for i in where[grams_b[j]]}
        runs += [Run(start + d, start, j - start + n - 1) for d, start in ongoing.items() if d not in current]
        ongoing, last = current, j
    runs += [Run(start + d, start, last - start + n) for d, start in ongoing.items()]
    return sorted(runs, key=lambda r: (r.i, r.j))


def reused_passages(
    x: Sequence[SentenceLike],
    y: Sequence[SentenceLike],
    words_x: Sequence[Token] | Callable[[], Sequence[Token]],
    words_y: Sequence[Token] | Callable[[], Sequence[Token]],
    params: ReuseParams,
    index_x: SeedIndex | None = None,
    index_y: SeedIndex | None = None,
    first_synonym: Synonyms | None = None,
) -> list[ReusedPassage]:
    """The passages of ``x``'s document reused in ``y``'s (module doc), in ``x`` order.

    ``x`` and ``y`` are the documents' sentences in text order, ``words_x`` and ``words_y`` their
    words in text order, offsets into the same texts as the sentences' (or a function giving
    them: most pairs are settled before the words are needed); ``index_x`` and ``index_y`` their
    ``SeedIndex`` when the caller keeps them (a document is in many pairs); ``first_synonym``
    (``Lexicon.first_synonym``) lets a passage of several sentence pairs count synonyms as shared
    words (``min_synonym_containment``).
    """
    index_x, index_y = index_x or SeedIndex.of(x), index_y or SeedIndex.of(y)
    weights = PairWeights(index_x, index_y)
    seeds = sentence_seeds(index_x, index_y, params.seed_similarity, weights)
    groups = seed_groups(seeds, params.max_gap_sentences)
    kept = []
    for group in groups:
        found = _filtered(group, x, y, weights, params, first_synonym)
        if found is not None:
            (i0, i1, j0, j1), pairs, shared, containment = found
            kept.append((x[i0].start, x[i1].end, y[j0].start, y[j1].end, pairs, shared, containment))
    if params.min_summary_seeds:
        kept += _summaries(x, y, seeds, groups, params, weights)
    if not kept:
        return []
    words_x = words_x() if callable(words_x) else words_x
    words_y = words_y() if callable(words_y) else words_y
    keys_x, keys_y = [t.norm for t in words_x], [t.norm for t in words_y]
    runs = verbatim_runs(keys_x, keys_y, params.verbatim_words, params.max_ngram_repeats)
    starts_x, starts_y = [t.start for t in words_x], [t.start for t in words_y]
    passages = [_with_verbatim_ends(p, runs, words_x, words_y, starts_x, starts_y, params) for p in kept]
    # A sentence or so (a newsletter line, a quoted statement, once a copy's ends are cut to its
    # verbatim words) is what unrelated pages share: such a passage must be long.
    found = [
        p
        for p in sorted(_merge_overlapping(passages), key=lambda p: (p.a_start, p.b_start))
        if p.seeds > SHORT_SEEDS
        or min(_words_in(starts_x, p.a_start, p.a_end), _words_in(starts_y, p.b_start, p.b_end))
        >= params.min_lone_words
    ]
    if params.extension_similarity >= 1:
        return found
    extended = [_extended(p, x, y, weights, params) for p in found]
    return sorted(_merge_overlapping(extended), key=lambda p: (p.a_start, p.b_start))


def _filtered(
    group: list[tuple[int, int]],
    x: Sequence[SentenceLike],
    y: Sequence[SentenceLike],
    weights: PairWeights,
    params: ReuseParams,
    first_synonym: Synonyms | None,
) -> tuple[tuple[int, int, int, int], int, int, float] | None:
    """A group of seeds as a passage that passes the filter: its sentence hull, the sentence pairs
    it holds, its shared words and containment; None when it does not pass."""
    seeded = min(i for i, _ in group), max(i for i, _ in group), min(j for _, j in group), max(j for _, j in group)
    # One sentence pair alone is the most that same-topic text shares: it must be a close match.
    least = params.min_containment if len(group) > 1 else params.min_lone_containment
    hull, pairs = seeded, len(group)
    shared, containment = _shared_words(x, y, hull)
    if (shared < params.min_shared_words or containment < least) and params.extension_similarity < 1:
        # Seeds too few to be reuse, with the sentence pairs around them that agree less: a
        # passage whose sentences were reworded unevenly. Three pairs at least, as for any passage.
        hull, added = _grown(hull, weights, params)
        if pairs + added <= SHORT_SEEDS:
            return None
        pairs += added
        shared, containment = _shared_words(x, y, hull)
        least = params.min_containment
    if shared < params.min_shared_words:
        return None
    if containment >= least:
        return hull, pairs, shared, containment
    if pairs <= SHORT_SEEDS:
        return None
    if first_synonym is not None and _synonym_containment(x, y, hull, first_synonym) >= params.min_synonym_containment:
        return hull, pairs, shared, containment
    # Seeds of three sentence pairs or more whose every sentence, on both sides, pairs with one of
    # the other side as growth's pairs do: a text translated sentence by sentence, in other words.
    if len(group) > SHORT_SEEDS and _paired_throughout(seeded, weights, params):
        shared, containment = _shared_words(x, y, seeded)
        if shared >= params.min_shared_words:
            return seeded, len(group), shared, containment
    return None


def _paired_throughout(hull: tuple[int, int, int, int], weights: PairWeights, params: ReuseParams) -> bool:
    """Whether every sentence of both sides of ``hull`` is in a pair inside it that agrees by
    ``extension_similarity`` with ``GROWTH_SHARED_WORDS`` words shared."""
    i0, i1, j0, j1 = hull
    inside = [(i, j) for i, j in _loose_pairs(weights, params) if i0 <= i <= i1 and j0 <= j <= j1]
    return len({i for i, _ in inside}) == i1 - i0 + 1 and len({j for _, j in inside}) == j1 - j0 + 1


def _extended(
    passage: ReusedPassage,
    x: Sequence[SentenceLike],
    y: Sequence[SentenceLike],
    weights: PairWeights,
    params: ReuseParams,
) -> ReusedPassage:
    """The passage grown over the sentence pairs around it that agree less than seeds (``_grown``):
    an obfuscated copy rewords some sentences more than others. A verbatim copy's ends are its
    runs' ends, and stay."""
    if passage.verbatim_share >= params.verbatim_trim_share:
        return passage
    i0, i1 = _sentence_range(x, passage.a_start, passage.a_end)
    j0, j1 = _sentence_range(y, passage.b_start, passage.b_end)
    if i0 > i1 or j0 > j1:
        return passage
    (i0, i1, j0, j1), _ = _grown((i0, i1, j0, j1), weights, params)
    return replace(
        passage,
        a_start=min(passage.a_start, x[i0].start),
        a_end=max(passage.a_end, x[i1].end),
        b_start=min(passage.b_start, y[j0].start),
        b_end=max(passage.b_end, y[j1].end),
    )


def _loose_pairs(weights: PairWeights, params: ReuseParams) -> list[tuple[int, int]]:
    """The sentence pairs that agree as growth reads them: ``extension_similarity`` with
    ``GROWTH_SHARED_WORDS`` words shared (seeds among them)."""
    return weights.agreeing(params.extension_similarity, GROWTH_SHARED_WORDS)


def _grown(
    hull: tuple[int, int, int, int], weights: PairWeights, params: ReuseParams
) -> tuple[tuple[int, int, int, int], int]:
    """Sentence hull (i0, i1, j0, j1) grown over the sentence pairs within the seeds' gap of it,
    neither sentence inside it, that agree by ``extension_similarity`` with
    ``GROWTH_SHARED_WORDS`` words shared, until none is left; and how many pairs it took."""
    i0, i1, j0, j1 = hull
    reach = params.max_gap_sentences + 1
    loose = _loose_pairs(weights, params)
    added = 0
    while True:
        near = next(
            (
                (i, j)
                for i, j in loose
                if i0 - reach <= i <= i1 + reach
                and j0 - reach <= j <= j1 + reach
                and not (i0 <= i <= i1 or j0 <= j <= j1)
            ),
            None,
        )
        if near is None:
            return (i0, i1, j0, j1), added
        i, j = near
        i0, i1, j0, j1 = min(i0, i), max(i1, i), min(j0, j), max(j1, j)
        added += 1


def _sentence_range(sentences: Sequence[SentenceLike], start: int, end: int) -> tuple[int, int]:
    """First and last index of the sentences overlapping [start, end) (first > last: none)."""
    first = bisect_right([s.end for s in sentences], start)
    return first, bisect_left([s.start for s in sentences], end) - 1


def _sides(
    x: Sequence[SentenceLike], y: Sequence[SentenceLike], hull: tuple[int, int, int, int]
) -> tuple[frozenset[str], frozenset[str]]:
    """The content words of each side of a sentence hull."""
    i0, i1, j0, j1 = hull
    return frozenset().union(*(s.words for s in x[i0 : i1 + 1])), frozenset().union(*(s.words for s in y[j0 : j1 + 1]))


def _shared_words(
    x: Sequence[SentenceLike], y: Sequence[SentenceLike], hull: tuple[int, int, int, int]
) -> tuple[int, float]:
    """Distinct content words both sides of a sentence hull hold, and their share of the smaller side's."""
    side_x, side_y = _sides(x, y, hull)
    shared = len(side_x & side_y)
    return shared, shared / max(1, min(len(side_x), len(side_y)))


def _synonym_containment(
    x: Sequence[SentenceLike], y: Sequence[SentenceLike], hull: tuple[int, int, int, int], first_synonym: Synonyms
) -> float:
    """The share of the smaller side's content words found in the other side, as themselves or as
    a synonym of a word of it found no other way (each word stands for one)."""
    small, big = sorted(_sides(x, y, hull), key=len)
    # Sorted: which synonym a word takes must not depend on the process's string hashing.
    left = sorted(big - small)
    found = len(small & big)
    for word in sorted(small - big):
        match = first_synonym(word, left)
        if match is not None:
            left.remove(match)
            found += 1
    return found / max(1, len(small))


def _words_in(starts: list[int], start: int, end: int) -> int:
    lo, hi = _word_range(starts, start, end)
    return hi - lo


def _summaries(
    x: Sequence[SentenceLike],
    y: Sequence[SentenceLike],
    seeds: list[tuple[int, int]],
    groups: list[list[tuple[int, int]]],
    params: ReuseParams,
    weights: PairWeights,
) -> list[tuple[int, int, int, int, int, int, float]]:
    """Passages of one document condensing sentences all over the other (a summary of an article):
    ``min_summary_seeds`` sentences close together on one side only, each paired with a sentence
    of the other by a seed or by a pair that agrees as growth's do (``extension_similarity``,
    ``GROWTH_SHARED_WORDS``: a summary rewords more than a copy), two of them by seeds at least;
    most of those seeds in no run of seeds copied sentence for sentence (copied passages, of one
    source region or several, are such runs; a summary's sentences may condense neighbouring ones
    in order, a run stretched on the other side: ``_condensing``), over at least ``SUMMARY_RATIO``
    times their length on the other side. The condensed side's content words must be found in the
    paired sentences of the other, whose passage is their hull."""
    if len(seeds) < SUMMARY_SEEDS:
        return []
    group_of = {seed: k for k, group in enumerate(groups) for seed in group}
    seeded = set(seeds)
    weak = [pair for pair in _loose_pairs(weights, params) if pair not in seeded]
    found = []
    for side in (0, 1):
        dense, spread = (x, y) if side == 0 else (y, x)
        ordered = sorted(seeds + weak, key=lambda seed: (seed[side], seed[1 - side]))
        one_sided: list[list[tuple[int, int]]] = []
        for seed in ordered:
            if one_sided and seed[side] - one_sided[-1][-1][side] <= params.max_gap_sentences + 1:
                one_sided[-1].append(seed)
            else:
                one_sided.append([seed])
        for group in one_sided:
            strong = [seed for seed in group if seed in seeded]
            if len(strong) < SUMMARY_SEEDS or len({seed[side] for seed in group}) < params.min_summary_seeds:
                continue
            runs = [groups[group_of[seed]] for seed in strong]
            if sum(len(run) > 1 and not _condensing(run, side) for run in runs) * 2 > len(strong):
                continue
            d0, d1 = group[0][side], group[-1][side]
            others = sorted({seed[1 - side] for seed in group})
            condensed_chars = dense[d1].end - dense[d0].start
            spread_chars = spread[others[-1]].end - spread[others[0]].start
            if spread_chars < SUMMARY_RATIO * condensed_chars:
                continue
            condensed = frozenset().union(*(s.words for s in dense[d0 : d1 + 1]))
            sources = frozenset().union(*(spread[k].words for k in others))
            shared = len(condensed & sources)
            containment = shared / max(1, len(condensed))
            if shared >= params.min_shared_words and containment >= params.min_containment:
                d_start, d_end = dense[d0].start, dense[d1].end
                s_start, s_end = spread[others[0]].start, spread[others[-1]].end
                if side == 0:
                    found.append((d_start, d_end, s_start, s_end, len(group), shared, containment))
                else:
                    found.append((s_start, s_end, d_start, d_end, len(group), shared, containment))
    return found


def _condensing(group: list[tuple[int, int]], side: int) -> bool:
    """Whether a run of seeds covers more sentences of the other document than of ``side``'s:
    ``side``'s sentences condense the other's. A copied run (sentence for sentence), or one
    condensing the other way, does not."""
    extent = [max(seed[k] for seed in group) - min(seed[k] for seed in group) for k in (0, 1)]
    # A seed or two of one sentence matching its neighbour's partner too stretches a copy a little.
    return extent[1 - side] > extent[side] + 1 + max(extent) // 4


def _word_range(starts: list[int], start: int, end: int) -> tuple[int, int]:
    """Indices [lo, hi) of the words starting inside [start, end)."""
    return bisect_left(starts, start), bisect_left(starts, end)


def _with_verbatim_ends(
    passage: tuple[int, int, int, int, int, int, float],
    runs: list[Run],
    words_x: Sequence[Token],
    words_y: Sequence[Token],
    starts_x: list[int],
    starts_y: list[int],
    params: ReuseParams,
) -> ReusedPassage:
    """The passage's sentence hull, its ends moved to the verbatim runs that reach it.

    On each side the passage starts where the first long run (``min_end_run_words``) does when
    that run starts before the hull or within ``verbatim_reach_words`` of its start (the rest of
    a sentence cut mid-way), and ends likewise; a reworded sentence keeps its own ends, since
    short runs (a stock phrase inside it) move nothing."""
    a0, a1, b0, b1, seeds, shared, containment = passage
    xa, xb = _word_range(starts_x, a0, a1)
    ya, yb = _word_range(starts_y, b0, b1)
    reach = params.verbatim_reach_words
    near = [
        r
        for r in runs
        if r.i < xb + reach and r.i + r.size > xa - reach and r.j < yb + reach and r.j + r.size > ya - reach
    ]
    long_runs = [r for r in near if r.size >= params.min_end_run_words]
    # A verbatim copy cut mid-sentence starts and ends where its runs do; a reworded passage keeps
    # its sentences' ends (the words it kept from mid-sentence on are no cut), runs only extend it.
    trim = _covered_share(near, xa, xb, ya, yb) >= params.verbatim_trim_share
    if long_runs:
        xa, xb = _moved_ends(xa, xb, [(r.i, r.i + r.size) for r in long_runs], reach, trim)
        ya, yb = _moved_ends(ya, yb, [(r.j, r.j + r.size) for r in long_runs], reach, trim)
    covered_x = sum(max(0, min(r.i + r.size, xb) - max(r.i, xa)) for r in near)
    covered_y = sum(max(0, min(r.j + r.size, yb) - max(r.j, ya)) for r in near)
    total = max(1, (xb - xa) + (yb - ya))
    return ReusedPassage(
        words_x[xa].start if xa < xb else a0,
        words_x[xb - 1].end if xa < xb else a1,
        words_y[ya].start if ya < yb else b0,
        words_y[yb - 1].end if ya < yb else b1,
        seeds,
        shared,
        containment,
        min(1.0, (covered_x + covered_y) / total),
    )


def _moved_ends(lo: int, hi: int, runs: list[tuple[int, int]], reach: int, trim: bool) -> tuple[int, int]:
    first = min(start for start, _ in runs)
    last = max(end for _, end in runs)
    inward = reach if trim else 0
    return (first if first < lo + inward else lo), (last if last > hi - inward else hi)


def _covered_share(runs: list[Run], xa: int, xb: int, ya: int, yb: int) -> float:
    covered = sum(
        max(0, min(r.i + r.size, xb) - max(r.i, xa)) + max(0, min(r.j + r.size, yb) - max(r.j, ya)) for r in runs
    )
    return covered / max(1, (xb - xa) + (yb - ya))


_CLOSING = ".,;:!?\"'”’)]…"


def extend_over_closing(text: str, end: int) -> int:
    """Move a span end over the punctuation that closes its last word ('... talks."')."""
    while end < len(text) and text[end] in _CLOSING:
        end += 1
    return end


def _merge_overlapping(passages: list[ReusedPassage]) -> list[ReusedPassage]:
    """Passages overlapping on both sides, once their ends moved, as one."""
    out: list[ReusedPassage] = []
    for p in sorted(passages, key=lambda p: (p.a_start, p.b_start)):
        if out:
            q = out[-1]
            if p.a_start < q.a_end and p.b_start < q.b_end and q.b_start < p.b_end:
                out[-1] = ReusedPassage(
                    q.a_start,
                    max(q.a_end, p.a_end),
                    min(q.b_start, p.b_start),
                    max(q.b_end, p.b_end),
                    q.seeds + p.seeds,
                    max(q.shared_words, p.shared_words),
                    max(q.containment, p.containment),
                    max(q.verbatim_share, p.verbatim_share),
                )
                continue
        out.append(p)
    return out
