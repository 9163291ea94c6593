"""Queries behind the search language's relation steps and link walks: the objects owned
through an ownership attribute, the targets of link attributes and the objects linking to an
object. Only rows the caller may read come back, on both ends of a link. Callers own the
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, select, tuple_
from sqlalchemy.orm import Session

from workbench.store.objects import _COLUMNS, AD, OBJ, L, Visible, _chunks, visible_clause

__all__ = [
    "current_entries",
    "in_effect",
    "link_rows_from",
    "link_rows_to",
    "owned_rows_through",
    "versioned_link_attributes",
]


def owned_rows_through(
    session: Session, parent_ids: Sequence[int], attribute_ids: Iterable[int], visible: Visible
) -> list[Row[Any]]:
    """The readable objects owned by these parents through these ownership attributes, by id."""
    wanted = sorted(set(attribute_ids))
    rows: list[Row[Any]] = []
    if not wanted:
        return rows
    for part in _chunks(list(parent_ids)):
        q = select(*_COLUMNS).where(
            OBJ.c.parent_id.in_(part),
            OBJ.c.owner_attribute_id.in_(wanted),
            visible_clause(OBJ, visible),
        )
        found: Sequence[Any] = session.execute(q.order_by(OBJ.c.id)).all()
        rows.extend(found)
    return sorted(rows, key=lambda r: r.id)


def link_rows_from(
    session: Session, object_ids: Sequence[int], attribute_ids: Iterable[int] | None,
    visible: Visible,
) -> list[Row[Any]]:  # fmt: skip
    """The link entries of these objects (through these link attributes; None: any) whose target
    the caller may read: ``source_id``, ``attribute_id``, ``valid_from`` and the target's object
    columns, by source, attribute, position and time."""
    src = L.c.object_id.label("source_id")
    rows: list[Row[Any]] = []
    for part in _chunks(list(object_ids)):
        q = (
            select(*_COLUMNS, src, L.c.attribute_id, L.c.valid_from)
            .join(OBJ, OBJ.c.id == L.c.target_id)
            .where(L.c.object_id.in_(part), visible_clause(OBJ, visible))
        )
        if attribute_ids is not None:
            q = q.where(L.c.attribute_id.in_(sorted(set(attribute_ids))))
        order = (L.c.object_id, L.c.attribute_id, L.c.position, L.c.valid_from)
        found: Sequence[Any] = session.execute(q.order_by(*order)).all()
        rows.extend(found)
    return rows


def link_rows_to(session: Session, target_ids: Sequence[int], visible: Visible) -> list[Row[Any]]:
    """The link entries pointing at these objects from sources the caller may read:
    ``target_id``, ``attribute_id``, ``valid_from`` and the source's object columns, by target
    and source."""
    rows: list[Row[Any]] = []
    for part in _chunks(list(target_ids)):
        q = (
            select(*_COLUMNS, L.c.target_id, L.c.attribute_id, L.c.valid_from)
            .join(OBJ, OBJ.c.id == L.c.object_id)
            .where(L.c.target_id.in_(part), visible_clause(OBJ, visible))
            .order_by(L.c.target_id, OBJ.c.id, L.c.attribute_id, L.c.position)
        )
        found: Sequence[Any] = session.execute(q).all()
        rows.extend(found)
    return rows


def current_entries(
    session: Session, pairs: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], datetime | None]:
    """For each (object, versioned link attribute), the start of the entries in effect now
    (the latest ``valid_from`` not in the future; None if every entry starts in the future)."""
    wanted = sorted(set(pairs))
    now = datetime.now(UTC)
    latest: dict[tuple[int, int], datetime | None] = dict.fromkeys(wanted)
    for first in range(0, len(wanted), 10_000):
        part = wanted[first : first + 10_000]
        q = select(L.c.object_id, L.c.attribute_id, L.c.valid_from).where(
            tuple_(L.c.object_id, L.c.attribute_id).in_(part)
        )
        for oid, aid, valid_from in session.execute(q):
            start = _utc(valid_from)
            best = latest[(oid, aid)]
            if (start is None or start <= now) and (best is None or (start or best) > best):
                latest[(oid, aid)] = start
    return latest


def in_effect(valid_from: datetime | None, current: datetime | None) -> bool:
    """Whether an entry starting at ``valid_from`` is among those in effect now."""
    return _utc(valid_from) == current


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def versioned_link_attributes(session: Session, attribute_ids: Iterable[int]) -> set[int]:
    """Which of these attribute definitions are versioned links."""
    kinds = ("versioned_link_one", "versioned_link_many")
    q = select(AD.c.id).where(AD.c.id.in_(sorted(set(attribute_ids))), AD.c.value_type.in_(kinds))
    return {r[0] for r in session.execute(q)}
