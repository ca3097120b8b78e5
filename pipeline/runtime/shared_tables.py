"""Arrow tables handed between this process and its pool's workers through shared memory.

multiprocessing pickles a chunk and its result and sends the bytes through a pipe, which the
worker reads when it takes the chunk up: an align chunk of the 20,000-document bench batch
carries about 150 MB of passages and documents, and each worker sat idle 0.3-0.4 s between
two chunks while the next one came through (0.4-0.7 s before the first). Here a table of
``MIN_SHARED_BYTES`` or more is written as an Arrow IPC file into a folder in shared memory
(``/dev/shm``) instead; the pickle holds its path, and the process that unpickles it maps the
file (no copy) and deletes its name at once. The gaps went down to 0.07 s.

Without that folder (not Linux, a read-only /dev/shm), without room in it, or for a table the
IPC file format cannot hold, tables are pickled as before. The folder belongs to the process
that starts the pool and goes with the pool; a run killed before it could remove it leaves it
behind until the next pool starts, which removes the folders of processes that are gone.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from multiprocessing.reduction import ForkingPickler
from pathlib import Path

import pyarrow as pa

SHARED_MEMORY = Path("/dev/shm")
# Smaller tables cost less to pickle than a file costs to create.
MIN_SHARED_BYTES = 4 << 20
_PREFIX = "newsprov-tables-"

# The folder tables go through: the pool owner's, in the owner and in its workers (``use_folder``),
# and the process that made it (a Luigi task process forked from the owner must not remove it).
_folder: Path | None = None
_folder_pid = 0


def open_folder() -> Path | None:
    """Make a folder in shared memory for this process's pool (None where there is none), in place
    of this process's earlier one, after removing those of processes that are gone."""
    global _folder, _folder_pid
    close_folder()
    if not (SHARED_MEMORY.is_dir() and os.access(SHARED_MEMORY, os.W_OK)):
        return None
    for stale in SHARED_MEMORY.glob(f"{_PREFIX}*"):
        owner = stale.name[len(_PREFIX) :].split("-", 1)[0]
        if owner.isdigit() and not _alive(int(owner)):
            shutil.rmtree(stale, ignore_errors=True)
    try:
        _folder, _folder_pid = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=SHARED_MEMORY)), os.getpid()
    except OSError:
        _folder = None
    return _folder


def use_folder(folder: Path | None) -> None:
    """In a worker: hand tables over through the pool owner's folder."""
    global _folder
    _folder = folder


def close_folder() -> None:
    """Remove the folder this process made, with any table sent and never taken up."""
    global _folder
    if _folder is not None and _folder_pid == os.getpid():
        shutil.rmtree(_folder, ignore_errors=True)
        _folder = None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _reduce(table: pa.Table):
    folder = _folder
    if folder is None or table.nbytes < MIN_SHARED_BYTES or shutil.disk_usage(folder).free < 2 * table.nbytes:
        return table.__reduce__()
    path = folder / uuid.uuid4().hex
    try:
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
    except (OSError, pa.ArrowException):  # out of room after all; dictionaries that change between chunks
        path.unlink(missing_ok=True)
        return table.__reduce__()
    return _load, (str(path),)


def _load(path: str) -> pa.Table:
    table = pa.ipc.open_file(pa.memory_map(path)).read_all()  # its buffers keep the mapping alive
    os.unlink(path)
    return table


ForkingPickler.register(pa.Table, _reduce)
