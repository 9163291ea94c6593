"""The alembic environment: migrations run on the connection :mod:`workbench.store.migrate` hands in.

There is no ``alembic.ini``: ``migrate.config()`` builds the configuration and puts an open
connection, already inside the transaction (and lock) of the upgrade, in
``config.attributes["connection"]``. SQLite runs in batch mode, since it alters tables by copying
them.
"""

from __future__ import annotations

from alembic import context

from workbench.store import timeseries as _timeseries  # noqa: F401  (registers the tables)
from workbench.store.schema import Base


def _run() -> None:
    if context.is_offline_mode():
        raise RuntimeError(
            "the workbench migrations run against a live store only; offline (--sql) mode is "
            "not supported"
        )
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "no connection: run the migrations with workbench.store.migrate.upgrade(engine) "
            "or `workbench db upgrade`"
        )
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


_run()
