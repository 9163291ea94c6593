"""Data sources: who or what holds beliefs (a user, a meter, a forecaster, ...), as a record.

A source is identified by (name, type, model, version) within its account; it may stand for a
user (and then belongs to that user's account). Sources are never edited in place, so the record
is all there is to one: the API hands it out as ``wb.Source``.

>>> meter = Source(4, "meter", "meter")
>>> str(meter), str(Source(5, "prophet", "forecaster", "v2", "2025-01"))
('meter (meter)', 'prophet (forecaster, v2/2025-01)')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, TypeAlias

from workbench.errors import InvalidValue
from workbench.paths import control_character

__all__ = [
    "SOURCE_TYPES",
    "Source",
    "SourceRef",
    "check_source_type",
    "source_identity",
]

#: Source types in common use; others are accepted (a short lower-case word).
SOURCE_TYPES: Final = ("user", "meter", "forecaster", "scheduler", "market", "reporter")


@dataclass(frozen=True, slots=True)
class Source:
    """A data source as stored (a snapshot; sources are never edited in place)."""

    id: int
    name: str
    type: str
    model: str = ""
    version: str = ""
    user_id: int | None = None
    account_id: int | None = None

    def __str__(self) -> str:
        extra = "/".join(p for p in (self.model, self.version) if p)
        return f"{self.name} ({self.type}{', ' + extra if extra else ''})"


#: What names a source in a query: a Source, its id, or its name.
SourceRef: TypeAlias = Source | int | str


def _text(value: object, what: str, limit: int, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()):
        kind = "a string" if empty else "a non-empty string"
        raise InvalidValue(f"source {what} must be {kind}, got {value!r}")
    if value != value.strip():
        raise InvalidValue(f"source {what} {value!r} has leading or trailing white space")
    if len(value) > limit:
        raise InvalidValue(f"source {what} {value[:40]!r}... is longer than {limit} characters")
    bad = control_character(value)
    if bad is not None:
        raise InvalidValue(
            f"source {what} {value[:80]!r} contains {bad!r}; source names, models and versions "
            "may hold any text but control characters and bidirectional formatting characters"
        )
    return value


def check_source_type(value: object) -> str:
    """Return ``value`` if it is a source type: a lower-case word such as 'meter'."""
    text = _text(value, "type", 40)
    if not text.replace("_", "").replace("-", "").isalnum() or text != text.lower():
        raise InvalidValue(
            f"source type {text!r} must be a lower-case word such as {', '.join(SOURCE_TYPES)}"
        )
    return text


def source_identity(
    name: object, type: object, model: object = "", version: object = ""
) -> tuple[str, str, str, str]:
    """A source's identity (name, type, model, version), checked: what tells sources apart
    within an account."""
    return (
        _text(name, "name", 200),
        check_source_type(type),
        _text(model, "model", 200, empty=True),
        _text(version, "version", 80, empty=True),
    )
