"""Object definitions, attribute types and attribute definitions as services: list, find,
rename, change units, descriptions, tags and templates, delete; names, units and tags propagate.

As in Mesh, a definition built on an attribute type takes its name, description and unit, and
may change them itself (its ``overrides``); a change of the type's name or unit then reaches
*every* definition built on it, one changed locally too (and clears that override), while a
change of the type's description reaches none. A type's tags are read into each definition's
(beside its own), so they follow at once. New attribute definitions are made in
:mod:`workbench.api.services.definition_new_attribute`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
    NamespaceRow,
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
    "delete_object_definition",
    "ensure_unique",
    "rename_attribute_type",
    "rename_object_definition",
    "set_attribute_definition_tags",
    "set_attribute_type_description",
    "set_attribute_type_tags",
    "set_attribute_type_unit",
    "set_calculation_expression",
    "set_expressions",
    "set_local",
    "set_object_definition_tags",
    "tag_usages",
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


def _follow(ad: AttributeDefinitionRow, field: str, value: str) -> None:
    """Give a definition its type's new ``field``; it no longer holds a value of its own."""
    setattr(ad, field, value)
    if field in (ad.overrides or []):
        ad.overrides = [f for f in ad.overrides if f != field]


def _refuse_rename_clash(
    s: Session, row: AttributeTypeRow, new_name: str, built: Sequence[AttributeDefinitionRow]
) -> None:
    """Refuse (InvalidDefinition, before anything changes) a rename that would give an object
    definition two attributes of one name, naming the definitions on both sides."""
    by_owner: dict[int, list[AttributeDefinitionRow]] = {}
    for ad in built:
        by_owner.setdefault(ad.object_definition_id, []).append(ad)
    mine = {ad.id for ad in built}
    for od_id, ads in by_owner.items():
        od = s.get(ObjectDefinitionRow, od_id)
        where = f"the object definition {od.name if od else od_id!r}"
        start = f"cannot rename the attribute type {row.name!r} to {new_name!r}"
        if len(ads) > 1:
            names = " and ".join(repr(ad.name) for ad in ads)
            raise InvalidDefinition(
                f"{start}: its attribute definitions {names} of {where} would both be called "
                f"{new_name!r}"
            )
        if [i for i in store.attribute_ids_named(s, od_id, new_name) if i not in mine]:
            raise InvalidDefinition(
                f"{start}: its attribute definition {ads[0].name!r} of {where} would clash "
                f"with the attribute definition {new_name!r} there; rename one of them first"
            )


def rename_attribute_type(ctx: Context, type_id: int, new_name: str) -> AttributeTypeRecord:
    """Rename a type and every attribute definition (and so attribute) built on it, one
    renamed locally too; refused, changing nothing, when a name would clash."""
    with ctx.tx() as s:
        row = writable_row(ctx, s, AttributeTypeRow, type_id, ATTRIBUTE_TYPE.what)
        new_name = checked_name(new_name, "attribute type name")
        if store.element_id_named(s, AttributeTypeRow, row.definition_id, new_name, row.id):
            raise InvalidDefinition(f"attribute type {new_name!r} already exists")
        built = store.attribute_rows_of_type(s, type_id)
        _refuse_rename_clash(s, row, new_name, built)
        row.name = new_name
        for ad in built:
            _follow(ad, "name", new_name)
        ctx.forget_catalogs()
        return records.attribute_type_record(s, row)


def set_attribute_type_unit(ctx: Context, type_id: int, unit: str) -> AttributeTypeRecord:
    """Change a type's unit, and so the unit of every definition built on it (one with a unit
    of its own too). The template in effect of each timeseries definition among them must
    still give values in a unit that converts to the new one (UnitError naming it; then
    nothing changes)."""
    with ctx.tx() as s:
        row = writable_row(ctx, s, AttributeTypeRow, type_id, ATTRIBUTE_TYPE.what)
        AttributeSpec("unit", ValueType.DOUBLE, unit=unit)
        row.unit = unit
        built = store.attribute_rows_of_type(s, type_id)
        for ad in built:
            _follow(ad, "unit", unit)
        s.flush()
        ctx.forget_catalogs()
        _check_templates(ctx, row, built)
        return records.attribute_type_record(s, row)


def _check_templates(
    ctx: Context, row: AttributeTypeRow, built: Sequence[AttributeDefinitionRow]
) -> None:
    """Check the templates in effect of the timeseries definitions built on a type, as they
    stand now in the transaction."""
    catalog = ctx.catalog(row.definition_id)
    for ad in built:
        info = catalog.attribute(ad.id)
        if info.spec.value_type is not ValueType.TIMESERIES or info.spec.template is None:
            continue
        od = catalog.object_definitions[ad.object_definition_id]
        check_expression(
            ctx,
            row.definition_id,
            od.id,
            info.spec.template,
            info.spec.unit,
            f"template of {od.name}.{info.name} (built on the attribute type {row.name!r})",
            attribute=info.name,
        )


