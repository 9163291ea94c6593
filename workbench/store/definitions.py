"""Queries of model definitions and their elements: look-ups, lists, clashes, uses, deletion.

Plain functions of a session, never committing. Who may read or change a definition is
decided above (:mod:`workbench.api.services.definition_access`); these functions return rows,
ids, names and counts. Model definitions are the namespaces without a parent; every other
element names its model definition in ``definition_id`` (an attribute definition through its
object definition).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, TypeAlias

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workbench.store.catalog import namespace_paths
from workbench.store.schema import (
    Account,
    AttributeDefinitionRow,
    AttributeTypeRow,
    NamespaceRow,
    ObjectDefinitionRow,
    ObjectRow,
    TagRow,
    TemplateCalculationRow,
)

__all__ = [
    "ElementRow",
    "ElementTable",
    "account_name",
    "account_names",
    "attribute_count",
    "attribute_ids_named",
    "attribute_rows",
    "attribute_rows_of_type",
    "calculation_expressions",
    "calculation_users",
    "child_namespace_id",
    "child_namespaces",
    "definition_account",
    "definition_name",
    "definition_name_clash",
    "definition_of",
    "delete_definition_elements",
    "element_id_named",
    "element_names",
    "element_rows",
    "model_names_of",
    "namespace_path",
    "namespace_paths",
    "object_definition_names",
    "objects_owned_through",
    "readable_definitions",
    "tag_names",
]

#: The tables of the elements that name their model definition in ``definition_id``.
ElementTable: TypeAlias = (
    "type[TagRow] | type[TemplateCalculationRow] | type[AttributeTypeRow] "
    "| type[ObjectDefinitionRow]"
)
#: A stored element of a model definition.
ElementRow: TypeAlias = (
    "NamespaceRow | TagRow | TemplateCalculationRow | AttributeTypeRow | ObjectDefinitionRow "
    "| AttributeDefinitionRow"
)


# -- the model definition an element belongs to, and its account ----------------------------


def definition_of(s: Session, row: ElementRow) -> int:
    """The id of the model definition ``row`` belongs to (-1: its object definition is gone)."""
    if isinstance(row, NamespaceRow):
        return row.definition_id or row.id
    if isinstance(row, AttributeDefinitionRow):
        owner = s.get(ObjectDefinitionRow, row.object_definition_id)
        return -1 if owner is None else owner.definition_id
    return row.definition_id


def definition_account(s: Session, definition_id: int) -> int | None:
    """The account owning a model definition (None: shared), read once per transaction."""
    cache: dict[int, int | None] = s.info.setdefault("definition_accounts", {})
    if definition_id not in cache:
        cache[definition_id] = s.scalar(
            select(NamespaceRow.account_id).where(NamespaceRow.id == definition_id)
        )
    return cache[definition_id]


def account_name(s: Session, account_id: int) -> str | None:
    """The name of an account, or None."""
    return s.scalar(select(Account.name).where(Account.id == account_id))


def account_names(s: Session) -> dict[int, str]:
    """Every account's name by id."""
    return {i: n for i, n in s.execute(select(Account.id, Account.name))}


# -- model definitions ------------------------------------------------------------------------


def readable_definitions(
    s: Session,
    readable: Collection[int] | None,
    *,
    id: int | None = None,
    name: str | None = None,
) -> Sequence[NamespaceRow]:
    """The model definitions shared or of the ``readable`` accounts (None: all), oldest first,
    only the one of ``id`` or those called ``name`` when given."""
    q = select(NamespaceRow).where(NamespaceRow.parent_id.is_(None))
    if readable is not None:
        q = q.where(
            NamespaceRow.account_id.is_(None) | NamespaceRow.account_id.in_(sorted(readable))
        )
    if id is not None:
        q = q.where(NamespaceRow.id == id)
    if name is not None:
        q = q.where(NamespaceRow.name == name)
    return s.scalars(q.order_by(NamespaceRow.id)).all()


def definition_name(s: Session, definition_id: int) -> str | None:
    """The name of a model definition (or namespace), or None."""
    return s.scalar(select(NamespaceRow.name).where(NamespaceRow.id == definition_id))


def definition_name_clash(
    s: Session, name: str, account_id: int | None, except_id: int = -1
) -> bool:
    """Whether a model definition called ``name`` (other than ``except_id``) is shared or of
    ``account_id``; with ``account_id`` None, whether any is (see the services for why)."""
    q = select(NamespaceRow.id).where(
        NamespaceRow.parent_id.is_(None), NamespaceRow.name == name, NamespaceRow.id != except_id
    )
    if account_id is not None:
        q = q.where(NamespaceRow.account_id.is_(None) | (NamespaceRow.account_id == account_id))
    return s.scalars(q).first() is not None


def model_names_of(s: Session, definition_id: int) -> list[str]:
    """The names of the models (root objects) built on a model definition."""
    return list(
        s.scalars(
            select(ObjectRow.name)
            .join(ObjectDefinitionRow, ObjectDefinitionRow.id == ObjectRow.definition_id)
            .where(
                ObjectDefinitionRow.definition_id == definition_id, ObjectRow.parent_id.is_(None)
            )
        ).all()
    )


