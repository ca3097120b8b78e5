"""The ``newsprov`` command.

    newsprov run [INPUT] [--out DIR] [--batch YYYY-MM-DD] [--workers N] [--format F] [--text-field NAME ...]

Errors a user can fix print one line, ``newsprov: <what to do>``, and exit 2.
A failed Luigi run exits with the code set in luigi.cfg's [retcode] section.
"""

from __future__ import annotations

import argparse
import configparser
import contextlib
import datetime as dt
import json
import logging
import os
import sys
import tempfile
import traceback
from pathlib import Path

import duckdb

from pipeline import __version__
from pipeline.core.errors import ConfigError, InputError, NewsprovError, OutputError, debugging
from pipeline.core.ids import batch_date
from pipeline.core.tables import PART_FILE, check_layout, partition_dir
from pipeline.runtime.locking import AlreadyRunning, check_writable, output_lock
from pipeline.stages.readers import AUTO, FORMATS

# The export fields a run can map (--text-field body ...), as [ingest] <key>_field.
INGEST_FIELDS = ("id", "url", "publisher", "title", "published", "language", "text")

SUMMARY_TABLES = (
    "documents",
    "passages",
    "overlaps",
    "paraphrases",
    "provenance",
    "attributions",
    "sightings",
    "rejects",
)


def _batch_date(value: str) -> dt.date:
    date = batch_date(value)
    if date is None:
        raise argparse.ArgumentTypeError(f"batch must be a date like 2025-10-24 (YYYY-MM-DD), got {value!r}")
    return date


