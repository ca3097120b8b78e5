"""Luigi tasks: one per stage per batch, each a thin wrapper around a pure stage function.

    luigi --module pipeline.orchestration.tasks Batch --date 2025-10-24 --input-dir seeds --out-dir output

The batch parameter is called ``date``, as luigi's range tools expect (``--batch`` would clash
with luigi's own ``--batch-email-*`` options on the command line).

Every output is a table partition published by ``pipeline.core.tables.write_partition``
(stage folder, then rename): a task is complete exactly when its partitions and
those of the batch it is computed from are published (there, readable, of the contract's schema
version: pipeline.core.partitions), so a second run does nothing, a crashed run is simply redone,
and a lost or corrupt partition is rebuilt with everything of its batch computed from it.

Tasks read and stages compute with this process's ``RunContext`` (``pipeline.runtime.context``):
Luigi runs a task in this process, or with ``--workers 2`` in a forked one, which makes its own.
A stage that succeeds then publishes its row of the runs table (pipeline.orchestration.runs).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import sys
from pathlib import Path

import luigi
import luigi.configuration
import pyarrow as pa
import pyarrow.compute as pc
from luigi.contrib.spark import PySparkTask

from pipeline.core import history_index, partitions, tables
from pipeline.orchestration import config, inbox, runs
from pipeline.orchestration.inbox import DaysBack
from pipeline.orchestration.spark_candidates import join_partitions, spark_submit_path, submit_environment
from pipeline.report.pages import report_path, write_report
from pipeline.runtime.context import process_context
from pipeline.runtime.interrupts import raise_if_interrupted
from pipeline.runtime.parallel import concurrently, map_table
from pipeline.stages import align, paraphrase, passages
from pipeline.stages.attribution import extract_attributions
from pipeline.stages.candidates import (
    SKIPPED_ANCHORS,
    SKIPPED_BUCKETS,
    CandidateParams,
    CandidateResult,
    anchor_rows,
    anchor_window,
    band_rows,
    find_candidates,
)
from pipeline.stages.clusters import Assignment, assign_clusters, current_assignments, same_story_links
from pipeline.stages.ingest import FirstSighting, first_sightings, ingest_folder, refuse_output_inside
from pipeline.stages.outlet_links import outlet_links
from pipeline.stages.paraphrase import ParaphraseParams, candidate_documents
from pipeline.stages.provenance import chained_links, document_links, version_documents
from pipeline.text.gazetteer import Gazetteer

log = logging.getLogger(__name__)


def _progress_to_stderr() -> None:
    """Under the ``luigi`` command nothing sets up Python's logging for this package (luigi.cfg's
    ``[core] log_level`` quiets luigi's own to warnings): show its INFO lines, one per batch and
    stage, and its warnings on stderr. A process that set up logging itself (``newsprov``, a test,
    a script of your own) is left as it is."""
    package = logging.getLogger("pipeline")
    if logging.getLogger().handlers or package.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    package.addHandler(handler)
    package.setLevel(logging.INFO)


_progress_to_stderr()


class PartitionTarget(luigi.Target):
    """A published table partition: it exists once its folder has been renamed into place, its
    Parquet footer reads and its schema version is the contract's (pipeline.core.partitions)."""

    def __init__(self, out_dir: str, table: str, batch: str | None):
        self.out_dir = Path(out_dir)
        self.table = table
        self.batch = batch
        self.path = tables.partition_dir(self.out_dir, table, batch)

    def exists(self, lost: bool = False) -> bool:
        """Whether the partition is published; when it is not and ``lost`` (a partition computed
        from it is published), a WARNING line says it is rebuilt."""
        return partitions.published(self.out_dir, self.table, self.batch, lost)

    def read(self, columns: list[str] | None = None):
        """The partition, ``columns`` only when given: a bulk load's passages are GBs with their
        texts and signatures, and most stages need a few of their columns."""
        return tables.read_partition(self.out_dir, self.table, self.batch, columns, process_context().partitions)

    def write(self, table, notes: dict[str, str] | None = None) -> None:
        tables.write_partition(table, self.out_dir, self.table, self.batch, notes=notes)


