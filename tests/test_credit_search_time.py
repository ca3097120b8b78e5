"""The credit search is linear in the text: four times the text takes about four times the time.

A ratio of CPU times, not a wall-clock limit: one endless sentence of credit cues, and capitalised words
with no punctuation at all (scraped pages), at two sizes. Searching the sentence again for every mention
made such a text quadratic (a 51 KB file took 55 s, 4 MB never finished).
"""

from __future__ import annotations

import time

import pytest

from pipeline.text.credits import find_credits
from pipeline.text.gazetteer import Gazetteer

CUES = "according to the Times and Reuters and the BBC, told the Post, the BBC reported "
CAPITALS = (
    "Reuters Daily Herald Bank Group North Star Press Board Gazeta Mercantil Radio Pakistan WMAL Tanjug Politico "
)
# Linear growth gives a ratio near 4; quadratic growth 16. Room for a busy machine's noise.
MAX_RATIO = 6.5


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.packaged()


def cpu_seconds(gaz: Gazetteer, unit: str, size: int) -> tuple[float, int]:
    text = unit * (size // len(unit))
    start = time.process_time()
    found = find_credits(text, gaz)
    return time.process_time() - start, len(found)


def ratio(gaz: Gazetteer, unit: str, small: int) -> float:
    cpu_seconds(gaz, unit, 4096)  # warm the regular expressions' caches
    t_small, n_small = cpu_seconds(gaz, unit, small)
    t_large, n_large = cpu_seconds(gaz, unit, 4 * small)
    assert n_large >= 3.9 * n_small  # the same credits, four times over
    return t_large / max(t_small, 1e-3)


@pytest.mark.parametrize("unit", [CUES, CAPITALS], ids=["cue-heavy sentence", "capitals, no punctuation"])
def test_credit_search_is_linear_on_64_and_256_kb(gaz, unit):
    assert ratio(gaz, unit, 64_000) < MAX_RATIO


@pytest.mark.slow
@pytest.mark.parametrize("unit", [CUES, CAPITALS], ids=["cue-heavy sentence", "capitals, no punctuation"])
def test_credit_search_is_linear_on_1_and_4_mb(gaz, unit):
    assert ratio(gaz, unit, 1_000_000) < MAX_RATIO
