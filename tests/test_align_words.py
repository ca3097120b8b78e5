"""The vectorised passage words equal ``passage_words``, the token-by-token definition, text by text."""

from __future__ import annotations

import pytest
from cachetools import LRUCache
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.text import words
from pipeline.text.anchors import Anchor
from pipeline.text.synonyms import Lexicon
from pipeline.text.words import PassageWords, RecentPassageWords, passage_words, passage_words_of

# Unassigned characters (Cn) included: Polars' Unicode tables are newer than Python's, and texts
# with characters they class apart must take the definition.
any_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=80)
# The corners of the three steps: anchors (names at and after sentence starts, months with days,
# figures, weekdays, stopwords), tokens (abbreviations, numbers, apostrophes, accents, non-Latin and
# superscript digits, "per cent") and "<language name> language", chained and across a break.
word = st.sampled_from(
    [
        "October",
        "Oct.",
        "oct",
        "Sept",
        "May",
        "march",
        "30",
        "5",
        "05",
        "2025",
        "1,000",
        "12.5",
        "3.",
        "Two",
        "twenty",
        "Monday",
        "The",
        "the",
        "He",
        "Trump",
        "Karoline",
        "Leavitt",
        "U.S.",
        "u.s.",
        "per",
        "Per",
        "cent",
        "%",
        "percent",
        "Per cent",
        "per  cent",
        "Chinese",
        "chinese",
        "Mandarin",
        "French",
        "language",
        "Language",
        "languages",
        "E\u0301mile",
        "\u00c9mile",
        "\u0663\u0664",
        "\u00b2\u00b3",
        "\u2162",
        "\u00bd",
        "O\u2019Neil",
        "Trump's",
        "\u0130stanbul",
        "\u01c5ungla",
        "Stra\u00dfe",
        "_X",
        "x",
        "100",
        "Ab\U00031350",
        "\U00011f50\U00011f51",  # a letter and digits of Unicode 15, unassigned in Python 3.11's 14.0
    ]
)
separator = st.sampled_from(
    [
        " ",
        "  ",
        ". ",
        ".",
        "\n",
        ": ",
        ";",
        '"',
        ' "',
        "\u201c",
        "\u201d ",
        ", ",
        "! ",
        "? ",
        "-",
        "",
        "\r\n",
        "\t",
        "'",
        " (",
        ") ",
        "\u00a0",
        "\u2014",
    ]
)
corner_text = st.lists(st.tuples(word, separator), max_size=16).map(lambda parts: "".join(w + s for w, s in parts))
texts = st.lists(st.one_of(corner_text, any_text), max_size=8)


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load()


@settings(max_examples=400, deadline=None)  # the first call finds the characters classed apart (0.3 s)
@given(texts=texts)
@example(
    texts=[
        "",
        "Oil fell 5 Per cent Tuesday. Per cent Paris",
        "Chinese language language talks. The French Language",
        "language Chinese",
        "October 100 or May 7, 2025: The U.S. Per\ncent",
        "0A\U00031350",
    ]
)
@example(texts=[])
def test_passage_words_of_equal_passage_words_text_by_text(texts, lexicon):
    """Offsets from the summed lengths of Polars' token and gap matches, anchors from
    anchor_key_rows' masks, "language" merged by mask: the definition's words, offsets and first
    anchors (dicts compare without order: checked apart)."""
    found = passage_words_of(texts, lexicon)
    expected = [passage_words(text, lexicon) for text in texts]
    assert found == expected
    assert [list(passage.first_anchor) for passage in found] == [list(passage.first_anchor) for passage in expected]


def test_passage_words_of_examples(lexicon):
    """Offsets into each text; a date anchor spans its day; a repeated name keeps its first place;
    "Chinese language" is one word over both; "per cent" one word (by the definition)."""
    texts = ["Xi met Trump on Oct. 30 in Busan; Trump left.", "", "Chinese language talks rose 5 per cent."]
    first, empty, third = passage_words_of(texts, lexicon)
    assert first.keys == ("xi", "met", "trump", "on", "october", "30", "in", "busan", "trump", "left")
    assert [texts[0][s:e] for s, e in zip(first.starts, first.ends)] == [
        "Xi",
        "met",
        "Trump",
        "on",
        "Oct",
        "30",
        "in",
        "Busan",
        "Trump",
        "left",
    ]
    assert first.first_anchor == {
        "n:trump": Anchor("n:trump", 7, 12),
        "d:october 30": Anchor("d:october 30", 16, 23),
        "n:busan": Anchor("n:busan", 27, 32),
    }
    assert empty == PassageWords((), (), (), {})
    assert third.keys == ("chinese", "talks", "rose", "5", "percent")
    assert texts[2][third.starts[0] : third.ends[0]] == "Chinese language"
    assert texts[2][third.starts[-1] : third.ends[-1]] == "per cent"


@settings(max_examples=50, deadline=None)
@given(texts=texts, slice_texts=st.integers(1, 9))
def test_passage_words_of_are_the_same_in_any_slices(texts, slice_texts, lexicon):
    """Texts are worked out in bounded slices (for memory): any cut gives the same words."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(words, "_WORDS_SLICE", slice_texts)
        assert passage_words_of(texts, lexicon) == [passage_words(text, lexicon) for text in texts]


def test_recent_passage_words_keep_the_latest_and_equal_the_definition(lexicon):
    """Kept words are returned as they were (no new work); the oldest are let go first."""
    recent = RecentPassageWords(LRUCache(2))
    a, b = recent.words_of(["Trump met Xi.", "Oct. 30"], lexicon)
    assert [a, b] == [passage_words("Trump met Xi.", lexicon), passage_words("Oct. 30", lexicon)]
    assert recent.words("Trump met Xi.", lexicon) is a
    c, again = recent.words_of(["Busan 2025", "Trump met Xi."], lexicon)
    assert again is a and c == passage_words("Busan 2025", lexicon)
    assert recent.words("Oct. 30", lexicon) is not b  # let go: "Oct. 30" was the least recent
