"""Fast paths of pipeline.text.tokens equal their plain definitions on arbitrary text."""

from __future__ import annotations

import itertools

import oracles
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.text.sentences import BREAK_BETWEEN_TOKENS
from pipeline.text.tokens import count_words, normal_words, token_rows, tokenize, tokenized_alike_by_rust, word_counts

any_text = st.text(alphabet=st.characters(exclude_categories=("Cn", "Cs")), max_size=60)
# Abbreviations, numbers, apostrophes, combining accents and "per cent": the token pattern's corners.
word_text = st.lists(
    st.sampled_from(
        [
            "U.S.",
            "a.b.",
            "1,000.5",
            "3.",
            "it's",
            "O’Neil",
            "e\u0301te",
            "%",
            "per",
            "cent",
            "_x_",
            " ",
            "\n",
            "-",
            "Ünïcode",
            "٣",
            "Ⅻ",
            "½",
        ]
    ),
    max_size=20,
).map("".join)


@settings(max_examples=300, deadline=None)  # the first call classes every code point (0.3 s)
@given(
    st.lists(
        st.one_of(any_text, word_text, st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30)),
        max_size=8,
    )
)
def test_word_counts_equal_count_words(texts):
    """Polars' regex kernel counts the same tokens as Python's re; unassigned characters included
    (Polars' Unicode tables are newer than Python's: those texts are counted by Python)."""
    assert word_counts(texts) == [count_words(t) for t in texts]


@settings(max_examples=300)
@given(st.one_of(any_text, word_text))
def test_tokenize_equals_matching_token_by_token(text):
    """tokenize builds its tokens from re.split in C: the same tokens, offsets and "per cent"
    merges as the match-by-match definition; normal_words their normal forms."""
    from pipeline.text.tokens import Token

    found = tokenize(text)
    assert found == oracles.tokenize_one_by_one(text)
    assert all(type(t) is Token for t in found)
    assert normal_words(text) == [t.norm for t in found]


@settings(max_examples=300, deadline=None)  # the first call finds the characters classed apart (0.3 s)
@given(
    st.one_of(
        st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60),
        word_text,
        st.sampled_from(["0A\U00031350", "\U00011f50\U00011f51 x"]),
    )
)
def test_rust_tokens_equal_python_tokens_where_tokenized_alike(text):
    """Texts free of the characters the two engines' Unicode tables class apart (unassigned ones
    included) give Polars' regex kernel the tokens of Python's re; the others are found."""
    import polars as pl

    from pipeline.text.tokens import TOKEN, TOKEN_RUST, tokenized_alike_by_rust

    series = pl.Series(values=[text], dtype=pl.String)
    same = series.str.extract_all(TOKEN_RUST).to_list()[0] == TOKEN.findall(text)
    assert same or not tokenized_alike_by_rust(series)[0]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(any_text, word_text, st.sampled_from(["Mr. Xi: “Yes.” No", "U.S. 3.5% rise;\nThe", ""])), max_size=8
    ),
    st.sampled_from([frozenset(), BREAK_BETWEEN_TOKENS]),
    st.booleans(),
    st.integers(1, 3),
)
def test_token_rows_are_the_python_tokens_of_each_text(texts, breaks, offsets, parts):
    """The vectorised tokenizer finds TOKEN's matches in each text (before "per cent" merges), with
    their offsets and the breaks before them, whichever way it is asked."""
    import polars as pl

    series = pl.Series(values=texts, dtype=pl.String)
    rows = token_rows(series, breaks, offsets, 1 if offsets else parts)
    assert tokenized_alike_by_rust(series).all()  # any_text holds no unassigned character
    matches = [oracles.token_matches(t) for t in texts]
    assert rows.bounds.tolist() == [0, *itertools.accumulate(map(len, matches))]
    assert rows.text.tolist() == [i for i, found in enumerate(matches) for _ in found]
    assert [rows.surfaces[s] for s in rows.surface] == [m[2] for found in matches for m in found]
    if offsets:
        assert list(zip(rows.start.tolist(), rows.end.tolist())) == [m[:2] for found in matches for m in found]
    # The first token of a text starts a sentence anyway: only the breaks between two tokens are kept.
    firsts = set(rows.bounds[:-1].tolist())
    kept = [b for r, b in enumerate(rows.after_break.tolist()) if r not in firsts]
    assert kept == [b for t in texts for b in oracles.after_break(t, breaks)[1:]]
