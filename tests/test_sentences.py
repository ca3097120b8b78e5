"""Sentence spans: in order, inside the text, never overlapping, each a stripped non-empty run."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.text.sentences import split_sentences, typed_sentences
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
