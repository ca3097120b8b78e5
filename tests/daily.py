"""Running the pipeline over several days of small inboxes, as a daily schedule would."""

from __future__ import annotations

from pathlib import Path

from pipeline.orchestration.cli import main


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
