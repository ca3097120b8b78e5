"""Input readers: each format gives the same documents, bad lines and skipped records are rejects rows.

Most tests read a small news day written for them (tests/news_inputs.py) in every format; one
reads ../shared/inputs in place (17 real pages as HTML, WARC, JSON Lines and CSV) when it is there.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from news_inputs import DAY, UNCREDITED, WIRE, write_csv, write_html, write_jsonl, write_parquet, write_warc

from pipeline.core import partitions, tables
from pipeline.core.errors import ConfigError
from pipeline.core.schema import SCHEMA_KEY
from pipeline.orchestration.cli import main
from pipeline.stages.ingest import IngestParams, ingest_folder, normalise_text
from pipeline.stages.readers import format_of, parse_published

BATCH = "2025-03-03"
NOW = dt.datetime(2025, 3, 3, 23, 0, tzinfo=dt.timezone.utc)
SHARED_INPUTS = Path(__file__).resolve().parents[2] / "shared" / "inputs"


def ingest(path: Path, **settings):
    return ingest_folder(path, BATCH, IngestParams(**settings), NOW)


def by_url(result) -> dict[str, dict]:
    return {row["url"]: row for row in result.documents.to_pylist()}


@pytest.fixture(scope="module")
def day(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("formats")
    write_jsonl(folder / "day.jsonl", bad_lines=True)
    write_jsonl(folder / "day.jsonl.gz")
    write_csv(folder / "day.csv")
    write_csv(folder / "day.tsv", delimiter="\t")
    write_parquet(folder / "day.parquet")
    write_html(folder / "pages")
    write_warc(folder / "crawl.warc.gz")
    write_warc(folder / "crawl.warc")
    return folder


@pytest.mark.parametrize("name", ["day.jsonl", "day.jsonl.gz", "day.csv", "day.tsv", "day.parquet"])
def test_an_export_gives_each_article_as_given(day, name):
    result = ingest(day / name)
    docs = by_url(result)
    assert result.documents.num_rows == 4
    for article in DAY[:3]:  # the update shares the wire's URL
        doc = docs[article.url] if article is not WIRE else None
        if doc is None:
            continue
        assert doc["text"] == normalise_text(article.text).text
        assert (doc["publisher"], doc["title"], doc["language"]) == (article.publisher, article.title, "en")
        assert doc["source_id"] == article.id
    texts = sorted(row["text"] for row in result.documents.to_pylist())
    assert texts == sorted(normalise_text(a.text).text for a in DAY)
    assert set(result.documents.column("source_format").to_pylist()) == {format_of(day / name)}


def test_exports_of_every_kind_give_the_same_documents(day):
    columns = ["doc_id", "url", "publisher", "publisher_outlet_id", "title", "published", "published_at", "language"]
    seen = [
        sorted(ingest(day / name).documents.select(columns).to_pylist(), key=lambda r: r["doc_id"])
        for name in ("day.jsonl", "day.jsonl.gz", "day.csv", "day.tsv", "day.parquet")
    ]
    assert all(rows == seen[0] for rows in seen)


def test_records_are_numbered_and_bad_lines_are_rejects(day):
    result = ingest(day / "day.jsonl")
    assert result.documents.column("source_record").to_pylist() == [1, 5, 6, 7]  # lines 2-4 are bad
    rejects = [(r["source_record"], r["reason"], r["detail"]) for r in result.rejects.to_pylist()]
    assert [(n, reason) for n, reason, _ in rejects] == [(2, "bad_record"), (3, "bad_record"), (4, "bad_record")]
    assert "not JSON" in rejects[0][2] and "no 'text' field" in rejects[1][2] and "int, not a string" in rejects[2][2]
    assert ingest(day / "day.parquet").documents.column("source_record").to_pylist() == [0, 1, 2, 3]
    # the line each record starts on: the texts are quoted over several lines
    assert ingest(day / "day.csv").documents.column("source_record").to_pylist() == [2, 7, 13, 17]


def test_published_gives_the_day_as_written_and_the_moment_in_utc(day):
    docs = by_url(ingest(day / "day.csv"))
    uncredited = docs[UNCREDITED.url]
    assert uncredited["published"] == dt.date(2025, 3, 3)  # the day the page states, in its own time zone
    assert uncredited["published_at"] == dt.datetime(2025, 3, 3, 14, 5, tzinfo=dt.timezone.utc)


def test_publishers_resolve_through_the_gazetteer(day):
    outlets = {row["publisher"]: row["publisher_outlet_id"] for row in ingest(day / "day.jsonl").documents.to_pylist()}
    assert outlets == {"Reuters": "Q130879", "The Guardian": "Q11148", "The Mercury News": "Q575741"}


@pytest.mark.parametrize("name", ["crawl.warc.gz", "crawl.warc"])
def test_a_warc_gives_the_pages_html_files_give(day, name):
    pages, crawl = ingest(day / "pages"), ingest(day / name)
    assert crawl.documents.num_rows == 4 and pages.documents.num_rows == 4
    assert sorted(crawl.documents.column("text").to_pylist()) == sorted(pages.documents.column("text").to_pylist())
    assert sorted(crawl.documents.column("source_sha256").to_pylist()) == sorted(
        pages.documents.column("source_sha256").to_pylist()
    )
    wire = next(row for row in crawl.documents.to_pylist() if row["url"] == WIRE.url)  # the update comes later
    assert wire["publisher"] == "Reuters" and wire["publisher_outlet_id"] == "Q130879"
    assert wire["title"] == WIRE.title and wire["published"] == dt.date(2025, 3, 3)
    for paragraph in WIRE.text.split("\n"):
        assert paragraph in wire["text"]  # the main text, not the navigation or the footer
    assert "All rights reserved" not in wire["text"] and "Business" not in wire["text"].split("\n")
    skipped = [(r["reason"], r["detail"]) for r in crawl.rejects.to_pylist()]
    assert [reason for reason, _ in skipped] == ["not_article"] * 6
    details = " | ".join(detail for _, detail in skipped)
    assert details.count("a WARC request record") == 4
    assert "warcinfo" in details and "image/png" in details
    offsets = crawl.rejects.column("source_record").to_pylist() + crawl.documents.column("source_record").to_pylist()
    assert len(set(offsets)) == 10 and offsets[0] == 0  # every record accounted for, by its byte offset


def test_field_names_are_mapped(tmp_path):
    path = tmp_path / "mapped.jsonl"
    path.write_text(
        "\n".join(json.dumps({"body": a.text, "link": a.url, "source": a.publisher, "headline": a.title}) for a in DAY)
    )
    assert ingest(path).documents.num_rows == 0
    assert set(ingest(path).rejects.column("reason").to_pylist()) == {"bad_record"}
    mapped = ingest(path, text_field="body", url_field="link", publisher_field="source", title_field="headline")
    assert mapped.documents.num_rows == 4
    assert by_url(mapped)[UNCREDITED.url]["publisher"] == UNCREDITED.publisher


def test_format_overrides_the_suffix(tmp_path):
    path = write_jsonl(tmp_path / "export.txt")
    assert ingest(path).documents.num_rows == 1  # a text file, as before
    assert ingest(path, format="jsonl").documents.num_rows == 4
    with pytest.raises(ConfigError, match="ingest.format must be auto or one of"):
        IngestParams(format="xml")


def test_a_line_over_max_bytes_is_skipped_and_the_rest_read(tmp_path):
    path = tmp_path / "big.jsonl"
    lines = [json.dumps({"text": "x " * 5000}), *(json.dumps({"text": a.text}) for a in DAY)]
    path.write_text("\n".join(lines) + "\n")
    result = ingest(path, max_bytes=4000)
    assert result.documents.num_rows == 4
    assert [(r["source_record"], r["reason"]) for r in result.rejects.to_pylist()] == [(1, "too_large")]


def test_a_csv_row_of_the_wrong_width_is_a_reject(tmp_path):
    path = write_csv(tmp_path / "day.csv")
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('x,"only two"\r\n')
    result = ingest(path)
    assert result.documents.num_rows == 4
    assert [(r["reason"], r["detail"]) for r in result.rejects.to_pylist()] == [
        ("bad_record", "2 fields, the header has 7")
    ]


def test_newsprov_run_takes_a_file_and_field_options(tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(json.dumps({"body": a.text, "url": a.url, "publisher": a.publisher}) for a in DAY))
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--batch", BATCH, "--text-field", "body"]) == 0
    with duckdb.connect() as con:
        found = con.sql(
            f"select publisher, publisher_outlet_id, source_format, source_record from '{out}/documents/**/*.parquet' "
            "order by source_record"
        ).fetchall()
    assert found == [
        ("Reuters", "Q130879", "jsonl", 1),
        ("The Guardian", "Q11148", "jsonl", 2),
        ("The Mercury News", "Q575741", "jsonl", 3),
        ("Reuters", "Q130879", "jsonl", 4),
    ]
    # --text-field held for that run only: luigi.cfg's value is back
    again = tmp_path / "again"
    assert main(["run", str(path), "--out", str(again), "--batch", BATCH]) == 0
    assert pq.read_table(again / "rejects" / BATCH / "part-0.parquet").num_rows == 4


def test_an_output_of_the_earlier_documents_schema_is_upgraded(tmp_path, seed_run, capsys):
    import shutil

    out = tmp_path / "old"
    shutil.copytree(seed_run.out, out)
    for table, version, added in (
        (
            "documents",
            b"documents/2",
            [
                "source_format",
                "source_record",
                "source_id",
                "url",
                "publisher",
                "publisher_outlet_id",
                "published_at",
                "language",
                "replaced_bytes",
                "capped",
            ],
        ),
        ("rejects", b"rejects/1", ["source_record"]),
    ):
        for path in (out / table).rglob("part-0.parquet"):
            old = pq.read_table(path).drop_columns(added)
            pq.write_table(old.replace_schema_metadata({SCHEMA_KEY: version}), path)
    batch = tables.batches_of(out, "documents")[0]
    assert partitions.problem(out, "documents", batch) == "schema documents/2, expected documents/4"
    assert main(["doctor", str(out)]) == 1
    capsys.readouterr()
    assert main(["upgrade", "--out", str(out)]) == 0
    assert "written again with the current schema's new columns" in capsys.readouterr().out
    assert main(["doctor", str(out)]) == 0
    upgraded = tables.read_partition(out, "documents", batch)
    original = tables.read_partition(seed_run.out, "documents", batch)
    assert upgraded.column("url").null_count == upgraded.num_rows
    assert upgraded.column("text").to_pylist() == original.column("text").to_pylist()


@given(
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1)),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_a_timestamp_with_an_offset_is_its_moment_in_utc(moment, minutes):
    zone = dt.timezone(dt.timedelta(minutes=minutes))
    stamp = moment.replace(tzinfo=zone)
    day, utc = parse_published(stamp.isoformat())
    assert day == moment.date()
    assert utc == stamp and utc.tzinfo == dt.timezone.utc
    assert parse_published(moment.isoformat()) == (moment.date(), None)  # no offset: no moment
    assert parse_published(moment.date().isoformat()) == (moment.date(), None)


# --- ../shared/inputs, read in place -------------------------------------------------------------

shared = pytest.mark.skipif(not SHARED_INPUTS.is_dir(), reason="../shared/inputs is not here")


@pytest.fixture(scope="module")
def shared_formats() -> dict:
    return {name: ingest(SHARED_INPUTS / name) for name in ("html", "news.warc.gz", "articles.jsonl", "articles.csv")}


@shared
def test_the_17_pages_read_from_every_format_give_the_same_documents(shared_formats):
    texts = {name: sorted(r.documents.column("text").to_pylist()) for name, r in shared_formats.items()}
    assert all(r.documents.num_rows == 17 for r in shared_formats.values())
    assert texts["html"] == texts["news.warc.gz"]
    assert texts["articles.jsonl"] == texts["articles.csv"]
    given_texts = [
        json.loads(line)["text"] for line in (SHARED_INPUTS / "articles.jsonl").read_text().splitlines()[:17]
    ]
    assert texts["articles.jsonl"] == sorted(normalise_text(t).text for t in given_texts)
    # the exports' texts are trafilatura's extraction of the same pages
    assert texts["html"] == texts["articles.jsonl"]
    export = {r["url"]: r for r in shared_formats["articles.jsonl"].documents.to_pylist()}
    crawl = {r["url"]: r for r in shared_formats["news.warc.gz"].documents.to_pylist()}
    assert export.keys() == crawl.keys()
    for url, row in crawl.items():
        assert row["language"] == export[url]["language"], url  # detected (py3langid) vs given
        assert row["publisher_outlet_id"] == export[url]["publisher_outlet_id"], url


@shared
def test_the_bad_lines_and_skipped_records_are_accounted_for(shared_formats):
    jsonl = shared_formats["articles.jsonl"].rejects.to_pylist()
    assert [(r["source_record"], r["reason"]) for r in jsonl] == [
        (18, "bad_record"),
        (19, "bad_record"),
        (20, "bad_record"),
    ]
    warc = shared_formats["news.warc.gz"].rejects.to_pylist()
    assert [r["reason"] for r in warc] == ["not_article"] * 4
    assert sorted(r["detail"].split(" for ")[0] for r in warc) == [
        "a WARC metadata record",
        "a WARC request record",
        "a WARC warcinfo record",
        "a response of type image/png",
    ]
    assert shared_formats["html"].rejects.num_rows == shared_formats["articles.csv"].rejects.num_rows == 0


def test_dated_folders_of_exports_and_crawls_run_day_by_day(tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "2025-03-03").mkdir(parents=True)
    (inbox / "2025-03-04").mkdir()
    write_jsonl(inbox / "2025-03-03" / "export.jsonl", DAY[:2], bad_lines=True)
    write_warc(inbox / "2025-03-04" / "crawl.warc.gz", DAY[2:])
    out = tmp_path / "out"
    assert main(["run", str(inbox), "--out", str(out)]) == 0
    with duckdb.connect() as con:
        documents = con.sql(
            f"select batch, source_format, count(*) from '{out}/documents/**/*.parquet' group by all order by 1"
        ).fetchall()
        rejects = con.sql(
            f"select batch, reason, count(*) from '{out}/rejects/**/*.parquet' group by all order by 1, 2"
        ).fetchall()
    assert documents == [("2025-03-03", "jsonl", 2), ("2025-03-04", "warc", 2)]
    assert rejects == [
        ("2025-03-03", "bad_record", 3),
        ("2025-03-04", "not_article", 4),
    ]  # warcinfo, 2 requests, an image


def test_resiliparse_extracts_the_same_articles_faster(day):
    pytest.importorskip("resiliparse")
    pages = ingest(day / "pages", extractor="resiliparse")
    crawl = ingest(day / "crawl.warc.gz", extractor="resiliparse")
    assert sorted(pages.documents.column("text").to_pylist()) == sorted(crawl.documents.column("text").to_pylist())
    wire = next(row for row in crawl.documents.to_pylist() if row["url"] == WIRE.url)
    for paragraph in WIRE.text.split("\n"):
        assert paragraph in wire["text"]
    assert "All rights reserved" not in wire["text"]
    assert (wire["title"], wire["publisher"], wire["published_at"]) == (
        WIRE.title,
        "Reuters",
        dt.datetime(2025, 3, 3, 8, 15, tzinfo=dt.timezone.utc),
    )
    with pytest.raises(ConfigError, match="ingest.extractor must be one of trafilatura, resiliparse"):
        IngestParams(extractor="lxml")
