"""Progress bars for the long loops of a run, on a terminal only.

They appear only when stderr is a terminal and the loop has run for a second, so CI logs,
pipes and the test suite stay quiet; set NEWSPROV_PROGRESS=0 to turn them off everywhere.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")


def _enabled() -> bool:
    return os.environ.get("NEWSPROV_PROGRESS", "1") != "0" and os.isatty(2)


def progress(items: Iterable[T], label: str, total: int | None = None) -> Iterator[T]:
    """``items``, with a bar named ``label`` on stderr when that is worth showing."""
    return iter(
        tqdm(
            items,
            desc=label,
            total=total,
            delay=1.0,
            leave=False,
            disable=not _enabled(),
            unit=" items",
            dynamic_ncols=True,
        )
    )


def counter(label: str, total: int) -> tqdm:
    """A bar to ``update()`` by hand (for work queues that grow as they go)."""
    return tqdm(desc=label, total=total, delay=1.0, leave=False, disable=not _enabled(), dynamic_ncols=True)


def thread_lock_only() -> None:
    """Bars in this process guard their writes with a thread lock alone. tqdm's default also makes
    a multiprocessing lock, a named semaphore in a pool worker (started by a forkserver): a worker
    killed on Ctrl-C (``parallel.abandon``) never removed it, and the resource tracker warned
    about it on stderr after the run's one line."""
    tqdm.set_lock(threading.RLock())