class OutputTask(luigi.Task):
    out_dir = luigi.Parameter(default="output", description="folder the tables are written under")

    def trigger_event(self, event, *args, **kwargs):
        # Luigi drops a KeyboardInterrupt raised in an event handler (the memory handlers, the runs
        # table's row): raised again here, a Ctrl-C right after a task publishes stops the run.
        super().trigger_event(event, *args, **kwargs)
        raise_if_interrupted()

    def partition(self, table: str, batch: str | None) -> PartitionTarget:
        return PartitionTarget(self.out_dir, table, batch)


# task_id -> the tasks of the same batch and output folder it requires. Luigi asks every task of
# a range whether it is complete, and building the required tasks again each time cost more
# than the partition checks (a range of 232 daily batches asks thousands of times).
_REQUIREMENTS: dict[str, list[luigi.Task]] = {}


def _same_batch_requirements(task: luigi.Task) -> list[luigi.Task]:
    if task.task_id not in _REQUIREMENTS:
        _REQUIREMENTS[task.task_id] = [
            required
            for required in luigi.task.flatten(task.requires())
            if isinstance(required, BatchTask)
            and required.batch_key == task.batch_key
            and required.out_dir == task.out_dir
        ]
    return _REQUIREMENTS[task.task_id]


class BatchTask(OutputTask):
    date = luigi.DateParameter(description="batch date; partition folders are named YYYY-MM-DD")
    input_dir = luigi.Parameter(description="folder of the batch's article files")
    history = luigi.ListParameter(
        default=(),
        significant=False,
        description="earlier batches to complete first, oldest first: [[date, input_dir], ...]; "
        "a batch's candidates are joined with every batch already under out_dir",
    )
    # For the runs table: the luigi.cfg sections whose values the stage reads, and the tables of
    # its batch it reads (rows_in; none: it reads files).
    settings: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    # The table whose partition notes hold the buckets and anchors the stage skipped as too
    # common (SKIPPED_BUCKETS, SKIPPED_ANCHORS), for a stage that has them.
    skipped_in: str | None = None

    @property
    def batch_key(self) -> str:
        return self.date.isoformat()

    def complete(self) -> bool:
        """Its partitions are published, and so is everything of the same batch it is computed
        from: Luigi looks no further than a complete task, and a partition lost under a complete
        one (documents under clusters) would never be rebuilt, nor what was computed from it."""
        raise_if_interrupted()  # Luigi asks before it runs a task: a Ctrl-C it dropped stops here
        # Every task of the batch beneath it is looked at, so that each partition lost under a
        # published one is named (a partition is lost when one computed from it is published).
        complete, seen, pending = True, set(), [(self, False)]
        while pending:
            task, lost = pending.pop()
            if (task.task_id, lost) in seen:
                continue
            seen.add((task.task_id, lost))
            published = task.outputs_published(lost)
            complete = complete and published
            pending += [(required, lost or published) for required in _same_batch_requirements(task)]
        return complete

    def outputs_published(self, lost: bool = False) -> bool:
        """Whether every partition (or file) this task writes is published; each partition that is
        not is named in a WARNING line when unreadable, or missing and ``lost`` (PartitionTarget.exists)."""
        return all(
            [
                target.exists(lost) if isinstance(target, PartitionTarget) else target.exists()
                for target in luigi.task.flatten(self.output())
            ]
        )

    def same_batch(self, task_class: type[BatchTask]) -> BatchTask:
        return task_class(date=self.date, input_dir=self.input_dir, out_dir=self.out_dir, history=self.history)

    def previous_batch(self, task_class: type[luigi.Task] | None = None) -> list[luigi.Task]:
        """The batch before this one (or one of its tasks), when a range asked for it: its tables
        become our history."""
        if not self.history:
            return []
        date, input_dir = self.history[-1]
        return [
            (task_class or Batch)(
                date=dt.date.fromisoformat(date), input_dir=input_dir, out_dir=self.out_dir, history=self.history[:-1]
            )
        ]

    def earlier_batches(self, table: str) -> list[str]:
        return partitions.check_history(
            self.out_dir, table, [b for b in tables.batches_of(Path(self.out_dir), table) if b < self.batch_key]
        )

    def read_history(
        self,
        table: str,
        columns: list[str] | None = None,
        doc_ids: set[str] | None = None,
        include_this_batch: bool = True,
    ) -> pa.Table:
        """``table`` over earlier batches (and this one), only the rows of ``doc_ids`` when given."""
        batches = self.earlier_batches(table) + ([self.batch_key] if include_this_batch else [])
        return tables.read_batches(
            Path(self.out_dir), table, batches, columns=columns, doc_ids=doc_ids, cache=process_context().partitions
        )

    def record_run(self, seconds: float) -> None:
        """Publish this stage's row of the runs table; a wrapper, or a task that publishes no
        partition (the report), has none."""
        published = [t for t in luigi.task.flatten(self.output()) if isinstance(t, PartitionTarget)]
        if isinstance(self, luigi.WrapperTask) or not published:
            return
        read = {
            t.path
            for t in luigi.task.flatten(self.input())
            if isinstance(t, PartitionTarget) and t.batch == self.batch_key and t.table in self.reads and t.exists()
        }  # an output from before the credits table has none
        run = runs.stage_run(
            self.batch_key,
            type(self).__name__,
            self.settings,
            sorted(read) if self.reads else None,
            [t.path for t in published],
            seconds,
            self.skipped(),
        )
        runs.write_run(run, Path(self.out_dir))
        log.info("batch %s %s: %d rows in %.1f s", self.batch_key, run.stage, run.rows_out, seconds)

    def skipped(self) -> tuple[int, int | None] | None:
        """(buckets, anchors) skipped, from the notes of this batch's ``skipped_in`` partition,
        written whichever process (a Spark driver) ran the stage; None for a partition from before
        the counts (anchors None where the stage has none)."""
        if self.skipped_in is None:
            return None
        notes = tables.partition_notes(Path(self.out_dir), self.skipped_in, self.batch_key)
        if SKIPPED_BUCKETS not in notes:
            return None
        anchors = notes.get(SKIPPED_ANCHORS)
        return int(notes[SKIPPED_BUCKETS]), None if anchors is None else int(anchors)


