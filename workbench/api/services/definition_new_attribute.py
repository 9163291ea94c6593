"""Adding an attribute definition to an object definition, in three steps.

1. :func:`draft_attribute` turns what was asked for (an :class:`AttributeRequest`) into a
   validated :class:`AttributeDraft`: the attribute type, target and template calculation
   looked up, what the type gives filled in, and the effective :class:`AttributeSpec` built
   (which checks unit, default, bounds, counts and allowed values together);
2. :func:`check_template` checks the template in effect of a timeseries attribute against the
   object definition;
3. :func:`store_attribute` checks the name is free, places the definition (namespace, tags,
   metadata) and inserts it.

:func:`add_attribute` runs them in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench.api.services import definition_records as records
from workbench.api.services.calc.validate import check_expression
from workbench.api.services.definition_access import (
    box,
    checked_name,
    validate_expression,
    writable_row,
)
from workbench.api.services.definition_attributes import CalculationRef, calculation, ensure_unique
from workbench.api.services.definition_records import (
    OBJECT_DEFINITION,
    AttributeDefinitionRecord,
)
from workbench.api.services.definitions import checked_tags, namespace_id
from workbench.errors import InvalidDefinition, NotFound
from workbench.metamodel import AttributeSpec, ValueType, check_metadata
from workbench.store import definitions as store
from workbench.store.schema import AttributeDefinitionRow, AttributeTypeRow, ObjectDefinitionRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.api.context import Context

__all__ = [
    "AttributeDraft",
    "AttributeRequest",
    "add_attribute",
    "check_template",
    "draft_attribute",
    "store_attribute",
]


@dataclass(frozen=True, slots=True)
class AttributeRequest:
    """What ``ObjectDefinition.add_attribute`` was asked for, with handles given by id.

    An attribute type, target object definition or template calculation is an id or a name
    (in the object definition's model definition); a namespace an id or a dotted path.
    """

    name: str | None = None
    value_type: str | ValueType | None = None
    attribute_type: int | str | None = None
    array: bool = False
    min_count: int = 0
    max_count: int | None = None
    default: Any = None
    minimum: Any = None
    maximum: Any = None
    allowed: Iterable[Any] | None = None
    unit: str | None = None
    description: str | None = None
    target: int | str | None = None
    template: str | None = None
    template_calculation: CalculationRef | None = None
    namespace: int | str | None = None
    tags: Iterable[str] = ()
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class AttributeDraft:
    """A new attribute definition, validated, before it has a place in the store.

    ``spec`` is the effective definition (the type's fields filled in); ``overrides`` the
    fields set here rather than inherited; ``template`` the text written on the definition
    itself (``spec.template`` may be the calculation's instead).
    """

    object_definition_id: int
    definition_id: int
    spec: AttributeSpec
    overrides: tuple[str, ...]
    attribute_type_id: int | None
    target_id: int | None
    template: str | None
    template_calculation_id: int | None


# -- looking up what the request names ---------------------------------------------------------


def _attribute_type(
    s: Session, definition_id: int, ref: int | str | None
) -> AttributeTypeRow | None:
    if ref is None:
        return None
    if isinstance(ref, int):
        return s.get(AttributeTypeRow, ref)
    found = store.element_id_named(s, AttributeTypeRow, definition_id, ref)
    if found is None:
        names = store.element_names(s, AttributeTypeRow, definition_id)
        raise NotFound(records.ATTRIBUTE_TYPE.what, ref, f"defined: {names}")
    return s.get(AttributeTypeRow, found)


def _target(
    s: Session, definition_id: int, ref: int | str | None
) -> tuple[int | None, str | None]:
    """The id and name of the target object definition, which must be of the same model
    definition."""
    if ref is None:
        return None, None
    if isinstance(ref, str):
        found = store.element_id_named(s, ObjectDefinitionRow, definition_id, ref)
        if found is None:
            names = store.element_names(s, ObjectDefinitionRow, definition_id)
            raise NotFound(OBJECT_DEFINITION.what, ref, f"defined: {names}")
        ref = found
    row = s.get(ObjectDefinitionRow, ref)
    if row is None or row.definition_id != definition_id:
        shown = f"<ObjectDefinition {row.name!r} id={ref}>" if row else f"object definition {ref}"
        raise InvalidDefinition(
            f"target {shown} is not an object definition of "
            f"{store.definition_name(s, definition_id)!r}"
        )
    return row.id, row.name


# -- the three steps ---------------------------------------------------------------------------


def _inherited(request: AttributeRequest, at: AttributeTypeRow | None) -> dict[str, Any]:
    """The value type, name, default, allowed values and overridden fields: as asked for,
    else as the attribute type gives them."""
    vt = ValueType.parse(
        request.value_type if request.value_type is not None else (at.value_type if at else "double")
    )
    if at is not None and at.value_type != vt:
        raise InvalidDefinition(
            f"attribute {request.name!r}: value type {vt.value} differs from its attribute "
            f"type {at.name!r} ({at.value_type})"
        )
    asked = (("name", request.name), ("description", request.description), ("unit", request.unit))
    name = request.name if request.name is not None else (at.name if at else "")
    default, allowed = request.default, request.allowed
    if default is None and at is not None and at.default is not None:
        default = at.default["value"]
    if allowed is None and at is not None and at.allowed is not None:
        allowed = at.allowed
    return {
        "value_type": vt,
        "overrides": tuple(f for f, v in asked if v is not None or at is None),
        "name": checked_name(name, "attribute name"),
        "default": default,
        "allowed": allowed,
    }


def draft_attribute(
    ctx: Context, s: Session, od: ObjectDefinitionRow, request: AttributeRequest
) -> AttributeDraft:
    """Validate a request into a draft: lookups, inheritance from the attribute type and the
    effective spec (InvalidDefinition, NotFound, UnitError, ExpressionError)."""
    definition_id = od.definition_id
    at = _attribute_type(s, definition_id, request.attribute_type)
    given = _inherited(request, at)
    target_id, target_name = _target(s, definition_id, request.target)
    calc_id, calc_text = calculation(ctx, s, definition_id, request.template_calculation)
    validate_expression(request.template)
    spec = AttributeSpec(
        given["name"],
        given["value_type"],
        array=request.array,
        min_count=request.min_count,
        max_count=request.max_count,
        default=given["default"],
        minimum=request.minimum,
        maximum=request.maximum,
        allowed=None if given["allowed"] is None else tuple(given["allowed"]),
        unit=request.unit if request.unit is not None else (at.unit if at else ""),
        target=target_name,
        template=request.template if request.template is not None else calc_text,
        description=request.description
        if request.description is not None
        else (at.description if at else ""),
    )
    return AttributeDraft(
        od.id,
        definition_id,
        spec,
        given["overrides"],
        None if at is None else at.id,
        target_id,
        request.template,
        calc_id,
    )


def check_template(ctx: Context, draft: AttributeDraft) -> None:
    """Check the template in effect of a timeseries attribute against its object definition."""
    spec = draft.spec
    if spec.value_type is not ValueType.TIMESERIES:
        return
    check_expression(
        ctx,
        draft.definition_id,
        draft.object_definition_id,
        spec.template,
        spec.unit,
        f"template of {spec.name!r}",
        attribute=spec.name,
    )


def store_attribute(
    s: Session, draft: AttributeDraft, request: AttributeRequest
) -> AttributeDefinitionRow:
    """Insert a draft as the last attribute of its object definition, in its namespace (made
    if missing), with its tags and metadata (InvalidDefinition: a clash or unknown tags)."""
    spec = draft.spec
    ensure_unique(s, draft.object_definition_id, spec.name)
    position = store.attribute_count(s, draft.object_definition_id)
    namespace = request.namespace
    row = AttributeDefinitionRow(
        object_definition_id=draft.object_definition_id,
        attribute_type_id=draft.attribute_type_id,
        namespace_id=None if namespace is None else namespace_id(s, draft.definition_id, namespace),
        position=position,
        name=spec.name,
        description=spec.description,
        unit=spec.unit,
        overrides=list(draft.overrides),
        value_type=spec.value_type.value,
        is_array=spec.array,
        min_count=spec.min_count,
        max_count=spec.max_count,
        default=box(spec.default),
        minimum=box(spec.minimum),
        maximum=box(spec.maximum),
        allowed=None if spec.allowed is None else list(spec.allowed),
        target_id=draft.target_id,
        template=draft.template,
        template_calculation_id=draft.template_calculation_id,
        tags=checked_tags(s, draft.definition_id, request.tags),
        ext_metadata=check_metadata(request.metadata),
    )
    s.add(row)
    s.flush()
    return row


def add_attribute(ctx: Context, od_id: int, request: AttributeRequest) -> AttributeDefinitionRecord:
    """Add an attribute definition to an object definition the user may change."""
    with ctx.tx() as s:
        od = writable_row(ctx, s, ObjectDefinitionRow, od_id, OBJECT_DEFINITION.what)
        draft = draft_attribute(ctx, s, od, request)
        check_template(ctx, draft)
        row = store_attribute(s, draft, request)
        ctx.forget_catalogs()
        return records.attribute_definition_record(s, row, draft.definition_id)
