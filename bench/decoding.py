"""Accuracy of ingest's decoder on the labelled decoding set (tests/decoding_set.py), by length:
right (the text a right decoding gives), wrong (another text: silent corruption) or rejected.

    PYTHONPATH=. python bench/decoding.py
"""

from __future__ import annotations

import collections
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from decoding_set import LENGTHS, samples  # noqa: E402

from pipeline.text.decoding import Undecodable, decode  # noqa: E402


def bucket(n_bytes: int) -> int:
    return max(length for length in LENGTHS if length <= max(n_bytes, LENGTHS[0]))


def main() -> None:
    tally: dict[tuple, collections.Counter] = collections.defaultdict(collections.Counter)
    wrong_examples = collections.Counter()
    for sample in samples():
        try:
            text = decode(sample.data).text
            outcome = "right" if text == sample.text else "wrong"
        except Undecodable:
            outcome = "rejected"
        if outcome == "wrong":
            wrong_examples[(sample.encoding, sample.bad_bytes > 0)] += 1
        tally[(bucket(len(sample.data)), sample.bad_bytes > 0)][outcome] += 1
        tally[("all", sample.bad_bytes > 0)][outcome] += 1
    print(f"{'bytes':>6} {'bad bytes':>9} {'n':>5} {'right':>6} {'wrong':>6} {'rejected':>8}")
    for (length, bad), counts in sorted(
        tally.items(), key=lambda kv: (kv[0][0] == "all", str(kv[0][0]).zfill(5), kv[0][1])
    ):
        n = sum(counts.values())
        print(
            f"{length!s:>6} {'1-3' if bad else '0':>9} {n:>5} {counts['right'] / n:>6.1%} "
            f"{counts['wrong'] / n:>6.1%} {counts['rejected'] / n:>8.1%}"
        )
    print("wrong by encoding:", dict(wrong_examples))


if __name__ == "__main__":
    main()
