"""Stage 5: verify candidate pairs and say how the two passages relate, with evidence.

Each passage is tokenised once (pipeline.text.words); each candidate pair is aligned word by word.
A word of b that differs from every word of a but is a plausible synonym of a
word that a has and b lacks ("Home" for "House", "advised" for "told") is
folded onto that word, and "<language name> language" onto the language name
("Chinese language" for "Chinese"): this undoes synonym spinning without
throwing any word away. From the two token sequences:

- ``jaccard``: exact Jaccard of surface shingles (word k-grams, normal form);
- ``jaccard_folded`` / ``containment_a`` / ``containment_b``: the same over
  folded shingles; containment is what share of one side is found in the other
  (an excerpt is a small part of its source);
- ``aligned_ratio``: share of the longer side's words aligned in order (after
  folding); a heavy spin leaves few shingles but keeps names, numbers and
  function words in their order;
- ``spans``: runs of at least ``min_span_words`` aligned words (chained across
  changes of up to ``max_gap_words`` words), as character offsets into each
  document's text; for a same-story pair, the shared names, dates and figures.

Relations: ``verbatim`` (same words), ``near_copy`` (surface overlap),
``spun`` (overlap only after folding synonyms, or words aligned in order
around many synonym substitutions), ``same_story`` (no copied
text, but the same people, places, dates and figures: an independent report
of one event, never a copy). Pairs that are none of these are dropped.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_left
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pipeline.core.ids import doc_of, ordinal_of, passage_id
from pipeline.core.schema import COPY_RELATIONS, OVERLAPS
from pipeline.core.settings import setting
from pipeline.core.tables import conform, rows_of_documents
from pipeline.core.validation import require_at_least, require_fraction
from pipeline.runtime.context import RunContext, process_context
from pipeline.runtime.parallel import ParallelParams, map_chunks, n_chunks
from pipeline.runtime.progress import counter
from pipeline.text.anchors import Anchor
from pipeline.text.reuse import extend_over_closing
from pipeline.text.synonyms import Lexicon
from pipeline.text.tokens import STOPWORDS
from pipeline.text.words import PassageWords, RecentPassageWords


@dataclass(frozen=True)
class AlignParams:
    """The ``[align]`` settings; ``shingle_size`` is ``[fingerprint]``'s (align shingles as fingerprint does)."""

    shingle_size: int = 3
    near_copy_jaccard: float = setting(0.5, "shingle Jaccard that makes a near copy")
    near_copy_containment: float = setting(
        0.8, "share of the smaller side's shingles in the other that makes a near copy"
    )
    near_copy_aligned: float = setting(0.6, "share of words aligned in order that makes a near copy (edited copies)")
    spun_jaccard: float = setting(0.4, "shingle Jaccard after folding synonyms that makes a spun copy")
    spun_containment: float = setting(0.6, "containment after folding synonyms that makes a spun copy")
    spun_min_substitutions: int = setting(2, "folded words a spun copy needs at least")
    spun_min_gain: float = setting(0.15, "overlap a spun copy gains by folding synonyms at least")
    spun_min_aligned: float = setting(
        0.5, "share of words aligned in order that makes a heavy spin (with spun_min_substitutions folded words)"
    )
    fold_min_aligned: float = setting(0.25, "synonyms are folded only for pairs with this share of words aligned")
    spun_min_aligned_words: int = setting(8, "aligned words a heavy spin needs at least")
    same_story_min_anchors: int = setting(3, "shared names, dates and figures that make the same story")
    same_story_min_score: float = setting(8.0, "summed rarity of the shared anchors that makes the same story")
    min_span_words: int = setting(4, "shortest run of aligned words reported as a span")
    max_gap_words: int = setting(3, "aligned runs at most this many changed words apart form one span")
    copied_run_words: int = setting(12, "words in a row shared by two passages that make a copy whatever else differs")
    tie_margin: float = 0.1  # not in luigi.cfg: containment difference below which origin is a tie

    def __post_init__(self) -> None:
        require_fraction(
            "align",
            self,
            (
                "near_copy_jaccard",
                "near_copy_containment",
                "near_copy_aligned",
                "spun_jaccard",
                "spun_containment",
                "spun_min_gain",
                "spun_min_aligned",
                "fold_min_aligned",
                "tie_margin",
            ),
        )
        require_at_least(
            "align",
            self,
            (
                "shingle_size",
                "same_story_min_anchors",
                "min_span_words",
                "spun_min_substitutions",
                "spun_min_aligned_words",
                "copied_run_words",
            ),
            1,
        )
        require_at_least("align", self, ("max_gap_words",), 0)


