"""Queries on objects and links, in SQLAlchemy Core for speed; callers own the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    CTE,
    ColumnElement,
    Row,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from workbench.errors import ConcurrentEdit
from workbench.paths import ObjectPath
from workbench.store.schema import AttributeDefinitionRow, LinkRow, ObjectDefinitionRow, ObjectRow

__all__ = [
    "Visible",
    "ancestor_chain",
    "child_rows",
    "count_children",
    "delete_objects",
    "existing_ids",
    "insert_objects",
    "instance_counts",
    "instance_rows",
    "link_rows",
    "move_subtree",
    "object_accounts",
    "object_rows",
    "owned_rows",
    "owning_definition",
    "resolve_path",
    "root_rows",
    "set_subtree",
    "set_values",
    "subtree_ids",
    "taken_names",
    "update_object",
]

OBJ = cast(Table, ObjectRow.__table__)
L = cast(Table, LinkRow.__table__)
AD = cast(Table, AttributeDefinitionRow.__table__)
OD = cast(Table, ObjectDefinitionRow.__table__)
# The accounts a caller may read; None means every account.
Visible = frozenset[int] | None

_COLUMNS = (
    OBJ.c.id,
    OBJ.c.name,
    OBJ.c.definition_id,
    OBJ.c.parent_id,
    OBJ.c.owner_attribute_id,
    OBJ.c.account_id,
    OBJ.c.model_id,
    OBJ.c.version,
)


def _rows(rows: Sequence[Any]) -> list[Row[Any]]:
    return list(rows)


def visible_clause(table: Any, visible: Visible) -> ColumnElement[bool]:
    """Rows of ``table`` (with an account_id column) that the caller may read."""
    if visible is None:
        return literal(True)
    clause: ColumnElement[bool] = table.c.account_id.is_(None) | table.c.account_id.in_(
        sorted(visible)
    )
    return clause


# Statements run once per created object are built once (names travel as bound parameters).
_INSERT_ONE = insert(OBJ).returning(OBJ.c.id)
_EXISTING = select(OBJ.c.id).where(OBJ.c.id.in_(bindparam("ids", expanding=True)))
_TAKEN = select(OBJ.c.name).where(
    OBJ.c.parent_id == bindparam("parent_id"),
    OBJ.c.owner_attribute_id == bindparam("attribute_id"),
    OBJ.c.name.in_(bindparam("names", expanding=True)),
)


def insert_objects(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert objects and return their ids, in order."""
    if not rows:
        return []
    if len(rows) == 1:
        return [session.execute(_INSERT_ONE, list(rows)).scalar_one()]
    result = session.execute(
        insert(OBJ).returning(OBJ.c.id, sort_by_parameter_order=True), list(rows)
    )
    return list(result.scalars())


_CHUNK = 30_000  # PostgreSQL takes at most 65,535 parameters in one statement


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    return (ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK))


def object_rows(session: Session, ids: Iterable[int], visible: Visible = None) -> list[Row[Any]]:
    ids = list(ids)
    if not ids:
        return []
    rows = [
        row
        for part in _chunks(ids)
        for row in session.execute(
            select(*_COLUMNS, OBJ.c["values"]).where(
                OBJ.c.id.in_(part), visible_clause(OBJ, visible)
            )
        ).all()
    ]
    order = {i: n for n, i in enumerate(ids)}
    return sorted(cast(Sequence[Row[Any]], rows), key=lambda r: order[r.id])


def object_accounts(session: Session, ids: Iterable[int]) -> dict[int, int | None]:
    """The account of each of ``ids`` that still exists, by id."""
    wanted = list(ids)
    if not wanted:
        return {}
    rows = session.execute(select(OBJ.c.id, OBJ.c.account_id).where(OBJ.c.id.in_(wanted)))
    return {r.id: r.account_id for r in rows}


