"""RunContext: the caches a run keeps between its stages' calls, owned by one object that is passed
to them instead of living in the stages' modules.

Every cache here is keyed by content (a published partition's path and mtime, a passage's text, a
doc_id, which is the hash of its text), so it only saves work: a run gives the same tables with a
fresh context as with a warm one. A stage function takes ``context``; a library caller may leave it
out and gets a fresh one, which keeps nothing between calls. The Luigi tasks, and the pool's workers
for their chunks, use ``process_context()``: caches cannot cross processes, and a run over many
batches in one process (an inbox catch-up, the eval) reads and aligns the same history again.

Module-level state left elsewhere, each for a reason:
- ``runtime.parallel`` (_pool, _threads, worker flags) and ``runtime.shared_tables._folder``: the
  worker pool and its shared-memory folder are per-process OS resources, found again by pid.
- ``Lexicon.load()`` and ``Gazetteer.packaged()``: immutable packaged data, loaded once per process.
- ``stages.candidates._database``: an in-memory DuckDB per process that holds nothing between calls
  (each call takes its own cursor); opening one per call cost more than the join of a small batch.
- ``stages.paraphrase._KEYS``, ``text.tokens``' and ``lsh.fingerprint``'s ``lru_cache``,
  ``stages.ingest._joins_previous``, ``runtime.memory._libc``: memos of pure functions of
  immutable inputs (the lexicon, a word, the Unicode tables); they cannot carry a stage's state.
- ``orchestration.cli._manage_memory_around_each_task``: registers Luigi event handlers once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from cachetools import LRUCache

from pipeline.core.tables import PartitionCache

# Published partitions kept in memory, in bytes (NEWSPROV_READ_CACHE_MB, default 128 MB): a daily
# batch's earlier partitions fit, a bulk load's fit in no reasonable budget, and a larger one kept a
# bulk load's big partitions between stages, raising its peak memory.
READ_CACHE_BYTES = int(os.environ.get("NEWSPROV_READ_CACHE_MB", "128")) << 20
# Passages whose words align keeps: a history passage is aligned again in every later batch that
# pairs with it. An entry is a few kB (no Token objects).
PASSAGE_WORDS = 1 << 12
# Documents whose content sentences paraphrase keeps: a daily run compares each day's documents
# with the same recent stories again and again, and lemmatising their sentences is most of the work.
CONTENT_SENTENCES = 20_000


@dataclass
class RunContext:
    """The caches of one run in one process; see the module's doc for what stays outside."""

    # core.tables reads: published partitions, their doc_ids and sorted columns
    partitions: PartitionCache = field(default_factory=lambda: PartitionCache(READ_CACHE_BYTES))
    # align: (passage text, lexicon) -> its words (text.words.PassageWords)
    passage_words: LRUCache = field(default_factory=lambda: LRUCache(PASSAGE_WORDS))
    # paraphrase: (doc_id, ParaphraseParams) -> the document's text and content sentences (ReuseDocument)
    content_sentences: LRUCache = field(default_factory=lambda: LRUCache(CONTENT_SENTENCES))


_process: tuple[int, RunContext] | None = None  # (pid, context): a forked process starts its own


def process_context() -> RunContext:
    """This process's context, made on first use; a forked process (a Luigi worker with
    ``--workers 2``, a pool worker) gets a new one rather than a copy of its parent's."""
    global _process
    if _process is None or _process[0] != os.getpid():
        _process = (os.getpid(), RunContext())
    return _process[1]
