"""The `date YYYY-MM-DD Place:` header, on the first line or under a headline, dates a document and is
never evidence of shared reporting (README "Input files")."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from daily import run_batches

from pipeline.stages.ingest import parse_header
from pipeline.text.paragraphs import split_document

HARBOUR = """Harbour tunnel opens at last

date 2025-03-05 Beijing: The harbour tunnel opened to traffic on Wednesday after six years of work, and the first
buses crossed under the bay before dawn.

Engineers said the tunnel's twin tubes had been tested for a month and that tolls would stay frozen until the autumn.
"""

ORCHESTRA = """Orchestra names new conductor
date 2025-03-05 Beijing:
The city orchestra named a new principal conductor on Wednesday, a violinist who has led the youth ensemble since it
was founded.

She will conduct her first season in the concert hall next winter, with a programme of symphonies and new works.
"""


@pytest.mark.parametrize(
    ("text", "headline"),
    [
        ("date 2025-03-05 Beijing: Body text here.", None),
        ("\n  date 2025-03-05 Beijing:\nBody text here.", None),
        ("Harbour tunnel opens\ndate 2025-03-05 Beijing: Body text here.", "Harbour tunnel opens"),
        ("Harbour tunnel opens\n\nBy A. Writer\n\ndate 2025-03-05 Beijing:\n\nBody text here.", "By A. Writer"),
    ],
)
def test_the_header_is_read_on_the_first_three_non_empty_lines(text, headline):
    header = parse_header(text)
    assert (header.published, header.dateline) == (dt.date(2025, 3, 5), "Beijing")
    assert text[header.body_start :] == "Body text here."
    spans = split_document(text, header.body_start)
    kinds = [s.kind for s in spans]
    assert kinds.count("header") == 1 and text[spans[kinds.index("header")].start :].startswith("date 2025-03-05")
    assert [text[s.start : s.end] for s in spans][-1] == "Body text here."  # the body stays body
    if headline is not None:
        assert headline in [text[s.start : s.end] for s in spans if s.kind != "header"]


@pytest.mark.parametrize(
    "text",
    [
        "one\ntwo\nthree\ndate 2025-03-05 Beijing: too far down",
        "date 2025-13-40 Beijing: not a date",
        "On the date 2025-03-05 Beijing: inside a sentence",
    ],
)
def test_a_date_line_further_down_or_not_a_date_is_text(text):
    assert parse_header(text).published is None and parse_header(text).body_start == 0


def test_a_header_under_a_headline_dates_the_document_and_links_nothing(tmp_path):
    out = run_batches(tmp_path, {"2025-03-06": {"harbour.txt": HARBOUR, "orchestra.txt": ORCHESTRA}})
    with duckdb.connect() as con:
        documents = con.execute(f"""select source_path, published, dateline, title
            from '{out}/documents/**/*.parquet' order by 1""").fetchall()
        header_anchors = con.execute(f"""select count(*) from '{out}/anchors/**/*.parquet' a
            join '{out}/passages/**/*.parquet' p using (passage_id) where p.kind = 'header'""").fetchone()[0]
        anchors = {a for (a,) in con.execute(f"select anchor from '{out}/anchors/**/*.parquet'").fetchall()}
        pairs = con.execute(f"select count(*) from '{out}/candidates/**/*.parquet'").fetchone()[0]
        overlaps = con.execute(f"select count(*) from '{out}/overlaps/**/*.parquet'").fetchone()[0]
    assert documents == [
        ("harbour.txt", dt.date(2025, 3, 5), "Beijing", "Harbour tunnel opens at last"),
        ("orchestra.txt", dt.date(2025, 3, 5), "Beijing", "Orchestra names new conductor"),
    ]
    assert header_anchors == 0 and not {a for a in anchors if "2025" in a or "beijing" in a}
    assert pairs == overlaps == 0  # the same date and place are no shared reporting
