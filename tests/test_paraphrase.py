"""Paraphrase: sentences retold in other words link documents; same-topic articles stay apart."""

from __future__ import annotations

import itertools
import textwrap
from dataclasses import replace

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from daily import run_batches
from hypothesis import given
from hypothesis import strategies as st

from pipeline.core.ids import passage_id
from pipeline.core.schema import SENTENCE_BANDS
from pipeline.core.tables import conform
from pipeline.stages import paraphrase
from pipeline.stages.paraphrase import (
    ContentSentence,
    ParaphraseCandidates,
    ParaphraseParams,
    candidate_documents,
    checked_lone_pairs,
    content_words,
    document_sentences,
    find_paraphrases,
    sentence_band_rows,
    spanning_sentences,
)
from pipeline.text.paragraphs import classify
from pipeline.text.reuse import SeedIndex, sentence_seeds
from pipeline.text.sentences import split_sentences, typed_sentences
from pipeline.text.synonyms import Lexicon

# Written for these tests. The rewrite keeps most content words of each sentence and changes the
# rest: word order, function words, a synonym here and there. MinHash of 3-word shingles sees
# little in common.
SOURCE = """date 2025-06-02 Rotterdam:
The port authority approved a new tidal barrier on Monday after engineers warned that rising sea levels threatened the eastern docks. The barrier will close automatically when storm surges exceed three metres above normal tide. Construction is expected to cost 310 million euros and to take four years, with the national government paying most of the bill. Shipping companies had opposed earlier designs because closed gates would delay container vessels for hours. The final plan adds a lock for smaller vessels, so ferries and barges can pass while the main gates stay shut.
"""

REWRITE = """Barrier plan approved

Engineers had warned the port authority that the eastern docks were threatened by rising sea levels, and on Monday it approved a new tidal barrier. Whenever storm surges exceed three metres above the normal tide, the barrier closes automatically. The national government will pay most of the bill for construction, which should take four years and is expected to cost 310 million euros. Earlier designs were opposed by shipping companies, since container vessels would be delayed for hours by closed gates.
"""

SAME_TOPIC = """date 2025-06-03 Rotterdam:
Residents of the eastern docks said on Tuesday they feared the new tidal barrier would bring years of noise and traffic to their streets. A local council member asked the port authority to publish its construction schedule before the summer. Fishermen worry that the gates will change currents near the harbour mouth and drive fish away from their usual grounds. The authority said a public meeting would be held next month to answer questions about the project.
"""


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load()


def sentences(text: str, lexicon: Lexicon) -> list[ContentSentence]:
    found, start = [], 0
    for sentence in text.split(". "):
        found.append(ContentSentence("p", start, start + len(sentence), content_words(sentence, lexicon)))
        start += len(sentence) + 2
    return [s for s in found if len(s.words) >= ParaphraseParams().min_content_words]


def test_content_words_are_lemmas_without_stopwords(lexicon):
    words = content_words("The classes inherited their methods from the parent classes in 1967.", lexicon)
    assert {"class", "inherit", "method", "parent", "1967"} <= words
    assert not words & {"the", "their", "from", "in"}


def seeds(x: list[ContentSentence], y: list[ContentSentence]) -> list[tuple[int, int]]:
    return sentence_seeds(SeedIndex.of(x), SeedIndex.of(y), ParaphraseParams().seed_similarity)


def test_a_rewrite_seeds_sentence_by_sentence_and_a_same_topic_report_does_not(lexicon):
    source = sentences(SOURCE.split(":\n", 1)[1], lexicon)
    assert len(seeds(source, sentences(REWRITE.split("\n\n", 1)[1], lexicon))) >= 4
    assert len(seeds(source, sentences(SAME_TOPIC.split(":\n", 1)[1], lexicon))) <= 1


