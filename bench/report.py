"""How large the evidence report's pages grow, and how long it takes to render, for a bench batch.

    PYTHONPATH=. python bench/report.py --docs ../shared/eval/dev/docs --scale small   # 1,000 documents
    PYTHONPATH=. python bench/report.py --docs ../shared/eval/dev/docs --scale full    # the 20,000-document batch

Writes the same first batch as ``bench/run.py`` (``write_documents(..., seed=1)``: the 20,000-document
batch at full scale), runs ``newsprov run`` on it, then ``newsprov report --batch`` again in a child
process, timed (wall time and peak RSS), and measures the report's folder: the summary page, the
largest page, all pages together. The bound the report keeps (``pipeline/report/pages.py``): no page
over 20 MB for a 20,000-document batch. ``--screenshot PNG`` saves the summary page as headless
Chromium shows it; ``--keep DIR`` leaves the inputs and output there.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import load_paragraphs, write_documents  # noqa: E402
from run import REPO, newsprov_run, timed_child  # noqa: E402

SCALES = {"small": 1000, "full": 20_000}
BATCH = "2025-01-01"
PAGE_BOUND_MB = 20.0


def report_sizes(folder: Path) -> dict:
    pages = sorted(folder.rglob("*.html"))
    sizes = {p.relative_to(folder).as_posix(): p.stat().st_size for p in pages}
    largest = max(sizes, key=sizes.get)
    return {
        "pages": len(pages),
        "summary_mb": sizes["report.html"] / 2**20,
        "largest_page": largest,
        "largest_page_mb": sizes[largest] / 2**20,
        "total_mb": sum(sizes.values()) / 2**20,
    }


def screenshot(page: Path, png: Path, work: Path) -> None:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={work / 'chromium-profile'}",
            f"--screenshot={png}",
            "--window-size=1280,2200",
            page.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--docs", type=Path, default=REPO.parent / "shared" / "eval" / "dev" / "docs")
    parser.add_argument("--screenshot", type=Path, default=None, help="save the summary page as a PNG here")
    parser.add_argument("--keep", type=Path, default=None, help="write inputs and output here and leave them")
    args = parser.parse_args(argv)
    n_docs = SCALES[args.scale]
    work = args.keep or Path(tempfile.mkdtemp(prefix="newsprov-bench-report-"))
    try:
        inbox, out = work / "first", work / "out"
        if not inbox.is_dir():
            write_documents(inbox, load_paragraphs(args.docs), n_docs, seed=1)
        run = newsprov_run(inbox, out, BATCH)
        env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        report = timed_child(
            [sys.executable, "-m", "pipeline.orchestration.cli", "report", "--out", str(out), "--batch", BATCH],
            env=env,
            cwd=REPO,
        )
        if report["rc"]:
            raise SystemExit(f"bench: newsprov report failed (rc {report['rc']}):\n{report['output'][-3000:]}")
        sizes = report_sizes(out / "reports" / BATCH)
        if args.screenshot is not None:
            screenshot(out / "reports" / BATCH / "report.html", args.screenshot, work)
        print(
            f"report docs={n_docs} run_s={run['wall_s']:.1f} render_s={report['wall_s']:.1f} "
            f"render_peak_rss_mb={report['peak_rss_mb']:.0f} pages={sizes['pages']} "
            f"summary_mb={sizes['summary_mb']:.2f} largest_page_mb={sizes['largest_page_mb']:.2f} "
            f"({sizes['largest_page']}) total_mb={sizes['total_mb']:.1f} "
            f"page_bound_mb={PAGE_BOUND_MB:.0f} within_bound={sizes['largest_page_mb'] <= PAGE_BOUND_MB}"
        )
        return 0
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
