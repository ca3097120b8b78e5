"""Stage 1: read every file of a batch into the ``documents`` table, or a row of ``rejects``.

A file's format (``pipeline.stages.readers``) says what a document is: a text file is one, an
export (JSON Lines, CSV/TSV, Parquet) holds one per line or row, an HTML page one, a WARC one
per HTML response record. A line or record that is not an article is a row of rejects with its
line or record number, and the rest of the file is read; files of many articles are streamed.

Each text file is decoded (``pipeline.text.decoding``: UTF-8, with U+FFFD for a few bad bytes,
BOM'd UTF-16/32, or a legacy encoding that reads plausibly),
repaired (ftfy, encoding fixes only), normalised (LF line endings, no control
characters, NFC) and given ``doc_id`` = hash of the normalised text. Nothing is
dropped silently: every path under the input folder becomes a document or a
reject with a reason from ``pipeline.core.schema.REJECTS``.

The normalised text keeps ``offset_breaks``, a run-length map from its offsets
back to offsets in the decoded source, so evidence spans can be shown in the
file as the user has it.
"""

from __future__ import annotations

import bisect
import datetime
import functools
import hashlib
import importlib.util
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import ftfy
import ftfy.bad_codecs  # noqa: F401  registers sloppy-windows-1252
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core.errors import ConfigError, InputError
from pipeline.core.schema import DOCUMENTS, REJECTS, SIGHTINGS
from pipeline.core.settings import setting
from pipeline.core.tables import conform
from pipeline.core.validation import require_at_least
from pipeline.runtime.parallel import DOCUMENT_WEIGHT, ParallelParams, TooSlow, imap_chunks, n_chunks, time_budget
from pipeline.runtime.progress import progress
from pipeline.stages.readers import (
    AUTO,
    Article,
    BadRecord,
    Fields,
    check_format,
    format_of,
    parse_published,
    read_articles,
)
from pipeline.stages.readers.web import EXTRACTORS, extract_page
from pipeline.text.credits import Credit, credits_summary, credits_table, find_credits
from pipeline.text.decoding import Undecodable, decode
from pipeline.text.gazetteer import Gazetteer
from pipeline.text.language import detect_language, given_language
from pipeline.text.paragraphs import (
    PASSAGE_MAX_CHARS,
    classify,
    cut_passages,
    document_pieces,
    find_header,
)
from pipeline.text.publishers import resolve_publisher
from pipeline.text.sentences import SENTENCE_MAX_CHARS, split_sentences
from pipeline.text.tokens import count_words

TITLE_MAX_WORDS = 20

# Encoding repairs only: quotes, dashes, ligatures, widths and entities are the author's.
# NFC inside ftfy's fix-until-unchanged loop, so its output is NFC and stable under it.
_FTFY = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    remove_control_chars=False,
    normalization="NFC",
    explain=False,
)
_LINE_END = re.compile(r"\r\n|\r|\n")
# Control characters other than tab; line endings are split off before these apply.
_C0 = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_C1 = re.compile(r"[\x80-\x9f]")


@dataclass(frozen=True)
class IngestParams:
    """The ``[ingest]`` settings."""

    max_bytes: int = setting(
        20_000_000, "larger files are rejected (reason too_large); in a file of many articles, larger articles"
    )
    format: str = setting(
        AUTO,
        "auto (by each file's suffix: .jsonl/.jsonl.gz, .csv, .tsv, .parquet, .html/.htm, .warc/.warc.gz; "
        "any other file is text) or one of text, jsonl, csv, tsv, parquet, html, warc for every file",
    )
    id_field: str = setting("id", "field of an export (JSON Lines, CSV, Parquet) that holds the article's id")
    url_field: str = setting("url", "field of an export that holds the article's URL")
    publisher_field: str = setting("publisher", "field of an export that holds the publisher's name")
    title_field: str = setting("title", "field of an export that holds the headline")
    published_field: str = setting("published", "field of an export that holds the ISO 8601 date or timestamp")
    language_field: str = setting("language", "field of an export that holds the language (ISO 639-1)")
    text_field: str = setting("text", "field of an export that holds the article's text")
    extractor: str = setting(
        "trafilatura",
        "main text of web pages (HTML, WARC): trafilatura, or resiliparse (faster; pip install 'newsprov[fast-html]')",
    )

    max_seconds: int = setting(
        30,
        "a file (or an article of a file of many) that takes longer to read, decode and analyse "
        "(sentences, credits, passages) is rejected (reason too_slow) and the batch goes on; 0 = no limit",
    )
    credit_search_chars: int = setting(
        100_000,
        "credited outlets are searched for in the first this many characters of a text (a credit "
        "stands near the top; the search of a 20 MB text took a minute); documents.capped says so",
    )

    def __post_init__(self) -> None:
        require_at_least("ingest", self, ("max_bytes",), 1)
        require_at_least("ingest", self, ("max_seconds",), 0)
        require_at_least("ingest", self, ("credit_search_chars",), 1)
        check_format(self.format)
        if self.extractor not in EXTRACTORS:
            raise ConfigError(f"ingest.extractor must be one of {', '.join(EXTRACTORS)}, got {self.extractor!r}")
        if self.extractor == "resiliparse" and importlib.util.find_spec("resiliparse") is None:
            raise ConfigError(
                "ingest.extractor = resiliparse needs resiliparse: pip install 'newsprov[fast-html]', "
                "or set extractor = trafilatura"
            )

    @property
    def fields(self) -> Fields:
        return Fields(
            id=self.id_field,
            url=self.url_field,
            publisher=self.publisher_field,
            title=self.title_field,
            published=self.published_field,
            language=self.language_field,
            text=self.text_field,
        )


