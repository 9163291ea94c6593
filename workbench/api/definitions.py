"""Model definitions: the top-level namespace with attribute types, object definitions and tags."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from workbench.access import Action, Target, permits
from workbench.api.attributes import AttributeType, ObjectDefinition
from workbench.api.base import (
    Namespace,
    Tag,
    TemplateCalculation,
    _box,
    _name,
    _validate_expression,
    definition_account,
)
from workbench.errors import AccessDenied, InvalidDefinition, InvalidValue, NotFound
from workbench.metamodel import AttributeSpec, ValueType, check_metadata
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

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.api.accounts import AccountRef
    from workbench.api.workspace import Workspace

__all__ = [
    "ModelDefinition",
    "check_model_definition_fits",
    "create_model_definition",
    "definition_name_taken",
    "get_model_definition",
    "list_model_definitions",
]


class ModelDefinition(Namespace):
    """A model definition: the top-level namespace holding the blueprint of models."""

    _what = "model definition"

    def _namespace_id(self, s: Session, namespace: Namespace | str | None) -> int:
        if namespace is None or namespace == "":
            return self.id
        if isinstance(namespace, Namespace):
            return namespace.id
        current = self.id
        for part in str(namespace).split("."):
            found = s.scalars(
                select(NamespaceRow.id).where(
                    NamespaceRow.parent_id == current, NamespaceRow.name == part
                )
            ).first()
            if found is None:
                found = self._auto_namespace(s, current, part)
            current = found
        return current

    def _auto_namespace(self, s: Session, parent: int, name: str) -> int:
        row = NamespaceRow(
            definition_id=self.id, parent_id=parent, name=_name(name, "namespace name")
        )
        s.add(row)
        s.flush()
        return row.id

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
    ) -> AttributeType:
        """Create a reusable attribute blueprint (name, description, unit, value type)."""
        self._check_writable()
        vt = ValueType.parse(value_type)
        name = _name(name, "attribute type name")
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
        with self.ws._tx() as s:
            self._row(s)
            if s.scalars(
                select(AttributeTypeRow.id).where(
                    AttributeTypeRow.definition_id == self.id, AttributeTypeRow.name == name
                )
            ).first():
                raise InvalidDefinition(f"attribute type {name!r} already exists")
            row = AttributeTypeRow(
                definition_id=self.id,
                name=name,
                value_type=vt.value,
                unit=unit,
                description=description,
                default=_box(spec.default),
                allowed=None if spec.allowed is None else list(spec.allowed),
            )
            s.add(row)
            s.flush()
            return AttributeType(self.ws, row.id)

    def attribute_types(self) -> list[AttributeType]:
        return self._children(AttributeTypeRow, AttributeType)

    def attribute_type(self, name: str) -> AttributeType:
        found: AttributeType = self._child(AttributeTypeRow, AttributeType, name, "attribute type")
        return found

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
        self._check_writable()
        name = _name(name, "object definition name")
        with self.ws._tx() as s:
            self._row(s)
            if s.scalars(
                select(ObjectDefinitionRow.id).where(
                    ObjectDefinitionRow.definition_id == self.id, ObjectDefinitionRow.name == name
                )
            ).first():
                raise InvalidDefinition(f"object definition {name!r} already exists")
            row = ObjectDefinitionRow(
                definition_id=self.id,
                namespace_id=self._namespace_id(s, namespace),
                name=name,
                description=description,
                tags=self._check_tags(s, tags),
                ext_metadata=check_metadata(metadata),
            )
            s.add(row)
            s.flush()
            self.ws._forget_catalogs()
            return ObjectDefinition(self.ws, row.id)

    def object_definitions(self) -> list[ObjectDefinition]:
        return self._children(ObjectDefinitionRow, ObjectDefinition)

    def object_definition(self, name: str) -> ObjectDefinition:
        found: ObjectDefinition = self._child(
            ObjectDefinitionRow, ObjectDefinition, name, "object definition"
        )
        return found

    # tags and template calculations
    def create_tag(self, name: str, description: str = "") -> Tag:
        self._check_writable()
        name = _name(name, "tag name")
        with self.ws._tx() as s:
            if s.scalars(
                select(TagRow.id).where(TagRow.definition_id == self.id, TagRow.name == name)
            ).first():
                raise InvalidDefinition(f"tag {name!r} already exists")
            row = TagRow(definition_id=self.id, name=name, description=description)
            s.add(row)
            s.flush()
            return Tag(self.ws, row.id)

    def tags(self) -> list[Tag]:
        return self._children(TagRow, Tag)

    def _check_tags(self, s: Session, tags: Iterable[str]) -> list[str]:
        wanted = list(dict.fromkeys(tags))
        known = set(s.scalars(select(TagRow.name).where(TagRow.definition_id == self.id)))
        unknown = [t for t in wanted if t not in known]
        if unknown:
            raise InvalidDefinition(
                f"tags {unknown} are not defined; defined tags: {sorted(known)} "
                "(create them with create_tag)"
            )
        return wanted

    def create_template_calculation(
        self, name: str, expression: str, description: str = ""
    ) -> TemplateCalculation:
        """A named expression that several timeseries attribute definitions can share."""
        self._check_writable()
        name = _name(name, "template calculation name")
        _validate_expression(expression)
        with self.ws._tx() as s:
            if s.scalars(
                select(TemplateCalculationRow.id).where(
                    TemplateCalculationRow.definition_id == self.id,
                    TemplateCalculationRow.name == name,
                )
            ).first():
                raise InvalidDefinition(f"template calculation {name!r} already exists")
            row = TemplateCalculationRow(
                definition_id=self.id, name=name, expression=expression, description=description
            )
            s.add(row)
            s.flush()
            return TemplateCalculation(self.ws, row.id)

    def template_calculations(self) -> list[TemplateCalculation]:
        return self._children(TemplateCalculationRow, TemplateCalculation)

    def template_calculation(self, name: str) -> TemplateCalculation:
        found: TemplateCalculation = self._child(
            TemplateCalculationRow, TemplateCalculation, name, "template calculation"
        )
        return found

    @property
    def account_id(self) -> int | None:
        """The id of the account owning the definition; None: shared by the whole store."""
        with self.ws._tx() as s:
            self._row(s)
            return definition_account(s, self.id)

    @property
    def account(self) -> str | None:
        """The name of the account owning the definition; None: shared by the whole store."""
        with self.ws._tx() as s:
            self._row(s)
            owner = definition_account(s, self.id)
            return (
                None if owner is None else s.scalar(select(Account.name).where(Account.id == owner))
            )

    def rename(self, new_name: str) -> None:
        """Rename the definition; the name must stay unique among the names its users see."""
        self._check_writable()
        new_name = _name(new_name, "model definition name")
        with self.ws._tx() as s:
            row = self._row(s)
            _refuse_clash(s, new_name, row.account_id, row.id)
            row.name = new_name

    def delete(self) -> None:
        """Delete the definition; refused while models are built on it."""
        self._check_writable()
        with self.ws._tx() as s:
            row = self._row(s)
            used = s.scalars(
                select(ObjectRow.name)
                .join(ObjectDefinitionRow, ObjectDefinitionRow.id == ObjectRow.definition_id)
                .where(ObjectDefinitionRow.definition_id == self.id, ObjectRow.parent_id.is_(None))
            ).all()
            if used:
                raise InvalidDefinition(
                    f"model definition {row.name!r} is used by the models {list(used)}; "
                    "delete them first"
                )
            for ad in s.scalars(
                select(AttributeDefinitionRow)
                .join(
                    ObjectDefinitionRow,
                    ObjectDefinitionRow.id == AttributeDefinitionRow.object_definition_id,
                )
                .where(ObjectDefinitionRow.definition_id == self.id)
            ):
                s.delete(ad)
            s.flush()
            for t in (ObjectDefinitionRow, AttributeTypeRow, TemplateCalculationRow, TagRow):
                for r in s.scalars(select(t).where(t.definition_id == self.id)):
                    s.delete(r)
            s.flush()
            s.delete(row)

    def _children(self, table: Any, handle: Any) -> list[Any]:
        with self.ws._tx() as s:
            self._row(s)
            ids = s.scalars(
                select(table.id).where(table.definition_id == self.id).order_by(table.id)
            )
            return [handle(self.ws, i) for i in ids]

    def _child(self, table: Any, handle: Any, name: str, what: str) -> Any:
        with self.ws._tx() as s:
            found = s.scalars(
                select(table.id).where(table.definition_id == self.id, table.name == name)
            ).first()
            if found is None:
                names = sorted(s.scalars(select(table.name).where(table.definition_id == self.id)))
                raise NotFound(what, name, f"defined: {names}")
            return handle(self.ws, found)


def _refuse_clash(s: Session, name: str, account_id: int | None, except_id: int = -1) -> None:
    """Names are unique among an account's definitions and the shared ones together; a shared
    definition's name among all (only admins, who see every name, make shared ones). So a clash
    never tells a user about a definition they may not read."""
    q = select(NamespaceRow.id).where(
        NamespaceRow.parent_id.is_(None), NamespaceRow.name == name, NamespaceRow.id != except_id
    )
    if account_id is not None:
        q = q.where(NamespaceRow.account_id.is_(None) | (NamespaceRow.account_id == account_id))
    if s.scalars(q).first() is not None:
        raise InvalidDefinition(f"model definition {name!r} already exists")


def definition_name_taken(ws: Workspace, name: str, account: AccountRef | None = None) -> bool:
    """Whether a new definition of ``account`` (as for :func:`create_model_definition`) could
    not take ``name``."""
    with ws._tx() as s:
        try:
            _refuse_clash(s, name, _owner(ws, s, account))
        except InvalidDefinition:
            return True
        return False


def _owner(ws: Workspace, s: Session, account: AccountRef | None) -> int | None:
    """The account a new definition belongs to: the one given, else none (shared) for admins
    and the user's own account for everyone else."""
    if account is not None:
        from workbench.api.accounts import account_id

        return account_id(ws, account)
    return None if ws.principal.is_admin else ws.principal.account_id


