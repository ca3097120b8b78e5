"""RunContext: the caches of a run are one object passed to the stages; they save work and never
change a table."""

from __future__ import annotations

import multiprocessing

import pyarrow as pa
import pytest
from articles import HARBOUR, HARBOUR_REPRINT

from pipeline.runtime.context import RunContext, process_context
from pipeline.stages.paraphrase import ParaphraseCandidates, ParaphraseParams, find_paraphrases
from pipeline.text.synonyms import Lexicon


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load()


def _passages(texts: dict[str, str]) -> pa.Table:
    rows = {"passage_id": [], "doc_id": [], "char_start": [], "text": [], "kind": []}
    for doc_id, text in texts.items():
        start = 0
        for ordinal, paragraph in enumerate(text.split("\n\n")):
            rows["passage_id"].append(f"{doc_id}:{ordinal:04d}")
            rows["doc_id"].append(doc_id)
            rows["char_start"].append(start)
            rows["text"].append(paragraph)
            rows["kind"].append("body")
            start += len(paragraph) + 2
    return pa.table(rows)


def test_a_warm_context_gives_the_tables_a_fresh_one_gives(lexicon):
    passages = _passages({"a": HARBOUR, "b": HARBOUR_REPRINT})
    no_credits = pa.table(
        {
            "doc_id": pa.array([], pa.string()),
            "sentence_start": pa.array([], pa.int32()),
            "sentence_end": pa.array([], pa.int32()),
        }
    )
    candidates, params = ParaphraseCandidates([("a", "b")]), ParaphraseParams()
    context = RunContext()
    first = find_paraphrases(candidates, passages, no_credits, "2025-06-05", lexicon, params, context)
    assert set(context.content_sentences) == {("a", params), ("b", params)}
    kept = context.content_sentences["a", params]
    again = find_paraphrases(candidates, passages, no_credits, "2025-06-05", lexicon, params, context)
    assert context.content_sentences["a", params] is kept  # read from the context, not worked out again
    assert first.num_rows == 1 and again.equals(first)
    assert find_paraphrases(candidates, passages, no_credits, "2025-06-05", lexicon, params).equals(first)


def test_contexts_keep_their_caches_apart():
    one, two = RunContext(), RunContext()
    one.content_sentences["d", None] = []
    assert not two.content_sentences and one.partitions is not two.partitions


def _context_is_new(parent_id: int) -> bool:
    return id(process_context()) != parent_id or process_context().content_sentences.currsize == 0


def test_a_forked_process_makes_its_own_context():
    context = process_context()
    assert process_context() is context  # one per process
    context.content_sentences["d", None] = []
    try:
        with multiprocessing.get_context("fork").Pool(1) as pool:
            assert pool.apply(_context_is_new, (id(context),))
    finally:
        del context.content_sentences["d", None]
