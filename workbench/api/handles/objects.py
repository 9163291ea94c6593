"""Object and attribute handles: an object of a model as read, its attributes, its relations.

An :class:`Object` holds the record it was read as (``info``); ``refresh()`` reads it again,
and an edit that finds the object changed since raises ConcurrentEdit. An :class:`Attribute`
is one attribute of an object, named after (and typed by) its attribute definition. Both
are built on the services of :mod:`workbench.api.services` (objects, object_edits, links,
values, search).

>>> import workbench as wb
>>> ws = wb.connect("sqlite://")
>>> md = ws.create_model_definition("Demo")
>>> plant = md.create_object_definition("Plant")
>>> _ = plant.add_attribute("Capacity", "double", unit="MW")
>>> system = md.create_object_definition("System")
>>> _ = system.add_attribute("To_Plants", "ownership_many", target=plant)
>>> model = ws.create_model("M", md, system)
>>> a = model.add_child("To_Plants", "PlantA", plant)
>>> a["Capacity"] = 120.0
>>> [o.full_name for o in search_handles(ws, model, "{*}[.Capacity>100]")]
['Model/M.To_Plants/PlantA']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from workbench.api.handles import sensors as sensor_handles
from workbench.api.handles.definition_attributes import ObjectDefinition
from workbench.api.services import links as link_services
from workbench.api.services import object_edits as edits
from workbench.api.services import objects as services
from workbench.api.services import search as search_services
from workbench.api.services import values as value_services
from workbench.api.services.calc.evaluate import attribute_beliefs
from workbench.errors import AmbiguousPath, NotFound
from workbench.metamodel import ValueType, parse_time
from workbench.model import AttributeInfo, ObjectDefinitionInfo, ObjectInfo
from workbench.paths import ObjectPath, parse_path
from workbench.search import parse_search

if TYPE_CHECKING:
    from workbench.api.context import Context
    from workbench.api.handles.sensors import Sensor
    from workbench.api.workspace import Workspace

__all__ = ["Attribute", "Object", "search_handles"]


class Object:
    """One object of a model (the model itself is its root object).

    A handle holds what was read; ``refresh()`` reads again. Edits check that nobody changed the
    object since (optimistic locking) and raise ConcurrentEdit otherwise.
    """

    def __init__(self, ws: Workspace | Context, info: ObjectInfo) -> None:
        self._ctx: Context = ws._ctx
        self._info = info

    @property
    def ws(self) -> Workspace:
        """The workspace the object was read through."""
        return cast("Workspace", self._ctx.workspace)

    # -- what it is ---------------------------------------------------------------------------
    id = property(lambda self: self._info.id)
    name = property(lambda self: self._info.name)
    full_name = property(lambda self: self._info.full_name, doc="Unique ``Model/M.To_A/A`` name.")
    version = property(lambda self: self._info.version)
    account_id = property(lambda self: self._info.account_id)
    info = property(lambda self: self._info)

    @property
    def path(self) -> ObjectPath:
        return parse_path(self._info.full_name)

    @property
    def short_path(self) -> str:
        """``Model/M/A/B``: the path without ownership attribute names."""
        return "/".join(["Model", *self.path.names])

    @property
    def definition_info(self) -> ObjectDefinitionInfo:
        return services.definition_info(self._ctx, self._info.definition_id)

    @property
    def type_name(self) -> str:
        """The name of its object definition."""
        return self.definition_info.name

    @property
    def definition(self) -> ObjectDefinition:
        return ObjectDefinition(self._ctx, self._info.definition_id)

    @property
    def is_model(self) -> bool:
        return self._info.parent_id is None

    @property
    def parent(self) -> Object | None:
        pid = self._info.parent_id
        return None if pid is None else Object(self._ctx, services.object_info(self._ctx, pid))

    @property
    def model(self) -> Object:
        if self.is_model:
            return self
        return Object(self._ctx, services.object_info(self._ctx, self._info.model_id))

    def refresh(self) -> Object:
        """Read the object again (name, version, values)."""
        self._info = services.object_info(self._ctx, self._info.id)
        return self

    def __repr__(self) -> str:
        return f"<Object {self.full_name} ({self.type_name}) id={self.id}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Object) and other.id == self.id

    def __hash__(self) -> int:
        return hash(("Object", self.id))

    # -- children ----------------------------------------------------------------------------
    def children(self, attribute: str | None = None) -> list[Object]:
        """Objects owned by this one (through one ownership attribute if named), oldest first."""
        ctx = self._ctx
        return [Object(ctx, i) for i in services.children(ctx, self._info, attribute)]

    def child(self, name: str, attribute: str | None = None) -> Object:
        found = [c for c in self.children(attribute) if c.name == name]
        if not found:
            raise NotFound("object", f"{self.full_name}/{name}")
        if len(found) > 1:
            raise AmbiguousPath(f"{self.short_path}/{name}", [c.full_name for c in found])
        return found[0]

    def add_child(self, attribute: str, name: str, definition: ObjectDefinition | str) -> Object:
        """Create an object under one of this object's ownership attributes."""
        return self.add_children(attribute, [name], definition)[0]

    def add_children(
        self, attribute: str, names: Sequence[str], definition: ObjectDefinition | str
    ) -> list[Object]:
        """Create several objects at once (one transaction, one batch insert)."""
        made = edits.add_children(self._ctx, self._info, attribute, list(names), definition)
        return [Object(self._ctx, i) for i in made]

    # -- attributes --------------------------------------------------------------------------
    def attribute(self, name: str) -> Attribute:
        return Attribute(self, self.definition_info.attribute(name))

    def attributes(self) -> list[Attribute]:
        return [Attribute(self, a) for a in self.definition_info.attributes]

    def __getitem__(self, name: str) -> Any:
        return self.attribute(name).value

    def __setitem__(self, name: str, value: Any) -> None:
        self.attribute(name).set(value)

    def __contains__(self, name: str) -> bool:
        return name in self.definition_info.by_name

    def values(self) -> dict[str, Any]:
        """Every simple attribute's value by name."""
        return {a.name: a.value for a in self.attributes() if a.value_type.is_simple}

    # -- changes -----------------------------------------------------------------------------
    def rename(self, new_name: str) -> None:
        self._info = edits.rename_object(self._ctx, self._info, new_name)

    def move(self, new_parent: Object, attribute: str) -> None:
        """Move the object (and its subtree) under another parent; cycles are refused."""
        self._info = edits.move_object(self._ctx, self._info, new_parent.info, attribute)

    def delete(self, recursive: bool = False) -> None:
        """Delete the object; with children only when ``recursive=True``."""
        edits.delete_object(self._ctx, self._info, recursive)

    # -- sensors -----------------------------------------------------------------------------
    def add_sensor(self, name: str, **options: Any) -> Sensor:
        """Add a sensor (a physical time series) to this object; see
        :func:`workbench.api.handles.sensors.add_sensor`."""
        return sensor_handles.add_sensor(self, name, **options)

    def sensors(self) -> list[Sensor]:
        """The sensors of this object that the user may see."""
        return sensor_handles.sensors(self)

    # -- links -------------------------------------------------------------------------------
    def set_links(self, attribute: str, targets: Object | Iterable[Object] | None) -> None:
        """Point a link attribute at one target (link_one) or several (link_many)."""
        items = [] if targets is None else [targets] if isinstance(targets, Object) \
            else list(targets)
        given = [_record(t) for t in items]
        self._info = link_services.set_links(self._ctx, self._info, attribute, given)

    def links(self, attribute: str) -> list[Object]:
        ctx = self._ctx
        return [Object(ctx, i) for i in link_services.links(ctx, self._info, attribute)]

    def add_link_version(
        self, attribute: str, target: Object | None, valid_from: datetime | str
    ) -> None:
        """From ``valid_from`` on, a versioned link points at ``target`` (or at nothing)."""
        self._info = link_services.add_link_version(
            self._ctx, self._info, attribute, _record(target), parse_time(valid_from)
        )

    def link_history(
        self, attribute: str, start: datetime | str | None = None, end: datetime | str | None = None
    ) -> list[tuple[datetime, Object | None]]:
        """``(valid_from, target)`` entries of a versioned link that are valid in [start, end)."""
        ctx = self._ctx
        entries = link_services.link_history(ctx, self._info, attribute, start, end)
        return [(t, None if o is None else Object(ctx, o)) for t, o in entries]

    def link_target_at(self, attribute: str, time: datetime | str) -> Object | list[Object] | None:
        """The target(s) a versioned link points at, at ``time``."""
        ctx = self._ctx
        found = link_services.link_target_at(ctx, self._info, attribute, parse_time(time))
        if isinstance(found, list):
            return [Object(ctx, o) for o in found]
        return None if found is None else Object(ctx, found)


