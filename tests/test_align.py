"""Verification of candidate pairs: relations, spin folding, spans and origin."""

from __future__ import annotations

import datetime as dt
from difflib import SequenceMatcher

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.ids import passage_id
from pipeline.lsh.fingerprint import shingle_words
from pipeline.stages.align import (
    AlignParams,
    PassageRef,
    _shingle_set,
    align_pair,
    matching_blocks,
    origin_of,
    passage_refs,
)
from pipeline.text.synonyms import Lexicon
from pipeline.text.tokens import tokenize

# Plain-English originals of three paragraphs of seed 004, written for these tests, and the
# spinner's versions as they stand in seeds/004_26d458d383b1f024.txt.
SPUN_PAIRS = [
    (
        "White House press secretary Karoline Leavitt told reporters Thursday that Trump will meet his Chinese "
        "counterpart on Oct. 30 on the sidelines of the Asia-Pacific Economic Cooperation, or APEC, Summit.",
        "White Home press secretary Karoline Leavitt advised reporters Thursday that Trump will meet his Chinese "
        "language counterpart on Oct. 30 on the sidelines of the Asia-Pacific Financial Cooperation, or APEC, Summit.",
    ),
    (
        "U.S. President Donald Trump will meet Chinese President Xi Jinping next week as part of his trip to Asia, as "
        "the world's top two economies seek to dial down tensions in search of a trade deal that has so far been elusive.",
        "U.S. President Donald Trump will meet Chinese language President Xi Jinping subsequent week as a part of his "
        "journey to Asia, because the world’s prime two economies search to dial down tensions in seek for a commerce "
        "deal that has to this point been elusive.",
    ),
    (
        "The trade truce has been threatened in recent weeks by a fresh wave of restrictive measures, ranging from hefty "
        "port fees on each other's vessels, expanded export controls on technology and rare earth minerals.",
        "The commerce truce has been threatened in latest weeks by a contemporary wave of restrictive measures, "
        "beginning from hefty port charges on one another’s vessels, expanded export controls on know-how and uncommon "
        "earth minerals.",
    ),
]
EARLY, LATE = dt.date(2025, 10, 23), dt.date(2025, 10, 24)


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load()


def ref(text: str, doc: str, date: dt.date = EARLY, char_start: int = 0) -> PassageRef:
    return PassageRef(f"{doc}:0000", doc, char_start, text, None, date)


def align(a: str, b: str, lexicon: Lexicon, anchor_score: float = 0.0, **dates):
    return align_pair(
        ref(a, "a", dates.get("a", EARLY)), ref(b, "b", dates.get("b", LATE)), anchor_score, lexicon, AlignParams()
    )


@pytest.mark.parametrize("original, spun", SPUN_PAIRS)
def test_synonym_spun_copies_are_found_and_called_spun(original, spun, lexicon):
    result = align(original, spun, lexicon)
    assert result.relation == "spun"
    assert result.jaccard_folded > result.jaccard + 0.15
    assert result.spans


def test_spin_folding_covers_multiword_and_capitalised_substitutions(lexicon):
    result = align(SPUN_PAIRS[0][0], SPUN_PAIRS[0][1], lexicon)
    # "White Home", "advised", "Chinese language" and "Financial" all fold back: one span covers the sentence.
    assert result.jaccard_folded == 1.0
    assert len(result.spans) == 1


def test_verbatim_and_light_edit(lexicon):
    text = "The central bank raised its key rate by half a point on Wednesday, the third rise this year."
    assert align(text, text, lexicon).relation == "verbatim"
    edited = "The central bank raised its key interest rate by half a point on Wednesday, its third rise this year."
    assert align(text, edited, lexicon).relation == "near_copy"


