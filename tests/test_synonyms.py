"""pipeline.text.synonyms: which token pairs a spinner's synonym substitution can explain."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.errors import ConfigError
from pipeline.text import synonyms
from pipeline.text.synonyms import FUNCTION_WORD_SPINS, Analysis, Inflection, Lexicon
from pipeline.text.tokens import STOPWORDS, tokenize

SEED_004 = Path(__file__).resolve().parent.parent / "seeds" / "004_26d458d383b1f024.txt"

# (plain English, what the spinner printed in seed 004)
SEED_004_SPINS = [
    ("told", "advised"),
    ("house", "home"),
    ("said", "stated"),
    ("trade", "commerce"),
    ("images", "photographs"),
    ("next", "subsequent"),
    ("top", "prime"),
    ("meeting", "assembly"),
    ("rare", "uncommon"),
    ("security", "safety"),
]
UNRELATED = [("house", "tariff"), ("trade", "soybean"), ("told", "mountain"), ("president", "banana")]


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load()


@pytest.fixture(scope="module")
def seed_004_words() -> set[str]:
    return {token.norm for token in tokenize(SEED_004.read_text(encoding="utf-8"))}


@pytest.mark.parametrize(("original", "spun"), SEED_004_SPINS)
def test_seed_004_spins_are_synonyms(lexicon, seed_004_words, original, spun):
    assert spun in seed_004_words  # the pair really is in the spun article
    assert lexicon.are_synonyms(original, spun)


@pytest.mark.parametrize(("a", "b"), UNRELATED)
def test_unrelated_words_are_not_synonyms(lexicon, a, b):
    assert not lexicon.are_synonyms(a, b)


@pytest.mark.parametrize(
    ("word", "lemma"),
    [
        ("told", "tell"),
        ("said", "say"),
        ("went", "go"),
        ("men", "man"),
        ("advised", "advise"),
        ("planned", "plan"),
        ("making", "make"),
        ("countries", "country"),
        ("lives", "life"),
        ("bigger", "big"),
        ("photographs", "photograph"),
        ("economies", "economy"),
    ],
)
def test_lemmas_undo_inflection(lexicon, word, lemma):
    assert lemma in lexicon.lemmas(word)


@pytest.mark.parametrize(("word", "not_lemma"), [("news", "new"), ("number", "numb"), ("gas", "ga")])
def test_lemmas_need_a_known_word_of_the_right_part_of_speech(lexicon, word, not_lemma):
    assert not_lemma not in lexicon.lemmas(word)


def test_inflection_is_kept_across_a_synonym(lexicon):
    assert Analysis("tell", Inflection.PAST) in lexicon.analyses("told")
    assert lexicon.are_synonyms("told", "advised")
    assert not lexicon.are_synonyms("told", "advise")  # past vs base: not a word-for-word spin


def test_forms_of_one_word_are_synonyms(lexicon):
    assert lexicon.are_synonyms("said", "says")


@pytest.mark.parametrize("word", ["the", "and", "of", "while", "also", "so"])
@pytest.mark.parametrize("content", ["house", "commerce", "advised", "trade", "instance", "home"])
def test_stopwords_are_not_synonyms_of_content_words(lexicon, word, content):
    assert not lexicon.are_synonyms(word, content)


@pytest.mark.parametrize(("a", "b"), [("while", "whereas"), ("among", "amongst"), ("also", "additionally")])
def test_function_word_spins(lexicon, a, b):
    assert lexicon.are_synonyms(a, b)


def test_function_word_spins_are_keyed_by_stopwords():
    assert set(FUNCTION_WORD_SPINS) <= STOPWORDS


@pytest.mark.parametrize("word", ["chinese", "english", "japanese", "korean", "french", "polish"])
def test_language_names(lexicon, word):
    assert lexicon.is_language_name(word)


@pytest.mark.parametrize("word", ["house", "same", "chin", "bible", "genesis", "trump"])
def test_not_language_names(lexicon, word):
    assert not lexicon.is_language_name(word)


def test_load_is_cached(lexicon):
    assert Lexicon.load() is lexicon


def test_missing_package_data_says_how_to_fix(monkeypatch):
    monkeypatch.setattr(synonyms, "WORDNET_FILE", "no_such_file.tsv")
    synonyms._load.cache_clear()
    try:
        with pytest.raises(ConfigError, match="build_lexicon.py"):
            Lexicon.load()
    finally:
        synonyms._load.cache_clear()


# Words the properties draw from: real vocabulary (where the look-ups do work) and noise.
_VOCABULARY = sorted(
    {a for pair in SEED_004_SPINS + UNRELATED for a in pair}
    | {"tell", "advise", "stated", "state", "the", "while", "whereas", "news", "new", "lives", "life"}
)
words = st.one_of(
    st.sampled_from(_VOCABULARY), st.text(alphabet="abcdefghijklmnopqrstuvwxyz'", min_size=1, max_size=12)
)


@settings(max_examples=300, deadline=None)
@given(a=words, b=words)
def test_are_synonyms_is_symmetric(lexicon, a, b):
    assert lexicon.are_synonyms(a, b) == lexicon.are_synonyms(b, a)


@settings(max_examples=300, deadline=None)
@given(word=words)
def test_are_synonyms_is_reflexive_and_lemmas_contain_the_word(lexicon, word):
    assert lexicon.are_synonyms(word, word)
    assert word in lexicon.lemmas(word)


@settings(max_examples=200, deadline=None)
@given(stopword=st.sampled_from(sorted(STOPWORDS)), word=words)
def test_stopwords_pair_only_with_themselves_or_listed_spins(lexicon, stopword, word):
    listed = word in FUNCTION_WORD_SPINS.get(stopword, ()) or stopword in FUNCTION_WORD_SPINS.get(word, ())
    assert lexicon.are_synonyms(stopword, word) == (word == stopword or listed)


def test_first_synonym_is_the_first_target_are_synonyms_accepts(lexicon):
    targets = ["house", "so", "told", "advised", "home", "thus", "therefore"]
    for word in ("home", "advised", "thus", "so", "said", "zqx", "told"):
        expected = next((t for t in targets if lexicon.are_synonyms(word, t)), None)
        assert lexicon.first_synonym(word, targets) == expected
    assert lexicon.first_synonym("home", ["zqx", "house"]) == "house"
    assert lexicon.first_synonym("home", []) is None
