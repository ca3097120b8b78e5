"""Decoding input bytes (pipeline.text.decoding): UTF-8 with a few bad bytes stays UTF-8, legacy
encodings are found in short files too, a wrong decoding is rarer than a reject."""

from __future__ import annotations

import collections
import datetime
import re

import pyarrow.parquet as pq
import pytest
from conftest import SEEDS
from decoding_set import LENGTHS, samples
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pipeline.core.schema import DOCUMENTS, SCHEMA_KEY
from pipeline.core.tables import partition_dir
from pipeline.orchestration.cli import main
from pipeline.stages.ingest import IngestParams, ingest_folder
from pipeline.text.decoding import Undecodable, decode

NOW = datetime.datetime(2025, 10, 27, 6, 0, tzinfo=datetime.timezone.utc)
FRENCH = (
    "Le café de la gare a rouvert ses portes lundi, très fréquenté dès le matin. "
    "Le maire a annoncé une hausse du budget consacré aux écoles élémentaires. " * 10
)
RUSSIAN = "Городской совет во вторник проголосовал за строительство нового моста. " * 10
CHINESE = "市议会周二投票决定重建老港口的防波堤。工程预计将于秋季开始，并持续大约三年。" * 10


def _one_bad_byte(text: str) -> bytes:
    data = text.encode()
    middle = len(data) // 2
    return data[:middle] + b"\xff" + data[middle:]


@pytest.mark.parametrize("text", [FRENCH, RUSSIAN, CHINESE], ids=["french", "russian", "chinese"])
def test_one_bad_byte_in_a_utf8_article_is_one_replacement_character(text):
    decoded = decode(_one_bad_byte(text))
    assert decoded.encoding == "utf-8" and decoded.replaced == 1
    assert decoded.text.replace("\ufffd", "", 1) == text


@pytest.mark.parametrize(
    "text, encoding",
    [
        ("Les cafés ont rouvert, avec des travaux de €2,000 à Paris.", "cp1252"),
        ("Der Stadtrat von Köln hat am Dienstag getagt.", "latin-1"),
        ("Городской совет проголосовал за новый мост.", "koi8-r"),
        ("市議会は火曜日、古い港の防波堤を建て直すことを決めた。", "iso-2022-jp"),
        ("시의회는 화요일 오래된 항구의 방파제를 다시 짓기로 결정했다.", "iso-2022-kr"),
        ("市议会周二投票决定重建老港口的防波堤。", "hz"),
    ],
)
def test_a_short_legacy_file_is_decoded_as_written(text, encoding):
    assert decode(text.encode(encoding)).text == text


def test_binary_and_empty_files_are_not_text():
    with pytest.raises(Undecodable) as caught:
        decode(b"PK\x03\x04\x00\x00binary")
    assert caught.value.reason == "binary"
    with pytest.raises(Undecodable) as caught:
        decode(b"")
    assert caught.value.reason == "empty"


def test_the_labelled_set_is_decoded_right_and_a_wrong_decoding_is_rarer_than_a_reject():
    outcomes: dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
    for sample in samples():
        try:
            outcome = "right" if decode(sample.data).text == sample.text else "wrong"
        except Undecodable:
            outcome = "rejected"
        outcomes[max(n for n in LENGTHS if n <= max(len(sample.data), LENGTHS[0]))][outcome] += 1
    total = sum(outcomes.values(), collections.Counter())
    assert total["wrong"] < max(total["rejected"], 1), total
    assert total["right"] >= 0.95 * sum(total.values()), total
    for length in LENGTHS[2:]:  # 500 bytes and more
        assert outcomes[length]["right"] >= 0.95 * sum(outcomes[length].values()), (length, outcomes[length])


# Texts of 20 characters or more: in a shorter one three bad bytes may leave no character whole,
# and nothing tells UTF-8 from a legacy encoding then (such a file is a reject).
_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffd\ufeff"), min_size=20, max_size=200
)


@settings(max_examples=400, deadline=None)
@given(_TEXT, st.lists(st.tuples(st.integers(0, 10**6), st.integers(0x20, 0xFF)), max_size=3), st.data())
def test_utf8_with_up_to_three_bad_bytes_keeps_the_text_around_them(text, corruptions, data):
    original = text.encode()
    corrupted = bytearray(original)
    positions = set()
    for where, byte in corruptions:
        position = where % len(corrupted)
        corrupted[position] = byte
        positions.add(position)
    assume(not bytes(corrupted).startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")))  # a byte order mark
    try:
        decoded = decode(bytes(corrupted))
    except Undecodable as exc:
        assert exc.reason == "binary"  # too many of the bytes put in are controls (0x7f) for a short text
        return
    # The characters whose bytes were not touched come through, in order; the others are anything.
    pattern, offset = [], 0
    for char in text:
        width = len(char.encode())
        touched = any(offset <= p < offset + width for p in positions)
        pattern.append("(?:.*?)" if touched else re.escape(char))
        offset += width
    assert re.fullmatch("".join(pattern), decoded.text, re.DOTALL), (text, bytes(corrupted), decoded)
    assert decoded.replaced == decoded.text.count("\ufffd")


def test_the_documents_table_counts_replaced_bytes(tmp_path):
    folder = tmp_path / "2025-10-27"
    folder.mkdir()
    (folder / "french.txt").write_bytes(_one_bad_byte(FRENCH))
    (folder / "clean.txt").write_text(RUSSIAN)
    documents = {
        d["source_path"]: d for d in ingest_folder(folder, "2025-10-27", IngestParams(), NOW).documents.to_pylist()
    }
    assert documents["french.txt"]["replaced_bytes"] == 1 and documents["french.txt"]["encoding"] == "utf-8"
    assert documents["french.txt"]["text"].count("\ufffd") == 1
    assert documents["clean.txt"]["replaced_bytes"] == 0


def test_upgrade_adds_replaced_bytes_and_capped_to_documents_of_the_previous_schema(tmp_path, capsys):
    inbox, out = tmp_path / "2025-10-27", tmp_path / "out"
    inbox.mkdir()
    for seed in SEEDS.iterdir():
        (inbox / seed.name).write_bytes(seed.read_bytes())
    assert main(["run", str(inbox), "--out", str(out)]) == 0
    path = partition_dir(out, "documents", "2025-10-27") / "part-0.parquet"
    current = pq.read_table(path)
    mine = ["replaced_bytes", "capped"]
    pq.write_table(current.drop_columns(mine).replace_schema_metadata({SCHEMA_KEY: b"documents/3"}), path)
    capsys.readouterr()
    assert main(["upgrade", "--out", str(out)]) == 0
    upgraded = pq.read_table(path)
    assert upgraded.schema.metadata[SCHEMA_KEY] == DOCUMENTS.metadata[SCHEMA_KEY]
    assert all(upgraded.column(name).null_count == upgraded.num_rows for name in mine)
    assert upgraded.drop_columns(mine).equals(current.drop_columns(mine))
