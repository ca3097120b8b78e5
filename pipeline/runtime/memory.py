"""Handing freed memory back to the operating system between tasks, and keeping the cyclic
garbage collector out of the stages' way.

`newsprov run` runs every task of a batch in one process. Each stage frees what it built (Python
objects per passage, Arrow tables), but the allocators keep the pages: Arrow's pool keeps them
for reuse and glibc's malloc keeps everything below its highest live block. On a 1M-passage batch
the process then carried the earlier stages' high-water mark into every later one, and the
peak RSS was the sum rather than the largest stage.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import gc
import resource
import sys
from collections.abc import Iterator

import pyarrow as pa


@functools.cache
def _libc(name: str):
    """The C library's function ``name`` (glibc's ``malloc_trim``, ``mallopt``), or None where the C
    library has none (musl, macOS)."""
    try:
        return getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), name)
    except (OSError, AttributeError):
        return None


# glibc's M_MMAP_THRESHOLD, and the size from which blocks are mapped of their own.
_M_MMAP_THRESHOLD, MAPPED_BLOCK_BYTES = -3, 1 << 20


def map_large_blocks() -> None:
    """Have malloc map every block of ``MAPPED_BLOCK_BYTES`` or more on its own, so that it goes
    back to the system when freed, in the middle of a stage too.

    glibc raises its threshold to the largest block freed (up to 32 MB): after that, a stage's
    numpy arrays of a few MB (one band's rows, one chunk's pairs) came from the heap, and what
    they left there stayed until the task ended, under the stage's next high-water mark. Setting
    the threshold keeps it where it is.
    """
    mallopt = _libc("mallopt")
    if mallopt is not None:
        mallopt(_M_MMAP_THRESHOLD, MAPPED_BLOCK_BYTES)


def release_arrow_pool() -> None:
    """Hand the pages Arrow's pool keeps of freed buffers back to the system, in the middle of a
    stage: converting a bulk load's band rows to numpy frees 0.7 GB of Arrow copies that the pool
    would keep through the pairing that follows."""
    pa.default_memory_pool().release_unused()


def release_memory() -> None:
    """Collect garbage, then return freed pages of Arrow's pool and of malloc to the system.

    What is still alive after a full collection between tasks is long-lived (the gazetteer's
    190,000 objects, caches, Luigi's tasks): frozen, later collections pass over it. Each full
    collection had walked it all again, 2 s of the main process on the 20,000-document bench
    batch. Frozen objects are still freed when their last reference goes; only a reference cycle
    among them would outlive the run.
    """
    gc.collect()
    gc.freeze()
    release_arrow_pool()
    trim = _libc("malloc_trim")
    if trim is not None:
        trim(0)


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Run a block without the cyclic garbage collector; reference counting still frees
    everything but reference cycles, and the stages' records (words, spans, rows) hold none.

    A stage builds millions of small objects that live until it ends, and each pass of the
    collector's oldest generation walks all of them again, one pass per quarter it grows by:
    a large share of align's time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def task_started() -> None:
    """Luigi START handler for a run whose tasks all run in this process: no cyclic collection
    while the task runs (see ``cyclic_gc_paused``)."""
    gc.disable()


def task_ended() -> None:
    """Luigi SUCCESS and FAILURE handler: what the task freed goes back to the system, and the
    cyclic collector runs again (its full collection here finds the task's cycles, if any)."""
    release_memory()
    gc.enable()


def peak_rss_bytes() -> int:
    """This process's peak resident memory since it started (``getrusage``; its pool workers not
    included). Never reset here: a benchmark reads the same high-water mark when the process ends."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, kilobytes elsewhere