def owning_definition(session: Session, object_definition_id: int) -> int | None:
    """The model definition an object definition belongs to (None: no such object definition)."""
    od = cast(Table, ObjectDefinitionRow.__table__)
    return session.scalar(select(od.c.definition_id).where(od.c.id == object_definition_id))


def existing_ids(session: Session, ids: Iterable[int]) -> set[int]:
    """Which of ``ids`` name objects that still exist."""
    wanted = list(ids)
    return set(session.scalars(_EXISTING, {"ids": wanted})) if wanted else set()


def child_rows(
    session: Session,
    parent_ids: Sequence[int],
    attribute_id: int | None = None,
    visible: Visible = None,
    with_values: bool = False,
) -> list[Row[Any]]:
    """Children of the given parents (through one ownership attribute if given), in id order."""
    cols = (*_COLUMNS, OBJ.c["values"]) if with_values else _COLUMNS
    rows: list[Row[Any]] = []
    for part in _chunks(list(parent_ids)):
        q = select(*cols).where(OBJ.c.parent_id.in_(part), visible_clause(OBJ, visible))
        if attribute_id is not None:
            q = q.where(OBJ.c.owner_attribute_id == attribute_id)
        rows.extend(session.execute(q.order_by(OBJ.c.id)).all())
    return rows if len(parent_ids) <= _CHUNK else sorted(rows, key=lambda r: r.id)


def owned_rows(
    session: Session, parent_id: int, attribute: str | None = None, visible: Visible = None
) -> list[Row[Any]]:
    """Children of one parent with the name of the ownership attribute (``via``), in id order.

    With ``attribute``, only the children owned through the attribute of that name.
    """
    q = (
        select(*_COLUMNS, AD.c.name.label("via"))
        .select_from(OBJ.join(AD, AD.c.id == OBJ.c.owner_attribute_id))
        .where(OBJ.c.parent_id == parent_id, visible_clause(OBJ, visible))
    )
    if attribute is not None:
        q = q.where(AD.c.name == attribute)
    return _rows(session.execute(q.order_by(OBJ.c.id)).all())


def count_children(session: Session, parent_id: int, attribute_id: int) -> int:
    q = select(func.count()).where(
        OBJ.c.parent_id == parent_id, OBJ.c.owner_attribute_id == attribute_id
    )
    return int(session.execute(q).scalar_one())


def taken_names(
    session: Session, parent_id: int, attribute_id: int, names: Sequence[str]
) -> list[str]:
    """Which of ``names`` the parent already owns through the attribute (indexed look-ups)."""
    found: set[str] = set()
    for start in range(0, len(names), 500):  # keep the IN list short for every backend
        chunk = list(names[start : start + 500])
        params = {"parent_id": parent_id, "attribute_id": attribute_id, "names": chunk}
        found.update(session.scalars(_TAKEN, params))
    return sorted(found)


@lru_cache(maxsize=512)
def _path_query(vias: tuple[bool, ...], restricted: bool) -> Select[Any]:
    """The statement for paths of one shape: ``vias[i]`` says segment ``i`` names its attribute.

    Names travel as bound parameters (``n0``, ``n1``, ..., ``v0``, ...), so the statement is
    built and compiled once per shape, not per look-up.
    """
    tables = [OBJ.alias(f"o{i}") for i in range(len(vias) + 1)]
    first, last = tables[0], tables[-1]
    joined: Any = first
    conditions = [first.c.parent_id.is_(None), first.c.name == bindparam("n0")]
    for i in range(1, len(tables)):
        o, parent = tables[i], tables[i - 1]
        joined = joined.join(o, o.c.parent_id == parent.c.id)
        conditions.append(o.c.name == bindparam(f"n{i}"))
        if vias[i - 1]:
            owners = select(AD.c.id).where(AD.c.name == bindparam(f"v{i - 1}"))
            # "+ 0": without statistics SQLite would otherwise walk the index on
            # owner_attribute_id (every sibling) instead of (parent_id, name) (one row)
            conditions.append((o.c.owner_attribute_id + 0).in_(owners.scalar_subquery()))
    if restricted:
        accounts: Any = bindparam("accounts", expanding=True)
        conditions.extend(o.c.account_id.is_(None) | o.c.account_id.in_(accounts) for o in tables)
    cols = [last.c[c.name] for c in (*_COLUMNS, OBJ.c["values"])]
    return select(*cols).select_from(joined).where(*conditions)


