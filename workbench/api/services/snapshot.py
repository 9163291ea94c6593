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
from typing import TYPE_CHECKING, Any

from workbench.api.services.objects import definition_info, full_names
from workbench.errors import NotFound
from workbench.model import AttributeInfo, ObjectDefinitionInfo, ObjectInfo
from workbench.store import objects as q
from workbench.store import snapshot as store

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.api.context import Context
    from workbench.store.timeseries import SensorRow

__all__ = ["ModelSnapshot", "ObjectRecord", "read_model"]


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


@dataclass(frozen=True, slots=True)
class ModelSnapshot:
    """A model as read in one transaction (see :func:`read_model`).

    ``names`` holds the full names of link targets outside the model, ``sensor_names`` those
    of the sensors its attributes refer to (``<object full name>:<sensor name>``), as far as
    the caller may read them.
    """

    root: ObjectRecord
    objects: Mapping[int, ObjectRecord]
    children: Mapping[tuple[int, int], list[ObjectRecord]]
    links: Mapping[tuple[int, int], list[tuple[int | None, datetime | None]]]
    sensors: Mapping[int, list[SensorRow]]
    names: Mapping[int, str] = field(default_factory=dict)
    sensor_names: Mapping[int, str] = field(default_factory=dict)

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


def read_model(ctx: Context, model: ObjectInfo) -> ModelSnapshot:
    """Read a model's objects, values, links and sensors in one transaction (the caller's,
    when one is open); ``model`` is the model's root object."""
    with ctx.tx(read=True) as s:
        visible = ctx.principal.readable_accounts()
        catalog = ctx.catalog(definition_info(ctx, model.definition_id).definition_id)
        rows = store.model_objects(s, model.id, visible)
        objects, children = _tree(rows, catalog.object_definitions, model.id)
        links = _links(store.model_links(s, model.id), objects)
        names = _outside_names(ctx, s, objects, links)
        sensors, sensor_names = _sensors(ctx, s, objects, model.id)
        return ModelSnapshot(
            objects[model.id], objects, children, links, sensors, names, sensor_names
        )


Children = dict[tuple[int, int], list[ObjectRecord]]
Links = dict[tuple[int, int], list[tuple[int | None, datetime | None]]]


def _tree(
    rows: Iterable[Any], definitions: Mapping[int, ObjectDefinitionInfo], root_id: int
) -> tuple[dict[int, ObjectRecord], Children]:
    """Records with full names, parents before children (ids grow, moves keep the tree order),
    and the children of each (parent, ownership attribute)."""
    by_parent: dict[int | None, list[Any]] = defaultdict(list)
    for row in rows:
        by_parent[row.parent_id].append(row)
    vias = {a.id: a.name for od in definitions.values() for a in od.attributes}
    objects: dict[int, ObjectRecord] = {}
    children: Children = defaultdict(list)
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
    return objects, dict(children)


def _links(rows: Iterable[Any], objects: Mapping[int, ObjectRecord]) -> Links:
    """The link entries of the objects read, by (object, attribute), in stored order."""
    links: Links = defaultdict(list)
    for row in rows:
        if row.object_id in objects:
            links[(row.object_id, row.attribute_id)].append((row.target_id, row.valid_from))
    return dict(links)


def _outside_names(
    ctx: Context, s: Session, objects: Mapping[int, ObjectRecord], links: Links
) -> dict[int, str]:
    """Full names of link targets in other models (each asks for its ancestors: they are few)."""
    outside = {
        target
        for entries in links.values()
        for target, _ in entries
        if target is not None and target not in objects
    }
    readable = q.object_rows(s, sorted(outside), ctx.principal.readable_accounts())
    return {row.id: full_names(ctx, row.id)[0] for row in readable}


def _referenced_sensors(objects: Iterable[ObjectRecord]) -> set[int]:
    found: set[int] = set()
    for record in objects:
        for a in record.definition.attributes:
            stored = record.values.get(str(a.id))
            if isinstance(stored, Mapping) and isinstance(stored.get("sensor"), int):
                found.add(stored["sensor"])
    return found


def _sensors(
    ctx: Context, s: Session, objects: Mapping[int, ObjectRecord], model_id: int
) -> tuple[dict[int, list[SensorRow]], dict[int, str]]:
    """The model's sensors by object, and the names of every sensor its attributes refer to."""
    sensors: dict[int, list[SensorRow]] = defaultdict(list)
    names: dict[int, str] = {}
    for sensor in store.model_sensors(s, model_id):
        owner = objects.get(sensor.object_id)
        if owner is not None:
            sensors[owner.id].append(sensor)
            names[sensor.id] = f"{owner.full_name}:{sensor.name}"
    others = sorted(_referenced_sensors(objects.values()) - set(names))
    if others:
        for row in store.sensor_owners(s, others, ctx.principal.readable_accounts()):
            names[row.id] = f"{full_names(ctx, row.object_id)[0]}:{row.name}"
    return dict(sensors), names
