"""Engines for the two backends: the embedded SQLite file and a shared PostgreSQL server."""

from __future__ import annotations

import os
import sqlite3
import time
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from workbench.errors import StoreError
from workbench.store.migrate import ensure_current
from workbench.store.timeouts import set_session_limit
from workbench.store.urls import redact_url

__all__ = [
    "DEFAULT_URL",
    "create_store_engine",
    "ensure_schema",
    "open_schema",
    "redact_url",
    "url_kind",
]

DEFAULT_URL = "sqlite:///workbench.db"


#: How long a SQLite connection waits for another process's lock before giving up (seconds).
SQLITE_BUSY_SECONDS = 30.0


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # The wait comes first, so that every later statement waits for other processes' locks.
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        _wal(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _wal(cursor: Any) -> None:
    """Put the file in write-ahead-log mode (it stays so), waiting for other processes' locks.

    SQLite does not call its busy handler while it changes the journal mode: a new file opened by
    several processes at once answers "database is locked" to all but one of them at once. The
    mode is kept in the file, so only its first connections ever get here; they retry.
    """
    if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() in ("wal", "memory"):
        return
    deadline, pause = time.monotonic() + SQLITE_BUSY_SECONDS, 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL").fetchall()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


def create_store_engine(url: str | URL | None = None, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` (default: ``WORKBENCH_URL`` or ``./workbench.db``).

    Pooled connections are not pinged before each use (a round trip per call): a workspace
    opening a call on a connection the server dropped replaces the pool's connections and opens
    the call again (:class:`~workbench.api.context.Context`). Statement parameters are kept out
    of logs and error messages (``hide_parameters``): they include secrets' hashes.
    """
    text = url or os.environ.get("WORKBENCH_URL") or DEFAULT_URL
    try:
        parsed = make_url(text)
    except Exception:
        raise StoreError(
            f"store URL {redact_url(text)!r} is not understood; use 'sqlite:///file.db' or "
            "'postgresql+psycopg://host/dbname'"
        ) from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(
            f"store URL {redact_url(parsed)!r}: backend {parsed.get_backend_name()!r} is not "
            "supported; use sqlite or postgresql"
        )
    options: dict[str, Any] = {"pool_pre_ping": False, "hide_parameters": True}
    options.update(kwargs)
    engine = create_engine(parsed, **options)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        event.listen(engine, "connect", _postgres_settings)
    return engine


def _postgres_settings(dbapi_connection: Any, record: Any) -> None:
    """Open a PostgreSQL connection with the default statement limit and without JIT.

    PostgreSQL compiles a query whose estimated cost passes ``jit_above_cost`` to machine code
    first. The store's belief reads over many (event, belief) pairs are estimated costly and
    run in milliseconds, so compiling them (seconds) would cost far more than it saves.
    """
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    dbapi_connection.commit()  # a setting made in a rolled-back transaction would be undone
    set_session_limit(dbapi_connection, record)


def ensure_schema(engine: Engine) -> None:
    """Make sure the store is at the newest revision of the schema.

    The embedded SQLite store creates or upgrades itself; an empty PostgreSQL store is created; a
    PostgreSQL store at an older revision raises :class:`StoreError` asking for
    ``workbench db upgrade``. Cheap when the store is up to date (no alembic import).
    See :mod:`workbench.store.migrate`.
    """
    ensure_current(engine)


def open_schema(engine: Engine) -> None:
    """:func:`ensure_schema`, with a store that cannot be reached or read reported as
    :class:`~workbench.errors.StoreError` naming the store (its password left out)."""
    try:
        ensure_schema(engine)
    except DBAPIError as exc:
        raise StoreError(f"cannot open the store at {redact_url(engine.url)}: {exc.orig}") from None


def url_kind(url: str) -> str:
    """``"memory"`` (an in-memory SQLite store: one connection, not pooled), ``"sqlite"``,
    or ``"server"``; a URL that does not parse is left for the engine to explain.

    >>> url_kind("sqlite://"), url_kind("sqlite:///a.db"), url_kind("postgresql+psycopg://db/x")
    ('memory', 'sqlite', 'server')
    """
    try:
        parsed = make_url(url)
    except Exception:
        return "server"
    if parsed.get_backend_name() != "sqlite":
        return "server"
    memory = (parsed.database or "") in ("", ":memory:") or "mode=memory" in str(parsed)
    return "memory" if memory else "sqlite"
