"""Every user or environment error is one line starting ``newsprov:``, exit 2, no traceback.

A luigi.cfg that configparser cannot read, a setting too large for the code that uses it, a bad
``[retcode]`` value, a disk that fills up while a task publishes, a read-only output folder.
NEWSPROV_DEBUG=1 keeps the traceback.
"""

from __future__ import annotations

import errno
import os
import pathlib
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SEEDS

from pipeline.orchestration.cli import main

BATCH = "2025-03-05"


def _newsprov(*arguments: str, cfg: Path | None = None, cwd: Path = REPO, script: str | None = None, **env):
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        **env,
    }
    environment.pop("LUIGI_CONFIG_PATH", None)
    if cfg is not None:
        environment["LUIGI_CONFIG_PATH"] = str(cfg)
    command = ["-m", "pipeline.orchestration.cli"] if script is None else ["-c", script]
    return subprocess.run(
        [sys.executable, *command, *arguments], capture_output=True, text=True, cwd=cwd, env=environment, timeout=300
    )


def _one_line(result: subprocess.CompletedProcess, *words: str) -> str:
    """The run's stderr, less its INFO progress lines, is one ``newsprov:`` line holding ``words``."""
    lines = [line for line in result.stderr.splitlines() if not line.startswith("INFO ")]
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("newsprov: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(
    "text, words",
    [
        (b"[ingest]\nmax_bytes = 1\nmax_bytes = 2\n", ["line 3", "[ingest] max_bytes is set twice"]),
        (b"max_bytes = 1\n[ingest]\n", ["line 1", "'max_bytes = 1' is not in a [section]"]),
        (b"[ingest\nmax_bytes = 1\n", ["line 1", "'[ingest'"]),
        (b"[core]\nlog_level = WARNING\n[ingest\n", ["line 3", "'[ingest'"]),
        (b"[ingest]\nmax_bytes = 1\n[ingest]\n", ["line 3", "section [ingest] appears twice"]),
        (b"[ingest]\nmax_bytes = \xff\xfe\x00\x01\n", ["is not UTF-8 text (byte 0xff at offset 21)"]),
    ],
)
def test_a_luigi_cfg_configparser_cannot_read_is_one_line(tmp_path, text, words):
    cfg = tmp_path / "bad.cfg"
    cfg.write_bytes(text)
    _one_line(_newsprov("run", str(SEEDS), "--out", str(tmp_path / "out"), cfg=cfg), str(cfg), *words)
    assert not (tmp_path / "out" / "documents").exists()


def test_a_luigi_cfg_in_the_working_folder_that_cannot_be_read_is_one_line(tmp_path):
    # luigi reads ./luigi.cfg when first asked, not on import as LUIGI_CONFIG_PATH's file.
    (tmp_path / "luigi.cfg").write_text("[ingest]\nmax_bytes = 1\nmax_bytes = 2\n")
    result = _newsprov("run", str(SEEDS), "--out", str(tmp_path / "out"), cwd=tmp_path)
    _one_line(result, "luigi.cfg line 3: [ingest] max_bytes is set twice")


@pytest.mark.parametrize(
    "text, words",
    [
        ("[ingest]\nmax_bytes = 99999999999999999999\n", ["ingest.max_bytes must be at most", "99999999999999999999"]),
        ("[retcode]\ntask_failed = abc\n", ["[retcode] task_failed", "'abc'"]),
    ],
)
def test_a_value_that_failed_inside_a_task_stops_the_run_before_it(tmp_path, text, words):
    cfg = tmp_path / "luigi.cfg"
    cfg.write_text(text)
    _one_line(_newsprov("run", str(SEEDS), "--out", str(tmp_path / "out"), cfg=cfg), *words)


# The command line with every write of the passages partition failing as on a full disk.
FULL_DISK = """
import errno, os, sys
from pipeline.core import tables
from pipeline.orchestration.cli import main
real = tables._write_file
def full(data, where, *args, **kwargs):
    if "/passages-" in str(where):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(where))
    return real(data, where, *args, **kwargs)
tables._write_file = full
sys.exit(main())
"""


def test_a_disk_that_fills_up_while_a_task_publishes_is_one_line(tmp_path):
    out = tmp_path / "out"
    arguments = ("run", str(SEEDS), "--out", str(out), "--batch", BATCH)
    line = _one_line(_newsprov(*arguments, script=FULL_DISK), "No space left on device", "Fingerprint", BATCH)
    assert f"cannot write {out}/passages/{BATCH}" in line and "Traceback" not in line
    # NEWSPROV_DEBUG=1 keeps luigi's traceback of the task, then the same line.
    debug = _newsprov(*arguments, script=FULL_DISK, NEWSPROV_DEBUG="1")
    assert debug.returncode == 2 and "Traceback" in debug.stderr and debug.stderr.rstrip().endswith(line[10:])
    # With space again, the same command finishes the batch.
    assert _newsprov(*arguments).returncode == 0
    assert (out / "passages" / BATCH / "part-0.parquet").is_file()


def test_newsprov_report_on_a_read_only_output_is_one_line(seed_run, monkeypatch, capsys):
    def read_only(self, *args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))

    # As on a read-only mount: nothing can be created there, nor removed.
    monkeypatch.setattr(pathlib.Path, "open", read_only)
    monkeypatch.setattr(pathlib.Path, "unlink", read_only)
    assert main(["report", "--out", str(seed_run.out)]) == 2
    err = capsys.readouterr().err
    assert err == (f"newsprov: cannot write {seed_run.out}/reports/all: Read-only file system; pass a writable --out\n")
    assert not [p for p in (seed_run.out / "reports").glob("*") if "all" in p.name]  # nothing half written


def test_an_os_error_outside_a_task_is_one_line(tmp_path, monkeypatch, capsys):
    (tmp_path / "documents").mkdir(parents=True)

    def vanished(out, top):
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(tmp_path / "documents"))

    monkeypatch.setattr("pipeline.report.queries.format_stats", vanished)
    assert main(["stats", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"newsprov: {tmp_path}/documents: No such file or directory\n"
