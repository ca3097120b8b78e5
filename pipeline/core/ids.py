"""How ids of passages and sentences are spelled, and read back: the one definition.

A passage id is its document's id and its ordinal in the document, ``<doc_id>:0003``; a
sentence id (``sentence_bands``, paraphrase's stock sentences) is its passage's id and the
sentence's offset in the document text, ``<passage_id>@1234``.
"""

from __future__ import annotations


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