@dataclass(frozen=True)
class PassageRef:
    """A passage and what align needs to know about its document."""

    passage_id: str
    doc_id: str
    char_start: int
    text: str
    signature: np.ndarray | None
    doc_date: dt.date


@dataclass(frozen=True)
class _Side:
    """One side of a pair: the passage, its words and its surface shingles."""

    ref: PassageRef
    words: PassageWords
    shingles: frozenset[tuple[str, ...]]


def _side(ref: PassageRef, lexicon: Lexicon, k: int, recent: RecentPassageWords) -> _Side:
    return _side_of(ref, recent.words(ref.text, lexicon), k)


def _side_of(ref: PassageRef, words: PassageWords, k: int) -> _Side:
    return _Side(ref, words, _shingle_set(words.keys, k))


@dataclass(frozen=True)
class Span:
    a_start: int
    a_end: int
    b_start: int
    b_end: int


@dataclass(frozen=True)
class Alignment:
    relation: str | None
    jaccard_est: float | None
    jaccard: float
    jaccard_folded: float
    containment_a: float
    containment_b: float
    aligned_ratio: float
    shared_anchors: tuple[str, ...]
    spans: tuple[Span, ...]
    longest_span_words: int  # aligned words of the longest span; 0 for same_story (its spans are anchors)


def fold_synonyms(keys_a: list[str], keys_b: list[str], lexicon: Lexicon) -> tuple[list[str], int]:
    """keys_b with each word a lacks replaced by its synonym among the words b lacks, and how many were."""
    only_a = sorted(set(keys_a) - set(keys_b) - STOPWORDS)
    only_b = set(keys_b) - set(keys_a) - STOPWORDS
    replacement: dict[str, str] = {}
    for word in only_b:
        target = lexicon.first_synonym(word, only_a)
        if target is not None:
            replacement[word] = target
    return [replacement.get(k, k) for k in keys_b], sum(k in replacement for k in keys_b)


def _shingle_set(keys: Sequence[str], k: int) -> frozenset[tuple[str, ...]]:
    """The distinct ``shingle_words(keys, k)`` windows, as tuples.

    Windows by zipping shifted tuples: building each as a list and then a tuple was a tenth of
    align's time.
    """
    if len(keys) <= k:
        return frozenset([tuple(keys)]) if keys else frozenset()
    keys = tuple(keys)
    return frozenset(zip(*(keys[i:] for i in range(k))))


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def _anchor_spans(
    a: PassageRef, b: PassageRef, first_a: dict[str, Anchor], first_b: dict[str, Anchor], shared: set[str]
) -> list[Span]:
    """First occurrence of each shared anchor in both passages; adjacent ones merged ('Karoline Leavitt')."""
    pairs = sorted(
        ((first_a[k], first_b[k]) for k in shared if k in first_a and k in first_b), key=lambda pair: pair[0].start
    )
    spans: list[Span] = []
    for x, y in pairs:
        if spans:
            last = spans[-1]
            gap_a = a.text[last.a_end - a.char_start : x.start]
            gap_b = b.text[last.b_end - b.char_start : y.start]
            if gap_a.strip() == "" and gap_b.strip() == "" and y.start >= last.b_end - b.char_start:
                spans[-1] = Span(last.a_start, a.char_start + x.end, last.b_start, b.char_start + y.end)
                continue
        spans.append(Span(a.char_start + x.start, a.char_start + x.end, b.char_start + y.start, b.char_start + y.end))
    return spans


