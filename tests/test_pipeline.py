"""End-to-end: the real Luigi pipeline on the seeds, tables read back as a user would."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import luigi
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from conftest import REPO, SEED_BATCH
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core import tables
from pipeline.core.schema import TABLES
from pipeline.orchestration.cli import main
from pipeline.orchestration.tasks import Attribution, Ingest, Report

SCMP = "South China Morning Post"


def test_seed_documents_and_header(seed_run):
    rows = seed_run.sql("select source_path, published, dateline, n_passages from {documents} order by source_path")
    assert [r[0] for r in rows] == ["000_2910c2332927eb84.txt", "004_26d458d383b1f024.txt"]
    assert rows[0][1:3] == (dt.date(2025, 10, 24), "Beijing")
    assert rows[1][1:3] == (None, None)
    assert rows[0][3] == 19  # header + 18 paragraphs separated by blank lines
    assert rows[1][3] == 31  # one paragraph per line; the single blank line is not a passage


def test_every_file_carries_its_schema_version(seed_run):
    for name, schema in TABLES.items():
        for path in (seed_run.out / name).rglob("*.parquet"):
            metadata = pq.read_schema(path).metadata
            assert metadata[b"newsprov.schema"] == schema.metadata[b"newsprov.schema"], path


def test_tables_read_with_pyarrow_dataset_and_duckdb_globs(seed_run):
    dataset = ds.dataset(seed_run.out / "passages", format="parquet", partitioning="hive")
    assert dataset.count_rows() == 19 + 31
    with duckdb.connect() as con:
        count = con.execute(f"select count(*) from '{seed_run.out}/passages/**/*.parquet'").fetchone()[0]
        batches = con.execute(f"select distinct batch from '{seed_run.out}/overlaps/**/*.parquet'").fetchall()
    assert count == 19 + 31
    # The folder is the bare date, not batch=<date>: no reader adds a batch of its own beside the file's string.
    assert batches == [(SEED_BATCH,)]
    assert dataset.to_table(columns=["batch"]).column("batch").unique().to_pylist() == [SEED_BATCH]


def test_seed_004_captions_and_credit_line_are_tagged(seed_run):
    rows = seed_run.sql("""select p.ordinal, p.kind from {passages} p join {documents} d using (doc_id)
                           where d.source_path like '004_%' order by p.ordinal limit 3""")
    assert rows == [(0, "caption"), (1, "credit"), (2, "body")]


def _linked_pairs(seed_run, relation):
    return seed_run.sql(f"""
        select substr(da.text, s.a_start + 1, s.a_end - s.a_start) as a_text,
               substr(db.text, s.b_start + 1, s.b_end - s.b_start) as b_text,
               pa.text as passage_a, pb.text as passage_b, o.origin
        from (select *, unnest(spans) as s from {{overlaps}}) o
        join {{documents}} da on da.doc_id = o.doc_a join {{documents}} db on db.doc_id = o.doc_b
        join {{passages}} pa on pa.passage_id = o.passage_a join {{passages}} pb on pb.passage_id = o.passage_b
        where o.relation = '{relation}'""")


def test_same_story_paragraphs_are_linked_with_spans_on_the_shared_names(seed_run):
    rows = _linked_pairs(seed_run, "same_story")
    leavitt = [r for r in rows if "Karoline Leavitt" in r[2] and "Karoline Leavitt" in r[3]]
    bessent = [r for r in rows if "Bessent" in r[2] and "Bessent" in r[3] and "He Lifeng" in r[2]]
    assert leavitt and bessent
    assert ("Karoline Leavitt", "Karoline Leavitt") in [(a, b) for a, b, *_ in leavitt]
    assert any("Scott Bessent" in a and "Scott Bessent" in b for a, b, *_ in bessent)
    for a_text, b_text, *_rest, origin in rows:
        assert a_text == b_text or a_text.lower() != ""  # every span slices real text
        assert origin == "unknown"


def test_independent_seed_reports_are_never_linked_as_copies(seed_run):
    relations = seed_run.sql("select distinct relation from {overlaps}")
    assert relations == [("same_story",)]


def test_seed_attributions(seed_run):
    rows = seed_run.sql("""select d.source_path, a.surface, a.cue, o.name, a.is_alias
                           from {attributions} a join {documents} d using (doc_id)
                           left join {outlets} o using (outlet_id) order by d.source_path, a.char_start""")
    found_000 = [(surface, cue, name, alias) for path, surface, cue, name, alias in rows if path.startswith("000")]
    found_004 = {(cue, name) for path, _s, cue, name, _a in rows if path.startswith("004")}
    assert (SCMP, "reported", SCMP, False) in found_000
    assert ("the Post", "told", SCMP, True) in found_000
    assert ("contributed", "CNBC") in found_004
    assert ("photo_credit", "Agence France-Presse") in found_004
    assert ("photo_credit", "Getty Images") in found_004
    assert ("reported", "The New York Times") in found_004
    surfaces = {s for _p, s, *_ in rows}
    assert "New York Instances" in surfaces and "Getty Photographs" in surfaces
    assert not surfaces & {"Eurasia Group", "The Asia Group", "Asia Group", "Teneo", "Air Power One"}


def test_attribution_spans_slice_back_to_their_surface(seed_run):
    rows = seed_run.sql("""select substr(d.text, a.char_start + 1, a.char_end - a.char_start), a.surface,
                                  a.char_start >= p.char_start and a.char_end <= p.char_end
                           from {attributions} a join {documents} d using (doc_id)
                           join {passages} p using (passage_id)""")
    assert rows
    for sliced, surface, inside_passage in rows:
        assert sliced == surface
        assert inside_passage


def test_second_run_does_nothing(seed_run, capsys):
    before = {p: p.stat().st_mtime_ns for p in seed_run.out.rglob("*.parquet")}
    assert main(["run", str(seed_run.input_dir), "--out", str(seed_run.out), "--batch", SEED_BATCH]) == 0
    after = {p: p.stat().st_mtime_ns for p in seed_run.out.rglob("*.parquet")}
    assert before == after
    assert "overlaps" in capsys.readouterr().out


def test_a_crashed_write_leaves_nothing_readers_can_see(tmp_path, seed_run):
    out = tmp_path / "out"
    partition = tables.read_partition(seed_run.out, "documents", SEED_BATCH)
    tables.write_partition(partition, out, "documents", SEED_BATCH)
    # A writer killed after writing its staging file but before the rename:
    stage = out / tables.STAGING / "documents-2025-10-25-dead"
    stage.mkdir(parents=True)
    (stage / tables.PART_FILE).write_bytes(b"PAR1 half a file")
    with duckdb.connect() as con:
        assert con.execute(f"select count(*) from '{out}/documents/**/*.parquet'").fetchone()[0] == 2
    assert ds.dataset(out / "documents", format="parquet", partitioning="hive").count_rows() == 2


def test_a_batch_ingested_before_the_credits_table_is_not_ingested_again(seed_run, tmp_path):
    """Output written before ingest published credits: the batch's Ingest is complete as it is, and
    its attribution stage searches the texts, giving the same rows."""
    out = tmp_path / "output"
    shutil.copytree(seed_run.out, out)
    shutil.rmtree(out / "credits")
    shutil.rmtree(out / "attributions")
    documents = out / "documents" / SEED_BATCH / tables.PART_FILE
    written = documents.stat().st_mtime_ns
    task = Attribution(date=dt.date.fromisoformat(SEED_BATCH), input_dir=str(seed_run.input_dir), out_dir=str(out))
    assert luigi.build([task], local_scheduler=True, log_level="WARNING")
    assert documents.stat().st_mtime_ns == written and not (out / "credits").exists()
    name = Path("attributions", SEED_BATCH, tables.PART_FILE)
    assert pq.read_table(out / name).equals(pq.read_table(seed_run.out / name))


class _Explodes(Ingest):
    def run(self):
        raise RuntimeError("stage failed on purpose")


def test_a_failing_task_makes_the_luigi_command_exit_non_zero(tmp_path):
    code = subprocess.run(
        [
            sys.executable,
            "-m",
            "luigi",
            "--module",
            "pipeline.orchestration.tasks",
            "Batch",
            "--date",
            "2025-10-24",
            "--input-dir",
            str(tmp_path / "missing"),
            "--out-dir",
            str(tmp_path / "out"),
            "--local-scheduler",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    ).returncode
    assert code == 30  # luigi.cfg [retcode] task_failed


def test_a_failing_task_makes_newsprov_exit_with_the_task_failed_code(tmp_path, monkeypatch, capsys):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("Some text here.\n")
    monkeypatch.setattr(
        Report, "requires", lambda self: [_Explodes(date=self.date, input_dir=self.input_dir, out_dir=self.out_dir)]
    )
    code = main(["run", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--batch", "2025-10-24"])
    assert code == luigi.retcodes.retcode().task_failed == 30
    assert "the run failed" in capsys.readouterr().err


def test_missing_input_folder_is_one_clean_line(tmp_path, capsys):
    code = main(["run", str(tmp_path / "nope"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("newsprov: input folder") and "Traceback" not in err and err.count("\n") == 1


def test_help_names_the_run_command_and_its_options():
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.orchestration.cli", "run", "--help"], capture_output=True, text=True, cwd=REPO
    )
    assert result.returncode == 0
    for option in ("INPUT_DIR", "--out", "--batch", "--workers"):
        assert option.lower() in result.stdout.lower()


@pytest.mark.parametrize(
    "command, words",
    [
        ([], ["run", "eval", "report", "stats"]),
        (["eval", "pairs"], ["DIR", "--report", "--work", "documents.jsonl"]),
        (["eval", "attribution"], ["FILE", "--errors"]),
        (["report"], ["--out", "report.html"]),
        (["stats"], ["--out", "--top"]),
    ],
)
def test_every_command_explains_itself(command, words):
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.orchestration.cli", *command, "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert result.returncode == 0
    for word in words:
        assert word in result.stdout, word


def test_bad_input_files_are_rejected_and_the_batch_goes_on(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "binary.bin").write_bytes(bytes(range(256)) * 4)
    (inbox / "empty.txt").write_bytes(b"")
    (inbox / "latin1.txt").write_bytes("Le café de la gare a rouvert ses portes lundi.\n".encode("latin-1"))
    (inbox / "bom.txt").write_bytes("\ufeffThe council approved the budget on Tuesday.\n".encode("utf-8"))
    out = tmp_path / "out"
    assert main(["run", str(inbox), "--out", str(out), "--batch", "2025-10-25"]) == 0
    with duckdb.connect() as con:
        docs = dict(con.execute(f"select source_path, text from '{out}/documents/**/*.parquet'").fetchall())
        rejects = dict(con.execute(f"select source_path, reason from '{out}/rejects/**/*.parquet'").fetchall())
    assert set(docs) | set(rejects) == {p.name for p in inbox.iterdir()}
    assert rejects == {"binary.bin": "binary", "empty.txt": "empty"}
    assert docs["latin1.txt"].startswith("Le café")
    assert docs["bom.txt"].startswith("The council")


def test_documents_summarise_their_credits(seed_run):
    rows = dict(
        (path[:3], (credited, wire))
        for path, credited, wire in seed_run.sql("select source_path, credited_outlets, wire_copy from {documents}")
    )
    names = dict(seed_run.sql("select outlet_id, name from {outlets}"))
    assert [names[o] for o in rows["000"][0]] == ["South China Morning Post"]
    assert {names[o] for o in rows["004"][0]} == {"CNBC", "Agence France-Presse", "Getty Images", "The New York Times"}
    assert rows["000"][1] is False and rows["004"][1] is False  # credits, but no agency dateline or credit line


def test_eval_attribution_command_ends_with_the_summary_line(tmp_path, capsys):
    items = [
        {
            "text": "The ministry said on Monday, according to Reuters, that talks would resume.",
            "context_before": "",
            "label": "attribution",
            "uncertain": False,
            "cue_types": ["according_to"],
            "outlets": [{"canonical": "Reuters", "surface": "Reuters", "cue": "according_to", "alias": False}],
        },
        {
            "text": "Crowds gathered in Times Square on Sunday night.",
            "context_before": "",
            "label": "no_attribution",
            "uncertain": False,
            "cue_types": [],
            "outlets": [],
        },
    ]
    data = tmp_path / "items.jsonl"
    data.write_text("".join(json.dumps(item) + "\n" for item in items))
    assert main(["eval", "attribution", str(data), "--errors", str(tmp_path / "errors.jsonl")]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "attribution precision=1.000 recall=1.000 f1=1.000 n=2"
    assert (tmp_path / "errors.jsonl").read_text() == ""


def test_progress_bars_stay_quiet_off_a_terminal(capfd):
    from pipeline.runtime.progress import counter, progress

    assert list(progress(range(3), "ingest")) == [0, 1, 2]
    bar = counter("align", 2)
    bar.update(2)
    bar.close()
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize(
    "section, setting, message",
    [
        ("fingerprint", "num_perm = abc", "luigi.cfg [fingerprint] num_perm: invalid literal for int()"),
        ("fingerprint", "num_perm = 1", "fingerprint.num_perm must be >= 2, got 1"),
        ("paraphrase", "min_shared_words = 0", "paraphrase.min_shared_words must be >= 1, got 0"),
        (
            "align",
            "near_copy_jacard = 0.5",
            "luigi.cfg [align] near_copy_jacard is not a setting of [align]; did you mean near_copy_jaccard?",
        ),
        (
            "paraphrase",
            "max_bucket_size = 200",
            "luigi.cfg [paraphrase] max_bucket_size is no longer read: use stock_documents",
        ),
    ],
)
def test_a_bad_setting_is_one_clean_line(tmp_path, section, setting, message):
    """Every section is read before the run starts: a bad value or a key no section reads is one line."""
    cfg = tmp_path / "luigi.cfg"
    cfg.write_text(f"[{section}]\n{setting}\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.orchestration.cli",
            "run",
            str(REPO / "seeds"),
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "LUIGI_CONFIG_PATH": str(cfg)},
    )
    assert result.returncode == 2
    assert result.stderr.startswith("newsprov: ") and message in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "command, message",
    [
        (
            ["run", "seeds"],
            "newsprov: interrupted; tables already published are whole, and the same command finishes the batch\n",
        ),
        (["report"], "newsprov: interrupted\n"),
    ],
)
def test_ctrl_c_is_one_line_and_exit_code_130(command, message, monkeypatch, capsys):
    """A KeyboardInterrupt from anywhere in a command (here raised where the work starts)."""

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("pipeline.orchestration.cli.run_command", interrupted)
    monkeypatch.setattr("pipeline.report.pages.write_report", interrupted)
    assert main(command) == 130
    assert capsys.readouterr().err == message


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["run", "seeds", "--bogus"], "newsprov: unrecognized arguments: --bogus (see 'newsprov --help')"),
        (["run", "seeds", "--batch", "2025-13-01"], "batch must be a date like 2025-10-24"),
        (["run", "seeds", "--batch", "20250305"], "batch must be a date like 2025-10-24 (YYYY-MM-DD)"),
        (["run", "seeds", "--out", "README.md"], "newsprov: cannot create output folder README.md"),
    ],
)
def test_user_errors_are_one_line_without_a_traceback(arguments, message):
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.orchestration.cli", *arguments], capture_output=True, text=True, cwd=REPO
    )
    assert result.returncode == 2
    assert message in result.stderr and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.integers(-5, 5), max_size=30), min_size=1, max_size=4),
    st.lists(st.integers(-6, 6), max_size=12),
    st.booleans(),
)
def test_reading_rows_by_value_is_filtering_every_partition(tmp_path_factory, partitions, values, scan):
    """Indexed lookups (small partitions) and scans (large ones) give the rows a filter gives, in
    partition then row order."""
    out = tmp_path_factory.mktemp("rows_with")
    batches = [f"2025-01-{day + 1:02d}" for day in range(len(partitions))]
    for batch, buckets in zip(batches, partitions):
        table = pa.table(
            {
                "passage_id": [f"p{i}" for i in range(len(buckets))],
                "doc_id": [f"d{i % 3}" for i in range(len(buckets))],
                "band": pa.array([i % 2 for i in range(len(buckets))], pa.int16()),
                "bucket": pa.array(buckets, pa.int64()),
            }
        )
        tables.write_partition(table, out, "sentence_bands", batch)
    wanted = np.array(values, dtype=np.int64)
    expected = tables.read_batches(out, "sentence_bands", batches)
    expected = expected.filter(pc.is_in(expected.column("bucket"), value_set=pa.array(wanted)))
    limit = tables.INDEXED_MAX_ROWS
    try:
        tables.INDEXED_MAX_ROWS = -1 if scan else limit
        got = tables.read_rows_with(out, "sentence_bands", batches, "bucket", wanted)
    finally:
        tables.INDEXED_MAX_ROWS = limit
    assert got.to_pylist() == expected.to_pylist()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=200), st.lists(st.integers(-3, 3), max_size=50))
def test_sorted_unique_is_unique(values, small):
    values = np.array(values + small, dtype=np.int64)
    got = tables.sorted_unique(values)
    assert got.dtype == values.dtype and got.tolist() == np.unique(values).tolist()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=200), st.lists(st.integers(-3, 3), max_size=50))
def test_unique_counts_is_unique_with_counts(values, small):
    values = np.array(values + small, dtype=np.int64)
    expected, expected_counts = np.unique(values, return_counts=True)
    got, counts = tables.unique_counts(values.copy())
    assert got.tolist() == expected.tolist() and counts.tolist() == expected_counts.tolist()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(-5, 5), st.floats(-1e6, 1e6)), max_size=200))
def test_unique_sums_is_unique_with_counts_and_bincount(pairs):
    """The same codes, counts and float sums, to the last bit, as np.unique's inverse and np.bincount."""
    values = np.array([v for v, _ in pairs], dtype=np.int64)
    weights = np.array([w for _, w in pairs], dtype=np.float64)
    expected, inverse, expected_counts = np.unique(values, return_inverse=True, return_counts=True)
    got, counts, sums = tables.unique_sums(values, weights)
    assert got.tolist() == expected.tolist() and counts.tolist() == expected_counts.tolist()
    assert sums.tolist() == np.bincount(inverse, weights=weights, minlength=len(expected)).tolist()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-(2**63), 2**63 - 1), max_size=200),
    st.lists(st.integers(-(2**63), 2**63 - 1), max_size=60),
    st.lists(st.integers(-3, 3), max_size=50),
)
def test_sorted_member_is_isin(values, wanted, small):
    """The bitmap-then-binary-search lookup of bucket hashes agrees with np.isin, small and colliding
    values included."""
    values = np.array(values + small, dtype=np.int64)
    wanted = np.unique(np.array(wanted + small[::2], dtype=np.int64))
    assert tables.sorted_member(values, wanted).tolist() == np.isin(values, wanted).tolist()


