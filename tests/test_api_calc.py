"""Calculations over the store: templates, local expressions, lookups, access, pins, batching.

A small hydro model: a system owns plants (each with an inflow sensor, a head, a rating curve
and an efficiency XY-set) and price areas (each with a price sensor); plants link to their
market area and to a price area through a versioned link.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import SECRET, count_statements, refused

import workbench as wb
from workbench.curves import RatingCurve, RatingCurveVersion, RatingSegment, XYCurve, XYSet
from workbench.units import parse_unit

T0 = pd.Timestamp("2025-01-01T00:00Z")
DAY = (T0, T0 + pd.Timedelta("1D"))
HOURS = pd.date_range(T0, periods=24, freq="1h")
RHO_G = 1000 * 9.81  # kg/m^3 * m/s^2
PRODUCTION = "@t('.Inflow') * @d('.Head') * 1000 [kg/m^3] * 9.81 [m/s^2]"


@dataclass
class Hydro:
    ws: wb.Workspace
    md: wb.ModelDefinition
    system: wb.Object
    plants: list[wb.Object]
    areas: list[wb.Object]
    plant_type: wb.ObjectDefinition


def inflow_of(i: int) -> np.ndarray:
    return np.arange(24.0) + 10 * i


def build(ws: wb.Workspace, plants: int = 2, name: str = "Sys", account: Any = None) -> Hydro:
    md = ws.create_model_definition(f"Hydro{name}")
    calc = md.create_template_calculation("PlantProduction", PRODUCTION)
    area = md.create_object_definition("Area")
    area.add_attribute("Price", "timeseries", unit="EUR/MWh")
    plant = md.create_object_definition("Plant")
    plant.add_attribute("Inflow", "timeseries", unit="m^3/s")
    plant.add_attribute("Head", "double", unit="m")
    plant.add_attribute("Owner", "string")
    plant.add_attribute("Production", "timeseries", unit="MW", template_calculation=calc)
    plant.add_attribute("Market", "link_one", target=area)
    plant.add_attribute("PriceArea", "versioned_link_one", target=area)
    plant.add_attribute("TailwaterCurve", "rating_curve", unit="m")
    plant.add_attribute("Efficiency", "xy_set")
    system = md.create_object_definition("System")
    system.add_attribute("To_Plants", "ownership_many", target=plant)
    system.add_attribute("To_Areas", "ownership_many", target=area)
    system.add_attribute(
        "Total", "timeseries", unit="MW", template="@SUM(@T('.To_Plants/*.Production'))"
    )
    model = ws.create_model(name, md, system, account=account)
    areas = model.add_children("To_Areas", ["NO1", "NO2"], area)
    for k, a in enumerate(areas):
        price = a.add_sensor("price", unit="EUR/MWh", resolution="1h", catalog_path="Prices")
        price.ingest(
            pd.Series(np.full(24, 100.0 * (k + 1)), index=HOURS),
            source="market",
            belief_time="2024-12-31T12:00Z",
        )
        a["Price"] = price
    names = [f"P{i}" for i in range(plants)]
    created = model.add_children("To_Plants", names, plant)
    with ws.transaction():
        for i, p in enumerate(created):
            sensor = p.add_sensor("inflow", unit="m^3/s", resolution="1h")
            sensor.ingest(
                pd.Series(inflow_of(i), index=HOURS),
                source="meter",
                belief_time="2025-01-02T00:00Z",
            )
            p["Inflow"] = sensor
            p["Head"] = 100.0 + i
    return Hydro(ws, md, model, created, areas, plant)


@pytest.fixture
def hydro(ws: wb.Workspace) -> Hydro:
    return build(ws)


def values(result: Any) -> np.ndarray:
    return np.asarray(result.values if hasattr(result, "values") else result, dtype=float)


def same_unit(text: str, expected: str) -> bool:
    return bool(parse_unit(text) == parse_unit(expected))


def production(i: int) -> np.ndarray:
    return inflow_of(i) * (100.0 + i) * RHO_G / 1e6  # MW


# -- templates, local expressions, template calculations -----------------------------------


def test_a_template_is_evaluated_for_each_object(hydro: Hydro) -> None:
    for i, plant in enumerate(hydro.plants):
        ds = plant.attribute("Production").beliefs(*DAY)
        assert list(ds["source"].values) == ["calculation"]
        assert ds["value"].attrs["units"] == "MW"
        assert (ds.attrs["origin"], ds.attrs["expression"]) == ("template", PRODUCTION)
        np.testing.assert_allclose(ds["value"].values[:, 0], production(i))
        assert ds.sizes["event_start"] == 24 and ds.attrs["sensor"].endswith(f"P{i}.Production")


def test_an_attribute_holding_a_sensor_reads_its_most_recent_beliefs(hydro: Hydro) -> None:
    ds = hydro.plants[1].attribute("Inflow").beliefs(*DAY)
    assert list(ds["source"].values) == ["meter"] and ds.attrs["origin"] == "sensor"
    np.testing.assert_allclose(ds["value"].values[:, 0], inflow_of(1))
    assert ds["value"].attrs["units"] == "m**3/s"


def test_a_local_expression_overrides_the_template_until_removed(hydro: Hydro) -> None:
    plant = hydro.plants[0]
    plant["Production"] = "@t('.Inflow') * 2 [MW*s/m^3]"
    ds = plant.attribute("Production").beliefs(*DAY)
    assert ds.attrs["origin"] == "local" and plant["Production"].source == "local"
    np.testing.assert_allclose(ds["value"].values[:, 0], inflow_of(0) * 2)
    untouched = hydro.plants[1].attribute("Production").beliefs(*DAY)
    np.testing.assert_allclose(untouched["value"].values[:, 0], production(1))
    plant["Production"] = None
    back = plant.attribute("Production").beliefs(*DAY)
    assert back.attrs["origin"] == "template"
    np.testing.assert_allclose(back["value"].values[:, 0], production(0))


def test_a_result_in_another_unit_is_converted_to_the_attributes_unit(hydro: Hydro) -> None:
    plant = hydro.plants[0]
    plant["Production"] = "@t('.Inflow') * 1 [kW*s/m^3]"
    ds = plant.attribute("Production").beliefs(*DAY)
    np.testing.assert_allclose(ds["value"].values[:, 0], inflow_of(0) / 1000)
    with pytest.raises(wb.UnitError, match=r"'m \*\* 4 / s'.*'MW'"):
        plant["Production"] = "@t('.Inflow') * 1 [m]"  # refused when saved
    assert plant["Production"].expression == "@t('.Inflow') * 1 [kW*s/m^3]"


def test_a_template_calculation_serves_several_attribute_definitions(hydro: Hydro) -> None:
    calc = hydro.md.template_calculation("PlantProduction")
    twin = hydro.md.create_object_definition("TwinPlant")
    twin.add_attribute("Inflow", "timeseries", unit="m^3/s")
    twin.add_attribute("Head", "double", unit="m")
    twin.add_attribute("Output", "timeseries", unit="kW", template_calculation=calc)
    hydro.system.definition.add_attribute("To_Twins", "ownership_many", target=twin)
    other = hydro.system.add_child("To_Twins", "T0", twin)
    other["Inflow"] = hydro.ws.sensor(hydro.plants[0]["Inflow"].sensor_id)
    other["Head"] = 100.0
    ds = other.attribute("Output").beliefs(*DAY)
    assert ds["value"].attrs["units"] == "kW"
    np.testing.assert_allclose(ds["value"].values[:, 0], production(0) * 1000)
    calc.set_expression(PRODUCTION + " * 0.5")
    for attribute, factor in (
        (other.attribute("Output"), 1000 * 0.5),
        (hydro.plants[0].attribute("Production"), 0.5),
    ):
        changed = attribute.beliefs(*DAY)
        np.testing.assert_allclose(changed["value"].values[:, 0], production(0) * factor)


# -- lookups: collections, links, versioned links, absolute paths, sensors -----------------


def test_collections_with_a_star_sum_over_the_owned_objects(hydro: Hydro) -> None:
    total = hydro.system.attribute("Total").beliefs(*DAY)
    np.testing.assert_allclose(total["value"].values[:, 0], production(0) + production(1))
    heads = hydro.ws.evaluate("@D('.To_Plants/*.Head')", *DAY, relative_to=hydro.system)
    np.testing.assert_allclose(heads, [100.0, 101.0])
    only = hydro.ws.evaluate("@T('.To_Plants/P1.Inflow')", *DAY, relative_to=hydro.system)
    assert len(only) == 1
    np.testing.assert_allclose(values(only[0]), inflow_of(1))
    assert hydro.ws.evaluate("@MAX(@D('/P*.Head'))", *DAY, relative_to=hydro.system) == 101.0


def test_parents_and_links_are_followed(hydro: Hydro) -> None:
    ws, plant = hydro.ws, hydro.plants[0]
    plant.set_links("Market", hydro.areas[1])
    price = ws.evaluate("@t('.Market.Price')", *DAY, relative_to=plant)
    np.testing.assert_allclose(values(price), 200.0)
    assert same_unit(price.attrs["units"], "EUR/MWh")
    sibling = ws.evaluate("@t('../P1.Inflow')", *DAY, relative_to=plant)
    np.testing.assert_allclose(values(sibling), inflow_of(1))
    up = ws.evaluate("@SUM(@T('...To_Plants/*:inflow'))", *DAY, relative_to=plant)
    np.testing.assert_allclose(values(up), inflow_of(0) + inflow_of(1))


def test_a_versioned_link_stitches_the_targets_series_at_the_switch(hydro: Hydro) -> None:
    plant, (no1, no2) = hydro.plants[0], hydro.areas
    plant.add_link_version("PriceArea", no1, "2024-06-01T00:00Z")
    plant.add_link_version("PriceArea", no2, "2025-01-01T12:00Z")
    price = hydro.ws.evaluate("@t('.PriceArea.Price') * 1", *DAY, relative_to=plant)
    np.testing.assert_allclose(values(price), [100.0] * 12 + [200.0] * 12)
    assert price.get_index("event_start").equals(HOURS.tz_convert(None))
    plant.add_link_version("PriceArea", None, "2025-01-01T18:00Z")  # no area from 18:00
    gap = hydro.ws.evaluate("@t('.PriceArea.Price')", *DAY, relative_to=plant)
    assert len(gap) == 18 and values(gap)[-1] == 200.0


def test_absolute_paths_full_names_and_sensor_paths(hydro: Hydro) -> None:
    ws = hydro.ws
    for path in ("Model/Sys/P1.Inflow", "Model/Sys.To_Plants/P1.Inflow", "Model/Sys/P1:inflow"):
        np.testing.assert_allclose(values(ws.evaluate(f"@t('{path}')", *DAY)), inflow_of(1))
    assert (
        ws.evaluate("@d('Model/Sys/P0.Head') + @d('.Head')", *DAY, relative_to=hydro.plants[1])
        == 201.0
    )


def test_numbers_strings_rating_curves_and_xy_sets_on_objects(hydro: Hydro) -> None:
    ws, plant = hydro.ws, hydro.plants[0]
    plant["Owner"] = "Acme"
    owned = "IF @s('.Owner') = 'Acme' THEN @d('.Head') ELSE 0 [m] ENDIF"
    assert ws.evaluate(owned, *DAY, relative_to=plant) == 100.0
    assert ws.infer_unit(owned, relative_to=plant) == "m"
    curve = RatingCurve(
        (
            RatingCurveVersion(
                pd.Timestamp("2020-01-01T00:00Z").to_pydatetime(),
                0.0,
                (RatingSegment(100.0, 0.5, 0.0, 1.0),),
            ),
        )
    )
    plant["TailwaterCurve"] = curve
    tail = ws.evaluate("@RatingCurve(@t('.Inflow'))", *DAY, relative_to=plant)
    np.testing.assert_allclose(values(tail), inflow_of(0) * 0.5)
    assert tail.attrs["units"] == "m"
    plant["Efficiency"] = XYSet((XYCurve(0.0, (0.0, 100.0), (0.0, 50.0)),), "m^3/s", "MW")
    power = ws.evaluate("@XY(@t('.Inflow'), '.Efficiency')", *DAY, relative_to=plant)
    np.testing.assert_allclose(values(power), inflow_of(0) * 0.5)
    assert power.attrs["units"] == "MW"


def test_nothing_found_names_the_path_unless_a_default_is_given(hydro: Hydro) -> None:
    ws, plant = hydro.ws, hydro.plants[0]
    with pytest.raises(wb.ExpressionError, match=r"nothing found at '\.Outflow'"):
        ws.evaluate("@t('.Outflow')", *DAY, relative_to=plant)
    with pytest.raises(wb.ExpressionError, match=r"nothing found at 'Model/Sys/P9:inflow'"):
        ws.evaluate("@t('Model/Sys/P9:inflow')", *DAY)
    fallback = ws.evaluate("@t('.Outflow', 5 [m^3/s]) + @t('.Inflow') * 0", *DAY, relative_to=plant)
    np.testing.assert_allclose(values(fallback), 5.0)
    assert ws.evaluate("@d('.Depth', 7)", *DAY, relative_to=plant) == 7.0
    with pytest.raises(wb.ExpressionError, match="relative"):
        ws.evaluate("@t('.Inflow')", *DAY)  # a relative path needs its object
    with pytest.raises(wb.InvalidValue, match="naive"):
        ws.evaluate("1", "2025-01-01", "2025-01-02")


def test_cycles_are_refused_naming_the_cycle(hydro: Hydro) -> None:
    plant = hydro.plants[0]
    hydro.plant_type.add_attribute(
        "Spill", "timeseries", unit="MW", template="@t('.Production') * 0.1"
    )
    before = plant["Production"]
    with pytest.raises(  # closed on the object itself: refused when saved
        wb.ExpressionError,
        match=r"reads its own attribute: Plant\.Production -> Plant\.Spill -> Plant\.Production",
    ):
        plant["Production"] = "@t('.Spill') * 2"
    assert plant["Production"] == before
    # through its owner, whose template sums every plant's Production: what the other objects
    # hold is not known when one object's expression is saved, so this is found on read
    plant["Production"] = "@t('...Total') * 0.5"
    with pytest.raises(
        wb.ExpressionError,
        match=r"refers to itself: .*P0\.Production -> .*Sys\.Total -> .*P0\.Production",
    ):
        plant.attribute("Production").beliefs(*DAY)
    with pytest.raises(wb.ExpressionError, match=r"refers to itself: .*P0\.Production"):
        hydro.ws.evaluate("@t('.Spill')", *DAY, relative_to=plant)
    np.testing.assert_allclose(  # the other plant is not affected
        values(hydro.ws.evaluate("@t('.Spill')", *DAY, relative_to=hydro.plants[1])),
        production(1) * 0.1,
    )


# -- virtual series ----------------------------------------------------------------------------


def test_virtual_series_are_stored_validated_and_usable_by_path(hydro: Hydro) -> None:
    ws = hydro.ws
    total = ws.create_virtual_series(
        "Total",
        "@SUM(@T('.To_Plants/*.Inflow'))",
        catalog_path="Hydro/Sums",
        relative_to=hydro.system,
    )
    assert total.path == "Catalog/Hydro/Sums/Total" and same_unit(total.unit, "m^3/s")
    ds = total.beliefs(*DAY)
    np.testing.assert_allclose(ds["value"].values[:, 0], inflow_of(0) + inflow_of(1))
    doubled = ws.evaluate("@t('Catalog/Hydro/Sums/Total') * 2", *DAY)
    np.testing.assert_allclose(values(doubled), (inflow_of(0) + inflow_of(1)) * 2)
    litres = ws.create_virtual_series(
        "Litres", "@t('Catalog/Hydro/Sums/Total')", catalog_path="Hydro", unit="l/s"
    )
    np.testing.assert_allclose(
        litres.beliefs(*DAY)["value"].values[:, 0], (inflow_of(0) + inflow_of(1)) * 1000
    )
    assert ws.virtual_series("Hydro/Sums/Total") == total == ws.virtual_series(total.id)
    assert [v.name for v in ws.virtual_series_list("Hydro")] == ["Litres", "Total"]
    assert [v.name for v in ws.virtual_series_list("Hydro/Sums")] == ["Total"]
    np.testing.assert_allclose(  # a sensor listed in the catalog, by path too
        values(ws.evaluate("@SUM(@T('Catalog/Prices/price'))", *DAY)), 300.0
    )
    litres.delete()
    with pytest.raises(wb.NotFound):
        ws.virtual_series("Hydro/Litres")


def test_virtual_series_are_refused_when_wrong(hydro: Hydro) -> None:
    ws, system = hydro.ws, hydro.system
    refused(
        ws,
        wb.UnitError,
        r"'m \*\* 3 / s'.*'MW'",
        lambda: ws.create_virtual_series(
            "Bad", "@t('.To_Plants/P0.Inflow')", unit="MW", relative_to=system
        ),
    )
    refused(ws, wb.ExpressionError, "line 1", lambda: ws.create_virtual_series("Bad", "* 2"))
    refused(
        ws,
        wb.ExpressionError,
        "must give a series",
        lambda: ws.create_virtual_series("Bad", "@d('Model/Sys/P0.Head')"),
    )
    refused(
        ws,
        wb.ExpressionError,
        r"nothing found at '\.Nope'",
        lambda: ws.create_virtual_series("Bad", "@t('.Nope')", relative_to=system),
    )
    loop = ws.create_virtual_series("Loop", "@t('Model/Sys/P0.Inflow')", catalog_path="X")
    refused(
        ws,
        wb.ExpressionError,
        "refers to itself: Catalog/X/Loop",
        lambda: loop.set_expression("@t('Catalog/X/Loop') + @t('Model/Sys/P0.Inflow')"),
    )
    refused(
        ws,
        wb.InvalidValue,
        "already holds",
        lambda: ws.create_virtual_series("Loop", "@t('Model/Sys/P0.Inflow')", catalog_path="X"),
    )


# -- viewpoints: as_of, pins, forecasts -------------------------------------------------------


def test_as_of_and_a_pinned_workspace_change_what_is_read(hydro: Hydro) -> None:
    ws, plant = hydro.ws, hydro.plants[0]
    sensor = ws.sensor(plant["Inflow"].sensor_id)
    sensor.ingest(
        pd.Series(np.full(24, 999.0), index=HOURS), source="meter", belief_time="2025-01-03T00:00Z"
    )
    latest = plant.attribute("Production").beliefs(*DAY)
    np.testing.assert_allclose(latest["value"].values[:, 0], 999.0 * 100 * RHO_G / 1e6)
    before = plant.attribute("Production").beliefs(*DAY, as_of="2025-01-02T12:00Z")
    np.testing.assert_allclose(before["value"].values[:, 0], production(0))
    ws.provenance = []
    ws.pin("2025-01-02T12:00Z")
    pinned = ws.evaluate("@t('.Production')", *DAY, relative_to=plant)
    np.testing.assert_allclose(values(pinned), production(0))
    assert ws.provenance and ws.provenance[0].as_of == "2025-01-02T12:00:00+00:00"
    assert ws.provenance[0].rows == 24
    late = ws.evaluate("@t('.Inflow')", *DAY, relative_to=plant, as_of="2025-01-05T00:00Z")
    np.testing.assert_allclose(values(late), inflow_of(0))  # capped at the pin
    ws.pin(None)
    known = ws.evaluate(
        "@GetTsAsOfTime(@t('.Inflow'), '2025-01-02T12:00Z')", *DAY, relative_to=plant
    )
    np.testing.assert_allclose(values(known), inflow_of(0))
    ahead = ws.evaluate("@GetForecast(@t('.Inflow'), 'PT12H')", *DAY, relative_to=plant)
    assert len(ahead) == 0  # nothing was known 12 hours ahead of its knowledge time
    window = ws.evaluate(
        "@GetForecast(@t('.Inflow'), '2025-01-02T12:00Z', '2025-01-04T00:00Z')",
        *DAY,
        relative_to=plant,
    )
    np.testing.assert_allclose(values(window), 999.0)


def test_an_irregular_step_series_holds_its_last_value_into_the_period(hydro: Hydro) -> None:
    plant = hydro.plants[0]
    gauge = plant.add_sensor("gauge", unit="m", resolution="0s")
    gauge.ingest(
        pd.Series([5.0, 7.0], index=[T0 - pd.Timedelta("3D"), T0 + pd.Timedelta("6h")]),
        source="reader",
        belief_time="2025-01-02T00:00Z",
    )
    level = hydro.ws.evaluate("@t(':gauge') + @t('.Inflow') * 0 [m*s/m^3]", *DAY, relative_to=plant)
    np.testing.assert_allclose(values(level), [5.0] * 6 + [7.0] * 18)


# -- access ----------------------------------------------------------------------------------


@pytest.fixture
def tenants(ws: wb.Workspace) -> Iterator[dict[str, Any]]:
    ws.create_account("Acme")
    ws.create_account("Other")
    ws.add_user("ana@acme.example", "Acme", SECRET)
    ws.add_user("bob@other.example", "Other", SECRET)
    acme = build(ws, name="AcmeSys", account="Acme")
    public = build(ws, name="Open")
    acme_sensor = acme.plants[0]["Inflow"].sensor_id
    public.plants[1]["Inflow"] = ws.sensor(acme_sensor)  # a public attribute, an Acme sensor
    url = ws.engine.url.render_as_string(hide_password=False)
    users = {
        n: wb.connect(url, user=f"{n}@{d}.example", secret=SECRET)
        for n, d in (("ana", "acme"), ("bob", "other"))
    }
    yield {"acme": acme, "public": public, **users}
    for w in users.values():
        w.engine.dispose()


def test_an_expression_cannot_read_what_its_user_may_not(tenants: dict[str, Any]) -> None:
    ana, bob = tenants["ana"], tenants["bob"]
    path = "Model/AcmeSys/P0.Production"
    np.testing.assert_allclose(values(ana.evaluate(f"@t('{path}')", *DAY)), production(0))
    with pytest.raises(wb.ExpressionError, match="nothing found at 'Model/AcmeSys/P0.Production"):
        bob.evaluate(f"@t('{path}')", *DAY)
    with pytest.raises(wb.ExpressionError, match="nothing found at 'Model/AcmeSys/P0:inflow'"):
        bob.evaluate("@t('Model/AcmeSys/P0:inflow')", *DAY)
    assert len(bob.evaluate("@T('Model/Open/*.Inflow')", *DAY)) == 1  # P1's sensor is Acme's
    assert len(ana.evaluate("@T('Model/Open/*.Inflow')", *DAY)) == 2
    with pytest.raises(wb.ExpressionError, match=r"nothing found at '\.Inflow'"):
        bob.evaluate("@t('.Inflow')", *DAY, relative_to=bob.object("Model/Open/P1"))
    with pytest.raises(wb.NotFound):
        bob.evaluate("1", *DAY, relative_to="Model/AcmeSys/P0")
    assert bob.evaluate("@d('Model/AcmeSys/P0.Head', -1)", *DAY) == -1.0


def test_virtual_series_follow_their_account(tenants: dict[str, Any]) -> None:
    ana, bob = tenants["ana"], tenants["bob"]
    mine = ana.create_virtual_series("Mine", "@t('Model/AcmeSys/P0.Inflow')", catalog_path="A")
    assert mine.account_id == tenants["acme"].system.account_id
    assert [v.name for v in bob.virtual_series_list()] == []
    with pytest.raises(wb.NotFound):
        bob.virtual_series("A/Mine")
    with pytest.raises(wb.ExpressionError, match="nothing found at 'Catalog/A/Mine'"):
        bob.evaluate("@t('Catalog/A/Mine')", *DAY)
    with pytest.raises(wb.AccessDenied):  # a public series (the object's account) is for admins
        bob.create_virtual_series("Pub", "@t('.To_Plants/P0.Inflow')", relative_to="Model/Open")
    with pytest.raises(wb.NotFound):  # an account bob may not see
        bob.create_virtual_series("Theirs", "@t('Model/Open/P0.Inflow')", account="Acme")
    np.testing.assert_allclose(values(ana.evaluate("@t('Catalog/A/Mine')", *DAY)), inflow_of(0))


# -- batching --------------------------------------------------------------------------------


def count_queries(ws: wb.Workspace, call: Any) -> tuple[int, Any]:
    with count_statements(ws.engine) as statements:
        result = call()
    return len(statements), result


def test_the_number_of_queries_does_not_grow_with_the_objects(ws: wb.Workspace) -> None:
    counts = []
    for size, name in ((3, "Small"), (120, "Large")):
        hydro = build(ws, plants=size, name=name)
        total, system = hydro.system.attribute("Total"), hydro.system
        count, ds = count_queries(ws, lambda: total.beliefs(*DAY))  # noqa: B023
        expected = sum(production(i) for i in range(size))
        np.testing.assert_allclose(ds["value"].values[:, 0], expected)
        expr = (
            "@SUM(@T('.To_Plants/*.Production')) - @SUM(@T('.To_Plants/*:inflow')) * 0 [MW*s/m^3]"
        )
        nested, _ = count_queries(ws, lambda: ws.evaluate(expr, *DAY, relative_to=system))  # noqa: B023
        counts.append((count, nested))
    assert counts[0] == counts[1], counts  # 3 or 120 plants: the same queries
    assert max(counts[1]) <= 20, counts
