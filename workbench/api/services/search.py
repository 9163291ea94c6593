"""Search over the store: the search language's batched navigator, and what a search found.

The navigator answers the evaluator with one query per batch, and a walk down every level
(``{*}``, ``{+}``) with one query for the whole subtree, narrowed by the walk's criteria in SQL
(see :mod:`workbench.store.search`). Every query reads only what the user may read. A search
returns records (:class:`Found`); the handles are made from them by
:func:`workbench.api.handles.objects.search_handles`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench.api.services.objects import definition_info, full_names, record
from workbench.metamodel import ValueType, parse_time
from workbench.model import AttributeInfo, ObjectDefinitionInfo, ObjectInfo
from workbench.search import MISSING, Criteria, Node, ObjectId, Query, run_search
from workbench.store import objects as q
from workbench.store import search as sq
from workbench.store import search_links as lq

if TYPE_CHECKING:
    from sqlalchemy import Row
    from sqlalchemy.orm import Session

    from workbench.api.context import Context

__all__ = ["Found", "StoreNavigator", "SubtreeStoreNavigator", "search"]


@dataclass(frozen=True, slots=True)
class Found:
    """What a search found: objects in the order of the search, and when the query ends in an
    attribute (``.Capacity``), that attribute of each of them that has it (else None)."""

    objects: tuple[ObjectInfo, ...]
    attributes: tuple[tuple[ObjectInfo, AttributeInfo], ...] | None = None


__all__ = ["StoreNavigator", "SubtreeStoreNavigator", "search"]


class StoreNavigator:
    """Answers the search evaluator's batched questions with one query each, within one session.

    It remembers the rows it read (``rows``), so the records of what a search found are made
    without reading the objects again.
    """

    def __init__(self, ctx: Context, session: Session) -> None:
        self.ctx = ctx
        self.s = session
        self.visible = ctx.principal.readable_accounts()
        self.rows: dict[int, Row[Any]] = {}
        self._types = sq.definition_names(session)
        self._infos: dict[int, ObjectDefinitionInfo] = {}

    def definition(self, definition_id: int) -> ObjectDefinitionInfo:
        """An object definition's attributes (read once per search)."""
        if definition_id not in self._infos:
            self._infos[definition_id] = definition_info(self.ctx, definition_id)
        return self._infos[definition_id]

    def _nodes(self, rows: Iterable[Row[Any]]) -> list[Node]:
        kept, types = self.rows, self._types
        out = []
        for row in rows:
            kept[row.id] = row
            out.append(Node(row.id, row.name, types.get(row.definition_id, "")))
        return out

    def nodes(self, ids: Sequence[ObjectId]) -> Mapping[ObjectId, Node]:
        rows = sq.plain_rows(self.s, _ints(ids), self.visible)
        return {node.id: node for node in self._nodes(rows[i] for i in _ints(ids) if i in rows)}

    def children(self, ids: Sequence[ObjectId]) -> Mapping[ObjectId, Sequence[Node]]:
        out: dict[ObjectId, list[Node]] = {i: [] for i in ids}
        rows = q.child_rows(self.s, _ints(ids), None, self.visible)
        for row, node in zip(rows, self._nodes(rows), strict=True):
            out[row.parent_id].append(node)
        return out

    def parents(self, ids: Sequence[ObjectId]) -> Mapping[ObjectId, Node | None]:
        rows = sq.plain_rows(self.s, _ints(ids), self.visible)
        parent_rows = sq.plain_rows(self.s, (r.parent_id for r in rows.values()), self.visible)
        parents = {n.id: n for n in self._nodes(parent_rows.values())}
        return {i: parents.get(r.parent_id) for i, r in rows.items()}

    def attribute_values(self, ids: Sequence[ObjectId], name: str) -> Mapping[ObjectId, object]:
        wanted = _ints(ids)
        unknown = [i for i in wanted if i not in self.rows]
        self.rows.update(sq.plain_rows(self.s, unknown, self.visible))
        out: dict[ObjectId, object] = {}
        infos: dict[int, AttributeInfo] = {}
        for i in wanted:
            row = self.rows.get(i)
            if row is None:
                continue  # not readable: left out
            info = self.definition(row.definition_id).by_name.get(name)
            if info is None or not info.value_type.is_simple:
                out[i] = MISSING
            else:
                infos[row.definition_id] = info
        keys = {definition_id: info.id for definition_id, info in infos.items()}
        reading = [i for i in wanted if i in self.rows and i not in out]
        for oid, definition_id, raw, stored in sq.attribute_json(
            self.s, reading, keys, self.visible
        ):
            info = infos[definition_id]
            out[oid] = _value(info, _decoded(info, raw) if stored else info.spec.empty_value())
        return out

    def _relation(self, ids: list[int], name: str) -> dict[int, AttributeInfo]:
        """The relation attribute ``name`` of each readable object that has one, by object."""
        self.rows.update(sq.plain_rows(self.s, [i for i in ids if i not in self.rows],
                                       self.visible))  # fmt: skip
        found: dict[int, AttributeInfo] = {}
        for i in ids:
            row = self.rows.get(i)
            info = None if row is None else self.definition(row.definition_id).by_name.get(name)
            if info is not None and (info.value_type.is_ownership or _is_link(info)):
                found[i] = info
        return found

    def related(self, ids: Sequence[ObjectId], name: str) -> Mapping[ObjectId, Sequence[Node]]:
        relation = self._relation(_ints(ids), name)
        out: dict[ObjectId, list[Node]] = {i: [] for i in relation}
        owning = [i for i, info in relation.items() if info.value_type.is_ownership]
        kinds = {info.id for i, info in relation.items() if i in owning}
        rows = lq.owned_rows_through(self.s, owning, kinds, self.visible) if owning else []
        for row, node in zip(rows, self._nodes(rows), strict=True):
            if relation[row.parent_id].id == row.owner_attribute_id:
                out[row.parent_id].append(node)
        linking = [i for i in relation if i not in owning]
        links = {relation[i].id for i in linking}
        rows = lq.link_rows_from(self.s, linking, links, self.visible) if linking else []
        for source, attribute_id, node in self._links(rows, "source_id"):
            if relation[source].id == attribute_id:  # this object's relation of that name
                out[source].append(node)
        return {i: _unique(nodes) for i, nodes in out.items()}

    def linked(self, ids: Sequence[ObjectId], reverse: bool) -> Mapping[ObjectId, Sequence[Node]]:
        wanted = _ints(ids)
        out: dict[ObjectId, list[Node]] = {i: [] for i in wanted}
        if reverse:
            found = self._links(lq.link_rows_to(self.s, wanted, self.visible), "target_id")
        else:
            found = self._links(lq.link_rows_from(self.s, wanted, None, self.visible), "source_id")
        for key, _attribute, node in found:
            out[key].append(node)
        return {i: _unique(nodes) for i, nodes in out.items()}

    def _links(self, rows: list[Row[Any]], key: str) -> list[tuple[int, int, Node]]:
        """(the key column, the link attribute, the node at the other end) of the link entries
        in effect now."""
        versioned = self._versioned(rows)
        pairs = {(r.source_id if key == "source_id" else r.id, r.attribute_id)
                 for r in rows if r.attribute_id in versioned}  # fmt: skip
        current = lq.current_entries(self.s, pairs) if pairs else {}
        kept = []
        for r in rows:
            pair = (r.source_id if key == "source_id" else r.id, r.attribute_id)
            if r.attribute_id not in versioned or lq.in_effect(r.valid_from, current[pair]):
                kept.append(r)
        nodes = self._nodes(kept)
        return [(getattr(r, key), r.attribute_id, n) for r, n in zip(kept, nodes, strict=True)]

    def _versioned(self, rows: list[Row[Any]]) -> set[int]:
        """The versioned link attributes among those of these link entries."""
        if not rows:
            return set()
        return lq.versioned_link_attributes(self.s, {r.attribute_id for r in rows})


