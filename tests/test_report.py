"""The evidence report: real pipeline runs rendered to HTML, checked as parsed HTML and in headless Chromium."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from articles import HARBOUR, HARBOUR_REPRINT, ORCHARD
from daily import run_batches
from hypothesis import given
from hypothesis import strategies as st

from pipeline.core.errors import InputError
from pipeline.orchestration.cli import main
from pipeline.report import evidence, pages
from pipeline.report.pages import Mark, highlight, render_report, report_dir, write_report

HARBOUR_BATCH = "2025-03-05"

# Shared text full of characters HTML must escape, so a wrong offset or a missed escape shows.
MARKUP = """date 2025-03-01 Leeds:
The board of Smith & Sons <Holdings> said on Monday that its "Project <b>Bold</b>" plan would cut costs by a fifth & raise margins at the Leeds plant before the end of the year.

Analysts wrote that the text <script>alert('x')</script> had appeared in an internal memo, which the company later described as a harmless test of its new intranet software.

Shares in the group rose sharply in early trading after the announcement, and the chief executive, Tom Briggs, said the savings would go on training & new machines.
"""

MARKUP_COPY = """Smith & Sons <Holdings> plans cuts

The board of Smith & Sons <Holdings> said on Monday that its "Project <b>Bold</b>" plan would cut costs by a fifth & raise margins at the Leeds plant before the end of the year.

Analysts wrote that the text <script>alert('x')</script> had appeared in an internal memo, which the company later described as a harmless test of its new intranet software.

Shares in the group rose sharply in early trading after the announcement, and the chief executive, Tom Briggs, said the savings would go on training & new machines.

Follow us for more business news & analysis.
"""

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


def rendered(out: Path, batch: str | None = None) -> str:
    """Every page of the report, the summary last, as one text."""
    return "\n".join(render_report(out, batch).values())


@pytest.fixture(scope="module")
def harbour_out(tmp_path_factory) -> Path:
    """A batch with an article and its reprint, an unrelated article, a markup-heavy article and its copy,
    an empty file (a reject) and a second copy of the article byte for byte (a sighting)."""
    root = tmp_path_factory.mktemp("report_run")
    inbox = root / "inbox"
    inbox.mkdir()
    for name, text in (
        ("harbour.txt", HARBOUR),
        ("harbour-reprint.txt", HARBOUR_REPRINT),
        ("orchard.txt", ORCHARD),
        ("markup.txt", MARKUP),
        ("markup-copy.txt", MARKUP_COPY),
        ("zz-harbour-again.txt", HARBOUR),
    ):
        (inbox / name).write_text(text, encoding="utf-8")
    (inbox / "empty.txt").write_bytes(b"")
    out = root / "output"
    assert main(["run", str(inbox), "--out", str(out), "--batch", HARBOUR_BATCH]) == 0
    return out


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""


class Elements(HTMLParser):
    """Every element with its attributes, and the text inside each <mark> and <b>."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if tag in ("mark", "b"):
            self._open.append(element)

    def handle_endtag(self, tag):
        if tag in ("mark", "b") and self._open:
            self._open.pop()

    def handle_data(self, data):
        for element in self._open:
            element.text += data

    def marks(self, css_class: str) -> list[Element]:
        return [e for e in self.elements if e.tag == "mark" and css_class in e.attrs.get("class", "").split()]


def overlap_spans(out: Path) -> list[tuple[str, int, str, str]]:
    """(overlap id, span number, side, shared text) for every span of every overlap, sliced as DuckDB would."""
    query = f"""
        with s as (
            select passage_a || '~' || passage_b as oid, doc_a, doc_b, unnest(spans) as span,
                   generate_subscripts(spans, 1) - 1 as i
            from read_parquet('{out}/overlaps/**/*.parquet', hive_partitioning = false)
        ), d as (select doc_id, text from read_parquet('{out}/documents/**/*.parquet', hive_partitioning = false))
        select oid, i, 'a', a.text[span.a_start + 1 : span.a_end] from s join d a on a.doc_id = s.doc_a
        union all
        select oid, i, 'b', b.text[span.b_start + 1 : span.b_end] from s join d b on b.doc_id = s.doc_b
    """
    with duckdb.connect() as con:
        return con.execute(query).fetchall()