def test_dictionary_columns_are_written_with_one_small_dictionary_per_row_group(tmp_path, monkeypatch):
    """Each row group carries only its own ids (Parquet would write the whole dictionary into every
    row group); the values, as pyarrow and DuckDB read them, are unchanged."""
    monkeypatch.setattr(tables, "ROW_GROUP_ROWS", 1000)
    n = 4500
    ids = pa.array([f"p{i // 8}" for i in range(n)]).dictionary_encode()
    table = pa.table(
        {
            "passage_id": ids,
            "doc_id": pa.array([f"d{i // 80}" for i in range(n)]).dictionary_encode(),
            "band": pa.array([i % 8 for i in range(n)], pa.int16()),
            "bucket": pa.array(np.arange(n, dtype=np.int64) * 7919),
        }
    )
    path = tables.write_partition(table, tmp_path, "bands", "2025-01-01") / tables.PART_FILE
    parquet = pq.ParquetFile(path)
    assert parquet.metadata.num_row_groups == 5
    for group in range(5):
        column = parquet.read_row_group(group, columns=["passage_id"]).column("passage_id")
        assert sum(len(chunk.dictionary) for chunk in column.chunks) == len(pc.unique(column)) <= 125
        # Dictionary pages for the ids only: bucket keys never repeat, so a dictionary would be waste.
        encodings = {
            parquet.schema_arrow.names[i]: parquet.metadata.row_group(group).column(i).encodings for i in range(4)
        }
        assert "RLE_DICTIONARY" in encodings["passage_id"] and "RLE_DICTIONARY" in encodings["doc_id"]
        assert "RLE_DICTIONARY" not in encodings["bucket"] and "RLE_DICTIONARY" not in encodings["band"]
    back = tables.read_partition(tmp_path, "bands", "2025-01-01")
    assert back.schema == tables.rows_schema("bands")
    assert pq.read_table(path, columns=["batch"]).column("batch").unique().to_pylist() == ["2025-01-01"]
    assert (
        back.cast(
            pa.schema([(f.name, pa.string() if pa.types.is_dictionary(f.type) else f.type) for f in back.schema])
        ).to_pylist()
        == table.cast(
            pa.schema([(f.name, pa.string() if pa.types.is_dictionary(f.type) else f.type) for f in table.schema])
        ).to_pylist()
    )
    with duckdb.connect() as con:
        assert con.execute(f"select passage_id, bucket from '{path}' order by bucket").fetchall() == [
            (f"p{i // 8}", i * 7919) for i in range(n)
        ]


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 6), max_size=20), min_size=1, max_size=3),
    st.sets(st.integers(0, 7)),
    st.booleans(),
)
def test_reading_documents_rows_is_filtering_every_partition(tmp_path_factory, partitions, wanted, kept):
    """Rows of some documents, from partitions kept in the cache or too big to keep (filtered while
    reading): the rows a filter gives, in partition then row order."""
    out = tmp_path_factory.mktemp("doc_rows")
    batches = [f"2025-02-{day + 1:02d}" for day in range(len(partitions))]
    for batch, docs in zip(batches, partitions):
        table = pa.table(
            {
                "passage_id": [f"{batch}-{i}" for i in range(len(docs))],
                "doc_id": [f"d{d}" for d in docs],
                "band": pa.array([0] * len(docs), pa.int16()),
                "bucket": pa.array(range(len(docs)), pa.int64()),
            }
        )
        tables.write_partition(table, out, "sentence_bands", batch)
    doc_ids = {f"d{d}" for d in wanted}
    everything = tables.read_batches(out, "sentence_bands", batches)
    expected = everything.filter(pc.is_in(everything.column("doc_id"), value_set=tables.string_array(doc_ids)))
    cache = tables.PartitionCache(budget_bytes=1 << 30 if kept else 0)
    got = tables.read_batches(out, "sentence_bands", batches, doc_ids=doc_ids, cache=cache)
    got_columns = tables.read_batches(out, "sentence_bands", batches, ["passage_id"], doc_ids=doc_ids, cache=cache)
    assert got.to_pylist() == expected.to_pylist()
    assert got_columns.to_pylist() == expected.select(["passage_id"]).to_pylist()


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from("abcdef"), max_size=20), min_size=1, max_size=4),
    st.sets(st.sampled_from("abcdefg")),
    st.sampled_from([0, 700, 1 << 30]),
)
def test_reading_rows_of_some_anchors_is_filtering_every_partition(tmp_path_factory, partitions, wanted, budget):
    """History rows of some anchors, from partitions kept, too big to keep (filtered while reading),
    or some of each: the rows a filter gives, in partition then row order; and the distinct
    passages holding anchors, counted per partition."""
    out = tmp_path_factory.mktemp("anchor_rows")
    batches = [f"2025-02-{day + 1:02d}" for day in range(len(partitions))]
    for batch, anchors in zip(batches, partitions):
        table = pa.table(
            {
                "passage_id": [f"{batch}:{i // 2}" for i in range(len(anchors))],
                "doc_id": [batch] * len(anchors),
                "anchor": [f"n:{a}" for a in anchors],
            }
        )
        tables.write_partition(table, out, "anchors", batch)
    values = tables.string_array({f"n:{a}" for a in wanted})
    everything = tables.read_batches(out, "anchors", batches)
    expected = everything.filter(pc.is_in(everything.column("anchor"), value_set=values))
    cache = tables.PartitionCache(budget_bytes=budget)
    got = tables.read_rows_in(out, "anchors", batches, "anchor", values, cache)
    passages = tables.count_distinct(out, "anchors", batches, "passage_id", cache)
    assert got.schema == tables.rows_schema("anchors")
    assert got.to_pylist() == expected.to_pylist()
    assert passages == len(set(everything.column("passage_id").to_pylist()))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=300), st.sets(st.integers(0, 40)), st.integers(1, 50))
