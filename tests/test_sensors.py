"""Sensors and sources through the API: create, find, list, delete, access rules; both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import Attr, count_statements

import workbench as wb
from workbench.api.handles.sensors import (
    Sensor,
    add_sensor,
    catalog_folders,
    get_sensor,
    list_sensors,
    sensors,
)
from workbench.api.handles.sources import get_or_create_source, get_source, list_sources
from workbench.api.identity import hash_secret
from workbench.beliefs import ExAnte, ExPost, XDaysAgoAtYOClock
from workbench.store import beliefs as store
from workbench.store.schema import Account, User
from workbench.store.timeseries import BeliefRow, LatestBeliefRow, SensorRow, SourceRow

SECRET = "s3cret phrase"
HOURS = pd.date_range("2025-01-01", periods=4, freq="1h", tz="UTC")


@pytest.fixture
def plant_attributes() -> dict[str, Attr | str]:
    """The shared ``plant`` (PlantA under Model/Sys) with a Production series to point at sensors."""
    return {"Production": "timeseries"}


def count(ws: wb.Workspace, table: type) -> int:
    with ws.transaction() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


# -- creating -------------------------------------------------------------------------------


def test_add_sensor_keeps_every_field(plant: wb.Object) -> None:
    rule = XDaysAgoAtYOClock(1, 12)
    s = add_sensor(
        plant,
        "price",
        unit="EUR/MWh",
        timezone="Europe/Amsterdam",
        resolution=timedelta(hours=1),
        knowledge_time=rule,
        curve_type="step",
        catalog_path="/Markets/DayAhead/",
        attributes={"area": "NL", "n": 1},
    )
    assert s.full_name == "Model/Sys.To_Plants/PlantA:price"
    assert (s.unit, s.timezone, s.curve_type) == ("EUR/MWh", "Europe/Amsterdam", "step")
    assert s.resolution == pd.Timedelta("1h")
    assert s.knowledge_time == rule
    assert s.catalog_path == "Markets/DayAhead"
    assert s.attributes == {"area": "NL", "n": 1}
    assert s.object == plant
    again = get_sensor(plant.ws, s.id)
    assert again == s and again.knowledge_time == rule and again.resolution == pd.Timedelta("1h")


def test_defaults_and_rules_given_as_data(plant: wb.Object) -> None:
    s = add_sensor(plant, "level")
    assert (s.unit, s.timezone, s.resolution, s.curve_type) == ("", "UTC", pd.Timedelta(0), "step")
    assert s.knowledge_time == ExPost()
    t = add_sensor(
        plant,
        "t",
        unit="degC",
        resolution="15min",
        curve_type="linear",
        knowledge_time={"type": "ex_ante", "before": "PT1H"},
    )
    assert t.knowledge_time == ExAnte(before=timedelta(hours=1))
    assert add_sensor(plant, "pct", unit="%").unit == "%"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"unit": "megabananas"}, "unit 'megabananas' is not understood"),
        ({"unit": 5}, "unit must be a string"),
        ({"timezone": "Mars/Olympus"}, "timezone 'Mars/Olympus' is unknown"),
        ({"timezone": ""}, "IANA name"),
        ({"resolution": "-15min"}, "resolution must not be negative"),
        ({"resolution": "often"}, "'often' is not a duration"),
        ({"knowledge_time": {"type": "whenever"}}, "'whenever' is unknown"),
        ({"curve_type": "spline"}, "curve_type must be 'step' or 'linear', got 'spline'"),
        ({"catalog_path": "a//b"}, "catalog_path 'a//b'"),
        ({"attributes": {"x": object()}}, "attributes must be JSON"),
        ({"attributes": {1: "x"}}, "text keys"),
    ],
)
def test_bad_fields_are_refused_and_nothing_is_created(
    plant: wb.Object, options: dict[str, object], message: str
) -> None:
    with pytest.raises(wb.InvalidValue, match=message.replace("(", r"\(")):
        add_sensor(plant, "p", **options)  # type: ignore[arg-type]
    assert count(plant.ws, SensorRow) == 0


@pytest.mark.parametrize(("name", "message"), [("", "non-empty"), ("a/b", "'/'"), (" p", "white")])
def test_bad_names_are_refused(plant: wb.Object, name: str, message: str) -> None:
    with pytest.raises(wb.InvalidValue, match=message):
        add_sensor(plant, name)
    assert count(plant.ws, SensorRow) == 0


def test_names_are_unique_per_object(plant: wb.Object) -> None:
    add_sensor(plant, "power", unit="MW")
    with pytest.raises(wb.InvalidValue, match="already has a sensor named 'power'"):
        add_sensor(plant, "power", unit="kW")
    assert count(plant.ws, SensorRow) == 1
    other = plant.parent.add_child("To_Plants", "PlantB", plant.definition)  # type: ignore[union-attr]
    assert add_sensor(other, "power").full_name.endswith("PlantB:power")


# -- finding and listing --------------------------------------------------------------------


def test_get_sensor_by_id_and_by_path(plant: wb.Object) -> None:
    ws = plant.ws
    s = add_sensor(plant, "power", unit="MW")
    assert get_sensor(ws, "Model/Sys/PlantA:power") == s
    assert get_sensor(ws, "Model/Sys.To_Plants/PlantA:power") == s
    with pytest.raises(wb.NotFound, match="has the sensors: \\['power'\\]"):
        get_sensor(ws, "Model/Sys/PlantA:energy")
    with pytest.raises(wb.NotFound, match="object"):
        get_sensor(ws, "Model/Sys/Nowhere:power")
    with pytest.raises(wb.NotFound, match="sensor not found: 999"):
        get_sensor(ws, 999)
    with pytest.raises(wb.InvalidValue, match="'power'"):
        get_sensor(ws, "power")


def test_a_read_names_its_sensor_and_its_sources_in_as_few_statements_as_it_can(
    plant: wb.Object,
) -> None:
    ws = plant.ws
    s = add_sensor(plant, "power", unit="MW")
    s.ingest(pd.Series([1.0, 2.0, 3.0, 4.0], index=HOURS), source="meter", source_type="meter")
    with count_statements(ws.engine) as first:
        assert set(s.beliefs(HOURS[0], HOURS[-1])["source"].values) == {"meter"}
    with count_statements(ws.engine) as again:
        ds = s.beliefs(HOURS[0], HOURS[-1])
    assert ds.attrs["sensor"] == "Model/Sys.To_Plants/PlantA:power"
    # the sensor, its account and its object's full name: one statement
    assert len([t for t in first if "sensors" in t]) == 1, first
    # a source's identity never changes: the workspace reads it once
    assert any("FROM sources" in t for t in first), first
    assert not any("FROM sources" in t for t in again), again
    plant.rename("PlantB")
    assert s.beliefs(HOURS[0], HOURS[-1]).attrs["sensor"] == "Model/Sys.To_Plants/PlantB:power"


def test_sources_read_in_a_rolled_back_transaction_are_not_remembered(plant: wb.Object) -> None:
    ws = plant.ws
    s = add_sensor(plant, "power", unit="MW")
    with pytest.raises(RuntimeError, match="changed my mind"), ws.transaction():
        s.ingest(pd.Series([1.0], index=HOURS[:1]), source="draft", source_type="forecaster")
        assert set(s.beliefs(HOURS[0], HOURS[-1])["source"].values) == {"draft"}
        raise RuntimeError("changed my mind")
    # SQLite may give the rolled-back source's id to the next one: its name is read anew
    s.ingest(pd.Series([2.0], index=HOURS[:1]), source="final", source_type="forecaster")
    assert set(s.beliefs(HOURS[0], HOURS[-1])["source"].values) == {"final"}


def test_sensors_of_an_object_and_the_catalog(plant: wb.Object) -> None:
    ws = plant.ws
    b = add_sensor(plant, "b", catalog_path="Hydro/Plants")
    a = add_sensor(plant, "a", catalog_path="Hydro")
    c = add_sensor(plant, "c", catalog_path="Hydrology")
    d = add_sensor(plant, "d")
    assert sensors(plant) == [a, b, c, d]
    assert list_sensors(ws) == [d, a, b, c]
    assert list_sensors(ws, "Hydro") == [a, b]
    assert list_sensors(ws, "/Hydro/Plants/") == [b]
    assert list_sensors(ws, "Wind") == []
    assert catalog_folders(ws) == ["", "Hydro", "Hydro/Plants", "Hydrology"]


def test_a_timeseries_attribute_references_a_sensor(plant: wb.Object) -> None:
    s = add_sensor(plant, "power", unit="MW")
    plant["Production"] = s
    assert plant["Production"].sensor_id == s.id
    assert get_sensor(plant.ws, plant["Production"].sensor_id) == s


# -- deleting -------------------------------------------------------------------------------


def test_delete_removes_the_sensor_and_its_beliefs_only(plant: wb.Object) -> None:
    ws = plant.ws
    gone = add_sensor(plant, "gone", unit="MW")
    kept = add_sensor(plant, "kept", unit="MW")
    series = pd.Series([1.0, 2.0, 3.0, 4.0], index=HOURS)
    for s in (gone, kept):
        s.ingest(series, source="meter", belief_time="2025-01-02T00:00Z")
    assert count(ws, BeliefRow) == 8
    gone.delete()
    assert sensors(plant) == [kept]
    assert (count(ws, BeliefRow), count(ws, LatestBeliefRow)) == (4, 4)
    with pytest.raises(wb.NotFound):
        get_sensor(ws, gone.id)
    with pytest.raises(wb.NotFound):
        gone.refresh()
    fresh = add_sensor(plant, "new", unit="MW")
    assert fresh.id != gone.id  # ids are never reused, so no stray beliefs can come back
    assert fresh.beliefs().sizes["belief"] == 0


def test_beliefs_of_objects_about_to_be_deleted_can_be_removed(plant: wb.Object) -> None:
    ws = plant.ws
    add_sensor(plant, "power").ingest(
        pd.Series([1.0, 2.0, 3.0, 4.0], index=HOURS), belief_time="2025-01-02T00:00Z"
    )
    kept = add_sensor(plant.parent, "elsewhere")  # type: ignore[arg-type]
    kept.ingest(pd.Series([1.0], index=HOURS[:1]), belief_time="2025-01-02T00:00Z")
    with ws.transaction() as s:
        store.delete_object_beliefs(s, [plant.id])
    assert (count(ws, BeliefRow), count(ws, LatestBeliefRow)) == (1, 1)


# -- sources --------------------------------------------------------------------------------


def test_sources_are_found_or_created_once(ws: wb.Workspace) -> None:
    meter = get_or_create_source(ws, "meter", "meter")
    assert get_or_create_source(ws, "meter", "meter") == meter
    v2 = get_or_create_source(ws, "meter", "forecaster", model="lgbm", version="2")
    assert v2 != meter and str(v2) == "meter (forecaster, lgbm/2)"
    assert [s.id for s in list_sources(ws)] == [v2.id, meter.id]
    assert list_sources(ws, type="meter") == [meter]
    assert get_source(ws, meter.id) == meter
    assert get_source(ws, "meter", type="forecaster") == v2
    with pytest.raises(wb.InvalidValue, match="several sources are named 'meter'"):
        get_source(ws, "meter")
    with pytest.raises(wb.NotFound):
        get_source(ws, "nobody")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("",), "name must be a non-empty string"),
        (("m", "Meter Reading"), "lower-case word"),
        (("m", "meter", 3), "model must be a string"),
        (("m", "meter", "", "1" * 81), "longer than 80"),
    ],
)
def test_bad_sources_are_refused(ws: wb.Workspace, args: tuple[object, ...], message: str) -> None:
    with pytest.raises(wb.InvalidValue, match=message):
        get_or_create_source(ws, *args)  # type: ignore[arg-type]
    assert count(ws, SourceRow) == 0


def test_a_source_survives_the_deletion_of_its_user(ws: wb.Workspace) -> None:
    with ws.transaction() as s:
        account = s.scalars(sa.select(Account)).one()
        user = User(account_id=account.id, email="leaving@operators.example", roles=[])
        s.add(user)
        s.flush()
        user_id = user.id
    source = get_or_create_source(ws, "leaving", user="leaving@operators.example")
    assert (source.user_id, source.account_id) == (user_id, account.id)
    with ws.transaction() as s:
        s.execute(sa.delete(User).where(User.id == user_id))
    kept = get_source(ws, source.id)
    assert kept.name == "leaving" and kept.user_id is None and kept.account_id == account.id


# -- access ---------------------------------------------------------------------------------


@pytest.fixture
def tenants(ws: wb.Workspace, plant: wb.Object) -> Iterator[dict[str, object]]:
    """Account Acme owns a model with a sensor; users of Acme and of another account."""
    with ws.transaction() as s:
        acme, other = Account(name="Acme"), Account(name="Other")
        s.add_all([acme, other])
        s.flush()
        for email, account, roles in [
            ("ana@acme.example", acme, []),
            ("boss@acme.example", acme, ["account-admin"]),
            ("bob@other.example", other, []),
            ("audit@other.example", other, ["admin-reader"]),
        ]:
            s.add(
                User(
                    account_id=account.id, email=email, secret_hash=hash_secret(SECRET), roles=roles
                )
            )
        ids = {"acme": acme.id, "other": other.id}
    model = ws.create_model("AcmeSys", "Grid", "System", account=ids["acme"])
    owned = model.add_child("To_Plants", "P1", "Plant")
    sensor = add_sensor(owned, "power", unit="MW", catalog_path="Acme")
    public = add_sensor(plant, "public", unit="MW")
    sensor.ingest(
        pd.Series([1.0, 2.0, 3.0, 4.0], index=HOURS),
        source="meter",
        belief_time="2025-01-02T00:00Z",
    )
    users: dict[str, wb.Workspace] = {}
    for name in (
        "ana@acme.example",
        "boss@acme.example",
        "bob@other.example",
        "audit@other.example",
    ):
        users[name.split("@")[0]] = wb.connect(
            ws.engine.url.render_as_string(False), user=name, secret=SECRET
        )
    yield {"sensor": sensor, "public": public, "object": owned, **users}
    for w in users.values():
        w.engine.dispose()  # type: ignore[attr-defined]


def _as(user_ws: object, sensor: object) -> Sensor:
    """The same sensor seen through another user's workspace (a handle passed along)."""
    assert isinstance(user_ws, wb.Workspace) and isinstance(sensor, Sensor)
    return Sensor(user_ws, sensor.info)


