"""Sample sensors and beliefs for the demo model, so that its views have data to show.

:func:`add_sample_beliefs` gives every plant of a demo model (see :mod:`workbench.demo`) a
discharge sensor with hourly measurements and three issues of a day-ahead forecast with
10/50/90 % quantiles, every reservoir a water-level sensor, and every price area a day-ahead
price. Each plant's ``Discharge`` attribute points at its sensor, so its calculated
``Production`` can be evaluated too. The numbers are made up (a daily cycle plus noise from a
fixed seed) and cover three days from :data:`DAY`; running it twice adds nothing.

``python -m workbench.demo_data`` adds them to the demo model of ``WORKBENCH_URL`` (or
``./workbench.db``).

Examples
--------
>>> import workbench as wb
>>> from workbench.demo import build_demo
>>> ws = wb.connect("sqlite://")
>>> sensors = add_sample_beliefs(build_demo(ws))
>>> sorted({s.name for s in sensors})
['discharge', 'level', 'price']
>>> add_sample_beliefs(ws.get("Model/Demo"))
[]
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from workbench.api import Object, Sensor

__all__ = ["DAY", "FORECAST_TIMES", "QUANTILES", "add_sample_beliefs", "main"]

#: The first day of the sample events (UTC); three days of hourly events follow.
DAY: Final = pd.Timestamp("2025-03-03", tz="UTC")
#: When the forecaster issued its three forecasts of those days: 36, 12 and 1 hour ahead.
FORECAST_TIMES: Final = tuple(DAY - pd.Timedelta(hours=h) for h in (36, 12, 1))
#: The quantiles each forecast states, and how far (in units of its spread) they lie.
QUANTILES: Final = ((0.1, -1.28), (0.5, 0.0), (0.9, 1.28))
_BIASES: Final = (8.0, 4.0, 1.0)  # each issue closer to what happened
_ZONE: Final = "Europe/Oslo"


def _hours(days: int = 3) -> pd.DatetimeIndex:
    return pd.date_range(DAY, periods=24 * days, freq="1h")


def _cycle(level: float, swing: float, phase: float = 0.0) -> np.ndarray:
    """A daily cycle around ``level`` for every sample hour."""
    hours = np.arange(len(_hours()))
    return np.asarray(level + swing * np.sin((hours + phase) * 2 * np.pi / 24))


def _discharge(plant: Object, seed: int) -> Sensor:
    """Measured discharge, and three forecast issues with quantiles, about a plant's turbines."""
    hours = _hours()
    rating = float(plant["MaxPower"]) * 1e6 / (1000 * 9.81 * float(plant["NominalHead"]) * 0.9)
    base = _cycle(0.55 * rating, 0.3 * rating, phase=seed)
    noise = np.random.default_rng(seed).normal(0, 0.03 * rating, len(hours))
    sensor = plant.add_sensor(
        "discharge", unit="m^3/s", resolution="1h", timezone=_ZONE,
        catalog_path=f"Hydro/{plant.name}",
    )  # fmt: skip
    sensor.ingest(
        pd.Series(base + noise, index=hours), source="meter", source_type="meter", horizon="-PT1H"
    )
    frames = [
        pd.DataFrame(
            {
                "event_start": hours,
                "value": base + (bias + spread * (bias + 2)) * rating / 40,
                "belief_time": issue,
                "cumulative_probability": q,
            }
        )
        for issue, bias in zip(FORECAST_TIMES, _BIASES, strict=True)
        for q, spread in QUANTILES
    ]
    sensor.ingest(pd.concat(frames), source="forecaster", source_type="forecaster")
    plant["Discharge"] = sensor
    return sensor


def _level(reservoir: Object) -> Sensor:
    """Water levels read every hour, rising slowly between the regulated limits."""
    sensor = reservoir.add_sensor(
        "level", unit="m", resolution="0s", timezone=_ZONE, curve_type="linear",
        catalog_path=f"Hydro/{reservoir.name}",
    )  # fmt: skip
    low, high = float(reservoir["LRWL"]), float(reservoir["HRWL"])
    values = (low + high) / 2 + np.linspace(0.0, 0.07 * (high - low), len(_hours()))
    sensor.ingest(
        pd.Series(values, index=_hours()), source="meter", source_type="meter", horizon="PT0H"
    )
    reservoir["Level"] = sensor
    return sensor


def _price(area: Object, seed: int) -> Sensor:
    """Day-ahead prices, published at 12:00 (Oslo) the day before the day they are for."""
    hours = _hours()
    sensor = area.add_sensor(
        "price", unit="EUR/MWh", resolution="1h", timezone=_ZONE, catalog_path="Market",
    )  # fmt: skip
    values = _cycle(60.0 + 10 * seed, 25.0, phase=6) + np.random.default_rng(seed).normal(0, 4, 72)
    local_days = hours.tz_convert(_ZONE).normalize()
    published = (local_days - pd.Timedelta(hours=12)).tz_convert("UTC")
    frame = pd.DataFrame({"event_start": hours, "value": values, "belief_time": published})
    sensor.ingest(frame, source="market", source_type="market")
    area["DayAheadPrice"] = sensor
    return sensor


def add_sample_beliefs(model: Object) -> list[Sensor]:
    """Give the demo model's plants, reservoirs and price areas sensors with sample beliefs.

    One transaction. Objects that have the sensor already are left as they are; the sensors
    created are returned (none when the model had them all).
    """
    ws = model.ws
    made: list[Sensor] = []
    builders = {"Plant": ("discharge", _discharge), "PriceArea": ("price", _price)}
    with ws.transaction():
        for seed, obj in enumerate(ws.search(model, "{*}[.Type=Plant || .Type=PriceArea]")):
            name, build = builders[obj.type_name]
            if not any(s.name == name for s in obj.sensors()):
                made.append(build(obj, seed))
        for reservoir in ws.search(model, "{*}[.Type=Reservoir]"):
            if not any(s.name == "level" for s in reservoir.sensors()):
                made.append(_level(reservoir))
    return made


def main(argv: list[str] | None = None) -> None:
    """``python -m workbench.demo_data``: add the sample beliefs to a store's demo model."""
    import workbench as wb

    parser = argparse.ArgumentParser(description=add_sample_beliefs.__doc__)
    parser.add_argument("--url", default=None, help="the store (default: WORKBENCH_URL)")
    parser.add_argument("--name", default="Demo", help="the demo model's name")
    args = parser.parse_args(argv)
    ws = wb.connect(
        args.url, user=os.environ.get("WORKBENCH_USER"), secret=os.environ.get("WORKBENCH_SECRET")
    )
    try:
        made = add_sample_beliefs(ws.get(f"Model/{args.name}"))
        if made:
            print(
                f"Added {len(made)} sensors with sample beliefs to Model/{args.name} in {ws.url}."
            )
        else:
            print(f"Model/{args.name} has its sample sensors already.")
    finally:
        ws.engine.dispose()


if __name__ == "__main__":
    main()