def test_an_excerpt_inside_a_longer_passage_is_a_near_copy_with_containment(lexicon):
    excerpt = (
        "The meeting will take place in the South Korean city of Busan, ahead of the official start of the summit."
    )
    longer = (
        "Officials said on Monday that the schedule was agreed late. "
        + excerpt
        + " Security in the port city has been tightened, and roads near the venue will close."
    )
    result = align(excerpt, longer, lexicon)
    assert result.relation == "near_copy"
    assert result.containment_a == 1.0 and result.containment_b < 0.6


def test_a_sentence_pasted_into_a_different_paragraph_is_a_near_copy(lexicon):
    """A cut-and-paste answer lifts whole sentences from several source paragraphs: each source
    paragraph is only partly inside it, but twelve words in a row are no coincidence."""
    pasted = "The algorithm may be applied to any collection of entities with reciprocal quotations and references."
    source = (
        "PageRank is a link analysis algorithm that assigns a numerical weighting to each element of a "
        "hyperlinked set of documents. " + pasted + " The weight it assigns to an element is also called "
        "the rank of that element and is written as a function of its inbound links."
    )
    answer = (
        "Search engines order their results by many signals, and links between pages are among the oldest "
        "of them. " + pasted + " Students often confuse it with counting visits, which measures something "
        "else entirely and changes every day."
    )
    result = align(source, answer, lexicon)
    assert result.relation == "near_copy"
    assert max(result.containment_a, result.containment_b) < 0.5
    assert any(
        "any collection of entities with reciprocal quotations and references" in answer[s.b_start : s.b_end]
        for s in result.spans
    )
    assert result.longest_span_words >= len(pasted.split())
    shorter = align(
        source.replace(pasted, "It may be applied to any collection of entities."),
        answer.replace(pasted, "It may be applied to any collection of entities."),
        lexicon,
    )
    assert shorter.relation is None  # nine words in a row: a stock phrase, not a copy


def test_same_topic_passages_without_shared_text_are_never_copies(lexicon):
    a = "Shares of Tesla fell 5% on Monday after the carmaker reported weaker deliveries in China and Europe."
    b = "Investors sold Tesla on Monday as deliveries slowed in Europe, while rivals in China gained ground."
    assert align(a, b, lexicon, anchor_score=2.0).relation is None
    assert align(a, b, lexicon, anchor_score=20.0).relation == "same_story"


def test_same_story_spans_point_at_the_shared_names(lexicon):
    a = "On Thursday, press secretary Karoline Leavitt told a briefing that the meeting is set for October 30."
    b = "Karoline Leavitt advised reporters that the leaders would meet on Oct. 30 at the summit in Gyeongju."
    result = align_pair(ref(a, "a", char_start=100), ref(b, "b", char_start=7), 20.0, lexicon, AlignParams())
    assert result.relation == "same_story"
    texts = {(a[s.a_start - 100 : s.a_end - 100], b[s.b_start - 7 : s.b_end - 7]) for s in result.spans}
    assert ("Karoline Leavitt", "Karoline Leavitt") in texts
    assert ("October 30", "Oct. 30") in texts


def test_origin_is_the_earlier_date_then_the_containing_side(lexicon):
    short = "The bank raised its key rate by half a point on Wednesday, the third rise this year."
    long = short + " Economists had expected a smaller move, and markets fell after the decision was announced."
    result = align(short, long, lexicon)
    assert origin_of(ref(short, "a", EARLY), ref(long, "b", LATE), result, 0.1) == "a"
    assert origin_of(ref(short, "a", LATE), ref(long, "b", EARLY), result, 0.1) == "b"
    assert origin_of(ref(short, "a", LATE), ref(long, "b", LATE), result, 0.1) == "b"  # the excerpt copies
    same = align(short, short, lexicon)
    assert origin_of(ref(short, "a", LATE), ref(short, "b", LATE), same, 0.1) == "tie"


nonsense = st.sampled_from([f"zq{i}x" for i in range(40)])


