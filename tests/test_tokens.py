"""Fast paths of pipeline.tokens equal their plain definitions on arbitrary text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.tokens import count_words, word_counts

any_text = st.text(alphabet=st.characters(exclude_categories=("Cn", "Cs")), max_size=60)
# Abbreviations, numbers, apostrophes, combining accents and "per cent": the token pattern's corners.
word_text = st.lists(st.sampled_from(["U.S.", "a.b.", "1,000.5", "3.", "it's", "O’Neil", "e\u0301te", "%", "per", "cent",
                                      "_x_", " ", "\n", "-", "Ünïcode", "٣", "Ⅻ", "½"]), max_size=20).map("".join)


@settings(max_examples=300)
@given(st.lists(st.one_of(any_text, word_text), max_size=8))
def test_word_counts_equal_count_words(texts):
    """Polars' regex kernel counts the same tokens as Python's re."""
    assert word_counts(texts) == [count_words(t) for t in texts]


@settings(max_examples=300)
@given(st.one_of(any_text, word_text))
def test_tokenize_equals_matching_token_by_token(text):
    """tokenize builds its tokens from re.split in C: the same tokens, offsets and "per cent"
    merges as the match-by-match definition."""
    from pipeline.tokens import Token, _tokenize_one_by_one, tokenize

    found = tokenize(text)
    assert found == _tokenize_one_by_one(text)
    assert all(type(t) is Token for t in found)