def test_members_read_and_post(tenants: dict[str, object]) -> None:
    ana = tenants["ana"]
    assert isinstance(ana, wb.Workspace)
    mine = get_sensor(ana, tenants["sensor"].id)  # type: ignore[attr-defined]
    assert mine.beliefs().sizes["belief"] == 4
    assert (
        mine.ingest(
            pd.Series([5.0], index=HOURS[:1]), source="meter", belief_time="2025-01-03T00:00Z"
        )
        == 1
    )
    assert [s.name for s in list_sensors(ana)] == ["public", "power"]
    fresh = add_sensor(mine.object, "energy", unit="MWh")
    assert fresh.account_id == tenants["sensor"].account_id  # type: ignore[attr-defined]
    with pytest.raises(wb.AccessDenied, match="may not delete sensor"):
        fresh.delete()  # deleting takes account-admin
    get_sensor(tenants["boss"], fresh.id).delete()  # type: ignore[arg-type]


def test_another_tenant_can_neither_see_nor_read_nor_post(
    ws: wb.Workspace, tenants: dict[str, object]
) -> None:
    bob, sensor = tenants["bob"], tenants["sensor"]
    assert isinstance(bob, wb.Workspace) and isinstance(sensor, Sensor)
    with pytest.raises(wb.NotFound):
        get_sensor(bob, sensor.id)
    with pytest.raises(wb.NotFound):
        get_sensor(bob, sensor.full_name)
    assert [s.name for s in list_sensors(bob)] == ["public"]
    assert catalog_folders(bob) == [""]
    handle = _as(bob, sensor)
    with pytest.raises(wb.AccessDenied, match="bob@other.example may not read sensor"):
        handle.beliefs()
    with pytest.raises(wb.AccessDenied, match="may not create children or post data"):
        handle.ingest(
            pd.Series([9.0], index=HOURS[:1]), source="intruder", belief_time="2025-01-03T00:00Z"
        )
    with pytest.raises(wb.AccessDenied):
        handle.delete()
    with pytest.raises(wb.AccessDenied):
        add_sensor(wb.Object(bob, tenants["object"].info), "x")  # type: ignore[attr-defined]
    assert count(ws, BeliefRow) == 4 and count(ws, SensorRow) == 2
    assert "intruder" not in [s.name for s in list_sources(ws)]


