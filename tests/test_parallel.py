"""Worker processes (``[parallel]``) change how fast a run is, never what it writes.

The real pipeline runs twice on one two-day inbox of small articles written for this test
(copies within and across days, a spun copy, credits, a repeated file, files that are rejected):
once inline (``processes = 1``) and once with two worker processes and ``min_items = 1``, so
ingest, passages, anchors, align, sentence bands and paraphrase verification really go through
the pool, in many chunks.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import hypothesis
import luigi
import pyarrow.parquet as pq
import pytest
from articles import HARBOUR, HARBOUR_REPRINT, ORCHARD
from conftest import REPO, settings
from hypothesis import given
from hypothesis import strategies as st

from pipeline.core import tables
from pipeline.core.errors import ConfigError
from pipeline.lsh.fingerprint import FingerprintParams
from pipeline.orchestration import config, tasks
from pipeline.runtime import parallel
from pipeline.stages import align, passages

FERRY = """date 2025-03-02 Dover:
The ferry operator said on Monday that it would add two crossings a day to Calais from the first week of May, after passenger numbers rose by a fifth over the winter, according to Reuters.

The company will lease a second vessel from a Danish shipping line for eighteen months while its own new ship, delayed by a shortage of engine parts, is finished in Finland.

Union officials told the BBC that crews had not been consulted about the longer shifts the new timetable would need, and asked for talks before the summer season begins.

Port managers expect about 3,400 more lorries a week once the extra sailings start, and said a new holding area near the motorway would open on 14 April to ease queues in town.
"""

# The ferry story with synonyms swapped in, as a content farm would.
FERRY_SPUN = """date 2025-03-03 Dover:
The ferry firm stated on Monday that it would add two crossings a day to Calais from the initial week of May, after traveller numbers climbed by a fifth over the winter.

The business will rent a second ship from a Danish shipping line for eighteen months while its own new vessel, delayed by a lack of engine components, is completed in Finland.

Union officials told reporters that crews had not been consulted about the longer shifts the new schedule would require, and requested talks before the summer season starts.
"""

# An independent report of the same event: the same names, dates and figures, no copied text.
FERRY_REPORT = """date 2025-03-03 Calais:
Extra sailings between Dover and Calais will begin in May, the operator confirmed, citing a rise in winter traffic.

French port officials welcomed the move. They said 3,400 more lorries a week could pass through the terminal, and pointed to the holding area due to open on 14 April.

