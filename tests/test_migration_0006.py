"""Revision 0006: data sources unique per account (and among public sources), on SQLite and
PostgreSQL; the sources a store holds and the beliefs attributed to them are kept, and
downgrading brings back the store-wide rule when the sources allow it."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
import sqlalchemy as sa
import xarray as xr
from conftest import MakeModel

import workbench as wb
from workbench.api import accounts
from workbench.api.handles.sources import get_or_create_source
from workbench.errors import StoreError
from workbench.store import create_store_engine, migrate

INSERT = sa.text(
    "INSERT INTO sources (name, type, model, version, user_id, account_id) "
    "VALUES (:n, 'meter', '', '', NULL, :a)"
)
SECRET = "a long enough secret"
DAY = pd.Timestamp("2025-01-01", tz="UTC")


pytestmark = pytest.mark.usefixtures("cheap_hashes")


@pytest.fixture
def engine(store_url: str) -> Iterator[sa.Engine]:
    """A store at revision 0005 with accounts 1 and 2 and three sources named meter (type
    meter): of account 1, of account 2 under another name (m2), and of nobody (public)."""
    made = create_store_engine(store_url)
    migrate.upgrade(made, "0005")
    with made.begin() as conn:
        conn.execute(sa.text("INSERT INTO accounts (id, name) VALUES (1, 'Acme'), (2, 'Beta')"))
        for account, name in ((1, "meter"), (2, "m2"), (None, "public")):
            conn.execute(INSERT, {"a": account, "n": name})
    yield made
    made.dispose()


def _add(engine: sa.Engine, account: int | None, name: str = "meter") -> None:
    with engine.begin() as conn:
        conn.execute(INSERT, {"a": account, "n": name})


def _sources(engine: sa.Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        query = "SELECT id, name, type, model, version, user_id, account_id FROM sources"
        return [tuple(r) for r in conn.execute(sa.text(query + " ORDER BY id"))]


def _indexes(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        return {str(i["name"]) for i in sa.inspect(conn).get_indexes("sources")}


def test_0005_holds_one_identity_in_the_whole_store(engine: sa.Engine) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        _add(engine, 2)  # Beta's own meter, but Acme holds one


def test_0006_holds_one_identity_per_account_and_among_public_ones(engine: sa.Engine) -> None:
    before = _sources(engine)
    assert migrate.upgrade(engine, "0006") == "0006"
    assert _sources(engine) == before
    assert {"ix_sources_user_id", "uq_sources_account_identity"} <= _indexes(engine)
    _add(engine, 2)  # Beta's meter beside Acme's
    _add(engine, None)  # and a public one
    _add(engine, 1, "public")  # an account's may share a public source's identity
    for account, name in ((1, "meter"), (2, "meter"), (2, "m2"), (None, "meter"), (None, "public")):
        with pytest.raises(sa.exc.IntegrityError):
            _add(engine, account, name)
    assert len(_sources(engine)) == len(before) + 3


def test_downgrading_0006_brings_the_store_wide_rule_back(engine: sa.Engine) -> None:
    migrate.upgrade(engine, "0006")
    _add(engine, 2)
    with pytest.raises(StoreError, match="downgrade of the store .* failed"):
        migrate.downgrade(engine, "0005")  # two meters of different accounts
    assert migrate.current(engine) == "0006"  # nothing changed
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM sources WHERE account_id = 2 AND name = 'meter'"))
    assert migrate.downgrade(engine, "0005") == "0005"
    with pytest.raises(sa.exc.IntegrityError):
        _add(engine, 2)
    assert migrate.upgrade(engine, "0006") == "0006"  # and up again, on the restored rule
    _add(engine, 2)


def _beliefs(ws: wb.Workspace, sensor_id: int) -> xr.Dataset:
    return ws.sensor(sensor_id).beliefs(DAY, DAY + pd.Timedelta(days=1))


def test_upgrading_from_0005_keeps_sources_and_their_beliefs(
    store_url: str, make_model: MakeModel
) -> None:
    """Made at head, taken down to 0005 (where the models matched the tables but for the
    sources' keys), then up again: every source, with its user and account, and every belief
    read as before, through the account's own user."""
    ws = wb.init_store(store_url, admin="admin@operators.example", secret=SECRET)
    accounts.create_account(ws, "Acme")
    accounts.add_user(ws, "ana@acme.example", "Acme", SECRET, [])
    model = make_model(ws, "M", types={"Plant": {}}, account="Acme").model
    sensor = model.add_sensor("power", unit="MW")
    forecaster = get_or_create_source(ws, "lgbm", "forecaster", model="lgbm", version="2")
    index = pd.date_range(DAY, periods=24, freq="1h")
    for n, source in enumerate(["meter", forecaster, None]):
        sensor.ingest(pd.Series(float(n), index=index), source=source, belief_time=DAY)
    get_or_create_source(ws, "ana", user="ana@acme.example")
    ana = wb.connect(ws.url, user="ana@acme.example", secret=SECRET)
    try:
        sources, beliefs = _sources(ws.engine), _beliefs(ana, sensor.id)
        assert len(sources) == 4 and sorted(set(beliefs["source"].values)) == [
            "admin@operators.example",
            "lgbm",
            "meter",
        ]
        assert migrate.downgrade(ws.engine, "0005") == "0005"
        assert _sources(ws.engine) == sources
        assert "uq_sources_public_identity" not in _indexes(ws.engine)
        assert migrate.upgrade(ws.engine) == migrate.HEAD
        assert _sources(ws.engine) == sources
        xr.testing.assert_identical(_beliefs(ana, sensor.id), beliefs)
        # the admin's own source is of the admin's account: its beliefs are labelled, the
        # source is not listed
        assert [s.name for s in ana.sources()] == ["ana", "lgbm", "meter"]
    finally:
        ana.engine.dispose()
        ws.engine.dispose()