def test_readers_read_but_do_not_post(ws: wb.Workspace, tenants: dict[str, object]) -> None:
    audit, sensor = tenants["audit"], tenants["sensor"]
    assert isinstance(audit, wb.Workspace) and isinstance(sensor, Sensor)
    seen = get_sensor(audit, sensor.full_name)
    assert seen.beliefs(most_recent=True)["value"].count() == 4
    with pytest.raises(wb.AccessDenied, match="audit@other.example may not create children"):
        seen.ingest(
            pd.Series([9.0], index=HOURS[:1]), source="meter", belief_time="2025-01-03T00:00Z"
        )
    assert count(ws, BeliefRow) == 4


def test_public_sensors_are_read_by_all_and_written_by_admins(
    ws: wb.Workspace, tenants: dict[str, object]
) -> None:
    ana, public = tenants["ana"], tenants["public"]
    assert isinstance(ana, wb.Workspace) and isinstance(public, Sensor)
    seen = get_sensor(ana, public.id)
    assert seen.beliefs().sizes["belief"] == 0
    with pytest.raises(wb.AccessDenied):
        seen.ingest(pd.Series([1.0], index=HOURS[:1]), belief_time="2025-01-03T00:00Z")
    with pytest.raises(wb.AccessDenied):
        add_sensor(seen.object, "mine")
    assert public.ingest(pd.Series([1.0], index=HOURS[:1]), belief_time="2025-01-03T00:00Z") == 1
    assert count(ws, BeliefRow) == 5
