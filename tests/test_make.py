"""`make test SKIP=browser,spark`: a developer leaves out the tests that install a browser or Spark."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import REPO

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def dry_run(*args: str) -> str:
    """The commands `make test` would run (make -n), the virtual environment taken as installed."""
    result = subprocess.run(
        ["make", "-n", "-o", ".venv/.installed", "-o", ".venv/.installed-spark", "test", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.stdout + result.stderr


def test_plain_make_test_installs_and_runs_everything():
    commands = dry_run()
    assert "apt-get install -y -qq chromium" in commands
    assert [line.split("pytest", 1)[1].strip() for line in commands.splitlines() if " -m pytest" in line] == ["-q"]


@pytest.mark.parametrize(
    ("skip", "marker"),
    [("browser", "not browser"), ("spark", "not spark"), ("browser,spark", "not browser and not spark")],
)
def test_skip_leaves_out_the_tests_and_the_installs(skip, marker):
    commands = dry_run(f"SKIP={skip}")
    assert f'pytest -q -m "{marker}"' in commands
    assert ("chromium" in commands) == ("browser" not in skip)


def test_skip_names_only_what_it_knows():
    assert "SKIP takes browser and/or spark" in dry_run("SKIP=java")


def test_the_markers_select_the_spark_and_browser_tests():
    def collected(marker: str) -> set[str]:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "--collect-only",
                "-m",
                marker,
                "tests/test_spark.py",
                "tests/test_report.py",
                "tests/test_report_evidence.py",
                "tests/test_readers.py",
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        return {line.split("[")[0] for line in result.stdout.splitlines() if "::" in line}

    spark = collected("spark")
    assert spark and all(t.startswith("tests/test_spark.py") or "spark" in t for t in spark)
    browser = collected("browser")
    assert "tests/test_report.py::test_report_in_headless_chromium" in browser
    assert all(t.startswith("tests/test_report") and t.endswith("_in_headless_chromium") for t in browser)
    rest = collected("not browser and not spark")
    assert rest and not rest & (spark | browser)
