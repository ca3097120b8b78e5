"""The cyclic garbage collector is paused while a stage works and always comes back (pool
workers: tests/test_parallel.py)."""

from __future__ import annotations

import gc

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
