"""Users proving who they are: secrets kept as salted Argon2 hashes, and the principal built."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from workbench.access import Principal, Role
from workbench.api import signin
from workbench.errors import AccessDenied, InvalidValue
from workbench.store import accounts as store
from workbench.store import throttle

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.api.context import Context

__all__ = [
    "MIN_SECRET_LENGTH",
    "authenticate",
    "check_secret",
    "create_first_admin",
    "hash_secret",
    "load_principal",
    "reload_principal",
]

MIN_SECRET_LENGTH = 8
_hasher = PasswordHasher()  # Argon2id with a random salt per hash (RFC 9106 parameters)


def check_secret(secret: object) -> str:
    """Return ``secret`` if it may be used; the message never repeats the secret."""
    if not isinstance(secret, str):
        raise InvalidValue(f"a secret must be a string, got a {type(secret).__name__}")
    if len(secret) < MIN_SECRET_LENGTH:
        raise InvalidValue(
            f"a secret needs at least {MIN_SECRET_LENGTH} characters; the one given has "
            f"{len(secret)}"
        )
    return secret


def hash_secret(secret: str) -> str:
    """A salted, slow hash of a secret; the secret itself is never stored.

    >>> hash_secret("correct horse battery staple").startswith("$argon2id$")
    True
    """
    return _hasher.hash(check_secret(secret))


@cache
def _decoy_hash() -> str:
    return _hasher.hash("a secret nobody has")


def load_principal(session: Session, user_id: int) -> Principal:
    """The principal of a user as the store has it now (roles and client accounts included).

    Raises AccessDenied when the user no longer exists.
    """
    found = store.principal_rows(session, user_id)
    if found is None:
        raise AccessDenied(f"user id {user_id} no longer exists; connect as another user")
    email, account_id, roles, clients = found
    return Principal(
        user_id=user_id,
        name=email,
        account_id=account_id,
        roles=frozenset(Role(r) for r in roles),
        client_account_ids=frozenset(clients),
    )


def reload_principal(session: Session, principal: Principal) -> Principal:
    """``principal`` brought up to date; the local admin (no user) stays as it is.

    The workspace calls it when a transaction starts, so a revoked role, a deleted user or a
    new client account takes effect on the next call, not on the next connect.
    """
    if principal.user_id is None:
        return principal
    return load_principal(session, principal.user_id)


def authenticate(
    ctx: Context, email: str, secret: str | None, address: str | None = None
) -> Principal:
    """The principal of a user whose secret matches; AccessDenied otherwise.

    An unknown user, a wrong secret and a missing secret get the same message, and take about
    as long (an unknown user's secret is checked against a decoy hash). Failures are counted
    per user name and per client ``address`` (when given), and too many of them refuse the
    next attempts before their secret is checked (:mod:`workbench.api.signin`); the count is
    kept although the attempt is refused, in the attempt's one transaction.
    """
    keys = {signin.user_key(email): "user"}
    if address is not None:
        keys[signin.address_key(address)] = "address"
    with ctx.tx() as s:
        outcome = _attempt(s, email, secret, keys)
    if isinstance(outcome, AccessDenied):
        raise outcome
    return outcome


def _attempt(
    s: Session, email: str, secret: str | None, keys: dict[str, str]
) -> Principal | AccessDenied:
    """One sign-in attempt: the principal, or the refusal to raise once the count is stored."""
    now = signin._now()
    rows = throttle.hold(s, keys)
    early = signin.refusal(rows, now)
    if early is not None:
        return early
    user = store.user_with_email(s, email)
    stored = user.secret_hash if user is not None and user.secret_hash else None
    try:
        _hasher.verify(stored or _decoy_hash(), secret if isinstance(secret, str) else "")
        verified = True
    except (VerificationError, InvalidHashError):
        verified = False
    if not verified or user is None or stored is None or not isinstance(secret, str):
        signin.record_failures(rows, now)
        s.flush()  # counted before old rows are forgotten
        throttle.drop_stale(s, now - signin.FORGET_AFTER)
        return AccessDenied(f"user {email!r} is unknown or the secret does not match")
    if _hasher.check_needs_rehash(stored):  # parameters were raised since it was stored
        user.secret_hash = _hasher.hash(secret)
    # A success clears the name's failures; an address's stay (another name may be guessed
    # from it), but a row made for this attempt alone is not kept.
    throttle.drop(s, [k for k, r in rows.items() if r.kind == "user" or r.failures == 0])
    return load_principal(s, user.id)


def create_first_admin(ctx: Context, account: str, admin: str, secret: str) -> Principal:
    """Make a new store's first account and admin user; refused (AccessDenied) when the store
    has users already. Returns the admin's principal."""
    hashed = hash_secret(secret)
    with ctx.tx() as s:
        if store.has_users(s):
            raise AccessDenied("the store already has users; connect as one of its admins instead")
        acct = store.add_account(s, account, None)
        user = store.add_user(s, acct.id, admin, hashed, ["admin"])
        return load_principal(s, user.id)
