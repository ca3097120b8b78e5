"""How ids of passages and sentences are spelled, and read back: the one definition.

A passage id is its document's id and its ordinal in the document, ``<doc_id>:0003``; a
sentence id (``sentence_bands``, paraphrase's stock sentences) is its passage's id and the
sentence's offset in the document text, ``<passage_id>@1234``. A batch is named by its date,
spelled exactly ``YYYY-MM-DD`` (inbox folders, partition folders, ``--batch``).
"""

from __future__ import annotations

import datetime as dt
import re

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