@BatchTask.event_handler(luigi.Event.PROCESSING_TIME)
def _record_run(task: BatchTask, seconds: float) -> None:
    # Luigi sends this in the process that ran the task, once it has succeeded; an error here is
    # logged and leaves the run and the task's tables as they are.
    task.record_run(seconds)


class Ingest(BatchTask):
    """Stage 1: read the batch's files into documents; what cannot be read into rejects; a text
    already ingested, in this batch or an earlier one, into sightings."""

    settings = ("ingest",)

    def requires(self):
        # Earlier batches' documents decide what is a sighting, so ingest them first.
        return self.previous_batch(Ingest)

    def output(self):
        return {name: self.partition(name, self.batch_key) for name in ("documents", "rejects", "sightings", "credits")}

    def outputs_published(self, lost: bool = False) -> bool:
        # A batch ingested before the credits table existed is not ingested again (its documents
        # would get a new ingested_at): its attribution stage searches the texts instead. An
        # unreadable credits partition is rebuilt like any other.
        outputs = self.output()
        credits = outputs.pop("credits")
        return all([target.exists(lost) for target in outputs.values()]) and (
            credits.exists() or partitions.problem(credits.out_dir, "credits", self.batch_key) == partitions.MISSING
        )

    def run(self):
        refuse_output_inside(Path(self.input_dir), Path(self.out_dir))
        inbox.refuse_later_batches(Path(self.out_dir), self.batch_key)  # see pipeline.orchestration.inbox
        now = dt.datetime.now(dt.timezone.utc)
        result = ingest_folder(
            Path(self.input_dir),
            self.batch_key,
            config.ingest().params(),
            now,
            self.first_sightings,
            config.parallel().params(),
        )
        self.output()["rejects"].write(result.rejects)
        self.output()["sightings"].write(result.sightings)
        self.output()["credits"].write(result.credits)
        self.output()["documents"].write(result.documents)

    def first_sightings(self, doc_ids: list[str]) -> dict[str, FirstSighting]:
        """Where earlier batches first ingested those of ``doc_ids`` they hold."""
        found = self.read_history(
            "documents", ["doc_id", "batch", "source_path"], set(doc_ids), include_this_batch=False
        )
        return first_sightings(found)


