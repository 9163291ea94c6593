"""Who may do what: principals, roles and the permission table, as pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from workbench.errors import AccessDenied, InvalidValue

__all__ = ["LOCAL_ADMIN", "Action", "Principal", "Role", "Target", "check", "permits"]


class Role(StrEnum):
    ADMIN = "admin"
    ADMIN_READER = "admin-reader"
    ACCOUNT_ADMIN = "account-admin"
    CONSULTANT = "consultant"

    @classmethod
    def parse(cls, text: str | Role) -> Role:
        try:
            return cls(text)
        except ValueError:
            accepted = ", ".join(r.value for r in cls)
            raise InvalidValue(f"role {text!r} is not known; accepted: {accepted}") from None


class Action(StrEnum):
    READ = "read"
    UPDATE = "update"
    CREATE = "create children or post data"
    DELETE = "delete"


class Target(StrEnum):
    ACCOUNT = "account"
    OBJECT = "object"  # objects, models and sensors alike


@dataclass(frozen=True, slots=True)
class Principal:
    """The user a workspace acts for, with what the permission rules need to know."""

    user_id: int | None
    name: str
    account_id: int | None
    roles: frozenset[Role] = frozenset()
    client_account_ids: frozenset[int] = frozenset()

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def is_consultant(self) -> bool:
        return Role.CONSULTANT in self.roles

    def readable_accounts(self) -> frozenset[int] | None:
        """Accounts whose data this principal may read; ``None`` means all of them."""
        if self.is_admin or Role.ADMIN_READER in self.roles:
            return None
        own = frozenset() if self.account_id is None else frozenset({self.account_id})
        return own | self.client_account_ids if self.is_consultant else own

    def _member(self, account_id: int) -> bool:
        return self.account_id == account_id

    def _consults(self, account_id: int) -> bool:
        return self.is_consultant and account_id in self.client_account_ids


LOCAL_ADMIN = Principal(user_id=None, name="local admin", account_id=None,
                        roles=frozenset({Role.ADMIN}))


def permits(p: Principal, action: Action, target: Target, account_id: int | None) -> bool:
    """Whether ``p`` may do ``action`` on a target owned by ``account_id`` (None: public)."""
    if p.is_admin:
        return True
    if account_id is None:  # public objects (and "no account" is never a real account)
        return action is Action.READ and target is Target.OBJECT
    member, consults = p._member(account_id), p._consults(account_id)
    reader = Role.ADMIN_READER in p.roles
    account_admin = member and Role.ACCOUNT_ADMIN in p.roles
    if action is Action.READ:
        return member or consults or reader
    if action is Action.UPDATE:
        return member or consults
    if target is Target.ACCOUNT:
        if action is Action.CREATE:
            return account_admin or consults
        return False  # deleting an account: admins only
    if action is Action.CREATE:
        return member or consults
    return account_admin or consults  # delete an owned object or sensor


def check(p: Principal, action: Action, target: Target, account_id: int | None, what: str) -> None:
    """Raise :class:`AccessDenied` unless ``p`` may do ``action`` on ``what``."""
    if not permits(p, action, target, account_id):
        raise AccessDenied(f"{p.name} may not {action.value} {what}")
