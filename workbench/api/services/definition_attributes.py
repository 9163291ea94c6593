"""Object definitions, attribute types and attribute definitions as services: list, find,
rename, change units, descriptions, tags and templates, delete; names and units propagate.

An attribute type's name and unit follow into the attribute definitions built on it, unless
a definition sets them itself (its ``overrides``); its description does not propagate. New
attribute definitions are made in :mod:`workbench.api.services.definition_new_attribute`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from workbench.api.services import definition_records as records
from workbench.api.services.calc.validate import check_expression
from workbench.api.services.definition_access import (
    checked_name,
    readable,
    readable_row,
    validate_expression,
    writable_row,
)
from workbench.api.services.definition_records import (
    ATTRIBUTE_DEFINITION,
    ATTRIBUTE_TYPE,
    OBJECT_DEFINITION,
    TEMPLATE_CALCULATION,
    AttributeDefinitionRecord,
    AttributeTypeRecord,
    ObjectDefinitionRecord,
    TemplateCalculationRecord,
)
from workbench.api.services.definitions import checked_tags
from workbench.errors import InvalidDefinition, NotFound
from workbench.metamodel import AttributeSpec, ValueType
from workbench.store import definitions as store
from workbench.store.schema import (
    AttributeDefinitionRow,
    AttributeTypeRow,
    ObjectDefinitionRow,
    TemplateCalculationRow,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.api.context import Context

__all__ = [
    "CalculationRef",
    "attribute_named",
    "attributes",
    "calculation",
    "definitions_of_type",
    "delete_attribute_definition",
    "ensure_unique",
    "rename_attribute_type",
    "rename_object_definition",
    "set_attribute_type_description",
    "set_attribute_type_unit",
    "set_calculation_expression",
    "set_expressions",
    "set_local",
    "set_object_definition_tags",
]

#: A template calculation by id or by name (in the model definition at hand).
CalculationRef = int | str


def ensure_unique(s: Session, od_id: int, name: str, except_id: int | None = None) -> None:
    """Refuse (InvalidDefinition) a second attribute called ``name`` in an object definition."""
    clash = [i for i in store.attribute_ids_named(s, od_id, name) if i != except_id]
    if clash:
        od = s.get(ObjectDefinitionRow, od_id)
        raise InvalidDefinition(
            f"object definition {od.name if od else od_id!r} already has an attribute {name!r}"
        )


def calculation(
    ctx: Context, s: Session, definition_id: int, ref: CalculationRef | None
) -> tuple[int | None, str | None]:
    """The id and expression of a template calculation given by id or by name (None: none)."""
    if ref is None:
        return None, None
    if isinstance(ref, int):
        row = readable_row(ctx, s, TemplateCalculationRow, ref, TEMPLATE_CALCULATION.what)
    else:
        found = store.element_id_named(s, TemplateCalculationRow, definition_id, ref)
        if found is None:
            names = store.element_names(s, TemplateCalculationRow, definition_id)
            raise NotFound(TEMPLATE_CALCULATION.what, ref, f"defined: {names}")
        row = readable_row(ctx, s, TemplateCalculationRow, found, TEMPLATE_CALCULATION.what)
    return row.id, row.expression


# -- template calculations -------------------------------------------------------------------


def set_calculation_expression(
    ctx: Context, calculation_id: int, expression: str
) -> TemplateCalculationRecord:
    """Change a shared expression; it is checked against every attribute definition that uses
    it (without a template of its own), as a template of each."""
    with ctx.tx() as s:
        row = writable_row(
            ctx, s, TemplateCalculationRow, calculation_id, TEMPLATE_CALCULATION.what
        )
        validate_expression(expression)
        catalog = ctx.catalog(row.definition_id)
        for attribute_id in store.calculation_users(s, row.id):
            info = catalog.attribute(attribute_id)
            od = catalog.object_definitions[info.object_definition_id]
            check_expression(
                ctx,
                row.definition_id,
                od.id,
                expression,
                info.spec.unit,
                f"template calculation {row.name!r} (the template of {od.name}.{info.name})",
                attribute=info.name,
            )
        row.expression = expression
        ctx.forget_catalogs()
        return records.calculation_record(row)


# -- attribute types -------------------------------------------------------------------------


def _followers(s: Session, type_id: int, field: str) -> list[AttributeDefinitionRow]:
    """The attribute definitions of a type that follow it in ``field``."""
    return [
        r for r in store.attribute_rows_of_type(s, type_id) if field not in (r.overrides or [])
    ]


def rename_attribute_type(ctx: Context, type_id: int, new_name: str) -> AttributeTypeRecord:
    """Rename a type and every attribute definition (and attribute) that follows it."""
    with ctx.tx() as s:
        row = writable_row(ctx, s, AttributeTypeRow, type_id, ATTRIBUTE_TYPE.what)
        new_name = checked_name(new_name, "attribute type name")
        if store.element_id_named(s, AttributeTypeRow, row.definition_id, new_name, row.id):
            raise InvalidDefinition(f"attribute type {new_name!r} already exists")
        row.name = new_name
        for ad in _followers(s, type_id, "name"):
            ensure_unique(s, ad.object_definition_id, new_name, ad.id)
            ad.name = new_name
        ctx.forget_catalogs()
        return records.attribute_type_record(row)


def set_attribute_type_unit(ctx: Context, type_id: int, unit: str) -> AttributeTypeRecord:
    """Change a type's unit, and so the unit of every definition that does not override it."""
    with ctx.tx() as s:
        row = writable_row(ctx, s, AttributeTypeRow, type_id, ATTRIBUTE_TYPE.what)
        AttributeSpec("unit", ValueType.DOUBLE, unit=unit)
        row.unit = unit
        for ad in _followers(s, type_id, "unit"):
            ad.unit = unit
        ctx.forget_catalogs()
        return records.attribute_type_record(row)


