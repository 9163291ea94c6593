"""Calculations over the store, continued: what is read (sources, units, flags, look-back),
one-to-many relations, and the demo model's templates.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import MakeModel, attr, owns

import workbench as wb
from workbench.beliefs.flags import Flag
from workbench.demo import build_demo

T0 = pd.Timestamp("2025-01-01T00:00Z")
DAY = (T0, T0 + pd.Timedelta("1D"))
HOURS = pd.date_range(T0, periods=24, freq="1h")


def values(result: Any) -> np.ndarray:
    return np.asarray(result.values, dtype=float)


@pytest.fixture
def grid(ws: wb.Workspace, make_model: MakeModel) -> dict[str, Any]:
    types = {
        "Area": {},
        "Unit": {
            "Markets": attr("link_many", target="Area"),
            "Bids": attr("versioned_link_many", target="Area"),
        },
        "System": {"To_Units": owns("Unit"), "To_Areas": owns("Area")},
    }
    made = make_model(ws, "G", types=types, children={"To_Areas": ["A1", "A2", "A3"]})
    model, unit = made.model, made.types["Unit"]
    areas = list(made.objects.values())
    for k, a in enumerate(areas):
        power = a.add_sensor("power", unit="kW" if k == 0 else "MW", resolution="1h")
        power.ingest(
            pd.Series(np.full(24, 1.0 + k), index=HOURS),
            source="meter",
            belief_time="2025-01-02T00:00Z",
        )
    (u,) = model.add_children("To_Units", ["U"], unit)
    return {"ws": ws, "model": model, "areas": areas, "unit": u}


def test_a_collection_converts_every_member_to_the_first_ones_unit(grid: dict[str, Any]) -> None:
    ws, model = grid["ws"], grid["model"]
    total = ws.evaluate("@SUM(@T('.To_Areas/*:power'))", *DAY, relative_to=model)
    assert total.attrs["units"] == "kW"
    np.testing.assert_allclose(values(total), 1.0 + 2000.0 + 3000.0)
    members = ws.evaluate("@T('.To_Areas/A?:power')", *DAY, relative_to=model)
    assert [float(m.values[0]) for m in members] == [1.0, 2000.0, 3000.0]


def test_link_many_and_versioned_link_many(grid: dict[str, Any]) -> None:
    ws, unit, (_, a2, a3) = grid["ws"], grid["unit"], grid["areas"]
    unit.set_links("Markets", [a3, a2])
    linked = ws.evaluate("@T('.Markets:power')", *DAY, relative_to=unit)
    assert [float(m.values[0]) for m in linked] == [3.0, 2.0]  # in link order, one unit (MW)
    unit.add_link_version("Bids", a2, "2024-12-01T00:00Z")
    unit.add_link_version("Bids", a3, "2024-12-01T00:00Z")
    unit.add_link_version("Bids", a3, "2025-01-01T06:00Z")  # from 06:00 only A3
    bids = ws.evaluate("@T('.Bids:power')", *DAY, relative_to=unit)
    assert [len(m) for m in bids] == [6, 24]  # A2 until 06:00, A3 all day
    np.testing.assert_allclose(values(bids[0]), 2.0)
    assert ws.evaluate("@COUNT(@T('.Bids/A3:power'))", *DAY, relative_to=unit) == 1.0


def test_the_newest_median_belief_of_any_source_is_read(grid: dict[str, Any]) -> None:
    ws, a2 = grid["ws"], grid["areas"][1]
    sensor = ws.sensor("Model/G/A2:power")
    sensor.ingest(
        pd.Series(np.full(12, 7.0), index=HOURS[:12]),
        source="forecaster",
        belief_time="2025-01-03T00:00Z",
    )
    quantiles = pd.DataFrame(
        {
            "event_start": HOURS,
            "value": 99.0,
            "cumulative_probability": 0.9,
            "belief_time": pd.Timestamp("2025-01-04T00:00Z"),
        }
    )
    sensor.ingest(quantiles, source="forecaster")
    power = ws.evaluate("@t(':power')", *DAY, relative_to=a2)
    np.testing.assert_allclose(values(power), [7.0] * 12 + [2.0] * 12)
    older = ws.evaluate("@t(':power')", *DAY, relative_to=a2, as_of="2025-01-02T12:00Z")
    np.testing.assert_allclose(values(older), 2.0)


def test_look_back_functions_read_before_the_period(grid: dict[str, Any]) -> None:
    ws, a1 = grid["ws"], grid["areas"][0]
    ramp = a1.add_sensor("ramp", unit="MW", resolution="1h")
    ramp.ingest(
        pd.Series(np.arange(24.0) ** 2, index=HOURS),
        source="meter",
        belief_time="2025-01-02T00:00Z",
    )
    start = T0 + pd.Timedelta("6h")
    delta = ws.evaluate("@DELTA(@t(':ramp'))", start, DAY[1], relative_to=a1)
    np.testing.assert_allclose(values(delta), np.diff(np.arange(24.0) ** 2)[5:])
    shifted = ws.evaluate("@TS_OFFSET(@t(':ramp'), 'PT2H')", start, DAY[1], relative_to=a1)
    np.testing.assert_allclose(values(shifted)[:3], [16.0, 25.0, 36.0])


def test_quality_flags_reach_status_mask(grid: dict[str, Any]) -> None:
    ws, a3 = grid["ws"], grid["areas"][2]
    flagged = a3.add_sensor("flagged", unit="MW", resolution="1h")
    flags = np.where(np.arange(24) % 4 == 0, int(Flag.SUSPECT), 0)
    frame = pd.DataFrame(
        {
            "event_start": HOURS,
            "value": 1.0,
            "flags": flags,
            "belief_time": pd.Timestamp("2025-01-02T00:00Z"),
        }
    )
    flagged.ingest(frame, source="meter")
    masked = ws.evaluate("@STATUS_MASK(@t(':flagged'), 'SUSPECT')", *DAY, relative_to=a3)
    assert int(np.isnan(values(masked)).sum()) == 6
    raw = ws.evaluate("@t(':flagged')", *DAY, relative_to=a3)
    np.testing.assert_array_equal(raw.coords["flags"].values, flags)


def test_the_demo_models_templates_and_local_expressions(ws: wb.Workspace) -> None:
    build_demo(ws)
    plants = [p for p in ws.search("Model/Demo", "{*}[.Type=Plant]")]
    assert {p["Production"].source for p in plants} == {"template", "local"}
    for plant in plants:
        discharge = plant.add_sensor("discharge", unit="m^3/s", resolution="1h")
        discharge.ingest(
            pd.Series(np.full(24, 10.0), index=HOURS),
            source="meter",
            belief_time="2025-01-02T00:00Z",
        )
        plant["Discharge"] = discharge
    for plant in plants:
        value = plant["Production"]
        efficiency = 0.85 if value.source == "local" else 0.9
        expected = 10.0 * plant["NominalHead"] * 1000 * 9.81 * efficiency / 1e6
        ds = plant.attribute("Production").beliefs(*DAY)
        assert ds.attrs["origin"] == value.source
        np.testing.assert_allclose(ds["value"].values[:, 0], expected)
    area = plants[0].parent
    assert area is not None
    total = ws.evaluate("@SUM(@T('.To_Plants/*.Production'))", *DAY, relative_to=area)
    assert len(total) == 24 and total.attrs["units"] == "MW"