def test_the_pipeline_links_a_paraphrase_and_shows_its_sentences(tmp_path):
    out = run_batches(
        tmp_path,
        {"2025-06-02": {"source.txt": SOURCE}, "2025-06-05": {"rewrite.txt": REWRITE, "residents.txt": SAME_TOPIC}},
    )
    with duckdb.connect() as con:
        docs = f"read_parquet('{out}/documents/**/*.parquet', hive_partitioning=false)"
        links = con.execute(f"""
            select c.source_path, s.source_path, p.relation, p.evidence, p.origin_basis
            from '{out}/provenance/**/*.parquet' p
            join {docs} c on c.doc_id = p.doc_id join {docs} s on s.doc_id = p.source_doc_id""").fetchall()
        assert links == [("rewrite.txt", "source.txt", "paraphrase", "reused_passages", "date")]
        # Each reused passage, sliced out of the two documents' texts, shares most content words.
        rows = con.execute(f"""
            select a.text[s.a_start + 1:s.a_end], b.text[s.b_start + 1:s.b_end]
            from (select doc_a, doc_b, unnest(spans) as s from '{out}/paraphrases/**/*.parquet')
            join {docs} a on a.doc_id = doc_a join {docs} b on b.doc_id = doc_b""").fetchall()
    assert len(rows) >= 1
    lexicon = Lexicon.load()
    for rewritten, original in rows:
        assert rewritten in REWRITE and original in SOURCE
        x, y = content_words(rewritten, lexicon), content_words(original, lexicon)
        assert len(x & y) >= 0.6 * min(len(x), len(y))


def line_passages(doc_id: str, text: str) -> dict[str, list]:
    """Passage rows of ``text``, one per line, as a web page's hard-wrapped lines are cut, each
    classified as the passage splitter does (short lines without a stop are taken for headings)."""
    rows: dict[str, list] = {"passage_id": [], "doc_id": [], "char_start": [], "text": [], "kind": []}
    lines, start = text.split("\n"), 0
    for ordinal, line in enumerate(lines):
        rows["passage_id"].append(passage_id(doc_id, ordinal))
        rows["doc_id"].append(doc_id)
        rows["char_start"].append(start)
        rows["text"].append(line)
        rows["kind"].append(classify(line, lines[ordinal + 1] if ordinal + 1 < len(lines) else None))
        start += len(line) + 1
    return rows


def passage_table(*documents: dict[str, list]) -> pa.Table:
    return pa.table({name: [v for rows in documents for v in rows[name]] for name in documents[0]})


def wrapped(text: str, widths: tuple[int, ...] = (31, 44, 27, 52)) -> str:
    """``text`` hard-wrapped at varying widths (no width the passage splitter would take for a wrap)."""
    lines, words = [], text.split()
    while words:
        width, line = widths[len(lines) % len(widths)], words.pop(0)
        while words and len(line) + 1 + len(words[0]) <= width:
            line += " " + words.pop(0)
        lines.append(line)
    return "\n".join(lines)


def test_sentence_bands_of_any_slice_of_whole_documents_are_that_slice_s_rows(lexicon):
    """The worker pool cuts the passages table between documents, anywhere between them."""
    documents = [line_passages("wrapped", wrapped(REWRITE.split("\n\n", 1)[1]))]
    for doc_id, text in (("source", SOURCE), ("rewrite", REWRITE), ("residents", SAME_TOPIC)):
        rows = {"passage_id": [], "doc_id": [], "char_start": [], "text": [], "kind": []}
        for sentence_no, sentence in enumerate(text.split(". ")):
            rows["passage_id"].append(passage_id(doc_id, sentence_no))
            rows["doc_id"].append(doc_id)
            rows["char_start"].append(text.index(sentence))
            rows["text"].append(sentence)
            rows["kind"].append("body")
        documents.append(rows)
    passages = passage_table(*documents)
    params = ParaphraseParams()
    whole = sentence_band_rows(passages, lexicon, params)
    assert whole.num_rows >= 10 * params.bands
    ends = list(itertools.accumulate(len(rows["doc_id"]) for rows in documents))
    for cut in ends[:-1]:
        parts = pa.concat_tables(
            [
                sentence_band_rows(passages.slice(0, cut), lexicon, params),
                sentence_band_rows(passages.slice(cut), lexicon, params),
            ]
        )
        assert parts.to_pylist() == whole.to_pylist()