def delete_definition_elements(s: Session, definition_id: int) -> None:
    """Delete every element of a model definition (not its namespaces, which cascade)."""
    for ad in s.scalars(
        select(AttributeDefinitionRow)
        .join(
            ObjectDefinitionRow,
            ObjectDefinitionRow.id == AttributeDefinitionRow.object_definition_id,
        )
        .where(ObjectDefinitionRow.definition_id == definition_id)
    ):
        s.delete(ad)
    s.flush()
    tables: tuple[Any, ...] = (ObjectDefinitionRow, AttributeTypeRow, TemplateCalculationRow, TagRow)
    for table in tables:
        for row in s.scalars(select(table).where(table.definition_id == definition_id)):
            s.delete(row)
    s.flush()


# -- namespaces --------------------------------------------------------------------------------


def child_namespace_id(s: Session, parent_id: int, name: str) -> int | None:
    """The id of the namespace ``name`` directly in ``parent_id``, or None."""
    return s.scalars(
        select(NamespaceRow.id).where(NamespaceRow.parent_id == parent_id, NamespaceRow.name == name)
    ).first()


def child_namespaces(s: Session, parent_id: int) -> Sequence[NamespaceRow]:
    """The namespaces directly in ``parent_id``, oldest first."""
    return s.scalars(
        select(NamespaceRow).where(NamespaceRow.parent_id == parent_id).order_by(NamespaceRow.id)
    ).all()


def namespace_path(s: Session, namespace_id: int) -> str:
    """The dotted path of a namespace below its model definition ('' for the definition)."""
    parts: list[str] = []
    row = s.get(NamespaceRow, namespace_id)
    while row is not None and row.parent_id is not None:
        parts.append(row.name)
        row = s.get(NamespaceRow, row.parent_id)
    return ".".join(reversed(parts))


# -- tags, template calculations, attribute types and object definitions ----------------------


def element_rows(s: Session, table: ElementTable, definition_id: int) -> Sequence[Any]:
    """The elements of one kind of a model definition, oldest first."""
    return s.scalars(
        select(table).where(table.definition_id == definition_id).order_by(table.id)
    ).all()


def element_id_named(
    s: Session, table: ElementTable, definition_id: int, name: str, except_id: int = -1
) -> int | None:
    """The id of the element of one kind called ``name`` (other than ``except_id``), or None."""
    return s.scalars(
        select(table.id).where(
            table.definition_id == definition_id, table.name == name, table.id != except_id
        )
    ).first()


def element_names(s: Session, table: ElementTable, definition_id: int) -> list[str]:
    """The names of the elements of one kind of a model definition, sorted."""
    return sorted(s.scalars(select(table.name).where(table.definition_id == definition_id)))


def tag_names(s: Session, definition_id: int) -> set[str]:
    """The names of the tags of a model definition."""
    return set(s.scalars(select(TagRow.name).where(TagRow.definition_id == definition_id)))


def object_definition_names(s: Session, definition_id: int) -> dict[int, str]:
    """The names of the object definitions of a model definition, by id."""
    rows = s.execute(
        select(ObjectDefinitionRow.id, ObjectDefinitionRow.name).where(
            ObjectDefinitionRow.definition_id == definition_id
        )
    )
    return {i: n for i, n in rows}


def calculation_expressions(s: Session, definition_id: int) -> dict[int, str]:
    """The expressions of the template calculations of a model definition, by id."""
    rows = s.execute(
        select(TemplateCalculationRow.id, TemplateCalculationRow.expression).where(
            TemplateCalculationRow.definition_id == definition_id
        )
    )
    return {i: e for i, e in rows}


def calculation_users(s: Session, calculation_id: int) -> list[int]:
    """The attribute definitions whose template is the calculation (no text of their own)."""
    return list(
        s.scalars(
            select(AttributeDefinitionRow.id).where(
                AttributeDefinitionRow.template_calculation_id == calculation_id,
                AttributeDefinitionRow.template.is_(None),
            )
        )
    )


# -- attribute definitions ---------------------------------------------------------------------


def attribute_rows(s: Session, object_definition_id: int) -> Sequence[AttributeDefinitionRow]:
    """The attribute definitions of an object definition, in their order."""
    return s.scalars(
        select(AttributeDefinitionRow)
        .where(AttributeDefinitionRow.object_definition_id == object_definition_id)
        .order_by(AttributeDefinitionRow.position, AttributeDefinitionRow.id)
    ).all()


def attribute_rows_of_type(s: Session, type_id: int) -> Sequence[AttributeDefinitionRow]:
    """The attribute definitions built on an attribute type, oldest first."""
    return s.scalars(
        select(AttributeDefinitionRow)
        .where(AttributeDefinitionRow.attribute_type_id == type_id)
        .order_by(AttributeDefinitionRow.id)
    ).all()


def attribute_ids_named(s: Session, object_definition_id: int, name: str) -> list[int]:
    """The ids of the attribute definitions called ``name`` of an object definition."""
    return list(
        s.scalars(
            select(AttributeDefinitionRow.id).where(
                AttributeDefinitionRow.object_definition_id == object_definition_id,
                AttributeDefinitionRow.name == name,
            )
        )
    )


def attribute_count(s: Session, object_definition_id: int) -> int:
    """How many attribute definitions an object definition has."""
    count = s.scalar(
        select(func.count()).where(
            AttributeDefinitionRow.object_definition_id == object_definition_id
        )
    )
    return int(count or 0)


def objects_owned_through(s: Session, attribute_definition_id: int) -> int:
    """How many objects are owned through an (ownership) attribute definition."""
    count = s.scalar(
        select(func.count()).where(ObjectRow.owner_attribute_id == attribute_definition_id)
    )
    return int(count or 0)