def set_attribute_type_description(
    ctx: Context, type_id: int, description: str
) -> AttributeTypeRecord:
    """Change a type's description only (definitions keep theirs)."""
    with ctx.tx() as s:
        row = writable_row(ctx, s, AttributeTypeRow, type_id, ATTRIBUTE_TYPE.what)
        row.description = description
        return records.attribute_type_record(row)


def definitions_of_type(ctx: Context, type_id: int) -> list[AttributeDefinitionRecord]:
    """The attribute definitions built on a type, oldest first."""
    with ctx.tx(read=True) as s:
        row = readable_row(ctx, s, AttributeTypeRow, type_id, ATTRIBUTE_TYPE.what)
        rows = store.attribute_rows_of_type(s, type_id)
        return records.attribute_definition_records(s, row.definition_id, rows)


# -- object definitions ----------------------------------------------------------------------


def rename_object_definition(
    ctx: Context, od_id: int, new_name: str
) -> ObjectDefinitionRecord:
    with ctx.tx() as s:
        row = writable_row(ctx, s, ObjectDefinitionRow, od_id, OBJECT_DEFINITION.what)
        new_name = checked_name(new_name, "object definition name")
        if store.element_id_named(s, ObjectDefinitionRow, row.definition_id, new_name):
            raise InvalidDefinition(f"object definition {new_name!r} already exists")
        row.name = new_name
        ctx.forget_catalogs()
        return OBJECT_DEFINITION.record(s, row)


def set_object_definition_tags(
    ctx: Context, od_id: int, tags: Iterable[str]
) -> ObjectDefinitionRecord:
    with ctx.tx() as s:
        row = writable_row(ctx, s, ObjectDefinitionRow, od_id, OBJECT_DEFINITION.what)
        row.tags = checked_tags(s, row.definition_id, tags)
        ctx.forget_catalogs()
        return OBJECT_DEFINITION.record(s, row)


