"""The code passes ruff's lint and is as ruff formats it ([tool.ruff] in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO


@pytest.mark.parametrize("command", [["check", "--no-fix"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff(command):
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "."], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, (
        f"ruff {' '.join(command)} (run `ruff format . && ruff check --fix .`):\n{result.stdout}"
    )
