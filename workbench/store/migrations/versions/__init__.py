"""Revisions of the store's schema, oldest first: ``NNNN_what.py``, revision id ``NNNN``.

A new revision is written by hand (alembic's autogenerate gives a first draft, see
:func:`workbench.store.migrate.draft_revision`); the models in ``workbench/store/schema.py`` and
``timeseries.py`` must match the newest one (``tests/test_migrations.py`` compares them).
"""
