"""Clock changes in Europe/Amsterdam: 23- and 25-hour days, knowledge times, resampling.

In 2025 clocks went forward on 30 March (02:00 CET -> 03:00 CEST: a 23-hour day) and back on
26 October (03:00 CEST -> 02:00 CET: a 25-hour day).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import workbench.xr  # noqa: F401 - registers the accessor
from workbench.beliefs import ExPost, Flag, XDaysAgoAtYOClock, belief_horizon, prepare_beliefs
from workbench.beliefs.timing import event_ends, floor_starts
from workbench.xr import series_dataset

AMS = "Europe/Amsterdam"


def utc(*texts: str) -> np.ndarray:
    return np.array(texts, dtype="datetime64[ns]")


def hours(first_local_day: str, days: int) -> pd.DatetimeIndex:
    """Every hour of ``days`` local days, as timezone-aware times."""
    start = pd.Timestamp(first_local_day, tz=AMS)
    # The next local midnight, on pandas 2 (where Day is 24 hours) and 3 (a calendar day) alike
    end = (start.tz_localize(None) + pd.Timedelta(days=days)).tz_localize(AMS)
    return pd.date_range(start, end, freq="h", inclusive="left")


@pytest.mark.parametrize(
    ("day", "lengths", "midnights"),
    [
        (
            "2025-03-29",
            [24, 23, 24],
            ["2025-03-28T23:00", "2025-03-29T23:00", "2025-03-30T22:00"],
        ),
        (
            "2025-10-25",
            [24, 25, 24],
            ["2025-10-24T22:00", "2025-10-25T22:00", "2025-10-26T23:00"],
        ),
    ],
)
def test_energy_ingested_into_a_day_sensor_keeps_23_and_25_hour_days(
    day: str, lengths: list[int], midnights: list[str]
) -> None:
    index = hours(day, 3)
    assert len(index) == sum(lengths)
    prepared = prepare_beliefs(
        pd.Series(1.0, index=index),
        unit="kWh",
        sensor_unit="kWh",
        sensor_resolution="P1D",
        sensor_timezone=AMS,
        horizon="PT0H",
    )
    np.testing.assert_array_equal(prepared.value, lengths)
    np.testing.assert_array_equal(prepared.event_start, utc(*midnights))
    np.testing.assert_array_equal(prepared.flags, [Flag.OK] * 3)  # every day complete
    # Known when the day ends: the next local midnight.
    np.testing.assert_array_equal(prepared.belief_time[:2], utc(*midnights[1:]))


def test_power_ingested_into_a_day_sensor_averages_over_the_local_day() -> None:
    index = hours("2025-03-30", 1)
    prepared = prepare_beliefs(
        pd.Series(np.arange(23.0), index=index),
        sensor_unit="MW",
        unit="kW",
        sensor_resolution="P1D",
        sensor_timezone=AMS,
        horizon="PT0H",
    )
    np.testing.assert_allclose(prepared.value, [0.011])


def test_daily_energy_split_into_hours_spreads_over_the_real_hours() -> None:
    days = pd.date_range("2025-10-25", periods=3, freq="D", tz=AMS)
    prepared = prepare_beliefs(
        pd.Series([24.0, 50.0, 24.0], index=days),
        unit="kWh",
        sensor_unit="kWh",
        sensor_resolution="PT1H",
        sensor_timezone=AMS,
        horizon="PT0H",
    )
    assert len(prepared) == 24 + 25 + 24
    np.testing.assert_allclose(prepared.value[24:49], 2.0)
    np.testing.assert_allclose(prepared.value[[0, 49]], 1.0)


def test_days_end_at_the_next_local_midnight() -> None:
    midnights = utc("2025-03-29T23:00", "2025-10-25T22:00", "2025-06-01T22:00")
    lengths = event_ends(midnights, pd.Timedelta("1D"), AMS) - midnights
    np.testing.assert_array_equal(lengths, np.array([23, 25, 24], "timedelta64[h]"))
    known = ExPost().knowledge_time(midnights, "P1D", AMS)
    np.testing.assert_array_equal(known - midnights, np.array([23, 25, 24], "timedelta64[h]"))


def test_times_inside_long_and_short_days_floor_to_their_local_midnight() -> None:
    # 02:30 CET on 26 October (the second 02:30) and 03:30 CEST on 30 March.
    times = utc("2025-10-26T01:30", "2025-03-30T01:30")
    floored = floor_starts(times, pd.Timedelta("1D"), AMS)
    np.testing.assert_array_equal(floored, utc("2025-10-25T22:00", "2025-03-29T23:00"))


@pytest.mark.parametrize(
    ("local_start", "horizon_hours"),
    [
        # Day-ahead prices are published at 12:00 local time the day before.
        ("2025-03-30 00:00", 12),  # first hour of the 23-hour day: 11:00Z -> 23:00Z
        ("2025-03-30 23:00", 34),  # last hour of that day
        ("2025-03-31 00:00", 12),  # next day: published 12:00 CEST on the 23-hour day
        ("2025-10-26 00:00", 12),  # first hour of the 25-hour day
        ("2025-10-26 23:00", 36),  # last hour of that day
    ],
)
def test_day_ahead_knowledge_time_follows_the_local_clock(
    local_start: str, horizon_hours: int
) -> None:
    start = pd.Timestamp(local_start, tz=AMS).tz_convert("UTC").tz_localize(None)
    starts = np.array([start.to_datetime64()], dtype="datetime64[ns]")
    rule = XDaysAgoAtYOClock(1, 12)
    known = rule.knowledge_time(starts, "PT1H", AMS)
    published = pd.Timestamp(known[0]).tz_localize("UTC").tz_convert(AMS)
    assert (published.hour, published.minute) == (12, 0)
    assert published.date() == (pd.Timestamp(local_start) - pd.Timedelta("1D")).date()
    assert (starts - known)[0] == np.timedelta64(horizon_hours, "h")
    # A belief formed at publication has horizon 0; one formed an hour earlier, 1 hour.
    horizons = belief_horizon(
        np.repeat(starts, 2),
        np.array([known[0], known[0] - np.timedelta64(1, "h")]),
        rule,
        "PT1H",
        AMS,
    )
    np.testing.assert_array_equal(horizons, np.array([0, 1], "timedelta64[h]"))


def _hourly_series(day: str, days: int, units: str) -> object:
    index = hours(day, days).tz_convert("UTC").tz_localize(None)
    return series_dataset(
        index.as_unit("ns").to_numpy(),
        np.ones(len(index)),
        source="meter",
        units=units,
        resolution="PT1H",
        timezone=AMS,
        belief_time=index.as_unit("ns").to_numpy(),
    )


@pytest.mark.parametrize(
    ("day", "sums"), [("2025-03-29", [24.0, 23.0, 24.0]), ("2025-10-25", [24.0, 25.0, 24.0])]
)
def test_resampling_a_series_to_local_days_keeps_23_and_25_hour_days(
    day: str, sums: list[float]
) -> None:
    energy = _hourly_series(day, 3, "MWh").beliefs.resample("P1D")  # type: ignore[attr-defined]
    np.testing.assert_array_equal(energy["value"].sel(source="meter").values, sums)
    midnights = pd.DatetimeIndex(energy["event_start"].values).tz_localize("UTC").tz_convert(AMS)
    assert (midnights.hour == 0).all()
    assert energy.attrs["resolution"] == pd.Timedelta("1D").isoformat()
    np.testing.assert_array_equal(energy["flags"].values.ravel(), [0, 0, 0])
    power = _hourly_series(day, 3, "MW").beliefs.resample("P1D")  # type: ignore[attr-defined]
    np.testing.assert_array_equal(power["value"].values.ravel(), [1.0, 1.0, 1.0])


def test_resampling_days_back_into_hours_gives_23_and_25_parts() -> None:
    daily = _hourly_series("2025-03-29", 3, "MWh").beliefs.resample("P1D")  # type: ignore[attr-defined]
    hourly = daily.beliefs.resample("PT1H")
    assert hourly.sizes["event_start"] == 71
    np.testing.assert_allclose(hourly["value"].values, 1.0)


def test_a_day_missing_hours_is_flagged_suspect() -> None:
    series = _hourly_series("2025-10-25", 2, "MWh")
    series = series.isel(event_start=slice(0, 40))  # the 25-hour day lacks its last 9 hours
    daily = series.beliefs.resample("P1D")
    np.testing.assert_array_equal(daily["value"].values.ravel(), [24.0, 16.0])
    np.testing.assert_array_equal(daily["flags"].values.ravel(), [Flag.OK, Flag.SUSPECT])
