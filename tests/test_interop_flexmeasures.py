"""Importing a FlexMeasures database: a small one built here in FlexMeasures 1.0's table shapes
(``flexmeasures/data/models/{user,generic_assets,time_series,data_sources}.py``) on PostgreSQL,
into stores on SQLite and PostgreSQL. Belief times follow timely-beliefs'
``sensors/func_store/knowledge_horizons.py``; real FlexMeasures is compared in tests/interop/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import workbench as wb
from tests.conftest import postgres_schema
from workbench.errors import InvalidValue
from workbench.interop.flexmeasures import import_flexmeasures
from workbench.interop.fm_timing import fm_rule
from workbench.store import flexmeasures_source as fm

AMS = "Europe/Amsterdam"


def _fill(engine: sa.Engine) -> None:
    fm.FM_METADATA.create_all(engine)
    t = fm.FM_METADATA.tables
    with engine.begin() as conn:
        conn.execute(t["alembic_version"].insert(), [{"version_num": "3bc1e29ca1f4"}])
        conn.execute(
            t["account"].insert(),
            [
                {"id": 1, "name": "Seita", "consultancy_account_id": None, "attributes": {}},
                {"id": 2, "name": "Toy.Account", "consultancy_account_id": 1, "attributes": {}},
            ],
        )
        conn.execute(
            t["role"].insert(), [{"id": 1, "name": "admin"}, {"id": 2, "name": "account-admin"}]
        )
        conn.execute(
            t["fm_user"].insert(),
            [
                {
                    "id": 5,
                    "email": "toy@seita.example",
                    "username": "toy",
                    "active": True,
                    "account_id": 2,
                },
            ],
        )
        conn.execute(t["roles_users"].insert(), [{"id": 1, "user_id": 5, "role_id": 2}])
        conn.execute(
            t["generic_asset_type"].insert(),
            [
                {"id": 1, "name": "building", "description": "a building"},
                {"id": 2, "name": "battery", "description": None},
                {"id": 3, "name": "transmission zone", "description": None},
            ],
        )
        conn.execute(
            t["generic_asset"].insert(),
            [
                {
                    "id": 1,
                    "name": "toy-building",
                    "account_id": 2,
                    "parent_asset_id": None,
                    "generic_asset_type_id": 1,
                    "attributes": {},
                    "latitude": 52.3,
                    "longitude": 4.9,
                    "flex_context": {"site-power-capacity": "500 kVA"},
                    "flex_model": {},
                },
                {
                    "id": 2,
                    "name": "toy/battery",
                    "account_id": 2,
                    "latitude": None,
                    "longitude": None,
                    "parent_asset_id": 1,
                    "generic_asset_type_id": 2,
                    "attributes": {"capacity_in_mw": 0.5, "max_soc_in_mwh": 1, "nested": {"a": 1}},
                    "flex_context": {},
                    "flex_model": {},
                },
                {
                    "id": 3,
                    "name": "NL transmission zone",
                    "account_id": None,
                    "latitude": None,
                    "longitude": None,
                    "parent_asset_id": None,
                    "generic_asset_type_id": 3,
                    "attributes": {},
                    "flex_context": {},
                    "flex_model": {},
                },
            ],
        )
        conn.execute(
            t["sensor"].insert(),
            [
                {
                    "id": 1,
                    "name": "discharging",
                    "unit": "MW",
                    "timezone": AMS,
                    "event_resolution": timedelta(minutes=15),
                    "knowledge_horizon_fnc": "ex_post",
                    "knowledge_horizon_par": {"ex_post_horizon": "PT0H"},
                    "attributes": {"a": 1},
                    "generic_asset_id": 2,
                },
                {
                    "id": 2,
                    "name": "day-ahead prices",
                    "unit": "EUR/MWh",
                    "timezone": AMS,
                    "event_resolution": timedelta(hours=1),
                    "knowledge_horizon_fnc": "x_days_ago_at_y_oclock",
                    "knowledge_horizon_par": {"x": 1, "y": 12, "z": AMS},
                    "attributes": {},
                    "generic_asset_id": 3,
                },
                {
                    "id": 3,
                    "name": "daily energy",
                    "unit": "MWh",
                    "timezone": AMS,
                    "event_resolution": timedelta(days=1),
                    "knowledge_horizon_fnc": "ex_post",
                    "knowledge_horizon_par": {"ex_post_horizon": "PT0H"},
                    "attributes": {},
                    "generic_asset_id": 1,
                },
            ],
        )
        conn.execute(
            t["data_source"].insert(),
            [
                {
                    "id": 1,
                    "name": "toy",
                    "type": "user",
                    "user_id": 5,
                    "account_id": 2,
                    "model": None,
                    "version": None,
                    "attributes": {},
                },
                {
                    "id": 2,
                    "name": "Seita",
                    "type": "demo script",
                    "model": "m",
                    "version": "1",
                    "user_id": None,
                    "account_id": None,
                    "attributes": {},
                },
            ],
        )
    _beliefs(engine, 0)


def _beliefs(engine: sa.Engine, offset: int) -> None:
    """Beliefs around the spring clock change of 2025 (30 March in Amsterdam)."""
    starts = pd.date_range("2025-03-29T22:00Z", periods=8, freq="1h")
    rows = []
    for i, start in enumerate(starts):
        rows.append(
            {
                "event_start": start,
                "belief_horizon": timedelta(hours=-offset),
                "cumulative_probability": 0.5,
                "event_value": float(i + offset),
                "sensor_id": 2,
                "source_id": 2,
            }
        )
        rows.append(
            {
                "event_start": start,
                "belief_horizon": timedelta(minutes=-5 - offset),
                "cumulative_probability": 0.5,
                "event_value": i * 1.5,
                "sensor_id": 1,
                "source_id": 1,
            }
        )
    rows.append(
        {
            "event_start": datetime(2025, 3, 29, 23, tzinfo=UTC),
            "belief_horizon": timedelta(hours=2 + offset),
            "cumulative_probability": 0.5,
            "event_value": 7.0 + offset,
            "sensor_id": 3,
            "source_id": 2,
        }
    )
    with engine.begin() as conn:
        conn.execute(fm.BELIEF.insert(), rows)


@pytest.fixture
def fm_url() -> Iterator[str]:
    with postgres_schema() as url:
        engine = sa.create_engine(url)
        _fill(engine)
        engine.dispose()
        yield url.replace("postgresql+psycopg://", "postgresql://")


def test_import_maps_accounts_assets_sensors_and_belief_times(
    ws: wb.Workspace, fm_url: str
) -> None:
    summary = import_flexmeasures(ws, fm_url)
    assert summary.revision == "3bc1e29ca1f4"
    assert dict((k, n) for k, n, _ in summary.rows()) == {
        "accounts": 2,
        "users": 1,
        "asset types": 3,
        "assets": 3,
        "sensors": 3,
        "sources": 2,
        "beliefs": 17,
    }
    assert ("account", "Toy.Account", "Toy_Account") in summary.renamed
    assert ("asset", "toy/battery", "toy_battery") in summary.renamed
    accounts = {a.name: a for a in ws.accounts()}
    assert accounts["Toy_Account"].consultancy == "Seita"
    (user,) = ws.users("Toy_Account")
    assert user.email == "toy@seita.example" and [r.value for r in user.roles] == ["account-admin"]

    battery = ws.object("Model/Toy_Account/toy-building/toy_battery")
    assert battery["flexmeasures_id"] == 2 and battery["capacity_in_mw"] == 0.5
    assert battery["max_soc_in_mwh"] == 1 and battery["nested"] == '{"a": 1}'
    building = ws.object("Model/Toy_Account/toy-building")
    assert building["flex_context"] == '{"site-power-capacity": "500 kVA"}'
    assert building.type_name == "building"
    assert building.definition.description == "a building" and building.definition.namespace == ""

    prices = ws.sensor("Model/Public assets/NL transmission zone:day-ahead prices")
    assert prices.attributes["flexmeasures_id"] == 2 and prices.unit == "EUR/MWh"
    ds = prices.beliefs()
    # Known at 12:00 Amsterdam time the day before: 11:00Z for events of 30 March (the clock
    # changes that night), 12:00 local on 28 March (11:00Z) for the first event (29 March).
    times = dict(
        zip(
            pd.DatetimeIndex(ds["event_start"].values),
            pd.DatetimeIndex(ds["belief_time"].values),
            strict=True,
        )
    )
    assert times[pd.Timestamp("2025-03-29T22:00")] == pd.Timestamp("2025-03-28T11:00")
    assert times[pd.Timestamp("2025-03-29T23:00")] == pd.Timestamp("2025-03-29T11:00")
    assert times[pd.Timestamp("2025-03-30T05:00")] == pd.Timestamp("2025-03-29T11:00")

    daily = ws.sensor("Model/Toy_Account/toy-building:daily energy").beliefs()
    # ex_post of one day is 24 hours in FlexMeasures, on 30 March too (a 23-hour local day)
    assert daily["belief_time"].values[0] == np.datetime64("2025-03-30T21:00")

    power = ws.sensor("Model/Toy_Account/toy-building/toy_battery:discharging").beliefs()
    assert (
        power["belief_time"].values - power["event_start"].values == np.timedelta64(20, "m")
    ).all()
    assert set(power["source"].values.tolist()) == {"toy"}
    assert {s.name for s in ws.sources()} >= {"toy", "Seita"}
    assert ("source type", "demo script", "demo_script") in summary.renamed


def test_a_second_import_adds_nothing_and_a_third_only_what_is_new(
    ws: wb.Workspace, fm_url: str
) -> None:
    import_flexmeasures(ws, fm_url)
    again = import_flexmeasures(ws, fm_url)
    assert [(k, n) for k, n, _ in again.rows() if n] == []
    assert again.existing["beliefs"] == 17 and again.existing["sensors"] == 3
    engine = sa.create_engine(fm_url.replace("postgresql://", "postgresql+psycopg://"))
    _beliefs(engine, 1)
    engine.dispose()
    third = import_flexmeasures(ws, fm_url)
    assert third.added == {"beliefs": 17}
    assert (
        len(
            ws.sensor("Model/Public assets/NL transmission zone:day-ahead prices").beliefs()[
                "value"
            ]
        )
        == 16
    )


def test_batches_are_transactions_of_their_own(ws: wb.Workspace, fm_url: str) -> None:
    summary = import_flexmeasures(ws, fm_url, batch_size=3)
    assert summary.added["beliefs"] == 17
    prices = ws.sensor("Model/Public assets/NL transmission zone:day-ahead prices")
    assert prices.beliefs()["value"].values.tolist() == [float(i) for i in range(8)]


@pytest.mark.postgres
def test_a_database_that_is_not_flexmeasures_or_newer_is_refused(sqlite_ws: wb.Workspace) -> None:
    with postgres_schema() as url:
        fm_url = url.replace("postgresql+psycopg://", "postgresql://")
        with pytest.raises(fm.FlexMeasuresSchemaError, match="not a FlexMeasures database"):
            import_flexmeasures(sqlite_ws, fm_url)
        engine = sa.create_engine(url)
        _fill(engine)
        with engine.begin() as conn:
            conn.execute(fm.ALEMBIC.update().values(version_num="ffffffffffff"))
        engine.dispose()
        with pytest.raises(fm.FlexMeasuresSchemaError, match=r"revision \['ffffffffffff'\]"):
            import_flexmeasures(sqlite_ws, fm_url)
    assert sqlite_ws.model_definitions() == []
    with pytest.raises(InvalidValue, match="PostgreSQL"):
        import_flexmeasures(sqlite_ws, "sqlite:///fm.db")


def test_fm_rules_compute_knowledge_times_as_timely_beliefs() -> None:
    starts = pd.DatetimeIndex(["2025-03-29T23:00", "2025-10-25T22:00"]).as_unit("us")
    us = starts.asi8.astype(np.int64)
    day = fm_rule("x_days_ago_at_y_o_clock", {"x": 1, "y": 12, "z": AMS}, timedelta(hours=1))
    assert pd.to_datetime(day.knowledge_time_us(us), unit="us").tolist() == [
        pd.Timestamp("2025-03-29T11:00"),
        pd.Timestamp("2025-10-25T10:00"),
    ]
    post = fm_rule("ex_post", {"ex_post_horizon": "PT1H"}, timedelta(days=1))
    assert (post.knowledge_time_us(us) - us == 25 * 3600 * 10**6).all()
    ante = fm_rule("ex_ante", {"ex_ante_horizon": "P1D"}, timedelta(hours=1))
    assert (us - ante.knowledge_time_us(us) == 24 * 3600 * 10**6).all()
    at = fm_rule("at_date", {"knowledge_time": "2025-01-01T00:00:00+01:00"}, timedelta(0))
    assert (at.knowledge_time_us(us) == pd.Timestamp("2024-12-31T23:00").value // 1000).all()
    years = fm_rule("x_years_ago_at_date", {"x": 1, "day": 1, "month": 7, "z": AMS}, timedelta(0))
    assert (
        pd.to_datetime(years.knowledge_time_us(us), unit="us").tolist()
        == [pd.Timestamp("2024-06-30T22:00")] * 2
    )
    with pytest.raises(InvalidValue, match="not one of FlexMeasures' functions"):
        fm_rule("eval", {}, timedelta(0))


def test_the_command_line_imports_and_prints_a_summary(sqlite_url: str, fm_url: str) -> None:
    from tests.test_cli import run

    result = run("--url", sqlite_url, "import", "flexmeasures", fm_url, "--no-progress")
    assert result.exit_code == 0, result.output
    assert "FlexMeasures import" in result.output and "17 beliefs read" in result.output
    assert "renamed asset 'toy/battery' to 'toy_battery'" in result.output
    again = run("--url", sqlite_url, "import", "flexmeasures", fm_url, "--no-progress")
    assert again.exit_code == 0 and "│ beliefs     │     0 │" in again.output
    refused = run("--url", sqlite_url, "import", "flexmeasures", "sqlite:///x.db")
    assert refused.exit_code != 0 and "PostgreSQL" in refused.output


def test_to_timely_beliefs_says_what_it_needs_without_timely_beliefs(
    sqlite_ws: wb.Workspace,
) -> None:
    import importlib.util

    if importlib.util.find_spec("timely_beliefs") is not None:
        pytest.skip("timely-beliefs is installed here: tests/interop/ covers the conversion")
    md = sqlite_ws.create_model_definition("Site")
    site = sqlite_ws.create_model("S", md, md.create_object_definition("Site"))
    power = site.add_sensor("power", unit="MW", resolution="PT1H")
    power.ingest(pd.Series([1.0], index=pd.DatetimeIndex(["2025-01-01"], tz="UTC")), source="m")
    with pytest.raises(InvalidValue, match=r"needs timely-beliefs \(pip install"):
        power.beliefs().beliefs.to_timely_beliefs()


def readme_block(heading: str) -> str:
    """The python examples of a README subsection (``### heading``)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n### {heading}\n")
    end = min(i for i in (text.find("\n### ", start + 1), text.find("\n## ", start + 1)) if i > 0)
    return "\n".join(re.findall(r"```python\n(.*?)```", text[start:end], re.S))


def test_readme_flexmeasures_example_runs(fm_url: str) -> None:
    import os
    import subprocess
    import sys

    check = (
        "\nassert summary.added['beliefs'] == 17 and again.added == {}"
        "\nassert by_fm_id[2].name == 'day-ahead prices'"
    )
    done = subprocess.run(
        [sys.executable, "-c", readme_block("From a FlexMeasures database") + check],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "FLEXMEASURES_URL": fm_url},
    )
    assert done.returncode == 0, done.stderr[-2000:]