def _path(value: str) -> Path:
    # Path("") is the current folder: `--out ""` wrote every table there, and `--work ""` would empty it.
    if not value.strip():
        raise argparse.ArgumentTypeError("an empty path names no folder or file; pass one, e.g. --out output")
    return Path(value)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line that says where the help is."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="newsprov",
        description="Find where news articles repeat each other's reporting, which copy came first, "
        "and which outlets each one credits. Writes Parquet tables for DuckDB, Polars, pandas or Spark.",
    )
    parser.add_argument("--version", action="version", version=f"newsprov {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    run = commands.add_parser(
        "run",
        help="run the pipeline on one folder or file of articles (one batch)",
        description="Ingest every file of INPUT (a folder, or one file) as one batch, link it to earlier "
        "batches under --out, and write the tables to --out/<table>/<date>/. Each file is read by its "
        "suffix: .jsonl/.jsonl.gz, .csv, .tsv and .parquet exports (an article per line or row), .html/.htm "
        "pages, .warc/.warc.gz crawl archives (an article per HTML response), any other file one text. "
        "Examples: newsprov run seeds --out output --batch 2025-10-24; "
        "newsprov run crawl.warc.gz; newsprov run export.jsonl --text-field body --url-field link",
    )
    run.add_argument(
        "input_dir",
        nargs="?",
        default="seeds",
        type=_path,
        metavar="INPUT",
        help="folder of article files, or one file (default: seeds)",
    )
    run.add_argument("--out", default=Path("output"), type=_path, help="output folder (default: output)")
    run.add_argument(
        "--batch",
        type=_batch_date,
        default=None,
        help="batch date YYYY-MM-DD (default: INPUT_DIR's name when it is a date, else today, UTC). "
        "An INPUT_DIR of YYYY-MM-DD day folders runs each day as its batch, oldest first",
    )
    run.add_argument("--workers", type=int, default=1, help="Luigi worker processes (default: 1)")
    run.add_argument(
        "--format",
        default=None,
        choices=(AUTO, *FORMATS),
        help="read every file as this format instead of by its suffix ([ingest] format; default: auto)",
    )
    for key in INGEST_FIELDS:
        run.add_argument(
            f"--{key}-field",
            default=None,
            metavar="NAME",
            help=f"field of an export that holds the {key} ([ingest] {key}_field; default: {key})",
        )

    evaluate = commands.add_parser(
        "eval",
        help="score the pipeline on labelled data",
        description="Score the pipeline against labelled data. Example: newsprov eval pairs ../shared/eval/dev",
    )
    eval_kinds = evaluate.add_subparsers(dest="eval_kind", metavar="KIND", required=True, parser_class=_Parser)
    pairs = eval_kinds.add_parser(
        "pairs",
        help="copy detection, spans and origin on a labelled folder",
        description="Feed DIR's documents (documents.jsonl: file, date) to the pipeline as daily batches, "
        "score the document links against pairs.jsonl (and origins.jsonl), print a table and a "
        "final 'pairs ...' line, and write the full report to --report.",
    )
    pairs.add_argument("dataset", type=_path, metavar="DIR", help="labelled folder, e.g. ../shared/eval/dev")
    pairs.add_argument(
        "--work",
        type=_path,
        default=None,
        help="keep the staged batches and tables in this folder, emptied first "
        "(default: a temporary folder, removed afterwards)",
    )
    pairs.add_argument("--report", type=_path, default=Path("eval.json"), help="JSON report (default: eval.json)")
    pairs.add_argument("--workers", type=int, default=1, help="Luigi worker processes (default: 1)")
    attribution = eval_kinds.add_parser(
        "attribution",
        help="outlet attribution on labelled sentences",
        description="Run the attribution extractor on each labelled sentence of FILE (JSONL: text, "
        "context_before, label, outlets) and print precision, recall and F1 overall and per cue, "
        "ending with an 'attribution precision=… recall=… f1=… n=N' line.",
    )
    attribution.add_argument("dataset", type=_path, metavar="FILE", help="e.g. ../shared/eval/attribution/dev.jsonl")
    attribution.add_argument("--errors", type=_path, default=None, help="write the wrong items to this JSONL file")

    report = commands.add_parser(
        "report",
        help="write an HTML evidence report of the tables under --out",
        description="Write the evidence report of every batch into --out/reports/all/ (report.html, the summary: "
        "each story's answer in one sentence, the publisher graph, rejects and sightings; a page per story "
        "under stories/: its graph on a time axis, its documents, and per copy link how much was copied, "
        "the credit or its absence and the words a rewrite swapped) and point --out/report.html to it. "
        "Static pages, no script, no network. Example: newsprov report --out output",
    )
    report.add_argument(
        "--out", default=Path("output"), type=_path, help="output folder of newsprov run (default: output)"
    )
    report.add_argument(
        "--batch",
        default=None,
        metavar="YYYY-MM-DD",
        help="only this batch's documents, their links and the documents linked to them, "
        "into --out/reports/YYYY-MM-DD/ (as newsprov run writes after each batch; "
        "--out/report.html is left alone); default: every batch",
    )
    doctor = commands.add_parser(
        "doctor",
        help="check every table of every batch under OUT, and say what to re-run",
        description="Check that every table of every batch under OUT is published, readable, of the current "
        "schema version and consistent with the others (the documents of each overlap and "
        "provenance link exist, doc_ids unique across batches), and that no staging left-overs "
        "remain; print what is wrong and the commands that repair it. Exit 0 when nothing is "
        "wrong, 1 otherwise. Example: newsprov doctor output --fix --inbox INBOX",
    )
    doctor.add_argument("out", type=_path, metavar="OUT", help="output folder of newsprov run")
    doctor.add_argument(
        "--fix",
        action="store_true",
        help="re-run the batches that need it (rebuilding only what is missing or unreadable "
        "and what depends on it) and remove staging left-overs",
    )
    doctor.add_argument(
        "--inbox",
        type=_path,
        default=None,
        help="folder of one YYYY-MM-DD subfolder of article files per batch: where --fix finds "
        "a batch's input (the tables do not record it)",
    )
    stats = commands.add_parser(
        "stats",
        help="print row counts per table and the most credited outlets",
        description="Print the rows of every table under --out and the outlets credited by the most documents. "
        "Example: newsprov stats --out output",
    )
    stats.add_argument(
        "--out", default=Path("output"), type=_path, help="output folder of newsprov run (default: output)"
    )
    stats.add_argument("--top", type=int, default=10, help="how many outlets to list (default: 10)")
    upgrade = commands.add_parser(
        "upgrade",
        help="bring an older output to the current layout and schema versions",
        description="Bring an output written with partition folders --out/<table>/batch=<date>/ to the "
        "current layout (--out/<table>/<date>/, every file holding its batch column), and partitions of an "
        "older schema version to the current one where it only adds columns (documents/2 and /3: url, "
        "publisher, replaced_bytes, ... null), in place. "
        "Run it once, with no run writing to --out. Example: newsprov upgrade --out output",
    )
    upgrade.add_argument("--out", default=Path("output"), type=_path, help="output folder (default: output)")
    return parser


