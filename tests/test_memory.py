"""The cyclic garbage collector is paused while a stage works and always comes back (pool
workers: tests/test_parallel.py); freed large blocks go back to the system at once."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

import pytest

from pipeline.runtime import memory


def test_the_collector_comes_back_after_a_failure_and_stays_off_if_it_was():
    with pytest.raises(RuntimeError), memory.cyclic_gc_paused():
        assert not gc.isenabled()
        raise RuntimeError("a stage failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with memory.cyclic_gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_task_runs_without_the_collector_and_its_cycles_are_collected_when_it_ends():
    class Node:
        def __init__(self):
            self.me = self

    memory.task_started()
    try:
        assert not gc.isenabled()
        Node()  # unreachable at once, but a cycle: only the collector frees it
        assert any(type(o) is Node for o in gc.get_objects())
    finally:
        memory.task_ended()
    assert gc.isenabled()
    assert not any(type(o) is Node for o in gc.get_objects())


_HELD_AFTER_FREEING = """
import sys
import numpy as np
from pipeline.runtime import memory

def anon_mb():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) >> 10

if sys.argv[1] == "mapped":
    memory.map_large_blocks()
big = np.ones(8 << 17)  # 8 MB, freed: glibc would take blocks of up to 8 MB from the heap after it
del big
before = anon_mb()
blocks = [np.ones(4 << 17) for _ in range(100)]  # 100 blocks of 4 MB
top = np.ones(1 << 14)  # a small block above them, still alive: the heap cannot shrink below it
del blocks
print(anon_mb() - before)
"""


@pytest.mark.skipif(memory._libc("mallopt") is None or not os.path.exists("/proc/self/status"), reason="glibc on Linux")
def test_large_blocks_go_back_to_the_system_when_freed_in_the_middle_of_a_task():
    def held(mode: str) -> int:
        run = subprocess.run([sys.executable, "-c", _HELD_AFTER_FREEING, mode], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        return int(run.stdout)

    assert held("default") > 300  # what a stage's freed arrays kept before
    assert held("mapped") < 50
