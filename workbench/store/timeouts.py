"""The time limit of a transaction: a statement the store runs too long is stopped, clearly.

A workspace opens each call's transaction inside :func:`limit_statements`: searches and
calculations started in it get the workspace's limit (:func:`workbench.limits.time_limit`),
and on PostgreSQL the server cancels any statement of the transaction that runs longer (waiting
for a lock included), so no call holds the shared server longer than the limit. Each connection
opens with the default limit as its ``statement_timeout`` (:func:`set_session_limit`); a call
with another limit sets its own (``SET LOCAL``). The cancelled statement comes back as
:class:`~workbench.errors.QueryTimeout` rather than a driver error. SQLite is the embedded,
single-user store: its statements run to the end.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from workbench.errors import QueryTimeout
from workbench.limits import current_limit, stopped, time_limit

__all__ = [
    "limit_statements",
    "set_session_limit",
    "set_statement_limit",
    "statement_timeout",
]

_QUERY_CANCELED = "57014"
"""PostgreSQL's SQLSTATE of a statement cancelled (by its timeout, or on request)."""


@contextmanager
def limit_statements(session: Session, seconds: float | None) -> Iterator[float]:
    """Give the transaction open on ``session`` the time limit ``seconds`` (None:
    ``WORKBENCH_QUERY_SECONDS`` or 30 s); yields the limit.

    On PostgreSQL a limit other than the connection's own (:func:`set_session_limit`) costs one
    statement, ``SET LOCAL``, which ends with the transaction.
    A statement stopped by the limit raises :class:`~workbench.errors.QueryTimeout`.
    """
    with time_limit(seconds) as limit:
        if session.get_bind().dialect.name == "postgresql":
            set_statement_limit(session.connection(), limit)
        try:
            yield limit
        except Exception as exc:
            timeout = statement_timeout(exc)
            if timeout is None:
                raise
            raise timeout from exc


def set_statement_limit(connection: Connection, seconds: float, *, autocommit: bool = False) -> None:
    """Give a PostgreSQL connection the limit ``seconds``, unless it has it already.

    In a transaction the limit is ``SET LOCAL`` (it ends with the transaction); on a
    connection in autocommit mode it becomes the connection's own (``SET``), as
    :func:`set_session_limit` made it, so that later calls with this limit need nothing.
    """
    milliseconds = _milliseconds(seconds)
    if connection.info.get(_SESSION_LIMIT) == milliseconds:
        return  # in force already
    if autocommit:
        connection.exec_driver_sql(f"SET statement_timeout = {milliseconds}")
        connection.info[_SESSION_LIMIT] = milliseconds
    else:
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {milliseconds}")


_SESSION_LIMIT = "workbench_statement_timeout_ms"
"""Where a connection's record keeps the ``statement_timeout`` it was opened with."""


def _milliseconds(seconds: float) -> int:
    return max(math.ceil(seconds * 1000), 1)


def set_session_limit(dbapi_connection: Any, record: Any) -> None:
    """Open a PostgreSQL connection with the default limit as its ``statement_timeout``.

    A listener of the engine's ``connect`` event: calls whose limit is the default then need no
    ``SET LOCAL`` of their own (one round trip fewer per call); the others still set theirs.
    """
    milliseconds = _milliseconds(current_limit())
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = {milliseconds}")
    dbapi_connection.commit()  # a setting made in a rolled-back transaction would be undone
    record.info[_SESSION_LIMIT] = milliseconds


def statement_timeout(exc: BaseException) -> QueryTimeout | None:
    """The :class:`~workbench.errors.QueryTimeout` to raise for ``exc`` if it is a statement
    that PostgreSQL stopped at its ``statement_timeout`` (else None); the message names no SQL.
    """
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if getattr(orig, "sqlstate", None) != _QUERY_CANCELED or "timeout" not in str(orig):
        return None  # another error, or a statement cancelled on purpose
    return stopped("a query of the store", current_limit())
