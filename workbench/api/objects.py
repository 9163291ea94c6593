"""Objects (assets) and their attributes: create, read, validate, rename, move, delete, link."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from workbench.access import Action
from workbench.errors import InvalidValue, NotFound
from workbench.metamodel import ValueType, parse_time
from workbench.model import AttributeInfo, ObjectDefinitionInfo, ObjectInfo
from workbench.paths import ObjectPath, check_name, parse_path
from workbench.store import objects as q

if TYPE_CHECKING:
    from workbench.api.attributes import ObjectDefinition
    from workbench.api.sensors import Sensor
    from workbench.api.workspace import Workspace

__all__ = ["Attribute", "Object"]


class Object:
    """One object of a model (the model itself is its root object).

    A handle holds what was read; ``refresh()`` reads again. Edits check that nobody changed the
    object since (optimistic locking) and raise ConcurrentEdit otherwise.
    """

    def __init__(self, ws: Workspace, info: ObjectInfo) -> None:
        self.ws = ws
        self._info = info

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
        return self.ws._definition_info(self._info.definition_id)

    @property
    def type_name(self) -> str:
        """The name of its object definition."""
        return self.definition_info.name

    @property
    def definition(self) -> ObjectDefinition:
        from workbench.api.attributes import ObjectDefinition

        return ObjectDefinition(self.ws, self._info.definition_id)

    @property
    def is_model(self) -> bool:
        return self._info.parent_id is None

    @property
    def parent(self) -> Object | None:
        pid = self._info.parent_id
        return None if pid is None else self.ws.get(pid)

    @property
    def model(self) -> Object:
        return self if self.is_model else self.ws.get(self._info.model_id)

    def refresh(self) -> Object:
        """Read the object again (name, version, values)."""
        self._info = self.ws._object_info(self._info.id)
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
        return self.ws._children(self, attribute)

    def child(self, name: str, attribute: str | None = None) -> Object:
        found = [c for c in self.children(attribute) if c.name == name]
        if not found:
            raise NotFound("object", f"{self.full_name}/{name}")
        if len(found) > 1:
            from workbench.errors import AmbiguousPath

            raise AmbiguousPath(f"{self.short_path}/{name}", [c.full_name for c in found])
        return found[0]

    def add_child(self, attribute: str, name: str,
                  definition: ObjectDefinition | str) -> Object:
        """Create an object under one of this object's ownership attributes."""
        return self.ws._add_children(self, attribute, [name], definition)[0]

    def add_children(self, attribute: str, names: Sequence[str],
                     definition: ObjectDefinition | str) -> list[Object]:
        """Create several objects at once (one transaction, one batch insert)."""
        return self.ws._add_children(self, attribute, list(names), definition)

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
        self.ws._rename_object(self, new_name)

    def move(self, new_parent: Object, attribute: str) -> None:
        """Move the object (and its subtree) under another parent; cycles are refused."""
        self.ws._move_object(self, new_parent, attribute)

    def delete(self, recursive: bool = False) -> None:
        """Delete the object; with children only when ``recursive=True``."""
        self.ws._delete_object(self, recursive)

    # -- sensors -----------------------------------------------------------------------------
    def add_sensor(self, name: str, **options: Any) -> Sensor:
        """Add a sensor (a physical time series) to this object; see ``api.sensors.add_sensor``."""
        from workbench.api.sensors import add_sensor

        return add_sensor(self, name, **options)

    def sensors(self) -> list[Sensor]:
        """The sensors of this object that the user may see."""
        from workbench.api.sensors import sensors

        return sensors(self)

    # -- links -------------------------------------------------------------------------------
    def set_links(self, attribute: str, targets: Object | Iterable[Object] | None) -> None:
        """Point a link attribute at one target (link_one) or several (link_many)."""
        self.ws._set_links(self, attribute, targets)

    def links(self, attribute: str) -> list[Object]:
        return self.ws._links(self, attribute)

    def add_link_version(self, attribute: str, target: Object | None,
                         valid_from: datetime | str) -> None:
        """From ``valid_from`` on, a versioned link points at ``target`` (or at nothing)."""
        self.ws._add_link_version(self, attribute, target, parse_time(valid_from))

    def link_history(self, attribute: str, start: datetime | str | None = None,
                     end: datetime | str | None = None) -> list[tuple[datetime, Object | None]]:
        """``(valid_from, target)`` entries of a versioned link that are valid in [start, end)."""
        return self.ws._link_history(self, attribute, start, end)

    def link_target_at(self, attribute: str, time: datetime | str) -> Object | list[Object] | None:
        """The target(s) a versioned link points at, at ``time``."""
        return self.ws._link_target_at(self, attribute, parse_time(time))


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
        return self.object.ws._read_attribute(self.object, self.info)

    def set(self, value: Any) -> None:
        self.object.ws._write_attribute(self.object, self.info, value)

    def beliefs(self, start: Any = None, end: Any = None, *, as_of: Any = None) -> Any:
        """A timeseries attribute's values as an xarray Dataset in the "series" layout of a
        sensor's most recent beliefs (``event_start`` x ``source``, median beliefs only).

        An attribute holding a sensor reads that sensor (start and end may be None). A
        calculated one (``value.source`` is ``"local"`` or ``"template"``) evaluates its
        expression over [start, end), timezone-aware times, into the source ``"calculation"``
        in the attribute's unit; attrs ``origin`` and ``expression`` say what was in effect.
        ``as_of`` reads what was known at that belief time. See :mod:`workbench.api.calc_ops`.
        """
        from workbench.api.calc_ops import attribute_beliefs

        return attribute_beliefs(self, start, end, as_of)

    def __repr__(self) -> str:
        return f"<Attribute {self.full_name} ({self.value_type.value})>"


def relation_spec(obj: Object, attribute: str, *kinds: ValueType) -> AttributeInfo:
    """The attribute definition named ``attribute``, checked to be of one of ``kinds``."""
    info = obj.definition_info.attribute(attribute)
    if info.value_type not in kinds:
        wanted = " or ".join(k.value for k in kinds)
        raise InvalidValue(
            f"attribute {obj.full_name}.{attribute} is {info.value_type.value}, not {wanted}")
    return info


def checked_names(names: Sequence[str]) -> list[str]:
    checked = [check_name(n, "object name") for n in names]
    seen: set[str] = set()
    for n in checked:
        if n in seen:
            raise InvalidValue(f"object name {n!r} is given twice")
        seen.add(n)
    return checked


_ = (Action, q)
