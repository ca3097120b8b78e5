"""Which day folders of an inbox a scheduled run takes, and what it must run again.

A batch links against the batches before it and its clusters update the assignment left by the
one before, so batches are run in date order. Two things break that order in scheduled use: a
day folder that arrives after later days have run (a backfill), and a file added to (or
changed in) a day folder after its batch ran. In both cases the batches from that date on are
removed from ``--out`` and run again, oldest first, with a WARNING naming the folder and the
files: the tables end up as if every file had been there when the first batch ran (the
``*_at`` timestamps aside). Nothing is dropped silently.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import os
import shutil
import sys
import time
from pathlib import Path

import luigi
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.core import tables
from pipeline.core.errors import ConfigError, InputError
from pipeline.core.ids import BATCH_NAME, batch_date
from pipeline.stages.ingest import listed_paths

log = logging.getLogger(__name__)

# Removed first: while a batch's clusters partition exists the batch counts as done, and while its
# documents partition exists its folder is compared with what it ingested. Removing these first
# and last keeps a removal cut short by a crash to be found and finished by the next run.
_REMOVE_FIRST = (tables.REPORTS, "clusters")
_REMOVE_LAST = ("documents", "rejects", "sightings")
_SHOWN = 10


def today() -> dt.date:
    """The latest of the local and the UTC date: a folder named for today is run whether the
    sender dates it in UTC or in this machine's time zone."""
    return max(dt.date.today(), dt.datetime.now(dt.timezone.utc).date())


# Luigi calls a task's requires() several times a build (completion check, scheduling, the end):
# the same warning is given once a minute.
_REPEAT_AFTER_S = 60.0
_warned: dict[str, float] = {}


def _warn_once(message: str, *args) -> None:
    text = message % args
    now = time.monotonic()
    if now - _warned.get(text, -math.inf) >= _REPEAT_AFTER_S:
        _warned[text] = now
        log.warning(text)


