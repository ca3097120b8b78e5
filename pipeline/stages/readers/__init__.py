"""Input readers: which format a file is, and its articles one by one, streamed.

A file of ``text`` format is one document (``pipeline.stages.ingest`` reads it whole). The
other formats hold many articles each: ``jsonl`` (also ``.jsonl.gz``), ``csv``/``tsv`` and
``parquet`` exports with one article per line or row, ``html`` pages, and ``warc`` crawl
archives whose HTML ``response`` records are pages. Their readers yield an ``Article`` per
article and a ``BadRecord`` per line or record that is not one, and never hold a whole file:
a 5 GB WARC or JSON Lines export streams.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import ConfigError

FORMATS = ("text", "jsonl", "csv", "tsv", "parquet", "html", "warc")
AUTO = "auto"
# Suffixes of each format when [ingest] format = auto; any other file is text, as it always was.
_SUFFIXES = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".jsonl.gz": "jsonl",
    ".ndjson.gz": "jsonl",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".html": "html",
    ".htm": "html",
    ".warc": "warc",
    ".warc.gz": "warc",
}


@dataclass(frozen=True)
class Fields:
    """Which export field holds what ([ingest] *_field settings, --text-field ... on the command line)."""

    id: str = "id"
    url: str = "url"
    publisher: str = "publisher"
    title: str = "title"
    published: str = "published"
    language: str = "language"
    text: str = "text"


@dataclass(frozen=True)
class Article:
    """One article of a file, as given: ``text`` for an export, ``html`` (the page's bytes) for a page."""

    record: int | None  # line (JSONL, CSV), row (Parquet) or byte offset (WARC); None for a file read whole
    source_sha256: str  # of the article's own bytes: the line, the row's text, the page
    text: str | None = None
    html: bytes | None = None
    charset: str | None = None  # the page's charset as its HTTP header declares it
    source_id: str | None = None
    url: str | None = None
    publisher: str | None = None
    title: str | None = None
    published: str | None = None  # as given: ISO 8601 date or timestamp
    language: str | None = None


@dataclass(frozen=True)
class BadRecord:
    """A line or record that is not an article: a row of ``rejects``."""

    record: int | None
    reason: str  # a rejects reason (pipeline.core.schema.REJECTS)
    detail: str


def check_format(name: str) -> str:
    if name != AUTO and name not in FORMATS:
        raise ConfigError(f"ingest.format must be auto or one of {', '.join(FORMATS)}, got {name!r}")
    return name


def format_of(path: Path, forced: str = AUTO) -> str:
    """The format of the file at ``path``: ``forced`` unless it is ``auto``, else by its suffix."""
    if forced != AUTO:
        return forced
    name = path.name.lower()
    for suffix, fmt in _SUFFIXES.items():
        if name.endswith(suffix):
            return fmt
    return "text"


def read_articles(path: Path, fmt: str, fields: Fields, max_bytes: int) -> Iterator[Article | BadRecord]:
    """The articles of a file of a many-article format, in file order; ``max_bytes`` bounds one article."""
    from pipeline.stages.readers import exports, web

    readers = {
        "jsonl": exports.read_jsonl,
        "csv": exports.read_csv,
        "tsv": exports.read_tsv,
        "parquet": exports.read_parquet,
        "html": web.read_html,
        "warc": web.read_warc,
    }
    return readers[fmt](path, fields, max_bytes)


def parse_published(value: str | None) -> tuple[datetime.date | None, datetime.datetime | None]:
    """(date as written, UTC timestamp) of a published field. The date is the one the source
    states (its own local day); the timestamp only when the value has a time and a UTC offset
    (a local time without one, or a bare date, is no moment). (None, None) when unreadable."""
    if not value:
        return None, None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        if len(text) == 10:
            return datetime.date.fromisoformat(text), None
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None, None
    if moment.tzinfo is None:
        return moment.date(), None
    return moment.date(), moment.astimezone(datetime.timezone.utc)