def test_a_filtered_read_decodes_a_few_rows_at_a_time_and_keeps_the_rows_in_order(
    tmp_path_factory, docs, wanted, rows_at_once
):
    """A partition too big to keep is read for some documents a few rows at a time (its peak is
    those rows, not the file): the rows a filter of the whole file gives, in file order."""
    out = tmp_path_factory.mktemp("filtered")
    table = pa.table(
        {
            "passage_id": [f"p{i}" for i in range(len(docs))],
            "doc_id": [f"d{doc}" for doc in docs],
            "anchor": [f"n:{i % 7}" for i in range(len(docs))],
        }
    )
    path = tables.write_partition(table, out, "anchors", "2025-01-01") / tables.PART_FILE
    values = tables.string_array({f"d{doc}" for doc in wanted})
    whole = pq.read_table(path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tables, "FILTERED_READ_ROWS", rows_at_once)
        got = tables.filtered_read(path, ["doc_id", "passage_id"], "doc_id", values)
    expected = whole.filter(pc.is_in(whole.column("doc_id"), value_set=values)).select(["doc_id", "passage_id"])
    assert got.to_pylist() == expected.to_pylist()
    assert got.schema.field("doc_id").type == whole.schema.field("doc_id").type


def test_threads_reading_one_partition_at_once_read_each_column_once_and_keep_it_once(tmp_path, monkeypatch):
    table = pa.table({"passage_id": ["p1", "p2"], "doc_id": ["d1", "d2"], "anchor": ["n:a", "n:b"]})
    path = tables.write_partition(table, tmp_path, "anchors", "2025-01-01") / tables.PART_FILE
    reads, read_table = [], pq.read_table

    def slow_read(*args, **kwargs):
        reads.append(kwargs.get("columns"))
        time.sleep(0.05)  # every thread asks before the first read is done
        return read_table(*args, **kwargs)

    monkeypatch.setattr(tables.pq, "read_table", slow_read)
    cache = tables.PartitionCache(budget_bytes=1 << 20)
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(
            pool.map(
                lambda columns: cache.read(path, tables.rows_schema("anchors"), columns),
                [None, ["passage_id"], ["anchor"], None],
            )
        )
    # Whichever thread takes the lock first reads what it asks for; the others read only what is
    # not kept by then: a thread that asks for one column first makes more than one read, but no
    # column is read twice.
    assert sorted(c for columns in reads for c in columns) == sorted(table.column_names)
    assert cache._bytes == got[0].nbytes  # each column kept once
    assert got[0].to_pylist() == got[3].to_pylist() == table.to_pylist()
    assert got[1].to_pylist() == table.select(["passage_id"]).to_pylist()


