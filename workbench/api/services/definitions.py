"""Model definitions as services: create, find and list them; their namespaces, tags, template
calculations, attribute types and object definitions; metadata; renaming and deleting.

Each function takes the context, runs in its transaction, checks access
(:mod:`workbench.api.services.definition_access`) and returns records
(:mod:`workbench.api.services.definition_records`), never handles.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from workbench.access import Action, Target, permits
from workbench.api.services import definition_records as records
from workbench.api.services.accounts import account_id
from workbench.api.services.definition_access import (
    box,
    checked_name,
    readable,
    readable_row,
    validate_expression,
    writable_row,
)
from workbench.api.services.definition_records import (
    MODEL_DEFINITION,
    TAG,
    TEMPLATE_CALCULATION,
    DefinitionRecord,
    Element,
    NamespaceRecord,
)
from workbench.errors import AccessDenied, InvalidDefinition, InvalidValue, NotFound
from workbench.metamodel import AttributeSpec, ValueType, check_metadata
from workbench.store import definitions as store
from workbench.store.schema import (
    AttributeTypeRow,
    NamespaceRow,
    ObjectDefinitionRow,
    TagRow,
    TemplateCalculationRow,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.api.context import Context
    from workbench.api.services.accounts import AccountRef
    from workbench.store.definitions import ElementRow

__all__ = [
    "check_model_definition_fits",
    "checked_tags",
    "children",
    "create_attribute_type",
    "create_model_definition",
    "create_namespace",
    "create_object_definition",
    "create_tag",
    "create_template_calculation",
    "definition_name_taken",
    "delete_model_definition",
    "element_named",
    "get_model_definition",
    "list_model_definitions",
    "namespace_id",
    "namespaces",
    "read",
    "refuse_misfit",
    "remove_metadata",
    "rename_model_definition",
    "set_metadata",
]

Row = TypeVar("Row", bound="ElementRow")
R = TypeVar("R")


# -- any element ---------------------------------------------------------------------------


def read(ctx: Context, element: Element[Row, R], id: int) -> R:
    """The record of an element the user may read (NotFound otherwise)."""
    with ctx.tx(read=True) as s:
        return element.record(s, readable_row(ctx, s, element.table, id, element.what))


def set_metadata(
    ctx: Context, element: Element[Row, R], id: int, category: str, content: Mapping[str, Any]
) -> R:
    """Set (or replace) one metadata category of an element; its record afterwards."""
    with ctx.tx() as s:
        row = writable_row(ctx, s, element.table, id, element.what)
        merged = dict(getattr(row, "ext_metadata", None) or {})
        merged.update(check_metadata({category: content}))
        setattr(row, "ext_metadata", merged)  # noqa: B010  (not every element has metadata)
        return element.record(s, row)


def remove_metadata(ctx: Context, element: Element[Row, R], id: int, category: str) -> R:
    """Remove one metadata category of an element; its record afterwards."""
    with ctx.tx() as s:
        row = writable_row(ctx, s, element.table, id, element.what)
        merged = dict(getattr(row, "ext_metadata", None) or {})
        if category not in merged:
            raise NotFound("metadata category", category, f"present: {sorted(merged)}")
        del merged[category]
        setattr(row, "ext_metadata", merged)  # noqa: B010
        return element.record(s, row)


def children(ctx: Context, element: Element[Any, R], definition_id: int) -> list[R]:
    """The elements of one kind (tags, attribute types, ...) of a model definition, oldest
    first; NotFound when the user may not read the definition."""
    with ctx.tx(read=True) as s:
        readable_row(ctx, s, NamespaceRow, definition_id, MODEL_DEFINITION.what)
        return element.records(s, store.element_rows(s, element.table, definition_id))


def element_named(
    ctx: Context, element: Element[Any, R], definition_id: int, name: str
) -> tuple[int, R | None]:
    """The id of the element of one kind called ``name`` (NotFound naming the defined ones),
    and its record, or None when the user may not read the definition (reading its handle
    then raises NotFound)."""
    with ctx.tx(read=True) as s:
        found = store.element_id_named(s, element.table, definition_id, name)
        if found is None:
            names = store.element_names(s, element.table, definition_id)
            raise NotFound(element.what, name, f"defined: {names}")
        row = s.get(element.table, found)
        if row is None or not readable(ctx, s, row):
            return found, None
        return found, element.record(s, row)


# -- model definitions -----------------------------------------------------------------------


def _refuse_clash(s: Session, name: str, account_id: int | None, except_id: int = -1) -> None:
    """Names are unique among an account's definitions and the shared ones together; a shared
    definition's name among all (only admins, who see every name, make shared ones). So a clash
    never tells a user about a definition they may not read."""
    if store.definition_name_clash(s, name, account_id, except_id):
        raise InvalidDefinition(f"model definition {name!r} already exists")


def _owner(ctx: Context, account: AccountRef | None) -> int | None:
    """The account a new definition belongs to: the one given, else none (shared) for admins
    and the user's own account for everyone else."""
    if account is not None:
        return account_id(ctx, account)
    return None if ctx.principal.is_admin else ctx.principal.account_id


