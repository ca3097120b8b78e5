"""Compare every table partition of two newsprov output folders, row for row.

    python scripts/compare_outputs.py OLD_OUT NEW_OUT

Used for changes that must not change results (refactors, speed-ups): run the same inputs
before and after into two folders and compare. Reports are not compared; every Parquet
partition is, with pyarrow's ``Table.equals``, except the columns that record when a row was
written (they differ run to run). Field docs and table metadata that changed are listed apart:
a moved module changes the doc that names it, not the data. Exit 1 when any partition's data
differs or a partition exists on one side only.

Outputs of the older layout (``<table>/batch=<date>/``, ``runs/.../stage=<Stage>/``,
``outlets/part-0.parquet``) are matched to the current one (``<table>/<date>/``,
``outlets/gazetteer/``), and the ``batch`` column that the current layout adds to bands, anchors,
candidates and sentence_bands is left out when the other side has none.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow.parquet as pq

WRITE_TIME_COLUMNS = ("ingested_at", "rejected_at", "seen_at")
SHOWN = 20


def _key(relative: Path) -> str:
    parts = [part.split("=", 1)[1] if part.startswith(("batch=", "stage=")) else part for part in relative.parts]
    if parts == ["outlets", "part-0.parquet"]:
        parts = ["outlets", "gazetteer", "part-0.parquet"]
    return "/".join(parts)


def partitions(root: Path) -> dict[str, Path]:
    return {_key(p.relative_to(root)): p for p in sorted(root.rglob("*.parquet")) if ".staging" not in p.parts}


def _data(path: Path):
    table = pq.read_table(path)
    return table.drop_columns([c for c in WRITE_TIME_COLUMNS if c in table.column_names])


def compare(old: Path, new: Path) -> tuple[list[str], list[str]]:
    """(data problems, metadata-only differences)."""
    a, b = partitions(old), partitions(new)
    problems = [f"only in {old}: {k}" for k in sorted(a.keys() - b.keys())]
    problems += [f"only in {new}: {k}" for k in sorted(b.keys() - a.keys())]
    docs = []
    for key in sorted(a.keys() & b.keys()):
        ta, tb = _data(a[key]), _data(b[key])
        if ("batch" in ta.column_names) != ("batch" in tb.column_names):  # added with the bare-date layout
            ta, tb = (t.drop_columns(["batch"]) if "batch" in t.column_names else t for t in (ta, tb))
        if not ta.equals(tb):
            why = "schema" if not ta.schema.equals(tb.schema) else "rows"
            problems.append(f"differs ({why}, {ta.num_rows} vs {tb.num_rows} rows): {key}")
        elif not ta.schema.equals(tb.schema, check_metadata=True):
            docs.append(key)
    print(
        f"{len(a.keys() & b.keys())} partitions compared: {len(problems)} differ in data, "
        f"{len(docs)} only in field docs or metadata"
    )
    return problems, docs


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    problems, docs = compare(Path(argv[0]), Path(argv[1]))
    for line in problems[:SHOWN]:
        print(line)
    if len(problems) > SHOWN:
        print(f"... and {len(problems) - SHOWN} more")
    if docs:
        print(f"metadata only, e.g. {docs[0]}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
