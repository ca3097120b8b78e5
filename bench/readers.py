"""Reading speed of the input readers: documents per second for a generated WARC and JSON Lines export.

    PYTHONPATH=. python bench/readers.py --n 20000 --docs ../shared/eval/dev/docs

Articles are made of paragraphs of the documents under --docs (read in place, never copied) and
written into a temporary folder (removed at the end) as ``articles.jsonl`` and as pages in
``crawl.warc.gz`` (each response after its request record, as a crawler writes them). For each
format it times the reader alone (records out of the file) and newsprov's ingest stage (the reader,
main-text extraction for pages, normalisation, credits, language), and the main-text extraction
of a sample of pages with trafilatura and, when installed, resiliparse.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.corpus import load_paragraphs  # noqa: E402
from pipeline.runtime.parallel import ParallelParams  # noqa: E402
from pipeline.stages.ingest import IngestParams, ingest_folder  # noqa: E402
from pipeline.stages.readers import Fields, read_articles  # noqa: E402
from pipeline.stages.readers.web import extract_page  # noqa: E402

PUBLISHERS = [("Reuters", "reuters.com"), ("The Guardian", "theguardian.com"), ("BBC News", "bbc.com")]


def make_articles(paragraphs: list[list[str]], n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    start = dt.datetime(2025, 3, 3, tzinfo=dt.timezone.utc)
    articles = []
    for i in range(n):
        publisher, domain = PUBLISHERS[i % len(PUBLISHERS)]
        body = [" ".join(rng.choice(paragraphs)) for _ in range(rng.randint(5, 10))]
        articles.append(
            {
                "id": f"a{i}",
                "url": f"https://www.{domain}/news/{i}",
                "publisher": publisher,
                "title": " ".join(rng.choice(paragraphs)[:8]),
                "published": (start + dt.timedelta(seconds=37 * i)).isoformat(),
                "language": "en",
                "text": "\n".join(body),
            }
        )
    return articles


def page(article: dict) -> bytes:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in article["text"].split("\n"))
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(article["title"])}</title>'
        f'<meta property="og:site_name" content="{article["publisher"]}">'
        f'<meta property="article:published_time" content="{article["published"]}"></head><body>'
        '<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/business">Business</a></nav>'
        f"<main><article><h1>{html.escape(article['title'])}</h1>{body}</article></main>"
        "<footer><p>Copyright 2025. All rights reserved.</p></footer></body></html>"
    ).encode()


def write_jsonl(articles: list[dict], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for article in articles:
            handle.write(json.dumps(article) + "\n")


def write_warc(articles: list[dict], path: Path) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for article in articles:
            request = StatusAndHeaders(f"GET {article['url']} HTTP/1.1", [("Host", "x")], is_http_request=True)
            writer.write_record(writer.create_warc_record(article["url"], "request", http_headers=request))
            data = page(article)
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(article["url"], "response", payload=io.BytesIO(data), http_headers=headers)
            )


def timed(function) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def reader_only(path: Path, fmt: str) -> int:
    return sum(1 for _ in read_articles(path, fmt, Fields(), 20_000_000))


def extraction_sample(articles: list[dict], k: int) -> dict[str, float]:
    """Pages per second of main-text extraction alone, on ``k`` pages."""
    pages = [page(a) for a in articles[:k]]
    rates = {}
    seconds, _ = timed(lambda: [extract_page(p, None, "utf-8") for p in pages])
    rates["trafilatura (newsprov extract_page)"] = k / seconds
    try:
        from resiliparse.extract.html2text import extract_plain_text
        from resiliparse.parse.html import HTMLTree
    except ImportError:
        return rates
    seconds, _ = timed(lambda: [extract_plain_text(HTMLTree.parse_from_bytes(p), main_content=True) for p in pages])
    rates["resiliparse extract_plain_text(main_content=True)"] = k / seconds
    seconds, _ = timed(lambda: [extract_page(p, None, "utf-8", "resiliparse") for p in pages])
    rates["resiliparse + trafilatura metadata (newsprov extract_page, extractor = resiliparse)"] = k / seconds
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="articles per file (default: 20000)")
    parser.add_argument("--docs", type=Path, default=REPO.parent / "shared" / "eval" / "dev" / "docs")
    parser.add_argument("--processes", type=int, default=0, help="[parallel] processes for ingest (0: all cores)")
    parser.add_argument("--sample", type=int, default=300, help="pages for the extraction comparison")
    parser.add_argument("--resiliparse", action="store_true", help="ingest the WARC with extractor = resiliparse too")
    args = parser.parse_args()
    os.environ.setdefault("NEWSPROV_PROGRESS", "0")
    articles = make_articles(load_paragraphs(args.docs), args.n)
    parallel = ParallelParams(processes=args.processes, min_items=1)
    now = dt.datetime.now(dt.timezone.utc)
    lines = [f"readers bench: {args.n} articles per file, ingest with [parallel] processes = {args.processes}"]
    with tempfile.TemporaryDirectory(prefix="newsprov-readers-") as scratch:
        folder = Path(scratch)
        write_jsonl(articles, folder / "articles.jsonl")
        write_warc(articles, folder / "crawl.warc.gz")
        runs = [("articles.jsonl", "jsonl", "trafilatura"), ("crawl.warc.gz", "warc", "trafilatura")]
        if args.resiliparse:
            runs.append(("crawl.warc.gz", "warc", "resiliparse"))
        for name, fmt, extractor in runs:
            size = (folder / name).stat().st_size
            read_s, count = timed(lambda: reader_only(folder / name, fmt))  # noqa: B023
            params = IngestParams(extractor=extractor)
            ingest_s, result = timed(
                lambda: ingest_folder(folder / name, "2025-03-03", params, now, parallel=parallel)  # noqa: B023
            )
            docs = result.documents.num_rows
            lines.append(
                f"{fmt}{f' ({extractor})' if fmt == 'warc' else ''}: {size / 1e6:.1f} MB; reader alone "
                f"{count / read_s:,.0f} articles/s ({read_s:.1f} s); ingest {docs / ingest_s:,.0f} documents/s "
                f"({docs} documents, {result.rejects.num_rows} rejects, {ingest_s:.1f} s)"
            )
    for name, rate in extraction_sample(articles, args.sample).items():
        lines.append(f"main-text extraction, {args.sample} pages: {name} {rate:,.0f} pages/s (one process)")
    print("\n".join(lines))
    print(f"median article: {statistics.median(len(a['text']) for a in articles):,.0f} characters")


if __name__ == "__main__":
    main()
