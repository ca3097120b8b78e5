"""One writer per output folder: a second ``newsprov run`` on the same --out waits for no one and
stops at once with a clear message, instead of interleaving writes with the first."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.core.errors import NewsprovError

LOCK_FILE = ".newsprov.lock"


class AlreadyRunning(NewsprovError):
    """Another run holds the output folder's lock."""


@contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``out_dir`` for the duration of the block.

    The lock is an ``flock`` on ``out_dir/.newsprov.lock``: the kernel releases it when the
    process ends, so a crashed or killed run never leaves a stale lock behind.
    """
    path = Path(out_dir) / LOCK_FILE
    handle = open(path, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise AlreadyRunning(f"another run is writing to {out_dir} (pid {holder}); "
                                 "wait for it to finish or pass a different --out") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()
