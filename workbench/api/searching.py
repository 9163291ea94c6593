"""Search over the store: the search language's batched navigator, one query per level."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from workbench.metamodel import ValueType, parse_time
from workbench.search import MISSING, Node, ObjectId, parse_search, run_search
from workbench.store import objects as q
from workbench.store.schema import ObjectDefinitionRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.api.objects import Attribute, Object
    from workbench.api.workspace import Workspace

__all__ = ["StoreNavigator", "search"]


class StoreNavigator:
    """Answers the search evaluator's batched questions with one query each, within one session."""

    def __init__(self, ws: Workspace, session: Session) -> None:
        self.ws = ws
        self.s = session
        self.visible = ws.principal.readable_accounts()
        self._types: dict[int, str] = dict(
            session.execute(select(ObjectDefinitionRow.id, ObjectDefinitionRow.name)).all()  # type: ignore[arg-type]
        )

    def _node(self, row: Any) -> Node:
        return Node(row.id, row.name, self._types.get(row.definition_id, ""))

    def nodes(self, ids: Sequence[ObjectId]) -> Mapping[ObjectId, Node]:
        rows = q.object_rows(self.s, [int(i) for i in ids], self.visible)  # type: ignore[call-overload]
        return {r.id: self._node(r) for r in rows}

    def children(self, ids: Sequence[ObjectId]) -> Mapping[ObjectId, Sequence[Node]]:
        out: dict[ObjectId, list[Node]] = {i: [] for i in ids}
        for r in q.child_rows(self.s, [int(i) for i in ids], None, self.visible):  # type: ignore[call-overload]
            out[r.parent_id].append(self._node(r))
        return out

    def parents(self, ids: Sequence[ObjectId]) -> Mapping[ObjectId, Node | None]:
        rows = q.object_rows(self.s, [int(i) for i in ids], self.visible)  # type: ignore[call-overload]
        parent_rows = q.object_rows(self.s, {r.parent_id for r in rows if r.parent_id}, self.visible)
        parents = {r.id: self._node(r) for r in parent_rows}
        return {r.id: parents.get(r.parent_id) for r in rows}

    def attribute_values(self, ids: Sequence[ObjectId], name: str) -> Mapping[ObjectId, object]:
        rows = q.object_rows(self.s, [int(i) for i in ids], self.visible)  # type: ignore[call-overload]
        out: dict[ObjectId, object] = {}
        for r in rows:
            info = self.ws._definition_info(r.definition_id).by_name.get(name)
            if info is None or not info.value_type.is_simple:
                out[r.id] = MISSING
                continue
            stored = (r.values or {}).get(str(info.id), info.spec.empty_value())
            if info.value_type is ValueType.UTC_TIME and stored is not None:
                stored = [parse_time(v) for v in stored] if info.spec.array else parse_time(stored)
            out[r.id] = stored
        return out


def search(ws: Workspace, start: Object | str | int, query: str) -> list[Object] | list[Attribute]:
    """Run a search from ``start``: objects, or attributes when the query ends in ``.Attr``.

    See the README's search-language section for the grammar.

    Examples
    --------
    >>> ws.search("Model/MySystem", "{*}[.Type=PowerPlant]")  # doctest: +SKIP
    """
    parsed = parse_search(query)
    from workbench.api.objects import Object

    root = start if isinstance(start, Object) else ws.object(start)
    with ws._tx() as s:
        result = run_search(parsed, StoreNavigator(ws, s), root.id)
        objects = ws._visible_objects([int(n.id) for n in result.objects])  # type: ignore[call-overload]
    if result.attribute is None:
        return objects
    found = {o.id: o for o in objects}
    return [found[int(m.node.id)].attribute(m.name) for m in result.attributes  # type: ignore[call-overload]
            if int(m.node.id) in found]  # type: ignore[call-overload]
