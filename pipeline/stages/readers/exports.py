"""Exports of a news API or scraper: JSON Lines (``.jsonl``, ``.jsonl.gz``), CSV/TSV and Parquet.

One article per line or row; its fields are named by ``Fields`` (the names of
``../shared/inputs/articles.jsonl`` by default). A line or row that is not an article (not
JSON, no text, a text that is not a string, a row of the wrong width) is a ``BadRecord`` and
the rest of the file is read. ``source_sha256`` of an export's article is that of its text as
given (UTF-8), so the same article exported as JSON Lines, CSV or Parquet has the same one.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import zlib
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.stages.readers import Article, BadRecord, Fields

_GZIP_MAGIC = b"\x1f\x8b"
# Rows of a Parquet export converted to Python at a time: enough to amortise, few enough to stream.
_PARQUET_BATCH = 1024


def _open(path: Path):
    """The file's bytes, gunzipped as they are read when it is gzip (by its first bytes, not its name)."""
    handle = open(path, "rb")  # noqa: SIM115  returned open, closed by the caller's with
    if handle.read(2) == _GZIP_MAGIC:
        handle.seek(0)
        return gzip.GzipFile(fileobj=handle, mode="rb")
    handle.seek(0)
    return handle


def _optional(value: object) -> str | None:
    """A metadata field as text: a number or a boolean as written, an empty string or null as absent."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    text = str(value).strip()
    return text or None


def _article(record: int, row: dict, fields: Fields) -> Article | BadRecord:
    """One export row as an article, or why it is not one."""
    if fields.text not in row:
        return BadRecord(record, "bad_record", f"no {fields.text!r} field (set --text-field to the field of the text)")
    text = row[fields.text]
    if not isinstance(text, str):
        kind = "null" if text is None else type(text).__name__
        return BadRecord(record, "bad_record", f"{fields.text!r} is {kind}, not a string")
    return Article(
        record=record,
        source_sha256=hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(),
        text=text,
        source_id=_optional(row.get(fields.id)),
        url=_optional(row.get(fields.url)),
        publisher=_optional(row.get(fields.publisher)),
        title=_optional(row.get(fields.title)),
        published=_optional(row.get(fields.published)),
        language=_optional(row.get(fields.language)),
    )


def _lines(handle, max_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number from 1, bytes without the line end) of each line; None for a line longer than
    ``max_bytes``, which is skipped without being held."""
    number = 0
    while True:
        line = handle.readline(max_bytes + 1)
        if not line:
            return
        number += 1
        if len(line) > max_bytes and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = handle.readline(1 << 20)
            yield number, None
            continue
        yield number, line.rstrip(b"\r\n")


def read_jsonl(path: Path, fields: Fields, max_bytes: int) -> Iterator[Article | BadRecord]:
    """An article per JSON object line; blank lines are no records."""
    with _open(path) as handle:
        numbered = _lines(handle, max_bytes)
        number = 0
        while True:
            try:
                number, line = next(numbered)
            except StopIteration:
                return
            except (OSError, EOFError, zlib.error) as exc:  # a damaged or truncated gzip stream
                yield BadRecord(number + 1, "unreadable", f"cannot read on from here: {exc}")
                return
            if line is None:
                yield BadRecord(number, "too_large", f"the line is longer than ingest.max_bytes = {max_bytes}")
                continue
            if not line.strip():
                continue
            try:
                row = json.loads(line.decode("utf-8-sig" if number == 1 else "utf-8"))
            except UnicodeDecodeError as exc:
                yield BadRecord(number, "undecodable", f"not UTF-8: {exc.reason} at byte {exc.start}")
                continue
            except json.JSONDecodeError as exc:
                yield BadRecord(number, "bad_record", f"not JSON: {exc.msg} at column {exc.colno}")
                continue
            if not isinstance(row, dict):
                yield BadRecord(number, "bad_record", f"a JSON {type(row).__name__}, not an object")
                continue
            yield _article(number, row, fields)


def read_csv(path: Path, fields: Fields, max_bytes: int) -> Iterator[Article | BadRecord]:
    """RFC 4180 CSV with a header row; records are numbered by the line they start on."""
    return _read_delimited(path, fields, max_bytes, csv.excel)


def read_tsv(path: Path, fields: Fields, max_bytes: int) -> Iterator[Article | BadRecord]:
    """Tab-separated values with a header row, quoted like CSV where a field needs it."""
    return _read_delimited(path, fields, max_bytes, csv.excel_tab)


def _read_delimited(path: Path, fields: Fields, max_bytes: int, dialect) -> Iterator[Article | BadRecord]:
    csv.field_size_limit(max(max_bytes, 1 << 17))
    with _open(path) as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
        reader = csv.reader(text, dialect)
        start = 1
        header: list[str] | None = None
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # a field over the limit, a NUL byte
                yield BadRecord(start, "bad_record", f"not a CSV record: {exc}")
                start = reader.line_num + 1
                continue
            except (UnicodeDecodeError, OSError, EOFError, zlib.error) as exc:
                yield BadRecord(
                    start,
                    "undecodable" if isinstance(exc, UnicodeDecodeError) else "unreadable",
                    f"cannot read on from here: {exc}",
                )
                return
            record, start = start, reader.line_num + 1
            if header is None:
                header = row
                if fields.text not in header:
                    yield BadRecord(
                        record,
                        "bad_record",
                        f"the header has no {fields.text!r} column (columns: {', '.join(header)}); "
                        "set --text-field to the column of the text",
                    )
                    return
                continue
            if not any(row):
                continue
            if len(row) != len(header):
                yield BadRecord(record, "bad_record", f"{len(row)} fields, the header has {len(header)}")
                continue
            yield _article(record, dict(zip(header, row)), fields)


def read_parquet(path: Path, fields: Fields, max_bytes: int) -> Iterator[Article | BadRecord]:
    """An article per row, read a row group's batch at a time; records are row numbers from 0."""
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        yield BadRecord(None, "unreadable", f"not a Parquet file: {str(exc).splitlines()[0]}")
        return
    names = parquet.schema_arrow.names
    if fields.text not in names:
        yield BadRecord(
            None,
            "bad_record",
            f"no {fields.text!r} column (columns: {', '.join(names)}); set --text-field to the column of the text",
        )
        return
    wanted = [n for n in dict.fromkeys(vars(fields).values()) if n in names]
    row_number = 0
    try:
        for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH, columns=wanted):
            for row in batch.to_pylist():
                text = row.get(fields.text)
                if isinstance(text, str) and len(text) > max_bytes:
                    yield BadRecord(row_number, "too_large", f"the text is longer than ingest.max_bytes = {max_bytes}")
                else:
                    yield _article(row_number, row, fields)
                row_number += 1
    except (OSError, pa.ArrowException) as exc:
        yield BadRecord(row_number, "unreadable", f"cannot read on from here: {str(exc).splitlines()[0]}")