def _check_creation(ctx: Context, s: Session, owner: int | None) -> None:
    p = ctx.principal
    if permits(p, Action.CREATE, Target.ACCOUNT, owner):
        return
    if owner is None:
        raise AccessDenied(f"{p.name} may not create shared model definitions; only admins do")
    name = store.account_name(s, owner)
    raise AccessDenied(
        f"{p.name} may not create model definitions for the account {name!r}; its "
        "account-admins, the consultants of its consultancy and admins do"
    )


def definition_name_taken(ctx: Context, name: str, account: AccountRef | None = None) -> bool:
    """Whether a new definition of ``account`` (as for :func:`create_model_definition`) could
    not take ``name``."""
    with ctx.tx(read=True) as s:
        return store.definition_name_clash(s, name, _owner(ctx, account))


def create_model_definition(
    ctx: Context,
    name: str,
    description: str = "",
    metadata: dict[str, Any] | None = None,
    account: AccountRef | None = None,
) -> DefinitionRecord:
    """Create a model definition owned by ``account`` (see :func:`_owner`), or shared.

    Admins create shared definitions and definitions of any account; account-admins of their
    account, consultants of their client accounts.
    """
    name = checked_name(name, "model definition name")
    with ctx.tx() as s:
        owner = _owner(ctx, account)
        _check_creation(ctx, s, owner)
        _refuse_clash(s, name, owner)
        row = NamespaceRow(
            definition_id=None,
            parent_id=None,
            name=name,
            description=description,
            ext_metadata=check_metadata(metadata),
            account_id=owner,
        )
        s.add(row)
        s.flush()
        return records.definition_record(s, row)


def list_model_definitions(ctx: Context) -> list[DefinitionRecord]:
    """The model definitions the user may read, oldest first."""
    with ctx.tx(read=True) as s:
        rows = store.readable_definitions(s, ctx.principal.readable_accounts())
        accounts = store.account_names(s) if any(r.account_id for r in rows) else {}
        return [records.definition_record(s, r, accounts) for r in rows]


def get_model_definition(ctx: Context, name_or_id: str | int) -> DefinitionRecord:
    """A model definition by name or id; one the user may not read is NotFound.

    A user who reads several accounts (consultants, admin-readers, admins) may see two
    definitions of one name, from different accounts: the name is then refused as ambiguous,
    naming their ids.
    """
    with ctx.tx(read=True) as s:
        readable = ctx.principal.readable_accounts()
        if isinstance(name_or_id, int) and not isinstance(name_or_id, bool):
            found = store.readable_definitions(s, readable, id=name_or_id)
        else:
            found = store.readable_definitions(s, readable, name=str(name_or_id))
        if not found:
            names = sorted({r.name for r in store.readable_definitions(s, readable)})
            raise NotFound("model definition", name_or_id, f"defined: {names}")
        if len(found) > 1:
            owners = store.account_names(s)
            listed = ", ".join(
                f"id {r.id} ({owners.get(r.account_id, '?') if r.account_id else 'shared'})"
                for r in found
            )
            raise InvalidValue(
                f"model definition name {name_or_id!r} is used by several accounts you may "
                f"read; look it up by id: {listed}"
            )
        return records.definition_record(s, found[0])


