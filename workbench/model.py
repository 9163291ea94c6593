"""Plain records of the model: object definitions with their attributes, objects, link versions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workbench.errors import InvalidValue, NotFound
from workbench.metamodel import AttributeSpec, ValueType
from workbench.paths import Segment

__all__ = ["AttributeInfo", "Catalog", "LinkVersion", "ObjectDefinitionInfo", "ObjectInfo"]


@dataclass(frozen=True, slots=True)
class AttributeInfo:
    """An attribute definition as the model uses it: id, effective spec and relations."""

    id: int
    object_definition_id: int
    spec: AttributeSpec
    target_id: int | None = None
    attribute_type_id: int | None = None
    namespace: str | None = None
    position: int = 0

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def value_type(self) -> ValueType:
        return self.spec.value_type


@dataclass(frozen=True, slots=True)
class ObjectDefinitionInfo:
    id: int
    definition_id: int
    name: str
    namespace: str
    attributes: tuple[AttributeInfo, ...]
    description: str = ""
    tags: tuple[str, ...] = ()
    by_name: Mapping[str, AttributeInfo] = field(default_factory=dict, compare=False, repr=False)

    def attribute(self, name: str) -> AttributeInfo:
        try:
            return self.by_name[name]
        except KeyError:
            known = ", ".join(a.name for a in self.attributes) or "none"
            raise NotFound(
                "attribute", name, f"{self.name} has the attributes: {known}"
            ) from None

    def initial_values(self) -> dict[str, Any]:
        """Stored values of a new object: one entry per simple or stored-value attribute."""
        values: dict[str, Any] = {}
        for a in self.attributes:
            if a.value_type.is_simple:
                values[str(a.id)] = a.spec.empty_value()
        return values


@dataclass(frozen=True, slots=True)
class Catalog:
    """Every object definition of one model definition, by id and by name."""

    definition_id: int
    object_definitions: Mapping[int, ObjectDefinitionInfo]

    def by_name(self, name: str) -> ObjectDefinitionInfo:
        for od in self.object_definitions.values():
            if od.name == name:
                return od
        known = ", ".join(sorted(od.name for od in self.object_definitions.values())) or "none"
        raise NotFound("object definition", name, f"the model definition has: {known}")

    def attribute(self, attribute_id: int) -> AttributeInfo:
        for od in self.object_definitions.values():
            for a in od.attributes:
                if a.id == attribute_id:
                    return a
        raise NotFound("attribute definition", attribute_id)


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """One object's row: enough to build its handle and to check access."""

    id: int
    name: str
    definition_id: int
    parent_id: int | None
    owner_attribute_id: int | None
    account_id: int | None
    model_id: int
    version: int
    full_name: str
    segments: tuple[Segment, ...] = ()


@dataclass(frozen=True, slots=True)
class LinkVersion:
    """A versioned link's entry: from ``valid_from`` on, the link points at ``target`` (or none)."""

    valid_from: datetime
    target_id: int | None

    def __post_init__(self) -> None:
        if self.valid_from.tzinfo is None:
            raise InvalidValue(f"valid_from {self.valid_from!r} needs a timezone")
