"""Signatures equal datasketch's for the same shingles; shingling properties."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest
from conftest import SEEDS
from datasketch import LeanMinHash, MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.errors import ConfigError
from pipeline.lsh.fingerprint import FingerprintParams, permutations, shingle_hash, shingle_words, shingles, signatures

words = st.text(alphabet=st.characters(categories=("Ll", "Lu", "Nd")), min_size=1, max_size=8)
passages = st.lists(words, min_size=0, max_size=30).map(" ".join)


def datasketch_signature(text: str, params: FingerprintParams) -> np.ndarray | None:
    found = shingles(text, params.shingle_size)
    if not found:
        return None
    minhash = MinHash(num_perm=params.num_perm, seed=params.seed, hashfunc=shingle_hash)
    for shingle in found:
        minhash.update(shingle)
    return minhash.hashvalues


@pytest.mark.parametrize("params", [FingerprintParams(), FingerprintParams(num_perm=64, seed=7, shingle_size=5)])
def test_seed_passages_have_datasketch_signatures(params):
    texts = [line for path in sorted(SEEDS.glob("*.txt")) for line in path.read_text().split("\n") if line.strip()]
    computed = signatures(texts, params)
    for text, signature in zip(texts, computed):
        expected = datasketch_signature(text, params)
        assert signature is not None and expected is not None
        assert signature.dtype == np.uint32
        np.testing.assert_array_equal(signature, expected)


@settings(max_examples=60, deadline=None)
@given(st.lists(passages, min_size=1, max_size=6))
def test_any_batch_of_texts_matches_datasketch(texts):
    params = FingerprintParams(num_perm=16, shingle_size=2)
    for text, signature in zip(texts, signatures(texts, params)):
        expected = datasketch_signature(text, params)
        if expected is None:
            assert signature is None
        else:
            np.testing.assert_array_equal(signature, expected)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 300), st.integers(0, 2**32 - 1))
def test_permutations_are_datasketch_s_own(num_perm, seed):
    a, b = MinHash(num_perm=num_perm, seed=seed).permutations  # datasketch's default scheme: affine32
    ours = permutations(num_perm, seed)
    assert ours[0].dtype == ours[1].dtype == np.uint32
    np.testing.assert_array_equal(ours[0], a)
    np.testing.assert_array_equal(ours[1], b)


def test_the_pipeline_runs_without_importing_datasketch():
    """datasketch imports scipy: 0.4 s in the main process and in every worker."""
    code = "import sys, pipeline.orchestration.cli, pipeline.orchestration.tasks; sys.exit('datasketch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_signature_loads_into_lean_minhash_and_estimates_jaccard():
    a = "the council approved the new budget for the city schools on tuesday evening after a long debate"
    b = "the council approved the new budget for the city schools on tuesday night after a short debate"
    sig_a, sig_b = signatures([a, b], FingerprintParams())
    lean_a = LeanMinHash(seed=1, hashvalues=sig_a, scheme="affine32")
    lean_b = LeanMinHash(seed=1, hashvalues=sig_b, scheme="affine32")
    exact = len(set(shingles(a, 3)) & set(shingles(b, 3))) / len(set(shingles(a, 3)) | set(shingles(b, 3)))
    assert abs(lean_a.jaccard(lean_b) - exact) < 0.2


def test_blocks_of_many_passages_give_the_same_signatures_as_one_at_a_time():
    texts = [f"passage number {i} says the same thing about item {i % 7}" for i in range(3000)]
    params = FingerprintParams(num_perm=32)
    together = signatures(texts, params)
    for i in (0, 1499, 2999):
        np.testing.assert_array_equal(together[i], signatures([texts[i]], params)[0])


@given(st.lists(words, max_size=20), st.integers(min_value=1, max_value=6))
def test_shingle_windows_cover_every_word_in_order(tokens, k):
    windows = shingle_words(tokens, k)
    if not tokens:
        assert windows == []
        return
    assert all(len(w) == min(k, len(tokens)) for w in windows)
    assert len(windows) == max(1, len(tokens) - k + 1)
    assert [w[0] for w in windows] + windows[-1][1:] == tokens


@given(passages)
def test_shingles_ignore_case(text):
    assert shingles(text, 3) == shingles(text.casefold(), 3)
    assert shingles(text.upper(), 3) == shingles(text.upper().casefold(), 3)


def test_shingles_ignore_quote_style():
    assert shingles("It’s the “first question” he’ll ask", 3) == shingles("it's the \"first question\" he'll ask", 3)


def test_shingles_fold_number_and_format_variants():
    assert shingles("Sales rose 76 per cent in Oct.", 3) == shingles("sales rose 76% in October", 3)
    assert shingles("the U.S. and two allies", 3) == shingles("The US and 2 allies", 3)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_perm": 1}, "num_perm must be >= 2, got 1"),
        ({"shingle_size": 0}, "shingle_size must be >= 1, got 0"),
        ({"seed": -1}, "seed must be in [0, 2**32)"),
    ],
)
def test_bad_parameters_say_how_to_fix_them(kwargs, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        FingerprintParams(**kwargs)


@given(st.text(max_size=200))
def test_normal_words_are_the_tokens_normal_forms(text):
    from pipeline.text.tokens import normal_words, tokenize

    assert normal_words(text) == [t.norm for t in tokenize(text)]
    assert normal_words("rose 7 per cent, per  cent") == ["rose", "7", "percent", "per", "cent"]


# Characters Python's Unicode database does not know yet (Cn) may be letters to Polars' newer one.
any_text = st.text(alphabet=st.characters(exclude_categories=("Cn", "Cs")), max_size=60)


@settings(max_examples=300)
@given(st.lists(any_text, max_size=6))
def test_vectorised_words_equal_the_python_tokenizer(texts):
    """Polars' regex kernel and Python's re give the same normal words on arbitrary Unicode text."""
    from pipeline.text.tokens import normal_word_ids, normal_words

    found = normal_word_ids(texts)
    assert [found.words(i) for i in range(len(texts))] == [normal_words(t) for t in texts]


@settings(max_examples=200)
@given(
    st.lists(
        st.sampled_from(["per", "cent", "Per", "CENT", " ", "  ", ",", "7", "x", "-", "per cent"]), max_size=12
    ).map("".join)
)
def test_per_cent_merges_as_in_the_python_tokenizer(text):
    from pipeline.text.tokens import normal_word_ids, normal_words

    assert normal_word_ids(["a b", text, "per", "cent"]).words(1) == normal_words(text)


@given(st.lists(passages, max_size=8), st.integers(min_value=1, max_value=5))
def test_shingle_hashes_of_many_passages_equal_one_at_a_time(texts, k):
    from pipeline.lsh.fingerprint import shingle_hash

    params = FingerprintParams(shingle_size=k)
    together = signatures(texts, params)
    for text, signature in zip(texts, together):
        found = shingles(text, k)
        if not found:
            assert signature is None
            continue
        minhash = MinHash(num_perm=params.num_perm, seed=params.seed, hashfunc=shingle_hash)
        minhash.update_batch(found)
        np.testing.assert_array_equal(signature, minhash.hashvalues)


def test_large_inputs_on_threads_give_the_same_signatures():
    """From _THREADED_TEXTS texts on, tokenising and permutations run on a thread per core."""
    from pipeline.lsh.fingerprint import _THREADED_TEXTS, signature_matrix

    rng = np.random.default_rng(5)
    vocabulary = ["harbour", "wall", "council", "per", "cent", "76%", "Oct.", "U.S.", "two", "fishermen", "storm"]
    texts = [" ".join(rng.choice(vocabulary, size=rng.integers(0, 30))) for _ in range(_THREADED_TEXTS + 500)]
    together, present = signature_matrix(texts, FingerprintParams())
    half = len(texts) // 2  # each half below the threshold: one thread
    first, first_present = signature_matrix(texts[:half], FingerprintParams())
    second, second_present = signature_matrix(texts[half:], FingerprintParams())
    np.testing.assert_array_equal(present, np.concatenate([first_present, second_present]))
    np.testing.assert_array_equal(together, np.concatenate([first, second]))


def test_signatures_added_slice_by_slice_are_the_same_column(monkeypatch):
    """add_signatures fingerprints a large batch a slice at a time (memory): any cut gives the same column."""
    from pipeline.core.schema import PASSAGES
    from pipeline.core.tables import conform
    from pipeline.lsh import fingerprint

    rng = np.random.default_rng(7)
    vocabulary = ["harbour", "wall", "council", "per", "cent", "76%", "Oct.", "U.S.", "two", "storm"]
    texts = [" ".join(rng.choice(vocabulary, size=rng.integers(0, 12))) for _ in range(23)]
    kinds = ["header" if i % 7 == 0 else "body" for i in range(len(texts))]
    passages = conform(
        pa.table(
            {
                "passage_id": [f"d:{i:04d}" for i in range(len(texts))],
                "doc_id": ["d"] * len(texts),
                "batch": ["2025-01-01"] * len(texts),
                "ordinal": list(range(len(texts))),
                "char_start": [0] * len(texts),
                "char_end": [len(t) for t in texts],
                "text": texts,
                "kind": kinds,
                "n_tokens": [0] * len(texts),
                "signature": pa.nulls(len(texts), PASSAGES.field("signature").type),
            }
        ),
        PASSAGES,
    )
    whole = fingerprint.add_signatures(passages, FingerprintParams())
    monkeypatch.setattr(fingerprint, "_SIGNATURE_SLICE", 5)
    sliced = fingerprint.add_signatures(passages, FingerprintParams())
    assert sliced.column("signature").to_pylist() == whole.column("signature").to_pylist()
    assert sliced.column("signature").null_count == sum(k == "header" or not t for k, t in zip(kinds, texts))
