"""Compare every table partition of two newsprov output folders, row for row.

    python scripts/compare_outputs.py OLD_OUT NEW_OUT

Used for changes that must not change results (refactors, speed-ups): run the same inputs
before and after into two folders and compare. Reports are not compared (they embed the
run's time); every Parquet partition is, with pyarrow's ``Table.equals`` (schema metadata
included). Exit 1 when any partition differs or exists on one side only.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pyarrow.parquet as pq


def partitions(root: Path) -> dict[str, Path]:
    return {str(p.relative_to(root)): p for p in sorted(root.rglob("*.parquet"))
            if ".staging" not in p.parts}


def compare(old: Path, new: Path) -> list[str]:
    a, b = partitions(old), partitions(new)
    problems = [f"only in {old}: {k}" for k in sorted(a.keys() - b.keys())]
    problems += [f"only in {new}: {k}" for k in sorted(b.keys() - a.keys())]
    for key in sorted(a.keys() & b.keys()):
        ta, tb = pq.read_table(a[key]), pq.read_table(b[key])
        if not ta.equals(tb, check_metadata=True):
            why = "schema" if not ta.schema.equals(tb.schema, check_metadata=True) else "rows"
            problems.append(f"differs ({why}, {ta.num_rows} vs {tb.num_rows} rows): {key}")
    print(f"{len(a.keys() & b.keys())} partitions compared, {len(problems)} problems")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    problems = compare(Path(argv[0]), Path(argv[1]))
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
