"""Accounts (tenants) and their users: create, list, roles, secrets, delete, with the care rules.

Every function takes the context first and runs in one transaction; a refused call
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
>>> from workbench.api.services import accounts
>>> ctx = wb.connect("sqlite://")._ctx
>>> acme = accounts.create_account(ctx, "Acme")
>>> ana = accounts.add_user(ctx, "ana@acme.example", acme, "a long secret", roles=["account-admin"])
>>> [r.value for r in ana.roles]
['account-admin']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

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
from workbench.store import accounts as store
from workbench.store import throttle

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.api.context import Context
    from workbench.store.schema import Account as AccountRow
    from workbench.store.schema import User as UserRow

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
"""An account by record, name or id."""
UserRef: TypeAlias = "UserInfo | str | int"
"""A user by record, e-mail address or id."""


# -- look-ups that hide what the caller may not read ----------------------------------------


def _named_by(ref: object, record: type, what: str, named: str) -> None:
    """Refuse a reference that is neither a record, a name nor an id."""
    if isinstance(ref, bool) or not isinstance(ref, (record, str, int)):
        raise InvalidValue(f"name {what} by {named} (str), id (int) or handle, got {ref!r}")


def _readable(ctx: Context, owner: int | None, ref: object, noun: str) -> None:
    """NotFound, as for what does not exist, unless the caller may read account ``owner``."""
    if owner is None or not permits(ctx.principal, Action.READ, Target.ACCOUNT, owner):
        key = getattr(ref, "name", None) or getattr(ref, "email", None) or ref
        raise NotFound(noun, key, f"list_{noun}s() shows the {noun}s you may see")


def _account_row(ctx: Context, s: Session, ref: AccountRef) -> AccountRow:
    """The account ``ref`` names, if the caller may read it."""
    _named_by(ref, AccountInfo, "an account", "name")
    if isinstance(ref, str):
        row = store.account_named(s, ref)
    else:
        row = store.account(s, ref if isinstance(ref, int) else ref.id)
    _readable(ctx, None if row is None else row.id, ref, "account")
    assert row is not None
    return row


def _user_row(ctx: Context, s: Session, ref: UserRef) -> UserRow:
    """The user ``ref`` names, if the caller may read the user's account."""
    _named_by(ref, UserInfo, "a user", "e-mail")
    if isinstance(ref, str):
        row = store.user_with_email(s, ref)
    else:
        row = store.user(s, ref if isinstance(ref, int) else ref.id)
    _readable(ctx, None if row is None else row.account_id, ref, "user")
    assert row is not None
    return row


def _account_info(s: Session, row: AccountRow) -> AccountInfo:
    consultancy = None
    if row.consultancy_id is not None:
        consultancy = store.account_name(s, row.consultancy_id)
    return AccountInfo(row.id, row.name, row.consultancy_id, consultancy)


def _roles_of(row: UserRow) -> frozenset[Role]:
    return frozenset(Role(r) for r in row.roles or ())


def _ordered(roles: frozenset[Role]) -> tuple[Role, ...]:
    return tuple(r for r in Role if r in roles)


def _user_info(s: Session, row: UserRow) -> UserInfo:
    account = store.account_name(s, row.account_id)
    return UserInfo(row.id, row.email, row.account_id, account or "", _ordered(_roles_of(row)))


def account_id(ctx: Context, account: AccountRef) -> int:
    """The id of an account the caller may read (NotFound otherwise)."""
    with ctx.tx(read=True) as s:
        return _account_row(ctx, s, account).id


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
    admins = store.user_ids_with_role(s, Role.ADMIN.value)
    if admins and not set(admins) - set(leaving):
        raise InvalidValue(
            "the store would be left without an admin; make another user an admin first"
        )


# -- accounts -------------------------------------------------------------------------------