def _copy_spans(
    a: PassageRef,
    b: PassageRef,
    words_a: PassageWords,
    words_b: PassageWords,
    blocks: list[tuple[int, int, int]],
    params: AlignParams,
) -> tuple[list[Span], int]:
    """Aligned runs of words, chained across gaps of up to ``max_gap_words`` on both sides,
    and the aligned words of the longest chain.

    A spinner or an editor changes a word or two inside a copied sentence ("as part of" ->
    "as a part of"): chaining keeps the sentence one span instead of many fragments.
    """
    chains: list[list[tuple[int, int, int]]] = []
    for block in blocks:
        if chains:
            last_a, last_b, last_size = chains[-1][-1]
            gap_a = block[0] - (last_a + last_size)
            gap_b = block[1] - (last_b + last_size)
            if gap_a <= params.max_gap_words and gap_b <= params.max_gap_words:
                chains[-1].append(block)
                continue
        chains.append([block])
    spans, longest = [], 0
    for chain in chains:
        words = sum(size for _, _, size in chain)
        if words < params.min_span_words:
            continue
        longest = max(longest, words)
        (first_a, first_b, _), (last_a, last_b, last_size) = chain[0], chain[-1]
        a_end = extend_over_closing(a.text, words_a.ends[last_a + last_size - 1])
        b_end = extend_over_closing(b.text, words_b.ends[last_b + last_size - 1])
        spans.append(
            Span(
                a.char_start + words_a.starts[first_a],
                a.char_start + a_end,
                b.char_start + words_b.starts[first_b],
                b.char_start + b_end,
            )
        )
    return spans, longest


