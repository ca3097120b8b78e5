"""Passage and sentence ids read back to what they were made of, whatever the document id holds."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from pipeline.core.ids import (
    batch_date,
    doc_of,
    join_ids,
    join_ids_encoded,
    ordinal_of,
    passage_id,
    passage_of_sentence,
    sentence_id,
)


@given(st.text(min_size=1), st.integers(0, 99_999), st.integers(0, 10**7))
def test_ids_read_back(doc_id, ordinal, start):
    pid = passage_id(doc_id, ordinal)
    assert (doc_of(pid), ordinal_of(pid)) == (doc_id, ordinal)
    assert passage_of_sentence(sentence_id(pid, start)) == pid


def test_passage_ids_sort_by_ordinal_within_a_document():
    assert passage_id("3f2a", 7) == "3f2a:0007" < passage_id("3f2a", 12) == "3f2a:0012"


@given(st.dates())
def test_a_batch_is_named_by_its_date_read_back(date):
    assert batch_date(date.isoformat()) == date


def test_only_the_exact_spelling_names_a_batch():
    # date.fromisoformat reads all of these as 2025-03-05 (or a date at all).
    for name in ("20250305", "2025-W10-3", "2025-03-05T00:00", "2025-3-5", " 2025-03-05", "2025-02-30"):
        assert batch_date(name) is None, name
    assert batch_date("2025-03-05") == dt.date(2025, 3, 5)


@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),
            st.integers(0, 12_000) | st.integers(2**30, 2**31 - 1),
            st.integers(-1, 40) | st.integers(2**30, 2**31 - 1),
        ),
        max_size=60,
    ),
    st.lists(st.text(alphabet="abc:@0", min_size=1, max_size=4), min_size=4, max_size=4, unique=True),
)
def test_ids_encoded_once_each_are_the_dictionary_encoded_ids(rows, names):
    """The history index spells each distinct id once: the same dictionary (in order of first
    appearance) and indices as spelling every row and encoding them (parts that fit one int64
    key and parts that do not)."""
    docs = pa.array(names)
    doc, ordinal, start = (np.array([row[k] for row in rows], dtype=np.int32) for k in range(3))
    encoded = join_ids_encoded(docs, doc, ordinal, start)
    expected = join_ids(docs, doc, ordinal, start).dictionary_encode()
    assert encoded.dictionary.equals(expected.dictionary)
    assert encoded.indices.cast(pa.int32()).equals(expected.indices.cast(pa.int32()))
