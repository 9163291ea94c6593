"""Transition shim: accounts and users moved to :mod:`workbench.api.services.accounts`.

The records and reference types are re-exported as they are. The functions keep their old
first argument, a workspace (or a context), and hand its context to the service of the same
name, so code not yet converted keeps working and type-checking. Removed once every importer
calls the services with a context.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from workbench.api.services import accounts as _service
from workbench.api.services.accounts import AccountInfo, AccountRef, UserInfo, UserRef

if TYPE_CHECKING:
    from workbench.access import Role
    from workbench.api.context import Context
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


def account_id(ws: Workspace | Context, account: AccountRef) -> int:
    return _service.account_id(ws._ctx, account)


def create_account(
    ws: Workspace | Context, name: str, consultancy: AccountRef | None = None
) -> AccountInfo:
    return _service.create_account(ws._ctx, name, consultancy)


def get_account(ws: Workspace | Context, account: AccountRef) -> AccountInfo:
    return _service.get_account(ws._ctx, account)


def list_accounts(ws: Workspace | Context) -> list[AccountInfo]:
    return _service.list_accounts(ws._ctx)


def rename_account(ws: Workspace | Context, account: AccountRef, new_name: str) -> AccountInfo:
    return _service.rename_account(ws._ctx, account, new_name)


def delete_account(ws: Workspace | Context, account: AccountRef) -> None:
    _service.delete_account(ws._ctx, account)


def set_consultancy(
    ws: Workspace | Context, account: AccountRef, consultancy: AccountRef | None
) -> AccountInfo:
    return _service.set_consultancy(ws._ctx, account, consultancy)


def add_user(
    ws: Workspace | Context,
    email: str,
    account: AccountRef,
    secret: str,
    roles: Iterable[Role | str] = (),
) -> UserInfo:
    return _service.add_user(ws._ctx, email, account, secret, roles)


def get_user(ws: Workspace | Context, user: UserRef) -> UserInfo:
    return _service.get_user(ws._ctx, user)


def list_users(ws: Workspace | Context, account: AccountRef | None = None) -> list[UserInfo]:
    return _service.list_users(ws._ctx, account)


def set_roles(ws: Workspace | Context, user: UserRef, roles: Iterable[Role | str]) -> UserInfo:
    return _service.set_roles(ws._ctx, user, roles)


def delete_user(ws: Workspace | Context, user: UserRef) -> None:
    _service.delete_user(ws._ctx, user)


def change_secret(ws: Workspace | Context, user: UserRef, secret: str) -> None:
    _service.change_secret(ws._ctx, user, secret)


def unlock_user(ws: Workspace | Context, user: UserRef) -> bool:
    return _service.unlock_user(ws._ctx, user)


def unlock_address(ws: Workspace | Context, address: str) -> bool:
    return _service.unlock_address(ws._ctx, address)