class Fingerprint(BatchTask):
    """Stages 2-3: split documents into passages and compute their MinHash signatures."""

    settings, reads = ("fingerprint",), ("documents",)

    def requires(self):
        return self.same_batch(Ingest)

    def output(self):
        return self.partition("passages", self.batch_key)

    def run(self):
        documents = self.input()["documents"].read(["doc_id", "batch", "text", "body_start"])
        rows = passages.run(documents, config.fingerprint().params(), config.parallel().params())
        self.output().write(rows)
        # Later batches read a few documents of each earlier one: a big partition's rows are
        # stored again for that (pipeline.core.row_store), these from the rows at hand.
        history_index.store_batch(Path(self.out_dir), "passages", self.batch_key, rows)
        history_index.refresh_stores(Path(self.out_dir), "passages", self.earlier_batches("passages"))


class Bands(BatchTask):
    """Stage 4, first half: the batch's LSH bands and anchors, the keys the candidate join matches on."""

    settings, reads = ("candidates",), ("passages",)

    def requires(self):
        return self.same_batch(Fingerprint)

    def output(self):
        return {name: self.partition(name, self.batch_key) for name in ("bands", "anchors")}

    def run(self):
        # Each half reads the columns it needs: a bulk load's passages are GBs with every column.
        # The anchors are found in the pool while this process bands the signatures (numpy and
        # Parquet, which let go of the GIL): one after the other, a core was idle for each half.
        concurrently(self._write_bands, self._write_anchors)

    def _write_bands(self) -> None:
        signatures = self.input().read(["passage_id", "doc_id", "signature"])
        bands = band_rows(signatures, config.candidates().params())
        self.output()["bands"].write(bands)
        # Indexed now, from the rows at hand: later batches look their buckets up in it.
        history_index.index_batch(Path(self.out_dir), "bands", self.batch_key, bands)

    def _write_anchors(self) -> None:
        texts = self.input().read(["passage_id", "doc_id", "text", "kind"])  # what anchor_rows reads
        self.output()["anchors"].write(map_table(anchor_rows, texts, config.parallel().params()))


class _Join(BatchTask):
    """Stage 4, second half, on either engine: the batch's bands and anchors joined with
    themselves, with every earlier batch's bands and with the anchors of the earlier batches in
    ``[anchors] window_days``."""

    settings, reads = ("candidates", "anchors"), ("bands", "anchors")
    skipped_in = "candidates"

    def requires(self):
        return {"bands": self.same_batch(Bands), "previous": self.previous_batch()}

    def output(self):
        return self.partition("candidates", self.batch_key)

    def anchor_batches(self) -> list[str]:
        """The earlier batches whose anchors this batch is joined with."""
        return anchor_window(self.batch_key, self.earlier_batches("anchors"), config.anchors().params())

    def publish(self, result: CandidateResult) -> None:
        """Write the candidates with the join's skipped counts in the file's notes: the runs row
        reads them there, whichever process (a Spark driver) ran the join."""
        self.output().write(
            result.candidates,
            notes={SKIPPED_BUCKETS: str(result.skipped_buckets), SKIPPED_ANCHORS: str(result.skipped_anchors)},
        )

    def refreshed_index(self, table: str) -> list[str]:
        """The earlier batches of ``table``, each in the history index (pipeline.core.history_index)."""
        earlier = self.earlier_batches(table)
        history_index.refresh(Path(self.out_dir), table, earlier, process_context().partitions)
        return earlier