def resolve_path(session: Session, path: ObjectPath, visible: Visible = None) -> list[Row[Any]]:
    """Objects matching a path (several when a short path is ambiguous), as object rows.

    One query whatever the depth: a chain of self-joins, one per segment.
    """
    segments = path.segments
    statement = _path_query(tuple(s.via is not None for s in segments[:-1]), visible is not None)
    params: dict[str, Any] = {f"n{i}": s.name for i, s in enumerate(segments)}
    params.update({f"v{i}": s.via for i, s in enumerate(segments[:-1]) if s.via is not None})
    if visible is not None:
        params["accounts"] = sorted(visible) or [-1]
    return list(session.execute(statement, params).all())


def ancestry(anchor: ColumnElement[Any]) -> CTE:
    """The objects from the one ``anchor`` picks up to the root, with their depth (0 at the
    anchor) and owner attribute: a recursive CTE to join in a query."""
    anc = (
        select(
            OBJ.c.id,
            OBJ.c.parent_id,
            OBJ.c.name,
            OBJ.c.owner_attribute_id,
            literal(0).label("depth"),
        )
        .where(OBJ.c.id == anchor)
        .cte("anc", recursive=True)
    )
    return anc.union_all(
        select(
            OBJ.c.id, OBJ.c.parent_id, OBJ.c.name, OBJ.c.owner_attribute_id, (anc.c.depth + 1)
        ).where(OBJ.c.id == anc.c.parent_id)
    )


@lru_cache(maxsize=1)
def _ancestor_query() -> Select[Any]:
    anc = ancestry(bindparam("object_id"))
    return (
        select(anc.c.id, anc.c.name, AD.c.name.label("via"))
        .select_from(anc.outerjoin(AD, AD.c.id == anc.c.owner_attribute_id))
        .order_by(anc.c.depth.desc())
    )


def ancestor_chain(session: Session, object_id: int) -> list[Row[Any]]:
    """The object and its ancestors, root first, each with its owner attribute's name."""
    return _rows(session.execute(_ancestor_query(), {"object_id": object_id}).all())


def subtree_ids(session: Session, object_id: int) -> list[int]:
    """The object and every descendant."""
    sub = select(OBJ.c.id).where(OBJ.c.id == object_id).cte("sub", recursive=True)
    sub = sub.union_all(select(OBJ.c.id).where(OBJ.c.parent_id == sub.c.id))
    return list(session.scalars(select(sub.c.id)).all())


def update_object(
    session: Session, object_id: int, expected_version: int | None, **values: Any
) -> int:
    """Update one object's columns, bumping its version; refuse a stale edit."""
    q = update(OBJ).where(OBJ.c.id == object_id)
    if expected_version is not None:
        q = q.where(OBJ.c.version == expected_version)
    result = session.execute(q.values(version=OBJ.c.version + 1, **values).returning(OBJ.c.version))
    new = result.scalar_one_or_none()
    if new is None:
        raise ConcurrentEdit(
            f"object {object_id} was changed by someone else since version {expected_version} "
            "was read; refresh() it and try again"
        )
    return int(new)


def delete_objects(session: Session, ids: Sequence[int]) -> None:
    session.execute(delete(L).where(L.c.object_id.in_(list(ids))))
    session.execute(update(L).where(L.c.target_id.in_(list(ids))).values(target_id=None))
    # children first, so the self-referencing key never points at a deleted row
    session.execute(delete(OBJ).where(OBJ.c.id.in_(list(ids))))


