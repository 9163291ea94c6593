"""The SQLAlchemy store: tables and queries for SQLite and PostgreSQL; functions never commit."""

from workbench.store.engine import create_store_engine, ensure_schema, redact_url
from workbench.store.schema import Base

__all__ = ["Base", "create_store_engine", "ensure_schema", "redact_url"]
