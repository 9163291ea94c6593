"""Paths of objects and attributes: `Model/M/A/B`, full names `Model/M.To_A/A`, `...B.Attr`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from workbench.errors import InvalidValue

__all__ = [
    "CONTROL_CHARACTERS",
    "ROOT",
    "ObjectPath",
    "Segment",
    "check_name",
    "control_character",
    "escape_controls",
    "parse_path",
]

ROOT = "Model"
#: What no name may hold, as the inside of a regular-expression class: the C0 and C1 control
#: characters and DEL, the line and paragraph separators, and the bidirectional marks,
#: embeddings, overrides and isolates (they reorder how the text around them is shown).
CONTROL_CHARACTERS = r"\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")
_FORBIDDEN = re.compile(f"[/.{CONTROL_CHARACTERS}]")


_CONTROL_BUT_NEWLINE = re.compile(rf"(?!\n)[{CONTROL_CHARACTERS}]")


def escape_controls(text: str, *, newlines: bool = False) -> str:
    """``text`` with each control character (:data:`CONTROL_CHARACTERS`) written as a visible
    escape, so that it can be shown on a terminal; ``newlines`` keeps line feeds as they are.

    >>> print(escape_controls("\\x1b[2Jred\\u202eevil"))
    \\x1b[2Jred\\u202eevil
    """
    pattern = _CONTROL_BUT_NEWLINE if newlines else _CONTROL
    return pattern.sub(lambda m: repr(m.group())[1:-1], text)  # '\x1b', '\n', '\u202e'


def control_character(text: str) -> str | None:
    """The first control character in ``text`` (see :data:`CONTROL_CHARACTERS`), or None.

    >>> control_character("Plant\\u202eA"), control_character("PlantA")
    ('\\u202e', None)
    """
    found = _CONTROL.search(text)
    return None if found is None else found.group()


def check_name(name: object, what: str = "name") -> str:
    """Return ``name`` if it may name an element; raise :class:`InvalidValue` otherwise.

    >>> check_name("PlantA")
    'PlantA'
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidValue(f"{what} must be a non-empty string, got {name!r}")
    if name != name.strip():
        raise InvalidValue(f"{what} {name!r} has leading or trailing white space")
    bad = _FORBIDDEN.search(name)
    if bad:
        raise InvalidValue(
            f"{what} {name!r} contains {bad.group()!r}; names may not contain '/', '.', "
            "control characters or bidirectional formatting characters"
        )
    if len(name) > 200:
        raise InvalidValue(f"{what} {name[:40]!r}... is {len(name)} characters long; at most 200")
    return name


@dataclass(frozen=True, slots=True)
class Segment:
    """One object on a path: its name and, in a full name, the ownership attribute below it.

    ``via`` is the name of the ownership attribute of *this* object through which the next
    segment is reached (``Area1.To_Plants``), or ``None`` where the path does not say.
    """

    name: str
    via: str | None = None

    def __str__(self) -> str:
        return self.name if self.via is None else f"{self.name}.{self.via}"


@dataclass(frozen=True, slots=True)
class ObjectPath:
    """A parsed ``Model/...`` path to an object, or to an attribute when ``attribute`` is set.

    >>> p = parse_path("Model/Sys.To_Plants/PlantA.MaxPower")
    >>> p.names, p.attribute, p.is_full
    (('Sys', 'PlantA'), 'MaxPower', True)
    >>> str(p)
    'Model/Sys.To_Plants/PlantA.MaxPower'
    """

    segments: tuple[Segment, ...]
    attribute: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.segments)

    @property
    def model(self) -> str:
        return self.segments[0].name

    @property
    def is_full(self) -> bool:
        """Whether every step names its ownership attribute (a full name)."""
        return all(s.via is not None for s in self.segments[:-1])

    @property
    def object_path(self) -> ObjectPath:
        """The path of the object (without the attribute)."""
        return ObjectPath(self.segments, None)

    def child(self, name: str, via: str | None = None) -> ObjectPath:
        *head, last = self.segments
        return ObjectPath((*head, Segment(last.name, via), Segment(name)))

    def with_attribute(self, attribute: str) -> ObjectPath:
        return ObjectPath(self.segments, check_name(attribute, "attribute name"))

    def __str__(self) -> str:
        text = "/".join([ROOT, *(str(s) for s in self.segments)])
        return text if self.attribute is None else f"{text}.{self.attribute}"

    def __truediv__(self, name: str) -> ObjectPath:
        return self.child(name)


def parse_path(text: str | ObjectPath) -> ObjectPath:
    """Parse ``Model/...`` text into an :class:`ObjectPath`.

    Each segment is ``name`` or ``name.Attr``; on every segment but the last ``.Attr`` names the
    ownership attribute leading to the next segment, on the last it names an attribute.
    """
    if isinstance(text, ObjectPath):
        return text
    if not isinstance(text, str):
        raise InvalidValue(f"a path must be a string such as 'Model/M/A', got {text!r}")
    parts = text.strip().rstrip("/").split("/")
    if len(parts) < 2 or parts[0] != ROOT:
        raise InvalidValue(f"path {text!r} must start with '{ROOT}/' followed by a model name")
    segments: list[Segment] = []
    attribute: str | None = None
    for i, part in enumerate(parts[1:]):
        last = i == len(parts) - 2
        name, dot, rest = part.partition(".")
        if "." in rest:
            raise InvalidValue(f"path {text!r}: segment {part!r} has more than one '.'")
        check_name(name, f"path {text!r}: segment name")
        via = check_name(rest, f"path {text!r}: attribute name") if dot else None
        if last:
            attribute = via
            segments.append(Segment(name))
        else:
            segments.append(Segment(name, via))
    return ObjectPath(tuple(segments), attribute)
