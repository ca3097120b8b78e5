"""The runs table: one row per batch and stage, for auditing what ran, with which code and settings.

Each stage's task publishes its own row as ``runs/<date>/<Stage>/part-0.parquet``
when it has succeeded, after its tables (``tables.write_partition``, like every table). The
row is no part of the stage's output: a batch whose stages ran before this table existed, or
one killed between publishing its tables and its row, is complete without it; running a stage
again replaces its row.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import subprocess
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import __version__
from pipeline.core import tables
from pipeline.core.schema import RUNS
from pipeline.runtime.memory import peak_rss_bytes


@dataclass(frozen=True)
class StageRun:
    """One row of the runs table (see pipeline.core.schema.RUNS for each field)."""

    batch: str
    stage: str
    code_version: str
    settings_hash: str
    rows_in: int | None
    rows_out: int
    seconds: float
    peak_rss_bytes: int
    skipped_buckets: int | None
    skipped_anchors: int | None
    finished_at: dt.datetime


@functools.cache
def code_version() -> str:
    """The package version, and ``git describe`` of the checkout it runs from, if it runs from one.
    Once per process: ``git describe --dirty`` walks the work tree, and a run records a row per stage
    and batch."""
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():  # an installed copy: site-packages is no checkout
        return __version__
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=root, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return __version__
    revision = described.stdout.strip()
    return f"{__version__}+{revision}" if described.returncode == 0 and revision else __version__


def settings_hash(sections: Iterable[str]) -> str:
    """A hash of the effective values (luigi.cfg over the defaults) of the named luigi.cfg sections."""
    from pipeline.orchestration import config

    values = {section: getattr(config, section)().param_kwargs for section in sorted(sections)}
    return hashlib.blake2b(json.dumps(values, sort_keys=True, default=str).encode(), digest_size=8).hexdigest()


def count_rows(partitions: Iterable[Path]) -> int:
    """Rows of published partitions, from their Parquet footers."""
    return sum(pq.read_metadata(Path(folder) / tables.PART_FILE).num_rows for folder in partitions)


def stage_run(
    batch: str,
    stage: str,
    sections: Iterable[str],
    read: list[Path] | None,
    published: list[Path],
    seconds: float,
    skipped: tuple[int, int | None] | None,
) -> StageRun:
    """The runs row of a stage that has just published ``published``, having read ``read``
    (None: it reads no table of its batch)."""
    return StageRun(
        batch=batch,
        stage=stage,
        code_version=code_version(),
        settings_hash=settings_hash(sections),
        rows_in=None if read is None else count_rows(read),
        rows_out=count_rows(published),
        seconds=seconds,
        peak_rss_bytes=peak_rss_bytes(),
        skipped_buckets=None if skipped is None else skipped[0],
        skipped_anchors=None if skipped is None else skipped[1],
        finished_at=dt.datetime.now(dt.timezone.utc),
    )


def write_run(run: StageRun, out_dir: Path) -> Path:
    """Publish ``run`` as its stage's partition of the runs table."""
    return tables.write_partition(
        pa.Table.from_pylist([asdict(run)], schema=RUNS), out_dir, "runs", run.batch, stage=run.stage
    )
