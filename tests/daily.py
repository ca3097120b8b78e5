"""Running the pipeline over several days of small inboxes, as a daily schedule would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO

from pipeline.orchestration.cli import main

# The stages that publish tables, each with a row in the runs table, in the order a batch runs them.
STAGES = (
    "Ingest",
    "Fingerprint",
    "Bands",
    "CandidateJoin",
    "Align",
    "Attribution",
    "Paraphrase",
    "Provenance",
    "Clusters",
    "OutletLinks",
)


def luigi_inbox(
    inbox: Path, out: Path, *options: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """The scheduled command, `luigi --module pipeline.orchestration.tasks Inbox ...` with ``options``
    (``env``: variables added to this process's)."""
    command = [sys.executable, "-m", "luigi", "--module", "pipeline.orchestration.tasks", "Inbox"]
    return subprocess.run(
        [*command, "--inbox", str(inbox), "--out-dir", str(out), *options],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
    )


def run_batches(tmp_path: Path, days: dict[str, dict[str, str]]) -> Path:
    """Each day's files ({batch: {file name: text}}) as one batch into the same output folder,
    oldest first; the output folder."""
    out = tmp_path / "out"
    for batch, files in days.items():
        inbox = tmp_path / batch
        inbox.mkdir()
        for name, text in files.items():
            (inbox / name).write_text(text)
        if main(["run", str(inbox), "--out", str(out), "--batch", batch]) != 0:
            raise AssertionError(f"newsprov run failed on batch {batch}")
    return out
