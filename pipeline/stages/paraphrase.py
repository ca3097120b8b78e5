"""Stage 5b: passages reused in other words or verbatim, at any length and without paragraphs.

A student rewriting an encyclopedia entry, a page pasting two sentences of another, a machine
translation or a human summary of an article: few word sequences survive, or too few for the
passage overlaps' evidence rules, so neither passage MinHash nor word alignment proves it.
Sentence by sentence, though, most content words stay: the names, terms and figures, and the
nouns and verbs a rewrite keeps.

- A sentence's *content words* are the lemmas of its words that are not stopwords
  (``pipeline.text.tokens.STOPWORDS``), two-letter words excepted unless they are figures.
  Sentences with fewer than ``min_content_words`` say too little ("He agreed."). Sentences are
  ``split_sentences``'s, corrected for hand-typed text (``typed_sentences``): a line wrapped inside
  a sentence does not end it, and a full stop typed without the space after it ("a useful
  tool.categorization") does.
- Each candidate document pair is verified by ``pipeline.text.reuse`` over the sentences of the
  whole documents (passages joined: one-line paragraphs and hard-wrapped lines would cut
  sentences): sentence seeds (``seed_similarity``), seeds ``max_gap_sentences`` apart joined into
  passages, a per-passage filter (``min_shared_words``, ``min_containment``, with the lexicon's
  synonyms counted in a passage of three sentence pairs or more; a passage of one
  seed ``min_lone_containment``, and of one or two ``min_lone_words``), exact ends from verbatim
  word runs. Sentences crediting an outlet never seed: they follow templates that unrelated
  articles share. Same-topic articles share words and a sentence now and then, not passages.

Candidates come from MinHash over each sentence's content words, ``bands`` x ``rows`` LSH: the
sentences of each body passage, and those running over several passages (``spanning_sentences``:
a web page's hard-wrapped lines, cut into passages and often taken for headings); a
document pair is verified when ``min_candidate_sentences`` sentence pairs share a bucket, or
one sentence pair shares ``min_candidate_bands`` buckets (2 of 16: a sentence reworded, most of
its content words kept), or one bucket that neither of its sentences shares with more than
``lone_pair_documents`` documents besides its own: a short copy may have one sentence to show.
One shared bucket is what chance gives two sentences of common words, and such a sentence meets
other documents' too; a reworded sentence's content words (names, terms, figures) are its own.
Such a lone pair is verified only when its two sentences' content words have a Dice of
``seed_similarity`` (``checked_lone_pairs``: their passages alone are read; most lone pairs are
chance and fail it). An earlier batch's sentence is seen only in this batch's buckets, so in a
daily batch more pairs count as lone than in one batch of the same documents. (What each rule
costs and finds is in the commit messages of 4c44ce7, 51e8c62 and 56612cb.)
A bucket holding more than ``stock_documents`` sentences holds stock lines only:
it is skipped before its pairs are expanded (a bulk load of an archive has
buckets of thousands of "Sign up for our newsletter" variants), and its
sentences count as stock, never making a pair a candidate. The ``sentence_bands`` table keeps
each batch's buckets so that later batches are matched against it: the history index of this
channel, read only where the batch's buckets are.
"""

from __future__ import annotations

