"""luigi.cfg sections, each read by the Config class of the same name and by nothing else.

Each class turns its section into the typed, validated parameters of one
stage, so a bad value fails with a ConfigError naming the setting.
"""

from __future__ import annotations

import importlib.util

import luigi

from pipeline.stages.align import AlignParams
from pipeline.stages.candidates import CandidateParams
from pipeline.core.errors import ConfigError
from pipeline.lsh.fingerprint import FingerprintParams
from pipeline.stages.ingest import IngestParams
from pipeline.runtime.parallel import ParallelParams
from pipeline.stages.paraphrase import ParaphraseParams
from pipeline.stages.provenance import ProvenanceParams


class ingest(luigi.Config):  # noqa: N801 - named after its luigi.cfg section
    max_bytes = luigi.IntParameter(default=IngestParams.max_bytes, description="larger files are rejected")

    def params(self) -> IngestParams:
        return IngestParams(max_bytes=self.max_bytes)


class parallel(luigi.Config):  # noqa: N801
    processes = luigi.IntParameter(default=ParallelParams.processes,
                                   description="worker processes for ingest, passages, anchors and align: "
                                               "0 = every core this process may use, 1 = none (all inline)")
    min_items = luigi.IntParameter(default=ParallelParams.min_items,
                                   description="smaller stages (passages or candidate pairs; a file or document "
                                               "counts as 10) run inline")

    def params(self) -> ParallelParams:
        return ParallelParams(processes=self.processes, min_items=self.min_items)


class fingerprint(luigi.Config):  # noqa: N801
    num_perm = luigi.IntParameter(default=FingerprintParams.num_perm)
    seed = luigi.IntParameter(default=FingerprintParams.seed)
    shingle_size = luigi.IntParameter(default=FingerprintParams.shingle_size, description="words per shingle")

    def params(self) -> FingerprintParams:
        return FingerprintParams(num_perm=self.num_perm, seed=self.seed, shingle_size=self.shingle_size)


CANDIDATE_ENGINES = ("duckdb", "spark")


class candidates(luigi.Config):  # noqa: N801
    engine = luigi.Parameter(default="duckdb", description="where the candidate join runs: duckdb (in the Luigi "
                                                           "worker) or spark (spark-submit, see the [spark] section)")
    bands = luigi.IntParameter(default=CandidateParams.bands)
    rows = luigi.IntParameter(default=CandidateParams.rows)
    max_bucket_size = luigi.IntParameter(default=CandidateParams.max_bucket_size)
    min_shared_anchors = luigi.IntParameter(default=CandidateParams.min_shared_anchors)

    def params(self) -> CandidateParams:
        return CandidateParams(bands=self.bands, rows=self.rows, max_bucket_size=self.max_bucket_size,
                               min_shared_anchors=self.min_shared_anchors)

    def join_engine(self) -> str:
        """The checked ``engine`` setting; spark needs the ``spark`` extra installed."""
        if self.engine not in CANDIDATE_ENGINES:
            raise ConfigError(f"candidates.engine must be one of {', '.join(CANDIDATE_ENGINES)}, got {self.engine!r}")
        if self.engine == "spark" and importlib.util.find_spec("pyspark") is None:
            raise ConfigError("candidates.engine = spark needs pyspark: pip install 'newsprov[spark]', "
                              "or set engine = duckdb")
        return self.engine


