"""The input folder as a whole: every path under it leaves a row, and the output folder is never inside it."""

from __future__ import annotations

import pytest
from conftest import SEEDS

from pipeline.orchestration.cli import main


@pytest.mark.parametrize("where", ["same", "inside"])
def test_an_output_folder_inside_the_input_folder_is_refused_in_one_line(tmp_path, where, capsys):
    inbox = tmp_path / "2025-10-27"
    inbox.mkdir()
    for seed in SEEDS.iterdir():
        (inbox / seed.name).write_bytes(seed.read_bytes())
    out = inbox if where == "same" else inbox / "output"
    assert main(["run", str(inbox), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("newsprov: output folder ") and err.count("\n") == 1
    assert "input folder" in err and "pass an --out outside it" in err
    assert sorted(p.name for p in inbox.iterdir()) == sorted(p.name for p in SEEDS.iterdir())  # nothing written


def test_an_output_folder_inside_an_inbox_is_refused_before_anything_is_written(tmp_path, capsys):
    """It would make the inbox a folder of articles (it no longer holds only day folders)."""
    inbox = tmp_path / "inbox"
    (inbox / "2025-10-27").mkdir(parents=True)
    for seed in SEEDS.iterdir():
        (inbox / "2025-10-27" / seed.name).write_bytes(seed.read_bytes())
    assert main(["run", str(inbox), "--out", str(inbox / "output")]) == 2
    assert capsys.readouterr().err.startswith(f"newsprov: output folder {inbox / 'output'} is inside the input folder")
    assert [p.name for p in inbox.iterdir()] == ["2025-10-27"]