def create_account(ctx: Context, name: str, consultancy: AccountRef | None = None) -> AccountInfo:
    """Create an account, optionally as a client of a consultancy account.

    Admins create any account; the consultants of a consultancy create its client accounts
    (``consultancy=`` their own account). Account names are unique in the store.
    """
    name = _account_name(name)
    with ctx.tx() as s:
        cons = None if consultancy is None else _account_row(ctx, s, consultancy)
        check_account_creation(
            ctx.principal,
            name,
            None if cons is None else cons.id,
            None if cons is None else cons.name,
        )
        if store.account_id_named(s, name) is not None:
            raise InvalidValue(f"an account named {name!r} already exists; choose another name")
        row = store.add_account(s, name, None if cons is None else cons.id)
        return _account_info(s, row)


def get_account(ctx: Context, account: AccountRef) -> AccountInfo:
    """An account by name, id or record; NotFound unless the caller may read it."""
    with ctx.tx(read=True) as s:
        return _account_info(s, _account_row(ctx, s, account))


def list_accounts(ctx: Context) -> list[AccountInfo]:
    """The accounts the caller may read, by name."""
    with ctx.tx(read=True) as s:
        rows = store.accounts(s)
        names = {r.id: r.name for r in rows}
        return [
            AccountInfo(r.id, r.name, r.consultancy_id, names.get(r.consultancy_id or -1))
            for r in rows
            if permits(ctx.principal, Action.READ, Target.ACCOUNT, r.id)
        ]


def rename_account(ctx: Context, account: AccountRef, new_name: str) -> AccountInfo:
    """Rename an account (its members, its consultancy's consultants and admins may)."""
    new_name = _account_name(new_name)
    with ctx.tx() as s:
        row = _account_row(ctx, s, account)
        check(ctx.principal, Action.UPDATE, Target.ACCOUNT, row.id, f"account {row.name!r}")
        clash = store.account_id_named(s, new_name)
        if clash is not None and clash != row.id:
            raise InvalidValue(f"an account named {new_name!r} already exists; choose another name")
        row.name = new_name
        s.flush()
        return _account_info(s, row)


def delete_account(ctx: Context, account: AccountRef) -> None:
    """Delete an account and its users (admins only); data sources outlive them.

    Refused while the account owns models: delete them (or have an admin move their objects)
    first. Client accounts of a deleted consultancy stay, without a consultancy.
    """
    with ctx.tx() as s:
        row = _account_row(ctx, s, account)
        check(ctx.principal, Action.DELETE, Target.ACCOUNT, row.id, f"account {row.name!r}")
        owned = store.models_owned(s, row.id)
        if owned:
            raise InvalidValue(
                f"account {row.name!r} still owns {owned} model(s); delete them first"
            )
        definitions = store.definitions_owned(s, row.id)
        if definitions:
            raise InvalidValue(
                f"account {row.name!r} still owns {definitions} model definition(s); delete "
                "them first"
            )
        _keep_an_admin(s, store.user_ids_of(s, row.id))
        s.delete(row)


def set_consultancy(
    ctx: Context, account: AccountRef, consultancy: AccountRef | None
) -> AccountInfo:
    """Make ``consultancy`` the account's consultancy, or (None) leave it without one.

    Admins only: the consultants of a consultancy read and manage its clients' data, so
    choosing one is a decision over the store. An account cannot consult for itself, and two
    accounts cannot be each other's consultancy.
    """
    with ctx.tx() as s:
        row = _account_row(ctx, s, account)
        if not ctx.principal.is_admin:
            raise AccessDenied(
                f"{ctx.principal.name} may not change the consultancy of the account "
                f"{row.name!r}; only admins do"
            )
        cons = None if consultancy is None else _account_row(ctx, s, consultancy)
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
    ctx: Context,
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
    with ctx.tx() as s:
        acct = _account_row(ctx, s, account)
        check_role_change(ctx.principal, acct.id, acct.name, email, frozenset(), wanted)
        if store.user_id_with_email(s, email) is not None:
            raise InvalidValue(f"a user with the e-mail address {email!r} already exists")
        hashed = hash_secret(secret)  # slow on purpose; nothing is written yet
        row = store.add_user(s, acct.id, email, hashed, [r.value for r in _ordered(wanted)])
        return _user_info(s, row)