import functools
import logging
from bisect import bisect_left
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core.ids import doc_of, passage_of_sentence, sentence_id
from pipeline.core.schema import PARAPHRASES, SENTENCE_BANDS
from pipeline.core.settings import setting
from pipeline.core.tables import conform, rows_of_documents, string_array, unique_counts
from pipeline.core.validation import require_at_least, require_fraction
from pipeline.lsh.bands import LshParams, band_keys, band_table
from pipeline.lsh.fingerprint import FingerprintParams, signature_matrix
from pipeline.lsh.pairs import lsh_pair_codes
from pipeline.runtime.context import RunContext, process_context
from pipeline.runtime.parallel import (
    DOCUMENT_WEIGHT,
    ParallelParams,
    even_slices,
    grouped_slices,
    map_chunks,
    map_table,
    n_chunks,
)
from pipeline.text.reuse import ReusedPassage, ReuseParams, SeedIndex, extend_over_closing, reused_passages
from pipeline.text.sentences import typed_sentences
from pipeline.text.synonyms import Lexicon
from pipeline.text.tokens import STOPWORDS, Token, normal_word_ids, normal_words, tokenize

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ParaphraseParams:
    """The ``[paraphrase]`` settings."""

    min_content_words: int = setting(5, "content words a sentence needs to be matched")
    min_candidate_sentences: int = setting(2, "sentence pairs in a shared bucket that make a document pair a candidate")
    min_candidate_bands: int = setting(
        2, "buckets one sentence pair shares that make its document pair a candidate on its own (0: never)"
    )
    lone_pair_documents: int = setting(
        1,
        "a sentence pair sharing fewer buckets makes a candidate when neither sentence shares a bucket "
        "with more than this many documents besides its own (0: never)",
    )
    stock_documents: int = setting(
        20,
        "a sentence sharing buckets with this many documents, or in a bucket of "
        "more sentences, is a stock line, never matched",
    )
    seed_similarity: float = setting(
        0.33, "tf-idf cosine and Dice of two sentences' content words that make a seed of reused text"
    )
    max_gap_sentences: int = setting(2, "seeds at most this many sentences apart in both documents join one passage")
    min_shared_words: int = setting(10, "distinct content words a reused passage shares between its two sides")
    min_containment: float = setting(
        0.6, "share of a reused passage's smaller side's content words found in the other side"
    )
    min_lone_containment: float = setting(0.8, "the same share for a passage of one seed (one sentence pair)")
    min_lone_words: int = setting(20, "words a passage of one seed needs on each side (a stock line is shorter)")
    bands: int = setting(16, "LSH bands over each sentence's MinHash")
    rows: int = setting(3, "signature values per band")
    seed: int = 11  # not in luigi.cfg: the sentence MinHash seed

    def __post_init__(self) -> None:
        require_at_least(
            "paraphrase",
            self,
            ("min_content_words", "min_candidate_sentences", "stock_documents", "bands", "rows"),
            1,
        )
        require_at_least("paraphrase", self, ("min_shared_words", "min_lone_words"), 1)
        require_at_least("paraphrase", self, ("max_gap_sentences", "min_candidate_bands", "lone_pair_documents"), 0)
        require_fraction(
            "paraphrase",
            self,
            ("seed_similarity", "min_containment", "min_lone_containment"),
        )

    @property
    def reuse(self) -> ReuseParams:
        return ReuseParams(
            seed_similarity=self.seed_similarity,
            max_gap_sentences=self.max_gap_sentences,
            min_shared_words=self.min_shared_words,
            min_containment=self.min_containment,
            min_lone_containment=self.min_lone_containment,
            min_lone_words=self.min_lone_words,
        )

    @property
    def lsh(self) -> LshParams:
        """A bucket of more than ``stock_documents`` sentences holds stock lines (see module doc)."""
        return LshParams(self.bands, self.rows, self.stock_documents)


@dataclass(frozen=True)
class ContentSentence:
    passage_id: str
    start: int  # offsets into documents.text
    end: int
    words: frozenset[str]

    @property
    def id(self) -> str:
        """The sentence's id in the sentence_bands table."""
        return sentence_id(self.passage_id, self.start)


def content_words(text: str, lexicon: Lexicon) -> frozenset[str]:
    """Lemmas of the words of ``text`` that carry its content (see module doc)."""
    return frozenset(key for key in map(_content_key(lexicon), normal_words(text)) if key is not None)


def _content_key(lexicon: Lexicon) -> Callable[[str], str | None]:
    """word -> its content lemma, or None for a stopword; each word looked up once per lexicon."""
    owner, keys = _KEYS.get(id(lexicon), (None, {}))
    if owner is not lexicon:  # an id can be reused once its object is gone
        keys = {}
        _KEYS[id(lexicon)] = (lexicon, keys)

    def key(word: str) -> str | None:
        if word not in keys:
            if word in STOPWORDS or (len(word) < 3 and not word.isdigit()):
                keys[word] = None
            else:
                # The shortest lemma, so "classes" and "class", "told" and "tell" meet.
                keys[word] = min(lexicon.lemmas(word), key=lambda lemma: (len(lemma), lemma))
        return keys[word]

    return key


