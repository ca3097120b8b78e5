"""A small news day written for the tests (not taken from any corpus), in every input format.

A wire story (Reuters), a copy that credits it (The Guardian), a copy that does not (The Mercury
News), and a later version of the wire story at the same URL with one paragraph changed and one
added. ``write_*`` put them in a file of each format the readers take.
"""

from __future__ import annotations

import csv
import gzip
import html
import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

PARAGRAPHS = [
    "The operator of Britain's busiest container port said on Monday it would spend 1.2 billion pounds "
    "on automated cranes over the next six years, the largest investment in the harbour since it opened "
    "in 1967.",
    "Chief executive Helen Marsh told reporters that the new cranes would double the number of ships the "
    "terminal can handle each week, and that no dock worker would lose a job as a result of the change.",
    "The dockers' union said it had not been consulted and would ballot its 3,400 members on strike action "
    "unless the company put its promise on jobs in writing before the end of the month.",
    "Shipping lines have complained for two years that congestion at the terminal adds up to four days to "
    "deliveries from Asia, pushing some of them to route cargo through Rotterdam and Antwerp instead.",
    "Work on the first berth is due to begin in the spring, with the remaining berths converted one at a "
    "time so that the port never closes, the company said in a statement.",
]
CHANGED = (
    "The dockers' union said late on Monday that it had accepted a written guarantee on jobs and would not "
    "ballot its 3,400 members on strike action, ending a dispute that had threatened the spring works."
)
ADDED = "Shares in the company rose 3.1 percent in London trading after the announcement."


@dataclass(frozen=True)
class NewsArticle:
    id: str
    url: str
    publisher: str
    title: str
    published: str
    language: str
    text: str


WIRE = NewsArticle(
    "wire-1",
    "https://www.reuters.com/business/port-cranes-idUS1",
    "Reuters",
    "Port operator to spend 1.2 billion pounds on automated cranes",
    "2025-03-03T08:15:00Z",
    "en",
    "\n".join(["LONDON (Reuters) - " + PARAGRAPHS[0], *PARAGRAPHS[1:]]),
)
CREDITED = NewsArticle(
    "copy-credited",
    "https://www.theguardian.com/business/2025/mar/03/port-cranes",
    "The Guardian",
    "Britain's busiest port to automate with 1.2bn pounds of cranes",
    "2025-03-03T11:40:00+00:00",
    "en",
    "\n".join([*PARAGRAPHS, "This article was originally published by Reuters."]),
)
UNCREDITED = NewsArticle(
    "copy-uncredited",
    "https://www.mercurynews.com/2025/03/03/port-cranes/",
    "The Mercury News",
    "Port bets on robot cranes",
    "2025-03-03T06:05:00-08:00",
    "en",
    "\n".join(PARAGRAPHS[:4]),
)
UPDATE = NewsArticle(
    "wire-1-update",
    WIRE.url,
    "Reuters",
    WIRE.title,
    "2025-03-03T19:30:00Z",
    "en",
    "\n".join(["LONDON (Reuters) - " + PARAGRAPHS[0], PARAGRAPHS[1], CHANGED, *PARAGRAPHS[3:], ADDED]),
)
DAY = [WIRE, CREDITED, UNCREDITED, UPDATE]


def page(article: NewsArticle) -> bytes:
    """The article as a news site's page: head metadata, navigation, the article, a footer."""
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in article.text.split("\n"))
    return f"""<!DOCTYPE html>
<html lang="{article.language}">
<head>
<meta charset="utf-8">
<title>{html.escape(article.title)} | {html.escape(article.publisher)}</title>
<meta property="og:title" content="{html.escape(article.title)}">
<meta property="og:site_name" content="{html.escape(article.publisher)}">
<meta property="og:url" content="{article.url}">
<link rel="canonical" href="{article.url}">
<meta property="article:published_time" content="{article.published}">
</head>
<body>
<nav><a href="/">Home</a> <a href="/business">Business</a> <a href="/world">World</a></nav>
<main><article>
<h1>{html.escape(article.title)}</h1>
{body}
</article></main>
<footer><p>Copyright 2025. All rights reserved.</p></footer>
</body>
</html>
""".encode()


def write_html(folder: Path, articles=DAY) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for article in articles:
        path = folder / f"{article.id}.html"
        path.write_bytes(page(article))
        paths.append(path)
    return paths


def write_warc(path: Path, articles=DAY) -> Path:
    """A WARC as a crawler writes it: a warcinfo record, then a request and a response per page, and
    an image response in between."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=path.name.endswith(".gz"))
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "newsprov tests"}))
        for n, article in enumerate(articles):
            request = StatusAndHeaders(f"GET {article.url} HTTP/1.1", [("Host", "example")], is_http_request=True)
            writer.write_record(writer.create_warc_record(article.url, "request", http_headers=request))
            data = page(article)
            headers = StatusAndHeaders(
                "200 OK",
                [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(data)))],
                protocol="HTTP/1.1",
            )
            writer.write_record(
                writer.create_warc_record(article.url, "response", payload=io.BytesIO(data), http_headers=headers)
            )
            if n == 0:
                png = b"\x89PNG\r\n\x1a\n" + bytes(40)
                image = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")
                writer.write_record(
                    writer.create_warc_record(
                        "https://www.example.com/logo.png", "response", payload=io.BytesIO(png), http_headers=image
                    )
                )
    return path


def rows(articles=DAY) -> list[dict]:
    return [asdict(a) for a in articles]


def write_jsonl(path: Path, articles=DAY, bad_lines: bool = False) -> Path:
    lines = [json.dumps(row, ensure_ascii=False) for row in rows(articles)]
    if bad_lines:
        lines[1:1] = ['{"id": "broken", "text": "no end', '{"id": "no-text"}', '{"id": "number", "text": 7}']
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def write_csv(path: Path, articles=DAY, delimiter: str = ",") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows(articles)[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows(articles))
    return path


def write_parquet(path: Path, articles=DAY) -> Path:
    pq.write_table(pa.Table.from_pylist(rows(articles)), path)
    return path
