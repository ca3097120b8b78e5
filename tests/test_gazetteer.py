"""The outlet gazetteer: packaged data, the OUTLETS contract, and name matching."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.errors import ConfigError
from pipeline.core.schema import OUTLET_TYPES, OUTLETS
from pipeline.text.gazetteer import Gazetteer, Outlet, OutletMention


@pytest.fixture(scope="session")
def gaz() -> Gazetteer:
    return Gazetteer.load()


def names(gaz: Gazetteer, text: str) -> list[tuple[str, str, bool]]:
    return [(m.surface, gaz.outlet(m.outlet_id).name, m.is_fuzzy) for m in gaz.find(text)]


def test_packaged_gazetteer_holds_thousands_of_outlets_of_every_type(gaz):
    assert len(gaz) > 5000
    assert {o.type for o in gaz.outlets} == set(OUTLET_TYPES)


def test_outlets_table_conforms_to_the_contract(gaz):
    table = gaz.outlets_table()
    assert table.schema.equals(OUTLETS, check_metadata=True)
    assert table.num_rows == len(gaz)
    ids = table.column("outlet_id").to_pylist()
    assert len(ids) == len(set(ids))
    row = table.filter(pa.compute.equal(table.column("outlet_id"), "Q9684")).to_pylist()[0]
    assert row["name"] == "The New York Times" and "NYT" in row["aliases"]


def test_curated_rows_take_wikidata_ids_when_name_and_domain_agree(gaz):
    assert gaz.outlet("Q210534").name == "Daily Mail"
    assert gaz.outlet("Q210534").domain == "dailymail.co.uk"


def test_longest_match_first(gaz):
    assert names(gaz, "The South China Morning Post reported it.") == [
        ("The South China Morning Post", "South China Morning Post", False)
    ]


def test_a_name_inside_a_longer_proper_noun_is_not_matched():
    g = Gazetteer([Outlet("Q210534", "Daily Mail", (), "newspaper", None, None)])
    assert g.find("the Zambia Daily Mail said") == []
    assert [m.surface for m in g.find("the Daily Mail said")] == ["Daily Mail"]


def test_matching_is_case_aware(gaz):
    assert names(gaz, "he reads the daily mail and the new york times") == []
    assert names(gaz, "FABRICE COFFRINI/AFP/GETTY IMAGES") == [
        ("AFP", "Agence France-Presse", False),
        ("GETTY IMAGES", "Getty Images", False),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Time is running out for a deal.",
        "He walked to the Post Office.",
        "Crowds filled Times Square.",
        "Iran said it would retaliate.",
        "Canada Post said carriers walked out.",
        "Reuters Holdings Plc said it agreed to buy the firm.",
        "Trump flew on Air Power One.",
        "White Home press secretary Karoline Leavitt spoke.",
        "He bought a house for AP. Reporting by the hour pays for AP staff.",
    ],
)
def test_look_alikes_and_bare_common_words_do_not_match(gaz, text):
    assert names(gaz, text) == []


@pytest.mark.parametrize(
    "text, surface, name",
    [
        ("He told Time magazine about it.", "Time magazine", "Time"),
        ("Mint reported on Monday that rates would rise.", "Mint", "Mint"),
        ("the Iranian newspaper Iran said", "Iran", "Iran"),
        ("— Reporting by Jane Doe and Li Wei for AP", "AP", "Associated Press"),
    ],
)
def test_single_word_names_match_in_strong_contexts(gaz, text, surface, name):
    assert names(gaz, text) == [(surface, name, False)]


@pytest.mark.parametrize(
    "text, surface, name",
    [
        ("New York Instances reported Thursday", "New York Instances", "The New York Times"),
        ("Pool, AFP | Getty Photographs", "Getty Photographs", "Getty Images"),
        ("the Related Press reported", "Related Press", "Associated Press"),
        ("the Wall Road Diary reported", "Wall Road Diary", "The Wall Street Journal"),
    ],
)
def test_spun_names_match_and_are_flagged_fuzzy(gaz, text, surface, name):
    assert (surface, name, True) in names(gaz, text)


def test_spin_variants_need_the_name_shape(gaz):
    assert names(gaz, "there were many instances of that in new york instances") == []


def test_constructor_rejects_bad_rows():
    ok = Outlet("np:x", "X News", (), "newspaper", None, None)
    with pytest.raises(ConfigError, match="appears twice"):
        Gazetteer([ok, ok])
    with pytest.raises(ConfigError, match="type 'blog'"):
        Gazetteer([Outlet("np:y", "Y", (), "blog", None, None)])
    with pytest.raises(ConfigError, match="QID"):
        Gazetteer([Outlet("nyt", "NYT", (), "newspaper", None, None)])
    with pytest.raises(ConfigError, match="rule"):
        Gazetteer([ok], {"X": "sometimes"})
    with pytest.raises(ConfigError, match="no outlets"):
        Gazetteer([])


def test_load_from_a_missing_path_says_what_to_pass(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        Gazetteer.load(tmp_path / "nope.tsv")


def test_load_from_a_path(tmp_path):
    path = tmp_path / "outlets.tsv"
    path.write_text(
        "outlet_id\tname\taliases\ttype\tdomain\tcountry\nnp:gazette\tThe Gazette Daily\tGD\tnewspaper\t\t\n",
        encoding="utf-8",
    )
    g = Gazetteer.load(path)
    assert g.outlet("np:gazette").domain is None
    assert [m.surface for m in g.find("The Gazette Daily reported")] == ["The Gazette Daily"]


_WORDS = [
    "the",
    "The",
    "said",
    "told",
    "New",
    "York",
    "Times",
    "Instances",
    "Post",
    "Office",
    "Reuters",
    "Getty",
    "Images",
    "Photographs",
    "|",
    "/",
    "(",
    ")",
    "AFP",
    "according",
    "to",
    "Daily",
    "Mail",
    "reported",
    "CNBC",
    "’s",
    ",",
    ".",
    "\n",
    "Washington",
    "Square",
    "Time",
    "magazine",
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=30), st.sampled_from([" ", "", "  "]))
def test_every_mention_slices_back_to_its_surface(gaz, words, sep):
    text = sep.join(words)
    previous_end = 0
    for m in gaz.find(text):
        assert isinstance(m, OutletMention)
        assert text[m.start : m.end] == m.surface
        assert m.start >= previous_end
        previous_end = m.end


@settings(max_examples=300)
@given(
    st.text(alphabet=st.characters(exclude_categories=("Cn", "Cs")), max_size=60)
    | st.lists(st.sampled_from(_WORDS + ["\t", "\u00a0", "é", "_"]), max_size=20).map("".join)
)
def test_tokens_equal_the_token_pattern_s_matches(text):
    """name_tokens builds the tokens from re.split in C: the same as one per NAME_TOKEN match."""
    from oracles import name_tokens_by_match

    from pipeline.text.tokens import NameToken, name_tokens

    found = name_tokens(text)
    assert found == name_tokens_by_match(text)
    assert all(type(t) is NameToken for t in found)


@settings(max_examples=300)
@given(
    st.text(alphabet=st.characters(exclude_categories=("Cn", "Cs")), max_size=60)
    | st.lists(st.sampled_from(_WORDS + ["\t", "\u00a0", "é", "_"]), max_size=20).map("".join),
    st.integers(-25, 25),
    st.integers(-25, 25),
)
def test_tokens_built_on_demand_are_the_same_tokens(text, a, b):
    """find's lazy tokens: each index, slice and length as the list's."""
    from pipeline.text.tokens import LazyNameTokens, name_tokens

    listed, lazy = name_tokens(text), LazyNameTokens(text)
    assert len(lazy) == len(listed) and list(lazy) == listed and lazy.words() == [t.text for t in listed]
    assert lazy[a:b] == listed[a:b] and lazy[a:] == listed[a:]
    if -len(listed) <= a < len(listed):
        assert lazy[a] == listed[a] and type(lazy[a]) is type(listed[a])
    else:
        with pytest.raises(IndexError):
            lazy[a]


class _EveryTokenMayBegin(Gazetteer):
    """The matcher without the first-token checks: every token walks the trie."""

    def _starts(self, lowered: list[str]) -> list[int]:
        return list(range(len(lowered)))

    def _may_begin(self, word: str) -> bool:
        return True


@pytest.fixture(scope="session")
def unfiltered() -> Gazetteer:
    return _EveryTokenMayBegin.load()


_CASED = st.sampled_from(
    _WORDS
    + [
        "TIMES",
        "POST",
        "tImes",
        "A",
        "Bola",
        "To",
        "Vima",
        "I",
        "'",
        '"',
        "In",
        "These",
        "NEW",
        "new",
        "york",
        "DAILY",
        "daily",
        "mail",
        "MAIL",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_CASED, max_size=30), st.sampled_from([" ", "  "]))
def test_skipping_tokens_no_name_can_begin_with_finds_the_same(gaz, unfiltered, words, sep):
    """find skips tokens that no name can begin with (``_starts``: no one-word name or first two
    words of one; ``_may_begin``: not as written): the mentions are those of the walk from every token."""
    text = sep.join(words)
    assert gaz.find(text) == unfiltered.find(text)
