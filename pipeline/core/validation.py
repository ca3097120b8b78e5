"""Checks for stage parameters, with messages that name the luigi.cfg setting and the bad value."""

from __future__ import annotations

from pipeline.core.errors import ConfigError

# The largest whole-number setting: more than any count or size a run meets (2**53, the largest a
# float holds exactly); larger ones overflowed where they became a C integer (max_bytes in read()).
MAX_WHOLE = 2**53


def require_at_least(section: str, params: object, names: tuple[str, ...], minimum: int) -> None:
    """Each named whole-number setting is >= ``minimum`` (and at most ``MAX_WHOLE``)."""
    for name in names:
        value = getattr(params, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{section}.{name} must be a whole number, got {value!r}")
        if value < minimum:
            raise ConfigError(f"{section}.{name} must be >= {minimum}, got {value}")
        if value > MAX_WHOLE:
            raise ConfigError(f"{section}.{name} must be at most {MAX_WHOLE}, got {value}")


def require_fraction(section: str, params: object, names: tuple[str, ...]) -> None:
    """Each named setting is a number between 0 and 1."""
    for name in names:
        value = getattr(params, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise ConfigError(f"{section}.{name} must be between 0 and 1, got {value!r}")