@dataclass(frozen=True)
class OffsetBreak:
    """From ``text_offset`` on, source offset = text offset + (source_offset - text_offset)."""

    text_offset: int
    source_offset: int


@dataclass(frozen=True)
class NormalisedText:
    text: str
    offset_breaks: tuple[OffsetBreak, ...]


@dataclass(frozen=True)
class Header:
    published: datetime.date | None
    dateline: str | None
    body_start: int


@dataclass(frozen=True)
class IngestResult:
    documents: pa.Table
    rejects: pa.Table
    sightings: pa.Table
    credits: pa.Table  # what the credit search found in the documents' texts, for the attribution stage


@dataclass(frozen=True)
class FirstSighting:
    """Where a document was first ingested."""

    batch: str
    source_path: str


class _Reject(Exception):
    """A file that becomes a row of ``rejects`` instead of a document."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# --- normalisation with an offset map --------------------------------------------------------


class _BreakBuilder:
    """Collects (text offset -> source offset) points, keeping only where the delta changes.

    Points must come in non-decreasing text offset order.
    """

    def __init__(self) -> None:
        self.breaks: list[tuple[int, int]] = []
        self.delta = 0

    def point(self, text_offset: int, source_offset: int) -> None:
        delta = source_offset - text_offset
        if delta == self.delta:
            return
        if self.breaks and self.breaks[-1][0] == text_offset:
            self.breaks.pop()  # a later point at the same offset wins (a deletion before it)
            self.delta = self.breaks[-1][1] - self.breaks[-1][0] if self.breaks else 0
            if delta == self.delta:
                return
        self.breaks.append((text_offset, source_offset))
        self.delta = delta

    def piece(self, text_start: int, source_start: int, text_len: int, source_len: int) -> None:
        """``text_len`` characters made from ``source_len``: each maps to the source in order,
        extra ones to the last source character of the piece."""
        last = max(source_len - 1, 0)
        self.point(text_start, source_start)
        for k in range(source_len, text_len):
            self.point(text_start + k, source_start + min(k, last))


def _delta_at(breaks: list[tuple[int, int]], keys: list[int], offset: int) -> int:
    i = bisect.bisect_right(keys, offset) - 1
    return breaks[i][1] - breaks[i][0] if i >= 0 else 0


def _compose(outer: list[tuple[int, int]], inner: list[tuple[int, int]], text_len: int) -> list[tuple[int, int]]:
    """Breaks of text -> source, given inner (text -> middle) and outer (middle -> source)."""
    if not outer:
        return inner
    outer_keys = [b[0] for b in outer]
    starts = [(0, 0)]  # (text offset, inner delta) of each stretch
    for t, s in inner:
        if t == 0:
            starts[0] = (0, s)
        else:
            starts.append((t, s - t))
    out = _BreakBuilder()
    for n, (t0, d_in) in enumerate(starts):
        t1 = starts[n + 1][0] if n + 1 < len(starts) else text_len
        m0, m1 = t0 + d_in, t1 + d_in
        out.point(t0, m0 + _delta_at(outer, outer_keys, m0))
        # where the outer map changes inside this stretch; at its very end only for the last one
        hi = bisect.bisect_right(outer_keys, m1) if n + 1 == len(starts) else bisect.bisect_left(outer_keys, m1)
        for t_mid, s in outer[bisect.bisect_right(outer_keys, m0) : hi]:
            out.point(t_mid - d_in, s)
    return out.breaks


def _resync(src: str, i: int, out: str, j: int, window: int = 16) -> tuple[int, int]:
    """Lengths (in src, in out) of the smallest changed stretch starting at src[i], out[j]."""
    char = out[j]
    encoded = char.encode("utf-8", "surrogatepass")
    if len(encoded) > 1:
        # the usual mojibake: the UTF-8 bytes of one character read as cp1252 / Latin-1
        for codec in ("sloppy-windows-1252", "latin-1"):
            if src.startswith(encoded.decode(codec), i):
                return len(encoded), 1
    n, m = len(src) - i, len(out) - j
    for total in range(1, 2 * window + 1):
        for di in range(max(0, total - window), min(total, window) + 1):
            dj = total - di
            if di > n or dj > m:
                continue
            if di == n and dj == m:
                return di, dj
            k = min(3, n - di, m - dj)
            if k and src[i + di : i + di + k] == out[j + dj : j + dj + k]:
                return di, dj
    return n, m


def _align(src: str, out: str, source_base: int, text_base: int, builder: _BreakBuilder) -> None:
    """Map ``out`` (a repair of ``src``) back onto it: equal characters match, changed
    stretches are found by a bounded search, so the cost is linear in the line."""
    i = j = 0
    n, m = len(src), len(out)
    while i < n and j < m:
        if src[i] == out[j]:
            builder.point(text_base + j, source_base + i)
            while i < n and j < m and src[i] == out[j]:
                i += 1
                j += 1
            continue
        di, dj = _resync(src, i, out, j)
        builder.piece(text_base + j, source_base + i, dj, di)
        i += di
        j += dj
    builder.piece(text_base + j, source_base + i, m - j, n - i)
    builder.point(text_base + m, source_base + n)


def _lines(text: str):
    """(content, line ending) of each line; the last ending may be ''."""
    pos = 0
    for match in _LINE_END.finditer(text):
        yield text[pos : match.start()], match.group()
        pos = match.end()
    if pos < len(text) or not text:
        yield text[pos:], ""


@functools.cache
def _joins_previous() -> frozenset[str]:
    """Starters that NFC may merge with the character before them (NFC_Quick_Check=Maybe,
    Hangul vowels and trailing consonants), and characters decomposing to a leading mark."""
    chars = {chr(c) for c in range(0x1161, 0x1176)} | {chr(c) for c in range(0x11A8, 0x11C3)}
    for cp in range(0x110000):
        decomposition = unicodedata.decomposition(chr(cp))
        if not decomposition or decomposition.startswith("<"):
            continue
        parts = [chr(int(p, 16)) for p in decomposition.split()]
        if unicodedata.combining(parts[0]):
            chars.add(chr(cp))
        if len(parts) == 2:
            chars.add(parts[1])
    return frozenset(chars)


def _runs(content: str) -> list[tuple[int, str]]:
    """(offset, characters) of runs of ``content`` that NFC changes independently of each
    other, C0 control characters left out."""
    joins = _joins_previous()
    runs: list[tuple[int, str]] = []
    start = None
    for k, char in enumerate(content):
        if _C0.match(char):
            if start is not None:
                runs.append((start, content[start:k]))
            start = None
        elif start is None or (not unicodedata.combining(char) and char not in joins):
            if start is not None:
                runs.append((start, content[start:k]))
            start = k
    if start is not None:
        runs.append((start, content[start:]))
    return runs


def _drop_c0_and_compose(content: str) -> tuple[str, list[tuple[int, int]]]:
    """Drop C0 controls and apply NFC run by run, mapping each output character exactly."""
    if not _C0.search(content) and unicodedata.is_normalized("NFC", content):
        return content, []
    expected = unicodedata.normalize("NFC", _C0.sub("", content))
    runs = [(offset, run, unicodedata.normalize("NFC", run)) for offset, run in _runs(content)]
    builder = _BreakBuilder()
    if "".join(r[2] for r in runs) != expected:
        # a composition across runs we did not foresee: align the line as a whole
        _align(content, expected, 0, 0, builder)
        return expected, builder.breaks
    text_pos = 0
    for offset, run, normal in runs:
        if normal == run:
            builder.point(text_pos, offset)
        else:
            _align(run, normal, offset, text_pos, builder)
        text_pos += len(normal)
    builder.point(text_pos, len(content))
    return expected, builder.breaks


def _repair_encoding(line: str, breaks: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """ftfy until nothing changes, C1 controls that survive it dropped; ``breaks`` extended.

    ftfy needs the C1 characters (UTF-8 read as Latin-1 leaves "â\\x80\\x99" for "’"), so
    they go only after it; repeating makes the whole normalisation idempotent.
    """
    for _ in range(4):
        fixed = _C1.sub("", ftfy.fix_text(line, _FTFY))
        if fixed == line:
            break
        step = _BreakBuilder()
        _align(line, fixed, 0, 0, step)
        breaks = _compose(breaks, step.breaks, len(fixed))
        line = fixed
    return line, breaks


# Typographic punctuation ftfy leaves alone when it is a line's only non-ASCII: its mojibake
# heuristic (ftfy.badness) pairs these only with accented letters, currency, numeric, box or
# C1 characters, and its other repairs start from a Latin-1 letter ("Â", "Ã", "â") or a C1
# control. Three lines in four that are not ASCII have nothing else (curly quotes, dashes):
# skipping ftfy for them made ingest 8% faster. tests/test_ingest.py checks the claim against
# ftfy itself.
TYPOGRAPHIC_PUNCTUATION = "\u2018\u2019\u201c\u201d\u2013\u2014\u2026"  # ‘ ’ “ ” – — …
_WITHOUT_TYPOGRAPHIC = str.maketrans(dict.fromkeys(TYPOGRAPHIC_PUNCTUATION))


def _needs_repair(line: str) -> bool:
    """Whether ftfy could change ``line`` (NFC already): not when its only non-ASCII characters
    are typographic punctuation."""
    return not line.isascii() and not line.translate(_WITHOUT_TYPOGRAPHIC).isascii()


def _normalise_line(content: str) -> tuple[str, list[tuple[int, int]]]:
    """One line without its ending, normalised; breaks relative to the line."""
    line, breaks = _drop_c0_and_compose(content)
    if _needs_repair(line):
        line, breaks = _repair_encoding(line, breaks)
    return line, breaks


def normalise_text(decoded: str) -> NormalisedText:
    """Drop control characters, NFC, repair mojibake, make line endings LF.

    ``offset_breaks`` maps every offset of the result back to ``decoded``.
    """
    parts: list[str] = []
    builder = _BreakBuilder()
    text_pos = source_pos = 0
    for content, ending in _lines(decoded):
        line, breaks = _normalise_line(content)
        builder.point(text_pos, source_pos)
        for t, s in breaks:
            builder.point(text_pos + t, source_pos + s)
        parts.append(line)
        text_pos += len(line)
        source_pos += len(content)
        if ending:
            builder.point(text_pos, source_pos + len(ending) - 1)  # "\r\n": the LF maps to the LF
            parts.append("\n")
            text_pos += 1
            source_pos += len(ending)
    builder.point(text_pos, source_pos)
    return NormalisedText("".join(parts), tuple(OffsetBreak(t, s) for t, s in builder.breaks))


def to_source_offset(breaks, text_offset: int) -> int:
    """Offset in the decoded source of ``text_offset`` in the normalised text."""
    i = bisect.bisect_right(breaks, text_offset, key=lambda b: b.text_offset) - 1
    if i < 0:
        return text_offset
    return text_offset + breaks[i].source_offset - breaks[i].text_offset


# --- header and title --------------------------------------------------------------------------


def parse_header(text: str) -> Header:
    """The optional ``date YYYY-MM-DD Place:`` header, on one of the first non-empty lines
    (``paragraphs.find_header``); ``body_start`` is where the text after it begins."""
    match = find_header(text)
    if match is None:
        return Header(None, None, 0)
    try:
        published = datetime.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return Header(None, None, 0)  # "date 2025-13-40" is text, not a header
    dateline = match[4].strip()
    return Header(published, dateline or None, match.end())


def _title(text: str, pieces: list[tuple[int, int]]) -> str | None:
    """First body line when it reads like a headline: short, no final period, not a caption.

    ``pieces``: the passages after the header (``paragraphs.document_pieces``); only the first is
    classified, as ``split_document`` would.
    """
    if not pieces:
        return None
    start, end = pieces[0]
    following = text[pieces[1][0] : pieces[1][1]] if len(pieces) > 1 else None
    if classify(text[start:end], following) in ("caption", "credit"):
        return None
    line = text[start:end].split("\n", 1)[0].strip()
    if not line or line.endswith(".") or count_words(line) > TITLE_MAX_WORDS:
        return None
    return line


# --- the folder --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """Where a text came from and what its source says about it."""

    source_path: str
    source_format: str
    source_sha256: str
    encoding: str
    record: int | None = None
    replaced: int = 0  # bad byte sequences of the file shown as U+FFFD (decoding.Decoded.replaced)
    source_id: str | None = None
    url: str | None = None
    publisher: str | None = None
    title: str | None = None
    published: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class _Document:
    doc_id: str
    source: _Source
    header: Header
    title: str | None
    published: datetime.date | None
    published_at: datetime.datetime | None
    language: str | None
    publisher_outlet_id: str | None
    n_passages: int
    normalised: NormalisedText
    text_sha256: str
    credits: tuple[Credit, ...]  # find_credits of the text
    capped: tuple[str, ...] = ()  # what the limits per document cut (documents.capped)

    @property
    def source_path(self) -> str:
        return self.source.source_path


@dataclass(frozen=True)
class _Rejected:
    source_path: str
    reason: str
    detail: str
    record: int | None = None


class _EmptyFolder:
    """A folder under the input folder that holds nothing: a reject, so that every path has a row."""


_EMPTY_FOLDER = _EmptyFolder()


def _walk(input_dir: Path, relative: Path = Path()):
    """(relative path, entry or error or ``_EMPTY_FOLDER``) of everything under the folder, sorted,
    depth first: files of nested folders are read, whatever the folders' names ("dir.txt/"); of a
    file given instead of a folder, the file alone (its name relative to its folder)."""
    if not relative.parts and input_dir.is_file():
        yield Path(input_dir.name), input_dir
        return
    folder = input_dir / relative
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        yield relative, exc
        return
    if not entries and relative != Path():
        yield relative, _EMPTY_FOLDER
    for entry in entries:
        path = relative / entry.name
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(input_dir, path)
        else:
            yield path, entry


def refuse_output_inside(input_dir: Path, out_dir: Path) -> None:
    """InputError when the output folder is the input folder or inside it: ingest would read the
    output's lock file and earlier tables as articles."""
    input_dir, out_dir = Path(input_dir).resolve(), Path(out_dir).resolve()
    if input_dir.is_dir() and out_dir.is_relative_to(input_dir):  # a file given alone is all that is read
        where = "is the input folder" if out_dir == input_dir else f"is inside the input folder {input_dir}"
        raise InputError(
            f"output folder {out_dir} {where}, whose every file is read as an article: pass an --out outside it"
        )