def refuse_misfit(owner: int | None, account_id: int | None, name: str | None) -> None:
    """A model of ``account_id`` (None: public) is built on a shared definition or one of its
    own account's (``owner``), so that everyone who reads the model reads its definition too."""
    if owner is not None and owner != account_id:
        where = "a public model" if account_id is None else "a model of another account"
        raise InvalidValue(
            f"the model definition {name!r} belongs to an account of its own; {where} must "
            "be built on a shared definition or on one of the model's account"
        )


def check_model_definition_fits(ctx: Context, definition_id: int, account_id: int | None) -> None:
    """Refuse (InvalidValue) a model of ``account_id`` on the definition: see
    :func:`refuse_misfit`."""
    with ctx.tx(read=True) as s:
        owner = store.definition_account(s, definition_id)
        if owner is not None and owner != account_id:
            refuse_misfit(owner, account_id, store.definition_name(s, definition_id))


def rename_model_definition(ctx: Context, definition_id: int, new_name: str) -> DefinitionRecord:
    """Rename a definition; the name must stay unique among the names its users see."""
    with ctx.tx() as s:
        row = writable_row(ctx, s, NamespaceRow, definition_id, MODEL_DEFINITION.what)
        new_name = checked_name(new_name, "model definition name")
        _refuse_clash(s, new_name, row.account_id, row.id)
        row.name = new_name
        return records.definition_record(s, row)


def delete_model_definition(ctx: Context, definition_id: int) -> None:
    """Delete a definition; refused while models are built on it."""
    with ctx.tx() as s:
        row = writable_row(ctx, s, NamespaceRow, definition_id, MODEL_DEFINITION.what)
        used = store.model_names_of(s, definition_id)
        if used:
            raise InvalidDefinition(
                f"model definition {row.name!r} is used by the models {used}; delete them first"
            )
        store.delete_definition_elements(s, definition_id)
        s.delete(row)
        ctx.forget_catalogs()


# -- namespaces ------------------------------------------------------------------------------


def create_namespace(
    ctx: Context,
    parent: Element[NamespaceRow, Any],
    parent_id: int,
    name: str,
    description: str = "",
    metadata: dict[str, Any] | None = None,
) -> NamespaceRecord:
    """Create a namespace in a namespace (or model definition) ``parent_id``."""
    with ctx.tx() as s:
        row = writable_row(ctx, s, NamespaceRow, parent_id, parent.what)
        name = checked_name(name, "namespace name")
        if store.child_namespace_id(s, parent_id, name) is not None:
            raise InvalidDefinition(f"namespace {name!r} already exists in {row.name!r}")
        new = NamespaceRow(
            definition_id=row.definition_id or row.id,
            parent_id=parent_id,
            name=name,
            description=description,
            ext_metadata=check_metadata(metadata),
        )
        s.add(new)
        s.flush()
        return records.namespace_record(s, new)


def namespaces(
    ctx: Context, parent: Element[NamespaceRow, Any], parent_id: int
) -> list[NamespaceRecord]:
    """The namespaces directly in a namespace (or model definition), oldest first."""
    with ctx.tx(read=True) as s:
        readable_row(ctx, s, NamespaceRow, parent_id, parent.what)
        return [records.namespace_record(s, r) for r in store.child_namespaces(s, parent_id)]


def namespace_id(s: Session, definition_id: int, namespace: int | str | None) -> int:
    """The namespace of a model definition by id, or by dotted path (created where missing);
    None or '' is the definition itself."""
    if namespace is None or namespace == "":
        return definition_id
    if isinstance(namespace, int):
        return namespace
    current = definition_id
    for part in str(namespace).split("."):
        found = store.child_namespace_id(s, current, part)
        if found is None:
            row = NamespaceRow(
                definition_id=definition_id,
                parent_id=current,
                name=checked_name(part, "namespace name"),
            )
            s.add(row)
            s.flush()
            found = row.id
        current = found
    return current


# -- tags and template calculations ----------------------------------------------------------


