"""Accounts (tenants) and their users: create, list, roles, secrets, delete, with the care rules.

Every function takes the workspace first and runs in one transaction; a refused call
(:class:`~workbench.errors.AccessDenied`) changes nothing. Accounts and users the caller may not
read are :class:`~workbench.errors.NotFound`, with the same message as ones that do not exist.

Who may do what (see :mod:`workbench.access` for the table):

- an account is read by its members, its consultancy's consultants, admin-readers and admins;
  renamed by its members, its consultancy's consultants and admins; deleted by admins only;
- accounts are created by admins; the consultants of a consultancy create its client accounts;
  only admins change an account's consultancy (:func:`set_consultancy`);
- an account's users are managed (added, deleted, roles, secrets) by its account-admins, its
  consultancy's consultants and admins; only admins grant or revoke ``admin`` and
  ``admin-reader`` or manage users holding them; a user may always change their own secret;
- the store keeps at least one admin: removing the last one is refused.

Examples
--------
>>> import workbench as wb
>>> from workbench.api import accounts
>>> ws = wb.connect("sqlite://")
>>> acme = accounts.create_account(ws, "Acme")
>>> ana = accounts.add_user(ws, "ana@acme.example", acme, "a long secret", roles=["account-admin"])
>>> [r.value for r in ana.roles]
['account-admin']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from sqlalchemy import func, select

from workbench.access import (
    Action,
    Role,
    Target,
    check,
    check_account_creation,
    check_role_change,
    check_user_management,
    permits,
)
from workbench.api.identity import check_secret, hash_secret
from workbench.api.signin import address_key, user_key
from workbench.errors import AccessDenied, InvalidValue, NotFound
from workbench.paths import control_character
from workbench.store import throttle
from workbench.store.schema import Account as AccountRow
from workbench.store.schema import NamespaceRow, ObjectRow
from workbench.store.schema import User as UserRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.api.workspace import Workspace

__all__ = [
    "AccountInfo",
    "AccountRef",
    "UserInfo",
    "UserRef",
    "account_id",
    "add_user",
    "change_secret",
    "create_account",
    "delete_account",
    "delete_user",
    "get_account",
    "get_user",
    "list_accounts",
    "list_users",
    "rename_account",
    "set_consultancy",
    "set_roles",
    "unlock_address",
    "unlock_user",
]

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """An account as read: its id, name and consultancy (an account that may manage it)."""

    id: int
    name: str
    consultancy_id: int | None = None
    consultancy: str | None = None

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A user as read; the secret's hash is never handed out."""

    id: int
    email: str
    account_id: int
    account: str
    roles: tuple[Role, ...] = ()

    def __str__(self) -> str:
        return self.email


AccountRef: TypeAlias = "AccountInfo | str | int"
"""An account by handle, name or id."""
UserRef: TypeAlias = "UserInfo | str | int"
"""A user by handle, e-mail address or id."""


# -- look-ups that hide what the caller may not read ----------------------------------------


def _visible(
    s: Session,
    ws: Workspace,
    ref: object,
    kind: tuple[type, Any, Any, str, str],
) -> Any:
    """The row ``ref`` names (a handle, an id or a name), if the caller may read its account.

    ``kind`` is (handle type, table, name column, what it is, how it is named). Whatever the
    caller may not read is NotFound with the message of what does not exist.
    """
    handle, table, column, what, named = kind
    if isinstance(ref, bool) or not isinstance(ref, (handle, str, int)):
        raise InvalidValue(f"name {what} by {named} (str), id (int) or handle, got {ref!r}")
    if isinstance(ref, handle | int):
        row = s.get(table, ref if isinstance(ref, int) else ref.id)  # type: ignore[attr-defined]
    else:
        row = s.scalars(select(table).where(column == ref)).first()
    owner = None if row is None else (row.id if table is AccountRow else row.account_id)
    if owner is None or not permits(ws.principal, Action.READ, Target.ACCOUNT, owner):
        key = getattr(ref, "name", None) or getattr(ref, "email", None) or ref
        noun = what.split()[-1]
        raise NotFound(noun, key, f"list_{noun}s() shows the {noun}s you may see")
    return row