def test_a_sentence_wrapped_over_passages_is_matched_whole(lexicon):
    """A page hard-wrapped into one passage per line, most lines too short to be a sentence or
    taken for headings: its sentences are banded over the lines, as verification reads them, and
    meet the same sentences typed on one line in all their buckets. Each is named by the passage
    it ends in, before whose start it starts."""
    params = ParaphraseParams()
    body = REWRITE.split("\n\n", 1)[1].strip()
    lines, typed = line_passages("w", wrapped(body)), line_passages("t", body)
    rows = sentence_band_rows(passage_table(lines, typed), lexicon, params)

    def buckets(doc_id: str) -> dict[str, tuple[int, ...]]:
        mine = rows.filter(pc.equal(rows.column("doc_id"), doc_id)).to_pylist()
        found: dict[str, list[int]] = {}
        for row in sorted(mine, key=lambda row: row["band"]):
            found.setdefault(row["passage_id"], []).append(row["bucket"])
        return {sentence: tuple(values) for sentence, values in found.items()}

    on_lines, on_one_line = buckets("w"), buckets("t")
    met = [sentence for sentence, values in on_lines.items() if values in on_one_line.values()]
    assert len(met) >= len(on_one_line) - 1 >= 3
    starts = dict(zip(lines["passage_id"], lines["char_start"]))
    for sentence in met:
        named, start = sentence.rsplit("@", 1)
        assert int(start) < starts[named]


def test_a_lone_pair_of_a_wrapped_sentence_is_checked_as_verification_reads_it(lexicon):
    """A lone pair's wrapped sentence is named by the passage it ends in: the check reads it over
    its lines, alike when it is the typed sentence wrapped, not when it is another."""
    params = ParaphraseParams()
    body = REWRITE.split("\n\n", 1)[1].strip()
    passages = passage_table(line_passages("w", wrapped(body)), line_passages("t", body))
    found = spanning_sentences(passages, lexicon, params)
    assert found and {doc_id for _, doc_id, _ in found} == {"w"}
    same = next(sentence_id for sentence_id, _, sentence in found if sentence.start == 0)
    other = next(sentence_id for sentence_id, _, sentence in found if sentence.start > 0)
    for sentence, kept in ((same, [("t", "w")]), (other, [])):
        candidates = ParaphraseCandidates([("t", "w")], {("t", "w"): ("t:0000@0", sentence)})
        assert checked_lone_pairs(candidates, passages, lexicon, params).doc_pairs == kept


def band_table(rows: list[tuple[str, str, int]]) -> pa.Table:
    """sentence_bands rows (sentence id, doc_id, bucket), all in band 0."""
    return conform(
        pa.table(
            {
                "passage_id": [r[0] for r in rows],
                "doc_id": [r[1] for r in rows],
                "band": pa.array([0] * len(rows), pa.int16()),
                "bucket": pa.array([r[2] for r in rows], pa.int64()),
            }
        ),
        SENTENCE_BANDS,
    )


def test_stock_sentences_do_not_make_candidates():
    newsletter = [(f"d{n:02d}:0001@90", f"d{n:02d}", 7) for n in range(25)]  # one line in 25 documents
    shared = [("x:0000@0", "x", 1), ("y:0000@0", "y", 1), ("x:0001@50", "x", 2), ("y:0002@80", "y", 2)]
    candidates = candidate_documents(band_table(newsletter + shared), band_table([]), ParaphraseParams())
    assert candidates.doc_pairs == [("x", "y")]
    assert candidates.skipped_buckets == 1  # the newsletter line's bucket, counted in the runs table


def first_band_rows(sentence: str, doc_id: str, bucket: int, bands: int) -> pa.Table:
    """sentence_bands rows of one sentence holding ``bucket`` + band in bands 0 .. ``bands`` - 1."""
    return conform(
        pa.table(
            {
                "passage_id": [sentence] * bands,
                "doc_id": [doc_id] * bands,
                "band": pa.array(range(bands), pa.int16()),
                "bucket": pa.array([bucket + band for band in range(bands)], pa.int64()),
            }
        ),
        SENTENCE_BANDS,
    )


@given(st.integers(1, 8), st.integers(0, 30), st.randoms())
def test_one_sentence_pair_in_enough_buckets_makes_a_candidate_and_in_one_bucket_does_not(triples, copier, order):
    """Sentences of three documents in one bucket (common words) make no candidate; the pair whose
    one sentence pair shares ``min_candidate_bands`` buckets is one, in whatever order the rows
    come and the documents sort."""
    params = ParaphraseParams()
    rows = [(f"t{k}{doc}:0000@0", f"t{k}{doc}", 1000 + k) for k in range(triples) for doc in "abc"]
    tables = [band_table(rows)]
    for doc_id in (f"d{copier:02d}", "e"):
        tables.append(first_band_rows(f"{doc_id}:0001@40", doc_id, 10_000, params.min_candidate_bands))
    table = pa.concat_tables(tables)
    table = table.take(pa.array(order.sample(range(table.num_rows), table.num_rows)))
    candidates = candidate_documents(table, band_table([]), params)
    assert candidates.doc_pairs == [(f"d{copier:02d}", "e")]


