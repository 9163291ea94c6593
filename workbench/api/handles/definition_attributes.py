"""Handles on object definitions, attribute types and attribute definitions (snapshots; see
:mod:`workbench.api.handles.definition_base`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from workbench.api.handles.definition_base import (
    DefinitionHandle,
    Namespace,
    TemplateCalculation,
    WithMetadata,
)
from workbench.api.services import definition_attributes as services
from workbench.api.services.definition_new_attribute import AttributeRequest, add_attribute
from workbench.api.services.definition_records import (
    ATTRIBUTE_DEFINITION,
    ATTRIBUTE_TYPE,
    OBJECT_DEFINITION,
    AttributeDefinitionRecord,
    AttributeTypeRecord,
    ObjectDefinitionRecord,
)

if TYPE_CHECKING:
    from workbench.api.handles.definitions import ModelDefinition
    from workbench.metamodel import AttributeSpec, ValueType

__all__ = ["AttributeDefinition", "AttributeType", "ObjectDefinition"]


def _ref(given: DefinitionHandle[Any] | str | None) -> int | str | None:
    """A handle as its id; a name (or None) as it is."""
    return given.id if isinstance(given, DefinitionHandle) else given


class AttributeType(DefinitionHandle[AttributeTypeRecord]):
    """A reusable attribute blueprint; its name, unit and tags follow into every definition
    built on it."""

    _element = ATTRIBUTE_TYPE

    @property
    def namespace(self) -> str:
        """The dotted path of the type's namespace ('' for the model definition itself)."""
        return self.record.namespace

    @property
    def tags(self) -> tuple[str, ...]:
        """The tags every definition built on the type carries."""
        return self.record.tags

    def set_tags(self, tags: Iterable[str]) -> None:
        """Replace the type's tags (tags of the model definition); the definitions built on it
        carry the new ones, beside their own."""
        self._record = services.set_attribute_type_tags(self._ctx, self.id, tags)

    @property
    def value_type(self) -> ValueType:
        return self.record.value_type

    @property
    def unit(self) -> str:
        return self.record.unit

    @property
    def default(self) -> Any:
        """The default that definitions built on this type inherit (None: no default)."""
        return self.record.default

    @property
    def allowed(self) -> tuple[Any, ...] | None:
        """The allowed values (an enumeration), or None when any value of the type is allowed."""
        return self.record.allowed

    def rename(self, new_name: str) -> None:
        """Rename the type and every attribute definition (and attribute) built on it, one
        renamed locally too. Refused, changing nothing, where an object definition would get
        two attributes of one name."""
        self._record = services.rename_attribute_type(self._ctx, self.id, new_name)

    def set_unit(self, unit: str) -> None:
        """Change the unit here and in every definition built on it, one with a unit of its
        own too."""
        self._record = services.set_attribute_type_unit(self._ctx, self.id, unit)

    def set_description(self, description: str) -> None:
        """Change the type's description only (definitions keep theirs)."""
        self._record = services.set_attribute_type_description(self._ctx, self.id, description)

    def definitions(self) -> list[AttributeDefinition]:
        found = services.definitions_of_type(self._ctx, self.id)
        return [AttributeDefinition(self._ctx, r.id, r) for r in found]


class ObjectDefinition(WithMetadata[ObjectDefinitionRecord]):
    """An asset type: a set of attribute definitions."""

    _element = OBJECT_DEFINITION

    @property
    def namespace(self) -> str:
        return self.record.namespace

    @property
    def tags(self) -> tuple[str, ...]:
        return self.record.tags

    @property
    def model_definition(self) -> ModelDefinition:
        return self.ws.model_definition(self.record.definition_id)

    def set_tags(self, tags: Iterable[str]) -> None:
        self._record = services.set_object_definition_tags(self._ctx, self.id, tags)

    def rename(self, new_name: str) -> None:
        self._record = services.rename_object_definition(self._ctx, self.id, new_name)

    def delete(self) -> None:
        """Delete the object definition with its attribute definitions; refused while objects
        are built on it (``ws.instances(od)`` lists them) or other definitions target it."""
        services.delete_object_definition(self._ctx, self.id)

    def add_attribute(
        self,
        name: str | None = None,
        value_type: str | ValueType | None = None,
        *,
        attribute_type: AttributeType | str | None = None,
        array: bool = False,
        min_count: int = 0,
        max_count: int | None = None,
        default: Any = None,
        minimum: Any = None,
        maximum: Any = None,
        allowed: Iterable[Any] | None = None,
        unit: str | None = None,
        description: str | None = None,
        target: ObjectDefinition | str | None = None,
        template: str | None = None,
        template_calculation: TemplateCalculation | str | None = None,
        namespace: Namespace | str | None = None,
        tags: Iterable[str] = (),
        metadata: dict[str, Any] | None = None,
    ) -> AttributeDefinition:
        """Add an attribute definition; see DESIGN.md for the value types.

        Built on an ``attribute_type``, the definition inherits its name, description, unit and
        (for enumerations) default; whatever is given here overrides them locally.
        """
        request = AttributeRequest(
            name=name,
            value_type=value_type,
            attribute_type=_ref(attribute_type),
            array=array,
            min_count=min_count,
            max_count=max_count,
            default=default,
            minimum=minimum,
            maximum=maximum,
            allowed=allowed,
            unit=unit,
            description=description,
            target=_ref(target),
            template=template,
            template_calculation=_ref(template_calculation),
            namespace=_ref(namespace),
            tags=tags,
            metadata=metadata,
        )
        record = add_attribute(self._ctx, self.id, request)
        return AttributeDefinition(self._ctx, record.id, record)

    def attributes(self) -> list[AttributeDefinition]:
        found = services.attributes(self._ctx, self.id)
        return [AttributeDefinition(self._ctx, r.id, r) for r in found]

    def attribute(self, name: str) -> AttributeDefinition:
        found, record = services.attribute_named(self._ctx, self.id, name)
        return AttributeDefinition(self._ctx, found, record)