_ACCOUNT = (AccountInfo, AccountRow, AccountRow.name, "an account", "name")
_USER = (UserInfo, UserRow, UserRow.email, "a user", "e-mail")


def _account_row(s: Session, ws: Workspace, ref: AccountRef) -> AccountRow:
    found: AccountRow = _visible(s, ws, ref, _ACCOUNT)
    return found


def _user_row(s: Session, ws: Workspace, ref: UserRef) -> UserRow:
    found: UserRow = _visible(s, ws, ref, _USER)
    return found


def _account_info(s: Session, row: AccountRow) -> AccountInfo:
    consultancy = None
    if row.consultancy_id is not None:
        consultancy = s.scalar(select(AccountRow.name).where(AccountRow.id == row.consultancy_id))
    return AccountInfo(row.id, row.name, row.consultancy_id, consultancy)


def _roles_of(row: UserRow) -> frozenset[Role]:
    return frozenset(Role(r) for r in row.roles or ())


def _ordered(roles: frozenset[Role]) -> tuple[Role, ...]:
    return tuple(r for r in Role if r in roles)


def _user_info(s: Session, row: UserRow) -> UserInfo:
    account = s.scalar(select(AccountRow.name).where(AccountRow.id == row.account_id))
    return UserInfo(row.id, row.email, row.account_id, account or "", _ordered(_roles_of(row)))


def account_id(ws: Workspace, account: AccountRef) -> int:
    """The id of an account the caller may read (NotFound otherwise)."""
    with ws._tx() as s:
        return _account_row(s, ws, account).id


# -- checks on values -----------------------------------------------------------------------


def _account_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidValue(f"an account name must be a non-empty string, got {name!r}")
    if name != name.strip() or control_character(name) or len(name) > 200:
        raise InvalidValue(
            f"account name {name[:40]!r} must have no leading or trailing white space, no "
            "control characters and at most 200 characters"
        )
    return name


def _email(email: object) -> str:
    if (
        not isinstance(email, str)
        or not _EMAIL.fullmatch(email)
        or control_character(email)
        or len(email) > 320
    ):
        raise InvalidValue(
            f"a user is named by an e-mail address such as 'ana@acme.example', got {email!r}"
        )
    return email


def _keep_an_admin(s: Session, leaving: Sequence[int]) -> None:
    """Refuse a change that would leave the store without an admin."""
    admins = [u.id for u in s.scalars(select(UserRow)) if Role.ADMIN.value in (u.roles or ())]
    if admins and not set(admins) - set(leaving):
        raise InvalidValue(
            "the store would be left without an admin; make another user an admin first"
        )


# -- accounts -------------------------------------------------------------------------------


def create_account(ws: Workspace, name: str, consultancy: AccountRef | None = None) -> AccountInfo:
    """Create an account, optionally as a client of a consultancy account.

    Admins create any account; the consultants of a consultancy create its client accounts
    (``consultancy=`` their own account). Account names are unique in the store.
    """
    name = _account_name(name)
    with ws._tx() as s:
        cons = None if consultancy is None else _account_row(s, ws, consultancy)
        check_account_creation(
            ws.principal,
            name,
            None if cons is None else cons.id,
            None if cons is None else cons.name,
        )
        if s.scalar(select(AccountRow.id).where(AccountRow.name == name)) is not None:
            raise InvalidValue(f"an account named {name!r} already exists; choose another name")
        row = AccountRow(name=name, consultancy_id=None if cons is None else cons.id)
        s.add(row)
        s.flush()
        return _account_info(s, row)


def get_account(ws: Workspace, account: AccountRef) -> AccountInfo:
    """An account by name, id or handle; NotFound unless the caller may read it."""
    with ws._tx() as s:
        return _account_info(s, _account_row(s, ws, account))


def list_accounts(ws: Workspace) -> list[AccountInfo]:
    """The accounts the caller may read, by name."""
    with ws._tx() as s:
        rows = s.scalars(select(AccountRow).order_by(AccountRow.name)).all()
        names = {r.id: r.name for r in rows}
        return [
            AccountInfo(r.id, r.name, r.consultancy_id, names.get(r.consultancy_id or -1))
            for r in rows
            if permits(ws.principal, Action.READ, Target.ACCOUNT, r.id)
        ]