def checked_tags(s: Session, definition_id: int, tags: Iterable[str]) -> list[str]:
    """``tags`` without repetitions, if every one is a tag of the definition."""
    wanted = list(dict.fromkeys(tags))
    known = store.tag_names(s, definition_id)
    unknown = [t for t in wanted if t not in known]
    if unknown:
        raise InvalidDefinition(
            f"tags {unknown} are not defined; defined tags: {sorted(known)} "
            "(create them with create_tag)"
        )
    return wanted


def _writable_definition(ctx: Context, s: Session, definition_id: int) -> None:
    writable_row(ctx, s, NamespaceRow, definition_id, MODEL_DEFINITION.what)


def create_tag(
    ctx: Context, definition_id: int, name: str, description: str = ""
) -> records.TagRecord:
    with ctx.tx() as s:
        _writable_definition(ctx, s, definition_id)
        name = checked_name(name, "tag name")
        if store.element_id_named(s, TagRow, definition_id, name) is not None:
            raise InvalidDefinition(f"tag {name!r} already exists")
        row = TagRow(definition_id=definition_id, name=name, description=description)
        s.add(row)
        s.flush()
        return TAG.record(s, row)


def create_template_calculation(
    ctx: Context, definition_id: int, name: str, expression: str, description: str = ""
) -> records.TemplateCalculationRecord:
    """A named expression that several timeseries attribute definitions can share."""
    with ctx.tx() as s:
        _writable_definition(ctx, s, definition_id)
        name = checked_name(name, "template calculation name")
        validate_expression(expression)
        if store.element_id_named(s, TemplateCalculationRow, definition_id, name) is not None:
            raise InvalidDefinition(f"template calculation {name!r} already exists")
        row = TemplateCalculationRow(
            definition_id=definition_id, name=name, expression=expression, description=description
        )
        s.add(row)
        s.flush()
        return TEMPLATE_CALCULATION.record(s, row)


# -- attribute types and object definitions --------------------------------------------------


def create_attribute_type(
    ctx: Context,
    definition_id: int,
    name: str,
    value_type: str | ValueType = "double",
    *,
    unit: str = "",
    description: str = "",
    default: Any = None,
    allowed: Iterable[Any] | None = None,
) -> records.AttributeTypeRecord:
    """Create a reusable attribute blueprint (name, description, unit, value type)."""
    with ctx.tx() as s:
        _writable_definition(ctx, s, definition_id)
        vt = ValueType.parse(value_type)
        name = checked_name(name, "attribute type name")
        allowed_t = None if allowed is None else tuple(allowed)
        # validates unit, default and allowed values together
        spec = AttributeSpec(
            name,
            vt,
            unit=unit,
            default=default,
            allowed=allowed_t,
            target="-" if vt.is_relation else None,
        )
        if store.element_id_named(s, AttributeTypeRow, definition_id, name) is not None:
            raise InvalidDefinition(f"attribute type {name!r} already exists")
        row = AttributeTypeRow(
            definition_id=definition_id,
            name=name,
            value_type=vt.value,
            unit=unit,
            description=description,
            default=box(spec.default),
            allowed=None if spec.allowed is None else list(spec.allowed),
        )
        s.add(row)
        s.flush()
        return records.attribute_type_record(row)


def create_object_definition(
    ctx: Context,
    definition_id: int,
    name: str,
    namespace: int | str | None = None,
    *,
    description: str = "",
    tags: Iterable[str] = (),
    metadata: dict[str, Any] | None = None,
) -> records.ObjectDefinitionRecord:
    """Create an object definition (an asset type) in a namespace (created if missing)."""
    with ctx.tx() as s:
        _writable_definition(ctx, s, definition_id)
        name = checked_name(name, "object definition name")
        if store.element_id_named(s, ObjectDefinitionRow, definition_id, name) is not None:
            raise InvalidDefinition(f"object definition {name!r} already exists")
        row = ObjectDefinitionRow(
            definition_id=definition_id,
            namespace_id=namespace_id(s, definition_id, namespace),
            name=name,
            description=description,
            tags=checked_tags(s, definition_id, tags),
            ext_metadata=check_metadata(metadata),
        )
        s.add(row)
        s.flush()
        ctx.forget_catalogs()
        return records.OBJECT_DEFINITION.record(s, row)

