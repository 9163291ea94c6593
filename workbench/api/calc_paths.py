"""The paths of calculation lookups: their grammar, and walking them over the store in batches.

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
``@``                           the object itself (its one rating curve, for ``@RatingCurve``)
==============================  ===============================================================

Through a versioned link each target counts only while the link points at it: a member reached
that way carries the time intervals it is valid in. Through a one-to-one versioned link the
successive targets are pieces of one member (their series are stitched in time); through a
one-to-many one, each target is a member of its own.

:class:`Walker` resolves many paths from many objects together, one level at a time: a few
queries per level of the paths (objects, children, links), however many objects there are.
What the user may not read is left out, exactly like what does not exist.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from sqlalchemy import select

from workbench.errors import ExpressionError
from workbench.metamodel import ValueType
from workbench.model import AttributeInfo
from workbench.store import objects as q

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.api.workspace import Workspace

__all__ = [
    "ALWAYS",
    "Hop",
    "Intervals",
    "LookupPath",
    "Node",
    "Reach",
    "Walker",
    "intersect",
    "parse_lookup_path",
    "union",
]

Intervals: TypeAlias = tuple[tuple[int, int], ...]
"""Sorted, disjoint [start, end) ranges of naive UTC nanoseconds."""
NEVER_ENDS = 2**63 - 1
ALWAYS: Intervals = ((-(2**63), NEVER_ENDS),)
CATALOG_PREFIX = "Catalog/"
MODEL_PREFIX = "Model/"
_TOKEN = re.compile(r"\.\.|\.([^./:]+)|/([^./:]+)|:([^./:]+)|/(?=[.:])")
_CHUNK = 10_000


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


# -- walking paths over the store ---------------------------------------------------------


@dataclass(frozen=True)
class Node:
    """An object as a walk sees it."""

    id: int
    name: str
    definition_id: int
    parent_id: int | None
    account_id: int | None
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Reach:
    """An object a path reached: the member ``slot`` it belongs to, and when it counts."""

    object_id: int
    slot: tuple[int, ...] = ()
    validity: Intervals | None = None


@dataclass
class _Walk:
    path: LookupPath
    reached: list[Reach]
    hop: int = 0


def _ns(value: Any) -> int:
    import pandas as pd

    return int(pd.Timestamp(value).as_unit("ns").tz_convert(None).value)


def versions(rows: Sequence[Any]) -> list[tuple[int, int, list[int]]]:
    """A versioned link's rows as ``(valid_from, valid_until, targets)`` (ns), oldest first."""
    by_start: dict[int, list[int]] = {}
    for row in rows:
        targets = by_start.setdefault(_ns(row.valid_from), [])
        if row.target_id is not None:
            targets.append(int(row.target_id))
    starts = sorted(by_start)
    ends = [*starts[1:], NEVER_ENDS]
    return [(s, e, by_start[s]) for s, e in zip(starts, ends, strict=True)]


