"""Queries of sensors: each with its object's account, by id, by object and name, by folder.

Plain functions of a session, never committing. ``visible`` is the set of accounts whose
sensors the caller may read (None: all of them); a sensor's account is its object's.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, bindparam, select, true
from sqlalchemy.orm import Session

from workbench.store.beliefs import delete_sensor_beliefs
from workbench.store.objects import AD, ancestry
from workbench.store.schema import ObjectRow
from workbench.store.timeseries import SensorRow

if TYPE_CHECKING:
    from workbench.store.objects import Visible

__all__ = [
    "delete_sensor",
    "insert_sensor",
    "object_sensor_rows",
    "sensor_id_named",
    "sensor_with_ancestors",
    "visible_sensor_rows",
]


def _with_account() -> Select[SensorRow, int | None]:
    return select(SensorRow, ObjectRow.account_id).join(
        ObjectRow, ObjectRow.id == SensorRow.object_id
    )


def _visible(visible: Visible) -> ColumnElement[bool] | None:
    if visible is None:
        return None
    return ObjectRow.account_id.is_(None) | ObjectRow.account_id.in_(sorted(visible))


def sensor_with_ancestors(
    s: Session, sensor_id: int
) -> tuple[SensorRow, int | None, list[tuple[str, str | None]]] | None:
    """A sensor, its object's account, and its object's ancestry in one statement.

    The ancestry runs root first: each object's name and the name of the ownership attribute
    it is owned through (None for the root), what a full name is made of. None when there is
    no such sensor.
    """
    rows = s.execute(_with_ancestors(), {"sensor_id": sensor_id}).all()
    if not rows:
        return None
    sensor, account_id = rows[0][0], rows[0][1]
    return sensor, account_id, [(r[2], r[3]) for r in rows]


@lru_cache(maxsize=1)
def _with_ancestors() -> Select[Any]:
    of_sensor = select(SensorRow.object_id).where(SensorRow.id == bindparam("sensor_id"))
    anc = ancestry(of_sensor.scalar_subquery())
    return (
        select(SensorRow, ObjectRow.account_id, anc.c.name, AD.c.name.label("via"))
        .join(ObjectRow, ObjectRow.id == SensorRow.object_id)
        .join(anc, true())
        .outerjoin(AD, AD.c.id == anc.c.owner_attribute_id)
        .where(SensorRow.id == bindparam("sensor_id"))
        .order_by(anc.c.depth.desc())
    )


def sensor_id_named(s: Session, object_id: int, name: str) -> int | None:
    """The id of the object's sensor of this name, or None."""
    query = select(SensorRow.id).where(SensorRow.object_id == object_id, SensorRow.name == name)
    found: int | None = s.scalar(query)
    return found


def object_sensor_rows(s: Session, object_id: int) -> list[SensorRow]:
    """The sensors of an object, by name."""
    query = select(SensorRow).where(SensorRow.object_id == object_id).order_by(SensorRow.name)
    return list(s.scalars(query))


def _under(column: Any, folder: str) -> Any:
    return (column == folder) | column.startswith(folder + "/", autoescape=True)


def visible_sensor_rows(
    s: Session, visible: Visible, folder: str | None = None
) -> list[tuple[SensorRow, int | None]]:
    """The sensors the caller may read with their accounts: all, or those in the catalog folder
    ``folder`` and below it (a falsy folder is the top: all)."""
    query = _with_account()
    readable = _visible(visible)
    if readable is not None:
        query = query.where(readable)
    if folder:
        query = query.where(_under(SensorRow.catalog_path, folder))
    return [(row, account) for row, account in s.execute(query)]


def insert_sensor(
    s: Session, object_id: int, account_id: int | None, name: str, fields: dict[str, Any]
) -> SensorRow:
    """Add a sensor (``fields``: its columns besides object, account and name), flushed."""
    row = SensorRow(object_id=object_id, account_id=account_id, name=name, **fields)
    s.add(row)
    s.flush()
    return row


def delete_sensor(s: Session, sensor_id: int) -> None:
    """Delete a sensor and all its beliefs."""
    delete_sensor_beliefs(s, [sensor_id])
    row = s.get(SensorRow, sensor_id)
    if row is not None:
        s.delete(row)
