"""Who may read and change a model definition, and the checks every definition change makes.

A model definition belongs to an account, or is shared by the whole store. Every element of it
(namespaces, tags, template calculations, attribute types, object and attribute definitions)
follows it: a shared one is read by everyone and changed by admins; an account's is read by
whoever may read the account and changed by its account-admins, the consultants of its
consultancy and admins. What the user may not read is NotFound, like what does not exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from workbench.access import Action, Target, permits
from workbench.calc import compile_expression
from workbench.errors import AccessDenied, InvalidDefinition, InvalidValue, NotFound
from workbench.paths import check_name
from workbench.store import definitions as store

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.api.context import Context
    from workbench.store.definitions import ElementRow

__all__ = [
    "box",
    "check_definition_change",
    "check_writable",
    "checked_name",
    "may_read_definition",
    "readable",
    "readable_row",
    "validate_expression",
    "writable_row",
]

Row = TypeVar("Row", bound="ElementRow")


# -- values every change checks ---------------------------------------------------------------


def checked_name(name: str, what: str) -> str:
    """``name`` if it may name an element (no path characters), else InvalidDefinition."""
    try:
        return check_name(name, what)
    except InvalidValue as exc:
        raise InvalidDefinition(str(exc)) from None


def box(value: Any) -> dict[str, Any] | None:
    """A value as stored in a JSON column: ``{"value": value}`` (None: no value)."""
    return None if value is None else {"value": value}


def validate_expression(text: str | None) -> None:
    """Expressions are checked when saved, not first when read: syntax, names, functions."""
    if text is None:
        return
    if not isinstance(text, str):
        raise InvalidDefinition(f"an expression must be text, got {text!r}")
    compile_expression(text)


# -- who may read and change a model definition -----------------------------------------------


def may_read_definition(ctx: Context, account_id: int | None) -> bool:
    """Shared definitions are read by everyone; an account's by whoever may read the account."""
    return account_id is None or permits(ctx.principal, Action.READ, Target.ACCOUNT, account_id)


def check_definition_change(ctx: Context, account_id: int | None, what: str) -> None:
    """Refuse (AccessDenied) a change to a definition of ``account_id`` (None: shared).

    Changing a definition is "creating children" of its account: its account-admins, the
    consultants of its consultancy and admins may; a shared definition only admins.
    """
    p = ctx.principal
    if permits(p, Action.CREATE, Target.ACCOUNT, account_id):
        return
    if account_id is None:
        raise AccessDenied(
            f"{p.name} may not change {what}: it is shared by the whole store, and only admins "
            "change shared model definitions"
        )
    with ctx.tx() as s:
        owner = store.account_name(s, account_id)
    raise AccessDenied(
        f"{p.name} may not change {what}: it belongs to the account {owner!r}, whose "
        "account-admins and consultants (and admins) change it"
    )


def readable(ctx: Context, s: Session, row: ElementRow) -> bool:
    """Whether the user may read the model definition a stored element belongs to."""
    return may_read_definition(ctx, store.definition_account(s, store.definition_of(s, row)))


def readable_row(ctx: Context, s: Session, table: type[Row], id: int, what: str) -> Row:
    """The stored element ``id``; NotFound when it is missing or the user may not read it."""
    row = s.get(table, id)
    if row is None or not readable(ctx, s, row):
        raise NotFound(what, id)
    return row


def check_writable(ctx: Context, s: Session, definition_id: int) -> None:
    """Refuse (AccessDenied) unless the user may change the model definition."""
    name = store.definition_name(s, definition_id)
    what = f"the model definition {name!r}"
    check_definition_change(ctx, store.definition_account(s, definition_id), what)


def writable_row(ctx: Context, s: Session, table: type[Row], id: int, what: str) -> Row:
    """The stored element ``id`` if the user may change it (NotFound, AccessDenied)."""
    row = readable_row(ctx, s, table, id, what)
    check_writable(ctx, s, store.definition_of(s, row))
    return row