@settings(max_examples=80, deadline=None)
@given(st.lists(nonsense, min_size=1, max_size=40), st.data())
def test_spans_slice_back_to_the_same_words_in_both_passages(words, data):
    kept = [w for w in words if data.draw(st.booleans())]
    extra = data.draw(st.lists(nonsense, max_size=5))
    a_text = " ".join(words) + "."
    b_text = " ".join(extra + kept) + "!"
    offset_a, offset_b = data.draw(st.integers(0, 500)), data.draw(st.integers(0, 500))
    result = align_pair(
        ref(a_text, "a", char_start=offset_a),
        ref(b_text, "b", char_start=offset_b),
        0.0,
        Lexicon.load(),
        AlignParams(min_span_words=1, max_gap_words=0),
    )
    for span in result.spans:
        a_piece = a_text[span.a_start - offset_a : span.a_end - offset_a]
        b_piece = b_text[span.b_start - offset_b : span.b_end - offset_b]
        assert 0 <= span.a_start - offset_a < span.a_end - offset_a <= len(a_text)
        assert 0 <= span.b_start - offset_b < span.b_end - offset_b <= len(b_text)
        assert [t.norm for t in tokenize(a_piece)] == [t.norm for t in tokenize(b_piece)]


def test_spinner_residue_and_number_formats_do_not_hide_a_copy(lexicon):
    original = (
        "The commerce ministry said Thursday that a delegation led by Vice Premier He Lifeng will meet "
        "Treasury Secretary Scott Bessent in Malaysia, after tariffs rose 76 per cent in two years."
    )
    spun = (
        "Chinese language commerce ministry stated Thursday {that a} delegation led by Vice Premier He Lifeng will "
        "meet Treasury Secretary Scott Bessent in Malaysia, after tariffs rose 76% in 2 years."
    )
    result = align(original, spun, lexicon)
    assert result.relation in ("spun", "near_copy")
    assert result.containment_a > 0.8


# Small alphabets make many repeated words and ties, where the recursion's choices matter.
word_lists = st.lists(st.sampled_from("abcdef"), max_size=60)


@settings(max_examples=500, deadline=None)
@given(word_lists, word_lists)
def test_matching_blocks_are_sequence_matchers(a, b):
    expected = SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
    assert matching_blocks(a, b) == [(m.a, m.b, m.size) for m in expected if m.size]


def test_matching_blocks_of_passages_are_sequence_matchers():
    a = [t.norm for t in tokenize(SPUN_PAIRS[1][0])]
    b = [t.norm for t in tokenize(SPUN_PAIRS[1][1])]
    for x, y in ((a, b), (b, a), (a, a), (a, []), (a, a[5:] + a[:5])):
        expected = SequenceMatcher(None, x, y, autojunk=False).get_matching_blocks()
        assert matching_blocks(x, y) == [(m.a, m.b, m.size) for m in expected if m.size]


def test_passage_refs_read_signatures_of_sliced_and_null_rows():
    signatures = [[1, 2, 3], None, [4, 5, 6], [7, 8, 9]]
    passages = pa.table(
        {
            "passage_id": [passage_id("d", i) for i in range(4)],
            "doc_id": ["d"] * 4,
            "char_start": [0, 5, 10, 15],
            "text": ["one", "two", "three", "four"],
            "signature": pa.array(signatures, pa.list_(pa.uint32())),
        }
    ).slice(1)
    documents = pa.table({"doc_id": ["d"], "published": pa.array([None], pa.date32()), "batch": ["2025-10-24"]})
    refs = passage_refs(passages, documents)
    assert refs["d:0001"].signature is None
    assert [refs[passage_id("d", i)].signature.tolist() for i in (2, 3)] == signatures[2:]
    assert refs["d:0003"].signature.dtype == np.uint32


@given(st.lists(st.sampled_from("abc"), max_size=12), st.integers(1, 5))
def test_shingle_sets_are_the_fingerprint_windows(words, k):
    assert _shingle_set(words, k) == {tuple(w) for w in shingle_words(words, k)}