def matching_blocks(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[tuple[int, int, int]]:
    """``SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()`` as ``(i, j, size)``
    triples, without the closing empty block.

    The same recursion (the longest common run, ties to the smallest ``i`` then ``j``; then the
    same on each side of it; touching runs joined), without the junk and popular-element
    machinery align does not use. The length of every common run is worked out once, not again
    in every sub-range the recursion visits, and only where two words in a row match (in a
    same-story pair most matches are single words): 2-2.5x faster than difflib on align's pairs.
    """
    if len(a) == len(b) and all(x == y for x, y in zip(a, b)):
        return [(0, 0, len(a))] if a else []
    rows = _match_rows(a, b)
    found = []
    queue = [(0, len(a), 0, len(b))]
    while queue:
        alo, ahi, blo, bhi = queue.pop()
        i, j, k = _longest_run(rows, alo, ahi, blo, bhi)
        if k:
            found.append((i, j, k))
            if alo < i and blo < j:
                queue.append((alo, i, blo, j))
            if i + k < ahi and j + k < bhi:
                queue.append((i + k, ahi, j + k, bhi))
    found.sort()
    blocks: list[tuple[int, int, int]] = []
    for i, j, k in found:
        if blocks and blocks[-1][0] + blocks[-1][2] == i and blocks[-1][1] + blocks[-1][2] == j:
            blocks[-1] = (blocks[-1][0], blocks[-1][1], blocks[-1][2] + k)
        else:
            blocks.append((i, j, k))
    return blocks


@dataclass(frozen=True)
class _MatchRows:
    """The words of ``a`` found in ``b``: row ``r`` is ``a[i[r]]``, equal to ``b[j]`` for each ``j`` in
    ``js[r]`` (ascending); ``runs[r]`` maps the ``j`` where a common run of two or more words ends
    to its length, and is None where every run ending in that row is one word long."""

    i: list[int]
    js: list[list[int]]
    runs: list[dict[int, int] | None]


_NO_RUNS: dict[int, int] = {}


def _match_rows(a: Sequence[Hashable], b: Sequence[Hashable]) -> _MatchRows:
    where: dict[Hashable, list[int]] = {}
    for j, x in enumerate(b):
        if x in where:
            where[x].append(j)
        else:
            where[x] = [j]
    rows = _MatchRows([], [], [])
    previous_runs, previous_word, previous_in_b = _NO_RUNS, None, False
    for i, x in enumerate(a):
        js = where.get(x)
        if js is None:
            previous_in_b = False
        else:
            runs = None
            if previous_in_b:
                # A run goes on from the previous row where the word before b[j] is the word before a[i].
                for j in js:
                    if j and b[j - 1] == previous_word:
                        if runs is None:
                            runs = {}
                        runs[j] = previous_runs.get(j - 1, 1) + 1
            previous_runs, previous_in_b = runs or _NO_RUNS, True
            rows.i.append(i)
            rows.js.append(js)
            rows.runs.append(runs)
        previous_word = x
    return rows


def _longest_run(rows: _MatchRows, alo: int, ahi: int, blo: int, bhi: int) -> tuple[int, int, int]:
    """Longest common run inside a[alo:ahi] x b[blo:bhi]; on ties the first in (end i, end j) order."""
    besti, bestj, best = alo, blo, 0
    most = min(ahi - alo, bhi - blo)
    row_i, row_js, row_runs = rows.i, rows.js, rows.runs
    for r in range(bisect_left(row_i, alo), len(row_i)):
        i = row_i[r]
        if i >= ahi:
            break
        runs = row_runs[r]
        if runs is None and best:
            continue  # one-word runs only: they cannot beat what was found
        js = row_js[r]
        n = 0 if js[0] >= blo else bisect_left(js, blo)
        if runs is None:
            if n < len(js) and js[n] < bhi:
                besti, bestj, best = i, js[n], 1
            continue
        room_a = i - alo + 1
        for n in range(n, len(js)):  # noqa: B020 - goes on from the bisected start
            j = js[n]
            if j >= bhi:
                break
            # Only the part of a run inside the sub-range counts. (ifs, not min(): this is the
            # innermost loop of align.)
            k = runs.get(j, 1)
            if k > room_a:
                k = room_a
            if k > j - blo + 1:
                k = j - blo + 1
            if k > best:
                besti, bestj, best = i - k + 1, j - k + 1, k
        if best == most:
            break  # nothing later can be longer
    return besti, bestj, best


def _aligned_words(blocks: list[tuple[int, int, int]]) -> int:
    return sum(size for _, _, size in blocks)


def align_pair(
    a: PassageRef,
    b: PassageRef,
    anchor_score: float,
    lexicon: Lexicon,
    params: AlignParams,
    context: RunContext | None = None,
) -> Alignment:
    """Measure and classify one candidate pair."""
    k, recent = params.shingle_size, _recent_words(context)
    return _align_sides(_side(a, lexicon, k, recent), _side(b, lexicon, k, recent), anchor_score, lexicon, params)


def _recent_words(context: RunContext | None) -> RecentPassageWords:
    # A history passage is aligned again in every later batch that pairs with it: a run's context
    # keeps the words of the passages aligned lately across calls.
    return RecentPassageWords((context or RunContext()).passage_words)


def _align_sides(side_a: _Side, side_b: _Side, anchor_score: float, lexicon: Lexicon, params: AlignParams) -> Alignment:
    a, b = side_a.ref, side_b.ref
    keys_a, keys_b = side_a.words.keys, side_b.words.keys
    longer = max(len(keys_a), len(keys_b))
    blocks = matching_blocks(keys_a, keys_b)
    folded_b, substitutions = keys_b, 0
    # Folding costs a synonym lookup per pair of differing words; a pair whose words do not even
    # line up in order before folding is no copy, spun or not, so it is not worth it.
    if _ratio(_aligned_words(blocks), longer) >= params.fold_min_aligned:
        folded_b, substitutions = fold_synonyms(keys_a, keys_b, lexicon)
        if substitutions:
            blocks = matching_blocks(keys_a, folded_b)

    surface_a, surface_b = side_a.shingles, side_b.shingles
    folded_a = surface_a
    folded_bs = _shingle_set(folded_b, params.shingle_size) if substitutions else surface_b
    surface_common = len(surface_a & surface_b)
    jaccard = _ratio(surface_common, len(surface_a) + len(surface_b) - surface_common)
    common = len(folded_a & folded_bs) if substitutions else surface_common
    jaccard_folded = _ratio(common, len(folded_a) + len(folded_bs) - common)
    containment_a = _ratio(common, len(folded_a))
    containment_b = _ratio(common, len(folded_bs))
    surface_containment = _ratio(surface_common, min(len(surface_a), len(surface_b)))

    jaccard_est = None
    if a.signature is not None and b.signature is not None:
        jaccard_est = int(np.count_nonzero(a.signature == b.signature)) / len(a.signature)

    first_a, first_b = side_a.words.first_anchor, side_b.words.first_anchor
    shared = first_a.keys() & first_b.keys()
    aligned_words = _aligned_words(blocks)
    aligned_ratio = _ratio(aligned_words, longer)
    # Spun: copied text whose overlap owes much to folded synonyms, whatever the surface overlap left.
    is_spun = (
        substitutions >= params.spun_min_substitutions
        and jaccard_folded - jaccard >= params.spun_min_gain
        and (jaccard_folded >= params.spun_jaccard or max(containment_a, containment_b) >= params.spun_containment)
    )
    if keys_a == keys_b:
        relation = "verbatim"
    elif is_spun:
        relation = "spun"
    elif jaccard >= params.near_copy_jaccard or surface_containment >= params.near_copy_containment:
        relation = "near_copy"
    elif (
        substitutions >= params.spun_min_substitutions
        and aligned_ratio >= params.spun_min_aligned
        and aligned_words >= params.spun_min_aligned_words
    ):
        # Heavily spun: few shingles survive, but names, numbers and function words stay in order.
        relation = "spun"
    elif max(containment_a, containment_b) >= params.near_copy_containment or (
        aligned_ratio >= params.near_copy_aligned and aligned_words >= params.spun_min_aligned_words
    ):
        # Edited copies: shingles broken by inserted or reworded words, but one side is nearly
        # all inside the other, or most words still line up in order.
        relation = "near_copy"
    elif max((size for _, _, size in blocks), default=0) >= params.copied_run_words:
        # A sentence copied whole into a different paragraph (a cut-and-paste answer, a lifted
        # quote): too little of either passage for the ratios above, but no independent report
        # repeats that many words in a row.
        relation = "near_copy"
    elif len(shared) >= params.same_story_min_anchors and anchor_score >= params.same_story_min_score:
        relation = "same_story"
    else:
        relation = None

    if relation == "same_story":
        spans, longest_span_words = _anchor_spans(a, b, first_a, first_b, shared), 0
    else:
        spans, longest_span_words = _copy_spans(a, b, side_a.words, side_b.words, blocks, params)
    return Alignment(
        relation,
        jaccard_est,
        jaccard,
        jaccard_folded,
        containment_a,
        containment_b,
        aligned_ratio,
        tuple(sorted(shared)),
        tuple(spans),
        longest_span_words,
    )


def origin_of(a: PassageRef, b: PassageRef, alignment: Alignment, tie_margin: float) -> str:
    """Which side came first: earlier date, then the side that contains the other."""
    if alignment.relation == "same_story":
        return "unknown"  # independent reports: neither copied the other
    if a.doc_date != b.doc_date:
        return "a" if a.doc_date < b.doc_date else "b"
    # Same day: the excerpt (the side mostly found in the other) is the copy.
    if alignment.containment_a - alignment.containment_b > tie_margin:
        return "b"
    if alignment.containment_b - alignment.containment_a > tie_margin:
        return "a"
    return "tie"


def passage_refs(passages: pa.Table, documents: pa.Table) -> dict[str, PassageRef]:
    """PassageRef by passage_id; a document's date is its published date, else its batch date."""
    dates = {}
    for doc_id, published, batch in zip(
        documents.column("doc_id").to_pylist(),
        documents.column("published").to_pylist(),
        documents.column("batch").to_pylist(),
    ):
        dates[doc_id] = published or dt.date.fromisoformat(batch)
    refs = {}
    signatures = _signature_arrays(passages.column("signature"))
    for pid, doc_id, start, text, signature in zip(
        passages.column("passage_id").to_pylist(),
        passages.column("doc_id").to_pylist(),
        passages.column("char_start").to_pylist(),
        passages.column("text").to_pylist(),
        signatures,
    ):
        refs[pid] = PassageRef(pid, doc_id, start, text, signature, dates[doc_id])
    return refs


def _signature_arrays(column: pa.ChunkedArray) -> list[np.ndarray | None]:
    """Each row's signature as a uint32 array (a view into the column), None where null.

    Slicing one flat array: a Python list of 128 ints per passage, then an array from it, cost
    more than aligning in a large batch.
    """
    signatures: list[np.ndarray | None] = []
    for chunk in column.chunks:
        values = chunk.values.to_numpy(zero_copy_only=False).astype(np.uint32, copy=False)
        offsets = chunk.offsets.to_numpy()
        valid = chunk.is_valid().to_numpy(zero_copy_only=False)
        signatures.extend(values[offsets[i] : offsets[i + 1]] if valid[i] else None for i in range(len(chunk)))
    return signatures


def _diagonal_neighbours(pid_a: str, pid_b: str) -> list[tuple[str, str]]:
    """The passage pairs just before and just after a copied pair, in both documents."""
    return [
        (passage_id(doc_of(pid_a), ordinal_of(pid_a) + step), passage_id(doc_of(pid_b), ordinal_of(pid_b) + step))
        for step in (-1, 1)
    ]


def _sides_of_candidates(
    candidates: pa.Table, refs: dict[str, PassageRef], lexicon: Lexicon, k: int, recent: RecentPassageWords
) -> dict[str, _Side]:
    """The sides of every passage the candidates name, their words worked out at once (a passage
    takes part in many pairs: its words and shingles once). Passages met later, by extension, are
    added one by one."""
    named = list(dict.fromkeys(candidates.column("passage_a").to_pylist() + candidates.column("passage_b").to_pylist()))
    words = recent.words_of([refs[pid].text for pid in named], lexicon)
    return {pid: _side_of(refs[pid], words_of_passage, k) for pid, words_of_passage in zip(named, words)}


def align_candidates(
    candidates: pa.Table,
    passages: pa.Table,
    documents: pa.Table,
    batch: str,
    lexicon: Lexicon,
    params: AlignParams,
    context: RunContext | None = None,
) -> pa.Table:
    """The overlaps table: one row per candidate pair that holds up.

    Copies are then extended passage by passage: around every copied pair, the
    neighbouring passages of both documents are aligned too (method
    ``extension``). A heavily spun paragraph that neither MinHash nor shared
    names proposed is found this way, next to the paragraphs that were.

    ``passages`` and ``documents`` must hold every passage of every document
    the candidates name, from this batch and from history.
    """
    refs, recent = passage_refs(passages, documents), _recent_words(context)
    sides = _sides_of_candidates(candidates, refs, lexicon, params.shingle_size, recent)

    def side(pid: str) -> _Side:
        if pid not in sides:
            sides[pid] = _side(refs[pid], lexicon, params.shingle_size, recent)
        return sides[pid]

    rows: dict[str, list] = {name: [] for name in OVERLAPS.names}
    queue = list(
        zip(
            candidates.column("passage_a").to_pylist(),
            candidates.column("passage_b").to_pylist(),
            candidates.column("anchor_score").to_pylist(),
            candidates.column("method").to_pylist(),
        )
    )
    seen = {frozenset((pid_a, pid_b)) for pid_a, pid_b, _, _ in queue}
    bar = counter("align", len(queue))
    while queue:
        pid_a, pid_b, score, method = queue.pop()
        bar.update()
        a, b = refs[pid_a], refs[pid_b]
        alignment = _align_sides(side(pid_a), side(pid_b), score, lexicon, params)
        if alignment.relation is None:
            continue
        if alignment.relation in COPY_RELATIONS:
            for next_a, next_b in _diagonal_neighbours(pid_a, pid_b):
                if next_a in refs and next_b in refs and frozenset((next_a, next_b)) not in seen:
                    seen.add(frozenset((next_a, next_b)))
                    queue.append((next_a, next_b, 0.0, "extension"))
                    bar.total += 1
        rows["passage_a"].append(a.passage_id)
        rows["passage_b"].append(b.passage_id)
        rows["doc_a"].append(a.doc_id)
        rows["doc_b"].append(b.doc_id)
        rows["batch"].append(batch)
        rows["relation"].append(alignment.relation)
        rows["jaccard_est"].append(alignment.jaccard_est)
        rows["jaccard"].append(alignment.jaccard)
        rows["jaccard_folded"].append(alignment.jaccard_folded)
        rows["containment_a"].append(alignment.containment_a)
        rows["containment_b"].append(alignment.containment_b)
        rows["aligned_ratio"].append(alignment.aligned_ratio)
        rows["shared_anchors"].append(list(alignment.shared_anchors))
        rows["spans"].append([s.__dict__ for s in alignment.spans])
        rows["longest_span_words"].append(alignment.longest_span_words)
        rows["method"].append(method)
        rows["origin"].append(origin_of(a, b, alignment, params.tie_margin))
    bar.close()
    table = pa.table({name: pa.array(values, type=OVERLAPS.field(name).type) for name, values in rows.items()})
    return conform(table.sort_by([("passage_a", "ascending"), ("passage_b", "ascending")]), OVERLAPS)


# ---------------------------------------------------------------------------- the pool
def _align_chunk(chunk: tuple[pa.Table, pa.Table, pa.Table, str, AlignParams]) -> pa.Table:
    candidates, passages, documents, batch, params = chunk
    return align_candidates(candidates, passages, documents, batch, Lexicon.load(), params, process_context())


# Each chunk works out the words of every passage its pairs touch, and same-story pairs join
# passages all over the batch: fewer, larger chunks repeat less of that (one chunk a process left
# nothing to even out a slow chunk).
ALIGN_CHUNKS_PER_PROCESS = 2
# A chunk may take this much more than an even share of the rows when that keeps its passages
# together (document_pair_chunks).
ALIGN_CHUNK_SLACK = 1.05


def run(
    candidates: pa.Table,
    passages: pa.Table,
    documents: pa.Table,
    batch: str,
    params: AlignParams,
    parallel: ParallelParams,
    context: RunContext | None = None,
) -> pa.Table:
    """``align_candidates``, the candidates cut into groups of whole document pairs when the
    pool is used: align extends copies only between the two documents of a pair, and sorts its
    rows, so the groups' rows, concatenated and sorted the same way, are the same table. The pool's
    workers keep their own process's context (``process_context``)."""
    parts = n_chunks(candidates.num_rows, parallel, per_process=ALIGN_CHUNKS_PER_PROCESS)
    if parts <= 1:
        return align_candidates(candidates, passages, documents, batch, Lexicon.load(), params, context)
    chunks = document_pair_chunks(candidates, parts)
    work = (
        (
            candidates.take(pa.array(rows, type=pa.int64())),
            rows_of_documents(passages, docs),
            rows_of_documents(documents, docs),
            batch,
            params,
        )
        for rows, docs in chunks
    )  # built as the pool asks for them
    overlaps = pa.concat_tables(map_chunks(_align_chunk, work, parallel, f"align {batch}", total=len(chunks)))
    return overlaps.sort_by([("passage_a", "ascending"), ("passage_b", "ascending")]).combine_chunks()


def document_pair_chunks(candidates: pa.Table, parts: int) -> list[tuple[list[int], set[str]]]:
    """The candidates' rows cut into ``parts`` chunks of whole document pairs, about even in rows,
    each with the documents its pairs name.

    A passage named in two chunks is tokenised in both, and a same-story passage is in pairs
    with documents all over the batch. Pairs are placed largest document pair first, each in
    the chunk that already holds most of its passages, weighed by the room left there (greedy
    streaming graph partitioning), so fewer passages are named in two chunks than in candidate order.
    """
    doc_a, doc_b = candidates.column("doc_a").to_pylist(), candidates.column("doc_b").to_pylist()
    passage_a, passage_b = candidates.column("passage_a").to_pylist(), candidates.column("passage_b").to_pylist()
    pair_rows: dict[tuple[str, str], list[int]] = {}
    for row, (a, b) in enumerate(zip(doc_a, doc_b)):
        pair_rows.setdefault((a, b) if a <= b else (b, a), []).append(row)
    room = [candidates.num_rows / parts * ALIGN_CHUNK_SLACK] * parts
    held: list[set[str]] = [set() for _ in range(parts)]
    chunk_rows: list[list[int]] = [[] for _ in range(parts)]
    for rows in sorted(pair_rows.values(), key=len, reverse=True):
        best, best_score = 0, -math.inf
        for part in range(parts):
            passages, score = held[part], 1
            for row in rows:  # plain loops: this runs in the main process while the pool waits
                score += (passage_a[row] in passages) + (passage_b[row] in passages)
            score *= room[part]
            if score > best_score:
                best, best_score = part, score
        passages = held[best]
        for row in rows:
            passages.add(passage_a[row])
            passages.add(passage_b[row])
        room[best] -= len(rows)
        chunk_rows[best].extend(rows)
    return [(rows, {doc_a[row] for row in rows} | {doc_b[row] for row in rows}) for rows in chunk_rows if rows]
