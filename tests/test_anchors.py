"""The vectorised anchor rows equal ``anchor_keys``, the token-by-token definition, text by text."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.stages import candidates
from pipeline.stages.candidates import anchor_rows
from pipeline.text.anchors import anchor_key_rows, anchor_keys

# Unassigned characters (Cn) included: Polars' Unicode tables are newer than Python's, and texts
# with characters they class apart must take the slow path.
any_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=80)
# The rules' corners: months with days and years, figures and number words, capitals at and after
# sentence starts, stopwords, weekdays, abbreviations, "per cent", accents, non-Latin and superscript
# digits, casefolds that change length, title case; joined by spaces, breaks, quotes and newlines.
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
        "sunday",
        "The",
        "the",
        "He",
        "A",
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
        "E\u0301mile",
        "\u00c9mile",
        "\u0663\u0664",
        "\u0663",
        "\u00b2\u00b3",
        "\u2162",
        "\u00bd",
        "O\u2019Neil",
        "Trump's",
        "\u0130stanbul",
        "\u01c5ungla",
        "STRASSE",
        "Stra\u00dfe",
        "_X",
        "x",
        "100",
        "Per cent",
        "per  cent",
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
    ]
)
corner_text = st.lists(st.tuples(word, separator), max_size=16).map(lambda parts: "".join(w + s for w, s in parts))
texts = st.lists(st.one_of(corner_text, any_text), max_size=8)


def definition_rows(texts: list[str]) -> list[tuple[int, str]]:
    return [(i, key) for i, text in enumerate(texts) for key in sorted(anchor_keys(text))]


@settings(max_examples=400, deadline=None)
@given(texts)
@example(
    ["Oil fell 5 Per cent Tuesday. Per cent Paris", "October 100 or May 7, 2025: The U.S. Per\ncent", "0A\U00031350"]
)
def test_anchor_key_rows_equal_anchor_keys_text_by_text(texts):
    """Polars' tokens, flags per distinct surface and shifted masks give each text's sorted anchor keys."""
    found = anchor_key_rows(texts)
    assert list(zip(found.text_index.tolist(), found.keys.to_pylist())) == definition_rows(texts)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.one_of(corner_text, any_text), st.sampled_from(["body", "heading", "header", "caption"])),
        max_size=8,
    ),
    st.integers(1, 9),
)
def test_anchor_rows_are_each_passages_sorted_anchor_keys(passages, slice_passages):
    """anchor_rows: header passages skipped, the others' distinct keys in passage then key order, the
    same whatever slices it works in (a large batch's are bounded, for memory)."""
    ids = [f"d{i % 3}:{i:04d}" for i in range(len(passages))]
    table = pa.table(
        {
            "passage_id": ids,
            "doc_id": [i.split(":")[0] for i in ids],
            "text": [text for text, _ in passages],
            "kind": [kind for _, kind in passages],
        }
    )
    expected = [
        {"passage_id": ids[i], "doc_id": ids[i].split(":")[0], "anchor": key}
        for i, (text, kind) in enumerate(passages)
        if kind != "header"
        for key in sorted(anchor_keys(text))
    ]
    assert anchor_rows(table).to_pylist() == expected
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(candidates, "_ANCHOR_SLICE", slice_passages)
        assert anchor_rows(table).to_pylist() == expected
