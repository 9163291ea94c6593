"""Fixtures of the interop tests. They run in ``.venv-interop`` (pandas 2, timely-beliefs 4.4.1,
FlexMeasures 1.0.1), which ``scripts/interop_env.sh`` builds; it also builds the FlexMeasures
database named by ``WORKBENCH_TEST_FLEXMEASURES`` with FlexMeasures' own commands."""

from __future__ import annotations

import importlib.util
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import workbench as wb

PG_URL = os.environ.get(
    "WORKBENCH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ADMIN, SECRET = "admin@operators.example", "correct horse battery staple"


def needed(module: str) -> None:
    """Skip without ``module`` (the main venv has none of them); under CI=true fail."""
    if importlib.util.find_spec(module) is not None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{module} is not installed: the interop tests run in .venv-interop")
    pytest.skip(f"{module} is not installed: the interop tests run in .venv-interop")


@pytest.fixture(scope="session")
def fm_url() -> str:
    """The FlexMeasures database that scripts/interop_env.sh built (as ``postgresql://...``)."""
    needed("flexmeasures")
    url = os.environ.get("WORKBENCH_TEST_FLEXMEASURES")
    if not url:
        pytest.skip("WORKBENCH_TEST_FLEXMEASURES is not set: run scripts/interop_env.sh")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def ws(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[wb.Workspace]:
    """An empty store on SQLite and on PostgreSQL (a schema of its own, dropped afterwards)."""
    if request.param == "sqlite":
        workspace = wb.connect(f"sqlite:///{tmp_path}/workbench.db")
        yield workspace
        workspace.engine.dispose()
        return
    schema = f"wb_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        workspace = wb.init_store(
            url.render_as_string(hide_password=False), admin=ADMIN, secret=SECRET
        )
        yield workspace
        workspace.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
