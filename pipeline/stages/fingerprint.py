"""Stages 2-3: the documents' passages (``pipeline.stages.passages``) with their MinHash
signatures (``pipeline.lsh.fingerprint``), split and signed in the pool's workers."""

from __future__ import annotations

import functools

import pyarrow as pa

from pipeline.lsh.fingerprint import FingerprintParams, add_signatures
from pipeline.runtime.parallel import DOCUMENT_WEIGHT, ParallelParams, map_table
from pipeline.stages.passages import split_passages


def run(documents: pa.Table, params: FingerprintParams, parallel: ParallelParams) -> pa.Table:
    """The passages table of ``documents`` (doc_id, batch, text, body_start), cut by documents when
    the pool is used."""
    return map_table(functools.partial(signed_passages, params=params), documents, parallel, DOCUMENT_WEIGHT)


def signed_passages(documents: pa.Table, params: FingerprintParams) -> pa.Table:
    """The documents' passages with their signatures. Both are row-wise, so the pool's workers do
    both (signed in the main process, one core signed while the other waited)."""
    return add_signatures(split_passages(documents), params)
