"""The ingest stage: every input path becomes a document or a reject, text is normalised
with a map back to the source, and the optional header is parsed."""

from __future__ import annotations

import datetime
import hashlib
import os
import unicodedata
from pathlib import Path

import ftfy
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.errors import ConfigError, InputError
from pipeline.core.schema import CREDITS, DOCUMENTS, REJECTS
from pipeline.stages.ingest import (
    _FTFY,
    TYPOGRAPHIC_PUNCTUATION,
    FirstSighting,
    IngestParams,
    OffsetBreak,
    ingest_folder,
    normalise_text,
    parse_header,
    to_source_offset,
)
from pipeline.text.credits import credits_by_document, credits_summary, find_credits
from pipeline.text.decoding import Decoded, Undecodable, decode
from pipeline.text.gazetteer import Gazetteer

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
BATCH = "2025-10-24"
NOW = datetime.datetime(2025, 10, 24, 12, 30, 0, 123456, tzinfo=datetime.timezone.utc)
ARTICLE = "date 2025-10-24 Paris: The minister spoke on Friday about the budget.\n\nShe said more later.\n"


def rows(table: pa.Table) -> dict[str, dict]:
    return {row["source_path"]: row for row in table.to_pylist()}


def doc_breaks(doc: dict) -> tuple[OffsetBreak, ...]:
    return tuple(OffsetBreak(b["text_offset"], b["source_offset"]) for b in doc["offset_breaks"])


@pytest.fixture(scope="module")
def seed_result():
    return ingest_folder(SEEDS, BATCH, IngestParams(), NOW)


def test_seed_000_header_is_parsed_and_kept_in_text(seed_result):
    doc = rows(seed_result.documents)["000_2910c2332927eb84.txt"]
    assert doc["published"] == datetime.date(2025, 10, 24)
    assert doc["dateline"] == "Beijing"
    assert doc["text"].startswith(" date 2025-10-24 Beijing: China")
    assert doc["text"][doc["body_start"] :].startswith("China on Friday")


def test_seed_004_has_no_header(seed_result):
    doc = rows(seed_result.documents)["004_26d458d383b1f024.txt"]
    assert (doc["published"], doc["dateline"], doc["body_start"]) == (None, None, 0)
    # the first line is a photo caption ending in a period, not a headline
    assert doc["title"] is None


def test_seed_ids_are_content_hashes_and_stable(seed_result):
    again = ingest_folder(SEEDS, "2025-10-25", IngestParams(), NOW)
    assert seed_result.documents.column("doc_id").to_pylist() == again.documents.column("doc_id").to_pylist()
    for doc in seed_result.documents.to_pylist():
        digest = hashlib.sha256(doc["text"].encode("utf-8")).hexdigest()
        assert (doc["text_sha256"], doc["doc_id"]) == (digest, digest[:16])
        source = (SEEDS / doc["source_path"]).read_bytes()
        assert doc["source_sha256"] == hashlib.sha256(source).hexdigest()
        assert doc["n_chars"] == len(doc["text"]) and doc["n_passages"] > 5
    assert seed_result.rejects.num_rows == 0


def test_tables_follow_the_contract(seed_result):
    assert seed_result.documents.schema.equals(DOCUMENTS, check_metadata=True)
    assert seed_result.rejects.schema.equals(REJECTS, check_metadata=True)
    assert seed_result.credits.schema.equals(CREDITS, check_metadata=True)
    stamps = seed_result.documents.column("ingested_at").to_pylist()
    assert set(stamps) == {NOW}


