"""Model definition elements as read: frozen records, and how they are made from stored rows.

A handle (:mod:`workbench.api.handles.definitions`) keeps one of these records: what the
element was when it was read. Every record names the model definition it belongs to
(``definition_id``), whose account decides who may read and change it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from workbench.metamodel import AttributeSpec, ValueType
from workbench.model import AttributeInfo
from workbench.store import definitions as store
from workbench.store.catalog import spec_of
from workbench.store.schema import (
    AttributeDefinitionRow,
    AttributeTypeRow,
    NamespaceRow,
    ObjectDefinitionRow,
    TagRow,
    TemplateCalculationRow,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.store.definitions import ElementRow

__all__ = [
    "ATTRIBUTE_DEFINITION",
    "ATTRIBUTE_TYPE",
    "MODEL_DEFINITION",
    "NAMESPACE",
    "OBJECT_DEFINITION",
    "TAG",
    "TEMPLATE_CALCULATION",
    "AttributeDefinitionRecord",
    "AttributeTypeRecord",
    "DefinitionRecord",
    "Element",
    "NamespaceRecord",
    "ObjectDefinitionRecord",
    "TagRecord",
    "TemplateCalculationRecord",
    "attribute_definition_record",
    "attribute_definition_records",
    "attribute_type_record",
    "calculation_record",
    "definition_record",
    "namespace_record",
    "object_definition_record",
    "tag_record",
]

Row = TypeVar("Row", bound="ElementRow")
R = TypeVar("R", covariant=True)

#: The fields an attribute definition may set itself rather than follow its attribute type.
LOCAL_FIELDS = ("name", "description", "unit")


def _metadata(stored: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return copy.deepcopy(dict(stored or {}))


def unbox(box: Mapping[str, Any] | None) -> Any:
    """A stored ``{"value": ...}`` box's value (None: no box)."""
    return None if box is None else box.get("value")


@dataclass(frozen=True, slots=True)
class NamespaceRecord:
    """A namespace: its place in the model definition, name, description and metadata."""

    id: int
    definition_id: int
    parent_id: int | None
    name: str
    description: str
    metadata: Mapping[str, Any] = field(compare=False)
    path: str = ""


@dataclass(frozen=True, slots=True)
class DefinitionRecord(NamespaceRecord):
    """A model definition (the top-level namespace) and the account owning it (None: shared)."""

    account_id: int | None = None
    account: str | None = None


@dataclass(frozen=True, slots=True)
class TagRecord:
    id: int
    definition_id: int
    name: str
    description: str


@dataclass(frozen=True, slots=True)
class TemplateCalculationRecord:
    id: int
    definition_id: int
    name: str
    description: str
    expression: str


@dataclass(frozen=True, slots=True)
class AttributeTypeRecord:
    """An attribute type: the blueprint definitions built on it follow."""

    id: int
    definition_id: int
    name: str
    description: str
    value_type: ValueType
    unit: str
    default: Any = None
    allowed: tuple[Any, ...] | None = None


@dataclass(frozen=True, slots=True)
class ObjectDefinitionRecord:
    """An object definition without its attribute definitions (read those when needed)."""

    id: int
    definition_id: int
    name: str
    description: str
    namespace: str
    tags: tuple[str, ...]
    metadata: Mapping[str, Any] = field(compare=False)


@dataclass(frozen=True, slots=True)
class AttributeDefinitionRecord:
    """An attribute definition: as the model uses it (``info``) and as it was written.

    ``template`` is the text written on the definition itself; ``info.spec.template`` the one
    in effect (that text, or else the expression of the template calculation).
    """

    info: AttributeInfo
    definition_id: int
    template: str | None
    template_calculation_id: int | None
    overrides: tuple[str, ...]
    metadata: Mapping[str, Any] = field(compare=False)

    @property
    def id(self) -> int:
        return self.info.id

    @property
    def name(self) -> str:
        return self.info.spec.name

    @property
    def description(self) -> str:
        return self.info.spec.description

    @property
    def spec(self) -> AttributeSpec:
        return self.info.spec


# -- records from rows -------------------------------------------------------------------------


def namespace_record(s: Session, row: NamespaceRow) -> NamespaceRecord:
    return NamespaceRecord(
        row.id,
        row.definition_id or row.id,
        row.parent_id,
        row.name,
        row.description,
        _metadata(row.ext_metadata),
        store.namespace_path(s, row.id),
    )


def definition_record(
    s: Session, row: NamespaceRow, accounts: Mapping[int, str] | None = None
) -> DefinitionRecord:
    """``accounts``: the names of accounts by id, when known (else the owner's is read)."""
    owner = row.account_id
    return DefinitionRecord(
        row.id,
        row.id,
        None,
        row.name,
        row.description,
        _metadata(row.ext_metadata),
        "",
        owner,
        None if owner is None else _account(s, owner, accounts),
    )


def _account(s: Session, account_id: int, accounts: Mapping[int, str] | None) -> str | None:
    if accounts is not None and account_id in accounts:
        return accounts[account_id]
    return store.account_name(s, account_id)


def tag_record(row: TagRow) -> TagRecord:
    return TagRecord(row.id, row.definition_id, row.name, row.description)


def calculation_record(row: TemplateCalculationRow) -> TemplateCalculationRecord:
    return TemplateCalculationRecord(
        row.id, row.definition_id, row.name, row.description, row.expression
    )


