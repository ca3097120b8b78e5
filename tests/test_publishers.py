"""Publisher-level provenance on a news day (tests/news_inputs.py) read from an export and a crawl.

A Reuters wire story, The Guardian's copy that credits Reuters, The Mercury News' copy that
credits no one, and Reuters' own later version of the story at the same URL.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from news_inputs import (
    ADDED,
    CHANGED,
    CREDITED,
    DAY,
    PARAGRAPHS,
    UNCREDITED,
    UPDATE,
    WIRE,
    write_html,
    write_jsonl,
    write_warc,
)

from pipeline.orchestration.cli import main
from pipeline.stages.provenance import DocumentInfo, changed_spans, credit_status, is_version

BATCH = "2025-03-03"
UTC = dt.timezone.utc


def run(source: Path, out: Path) -> Path:
    assert main(["run", str(source), "--out", str(out), "--batch", BATCH]) == 0
    return out


def links(out: Path) -> dict[tuple[str, str], dict]:
    """Provenance rows by (copying document's article, source's article), named by the articles'
    titles and publication times (the same from every format)."""
    with duckdb.connect() as con:
        relation = con.sql(
            f"""select c.publisher as copy_publisher, c.published_at as copy_at, s.published_at as source_at,
                       p.*, c.text as copy_text, s.text as source_text
                from '{out}/provenance/**/*.parquet' p
                join '{out}/documents/**/*.parquet' c on c.doc_id = p.doc_id
                join '{out}/documents/**/*.parquet' s on s.doc_id = p.source_doc_id"""
        )
        names, rows = relation.columns, relation.fetchall()
    by_time = {a.published: a.id for a in DAY}
    found = {}
    for values in rows:
        row = dict(zip(names, values))
        key = (by_time[_iso(row["copy_at"])], by_time[_iso(row["source_at"])])
        found[key] = row
    return found


def _iso(moment: dt.datetime) -> str:
    for article in DAY:
        given = dt.datetime.fromisoformat(article.published.replace("Z", "+00:00"))
        if given == moment:
            return article.published
    raise AssertionError(moment)


@pytest.fixture(scope="module", params=["jsonl", "warc", "html"])
def day_run(request, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp(f"publishers-{request.param}")
    if request.param == "jsonl":
        source = write_jsonl(root / "day.jsonl")
    elif request.param == "warc":
        source = write_warc(root / "day.warc.gz")
    else:
        write_html(root / "pages")
        source = root / "pages"
    return run(source, root / "out")


def test_each_link_says_who_published_each_side_and_whether_the_copy_credits(day_run):
    found = links(day_run)
    credited = found[CREDITED.id, WIRE.id]
    assert (credited["publisher"], credited["source_publisher"]) == ("The Guardian", "Reuters")
    assert (credited["publisher_outlet_id"], credited["source_publisher_outlet_id"]) == ("Q11148", "Q130879")
    assert credited["credit_status"] == "credited"
    assert found[UNCREDITED.id, WIRE.id]["credit_status"] == "uncredited"
    assert found[UPDATE.id, WIRE.id]["credit_status"] == "same_publisher"


def test_the_copy_that_credits_the_wire_is_the_copy_and_times_decide_within_the_day(day_run):
    found = links(day_run)
    # The Guardian's copy was published after the wire, and says so: its credit decides first
    assert found[CREDITED.id, WIRE.id]["origin_basis"] == "publisher_credit"
    # The Mercury News credits no one; it was published after the wire on the same day
    assert found[UNCREDITED.id, WIRE.id]["origin_basis"] == "timestamp"
    with duckdb.connect() as con:
        origins = con.sql(
            f"""select d.published_at from '{day_run}/clusters/**/*.parquet' c
                join '{day_run}/documents/**/*.parquet' d using (doc_id) where c.is_origin"""
        ).fetchall()
    assert [_iso(at) for (at,) in origins] == [WIRE.published]


def test_two_copies_of_the_wire_are_siblings_not_one_copy_of_the_other(day_run):
    found = links(day_run)
    wire_id = found[CREDITED.id, WIRE.id]["source_doc_id"]
    pair = found.get((UNCREDITED.id, CREDITED.id)) or found[CREDITED.id, UNCREDITED.id]
    assert pair["origin_basis"] == "shared_source"
    assert pair["shared_source_doc_id"] == wire_id


def test_a_later_version_at_the_same_url_is_an_update_with_its_changed_spans(day_run):
    update = links(day_run)[UPDATE.id, WIRE.id]
    assert update["relation"] == "update" and update["origin_basis"] == "timestamp"
    later, earlier = update["copy_text"], update["source_text"]
    changed = [(later[s["a_start"] : s["a_end"]], earlier[s["b_start"] : s["b_end"]]) for s in update["changed_spans"]]
    assert any(CHANGED in now and PARAGRAPHS[2] in before for now, before in changed)
    assert any(ADDED in now and not before.strip() for now, before in changed)
    assert all(PARAGRAPHS[0] not in now for now, _ in changed)  # kept text is not a change


def test_outlet_links_count_copies_between_publishers(day_run):
    table = pq.read_table(day_run / "outlet_links" / BATCH / "part-0.parquet")
    rows = {
        (r["publisher"], r["source_publisher"]): (r["copy_links"], r["credited"], r["credited_other"], r["uncredited"])
        for r in table.to_pylist()
    }
    # the update is Reuters' own, and the two siblings name no copy
    assert rows == {("The Guardian", "Reuters"): (1, 1, 0, 0), ("The Mercury News", "Reuters"): (1, 0, 0, 1)}
    with duckdb.connect() as con:
        [(first, last)] = con.sql(
            f"select first_seen, last_seen from '{day_run}/outlet_links/**/*.parquet' where publisher = 'The Guardian'"
        ).fetchall()
    assert first == last == dt.datetime(2025, 3, 3, 11, 40, tzinfo=UTC)


def test_the_direction_does_not_follow_the_input_order(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    forward = links(run(write_jsonl(tmp_path / "a" / "day.jsonl"), tmp_path / "a" / "out"))
    backward = links(run(write_jsonl(tmp_path / "b" / "day.jsonl", list(reversed(DAY))), tmp_path / "b" / "out"))
    assert {k: v["origin_basis"] for k, v in forward.items()} == {k: v["origin_basis"] for k, v in backward.items()}


def _info(doc_id, publisher=None, outlet=None, url=None, title=None) -> DocumentInfo:
    return DocumentInfo(doc_id, dt.date(2025, 3, 3), 100, 2, 0, publisher, outlet, None, url, title)


def test_credit_status_of_each_case():
    from pipeline.stages.provenance import PassageCredit

    reuters, guardian = _info("w", "Reuters", "Q130879"), _info("g", "The Guardian", "Q11148")
    credits = {"g": [PassageCredit(3, "Q130879", True, "reported")]}
    assert credit_status(guardian, reuters, credits) == "credited"
    assert credit_status(guardian, reuters, {"g": [PassageCredit(3, "Q40469", True, "reported")]}) == "credited_other"
    assert credit_status(guardian, reuters, {"g": [PassageCredit(0, "Q130879", False, "photo_credit")]}) == "uncredited"
    assert credit_status(guardian, _info("w2", "reuters"), {}) == "uncredited"
    assert credit_status(_info("r2", "Reuters", "Q130879"), reuters, {}) == "same_publisher"
    assert credit_status(_info("x"), reuters, credits) == "unknown"


def test_versions_share_a_url_or_a_publisher_and_title():
    a = _info("a", "Reuters", "Q130879", "https://www.reuters.com/x/", "Port cranes")
    assert is_version(a, _info("b", None, None, "http://www.reuters.com/x#top"))
    assert is_version(a, _info("c", "REUTERS", "Q130879", None, "port cranes"))
    assert not is_version(a, _info("d", "The Guardian", "Q11148", None, "Port cranes"))


def test_changed_spans_are_the_stretches_between_shared_spans():
    before, after = "one two\nthree\nfour", "one two\nTHREE!\nfour\nfive"
    spans = [(0, 7, 0, 7), (15, 19, 14, 18)]
    assert changed_spans(spans, len(after), len(before), after, before) == [(7, 15, 7, 14), (19, 24, 18, 18)]
    assert changed_spans([(0, len(after), 0, len(after))], len(after), len(after), after, after) == []