def rename_account(ws: Workspace, account: AccountRef, new_name: str) -> AccountInfo:
    """Rename an account (its members, its consultancy's consultants and admins may)."""
    new_name = _account_name(new_name)
    with ws._tx() as s:
        row = _account_row(s, ws, account)
        check(ws.principal, Action.UPDATE, Target.ACCOUNT, row.id, f"account {row.name!r}")
        clash = s.scalar(select(AccountRow.id).where(AccountRow.name == new_name))
        if clash is not None and clash != row.id:
            raise InvalidValue(f"an account named {new_name!r} already exists; choose another name")
        row.name = new_name
        s.flush()
        return _account_info(s, row)


def delete_account(ws: Workspace, account: AccountRef) -> None:
    """Delete an account and its users (admins only); data sources outlive them.

    Refused while the account owns models: delete them (or have an admin move their objects)
    first. Client accounts of a deleted consultancy stay, without a consultancy.
    """
    with ws._tx() as s:
        row = _account_row(s, ws, account)
        check(ws.principal, Action.DELETE, Target.ACCOUNT, row.id, f"account {row.name!r}")
        owned = s.scalar(
            select(func.count()).where(
                ObjectRow.account_id == row.id, ObjectRow.parent_id.is_(None)
            )
        )
        if owned:
            raise InvalidValue(
                f"account {row.name!r} still owns {owned} model(s); delete them first"
            )
        definitions = s.scalar(
            select(func.count()).where(
                NamespaceRow.account_id == row.id, NamespaceRow.parent_id.is_(None)
            )
        )
        if definitions:
            raise InvalidValue(
                f"account {row.name!r} still owns {definitions} model definition(s); delete "
                "them first"
            )
        users = s.scalars(select(UserRow.id).where(UserRow.account_id == row.id)).all()
        _keep_an_admin(s, users)
        s.delete(row)


def set_consultancy(
    ws: Workspace, account: AccountRef, consultancy: AccountRef | None
) -> AccountInfo:
    """Make ``consultancy`` the account's consultancy, or (None) leave it without one.

    Admins only: the consultants of a consultancy read and manage its clients' data, so
    choosing one is a decision over the store. An account cannot consult for itself, and two
    accounts cannot be each other's consultancy.
    """
    with ws._tx() as s:
        row = _account_row(s, ws, account)
        if not ws.principal.is_admin:
            raise AccessDenied(
                f"{ws.principal.name} may not change the consultancy of the account "
                f"{row.name!r}; only admins do"
            )
        cons = None if consultancy is None else _account_row(s, ws, consultancy)
        if cons is not None and cons.id == row.id:
            raise InvalidValue(f"account {row.name!r} cannot be its own consultancy")
        if cons is not None and cons.consultancy_id == row.id:
            raise InvalidValue(
                f"account {cons.name!r} is a client of {row.name!r}, so it cannot also be its "
                "consultancy"
            )
        row.consultancy_id = None if cons is None else cons.id
        s.flush()
        return _account_info(s, row)


# -- users ----------------------------------------------------------------------------------


def add_user(
    ws: Workspace,
    email: str,
    account: AccountRef,
    secret: str,
    roles: Iterable[Role | str] = (),
) -> UserInfo:
    """Add a user to an account, with a secret (stored only as a salted Argon2 hash) and roles.

    The account's account-admins, its consultancy's consultants and admins may add users; the
    roles follow :func:`set_roles`' rules. E-mail addresses are unique in the store.
    """
    email = _email(email)
    check_secret(secret)
    wanted = Role.parse_all(roles)
    with ws._tx() as s:
        acct = _account_row(s, ws, account)
        check_role_change(ws.principal, acct.id, acct.name, email, frozenset(), wanted)
        if s.scalar(select(UserRow.id).where(UserRow.email == email)) is not None:
            raise InvalidValue(f"a user with the e-mail address {email!r} already exists")
        hashed = hash_secret(secret)  # slow on purpose; nothing is written yet
        row = UserRow(
            account_id=acct.id,
            email=email,
            secret_hash=hashed,
            roles=[r.value for r in _ordered(wanted)],
        )
        s.add(row)
        s.flush()
        return _user_info(s, row)


