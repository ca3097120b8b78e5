"""Fast paths of pipeline.text.tokens equal their plain definitions on arbitrary text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.text.tokens import count_words, word_counts

any_text = st.text(alphabet=st.characters(exclude_categories=("Cn", "Cs")), max_size=60)
# Abbreviations, numbers, apostrophes, combining accents and "per cent": the token pattern's corners.
word_text = st.lists(st.sampled_from(["U.S.", "a.b.", "1,000.5", "3.", "it's", "O’Neil", "e\u0301te", "%", "per", "cent",
                                      "_x_", " ", "\n", "-", "Ünïcode", "٣", "Ⅻ", "½"]), max_size=20).map("".join)


@settings(max_examples=300, deadline=None)  # the first call classes every code point (0.3 s)
@given(st.lists(st.one_of(any_text, word_text, st.text(alphabet=st.characters(exclude_categories=("Cs",)),
                                                       max_size=30)), max_size=8))
def test_word_counts_equal_count_words(texts):
    """Polars' regex kernel counts the same tokens as Python's re; unassigned characters included
    (Polars' Unicode tables are newer than Python's: those texts are counted by Python)."""
    assert word_counts(texts) == [count_words(t) for t in texts]


@settings(max_examples=300)
@given(st.one_of(any_text, word_text))
def test_tokenize_equals_matching_token_by_token(text):
    """tokenize builds its tokens from re.split in C: the same tokens, offsets and "per cent"
    merges as the match-by-match definition."""
    from pipeline.text.tokens import Token, _tokenize_one_by_one, tokenize

    found = tokenize(text)
    assert found == _tokenize_one_by_one(text)
    assert all(type(t) is Token for t in found)


@settings(max_examples=300, deadline=None)  # the first call finds the characters classed apart (0.3 s)
@given(st.one_of(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60), word_text,
                 st.sampled_from(["0A\U00031350", "\U00011f50\U00011f51 x"])))
def test_rust_tokens_equal_python_tokens_where_tokenized_alike(text):
    """Texts free of the characters the two engines' Unicode tables class apart (unassigned ones
    included) give Polars' regex kernel the tokens of Python's re; the others are found."""
    import polars as pl

    from pipeline.text.tokens import _TOKEN, TOKEN_RUST, tokenized_alike_by_rust

    series = pl.Series(values=[text], dtype=pl.String)
    same = series.str.extract_all(TOKEN_RUST).to_list()[0] == _TOKEN.findall(text)
    assert same or not tokenized_alike_by_rust(series)[0]
