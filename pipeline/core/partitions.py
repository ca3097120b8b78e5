"""Whether a table partition is published: there, readable, and of the contract's schema version.

A partition counts only when its ``part-0.parquet`` exists, its Parquet footer reads, and the
footer's ``newsprov.schema`` is the one pipeline.core.schema defines: a folder removed by hand,
a file cut short by a full disk or a schema bump all make it unpublished, so the task that writes
it runs again. Luigi asks often; a footer is read once per process per (path, mtime, size, inode).
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.core.errors import OutputError
from pipeline.core.history_index import INDEX_DIR
from pipeline.core.schema import SCHEMA_KEY, TABLES
from pipeline.core.tables import PART_FILE, REPORTS, STAGING, UNBATCHED_DIR, refuse_links

log = logging.getLogger(__name__)

MISSING = "missing"

_checked: dict[tuple[str, int, int, int], str | None] = {}
_history_published: set[tuple[Path | str, str, str]] = set()
_warned: dict[str, str] = {}  # partition -> the problem a WARNING line already named


# Tables that are no part of a batch's output: the gazetteer (unbatched), and the audit table of
# stage runs (one partition per stage run, a batch is complete without it).
NOT_BATCH_OUTPUT = ("outlets", "runs")


# Tables a batch may lack: one ingested before the credits table existed has no credits (its
# attribution stage searches the texts instead). Unreadable, they are rebuilt like any other.
OPTIONAL = ("credits",)


def batched_tables() -> list[str]:
    """Every table a batch publishes one partition of."""
    return [name for name in TABLES if name not in NOT_BATCH_OUTPUT]


def problem(out_dir: Path, table: str, batch: str | None) -> str | None:
    """What keeps a partition from counting as published (``"missing"``, ``"unreadable (...)"``,
    ``"schema documents/0, expected documents/1"``), or None when it is published."""
    path = _part_file(out_dir, table, batch)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return MISSING
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    key = (path, info.st_mtime_ns, info.st_size, info.st_ino)
    if key not in _checked:
        _checked[key] = _footer_problem(path, table)
    return _checked[key]


def _part_file(out_dir: Path, table: str, batch: str | None) -> str:
    # Plain strings, as tables._paths: Luigi asks about every partition of a range many times.
    base = os.path.join(os.fspath(out_dir), table)
    return os.path.join(base, UNBATCHED_DIR if batch is None else batch, PART_FILE)


def _footer_problem(path: str, table: str) -> str | None:
    try:
        metadata = pq.read_metadata(path).schema.to_arrow_schema().metadata or {}
    except (OSError, pa.ArrowException) as exc:
        return f"unreadable ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
    expected = TABLES[table].metadata[SCHEMA_KEY]
    found = metadata.get(SCHEMA_KEY)
    if found != expected:
        return f"schema {found.decode(errors='replace') if found else 'unknown'}, expected {expected.decode()}"
    return None


def published(out_dir: Path, table: str, batch: str | None, lost: bool = False) -> bool:
    """Whether the partition counts. One that is unreadable or of another schema version, or
    missing when ``lost`` (a partition computed from it is published), is named in one WARNING
    line, once per process until it is published again: the run rebuilds it and the tables of
    its batch computed from it. A partition of a batch not yet run, or of a run that was killed,
    is just missing."""
    found = problem(out_dir, table, batch)
    where = os.path.dirname(_part_file(out_dir, table, batch))
    if found is None:
        if _warned:
            _warned.pop(where, None)
        return True
    if _warned.get(where) != found and (found != MISSING or lost):
        _warned[where] = found
        log.warning("%s is %s: rebuilding it and the tables of its batch computed from it", where, found)
    return False


def check_history(out_dir: Path, table: str, batches: list[str]) -> list[str]:
    """``batches``, once each of their ``table`` partitions is found published; else OutputError
    naming the first that is not (a later batch cannot be computed from it). A partition found
    published is not looked at again by this process: a range of daily batches asks about every
    earlier one, a dozen times per batch."""
    for batch in batches:
        if (out_dir, table, batch) in _history_published:
            continue
        found = problem(out_dir, table, batch)
        if found is None:
            _history_published.add((out_dir, table, batch))
        else:
            raise OutputError(
                f"{Path(out_dir) / table}/{batch}, which this batch is joined with, is {found}: "
                f"re-run batch {batch} first (newsprov doctor {out_dir} lists what to re-run)"
            )
    return batches


def staging_leftovers(out_dir: Path, before: float | None = None) -> list[Path]:
    """Entries of ``<out>/.staging`` (last changed before ``before``, a time.time(), when given):
    what a killed run or a full disk left behind."""
    try:
        entries = list(os.scandir(Path(out_dir) / STAGING))
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = []
    for entry in entries:
        try:
            changed = entry.stat(follow_symlinks=False).st_mtime
        except FileNotFoundError:
            continue
        if before is None or changed < before:
            found.append(Path(entry.path))
    return sorted(found)


def remove_staging_leftovers(out_dir: Path, before: float) -> int:
    """Remove what ``staging_leftovers`` finds; how many entries went. Only for a caller that
    holds the output folder's lock (pipeline.runtime.locking): no other run is writing there."""
    refuse_links(Path(out_dir) / STAGING)
    removed = 0
    for path in staging_leftovers(out_dir, before):
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed += 1
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise OutputError(f"cannot remove the staging left-over {path}: {exc.strerror or exc}") from exc
    return removed


def planted_links(out_dir: Path) -> list[Path]:
    """Symbolic links where newsprov writes: ``.staging``, a table folder, the reports folder, the
    history index's folder or a batch (table) folder of one."""
    out, found = Path(out_dir), []
    for name in [STAGING, *TABLES, REPORTS, INDEX_DIR]:
        folder = out / name
        if folder.is_symlink():
            found.append(folder)
        elif name != STAGING and folder.is_dir():
            found += sorted(Path(e.path) for e in os.scandir(folder) if e.is_symlink())
    return found


def refuse_planted_links(out_dir: Path) -> None:
    """Raise OutputError naming the first of ``planted_links``: checked before a run writes
    anything (write_partition checks the folders it writes to again)."""
    refuse_links(*planted_links(out_dir))