def test_a_read_for_some_columns_keeps_those_columns_only_and_reads_each_once(tmp_path, monkeypatch):
    """A daily run asks each earlier batch for a few documents' texts: the passages' signatures,
    most of a partition, must not be read or kept for that."""
    table = pa.table(
        {
            "passage_id": ["p1", "p2", "p3"],
            "doc_id": ["d1", "d2", "d3"],
            "anchor": ["n:a" * 50, "n:b" * 50, "n:c" * 50],
        }
    )
    path = tables.write_partition(table, tmp_path, "anchors", "2025-01-01") / tables.PART_FILE
    reads, read_table = [], pq.read_table

    def counted_read(*args, **kwargs):
        reads.append(kwargs.get("columns"))
        return read_table(*args, **kwargs)

    monkeypatch.setattr(tables.pq, "read_table", counted_read)
    cache = tables.PartitionCache(budget_bytes=1 << 20)
    schema = tables.rows_schema("anchors")
    got = cache.read_rows_in([str(path)], schema, ["passage_id", "doc_id"], "doc_id", pa.array(["d2"]))
    assert got.to_pylist() == [{"passage_id": "p2", "doc_id": "d2"}]
    assert reads == [["passage_id", "doc_id"]]
    kept = cache.read(path, schema, ["doc_id", "passage_id"])
    assert reads == [["passage_id", "doc_id"]], "kept columns are not read again"
    assert cache._bytes == kept.nbytes  # the anchor texts were never kept
    assert cache.read(path, schema).to_pylist() == table.to_pylist()
    assert reads[1:] == [["anchor"]], "a whole read reads only the columns not kept"
