"""Reading a model definition's object and attribute definitions into a :class:`Catalog`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.metamodel import AttributeSpec, ValueType, merge_tags
from workbench.model import AttributeInfo, Catalog, ObjectDefinitionInfo
from workbench.store.schema import (
    AttributeDefinitionRow,
    AttributeTypeRow,
    NamespaceRow,
    ObjectDefinitionRow,
    TemplateCalculationRow,
)

__all__ = ["load_catalog", "namespace_paths", "spec_of", "type_tags"]


def _unwrap(box: dict[str, Any] | None) -> Any:
    return None if box is None else box.get("value")


def namespace_paths(session: Session, definition_id: int) -> dict[int, str]:
    """Namespace id -> dotted path below the model definition ('' for the definition itself)."""
    rows = session.execute(
        select(NamespaceRow.id, NamespaceRow.parent_id, NamespaceRow.name).where(
            (NamespaceRow.definition_id == definition_id) | (NamespaceRow.id == definition_id)
        )
    ).all()
    parents = {r.id: (r.parent_id, r.name) for r in rows}
    paths: dict[int, str] = {}

    def path(nid: int) -> str:
        if nid == definition_id:
            return ""
        if nid not in paths:
            parent, name = parents[nid]
            head = path(parent) if parent is not None else ""
            paths[nid] = f"{head}.{name}" if head else name
        return paths[nid]

    for nid in parents:
        paths[nid] = path(nid)
    return paths


def type_tags(session: Session, definition_id: int) -> dict[int, list[str]]:
    """The tags of the attribute types of a model definition that have any, by type id."""
    rows = session.execute(
        select(AttributeTypeRow.id, AttributeTypeRow.tags).where(
            AttributeTypeRow.definition_id == definition_id
        )
    )
    return {i: list(tags) for i, tags in rows if tags}


def spec_of(
    row: AttributeDefinitionRow,
    target_names: dict[int, str],
    templates: dict[int, str] | None = None,
    inherited: Mapping[int, Sequence[str]] | None = None,
) -> AttributeSpec:
    """The effective :class:`AttributeSpec` of a stored attribute definition.

    ``inherited``: the tags of attribute types by id (:func:`type_tags`); the spec's tags are
    its type's followed by its own.
    """
    template = row.template
    if template is None and row.template_calculation_id is not None and templates:
        template = templates.get(row.template_calculation_id)
    return AttributeSpec(
        name=row.name,
        value_type=ValueType(row.value_type),
        array=row.is_array,
        min_count=row.min_count,
        max_count=row.max_count,
        default=_unwrap(row.default),
        minimum=_unwrap(row.minimum),
        maximum=_unwrap(row.maximum),
        allowed=None if row.allowed is None else tuple(row.allowed),
        unit=row.unit,
        target=None if row.target_id is None else target_names.get(row.target_id),
        description=row.description,
        template=template,
        tags=merge_tags(
            (inherited or {}).get(row.attribute_type_id or -1, ()), tuple(row.tags or ())
        ),
    )


def load_catalog(session: Session, definition_id: int) -> Catalog:
    """Load every object definition of a model definition with its attribute definitions."""
    ods = session.scalars(
        select(ObjectDefinitionRow).where(ObjectDefinitionRow.definition_id == definition_id)
    ).all()
    od_ids = [od.id for od in ods]
    ads = session.scalars(
        select(AttributeDefinitionRow)
        .where(AttributeDefinitionRow.object_definition_id.in_(od_ids))
        .order_by(AttributeDefinitionRow.position, AttributeDefinitionRow.id)
    ).all()
    templates: dict[int, str] = dict(
        session.execute(  # type: ignore[arg-type]
            select(TemplateCalculationRow.id, TemplateCalculationRow.expression).where(
                TemplateCalculationRow.definition_id == definition_id
            )
        ).all()
    )
    ns = namespace_paths(session, definition_id)
    inherited = type_tags(session, definition_id)
    names = {od.id: od.name for od in ods}
    grouped: dict[int, list[AttributeInfo]] = {i: [] for i in od_ids}
    for ad in ads:
        grouped[ad.object_definition_id].append(
            AttributeInfo(
                id=ad.id,
                object_definition_id=ad.object_definition_id,
                spec=spec_of(ad, names, templates, inherited),
                target_id=ad.target_id,
                attribute_type_id=ad.attribute_type_id,
                namespace=None if ad.namespace_id is None else ns.get(ad.namespace_id),
                position=ad.position,
            )
        )
    infos = {
        od.id: ObjectDefinitionInfo(
            id=od.id,
            definition_id=definition_id,
            name=od.name,
            namespace=ns.get(od.namespace_id, ""),
            attributes=tuple(grouped[od.id]),
            description=od.description,
            tags=tuple(od.tags or ()),
            by_name={a.name: a for a in grouped[od.id]},
        )
        for od in ods
    }
    return Catalog(definition_id, infos)


def attribute_type_of(session: Session, type_id: int) -> AttributeTypeRow | None:
    return session.get(AttributeTypeRow, type_id)