# Each word's content lemma (None: stopword), per lexicon (one per process in practice:
# Lexicon.load()); the lexicon is kept with them. Module-level, not in a RunContext: a memo of a
# pure function of the immutable lexicon (see pipeline.runtime.context).
_KEYS: dict[int, tuple[Lexicon, dict[str, str | None]]] = {}


def document_sentences(
    passages: Iterable[tuple[str, int, str, str]], lexicon: Lexicon, params: ParaphraseParams
) -> list[ContentSentence]:
    """Content sentences of (passage_id, char_start, text, kind) passages, in order.

    Body passages only: credit lines, captions and headings are stock lines ("Follow CNN on
    social media for the latest updates", "Jane Doe | AFP | Getty Images") that differ in a
    name between unrelated articles, not reporting retold. The words of all the sentences
    are tokenised at once (``pipeline.text.tokens.normal_word_ids``, equal to ``normal_words``).
    """
    places, texts = [], []
    for passage_id, char_start, text, kind in passages:
        if kind != "body":
            continue
        for sentence in typed_sentences(text, lexicon):
            places.append((passage_id, char_start + sentence.start, char_start + sentence.end))
            texts.append(text[sentence.start : sentence.end])
    if not texts:
        return []
    words = normal_word_ids(texts)
    key = _content_key(lexicon)
    keys = [key(word) for word in words.vocabulary]
    ids, offsets = words.ids.tolist(), words.offsets.tolist()
    found = []
    for i, (passage_id, start, end) in enumerate(places):
        content = {keys[j] for j in ids[offsets[i] : offsets[i + 1]]}
        content.discard(None)
        if len(content) >= params.min_content_words:
            found.append(ContentSentence(passage_id, start, end, frozenset(content)))
    return found


def _fingerprint_params(params: ParaphraseParams) -> FingerprintParams:
    return FingerprintParams(num_perm=params.bands * params.rows, seed=params.seed, shingle_size=1)


# Passages whose sentences are held as Python objects at once, for memory: a bulk load in one piece
# would hold every sentence, word list and string on the way to its band rows.
_SLICE_PASSAGES = 8192


