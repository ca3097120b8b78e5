"""The report's evidence as a fact-checker reads it: the answer first, the swapped words, page sizes.

Runs the real pipeline on ``tests/fixtures/seven`` (a wire, a credited reprint, an excerpt, an
uncredited spun copy, an independent report, two unrelated articles) and on a spun pair written
from a list of word swaps, and checks the pages as parsed HTML and in headless Chromium.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_report import CHROMIUM, Elements, chromium

from pipeline.orchestration.cli import main
from pipeline.report import graphs, pages
from pipeline.report.answers import anchor_words
from pipeline.report.diff import word_changes
from pipeline.report.pages import render_report, write_report

SEVEN = Path(__file__).parent / "fixtures" / "seven"
SEVEN_BATCH = "2026-01-02"

WIRE = "Dock workers strike shuts Felixstowe port"
REPRINT = "Felixstowe dock strike halts container traffic"
EXCERPT = "What the Felixstowe strike means for shoppers"
SPUN = "Port strike stops cargo at Felixstowe"
SEVEN_ANSWER = (
    f"The Reuters wire “{WIRE}” of 1 Jan 2026 was republished by 3 documents; “{REPRINT}” credited Reuters; "
    f"“{EXCERPT}” did not credit it (an excerpt); “{SPUN}” did not credit it and swapped 44 words."
)

# A seed-004-style spin: the same article with words swapped for a thesaurus's (one slot per swap,
# an unchanged word between any two, so each swap is one run of changed words).
SPIN = """date {day} Leeds:
The city's bus {0} walked out {1} dawn on Monday, {2} most services across West Yorkshire after {3} over pay broke down late on Sunday night.

The union {4} 1,400 of its members had joined the strike, which is due to {5} five days, and that the operator had refused to {6} its offer of a 6 percent rise.

The operator, which runs more than 600 buses, {7} it was {8} by the action and that it had put forward a {9} offer that was well above inflation.

