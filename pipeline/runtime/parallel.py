"""Worker processes for the Python-heavy per-document stages (ingest, passages, anchors, align).

One process pool per process running tasks, started on first use and reused by every task and
batch after it (a run over a whole inbox pays its start-up once; with Luigi ``--workers`` above 1
each task runs in a forked process of its own, and its pool ends with it). Work is cut into chunks that
are mapped in order, so a stage's output is the same whether its chunks ran here or in the pool;
below ``ParallelParams.min_items`` items, or with one process, it runs inline.

Workers are started by a forkserver, never forked from this process: polars, DuckDB and Arrow
run threads, and a fork taken while one holds a lock can deadlock the child. The forkserver
preloads nothing, because importing pyarrow or polars starts threads (jemalloc's, polars'), and
the forkserver must stay single-threaded to fork safely; each worker imports the stage modules
itself, once per pool (about a second). Workers get plain picklable inputs (strings, tuples,
Arrow tables) and call top-level functions.
"""

from __future__ import annotations

import atexit
import contextlib
import math
import multiprocessing
import multiprocessing.forkserver
import multiprocessing.resource_tracker
import multiprocessing.util
import os
import select
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core.settings import setting
from pipeline.core.validation import require_at_least
from pipeline.runtime import shared_tables
from pipeline.runtime.interrupts import ctrl_c_deferred
from pipeline.runtime.memory import cyclic_gc_paused, map_large_blocks
from pipeline.runtime.progress import counter, thread_lock_only

T = TypeVar("T")
R = TypeVar("R")

# Chunks per process: enough to even out uneven chunks, few enough to keep per-chunk costs small.
CHUNKS_PER_PROCESS = 4
# Chunks per process submitted ahead of the results: one running and one queued keep a worker busy.
CHUNKS_IN_FLIGHT = 2

# A file or document weighs this many items against ``min_items`` (an article is about ten
# passages).
DOCUMENT_WEIGHT = 10
# Below this many items a stage runs inline: starting the pool (processes importing the stages)
# and shipping chunks cost more than a second core saves; measured whole runs put the break-even
# near 1,500 documents (15,000 passages or candidate pairs).
MIN_ITEMS = 15_000


@dataclass(frozen=True)
class ParallelParams:
    """The ``[parallel]`` settings: ``processes`` 0 means every core this process may use."""

    processes: int = setting(
        0,
        "worker processes for ingest, passages, anchors and align: 0 = every core "
        "this process may use, 1 = none (all inline)",
    )
    min_items: int = setting(
        MIN_ITEMS, "smaller stages (passages or candidate pairs; a file or document counts as 10) run inline"
    )

    def __post_init__(self) -> None:
        require_at_least("parallel", self, ("processes",), 0)
        require_at_least("parallel", self, ("min_items",), 1)

    def workers(self) -> int:
        return self.processes or available_cores()


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity), not the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


_pool: ProcessPoolExecutor | None = None
_pool_size = 0
_pool_pid = 0
# True in a pool worker (set by its initialiser).
_in_worker = False
# True while a pool worker computes a chunk (``_run_chunk``), when Ctrl-C may stop it.
_in_chunk = False
# True in a pool worker once Ctrl-C reached it: it computes no more chunks.
_interrupted = False


def thread_budget() -> int:
    """Threads that work here may run at once: every core in the main process; one in a pool
    worker, whose sibling workers already keep the other cores busy."""
    return 1 if _in_worker else available_cores()


def _start_worker(owner: int, table_folder: Path | None) -> None:
    """Worker initialiser: note that this is a worker, let Ctrl-C stop only a chunk's own work
    (``_interrupt_chunk``), exit when ``owner`` does, and hand tables over through its folder
    (``pipeline.runtime.shared_tables``)."""
    global _in_worker
    _in_worker = True
    map_large_blocks()
    thread_lock_only()
    shared_tables.use_folder(table_folder)
    signal.signal(signal.SIGINT, _interrupt_chunk)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked since the forkserver started
    _exit_with(owner)


def _interrupt_chunk(signum: int, frame: object) -> None:
    """A worker's SIGINT handler. Ctrl-C interrupts the terminal's whole process group: the chunk
    being computed stops, its KeyboardInterrupt going back to the main process like any error of
    a chunk, and chunks already queued for this worker are refused (``_run_chunk``) until the main
    process replaces the pool. Nothing else is interrupted: a worker stopped while sending a result
    left the pool's reader waiting for the rest of that message for ever (the run hung), and each
    worker printed a traceback beside the main process's one line."""
    global _interrupted
    _interrupted = True
    if _in_chunk:
        raise KeyboardInterrupt


