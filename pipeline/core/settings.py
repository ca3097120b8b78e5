"""How a stage declares its luigi.cfg settings: once, as fields of its params dataclass.

``pipeline.orchestration.config`` builds each section's ``luigi.Config`` class from these fields,
so a setting's name, type, default and meaning are written in the stage module and nowhere
else; luigi.cfg shows the values to the user, and a test holds it to these defaults.
"""

from __future__ import annotations

import dataclasses
from typing import Any

_DOC = "newsprov.setting"


def setting(default: Any, doc: str) -> Any:
    """A dataclass field that luigi.cfg sets: its default, and what it means (the Config parameter's description)."""
    return dataclasses.field(default=default, metadata={_DOC: doc})


def settings_of(params_class: type) -> tuple[dataclasses.Field, ...]:
    """The fields of a params dataclass that luigi.cfg sets, in the order they are declared."""
    return tuple(f for f in dataclasses.fields(params_class) if _DOC in f.metadata)


def doc_of(field: dataclasses.Field) -> str:
    return field.metadata[_DOC]
