"""Synthetic benchmark corpora built at run time from real article text.

The source texts (``../shared/eval/dev/docs`` by default, research-use) are read in
place and never copied into the repository. They are split into paragraphs, and each
generated passage is a new order-1 Markov walk over the paragraphs' word transitions
(real words and local phrasing, the source's paragraph lengths) with random word edits.
Reusing the few thousand source paragraphs themselves for 200k passages would make every
paragraph's 30+ variants look like rewrites of each other (shared names, aligned words),
which floods the anchor channel and align with artefacts. On top of that,
``planted_share`` of the passages are *planted near duplicates*: light edits (replace /
delete / insert at 2-15% of the words) of another passage, in another document, which
LSH must find (the recall figures).

Everything is seeded: the same arguments give the same corpus.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path

_PARAGRAPH_SPLIT = re.compile(r"\n\s*\n|\n")
_HEADER = re.compile(r"^date \d{4}-\d{2}-\d{2} [^:]{1,60}:\s*", re.IGNORECASE)

# A made-up boilerplate line (not taken from the source texts) for the hot-bucket case.
BOILERPLATE = (
    "Copyright 2025 Example Newswire. All rights reserved. This material may not be published, "
    "broadcast, rewritten or redistributed without permission. Sign up for our daily newsletter."
)


def load_paragraphs(docs_dir: Path, min_words: int = 8) -> list[list[str]]:
    """Distinct paragraphs (as word lists) of every ``*.txt`` under ``docs_dir``."""
    files = sorted(Path(docs_dir).glob("*.txt"))
    if not files:
        raise SystemExit(
            f"bench: no *.txt documents under {docs_dir}; pass --docs DIR "
            "(e.g. ../shared/eval/dev/docs beside the checkout)"
        )
    seen: dict[str, None] = {}
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for para in _PARAGRAPH_SPLIT.split(text):
            para = _HEADER.sub("", " ".join(para.split()))
            if len(para.split()) >= min_words:
                seen.setdefault(para, None)
    return [p.split() for p in seen]


@dataclass
class PassageCorpus:
    """N passages grouped into documents of ``per_doc`` passages, with planted near-duplicate pairs."""

    texts: list[str]
    doc_of: list[int]  # document number of each passage
    planted: list[tuple[int, int]]  # (original, copy) passage indices, in different documents
    hot: list[int] = field(default_factory=list)  # indices holding the boilerplate paragraph

    def passage_ids(self) -> list[str]:
        ordinal: dict[int, int] = {}
        ids = []
        for d in self.doc_of:
            o = ordinal.get(d, 0)
            ordinal[d] = o + 1
            ids.append(f"{d:016x}:{o:04d}")
        return ids

    def doc_ids(self) -> list[str]:
        return [f"{d:016x}" for d in self.doc_of]


class Generator:
    """Fresh passages are order-1 Markov walks over the source's word transitions (real words,
    real local phrasing, paragraph lengths of the source), so passages are new text rather than
    edits of the same few thousand paragraphs; then ``edit_rate`` of their words are replaced."""

    def __init__(self, paragraphs: list[list[str]], seed: int = 7, edit_rate: float = 0.10):
        self.rng = random.Random(seed)
        self.paragraphs = paragraphs
        self.vocab = [w for p in paragraphs for w in p]  # frequency-weighted by repetition
        self.lengths = [len(p) for p in paragraphs]
        self.starts = [p[0] for p in paragraphs]
        follow: dict[str, list[str]] = {}
        for p in paragraphs:
            for a, b in zip(p, p[1:]):
                follow.setdefault(a, []).append(b)
        self.follow = follow
        self.edit_rate = edit_rate

    def fresh(self) -> str:
        rng, vocab, follow, rate = self.rng, self.vocab, self.follow, self.edit_rate
        n = len(vocab)
        length = rng.choice(self.lengths)
        word = rng.choice(self.starts)
        out = [word]
        for _ in range(length - 1):
            nxt = follow.get(word)
            word = nxt[int(rng.random() * len(nxt))] if nxt else vocab[int(rng.random() * n)]
            out.append(vocab[int(rng.random() * n)] if rng.random() < rate else word)
        return " ".join(out)

    def near_copy(self, text: str, rate: float | None = None) -> str:
        """Light edit of ``text``: each word replaced, deleted, or followed by an insert with ``rate``."""
        rng, vocab = self.rng, self.vocab
        rate = rng.uniform(0.02, 0.15) if rate is None else rate
        out = []
        for w in text.split():
            r = rng.random()
            if r >= rate:
                out.append(w)
            elif r < rate / 2:
                out.append(rng.choice(vocab))
            elif r < rate * 3 / 4:
                continue
            else:
                out.append(w)
                out.append(rng.choice(vocab))
        return " ".join(out or text.split()[:1])


def passage_corpus(
    paragraphs: list[list[str]],
    n: int,
    seed: int = 7,
    planted_share: float = 0.05,
    per_doc: int = 10,
    hot_copies: int = 0,
) -> PassageCorpus:
    """``n`` passages: fresh ones, ``planted_share * n`` near copies of earlier ones, and
    optionally ``hot_copies`` passages replaced by one boilerplate paragraph."""
    gen = Generator(paragraphs, seed)
    rng = gen.rng
    n_planted = int(n * planted_share)
    texts = [gen.fresh() for _ in range(n - n_planted)]
    sources = rng.sample(range(len(texts)), n_planted)
    for src in sources:
        texts.append(gen.near_copy(texts[src]))
    # Shuffle positions so copies are spread over documents.
    order = list(range(n))
    rng.shuffle(order)
    position = {old: new for new, old in enumerate(order)}
    texts = [texts[old] for old in order]
    doc_of = [i // per_doc for i in range(n)]
    planted = [(position[src], position[n - n_planted + k]) for k, src in enumerate(sources)]
    planted = [(a, b) for a, b in planted if doc_of[a] != doc_of[b]]
    hot: list[int] = []
    if hot_copies:
        in_pairs = {i for pair in planted for i in pair}
        free = [i for i in range(n) if i not in in_pairs]
        hot = sorted(rng.sample(free, min(hot_copies, len(free))))
        for i in hot:
            texts[i] = BOILERPLATE
    return PassageCorpus(texts, doc_of, planted, hot)


def _document(gen: Generator, paragraphs: list[str], title_words: int = 8) -> str:
    title = " ".join(gen.fresh().split()[:title_words]).rstrip(".,;:")
    return title + "\n\n" + "\n\n".join(paragraphs) + "\n"


def write_documents(
    folder: Path,
    paragraphs: list[list[str]],
    n_docs: int,
    seed: int,
    copy_share: float = 0.10,
    history: list[list[str]] | None = None,
    passages_per_doc: tuple[int, int] = (6, 14),
) -> list[list[str]]:
    """Write ``n_docs`` article files into ``folder``; return each document's paragraphs.

    ``copy_share`` of the documents copy an earlier document (of this call, or of
    ``history``): all of it with light edits (reprint / light edit) or a run of its
    paragraphs (excerpt), so the align and provenance stages have work.
    """
    folder.mkdir(parents=True, exist_ok=True)
    gen = Generator(paragraphs, seed)
    rng = gen.rng
    made: list[list[str]] = []
    pool = history or []
    for i in range(n_docs):
        sources = made + pool
        if sources and rng.random() < copy_share:
            src = rng.choice(sources)
            if rng.random() < 0.5:
                paras = [gen.near_copy(p, rng.uniform(0.0, 0.06)) for p in src]
            else:
                k = max(2, len(src) // 2)
                start = rng.randrange(0, max(1, len(src) - k + 1))
                paras = src[start : start + k] + [gen.fresh() for _ in range(rng.randint(1, 4))]
        else:
            paras = [gen.fresh() for _ in range(rng.randint(*passages_per_doc))]
        made.append(paras)
        (folder / f"doc{seed:03d}_{i:07d}.txt").write_text(_document(gen, paras), encoding="utf-8")
    return made
