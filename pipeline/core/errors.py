"""Named exceptions. The CLI turns every NewsprovError into one line on stderr and exit code 2."""

from __future__ import annotations

import os


class NewsprovError(Exception):
    """Base class of errors a user can act on."""


class InputError(NewsprovError):
    """The input folder or a file in it cannot be used."""


class ConfigError(NewsprovError):
    """A setting in luigi.cfg or on the command line is invalid."""


class SchemaError(NewsprovError):
    """A table does not match its schema in pipeline.core.schema."""


class OutputError(NewsprovError):
    """The output folder cannot be written."""


def debugging() -> bool:
    """NEWSPROV_DEBUG=1: an error a user can act on keeps its traceback (on stderr, before its line)."""
    return os.environ.get("NEWSPROV_DEBUG", "") not in ("", "0")