class CandidateJoin(_Join):
    """Stage 4, second half, in DuckDB (``[candidates] engine = duckdb``)."""

    def run(self):
        keys, cache = self.input()["bands"], process_context().partitions
        bands = keys["bands"].read()
        # Only earlier rows in one of the batch's buckets can pair with it (find_candidates cuts the
        # same way): looked up in the history index, at the cost of the batch's buckets.
        history_bands = history_index.history_rows(
            Path(self.out_dir), "bands", self.refreshed_index("bands"), bands, cache
        )
        # Likewise the anchor rows of the window's batches holding the batch's anchors, and how many
        # passages hold anchors in the window (the idf's N), counted per partition once per process.
        anchors, window = keys["anchors"].read(), self.anchor_batches()
        history_anchors = tables.read_rows_in(
            Path(self.out_dir), "anchors", window, "anchor", pc.unique(anchors.column("anchor")), cache
        )
        result = find_candidates(
            bands,
            anchors,
            history_bands,
            history_anchors,
            config.candidates().params(),
            tables.count_distinct(Path(self.out_dir), "anchors", window, "passage_id", cache),
        )
        self.publish(result)


class SparkCandidateJoin(_Join, PySparkTask):
    """Stage 4, second half, on Spark (``[candidates] engine = spark``): the same join and output.

    spark-submit (``[spark]`` section: master, conf, ...) runs ``main`` in a Spark driver that reads
    the band and anchor partitions under out_dir and publishes the candidates partition through
    ``tables.write_partition``, as the DuckDB join does.
    """

    @property
    def spark_submit(self):
        return spark_submit_path(luigi.configuration.get_config().get("spark", "spark-submit", None))

    @property
    def pyspark_driver_python(self):
        # The driver unpickles this task, so it runs in this environment unless told otherwise.
        return os.environ.get("PYSPARK_DRIVER_PYTHON", sys.executable)

    def program_environment(self):
        return submit_environment(super().program_environment())

    def run(self):
        # The index is brought up to date here, holding the output lock: the driver only reads it.
        self.refreshed_index("bands")
        super().run()

    def app_options(self):
        # Settings travel with the job: the driver may not see this worker's luigi.cfg.
        return [json.dumps(dataclasses.asdict(config.candidates().params())), json.dumps(self.anchor_batches())]

    def main(self, sc, params_json: str, anchor_batches_json: str):
        from pyspark.sql import SparkSession

        result = join_partitions(
            SparkSession(sc),
            Path(self.out_dir),
            self.batch_key,
            self.earlier_batches("bands"),
            json.loads(anchor_batches_json),
            CandidateParams(**json.loads(params_json)),
        )
        self.publish(result)


class Candidates(BatchTask, luigi.WrapperTask):
    """Stage 4: LSH bands and anchors of the batch, joined with themselves and with history on the
    engine ``[candidates] engine`` names. Align reads the three partitions, whichever engine wrote them."""

    def requires(self):
        join = SparkCandidateJoin if config.candidates().join_engine() == "spark" else CandidateJoin
        return {"bands": self.same_batch(Bands), "join": self.same_batch(join)}

    def output(self):
        return {name: self.partition(name, self.batch_key) for name in ("bands", "anchors", "candidates")}


class Align(BatchTask):
    """Stage 5: verify candidates into the overlaps table."""

    settings, reads = ("align", "fingerprint"), ("candidates",)

    def requires(self):
        return {
            "candidates": self.same_batch(Candidates),
            "passages": self.same_batch(Fingerprint),
            "ingest": self.same_batch(Ingest),
        }

    def output(self):
        return self.partition("overlaps", self.batch_key)

    def run(self):
        candidates = self.input()["candidates"]["candidates"].read()
        # This batch's documents and every document a candidate names. Whole documents, not just
        # the candidate passages: align extends copies to their neighbours.
        wanted_docs = set(candidates.column("doc_b").to_pylist())
        wanted_docs |= set(self.input()["ingest"]["documents"].read(["doc_id"]).column("doc_id").to_pylist())
        passages = self.read_history("passages", doc_ids=wanted_docs)
        documents = self.read_history("documents", ["doc_id", "published", "batch"], doc_ids=wanted_docs)
        params = config.align().params(config.fingerprint().shingle_size)
        self.output().write(
            align.run(
                candidates, passages, documents, self.batch_key, params, config.parallel().params(), process_context()
            )
        )


