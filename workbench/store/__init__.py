"""The SQLAlchemy store: tables and queries for SQLite and PostgreSQL; functions never commit."""

from workbench.store import timeseries as _timeseries  # noqa: F401  (registers the tables)
from workbench.store.engine import (
    DEFAULT_URL,
    create_store_engine,
    ensure_schema,
    open_schema,
    redact_url,
    url_kind,
)
from workbench.store.schema import Base

__all__ = [
    "DEFAULT_URL",
    "Base",
    "create_store_engine",
    "ensure_schema",
    "open_schema",
    "redact_url",
    "url_kind",
]
