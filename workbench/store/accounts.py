"""Queries of accounts and users: look-ups, lists, what an account still owns, new rows.

Plain functions of a session, never committing. Who may see or change what is decided above
(:mod:`workbench.api.services.accounts`); these functions return rows, ids and counts.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workbench.store.schema import Account, NamespaceRow, ObjectRow, User

__all__ = [
    "PrincipalRows",
    "account",
    "account_id_named",
    "account_name",
    "account_named",
    "accounts",
    "add_account",
    "add_user",
    "definitions_owned",
    "has_users",
    "models_owned",
    "principal_rows",
    "user",
    "user_id_with_email",
    "user_ids_of",
    "user_ids_with_role",
    "user_with_email",
    "users",
]

#: A user's (e-mail, account id, roles) and the ids of the accounts their account consults for.
PrincipalRows = tuple[str, int, list[str], list[int]]


# -- accounts -------------------------------------------------------------------------------


def account(s: Session, account_id: int) -> Account | None:
    """The account of ``account_id``, or None."""
    return s.get(Account, account_id)


def account_named(s: Session, name: str) -> Account | None:
    """The account called ``name``, or None."""
    return s.scalars(select(Account).where(Account.name == name)).first()


def account_id_named(s: Session, name: str) -> int | None:
    """The id of the account called ``name``, or None."""
    return s.scalar(select(Account.id).where(Account.name == name))


def account_name(s: Session, account_id: int) -> str | None:
    """The name of the account of ``account_id``, or None."""
    return s.scalar(select(Account.name).where(Account.id == account_id))


def accounts(s: Session) -> Sequence[Account]:
    """Every account, by name."""
    return s.scalars(select(Account).order_by(Account.name)).all()


def models_owned(s: Session, account_id: int) -> int:
    """How many models (root objects) the account owns."""
    query = select(func.count()).where(
        ObjectRow.account_id == account_id, ObjectRow.parent_id.is_(None)
    )
    return int(s.scalar(query) or 0)


def definitions_owned(s: Session, account_id: int) -> int:
    """How many model definitions (root namespaces) the account owns."""
    query = select(func.count()).where(
        NamespaceRow.account_id == account_id, NamespaceRow.parent_id.is_(None)
    )
    return int(s.scalar(query) or 0)


def add_account(s: Session, name: str, consultancy_id: int | None) -> Account:
    """A new account (flushed, so it has its id)."""
    row = Account(name=name, consultancy_id=consultancy_id)
    s.add(row)
    s.flush()
    return row


# -- users ----------------------------------------------------------------------------------


def user(s: Session, user_id: int) -> User | None:
    """The user of ``user_id``, or None."""
    return s.get(User, user_id)


def user_with_email(s: Session, email: str) -> User | None:
    """The user with the e-mail address ``email``, or None."""
    return s.scalars(select(User).where(User.email == email)).first()


def user_id_with_email(s: Session, email: str) -> int | None:
    """The id of the user with the e-mail address ``email``, or None."""
    return s.scalar(select(User.id).where(User.email == email))


def users(s: Session, account_id: int | None = None) -> Sequence[User]:
    """The users of one account (None: of every account), by e-mail address."""
    query = select(User).order_by(User.email)
    if account_id is not None:
        query = query.where(User.account_id == account_id)
    return s.scalars(query).all()


def user_ids_of(s: Session, account_id: int) -> list[int]:
    """The ids of the account's users."""
    return list(s.scalars(select(User.id).where(User.account_id == account_id)).all())


def user_ids_with_role(s: Session, role: str) -> list[int]:
    """The ids of the users holding ``role`` (roles are a JSON list: filtered here)."""
    return [u.id for u in s.scalars(select(User)) if role in (u.roles or ())]


def has_users(s: Session) -> bool:
    """Whether the store has any user."""
    return s.scalars(select(User.id)).first() is not None


def add_user(
    s: Session, account_id: int, email: str, secret_hash: str, roles: Sequence[str]
) -> User:
    """A new user (flushed, so it has its id); ``secret_hash`` is the secret's hash."""
    row = User(account_id=account_id, email=email, secret_hash=secret_hash, roles=list(roles))
    s.add(row)
    s.flush()
    return row


def principal_rows(s: Session, user_id: int) -> PrincipalRows | None:
    """What a principal is made of, as the store has it now; None when the user is gone.

    One query: the user joined to the accounts whose consultancy is the user's account.
    """
    rows = s.execute(
        select(User.email, User.account_id, User.roles, Account.id)
        .outerjoin(Account, Account.consultancy_id == User.account_id)
        .where(User.id == user_id)
    ).all()
    if not rows:
        return None
    email, account_id, roles, _ = rows[0]
    clients = [r[3] for r in rows if r[3] is not None]
    return email, account_id, list(roles or ()), clients