def assert_marks_match_spans(page: str, out: Path) -> int:
    """One <mark class=shared> per span and side, holding exactly the span's text; return the number of spans."""
    spans = overlap_spans(out)
    marks = Elements(page).marks("shared")
    found = {(m.attrs["data-overlap"], int(m.attrs["data-span"]), m.attrs["data-side"]): m.text for m in marks}
    assert len(found) == len(marks), "a span was marked twice"
    assert found == {(oid, i, side): text for oid, i, side, text in spans}
    assert len([m for m in marks if m.attrs["data-side"] == "a"]) == len(spans) // 2
    return len(spans) // 2


def test_report_marks_every_span_of_every_overlap_with_its_text(harbour_out):
    page = rendered(harbour_out)
    assert assert_marks_match_spans(page, harbour_out) >= 8  # 5 harbour paragraphs, 3 markup ones


def test_report_escapes_markup_inside_and_around_spans(harbour_out):
    page = rendered(harbour_out)
    assert "<script" not in page
    assert "<b>Bold</b>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "Smith &amp; Sons &lt;Holdings&gt;" in page


HOSTILE_TITLE = 'Smith & "Sons" <script>alert(1)</script> plan'
HOSTILE_BODY = """The board of Smith & Sons said on Monday that its <script>alert(1)</script> plan would cut costs by a fifth and raise margins at the Leeds plant before the end of the year, the South China Morning Post reported.

Analysts wrote that the "Project <b>Bold</b>" memo had appeared on an internal site, which the company later described as a harmless test of its new intranet software & nothing more.

Shares in the group rose sharply in early trading after the announcement, and the chief executive, Tom Briggs, said the savings would go on training & new machines.
"""
HOSTILE_OUTLET = 'South China "Morning" Post & <b>Co</b>'


def test_report_escapes_text_titles_outlet_names_and_paths(tmp_path):
    """Every value the page prints is escaped: a document's text, its title and file name, an outlet's name."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / 'smith & sons\' "plan".txt').write_text(f"{HOSTILE_TITLE}\n\n{HOSTILE_BODY}", encoding="utf-8")
    (inbox / "<copy> & co.txt").write_text(HOSTILE_BODY, encoding="utf-8")
    out = tmp_path / "output"
    assert main(["run", str(inbox), "--out", str(out), "--batch", HARBOUR_BATCH]) == 0
    outlets_file = out / "outlets" / "gazetteer" / "part-0.parquet"
    outlets = pq.read_table(outlets_file)
    names = [
        HOSTILE_OUTLET if o == "np:scmp" else n
        for o, n in zip(outlets["outlet_id"].to_pylist(), outlets["name"].to_pylist())
    ]
    pq.write_table(
        outlets.set_column(
            outlets.schema.get_field_index("name"), outlets.schema.field("name"), pa.array(names, pa.string())
        ),
        outlets_file,
    )
    page = rendered(out)
    for raw, escaped in (
        (HOSTILE_TITLE, "Smith &amp; &#34;Sons&#34; &lt;script&gt;alert(1)&lt;/script&gt; plan"),
        ('smith & sons\' "plan".txt', "smith &amp; sons&#39; &#34;plan&#34;.txt"),
        ("<copy> & co.txt", "&lt;copy&gt; &amp; co.txt"),
        (HOSTILE_OUTLET, "South China &#34;Morning&#34; Post &amp; &lt;b&gt;Co&lt;/b&gt;"),
        ('"Project <b>Bold</b>"', "&#34;Project &lt;b&gt;Bold&lt;/b&gt;&#34;"),
    ):
        assert raw not in page and escaped in page
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; plan would cut costs" in page
    parsed = Elements(page)
    badges = [e.attrs["title"] for e in parsed.elements if e.attrs.get("class") == "badge" and "title" in e.attrs]
    assert badges == ["np:scmp", "np:scmp"]
    # the mentions: on each document's card, and in the crediting sentence the copy link quotes
    assert [e.text for e in parsed.elements if e.tag == "b"] == ["South China Morning Post"] * 3
    # Both texts of the copy link: its 3 shared paragraphs are one reused passage in each.
    assert len(parsed.marks("link")) == 2


def test_report_is_self_contained(harbour_out):
    """Every page: no script, no fetch, links only to its own anchors and the report's other pages."""
    pages = render_report(harbour_out)
    assert set(pages) >= {"report.html", "unlinked-1.html"} and any(p.startswith("stories/") for p in pages)
    for path, page in pages.items():
        elements = Elements(page).elements
        assert not [e for e in elements if e.tag in ("script", "link", "img", "iframe", "object")]
        assert not [e for e in elements if "src" in e.attrs]
        for href in (e.attrs["href"] for e in elements if "href" in e.attrs):
            target = href.split("#")[0]
            assert ":" not in href and not href.startswith("/")
            assert not target or str(Path(path).parent / target).replace("stories/../", "") in pages, href
        csp = [e.attrs["content"] for e in elements if e.attrs.get("http-equiv") == "Content-Security-Policy"]
        assert csp and csp[0].startswith("default-src 'none'")


