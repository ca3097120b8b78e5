"""Reused passages without paragraphs: seeds, extension, filter and verbatim ends (pipeline.text.reuse)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_paraphrase import REWRITE, SAME_TOPIC, SOURCE

from pipeline.stages.paraphrase import ParaphraseParams, document_sentences
from pipeline.text.reuse import Run, reused_passages, seed_groups, verbatim_runs
from pipeline.text.synonyms import Lexicon
from pipeline.text.tokens import Token, tokenize

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


def brute_force_runs_of_rare_grams(a: list[str], b: list[str], n: int, max_repeats: int) -> set[Run]:
    """Maximal stretches of shared n-grams on one diagonal, leaving out those ``a`` repeats too often."""
    grams = [tuple(a[i : i + n]) for i in range(len(a) - n + 1)]

    def starts_run(i: int, j: int) -> bool:
        return (
            0 <= i < len(grams)
            and 0 <= j <= len(b) - n
            and grams[i] == tuple(b[j : j + n])
            and (grams.count(grams[i]) <= max_repeats)
        )

    runs = set()
    for i in range(len(grams)):
        for j in range(len(b) - n + 1):
            if starts_run(i, j) and not starts_run(i - 1, j - 1):
                k = 1
                while starts_run(i + k, j + k):
                    k += 1
                runs.add(Run(i, j, k + n - 1))
    return runs


@given(
    st.lists(st.sampled_from("abc"), min_size=0, max_size=30),
    st.lists(st.sampled_from("abc"), min_size=0, max_size=30),
    st.integers(1, 3),
    st.integers(1, 4),
)
def test_verbatim_runs_skip_the_n_grams_a_repeats_too_often(a, b, n, max_repeats):
    assert set(verbatim_runs(a, b, n, max_repeats)) == brute_force_runs_of_rare_grams(a, b, n, max_repeats)


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


# Written for these tests: an article, and a summary whose sentences condense sentences from all
# over it (with the article's own sentences in between on other matters).
ARTICLE = (
    "The regional water board voted on Tuesday to build a desalination plant near the northern harbour. "
    "Board members met for four hours before the vote. "
    "Several residents spoke about the price of bottled water in the summer. "
    "A local choir sang before the meeting began. "
    "The hall was full, and latecomers listened from the corridor. "
    "The plant will turn sea water into drinking water for about two hundred thousand households every day. "
    "Engineers said the site had been chosen for its deep water and its road access. "
    "The mayor thanked the volunteers who had organised the public hearing. "
    "Coffee and sandwiches were served during the break. "
    "Two council members arrived late because of a train strike. "
    "Construction is expected to cost ninety million euros and should take three years to complete. "
    "Opponents warned that the brine released by the plant could harm fish near the harbour. "
    "A spokesperson said the board would publish its environmental study next month. "
    "Television crews filmed the debate for the evening news. "
    "Farmers in the valley hope the new supply will end the summer restrictions on irrigation water. "
    "The next meeting of the board is planned for the spring."
)
SUMMARY = (
    "Officials on the water board approved plans on Tuesday for a desalination plant by the northern harbour. "
    "Every day the plant is to supply drinking water from the sea to around two hundred thousand households. "
    "Building it will take three years and is expected to cost ninety million euros. "
    "Valley farmers hope the supply ends the summer restrictions on their irrigation water."
)


def test_a_summary_of_sentences_all_over_an_article_is_one_passage_over_their_hull(lexicon):
    passages = found(ARTICLE, SUMMARY, lexicon)
    assert len(passages) == 1
    (summary,) = passages
    assert summary.b_start == 0 and summary.b_end >= len(SUMMARY) - 1  # the stage adds the full stop
    assert summary.a_start == 0 and summary.a_end > ARTICLE.index("Farmers in the valley")
    assert summary.verbatim_share < 0.8


# Written for these tests: a summary whose first three sentences condense neighbouring sentences of
# ARTICLE in order (one run of seeds, stretched on the article's side), the last a far one.
SUMMARY_IN_ORDER = (
    "The water board approved a desalination plant by the northern harbour on Tuesday. "
    "Residents at the hearing spoke about the price they pay for bottled water each summer. "
    "Each day the plant will make drinking water from the sea for two hundred thousand households. "
    "Valley farmers hope the supply ends the summer restrictions on their irrigation water."
)


def test_a_summary_condensing_neighbouring_sentences_in_order_spans_what_it_condenses(lexicon):
    (summary,) = found(ARTICLE, SUMMARY_IN_ORDER, lexicon)
    assert summary.a_start == 0 and summary.a_end > ARTICLE.index("Farmers in the valley")
    assert summary.b_start == 0 and summary.b_end >= len(SUMMARY_IN_ORDER) - 1


# Written for these tests: a summary of ARTICLE whose middle sentence keeps three words of the one
# it condenses (a pair as growth reads them, not a seed).
SUMMARY_LOOSE = (
    "Officials on the water board approved plans on Tuesday for a desalination plant by the northern harbour. "
    "Growers in the valley, whose fields go dry each July, expect the new supply to lift the limits. "
    "Building it will take three years and is expected to cost ninety million euros."
)


def test_a_summary_sentence_reworded_more_than_a_seed_counts_between_two_seeds(lexicon):
    (summary,) = found(ARTICLE, SUMMARY_LOOSE, lexicon)
    assert (summary.b_start, summary.a_start) == (0, 0)
    assert summary.a_end > ARTICLE.index("Farmers in the valley")
    # One seed and one such pair are no summary.
    one_seed = SUMMARY_LOOSE[: SUMMARY_LOOSE.index("Building")] + HOST
    assert found(ARTICLE, one_seed, lexicon) == []


def test_a_copy_with_a_sentence_echoing_a_far_one_keeps_the_span_it_copied(lexicon):
    copied = ARTICLE[ARTICLE.index("Board members") : ARTICLE.index("The hall was full")]
    echo = "Farmers in the valley are hoping for an end to summer limits on irrigation. "
    passages = found(ARTICLE, HOST + copied + echo + HOST_END.strip(), lexicon)
    # The far echo does not make the copy a summary of everything between.
    assert [(p.a_start, p.a_end) for p in passages] == [
        (ARTICLE.index(copied), ARTICLE.index(copied) + len(copied.rstrip()) - 1)  # the stage adds the full stop
    ]


# A reworded passage of ARTICLE in a page on another matter: two sentences close enough to seed,
# and a third that keeps fewer of its words (at most what extension reads).
REWORDED = (
    "Every day the new plant will turn sea water into drinking water for some two hundred thousand households. "
    "According to the engineers, the site was chosen because of its deep water and its access by road. "
    "At the close of a long and noisy evening of speeches, questions and complaints, the mayor praised "
    "the volunteers who had helped to run the hearing. "
)


def test_a_reworded_passage_grows_over_the_next_sentence_pair_that_agrees_less_than_a_seed(lexicon):
    page = HOST + REWORDED + HOST_END.strip()
    (passage,) = found(ARTICLE, page, lexicon)
    assert (passage.b_start, passage.b_end) == (len(HOST), len(HOST) + len(REWORDED.rstrip()))
    mayor = ARTICLE.index("The mayor thanked")
    assert passage.a_start == ARTICLE.index("The plant will turn")
    assert passage.a_end == ARTICLE.index("Coffee and sandwiches") - 1 > mayor

    params = ParaphraseParams()
    sentences = [document_sentences([("d", 0, text, "body")], lexicon, params) for text in (ARTICLE, page)]
    unextended = replace(params.reuse, extension_similarity=1.0)
    (seeded,) = reused_passages(sentences[0], sentences[1], tokenize(ARTICLE), tokenize(page), unextended)
    assert seeded.a_end < mayor and seeded.b_end < page.index("At the close")


def _sentences(word_sets: list[str], side: str) -> tuple[list, list[Token]]:
    """Sentences of the given content words, 100 characters apart, and their words: each
    sentence's content words and ten others of its own (enough words for a passage of two
    sentences, and no verbatim run beyond the content words)."""
    from types import SimpleNamespace

    sentences, words = [], []
    for k, content in enumerate(word_sets):
        for n, word in enumerate(content.split() + [f"{side}{k}-{n}" for n in range(10)]):
            words.append(Token(100 * k + 4 * n, 100 * k + 4 * n + 3, word, word))
        sentences.append(SimpleNamespace(start=100 * k, end=words[-1].end, words=frozenset(content.split())))
    return sentences, words


def passages_of(x: list[str], y: list[str], first_synonym=None):
    (sentences_x, words_x), (sentences_y, words_y) = _sentences(x, "x"), _sentences(y, "y")
    return reused_passages(
        sentences_x, sentences_y, words_x, words_y, ParaphraseParams().reuse, first_synonym=first_synonym
    )


def test_a_seed_too_weak_alone_is_a_passage_with_two_more_sentence_pairs_that_agree_less():
    # x2/y2 seed (Dice 0.7) but share too few words to be a passage alone; x3/y3 and x4/y4 share
    # three words each, a Dice of 0.32: less than a seed, enough for growth.
    x = ["x0a x0b x0c", "x1a x1b x1c", "a b c d e f g h i j", "n o p q r", "s t u v w", "x5a x5b"]
    y = ["y0a y0b y0c", "y1a y1b y1c", "a b c d e f g k l m"]
    y += [" ".join(["n", "o", "p"] + [f"y3{k}" for k in range(11)])]
    y += [" ".join(["s", "t", "u"] + [f"y4{k}" for k in range(11)]), "y5a y5b"]
    (passage,) = passages_of(x, y)
    assert (passage.a_start, passage.b_start) == (200, 200)
    assert (passage.a_end, passage.b_end) == (_sentences(x, "x")[0][4].end, _sentences(y, "y")[0][4].end)
    assert passage.seeds == 3
    # One such pair more is what two same-topic texts share: two sentence pairs make no passage.
    y[4] = " ".join(f"y4{k}" for k in range(14))
    assert passages_of(x, y) == []


def test_three_sentence_pairs_with_half_their_words_swapped_for_synonyms_are_a_passage(lexicon):
    # A seed that keeps six of eight words, and two pairs that keep three and swap five for
    # synonyms ("inspection" -> "examination"), as machine obfuscation and spinners do: a
    # containment of 0.5, and of 1.0 with synonyms.
    x = ["x0a x0b x0c", "harbour council budget vote winter ferry inspection county"]
    x += ["crossing timetable night price rule doctor sick money"]
    x += ["bridge repair closure buy shop city road help", "x4a x4b x4c"]
    y = ["y0a y0b y0c", "harbour council budget vote winter ferry examination region"]
    y += ["crossing timetable night cost regulation physician ill cash"]
    y += ["bridge repair closure purchase store town street aid", "y4a y4b y4c"]
    assert passages_of(x, y) == []
    (passage,) = passages_of(x, y, lexicon.first_synonym)
    assert (passage.a_start, passage.b_start) == (100, 100)
    assert passage.seeds == 3 and passage.containment == 0.5
    # Two such sentence pairs are what same-topic texts can share: no passage, synonyms or not.
    y[3] = "y3a y3b y3c"
    assert passages_of(x, y, lexicon.first_synonym) == []


def test_seeds_whose_every_sentence_pairs_up_are_a_passage_whatever_their_containment():
    # Three seeds keeping five of nine words, and between two of them a pair keeping three: a text
    # translated sentence by sentence, half its words other words (a containment of 0.5).
    def sentence(keep: str, side: str, k: int, n: int) -> str:
        return " ".join(keep.split() + [f"{side}{k}w{m}" for m in range(n)])

    kept = ["harbour council budget vote winter", "ferry crossing timetable night delay", "bridge repair closure"]
    kept += ["tram depot fleet driver strike"]
    x = ["x0a x0b x0c", *(sentence(keep, "x", k, 9 - len(keep.split())) for k, keep in enumerate(kept, 1)), "x5a x5b"]
    y = ["y0a y0b y0c", *(sentence(keep, "y", k, 9 - len(keep.split())) for k, keep in enumerate(kept, 1)), "y5a y5b"]
    (passage,) = passages_of(x, y)
    assert (passage.a_start, passage.b_start) == (100, 100)
    assert passage.seeds == 3 and passage.containment == 0.5
    # With a sentence between the seeds that pairs with none, it is no passage.
    y[3] = sentence("bridge repair", "y", 3, 7)
    assert passages_of(x, y) == []
