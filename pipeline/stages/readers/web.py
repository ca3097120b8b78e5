"""Web pages: ``.html`` files and the HTML ``response`` records of WARC archives.

The readers only find the pages (``read_html``, ``read_warc``); ``extract_page`` turns one into
its main text with trafilatura, which also gives the page's title, date and site name. A WARC's
other records (warcinfo, request, metadata, revisit, ...) and responses that are not an HTML page
(an image, a redirect, an error) are ``BadRecord`` rows of reason ``not_article``: skipped and
counted, never silently.
"""

from __future__ import annotations

import codecs
import dataclasses
import functools
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.stages.readers import Article, BadRecord, Fields
from pipeline.text.decoding import Undecodable, decode

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Main-text extractors: trafilatura (the default; what ../shared/inputs' exports hold), or
# resiliparse, about 10 times faster at the main text (bench/readers.py), its paragraphs cut a
# little differently; the title, date and site name are trafilatura's with either.
EXTRACTORS = ("trafilatura", "resiliparse")
# trafilatura's main text shorter than this share of the page's whole text (trafilatura.baseline: the
# JSON-LD articleBody or every paragraph) means it kept a caption, not the article: the baseline is used.
MAIN_TEXT_MIN_SHARE = 0.25
MAIN_TEXT_MIN_BASELINE = 500
_PUBLISHED_META = re.compile(
    r"""<meta\s+(?:property|name)\s*=\s*["']article:published_time["']\s+content\s*=\s*["']([^"']+)["']""",
    re.IGNORECASE,
)
_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class Page:
    """A page's main text and what the page says about itself."""

    text: str
    encoding: str
    title: str | None
    date: str | None  # ISO 8601, trafilatura's (htmldate's) reading of the page's publication time
    sitename: str | None
    url: str | None  # the page's canonical URL when it names one


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_html(path: Path, fields: Fields, max_bytes: int) -> Iterator[Article | BadRecord]:
    """A file that is one page."""
    with open(path, "rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        yield BadRecord(None, "too_large", f"more than ingest.max_bytes = {max_bytes} bytes")
        return
    yield Article(record=None, source_sha256=_sha256(data), html=data)


def _content_type(value: str | None) -> tuple[str, str | None]:
    """(media type, charset) of a Content-Type header."""
    if not value:
        return "", None
    media, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset" and val.strip():
            charset = val.strip().strip("\"'")
    return media.strip().lower(), charset


def read_warc(path: Path, fields: Fields, max_bytes: int) -> Iterator[Article | BadRecord]:
    """The HTML pages of a WARC (``.warc`` or ``.warc.gz``), in record order; records are numbered
    by their byte offset in the file (compressed, for ``.warc.gz``)."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    with open(path, "rb") as handle:
        records = ArchiveIterator(handle, no_record_parse=False)
        offset = None
        while True:
            try:
                record = next(records)
            except StopIteration:
                return
            except (ArchiveLoadFailed, OSError, EOFError, ValueError) as exc:
                yield BadRecord(offset, "unreadable", f"not a WARC record, cannot read on from here: {exc}")
                return
            # warcio knows a record's offset once its payload is read (it reads the rest to find it).
            outcome = _warc_page(record, max_bytes)
            offset = records.get_record_offset()
            yield dataclasses.replace(outcome, record=offset)


def _warc_page(record, max_bytes: int) -> Article | BadRecord:
    """The record as a page, or why it is skipped; its offset (``record``) is set by the caller."""
    offset = None
    kind = record.rec_type
    if kind != "response":
        return BadRecord(offset, "not_article", f"a WARC {kind} record")
    url = record.rec_headers.get_header("WARC-Target-URI")
    http = record.http_headers
    if http is None:
        return BadRecord(offset, "not_article", f"a response without HTTP headers for {url}")
    status = http.get_statuscode()
    if not status or not status.startswith("2"):
        return BadRecord(offset, "not_article", f"HTTP status {status} for {url}")
    media, charset = _content_type(http.get_header("Content-Type"))
    if media not in HTML_TYPES:
        return BadRecord(offset, "not_article", f"a response of type {media or 'unknown'} for {url}")
    data = record.content_stream().read(max_bytes + 1)
    if len(data) > max_bytes:
        return BadRecord(offset, "too_large", f"the page is more than ingest.max_bytes = {max_bytes} bytes")
    return Article(record=offset, source_sha256=_sha256(data), html=data, charset=charset, url=url)


def decode_page(data: bytes, declared: str | None) -> tuple[str, str]:
    """(text, encoding) of a page: the HTTP header's charset, else its ``<meta>`` one, else UTF-8,
    else what the input files' decoder (``pipeline.text.decoding``) finds."""
    sniffed = _META_CHARSET.search(data[:4096])
    for name in (declared, sniffed.group(1).decode("ascii", "replace") if sniffed else None, "utf-8"):
        if not name:
            continue
        try:
            encoding = codecs.lookup(name).name
            return data.decode(encoding), encoding
        except (LookupError, UnicodeDecodeError):
            continue
    try:
        decoded = decode(data)
    except Undecodable:
        return data.decode("utf-8", "replace"), "utf-8"
    return decoded.text, decoded.encoding


# htmldate (through trafilatura): the publication time where the page states one, with its UTC offset
# ("2020-04-10T17:58:15+0100"); "T00:00:00" without an offset where it states only a day.
_DATES = {"outputformat": "%Y-%m-%dT%H:%M:%S%z", "original_date": True, "extensive_search": True}


@functools.cache
def _TEXT_ONLY():  # noqa: N802  a constant, built on first use (importing trafilatura takes a second)
    from trafilatura.settings import Extractor

    return Extractor(output_format="txt", with_metadata=False, comments=False)


def extract_page(data: bytes, url: str | None, charset: str | None, extractor: str = "trafilatura") -> Page:
    """The page's main text (trafilatura, comments left out; or resiliparse, see EXTRACTORS), its
    title, date and site name (trafilatura's metadata either way)."""
    import trafilatura
    from trafilatura.core import determine_returnstring

    html, encoding = decode_page(data, charset)
    if extractor == "resiliparse":
        return _resiliparse_page(html, encoding, url)
    found = trafilatura.bare_extraction(
        html, url=url, include_comments=False, with_metadata=True, date_extraction_params=_DATES
    )
    # The text as trafilatura.extract gives it (bare_extraction's own .text keeps leading spaces),
    # from the one extraction that also read the metadata.
    text = determine_returnstring(found, _TEXT_ONLY()) if found is not None else ""
    if len(text) < MAIN_TEXT_MIN_BASELINE:
        _, baseline, _ = trafilatura.baseline(html)
        if len(baseline) >= MAIN_TEXT_MIN_BASELINE and len(text) < MAIN_TEXT_MIN_SHARE * len(baseline):
            text = baseline
    if found is None:
        return Page(text, encoding, None, _published_meta(html), None, None)
    date = found.date or None
    stated = _published_meta(html)
    if stated and (date is None or (_has_offset(stated) and not _has_offset(date) and stated[:10] == date[:10])):
        date = stated  # htmldate drops some offsets ("-08:00") and keeps only the day
    return Page(text, encoding, found.title or None, date, found.sitename or None, found.url or None)


def _resiliparse_page(html: str, encoding: str, url: str | None) -> Page:
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree
    from trafilatura.metadata import extract_metadata

    text = extract_plain_text(HTMLTree.parse(html), main_content=True, alt_texts=False)
    found = extract_metadata(html, default_url=url, date_config=_DATES)
    date = found.date or None
    stated = _published_meta(html)
    if stated and (date is None or (_has_offset(stated) and not _has_offset(date) and stated[:10] == date[:10])):
        date = stated
    return Page(text, encoding, found.title or None, date, found.sitename or None, found.url or None)


def _has_offset(value: str) -> bool:
    return bool(_OFFSET.search(value))


def _published_meta(html: str) -> str | None:
    """The page's ``article:published_time`` (Open Graph), when it states one."""
    match = _PUBLISHED_META.search(html)
    return match.group(1).strip() if match else None