def test_credits_are_published_and_summed_up_in_documents(seed_result):
    """Every credit the search finds is a row of credits (the attribution stage places them);
    documents.credited_outlets lists their outlets, first credit first."""
    documents = {row["doc_id"]: row for row in seed_result.documents.to_pylist()}
    found = credits_by_document(seed_result.credits)
    assert set(found) <= set(documents) and seed_result.credits.num_rows >= 2
    gazetteer = Gazetteer.packaged()
    for doc_id, row in documents.items():
        assert found.get(doc_id, []) == find_credits(row["text"], gazetteer, row["body_start"])
        assert tuple(row["credited_outlets"]) == credits_summary(found.get(doc_id, []), gazetteer).credited_outlets
    assert "np:scmp" in {outlet for row in documents.values() for outlet in row["credited_outlets"]}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """A folder with one file of every kind ingest must tell apart."""
    root = tmp_path_factory.mktemp("batch")
    outside = tmp_path_factory.mktemp("elsewhere") / "secret.txt"
    outside.write_text("Text that lives outside the batch folder.\n")
    files = {
        "a_article.txt": ARTICLE.encode("utf-8"),
        "b_binary.bin": bytes(range(256)) * 4,
        "c_empty.txt": b"",
        "d_blank.txt": b"  \n\t\r\n   \n",
        "e_latin1.txt": "Le café de la gare est très fréquenté.\n".encode("latin-1"),
        "f_bom8.txt": "\ufeffUTF-8 with a byte order mark.\n".encode("utf-8"),
        "g_utf16.txt": "UTF-16 text, naïve and 東京.\n".encode("utf-16"),
        "h_crlf.txt": b"Line one of the story.\r\nLine two of the story.\r\n",
        "i_mojibake.txt": "It\u00e2\u20ac\u2122s a fine day, the minister said.\n".encode("utf-8"),
        "j_copy.txt": ARTICLE.encode("utf-8"),
        "k_large.txt": b"word " * 1000,
        "sub/inner.md": b"# A file in a subfolder\n\nWith its own body text.\n",
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    (root / "l_outside_link.txt").symlink_to(outside)
    (root / "m_loop_a").symlink_to(root / "m_loop_b")
    (root / "m_loop_b").symlink_to(root / "m_loop_a")
    (root / "n_dir_link").symlink_to(root / "sub", target_is_directory=True)
    (root / "o_inside_link.txt").symlink_to(root / "h_crlf.txt")
    return root, ingest_folder(root, BATCH, IngestParams(max_bytes=2000), NOW)


EXPECTED_REJECTS = {
    "b_binary.bin": "binary",
    "c_empty.txt": "empty",
    "d_blank.txt": "empty",
    "k_large.txt": "too_large",
    "l_outside_link.txt": "unreadable",
    "m_loop_a": "unreadable",
    "m_loop_b": "unreadable",
    "n_dir_link": "not_a_file",
}
EXPECTED_DOCUMENTS = {
    "a_article.txt",
    "e_latin1.txt",
    "f_bom8.txt",
    "g_utf16.txt",
    "h_crlf.txt",
    "i_mojibake.txt",
    "sub/inner.md",
}


def test_every_path_is_a_document_a_sighting_or_a_reject_once(mixed):
    _, result = mixed
    documents = result.documents.column("source_path").to_pylist()
    rejects = result.rejects.column("source_path").to_pylist()
    sightings = result.sightings.column("source_path").to_pylist()
    assert sorted(documents) == sorted(EXPECTED_DOCUMENTS)
    assert {r["source_path"]: r["reason"] for r in result.rejects.to_pylist()} == EXPECTED_REJECTS
    assert sorted(sightings) == ["j_copy.txt", "o_inside_link.txt"]
    everything = documents + rejects + sightings
    assert len(everything) == len(set(everything))
    assert documents == sorted(documents)  # walked in sorted order


def test_rejects_say_what_was_wrong(mixed):
    _, result = mixed
    rejects = rows(result.rejects)
    article = rows(result.documents)["a_article.txt"]
    sightings = rows(result.sightings)
    assert {path: (s["doc_id"], s["first_source_path"], s["first_batch"]) for path, s in sightings.items()} == {
        "j_copy.txt": (article["doc_id"], "a_article.txt", BATCH),
        "o_inside_link.txt": (rows(result.documents)["h_crlf.txt"]["doc_id"], "h_crlf.txt", BATCH),
    }
    assert "outside the input folder" in rejects["l_outside_link.txt"]["detail"]
    assert "loop" in rejects["m_loop_a"]["detail"]
    assert "ingest.max_bytes = 2000" in rejects["k_large.txt"]["detail"]
    assert all(r["batch"] == BATCH and r["rejected_at"] == NOW for r in rejects.values())


def test_encodings_are_detected_and_text_repaired(mixed):
    _, result = mixed
    docs = rows(result.documents)
    assert (docs["e_latin1.txt"]["encoding"], docs["e_latin1.txt"]["text"]) == (
        "cp1252",
        "Le café de la gare est très fréquenté.\n",
    )
    assert (docs["f_bom8.txt"]["encoding"], docs["f_bom8.txt"]["text"]) == (
        "utf-8-sig",
        "UTF-8 with a byte order mark.\n",
    )
    assert (docs["g_utf16.txt"]["encoding"], docs["g_utf16.txt"]["text"]) == (
        "utf-16",
        "UTF-16 text, naïve and 東京.\n",
    )
    assert docs["h_crlf.txt"]["text"] == "Line one of the story.\nLine two of the story.\n"
    assert docs["h_crlf.txt"]["offset_breaks"] == [
        {"text_offset": 22, "source_offset": 23},
        {"text_offset": 45, "source_offset": 47},
    ]
    assert docs["i_mojibake.txt"]["text"] == "It\u2019s a fine day, the minister said.\n"
    assert docs["a_article.txt"]["offset_breaks"] == []


def test_titles_and_headers_of_documents(mixed):
    _, result = mixed
    docs = rows(result.documents)
    assert docs["a_article.txt"]["published"] == datetime.date(2025, 10, 24)
    assert docs["a_article.txt"]["dateline"] == "Paris"
    assert docs["a_article.txt"]["title"] is None  # a sentence, not a headline
    assert docs["sub/inner.md"]["title"] == "# A file in a subfolder"
    assert docs["h_crlf.txt"]["published"] is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_file_without_read_permission_is_unreadable(tmp_path):
    locked = tmp_path / "locked.txt"
    locked.write_text("You cannot read me.\n")
    locked.chmod(0)
    try:
        result = ingest_folder(tmp_path, BATCH, IngestParams(), NOW)
    finally:
        locked.chmod(0o644)
    assert rows(result.rejects)["locked.txt"]["reason"] == "unreadable"


def test_a_fifo_is_not_a_file_and_does_not_hang(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    result = ingest_folder(tmp_path, BATCH, IngestParams(), NOW)
    assert rows(result.rejects)["pipe"]["reason"] == "not_a_file"


def test_an_empty_folder_gives_empty_tables(tmp_path):
    result = ingest_folder(tmp_path, BATCH, IngestParams(), NOW)
    assert (result.documents.num_rows, result.rejects.num_rows) == (0, 0)
    assert result.documents.schema.equals(DOCUMENTS, check_metadata=True)


def test_missing_input_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        ingest_folder(tmp_path / "nope", BATCH, IngestParams(), NOW)
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "other.txt").write_text("y")
    result = ingest_folder(tmp_path / "file.txt", BATCH, IngestParams(), NOW)  # a file alone is its own batch
    assert result.documents.column("source_path").to_pylist() == ["file.txt"]


def test_params_and_batch_are_validated(tmp_path):
    with pytest.raises(ConfigError, match="ingest.max_bytes must be >= 1, got 0"):
        IngestParams(max_bytes=0)
    with pytest.raises(ConfigError, match="batch must be a date YYYY-MM-DD"):
        ingest_folder(tmp_path, "yesterday", IngestParams(), NOW)


def test_decode_latin1_and_binary():
    assert decode("café".encode("latin-1")) == Decoded("café", "cp1252", 0)
    assert decode("café".encode()) == Decoded("café", "utf-8", 0)
    assert decode("Привет, мир! Это новости из Москвы.".encode("cp1251")).text == "Привет, мир! Это новости из Москвы."
    with pytest.raises(Undecodable) as caught:
        decode(b"PK\x03\x04\x00\x00binary")
    assert caught.value.reason == "binary"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("date 2025-10-24 Beijing: China on Friday", (datetime.date(2025, 10, 24), "Beijing", 25)),
        ("  date 2025-01-02 New York:\n\nBody", (datetime.date(2025, 1, 2), "New York", 29)),
        ("date 2025-13-40 Beijing: China", (None, None, 0)),
        ("The date 2025-10-24 Beijing: mid-text", (None, None, 0)),
        ("", (None, None, 0)),
    ],
)
def test_parse_header(text, expected):
    header = parse_header(text)
    assert (header.published, header.dateline, header.body_start) == expected