class Paraphrase(BatchTask):
    """Stage 5b: documents retelling each other's sentences in other words (sentence bands, then
    verified pairs)."""

    settings, reads = ("paraphrase",), ("passages",)
    skipped_in = "paraphrases"

    def requires(self):
        return {
            "passages": self.same_batch(Fingerprint),
            "attribution": self.same_batch(Attribution),
            "previous": self.previous_batch(),
        }

    def output(self):
        return {name: self.partition(name, self.batch_key) for name in ("sentence_bands", "paraphrases")}

    def run(self):
        params = config.paraphrase().params()
        bands = self.sentence_bands(params)
        # Only earlier sentences in one of the batch's buckets of the same band can pair with it.
        earlier = self.earlier_batches("sentence_bands")
        history_index.refresh(Path(self.out_dir), "sentence_bands", earlier, process_context().partitions)
        # The rows of stock buckets are left out of the lookup (their ids are never spelled): the
        # pairing would skip those buckets all the same.
        history = history_index.history_lookup(
            Path(self.out_dir),
            "sentence_bands",
            earlier,
            bands,
            process_context().partitions,
            params.lsh.max_bucket_size,
        )
        candidates = candidate_documents(bands, history.rows, params, history.over, history.stock)
        del history
        wanted = {doc for pair in candidates.doc_pairs for doc in pair}
        passages = self.read_history("passages", ["passage_id", "doc_id", "char_start", "text", "kind"], doc_ids=wanted)
        credits = self.read_history("attributions", ["doc_id", "sentence_start", "sentence_end"], doc_ids=wanted)
        # The stock buckets skipped go with the file, for the runs row (see _Join.publish).
        self.output()["paraphrases"].write(
            paraphrase.run(
                candidates, passages, credits, self.batch_key, params, config.parallel().params(), process_context()
            ),
            notes={SKIPPED_BUCKETS: str(candidates.skipped_buckets)},
        )
        self.output()["sentence_bands"].write(bands)
        history_index.index_batch(Path(self.out_dir), "sentence_bands", self.batch_key, bands)

    def sentence_bands(self, params: ParaphraseParams) -> pa.Table:
        """The batch's sentence bands. Its passages are let go on return: a 1M-passage batch's texts
        are 0.7 GB, and the stage's high-water mark is while its sentence pairs are grouped."""
        passages = self.input()["passages"].read(["passage_id", "doc_id", "char_start", "text", "kind"])
        return paraphrase.sentence_bands(passages, params, config.parallel().params())


class Outlets(OutputTask):
    """The gazetteer shipped with the package, as the outlets table."""

    def output(self):
        return self.partition("outlets", None)

    def run(self):
        self.output().write(Gazetteer.packaged().outlets_table())


class Attribution(BatchTask):
    """Stage 6: credited outlets with cue and span."""

    reads = ("documents", "passages", "credits")

    def requires(self):
        return {
            "ingest": self.same_batch(Ingest),
            "passages": self.same_batch(Fingerprint),
            "outlets": Outlets(out_dir=self.out_dir),
        }

    def output(self):
        return self.partition("attributions", self.batch_key)

    def run(self):
        documents = self.input()["ingest"]["documents"].read(["doc_id", "batch", "text", "body_start"])
        passages = self.input()["passages"].read(["passage_id", "doc_id", "char_start", "char_end"])
        credits = self.input()["ingest"]["credits"]
        credits = credits.read() if credits.exists() else None  # None: ingested by a version without it
        self.output().write(extract_attributions(documents, passages, Gazetteer.packaged(), credits))


