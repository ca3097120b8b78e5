"""Settings are declared once (the stages' params dataclasses); luigi.cfg shows the same values."""

from __future__ import annotations

import configparser
from pathlib import Path

import luigi
import pytest
from conftest import settings

from pipeline.core.errors import ConfigError
from pipeline.core.settings import settings_of
from pipeline.orchestration import config

REPO = Path(__file__).resolve().parent.parent
# Sections of luigi.cfg that luigi itself reads.
LUIGI_SECTIONS = {"core", "retcode"}


@pytest.fixture(scope="module")
def repo_cfg() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(REPO / "luigi.cfg", encoding="utf-8")
    return parser


def test_luigi_cfg_has_a_section_per_config_class(repo_cfg):
    assert set(repo_cfg.sections()) - LUIGI_SECTIONS == {c.__name__ for c in config.SECTIONS}


@pytest.mark.parametrize("config_class", config.SECTIONS, ids=lambda c: c.__name__)
def test_every_key_of_luigi_cfg_is_a_declared_setting_with_its_default(repo_cfg, config_class):
    declared = dict(config_class.get_params())
    for key, value in repo_cfg[config_class.__name__].items():
        assert key in declared, f"[{config_class.__name__}] {key} is in luigi.cfg but declared nowhere"
        assert declared[key].parse(value) == declared[key]._default, f"[{config_class.__name__}] {key}"


@pytest.mark.parametrize("config_class", config.SECTIONS, ids=lambda c: c.__name__)
def test_every_declared_setting_is_in_luigi_cfg(repo_cfg, config_class):
    assert set(config_class.get_param_names()) <= set(repo_cfg[config_class.__name__])


@pytest.mark.parametrize("config_class", config.SECTIONS, ids=lambda c: c.__name__)
def test_a_config_class_is_its_params_dataclass(config_class):
    """Same names, defaults and number types as the dataclass; each setting says what it means."""
    for field in settings_of(config_class.params_class):
        parameter = getattr(config_class, field.name)
        assert parameter._default == field.default and type(parameter._default) is type(field.default)
        assert isinstance(parameter, luigi.FloatParameter) == isinstance(field.default, float)
        assert parameter.description
    assert config_class().params() == config_class.params_class(
        **({"shingle_size": config.fingerprint().shingle_size} if config_class is config.align else {})
    )


def test_a_setting_reaches_the_params():
    with settings({"paraphrase": {"min_shared_words": "4"}, "fingerprint": {"shingle_size": "5"}}):
        assert config.paraphrase().params().min_shared_words == 4
        assert config.align().params().shingle_size == 5  # align shingles as fingerprint does
        assert config.align().params(2).shingle_size == 2


@pytest.mark.parametrize(
    "layer, message",
    [
        (
            {"provenance": {"min_evidence_word": "15"}},
            r"luigi.cfg \[provenance\] min_evidence_word is not a setting "
            r"of \[provenance\]; did you mean min_evidence_words\?",
        ),
        (
            {"ingest": {"colour": "red"}},
            r"\[ingest\] colour is not a setting of \[ingest\]; the settings are max_bytes, format, id_field",
        ),
        (
            {"paraphrase": {"max_bucket_size": "200"}},
            r"\[paraphrase\] max_bucket_size is no longer read: use stock_documents",
        ),
        ({"paraphrase": {"min_containment": "1.5"}}, r"paraphrase.min_containment must be between 0 and 1"),
        (
            {"candidates": {"bands": "64"}},
            r"candidates.bands \* candidates.rows = 256 exceeds fingerprint.num_perm = 128",
        ),
    ],
)
def test_check_settings_reads_every_section_and_key(layer, message):
    with settings(layer), pytest.raises(ConfigError, match=message):
        config.check_settings()


def test_the_repository_settings_pass_and_dashes_are_read_as_luigi_reads_them():
    config.check_settings()
    with settings({"align": {"near-copy-jaccard": "0.5"}}):
        config.check_settings()
