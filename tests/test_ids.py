"""Passage and sentence ids read back to what they were made of, whatever the document id holds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeline.core.ids import doc_of, ordinal_of, passage_id, passage_of_sentence, sentence_id


@given(st.text(min_size=1), st.integers(0, 99_999), st.integers(0, 10**7))
def test_ids_read_back(doc_id, ordinal, start):
    pid = passage_id(doc_id, ordinal)
    assert (doc_of(pid), ordinal_of(pid)) == (doc_id, ordinal)
    assert passage_of_sentence(sentence_id(pid, start)) == pid


def test_passage_ids_sort_by_ordinal_within_a_document():
    assert passage_id("3f2a", 7) == "3f2a:0007" < passage_id("3f2a", 12) == "3f2a:0012"
