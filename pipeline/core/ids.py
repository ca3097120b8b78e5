"""How ids of passages and sentences are spelled, and read back: the one definition.

A passage id is its document's id and its ordinal in the document, ``<doc_id>:0003``; a
sentence id (``sentence_bands``, paraphrase's lone pairs) is its passage's id and the
sentence's offset in the document text, ``<passage_id>@1234``. A batch is named by its date,
spelled exactly ``YYYY-MM-DD`` (inbox folders, partition folders, ``--batch``).
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# date.fromisoformat also reads 20250305 and 2025-W10-3 as 2025-03-05: only this spelling names a batch.
BATCH_NAME = re.compile(r"\d{4}-\d{2}-\d{2}")


def batch_date(name: str) -> dt.date | None:
    """The date ``name`` spells as ``YYYY-MM-DD``; None for any other name or an impossible date."""
    if not BATCH_NAME.fullmatch(name):
        return None
    try:
        return dt.date.fromisoformat(name)
    except ValueError:
        return None


def passage_id(doc_id: str, ordinal: int) -> str:
    return f"{doc_id}:{ordinal:04d}"


def doc_of(passage_id: str) -> str:
    """The document of a passage id."""
    return passage_id.rsplit(":", 1)[0]


def ordinal_of(passage_id: str) -> int:
    """The passage's ordinal in its document."""
    return int(passage_id.rsplit(":", 1)[1])


def sentence_id(passage_id: str, start: int) -> str:
    return f"{passage_id}@{start}"


def passage_of_sentence(sentence_id: str) -> str:
    """The passage id of a sentence id."""
    return sentence_id.rsplit("@", 1)[0]


# ``join_ids`` in SQL (Spark and DuckDB), over columns named by {doc}, {ordinal} and {start}: the
# candidate join on Spark spells the history index's ids with it.
PASSAGE_ID_SQL = (
    "concat({doc}, ':', case when {ordinal} < 10000 then lpad(cast({ordinal} as string), 4, '0') "
    "else cast({ordinal} as string) end, "
    "case when {start} >= 0 then concat('@', cast({start} as string)) else '' end)"
)

# A passage id, or a sentence id, in parts: its document, the passage's ordinal, the sentence's start.
_ID_PARTS = r"(?s)^(?P<doc>.*):(?P<ordinal>[0-9]+)(?:@(?P<start>[0-9]+))?$"


def split_ids(ids: pa.Array) -> tuple[pa.Array, np.ndarray, np.ndarray, np.ndarray] | None:
    """Passage or sentence ids as integers (the history index stores them so): the distinct
    documents, and per id its document's code among them, its ordinal and its start (-1 for a
    passage id); None when an id is not spelled as ``passage_id`` / ``sentence_id`` spell one."""
    if not len(ids):
        return pa.array([], pa.string()), *(np.zeros(0, np.int32) for _ in range(3))
    if ids.null_count or not pc.all(pc.match_substring_regex(ids, _ID_PARTS)).as_py():
        return None
    parts = pc.extract_regex(ids, _ID_PARTS)
    doc = pc.struct_field(parts, "doc").dictionary_encode()
    ordinal, start = (pc.struct_field(parts, name) for name in ("ordinal", "start"))
    start = pc.if_else(pc.equal(start, ""), "-1", start)
    if pc.max(pc.utf8_length(ordinal)).as_py() > 10 or pc.max(pc.utf8_length(start)).as_py() > 10:
        return None  # beyond int32
    ordinal, start = (column.cast(pa.int64()).to_numpy(zero_copy_only=False) for column in (ordinal, start))
    if max(ordinal.max(), start.max()) > np.iinfo(np.int32).max:
        return None
    split = (
        doc.dictionary,
        doc.indices.to_numpy(zero_copy_only=False).astype(np.int32),
        ordinal.astype(np.int32),
        start.astype(np.int32),
    )
    spelled = join_ids(*split)
    return split if spelled.equals(ids.cast(pa.string())) else None  # "x:007" spells back as "x:0007"


def join_ids_encoded(docs: pa.Array, doc: np.ndarray, ordinal: np.ndarray, start: np.ndarray) -> pa.DictionaryArray:
    """``join_ids(...).dictionary_encode()``, each distinct id spelled once: the history rows of a
    bulk load's buckets are tens of millions, a few million ids. The dictionary is in order of
    first appearance, as ``dictionary_encode`` makes it; distinct parts spell distinct ids (the
    index holds only ids that ``split_ids`` spells back)."""
    if not len(doc):
        return join_ids(docs, doc, ordinal, start).dictionary_encode()
    group, first = id_groups(doc, ordinal, start)
    by_appearance = np.argsort(first, kind="stable")
    code = np.empty(len(first), dtype=np.int32)
    code[by_appearance] = np.arange(len(first), dtype=np.int32)
    firsts = first[by_appearance]
    dictionary = join_ids(docs, doc[firsts], ordinal[firsts], start[firsts])
    return pa.DictionaryArray.from_arrays(pa.array(code[group]), dictionary)


def id_groups(doc: np.ndarray, ordinal: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's id as a number (the ids in sorted order of their parts), and each id's first row."""
    n = len(doc)
    if not n:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64)
    widths = [int(part.max()).bit_length() for part in (doc, ordinal, start + 1)]
    if min(int(doc.min()), int(ordinal.min()), int(start.min()) + 1) >= 0 and sum(widths) <= 63:
        # The parts in one int64 (a bulk load's history rows: a sort of one key, not a lexsort of
        # two, a third of the time), each id's first row the least of its rows.
        key = (doc.astype(np.int64) << (widths[1] + widths[2])) | (ordinal.astype(np.int64) << widths[2])
        key |= start.astype(np.int64) + 1
        order = np.argsort(key)
        ordered = key[order]
        del key
        new = np.empty(n, dtype=bool)
        new[:1] = True
        np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
        del ordered
        first = np.minimum.reduceat(order, np.flatnonzero(new))
    else:
        # (doc, ordinal) in one int64, then start: a stable sort keeps each id's rows in row order.
        order = np.lexsort((start, (doc.astype(np.int64) << 32) | ordinal.astype(np.int64)))
        high = (doc[order].astype(np.int64) << 32) | ordinal[order].astype(np.int64)
        low = start[order]
        new = np.empty(n, dtype=bool)
        new[:1] = True
        np.not_equal(high[1:], high[:-1], out=new[1:])
        new[1:] |= low[1:] != low[:-1]
        del high, low
        first = order[new]
    group = np.empty(n, dtype=np.int32)
    group[order] = np.cumsum(new) - 1
    return group, first


def join_ids(docs: pa.Array, doc: np.ndarray, ordinal: np.ndarray, start: np.ndarray) -> pa.Array:
    """The ids ``split_ids`` took apart: ``passage_id(docs[doc], ordinal)``, and ``sentence_id`` of
    it and ``start`` where start is not -1."""
    passages = pc.binary_join_element_wise(
        docs.take(pa.array(doc)), pc.utf8_lpad(pa.array(ordinal).cast(pa.string()), 4, "0"), ":"
    )
    sentence = start >= 0
    if not sentence.any():
        return passages
    sentences = pc.binary_join_element_wise(passages, pa.array(start).cast(pa.string()), "@")
    return pc.if_else(pa.array(sentence), sentences, passages)
