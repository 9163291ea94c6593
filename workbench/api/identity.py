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


def init_store(url: str | None = None, *, admin: str, secret: str,
               account: str = "Operators", **engine_options: object) -> Workspace:
    """Create a store's tables and its first admin user, and open it as that user.

    Refused when the store already has users: the first admin is made once.
    """
    from workbench.api.workspace import Workspace
    from workbench.store import create_store_engine, ensure_schema
    from workbench.access import LOCAL_ADMIN

    engine = create_store_engine(url, **engine_options)
    ensure_schema(engine)
    ws = Workspace(engine, LOCAL_ADMIN)
    with ws._tx() as s:
        if s.scalars(select(User.id)).first() is not None:
            raise AccessDenied(
                "the store already has users; connect as one of its admins instead")
        acct = Account(name=account)
        s.add(acct)
        s.flush()
        user = User(account_id=acct.id, email=admin, secret_hash=hash_secret(secret),
                    roles=["admin"])
        s.add(user)
        s.flush()
        ws.principal = principal_of(ws, user)
    return ws