def get_user(ctx: Context, user: UserRef) -> UserInfo:
    """A user by e-mail, id or record; NotFound unless the caller may read the user's account."""
    with ctx.tx(read=True) as s:
        return _user_info(s, _user_row(ctx, s, user))


def list_users(ctx: Context, account: AccountRef | None = None) -> list[UserInfo]:
    """The users of the accounts the caller may read (of one account if given), by e-mail."""
    with ctx.tx(read=True) as s:
        of = None if account is None else _account_row(ctx, s, account).id
        return [
            _user_info(s, u)
            for u in store.users(s, of)
            if permits(ctx.principal, Action.READ, Target.ACCOUNT, u.account_id)
        ]


def set_roles(ctx: Context, user: UserRef, roles: Iterable[Role | str]) -> UserInfo:
    """Give a user exactly ``roles``.

    ``account-admin`` and ``consultant`` are granted and revoked by the account's
    account-admins, its consultancy's consultants and admins; ``admin`` and ``admin-reader`` by
    admins only, and only admins change the roles of a user holding one of those. Removing the
    last admin is refused.
    """
    wanted = Role.parse_all(roles)
    with ctx.tx() as s:
        row = _user_row(ctx, s, user)
        old = _roles_of(row)
        acct = store.account(s, row.account_id)
        check_role_change(
            ctx.principal, row.account_id, acct.name if acct else "", row.email, old, wanted
        )
        if Role.ADMIN in old - wanted:
            _keep_an_admin(s, [row.id])
        row.roles = [r.value for r in _ordered(wanted)]
        s.flush()
        return _user_info(s, row)


def _check_manage(ctx: Context, s: Session, row: UserRow) -> None:
    acct = store.account(s, row.account_id)
    check_user_management(
        ctx.principal, row.account_id, acct.name if acct else "", _roles_of(row), row.email
    )


def delete_user(ctx: Context, user: UserRef) -> None:
    """Delete a user; the data sources they made stay, without a user.

    Who may: as for :func:`set_roles` (a user holding ``admin`` or ``admin-reader``: admins
    only). Removing the last admin is refused.
    """
    with ctx.tx() as s:
        row = _user_row(ctx, s, user)
        _check_manage(ctx, s, row)
        _keep_an_admin(s, [row.id])
        s.delete(row)


def change_secret(ctx: Context, user: UserRef, secret: str) -> None:
    """Set a user's secret (stored only as a salted Argon2 hash).

    Users change their own; the account's account-admins, its consultancy's consultants and
    admins change others' (a user holding ``admin`` or ``admin-reader``: admins only).
    """
    with ctx.tx() as s:
        check_secret(secret)
        row = _user_row(ctx, s, user)
        if row.id != ctx.principal.user_id:
            _check_manage(ctx, s, row)
        row.secret_hash = hash_secret(secret)


def unlock_user(ctx: Context, user: UserRef) -> bool:
    """Lift a user's sign-in lockout and forget their failed sign-ins.

    Who may: as for :func:`delete_user` (a user holding ``admin`` or ``admin-reader``: admins
    only). True when there was something to lift (:mod:`workbench.api.signin` tells how
    failures lock a user).
    """
    with ctx.tx() as s:
        row = _user_row(ctx, s, user)
        _check_manage(ctx, s, row)
        return throttle.drop(s, [user_key(row.email)]) > 0


def unlock_address(ctx: Context, address: str) -> bool:
    """Lift a client address's sign-in lockout and forget its failures (admins only).

    An IPv6 address counts with its /64 network. True when there was something to lift.
    """
    key = address_key(address)
    with ctx.tx() as s:
        if not ctx.principal.is_admin:
            raise AccessDenied(
                f"{ctx.principal.name} may not unlock the address {address!r}; only admins do"
            )
        return throttle.drop(s, [key]) > 0