def listed_paths(input_dir: Path) -> list[str]:
    """The ``source_path`` of every row ingest would write for the folder (documents, sightings or
    rejects, a folder that cannot be listed included), sorted: what a batch of it is expected to hold."""
    return [_display_path(relative) for relative, _ in _walk(Path(input_dir))]


def _files_root(input_dir: Path) -> Path:
    """The folder the walked paths are relative to: the input folder, or a file's own folder."""
    return input_dir.parent if input_dir.is_file() else input_dir


def _link_target(path: Path, root: Path) -> Path:
    """The file a symbolic link inside ``root`` names, or ``path`` itself; ``_Reject`` for a link that
    is broken, loops, leads out of ``root`` or to a folder."""
    if not path.is_symlink():
        return path
    try:
        target = path.resolve(strict=True)
    except FileNotFoundError:
        raise _Reject("unreadable", f"broken symbolic link to {os.readlink(path)}") from None
    except (OSError, RuntimeError) as exc:
        raise _Reject("unreadable", f"symbolic link loop ({exc})") from None
    if not target.is_relative_to(root):
        raise _Reject("unreadable", f"symbolic link to {target}, outside the input folder; copy the file in")
    if target.is_dir():
        raise _Reject(
            "not_a_file",
            f"symbolic link to the folder {target.relative_to(root).as_posix() or '.'} "
            "inside the input folder, whose files are read from there",
        )
    return target


