"""Walking lookup paths over the store: many paths from many objects, one level at a time.

:class:`Walker` resolves the paths of a batch of lookups (see
:mod:`workbench.api.services.calc.paths`) together: a few queries per level of the paths
(objects, children, links), however many objects there are. What the user may not read is left
out, exactly like what does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workbench.api.services.calc.paths import (
    Hop,
    Intervals,
    LookupPath,
    intersect,
    union,
    versions,
)
from workbench.api.services.objects import definition_info
from workbench.metamodel import ValueType
from workbench.model import AttributeInfo
from workbench.store import calc as store
from workbench.store import objects as q

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.api.context import Context

__all__ = ["Node", "Reach", "Walker"]

_CHUNK = 10_000


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


@dataclass
class Walker:
    """Walks lookup paths over the store for one user, in one transaction, caching objects."""

    ctx: Context
    session: Session
    nodes: dict[int, Node | None] = field(default_factory=dict)

    @property
    def _visible(self) -> q.Visible:
        return self.ctx.principal.readable_accounts()

    def attribute(self, node: Node, name: str) -> AttributeInfo | None:
        """The attribute definition ``name`` of a node's object definition, if it has one."""
        return definition_info(self.ctx, node.definition_id).by_name.get(name)

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
        rows = store.calc_root_rows(self.session, sorted(names), self._visible)
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
            rows = store.calc_link_rows(self.session, chunk, attributes)
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
