"""Handles on stored definition elements: the shared base, namespaces, tags, calculations.

A model definition belongs to an account, or is shared by the whole store. Every element of it
(namespaces, tags, template calculations, attribute types, object and attribute definitions)
follows it: a shared one is read by everyone and changed by admins; an account's is read by
whoever may read the account and changed by its account-admins, the consultants of its
consultancy and admins. What the user may not read is NotFound, like what does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from workbench.access import Action, Target, permits
from workbench.errors import AccessDenied, InvalidDefinition, InvalidValue, NotFound
from workbench.metamodel import check_metadata
from workbench.paths import check_name
from workbench.store.schema import (
    Account,
    AttributeDefinitionRow,
    NamespaceRow,
    TagRow,
    TemplateCalculationRow,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.api.workspace import Workspace

__all__ = [
    "Namespace",
    "Tag",
    "TemplateCalculation",
    "check_definition_change",
    "definition_account",
    "may_read_definition",
]


def _name(name: str, what: str) -> str:
    try:
        return check_name(name, what)
    except InvalidValue as exc:
        raise InvalidDefinition(str(exc)) from None


def _box(value: Any) -> dict[str, Any] | None:
    return None if value is None else {"value": value}


def _validate_expression(text: str | None) -> None:
    """Expressions are checked when saved, not first when read: syntax, names, functions."""
    if text is None:
        return
    if not isinstance(text, str):
        raise InvalidDefinition(f"an expression must be text, got {text!r}")
    from workbench.calc import compile_expression  # the calc layer sits beside the store

    compile_expression(text)


# -- who may read and change a model definition ---------------------------------------------


def definition_account(s: Session, definition_id: int) -> int | None:
    """The account owning a model definition (None: shared), read once per transaction."""
    cache: dict[int, int | None] = s.info.setdefault("definition_accounts", {})
    if definition_id not in cache:
        cache[definition_id] = s.scalar(
            select(NamespaceRow.account_id).where(NamespaceRow.id == definition_id)
        )
    return cache[definition_id]


def may_read_definition(ws: Workspace, account_id: int | None) -> bool:
    """Shared definitions are read by everyone; an account's by whoever may read the account."""
    return account_id is None or permits(ws.principal, Action.READ, Target.ACCOUNT, account_id)


def check_definition_change(ws: Workspace, s: Session, account_id: int | None, what: str) -> None:
    """Refuse (AccessDenied) a change to a definition of ``account_id`` (None: shared).

    Changing a definition is "creating children" of its account: its account-admins, the
    consultants of its consultancy and admins may; a shared definition only admins.
    """
    p = ws.principal
    if permits(p, Action.CREATE, Target.ACCOUNT, account_id):
        return
    if account_id is None:
        raise AccessDenied(
            f"{p.name} may not change {what}: it is shared by the whole store, and only admins "
            "change shared model definitions"
        )
    owner = s.scalar(select(Account.name).where(Account.id == account_id))
    raise AccessDenied(
        f"{p.name} may not change {what}: it belongs to the account {owner!r}, whose "
        "account-admins and consultants (and admins) change it"
    )


class _Handle:
    """A live reference to one stored element; reads go to the store."""

    _row_type: Any
    _what = "element"

    def __init__(self, ws: Workspace, id: int) -> None:
        self.ws = ws
        self.id = id

    def _definition_id(self, s: Session, row: Any) -> int:
        """The model definition the element belongs to."""
        return int(row.definition_id)

    def _row(self, s: Session) -> Any:
        row = s.get(self._row_type, self.id)
        if row is None or not may_read_definition(
            self.ws, definition_account(s, self._definition_id(s, row))
        ):
            raise NotFound(self._what, self.id)
        return row

    def _check_writable(self) -> None:
        """Refuse (AccessDenied) unless the user may change this element's model definition."""
        with self.ws._tx() as s:
            definition_id = self._definition_id(s, self._row(s))
            name = s.scalar(select(NamespaceRow.name).where(NamespaceRow.id == definition_id))
            what = f"the model definition {name!r}"
            check_definition_change(self.ws, s, definition_account(s, definition_id), what)

    def _get(self, attr: str) -> Any:
        with self.ws._tx() as s:
            return getattr(self._row(s), attr)

    @property
    def name(self) -> str:
        return str(self._get("name"))

    @property
    def description(self) -> str:
        return str(self._get("description"))

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.id == self.id  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.id))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} id={self.id}>"