def _check_creation(ws: Workspace, s: Session, owner: int | None) -> None:
    p = ws.principal
    if permits(p, Action.CREATE, Target.ACCOUNT, owner):
        return
    if owner is None:
        raise AccessDenied(f"{p.name} may not create shared model definitions; only admins do")
    name = s.scalar(select(Account.name).where(Account.id == owner))
    raise AccessDenied(
        f"{p.name} may not create model definitions for the account {name!r}; its "
        "account-admins, the consultants of its consultancy and admins do"
    )


def create_model_definition(
    ws: Workspace,
    name: str,
    description: str = "",
    metadata: dict[str, Any] | None = None,
    account: AccountRef | None = None,
) -> ModelDefinition:
    """Create a model definition owned by ``account`` (see :func:`_owner`), or shared.

    Admins create shared definitions and definitions of any account; account-admins of their
    account, consultants of their client accounts.
    """
    name = _name(name, "model definition name")
    with ws._tx() as s:
        owner = _owner(ws, s, account)
        _check_creation(ws, s, owner)
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
        return ModelDefinition(ws, row.id)


def _readable(ws: Workspace) -> Any:
    """The model definitions the user may read (a select of their rows)."""
    q = select(NamespaceRow).where(NamespaceRow.parent_id.is_(None))
    readable = ws.principal.readable_accounts()
    if readable is not None:
        q = q.where(
            NamespaceRow.account_id.is_(None) | NamespaceRow.account_id.in_(sorted(readable))
        )
    return q