def test_report_shows_the_reprint_link_its_origin_and_the_graph(harbour_out):
    pages = render_report(harbour_out)
    with duckdb.connect() as con:
        ((copy, source),) = con.execute(
            f"select doc_id, source_doc_id from '{harbour_out}/provenance/**/*.parquet' where relation = 'reprint' "
            "and source_doc_id in (select doc_id from read_parquet("
            f"'{harbour_out}/documents/**/*.parquet', hive_partitioning = false) where text like '%harbour wall%')"
        ).fetchall()
    (page,) = [p for path, p in pages.items() if path.startswith("stories/") and f'id="doc-{copy}"' in p]
    elements = Elements(page).elements
    # named after the origin (no headline: its first line, cut at a word), never after the copy or a file
    origin_name = "The city council voted on Tuesday to rebuild the old harbour wall, ending a dispute that…"
    assert f"<h1>{origin_name}</h1>" in page
    assert (
        f'<p class="answer lead">The article “{origin_name}” of 2 Mar 2025 was republished by 1 document; '
        "“Council backs harbour rebuild” did not credit it.</p>"
    ) in page
    assert [e.attrs["id"] for e in elements if e.tag == "article" and "data-origin" in e.attrs] == [f"doc-{source}"]
    assert page.count('<span class="origin">origin</span>') == 2  # its card and its line in the graph's legend
    assert (
        f'<a href="#doc-{copy}">Council backs harbour rebuild</a> <span class="path">(harbour-reprint.txt)</span> '
        f'copies <a href="#doc-{source}">{origin_name}</a>: 141 words, 89% of the copy and 99% of the source.'
    ) in page
    assert "5 of 6 paragraphs identical" in page and "only in the copy" in page  # the newsletter line
    # the graph: origin node first on the time axis, its date under it, one labelled edge per copy link
    svg_nodes = [e.attrs["href"][len("#doc-") :] for e in elements if e.tag == "a" and "href" in e.attrs]
    assert svg_nodes.index(source) < svg_nodes.index(copy)
    assert '<text class="elabel"' in page and ">reprint</text>" in page and ">2 Mar 2025</text>" in page
    assert page.count('class="node node-origin"') == 1
    everything = "".join(pages.values())
    assert everything.count('class="node node-origin"') == 2  # the harbour article and the markup article
    assert '<section class="story" id="unlinked">' in pages["unlinked-1.html"] and "orchard.txt" in everything


def test_report_lists_rejects_and_sightings(harbour_out):
    page = rendered(harbour_out)
    assert "<td>empty.txt</td><td>empty</td><td>the file has 0 bytes</td>" in page
    assert "<td>zz-harbour-again.txt</td>" in page and "Sightings <small>1 file repeating" in page


def test_report_shows_credited_outlets_with_the_crediting_sentence(seed_run, tmp_path):
    page = rendered(seed_run.out)
    parsed = Elements(page)
    badges = [e.attrs["title"] for e in parsed.elements if e.attrs.get("class") == "badge" and "title" in e.attrs]
    assert badges[:1] == ["np:scmp"] and "Q9684" in badges
    assert '>South China Morning Post</span> <span class="cue">reported, told</span>' in page
    mentions = [e.text for e in parsed.elements if e.tag == "b" and e.attrs.get("class") == "mention"]
    assert "the Post" in mentions and "South China Morning Post" in mentions
    assert_marks_match_spans(page, seed_run.out)


def test_large_stories_show_copies_in_full_and_cut_same_story_pairs_with_a_note(seed_run, monkeypatch):
    """A story of thousands of documents must not become a page of hundreds of megabytes."""
    monkeypatch.setattr(evidence, "MAX_SAME_STORY_PAIRS", 0)
    monkeypatch.setattr(pages, "MAX_GRAPH_DOCUMENTS", 1)
    page = rendered(seed_run.out)
    assert Elements(page).marks("shared") == []  # the seeds' only pair is a same-story one
    assert "1 more same-story pair of this story not shown" in page
    assert "The graph shows 1 of the 2 documents" in page
    assert page.count('<circle class="node') == 1