def test_mojibake_and_composition_map_back_to_their_source():
    source = "Itâ€™s e\u0301t\x01e\r\nok"
    normal = normalise_text(source)
    assert normal.text == "It’s éte\nok"
    mapped = [to_source_offset(normal.offset_breaks, i) for i in range(len(normal.text) + 1)]
    # "’" comes from "â€™", "é" from "e\u0301", the LF from the LF of "\r\n"
    assert [source[i] for i in mapped[:-1]] == ["I", "t", "â", "s", " ", "e", "t", "e", "\n", "o", "k"]
    assert source[mapped[2] : mapped[3]] == "â€™" and source[mapped[5] : mapped[6]] == "e\u0301"
    assert mapped[-1] == len(source)


def test_typographic_punctuation_beside_mojibake_is_still_repaired():
    assert normalise_text("“It’s Â£5 â€” or less,” he said…").text == "“It’s £5 — or less,” he said…"


# --- properties --------------------------------------------------------------------------------

# Printable ASCII (with tab) and the punctuation ingest does not hand to ftfy when alone.
TYPOGRAPHIC_TEXT = st.text(
    alphabet=st.sampled_from([chr(c) for c in range(0x20, 0x7F)] + ["\t"] + list(TYPOGRAPHIC_PUNCTUATION)), max_size=200
)