@dataclass
class Walker:
    """Walks lookup paths over the store for one user, in one transaction, caching objects."""

    ws: Workspace
    session: Session
    nodes: dict[int, Node | None] = field(default_factory=dict)

    @property
    def _visible(self) -> q.Visible:
        return self.ws.principal.readable_accounts()

    def attribute(self, node: Node, name: str) -> AttributeInfo | None:
        """The attribute definition ``name`` of a node's object definition, if it has one."""
        return self.ws._definition_info(node.definition_id).by_name.get(name)

    def fetch(self, ids: Iterable[int]) -> None:
        """Read the objects not read yet (those the user may not read stay None)."""
        wanted = sorted({i for i in ids if i not in self.nodes})
        for begin in range(0, len(wanted), _CHUNK):
            chunk = wanted[begin : begin + _CHUNK]
            for row in q.object_rows(self.session, chunk, self._visible):
                self._keep(row)
            for i in chunk:
                self.nodes.setdefault(i, None)

    def _keep(self, row: Any) -> Node:
        node = Node(
            int(row.id),
            row.name,
            row.definition_id,
            row.parent_id,
            row.account_id,
            row.values or {},
        )
        self.nodes[node.id] = node
        return node

    def node(self, object_id: int) -> Node | None:
        if object_id not in self.nodes:
            self.fetch([object_id])
        return self.nodes[object_id]

    def walk(
        self, starts: Mapping[tuple[LookupPath, int | None], Sequence[int]]
    ) -> dict[tuple[LookupPath, int | None], list[Reach]]:
        """The objects each ``(path, owner)`` reaches from its start objects, with every path
        walked level by level together with the others."""
        roots = self._roots({p.root for p, _ in starts if p.root is not None})
        walks = {}
        for key, ids in starts.items():
            path = key[0]
            first = (
                [roots[path.root]]
                if path.root is not None and path.root in roots
                else ([] if path.root is not None else list(ids))
            )
            walks[key] = _Walk(path, [Reach(i) for i in first])
        self.fetch(r.object_id for w in walks.values() for r in w.reached)
        while True:
            active = [w for w in walks.values() if w.hop < len(w.path.hops)]
            if not active:
                break
            self._step(active)
        return {key: self._alive(w.reached) for key, w in walks.items()}

    def _alive(self, reached: list[Reach]) -> list[Reach]:
        merged: dict[tuple[int, tuple[int, ...]], Reach] = {}
        for r in reached:
            if self.nodes.get(r.object_id) is None or r.validity == ():
                continue
            key = (r.object_id, r.slot)
            known = merged.get(key)
            merged[key] = (
                r
                if known is None
                else Reach(r.object_id, r.slot, union(known.validity, r.validity))
            )
        return list(merged.values())

    def _roots(self, names: set[str]) -> dict[str, int]:
        if not names:
            return {}
        rows = self.session.execute(
            select(*q._COLUMNS, q.OBJ.c["values"]).where(
                q.OBJ.c.parent_id.is_(None),
                q.OBJ.c.name.in_(sorted(names)),
                q.visible_clause(q.OBJ, self._visible),
            )
        ).all()
        return {self._keep(r).name: int(r.id) for r in rows}

    def _step(self, walks: list[_Walk]) -> None:
        """Advance every walk by one hop: one query for children, one for links, one for
        the objects newly reached."""
        parents: set[int] = set()
        linked: set[tuple[int, int]] = set()
        for w in walks:
            hop = w.path.hops[w.hop]
            for r in self._alive(w.reached):
                node = self.nodes[r.object_id]
                assert node is not None
                if hop.kind == "child":
                    parents.add(node.id)
                elif hop.kind == "relation":
                    info = self.attribute(node, hop.attribute or "")
                    if info is not None and info.value_type.is_ownership:
                        parents.add(node.id)
                    elif info is not None and info.value_type.is_relation:
                        linked.add((node.id, info.id))
        children = self._children(parents)
        links = self._links(linked)
        self.fetch(
            [
                *(t for rows in links.values() for t in _targets(rows)),
                *(
                    n.parent_id
                    for w in walks
                    if w.path.hops[w.hop].kind == "parent"
                    for r in w.reached
                    if (n := self.nodes.get(r.object_id)) is not None and n.parent_id
                ),
            ]
        )
        for w in walks:
            hop = w.path.hops[w.hop]
            w.reached = [
                out for r in self._alive(w.reached) for out in self._follow(r, hop, children, links)
            ]
            w.hop += 1

    def _children(self, parents: set[int]) -> dict[int, list[tuple[int, int]]]:
        """(owner attribute, child) pairs of each parent; the children are kept as nodes."""
        found: dict[int, list[tuple[int, int]]] = {}
        ids = sorted(parents)
        for begin in range(0, len(ids), _CHUNK):
            rows = q.child_rows(
                self.session, ids[begin : begin + _CHUNK], None, self._visible, with_values=True
            )
            for row in rows:
                node = self._keep(row)
                found.setdefault(int(row.parent_id), []).append(
                    (int(row.owner_attribute_id), node.id)
                )
        return found

    def _links(self, pairs: set[tuple[int, int]]) -> dict[tuple[int, int], list[Any]]:
        found: dict[tuple[int, int], list[Any]] = {}
        objects = sorted({o for o, _ in pairs})
        attributes = sorted({a for _, a in pairs})
        for begin in range(0, len(objects), _CHUNK):
            chunk = objects[begin : begin + _CHUNK]
            rows = self.session.execute(
                select(
                    q.L.c.object_id,
                    q.L.c.attribute_id,
                    q.L.c.position,
                    q.L.c.target_id,
                    q.L.c.valid_from,
                )
                .where(q.L.c.object_id.in_(chunk), q.L.c.attribute_id.in_(attributes))
                .order_by(q.L.c.object_id, q.L.c.position, q.L.c.valid_from)
            ).all()
            for row in rows:
                found.setdefault((int(row.object_id), int(row.attribute_id)), []).append(row)
        return found

    def _follow(
        self,
        r: Reach,
        hop: Hop,
        children: Mapping[int, list[tuple[int, int]]],
        links: Mapping[tuple[int, int], list[Any]],
    ) -> list[Reach]:
        node = self.nodes[r.object_id]
        assert node is not None
        if hop.kind == "parent":
            return [] if node.parent_id is None else [Reach(node.parent_id, r.slot, r.validity)]
        if hop.kind == "child":
            return self._named([c for _, c in children.get(node.id, [])], hop, r)
        info = self.attribute(node, hop.attribute or "")
        if info is None or not info.value_type.is_relation:
            return []
        if info.value_type.is_ownership:
            owned = [c for a, c in children.get(node.id, []) if a == info.id]
            return self._named(owned, hop, r)
        rows = links.get((node.id, info.id), [])
        if info.value_type.is_link:
            return self._named(list(_targets(rows)), hop, r)
        return self._versioned(rows, info, hop, r)

    def _named(self, ids: list[int], hop: Hop, r: Reach) -> list[Reach]:
        out = []
        for i in ids:
            node = self.nodes.get(i)
            if node is not None and hop.matches(node.name):
                out.append(Reach(i, (*r.slot, i), r.validity))
        return out

    def _versioned(self, rows: list[Any], info: AttributeInfo, hop: Hop, r: Reach) -> list[Reach]:
        one = info.value_type is ValueType.VERSIONED_LINK_ONE
        out = []
        for start, end, targets in versions(rows):
            for target in targets:
                node = self.nodes.get(target)
                if node is None or not hop.matches(node.name):
                    continue
                slot = r.slot if one else (*r.slot, target)
                validity = intersect(r.validity, ((start, end),))
                out.append(Reach(target, slot, validity))
        return out


def _targets(rows: Iterable[Any]) -> Iterable[int]:
    return (int(row.target_id) for row in rows if row.target_id is not None)
