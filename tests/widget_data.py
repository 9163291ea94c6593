"""Beliefs the belief and accuracy view tests share: an hourly power sensor measured after each
hour, forecast the day before with quantiles, and partly revised on the day."""

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