class Provenance(BatchTask):
    """Stage 7: document links with relation, direction and credited outlet."""

    settings, reads = ("provenance",), ("overlaps", "paraphrases")

    def requires(self):
        return {
            "overlaps": self.same_batch(Align),
            "attributions": self.same_batch(Attribution),
            "paraphrase": self.same_batch(Paraphrase),
        }

    def output(self):
        return self.partition("provenance", self.batch_key)

    def run(self):
        overlaps = self.input()["overlaps"].read()
        paraphrases = self.input()["paraphrase"]["paraphrases"].read()
        docs = set(overlaps.column("doc_a").to_pylist()) | set(overlaps.column("doc_b").to_pylist())
        docs |= set(paraphrases.column("doc_a").to_pylist()) | set(paraphrases.column("doc_b").to_pylist())
        documents = self.read_history(
            "documents",
            [
                "doc_id",
                "published",
                "batch",
                "n_chars",
                "body_start",
                "publisher",
                "publisher_outlet_id",
                "published_at",
                "url",
                "title",
            ],
            docs,
        )
        versions = version_documents(documents)
        texts = self.read_history("documents", ["doc_id", "text"], versions) if versions else None
        passages = self.read_history("passages", ["passage_id", "doc_id", "kind", "n_tokens"], docs)
        attributions = self.read_history("attributions", doc_ids=docs)
        earlier_links = chained_links(docs, self.earlier_links_touching)
        self.output().write(
            document_links(
                overlaps,
                documents,
                passages,
                attributions,
                self.batch_key,
                config.provenance().params(),
                earlier_links,
                paraphrases,
                dict(zip(texts.column("doc_id").to_pylist(), texts.column("text").to_pylist())) if texts else None,
            )
        )

    def earlier_links_touching(self, doc_ids: set[str]) -> list[tuple[str, str]]:
        """(doc_id, source_doc_id) of the earlier batches' provenance rows with an end in ``doc_ids``."""
        copies = self.read_history("provenance", ["doc_id", "source_doc_id"], doc_ids, include_this_batch=False)
        sources = tables.read_rows_in(
            Path(self.out_dir),
            "provenance",
            self.earlier_batches("provenance"),
            "source_doc_id",
            tables.string_array(doc_ids),
            cache=process_context().partitions,
        )
        return [
            link
            for table in (copies, sources)
            for link in zip(table.column("doc_id").to_pylist(), table.column("source_doc_id").to_pylist())
        ]


class OutletLinks(BatchTask):
    """Stage 9: copy links between publishers, with how many credit the publisher copied from."""

    reads = ("provenance",)

    def requires(self):
        return {"provenance": self.same_batch(Provenance)}

    def output(self):
        return self.partition("outlet_links", self.batch_key)

    def run(self):
        links = self.input()["provenance"].read()
        documents = self.read_history(
            "documents", ["doc_id", "published", "published_at", "batch"], set(links.column("doc_id").to_pylist())
        )
        self.output().write(outlet_links(links, documents, self.batch_key))


class Clusters(BatchTask):
    """Stage 8: copy clusters and stories, with ids stable across batches."""

    reads = ("provenance", "overlaps")

    def requires(self):
        return {
            "provenance": self.same_batch(Provenance),
            "overlaps": self.same_batch(Align),
            "ingest": self.same_batch(Ingest),
        }

    def output(self):
        return self.partition("clusters", self.batch_key)

    def run(self):
        links = self.input()["provenance"].read(["doc_id", "source_doc_id"])
        story_links = same_story_links(self.input()["overlaps"].read(["doc_a", "doc_b", "relation"]))
        new_docs = self.input()["ingest"]["documents"].read(["doc_id"]).column("doc_id").to_pylist()
        touched = {
            *new_docs,
            *links.column("doc_id").to_pylist(),
            *links.column("source_doc_id").to_pylist(),
            *(doc for pair in story_links for doc in pair),
        }
        previous = self.touched_stories(touched)
        docs = set(previous) | set(new_docs)
        provenance = self.read_history("provenance", ["doc_id", "source_doc_id", "origin_basis"], docs)
        documents = self.read_history("documents", ["doc_id", "published", "batch"], docs)
        dates = {
            d: p or dt.date.fromisoformat(b)
            for d, p, b in zip(
                documents.column("doc_id").to_pylist(),
                documents.column("published").to_pylist(),
                documents.column("batch").to_pylist(),
            )
        }
        copy_links = list(
            zip(
                provenance.column("doc_id").to_pylist(),
                provenance.column("source_doc_id").to_pylist(),
                provenance.column("origin_basis").to_pylist(),
            )
        )
        self.output().write(
            assign_clusters(list(previous.values()), new_docs, copy_links, story_links, dates, self.batch_key)
        )

    def touched_stories(self, touched: set[str]) -> dict[str, Assignment]:
        """The current assignment of every document in the stories of ``touched`` (see
        pipeline.stages.clusters: the earlier rows this batch can change or needs)."""
        stories = {a.story_id for a in self.current(touched).values()}
        members = tables.read_rows_in(
            Path(self.out_dir),
            "clusters",
            self.earlier_batches("clusters"),
            "story_id",
            tables.string_array(stories),
            cache=process_context().partitions,
        )
        return {
            doc: a
            for doc, a in self.current(set(members.column("doc_id").to_pylist())).items()
            if a.story_id in stories
        }

    def current(self, doc_ids: set[str]) -> dict[str, Assignment]:
        return current_assignments(self.read_history("clusters", doc_ids=doc_ids, include_this_batch=False))


