"""The output folder as an unlucky operator or a hostile local user leaves it: lost and corrupt
partitions rebuilt with what depends on them, links planted in the output refused, staging
left-overs removed, and ``newsprov doctor`` finding and repairing all of it.

Every case starts from a copy of one undisturbed two-batch run and ends compared with it,
partition by partition (pyarrow ``Table.equals``, schema metadata included; ``ingested_at``,
the time a row was written, and the runs table, which records each stage's run, left out).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from articles import HARBOUR, HARBOUR_REPRINT, ORCHARD

from pipeline.core import history_index, tables
from pipeline.core.errors import OutputError
from pipeline.orchestration.cli import main
from pipeline.runtime.locking import output_lock

FIRST, SECOND = "2025-03-02", "2025-03-04"
DAYS = {
    FIRST: {"harbour.txt": HARBOUR, "orchard.txt": ORCHARD},
    SECOND: {"reprint.txt": HARBOUR_REPRINT, "again.txt": ORCHARD},
}


@pytest.fixture(scope="module")
def undisturbed(tmp_path_factory) -> tuple[Path, Path]:
    """(inbox with one YYYY-MM-DD folder per batch, output of running both batches once)."""
    root = tmp_path_factory.mktemp("archive")
    inbox, out = root / "inbox", root / "out"
    for batch, files in DAYS.items():
        (inbox / batch).mkdir(parents=True)
        for name, text in files.items():
            (inbox / batch / name).write_text(text)
        assert main(["run", str(inbox / batch), "--out", str(out), "--batch", batch]) == 0
    return inbox, out


@pytest.fixture
def archive(undisturbed, tmp_path) -> Path:
    """A copy of the undisturbed output, to break."""
    out = tmp_path / "out"
    shutil.copytree(undisturbed[1], out, symlinks=True)
    return out


def run(inbox: Path, out: Path, batch: str) -> int:
    return main(["run", str(inbox / batch), "--out", str(out), "--batch", batch])


def part(out: Path, table: str, batch: str | None) -> Path:
    return tables.partition_dir(out, table, batch) / tables.PART_FILE


def partition_files(out: Path) -> dict[str, Path]:
    """Every published partition, but the runs table's (it records when and how each stage ran) and
    the history index's (it records when each partition was written: see differences)."""
    return {
        str(p.relative_to(out)): p
        for p in sorted(out.rglob("*.parquet"))
        if tables.STAGING not in p.parts and p.relative_to(out).parts[0] not in ("runs", history_index.INDEX_DIR)
    }


def differences(expected: Path, got: Path) -> list[str]:
    """Partitions on one side only, or whose rows or schema differ (ingested_at left out)."""
    a, b = partition_files(expected), partition_files(got)
    problems = [f"history index segment {line}" for line in history_index.stale_segments(got)]
    problems += [f"only in the undisturbed run: {k}" for k in sorted(a.keys() - b.keys())]
    problems += [f"only in the repaired run: {k}" for k in sorted(b.keys() - a.keys())]
    for key in sorted(a.keys() & b.keys()):
        left, right = pq.read_table(a[key]), pq.read_table(b[key])
        keep = [f.name for f in left.schema if not pa.types.is_timestamp(f.type)]
        if not left.select(keep).equals(right.select(keep), check_metadata=True):
            problems.append(f"differs: {key}")
    return problems


def mtimes(out: Path, batch: str) -> dict[str, int]:
    return {k: p.stat().st_mtime_ns for k, p in partition_files(out).items() if f"/{batch}/" in k}


def test_the_undisturbed_run_has_rows_in_the_tables_these_tests_break(undisturbed):
    out = undisturbed[1]
    assert pq.read_metadata(part(out, "overlaps", SECOND)).num_rows > 0
    assert pq.read_metadata(part(out, "documents", SECOND)).num_rows == 1  # again.txt is a sighting
    assert pq.read_metadata(part(out, "passages", FIRST)).num_rows > 0


# --- 1. lost partitions -------------------------------------------------------------------------