def test_one_bucket_makes_a_candidate_when_neither_sentence_meets_a_third_document():
    params = ParaphraseParams()
    lone = band_table([("x:0000@0", "x", 1), ("y:0003@20", "y", 1)])
    candidates = candidate_documents(lone, band_table([]), params)
    assert candidates.doc_pairs == [("x", "y")]
    assert candidates.lone == {("x", "y"): ("x:0000@0", "y:0003@20")}  # its sentences, checked before verifying
    # x's sentence also shares a bucket of another band with z: common words, no candidate.
    third = first_band_rows("z:0000@0", "z", 4, 2).filter(pa.array([False, True]))
    also = first_band_rows("x:0000@0", "x", 4, 2).filter(pa.array([False, True]))
    table = pa.concat_tables([lone, third, also])
    assert candidate_documents(table, band_table([]), params).doc_pairs == []
    assert candidate_documents(table, band_table([]), replace(params, lone_pair_documents=2)).doc_pairs == [
        ("x", "y"),
        ("x", "z"),
    ]
    assert candidate_documents(lone, band_table([]), replace(params, lone_pair_documents=0)).doc_pairs == []


def test_a_lone_pair_is_verified_only_when_its_two_sentences_share_content_words(lexicon):
    """A pair made a candidate by one lone sentence pair is dropped before its documents are read
    when the two sentences are not alike as a seed must be (Dice of content words)."""
    first = {
        "a": SOURCE.split("\n", 1)[1].split(". ")[0] + ".",  # the barrier approved
        "b": REWRITE.split("\n\n", 1)[1].split(". ")[0] + ".",  # the same, reworded
        "c": SAME_TOPIC.split("\n", 1)[1].split(". ")[-1].strip(),  # a public meeting on the project
    }
    words = {name: content_words(text, lexicon) for name, text in first.items()}
    params = ParaphraseParams()

    def dice(x: str, y: str) -> float:
        return 2 * len(words[x] & words[y]) / (len(words[x]) + len(words[y]))

    assert dice("a", "b") >= params.seed_similarity > dice("a", "c")
    passages = pa.table(
        {
            "passage_id": [f"{name}:0000" for name in first],
            "doc_id": list(first),
            "char_start": [7] * len(first),
            "text": list(first.values()),
            "kind": ["body"] * len(first),
        }
    )
    lone = {("a", "b"): ("a:0000@7", "b:0000@7"), ("a", "c"): ("a:0000@7", "c:0000@7")}
    candidates = ParaphraseCandidates([("a", "b"), ("a", "c"), ("b", "c")], lone)
    checked = checked_lone_pairs(candidates, passages, lexicon, params)
    assert checked.doc_pairs == [("a", "b"), ("b", "c")]  # a pair made otherwise is not checked
    assert checked.lone == {}


def test_sentences_crediting_an_outlet_are_never_matched(lexicon):
    templates = [
        "That is according to {}, which cited internal documents seen by its reporters.",
        "According to {}, a final decision on the contract is expected within weeks.",
        "The plans were first reported by {} on Friday, citing two officials in the ministry.",
    ]
    rows = {"passage_id": [], "doc_id": [], "char_start": [], "text": [], "kind": []}
    credits = {"doc_id": [], "sentence_start": [], "sentence_end": []}
    for doc_id, outlet in (("a", "Reuters"), ("b", "the BBC")):
        text = " ".join(t.format(outlet) for t in templates)
        rows["passage_id"].append(f"{doc_id}:0000")
        rows["doc_id"].append(doc_id)
        rows["char_start"].append(0)
        rows["text"].append(text)
        rows["kind"].append("body")
        for template in templates:
            sentence = template.format(outlet)
            credits["doc_id"].append(doc_id)
            credits["sentence_start"].append(text.index(sentence))
            credits["sentence_end"].append(text.index(sentence) + len(sentence))
    candidates = ParaphraseCandidates([("a", "b")])
    params = ParaphraseParams()
    passages, credit_rows = pa.table(rows), pa.table(credits)
    assert find_paraphrases(candidates, passages, credit_rows.slice(0, 0), "2025-06-05", lexicon, params).num_rows == 1
    assert find_paraphrases(candidates, passages, credit_rows, "2025-06-05", lexicon, params).num_rows == 0