Commuters {10} of long queues at the railway station, and several schools {11} parents that pupils could arrive late during the week of the strike.
"""
SWAPS = [
    ("drivers", "motorists"),
    ("at", "on"),
    ("halting", "stopping"),
    ("talks", "negotiations"),
    ("said", "stated"),
    ("last", "final"),
    ("improve", "enhance"),
    ("said", "stated"),
    ("disappointed", "upset"),
    ("generous", "beneficiant"),
    ("complained", "grumbled"),
    ("warned", "cautioned"),
]


def run(inbox: Path, out: Path, batch: str) -> Path:
    assert main(["run", str(inbox), "--out", str(out), "--batch", batch]) == 0
    return out


@pytest.fixture(scope="module")
def seven_out(tmp_path_factory) -> Path:
    return run(SEVEN, tmp_path_factory.mktemp("seven") / "output", SEVEN_BATCH)


@pytest.fixture(scope="module")
def spin_out(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("spin")
    (root / "inbox").mkdir()
    (root / "inbox" / "original.txt").write_text(SPIN.format(*[a for a, _ in SWAPS], day="2025-06-02"))
    (root / "inbox" / "spun.txt").write_text(SPIN.format(*[b for _, b in SWAPS], day="2025-06-03"))
    return run(root / "inbox", root / "output", "2025-06-03")


def story_page(pages_: dict[str, str], doc_text: str) -> str:
    (page,) = [p for path, p in pages_.items() if path.startswith("stories/") and doc_text in p]
    return page


def test_the_answer_names_the_origin_the_credit_and_the_swapped_words(seven_out):
    pages_ = render_report(seven_out)
    summary, story = pages_["report.html"], story_page(pages_, WIRE)
    assert SEVEN_ANSWER in summary and f'<p class="answer lead">{SEVEN_ANSWER}</p>' in story
    assert f"<h1>{WIRE}</h1>" in story  # the origin's headline, not a copy's or a file's name
    cards = Elements(story).elements
    origins = [e.attrs["id"] for e in cards if e.tag == "article" and "data-origin" in e.attrs]
    assert len(origins) == 1 and f"{WIRE} " in story.split(f'id="{origins[0]}"')[1][:400]
    assert "publishers unknown" in summary
    # the independent report and the unrelated pair are no part of the copy story
    unlinked = pages_["unlinked-1.html"]
    for name in ("Felixstowe falls silent as 1,900 walk out", "Village bakery reopens", "Teenager wins Hastings"):
        assert name in unlinked and name not in story


def test_each_copy_link_says_how_much_was_copied_and_who_was_credited(seven_out):
    story = story_page(render_report(seven_out), WIRE)
    assert "✔ credits <strong>Reuters</strong>" in story  # the reprint, with its crediting sentence
    assert "The following report was first published by <b" in story
    # the excerpt of the wire and of the reprint, the spun copy of both, the excerpt and the spun copy
    assert story.count("✘ no credit to the source at the copied text") == 5
    assert "5 of 6 paragraphs identical" in story  # the reprint: its own credit line is the sixth
    assert "of the copy and" in story and "of the source" in story
    # metrics are there, collapsed; anchors as the names and figures they stand for
    assert '<details class="metrics"><summary>metrics and the' in story
    assert "names: " in story and "f:1900" not in story and "n:felixstowe" not in story


def test_anchors_read_as_the_words_they_stand_for():
    text = "Talks in Felixstowe on October 30 drew 1,900 strikers to Unite's gate."
    found = anchor_words(["n:felixstowe", "n:unite", "d:october 30", "f:1900", "n:absent"], [text])
    assert found == {"names": ["Felixstowe", "Unite's", "absent"], "dates": ["October 30"], "figures": ["1,900"]}


def test_a_spun_copy_marks_exactly_its_swapped_words(spin_out):
    story = story_page(render_report(spin_out), "spun.txt")
    marks = [e for e in Elements(story).elements if "chg" in e.attrs.get("class", "").split()]
    assert [m.text for m in marks if m.attrs["data-side"] == "copy"] == [b for _, b in SWAPS]
    assert [m.text for m in marks if m.attrs["data-side"] == "source"] == [a for a, _ in SWAPS]
    assert {m.attrs["class"] for m in marks} == {"chg sub"}  # nothing inserted or left out
    assert "copy: 4 words swapped" in story and "did not credit it and swapped 12 words" in story


@settings(max_examples=60, deadline=None)
@given(
    words=st.lists(
        st.sampled_from(["staff", "workers", "the", "said", "stated", "Home", "House", "1,900"]), max_size=12
    ),
    edits=st.lists(st.tuples(st.integers(0, 11), st.sampled_from(["", "staff", "White Home", "told"])), max_size=4),
)
def test_word_changes_mark_whole_tokens_and_count_them(words, edits):
    source_words = list(words)
    copy_words = list(words)
    for at, replacement in edits:
        if at < len(copy_words):
            copy_words[at : at + 1] = replacement.split()
    source, copy = " ".join(source_words), " ".join(copy_words)
    changes = word_changes(source, (0, len(source)), copy, (0, len(copy)))
    assert changes.same + changes.substituted + changes.inserted == len(copy_words)
    for text, marks in ((source, changes.source_marks), (copy, changes.copy_marks)):
        for m in marks:  # a mark starts and ends on a token's edges
            assert text[m.start : m.end].strip() == text[m.start : m.end] != ""
    if source_words == copy_words:
        assert not changes.source_marks and not changes.copy_marks


def test_graph_labels_never_overlap_each_other_or_a_node():
    """Ten documents of one day all copying the first and each other: the labels still find room."""
    when = dt.datetime(2026, 1, 1)
    nodes = [
        graphs.TimedNode(f"d{i}", when + dt.timedelta(hours=i % 3), True, f"doc {i}", "node", None) for i in range(10)
    ]
    edges = [
        graphs.EdgeSpec(f"d{a}", f"d{b}", "edge", label, True, "")
        for a in range(4)
        for b in range(a + 1, 10)
        for label in (["light edit"] if (a + b) % 2 else ["reprint"])
    ]
    drawing = graphs.timeline("m", nodes, edges)
    boxes = [e.label_box for e in drawing.edges]
    assert len(boxes) == len(edges)
    assert not [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if a.overlaps(b)]
    assert not [b for b in boxes for n in drawing.nodes if b.overlaps(graphs.node_box(n.x, n.y))]
    assert all(b.x >= 0 and b.x + b.w <= drawing.width and b.y >= 0 and b.y + b.h <= drawing.height for b in boxes)
    # the axis: one date label per day, the times of day under it, in order left to right
    assert [t.label for t in drawing.ticks if t.label] == ["1 Jan 2026"]
    assert [t.sub_label for t in drawing.ticks] == ["00:00", "01:00", "02:00"]
    assert [t.x for t in drawing.ticks] == sorted(t.x for t in drawing.ticks)


def with_publishers(out: Path, tmp: Path) -> Path:
    """A copy of ``out`` whose documents and copy links carry what a reader of web pages adds:
    publisher, its outlet, a publication time and a URL; a credit status per link."""
    copy = tmp / "with-publishers"
    shutil.copytree(out, copy)
    publishers = {
        "1-wire.txt": ("Reuters", "Q130879", dt.datetime(2026, 1, 1, 6, 10, tzinfo=dt.timezone.utc)),
        "2-harbour-post.txt": ("Harbour Post", None, dt.datetime(2026, 1, 1, 9, 45, tzinfo=dt.timezone.utc)),
        "3-excerpt.txt": ("Retail Weekly", None, None),
        "4-quick-news.txt": ("Quick News Daily", None, dt.datetime(2026, 1, 2, 7, 0, tzinfo=dt.timezone.utc)),
    }
    path = next(copy.glob("documents/*/part-0.parquet"))
    documents = pq.read_table(path)
    paths = documents["source_path"].to_pylist()
    found = [publishers.get(p, (None, None, None)) for p in paths]
    for name, values, kind in (
        ("publisher", [f[0] for f in found], pa.string()),
        ("publisher_outlet_id", [f[1] for f in found], pa.string()),
        ("published_at", [f[2] for f in found], pa.timestamp("us", tz="UTC")),
        ("url", [f"https://example.org/{p}" for p in paths], pa.string()),
    ):
        documents = with_column(documents, name, pa.array(values, kind))
    pq.write_table(documents, path)
    path = next(copy.glob("provenance/*/part-0.parquet"))
    links = pq.read_table(path)
    status = ["credited" if c else "uncredited" for c in links["credited_outlet_id"].to_pylist()]
    pq.write_table(with_column(links, "credit_status", pa.array(status, pa.string())), path)
    return copy


def with_column(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    """``table`` with column ``name`` set to ``values``: replaced where the schema has it, else added
    (files written before the readers' schema versions have no publisher columns)."""
    if name in table.column_names:
        i = table.schema.get_field_index(name)
        return table.set_column(i, table.schema.field(i), values.cast(table.schema.field(i).type))
    return table.append_column(name, values)


def test_publisher_graph_when_the_tables_know_publishers(seven_out, tmp_path):
    pages_ = render_report(with_publishers(seven_out, tmp_path))
    summary, story = pages_["report.html"], story_page(pages_, WIRE)
    assert "publishers unknown" not in summary
    answer = (
        f"The Reuters wire “{WIRE}” of 1 Jan 2026 06:10 UTC was republished by 3 outlets; Harbour Post credited "
        "Reuters; Retail Weekly did not credit it (an excerpt); Quick News Daily did not credit it and swapped 44 words."
    )
    assert answer in summary and answer in story
    svg = summary.split('<section id="publishers">')[1].split("</section>")[0]
    parsed = Elements(svg).elements
    assert [e for e in parsed if e.tag == "svg"] and ">Harbour Post</text>" in svg and ">Reuters</text>" in svg
    assert svg.count('class="edge edge-uncredited"') == 4  # Retail Weekly and Quick News Daily, of both
    assert "<td>Retail Weekly</td><td>Quick News Daily</td>" not in svg  # a tie: neither is known to copy
    assert "<td>Quick News Daily</td><td>Retail Weekly</td>" not in svg
    assert "<td>Quick News Daily</td><td>Reuters</td><td>1</td><td>1</td>" in svg
    assert "<td>Harbour Post</td><td>Reuters</td><td>1</td><td>0</td>" in svg
    rows = svg.split("<tbody>")[1]
    assert rows.index(">1</td></tr>") < rows.index(">0</td></tr>")  # uncredited reuse first
    # times of day on the story's axis
    assert ">06:10</text>" in story and ">09:45</text>" in story


def test_a_large_story_shows_its_first_pairs_in_full_and_lists_the_rest(seven_out, monkeypatch):
    monkeypatch.setattr(pages, "MAX_EVIDENCE_PAIRS", 2)
    monkeypatch.setattr(pages, "MAX_CARDS", 3)
    story = story_page(render_report(seven_out), WIRE)
    assert story.count('<section class="pair">') == 2
    assert "4 more copy links, one line each:" in story and story.count('<li><span class="rel') == 4
    assert story.count('<article class="doc"') == 3 and story.count('<tr id="doc-') == 1


def test_no_page_is_written_twice_and_none_is_a_link(seven_out, tmp_path):
    out = tmp_path / "output"
    shutil.copytree(seven_out, out)
    summary = write_report(out, SEVEN_BATCH)
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    assert files == sorted(["report.html"] + [f"reports/{SEVEN_BATCH}/{p}" for p in render_report(out, SEVEN_BATCH)])
    assert not [p for p in out.rglob("*") if p.is_symlink()]
    assert (out / "report.html").stat().st_size < 1000 and summary.stat().st_size < 20_000
    write_report(out, SEVEN_BATCH)  # again: the folder is replaced whole, nothing left beside it
    assert sorted(p.name for p in (out / "reports").iterdir()) == [SEVEN_BATCH]


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")
def test_answer_origin_badge_and_page_sizes_in_headless_chromium(seven_out, tmp_path):
    """The same-day wire and its credited reprint: the sentence and one ORIGIN badge, as the browser shows them."""
    out = tmp_path / "output"
    shutil.copytree(seven_out, out)
    summary = write_report(out, SEVEN_BATCH)
    dom = chromium(summary.resolve().as_uri(), "--dump-dom", user_data=tmp_path / "p1").stdout
    assert SEVEN_ANSWER in dom
    (story,) = [p for p in summary.parent.glob("stories/*.html") if WIRE in p.read_text(encoding="utf-8")]
    dom = chromium(story.resolve().as_uri(), "--dump-dom", user_data=tmp_path / "p2").stdout
    assert SEVEN_ANSWER in dom
    parsed = Elements(dom)
    badges = [e for e in parsed.elements if e.tag == "article" and "data-origin" in e.attrs]
    assert len(badges) == 1 and dom.count('<span class="origin">origin</span>') == 2  # card and legend
    assert sum(p.stat().st_size for p in summary.parent.rglob("*.html")) < 200_000
    assert max(p.stat().st_size for p in summary.parent.rglob("*.html")) < 120_000


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")
def test_spun_words_marked_in_headless_chromium(spin_out, tmp_path):
    out = tmp_path / "output"
    shutil.copytree(spin_out, out)
    summary = write_report(out, "2025-06-03")
    (story,) = summary.parent.glob("stories/*.html")
    dom = chromium(story.resolve().as_uri(), "--dump-dom", user_data=tmp_path / "p").stdout
    marks = [e for e in Elements(dom).elements if "chg" in e.attrs.get("class", "").split()]
    assert [m.text for m in marks if m.attrs["data-side"] == "copy"] == [b for _, b in SWAPS]
    assert [m.text for m in marks if m.attrs["data-side"] == "source"] == [a for a, _ in SWAPS]


def test_each_credit_status_reads_as_a_plain_clause(seven_out):
    from pipeline.report.answers import CopyFacts, copy_clause
    from pipeline.report.evidence import load_evidence

    doc = next(d for d in load_evidence(seven_out).documents.values() if d.title == SPUN)
    doc.publisher = "Quick News Daily"
    clause = {
        (status, credited, relation): copy_clause(CopyFacts(doc, relation, credited, status, swapped))
        for status, credited, relation, swapped in (
            ("credited", "Reuters", "reprint", 0),
            ("credited_other", "AFP", "spun", 3),
            ("uncredited", None, "spun", 44),
            ("same_publisher", None, "reprint", 0),
            (None, None, "excerpt", 0),
            (None, None, "update", 5),
        )
    }
    assert list(clause.values()) == [
        "Quick News Daily credited Reuters",
        "Quick News Daily credited AFP, not its source, swapped 3 words",
        "Quick News Daily did not credit it and swapped 44 words",
        "Quick News Daily is the same publisher",
        "Quick News Daily did not credit it (an excerpt)",
        "Quick News Daily is a later version of it, 5 words changed",
    ]


NEWS_EXPORT = {  # the seven articles as a news export names them: publisher, URL, publication time
    "1-wire.txt": ("Reuters", "https://www.reuters.com/world/uk/felixstowe-strike", "2026-01-01T06:10:00Z"),
    "2-harbour-post.txt": ("Harbour Post", "https://harbourpost.example/felixstowe", "2026-01-01T09:45:00Z"),
    "3-excerpt.txt": ("Retail Weekly", "https://retailweekly.example/strike-shoppers", "2026-01-02T08:00:00Z"),
    "4-quick-news.txt": ("Quick News Daily", "https://quicknews.example/port-strike", "2026-01-02T07:00:00Z"),
    "5-independent.txt": ("Suffolk Echo", "https://suffolkecho.example/felixstowe-silent", "2026-01-01T12:00:00Z"),
    "6-bakery.txt": ("Shropshire Star", "https://shropshirestar.example/bakery", "2026-01-01T10:00:00Z"),
    "7-chess.txt": ("Hastings Observer", "https://hastingsobserver.example/chess", "2026-01-01T18:00:00Z"),
}


def test_a_news_export_gets_the_publisher_graph_from_the_pipelines_own_columns(tmp_path):
    """The seven articles as JSON Lines with publishers and times: the real documents and provenance
    columns, not ones a test added, give the sentence, the times and the publisher graph."""
    lines = []
    for i, (name, (publisher, url, published)) in enumerate(NEWS_EXPORT.items()):
        title, _, body = (SEVEN / name).read_text(encoding="utf-8").partition("\n\n")
        body = body.split(": ", 1)[1]  # the text file's 'date ... Place:' header is the export's published field
        record = {"id": str(i), "url": url, "publisher": publisher, "title": title, "published": published}
        lines.append(json.dumps({**record, "language": "en", "text": body}))
    (tmp_path / "news.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = run(tmp_path / "news.jsonl", tmp_path / "output", SEVEN_BATCH)
    pages_ = render_report(out, SEVEN_BATCH)
    summary = pages_["report.html"]
    answer = (
        f"The Reuters wire “{WIRE}” of 1 Jan 2026 06:10 UTC was republished by 3 outlets; Harbour Post credited "
        "Reuters; Quick News Daily did not credit it and swapped 44 words; Retail Weekly did not credit it (an excerpt)."
    )
    assert answer in summary and answer in story_page(pages_, WIRE)
    rows = summary.split('<section id="publishers">')[1].split("</section>")[0]
    assert "<svg" in rows and rows.count('class="edge edge-uncredited"') == 4
    assert "<td>Harbour Post</td><td>Reuters</td><td>1</td><td>0</td>" in rows
    assert "<td>Quick News Daily</td><td>Reuters</td><td>1</td><td>1</td>" in rows
