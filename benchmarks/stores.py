"""Throw-away stores for the benchmarks: a temporary SQLite file, or a PostgreSQL schema of its
own that is dropped afterwards.

Importing it needs SQLAlchemy only (not the workbench): timely-beliefs' side of
``bench_store_vs_tb.py`` uses :func:`schema_url` in an environment of its own.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    import workbench as wb

__all__ = ["postgres_store", "schema_url", "sqlite_store"]


@contextmanager
def sqlite_store() -> Iterator[wb.Workspace]:
    import workbench as wb

    with tempfile.TemporaryDirectory() as tmp:
        ws = wb.connect(f"sqlite:///{os.path.join(tmp, 'bench.db')}")
        yield ws
        ws.engine.dispose()


@contextmanager
def schema_url(url: str) -> Iterator[str]:
    """A URL whose connections work in a fresh schema, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    scoped = sa.make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def postgres_store(url: str) -> Iterator[wb.Workspace]:
    """A workspace on a schema of its own, dropped afterwards."""
    import workbench as wb

    with schema_url(url) as scoped:
        ws = wb.init_store(scoped, admin="bench@operators.example", secret="benchmark only")
        yield ws
        ws.engine.dispose()
