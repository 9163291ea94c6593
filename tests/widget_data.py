"""Data the view tests share: a small grid model for the browser and inspector tests, and for the
belief and accuracy view tests an hourly power sensor measured after each hour, forecast the day
before with quantiles, and partly revised on the day."""

from __future__ import annotations

import numpy as np
import pandas as pd

import workbench as wb

HOURS = pd.date_range("2025-01-01", periods=6, freq="1h", tz="UTC")
DAY_AHEAD = pd.Timestamp("2024-12-31T12:00Z")
REVISED = pd.Timestamp("2025-01-01T02:00Z")
MEASURED = 10.0 + np.arange(6)


def add_power_sensor(obj: wb.Object) -> wb.Sensor:
    """Hourly power (step) on ``obj``: measured 10..15 MW an hour after each hour; forecast the
    day before as 9..14 MW with quantiles 0.1/0.5/0.9 at -2/+2 MW; the last three hours revised
    (median only) at 02:00 as 20, 21, 22 MW."""
    sensor = obj.add_sensor("power", unit="MW", resolution="1h")
    measured = pd.DataFrame(
        {"event_start": HOURS, "belief_time": HOURS + pd.Timedelta("1h"), "value": MEASURED}
    )
    sensor.ingest(measured, source="meter", source_type="meter")
    rows = [
        {
            "event_start": h,
            "belief_time": DAY_AHEAD,
            "cumulative_probability": q,
            "value": 9.0 + i + d,
        }
        for q, d in ((0.1, -2.0), (0.5, 0.0), (0.9, 2.0))
        for i, h in enumerate(HOURS)
    ]
    rows += [
        {"event_start": h, "belief_time": REVISED, "cumulative_probability": 0.5, "value": 20.0 + i}
        for i, h in enumerate(HOURS[3:])
    ]
    sensor.ingest(pd.DataFrame(rows), source="forecaster", source_type="forecaster")
    return sensor


USER_SECRET = "a fairly long secret"


def build_grid(
    ws: wb.Workspace, name: str = "Grid", account: str | None = None, plants: int = 3
) -> wb.Object:
    """A small model: System > Station S1..S3 > Plant S<i>_P<j>, with sensors in the catalog."""
    known = {md.name: md for md in ws.model_definitions()}
    if "GridDef" in known:
        md = known["GridDef"]
    else:
        md = ws.create_model_definition("GridDef")
        md.create_namespace("Electric")
        md.create_tag("limits")
        plant = md.create_object_definition("Plant")
        plant.add_attribute("Power", "double", unit="MW", minimum=0.0, namespace="Electric")
        plant.add_attribute("Limit", "double", unit="MW", tags=["limits"], namespace="Electric")
        plant.add_attribute("Active", "boolean", default=True)
        plant.add_attribute("Kind", "string", allowed=["hydro", "wind"], default="hydro")
        plant.add_attribute("Setpoints", "double", array=True, unit="MW")
        plant.add_attribute("Peer", "link_one", target=plant)
        station = md.create_object_definition("Station")
        station.add_attribute("To_Plants", "ownership_many", target=plant)
        system = md.create_object_definition("System")
        system.add_attribute("To_Stations", "ownership_many", target=station)
    with ws.transaction():
        model = ws.create_model(name, md, "System", account=account)
        stations = model.add_children("To_Stations", ["S1", "S2", "S3"], "Station")
        for s in stations:
            s.add_children("To_Plants", [f"{s.name}_P{j}" for j in range(plants)], "Plant")
        first = stations[0].children()[0]
        stations[0].add_sensor("flow", unit="m^3/s", catalog_path=f"{name}/Flows")
        first.add_sensor("power", unit="MW", catalog_path=name)
        first.add_sensor(f"{name.lower()}_top", unit="MW")
    return model
