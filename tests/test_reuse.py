"""Reused passages without paragraphs: seeds, extension, filter and verbatim ends (pipeline.text.reuse)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_paraphrase import REWRITE, SAME_TOPIC, SOURCE

from pipeline.stages.paraphrase import ParaphraseParams, document_sentences
from pipeline.text.reuse import Run, reused_passages, seed_groups, verbatim_runs
from pipeline.text.synonyms import Lexicon
from pipeline.text.tokens import tokenize

# Written for these tests: a page on another subject, into which a part of SOURCE is pasted.
HOST = (
    "The city library will extend its opening hours during the exam season. Students asked for "
    "quiet rooms that stay open until midnight, and the council agreed to pay for extra staff. "
    "A new reading room on the second floor opens next week with forty desks. "
)
HOST_END = (
    " Volunteers will run a book sale in the lobby on Saturday to raise money for the children's "
    "section. The library also plans a series of evening talks by local authors this winter."
)


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load()


def found(x: str, y: str, lexicon: Lexicon):
    params = ParaphraseParams()
    sentences = [document_sentences([("d", 0, text, "body")], lexicon, params) for text in (x, y)]
    return reused_passages(sentences[0], sentences[1], tokenize(x), tokenize(y), params.reuse)


def test_a_short_excerpt_cut_mid_sentence_is_found_with_its_exact_ends(lexicon):
    body = SOURCE.split(":\n", 1)[1]
    start = body.index("close automatically")  # mid-sentence
    end = body.index("delay container vessels") + len("delay container vessels")  # mid-sentence too
    source = SOURCE
    offset = SOURCE.index(body)
    copy = HOST + body[start:end] + HOST_END
    (passage,) = found(source, copy, lexicon)
    assert (passage.a_start, passage.a_end) == (offset + start, offset + end)
    assert (passage.b_start, passage.b_end) == (len(HOST), len(HOST) + end - start)
    assert passage.verbatim_share == 1.0


def test_a_rewrite_is_a_reworded_passage_and_a_same_topic_report_is_none(lexicon):
    (passage,) = found(SOURCE, REWRITE, lexicon)
    assert passage.seeds >= 3 and passage.verbatim_share < 0.8
    assert found(SOURCE, SAME_TOPIC, lexicon) == []


def test_seeds_join_when_close_in_both_documents():
    groups = seed_groups([(0, 10), (2, 12), (9, 13), (10, 40)], max_gap=2)
    assert sorted(groups) == [[(0, 10), (2, 12)], [(9, 13)], [(10, 40)]]


def brute_force_runs(a: list[str], b: list[str], n: int) -> set[Run]:
    runs = set()
    for i in range(len(a)):
        for j in range(len(b)):
            if (i and j and a[i - 1] == b[j - 1]) or a[i] != b[j]:
                continue  # not the start of a maximal run
            k = 0
            while i + k < len(a) and j + k < len(b) and a[i + k] == b[j + k]:
                k += 1
            if k >= n:
                runs.add(Run(i, j, k))
    return runs


@given(
    st.lists(st.sampled_from("abc"), min_size=0, max_size=30),
    st.lists(st.sampled_from("abc"), min_size=0, max_size=30),
    st.integers(1, 4),
)
def test_verbatim_runs_are_the_maximal_common_runs(a, b, n):
    assert set(verbatim_runs(a, b, n, max_repeats=10**6)) == brute_force_runs(a, b, n)


def seeds_by_definition(x, y, similarity):
    """Cosine of binary tf-idf vectors (idf = ln(n / df) over both documents' sentences) and Dice."""
    import math

    everything = [*x, *y]
    df = {w: sum(w in s for s in everything) for s in everything for w in s}
    idf = {w: math.log(len(everything) / d) for w, d in df.items()}
    seeds = []
    for i, s in enumerate(x):
        for j, t in enumerate(y):
            common = s & t
            if not common:
                continue
            norm = math.sqrt(sum(idf[w] ** 2 for w in s) * sum(idf[w] ** 2 for w in t))
            dot = sum(idf[w] ** 2 for w in common)
            if dot > 1e-12 and 2 * len(common) >= similarity * (len(s) + len(t)) and dot >= similarity * norm - 1e-9:
                seeds.append((i, j))
    return seeds


sentence_sets = st.lists(st.frozensets(st.sampled_from("abcdefghij"), min_size=1, max_size=6), max_size=8)


@given(sentence_sets, sentence_sets, st.sampled_from([0.2, 0.33, 0.5]))
def test_seeds_are_the_cosine_and_dice_of_their_definition(xs, ys, similarity):
    from types import SimpleNamespace

    from pipeline.text.reuse import SeedIndex, sentence_seeds

    def index(sets):
        return SeedIndex.of([SimpleNamespace(start=0, end=0, words=s) for s in sets])

    assert set(sentence_seeds(index(xs), index(ys), similarity)) == set(seeds_by_definition(xs, ys, similarity))