def link_rows(
    session: Session, object_ids: Sequence[int], attribute_id: int | None = None
) -> list[Row[Any]]:
    q = select(L.c.object_id, L.c.attribute_id, L.c.position, L.c.target_id, L.c.valid_from).where(
        L.c.object_id.in_(list(object_ids))
    )
    if attribute_id is not None:
        q = q.where(L.c.attribute_id == attribute_id)
    return _rows(session.execute(q.order_by(L.c.object_id, L.c.position, L.c.valid_from)).all())


def replace_links(
    session: Session,
    object_id: int,
    attribute_id: int,
    entries: Sequence[tuple[int | None, datetime | None]],
) -> None:
    """Replace all targets of one link attribute by ``(target, valid_from)`` entries."""
    session.execute(
        delete(L).where(and_(L.c.object_id == object_id, L.c.attribute_id == attribute_id))
    )
    if entries:
        session.execute(
            insert(LinkRow),
            [
                {
                    "object_id": object_id,
                    "attribute_id": attribute_id,
                    "position": i,
                    "target_id": target,
                    "valid_from": valid_from,
                }
                for i, (target, valid_from) in enumerate(entries)
            ],
        )


def root_rows(
    session: Session, visible: Visible = None, definition_id: int | None = None
) -> list[Row[Any]]:
    """Models (objects with no parent) the caller may read, by name; only those built on the
    model definition ``definition_id`` when given."""
    q = select(*_COLUMNS).where(OBJ.c.parent_id.is_(None), visible_clause(OBJ, visible))
    if definition_id is not None:
        q = q.join(OD, OD.c.id == OBJ.c.definition_id).where(OD.c.definition_id == definition_id)
    return _rows(session.execute(q.order_by(OBJ.c.name)).all())


def instance_rows(
    session: Session, object_definition_id: int, visible: Visible = None
) -> list[Row[Any]]:
    """The objects of an object definition the caller may read, oldest first."""
    q = select(*_COLUMNS).where(
        OBJ.c.definition_id == object_definition_id, visible_clause(OBJ, visible)
    )
    return _rows(session.execute(q.order_by(OBJ.c.id)).all())


def instance_counts(
    session: Session, definition_id: int, visible: Visible = None
) -> dict[int, int]:
    """How many objects the caller may read each object definition of a model definition has
    (object definition id -> count; those without any are left out)."""
    q = (
        select(OBJ.c.definition_id, func.count())
        .join(OD, OD.c.id == OBJ.c.definition_id)
        .where(OD.c.definition_id == definition_id, visible_clause(OBJ, visible))
        .group_by(OBJ.c.definition_id)
    )
    return {i: int(n) for i, n in session.execute(q)}


def set_subtree(session: Session, ids: Sequence[int], **values: Any) -> None:
    session.execute(update(OBJ).where(OBJ.c.id.in_(list(ids))).values(**values))


def move_subtree(
    session: Session, ids: Sequence[int], model_id: int, account_id: int | None
) -> None:
    """Put a moved subtree in its new model and account; its version goes up, so that handles
    read before the move are refused."""
    set_subtree(session, ids, model_id=model_id, account_id=account_id, version=OBJ.c.version + 1)


def set_values(
    session: Session, object_id: int, expected_version: int, changes: dict[str, Any]
) -> int:
    """Merge ``changes`` into an object's stored values; refuse a stale edit."""
    current = session.execute(
        select(OBJ.c["values"], OBJ.c.version).where(OBJ.c.id == object_id)
    ).first()
    if current is None or current.version != expected_version:
        raise ConcurrentEdit(
            f"object {object_id} was changed (or deleted) by someone else since version "
            f"{expected_version} was read; refresh() it and try again"
        )
    merged = dict(current[0] or {})
    merged.update(changes)
    return update_object(session, object_id, expected_version, values=merged)