def test_sentences_tokenised_together_have_each_sentence_s_own_content_words(lexicon):
    passages = [
        ("s:0001", 10, SOURCE.split(":\n", 1)[1], "body"),
        ("r:0001", 0, REWRITE, "body"),
        ("r:0000", 0, "Barrier plan approved by the port authority on Monday", "heading"),
    ]
    found = document_sentences(passages, lexicon, ParaphraseParams())
    assert {s.passage_id for s in found} == {"s:0001", "r:0001"}  # body passages only
    assert len(found) >= 8
    for sentence in found:
        pid, start, text, _ = next(p for p in passages if p[0] == sentence.passage_id)
        assert sentence.words == content_words(text[sentence.start - start : sentence.end - start], lexicon)


def test_a_full_stop_typed_without_a_space_still_ends_a_sentence(lexicon):
    text = "The barrier closes automatically.construction takes four years.It costs 310 million euros."
    pieces = [text[s.start : s.end] for s in typed_sentences(text, lexicon)]
    assert pieces == [
        "The barrier closes automatically.",
        "construction takes four years.",
        "It costs 310 million euros.",
    ]
    whole = "See www.port.nl, Ask.com and node.js at 0.5 p.m. in the U.S. today."
    assert typed_sentences(whole, lexicon) == split_sentences(whole)


def test_a_line_wrapped_inside_a_sentence_does_not_end_it(lexicon):
    text = "The port authority approved a\nnew tidal barrier on Monday.\nEngineers had warned\nBarrier plan approved\n(the docks)"
    pieces = [text[s.start : s.end] for s in typed_sentences(text, lexicon)]
    assert pieces == [
        "The port authority approved a\nnew tidal barrier on Monday.",
        "Engineers had warned",
        "Barrier plan approved\n(the docks)",
    ]


def test_a_rewrite_typed_without_spaces_after_its_full_stops_seeds_sentence_by_sentence(lexicon):
    params = ParaphraseParams()
    source = sentences(SOURCE.split(":\n", 1)[1], lexicon)
    glued = REWRITE.split("\n\n", 1)[1].replace(". ", ".")
    assert len(seeds(source, document_sentences([("r:0001", 0, glued, "body")], lexicon, params))) >= 4


def test_a_hard_wrapped_rewrite_has_the_content_sentences_of_the_unwrapped_one(lexicon):
    params = ParaphraseParams()
    body = REWRITE.split("\n\n", 1)[1].strip()
    wrapped = textwrap.fill(body, 38)
    assert "\n" in wrapped
    assert [s.words for s in document_sentences([("r:0001", 0, wrapped, "body")], lexicon, params)] == [
        s.words for s in document_sentences([("r:0001", 0, body, "body")], lexicon, params)
    ]


@given(st.text(alphabet="ab .,T\n", max_size=60).map(lambda t: t.replace("a", "ab").replace("T", "Time")))
def test_typed_sentences_cover_the_characters_of_split_sentences_once(text):
    def covered(spans):
        return sorted(i for span in spans for i in range(span.start, span.end) if not text[i].isspace())

    typed = typed_sentences(text, Lexicon.load())
    assert covered(typed) == covered(split_sentences(text))  # once each: a list, not a set
    assert all(a.end <= b.start for a, b in zip(typed, typed[1:]))
    assert all(text[s.start].strip() and text[s.end - 1].strip() for s in typed)


@given(
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), max_size=80),
    st.sampled_from([1, 4, 1 << 23]),
)
def test_a_sentence_reaches_the_documents_of_its_pairs_whatever_the_ranges_it_is_counted_in(pairs, codes_at_once):
    """``_reaching`` counts each sentence's distinct other documents, a range of sentences at a time."""
    doc = [s // 3 for s in range(31)]  # three sentences a document
    a = np.array([x for x, _ in pairs], dtype=np.int32)
    b = np.array([y for _, y in pairs], dtype=np.int32)
    doc_of = np.array(doc)
    expected = [len({doc[y] for x, y in pairs if x == s} | {doc[x] for x, y in pairs if y == s}) for s in range(31)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(paraphrase, "_REACH_CODES", codes_at_once)
        got = paraphrase._reaching(a, doc_of[b], b, doc_of[a], 11, 31)
    assert got.tolist() == expected