def test_lost_partitions_are_rebuilt_with_the_tables_computed_from_them(undisturbed, archive, caplog):
    inbox, reference = undisturbed
    first_batch = mtimes(archive, FIRST)
    passages_before = part(archive, "passages", SECOND).stat().st_mtime_ns
    shutil.rmtree(tables.partition_dir(archive, "documents", SECOND))
    shutil.rmtree(tables.partition_dir(archive, "overlaps", SECOND))
    with caplog.at_level("WARNING"):
        assert run(inbox, archive, SECOND) == 0
    warned = [r.getMessage() for r in caplog.records if "rebuilding" in r.getMessage()]
    assert len(warned) == 2  # one line per lost table
    assert any(f"documents/{SECOND} is missing" in line for line in warned)
    assert any(f"overlaps/{SECOND} is missing" in line for line in warned)
    assert part(archive, "passages", SECOND).stat().st_mtime_ns != passages_before  # computed from documents
    assert mtimes(archive, FIRST) == first_batch  # the other batch untouched
    assert differences(reference, archive) == []


def test_a_batch_a_killed_run_left_unfinished_is_finished_without_warnings(undisturbed, archive, caplog):
    """Its last stages' partitions were never written: nothing computed from them is published,
    so they are not lost, only not built yet."""
    inbox, reference = undisturbed
    for table in ("provenance", "outlet_links", "clusters"):
        shutil.rmtree(tables.partition_dir(archive, table, SECOND))
    shutil.rmtree(archive / "reports" / SECOND)
    with caplog.at_level("WARNING"):
        assert run(inbox, archive, SECOND) == 0
    assert "rebuilding" not in caplog.text
    assert differences(reference, archive) == []


# --- 2. a corrupt partition ---------------------------------------------------------------------


def test_a_truncated_partition_is_rewritten_with_what_depends_on_it(undisturbed, archive, caplog):
    inbox, reference = undisturbed
    path = part(archive, "passages", SECOND)
    documents_before = part(archive, "documents", SECOND).stat().st_mtime_ns
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size // 2)
    with caplog.at_level("WARNING"):
        assert run(inbox, archive, SECOND) == 0
    assert f"passages/{SECOND} is unreadable" in caplog.text
    assert part(archive, "documents", SECOND).stat().st_mtime_ns == documents_before  # upstream: kept
    assert differences(reference, archive) == []


def test_a_batch_joined_with_a_corrupt_earlier_batch_names_it(undisturbed, archive, capsys):
    inbox, reference = undisturbed
    path = part(archive, "passages", FIRST)
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size // 2)
    shutil.rmtree(tables.partition_dir(archive, "overlaps", SECOND))  # align reads the first batch's passages
    assert run(inbox, archive, SECOND) == 2
    line = capsys.readouterr().err.splitlines()[-1]  # the task's error, one line (tests/test_one_line_errors.py)
    assert line.startswith(f"newsprov: {archive}/passages/{FIRST}, which this batch is joined with, is unreadable")
    assert run(inbox, archive, FIRST) == 0 and run(inbox, archive, SECOND) == 0
    assert differences(reference, archive) == []


def test_a_partition_of_another_schema_version_is_rewritten(undisturbed, archive, caplog):
    inbox, reference = undisturbed
    path = part(archive, "clusters", FIRST)
    old = pq.read_table(path)
    pq.write_table(old.replace_schema_metadata({b"newsprov.schema": b"clusters/0"}), path)
    with caplog.at_level("WARNING"):
        assert run(inbox, archive, FIRST) == 0
    assert f"clusters/{FIRST} is schema clusters/0" in caplog.text
    assert differences(reference, archive) == []


# --- 3. links planted in the output -------------------------------------------------------------


@pytest.fixture
def precious(tmp_path) -> Path:
    """A file outside the output that a planted link points to."""
    path = tmp_path / "precious.txt"
    path.write_text("not yours\n")
    return path


def test_a_link_at_the_write_probe_name_is_not_followed(undisturbed, archive, precious):
    (archive / ".newsprov-write-test").symlink_to(precious)
    assert run(undisturbed[0], archive, SECOND) == 0
    assert precious.read_text() == "not yours\n"
    assert (archive / ".newsprov-write-test").is_symlink()