def _is_link(info: AttributeInfo) -> bool:
    return info.value_type.value in _LINKS


_LINKS = ("link_one", "link_many", "versioned_link_one", "versioned_link_many")


def _unique(nodes: Iterable[Node]) -> list[Node]:
    return list({node.id: node for node in nodes}.values())


class SubtreeStoreNavigator(StoreNavigator):
    """A :class:`StoreNavigator` that also reads whole subtrees in one query (``{*}``, ``{+}``)."""

    def descendants(
        self, ids: Sequence[ObjectId], include_self: bool, where: Criteria | None = None
    ) -> Mapping[ObjectId, Sequence[Node]]:
        starts = _ints(ids)
        clause = None
        if where is not None:
            dialect = self.s.get_bind().dialect.name
            clause = sq.criteria_clause(where, self._types, self._reachable_definitions(starts),
                                        dialect)  # fmt: skip
        found = sq.descendant_rows(self.s, starts, include_self, self.visible, clause)
        return {start: self._nodes(rows) for start, rows in found.items()}

    def _reachable_definitions(self, starts: list[int]) -> dict[int, ObjectDefinitionInfo]:
        """The object definitions of the model definitions the starts belong to."""
        self.rows.update(sq.plain_rows(self.s, [i for i in starts if i not in self.rows],
                                       self.visible))  # fmt: skip
        models = {self.definition(self.rows[i].definition_id).definition_id
                  for i in starts if i in self.rows}  # fmt: skip
        found: dict[int, ObjectDefinitionInfo] = {}
        for model_definition in models:
            found.update(self.ctx.catalog(model_definition).object_definitions)
        return found