@given(TYPOGRAPHIC_TEXT)
@settings(max_examples=500, deadline=None)
def test_ftfy_leaves_ascii_with_typographic_punctuation_alone(line):
    """Why ingest skips ftfy for such lines (pipeline.stages.ingest.TYPOGRAPHIC_PUNCTUATION): were an
    ftfy release to change them, this fails."""
    assert ftfy.fix_text(line, _FTFY) == line


ANY_TEXT = st.text(max_size=200)
# mixes line endings, controls, decomposed and precomposed letters, mojibake fragments
NOISY_TEXT = st.text(
    alphabet=st.sampled_from(list("ab é\t\r\n\x01\x7f\x85\u0301\u0327\u00e2\u20ac\u2122\u00c3\u00a9")), max_size=120
)
ASCII_TEXT = st.text(alphabet=st.sampled_from(list("abc XYZ.,\t\r\n\x00\x01\x1b\x7f")), max_size=200)


@given(st.one_of(ANY_TEXT, NOISY_TEXT))
@settings(max_examples=300, deadline=None)
def test_normalisation_is_idempotent_nfc_and_lf_only(source):
    text = normalise_text(source).text
    assert normalise_text(text).text == text
    assert "\r" not in text
    assert unicodedata.is_normalized("NFC", text)


@given(st.one_of(ANY_TEXT, NOISY_TEXT))
@settings(max_examples=300, deadline=None)
def test_offsets_map_monotonically_onto_the_whole_source(source):
    normal = normalise_text(source)
    mapped = [to_source_offset(normal.offset_breaks, i) for i in range(len(normal.text) + 1)]
    assert mapped == sorted(mapped)
    assert all(0 <= m <= len(source) for m in mapped)
    assert mapped[0] >= 0 and mapped[-1] == len(source)
    if normal.text == source:
        assert normal.offset_breaks == ()


@given(ASCII_TEXT)
@settings(max_examples=300, deadline=None)
def test_every_ascii_character_maps_to_itself_in_the_source(source):
    normal = normalise_text(source)
    for i, char in enumerate(normal.text):
        origin = source[to_source_offset(normal.offset_breaks, i)]
        assert origin == char or (char == "\n" and origin == "\r")


