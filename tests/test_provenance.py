"""Document links: enough evidence, relation, direction; span arithmetic."""

from __future__ import annotations

import duckdb
from articles import HARBOUR, HARBOUR_REPRINT, ORCHARD
from daily import run_batches
from hypothesis import given
from hypothesis import strategies as st

from pipeline.orchestration.cli import main
from pipeline.stages.provenance import merged_length

NEWSLETTER = "\n\nSign up for the Daily Courier newsletter to get the day's top stories every single morning.\n"


def run(tmp_path, files: dict[str, str], batch="2025-03-05"):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, text in files.items():
        (inbox / name).write_text(text)
    out = tmp_path / "out"
    assert main(["run", str(inbox), "--out", str(out), "--batch", batch]) == 0
    with duckdb.connect() as con:
        return con.execute(f"""
            select dc.source_path, ds.source_path, p.relation, p.origin_basis, p.shared_passages
            from '{out}/provenance/**/*.parquet' p
            join read_parquet('{out}/documents/**/*.parquet', hive_partitioning=false) dc on dc.doc_id = p.doc_id
            join read_parquet('{out}/documents/**/*.parquet', hive_partitioning=false) ds
              on ds.doc_id = p.source_doc_id""").fetchall()


def test_a_shared_boilerplate_line_does_not_link_two_articles(tmp_path):
    assert run(tmp_path, {"harbour.txt": HARBOUR + NEWSLETTER, "orchard.txt": ORCHARD + NEWSLETTER}) == []


def test_a_reprint_links_to_the_earlier_dated_original(tmp_path):
    # The original's header dates it 2025-03-02; the reprint has no header and takes the batch date.
    links = run(tmp_path, {"original.txt": HARBOUR, "reprint.txt": HARBOUR_REPRINT})
    assert links == [("reprint.txt", "original.txt", "reprint", "date", 5)]


def test_an_excerpt_credited_on_the_same_day_points_at_its_source(tmp_path):
    paragraphs = HARBOUR.split("\n\n")
    excerpt = (
        ORCHARD.split("\n", 1)[1]
        + "\nThe following account was first published by Reuters:\n\n"
        + "\n\n".join(paragraphs[1:3])
    )
    undated_original = HARBOUR.split("\n", 1)[1]
    links = run(tmp_path, {"original.txt": undated_original, "excerpt.txt": excerpt})
    assert links == [("excerpt.txt", "original.txt", "excerpt", "credit", 2)]


intervals = st.lists(st.tuples(st.integers(0, 200), st.integers(0, 50)).map(lambda t: (t[0], t[0] + t[1])), max_size=12)


@given(intervals)
def test_merged_length_is_the_size_of_the_union(spans):
    assert merged_length(spans) == len({i for start, end in spans for i in range(start, end)})


HARBOUR_MASTER = (
    "The harbour master, Tom Avery, said the inner basin would stay open to small boats on weekdays "
    "while the northern half of the wall is rebuilt."
)


def run_days(tmp_path, days: dict[str, dict[str, str]]) -> list[tuple]:
    """Each day's files as one batch into the same output; every link with its evidence."""
    out = run_batches(tmp_path, days)
    with duckdb.connect() as con:
        return sorted(
            con.execute(f"""
            select dc.source_path, ds.source_path, p.relation, p.evidence
            from '{out}/provenance/**/*.parquet' p
            join read_parquet('{out}/documents/**/*.parquet', hive_partitioning=false) dc on dc.doc_id = p.doc_id
            join read_parquet('{out}/documents/**/*.parquet', hive_partitioning=false) ds
              on ds.doc_id = p.source_doc_id""").fetchall()
        )


def test_a_copy_of_a_copy_links_to_the_original_through_the_chain(tmp_path):
    """The excerpt shares one paragraph with the original: too little for the passage overlaps, but
    a reused passage of its own (and it took that paragraph from the reprint, which copies the
    original)."""
    paragraphs = HARBOUR.split("\n\n")
    reprint = HARBOUR_REPRINT.replace("\n\nSign up", "\n\n" + HARBOUR_MASTER + "\n\nSign up")
    excerpt = ORCHARD.split("\n", 1)[1] + "\n" + HARBOUR_MASTER + "\n\n" + paragraphs[3] + "\n"
    links = run_days(
        tmp_path,
        {
            "2025-03-02": {"original.txt": HARBOUR},
            "2025-03-04": {"reprint.txt": reprint},
            "2025-03-05": {"excerpt.txt": excerpt},
        },
    )
    assert links == [
        ("excerpt.txt", "original.txt", "excerpt", "reused_passages"),
        ("excerpt.txt", "reprint.txt", "excerpt", "shared_passages"),
        ("reprint.txt", "original.txt", "reprint", "shared_passages"),
    ]


def test_one_copied_paragraph_of_a_long_sentence_is_an_excerpt(tmp_path):
    """Real reuse is often this short (issue 22: a few sentences pasted into another page): a
    copied sentence of 26 words is a reused passage; a stock line is not (the newsletter test)."""
    excerpt = ORCHARD.split("\n", 1)[1] + "\n" + HARBOUR.split("\n\n")[3] + "\n"
    links = run_days(tmp_path, {"2025-03-02": {"original.txt": HARBOUR}, "2025-03-05": {"excerpt.txt": excerpt}})
    assert links == [("excerpt.txt", "original.txt", "excerpt", "reused_passages")]


LONG_PARAGRAPH = (
    "The agency said it would pay half the cost of a frost fan for any grower with more than five "
    "hectares of trees, provided the farm joins a county scheme that records night temperatures and "
    "shares them with neighbouring orchards, so that warnings can go out by text message before the "
    "coldest hours."
)


def test_a_long_run_copied_inside_a_paragraph_of_other_text_is_a_link(tmp_path):
    """A brief that pastes most of a long paragraph between sentences of its own shares one passage
    with the source, and only part of it: the 40 words copied in a row are the evidence."""
    source = ORCHARD + "\n" + LONG_PARAGRAPH + "\n"
    copied = LONG_PARAGRAPH.split(", so that")[0] + "."
    assert len(copied.split()) >= 40
    brief = "Frost help for growers\n\nFarmers have waited months. " + copied + " Growers were unsure.\n"
    links = run_days(tmp_path, {"2025-03-03": {"source.txt": source}, "2025-03-06": {"brief.txt": brief}})
    # All of the brief's one paragraph, but part of the source's: an excerpt, whichever side is cut.
    assert links == [("brief.txt", "source.txt", "excerpt", "long_copy")]


def test_a_shorter_run_inside_a_paragraph_of_other_text_is_no_link(tmp_path):
    source = ORCHARD + "\n" + LONG_PARAGRAPH + "\n"
    copied = " ".join(LONG_PARAGRAPH.split()[:22]) + "."
    brief = "Frost help for growers\n\nFarmers have waited months. " + copied + " Growers were unsure.\n"
    assert run_days(tmp_path, {"2025-03-03": {"source.txt": source}, "2025-03-06": {"brief.txt": brief}}) == []