A Danish line will supply the leased vessel, according to a statement from the company.
"""

ORCHARD_EXCERPT = ORCHARD.split("\n\n", 2)[1] + "\n\n" + "Growers meet the agency next month.\n"


def inbox_days() -> dict[str, dict[str, bytes]]:
    day1 = {
        "harbour.txt": HARBOUR,
        "orchard.txt": ORCHARD,
        "ferry.txt": FERRY,
        "harbour-reprint.txt": HARBOUR_REPRINT,
        "harbour-edit.txt": HARBOUR.replace("42 million", "forty-two million").replace("Tuesday", "Monday"),
    }
    day2 = {
        "ferry-spun.txt": FERRY_SPUN,
        "ferry-report.txt": FERRY_REPORT,
        "orchard-excerpt.txt": ORCHARD_EXCERPT,
        "orchard-again.txt": ORCHARD,  # the same text as yesterday's: a sighting
        "ferry-crlf.txt": FERRY.replace("\n", "\r\n") + "Reporting by the Dover Express.\r\n",
        "harbour-wire.txt": "By Reuters\n\n" + HARBOUR_REPRINT.replace("ten years", "a decade"),
    }
    days = {
        "2025-03-02": {n: t.encode() for n, t in day1.items()},
        "2025-03-03": {n: t.encode() for n, t in day2.items()},
    }
    days["2025-03-02"]["empty.txt"] = b""
    days["2025-03-03"]["image.txt"] = bytes(range(256)) * 4
    days["2025-03-03"]["latin.txt"] = "Très bien: the café reopened, the Hereford Times reported.\n".encode("cp1252")
    return days


def run_inbox(root: Path, out: Path) -> None:
    task = tasks.Inbox(inbox=str(root), out_dir=str(out), stop=dt.date(2025, 3, 3), days_back=30, report=False)
    result = luigi.build([task], local_scheduler=True, detailed_summary=True, log_level="WARNING")
    if result.status.name != "SUCCESS":
        pytest.fail(f"pipeline run into {out} ended {result.status.name}:\n{result.summary_text}")


# Set to the time of the run; every other column must be equal.
TIMESTAMPS = ("ingested_at", "rejected_at", "seen_at")


def assert_same_rows(expected_file: Path, got_file: Path) -> None:
    """Two Parquet files hold the same table, but for the time of the run."""
    expected, got = pq.read_table(expected_file), pq.read_table(got_file)
    stamps = [c for c in TIMESTAMPS if c in expected.column_names]
    assert got.drop_columns(stamps).equals(expected.drop_columns(stamps), check_metadata=True), f"{got_file} differs"


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("parallel")
    inbox = root / "inbox"
    for day, files in inbox_days().items():
        (inbox / day).mkdir(parents=True)
        for name, data in files.items():
            (inbox / day / name).write_bytes(data)
    with settings({"parallel": {"processes": "1"}}):
        run_inbox(inbox, root / "inline")
    assert parallel._pool is None or parallel._pool_pid != os.getpid(), "the inline run used the pool"
    try:
        with settings({"parallel": {"processes": "2", "min_items": "1"}}):
            run_inbox(inbox, root / "pool")
        pool = parallel._pool
        assert pool is not None and pool._processes, "the pooled run never started its workers"
        assert os.getpid() not in pool._processes
    finally:
        parallel.shutdown()
    return root / "inline", root / "pool"


def test_the_pooled_run_writes_the_same_tables(runs):
    inline, pooled = runs
    files = sorted(p.relative_to(inline) for p in inline.rglob("*.parquet"))
    assert files == sorted(p.relative_to(pooled) for p in pooled.rglob("*.parquet"))
    assert {f.parts[0] for f in files} >= {
        "documents",
        "rejects",
        "sightings",
        "passages",
        "bands",
        "anchors",
        "candidates",
        "overlaps",
        "sentence_bands",
        "paraphrases",
        "attributions",
        "credits",
        "provenance",
        "clusters",
    }
    for name in files:
        if name.parts[0] == "index":  # its footer records when each partition was written
            assert pq.read_table(pooled / name).equals(pq.read_table(inline / name)), f"{name} differs"
        elif name.parts[0] != "runs":  # each run's time and memory
            assert_same_rows(inline / name, pooled / name)


def test_luigi_workers_in_processes_of_their_own_use_the_pool_and_exit(runs, tmp_path):
    """With --workers 2 Luigi runs each task in a forked process, which starts its own pool; such a
    process ends without atexit and joins its children first, so a pool left running hung it."""
    inline, _ = runs
    cfg = tmp_path / "luigi.cfg"
    cfg.write_text("[parallel]\nprocesses = 2\nmin_items = 1\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.orchestration.cli",
            "run",
            str(inline.parent / "inbox" / "2025-03-02"),
            "--out",
            str(tmp_path / "out"),
            "--batch",
            "2025-03-02",
            "--workers",
            "2",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        env={**os.environ, "LUIGI_CONFIG_PATH": str(cfg)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    for table in ("documents", "credits", "attributions", "overlaps", "paraphrases", "provenance"):
        name = Path(table, "2025-03-02", "part-0.parquet")
        assert_same_rows(inline / name, tmp_path / "out" / name)


def test_the_inbox_exercises_every_stage(runs):
    inline, _ = runs
    rows = {
        table: sum(pq.read_metadata(p).num_rows for p in (inline / table).rglob("*.parquet"))
        for table in ("documents", "rejects", "sightings", "overlaps", "attributions", "provenance", "paraphrases")
    }
    assert rows["documents"] == 11 and rows["rejects"] == 2 and rows["sightings"] == 1
    assert rows["overlaps"] > 10 and rows["attributions"] >= 3 and rows["provenance"] >= 2
    assert rows["paraphrases"] >= 2  # verified in more than one chunk


def test_stages_run_their_own_chunks_without_luigi(runs):
    """A stage's parallel run, called as a library function with the pool forced on, gives the
    tables the (inline) pipeline wrote."""
    inline, _ = runs
    pool = parallel.ParallelParams(processes=2, min_items=1)
    day = "2025-03-03"
    try:
        documents = tables.read_partition(inline, "documents", day, ["doc_id", "batch", "text", "body_start"])
        signed = passages.run(documents, FingerprintParams(), pool)
        assert signed.equals(tables.read_partition(inline, "passages", day))
        batches = ["2025-03-02", day]
        overlaps = align.run(
            tables.read_partition(inline, "candidates", day),
            tables.read_batches(inline, "passages", batches),
            tables.read_batches(inline, "documents", batches, ["doc_id", "published", "batch"]),
            day,
            align.AlignParams(),
            pool,
        )
        assert overlaps.num_rows > 3 and overlaps.equals(tables.read_partition(inline, "overlaps", day))
    finally:
        parallel.shutdown()


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("processes", "-1", "parallel.processes must be >= 0, got -1"),
        ("min_items", "0", "parallel.min_items must be >= 1, got 0"),
    ],
)
def test_a_bad_setting_names_itself(option, value, message):
    with settings({"parallel": {option: value}}), pytest.raises(ConfigError, match=message):
        config.parallel().params()


def test_processes_zero_means_the_cores_this_process_may_use():
    assert config.parallel().params().workers() == len(os.sched_getaffinity(0))


def test_row_wise_maps_cut_and_join_in_order():
    import pyarrow as pa

    table = pa.table({"n": list(range(10))})
    params = parallel.ParallelParams(processes=2, min_items=1)
    assert parallel.even_slices(10, 4) == [(0, 3), (3, 3), (6, 3), (9, 1)]
    assert parallel.n_chunks(10, params) == 8 and parallel.n_chunks(10, parallel.ParallelParams(processes=1)) == 1
    assert parallel.map_table(lambda t: t, table, parallel.ParallelParams(processes=1)).equals(table)
    sliced = parallel.compact_slice(table, 3, 4)
    assert sliced.column("n").to_pylist() == [3, 4, 5, 6]


@hypothesis.settings(deadline=None)  # a loaded machine; the slicing itself is linear
@given(st.lists(st.integers(1, 6), max_size=30), st.integers(1, 12), st.booleans())
def test_grouped_slices_cut_only_between_keys(runs, parts, dictionary):
    """Slices cover the rows once, in order, never parting a key's rows, about ``parts`` of them."""
    import pyarrow as pa

    keys = pa.array([f"d{k}" for k, n in enumerate(runs) for _ in range(n)], pa.string())
    slices = parallel.grouped_slices(keys.dictionary_encode() if dictionary else keys, parts)
    assert [i for o, n in slices for i in range(o, o + n)] == list(range(len(keys)))  # once each, in order
    assert len(slices) <= parts
    assert {o for o, _ in slices} <= set(itertools.accumulate(runs[:-1], initial=0))


