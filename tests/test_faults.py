"""Bad input and faults, through the real command line, tables read back as a user reads them.

1. A folder of hostile files (encodings, binaries, links, special files, odd names, a size cap):
   the run exits 0, every path is a document, a sighting or a reject with a specific reason,
   nothing outside the input folder is read and nothing outside --out is written.
2. A run killed with SIGKILL in the middle, run again, gives the same tables as a run that was
   never interrupted, and no staging file is visible to pyarrow.dataset or DuckDB globs.
3. A failing stage exits with luigi.cfg's [retcode] codes: tests/test_pipeline.py
   (test_a_failing_task_makes_the_luigi_command_exit_non_zero,
   test_a_failing_task_makes_newsprov_exit_with_the_task_failed_code); not repeated here.
"""

from __future__ import annotations

import codecs
import os
import random
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import luigi.configuration
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from articles import HARBOUR, ORCHARD
from conftest import REPO
from daily import STAGES

from pipeline.core import tables
from pipeline.core.schema import TABLES
from pipeline.orchestration.cli import main

BATCH = "2025-03-05"
CAP = 1_200_000  # [ingest] max_bytes for the bad-input run
SECRET = "Secret outside text that must never be ingested 7f3a9c."
LINE_WORDS = [
    "council",
    "harbour",
    "wall",
    "fishermen",
    "engineers",
    "storm",
    "autumn",
    "orchard",
    "frost",
    "growers",
    "cider",
    "valley",
    "survey",
    "blossom",
    "prices",
    "budget",
    "basin",
    "season",
]


# --- 1. a folder of bad inputs -----------------------------------------------------------------


