"""Shared fixtures: one real pipeline run on the seeds per test session."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import luigi.configuration
import pytest

from pipeline.orchestration.cli import main

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SEED_BATCH = "2025-10-24"


@dataclass
class SeedRun:
    """A finished run: its output folder, and SQL over its tables as a DuckDB user would write it."""

    out: Path
    input_dir: Path

    def glob(self, table: str) -> str:
        return f"'{self.out}/{table}/**/*.parquet'"

    def sql(self, query: str) -> list[tuple]:
        """Run ``query`` with each table name in braces, e.g. ``{overlaps}``, bound to its files."""
        names = (
            "documents",
            "passages",
            "overlaps",
            "attributions",
            "outlets",
            "rejects",
            "bands",
            "anchors",
            "candidates",
        )
        with duckdb.connect() as con:
            return con.execute(
                query.format(**{n: f"read_parquet({self.glob(n)}, hive_partitioning=false)" for n in names})
            ).fetchall()


@pytest.fixture(scope="session")
def seed_run(tmp_path_factory) -> SeedRun:
    root = tmp_path_factory.mktemp("seed_run")
    input_dir = root / "seeds"
    shutil.copytree(SEEDS, input_dir)
    out = root / "output"
    code = main(["run", str(input_dir), "--out", str(out), "--batch", SEED_BATCH])
    if code != 0:
        pytest.fail(f"newsprov run on the seeds exited {code}")
    return SeedRun(out=out, input_dir=input_dir)


@contextmanager
def settings(*layers: dict[str, dict[str, str]]):
    """luigi.cfg values set for the duration, as a [section] in luigi.cfg would; the previous ones restored."""
    parser = luigi.configuration.get_config()  # loads the repository's luigi.cfg first, as a run would
    added_sections, previous = [], []
    for layer in layers:
        for section, options in layer.items():
            if not parser.has_section(section):
                parser.add_section(section)
                added_sections.append(section)
            for option, value in options.items():
                previous.append(
                    (section, option, parser.get(section, option) if parser.has_option(section, option) else None)
                )
                parser.set(section, option, value)
    try:
        yield
    finally:
        for section, option, value in reversed(previous):
            if value is None:
                parser.remove_option(section, option)
            else:
                parser.set(section, option, value)
        for section in added_sections:
            parser.remove_section(section)