def test_grouped_slices_refuse_a_key_whose_rows_are_apart():
    import pyarrow as pa

    with pytest.raises(ValueError, match="not consecutive"):
        parallel.grouped_slices(pa.array(["a", "b", "a"]), 2)


def _touch(path: Path) -> str:
    path.touch()
    return path.name


def test_chunks_are_built_as_the_pool_asks_for_them(tmp_path):
    """map_chunks takes an iterator and builds no more than CHUNKS_IN_FLIGHT chunks per worker
    ahead of the results it has collected, in order: a stage's chunks are never all in memory."""
    params = parallel.ParallelParams(processes=2)
    ahead = params.workers() * parallel.CHUNKS_IN_FLIGHT
    done_when_built = []

    def chunks():
        for i in range(12):
            done_when_built.append(len(list(tmp_path.glob("*.done"))))
            yield tmp_path / f"{i:02d}.done"

    try:
        names = parallel.map_chunks(_touch, chunks(), params, total=12)
    finally:
        parallel.shutdown()
    assert names == [f"{i:02d}.done" for i in range(12)]
    assert all(done >= i - ahead + 1 for i, done in enumerate(done_when_built)), done_when_built


def _sleep_in_steps(seconds: float) -> float:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.05)
    return seconds


def test_ctrl_c_stops_the_chunks_in_hand_and_the_next_call_starts_a_new_pool():
    """Ctrl-C reaches the workers too (the terminal signals the whole process group): the chunks
    they compute stop, the queued ones are refused, the call raises KeyboardInterrupt at once."""
    params = parallel.ParallelParams(processes=2)

    def ctrl_c() -> None:
        for pid in list(parallel._pool._processes):
            os.kill(pid, signal.SIGINT)

    timer = threading.Timer(2.0, ctrl_c)
    try:
        timer.start()
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            parallel.map_chunks(_sleep_in_steps, [60.0] * 8, params, total=8)
        assert time.monotonic() - started < 20, "the call waited for the chunks in hand"
        assert parallel.map_chunks(_sleep_in_steps, [0.0] * 4, params, total=4) == [0.0] * 4
        assert time.monotonic() - started < 30, "the next call waited for the chunks queued before Ctrl-C"
    finally:
        timer.cancel()
        parallel.shutdown()