# An independent report of the seeds' meeting: a same story with both seeds, copying neither.
BUSAN_PREVIEW = """date 2025-10-25 Seoul: Officials in South Korea spent the weekend preparing Busan for the arrival of Donald Trump and Xi Jinping, whose talks on October 30 are expected to dominate the week of the APEC gathering.

Karoline Leavitt, speaking for the White House, had described the encounter as a bilateral meeting, while Guo Jiakun of the Chinese foreign ministry said only that both sides were in contact.

Hotels near the venue reported that delegations from Washington and Beijing had booked whole floors, and local police announced road closures for October 30 and the APEC leaders' sessions in Gyeongju that follow.

Traders in Seoul said markets would watch for any sign of relief on tariffs before the truce between the two economies lapses on November 10.
"""


def test_a_story_draws_its_first_same_story_pairs_whole_and_counts_every_overlap(seed_run, tmp_path, monkeypatch):
    """Same-story overlaps are read whole only where drawn (a copy pair's, and each story's first
    same-story pairs'); the others are still counted."""
    inbox = tmp_path / "inbox"
    shutil.copytree(seed_run.input_dir, inbox)
    (inbox / "busan-preview.txt").write_text(BUSAN_PREVIEW, encoding="utf-8")
    apec = next(inbox.glob("000_*.txt")).read_text(encoding="utf-8")
    (inbox / "apec-opening.txt").write_text("\n\n".join(apec.split("\n\n")[:6]) + "\n", encoding="utf-8")
    out = tmp_path / "output"
    assert main(["run", str(inbox), "--out", str(out), "--batch", "2025-10-25"]) == 0
    with duckdb.connect() as con:
        rows = con.execute(f"""select least(doc_a, doc_b), greatest(doc_a, doc_b), passage_a || '~' || passage_b
                               from read_parquet('{out}/overlaps/**/*.parquet') where relation = 'same_story'""").fetchall()
        copied = set(
            con.execute(f"""select least(doc_id, source_doc_id), greatest(doc_id, source_doc_id)
                                     from read_parquet('{out}/provenance/**/*.parquet')""").fetchall()
        )
        verbatim = con.execute(f"""select count(*) from read_parquet('{out}/overlaps/**/*.parquet')
                                   where relation = 'verbatim'""").fetchone()[0]
    same_story: dict[tuple[str, str], set[str]] = {}
    for a, b, overlap_id in rows:
        same_story.setdefault((a, b), set()).add(overlap_id)
    # every two of the four documents, the opening and the article it reprints too
    assert len(same_story) == 6 and len(copied) == 1 and copied <= same_story.keys()

    def drawn(page: str) -> set[str]:
        return {m.attrs["data-overlap"] for m in Elements(page).marks("shared")} & {o for _, _, o in rows}

    everything = rendered(out)
    assert drawn(everything) == {overlap_id for _, _, overlap_id in rows} and "more same-story pair" not in everything
    monkeypatch.setattr(evidence, "MAX_SAME_STORY_PAIRS", 1)
    for page in (rendered(out), rendered(out, "2025-10-25")):
        cards = [e.attrs["id"].removeprefix("doc-") for e in Elements(page).elements if e.tag == "article"]
        first = next(
            pair for i, a in enumerate(cards) for b in cards[i + 1 :] if (pair := (min(a, b), max(a, b))) not in copied
        )  # in the story's document order
        assert drawn(page) == same_story[first].union(*(same_story[pair] for pair in copied))
        assert "4 more same-story pairs of this story not shown" in page
        assert f"4 documents · 1 copy link · {len(rows) + verbatim} overlaps" in page
        assert f"{len(rows) + verbatim} overlaps (same_story {len(rows)}, verbatim {verbatim})" in page


def test_report_reads_folders_with_missing_tables(harbour_out, tmp_path):
    out = tmp_path / "output"
    shutil.copytree(harbour_out / "documents", out / "documents")
    page = rendered(out)
    assert "· 5 documents ·" in page and page.count('<article class="doc"') == 5
    assert not Elements(page).marks("shared")
    assert 'Rejected files</h2><p class="empty">none' in page