def _check_paths(input_dir: Path, out: Path) -> None:
    if not input_dir.is_dir() and not input_dir.is_file():
        raise InputError(
            f"input folder {input_dir} does not exist (or is not a folder or a file): pass a folder or a file of articles"
        )
    from pipeline.stages.ingest import refuse_output_inside  # here, so that `newsprov --help` stays fast

    # An inbox too: with the output folder in it, it no longer holds only day folders.
    refuse_output_inside(input_dir, out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {out}: {exc.strerror}; pass a writable --out") from exc
    check_writable(out)


# Where luigi reads its settings, in this order (luigi.configuration.cfg_parser), then LUIGI_CONFIG_PATH.
LUIGI_CONFIG_FILES = ("/etc/luigi/client.cfg", "/etc/luigi/luigi.cfg", "client.cfg", "luigi.cfg")


def load_luigi_cfg() -> None:
    """Read luigi.cfg (and the file LUIGI_CONFIG_PATH names) once, before anything else asks: a
    file configparser cannot read (a duplicate key, a line before any [section], an unclosed
    ``[``, bytes that are not UTF-8) is one line, not luigi's traceback from deep in an import."""
    try:
        import luigi.configuration  # reads LUIGI_CONFIG_PATH's file as it is imported

        luigi.configuration.get_config()  # and luigi.cfg in this folder on first use
    except configparser.DuplicateSectionError as exc:
        raise ConfigError(
            f"{exc.source} line {exc.lineno}: section [{exc.section}] appears twice; merge the two"
        ) from None
    except configparser.DuplicateOptionError as exc:
        raise ConfigError(
            f"{exc.source} line {exc.lineno}: [{exc.section}] {exc.option} is set twice; keep one"
        ) from None
    except configparser.MissingSectionHeaderError as exc:
        raise ConfigError(
            f"{exc.source} line {exc.lineno}: {exc.line.strip()!r} is not in a [section] "
            "(a header line is [name], closed by ])"
        ) from None
    except configparser.ParsingError as exc:
        lineno, line = exc.errors[0]  # the line as repr() spells it
        line = line[1:-1].replace("\\n", "") if line[:1] in "'\"" else line
        raise ConfigError(f"{exc.source} line {lineno}: cannot read {line.strip()!r}; fix or remove it") from None
    except configparser.Error as exc:
        raise ConfigError(f"luigi.cfg: {' '.join(exc.message.split())}") from None
    except UnicodeDecodeError as exc:
        where = _undecodable_config() or "luigi.cfg"
        raise ConfigError(
            f"{where} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start})"
        ) from None


def _undecodable_config() -> str | None:
    for path in (*LUIGI_CONFIG_FILES, os.environ.get("LUIGI_CONFIG_PATH", "")):
        try:
            Path(path).read_bytes().decode()
        except UnicodeDecodeError:
            return path
        except OSError:
            continue
    return None


def check_config() -> None:
    """Read every luigi.cfg section once, so a bad value stops the run before any task starts."""
    import luigi.retcodes

    from pipeline.orchestration import config

    load_luigi_cfg()
    try:
        luigi.retcodes.retcode()  # read when a run fails: "task_failed = abc" failed the failure
        config.check_settings()
    except ValueError as exc:  # luigi could not parse a value, e.g. "num_perm = abc"
        section = str(exc).split("[", 1)[0]
        setting = str(exc).rsplit("'", 2)[-2] if "'" in str(exc) else "?"
        raise ConfigError(f"luigi.cfg [{section}] {setting}: {exc.__cause__ or exc}; fix the value") from None
    except configparser.Error as exc:  # e.g. a "%" that is no interpolation
        raise ConfigError(f"luigi.cfg: {' '.join(exc.message.split())}") from None


class TaskError(NewsprovError):
    """A task failed on an error a user can act on (pipeline.orchestration.runner.user_error)."""


def describe(error: BaseException) -> str:
    """An error a user can act on, in words: its own message, or an OSError's path and cause."""
    if isinstance(error, OSError) and not isinstance(error, NewsprovError):
        cause = os.strerror(error.errno) if error.errno else (error.strerror or str(error))
        return f"{error.filename}: {cause}" if error.filename else cause
    return str(error)


def summary(out: Path, batch: str) -> str:
    """Row counts of the batch's tables and where they are."""
    lines = [f"batch {batch}:"]
    con = duckdb.connect()
    try:
        for table in SUMMARY_TABLES:
            path = partition_dir(out, table, batch) / PART_FILE
            count = (
                con.execute("select count(*) from read_parquet(?)", [str(path)]).fetchone()[0] if path.exists() else 0
            )
            lines.append(f"  {table:<13}{count:>7}")
        overlaps = partition_dir(out, "overlaps", batch) / PART_FILE
        if overlaps.exists():
            by_relation = con.execute(
                "select relation, count(*) from read_parquet(?) group by 1 order by 1", [str(overlaps)]
            ).fetchall()
            lines.append("  overlaps by relation: " + (", ".join(f"{r}={n}" for r, n in by_relation) or "none"))
    finally:
        con.close()
    lines.append(
        f"tables: {out}/<table>/{batch}/part-0.parquet  "
        f"(try: duckdb -c \"select * from '{out}/overlaps/**/*.parquet'\")"
    )
    lines.append(f"report: {out}/report.html")
    return "\n".join(lines)


def run_command(args: argparse.Namespace) -> int:
    _check_paths(args.input_dir, args.out)
    logging.getLogger("pipeline").setLevel(logging.INFO)  # a line per batch and stage, as under `luigi`
    check_layout(args.out)
    with ingest_overrides(args):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from pipeline.orchestration.inbox import prepare
    from pipeline.orchestration.runner import run_batches  # imported here so `newsprov --help` stays fast
    from pipeline.orchestration.tasks import Report

    check_config()
    if args.workers < 1:
        raise InputError(f"--workers must be >= 1, got {args.workers}")
    days = day_folders(args.input_dir)
    if days and args.batch is not None:
        raise InputError(
            f"{args.input_dir} holds day folders ({days[0].name}, ...), each its own batch: "
            "leave out --batch, or pass one day's folder"
        )
    if days:
        batches = [(batch_date(day.name), day) for day in days]  # oldest first: each batch joins the ones before it
    else:
        batches = [
            (args.batch or batch_date(args.input_dir.name) or dt.datetime.now(dt.timezone.utc).date(), args.input_dir)
        ]
    # Under the output lock, before the builds: a folder that gained files since its batch ran is
    # run again with the batches after it; a batch older than those under --out whose folders this
    # run does not hold (a backfill) is refused in one line (pipeline.orchestration.inbox).
    outcome = run_batches(
        [Report(date=batch, input_dir=str(folder), out_dir=str(args.out)) for batch, folder in batches],
        args.out,
        args.workers,
        before=lambda: prepare(args.out, batches),
    )
    if outcome is not None and outcome.user_error is not None:
        # A bad input, a full disk, an unwritable folder: one line (tables published are whole).
        failed = outcome.failure[0]
        raise TaskError(
            f"{describe(outcome.user_error)} ({type(failed).__name__} of batch {failed.date}); "
            "mend that and run the same command: it finishes the batch"
        )
    for batch, _ in batches:
        if batch == outcome.task.date and outcome.exit_code:
            print(outcome.result.summary_text, file=sys.stderr)
            print(
                f"newsprov: the run failed ({outcome.result.status.name}); see the task errors above", file=sys.stderr
            )
            return outcome.exit_code
        print(summary(args.out, batch.isoformat()))
    return 0


@contextlib.contextmanager
def ingest_overrides(args: argparse.Namespace):
    """--format and --<key>-field set the [ingest] settings while this run lasts, over luigi.cfg's;
    luigi.cfg's own values are back afterwards (a process may run again: the tests, a notebook)."""
    import luigi.configuration

    given = {"format": args.format} | {f"{key}_field": getattr(args, f"{key}_field") for key in INGEST_FIELDS}
    given = {name: value for name, value in given.items() if value is not None}
    parser = luigi.configuration.get_config()
    before = {name: parser.get("ingest", name, None) for name in given}
    for name, value in given.items():
        parser.set("ingest", name, value)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                parser.remove_option("ingest", name)
            else:
                parser.set("ingest", name, value)


def day_folders(folder: Path) -> list[Path]:
    """The YYYY-MM-DD subfolders of ``folder``, oldest first, when it holds nothing else (hidden
    entries aside): an inbox of days; [] for a folder of articles."""
    if not Path(folder).is_dir():
        return []
    entries = [e for e in sorted(Path(folder).iterdir()) if not e.name.startswith(".")]
    days = [e for e in entries if e.is_dir() and batch_date(e.name) is not None]
    return days if days and len(days) == len(entries) else []


def eval_pairs_command(args: argparse.Namespace) -> int:
    from pipeline.orchestration.evaluation import evaluate_pairs, format_report

    check_config()
    if args.work is None:
        with tempfile.TemporaryDirectory(prefix="newsprov-eval-") as scratch:
            report = evaluate_pairs(args.dataset, Path(scratch) / "work", args.workers)
    else:
        report = evaluate_pairs(args.dataset, args.work, args.workers)
    try:
        args.report.write_text(json.dumps(report.to_json(), indent=1, default=str) + "\n")
    except OSError as exc:
        raise OutputError(f"cannot write {args.report}: {exc.strerror}; pass a writable --report") from exc
    print(format_report(report))
    return 0


def eval_attribution_command(args: argparse.Namespace) -> int:
    from pipeline.orchestration.attribution_eval import evaluate_attribution, format_report, write_errors
    from pipeline.text.gazetteer import Gazetteer

    report = evaluate_attribution(args.dataset, Gazetteer.packaged())
    print(format_report(report))
    if args.errors is not None:
        try:
            write_errors(report, args.errors)
        except OSError as exc:
            raise OutputError(f"cannot write {args.errors}: {exc.strerror}; pass a writable --errors") from exc
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        if args.command in ("run", "eval", "doctor"):
            load_luigi_cfg()
        if args.command == "eval":
            return eval_pairs_command(args) if args.eval_kind == "pairs" else eval_attribution_command(args)
        if args.command == "report":
            from pipeline.report.pages import write_report

            print(write_report(args.out, batch=args.batch, latest=args.batch is None))
            return 0
        if args.command == "doctor":
            from pipeline.orchestration.doctor import doctor_command

            return doctor_command(args.out, args.fix, args.inbox)
        if args.command == "upgrade":
            from pipeline.core import history_index
            from pipeline.core.tables import upgrade_columns, upgrade_layout

            if not args.out.is_dir():
                raise OutputError(f"output folder {args.out} does not exist: pass the --out of an earlier run")
            with output_lock(args.out):
                changed = upgrade_layout(args.out)
                for report in sorted((args.out / "reports").glob("batch=*")):  # the batches' reports
                    report.rename(report.with_name(report.name.split("=", 1)[1]))
                widened = upgrade_columns(args.out)
                # Segments of partitions rewritten above are stale: the next run indexes those batches again.
                history_index.drop_unused(args.out)
            print(f"{len(changed)} partitions of {args.out} moved to the current layout")
            print(f"{len(widened)} partitions of {args.out} written again with the current schema's new columns")
            return 0
        if args.command == "stats":
            from pipeline.report.queries import format_stats

            print(format_stats(args.out, args.top))
            return 0
        return run_command(args)
    except AlreadyRunning as exc:
        import luigi.retcodes

        print(f"newsprov: {exc}", file=sys.stderr)
        return luigi.retcodes.retcode().already_running or 2
    except (NewsprovError, OSError) as exc:  # OSError: a full disk, a read-only or vanished folder
        if debugging():
            traceback.print_exc()
        print(f"newsprov: {describe(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # Ctrl-C: every partition is published whole or not at all (write_partition), and the pool's
        # workers end with this process; a run picks up where the interrupted one stopped.
        again = (
            "; tables already published are whole, and the same command finishes the batch"
            if args.command == "run"
            else ""
        )
        print(f"newsprov: interrupted{again}", file=sys.stderr)
        return 130  # 128 + SIGINT, as shells report it


if __name__ == "__main__":
    sys.exit(main())
