"""Text in other scripts: accented Latin, Cyrillic, Greek and Arabic copies are found as English ones
are, and a Chinese copy through character n-grams (each Han character is a token)."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st
from world_articles import ORIGINALS, OWN_LINES, UNRELATED_ZH

from pipeline.orchestration.cli import main
from pipeline.text.tokens import TOKEN, tokenize

BATCH = "2025-06-02"


@pytest.fixture(scope="module")
def world_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("scripts")
    day = root / BATCH
    day.mkdir()
    for language, paragraphs in ORIGINALS.items():
        (day / f"{language}-original.txt").write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
        copy = [*paragraphs, OWN_LINES[language]]
        (day / f"{language}-copy.txt").write_text("\n\n".join(copy) + "\n", encoding="utf-8")
    (day / "zh-unrelated.txt").write_text("\n\n".join(UNRELATED_ZH) + "\n", encoding="utf-8")
    out = root / "out"
    assert main(["run", str(day), "--out", str(out)]) == 0
    return out


def test_copies_in_every_script_are_linked_and_nothing_else(world_run):
    with duckdb.connect() as con:
        linked = con.sql(
            f"""select c.source_path, s.source_path, p.origin_basis, p.relation from '{world_run}/provenance/**/*.parquet' p
                join '{world_run}/documents/**/*.parquet' c on c.doc_id = p.doc_id
                join '{world_run}/documents/**/*.parquet' s on s.doc_id = p.source_doc_id"""
        ).fetchall()
    pairs = {
        frozenset((a.split("-")[0], b.split("-")[0])) | {a.split("-")[1][:4], b.split("-")[1][:4]}
        for a, b, *_ in linked
    }
    assert pairs == {frozenset({language, "orig", "copy"}) for language in ORIGINALS}
    # the three paragraphs copied whole: a reprint, in every script
    assert {relation for *_, relation in linked} == {"reprint"}


def test_each_language_is_detected(world_run):
    with duckdb.connect() as con:
        found = dict(con.sql(f"select source_path, language from '{world_run}/documents/**/*.parquet'").fetchall())
    assert found == {f"{lang}-{kind}.txt": lang for lang in ORIGINALS for kind in ("original", "copy")} | {
        "zh-unrelated.txt": "zh"
    }


def test_unspaced_scripts_are_one_token_per_character_and_others_whole_words():
    assert [t.surface for t in tokenize("港口管理局2020年")] == ["港", "口", "管", "理", "局", "2020", "年"]
    assert [t.surface for t in tokenize("東京のニュース")] == ["東", "京", "の", "ニ", "ュ", "ー", "ス"]
    assert [t.surface for t in tokenize("Москва Αθήνα الْعَرَبِيَّة l'été")] == [
        "Москва",
        "Αθήνα",
        "الْعَرَبِيَّة",
        "l'été",
    ]


@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=40))
def test_every_han_character_is_a_token_at_its_offset(text):
    tokens = tokenize(text)
    assert [(t.start, t.end) for t in tokens] == [(i, i + 1) for i in range(len(text))]
    assert len(TOKEN.findall(text)) == len(text)