def _exit_with(owner: int) -> None:
    """Worker initialiser: exit as soon as process ``owner`` (the one that started the pool) is gone.

    A killed run must leave no workers behind, and nothing else would end them: they wait on a
    queue whose write end they hold themselves, and they keep the forkserver alive.
    """

    def watch() -> None:
        try:
            select.select([os.pidfd_open(owner)], [], [])
        except (AttributeError, OSError):  # no pidfd (not Linux 5.3+), or the owner is already gone
            while True:
                try:
                    os.kill(owner, 0)
                except ProcessLookupError:
                    break
                time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="newsprov-owner-watch", daemon=True).start()


def _start_forkserver() -> None:
    """Start the forkserver with Ctrl-C blocked: a new interpreter, killed with a "Fatal Python
    error" and a traceback by a Ctrl-C to the process group while it started up, before it ignores
    it. The blocked mask is inherited by the forkserver and by every worker it forks, until
    ``_start_worker`` has its handler in place (a worker stopped by Ctrl-C while it imported the
    main module printed a traceback too); a Ctrl-C that came meanwhile reaches this process as
    its mask is put back."""
    multiprocessing.resource_tracker.ensure_running()  # it blocks Ctrl-C itself, then unblocks it
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        with ctrl_c_deferred():  # another thread of this process may take the signal meanwhile
            multiprocessing.forkserver.ensure_running()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _executor(processes: int) -> ProcessPoolExecutor:
    global _pool, _pool_size, _pool_pid
    if _pool is not None and _pool_pid == os.getpid() and _pool_size == processes:
        return _pool
    shutdown()  # a pool of another size
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([])
    _start_forkserver()
    _pool = ProcessPoolExecutor(
        max_workers=processes,
        mp_context=context,
        initializer=_start_worker,
        initargs=(os.getpid(), shared_tables.open_folder()),
    )
    _pool_size, _pool_pid = processes, os.getpid()
    # A Luigi task run with --workers N > 1 is a forked multiprocessing child, which ends without
    # running atexit but joins its children first: workers still waiting for chunks would hang it.
    # Finalizers with an exit priority run before that join; a higher one than the queues' own (10),
    # which would otherwise close them before the workers are told to stop.
    multiprocessing.util.Finalize(None, shutdown, exitpriority=100)
    return _pool


def shutdown() -> None:
    """Stop this process's pool, if it started one (also run at exit)."""
    global _pool
    if _pool is not None and _pool_pid == os.getpid():
        _pool.shutdown(wait=True, cancel_futures=True)
        shared_tables.close_folder()
    _pool = None


atexit.register(shutdown)


def abandon() -> None:
    """Stop this process's pool at once, waiting for nothing (Ctrl-C): its workers are killed,
    whatever they compute, and nothing at exit waits for the pool's queues.

    ``shutdown`` waits for the chunks in hand; a worker in a long numpy or Polars call sees its own
    SIGINT late, or never (Ctrl-C sent to this process alone), and its call queue's feeder thread,
    blocked on a pipe no worker reads any more, was joined at exit for ever. The futures are left
    as they are: the pool's manager thread fails them (BrokenProcessPool) once it sees the workers
    gone, and a future cancelled first would make that thread fail on it with a traceback.
    """
    global _pool
    pool, _pool = _pool, None
    if pool is None or _pool_pid != os.getpid():
        return
    call_queue, result_queue, manager = pool._call_queue, pool._result_queue, pool._executor_manager_thread
    if call_queue is not None:
        call_queue.cancel_join_thread()  # nothing left to send: do not wait for it at exit
    for process in list((pool._processes or {}).values()):
        process.kill()
    if result_queue is not None:
        # A worker killed half-way through sending a result: with this process's own copy of the
        # pipe's write end closed, the manager thread reads the end of the pipe, not for ever.
        result_queue._writer.close()
    pool.shutdown(wait=False)
    if manager is not None:
        # It fails the futures and closes the pool's pipes once it sees the workers gone (at once):
        # still at it when this process exits, it raced the interpreter's own wake-up call to it,
        # which printed a traceback.
        manager.join(timeout=2.0)
    shared_tables.close_folder()


