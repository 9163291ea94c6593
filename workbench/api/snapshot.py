"""Reading a whole model in a few queries: its objects with their values, links and sensors.

Exporting or checking a model visits every object and attribute; asking the store once per
object would cost a round trip each (seconds per thousand objects). :func:`read_model` reads the
model at once instead: one query for the objects and their stored values, one for the links, one
for the sensors, and a few more for link targets and sensors outside the model. What the caller
may not read is left out, as everywhere else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, select

from workbench.errors import NotFound
from workbench.model import AttributeInfo, ObjectDefinitionInfo
from workbench.store import objects as q
from workbench.store.schema import LinkRow, ObjectRow
from workbench.store.timeseries import SensorRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.api.objects import Object
    from workbench.api.workspace import Workspace

__all__ = ["ModelSnapshot", "ObjectRecord", "read_model"]

_OBJ = cast(Table, ObjectRow.__table__)
_LINKS = cast(Table, LinkRow.__table__)
_SENSORS = cast(Table, SensorRow.__table__)


@dataclass(frozen=True, slots=True)
class ObjectRecord:
    """One object of a snapshot: where it sits, its definition and its stored values."""

    id: int
    name: str
    definition: ObjectDefinitionInfo
    parent_id: int | None
    owner_attribute_id: int | None
    full_name: str
    values: Mapping[str, Any]

    def stored(self, attribute: AttributeInfo) -> Any:
        """The stored (JSON) value of a simple or stored-value attribute."""
        key = str(attribute.id)
        return self.values[key] if key in self.values else attribute.spec.empty_value()


@dataclass
class ModelSnapshot:
    """A model as read in one transaction (see :func:`read_model`)."""

    root: ObjectRecord
    objects: dict[int, ObjectRecord]
    children: dict[tuple[int, int], list[ObjectRecord]]
    links: dict[tuple[int, int], list[tuple[int | None, datetime | None]]]
    sensors: dict[int, list[SensorRow]]
    names: dict[int, str] = field(default_factory=dict)
    sensor_names: dict[int, str] = field(default_factory=dict)

    def owned(self, obj: ObjectRecord, attribute: AttributeInfo) -> list[ObjectRecord]:
        """The objects ``obj`` owns through an ownership attribute, oldest first."""
        return self.children.get((obj.id, attribute.id), [])

    def targets(
        self, obj: ObjectRecord, attribute: AttributeInfo
    ) -> list[tuple[int | None, datetime | None]]:
        """A link attribute's entries (target id or None, valid_from), in stored order."""
        return self.links.get((obj.id, attribute.id), [])

    def full_name(self, object_id: int) -> str | None:
        """The full name of an object the caller may read (None: gone or hidden)."""
        found = self.objects.get(object_id)
        return found.full_name if found is not None else self.names.get(object_id)

    def sensor_name(self, sensor_id: int) -> str | None:
        """``<object full name>:<sensor name>`` of a sensor the caller may read (else None)."""
        return self.sensor_names.get(sensor_id)


def read_model(ws: Workspace, s: Session, model: Object) -> ModelSnapshot:
    """Read a model's objects, values, links and sensors in the caller's transaction."""
    visible = ws.principal.readable_accounts()
    catalog = ws.catalog(model.definition_info.definition_id)
    rows = s.execute(
        select(
            _OBJ.c.id,
            _OBJ.c.name,
            _OBJ.c.definition_id,
            _OBJ.c.parent_id,
            _OBJ.c.owner_attribute_id,
            _OBJ.c["values"],
        )
        .where(_OBJ.c.model_id == model.id, q.visible_clause(_OBJ, visible))
        .order_by(_OBJ.c.id)
    ).all()
    snapshot = _tree(rows, catalog.object_definitions, model.id)
    _read_links(s, snapshot, model.id)
    _name_outside_targets(ws, s, snapshot)
    _read_sensors(ws, s, snapshot, model.id)
    return snapshot