# file name -> bytes; each is a separate case, named for what it tests
def _bad_files() -> dict[str, bytes]:
    rng = random.Random(5)
    one_line = " ".join(rng.choice(LINE_WORDS) + str(rng.randint(0, 999)) for _ in range(1_000_000 // 10))
    one_line = (one_line[:1_000_000].rsplit(" ", 1)[0] + ".\n").encode()
    cafe = "Le café de la gare a rouvert ses portes lundi, très fréquenté dès le matin.\n"
    mojibake = "It\u2019s the \u2018best\u2019 caf\u00e9 in town, the minister said on Monday.\n"
    return {
        "article.txt": HARBOUR.encode(),
        "binary.bin": bytes(range(256)) * 8,
        "empty.txt": b"",
        "whitespace.txt": b"  \n\t\r\n   \n\x0b\x0c\n",
        "invalid_utf8.txt": b"The mayor said the vote \xc3\x28 was close \xe2\x82 and \xff final.\n",
        "latin1.txt": cafe.encode("latin-1"),
        "utf8_cafe.txt": cafe.encode("utf-8"),  # same text as latin1.txt: a sighting
        "utf8_bom.txt": codecs.BOM_UTF8 + "UTF-8 with a byte order mark, naïve.\n".encode(),
        "utf16le_bom.txt": "UTF-16 little-endian with a BOM, naïve and 東京.\n".encode("utf-16"),
        "utf16be_bom.txt": codecs.BOM_UTF16_BE + "UTF-16 big-endian with a BOM, Zürich.\n".encode("utf-16-be"),
        "utf16_no_bom.txt": "UTF-16 without any byte order mark at all.\n".encode("utf-16-le"),
        "utf32_bom.txt": "UTF-32 with a BOM, Kraków and Québec.\n".encode("utf-32"),
        "mixed_endings.txt": b"Line one ends in CRLF.\r\nLine two ends in CR.\rLine three ends in LF.\nLast.",
        "crlf.txt": ORCHARD.replace("\n", "\r\n").encode(),
        "lf_copy_of_crlf.txt": ORCHARD.encode(),  # same text once line endings are LF: a sighting
        "too_large.txt": b"x" * (CAP + 1),
        "at_cap.bin": b"\x00\x01\x02\x03" * (CAP // 4),  # exactly CAP bytes: read, then binary
        "one_long_line.txt": one_line,
        "control_chars.txt": b"Bell\x07 escape\x1b[0m and backspace\x08 in a sentence about the budget.\n",
        "mostly_controls.txt": bytes(range(1, 9)) * 20 + b"a little text\n",
        "nul_in_text.txt": b"Text with one NUL\x00 byte in the middle of the sentence.\n",
        "bom_only.txt": codecs.BOM_UTF8,
        "bom_twice.txt": codecs.BOM_UTF8 + codecs.BOM_UTF8 + b"\n",
        "zero_width_only.txt": "\u200b\u200b\u2060\n".encode(),
        "nbsp_only.txt": "\u00a0\u2003\u3000\n".encode(),
        "html.html": b"<html><head><title>Budget</title></head><body><p>The council approved the budget "
        b"on Tuesday.</p></body></html>\n",
        "mojibake.txt": mojibake.encode("utf-8").decode("cp1252").encode("utf-8"),
        "header_only.txt": b"date 2025-03-05 Paris:\n",
        "bad_date_header.txt": b"date 2025-13-40 Nowhere: the text goes on after a date that is no date.\n",
        "dup_a.txt": b"A duplicated story about the harbour wall.\n",
        "dup_b.txt": b"A duplicated story about the harbour wall.\n",
        ".hidden.txt": b"A hidden file is still a file of the batch.\n",
        "with space.txt": b"A file whose name has a space.\n",
        "\u00fcn\u00efc\u00f6d\u00e9 \u6771\u4eac.txt": b"A file with a Unicode name.\n",
        "cafe\u0301_nfd.txt": b"A file whose name is in NFD.\n",
        "-leading-dash.txt": b"A file whose name starts with a dash.\n",
        "new\nline.txt": b"A file whose name has a newline.\n",
        "tab\tname.txt": b"A file whose name has a tab.\n",
        "a" * 251 + ".txt": b"A file with a name of 255 bytes.\n",
        "x.txt/inner.txt": b"A file inside a folder named like a file.\n",
        "/".join(f"d{i:02d}" for i in range(40)) + "/deep.txt": b"A file forty folders down.\n",
    }


# Expected outcome per path: ("document", text fragment) / ("sighting", first path) / ("reject", reason, detail).
EXPECTED = {
    "article.txt": ("document", "rebuild the old harbour wall"),
    "binary.bin": ("reject", "binary", "NUL byte at offset 0"),
    "empty.txt": ("reject", "empty", "0 bytes"),
    "whitespace.txt": ("reject", "empty", "only whitespace"),
    "latin1.txt": ("document", "Le café de la gare"),
    "utf8_cafe.txt": ("sighting", "latin1.txt"),
    "utf8_bom.txt": ("document", "UTF-8 with a byte order mark, naïve."),
    "utf16le_bom.txt": ("document", "naïve and 東京."),
    "utf16be_bom.txt": ("document", "big-endian with a BOM, Zürich."),
    "utf16_no_bom.txt": ("reject", "binary", "NUL byte at offset 1"),
    "utf32_bom.txt": ("document", "Kraków and Québec."),
    "mixed_endings.txt": ("document", "Line one ends in CRLF.\nLine two ends in CR.\nLine three ends in LF.\nLast."),
    "crlf.txt": ("document", "smaller harvest"),
    "lf_copy_of_crlf.txt": ("sighting", "crlf.txt"),
    "too_large.txt": ("reject", "too_large", f"{CAP + 1} bytes, more than ingest.max_bytes = {CAP}"),
    "at_cap.bin": ("reject", "binary", "NUL byte at offset 0"),
    "one_long_line.txt": ("document", "council"),
    "control_chars.txt": ("document", "Bell escape[0m and backspace in a sentence about the budget."),
    "mostly_controls.txt": ("reject", "binary", "control characters"),
    "nul_in_text.txt": ("reject", "binary", "NUL byte at offset 17"),
    "bom_only.txt": ("reject", "empty", "no text"),
    "bom_twice.txt": ("reject", "empty", "no text"),
    "zero_width_only.txt": ("reject", "empty", "no text"),
    "nbsp_only.txt": ("reject", "empty", "no text"),
    "html.html": ("document", "The council approved the budget on Tuesday."),  # a page: its main text, no markup
    "mojibake.txt": ("document", "It\u2019s the \u2018best\u2019 caf\u00e9 in town"),
    "header_only.txt": ("document", "date 2025-03-05 Paris:"),
    # UTF-8 but for three bad sequences, each a U+FFFD
    "invalid_utf8.txt": ("document", "The mayor said the vote \ufffd( was close \ufffd and \ufffd final."),
    "bad_date_header.txt": ("document", "date 2025-13-40 Nowhere"),
    "dup_a.txt": ("document", "A duplicated story"),
    "dup_b.txt": ("sighting", "dup_a.txt"),
    ".hidden.txt": ("document", "A hidden file"),
    "with space.txt": ("document", "has a space"),
    "\u00fcn\u00efc\u00f6d\u00e9 \u6771\u4eac.txt": ("document", "Unicode name"),
    "cafe\u0301_nfd.txt": ("document", "in NFD"),
    "-leading-dash.txt": ("document", "starts with a dash"),
    "new\nline.txt": ("document", "has a newline"),
    "tab\tname.txt": ("document", "has a tab"),
    "a" * 251 + ".txt": ("document", "255 bytes"),
    "x.txt/inner.txt": ("document", "named like a file"),
    "/".join(f"d{i:02d}" for i in range(40)) + "/deep.txt": ("document", "forty folders down"),
    "dir.txt": ("reject", "not_a_file", "an empty folder"),
    "nested/empty": ("reject", "not_a_file", "an empty folder"),
    # names that are not valid UTF-8 are shown with the bad bytes escaped
    "bad\\xff\\xfename.txt": ("document", "not UTF-8"),
    # links and special files
    "link_inside.txt": ("sighting", "article.txt"),
    "hardlink.txt": ("sighting", "article.txt"),
    "link_outside.txt": ("reject", "unreadable", "outside the input folder"),
    "link_outside_dir": ("reject", "unreadable", "outside the input folder"),
    "link_to_folder": ("reject", "not_a_file", "symbolic link to the folder x.txt"),
    "link_broken.txt": ("reject", "unreadable", "broken symbolic link"),
    "loop_a": ("reject", "unreadable", "loop"),
    "loop_b": ("reject", "unreadable", "loop"),
    "loop_self": ("reject", "unreadable", "loop"),
    "fifo": ("reject", "not_a_file", "FIFO"),
    "socket": ("reject", "not_a_file", "socket"),
}
# Outcomes that depend on a guess or on who runs the test: the reasons allowed.
UNCERTAIN = {
    # root reads a file whatever its mode: a document as root, else unreadable
    "no_permission.txt": {"document", "unreadable"},
    # a character device: only root may make one (skipped otherwise)
    "char_device": {"not_a_file"},
}


def _make_inbox(inbox: Path, outside: Path) -> None:
    for name, data in _bad_files().items():
        path = inbox / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    with open(os.path.join(os.fsencode(inbox), b"bad\xff\xfename.txt"), "wb") as handle:
        handle.write(b"A file whose name is not UTF-8.\n")
    cwd = os.getcwd()
    os.chdir(inbox)  # a relative name: a socket path must fit in 108 bytes
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind("socket")  # the socket file stays after the socket is closed
    finally:
        os.chdir(cwd)
    (inbox / "link_inside.txt").symlink_to("article.txt")
    os.link(inbox / "article.txt", inbox / "hardlink.txt")
    (inbox / "link_outside.txt").symlink_to(outside / "secret.txt")
    (inbox / "link_outside_dir").symlink_to(outside, target_is_directory=True)
    (inbox / "link_to_folder").symlink_to("x.txt", target_is_directory=True)
    (inbox / "link_broken.txt").symlink_to(inbox / "no_such_file.txt")
    (inbox / "loop_a").symlink_to("loop_b")
    (inbox / "loop_b").symlink_to("loop_a")
    (inbox / "loop_self").symlink_to("loop_self")
    os.mkfifo(inbox / "fifo")
    no_permission = inbox / "no_permission.txt"
    no_permission.write_bytes(b"A file nobody may read, except root.\n")
    no_permission.chmod(0)
    (inbox / "dir.txt").mkdir()  # a folder named like a file, empty
    (inbox / "nested" / "empty").mkdir(parents=True)
    if os.geteuid() == 0:
        os.mknod(inbox / "char_device", stat.S_IFCHR | 0o600, os.makedev(1, 3))  # like /dev/null


def _walk_paths(inbox: Path) -> set[str]:
    """Every non-folder path and every empty folder under ``inbox`` (links not followed), as
    source_path spells it."""
    found = set()
    for folder, dirs, files in os.walk(os.fsencode(inbox), followlinks=False):
        # os.walk lists a symlink to a folder among dirs; it is a path of its own, not descended
        names = files + [
            d for d in dirs if os.path.islink(os.path.join(folder, d)) or not os.listdir(os.path.join(folder, d))
        ]
        for name in names:
            relative = os.path.relpath(os.path.join(folder, name), os.fsencode(inbox))
            found.add(relative.decode("utf-8", "backslashreplace"))
    return found


def _listing(root: Path, skip: Path) -> dict[str, tuple]:
    """Every entry under ``root`` except ``skip``, with what a write would change."""
    entries = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = [d for d in dirs if Path(folder, d) != skip]
        for name in dirs + files:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            entries[path] = (stat.S_IFMT(info.st_mode), info.st_size, info.st_mtime_ns, info.st_mode)
    return entries


@pytest.fixture
def small_cap(tmp_path):
    """``[ingest] max_bytes = CAP`` from a test-local config file, the real settings restored after."""
    parser = luigi.configuration.get_config()  # loads the repository's luigi.cfg first, as a run would
    had = parser.has_option("ingest", "max_bytes")
    old = parser.get("ingest", "max_bytes") if had else None
    cfg = tmp_path / "faults.cfg"
    cfg.write_text(f"[ingest]\nmax_bytes = {CAP}\n")
    luigi.configuration.add_config_path(str(cfg))
    try:
        yield cfg
    finally:
        type(parser)._config_paths.remove(str(cfg))
        if had:
            parser.set("ingest", "max_bytes", old)
        else:
            parser.remove_option("ingest", "max_bytes")


class _Opens:
    """Paths opened by this process (the ``open`` audit event of open() and os.open())."""

    def __init__(self) -> None:
        self.paths: list[str] | None = None
        sys.addaudithook(self._hook)

    def _hook(self, event, args) -> None:
        if event == "open" and self.paths is not None and isinstance(args[0], (str, bytes, os.PathLike)):
            self.paths.append(os.fsdecode(args[0]))


_OPENS = _Opens()


def test_bad_inputs_through_the_command_line(tmp_path, small_cap, monkeypatch, request):
    inbox, outside, out = tmp_path / "inbox", tmp_path / "outside", tmp_path / "out"
    inbox.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET + "\n")
    _make_inbox(inbox, outside)
    request.addfinalizer(lambda: (inbox / "no_permission.txt").chmod(0o644))  # so tmp_path can be removed
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / "luigi.cfg").write_bytes((REPO / "luigi.cfg").read_bytes())  # as in the repository
    monkeypatch.chdir(cwd)  # anything written to the working folder shows in the listing
    expected_paths = _walk_paths(inbox)
    before = _listing(tmp_path, skip=out)

    _OPENS.paths = []
    try:
        code = main(["run", str(inbox), "--out", str(out), "--batch", BATCH])
    finally:
        opened, _OPENS.paths = _OPENS.paths, None
    assert code == 0

    # Read back as a user would: DuckDB over the globs.
    with duckdb.connect() as con:

        def query(sql):
            return con.execute(sql.format(out=out)).fetchall()

        documents = dict(query("select source_path, text from '{out}/documents/**/*.parquet'"))
        rejects = {
            p: (r, d) for p, r, d in query("select source_path, reason, detail from '{out}/rejects/**/*.parquet'")
        }
        sightings = dict(query("select source_path, first_source_path from '{out}/sightings/**/*.parquet'"))
        all_paths = [
            p
            for (p,) in query("""select source_path from '{out}/documents/**/*.parquet' union all
                                            select source_path from '{out}/rejects/**/*.parquet' union all
                                            select source_path from '{out}/sightings/**/*.parquet'""")
        ]

    # every path exactly once
    assert len(expected_paths) >= 50
    assert sorted(all_paths) == sorted(expected_paths)
    wrong = []
    for path in sorted(expected_paths):
        got = (
            ("document", documents[path][:100])
            if path in documents
            else ("sighting", sightings[path])
            if path in sightings
            else ("reject", *rejects[path])
        )
        if path in UNCERTAIN:
            if got[0] not in UNCERTAIN[path] and got[1] not in UNCERTAIN[path]:
                wrong.append((path, got))
            continue
        expected = EXPECTED[path]
        if got[0] != expected[0] or (
            expected[0] == "document"
            and expected[1] not in documents[path]
            or expected[0] == "sighting"
            and expected[1] != got[1]
            or expected[0] == "reject"
            and (expected[1] != got[1] or expected[2] not in got[2])
        ):
            wrong.append((path, got))
    assert wrong == []
    assert set(EXPECTED) | set(UNCERTAIN) >= expected_paths

    # normalised text: LF only, no control characters, no BOM
    for path, text in documents.items():
        assert "\r" not in text and "\ufeff" not in text, path
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", text), path
    assert len(documents["one_long_line.txt"]) > 990_000

    # nothing outside the input folder was read
    assert not any(SECRET in text for text in documents.values())
    assert any(Path(p).is_relative_to(inbox) for p in opened)  # the hook saw the run's reads
    assert not [p for p in opened if Path(p).is_relative_to(outside)]
    # nothing outside --out was written (the input folder included)
    assert _listing(tmp_path, skip=out) == before


# --- 2. killed mid-run, run again ----------------------------------------------------------------


def _corpus(folder: Path, n: int) -> None:
    """``n`` small documents of random words, every tenth an edited copy of the one before, and a
    few exact duplicates (sightings), so every table gets rows."""
    vocab = sorted({w.lower() for w in re.findall(r"[A-Za-z]{3,}", HARBOUR + ORCHARD)})
    rng = random.Random(7)
    folder.mkdir(parents=True)
    texts = []
    for i in range(n):
        if i % 10 == 9:
            text = texts[-1] + f"\nThis report was updated at {i % 24} o'clock by the night desk, Reuters said.\n"
        else:
            paragraphs = [
                " ".join(
                    " ".join(rng.choices(vocab, k=14)).capitalize() + f" {rng.randint(10, 9999)}." for _ in range(2)
                )
                for _ in range(4)
            ]
            text = f"date 2025-03-{1 + i % 5:02d} Town{i % 17}:\n" + "\n\n".join(paragraphs) + "\n"
        texts.append(text)
        (folder / f"doc_{i:04d}.txt").write_text(text)
    for i in range(0, n, 50):
        (folder / f"dup_{i:04d}.txt").write_text(texts[i])


# Runs the command line with every write of one table's staging file (tables._write_file) followed by a long
# sleep, so a kill lands after the staging file is written and before it is renamed into place.
SLOW_WRITE = """
import sys, time
from pipeline.core import tables
from pipeline.orchestration.cli import main
real, table = tables._write_file, sys.argv.pop(1)
def write_then_sleep(data, where, *args, **kwargs):
    real(data, where, *args, **kwargs)
    if f"/{table}-" in str(where):
        time.sleep(120)
tables._write_file = write_then_sleep
sys.exit(main())
"""


def _run_cli(inbox: Path, out: Path, hang_after_staging: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    command = (
        ["-m", "pipeline.orchestration.cli"] if hang_after_staging is None else ["-c", SLOW_WRITE, hang_after_staging]
    )
    return subprocess.Popen(
        [sys.executable, *command, "run", str(inbox), "--out", str(out), "--batch", BATCH],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _published(out: Path, table: str) -> bool:
    return (tables.partition_dir(out, table, BATCH) / tables.PART_FILE).is_file()


def _staged(out: Path, table: str) -> bool:
    return any((out / tables.STAGING).glob(f"{table}-*/{tables.UNPUBLISHED_FILE}"))


def _kill_when(process: subprocess.Popen, ready) -> None:
    deadline = time.monotonic() + 60
    while not ready() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert process.poll() is None, "the run finished before it could be killed: make the corpus bigger"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL


def _finish(process: subprocess.Popen) -> None:
    log = process.communicate(timeout=120)[0].decode()
    assert process.returncode == 0, log


def _reader_kwargs(table: str) -> dict:
    return {"format": "parquet", "partitioning": None if table == "outlets" else "hive"}


def _rows(out: Path, table: str) -> list[tuple]:
    """A table's rows read with pyarrow.dataset, timestamp columns left out, in a stable order."""
    data = ds.dataset(out / table, **_reader_kwargs(table)).to_table()
    keep = [f.name for f in data.schema if not pa.types.is_timestamp(f.type)]
    return sorted(tuple(repr(v) for v in row.values()) for row in data.select(keep).to_pylist())


def _stage_runs(out: Path) -> set[tuple]:
    data = ds.dataset(out / "runs", **_reader_kwargs("runs")).to_table()
    return set(
        zip(
            *(
                data.column(c).to_pylist()
                for c in ("batch", "stage", "code_version", "settings_hash", "rows_in", "rows_out")
            )
        )
    )


@pytest.fixture(scope="module")
def killed_and_reference(tmp_path_factory):
    """The same folder run once uninterrupted, and once killed twice and run again to the end."""
    root = tmp_path_factory.mktemp("killed")
    inbox, reference, killed = root / "inbox", root / "reference", root / "killed"
    _corpus(inbox, 400)
    reference_run = _run_cli(inbox, reference)  # runs beside the killed ones: another --out

    # 1. SIGKILL in the middle of a stage: documents published, the passages being computed.
    _kill_when(_run_cli(inbox, killed), lambda: _published(killed, "documents"))
    assert _published(killed, "documents") and not _published(killed, "overlaps")
    # 2. SIGKILL in the middle of a write: the candidates' staging file written, not yet renamed.
    _kill_when(_run_cli(inbox, killed, hang_after_staging="candidates"), lambda: _staged(killed, "candidates"))
    assert _published(killed, "passages") and not _published(killed, "candidates")
    assert not (killed / "reports").exists()
    # 3. Run again to the end.
    _finish(_run_cli(inbox, killed))
    _finish(reference_run)
    return killed, reference


def test_a_run_killed_and_run_again_equals_an_uninterrupted_run(killed_and_reference):
    killed, reference = killed_and_reference
    names = sorted(p.name for p in reference.iterdir() if p.name in TABLES)
    assert names == sorted(p.name for p in killed.iterdir() if p.name in TABLES) == sorted(TABLES)
    for name in names:
        if name != "runs":
            assert _rows(killed, name) == _rows(reference, name), name
    # The runs table records each run's time and memory; what each stage read and wrote is the same. A
    # stage killed after publishing its tables, before its runs row, is complete without one.
    assert _stage_runs(killed) <= _stage_runs(reference) and len(_stage_runs(reference)) == len(STAGES)
    for name in ("documents", "passages", "candidates", "overlaps", "provenance", "sightings", "clusters"):
        assert _rows(reference, name), f"{name} is empty: the comparison proves little"


def test_no_staging_file_is_visible_to_table_readers(killed_and_reference):
    killed, _ = killed_and_reference
    # The run again removed the killed write's staging left-over (it holds the lock: no one else
    # writes there); put one back as the kill left it...
    assert not _staged(killed, "candidates") and not any((killed / tables.STAGING).iterdir())
    leftover = killed / tables.STAGING / f"candidates-{BATCH}-0123456789abcdef"
    leftover.mkdir()
    shutil.copy(
        tables.partition_dir(killed, "candidates", BATCH) / tables.PART_FILE, leftover / tables.UNPUBLISHED_FILE
    )
    assert _staged(killed, "candidates")
    with duckdb.connect() as con:
        for name in TABLES:
            # ...but not in a table: pyarrow.dataset and DuckDB's per-table glob (as the README shows)
            files = ds.dataset(killed / name, **_reader_kwargs(name)).files
            assert files and all(f.endswith("/" + tables.PART_FILE) and tables.STAGING not in f for f in files)
            globbed = [f for (f,) in con.execute(f"select file from glob('{killed}/{name}/**/*.parquet')").fetchall()]
            assert sorted(globbed) == sorted(files)
        count = con.execute(f"select count(*) from '{killed}/candidates/**/*.parquet'").fetchone()[0]
    assert count == ds.dataset(killed / "candidates", **_reader_kwargs("candidates")).count_rows() > 0


def test_a_glob_over_the_whole_output_folder_sees_no_staging_file(killed_and_reference):
    killed, _ = killed_and_reference
    with duckdb.connect() as con:
        globbed = [f for (f,) in con.execute(f"select file from glob('{killed}/**/*.parquet')").fetchall()]
    assert globbed and not [f for f in globbed if f"/{tables.STAGING}/" in f]
