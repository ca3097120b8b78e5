"""Ctrl-C at a task boundary, or while the pool works, through the real command line.

Each run is interrupted once, by a SIGINT sent to the run's process group (as a terminal's Ctrl-C)
or to its main process alone (``kill -INT``), right after a named task publishes, or a moment
after it starts (the pool busy with its chunks). The run exits 130 within a second or two of the
signal with one ``newsprov: interrupted`` line and no traceback, leaves no process behind, and the
same command afterwards finishes the batch with the tables of a run never interrupted.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO
from test_faults import _corpus, _rows

from pipeline.core.schema import TABLES
from pipeline.runtime.interrupts import ctrl_c_deferred

BATCH = "2025-03-05"
# Every stage in the pool, two workers, whatever the machine.
POOL_CFG = """
[core]
autoload_range = false
log_level = WARNING
[retcode]
task_failed = 30
unhandled_exception = 40
[parallel]
processes = 2
min_items = 1
"""

# The command line with a test's hook: after the task named by argv[1] publishes ("published",
# its SUCCESS event), or a number of seconds after it starts, SIGINT goes to the process group
# ("group") or to this process ("process"); argv[4] gets the time it was sent and whether the
# pool had chunks in hand.
INTERRUPT = """
import os, signal, sys, threading, time
import luigi
from pipeline.orchestration import tasks
from pipeline.orchestration.cli import main
from pipeline.runtime import parallel

stage, moment, whom, stamp = sys.argv[1:5]
del sys.argv[1:5]

def ctrl_c():
    busy = parallel._pool is not None and bool(parallel._pool._pending_work_items)
    with open(stamp, "w") as file:
        file.write(f"{time.time()!r} {busy}")
    if whom == "group":
        os.killpg(0, signal.SIGINT)
    else:
        os.kill(os.getpid(), signal.SIGINT)

if moment == "published":
    @tasks.BatchTask.event_handler(luigi.Event.SUCCESS)
    def after(task):
        if type(task).__name__ == stage:
            ctrl_c()
else:
    @tasks.BatchTask.event_handler(luigi.Event.START)
    def during(task):
        if type(task).__name__ == stage:
            threading.Timer(float(moment), ctrl_c).start()

sys.exit(main())
"""


def _newsprov(inbox: Path, out: Path, cfg: Path, hook: list[str] | None = None) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        "LUIGI_CONFIG_PATH": str(cfg),
    }
    command = ["-m", "pipeline.orchestration.cli"] if hook is None else ["-c", INTERRUPT, *hook]
    return subprocess.Popen(
        [sys.executable, *command, "run", str(inbox), "--out", str(out), "--batch", BATCH],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: a group SIGINT reaches no test process
    )


def _finished(process: subprocess.Popen, timeout: float = 120) -> tuple[str, str]:
    try:
        return process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise AssertionError(f"the run did not end within {timeout} s") from None


def _alive_in_group(pgid: int) -> list[str]:
    """The processes of group ``pgid`` that still run: zombies are left out, as they have ended.
    The forkserver and the resource tracker exit with the run, and once orphaned they wait as
    zombies until init reaps them, which on a busy machine took two seconds and more."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended meanwhile
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(stat.parent.name)
    return alive


def _group_gone(pgid: int, timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while _alive_in_group(pgid):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            return False
        time.sleep(0.02)
    return True


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A folder of 300 documents, its tables from a run never interrupted, and a luigi.cfg that
    sends every stage to a pool of two workers."""
    root = tmp_path_factory.mktemp("ctrl_c")
    inbox, reference, cfg = root / "inbox", root / "reference", root / "luigi.cfg"
    _corpus(inbox, 300)
    cfg.write_text(POOL_CFG)
    out, err = _finished(_newsprov(inbox, reference, cfg))
    assert "Traceback" not in err, err
    return inbox, reference, cfg


@pytest.mark.parametrize(
    "stage, moment, whom",
    [
        ("Ingest", "published", "process"),  # the pool started by ingest, idle
        ("Align", "published", "group"),
        ("Clusters", "published", "process"),  # the last stage's runs row, before the report
        ("Ingest", "0.5", "group"),  # the pool computing ingest's chunks (or starting its workers)
        ("Ingest", "0.5", "process"),  # ... its workers not signalled
    ],
)
def test_ctrl_c_stops_the_run_at_once_and_the_same_command_finishes_it(corpus, tmp_path, stage, moment, whom):
    inbox, reference, cfg = corpus
    out, stamp = tmp_path / "out", tmp_path / "stamp"
    process = _newsprov(inbox, out, cfg, [stage, moment, whom, str(stamp)])
    stdout, stderr = _finished(process, timeout=60)
    ended = time.time()
    assert stamp.exists(), f"the run never reached the interrupt:\n{stderr}"
    sent, busy = stamp.read_text().split()
    assert process.returncode == 130, stderr
    assert ended - float(sent) < 2.0, f"exited {ended - float(sent):.1f} s after Ctrl-C"
    assert "Traceback" not in stderr and "Error" not in stderr, stderr
    messages = [line for line in stderr.splitlines() if not line.startswith("INFO ")]
    assert messages == [
        "newsprov: interrupted; tables already published are whole, and the same command finishes the batch"
    ], stderr
    assert _group_gone(process.pid), "a process of the interrupted run is still alive"
    if moment != "published":
        assert busy == "True", "the pool had no chunks in hand: the signal came too late to test a busy pool"

    again = _newsprov(inbox, out, cfg)
    stdout, stderr = _finished(again)
    assert again.returncode == 0 and "Traceback" not in stderr, stderr
    names = sorted(p.name for p in reference.iterdir() if p.name in TABLES and p.name != "runs")
    assert names == sorted(p.name for p in out.iterdir() if p.name in TABLES and p.name != "runs")
    for name in names:
        assert _rows(out, name) == _rows(reference, name), name


def test_a_ctrl_c_inside_a_deferred_step_is_raised_as_it_ends():
    """What the pool does around starting a worker: a Ctrl-C waits for the step, then stops the run."""
    steps = []
    # Python's own Ctrl-C handler, whatever the suite started with: a shell that starts it in the
    # background (`make test &`) starts it with SIGINT ignored, and a deferred Ctrl-C is then
    # ignored too, as it should be.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt), ctrl_c_deferred():
            signal.raise_signal(signal.SIGINT)
            time.sleep(0.05)  # the handler runs here, between two bytecodes
            steps.append("finished")
    finally:
        signal.signal(signal.SIGINT, previous)
    assert steps == ["finished"]
