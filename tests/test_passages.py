"""Paragraph splitting: offsets that slice back to the text, kinds for short lines."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.stages.passages import split_passages
from pipeline.text.paragraphs import classify, split_document
from pipeline.text.tokens import count_words

line = st.text(alphabet=st.characters(categories=("L", "N", "Zs", "P")), min_size=0, max_size=40)
documents = st.lists(line, min_size=0, max_size=12).flatmap(
    lambda lines: st.lists(
        st.sampled_from(["\n", "\n\n", "\n \n", "\r\n"]), min_size=len(lines), max_size=len(lines)
    ).map(lambda seps: "".join(l + s for l, s in zip(lines, seps)))
)


@given(documents, st.data())
def test_passages_slice_back_and_do_not_overlap(text, data):
    body_start = data.draw(st.integers(min_value=0, max_value=len(text)))
    spans = split_document(text, body_start)
    previous_end = 0
    for i, span in enumerate(spans):
        piece = text[span.start : span.end]
        assert span.ordinal == i
        assert piece and piece == piece.strip()
        assert span.start >= previous_end
        previous_end = span.end
    covered = "".join(text[s.start : s.end] for s in spans)
    assert "".join(covered.split()) == "".join(text.split())  # nothing but white space is left out


def test_blank_line_documents_keep_wrapped_lines_together():
    text = "First paragraph\nwraps here.\n\nSecond paragraph.\n\nThird one."
    assert [text[s.start : s.end] for s in split_document(text, 0)] == [
        "First paragraph\nwraps here.",
        "Second paragraph.",
        "Third one.",
    ]


def test_line_per_paragraph_documents_split_on_every_line():
    text = "One paragraph.\nAnother paragraph.\n\nA third.\nA fourth."
    assert len(split_document(text, 0)) == 4


def test_header_is_its_own_passage():
    text = " date 2025-10-24 Beijing: China on Friday said so.\n\nMore."
    spans = split_document(text, 26)
    assert [(s.kind, text[s.start : s.end]) for s in spans] == [
        ("header", "date 2025-10-24 Beijing:"),
        ("body", "China on Friday said so."),
        ("body", "More."),
    ]


def test_short_lines_are_tagged_not_dropped():
    assert classify("Jim Watson and Peter Klaunzer | Pool, AFP | Getty Images", None) == "credit"
    assert classify("— CNBC's Evelyn Cheng contributed to this report.", None) == "credit"
    assert classify("U.S. President Donald Trump (left) and Chinese President Xi Jinping.", None) == "caption"
    assert classify("A view of the harbour at dawn", "Photo: Jane Doe | Reuters") == "caption"
    assert classify("De-escalation in sight?", None) == "heading"
    assert classify("The talks ended on Friday without a deal.", None) == "body"


WRAPPED = (
    "Inheritance is also sometimes called generalization, because the is-a\n"
    "relationships represent a hierarchy between classes of objects. For\n"
    "instance, a fruit is a generalization of apple, orange, mango and many\n"
    "others.\n"
    "Inheritance is typically accomplished either by overriding (replacing)\n"
    "one or more methods exposed by an ancestor, or by adding new methods to\n"
    "those exposed by an ancestor.\n"
)


def test_hard_wrapped_lines_are_joined_and_short_lines_end_paragraphs():
    pieces = [WRAPPED[s.start : s.end] for s in split_document(WRAPPED, 0)]
    assert [" ".join(p.split()) for p in pieces] == [
        (
            "Inheritance is also sometimes called generalization, because the is-a relationships represent a "
            "hierarchy between classes of objects. For instance, a fruit is a generalization of apple, orange, "
            "mango and many others."
        ),
        (
            "Inheritance is typically accomplished either by overriding (replacing) one or more methods exposed "
            "by an ancestor, or by adding new methods to those exposed by an ancestor."
        ),
    ]


def test_hard_wrapped_blocks_between_blank_lines_are_paragraphs():
    text = WRAPPED.replace("others.\n", "others.\n\n")
    assert len(split_document(text, 0)) == 2
    # A wrapped paragraph whose last line happens to be full stays whole between blank lines.
    text = "A short title line\n\n" + WRAPPED.replace("others.\n", "others and a few more fruit of its kind.\n\n")
    assert [s.kind for s in split_document(text, 0)] == ["heading", "body", "body"]


def test_short_lines_of_different_lengths_are_not_taken_for_wrapping():
    text = "Markets fell sharply on Monday.\nOil rose.\nThe central bank kept its rate at 4%.\nGold was flat."
    assert len(split_document(text, 0)) == 4


# Short lines with credit, caption and sentence marks, so every kind of passage comes up.
_KIND_LINE = st.lists(
    st.sampled_from(
        [
            "Photo:",
            "Jane Doe",
            "|",
            "AFP",
            "(left)",
            "pictured",
            "contributed to this report",
            "Reporting by",
            "The talks ended.",
            "word",
            "U.S.",
            "?",
            "…",
        ]
    ),
    max_size=50,
).map(" ".join)
kind_documents = st.lists(_KIND_LINE, max_size=8).map("\n\n".join)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(kind_documents, st.integers(min_value=0, max_value=30)), max_size=5))
def test_split_passages_equals_split_document_per_document(documents):
    """split_passages counts every passage's words at once (Polars) and classifies with the counts:
    the same rows as split_document and count_words, document by document."""
    texts = [text for text, _ in documents]
    body_starts = [min(start, len(text)) for text, start in documents]
    table = split_passages(
        pa.table(
            {
                "doc_id": [f"d{i}" for i in range(len(texts))],
                "batch": ["2025-01-01"] * len(texts),
                "text": texts,
                "body_start": body_starts,
            }
        )
    )
    expected = [
        (f"d{i}", s.ordinal, s.start, s.end, s.kind, count_words(text[s.start : s.end]))
        for i, (text, body_start) in enumerate(zip(texts, body_starts))
        for s in split_document(text, body_start)
    ]
    found = list(
        zip(*(table.column(c).to_pylist() for c in ("doc_id", "ordinal", "char_start", "char_end", "kind", "n_tokens")))
    )
    assert found == expected