def use_pool(n_items: int, params: ParallelParams, weight: int = 1) -> bool:
    """Whether ``n_items`` of work go to the pool: enough of them (each counting ``weight``
    items), more than one process, and not inside a daemonic process (which may not start children)."""
    return (
        n_items * weight >= params.min_items and params.workers() > 1 and not multiprocessing.current_process().daemon
    )


def n_chunks(n_items: int, params: ParallelParams, weight: int = 1, per_process: int = CHUNKS_PER_PROCESS) -> int:
    """How many chunks to cut ``n_items`` into (``per_process`` per worker): 1 when the work runs inline."""
    if not use_pool(n_items, params, weight):
        return 1
    return max(1, min(n_items, params.workers() * per_process))


def map_chunks(
    function: Callable[[T], R],
    chunks: Iterable[T],
    params: ParallelParams,
    label: str | None = None,
    total: int | None = None,
) -> list[R]:
    """``[function(c) for c in chunks]``, in the pool when there is more than one chunk.

    ``function`` must be a module-level function and the chunks picklable. ``chunks`` may be an
    iterator that builds each chunk when asked: no more than ``CHUNKS_IN_FLIGHT`` per worker are
    built ahead of the results, so a stage's chunks (a bulk load's align chunks are 0.7 GB in all)
    are never all in memory at once. A pool whose worker died (killed, out of memory) is dropped
    and the error raised; the next call starts a new one. ``label`` names a progress bar over the
    chunks (``total`` of them, when ``chunks`` has no length; see ``pipeline.runtime.progress``).
    """
    return list(imap_chunks(function, chunks, params, label, total))


def imap_chunks(
    function: Callable[[T], R],
    chunks: Iterable[T],
    params: ParallelParams,
    label: str | None = None,
    total: int | None = None,
) -> Iterator[R]:
    """``map_chunks``, each result given as soon as it and those before it are done: this process
    can work on the first chunks' results while the pool works on the later ones."""
    if isinstance(chunks, Sequence):
        total = len(chunks)
        if total <= 1:
            yield from (function(chunk) for chunk in chunks)
            return
    if params.workers() <= 1:
        yield from (function(chunk) for chunk in chunks)
        return
    global _pool
    pool = _executor(params.workers())
    ahead = params.workers() * CHUNKS_IN_FLIGHT
    pending: deque[Future[R]] = deque()
    bar = counter(label, total or 0) if label else None
    try:
        for chunk in chunks:
            with ctrl_c_deferred():  # a submit may start a worker: never half of one (see abandon)
                pending.append(pool.submit(_run_chunk, function, chunk))
            del chunk  # the pool holds it until it is sent
            while len(pending) >= ahead:
                result = pending.popleft().result()
                if bar is not None:
                    bar.update()
                yield result
        while pending:
            result = pending.popleft().result()
            if bar is not None:
                bar.update()
            yield result
    except BrokenProcessPool:
        _pool = None
        raise
    except KeyboardInterrupt:
        abandon()  # the next call starts a new pool
        raise
    finally:
        if pool is _pool:  # an abandoned pool's manager thread fails them itself (see abandon)
            for future in pending:
                future.cancel()
        if bar is not None:
            bar.close()


def _run_chunk(function: Callable[[T], R], chunk: T) -> R:
    """A worker's call: the chunk's objects live until it is done, and the cyclic collector would
    walk them again and again (see ``pipeline.runtime.memory.cyclic_gc_paused``)."""
    global _in_chunk
    if _interrupted:
        raise KeyboardInterrupt  # queued before Ctrl-C: the main process is stopping
    with cyclic_gc_paused():
        _in_chunk = True
        try:
            return function(chunk)
        finally:
            _in_chunk = False


