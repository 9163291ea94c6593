"""Queries that read a whole model at once: its objects with their values, links and sensors.

What :func:`workbench.api.services.snapshot.read_model` puts together; a handful of queries
however many objects the model has. Callers own the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Row, Table, select
from sqlalchemy.orm import Session

from workbench.store.objects import OBJ, Visible, _rows, visible_clause
from workbench.store.schema import LinkRow, ObjectRow
from workbench.store.timeseries import SensorRow

__all__ = ["model_links", "model_objects", "model_sensors", "sensor_owners"]

_LINKS = cast(Table, LinkRow.__table__)


def model_objects(session: Session, model_id: int, visible: Visible) -> list[Row[Any]]:
    """The model's objects the caller may read, with their stored values, by id."""
    q = (
        select(
            OBJ.c.id,
            OBJ.c.name,
            OBJ.c.definition_id,
            OBJ.c.parent_id,
            OBJ.c.owner_attribute_id,
            OBJ.c["values"],
        )
        .where(OBJ.c.model_id == model_id, visible_clause(OBJ, visible))
        .order_by(OBJ.c.id)
    )
    return _rows(session.execute(q).all())


def model_links(session: Session, model_id: int) -> list[Row[Any]]:
    """Every link entry of the model's objects, in stored order (object, attribute, position)."""
    q = (
        select(_LINKS.c.object_id, _LINKS.c.attribute_id, _LINKS.c.target_id, _LINKS.c.valid_from)
        .select_from(_LINKS.join(OBJ, OBJ.c.id == _LINKS.c.object_id))
        .where(OBJ.c.model_id == model_id)
        .order_by(_LINKS.c.object_id, _LINKS.c.attribute_id, _LINKS.c.position, _LINKS.c.valid_from)
    )
    return _rows(session.execute(q).all())


def model_sensors(session: Session, model_id: int) -> Sequence[SensorRow]:
    """The sensors of the model's objects, by object and name."""
    q = (
        select(SensorRow)
        .join(ObjectRow, ObjectRow.id == SensorRow.object_id)
        .where(ObjectRow.model_id == model_id)
        .order_by(SensorRow.object_id, SensorRow.name)
    )
    return session.scalars(q).all()


def sensor_owners(session: Session, ids: Sequence[int], visible: Visible) -> list[Row[Any]]:
    """(id, name, object_id) of the sensors among ``ids`` whose object the caller may read."""
    q = (
        select(SensorRow.id, SensorRow.name, SensorRow.object_id)
        .join(ObjectRow, ObjectRow.id == SensorRow.object_id)
        .where(SensorRow.id.in_(list(ids)), visible_clause(OBJ, visible))
    )
    return _rows(session.execute(q).all())
