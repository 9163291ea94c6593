"""Queries of sensors: each with its object's account, by id, by object and name, by folder.

Plain functions of a session, never committing. ``visible`` is the set of accounts whose
sensors the caller may read (None: all of them); a sensor's account is its object's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from workbench.store.beliefs import delete_sensor_beliefs
from workbench.store.schema import ObjectRow
from workbench.store.timeseries import SensorRow

if TYPE_CHECKING:
    from workbench.store.objects import Visible

__all__ = [
    "delete_sensor",
    "insert_sensor",
    "object_sensor_rows",
    "sensor_id_named",
    "sensor_row",
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


def sensor_row(s: Session, sensor_id: int) -> tuple[SensorRow, int | None] | None:
    """A sensor and its object's account, or None when there is no such sensor."""
    found = s.execute(_with_account().where(SensorRow.id == sensor_id)).first()
    if found is None:
        return None
    row, account_id = found
    return row, account_id


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
