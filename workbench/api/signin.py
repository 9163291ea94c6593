"""Throttling sign-ins: growing waits after failures, then a lockout only an admin lifts.

Failures are counted per user name and per client address, in the store (so every process
serving it counts alike), whether the user exists or not. From the third failure in a row a
name must wait before its next attempt (1 s, then 2, 4, ... s); at the tenth it is locked: no
secret, not even the right one, signs it in until an admin unlocks it
(:meth:`~workbench.api.workspace.Workspace.unlock_user`). An address waits from its tenth
failure and is locked at its fiftieth (:meth:`~workbench.api.workspace.Workspace.unlock_address`).
Attempts that come too early are refused at once, without checking the secret and without
counting, so a server never sleeps on them. Failures are forgotten a day after the last one,
unless locked.

The messages are the same for a user that exists and one that does not, and never tell a
locked name from a wrong secret beyond :data:`LOCKED`.

>>> USER_RULE.wait(2), USER_RULE.wait(3), USER_RULE.wait(5), USER_RULE.lock_after
(0.0, 1.0, 4.0, 10)
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from workbench.errors import AccessDenied, InvalidValue

if TYPE_CHECKING:
    from collections.abc import Mapping

    from workbench.store.schema import SignInThrottleRow

__all__ = [
    "ADDRESS_RULE",
    "FORGET_AFTER",
    "LOCKED",
    "USER_RULE",
    "ThrottleRule",
    "TooManyFailures",
    "address_key",
    "record_failures",
    "refusal",
    "user_key",
]

#: What a locked name or address is told, whatever secret it gives.
LOCKED = "too many failed sign-ins, try again later or ask an admin"
#: Failures older than this (and not locked) no longer count.
FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ThrottleRule:
    """How failures in a row slow down, then lock, the next attempts.

    After ``delay_from`` failures the next attempt waits ``first_wait`` seconds, doubling with
    every further failure up to ``max_wait``; ``lock_after`` failures lock.
    """

    delay_from: int
    lock_after: int
    first_wait: float = 1.0
    max_wait: float = 300.0

    def __post_init__(self) -> None:
        if not 1 <= self.delay_from <= self.lock_after:
            raise InvalidValue(
                f"a throttle needs 1 <= delay_from <= lock_after, got {self.delay_from} and "
                f"{self.lock_after}"
            )

    def wait(self, failures: int) -> float:
        """Seconds to wait after the last of ``failures`` failures (0: none)."""
        if failures < self.delay_from:
            return 0.0
        return min(self.max_wait, self.first_wait * 2.0 ** (failures - self.delay_from))


USER_RULE = ThrottleRule(delay_from=3, lock_after=10)
ADDRESS_RULE = ThrottleRule(delay_from=10, lock_after=50)


def _rule(kind: str) -> ThrottleRule:
    return ADDRESS_RULE if kind == "address" else USER_RULE


class TooManyFailures(AccessDenied):
    """A sign-in refused before its secret was checked, after too many failures.

    ``retry_after`` is how many seconds to wait, or None while locked (an admin unlocks).
    """

    def __init__(self, retry_after: float | None) -> None:
        self.retry_after = retry_after
        if retry_after is None:
            super().__init__(LOCKED)
        else:
            super().__init__(f"too many failed sign-ins; try again in {math.ceil(retry_after)} s")


def _now() -> datetime:
    return datetime.now(UTC)


def _digest(kind: str, text: str) -> str:
    return hashlib.sha256(f"{kind}:{text}".encode()).hexdigest()


def user_key(email: object) -> str:
    """The throttle key of a user name (upper and lower case count as one).

    >>> user_key("Ana@Acme.example") == user_key("ana@acme.example")
    True
    """
    if not isinstance(email, str):
        raise InvalidValue(
            f"a user is named by an e-mail address (a string), got a {type(email).__name__}"
        )
    return _digest("user", email.strip().casefold())


def address_key(address: object) -> str:
    """The throttle key of a client's IP address; IPv6 addresses count by their /64 network.

    >>> address_key("2001:db8::1") == address_key("2001:db8::2")
    True
    """
    if not isinstance(address, str):
        raise InvalidValue(
            f"a client address must be a string such as '203.0.113.7', got a "
            f"{type(address).__name__}"
        )
    try:
        ip = ipaddress.ip_address(address.strip().split("%", 1)[0])  # no IPv6 zone
    except ValueError:
        raise InvalidValue(
            f"client address {address[:60]!r} is not an IP address; give one such as "
            "'203.0.113.7' or '2001:db8::1'"
        ) from None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if isinstance(ip, ipaddress.IPv6Address):  # one holder gets a whole /64
        return _digest("address", str(ipaddress.ip_network(f"{ip}/64", strict=False)))
    return _digest("address", str(ip))


def refusal(rows: Mapping[str, SignInThrottleRow], now: datetime) -> TooManyFailures | None:
    """Why an attempt with these throttle rows is refused before its secret is checked."""
    waits: list[float] = []
    for row in rows.values():
        if row.locked_at is not None:
            return TooManyFailures(None)
        if row.last_failure is None or row.last_failure < now - FORGET_AFTER:
            continue
        left = _rule(row.kind).wait(row.failures) - (now - row.last_failure).total_seconds()
        if left > 0:
            waits.append(left)
    return TooManyFailures(max(waits)) if waits else None


def record_failures(rows: Mapping[str, SignInThrottleRow], now: datetime) -> None:
    """Count a failed attempt on each row; lock those that reach their rule's lockout."""
    for row in rows.values():
        stale = row.last_failure is None or row.last_failure < now - FORGET_AFTER
        row.failures = 1 if stale else row.failures + 1
        row.last_failure = now
        if row.failures >= _rule(row.kind).lock_after:
            row.locked_at = now