class _WithMetadata(_Handle):
    @property
    def metadata(self) -> dict[str, Any]:
        """Extended metadata: category name -> JSON object."""
        return dict(self._get("ext_metadata") or {})

    def set_metadata(self, category: str, content: Mapping[str, Any]) -> None:
        """Set (or replace) one metadata category."""
        self._check_writable()
        with self.ws._tx() as s:
            row = self._row(s)
            merged = dict(row.ext_metadata or {})
            merged.update(check_metadata({category: content}))
            row.ext_metadata = merged

    def remove_metadata(self, category: str) -> None:
        self._check_writable()
        with self.ws._tx() as s:
            row = self._row(s)
            merged = dict(row.ext_metadata or {})
            if category not in merged:
                raise NotFound("metadata category", category, f"present: {sorted(merged)}")
            del merged[category]
            row.ext_metadata = merged


class Namespace(_WithMetadata):
    """A namespace of a model definition, which groups object definitions."""

    _row_type = NamespaceRow
    _what = "namespace"

    def _definition_id(self, s: Session, row: Any) -> int:
        return int(row.definition_id or row.id)

    def create_namespace(
        self, name: str, description: str = "", metadata: dict[str, Any] | None = None
    ) -> Namespace:
        self._check_writable()
        with self.ws._tx() as s:
            row = self._row(s)
            definition_id = row.definition_id or row.id
            name = _name(name, "namespace name")
            if s.scalars(
                select(NamespaceRow.id).where(
                    NamespaceRow.parent_id == self.id, NamespaceRow.name == name
                )
            ).first():
                raise InvalidDefinition(f"namespace {name!r} already exists in {row.name!r}")
            new = NamespaceRow(
                definition_id=definition_id,
                parent_id=self.id,
                name=name,
                description=description,
                ext_metadata=check_metadata(metadata),
            )
            s.add(new)
            s.flush()
            return Namespace(self.ws, new.id)

    def namespaces(self) -> list[Namespace]:
        with self.ws._tx() as s:
            ids = s.scalars(
                select(NamespaceRow.id)
                .where(NamespaceRow.parent_id == self.id)
                .order_by(NamespaceRow.id)
            )
            return [Namespace(self.ws, i) for i in ids]

    @property
    def path(self) -> str:
        """The dotted path below the model definition."""
        with self.ws._tx() as s:
            parts: list[str] = []
            row = self._row(s)
            while row.parent_id is not None:
                parts.append(row.name)
                row = s.get(NamespaceRow, row.parent_id)
            return ".".join(reversed(parts))


class Tag(_Handle):
    _row_type = TagRow
    _what = "tag"


class TemplateCalculation(_Handle):
    _row_type = TemplateCalculationRow
    _what = "template calculation"

    @property
    def expression(self) -> str:
        return str(self._get("expression"))

    def set_expression(self, expression: str) -> None:
        """Change the shared expression; it is checked against every attribute definition
        that uses it (without a template of its own), as a template of each."""
        from workbench.api.calc_validate import check_expression

        self._check_writable()
        _validate_expression(expression)
        with self.ws._tx() as s:
            row = self._row(s)
            catalog = self.ws.catalog(row.definition_id)
            users = s.scalars(
                select(AttributeDefinitionRow.id).where(
                    AttributeDefinitionRow.template_calculation_id == row.id,
                    AttributeDefinitionRow.template.is_(None),
                )
            )
            for attribute_id in users:
                info = catalog.attribute(attribute_id)
                od = catalog.object_definitions[info.object_definition_id]
                check_expression(
                    self.ws,
                    row.definition_id,
                    od.id,
                    expression,
                    info.spec.unit,
                    f"template calculation {row.name!r} (the template of {od.name}.{info.name})",
                    attribute=info.name,
                )
            row.expression = expression
            self.ws._forget_catalogs()