class TooSlow(Exception):
    """One item's work ran past its time budget (``time_budget``)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"more than {seconds:g} s")
        self.seconds = seconds


def _too_slow(seconds: float):
    def handler(signum: int, frame: object) -> None:
        raise TooSlow(seconds)

    return handler


@contextlib.contextmanager
def time_budget(seconds: float):
    """Raise ``TooSlow`` in the block once it has run ``seconds`` (0: no budget), so that one item
    (a document) cannot hold up the rest of a stage, inline or in a pool worker alike.

    A timer signal stops the block where it is, inside a regular expression too; outside the main
    thread, where no signal handler can be set, the block runs to its end and raises ``TooSlow``
    after it when it took longer. A block that has a budget must leave nothing half-changed that
    outlives it.
    """
    if seconds <= 0:
        yield
        return
    if threading.current_thread() is not threading.main_thread():
        start = time.monotonic()
        yield
        if time.monotonic() - start > seconds:
            raise TooSlow(seconds)
        return
    previous = signal.signal(signal.SIGALRM, _too_slow(seconds))
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_threads: ThreadPoolExecutor | None = None
_threads_pid = 0


def thread_map(function: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``[function(x) for x in items]`` on a shared thread pool of ``available_cores()`` threads.

    For work that releases the GIL (Polars string kernels, numpy ufuncs over large arrays):
    threads then use every core without a worker process's start-up or copies.
    """
    global _threads, _threads_pid
    if len(items) <= 1:
        return [function(x) for x in items]
    if _threads is None or _threads_pid != os.getpid():  # a forked Luigi worker has none of our threads
        _threads = ThreadPoolExecutor(max_workers=available_cores(), thread_name_prefix="newsprov")
        _threads_pid = os.getpid()
    return list(_threads.map(function, items))


def concurrently(*calls: Callable[[], object]) -> list:
    """``[call() for call in calls]``, each call on a thread of its own when more than one core may
    run (``thread_budget``): for independent pieces of work that let go of the GIL (numpy, Arrow
    compute). An error is raised once every call is done."""
    if len(calls) <= 1 or thread_budget() <= 1:
        return [call() for call in calls]
    with ThreadPoolExecutor(max_workers=len(calls), thread_name_prefix="newsprov-concurrent") as pool:
        futures = [pool.submit(call) for call in calls]
    return [future.result() for future in futures]


def even_slices(n_items: int, parts: int) -> list[tuple[int, int]]:
    """(offset, length) of ``parts`` consecutive slices covering ``range(n_items)``."""
    size = math.ceil(n_items / parts) if parts else n_items
    return [(start, min(size, n_items - start)) for start in range(0, n_items, max(size, 1))]


def grouped_slices(keys: pa.Array | pa.ChunkedArray, parts: int) -> list[tuple[int, int]]:
    """``even_slices`` of ``len(keys)`` rows, each cut moved on to where ``keys`` changes, so a
    key's rows stay in one slice; they must be consecutive (a ``ValueError`` says when not)."""
    if isinstance(keys, pa.ChunkedArray):
        keys = keys.combine_chunks()
    if pa.types.is_dictionary(keys.type):
        keys = keys.cast(keys.type.value_type)
    n = len(keys)
    if not n:
        return []
    starts = np.flatnonzero(np.r_[True, pc.not_equal(keys[1:], keys[:-1]).to_numpy(zero_copy_only=False)])
    if len(starts) != len(pc.unique(keys)):
        raise ValueError("grouped_slices: the rows of a key are not consecutive; sort the table by it first")
    offsets = [offset for offset, _ in even_slices(n, parts)]
    cuts = np.unique(starts[np.minimum(np.searchsorted(starts, offsets), len(starts) - 1)])
    bounds = np.r_[cuts, n]
    return [(int(a), int(b - a)) for a, b in zip(bounds[:-1], bounds[1:])]


def map_table(
    function: Callable[[pa.Table], pa.Table],
    table: pa.Table,
    params: ParallelParams,
    weight: int = 1,
    group_by: str | None = None,
) -> pa.Table:
    """``function(table)`` for a row-wise ``function`` (its output for a slice of rows is the
    output for the whole table restricted to them): slices in the pool, outputs concatenated
    in row order. A row counts ``weight`` items against ``min_items``. ``group_by``: a column
    whose rows of one value ``function`` must see together (``grouped_slices``)."""
    parts = n_chunks(table.num_rows, params, weight)
    if parts <= 1:
        return function(table)
    slices = grouped_slices(table.column(group_by), parts) if group_by else even_slices(table.num_rows, parts)
    outputs = map_chunks(function, (compact_slice(table, o, n) for o, n in slices), params, total=len(slices))
    return pa.concat_tables(outputs).combine_chunks()


def compact_slice(table: pa.Table, offset: int, length: int) -> pa.Table:
    """Rows ``offset:offset+length`` in buffers of their own (a plain slice pickles the whole table's)."""
    return table.take(pa.array(range(offset, offset + length), type=pa.int64()))
