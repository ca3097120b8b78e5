"""luigi.cfg sections, each read by the Config class of the same name and by nothing else.

A section's settings are declared once, as the ``setting`` fields of its stage's params
dataclass (pipeline.core.settings); ``section`` builds the luigi.Config class from them, and
its ``params()`` turns the section into those typed, validated parameters, so a bad value
fails with a ConfigError naming the setting. ``check_settings`` reads every section at once.
"""

from __future__ import annotations

import difflib
import importlib.util
import typing

import luigi
import luigi.configuration

from pipeline.core.errors import ConfigError
from pipeline.core.settings import doc_of, settings_of
from pipeline.lsh.fingerprint import FingerprintParams
from pipeline.runtime.parallel import ParallelParams
from pipeline.stages.align import AlignParams
from pipeline.stages.candidates import AnchorParams, CandidateParams
from pipeline.stages.ingest import IngestParams
from pipeline.stages.paraphrase import ParaphraseParams
from pipeline.stages.provenance import ProvenanceParams

_PARAMETERS = {int: luigi.IntParameter, float: luigi.FloatParameter, str: luigi.Parameter}

# Keys a section no longer reads -> the key that took over (luigi would ignore them silently).
# paraphrase.max_bucket_size (200 sentences) gave way to stock_documents (20) in 787bcbd; the
# one-to-one sentence matches (sentence_containment, min_sentences) to reused passages (issue 22).
RETIRED_KEYS = {
    ("paraphrase", "max_bucket_size"): "stock_documents",
    ("paraphrase", "sentence_containment"): "min_containment",
    ("paraphrase", "min_sentences"): "min_shared_words",
}


def _params(self, **given):
    """The section as its stage's params (which validate themselves); ``given``: fields set by another section."""
    values = {field.name: getattr(self, field.name) for field in settings_of(self.params_class)}
    return self.params_class(**values, **given)


def section(name: str, params_class: type, **members) -> type[luigi.Config]:
    """The luigi.Config class of ``[name]``: a parameter per setting of ``params_class`` (its type,
    default and doc), ``params()``, and ``members`` (settings of this section alone, methods)."""
    types = typing.get_type_hints(params_class)
    namespace = {
        field.name: _PARAMETERS[types[field.name]](default=field.default, description=doc_of(field))
        for field in settings_of(params_class)
    }
    namespace.update(
        __module__=__name__, __doc__=f"The [{name}] section of luigi.cfg.", params_class=params_class, params=_params
    )
    return type(name, (luigi.Config,), {**namespace, **members})


CANDIDATE_ENGINES = ("duckdb", "spark")


def _join_engine(self) -> str:
    """The checked ``engine`` setting; spark needs the ``spark`` extra installed."""
    if self.engine not in CANDIDATE_ENGINES:
        raise ConfigError(f"candidates.engine must be one of {', '.join(CANDIDATE_ENGINES)}, got {self.engine!r}")
    if self.engine == "spark" and importlib.util.find_spec("pyspark") is None:
        raise ConfigError(
            "candidates.engine = spark needs pyspark: pip install 'newsprov[spark]', or set engine = duckdb"
        )
    return self.engine


def _align_params(self, shingle_size: int | None = None) -> AlignParams:
    """Align shingles as fingerprint does: ``shingle_size`` is ``[fingerprint]``'s unless given."""
    return _params(self, shingle_size=fingerprint().shingle_size if shingle_size is None else shingle_size)


ingest = section("ingest", IngestParams)
parallel = section("parallel", ParallelParams)
fingerprint = section("fingerprint", FingerprintParams)
candidates = section(
    "candidates",
    CandidateParams,
    join_engine=_join_engine,
    engine=luigi.Parameter(
        default="duckdb",
        description="where the candidate join runs: duckdb (in the Luigi worker) or spark "
        "(spark-submit, see the [spark] section)",
    ),
)
anchors = section("anchors", AnchorParams)
align = section("align", AlignParams, params=_align_params)
paraphrase = section("paraphrase", ParaphraseParams)
provenance = section("provenance", ProvenanceParams)
SECTIONS = (ingest, parallel, fingerprint, candidates, anchors, align, paraphrase, provenance)


def check_settings() -> None:
    """Every key of our sections known, every section's params valid: a bad luigi.cfg stops a run
    before any task starts (luigi alone ignores unknown keys and reads a value when a task needs it)."""
    parser = luigi.configuration.get_config()
    for config_class in SECTIONS:
        _check_keys(config_class.__name__, _keys(parser, config_class.__name__), config_class.get_param_names())
    for config_class in SECTIONS:
        config_class().params()
    candidates().params().check_signature_length(fingerprint().num_perm)
    candidates().join_engine()


def _keys(parser, name: str) -> list[str]:
    """The keys set in section ``name`` (dashes read as underscores, as luigi does)."""
    try:
        keys = parser[name]
    except KeyError:
        return []
    return [key.replace("-", "_") for key in keys if key not in parser.defaults()]


def _check_keys(name: str, keys: list[str], known: list[str]) -> None:
    for key in keys:
        if (name, key) in RETIRED_KEYS:
            raise ConfigError(
                f"luigi.cfg [{name}] {key} is no longer read: use {RETIRED_KEYS[name, key]} "
                f"(see luigi.cfg in the repository)"
            )
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]}?" if close else f"the settings are {', '.join(known)}"
            raise ConfigError(f"luigi.cfg [{name}] {key} is not a setting of [{name}]; {hint}")