def _how_a_chunk_runs(_: int) -> tuple[int, bool]:
    return parallel.thread_budget(), gc.isenabled()


@pytest.mark.skipif(parallel.available_cores() < 2, reason="one core: the calls run one after another")
def test_concurrent_calls_run_at_once_and_give_their_results_in_order():
    meet = threading.Barrier(2, timeout=10)  # passed only by two calls running at the same time

    def call(result: int) -> int:
        meet.wait()
        return result

    assert parallel.concurrently(lambda: call(1), lambda: call(2)) == [1, 2]


def test_a_concurrent_call_that_fails_raises_once_both_are_done():
    finished = []

    def fail():
        raise ValueError("bad chunk")

    with pytest.raises(ValueError, match="bad chunk"):
        parallel.concurrently(fail, lambda: finished.append(time.sleep(0.2)))
    assert finished == [None]


def test_pool_workers_run_chunks_on_one_thread_without_the_cyclic_collector():
    """Two workers with a thread per core each would be four threads on two cores; the collector
    would walk a chunk's objects again and again (pipeline.runtime.memory.cyclic_gc_paused)."""
    params = parallel.ParallelParams(processes=2)
    try:
        in_workers = parallel.map_chunks(_how_a_chunk_runs, range(4), params, total=4)
    finally:
        parallel.shutdown()
    assert in_workers == [(1, False)] * 4
    assert parallel.thread_budget() == parallel.available_cores() and gc.isenabled()


_doc_pairs = st.lists(
    st.tuples(st.sampled_from("abcdefg"), st.sampled_from("abcdefg"), st.integers(0, 3), st.integers(0, 3)),
    min_size=1,
    max_size=60,
)


@given(_doc_pairs, st.integers(1, 5))
def test_align_chunks_keep_document_pairs_whole(pairs, parts):
    """Every candidate row in exactly one chunk, a document pair's rows (either way round) in one
    chunk, each chunk with the documents its rows name, and no chunk far past an even share."""
    import pyarrow as pa

    candidates = pa.table(
        {
            "doc_a": [a for a, _, _, _ in pairs],
            "doc_b": [b for _, b, _, _ in pairs],
            "passage_a": [f"{a}:{i}" for a, _, i, _ in pairs],
            "passage_b": [f"{b}:{j}" for _, b, _, j in pairs],
        }
    )
    chunks = align.document_pair_chunks(candidates, parts)
    assert sorted(row for rows, _ in chunks for row in rows) == list(range(len(pairs)))
    chunk_of = {}
    for n, (rows, docs) in enumerate(chunks):
        assert rows and docs == {pairs[r][0] for r in rows} | {pairs[r][1] for r in rows}
        for r in rows:
            assert chunk_of.setdefault(frozenset(pairs[r][:2]), n) == n
    largest_pair = max(sum(frozenset(p[:2]) == pair for p in pairs) for pair in chunk_of)
    assert len(chunks) <= parts
    assert max(len(rows) for rows, _ in chunks) <= len(pairs) / parts * align.ALIGN_CHUNK_SLACK + largest_pair