def attribute_type_record(row: AttributeTypeRow) -> AttributeTypeRecord:
    return AttributeTypeRecord(
        row.id,
        row.definition_id,
        row.name,
        row.description,
        ValueType(row.value_type),
        row.unit,
        unbox(row.default),
        None if row.allowed is None else tuple(row.allowed),
    )


def object_definition_record(
    row: ObjectDefinitionRow, paths: Mapping[int, str]
) -> ObjectDefinitionRecord:
    """``paths``: the namespace paths of the model definition (``store.namespace_paths``)."""
    return ObjectDefinitionRecord(
        row.id,
        row.definition_id,
        row.name,
        row.description,
        paths.get(row.namespace_id, ""),
        tuple(row.tags or ()),
        _metadata(row.ext_metadata),
    )


def attribute_definition_record(
    s: Session, row: AttributeDefinitionRow, definition_id: int
) -> AttributeDefinitionRecord:
    """One attribute definition; its target, calculation and namespace read by their ids."""
    targets: dict[int, str] = {}
    calculations: dict[int, str] = {}
    paths: dict[int, str] = {}
    if row.target_id is not None:
        target = s.get(ObjectDefinitionRow, row.target_id)
        targets = {} if target is None else {target.id: target.name}
    if row.template_calculation_id is not None:
        calc = s.get(TemplateCalculationRow, row.template_calculation_id)
        calculations = {} if calc is None else {calc.id: calc.expression}
    if row.namespace_id is not None:
        paths = {row.namespace_id: store.namespace_path(s, row.namespace_id)}
    return _attribute_record(row, definition_id, targets, calculations, paths)


def attribute_definition_records(
    s: Session, definition_id: int, rows: Sequence[AttributeDefinitionRow]
) -> list[AttributeDefinitionRecord]:
    """Records of attribute definitions of one model definition, in the order given."""
    if len(rows) < 2:
        return [attribute_definition_record(s, row, definition_id) for row in rows]
    targets = store.object_definition_names(s, definition_id)
    calculations = store.calculation_expressions(s, definition_id)
    paths = store.namespace_paths(s, definition_id)
    return [
        _attribute_record(row, definition_id, targets, calculations, paths)
        if row.target_id in (None, *targets)
        and row.template_calculation_id in (None, *calculations)
        else attribute_definition_record(s, row, definition_id)  # refers to another definition
        for row in rows
    ]


def _attribute_record(
    row: AttributeDefinitionRow,
    definition_id: int,
    targets: Mapping[int, str],
    calculations: Mapping[int, str],
    paths: Mapping[int, str],
) -> AttributeDefinitionRecord:
    return AttributeDefinitionRecord(
        AttributeInfo(
            id=row.id,
            object_definition_id=row.object_definition_id,
            spec=spec_of(row, dict(targets), dict(calculations)),
            target_id=row.target_id,
            attribute_type_id=row.attribute_type_id,
            namespace=None if row.namespace_id is None else paths.get(row.namespace_id),
            position=row.position,
        ),
        definition_id,
        row.template,
        row.template_calculation_id,
        tuple(f for f in LOCAL_FIELDS if f in (row.overrides or [])),
        _metadata(row.ext_metadata),
    )


def _object_definition(s: Session, row: ObjectDefinitionRow) -> ObjectDefinitionRecord:
    return object_definition_record(row, store.namespace_paths(s, row.definition_id))


def _object_definitions(
    s: Session, rows: Sequence[ObjectDefinitionRow]
) -> list[ObjectDefinitionRecord]:
    paths: dict[int, dict[int, str]] = {}
    for row in rows:
        if row.definition_id not in paths:
            paths[row.definition_id] = store.namespace_paths(s, row.definition_id)
    return [object_definition_record(row, paths[row.definition_id]) for row in rows]


def _attribute_definition(s: Session, row: AttributeDefinitionRow) -> AttributeDefinitionRecord:
    return attribute_definition_record(s, row, store.definition_of(s, row))


# -- the kinds of element ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Element(Generic[Row, R]):
    """A kind of definition element: its table, its name in messages and its record."""

    table: type[Row]
    what: str
    record: Callable[[Session, Row], R]
    many: Callable[[Session, Sequence[Row]], list[R]] | None = None

    def records(self, s: Session, rows: Sequence[Row]) -> list[R]:
        """The records of several rows (of one model definition)."""
        if self.many is not None:
            return self.many(s, rows)
        return [self.record(s, row) for row in rows]


MODEL_DEFINITION = Element(NamespaceRow, "model definition", definition_record)
NAMESPACE = Element(NamespaceRow, "namespace", namespace_record)
TAG = Element(TagRow, "tag", lambda s, row: tag_record(row))
TEMPLATE_CALCULATION = Element(
    TemplateCalculationRow, "template calculation", lambda s, row: calculation_record(row)
)
ATTRIBUTE_TYPE = Element(AttributeTypeRow, "attribute type", lambda s, row: attribute_type_record(row))
OBJECT_DEFINITION = Element(
    ObjectDefinitionRow, "object definition", _object_definition, _object_definitions
)
ATTRIBUTE_DEFINITION = Element(
    AttributeDefinitionRow, "attribute definition", _attribute_definition
)