def sentence_band_rows(passages: pa.Table, lexicon: Lexicon, params: ParaphraseParams) -> pa.Table:
    """One row per (content sentence, band) of the passages' sentences and of their documents'
    ``spanning_sentences``; passage_id is the sentence's passage and its offset in the document,
    ``<passage_id>@<offset>``. Document-wise: any slice of the passages that holds whole
    documents gives its own rows (the worker pool cuts between documents); computed slice by
    slice, with one dictionary per id column in the end."""
    slices = grouped_slices(passages.column("doc_id"), -(-passages.num_rows // _SLICE_PASSAGES))
    parts = [_sentence_band_slice(passages.slice(offset, length), lexicon, params) for offset, length in slices]
    if not parts:
        return SENTENCE_BANDS.empty_table()
    return conform(pa.concat_tables(parts).unify_dictionaries().combine_chunks(), SENTENCE_BANDS)


def _sentence_band_slice(passages: pa.Table, lexicon: Lexicon, params: ParaphraseParams) -> pa.Table:
    doc_of = dict(zip(passages.column("passage_id").to_pylist(), passages.column("doc_id").to_pylist()))
    sentences = document_sentences(
        zip(
            passages.column("passage_id").to_pylist(),
            passages.column("char_start").to_pylist(),
            passages.column("text").to_pylist(),
            passages.column("kind").to_pylist(),
        ),
        lexicon,
        params,
    )
    found = [(sentence.id, doc_of[sentence.passage_id], sentence) for sentence in sentences]
    found += spanning_sentences(passages, lexicon, params)
    # In text order, document by document (a stable sort: the passages' are already), whatever
    # the documents the slice holds.
    rank = {doc_id: k for k, doc_id in enumerate(dict.fromkeys(doc_of.values()))}
    found.sort(key=lambda row: (rank[row[1]], row[2].start))
    ids = [sentence_id_ for sentence_id_, _, _ in found]
    docs = [doc_id for _, doc_id, _ in found]
    texts = [" ".join(sorted(sentence.words)) for _, _, sentence in found]
    if not texts:
        return SENTENCE_BANDS.empty_table()
    matrix, _ = signature_matrix(texts, _fingerprint_params(params))  # every text has words
    return conform(
        band_table(pa.array(ids, type=pa.string()), pa.array(docs, type=pa.string()), band_keys(matrix, params.lsh)),
        SENTENCE_BANDS,
    )


def spanning_sentences(
    passages: pa.Table, lexicon: Lexicon, params: ParaphraseParams
) -> list[tuple[str, str, ContentSentence]]:
    """(sentence id, doc_id, sentence) of the content sentences that run over more than one
    passage of their document (``ReuseDocument``'s sentences, which verification reads): text
    hard-wrapped into one passage per line, its lines often too short for a sentence of their own
    or taken for headings, and a paragraph cut at ``PASSAGE_MAX_CHARS``. Only documents with two
    passages not parted by a blank line can have one. ``passages`` holds whole documents.

    The id names the passage the sentence ends in, before whose start the sentence starts: no
    sentence of that passage alone has it."""
    docs = _wrapped_documents(passages.filter(pc.not_equal(passages.column("kind"), "header")))
    if not docs:
        return []
    found = []
    for doc_id, document in reuse_documents(rows_of_documents(passages, docs), lexicon, params, {}).items():
        starts = [start for _, start, _ in document.passages]
        for sentence in document.sentences:
            ending = bisect_left(starts, sentence.end) - 1  # the last passage starting before its end
            if starts[ending] > sentence.start:
                found.append((sentence_id(document.passages[ending][0], sentence.start), doc_id, sentence))
    return found


def _wrapped_documents(passages: pa.Table) -> set[str]:
    """The documents of ``passages`` (in text order, document by document) with a passage that
    starts at most one character after the one before it ends: no blank line between them."""
    if passages.num_rows < 2:
        return set()
    doc_ids = passages.column("doc_id").combine_chunks()
    if pa.types.is_dictionary(doc_ids.type):
        doc_ids = doc_ids.cast(doc_ids.type.value_type)
    same = pc.equal(doc_ids[1:], doc_ids[:-1]).to_numpy(zero_copy_only=False)
    start = passages.column("char_start").to_numpy()
    end = start + pc.utf8_length(passages.column("text")).to_numpy()
    return set(doc_ids.take(pa.array(np.flatnonzero(same & (start[1:] - end[:-1] <= 1)) + 1)).to_pylist())


@dataclass(frozen=True)
class ParaphraseCandidates:
    doc_pairs: list[tuple[str, str]]  # (new document, new-or-earlier document)
    # Pairs made candidates by one lone sentence pair alone: its two sentence ids, whose content
    # words must be as alike as a seed's (Dice, ``seed_similarity``) before the documents are read.
    lone: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    # Buckets of more than ``stock_documents`` sentences, skipped (the runs table counts them).
    skipped_buckets: int = 0


def candidate_documents(
    new_bands: pa.Table,
    history_bands: pa.Table,
    params: ParaphraseParams,
    over: dict[int, np.ndarray] | None = None,
    history_stock: np.ndarray | None = None,
) -> ParaphraseCandidates:
    """Document pairs with ``min_candidate_sentences`` sentence pairs sharing a bucket, not
    counting stock sentences: those sharing buckets with ``stock_documents`` other documents or
    more, or in a bucket of more than that many sentences ("Sign up for the Mail newsletter to
    get the day's top stories", "Follow CNN on social media"): a line repeated across many
    unrelated articles proves nothing about any two. ``over``, ``history_stock``: the buckets a
    capped history lookup found over that many and left out (``lsh_pair_codes``)."""
    pairs = lsh_pair_codes(new_bands, history_bands, params.lsh, over, history_stock)
    if pairs.skipped:
        log.info(
            "paraphrase: %d sentence buckets of more than %d sentences skipped as stock lines",
            pairs.skipped,
            params.stock_documents,
        )
    # Integer codes throughout, in as few arrays as will do: a bulk load of a whole archive pairs
    # millions of sentences (12M at 1M passages), and this was its run's high-water mark.
    n_docs = max(1, len(pairs.doc_ids))
    doc_a, doc_b = pairs.doc_of[pairs.a], pairs.doc_of[pairs.b]
    reach = _reaching(pairs.a, doc_b, pairs.b, doc_a, n_docs, len(pairs.doc_of))
    stock = reach >= params.stock_documents
    stock[pairs.capped] = True  # in a bucket too big to expand
    kept = ~(stock[pairs.a] | stock[pairs.b])
    codes = doc_a[kept].astype(np.int64) * n_docs + doc_b[kept]
    # One sentence pair is enough when it shares several buckets (a sentence reworded), or one
    # bucket that neither sentence shares with a third document: chance collisions of common words
    # recur across documents (module doc). Boolean masks over all pairs (no integer copies of
    # millions), taken before ``unique_counts`` sorts ``codes`` in place, out of step with ``pairs``.
    close = np.zeros(len(pairs.a), dtype=bool)
    if params.min_candidate_bands:
        close |= pairs.shared >= params.min_candidate_bands
    lone = np.zeros(len(pairs.a), dtype=bool)
    if params.lone_pair_documents:
        alone = reach <= params.lone_pair_documents
        lone = alone[pairs.a] & alone[pairs.b] & ~close
    lone_at = np.flatnonzero(lone & kept)
    lone_codes = doc_a[lone_at].astype(np.int64) * n_docs + doc_b[lone_at]
    close = codes[close[kept]]
    doc_pairs, hits = unique_counts(codes)
    doc_pairs = np.union1d(doc_pairs[hits >= params.min_candidate_sentences], close)
    # A lone pair whose documents are a candidate anyway needs no check of its own.
    only = ~np.isin(lone_codes, doc_pairs)
    lone_at, lone_codes = lone_at[only], lone_codes[only]
    doc_pairs = np.union1d(doc_pairs, lone_codes)
    firsts = pairs.doc_ids.take(pa.array(doc_pairs // n_docs)).to_pylist()
    seconds = pairs.doc_ids.take(pa.array(doc_pairs % n_docs)).to_pylist()
    lone_docs = zip(
        pairs.doc_ids.take(pa.array(lone_codes // n_docs)).to_pylist(),
        pairs.doc_ids.take(pa.array(lone_codes % n_docs)).to_pylist(),
    )
    lone_sentences = zip(
        pairs.passage_ids.take(pa.array(pairs.a[lone_at])).to_pylist(),
        pairs.passage_ids.take(pa.array(pairs.b[lone_at])).to_pylist(),
    )
    return ParaphraseCandidates(
        sorted(zip(firsts, seconds)),
        dict(zip(lone_docs, lone_sentences)),
        pairs.skipped,
    )


# (sentence, document) codes sorted at once by ``_reaching``: a bulk load's sentence pairs give 60M,
# whose sort and copies were the high-water mark of its whole run, taken a range of sentences at a time.
_REACH_CODES = 1 << 23


def _reaching(
    a: np.ndarray, doc_b: np.ndarray, b: np.ndarray, doc_a: np.ndarray, n_docs: int, n_sentences: int
) -> np.ndarray:
    """Per sentence, how many documents other than its own its pairs reach: sentence ``a[i]``
    reaches ``doc_b[i]`` and ``b[i]`` reaches ``doc_a[i]``."""
    reach = np.zeros(n_sentences, dtype=np.int64)
    parts = max(1, -(-2 * len(a) // _REACH_CODES))
    bounds = np.linspace(0, n_sentences, parts + 1).astype(np.int64)
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        in_a, in_b = (a >= lo) & (a < hi), (b >= lo) & (b < hi)
        reached = np.concatenate(
            [a[in_a].astype(np.int64) * n_docs + doc_b[in_a], b[in_b].astype(np.int64) * n_docs + doc_a[in_b]]
        )
        del in_a, in_b
        reached.sort()
        if len(reached):
            distinct = reached[np.r_[True, reached[1:] != reached[:-1]]] // n_docs - lo
            reach[lo:hi] = np.bincount(distinct, minlength=hi - lo)
    return reach


@dataclass(frozen=True)
class ReuseDocument:
    """A document as the reuse alignment reads it: its text (the passages' at their offsets in
    documents.text, headers left out: a date and a place are no reuse; newlines around them, a
    single line break kept one, so a line wrapped inside a sentence does not end it), its content
    sentences over the whole text (not passage by passage: hard-wrapped lines and one-line
    paragraphs would cut them), and its passages' (passage_id, char_start, char_end)."""

    text: str
    sentences: list[ContentSentence]
    passages: list[tuple[str, int, int]]

    @functools.cached_property
    def index(self) -> SeedIndex:
        """The seed index of all its sentences (most documents credit no outlet)."""
        return SeedIndex.of(self.sentences)

    def closed(self, end: int) -> int:
        """``end`` moved over the punctuation closing the word before it."""
        return extend_over_closing(self.text, end)

    def words(self) -> list[Token]:
        """The words; worked out only for the pairs that need them."""
        return tokenize(self.text)


def reuse_documents(
    passages: pa.Table,
    lexicon: Lexicon,
    params: ParaphraseParams,
    kept: MutableMapping[tuple[str, ParaphraseParams], ReuseDocument],
) -> dict[str, ReuseDocument]:
    """``ReuseDocument`` of every document of ``passages``, which must hold all of each one's
    passages (``kept``: a RunContext's ``content_sentences``, by (doc_id, params); a doc_id is the
    hash of the text, so they never go stale)."""
    by_doc: dict[str, list[tuple[int, str, str]]] = {}
    for passage_id, doc_id, char_start, text, kind in zip(
        passages.column("passage_id").to_pylist(),
        passages.column("doc_id").to_pylist(),
        passages.column("char_start").to_pylist(),
        passages.column("text").to_pylist(),
        passages.column("kind").to_pylist(),
    ):
        if kind != "header" and (doc_id, params) not in kept:
            by_doc.setdefault(doc_id, []).append((char_start, text, passage_id))
    texts = {}
    for doc_id, parts in by_doc.items():
        parts.sort()
        pieces, at = [], 0
        for char_start, text, _ in parts:
            pieces += ["\n" * (char_start - at), text]
            at = char_start + len(text)
        texts[doc_id] = "".join(pieces)
    # One tokenising pass over every document not kept yet (a call per document costs more).
    sentences: dict[str, list[ContentSentence]] = {doc_id: [] for doc_id in by_doc}
    for sentence in document_sentences([(doc_id, 0, text, "body") for doc_id, text in texts.items()], lexicon, params):
        sentences[sentence.passage_id].append(sentence)
    for doc_id, parts in by_doc.items():
        kept[doc_id, params] = ReuseDocument(
            texts[doc_id],
            sentences[doc_id],
            [(pid, char_start, char_start + len(t)) for char_start, t, pid in parts],
        )
    doc_ids = dict.fromkeys(passages.column("doc_id").to_pylist())
    return {doc_id: kept[doc_id, params] for doc_id in doc_ids if (doc_id, params) in kept}


def _passages_under(document: ReuseDocument, spans: list[tuple[int, int]]) -> list[str]:
    return sorted(pid for pid, start, end in document.passages if any(a < end and start < b for a, b in spans))


def checked_lone_pairs(
    candidates: ParaphraseCandidates, passages: pa.Table, lexicon: Lexicon, params: ParaphraseParams
) -> ParaphraseCandidates:
    """``candidates`` without the pairs made candidates by one lone sentence pair whose two
    sentences' content words have a Dice under ``seed_similarity`` (no seed), ``lone`` emptied.
    Only those sentences' passages are read: most such pairs are chance, and reading the
    documents is most of a verification."""
    alike = _lone_pairs_alike(candidates.lone, passages, lexicon, params)
    return ParaphraseCandidates(
        [pair for pair in candidates.doc_pairs if alike.get(pair, True)],
        skipped_buckets=candidates.skipped_buckets,
    )


def _lone_pairs_alike(
    lone: dict[tuple[str, str], tuple[str, str]], passages: pa.Table, lexicon: Lexicon, params: ParaphraseParams
) -> dict[tuple[str, str], bool]:
    wanted = {passage_of_sentence(sentence) for pair in lone.values() for sentence in pair}
    mine = passages.filter(pc.is_in(passages.column("passage_id"), string_array(wanted)))
    words = {
        sentence.id: sentence.words
        for sentence in document_sentences(
            zip(*(mine.column(name).to_pylist() for name in ("passage_id", "char_start", "text", "kind"))),
            lexicon,
            params,
        )
    }
    # A sentence over several passages is named by the passage it ends in: read its document.
    spanning = {doc_of(passage_of_sentence(s)) for pair in lone.values() for s in pair if s not in words}
    if spanning:
        found = spanning_sentences(rows_of_documents(passages, spanning), lexicon, params)
        words.update((sentence_id_, sentence.words) for sentence_id_, _, sentence in found)
    alike = {}
    for pair, (first, second) in lone.items():
        x, y = words.get(first, frozenset()), words.get(second, frozenset())
        alike[pair] = bool(x and y) and 2 * len(x & y) >= params.seed_similarity * (len(x) + len(y))
    return alike


def find_paraphrases(
    candidates: ParaphraseCandidates,
    passages: pa.Table,
    credits: pa.Table,
    batch: str,
    lexicon: Lexicon,
    params: ParaphraseParams,
    context: RunContext | None = None,
) -> pa.Table:
    """The paraphrases table: one row per candidate document pair holding reused passages
    (``pipeline.text.reuse``: sentence seeds, extension, filter, verbatim ends).

    ``passages`` must hold every passage of every document the pairs name; ``credits`` their
    attribution rows (doc_id, sentence_start, sentence_end). A sentence that credits an outlet
    ("That is according to Reuters, which cited internal documents") never seeds: credit
    sentences follow templates that unrelated articles share, and copies reword them by design.
    ``context`` keeps the documents' sentences between calls.
    """
    crediting: dict[str, list[tuple[int, int]]] = {}
    for doc_id, start, end in zip(
        credits.column("doc_id").to_pylist(),
        credits.column("sentence_start").to_pylist(),
        credits.column("sentence_end").to_pylist(),
    ):
        crediting.setdefault(doc_id, []).append((start, end))
    if candidates.lone:
        candidates = checked_lone_pairs(candidates, passages, lexicon, params)
        passages = rows_of_documents(passages, {doc for pair in candidates.doc_pairs for doc in pair})
    documents = reuse_documents(passages, lexicon, params, (context or RunContext()).content_sentences)
    empty = ReuseDocument("", [], [])
    usable: dict[str, tuple[list[ContentSentence], SeedIndex]] = {}
    words: dict[str, list[Token]] = {}

    def usable_of(doc_id: str) -> tuple[list[ContentSentence], SeedIndex]:
        if doc_id not in usable:
            document, spans = documents.get(doc_id, empty), crediting.get(doc_id, ())
            kept = [s for s in document.sentences if not any(a < s.end and s.start < b for a, b in spans)]
            index = document.index if len(kept) == len(document.sentences) else SeedIndex.of(kept)
            usable[doc_id] = (kept, index)
        return usable[doc_id]

    def words_of(doc_id: str) -> Callable[[], list[Token]]:
        def get() -> list[Token]:
            if doc_id not in words:
                words[doc_id] = documents.get(doc_id, empty).words()
            return words[doc_id]

        return get

    rows: dict[str, list] = {name: [] for name in PARAPHRASES.names}
    for doc_a, doc_b in candidates.doc_pairs:
        (x, index_x), (y, index_y) = usable_of(doc_a), usable_of(doc_b)
        found: list[ReusedPassage] = reused_passages(
            x, y, words_of(doc_a), words_of(doc_b), params.reuse, index_x, index_y, lexicon.first_synonym
        )
        if not found:
            continue
        a, b = documents.get(doc_a, empty), documents.get(doc_b, empty)
        found = [replace(p, a_end=a.closed(p.a_end), b_end=b.closed(p.b_end)) for p in found]
        chars = [p.a_end - p.a_start + p.b_end - p.b_start for p in found]
        rows["doc_a"].append(doc_a)
        rows["doc_b"].append(doc_b)
        rows["batch"].append(batch)
        rows["sentences"].append(sum(p.seeds for p in found))
        rows["containment_mean"].append(sum(p.containment for p in found) / len(found))
        rows["verbatim_share"].append(sum(p.verbatim_share * n for p, n in zip(found, chars)) / max(1, sum(chars)))
        rows["passages_a"].append(_passages_under(a, [(p.a_start, p.a_end) for p in found]))
        rows["passages_b"].append(_passages_under(b, [(p.b_start, p.b_end) for p in found]))
        rows["spans"].append(
            [{"a_start": p.a_start, "a_end": p.a_end, "b_start": p.b_start, "b_end": p.b_end} for p in found]
        )
    table = pa.table({name: pa.array(values, type=PARAPHRASES.field(name).type) for name, values in rows.items()})
    return conform(table, PARAPHRASES)


# ---------------------------------------------------------------------------- the pool
def sentence_bands(passages: pa.Table, params: ParaphraseParams, parallel: ParallelParams) -> pa.Table:
    """``sentence_band_rows`` of the passages, cut between documents when the pool is used."""
    return map_table(functools.partial(_sentence_band_chunk, params=params), passages, parallel, group_by="doc_id")


def _sentence_band_chunk(passages: pa.Table, params: ParaphraseParams) -> pa.Table:
    return sentence_band_rows(passages, Lexicon.load(), params)


def _paraphrase_chunk(chunk: tuple[ParaphraseCandidates, pa.Table, pa.Table, str, ParaphraseParams]) -> pa.Table:
    candidates, passages, credits, batch, params = chunk
    return find_paraphrases(candidates, passages, credits, batch, Lexicon.load(), params, process_context())


def run(
    candidates: ParaphraseCandidates,
    passages: pa.Table,
    credits: pa.Table,
    batch: str,
    params: ParaphraseParams,
    parallel: ParallelParams,
    context: RunContext | None = None,
) -> pa.Table:
    """``find_paraphrases``, its (sorted) document pairs cut into consecutive runs when the pool
    is used: each pair is verified on its own, so the runs' rows, concatenated in order, are the
    same table. Reading each document's sentences is most of the work; a run keeps a new
    document's pairs together, so few documents are read in two processes. The pool's workers keep
    their own process's context (``process_context``)."""
    if candidates.lone:  # before the pool is sized: most such pairs go here
        candidates = checked_lone_pairs(candidates, passages, Lexicon.load(), params)
    pairs = candidates.doc_pairs
    parts = n_chunks(len(pairs), parallel, DOCUMENT_WEIGHT)
    if parts <= 1:
        return find_paraphrases(candidates, passages, credits, batch, Lexicon.load(), params, context)

    def chunk(offset: int, length: int) -> tuple[ParaphraseCandidates, pa.Table, pa.Table, str, ParaphraseParams]:
        stretch = pairs[offset : offset + length]
        docs = {doc for pair in stretch for doc in pair}
        return (
            ParaphraseCandidates(stretch),
            rows_of_documents(passages, docs),
            rows_of_documents(credits, docs),
            batch,
            params,
        )

    work = (chunk(offset, length) for offset, length in even_slices(len(pairs), parts))
    return pa.concat_tables(
        map_chunks(_paraphrase_chunk, work, parallel, f"paraphrase {batch}", total=parts)
    ).combine_chunks()
