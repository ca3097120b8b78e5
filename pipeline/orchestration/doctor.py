"""``newsprov doctor OUT``: is every table of every batch under OUT there, readable, of the
contract's schema version and consistent with the others; and what to run to repair it.

    newsprov doctor output                        # list what is wrong and the commands that fix it
    newsprov doctor output --fix --inbox INBOX    # run them (INBOX/<YYYY-MM-DD>/ holds each batch's files)

A batch's input folder is not recorded in the tables (documents.source_path is relative to it),
so re-running a batch needs ``--inbox``. A re-run rebuilds exactly the partitions that are
missing or unreadable and the tables of the batch computed from them (pipeline.core.partitions).
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import luigi
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.core import history_index, partitions
from pipeline.core.errors import InputError, OutputError
from pipeline.core.tables import OLD_BATCH_PREFIX, PART_FILE, STAGING, partition_dir
from pipeline.orchestration import cli
from pipeline.orchestration.tasks import Outlets
from pipeline.runtime.locking import output_lock, writer_pid

# Columns that name documents, per table, checked against the documents of every batch.
DOCUMENT_REFERENCES = {"overlaps": ("doc_a", "doc_b"), "provenance": ("doc_id", "source_doc_id")}


@dataclass(frozen=True)
class Finding:
    """One thing wrong with the output folder; ``batch`` when re-running that batch repairs it."""

    what: str
    batch: str | None = None
    fix: str | None = None  # what to do when re-running a batch does not repair it


def batches_under(out: Path) -> list[str]:
    """Every batch that has a folder in any batched table, oldest first (any folder name but a
    hidden one: a name that is not a date is a finding)."""
    found = set()
    for table in partitions.batched_tables():
        try:
            found.update(e.name for e in os.scandir(out / table) if e.is_dir() and not e.name.startswith("."))
        except (FileNotFoundError, NotADirectoryError):
            continue
    return sorted(found)


def examine(out: Path) -> list[Finding]:
    """Everything wrong with the tables under ``out``."""
    if not out.is_dir():
        raise InputError(f"{out} is not a folder: pass the --out folder of newsprov run")
    findings = _links(out)
    batches = []
    for batch in batches_under(out):
        if batch.startswith(OLD_BATCH_PREFIX):
            findings.append(
                Finding(
                    f"{batch}: a partition folder of the older layout (batch=<date>)",
                    fix=f"older layout: newsprov upgrade --out {out}",
                )
            )
            continue
        try:
            dt.date.fromisoformat(batch)
            batches.append(batch)
        except ValueError:
            findings.append(Finding(f"{batch}: not a batch date (YYYY-MM-DD)", fix=f"{batch}: remove {out}/*/{batch}"))
    for batch in batches:
        for table in partitions.batched_tables():
            problem = partitions.problem(out, table, batch)
            if problem is not None and not (problem == partitions.MISSING and table in partitions.OPTIONAL):
                findings.append(Finding(f"{table}/{batch}: {problem}", batch=batch))
    if batches and partitions.problem(out, "outlets", None) is not None:
        findings.append(
            Finding(
                f"outlets: {partitions.problem(out, 'outlets', None)}",
                fix=f"outlets: newsprov doctor {out} --fix rewrites it",
            )
        )
    findings += _consistency(out, batches)
    findings += [
        Finding(
            stale,
            fix=f"stale history index segments and row stores: the next newsprov run on {out} removes them "
            f"and indexes and stores their batches again, as does newsprov doctor {out} --fix (removing them)",
        )
        for stale in history_index.stale_segments(out)
    ]
    leftovers = partitions.staging_leftovers(out)
    writing = writer_pid(out)
    if writing is not None:
        findings.append(
            Finding(
                f"a run (pid {writing}) is writing to {out} now: what it has not published yet "
                "shows as missing, and .staging is its own",
                fix=f"run newsprov doctor {out} again once it has finished",
            )
        )
    elif leftovers:
        findings.append(
            Finding(
                f"{STAGING}: {len(leftovers)} left-over{'' if len(leftovers) == 1 else 's'} of killed or failed runs",
                fix=f"staging left-overs: the next newsprov run on {out} "
                f"removes them, as does newsprov doctor {out} --fix",
            )
        )
    return findings


def _links(out: Path) -> list[Finding]:
    return [
        Finding(
            f"{link.relative_to(out)}: a symbolic link (to {os.readlink(link)}); newsprov refuses to write through it",
            fix=f"remove the symbolic link {link}",
        )
        for link in partitions.planted_links(out)
    ]


def _readable(out: Path, table: str, batch: str) -> str | None:
    if partitions.problem(out, table, batch) is None:
        return os.path.join(partition_dir(out, table, batch), PART_FILE)
    return None


def _consistency(out: Path, batches: list[str]) -> list[Finding]:
    """doc_id unique across batches; every document an overlap or a provenance link names is in
    the documents of some batch (over the partitions that read)."""
    findings = []
    batch_of: dict[str, str] = {}
    repeated: Counter[tuple[str, str]] = Counter()
    for batch in batches:
        path = _readable(out, "documents", batch)
        if path is None:
            continue
        for doc_id in pq.read_table(path, columns=["doc_id"]).column("doc_id").to_pylist():
            if doc_id in batch_of:
                repeated[(batch_of[doc_id], batch)] += 1
            else:
                batch_of[doc_id] = batch
    for (first, again), n in sorted(repeated.items()):
        findings.append(
            Finding(
                f"documents: {n} doc_id{'' if n == 1 else 's'} of batch {first} again in batch {again}",
                fix=f"doc_ids in two batches: remove the tables of the batch that should "
                f"not hold them ({out}/*/{again} or {out}/*/{first})",
            )
        )
    if any(_readable(out, "documents", batch) is None for batch in batches):
        return findings  # a lost documents partition is a finding already; re-running its batch comes first
    known = pa.array(list(batch_of), pa.string())
    for table, columns in DOCUMENT_REFERENCES.items():
        for batch in batches:
            path = _readable(out, table, batch)
            if path is None:
                continue
            data = pq.read_table(path, columns=list(columns))
            if not data.num_rows:
                continue
            named = pc.unique(pa.concat_arrays([chunk for column in data.columns for chunk in column.chunks]))
            unknown = named.filter(pc.invert(pc.is_in(named, value_set=known)))
            if len(unknown):
                findings.append(
                    Finding(
                        f"{table}/{batch}: {len(unknown)} document{'' if len(unknown) == 1 else 's'} named here "
                        f"{'is' if len(unknown) == 1 else 'are'} in no batch's documents (e.g. {unknown[0]})",
                        fix=f"{table}/{batch} names documents no batch holds: remove {out}/*/{batch} "
                        f"and re-run batch {batch}",
                    )
                )
    return findings


def fix_commands(out: Path, findings: list[Finding], inbox: Path | None) -> list[str]:
    """The commands that repair ``findings``, one per line."""
    commands = []
    for batch in sorted({f.batch for f in findings if f.batch}):
        source = inbox / batch if inbox is not None else f"<the input folder of batch {batch}>"
        commands.append(f"newsprov run {source} --out {out} --batch {batch}")
    if any(f.batch for f in findings) and inbox is None:
        commands.append(
            f"or: newsprov doctor {out} --fix --inbox INBOX  (INBOX/<YYYY-MM-DD>/ holds each batch's files)"
        )
    commands += sorted({f"{f.fix}" for f in findings if f.fix and not f.batch})
    return commands


def report(out: Path, findings: list[Finding], inbox: Path | None) -> str:
    if not findings:
        return f"{out}: every table of every batch is published, readable and consistent"
    lines = [f"{out}: {len(findings)} problem{'' if len(findings) == 1 else 's'}"]
    lines += [f"  {finding.what}" for finding in findings]
    lines.append("to fix:")
    lines += [f"  {command}" for command in fix_commands(out, findings, inbox)]
    return "\n".join(lines)


def repair(out: Path, findings: list[Finding], inbox: Path | None) -> None:
    """Re-run every batch with a finding, oldest first (each run removes staging left-overs first),
    and rewrite the outlets table when it is lost."""
    batches = sorted({f.batch for f in findings if f.batch})
    if batches and inbox is None:
        raise InputError(
            f"--fix needs --inbox INBOX to re-run batch{'' if len(batches) == 1 else 'es'} "
            f"{', '.join(batches)}: the tables do not record a batch's input folder "
            "(INBOX/<YYYY-MM-DD>/ must hold each batch's files)"
        )
    for batch in batches:
        if not (inbox / batch).is_dir():
            raise InputError(
                f"{inbox / batch} is not a folder: --inbox must hold the files of batch {batch} in {inbox}/{batch}/"
            )
    _rewrite_outlets_and_clear_staging(out)
    for batch in batches:  # through `newsprov run` itself
        if cli.main(["run", str(inbox / batch), "--out", str(out), "--batch", batch]) != 0:
            raise OutputError(f"re-running batch {batch} failed (see above); run doctor again once it is fixed")


def _rewrite_outlets_and_clear_staging(out: Path) -> None:
    with output_lock(out):  # taking it removes staging left-overs
        history_index.drop_unused(out)  # lookups leave them out; the next run indexes their batches again
        if partitions.problem(out, "outlets", None) is not None and batches_under(out):
            luigi.build([Outlets(out_dir=str(out))], local_scheduler=True, log_level="WARNING")


def doctor_command(out: Path, fix: bool, inbox: Path | None) -> int:
    """Print what is wrong (and, with ``fix``, repair it); 0 when nothing is wrong at the end, 1 otherwise."""
    findings = examine(out)
    print(report(out, findings, inbox))
    if not findings or not fix:
        return 1 if findings else 0
    repair(out, findings, inbox)
    findings = examine(out)
    print(f"after --fix: {report(out, findings, inbox)}")
    return 1 if findings else 0
