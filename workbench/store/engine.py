"""Engines for the two backends: the embedded SQLite file and a shared PostgreSQL server."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import URL

from workbench.errors import StoreError
from workbench.store.schema import Base

__all__ = ["DEFAULT_URL", "create_store_engine", "ensure_schema", "redact_url"]

DEFAULT_URL = "sqlite:///workbench.db"


def redact_url(url: str | URL) -> str:
    """The URL as text with any password replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: show nothing of it
        return "<unparsable URL>"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_store_engine(url: str | URL | None = None, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` (default: ``WORKBENCH_URL`` or ``./workbench.db``)."""
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
    options: dict[str, Any] = {"pool_pre_ping": True}
    options.update(kwargs)
    engine = create_engine(parsed, **options)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def ensure_schema(engine: Engine) -> None:
    """Create the tables that are missing (the embedded store sets itself up)."""
    Base.metadata.create_all(engine)
