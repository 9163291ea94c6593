"""Model definition handles: the top-level namespace with attribute types, object definitions,
tags and template calculations; and the functions the facade hands them out with.

Handles are snapshots (see :mod:`workbench.api.handles.definition_base`).

>>> import workbench as wb
>>> ws = wb.connect("sqlite://")
>>> md = create_model_definition(ws, "Grid")
>>> md.set_metadata("ui", {"colour": "blue"})
>>> md.metadata
{'ui': {'colour': 'blue'}}
>>> [d.name for d in list_model_definitions(ws)]
['Grid']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench.api.handles.definition_attributes import (
    AttributeDefinition,
    AttributeType,
    ObjectDefinition,
)
from workbench.api.handles.definition_base import Namespace, Tag, TemplateCalculation
from workbench.api.services import definition_attributes as attribute_services
from workbench.api.services import definitions as services
from workbench.api.services.definition_records import (
    ATTRIBUTE_TYPE,
    MODEL_DEFINITION,
    OBJECT_DEFINITION,
    TAG,
    TEMPLATE_CALCULATION,
    DefinitionRecord,
)

if TYPE_CHECKING:
    from workbench.api.context import Context
    from workbench.api.services.accounts import AccountRef
    from workbench.api.workspace import Workspace
    from workbench.metamodel import ValueType

__all__ = [
    "ModelDefinition",
    "Tagged",
    "create_model_definition",
    "definition_name_taken",
    "get_model_definition",
    "list_model_definitions",
]


@dataclass(frozen=True, slots=True)
class Tagged:
    """What carries a tag of a model definition, each kind oldest first."""

    attribute_types: list[AttributeType]
    object_definitions: list[ObjectDefinition]
    attribute_definitions: list[AttributeDefinition]


class ModelDefinition(Namespace):
    """A model definition: the top-level namespace holding the blueprint of models."""

    _element = MODEL_DEFINITION

    @property
    def _definition(self) -> DefinitionRecord:
        record = self.record
        assert isinstance(record, DefinitionRecord)
        return record

    # attribute types
    def create_attribute_type(
        self,
        name: str,
        value_type: str | ValueType = "double",
        *,
        unit: str = "",
        description: str = "",
        default: Any = None,
        allowed: Iterable[Any] | None = None,
        namespace: Namespace | str | None = None,
        tags: Iterable[str] = (),
    ) -> AttributeType:
        """Create a reusable attribute blueprint (name, description, unit, value type).

        It sits in ``namespace`` (a handle or dotted path, created if missing; the name stays
        unique in the whole model definition), and its ``tags`` (tags of the model definition)
        are carried by every attribute definition built on it.
        """
        record = services.create_attribute_type(
            self._ctx,
            self.id,
            name,
            value_type,
            unit=unit,
            description=description,
            default=default,
            allowed=allowed,
            namespace=namespace.id if isinstance(namespace, Namespace) else namespace,
            tags=tags,
        )
        return AttributeType(self._ctx, record.id, record)

    def attribute_types(self) -> list[AttributeType]:
        found = services.children(self._ctx, ATTRIBUTE_TYPE, self.id)
        return [AttributeType(self._ctx, r.id, r) for r in found]

    def attribute_type(self, name: str) -> AttributeType:
        found, record = services.element_named(self._ctx, ATTRIBUTE_TYPE, self.id, name)
        return AttributeType(self._ctx, found, record)

    # object definitions
    def create_object_definition(
        self,
        name: str,
        namespace: Namespace | str | None = None,
        *,
        description: str = "",
        tags: Iterable[str] = (),
        metadata: dict[str, Any] | None = None,
    ) -> ObjectDefinition:
        """Create an object definition (an asset type) in a namespace (created if missing)."""
        record = services.create_object_definition(
            self._ctx,
            self.id,
            name,
            namespace.id if isinstance(namespace, Namespace) else namespace,
            description=description,
            tags=tags,
            metadata=metadata,
        )
        return ObjectDefinition(self._ctx, record.id, record)

    def object_definitions(self) -> list[ObjectDefinition]:
        found = services.children(self._ctx, OBJECT_DEFINITION, self.id)
        return [ObjectDefinition(self._ctx, r.id, r) for r in found]

    def object_definition(self, name: str) -> ObjectDefinition:
        found, record = services.element_named(self._ctx, OBJECT_DEFINITION, self.id, name)
        return ObjectDefinition(self._ctx, found, record)

    # tags and template calculations
    def create_tag(self, name: str, description: str = "") -> Tag:
        record = services.create_tag(self._ctx, self.id, name, description)
        return Tag(self._ctx, record.id, record)

    def tags(self) -> list[Tag]:
        return [Tag(self._ctx, r.id, r) for r in services.children(self._ctx, TAG, self.id)]

    def tagged(self, tag: Tag | str) -> Tagged:
        """What carries a tag (Mesh's tag usages): attribute types, object definitions and
        attribute definitions, a definition that inherits it from its type too."""
        name = tag.name if isinstance(tag, Tag) else tag
        types, ods, ads = attribute_services.tag_usages(self._ctx, self.id, name)
        return Tagged(
            [AttributeType(self._ctx, r.id, r) for r in types],
            [ObjectDefinition(self._ctx, r.id, r) for r in ods],
            [AttributeDefinition(self._ctx, r.id, r) for r in ads],
        )

    def create_template_calculation(
        self, name: str, expression: str, description: str = ""
    ) -> TemplateCalculation:
        """A named expression that several timeseries attribute definitions can share."""
        record = services.create_template_calculation(
            self._ctx, self.id, name, expression, description
        )
        return TemplateCalculation(self._ctx, record.id, record)

    def template_calculations(self) -> list[TemplateCalculation]:
        found = services.children(self._ctx, TEMPLATE_CALCULATION, self.id)
        return [TemplateCalculation(self._ctx, r.id, r) for r in found]

    def template_calculation(self, name: str) -> TemplateCalculation:
        found, record = services.element_named(self._ctx, TEMPLATE_CALCULATION, self.id, name)
        return TemplateCalculation(self._ctx, found, record)

    @property
    def account_id(self) -> int | None:
        """The id of the account owning the definition; None: shared by the whole store."""
        return self._definition.account_id

    @property
    def account(self) -> str | None:
        """The name of the account owning the definition; None: shared by the whole store."""
        return self._definition.account

    def rename(self, new_name: str) -> None:
        """Rename the definition; the name must stay unique among the names its users see."""
        self._record = services.rename_model_definition(self._ctx, self.id, new_name)

    def delete(self) -> None:
        """Delete the definition; refused while models are built on it."""
        services.delete_model_definition(self._ctx, self.id)


# -- what the facade hands out -------------------------------------------------------------


def create_model_definition(
    ws: Workspace | Context,
    name: str,
    description: str = "",
    metadata: dict[str, Any] | None = None,
    account: AccountRef | None = None,
) -> ModelDefinition:
    """Create a model definition owned by ``account``, or shared (see
    :func:`workbench.api.services.definitions.create_model_definition`)."""
    record = services.create_model_definition(ws._ctx, name, description, metadata, account)
    return ModelDefinition(ws._ctx, record.id, record)


def list_model_definitions(ws: Workspace | Context) -> list[ModelDefinition]:
    """The model definitions the user may read, oldest first."""
    return [ModelDefinition(ws._ctx, r.id, r) for r in services.list_model_definitions(ws._ctx)]


def get_model_definition(ws: Workspace | Context, name_or_id: str | int) -> ModelDefinition:
    """A model definition by name or id; one the user may not read is NotFound (see
    :func:`workbench.api.services.definitions.get_model_definition`)."""
    record = services.get_model_definition(ws._ctx, name_or_id)
    return ModelDefinition(ws._ctx, record.id, record)


def definition_name_taken(
    ws: Workspace | Context, name: str, account: AccountRef | None = None
) -> bool:
    """Whether a new definition of ``account`` could not take ``name``."""
    return services.definition_name_taken(ws._ctx, name, account)
