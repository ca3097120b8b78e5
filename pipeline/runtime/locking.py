"""One writer per output folder: a second ``newsprov run`` on the same --out waits for no one and
stops at once with a clear message, instead of interleaving writes with the first. The writer
that holds the lock removes what killed runs left in ``.staging``. Neither the lock file nor the
write probe is ever opened through a symbolic link."""

from __future__ import annotations

import fcntl
import logging
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.core.errors import NewsprovError, OutputError
from pipeline.core.partitions import refuse_planted_links, remove_staging_leftovers
from pipeline.core.tables import STAGING

LOCK_FILE = ".newsprov.lock"

log = logging.getLogger(__name__)


class AlreadyRunning(NewsprovError):
    """Another run holds the output folder's lock."""


@contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``out_dir`` for the duration of the block.

    The lock is an ``flock`` on ``out_dir/.newsprov.lock``: the kernel releases it when the
    process ends, so a crashed or killed run never leaves a stale lock behind.
    """
    path = Path(out_dir) / LOCK_FILE
    try:
        # Never through a link: one planted at the lock's name would have its target overwritten.
        handle = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644), "r+")
    except OSError as exc:
        why = "it is a symbolic link; remove it" if os.path.islink(path) else f"{exc.strerror}; pass a writable --out"
        raise OutputError(f"cannot open the lock file {path}: {why}") from exc
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise AlreadyRunning(
                f"another run is writing to {out_dir} (pid {holder}); wait for it to finish or pass a different --out"
            ) from None
        acquired = time.time()
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        # Holding the lock, no other run writes here: what .staging holds from before is a killed
        # run's or a full disk's, never read again.
        refuse_planted_links(Path(out_dir))
        removed = remove_staging_leftovers(Path(out_dir), before=acquired)
        if removed:
            log.warning(
                "removed %d staging left-over%s of an earlier run from %s",
                removed,
                "" if removed == 1 else "s",
                Path(out_dir) / STAGING,
            )
        yield
    finally:
        handle.close()


def check_writable(out_dir: Path) -> None:
    """Raise OutputError unless a file can be created in ``out_dir``. The probe has a name of its
    own, is created exclusively and never through a link, so nothing already there is touched."""
    probe = Path(out_dir) / f".newsprov-write-test-{os.getpid()}-{uuid.uuid4().hex}"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600))
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"output folder {out_dir} is not writable ({exc.strerror}): pass a writable --out") from exc


def writer_pid(out_dir: Path) -> str | None:
    """The pid of the run that holds ``out_dir``'s lock now, or None when no run does."""
    try:
        handle = os.fdopen(os.open(Path(out_dir) / LOCK_FILE, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC), "r")
    except OSError:
        return None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return handle.read().strip() or "unknown"
        return None
