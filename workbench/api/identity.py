"""Users proving who they are: secrets kept as salted Argon2 hashes, and the principal built."""

from __future__ import annotations

from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from workbench.access import Principal, Role
from workbench.errors import AccessDenied
from workbench.store.schema import Account, User

if TYPE_CHECKING:
    from workbench.api.workspace import Workspace

__all__ = ["authenticate", "hash_secret", "principal_of"]

_hasher = PasswordHasher()


def hash_secret(secret: str) -> str:
    """A salted, slow hash of a secret; the secret itself is never stored."""
    return _hasher.hash(secret)


def principal_of(ws: Workspace, user: User) -> Principal:
    with ws._tx() as s:
        clients = s.scalars(select(Account.id).where(Account.consultancy_id == user.account_id))
        return Principal(
            user_id=user.id,
            name=user.email,
            account_id=user.account_id,
            roles=frozenset(Role(r) for r in user.roles or ()),
            client_account_ids=frozenset(clients),
        )


def authenticate(ws: Workspace, email: str, secret: str | None) -> Principal:
    """The principal of a user whose secret matches; AccessDenied otherwise (same message)."""
    refused = AccessDenied(f"user {email!r} is unknown or the secret does not match")
    with ws._tx() as s:
        user = s.scalars(select(User).where(User.email == email)).first()
        if user is None or not user.secret_hash or secret is None:
            raise refused
        try:
            _hasher.verify(user.secret_hash, secret)
        except (VerificationError, InvalidHashError):
            raise refused from None
        return principal_of(ws, user)