class Report(BatchTask):
    """The batch's HTML evidence report, ``<out>/reports/<date>/``: its documents, their links and the
    documents at the other ends (``<out>/report.html`` points to the latest batch's; ``newsprov
    report`` renders all of history)."""

    def requires(self):
        return [self.same_batch(Clusters), self.same_batch(OutletLinks)]

    def output(self):
        return luigi.LocalTarget(str(report_path(Path(self.out_dir), self.batch_key)))

    def run(self):
        # The batch's report folder; <out>/report.html becomes a small page pointing to it.
        write_report(Path(self.out_dir), batch=self.batch_key, latest=True)


class Batch(luigi.WrapperTask):
    """Everything for one batch: the entry point for ``newsprov run`` and for schedules."""

    date = luigi.DateParameter(description="batch date")
    input_dir = luigi.Parameter(description="folder of the batch's article files")
    out_dir = luigi.Parameter(default="output", description="folder the tables are written under")
    history = luigi.ListParameter(
        default=(), significant=False, description="earlier batches to complete first (see BatchTask)"
    )

    def requires(self):
        return [
            task(date=self.date, input_dir=self.input_dir, out_dir=self.out_dir, history=self.history)
            for task in (Clusters, OutletLinks)
        ]


dated_folders = inbox.dated_folders  # the YYYY-MM-DD subfolders of an inbox, oldest first


class Inbox(luigi.WrapperTask):
    """Every batch folder ``INBOX/<YYYY-MM-DD>/`` from ``stop - days_back`` through ``stop``, in date order.

        luigi --module pipeline.orchestration.tasks Inbox --inbox INBOX --out-dir output --days-back 30

    Each batch is joined against all earlier ones, so they run oldest first. Every folder of the
    window is required, not only the last: a folder that arrives late, or whose files changed
    after its batch ran, has its batch and the later ones run again (pipeline.orchestration.inbox,
    with a WARNING). Entries that are not ``YYYY-MM-DD`` folders, folders older than the window
    and folders dated after ``stop`` are not run, and a WARNING names them: unlike luigi's
    RangeDaily (100 days by default), nothing is skipped silently.
    """

    inbox = luigi.Parameter(description="folder holding one YYYY-MM-DD subfolder per batch")
    out_dir = luigi.Parameter(default="output", description="folder the tables are written under")
    stop = luigi.DateParameter(
        default=None,
        description="last batch date to run (default today: the latest "
        "of the local and the UTC date when the task runs)",
    )
    days_back = DaysBack(default=3650, description="how many days before stop to look for batches (0 or more)")
    report = luigi.BoolParameter(
        default=True,
        parsing=luigi.BoolParameter.EXPLICIT_PARSING,
        description="write the HTML report after the last batch (default true)",
    )

    def requires(self):
        chosen = inbox.window(Path(self.inbox), self.stop or inbox.today(), self.days_back)
        if not chosen:
            return []
        inbox.prepare(Path(self.out_dir), chosen)
        required = []
        for i, (date, path) in enumerate(chosen):
            history = tuple((d.isoformat(), str(p)) for d, p in chosen[:i])
            # The last batch's report is also <out>/report.html.
            task = Report if self.report and i == len(chosen) - 1 else Batch
            required.append(task(date=date, input_dir=str(path), out_dir=self.out_dir, history=history))
        return required