def test_a_batch_report_shows_its_documents_and_the_documents_linked_to_them(tmp_path, capsys):
    """A daily run reports its own batch; the full report over every batch is `newsprov report`."""
    out = run_batches(
        tmp_path,
        {
            "2025-03-04": {"harbour.txt": HARBOUR, "orchard.txt": ORCHARD},
            "2025-03-05": {"harbour-reprint.txt": HARBOUR_REPRINT},
        },
    )
    pointer = (out / "report.html").read_text(encoding="utf-8")
    assert len(pointer) < 1000 and 'content="0; url=reports/2025-03-05/report.html"' in pointer  # not a second copy
    written = {
        p.relative_to(report_dir(out, "2025-03-05")).as_posix(): p.read_text(encoding="utf-8")
        for p in report_dir(out, "2025-03-05").rglob("*.html")
    }
    assert written == render_report(out, "2025-03-05")
    latest = rendered(out, "2025-03-05")
    assert "batch 2025-03-05: its documents and the documents linked to them" in latest
    # the reprint and the source it copies, from the earlier batch; not the unrelated orchard story
    assert "harbour-reprint.txt" in latest and "harbour.txt" in latest and "orchard.txt" not in latest
    assert latest.count('<article class="doc"') == 2 and ">reprint</text>" in latest
    assert_marks_match_spans(latest, out)  # every overlap has a reprint side in the batch
    # an earlier batch's report, rendered again, shows the copy made of it later
    first = rendered(out, "2025-03-04")
    assert first.count('<article class="doc"') == 3 and "orchard.txt" in first and ">reprint</text>" in first
    capsys.readouterr()
    assert main(["report", "--out", str(out), "--batch", "2025-03-04"]) == 0
    printed = Path(capsys.readouterr().out.strip())
    assert printed == out / "reports" / "2025-03-04" / "report.html"
    assert printed.read_text(encoding="utf-8") == render_report(out, "2025-03-04")["report.html"]
    assert (out / "report.html").read_text(encoding="utf-8") == pointer  # the latest is left alone
    everything = rendered(out)
    assert "batches 2025-03-04, 2025-03-05" in everything and everything.count('<article class="doc"') == 3
    assert main(["report", "--out", str(out), "--batch", "2025-03-06"]) == 2
    assert capsys.readouterr().err.startswith("newsprov: no batch 2025-03-06 under")


def test_report_errors_are_one_line_input_errors(tmp_path, capsys):
    with pytest.raises(InputError, match="does not exist"):
        rendered(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no newsprov tables"):
        write_report(tmp_path / "empty")
    assert main(["report", "--out", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("newsprov: no newsprov tables under") and err.count("\n") == 1
    assert not (tmp_path / "empty" / "report.html").exists()


def test_newsprov_report_writes_the_file_and_prints_its_path(harbour_out, capsys):
    assert main(["report", "--out", str(harbour_out)]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == str(harbour_out / "reports" / "all" / "report.html")
    assert Path(printed).read_text(encoding="utf-8") == render_report(harbour_out)["report.html"]
    assert 'url=reports/all/report.html"' in (harbour_out / "report.html").read_text(encoding="utf-8")


def test_report_help_says_what_it_writes(capsys):
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    assert "report.html" in capsys.readouterr().out


@given(
    text=st.text(alphabet="ab <>&\"'\n€", max_size=40),
    spans=st.lists(st.tuples(st.integers(-3, 45), st.integers(-3, 45)), max_size=6),
)
def test_highlight_keeps_the_text_and_gives_one_element_per_mark(text, spans):
    marks = [Mark(min(s, e), max(s, e), "shared", (("data-span", str(i)),)) for i, (s, e) in enumerate(spans)]
    page = highlight(text, 0, len(text), marks)
    parsed = Elements(page)
    assert len(parsed.marks("shared")) == len(marks)
    plain = HTMLParser()
    chunks: list[str] = []
    plain.handle_data = chunks.append
    plain.feed(page)
    plain.close()
    assert "".join(chunks) == text
    for mark in parsed.marks("shared"):  # a mark never holds text outside its span
        span = marks[int(mark.attrs["data-span"])]
        assert mark.text in text[max(span.start, 0) : max(span.end, 0)]


def chromium(url: str, *args: str, user_data: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={user_data}",
            *args,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")
@pytest.mark.parametrize("run", ["harbour", "seeds"])
def test_report_in_headless_chromium(run, harbour_out, seed_run, tmp_path):
    out = tmp_path / "output"
    shutil.copytree(harbour_out if run == "harbour" else seed_run.out, out)
    summary = write_report(out)
    dom = ""
    for i, page in enumerate(sorted(summary.parent.rglob("*.html"))):
        dom += chromium(page.resolve().as_uri(), "--dump-dom", user_data=tmp_path / f"profile-dom-{i}").stdout
    n_spans = assert_marks_match_spans(dom, out)
    assert len(Elements(dom).marks("shared")) == 2 * n_spans  # each span marked on both sides
    screenshot = tmp_path / "report.png"
    url = summary.resolve().as_uri()
    chromium(url, f"--screenshot={screenshot}", "--window-size=1280,2000", user_data=tmp_path / "profile-shot")
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 20_000