def _record(target: Any) -> Any:
    """What the link services take for a target: an object's record (else what was given)."""
    return target.info if isinstance(target, Object) else target


class Attribute:
    """One attribute of an object; named after (and typed by) its attribute definition."""

    def __init__(self, obj: Object, info: AttributeInfo) -> None:
        self.object = obj
        self.info = info

    name = property(lambda self: self.info.name)
    value_type = property(lambda self: self.info.value_type)
    spec = property(lambda self: self.info.spec)
    unit = property(lambda self: self.info.spec.unit)

    @property
    def id(self) -> str:
        """``"<object id>:<attribute definition id>"``; ``ws.get`` accepts it."""
        return f"{self.object.id}:{self.info.id}"

    @property
    def full_name(self) -> str:
        return f"{self.object.full_name}.{self.name}"

    @property
    def value(self) -> Any:
        """The value (see DESIGN.md for each value type); relations give objects."""
        obj, vt = self.object, self.info.value_type
        if vt.is_ownership:
            children = obj.children(self.name)
            return children if vt is ValueType.OWNERSHIP_MANY else (children[0] if children else None)
        if vt.is_link:
            targets = obj.links(self.name)
            return targets if vt is ValueType.LINK_MANY else (targets[0] if targets else None)
        if vt.is_versioned_link:
            return obj.link_history(self.name)
        return value_services.read_value(obj._ctx, obj.info, self.info)

    def set(self, value: Any) -> None:
        obj = self.object
        obj._info = value_services.write_value(obj._ctx, obj.info, self.info, value)

    def beliefs(self, start: Any = None, end: Any = None, *, as_of: Any = None) -> Any:
        """A timeseries attribute's values as an xarray Dataset in the "series" layout of a
        sensor's most recent beliefs (``event_start`` x ``source``, median beliefs only).

        An attribute holding a sensor reads that sensor (start and end may be None). A
        calculated one (``value.source`` is ``"local"`` or ``"template"``) evaluates its
        expression over [start, end), timezone-aware times, into the source ``"calculation"``
        in the attribute's unit; attrs ``origin`` and ``expression`` say what was in effect.
        ``as_of`` reads what was known at that belief time. See
        :mod:`workbench.api.services.calc.evaluate`.
        """
        obj = self.object
        return attribute_beliefs(obj._ctx, obj.id, obj.full_name, self.info, start, end, as_of)

    def __repr__(self) -> str:
        return f"<Attribute {self.full_name} ({self.value_type.value})>"


def search_handles(
    ws: Workspace | Context, start: Object | str | int, query: str, *, subtrees: bool = True
) -> list[Object] | list[Attribute]:
    """Run a search from ``start``: objects, or attributes when the query ends in ``.Attr``.

    See the README's search-language section for the grammar, and
    :func:`workbench.api.services.search.search` for ``subtrees``.

    Examples
    --------
    >>> ws.search("Model/MySystem", "{*}[.Type=PowerPlant]")  # doctest: +SKIP
    """
    ctx = ws._ctx
    parsed = parse_search(query)  # a bad query is refused before the start is looked up
    root = start.info if isinstance(start, Object) else services.object_by_key(ctx, start)
    found = search_services.search(ctx, root, parsed, subtrees=subtrees)
    if found.attributes is None:
        return [Object(ctx, o) for o in found.objects]
    handles: dict[int, Object] = {}
    return [Attribute(handles.setdefault(o.id, Object(ctx, o)), a) for o, a in found.attributes]