def attributes(ctx: Context, od_id: int) -> list[AttributeDefinitionRecord]:
    """The attribute definitions of an object definition, in their order."""
    with ctx.tx(read=True) as s:
        row = readable_row(ctx, s, ObjectDefinitionRow, od_id, OBJECT_DEFINITION.what)
        rows = store.attribute_rows(s, od_id)
        return records.attribute_definition_records(s, row.definition_id, rows)


def attribute_named(
    ctx: Context, od_id: int, name: str
) -> tuple[int, AttributeDefinitionRecord | None]:
    """The id of the attribute definition called ``name`` of an object definition, and its
    record, or None when the user may not read it (its handle then raises NotFound)."""
    with ctx.tx(read=True) as s:
        found = store.attribute_ids_named(s, od_id, name)
        od = s.get(ObjectDefinitionRow, od_id)
        may_read = od is not None and readable(ctx, s, od)
        if not found:
            if od is None or not may_read:
                raise NotFound(OBJECT_DEFINITION.what, od_id)
            names = [r.name for r in store.attribute_rows(s, od_id)]
            raise NotFound("attribute definition", name, f"{od.name} has: {names}")
        row = s.get(AttributeDefinitionRow, found[0])
        if row is None or not may_read:
            return found[0], None
        return found[0], ATTRIBUTE_DEFINITION.record(s, row)


# -- attribute definitions -------------------------------------------------------------------


def set_local(
    ctx: Context, attribute_id: int, field: str, value: str
) -> AttributeDefinitionRecord:
    """Set the name, description or unit on the definition itself (it stops following its
    attribute type in that field)."""
    with ctx.tx() as s:
        row = writable_row(ctx, s, AttributeDefinitionRow, attribute_id, ATTRIBUTE_DEFINITION.what)
        if field == "name":
            value = checked_name(value, "attribute name")
            ensure_unique(s, row.object_definition_id, value, row.id)
        elif field == "unit":
            AttributeSpec("unit", ValueType.DOUBLE, unit=value)
        setattr(row, field, value)
        row.overrides = sorted({*(row.overrides or []), field})
        ctx.forget_catalogs()
        return ATTRIBUTE_DEFINITION.record(s, row)


def set_expressions(
    ctx: Context, attribute_id: int, template: str | None, calculation_ref: CalculationRef | None
) -> AttributeDefinitionRecord:
    """Set both the own template text and the shared calculation of a timeseries attribute
    definition, after checking the one in effect against its object definition."""
    with ctx.tx() as s:
        row = writable_row(ctx, s, AttributeDefinitionRow, attribute_id, ATTRIBUTE_DEFINITION.what)
        if row.value_type != ValueType.TIMESERIES.value:
            raise InvalidDefinition(
                f"attribute {row.name!r} is {row.value_type}; only timeseries attributes "
                "carry a template expression"
            )
        definition_id = store.definition_of(s, row)
        calc_id, calc_text = calculation(ctx, s, definition_id, calculation_ref)
        validate_expression(template)
        info = ctx.catalog(definition_id).attribute(row.id)
        check_expression(
            ctx,
            definition_id,
            row.object_definition_id,
            template if template is not None else calc_text,
            info.spec.unit,
            f"template of {row.name!r}",
            attribute=row.name,
        )
        row.template = template
        row.template_calculation_id = calc_id
        ctx.forget_catalogs()
        return ATTRIBUTE_DEFINITION.record(s, row)


def delete_attribute_definition(ctx: Context, attribute_id: int) -> None:
    """Delete an attribute definition; refused while objects are owned through it."""
    with ctx.tx() as s:
        row = writable_row(ctx, s, AttributeDefinitionRow, attribute_id, ATTRIBUTE_DEFINITION.what)
        owned = store.objects_owned_through(s, row.id)
        if owned:
            raise InvalidDefinition(
                f"attribute {row.name!r} owns {owned} objects; delete or move them first"
            )
        s.delete(row)
        ctx.forget_catalogs()
