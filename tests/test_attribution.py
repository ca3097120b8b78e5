"""Attribution extraction: the seed documents, each cue, alias resolution and hard negatives."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.errors import InputError
from pipeline.core.ids import ordinal_of, passage_id
from pipeline.core.schema import ATTRIBUTIONS, CREDITS
from pipeline.stages.attribution import document_credits, extract_attributions
from pipeline.text.credits import (
    NO_CREDITS,
    DocumentCredits,
    credits_by_document,
    credits_summary,
    credits_table,
    find_credits,
)
from pipeline.text.gazetteer import Gazetteer
from pipeline.text.sentences import split_sentences

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(scope="session")
def gaz() -> Gazetteer:
    return Gazetteer.load()


def tables(texts: dict[str, str]) -> tuple[pa.Table, pa.Table]:
    """documents and passages, one passage per non-empty line (pipeline.stages.passages does this for real)."""
    docs = {"doc_id": [], "batch": [], "text": []}
    passages = {"passage_id": [], "doc_id": [], "char_start": [], "char_end": []}
    for doc_id, text in texts.items():
        docs["doc_id"].append(doc_id)
        docs["batch"].append("2025-10-24")
        docs["text"].append(text)
        for n, m in enumerate(re.finditer(r"[^\n]+", text)):
            passages["passage_id"].append(passage_id(doc_id, n))
            passages["doc_id"].append(doc_id)
            passages["char_start"].append(m.start())
            passages["char_end"].append(m.end())
    return pa.table(docs), pa.table(passages)


def credits(gaz: Gazetteer, text: str) -> list[dict]:
    documents, passages = tables({"d": text})
    return extract_attributions(documents, passages, gaz).to_pylist()


def summary(gaz: Gazetteer, text: str) -> list[tuple]:
    return [(r["surface"], r["outlet_id"] and gaz.outlet(r["outlet_id"]).name, r["cue"]) for r in credits(gaz, text)]


# ---------------------------------------------------------------------------- seeds
@pytest.fixture(scope="session")
def seed_rows(gaz) -> dict[str, list[dict]]:
    texts = {p.name[:3]: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}
    documents, passages = tables(texts)
    table = extract_attributions(documents, passages, gaz)
    assert table.schema.equals(ATTRIBUTIONS, check_metadata=True)
    out: dict[str, list[dict]] = {}
    for row in table.to_pylist():
        out.setdefault(row["doc_id"], []).append(row)
    return out


def test_seed_000_credits_scmp_twice(seed_rows, gaz):
    rows = [(r["surface"], gaz.outlet(r["outlet_id"]).name, r["cue"], r["is_alias"]) for r in seed_rows["000"]]
    assert rows == [
        ("South China Morning Post", "South China Morning Post", "reported", False),
        ("the Post", "South China Morning Post", "told", True),
    ]


def test_seed_004_credits_cnbc_afp_getty_and_the_spun_new_york_times(seed_rows, gaz):
    rows = {(r["surface"], gaz.outlet(r["outlet_id"]).name, r["cue"], r["is_fuzzy"]) for r in seed_rows["004"]}
    assert rows == {
        ("AFP", "Agence France-Presse", "photo_credit", False),
        ("Getty Photographs", "Getty Images", "photo_credit", True),
        ("New York Instances", "The New York Times", "reported", True),
        ("CNBC", "CNBC", "contributed", False),
    }


def test_seed_004_consultancies_and_spun_places_are_not_credits(seed_rows):
    surfaces = " ".join(r["surface"] for r in seed_rows["004"])
    for name in ("Eurasia", "Asia Group", "Teneo", "Air Power", "White Home", "Pool"):
        assert name not in surfaces


def test_seed_rows_point_into_their_text_and_passage(seed_rows):
    texts = {p.name[:3]: p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt")}
    for doc_id, rows in seed_rows.items():
        text = texts[doc_id]
        for r in rows:
            assert text[r["char_start"] : r["char_end"]] == r["surface"]
            assert r["sentence_start"] <= r["char_start"] < r["char_end"] <= r["sentence_end"]
            assert r["passage_id"].startswith(f"{doc_id}:")
            assert 0.0 < r["confidence"] <= 1.0


# ---------------------------------------------------------------------------- cues
@pytest.mark.parametrize(
    "text, expected",
    [
        ("Prices rose 3 pct, the Financial Times reported.", ("Financial Times", "Financial Times", "reported")),
        ("The deal was first reported by Bloomberg.", ("Bloomberg", "Bloomberg News", "reported")),
        (
            "Clinton clinched the nomination, according to The Associated Press.",
            ("The Associated Press", "Associated Press", "according_to"),
        ),
        (
            "Coin flips decided six counties, according to a report in the Des Moines Register.",
            ("Des Moines Register", "The Des Moines Register", "according_to"),
        ),
        ("“We were wrong,” Ramos told AFP in an interview.", ("AFP", "Agence France-Presse", "told")),
        ("Prices will rise, the ministry said, citing Xinhua.", ("Xinhua", "Xinhua News Agency", "citing")),
        ("Japan's Jiji Press quoted the governor as saying rates would hold.", ("Jiji Press", "Jiji Press", "citing")),
        ("The test took place at 0120 gmt, Tass said.", ("Tass", "TASS", "said")),
        ("— Reuters' Jane Doe contributed to this report.", ("Reuters", "Reuters", "contributed")),
        ("Jim Watson | AFP", ("AFP", "Agence France-Presse", "photo_credit")),
        ("John Moore/Getty Images.", ("Getty Images", "Getty Images", "photo_credit")),
        ("LONDON (Reuters) - Markets fell on Monday.", ("Reuters", "Reuters", "dateline")),
        ("(AP) — The convention opened.", ("AP", "Associated Press", "dateline")),
        ("LONDON, September 30 (Kyodo) - Ministers met.", ("Kyodo", "Kyodo News", "dateline")),
        ("He spoke in an interview with CNN on Sunday.", ("CNN", "CNN", "told")),
        ("Collins published an op-ed in The Washington Post.", ("The Washington Post", "The Washington Post", "other")),
        ("— The Hill's Vera Lin contributed to this report.", ("The Hill", "The Hill", "contributed")),
        ("— Reporting by Jane Doe for AP", ("AP", "Associated Press", "contributed")),
        (
            "Trump led, according to exit polls conducted for the Associated Press and networks.",
            ("Associated Press", "Associated Press", "according_to"),
        ),
        ("Documents seen by Reuters show the plan.", ("Reuters", "Reuters", "other")),
        ('Abshire, on the CBS television show "Face the Nation," said he was honest.', ("CBS", "CBS News", "told")),
    ],
)
def test_each_cue(gaz, text, expected):
    assert summary(gaz, text) == [expected]


def test_a_dateline_after_the_ingest_header_counts(gaz):
    text = "date 2025-03-30 Detroit: DETROIT (Reuters) — Carmakers met."
    documents, passages = tables({"d": text})
    with_header = documents.append_column("body_start", pa.array([len("date 2025-03-30 Detroit: ")], pa.int32()))
    rows = extract_attributions(with_header, passages, gaz).to_pylist()
    assert [(r["surface"], r["cue"], r["credit_line"]) for r in rows] == [("Reuters", "dateline", True)]
    assert credits_summary(find_credits(text, gaz, body_start=25), gaz) == DocumentCredits(("Q130879",), True)


def test_cue_confidence_ranks_strong_cues_above_weak_ones(gaz):
    strong = credits(gaz, "The Washington Post reported the leak.")[0]["confidence"]
    weak = credits(gaz, "Collins published an op-ed in The Washington Post.")[0]["confidence"]
    assert strong > weak


# ---------------------------------------------------------------------------- aliases
def test_alias_resolves_to_the_most_recent_compatible_outlet(gaz):
    text = (
        "The New York Times reported the plan. Reuters said talks went on.\n"
        "An aide told the Times that the plan was final."
    )
    rows = credits(gaz, text)
    alias = [r for r in rows if r["is_alias"]]
    assert [(r["surface"], r["outlet_id"], r["cue"]) for r in alias] == [("the Times", "Q9684", "told")]


def test_alias_by_type_skips_outlets_of_other_types(gaz):
    text = (
        "Kyodo News Agency reported the figures. The Asahi Shimbun said the cabinet agreed.\n"
        "The agency said the vote was close."
    )
    alias = [r for r in credits(gaz, text) if r["is_alias"]]
    assert [(r["surface"], gaz.outlet(r["outlet_id"]).name) for r in alias] == [("The agency", "Kyodo News")]


def test_the_paper_resolves_to_the_last_newspaper(gaz):
    text = (
        "According to the Washington Post, the adviser may testify.\n"
        "The paper said the testimony could damage the president."
    )
    alias = [r for r in credits(gaz, text) if r["is_alias"]]
    assert [(r["surface"], r["outlet_id"], r["cue"]) for r in alias] == [("The paper", "Q166032", "said")]


def test_unresolved_alias_is_kept_without_an_outlet(gaz):
    rows = credits(gaz, "A source close to the campaign told the Post it was over.")
    assert [(r["surface"], r["outlet_id"], r["is_alias"]) for r in rows] == [("the Post", None, True)]
    assert rows[0]["confidence"] < 0.5


# ---------------------------------------------------------------------------- hard negatives
@pytest.mark.parametrize(
    "text",
    [
        "News Corp shares rose 2 pct in early trading.",
        "The Washington Post owner Jeff Bezos said he would visit.",
        "The New York Times has a new chief. Later the Times's publisher declined to comment.",
        "Crowds gathered in Times Square, officials said.",
        "He mailed it from the Post Office, he said.",
        "Trump told reporters on Air Force One that talks went well.",
        "Trump advised reporters on Air Power One on Sunday.",
        "Guo Jiakun told reporters here that Xi would attend.",
        "said Dan Wang, China director at political consultancy Eurasia Group.",
        "said Han Shen Lin, China director of consultancy The Asia Group.",
        "said Gabriel Wildau, managing director at advisory firm Teneo.",
        "Fox News host Sean Hannity said the election was rigged.",
        "Reuters Holdings Plc said it agreed to buy a Toronto firm.",
        "The New York Times Co said it expects another outstanding year.",
        "A debate hosted by ABC News ended late.",
        "Arab Banking Corp (ABC) arranged the loan. ABC said the deal was done.",
        "G-III did not respond to The Washington Post's requests for comment.",
        "Bloomberg receives 11 percent in the poll.",
        "Press reports have speculated that Fiat may settle.",
        "James Miller-Day, a director, said the shares were cheap.",
        "The Fed said output rose.",
    ],
)
def test_hard_negatives_produce_no_rows(gaz, text):
    assert [r for r in credits(gaz, text) if r["outlet_id"]] == []


# ---------------------------------------------------------------------------- frames and names beyond the gazetteer
@pytest.mark.parametrize(
    "text, expected",
    [
        # names the gazetteer lacks, vouched for by an outlet-type noun or head word, or a call sign
        ("Prices rose, the Lagos daily Vanguardo said.", [("Vanguardo", None, "said")]),
        ("The Quito weekly, El Faro Andino, said talks failed.", [("El Faro Andino", None, "said")]),
        ("Output fell, the official Harbin Evening Daily said.", [("Harbin Evening Daily", None, "said")]),
        ("Prices rose, radio Botswana said.", [("radio Botswana", None, "said")]),
        ("Smith told WXYZ radio he would run.", [("WXYZ", None, "told")]),
        ("He told Fox 35 in Orlando he would run.", [("Fox 35", None, "told")]),
        # every sponsor of a poll, both parties of a credit line
        ("A new Fox News-Opinion Dynamics survey shows a tie.", [("Fox News", "Fox News", "according_to")]),
        (
            "The ABC News-Washington Post poll shows a tie.",
            [("The ABC News", "ABC News", "according_to"), ("Washington Post", "The Washington Post", "according_to")],
        ),
        (
            "AP via Getty Images.",
            [("AP", "Associated Press", "photo_credit"), ("Getty Images", "Getty Images", "photo_credit")],
        ),
        # datelines of any place shape
        ("HOUSTON, Texas (Reuters) - Oil rose.", [("Reuters", "Reuters", "dateline")]),
        ("PASADENA, Calif., Jan. 1 (UPI) — Skies cleared.", [("UPI", "United Press International", "dateline")]),
        ("March 4 (AFP) - Talks resumed.", [("AFP", "Agence France-Presse", "dateline")]),
        # a dateline opening a paragraph longer than the window the line is looked for in
        ("NEW YORK ( AP )-- Shares rose" + " and rose" * 60 + ".", [("AP", "Associated Press", "dateline")]),
        # told / shared-with / reported-by frames, lists
        (
            "Speaking on CBS's Face the Nation, he denied it.",
            [("CBS", "CBS News", "told"), ("Face the Nation", "CBS News", "told")],
        ),
        ("He gave the recording to The Washington Post.", [("The Washington Post", "The Washington Post", "other")]),
        ("As reported by The Guardian, the plan failed.", [("The Guardian", "The Guardian", "reported")]),
        (
            "She gave interviews to Politico and The Atlantic.",
            [("Politico", "Politico", "told"), ("The Atlantic", "The Atlantic", "told")],
        ),
    ],
)
def test_frames_and_names_beyond_the_gazetteer(gaz, text, expected):
    assert summary(gaz, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "A Texas paper reported the deal on Monday.",
        "He told the newspaper Trump was wrong.",
        "In its weekly report, the Energy Department agency said demand fell.",
        "The White House website said the visit was off.",
        "Radio Shack said sales rose.",
        "WADA said the tests were clean.",
        "Canada Post said letter carriers would strike.",
        "Reuters said it will launch a new terminal.",
        "At its annual meeting, Fortune said shareholders approved the plan.",
        "CBS's coverage drew the third-highest ratings of the night.",
        "Fox News broadcast a live shot from the rally.",
        "The oils hold eicosapentaenoic acid (EPA) and docosahexaenoic acid (DHA), the study said.",
        "The city says on its website More coverage of the plan is due.",
        "In August, the Journal of Veterinary Medicine carried a study.",
    ],
)
def test_outlet_look_alikes_produce_no_credit(gaz, text):
    # an alias that resolves to nothing ("told the newspaper") credits no outlet
    assert [r for r in credits(gaz, text) if r["outlet_id"] is not None or not r["is_alias"]] == []


def test_the_monitor_is_credited_but_is_no_antecedent_of_the_radio(gaz):
    text = "Tehran radio, monitored by the BBC, reported the attack. The radio said ten died."
    assert summary(gaz, text) == [
        ("Tehran radio", "IRIB", "reported"),
        ("BBC", "BBC", "other"),
        ("The radio", "IRIB", "said"),
    ]


def test_times_publisher_does_not_hide_the_real_credit(gaz):
    rows = summary(gaz, "The New York Times reported the deal. Later the Times's publisher declined to comment.")
    assert rows == [("The New York Times", "The New York Times", "reported")]


# ---------------------------------------------------------------------------- covered passages
def covered(gaz: Gazetteer, text: str) -> list[tuple[str, list[int]]]:
    return [(r["surface"], [ordinal_of(p) for p in r["covered_passages"]]) for r in credits(gaz, text)]


def test_seed_000_told_the_post_covers_the_quote_the_official_goes_on_with(seed_rows):
    text = (SEEDS / "000_2910c2332927eb84.txt").read_text(encoding="utf-8")
    lines = [m.group() for m in re.finditer(r"[^\n]+", text)]
    told = [r for r in seed_rows["000"] if r["cue"] == "told"][0]
    passages = [lines[ordinal_of(p)] for p in told["covered_passages"]]
    assert told["covered_passages"][0] == told["passage_id"]
    assert len(passages) == 2
    assert "told the Post" in passages[0] and passages[1].endswith("the official said.")
    reported = [r for r in seed_rows["000"] if r["cue"] == "reported"][0]
    assert reported["covered_passages"] == [reported["passage_id"]]


def test_coverage_follows_pronouns_and_the_outlet_and_stops_at_a_new_speaker(gaz):
    text = (
        "“Talks will resume,” a senior diplomat told the Post.\n"
        "“We expect a deal by March,” he said.\n"
        "The newspaper added that the date could slip.\n"
        "Guo said China was ready.\n"
        "“Nothing is agreed,” the diplomat said."
    )
    assert covered(gaz, text)[0] == ("the Post", [0, 1, 2])


def test_coverage_stops_at_another_outlet_and_at_an_unrelated_speaker(gaz):
    text = "Prices rose, an official told Reuters.\n“It will last,” the official said, according to Bloomberg.\n"
    assert covered(gaz, text)[0] == ("Reuters", [0])
    text = "Prices rose, an official told Reuters.\n“It will last,” the minister said."
    assert covered(gaz, text) == [("Reuters", [0])]
    text = "Prices rose, an official told Reuters.\nMost analysts said they expected more."
    assert covered(gaz, text) == [("Reuters", [0])]
    text = "Prices rose, an official told Reuters.\n“It will last,” said the official."
    assert covered(gaz, text) == [("Reuters", [0, 1])]


def test_a_credit_ending_in_a_colon_covers_the_excerpt_after_it(gaz):
    text = (
        "The following account was first published by The Straits Times:\n"
        "The bank is looking into joint ventures.\n"
        "Officials declined to comment."
    )
    assert covered(gaz, text) == [("The Straits Times", [0, 1])]


def test_photo_credits_cover_only_their_own_passage(gaz):
    assert covered(gaz, "Jim Watson | AFP\n“We will win,” he said.") == [("AFP", [0])]


# ---------------------------------------------------------------------------- document summary
@pytest.mark.parametrize(
    "line, wire",
    [
        ("LONDON (Reuters) - Markets fell on Monday.", True),
        ("Source: Agence France-Presse", True),
        ("— Reporting by Jane Doe for AP", True),
        ("This article was originally published by Kyodo News.", True),
        ("The following account was first published by Reuters:", False),  # an excerpt credit
        ("— Reuters' Jane Doe contributed to this report.", False),
        ("Jim Watson | AFP", False),
        ("WASHINGTON (CNN) — The Senate voted.", False),  # a dateline, but not an agency's
        ("Prices rose, Reuters reported.", False),
    ],
)
def test_wire_copy_needs_a_dateline_or_credit_line_of_an_agency(gaz, line, wire):
    documents, passages = tables({"d": "Some text first.\n" + line})
    summary = document_credits(extract_attributions(documents, passages, gaz), gaz)
    assert summary["d"].wire_copy is wire
    assert summary["d"].credited_outlets


def test_credited_outlets_are_distinct_in_order_of_first_credit(gaz):
    text = (
        "Xinhua said output rose. Kyodo News reported the same.\n"
        "The agency said exports fell, Xinhua added. An aide told the Post it was over."
    )
    documents, passages = tables({"d": text, "none": "Nobody credits anything here."})
    summary = document_credits(extract_attributions(documents, passages, gaz), gaz)
    assert summary == {"d": DocumentCredits(("np:xinhua", "np:kyodo"), False)}
    assert summary.get("none", NO_CREDITS) == DocumentCredits((), False)


def test_text_credits_agree_with_the_table_on_the_seeds(seed_rows, gaz):
    texts = {p.name[:3]: p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt")}
    documents, passages = tables(texts)
    from_table = document_credits(extract_attributions(documents, passages, gaz), gaz)
    assert from_table == {doc_id: credits_summary(find_credits(text, gaz), gaz) for doc_id, text in texts.items()}
    assert from_table["000"] == DocumentCredits(("np:scmp",), False)


def test_attributions_of_a_credits_table_equal_those_of_the_texts(gaz):
    texts = {p.name[:3]: p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt")}
    documents, passages = tables(texts)
    found = [(doc_id, find_credits(text, gaz)) for doc_id, text in texts.items()]
    published = credits_table(found, "2025-10-24")
    assert published.schema == CREDITS and published.num_rows == sum(len(c) for _, c in found) > 2
    assert credits_by_document(published) == {doc_id: c for doc_id, c in found if c}
    searched = extract_attributions(documents, passages, gaz)
    assert extract_attributions(documents, passages, gaz, published).equals(searched)
    # The table is what is placed: a document without credit rows gets no attributions.
    assert extract_attributions(documents, passages, gaz, published.slice(0, 0)).num_rows == 0


def test_document_credits_needs_its_columns(gaz):
    documents, passages = tables({"d": "Reuters said so."})
    table = extract_attributions(documents, passages, gaz).drop_columns(["credit_line"])
    with pytest.raises(InputError, match="credit_line"):
        document_credits(table, gaz)


# ---------------------------------------------------------------------------- contract
def test_missing_columns_raise_input_error(gaz):
    documents, passages = tables({"d": "Reuters said so."})
    with pytest.raises(InputError, match="lacks columns"):
        extract_attributions(documents.drop_columns(["batch"]), passages, gaz)
    with pytest.raises(InputError, match="char_start"):
        extract_attributions(documents, passages.drop_columns(["char_start"]), gaz)


def test_empty_input_gives_an_empty_conforming_table(gaz):
    documents, passages = tables({})
    table = extract_attributions(
        documents.cast(pa.schema([("doc_id", pa.string()), ("batch", pa.string()), ("text", pa.string())])),
        passages.cast(
            pa.schema(
                [
                    ("passage_id", pa.string()),
                    ("doc_id", pa.string()),
                    ("char_start", pa.int32()),
                    ("char_end", pa.int32()),
                ]
            )
        ),
        gaz,
    )
    assert table.num_rows == 0 and table.schema.equals(ATTRIBUTIONS, check_metadata=True)


def test_sentence_offsets_are_exact():
    text = "  U.S. officials met on Oct. 30 in Busan. Mr. Xi came.\nNext line here!  "
    sentences = [text[s.start : s.end] for s in split_sentences(text)]
    assert sentences == ["U.S. officials met on Oct. 30 in Busan.", "Mr. Xi came.", "Next line here!"]


# Words, sentence punctuation, closing quotes and every kind of space, mixed.
_SENTENCE_BITS = st.lists(
    st.sampled_from(list("aZ.!?\"”’')]([“ \t\u00a0\u2003") + ["Mr", "U.S", "Jan"]), max_size=30
).map("".join)


@settings(max_examples=500)
@given(_SENTENCE_BITS)
def test_word_ended_equals_searching_the_whole_head(head):
    """_word_ended searches only the last run of non-space: the same word as searching all of it."""
    from pipeline.text.sentences import _word_ended

    whole = re.search(r"(\S+?)[.!?]+[\"”’')\]]*$", head.rstrip())
    assert _word_ended(head, len(head)) == (whole.group(1) if whole else "")


_PIECES = [
    "Reuters",
    "reported",
    "told",
    "the",
    "The",
    "Post",
    "Times",
    "New York Instances",
    "said",
    "according to",
    "Getty Photographs",
    "|",
    "/",
    "(AP) —",
    "CNBC’s Jo",
    "contributed to this report",
    ".",
    ",",
    "\n",
    "\n\n",
    "Washington Post",
    "paper",
    "agency",
    "Office",
    "Square",
    "Eurasia Group",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40))
def test_every_row_slices_back_to_its_surface(gaz, pieces):
    text = " ".join(pieces)
    for r in credits(gaz, text):
        assert text[r["char_start"] : r["char_end"]] == r["surface"]
        assert text[r["sentence_start"] : r["sentence_end"]].find(r["surface"]) >= 0
        # An outlet id, an alias, or a name the gazetteer lacks that an outlet-type noun or head word vouches for.
        around = text[max(0, r["char_start"] - 12) : r["char_end"] + 12]
        assert r["outlet_id"] is not None or r["is_alias"] or re.search(r"\b(?:paper|agency|Post|Times)\b", around)