@given(
    st.lists(
        st.sampled_from(["word", "e\u0301", "\u00e9", "\r\n", "\n", "\x01", " ", "\u00e2\u20ac\u2122"]), max_size=40
    )
)
@settings(max_examples=300, deadline=None)
def test_each_character_comes_from_source_that_normalises_to_it(pieces):
    source = "".join(pieces)
    normal = normalise_text(source)
    mapped = [to_source_offset(normal.offset_breaks, i) for i in range(len(normal.text) + 1)]
    for i, char in enumerate(normal.text):
        piece = source[mapped[i] : max(mapped[i + 1], mapped[i] + 1)]
        assert normalise_text(piece).text.startswith(char) or (char == "\n" and piece.startswith("\r"))


@given(st.lists(st.integers(min_value=0, max_value=400), min_size=2, max_size=6), ANY_TEXT)
@settings(max_examples=200, deadline=None)
def test_spans_keep_their_order_when_mapped(offsets, source):
    normal = normalise_text(source)
    offsets = sorted(min(o, len(normal.text)) for o in offsets)
    mapped = [to_source_offset(normal.offset_breaks, o) for o in offsets]
    assert mapped == sorted(mapped)
    # a span's source width is never negative and the pieces add up
    assert sum(b - a for a, b in zip(mapped, mapped[1:])) == mapped[-1] - mapped[0]


def test_symlinked_input_folder_works(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.txt").write_text(ARTICLE)
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    result = ingest_folder(tmp_path / "link", BATCH, IngestParams(), NOW)
    assert result.documents.column("source_path").to_pylist() == ["a.txt"]


def test_a_long_file_of_repaired_lines(tmp_path):
    # every line needs repair and alignment; this stays fast because alignment is per line
    line = "Itâ€™s a line with a café and e\u0301 and a \x01 control.\r\n"
    (tmp_path / "big.txt").write_text(line * 20_000)
    result = ingest_folder(tmp_path, BATCH, IngestParams(), NOW)
    doc = result.documents.to_pylist()[0]
    assert doc["text"] == "It’s a line with a café and é and a  control.\n" * 20_000
    assert to_source_offset(doc_breaks(doc), len(doc["text"])) == len(line) * 20_000


def test_a_text_an_earlier_batch_ingested_is_a_sighting_of_it_and_so_are_its_copies(tmp_path):
    """Earlier batches are asked once, for this batch's doc_ids only (the archive's are never all
    in memory); a text they hold becomes sightings pointing at them, in input order, with no
    documents or credits rows."""
    old = "An old report, already in the archive. Reuters reported it first, on Monday.\n"
    (tmp_path / "a.txt").write_text(old)
    (tmp_path / "b.txt").write_text("A new report about something else entirely, with more words.\n")
    (tmp_path / "c.txt").write_text(old)
    alone = ingest_folder(tmp_path, BATCH, IngestParams(), NOW)
    old_id = rows(alone.documents)["a.txt"]["doc_id"]
    asked = []

    def earlier(doc_ids):
        asked.append(sorted(doc_ids))
        return {doc_id: FirstSighting("2025-10-01", "old/a.txt") for doc_id in doc_ids if doc_id == old_id}

    result = ingest_folder(tmp_path, BATCH, IngestParams(), NOW, earlier)
    assert len(asked) == 1 and old_id in asked[0] and len(asked[0]) == 2
    assert result.documents.column("source_path").to_pylist() == ["b.txt"]
    assert old_id not in result.credits.column("doc_id").to_pylist()
    assert old_id in alone.credits.column("doc_id").to_pylist(), "the text credits Reuters: the check can fail"
    sightings = result.sightings.to_pylist()
    assert [(s["source_path"], s["first_batch"], s["first_source_path"]) for s in sightings] == [
        ("a.txt", "2025-10-01", "old/a.txt"),
        ("c.txt", "2025-10-01", "old/a.txt"),
    ]
    assert [(s["source_path"], s["first_source_path"]) for s in alone.sightings.to_pylist()] == [("c.txt", "a.txt")]