def test_a_link_at_the_lock_file_is_refused(undisturbed, archive, precious, capsys):
    (archive / ".newsprov.lock").unlink()
    (archive / ".newsprov.lock").symlink_to(precious)
    assert run(undisturbed[0], archive, SECOND) == 2
    err = capsys.readouterr().err
    assert err.startswith("newsprov: ") and err.count("\n") == 1 and "symbolic link" in err
    assert precious.read_text() == "not yours\n"


@pytest.mark.parametrize("planted", ["documents", ".staging", f"overlaps/{SECOND}", "reports", f"reports/{SECOND}"])
def test_a_folder_that_is_a_link_is_refused(undisturbed, tmp_path, planted, capsys):
    """A fresh output whose table, staging, reports or batch folder is a link elsewhere."""
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / planted).parent.mkdir(parents=True)
    (out / planted).symlink_to(elsewhere, target_is_directory=True)
    assert run(undisturbed[0], out, SECOND) == 2
    err = capsys.readouterr().err
    assert (
        err == f"newsprov: {out / planted} is a symbolic link; newsprov writes only real folders under "
        "--out: remove the link (and move what it points to into place, if it is yours)\n"
    )
    assert list(elsewhere.iterdir()) == []


def test_write_partition_refuses_a_table_folder_that_is_a_link(tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    elsewhere.mkdir()
    out.mkdir()
    (out / "rejects").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(OutputError, match="rejects is a symbolic link"):
        tables.write_partition(tables.empty("rejects"), out, "rejects", FIRST)
    assert list(elsewhere.iterdir()) == []


# --- 5. staging left-overs ----------------------------------------------------------------------


def plant_leftovers(out: Path) -> None:
    """What a SIGKILL mid-write and a full disk mid-replace leave in .staging."""
    staged = out / tables.STAGING / f"candidates-{SECOND}-0123456789abcdef"
    staged.mkdir(parents=True)
    (staged / tables.UNPUBLISHED_FILE).write_bytes(b"PAR1 half a file")
    (out / tables.STAGING / "retired-fedcba9876543210").mkdir()


def test_a_run_removes_staging_left_overs_and_says_how_many(undisturbed, archive, caplog):
    plant_leftovers(archive)
    with caplog.at_level("WARNING"):
        assert run(undisturbed[0], archive, SECOND) == 0
    assert "removed 2 staging left-overs" in caplog.text
    assert list((archive / tables.STAGING).iterdir()) == []
    assert differences(undisturbed[1], archive) == []


# --- 6. newsprov doctor -------------------------------------------------------------------------


def test_doctor_says_nothing_is_wrong_with_an_undisturbed_run(undisturbed, capsys):
    assert main(["doctor", str(undisturbed[1])]) == 0
    assert "every table of every batch is published, readable and consistent" in capsys.readouterr().out


def test_doctor_finds_lost_corrupt_and_left_over_and_fix_repairs_them(undisturbed, archive, capsys):
    inbox, reference = undisturbed
    shutil.rmtree(tables.partition_dir(archive, "documents", SECOND))
    shutil.rmtree(tables.partition_dir(archive, "overlaps", SECOND))
    truncated = part(archive, "passages", FIRST)
    with open(truncated, "r+b") as handle:
        handle.truncate(truncated.stat().st_size // 2)
    plant_leftovers(archive)
    shutil.rmtree(archive / "outlets")

    assert main(["doctor", str(archive)]) == 1
    out = capsys.readouterr().out
    assert "outlets: missing" in out
    assert f"documents/{SECOND}: missing" in out
    assert f"overlaps/{SECOND}: missing" in out
    assert f"passages/{FIRST}: unreadable" in out
    assert ".staging: 2 left-overs" in out
    # the batches to re-run, with the input folder still to be named (the tables do not record it)
    assert f"newsprov run <the input folder of batch {FIRST}> --out {archive} --batch {FIRST}" in out
    assert f"newsprov run <the input folder of batch {SECOND}> --out {archive} --batch {SECOND}" in out

    assert main(["doctor", str(archive), "--fix"]) == 2  # cannot know where the batches' files are
    assert "--fix needs --inbox" in capsys.readouterr().err
    assert (archive / tables.STAGING / "retired-fedcba9876543210").exists()  # nothing done

    assert main(["doctor", str(archive), "--fix", "--inbox", str(inbox)]) == 0
    assert "after --fix: " in capsys.readouterr().out
    assert differences(reference, archive) == []
    assert list((archive / tables.STAGING).iterdir()) == []
    assert main(["doctor", str(archive)]) == 0


def test_doctor_finds_a_batch_missing_tables_and_doc_ids_in_two_batches(undisturbed, archive, capsys):
    stray = tables.partition_dir(archive, "documents", "2025-03-09")
    shutil.copytree(tables.partition_dir(archive, "documents", FIRST), stray)
    assert main(["doctor", str(archive)]) == 1
    out = capsys.readouterr().out
    assert "passages/2025-03-09: missing" in out and "clusters/2025-03-09: missing" in out
    assert f"documents: 2 doc_ids of batch {FIRST} again in batch 2025-03-09" in out


def test_doctor_finds_overlaps_naming_documents_no_batch_holds(undisturbed, archive, capsys):
    overlaps = pq.read_table(part(archive, "overlaps", SECOND))
    doc_b = pa.array(["d:unknown"] * overlaps.num_rows, overlaps.schema.field("doc_b").type)
    pq.write_table(
        overlaps.set_column(overlaps.schema.get_field_index("doc_b"), "doc_b", doc_b), part(archive, "overlaps", SECOND)
    )
    assert main(["doctor", str(archive)]) == 1
    assert (
        f"overlaps/{SECOND}: 1 document named here is in no batch's documents (e.g. d:unknown)"
        in capsys.readouterr().out
    )


def test_doctor_explains_itself(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["doctor", "--help"])
    assert exit_.value.code == 0
    help_text = capsys.readouterr().out
    for word in ("OUT", "--fix", "--inbox", "YYYY-MM-DD", "staging left-overs", "Exit 0"):
        assert word in help_text, word
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "doctor" in capsys.readouterr().out


def test_doctor_names_a_planted_link(undisturbed, archive, tmp_path, capsys):
    (archive / "clusters").rename(tmp_path / "clusters")
    (archive / "clusters").symlink_to(tmp_path / "clusters", target_is_directory=True)
    assert main(["doctor", str(archive)]) == 1
    out = capsys.readouterr().out
    assert f"clusters: a symbolic link (to {tmp_path / 'clusters'})" in out
    assert f"remove the symbolic link {archive / 'clusters'}" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "{inbox}", "--out", ""],
        ["run", "", "--out", "{out}"],
        ["doctor", ""],
        ["stats", "--out", " "],
        ["eval", "pairs", "{inbox}", "--work", ""],
    ],
)
def test_an_empty_path_is_one_line_not_the_current_folder(tmp_path, monkeypatch, capsys, argv):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "a.txt").write_text(HARBOUR)
    with pytest.raises(SystemExit) as exit_:
        main([a.format(inbox=tmp_path / "inbox", out=tmp_path / "out") for a in argv])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("newsprov") and err.count("\n") == 1 and "an empty path names no folder" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inbox"]


def test_doctor_says_when_a_run_is_writing_and_leaves_its_staging_alone(undisturbed, archive, capsys):
    with output_lock(archive):
        plant_leftovers(archive)  # the running writer's own staging entries
        assert main(["doctor", str(archive)]) == 1
        out = capsys.readouterr().out
        assert f"a run (pid {os.getpid()}) is writing to {archive} now" in out and "left-over" not in out
        assert main(["doctor", str(archive), "--fix", "--inbox", str(undisturbed[0])]) == 10  # already running
    assert main(["doctor", str(archive)]) == 1
    assert ".staging: 2 left-overs" in capsys.readouterr().out