class align(luigi.Config):  # noqa: N801
    near_copy_jaccard = luigi.FloatParameter(default=AlignParams.near_copy_jaccard)
    near_copy_containment = luigi.FloatParameter(default=AlignParams.near_copy_containment)
    near_copy_aligned = luigi.FloatParameter(default=AlignParams.near_copy_aligned)
    spun_jaccard = luigi.FloatParameter(default=AlignParams.spun_jaccard)
    spun_containment = luigi.FloatParameter(default=AlignParams.spun_containment)
    spun_min_substitutions = luigi.IntParameter(default=AlignParams.spun_min_substitutions)
    spun_min_gain = luigi.FloatParameter(default=AlignParams.spun_min_gain)
    spun_min_aligned = luigi.FloatParameter(default=AlignParams.spun_min_aligned)
    fold_min_aligned = luigi.FloatParameter(default=AlignParams.fold_min_aligned)
    spun_min_aligned_words = luigi.IntParameter(default=AlignParams.spun_min_aligned_words)
    same_story_min_anchors = luigi.IntParameter(default=AlignParams.same_story_min_anchors)
    same_story_min_score = luigi.FloatParameter(default=AlignParams.same_story_min_score)
    min_span_words = luigi.IntParameter(default=AlignParams.min_span_words)
    max_gap_words = luigi.IntParameter(default=AlignParams.max_gap_words)
    copied_run_words = luigi.IntParameter(default=AlignParams.copied_run_words)

    def params(self, shingle_size: int) -> AlignParams:
        return AlignParams(
            shingle_size=shingle_size,
            near_copy_jaccard=self.near_copy_jaccard,
            near_copy_containment=self.near_copy_containment,
            near_copy_aligned=self.near_copy_aligned,
            spun_jaccard=self.spun_jaccard,
            spun_containment=self.spun_containment,
            spun_min_substitutions=self.spun_min_substitutions,
            spun_min_gain=self.spun_min_gain,
            spun_min_aligned=self.spun_min_aligned,
            fold_min_aligned=self.fold_min_aligned,
            spun_min_aligned_words=self.spun_min_aligned_words,
            same_story_min_anchors=self.same_story_min_anchors,
            same_story_min_score=self.same_story_min_score,
            min_span_words=self.min_span_words,
            max_gap_words=self.max_gap_words,
            copied_run_words=self.copied_run_words,
        )


class paraphrase(luigi.Config):  # noqa: N801
    min_content_words = luigi.IntParameter(default=ParaphraseParams.min_content_words)
    sentence_containment = luigi.FloatParameter(default=ParaphraseParams.sentence_containment)
    min_sentences = luigi.IntParameter(default=ParaphraseParams.min_sentences)
    min_candidate_sentences = luigi.IntParameter(default=ParaphraseParams.min_candidate_sentences)
    stock_documents = luigi.IntParameter(default=ParaphraseParams.stock_documents)
    bands = luigi.IntParameter(default=ParaphraseParams.bands)
    rows = luigi.IntParameter(default=ParaphraseParams.rows)

    def params(self) -> ParaphraseParams:
        return ParaphraseParams(min_content_words=self.min_content_words,
                                sentence_containment=self.sentence_containment, min_sentences=self.min_sentences,
                                min_candidate_sentences=self.min_candidate_sentences,
                                stock_documents=self.stock_documents, bands=self.bands, rows=self.rows)


class provenance(luigi.Config):  # noqa: N801
    min_shared_passages = luigi.IntParameter(default=ProvenanceParams.min_shared_passages)
    min_evidence_words = luigi.IntParameter(default=ProvenanceParams.min_evidence_words)
    whole_document_coverage = luigi.FloatParameter(default=ProvenanceParams.whole_document_coverage)
    excerpt_max_coverage = luigi.FloatParameter(default=ProvenanceParams.excerpt_max_coverage)
    spun_min_share = luigi.FloatParameter(default=ProvenanceParams.spun_min_share)
    reprint_min_jaccard = luigi.FloatParameter(default=ProvenanceParams.reprint_min_jaccard)
    containment_margin = luigi.FloatParameter(default=ProvenanceParams.containment_margin)
    contained_coverage = luigi.FloatParameter(default=ProvenanceParams.contained_coverage)
    long_copy_min_words = luigi.IntParameter(default=ProvenanceParams.long_copy_min_words)
    long_copy_min_jaccard = luigi.FloatParameter(default=ProvenanceParams.long_copy_min_jaccard)

    def params(self) -> ProvenanceParams:
        return ProvenanceParams(
            min_shared_passages=self.min_shared_passages,
            min_evidence_words=self.min_evidence_words,
            whole_document_coverage=self.whole_document_coverage,
            excerpt_max_coverage=self.excerpt_max_coverage,
            spun_min_share=self.spun_min_share,
            reprint_min_jaccard=self.reprint_min_jaccard,
            containment_margin=self.containment_margin,
            contained_coverage=self.contained_coverage,
            long_copy_min_words=self.long_copy_min_words,
            long_copy_min_jaccard=self.long_copy_min_jaccard,
        )
