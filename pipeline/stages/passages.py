"""Stages 2-3: split each document into passages (paragraphs) with offsets into its text, and
sign them (MinHash, ``pipeline.lsh.fingerprint``).

The paragraph rules (separators, hard-wrapped text, the kinds of short lines) are
``pipeline.text.paragraphs``'s; this stage makes the ``passages`` table of them. Splitting and
signing are row-wise, so the pool's workers do both.
"""

from __future__ import annotations

import functools

import pyarrow as pa

from pipeline.core.ids import passage_id
from pipeline.core.schema import PASSAGES
from pipeline.core.tables import conform
from pipeline.lsh.fingerprint import FingerprintParams, add_signatures
from pipeline.runtime.parallel import DOCUMENT_WEIGHT, ParallelParams, map_table
from pipeline.text.paragraphs import classify_pieces, document_pieces, in_text_order
from pipeline.text.tokens import word_counts


def split_passages(documents: pa.Table) -> pa.Table:
    """One row per passage of every document, offsets into ``documents.text``.

    The ``signature`` column is left null; the fingerprint stage fills it.
    """
    doc_ids = documents.column("doc_id").to_pylist()
    batches = documents.column("batch").to_pylist()
    texts = documents.column("text").to_pylist()
    pieces = [
        document_pieces(text, body_start) for text, body_start in zip(texts, documents.column("body_start").to_pylist())
    ]
    passage_texts = [
        text[start:end] for text, (header, body) in zip(texts, pieces) for start, end in in_text_order(header, body)
    ]
    # Every passage's words counted at once: classify and n_tokens need them, and Python's re was the cost.
    counts = word_counts(passage_texts)
    rows: dict[str, list] = {name: [] for name in PASSAGES.names}
    first = 0
    for doc_id, batch, text, (header, body) in zip(doc_ids, batches, texts, pieces):
        n = len(body) + (header is not None)
        for span in classify_pieces(text, header, body, counts[first : first + n]):
            rows["passage_id"].append(passage_id(doc_id, span.ordinal))
            rows["doc_id"].append(doc_id)
            rows["batch"].append(batch)
            rows["ordinal"].append(span.ordinal)
            rows["char_start"].append(span.start)
            rows["char_end"].append(span.end)
            rows["kind"].append(span.kind)
            rows["signature"].append(None)
        first += n
    rows["text"] = passage_texts
    rows["n_tokens"] = counts
    return conform(pa.table({k: pa.array(v, type=PASSAGES.field(k).type) for k, v in rows.items()}), PASSAGES)


def run(documents: pa.Table, params: FingerprintParams, parallel: ParallelParams) -> pa.Table:
    """The passages table of ``documents`` (doc_id, batch, text, body_start), signed, cut by
    documents when the pool is used."""
    return map_table(functools.partial(signed_passages, params=params), documents, parallel, DOCUMENT_WEIGHT)


def signed_passages(documents: pa.Table, params: FingerprintParams) -> pa.Table:
    """The documents' passages with their signatures."""
    return add_signatures(split_passages(documents), params)
