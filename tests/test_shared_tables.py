"""Tables cross to and from pool workers through files in shared memory, and the files go away."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from multiprocessing.reduction import ForkingPickler

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from pipeline.runtime import parallel, shared_tables


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """shared_tables with its shared memory in a test folder, and its state put back afterwards."""
    monkeypatch.setattr(shared_tables, "SHARED_MEMORY", tmp_path)
    monkeypatch.setattr(shared_tables, "_folder", None)
    monkeypatch.setattr(shared_tables, "_folder_pid", 0)
    made = shared_tables.open_folder()
    yield made
    shared_tables.close_folder()


def big_table(rows: int = 200_000, words: int = 3) -> pa.Table:
    return pa.table(
        {
            "passage_id": [f"d{i // 9:06d}:{i % 9:04d}" for i in range(rows)],
            "text": [f"words of passage {i} " * words for i in range(rows)],
        }
    )


def test_a_large_table_is_pickled_as_a_path_and_its_file_goes_once_it_is_loaded(folder):
    table = big_table()
    assert table.nbytes >= shared_tables.MIN_SHARED_BYTES
    data = ForkingPickler.dumps(table)
    assert len(data) < 1000
    assert len(os.listdir(folder)) == 1
    assert pickle.loads(data).equals(table)
    assert os.listdir(folder) == []


def test_small_tables_and_tables_without_a_folder_are_pickled_whole(folder):
    small = pa.table({"x": [1, 2, 3]})
    assert pickle.loads(ForkingPickler.dumps(small)).equals(small)
    shared_tables.close_folder()
    table = big_table()
    assert len(ForkingPickler.dumps(table)) > table.nbytes / 2
    assert not folder.exists()


def test_a_table_the_ipc_file_cannot_hold_is_pickled_whole(folder):
    # Two chunks with different dictionaries: the IPC file format has no dictionary replacement.
    column = pa.chunked_array(
        [pa.array(["a", "b"] * 200_000).dictionary_encode(), pa.array(["c", "d"] * 200_000).dictionary_encode()]
    )
    table = pa.table({"kind": column, "n": pa.array(range(800_000))})
    assert table.nbytes >= shared_tables.MIN_SHARED_BYTES
    assert pickle.loads(ForkingPickler.dumps(table)).equals(table)
    assert os.listdir(folder) == []


def test_opening_a_folder_removes_those_of_processes_that_are_gone(folder, tmp_path):
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    ).stdout.strip()
    stale = tmp_path / f"newsprov-tables-{gone}-abc"
    live = tmp_path / f"newsprov-tables-{os.getppid()}-abc"
    for leftover in (stale, live):
        leftover.mkdir()
        (leftover / "table").write_bytes(b"x")
    made = shared_tables.open_folder()
    assert not stale.exists() and live.exists()
    assert not folder.exists() and made.exists()  # this process's earlier folder went too


def test_a_process_leaves_a_folder_it_did_not_make(folder, monkeypatch):
    # A Luigi task process forked from the pool's owner inherits the owner's folder.
    monkeypatch.setattr(shared_tables, "_folder_pid", os.getpid() + 1)
    shared_tables.close_folder()
    assert folder.exists()


def test_the_pool_hands_large_tables_both_ways_and_removes_its_folder(monkeypatch):
    memory = shared_tables.SHARED_MEMORY
    if not (memory.is_dir() and os.access(memory, os.W_OK)) or shutil.disk_usage(memory).free < 256 << 20:
        pytest.skip("no shared memory folder with room for the chunks in flight here (a container's 64 MB /dev/shm)")
    table = big_table(words=12)  # chunks of 5 MB and more, both ways
    # Tables unpickled here are the results: they come through shared_tables._load, looked up by name.
    monkeypatch.setattr(shared_tables, "_load", _counting_load)
    LOADED.clear()
    params = parallel.ParallelParams(processes=2, min_items=1)
    try:
        out = parallel.map_table(_upper_text, table, params)
        made = shared_tables._folder
        assert os.listdir(made) == []  # every table sent was taken up
    finally:
        parallel.shutdown()
    assert out.equals(_upper_text(table))
    assert len(LOADED) == params.workers() * parallel.CHUNKS_PER_PROCESS
    assert not made.exists()


def _upper_text(table: pa.Table) -> pa.Table:
    return table.set_column(1, "text", pc.utf8_upper(table.column("text")))


LOADED: list[str] = []
_LOAD = shared_tables._load


def _counting_load(path: str) -> pa.Table:
    LOADED.append(path)
    return _LOAD(path)