def set_attribute_type_tags(ctx: Context, type_id: int, tags: Iterable[str]) -> AttributeTypeRecord:
    """Replace a type's tags; every definition built on it carries them (beside its own)."""
    with ctx.tx() as s:
        row = writable_row(ctx, s, AttributeTypeRow, type_id, ATTRIBUTE_TYPE.what)
        row.tags = checked_tags(s, row.definition_id, tags)
        ctx.forget_catalogs()
        return records.attribute_type_record(s, row)


def set_attribute_type_description(
    ctx: Context, type_id: int, description: str
) -> AttributeTypeRecord:
    """Change a type's description only (definitions keep theirs)."""
    with ctx.tx() as s:
        row = writable_row(ctx, s, AttributeTypeRow, type_id, ATTRIBUTE_TYPE.what)
        row.description = description
        return records.attribute_type_record(s, row)


def definitions_of_type(ctx: Context, type_id: int) -> list[AttributeDefinitionRecord]:
    """The attribute definitions built on a type, oldest first."""
    with ctx.tx(read=True) as s:
        row = readable_row(ctx, s, AttributeTypeRow, type_id, ATTRIBUTE_TYPE.what)
        rows = store.attribute_rows_of_type(s, type_id)
        return records.attribute_definition_records(s, row.definition_id, rows)


# -- where a tag is used -------------------------------------------------------------------


def tag_usages(
    ctx: Context, definition_id: int, tag: str
) -> tuple[list[AttributeTypeRecord], list[ObjectDefinitionRecord], list[AttributeDefinitionRecord]]:
    """The attribute types, object definitions and attribute definitions of a model definition
    that carry ``tag`` (an attribute definition its own or its type's), oldest first; NotFound
    naming the defined tags when there is no such tag."""
    with ctx.tx(read=True) as s:
        readable_row(ctx, s, NamespaceRow, definition_id, "model definition")
        if tag not in store.tag_names(s, definition_id):
            names = sorted(store.tag_names(s, definition_id))
            raise NotFound("tag", tag, f"defined: {names}")
        types = ATTRIBUTE_TYPE.records(s, store.element_rows(s, AttributeTypeRow, definition_id))
        ods = OBJECT_DEFINITION.records(s, store.element_rows(s, ObjectDefinitionRow, definition_id))
        ads = records.attribute_definition_records(
            s, definition_id, store.attribute_rows_of_definition(s, definition_id)
        )
        return (
            [t for t in types if tag in t.tags],
            [o for o in ods if tag in o.tags],
            [a for a in ads if tag in a.spec.tags],
        )


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


def delete_object_definition(ctx: Context, od_id: int) -> None:
    """Delete an object definition and its attribute definitions; refused while objects are
    built on it or attribute definitions of other object definitions target it (Mesh:
    ``DeleteObjectDefinition`` "will not succeed" while the definition has instances).

    The objects counted are all of them: they belong to the definition's own account (or, for
    a shared definition, which only admins change, to any), so whoever may delete it may read
    them.
    """
    with ctx.tx() as s:
        row = writable_row(ctx, s, ObjectDefinitionRow, od_id, OBJECT_DEFINITION.what)
        count = store.instance_count(s, od_id)
        if count:
            raise InvalidDefinition(
                f"object definition {row.name!r} has {count} instance(s) (objects); delete them "
                "first (ws.instances(object_definition) lists them)"
            )
        targeting = store.attributes_targeting(s, od_id)
        if targeting:
            listed = ", ".join(f"{od}.{ad}" for od, ad in targeting)
            raise InvalidDefinition(
                f"object definition {row.name!r} is the target of the attribute definitions "
                f"{listed}; delete them or change their target first"
            )
        for ad in store.attribute_rows(s, od_id):
            s.delete(ad)
        s.flush()
        s.delete(row)
        ctx.forget_catalogs()


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
    """Set the name, description or unit on the definition itself: it holds a value of its
    own (an override) until its attribute type's name or unit next changes; a value equal to
    the type's is no override."""
    with ctx.tx() as s:
        row = writable_row(ctx, s, AttributeDefinitionRow, attribute_id, ATTRIBUTE_DEFINITION.what)
        if field == "name":
            value = checked_name(value, "attribute name")
            ensure_unique(s, row.object_definition_id, value, row.id)
        elif field == "unit":
            AttributeSpec("unit", ValueType.DOUBLE, unit=value)
        setattr(row, field, value)
        at = (
            None
            if row.attribute_type_id is None
            else s.get(AttributeTypeRow, row.attribute_type_id)
        )
        same = at is not None and field in ("name", "unit") and getattr(at, field) == value
        row.overrides = sorted({*(row.overrides or []), field} - ({field} if same else set()))
        ctx.forget_catalogs()
        return ATTRIBUTE_DEFINITION.record(s, row)


def set_attribute_definition_tags(
    ctx: Context, attribute_id: int, tags: Iterable[str]
) -> AttributeDefinitionRecord:
    """Replace a definition's own tags (those of its attribute type stay in effect)."""
    with ctx.tx() as s:
        row = writable_row(ctx, s, AttributeDefinitionRow, attribute_id, ATTRIBUTE_DEFINITION.what)
        row.tags = checked_tags(s, store.definition_of(s, row), tags)
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