def get_user(ws: Workspace, user: UserRef) -> UserInfo:
    """A user by e-mail, id or handle; NotFound unless the caller may read the user's account."""
    with ws._tx() as s:
        return _user_info(s, _user_row(s, ws, user))


def list_users(ws: Workspace, account: AccountRef | None = None) -> list[UserInfo]:
    """The users of the accounts the caller may read (of one account if given), by e-mail."""
    with ws._tx() as s:
        query = select(UserRow).order_by(UserRow.email)
        if account is not None:
            query = query.where(UserRow.account_id == _account_row(s, ws, account).id)
        return [
            _user_info(s, u)
            for u in s.scalars(query).all()
            if permits(ws.principal, Action.READ, Target.ACCOUNT, u.account_id)
        ]


def set_roles(ws: Workspace, user: UserRef, roles: Iterable[Role | str]) -> UserInfo:
    """Give a user exactly ``roles``.

    ``account-admin`` and ``consultant`` are granted and revoked by the account's
    account-admins, its consultancy's consultants and admins; ``admin`` and ``admin-reader`` by
    admins only, and only admins change the roles of a user holding one of those. Removing the
    last admin is refused.
    """
    wanted = Role.parse_all(roles)
    with ws._tx() as s:
        row = _user_row(s, ws, user)
        old = _roles_of(row)
        acct = s.get(AccountRow, row.account_id)
        check_role_change(
            ws.principal, row.account_id, acct.name if acct else "", row.email, old, wanted
        )
        if Role.ADMIN in old - wanted:
            _keep_an_admin(s, [row.id])
        row.roles = [r.value for r in _ordered(wanted)]
        s.flush()
        return _user_info(s, row)


def _check_manage(s: Session, ws: Workspace, row: UserRow) -> None:
    acct = s.get(AccountRow, row.account_id)
    check_user_management(
        ws.principal, row.account_id, acct.name if acct else "", _roles_of(row), row.email
    )


def delete_user(ws: Workspace, user: UserRef) -> None:
    """Delete a user; the data sources they made stay, without a user.

    Who may: as for :func:`set_roles` (a user holding ``admin`` or ``admin-reader``: admins
    only). Removing the last admin is refused.
    """
    with ws._tx() as s:
        row = _user_row(s, ws, user)
        _check_manage(s, ws, row)
        _keep_an_admin(s, [row.id])
        s.delete(row)


def change_secret(ws: Workspace, user: UserRef, secret: str) -> None:
    """Set a user's secret (stored only as a salted Argon2 hash).

    Users change their own; the account's account-admins, its consultancy's consultants and
    admins change others' (a user holding ``admin`` or ``admin-reader``: admins only).
    """
    with ws._tx() as s:
        check_secret(secret)
        row = _user_row(s, ws, user)
        if row.id != ws.principal.user_id:
            _check_manage(s, ws, row)
        row.secret_hash = hash_secret(secret)


def unlock_user(ws: Workspace, user: UserRef) -> bool:
    """Lift a user's sign-in lockout and forget their failed sign-ins.

    Who may: as for :func:`delete_user` (a user holding ``admin`` or ``admin-reader``: admins
    only). True when there was something to lift (:mod:`workbench.api.signin` tells how
    failures lock a user).
    """
    with ws._tx() as s:
        row = _user_row(s, ws, user)
        _check_manage(s, ws, row)
        return throttle.drop(s, [user_key(row.email)]) > 0


def unlock_address(ws: Workspace, address: str) -> bool:
    """Lift a client address's sign-in lockout and forget its failures (admins only).

    An IPv6 address counts with its /64 network. True when there was something to lift.
    """
    key = address_key(address)
    with ws._tx() as s:
        if not ws.principal.is_admin:
            raise AccessDenied(
                f"{ws.principal.name} may not unlock the address {address!r}; only admins do"
            )
        return throttle.drop(s, [key]) > 0