def _named(items: list[str]) -> str:
    return ", ".join(items[:_SHOWN]) + (f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")


def dated_folders(inbox: Path) -> list[tuple[dt.date, Path]]:
    """The ``YYYY-MM-DD`` subfolders of an inbox, oldest first. Anything else is not run, and one
    WARNING says what and why (``20250305`` and ``2025-W10-3`` are read by ``date.fromisoformat``
    as 2025-03-05 too: only the exact spelling is taken, so no two folders share a date)."""
    found, skipped = [], []
    for entry in sorted(Path(inbox).iterdir()):
        if not BATCH_NAME.fullmatch(entry.name):
            skipped.append(f"{entry.name} (not named YYYY-MM-DD)")
            continue
        date = batch_date(entry.name)
        if date is None:
            skipped.append(f"{entry.name} (no such date)")
            continue
        if not entry.is_dir():
            skipped.append(f"{entry.name} (not a folder)")
            continue
        found.append((date, entry))
    if skipped:
        _warn_once(
            "inbox %s: %d entries are not batch folders and are not run: %s", inbox, len(skipped), _named(skipped)
        )
    return found


def window(inbox: Path, stop: dt.date, days_back: int) -> list[tuple[dt.date, Path]]:
    """The batch folders from ``stop - days_back`` through ``stop``, oldest first; a WARNING names
    the folders before and after the window."""
    start = stop - dt.timedelta(days=days_back)
    folders = dated_folders(inbox)
    before = [date.isoformat() for date, _ in folders if date < start]
    if before:
        _warn_once(
            "inbox %s: %d batch folders before %s are outside --days-back and not run: %s",
            inbox,
            len(before),
            start,
            _named(before),
        )
    after = [date.isoformat() for date, _ in folders if date > stop]
    if after:
        _warn_once(
            "inbox %s: %d batch folders after %s (--stop, default today) are dated in the future and not run: %s",
            inbox,
            len(after),
            stop,
            _named(after),
        )
    return [(date, path) for date, path in folders if start <= date <= stop]


class DaysBack(luigi.IntParameter):
    """A number of days, 0 or more; a negative one on the command line is one line of error, exit 2."""

    def parse(self, x):
        value = super().parse(x)
        if value < 0:
            print(f"luigi: --days-back must be 0 or more (days before --stop), got {value}", file=sys.stderr)
            raise SystemExit(2)
        return value

    def normalize(self, x):
        value = super().normalize(x)
        if value is not None and value < 0:
            raise ConfigError(f"days_back must be 0 or more (days before stop), got {value}")
        return value


def archived_batches(out: Path) -> list[str]:
    """Batch dates with any partition under ``out``, oldest first."""
    if not Path(out).is_dir():
        return []
    return sorted({entry.name for entry in Path(out).glob("*/*") if batch_date(entry.name)})


def folder_changes(out: Path, batch: str, folder: Path) -> tuple[list[str], list[str], list[str]]:
    """(added, changed, missing): files of ``folder`` that the batch's documents, sightings and
    rejects do not name; files modified after the batch ingested them (by modification time; a
    document's file is changed only if its bytes differ from ``documents.source_sha256``); and
    what the batch ingested that the folder no longer holds."""
    ingested, ingested_at = _ingested(Path(out), batch)
    added, changed, listed, now = [], [], listed_paths(folder), time.time_ns()
    for path in listed:
        if path not in ingested:
            added.append(path)
            continue
        try:
            modified = os.stat(Path(folder) / path).st_mtime_ns
        except OSError:
            continue  # a name ingest could not read either (a reject)
        if ingested_at is None or not _epoch_ns(ingested_at) < modified <= now:
            continue  # a time in the future (clock skew, an unpacked archive) would run the batch at every run
        digest = ingested[path]
        if digest is not None and digest == _sha256(Path(folder) / path):
            continue  # touched, not changed
        changed.append(path)
    return added, changed, sorted(set(ingested) - set(listed))


_INGEST_TABLES = (("rejects", "rejected_at"), ("sightings", "seen_at"), ("documents", "ingested_at"))
_ingested_of: dict[tuple, tuple[dict[str, str | None], dt.datetime | None]] = {}


def _ingested(out: Path, batch: str) -> tuple[dict[str, str | None], dt.datetime | None]:
    """The batch's source paths (with ``source_sha256`` for documents) and when it ingested them,
    kept per partition files: an Inbox run looks at every batch of its window, several times."""
    paths = [tables.partition_dir(out, table, batch) / tables.PART_FILE for table, _ in _INGEST_TABLES]
    stats = [os.stat(path) if path.is_file() else None for path in paths]
    key = tuple((os.fspath(path), st.st_mtime_ns, st.st_ino) for path, st in zip(paths, stats) if st is not None)
    if key in _ingested_of:
        return _ingested_of[key]
    ingested: dict[str, str | None] = {}
    ingested_at = None
    for (table, column), path, st in zip(_INGEST_TABLES, paths, stats):
        if st is None:
            continue
        # Read here, not through the tables' cache: three small columns of a partition of GBs.
        rows = pq.read_table(
            path, columns=["source_path", column] + (["source_sha256"] if table == "documents" else [])
        )
        digests = rows.column("source_sha256").to_pylist() if table == "documents" else [None] * rows.num_rows
        ingested.update(zip(rows.column("source_path").to_pylist(), digests))
        if rows.num_rows:
            first = pc.min(rows.column(column)).as_py()
            ingested_at = first if ingested_at is None else min(ingested_at, first)
    _ingested_of[key] = ingested, ingested_at
    return ingested, ingested_at


def _epoch_ns(moment: dt.datetime) -> int:
    return int(moment.timestamp()) * 10**9 + moment.microsecond * 1000


def _sha256(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def prepare(out: Path, folders: list[tuple[dt.date, Path]]) -> list[str]:
    """Make ``out`` ready to run ``folders`` (date, folder), oldest first, as a date-ordered run
    would have: a batch whose folder gained or changed files since it ran, and every batch after
    it, is removed; so is every batch after a folder that has not run yet (a backfill). Returns
    the batches removed. A batch to remove whose folder is not in ``folders``, or no longer holds
    files the batch ingested, could not be run again as it was: InputError, before anything is
    removed."""
    out = Path(out)
    archived = archived_batches(out)
    if not archived:
        return []
    by_batch = {date.isoformat(): folder for date, folder in folders}
    redo_from, reasons = None, []
    for batch, folder in sorted(by_batch.items()):
        if (tables.partition_dir(out, "documents", batch) / tables.PART_FILE).is_file():
            added, changed, _ = folder_changes(out, batch, folder)
            if not (added or changed):
                continue
            start = batch
            reasons.append(
                f"folder {folder} has "
                + "; ".join(
                    filter(
                        None,
                        [
                            added and f"{len(added)} files its batch did not ingest: {_named(added)}",
                            changed and f"{len(changed)} files changed since its batch ran: {_named(changed)}",
                        ],
                    )
                )
            )
        elif batch not in archived:  # nothing of it under out yet
            later = [b for b in archived if b > batch]
            if not later:
                continue
            start = later[0]
            reasons.append(f"folder {folder} (batch {batch}) arrived after later batches ran: {_named(later)}")
        else:  # partitions but no documents: a lost partition, which running the batch rebuilds
            continue
        redo_from = start if redo_from is None else min(redo_from, start)
    if redo_from is None:
        return []
    why = "; ".join(reasons)
    redo = [b for b in archived if b >= redo_from]
    missing = [b for b in redo if b not in by_batch]
    if missing:
        raise InputError(
            f"{why}; the batches from {redo_from} on must run again in date order, but this run has "
            f"no folder for {_named(missing)}: run the Inbox task over an inbox (and --days-back) "
            "that holds every day folder from that date on"
        )
    for batch in redo:
        if (tables.partition_dir(out, "documents", batch) / tables.PART_FILE).is_file():
            missing = folder_changes(out, batch, by_batch[batch])[2]
            if missing:
                raise InputError(
                    f"{why}; batch {batch} must run again, but its folder {by_batch[batch]} no longer "
                    f"holds {len(missing)} files it ingested: {_named(missing)}; put them back, or "
                    "remove the batch's partitions from --out to rebuild it from the folder as it is"
                )
    log.warning(
        "%s: batches %s are removed from %s and run again, oldest first, so that they link and cluster "
        "as in date order",
        why,
        _named(redo),
        out,
    )
    for batch in reversed(redo):
        remove_batch(out, batch)
    return redo


def remove_batch(out: Path, batch: str) -> None:
    """Every partition of ``batch`` under ``out`` (the report included), the batch's completion
    marker first and its ingest tables last."""
    partitions = [path for path in Path(out).glob(f"*/{batch}") if path.is_dir()]

    def order(path: Path) -> tuple[int, int, str]:
        table = path.parent.name
        if table in _REMOVE_FIRST:
            return 0, _REMOVE_FIRST.index(table), table
        return (2, _REMOVE_LAST.index(table), table) if table in _REMOVE_LAST else (1, 0, table)

    for path in sorted(partitions, key=order):
        shutil.rmtree(path)


def refuse_later_batches(out: Path, batch: str) -> None:
    """InputError when ``batch`` has nothing under ``out`` yet and a later batch has been ingested:
    run in that order, this batch would miss its links to the later ones and make their texts
    documents twice. (A batch with some partitions is being rebuilt, e.g. by ``newsprov doctor --fix``.)"""
    later = [b for b in tables.batches_of(Path(out), "documents") if b > batch]
    if later and batch not in archived_batches(out):
        raise InputError(
            f"batch {batch} is older than batches already under {out} ({_named(later)}): a backfill "
            "must run them again after it; put the day folders in one inbox and run the Inbox task "
            "(see README, Late folders and backfills)"
        )
