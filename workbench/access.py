"""Who may do what: principals, roles and the permission table, as pure functions.

The table (issue 3), for a principal that is not an admin (admins may do everything):

============  ===========================  ====================  ====================  ===========
target        read                         update                create children       delete
============  ===========================  ====================  ====================  ===========
account       members, consultants,        members, consultants  account-admins,       admins
              admin-readers                                      consultants
owned object  as its account               members, consultants  members, consultants  account-
                                                                                       admins,
                                                                                       consultants
public object everyone                     admins                admins                admins
============  ===========================  ====================  ====================  ===========

"Consultants" are the users with the consultant role in the account's consultancy account;
"members" are the users of the account itself, whatever their roles.

Role changes take the same care (:func:`check_role_change`): managing the users of an account
(adding, deleting, changing roles or secrets) is creating children of it, so its account-admins,
the consultants of its consultancy and admins may do it; but only admins grant, revoke or touch
``admin`` and ``admin-reader``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from workbench.errors import AccessDenied, InvalidValue

__all__ = [
    "ACCOUNT_ROLES",
    "LOCAL_ADMIN",
    "STORE_ROLES",
    "Action",
    "Principal",
    "Role",
    "Target",
    "check",
    "check_account_creation",
    "check_role_change",
    "check_user_management",
    "permits",
    "who_may",
]


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

    @classmethod
    def parse_all(cls, roles: Iterable[str | Role]) -> frozenset[Role]:
        """A set of roles from names; a single string is refused (it would be split in letters)."""
        if isinstance(roles, str):
            raise InvalidValue(f"roles must be a list of role names, got the string {roles!r}")
        return frozenset(cls.parse(r) for r in roles)


STORE_ROLES = frozenset({Role.ADMIN, Role.ADMIN_READER})
"""Roles over the whole store: only admins grant, revoke or manage users holding them."""
ACCOUNT_ROLES = frozenset({Role.ACCOUNT_ADMIN, Role.CONSULTANT})
"""Roles within an account: whoever manages the account's users grants them."""


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
    """The user a workspace acts for, with what the permission rules need to know.

    ``client_account_ids`` are the accounts whose consultancy is this user's account; they count
    only when the user has the consultant role.
    """

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


LOCAL_ADMIN = Principal(
    user_id=None, name="local admin", account_id=None, roles=frozenset({Role.ADMIN})
)


def permits(p: Principal, action: Action, target: Target, account_id: int | None) -> bool:
    """Whether ``p`` may do ``action`` on a target owned by ``account_id`` (None: public).

    >>> member = Principal(user_id=2, name="bo@acme.example", account_id=7)
    >>> [permits(member, a, Target.OBJECT, 7) for a in (Action.UPDATE, Action.DELETE)]
    [True, False]
    >>> [permits(member, a, Target.OBJECT, None) for a in (Action.READ, Action.UPDATE)]
    [True, False]
    """
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


_WHO: dict[tuple[Target, Action], str] = {
    (Target.ACCOUNT, Action.READ): "its members, its consultancy's consultants, admin-readers",
    (Target.ACCOUNT, Action.UPDATE): "its members, its consultancy's consultants",
    (Target.ACCOUNT, Action.CREATE): "its account-admins, its consultancy's consultants",
    (Target.ACCOUNT, Action.DELETE): "",
    (Target.OBJECT, Action.READ): "everyone who may read its account",
    (Target.OBJECT, Action.UPDATE): "members of its account, that account's consultancy's "
    "consultants",
    (Target.OBJECT, Action.CREATE): "members of its account, that account's consultancy's "
    "consultants",
    (Target.OBJECT, Action.DELETE): "account-admins of its account, that account's "
    "consultancy's consultants",
}


def who_may(action: Action, target: Target, account_id: int | None) -> str:
    """Who the table lets do ``action`` on such a target, in words (for messages).

    >>> who_may(Action.DELETE, Target.ACCOUNT, 3)
    'admins only'
    """
    if account_id is None and target is Target.OBJECT:
        return "everyone" if action is Action.READ else "admins only (it is public)"
    who = _WHO[target, action]
    return f"{who} and admins" if who else "admins only"


def check(p: Principal, action: Action, target: Target, account_id: int | None, what: str) -> None:
    """Raise :class:`AccessDenied` unless ``p`` may do ``action`` on ``what``."""
    if not permits(p, action, target, account_id):
        raise AccessDenied(
            f"{p.name} may not {action.value} {what}; allowed: "
            f"{who_may(action, target, account_id)}"
        )


def check_user_management(
    p: Principal,
    account_id: int,
    account: str,
    user_roles: frozenset[Role] = frozenset(),
    user: str = "",
) -> None:
    """Raise unless ``p`` may manage users of the account (add, delete, roles, secrets).

    Managing an account's users counts as creating children of the account. A user holding
    ``admin`` or ``admin-reader`` is managed by admins only, so nobody else can reset an
    admin's secret or delete them.
    """
    if not permits(p, Action.CREATE, Target.ACCOUNT, account_id):
        raise AccessDenied(
            f"{p.name} may not manage the users of account {account!r}; allowed: its "
            "account-admins, its consultancy's consultants and admins"
        )
    held = sorted(r.value for r in user_roles & STORE_ROLES)
    if held and not p.is_admin:
        raise AccessDenied(
            f"{p.name} may not manage user {user!r}, who holds {', '.join(held)}; allowed: "
            "admins only"
        )


def check_role_change(
    p: Principal,
    account_id: int,
    account: str,
    user: str,
    old: frozenset[Role],
    new: frozenset[Role],
) -> None:
    """Raise unless ``p`` may change a user's roles from ``old`` to ``new``.

    ``account-admin`` and ``consultant`` are granted and revoked by whoever manages the
    account's users (its account-admins, its consultancy's consultants, admins); ``admin`` and
    ``admin-reader`` by admins only.

    >>> boss = Principal(user_id=1, name="al@acme.example", account_id=7,
    ...                  roles=frozenset({Role.ACCOUNT_ADMIN}))
    >>> check_role_change(boss, 7, "Acme", "bo@acme.example", frozenset(),
    ...                   frozenset({Role.CONSULTANT}))
    >>> check_role_change(boss, 7, "Acme", "bo@acme.example", frozenset(),
    ...                   frozenset({Role.ADMIN_READER}))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    workbench.errors.AccessDenied: al@acme.example may not grant admin-reader to ...
    """
    check_user_management(p, account_id, account, old, user)
    granted = sorted(r.value for r in (new - old) & STORE_ROLES)
    revoked = sorted(r.value for r in (old - new) & STORE_ROLES)
    if (granted or revoked) and not p.is_admin:
        verb, roles = ("grant", granted) if granted else ("revoke", revoked)
        raise AccessDenied(
            f"{p.name} may not {verb} {', '.join(roles)} {'to' if granted else 'of'} {user!r}; "
            "only admins grant admin and admin-reader"
        )


def check_account_creation(
    p: Principal, name: str, consultancy_id: int | None, consultancy: str | None
) -> None:
    """Raise unless ``p`` may create an account (with ``consultancy`` as its consultancy).

    Admins create any account; the consultants of a consultancy create its client accounts.
    """
    if p.is_admin:
        return
    if consultancy_id is not None and p.is_consultant and p.account_id == consultancy_id:
        return
    client = f" as a client of {consultancy!r}" if consultancy is not None else ""
    raise AccessDenied(
        f"{p.name} may not create account {name!r}{client}; allowed: admins, and the consultants "
        "of a consultancy for client accounts of that consultancy"
    )