def _tree(
    rows: Iterable[Any], definitions: Mapping[int, ObjectDefinitionInfo], root_id: int
) -> ModelSnapshot:
    """Records with full names, parents before children (ids grow, moves keep the tree order)."""
    by_parent: dict[int | None, list[Any]] = defaultdict(list)
    for row in rows:
        by_parent[row.parent_id].append(row)
    vias = {a.id: a.name for od in definitions.values() for a in od.attributes}
    objects: dict[int, ObjectRecord] = {}
    children: dict[tuple[int, int], list[ObjectRecord]] = defaultdict(list)
    roots = [r for r in by_parent[None] if r.id == root_id]
    if not roots:
        raise NotFound("model", root_id)
    root_row = roots[0]
    pending = [(root_row, f"Model/{root_row.name}")]
    while pending:
        row, full_name = pending.pop()
        record = ObjectRecord(
            row.id,
            row.name,
            definitions[row.definition_id],
            row.parent_id,
            row.owner_attribute_id,
            full_name,
            row.values or {},
        )
        objects[row.id] = record
        if row.parent_id is not None:
            children[(row.parent_id, row.owner_attribute_id)].append(record)
        for child in by_parent.get(row.id, []):
            via = vias[child.owner_attribute_id]
            pending.append((child, f"{full_name}.{via}/{child.name}"))
    for kids in children.values():
        kids.sort(key=lambda r: r.id)
    return ModelSnapshot(objects[root_id], objects, dict(children), {}, {})


def _read_links(s: Session, snapshot: ModelSnapshot, model_id: int) -> None:
    rows = s.execute(
        select(_LINKS.c.object_id, _LINKS.c.attribute_id, _LINKS.c.target_id, _LINKS.c.valid_from)
        .select_from(_LINKS.join(_OBJ, _OBJ.c.id == _LINKS.c.object_id))
        .where(_OBJ.c.model_id == model_id)
        .order_by(_LINKS.c.object_id, _LINKS.c.attribute_id, _LINKS.c.position, _LINKS.c.valid_from)
    ).all()
    links: dict[tuple[int, int], list[tuple[int | None, datetime | None]]] = defaultdict(list)
    for row in rows:
        if row.object_id in snapshot.objects:
            links[(row.object_id, row.attribute_id)].append((row.target_id, row.valid_from))
    snapshot.links = dict(links)


def _name_outside_targets(ws: Workspace, s: Session, snapshot: ModelSnapshot) -> None:
    """Full names of link targets in other models (each asks for its ancestors: they are few)."""
    outside = {
        target
        for entries in snapshot.links.values()
        for target, _ in entries
        if target is not None and target not in snapshot.objects
    }
    readable = q.object_rows(s, sorted(outside), ws.principal.readable_accounts())
    snapshot.names = {row.id: ws._full_names(s, row.id)[0] for row in readable}


def _referenced_sensors(snapshot: ModelSnapshot) -> set[int]:
    found: set[int] = set()
    for record in snapshot.objects.values():
        for a in record.definition.attributes:
            stored = record.values.get(str(a.id))
            if isinstance(stored, Mapping) and isinstance(stored.get("sensor"), int):
                found.add(stored["sensor"])
    return found


def _read_sensors(ws: Workspace, s: Session, snapshot: ModelSnapshot, model_id: int) -> None:
    """The model's sensors by object, and the names of every sensor its attributes refer to."""
    own = s.scalars(
        select(SensorRow)
        .join(ObjectRow, ObjectRow.id == SensorRow.object_id)
        .where(ObjectRow.model_id == model_id)
        .order_by(SensorRow.object_id, SensorRow.name)
    ).all()
    sensors: dict[int, list[SensorRow]] = defaultdict(list)
    for sensor in own:
        owner = snapshot.objects.get(sensor.object_id)
        if owner is not None:
            sensors[owner.id].append(sensor)
            snapshot.sensor_names[sensor.id] = f"{owner.full_name}:{sensor.name}"
    snapshot.sensors = dict(sensors)
    others = sorted(_referenced_sensors(snapshot) - set(snapshot.sensor_names))
    if not others:
        return
    visible = ws.principal.readable_accounts()
    rows = s.execute(
        select(SensorRow.id, SensorRow.name, SensorRow.object_id)
        .join(ObjectRow, ObjectRow.id == SensorRow.object_id)
        .where(SensorRow.id.in_(others), q.visible_clause(_OBJ, visible))
    ).all()
    for row in rows:
        snapshot.sensor_names[row.id] = f"{ws._full_names(s, row.object_id)[0]}:{row.name}"
