"""Sentence spans: in order, inside the text, never overlapping, each a stripped non-empty run."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.text.sentences import SENTENCE_MAX_CHARS, Sentence, split_sentences, typed_sentences
from pipeline.text.synonyms import Lexicon

# Words, stops, abbreviations, initials, quotes, line breaks and glued stops ("tool.it").
_TEXT = st.one_of(
    st.text(max_size=80),
    st.lists(
        st.sampled_from(
            [
                "The",
                "port",
                "Mr.",
                "U.S.",
                "J.",
                "Oct.",
                "…",
                "it",
                "tool.it",
                "Ask.com",
                ". ",
                "? ",
                "! ",
                "”",
                "“",
                "(",
                ")",
                " ",
                "  ",
                "\n",
                "\n\n",
                "3",
                "a",
            ]
        ),
        max_size=25,
    ).map("".join),
)


def _well_formed(text: str, spans) -> bool:
    inside = all(0 <= s.start < s.end <= len(text) for s in spans)
    in_order = all(a.end <= b.start for a, b in zip(spans, spans[1:]))
    stripped = all(text[s.start : s.end] == text[s.start : s.end].strip() for s in spans)
    return inside and in_order and stripped


@settings(max_examples=300)
@given(_TEXT)
def test_sentences_cover_the_text_in_order_without_overlap(text):
    spans = split_sentences(text)
    assert _well_formed(text, spans)
    assert all("\n" not in text[s.start : s.end] for s in spans)  # a line break always ends a sentence
    # Every non-space character outside the spans is none: the sentences cover the text.
    covered = {i for s in spans for i in range(s.start, s.end)}
    assert all(ch.isspace() for i, ch in enumerate(text) if i not in covered)


@settings(max_examples=300, deadline=None)  # the first call loads the lexicon
@given(_TEXT)
def test_typed_sentences_cover_the_text_in_order_without_overlap(text):
    spans = typed_sentences(text, Lexicon.load())
    assert _well_formed(text, spans)
    covered = {i for s in spans for i in range(s.start, s.end)}
    assert all(ch.isspace() for i, ch in enumerate(text) if i not in covered)


# --- boundaries beyond Latin punctuation, the length limit, linear time ------------------------------


def _pieces(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


def test_cjk_full_stops_end_sentences_without_a_space():
    assert _pieces("市政府周二宣布新计划。地铁将于明年开通！你同意吗？是的") == [
        "市政府周二宣布新计划。",
        "地铁将于明年开通！",
        "你同意吗？",
        "是的",
    ]
    assert _pieces("東京都は「新しい計画を発表した。」その後") == ["東京都は「新しい計画を発表した。」", "その後"]


def test_an_ellipsis_ends_a_sentence_as_three_full_stops_do():
    # Teaser lists cut each item with one: "...eloping… Mar 27 2007 Find out if...".
    for dots in ("…", "..."):
        text = f"A feeling of romantic rebellion when eloping{dots} Find out if a wedding will be held{dots} and more"
        assert _pieces(text) == [
            f"A feeling of romantic rebellion when eloping{dots}",
            f"Find out if a wedding will be held{dots} and more",
        ]


def test_a_space_between_thai_words_ends_a_sentence():
    assert _pieces("รัฐบาลประกาศแผนใหม่ วันนี้ฝนตกหนัก") == ["รัฐบาลประกาศแผนใหม่", "วันนี้ฝนตกหนัก"]


def test_an_over_long_sentence_is_cut_at_a_list_separator_or_a_space_and_says_so():
    items = "; ".join(f"item number {k} of the list" for k in range(200))
    spans = split_sentences(items)
    assert all(s.end - s.start <= SENTENCE_MAX_CHARS for s in spans)
    assert [s.cut for s in spans] == [True] * (len(spans) - 1) + [False]
    assert all(items[s.end - 1] == ";" for s in spans[:-1])  # at the separators
    words = " ".join(["Capitalised"] * 1000)
    assert all(
        words[s.start : s.end].split() == ["Capitalised"] * len(words[s.start : s.end].split())
        for s in split_sentences(words)
    )
    assert split_sentences("x" * 2500) == [Sentence(0, 1000, True), Sentence(1000, 2000, True), Sentence(2000, 2500)]


def test_short_sentences_are_not_marked_cut():
    assert not any(s.cut for s in split_sentences("One sentence. Another one.\nA third."))


_ENDLESS = {
    "capitalised words": lambda n: " ".join(["Alpha", "Beta", "Gamma", "Delta"] * (n // 22)),
    "credit cues": lambda n: "according to the Times and Reuters and the BBC, told the Post, " * (n // 64),
    "many short sentences": lambda n: "Mr. Smith said so. It rained. " * (n // 30),
    "chinese": lambda n: "北京市政府周二宣布新的交通计划。" * (n // 48),
    "one word": lambda n: "a" * n,
}


def _seconds(function, text: str) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        function(text)
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("kind", sorted(_ENDLESS))
def test_splitting_is_linear_on_hostile_input(kind):
    """4 MB take about 4 times as long as 1 MB, a quadratic split 16 times: a ratio, not a wall clock,
    with room for a shared machine's noise."""
    small, large = _ENDLESS[kind](1_000_000), _ENDLESS[kind](4_000_000)
    ratio = _seconds(split_sentences, large) / max(_seconds(split_sentences, small), 1e-3)
    assert ratio < 10, f"{kind}: 4x the text took {ratio:.1f}x the time"
