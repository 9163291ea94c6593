"""Mesh's functions over a store (SQLite and PostgreSQL): `ws.evaluate`, and a template that
uses MIX's if-then-else and merge forms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

import workbench as wb

T0 = pd.Timestamp("2025-01-01T00:00Z")
HOURS = pd.date_range(T0, periods=6, freq="1h")
END = T0 + pd.Timedelta("6h")


def build(ws: wb.Workspace) -> tuple[wb.Object, list[wb.Object]]:
    md = ws.create_model_definition("MixDefs")
    unit = md.create_object_definition("Unit")
    unit.add_attribute("Manual", "timeseries", unit="degC")
    unit.add_attribute("Raw", "timeseries", unit="degC")
    unit.add_attribute("Running", "timeseries")
    unit.add_attribute(
        "Operative",
        "timeseries",
        unit="degC",
        template="@MIX(@t('.Running'), @MIX(@t('.Manual'), @t('.Raw')), @TS('HOUR', 0 [degC]))",
    )
    area = md.create_object_definition("Area")
    area.add_attribute("To_Units", "ownership_many", target=unit)
    model = ws.create_model("Mix", md, area)
    units = model.add_children("To_Units", ["U1", "U2"], unit)
    for k, u in enumerate(units):
        readings = {
            "manual": [np.nan, 5.0, 6.0, 7.0, 8.0, 9.0],
            "raw": [1.0 + k, 2.0, 3.0, 4.0, 5.0, 6.0],
            "running": [1.0, 1.0, 0.0, 1.0, 1.0, 0.0],
        }
        for name, attribute in (("manual", "Manual"), ("raw", "Raw"), ("running", "Running")):
            sensor = u.add_sensor(name, unit="" if name == "running" else "degC", resolution="1h")
            sensor.ingest(
                pd.Series(readings[name], index=HOURS).dropna(),
                source="meter",
                belief_time="2025-01-02T00:00Z",
            )
            u[attribute] = sensor
    return model, units


def test_mix_if_then_else_and_merge_in_a_template(ws: wb.Workspace) -> None:
    _, units = build(ws)
    ds = units[0].attribute("Operative").beliefs(T0, END)
    got = ds["value"].values.ravel().tolist()
    # running: manual where there is one, else raw; stopped (0): 0 degC
    assert got == [1.0, 5.0, 0.0, 7.0, 8.0, 0.0]


def test_element_wise_and_selection_functions_through_ws_evaluate(ws: wb.Workspace) -> None:
    root, units = build(ws)
    out = ws.evaluate("@ROUND(@t('.Raw') * 1.26)", T0, END, relative_to=units[1])
    assert isinstance(out, xr.DataArray)
    assert out.values.tolist()[:3] == [3.0, 3.0, 4.0]
    assert out.attrs["units"] in ("°C", "degC")
    inside = ws.evaluate(
        "@INSIDE(2 [degC], @t('.Raw'), 5 [degC], 'LOHI')", T0, END, relative_to=units[0]
    )
    assert isinstance(inside, xr.DataArray)
    assert inside.values.tolist() == [0.0, 1.0, 1.0, 1.0, 1.0, 0.0]
    highest = ws.evaluate(
        "@MAX(@T('.To_Units/*.Raw'), @TS('HOUR', 2.5 [degC]))", T0, END, relative_to=root
    )
    assert isinstance(highest, xr.DataArray)
    assert highest.values.tolist()[:3] == [2.5, 2.5, 3.0]
    assert ws.evaluate("@Size(@T('.To_Units/*.Raw'))", T0, END, relative_to=root) == 2.0
    assert ws.evaluate("@TimeToString(@Time('SOP'))", T0, END) == "UTC20250101000000"
    mask = ws.evaluate("@TIME_MASK('DAY<UTC>', {'DAY+2h', 'DAY+4h'}, {1, 0})", T0, END)
    assert isinstance(mask, xr.DataArray)
    assert mask.values.tolist() == [0.0, 0.0, 1.0, 1.0, 0.0, 0.0]
