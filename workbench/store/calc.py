"""Queries of calculations: the models, links and sensors the walk of a lookup path reaches.

Plain functions of a session, never committing, used by the calculation services
(:mod:`workbench.api.services.calc`). ``visible`` is the set of accounts whose rows the caller
may read (None: all of them); a sensor's account is its object's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, select

from workbench.store.objects import _COLUMNS, OBJ, L, visible_clause
from workbench.store.schema import ObjectRow
from workbench.store.timeseries import SensorRow

if TYPE_CHECKING:
    from sqlalchemy import Row
    from sqlalchemy.orm import Session

    from workbench.store.objects import Visible

__all__ = [
    "calc_link_rows",
    "calc_root_rows",
    "sensor_rows_by_id",
    "sensor_rows_in_folders",
    "sensor_rows_of_objects",
]


def calc_root_rows(s: Session, names: Sequence[str], visible: Visible) -> list[Row[Any]]:
    """The models (objects without a parent) of these names the caller may read, with their
    values: the columns of :func:`workbench.store.objects.object_rows`."""
    query = select(*_COLUMNS, OBJ.c["values"]).where(
        OBJ.c.parent_id.is_(None), OBJ.c.name.in_(sorted(names)), visible_clause(OBJ, visible)
    )
    rows: Sequence[Any] = s.execute(query).all()
    return list(rows)


def calc_link_rows(
    s: Session, object_ids: Sequence[int], attribute_ids: Sequence[int]
) -> list[Row[Any]]:
    """The link rows (``object_id``, ``attribute_id``, ``position``, ``target_id``,
    ``valid_from``) of these link attributes of these objects, by object, position and time."""
    query = (
        select(L.c.object_id, L.c.attribute_id, L.c.position, L.c.target_id, L.c.valid_from)
        .where(L.c.object_id.in_(list(object_ids)), L.c.attribute_id.in_(list(attribute_ids)))
        .order_by(L.c.object_id, L.c.position, L.c.valid_from)
    )
    rows: Sequence[Any] = s.execute(query).all()
    return list(rows)


def _sensor_rows(
    s: Session, where: ColumnElement[bool], visible: Visible
) -> list[tuple[SensorRow, int | None]]:
    query = (
        select(SensorRow, ObjectRow.account_id)
        .join(ObjectRow, ObjectRow.id == SensorRow.object_id)
        .where(where)
    )
    if visible is not None:
        query = query.where(
            ObjectRow.account_id.is_(None) | ObjectRow.account_id.in_(sorted(visible))
        )
    return [(row, account) for row, account in s.execute(query).all()]


def sensor_rows_by_id(
    s: Session, ids: Sequence[int], visible: Visible
) -> list[tuple[SensorRow, int | None]]:
    """The sensors of these ids the caller may read, each with its object's account."""
    return _sensor_rows(s, SensorRow.id.in_(list(ids)), visible)


def sensor_rows_of_objects(
    s: Session, object_ids: Sequence[int], visible: Visible
) -> list[tuple[SensorRow, int | None]]:
    """The sensors of these objects the caller may read, each with its object's account."""
    return _sensor_rows(s, SensorRow.object_id.in_(list(object_ids)), visible)


def sensor_rows_in_folders(
    s: Session, folders: Sequence[str], visible: Visible
) -> list[tuple[SensorRow, int | None]]:
    """The sensors listed in these catalog folders (not below them) the caller may read, each
    with its object's account."""
    return _sensor_rows(s, SensorRow.catalog_path.in_(list(folders)), visible)