def list_model_definitions(ws: Workspace) -> list[ModelDefinition]:
    """The model definitions the user may read, oldest first."""
    with ws._tx() as s:
        rows = s.scalars(_readable(ws).order_by(NamespaceRow.id))
        return [ModelDefinition(ws, r.id) for r in rows]


def get_model_definition(ws: Workspace, name_or_id: str | int) -> ModelDefinition:
    """A model definition by name or id; one the user may not read is NotFound.

    A user who reads several accounts (consultants, admin-readers, admins) may see two
    definitions of one name, from different accounts: the name is then refused as ambiguous,
    naming their ids.
    """
    with ws._tx() as s:
        q = _readable(ws)
        if isinstance(name_or_id, int) and not isinstance(name_or_id, bool):
            found = s.scalars(q.where(NamespaceRow.id == name_or_id)).all()
        else:
            found = s.scalars(q.where(NamespaceRow.name == name_or_id)).all()
        if not found:
            names = sorted({r.name for r in s.scalars(_readable(ws))})
            raise NotFound("model definition", name_or_id, f"defined: {names}")
        if len(found) > 1:
            owners = {i: n for i, n in s.execute(select(Account.id, Account.name))}
            listed = ", ".join(
                f"id {r.id} ({owners.get(r.account_id, '?') if r.account_id else 'shared'})"
                for r in found
            )
            raise InvalidValue(
                f"model definition name {name_or_id!r} is used by several accounts you may "
                f"read; look it up by id: {listed}"
            )
        return ModelDefinition(ws, found[0].id)


def check_model_definition_fits(s: Session, md: ModelDefinition, account_id: int | None) -> None:
    """A model of ``account_id`` (None: public) is built on a shared definition or one of its
    own account's, so that everyone who reads the model reads its definition too."""
    owner = definition_account(s, md.id)
    if owner is not None and owner != account_id:
        where = "a public model" if account_id is None else "a model of another account"
        raise InvalidValue(
            f"the model definition {md.name!r} belongs to an account of its own; {where} must "
            "be built on a shared definition or on one of the model's account"
        )
