"""Time limits: how long a search, a calculation or a store query may hold a server.

A search or a calculation runs under a :class:`Deadline` (:func:`deadline`): the evaluators check
it as they go (per tree level, per batch of expression nodes) and raise
:class:`~workbench.errors.QueryTimeout` once it has passed; a nested evaluation (a calculation
read by another) shares its caller's. The store stops a single statement that runs longer than
the limit (PostgreSQL's ``statement_timeout``). The limit is the evaluator's ``seconds``
keyword, else the one in force for the block (:func:`time_limit`: a workspace sets its
``query_seconds`` for each call), else ``WORKBENCH_QUERY_SECONDS``, else 30 s.

>>> with time_limit(5), deadline() as limit:
...     current_deadline() is limit, limit.seconds
(True, 5.0)
>>> current_deadline() is None
True
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Final

from workbench.errors import InvalidValue, QueryTimeout

__all__ = [
    "DEFAULT_QUERY_SECONDS",
    "QUERY_SECONDS_ENV",
    "Deadline",
    "current_deadline",
    "current_limit",
    "deadline",
    "query_seconds",
    "quoted",
    "stopped",
    "time_limit",
]

QUERY_SECONDS_ENV: Final = "WORKBENCH_QUERY_SECONDS"
"""The environment variable that sets the time limit of one call, in seconds."""

DEFAULT_QUERY_SECONDS: Final = 30.0
"""The time limit of one call when nothing else sets one (seconds)."""

_HINT: Final = (
    "narrow it (a shorter period, fewer objects, tighter criteria) or raise the limit "
    f"(the workspace's query_seconds, or {QUERY_SECONDS_ENV})"
)


def quoted(text: str, width: int = 60) -> str:
    """``text`` quoted for a message that names what was stopped: on one line, and only its
    start when it is longer than ``width``.

    >>> quoted("1 +\\n   2"), quoted("x" * 100, 10)
    ("'1 + 2'", "'xxxxxxxxxx...'")
    """
    one_line = " ".join(text.split())
    return repr(one_line if len(one_line) <= width else one_line[:width] + "...")


def query_seconds(value: object = None) -> float:
    """The time limit ``value`` checked, or ``WORKBENCH_QUERY_SECONDS``, or the default (30 s).

    Raises :class:`~workbench.errors.InvalidValue` unless it is a positive, finite number.

    >>> query_seconds(2), query_seconds(0.5)
    (2.0, 0.5)
    >>> query_seconds(0)
    Traceback (most recent call last):
    ...
    workbench.errors.InvalidValue: query_seconds must be a positive number of seconds such as 30, got 0
    """
    if value is None:
        text = os.environ.get(QUERY_SECONDS_ENV, "").strip()
        if not text:
            return DEFAULT_QUERY_SECONDS
        try:
            seconds = float(text)
        except ValueError:
            seconds = math.nan
        if not math.isfinite(seconds) or seconds <= 0:
            raise InvalidValue(
                f"{QUERY_SECONDS_ENV}={text!r} is not a time limit; set it to a positive number "
                "of seconds such as 30"
            )
        return seconds
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise InvalidValue(
            f"query_seconds must be a positive number of seconds such as 30, got {value!r}"
        )
    return float(value)


@dataclass(frozen=True)
class Deadline:
    """A moment (on :func:`time.monotonic`'s clock) after which work is stopped.

    ``seconds`` is the limit it was set with, for messages.
    """

    seconds: float
    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """The deadline ``seconds`` from now."""
        return cls(seconds, time.monotonic() + seconds)

    def remaining(self) -> float:
        """Seconds left (0 once it has passed)."""
        return max(self.at - time.monotonic(), 0.0)

    def passed(self) -> bool:
        return time.monotonic() > self.at

    def check(self, what: str) -> None:
        """Raise :class:`~workbench.errors.QueryTimeout` for ``what`` once the deadline passed."""
        if time.monotonic() > self.at:
            raise self.expired(what)

    def expired(self, what: str) -> QueryTimeout:
        """The error saying that ``what`` was stopped by this deadline."""
        return stopped(what, self.seconds)


def stopped(what: str, seconds: float) -> QueryTimeout:
    """The error saying that ``what`` was stopped at the time limit ``seconds``.

    >>> print(stopped("a query of the store", 5))  # doctest: +ELLIPSIS
    a query of the store was stopped: it ran past the time limit of 5 s; narrow it ...
    """
    return QueryTimeout(what, seconds, _HINT)


_CURRENT: ContextVar[Deadline | None] = ContextVar("workbench_deadline", default=None)
_SECONDS: ContextVar[float | None] = ContextVar("workbench_query_seconds", default=None)


def current_deadline() -> Deadline | None:
    """The deadline of the search or calculation running now, if any."""
    return _CURRENT.get()


def current_limit() -> float:
    """The time limit in force now: :func:`time_limit`'s, else :func:`query_seconds`'s."""
    seconds = _SECONDS.get()
    return query_seconds() if seconds is None else seconds


@contextmanager
def time_limit(seconds: float | None) -> Iterator[float]:
    """Give searches and calculations started in the block ``seconds`` each (checked; None:
    ``WORKBENCH_QUERY_SECONDS`` or 30 s). Yields the limit."""
    checked = query_seconds(seconds)
    token = _SECONDS.set(checked)
    try:
        yield checked
    finally:
        _SECONDS.reset(token)


@contextmanager
def deadline(seconds: float | None = None) -> Iterator[Deadline]:
    """Run the block under a deadline ``seconds`` from now.

    Without ``seconds`` the enclosing deadline applies as it is, or, if there is none, one of
    :func:`current_limit`. An enclosing deadline that comes sooner than ``seconds`` stays in
    force.
    """
    outer = _CURRENT.get()
    if seconds is None and outer is not None:
        yield outer
        return
    own = Deadline.after(current_limit() if seconds is None else query_seconds(seconds))
    chosen = own if outer is None or own.at < outer.at else outer
    token = _CURRENT.set(chosen)
    try:
        yield chosen
    finally:
        _CURRENT.reset(token)