class AttributeDefinition(WithMetadata[AttributeDefinitionRecord]):
    """A member of an object definition; its attributes are named after it."""

    _element = ATTRIBUTE_DEFINITION

    @property
    def spec(self) -> AttributeSpec:
        """The effective definition (own fields merged with the attribute type's)."""
        return self.record.spec

    @property
    def value_type(self) -> ValueType:
        return self.record.spec.value_type

    @property
    def unit(self) -> str:
        return self.record.spec.unit

    @property
    def overrides(self) -> tuple[str, ...]:
        """The fields set on this definition rather than inherited from its attribute type (a
        name or unit until the type's own next changes)."""
        return self.record.overrides

    @property
    def tags(self) -> tuple[str, ...]:
        """The tags in effect: its attribute type's, then its own."""
        return self.record.spec.tags

    @property
    def own_tags(self) -> tuple[str, ...]:
        """The tags set on this definition itself."""
        return self.record.own_tags

    def set_tags(self, tags: Iterable[str]) -> None:
        """Replace the definition's own tags; its attribute type's stay in effect."""
        self._record = services.set_attribute_definition_tags(self._ctx, self.id, tags)

    @property
    def attribute_type(self) -> AttributeType | None:
        type_id = self.record.info.attribute_type_id
        return None if type_id is None else AttributeType(self._ctx, type_id)

    @property
    def object_definition(self) -> ObjectDefinition:
        return ObjectDefinition(self._ctx, self.record.info.object_definition_id)

    @property
    def template(self) -> str | None:
        """The template expression written on this definition itself (None: none).

        ``spec.template`` is the effective one: this text, or else the expression of the shared
        :attr:`template_calculation`.
        """
        return self.record.template

    @property
    def template_calculation(self) -> TemplateCalculation | None:
        """The model definition's named template calculation this definition uses, if any."""
        calc_id = self.record.template_calculation_id
        return None if calc_id is None else TemplateCalculation(self._ctx, calc_id)

    @property
    def namespace(self) -> str | None:
        """The dotted path of the namespace the definition was put in (None: none given)."""
        return self.record.info.namespace

    def rename(self, new_name: str) -> None:
        """Rename this definition and so every attribute built on it."""
        self._record = services.set_local(self._ctx, self.id, "name", new_name)

    def set_unit(self, unit: str) -> None:
        self._record = services.set_local(self._ctx, self.id, "unit", unit)

    def set_description(self, description: str) -> None:
        self._record = services.set_local(self._ctx, self.id, "description", description)

    def set_template(self, expression: str | None) -> None:
        """Set or remove the template expression of a timeseries attribute definition.

        The expression is checked against the object definition before it is stored: it must
        give a series, every attribute it looks up must exist (unless a default is given as
        the second argument) and its unit must convert to this definition's unit. A text of its
        own replaces a shared :attr:`template_calculation`.
        """
        self._set_expressions(expression, None)

    def set_template_calculation(self, calculation: TemplateCalculation | str | None) -> None:
        """Use the model definition's named template calculation (None: none) as the template,
        checked as :meth:`set_template` checks a text; it replaces a text of its own."""
        self._set_expressions(None, calculation)

    def _set_expressions(
        self, template: str | None, calculation: TemplateCalculation | str | None
    ) -> None:
        """Set both the own template text and the shared calculation (one transaction)."""
        self._record = services.set_expressions(self._ctx, self.id, template, _ref(calculation))

    def delete(self) -> None:
        """Delete the definition; refused while objects are owned through it."""
        services.delete_attribute_definition(self._ctx, self.id)
