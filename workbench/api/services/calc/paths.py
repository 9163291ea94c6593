"""The paths of calculation lookups: their grammar, and the time intervals a member holds in.

A lookup path names attributes (or sensors, or objects) relative to the object that owns the
expression, or from a model's root:

==============================  ===============================================================
``.Inflow``                     the attribute ``Inflow`` of the object itself
``:power``                      the object's sensor named ``power``
``..`` (``...Level``)           the parent (``...Level``: the parent's ``Level``; ``../..``)
``.To_Plants/PlantA``           through the relation (ownership or link) ``To_Plants`` to the
                                target named ``PlantA``; ``*`` and ``?`` match names
``.To_Plants/*.Production``     every target's ``Production`` (a collection)
``.Area.Price``                 through the relation ``Area`` to all its targets, then ``Price``
``/PlantA``                     the child named ``PlantA`` under any ownership attribute
``Model/Sys/PlantA.Inflow``     absolute: from the model ``Sys`` (short or full names)
``Catalog/Folder/name``         a virtual series or sensor listed in the resource catalog
``@``                           the object itself (its one rating curve, for ``@RatingCurve``)
==============================  ===============================================================

Through a versioned link each target counts only while the link points at it: a member reached
that way carries the time intervals it is valid in (:data:`Intervals`, from :func:`versions`).
Through a one-to-one versioned link the successive targets are pieces of one member (their
series are stitched in time); through a one-to-many one, each target is a member of its own.
Walking paths over the store is :mod:`workbench.api.services.calc.walker`; nothing here reads
the store.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import pandas as pd

from workbench.errors import ExpressionError

__all__ = [
    "ALWAYS",
    "CATALOG_PREFIX",
    "NEVER_ENDS",
    "Hop",
    "Intervals",
    "LookupPath",
    "intersect",
    "parse_lookup_path",
    "union",
    "versions",
]

Intervals: TypeAlias = tuple[tuple[int, int], ...]
"""Sorted, disjoint [start, end) ranges of naive UTC nanoseconds."""
NEVER_ENDS = 2**63 - 1
ALWAYS: Intervals = ((-(2**63), NEVER_ENDS),)
CATALOG_PREFIX = "Catalog/"
MODEL_PREFIX = "Model/"
_TOKEN = re.compile(r"\.\.|\.([^./:]+)|/([^./:]+)|:([^./:]+)|/(?=[.:])")


@dataclass(frozen=True)
class Hop:
    """One step of a path: to the ``parent``, to ``child`` objects (under any ownership), or
    through the ``relation`` attribute ``attribute``; ``name`` filters targets (None: all)."""

    kind: Literal["parent", "child", "relation"]
    attribute: str | None = None
    name: str | None = None

    def matches(self, name: str) -> bool:
        if self.name is None:
            return True
        if "*" in self.name or "?" in self.name:
            return fnmatch.fnmatchcase(name, self.name)
        return name == self.name


@dataclass(frozen=True)
class LookupPath:
    """A parsed lookup path; ``final`` says what its end names: an attribute, a sensor, the
    object(s) reached, or an entry of the resource catalog (``catalog``)."""

    text: str
    hops: tuple[Hop, ...] = ()
    final: Literal["attribute", "sensor", "object", "catalog"] = "object"
    name: str | None = None
    root: str | None = None
    catalog: str | None = None


def _error(text: str, why: str) -> ExpressionError:
    return ExpressionError(
        f"the path {text!r} {why}; write paths such as '.Inflow', '.To_Plants/*.Production', "
        "'...Level', ':power' or 'Model/System/PlantA.Inflow'"
    )


def parse_lookup_path(text: str) -> LookupPath:
    """Parse a lookup path (see the module's table).

    >>> parse_lookup_path(".To_Plants/*.Production").hops
    (Hop(kind='relation', attribute='To_Plants', name='*'),)
    >>> parse_lookup_path("Model/Sys/PlantA:power").final
    'sensor'
    """
    if text.startswith(CATALOG_PREFIX):
        entry = text[len(CATALOG_PREFIX) :].strip("/")
        if not entry:
            raise _error(text, "names no catalog entry ('Catalog/Folder/name')")
        return LookupPath(text, final="catalog", catalog=entry)
    if text == "@":
        return LookupPath(text)
    rest, root = text, None
    if text.startswith(MODEL_PREFIX):
        match = re.match(r"[^./:]+", text[len(MODEL_PREFIX) :])
        if match is None:
            raise _error(text, "names no model after 'Model/'")
        root, rest = match.group(), text[len(MODEL_PREFIX) + match.end() :]
    elif not text.startswith((".", ":", "/")):
        raise _error(text, "is neither relative (starting with '.', ':' or '/') nor absolute")
    return _steps(text, rest, root)


def _tokens(text: str, rest: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(rest):
        match = _TOKEN.match(rest, position)
        if match is None or match.end() == position:
            raise _error(text, f"cannot be read at {rest[position:]!r}")
        position = match.end()
        if match.group() == "..":
            tokens.append(("..", ""))
        elif match.group(1) is not None:
            tokens.append((".", match.group(1).strip()))
        elif match.group(2) is not None:
            tokens.append(("/", match.group(2).strip()))
        elif match.group(3) is not None:
            tokens.append((":", match.group(3).strip()))
    return tokens


def _steps(text: str, rest: str, root: str | None) -> LookupPath:
    tokens = _tokens(text, rest)
    hops: list[Hop] = []
    i = 0
    while i < len(tokens):
        kind, value = tokens[i]
        last = i == len(tokens) - 1
        if kind == ":":
            if not last:
                raise _error(text, "goes on after the sensor name")
            return LookupPath(text, tuple(hops), "sensor", value, root)
        if kind == "..":
            hops.append(Hop("parent"))
        elif kind == "/":
            hops.append(Hop("child", name=value))
        elif last:
            return LookupPath(text, tuple(hops), "attribute", value, root)
        elif tokens[i + 1][0] == "/":
            hops.append(Hop("relation", value, tokens[i + 1][1]))
            i += 1
        else:
            hops.append(Hop("relation", value))
        i += 1
    return LookupPath(text, tuple(hops), "object", None, root)


# -- time intervals -----------------------------------------------------------------------


def intersect(a: Intervals | None, b: Intervals | None) -> Intervals | None:
    """Where both hold (None: always)."""
    if a is None:
        return b
    if b is None:
        return a
    out = []
    for s1, e1 in a:
        for s2, e2 in b:
            lo, hi = max(s1, s2), min(e1, e2)
            if lo < hi:
                out.append((lo, hi))
    return tuple(sorted(out))


def union(a: Intervals | None, b: Intervals | None) -> Intervals | None:
    """Where either holds (None: always)."""
    if a is None or b is None:
        return None
    merged: list[tuple[int, int]] = []
    for start, end in sorted((*a, *b)):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def _ns(value: Any) -> int:
    return int(pd.Timestamp(value).as_unit("ns").tz_convert(None).value)


def versions(rows: Sequence[Any]) -> list[tuple[int, int, list[int]]]:
    """A versioned link's rows (``valid_from``, ``target_id``) as ``(valid_from, valid_until,
    targets)`` in naive UTC ns, oldest first; a version without targets points at nothing."""
    by_start: dict[int, list[int]] = {}
    for row in rows:
        targets = by_start.setdefault(_ns(row.valid_from), [])
        if row.target_id is not None:
            targets.append(int(row.target_id))
    starts = sorted(by_start)
    ends = [*starts[1:], NEVER_ENDS]
    return [(s, e, by_start[s]) for s, e in zip(starts, ends, strict=True)]