def _ints(ids: Iterable[ObjectId]) -> list[int]:
    return [int(i) for i in ids]  # type: ignore[call-overload]


def _decoded(info: AttributeInfo, raw: Any) -> Any:
    """A stored value as :func:`workbench.store.search.attribute_json` gives it, decoded."""
    if raw is None:
        return None
    if info.spec.array:
        return json.loads(raw) if isinstance(raw, str) else raw
    vt = info.value_type
    if vt is ValueType.BOOLEAN:
        return raw in (1, True, "true")
    if vt is ValueType.DOUBLE:
        return float(raw)
    if vt is ValueType.INT64:
        return int(raw)
    return raw


def _value(info: AttributeInfo, stored: Any) -> object:
    """A stored (JSON) value as the search compares it: times parsed, arrays as lists."""
    if stored is None:
        return None
    vt = info.value_type
    if vt is ValueType.UTC_TIME:
        return [parse_time(v) for v in stored] if info.spec.array else parse_time(stored)
    return list(stored) if info.spec.array else stored


def search(ctx: Context, start: ObjectInfo, query: Query | str, *, subtrees: bool = True) -> Found:
    """Run a search from ``start``: objects, or attributes when the query ends in ``.Attr``.

    See the README's search-language section for the grammar. ``subtrees=False`` walks
    ``{*}`` and ``{+}`` level by level instead of reading each subtree in one query (the same
    results, slower on large models; kept for comparison). One transaction.
    """
    with ctx.tx(read=True) as s:
        navigator = (SubtreeStoreNavigator if subtrees else StoreNavigator)(ctx, s)
        result = run_search(query, navigator, start.id)
        ids = _ints(n.id for n in result.objects)
        objects = _records(ctx, s, navigator, ids, {start.id: start.full_name})
        if result.attribute is None:
            return Found(tuple(objects))
        found = {o.id: o for o in objects}
        infos: dict[int, AttributeInfo] = {}
        out: list[tuple[ObjectInfo, AttributeInfo]] = []
        for match in result.attributes:
            obj = found.get(int(match.node.id))  # type: ignore[call-overload]
            if obj is not None:
                kind = obj.definition_id
                if kind not in infos:
                    infos[kind] = navigator.definition(kind).attribute(match.name)
                out.append((obj, infos[kind]))
        return Found(tuple(objects), tuple(out))


def _records(
    ctx: Context, s: Session, navigator: StoreNavigator, ids: list[int], known: dict[int, str]
) -> list[ObjectInfo]:
    """The objects with ``ids`` the user may read, in order, full names in bulk.

    The ancestors not read yet are read in one query. A full name names every ancestor, as
    :func:`~workbench.api.services.objects.lookup` gives it, even one the user may not read
    (found one object at a time).
    """
    rows = navigator.rows
    unread = [i for i in ids if i not in rows]
    rows.update(sq.plain_rows(s, unread, navigator.visible))
    chain = dict(rows)
    parents = {r.parent_id for r in chain.values() if r.parent_id is not None}
    missing = [p for p in parents if p not in chain and p not in known]
    chain.update(sq.ancestor_rows(s, missing, navigator.visible))
    vias = sq.owner_names(s, (r.owner_attribute_id for r in chain.values()))
    names = dict(known)
    out = []
    for i in ids:
        if i in rows:
            full = _full_name(i, chain, vias, names) or full_names(ctx, i)[0]
            out.append(record(rows[i], full))
    return out


def _full_name(
    oid: int, chain: Mapping[int, Row[Any]], vias: Mapping[int, str], names: dict[int, str]
) -> str | None:
    """``Model/A.To_B/B...`` of one object from its ancestors' rows (``names`` caches them);
    ``None`` if one of them was not read."""
    row = chain.get(oid)
    if row is not None and (base := names.get(row.parent_id)) is not None:  # the usual case
        via = vias.get(row.owner_attribute_id)
        names[oid] = f"{base}/{row.name}" if via is None else f"{base}.{via}/{row.name}"
        return names[oid]
    pending: list[Row[Any]] = []
    current: int | None = oid
    while current is not None and current not in names:
        row = chain.get(current)
        if row is None:
            return None
        pending.append(row)
        current = row.parent_id
    base = "Model" if current is None else names[current]
    for row in reversed(pending):
        via = vias.get(row.owner_attribute_id)
        base = f"{base}/{row.name}" if via is None or row.parent_id is None else \
            f"{base}.{via}/{row.name}"  # fmt: skip
        names[row.id] = base
    return base
