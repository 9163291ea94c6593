"""Throw-away stores for the benchmarks: a temporary SQLite file, or a PostgreSQL schema of its
own that is dropped afterwards."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

import workbench as wb

__all__ = ["postgres_store", "sqlite_store"]


@contextmanager
def sqlite_store() -> Iterator[wb.Workspace]:
    with tempfile.TemporaryDirectory() as tmp:
        ws = wb.connect(f"sqlite:///{os.path.join(tmp, 'bench.db')}")
        yield ws
        ws.engine.dispose()


@contextmanager
def postgres_store(url: str) -> Iterator[wb.Workspace]:
    """A workspace on a schema of its own, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    scoped = sa.make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        ws = wb.init_store(
            scoped.render_as_string(hide_password=False),
            admin="bench@operators.example",
            secret="benchmark only",
        )
        yield ws
        ws.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