def _read(path: Path, root: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file inside ``root``, or raise ``_Reject``."""
    path = _link_target(path, root)
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise _Reject("unreadable", f"cannot open: {exc.strerror}") from None
    if not stat.S_ISREG(mode):  # not opened at all: a socket cannot be, a device may act on it
        kind = "FIFO" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode) else "device"
        raise _Reject("not_a_file", f"not a regular file but a {kind}")
    try:
        # O_NONBLOCK: opening a FIFO (swapped in since the stat) must not hang the batch
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise _Reject("unreadable", f"cannot open: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _Reject("not_a_file", "not a regular file (device, FIFO or socket)")
        if info.st_size > max_bytes:
            raise _Reject("too_large", f"{info.st_size} bytes, more than ingest.max_bytes = {max_bytes}")
        try:
            data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise _Reject("unreadable", f"cannot read: {exc.strerror}") from None
    if len(data) > max_bytes:  # grew since stat
        raise _Reject("too_large", f"more than ingest.max_bytes = {max_bytes} bytes")
    return data


def _ingest_file(data: bytes, source_path: str, params: IngestParams) -> _Document:
    try:
        decoded = decode(data)
    except Undecodable as exc:
        raise _Reject(exc.reason, exc.detail) from None
    source = _Source(source_path, "text", hashlib.sha256(data).hexdigest(), decoded.encoding, replaced=decoded.replaced)
    return _ingest_text(decoded.text, source, len(data), params)


def _ingest_text(text: str, source: _Source, n_bytes: int, params: IngestParams) -> _Document:
    """A document of ``text`` (decoded or given), with what its source says about it."""
    normalised = normalise_text(text)
    if not any(not c.isspace() and unicodedata.category(c) != "Cf" for c in normalised.text):
        # zero-width spaces, joiners and stray byte order marks are no text either
        raise _Reject("empty", f"no text, only whitespace or invisible characters ({n_bytes} bytes)")
    header = parse_header(normalised.text)
    # Ingest needs the number of passages and the first one's kind, not every passage classified.
    header_piece, pieces = document_pieces(normalised.text, header.body_start)
    text_sha256 = hashlib.sha256(normalised.text.encode("utf-8")).hexdigest()
    gazetteer = Gazetteer.packaged()
    # Searched here, in the pool's workers when there is a pool: ingest sums the credits up in
    # documents and publishes them for the attribution stage, which need not search again.
    searched = normalised.text[: params.credit_search_chars]
    credits = tuple(find_credits(searched, gazetteer, header.body_start))
    if source.source_format == "text":
        title, (published, published_at) = _title(normalised.text, pieces), (header.published, None)
    else:
        title, (published, published_at) = source.title, parse_published(source.published)
    return _Document(
        doc_id=text_sha256[:16],
        source=source,
        header=header,
        title=title,
        published=published,
        published_at=published_at,
        language=given_language(source.language) or detect_language(normalised.text),
        publisher_outlet_id=resolve_publisher(gazetteer, source.publisher, source.url),
        n_passages=len(pieces) + (header_piece is not None),
        normalised=normalised,
        text_sha256=text_sha256,
        credits=credits,
        capped=_capped(normalised.text, pieces, params),
    )


def _capped(text: str, pieces: list[tuple[int, int]], params: IngestParams) -> tuple[str, ...]:
    """What the limits per document cut in ``text`` (see ``DOCUMENTS.capped``); ``pieces``: its
    passages but the header's."""
    capped = []
    if any(len(line) > SENTENCE_MAX_CHARS for line in text.split("\n")):
        cut = sum(s.cut for s in split_sentences(text))
        if cut:
            capped.append(f"sentences: {cut} cut at {SENTENCE_MAX_CHARS} characters")
    passages = cut_passages(text, pieces)
    if passages:
        capped.append(f"passages: {passages} cut at {PASSAGE_MAX_CHARS} characters")
    if len(text) > params.credit_search_chars:
        capped.append(f"credits: searched in the first {params.credit_search_chars} characters")
    return tuple(capped)


def _ingest_article(source_path: str, fmt: str, article: Article, params: IngestParams) -> _Document | _Rejected:
    """One article of a file of many (or an HTML page) as a document, or why it is rejected."""
    try:
        if article.html is not None:
            page = extract_page(article.html, article.url, article.charset, params.extractor)
            if not page.text.strip():
                raise _Reject("empty", f"no main text found in the page ({len(article.html)} bytes)")
            source = _Source(
                source_path,
                fmt,
                article.source_sha256,
                page.encoding,
                record=article.record,
                url=article.url or page.url,
                publisher=page.sitename,
                title=page.title,
                published=page.date,
            )
            return _ingest_text(page.text, source, len(article.html), params)
        source = _Source(
            source_path,
            fmt,
            article.source_sha256,
            "utf-8",
            record=article.record,
            source_id=article.source_id,
            url=article.url,
            publisher=article.publisher,
            title=article.title,
            published=article.published,
            language=article.language,
        )
        return _ingest_text(article.text or "", source, len(article.text or ""), params)
    except _Reject as reject:
        return _Rejected(source_path, reject.reason, reject.detail, article.record)


def _display_path(relative: Path) -> str:
    """A name that is not UTF-8 (Python keeps its bytes as surrogates, which Arrow cannot
    store) is shown with the bad bytes escaped: "bad\\xff.txt"."""
    return os.fsencode(relative.as_posix()).decode("utf-8", "backslashreplace")


def _ingest_path(input_dir: Path, root: Path, relative: Path, params: IngestParams) -> _Document | _Rejected:
    """One file as a document, or the reason it is rejected."""
    source_path = _display_path(relative)
    try:
        return _ingest_file(_read(input_dir / relative, root, params.max_bytes), source_path, params)
    except _Reject as reject:
        return _Rejected(source_path, reject.reason, reject.detail)


@dataclass(frozen=True)
class _TextFile:
    """A file read whole as one document (``text`` format), in a worker."""

    relative: Path


@dataclass(frozen=True)
class _FileArticle:
    """One article of a file of many, in a worker."""

    source_path: str
    fmt: str
    article: Article


_Work = _TextFile | _FileArticle | _Rejected


def _do(work: _Work, input_dir: Path, root: Path, params: IngestParams) -> _Document | _Rejected:
    """A piece of work as a document or a reject; one that takes longer than ``params.max_seconds``
    is stopped and rejected (too_slow), and the batch goes on."""
    if isinstance(work, _Rejected):
        return work
    Gazetteer.packaged()  # loaded once per process, outside any one file's time
    try:
        with time_budget(params.max_seconds):
            if isinstance(work, _TextFile):
                return _ingest_path(input_dir, root, work.relative, params)
            return _ingest_article(work.source_path, work.fmt, work.article, params)
    except TooSlow as slow:
        source_path = _display_path(work.relative) if isinstance(work, _TextFile) else work.source_path
        record = None if isinstance(work, _TextFile) else work.article.record
        detail = f"stage ingest: stopped after {slow.seconds:g} s (ingest.max_seconds), the rest of the batch went on"
        return _Rejected(source_path, "too_slow", detail, record)


def _ingest_chunk(chunk: tuple[Path, Path, tuple[_Work, ...], IngestParams]) -> list[_Document | _Rejected]:
    """Each piece of work of a chunk as a document or a reject, in a worker process."""
    input_dir, root, works, params = chunk
    return [_do(work, input_dir, root, params) for work in works]


# Ingest's chunks per process: its chunks cost nothing to send (paths), and smaller chunks keep the
# last chunk of one worker from being the other's idle time.
INGEST_CHUNKS_PER_PROCESS = 8
# Documents turned into a piece of the documents table at a time, while the pool reads the next files.
_DOCUMENTS_PIECE = 1000
# Bytes of a file of many articles counted as one article, to size the pool's chunks before reading it.
_BYTES_PER_ARTICLE = 5_000
# Articles of such files sent to a worker at a time, at most: their pages travel with them.
_MAX_ARTICLES_PER_CHUNK = 64


def _works(input_dir: Path, root: Path, entries: list[tuple[Path, object]], params: IngestParams):
    """What to ingest, in walk order: each text file, each article of a file of many articles (read
    as it is sent on), each line or record that is not one, each folder that could not be listed."""
    fields = params.fields
    for relative, entry in entries:
        source_path = _display_path(relative)
        if isinstance(entry, OSError):
            yield _Rejected(source_path, "unreadable", f"cannot list folder: {entry.strerror}")
            continue
        if isinstance(entry, _EmptyFolder):
            yield _Rejected(source_path, "not_a_file", "an empty folder (the files of folders are read; it has none)")
            continue
        fmt = format_of(relative, params.format)
        if fmt == "text":
            yield _TextFile(relative)
            continue
        path = input_dir / relative
        try:
            _check_readable(path, root)
            for found in read_articles(path, fmt, fields, params.max_bytes):
                if isinstance(found, BadRecord):
                    yield _Rejected(source_path, found.reason, found.detail, found.record)
                else:
                    yield _FileArticle(source_path, fmt, found)
        except _Reject as reject:
            yield _Rejected(source_path, reject.reason, reject.detail)
        except OSError as exc:
            yield _Rejected(source_path, "unreadable", f"cannot read: {exc.strerror or exc}")


def _check_readable(path: Path, root: Path) -> None:
    """``_read``'s checks (links, FIFOs, devices) for a file that is streamed, not read whole."""
    path = _link_target(path, root)
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise _Reject("unreadable", f"cannot open: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        raise _Reject("not_a_file", "not a regular file (folder, device, FIFO or socket)")


def _estimated_articles(input_dir: Path, root: Path, entries: list[tuple[Path, object]], params: IngestParams) -> int:
    """Text files, and files of many articles by their size: how much work the batch is, before reading it."""
    total = 0
    for relative, entry in entries:
        if isinstance(entry, (OSError, _EmptyFolder)):
            continue
        if format_of(relative, params.format) == "text":
            total += 1
            continue
        try:
            total += max(1, os.stat(root / relative).st_size // _BYTES_PER_ARTICLE)
        except OSError:
            total += 1
    return total


def _chunked(works, size: int):
    chunk: list[_Work] = []
    for work in works:
        chunk.append(work)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _ingest_all(
    input_dir: Path,
    root: Path,
    entries: list[tuple[Path, object]],
    params: IngestParams,
    parallel: ParallelParams,
    label: str,
):
    """A document or a reject for each piece of work (``_works``), in walk order; in worker
    processes when there is enough of it."""
    works = _works(input_dir, root, entries, params)
    estimate = _estimated_articles(input_dir, root, entries, params)
    parts = n_chunks(estimate, parallel, DOCUMENT_WEIGHT, per_process=INGEST_CHUNKS_PER_PROCESS)
    if parts <= 1:
        for work in progress(works, label, total=estimate):
            yield _do(work, input_dir, root, params)
        return
    size = max(1, min(-(-estimate // parts), _MAX_ARTICLES_PER_CHUNK))
    chunks = ((input_dir, root, tuple(chunk), params) for chunk in _chunked(works, size))
    for chunk in imap_chunks(_ingest_chunk, chunks, parallel, label, total=-(-estimate // size)):
        yield from chunk


def first_sightings(documents: pa.Table) -> dict[str, FirstSighting]:
    """doc_id -> first sighting of earlier batches' documents (doc_id, batch, source_path), for ``ingest_folder``."""
    return {
        doc_id: FirstSighting(batch, path)
        for doc_id, batch, path in zip(
            documents.column("doc_id").to_pylist(),
            documents.column("batch").to_pylist(),
            documents.column("source_path").to_pylist(),
        )
    }


def ingest_folder(
    input_dir: Path,
    batch: str,
    params: IngestParams,
    now: datetime.datetime,
    earlier: Callable[[list[str]], Mapping[str, FirstSighting]] | None = None,
    parallel: ParallelParams | None = None,
) -> IngestResult:
    """Every path under ``input_dir`` (a folder, or one file) as rows of documents, sightings or rejects:
    a text file is one document, a file of many articles (``params.format``) one per article.

    A file whose normalised text is already a document, earlier in this batch or in an earlier
    batch, is not ingested twice: it becomes a row of sightings pointing at the first one.
    ``earlier`` looks the batch's doc_ids up in earlier batches (doc_id -> first sighting, for
    those found), once, after reading: the archive's documents are never all in memory, as they
    were when every earlier doc_id came in a dict. ``parallel`` (default: one process) says
    when files are read in worker processes; the result is the same.
    """
    input_dir = Path(input_dir)
    if not input_dir.exists():
        raise InputError(f"input folder {input_dir} does not exist; pass the folder that holds the batch's articles")
    if not input_dir.is_dir() and not input_dir.is_file():
        raise InputError(
            f"input {input_dir} is not a folder or a file; pass the folder that holds the batch's articles"
        )
    try:
        datetime.date.fromisoformat(batch)
    except (TypeError, ValueError):
        raise ConfigError(f"batch must be a date YYYY-MM-DD, got {batch!r}") from None
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    now = now.astimezone(datetime.timezone.utc)
    entries = list(_walk(input_dir))
    input_dir = _files_root(input_dir)
    root = input_dir.resolve()

    documents: list[_Document] = []  # not yet in a piece of the documents table
    pieces: list[pa.Table] = []
    credits: list[pa.Table] = []
    rejects: list[_Rejected] = []
    # (place in the input, source_path, doc_id, first sighting), and each document's place
    sightings: list[tuple[int, str, str, FirstSighting]] = []
    here: dict[str, tuple[int, FirstSighting]] = {}
    for place, outcome in enumerate(
        _ingest_all(input_dir, root, entries, params, parallel or ParallelParams(processes=1), f"ingest {batch}")
    ):
        if isinstance(outcome, _Rejected):
            rejects.append(outcome)
            continue
        document = outcome
        source_path = document.source_path
        if document.doc_id in here:
            sightings.append((place, source_path, document.doc_id, here[document.doc_id][1]))
            continue
        here[document.doc_id] = (place, FirstSighting(batch, source_path))
        documents.append(document)
        if len(documents) == _DOCUMENTS_PIECE:
            # Built while the pool reads on: all at the end, it would keep the pool idle.
            pieces.append(_documents_table(documents, batch, now))
            credits.append(credits_table(((d.doc_id, d.credits) for d in documents), batch))
            documents = []
    pieces.append(_documents_table(documents, batch, now))
    credits.append(credits_table(((d.doc_id, d.credits) for d in documents), batch))
    documents_table, credits_rows = pa.concat_tables(pieces), pa.concat_tables(credits)
    known = earlier(list(here)) if earlier is not None and here else {}
    if known:
        # Ingested by an earlier batch: a sighting of it, and so is every copy in this batch.
        sightings += [(here[doc_id][0], here[doc_id][1].source_path, doc_id, known[doc_id]) for doc_id in known]
        sightings = [(place, path, doc_id, known.get(doc_id, first)) for place, path, doc_id, first in sightings]
        sightings.sort(key=lambda sighting: sighting[0])
        repeated = pa.array(list(known), pa.string())
        documents_table = documents_table.filter(pc.invert(pc.is_in(documents_table["doc_id"], value_set=repeated)))
        credits_rows = credits_rows.filter(pc.invert(pc.is_in(credits_rows["doc_id"], value_set=repeated)))
    return IngestResult(
        documents_table,
        _rejects_table(rejects, batch, now),
        _sightings_table(sightings, batch, now),
        credits_rows,
    )


def _sightings_table(
    sightings: list[tuple[int, str, str, FirstSighting]], batch: str, now: datetime.datetime
) -> pa.Table:
    columns = {
        "source_path": [path for _, path, _, _ in sightings],
        "batch": [batch] * len(sightings),
        "doc_id": [doc_id for _, _, doc_id, _ in sightings],
        "first_batch": [first.batch for _, _, _, first in sightings],
        "first_source_path": [first.source_path for _, _, _, first in sightings],
        "seen_at": [now] * len(sightings),
    }
    return conform(pa.table({k: pa.array(v, type=SIGHTINGS.field(k).type) for k, v in columns.items()}), SIGHTINGS)


def _documents_table(documents: list[_Document], batch: str, now: datetime.datetime) -> pa.Table:
    gazetteer = Gazetteer.packaged()
    summaries = [credits_summary(d.credits, gazetteer) for d in documents]
    columns = {
        "doc_id": [d.doc_id for d in documents],
        "source_path": [d.source_path for d in documents],
        "batch": [batch] * len(documents),
        "published": [d.published for d in documents],
        "dateline": [d.header.dateline for d in documents],
        "title": [d.title for d in documents],
        "body_start": [d.header.body_start for d in documents],
        "n_chars": [len(d.normalised.text) for d in documents],
        "n_passages": [d.n_passages for d in documents],
        "text": [d.normalised.text for d in documents],
        "text_sha256": [d.text_sha256 for d in documents],
        "source_sha256": [d.source.source_sha256 for d in documents],
        "encoding": [d.source.encoding for d in documents],
        "offset_breaks": [
            [{"text_offset": b.text_offset, "source_offset": b.source_offset} for b in d.normalised.offset_breaks]
            for d in documents
        ],
        "ingested_at": [now] * len(documents),
        "credited_outlets": [list(s.credited_outlets) for s in summaries],
        "wire_copy": [s.wire_copy for s in summaries],
        "source_format": [d.source.source_format for d in documents],
        "source_record": [d.source.record for d in documents],
        "source_id": [d.source.source_id for d in documents],
        "url": [d.source.url for d in documents],
        "publisher": [d.source.publisher for d in documents],
        "publisher_outlet_id": [d.publisher_outlet_id for d in documents],
        "published_at": [d.published_at for d in documents],
        "language": [d.language for d in documents],
        "replaced_bytes": [d.source.replaced for d in documents],
        "capped": [list(d.capped) for d in documents],
    }
    return conform(pa.table({k: pa.array(v, type=DOCUMENTS.field(k).type) for k, v in columns.items()}), DOCUMENTS)


def _rejects_table(rejects: list[_Rejected], batch: str, now: datetime.datetime) -> pa.Table:
    columns = {
        "source_path": [r.source_path for r in rejects],
        "batch": [batch] * len(rejects),
        "reason": [r.reason for r in rejects],
        "detail": [r.detail for r in rejects],
        "rejected_at": [now] * len(rejects),
        "source_record": [r.record for r in rejects],
    }
    return conform(pa.table({k: pa.array(v, type=REJECTS.field(k).type) for k, v in columns.items()}), REJECTS)
