"""The store's alembic environment: ``env.py``, the revision template and ``versions/``.

Nothing here is meant to be imported; :mod:`workbench.store.migrate` runs it.
"""
