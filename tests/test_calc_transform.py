"""TRANSFORM: calendar intervals across DST, every method against pandas, the partial edges."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from workbench.calc import MemoryResolver, compile_expression, evaluate
from workbench.errors import ExpressionError

OWNER = "Model/M/Obj"


def hourly(
    start: str, hours: int, tz: str = "UTC", units: str = "MW", values: np.ndarray | None = None
) -> xr.DataArray:
    times = pd.date_range(start, periods=hours, freq="h")
    data = np.random.default_rng(7).normal(100, 20, hours) if values is None else values
    return xr.DataArray(
        data,
        coords={"event_start": times},
        dims="event_start",
        attrs={"units": units, "timezone": tz, "resolution": "PT1H", "curve_type": "step"},
    )


def run(text: str, data: xr.DataArray, start: str, end: str) -> xr.DataArray:
    out = evaluate(text, MemoryResolver(series={f"{OWNER}.X": data}), start, end, relative_to=OWNER)
    assert isinstance(out, xr.DataArray)
    return out


def pandas_reference(data: xr.DataArray, rule: str, how: str, tz: str) -> pd.Series:
    frame = data.to_series()
    frame.index = frame.index.tz_localize("UTC").tz_convert(tz)
    result = getattr(frame.resample(rule), how)()
    result.index = result.index.tz_convert("UTC").tz_localize(None)
    return result


@pytest.mark.parametrize(
    ("method", "how"),
    [
        ("AVG", "mean"),
        ("SUM", "sum"),
        ("MIN", "min"),
        ("MAX", "max"),
        ("FIRST", "first"),
        ("LAST", "last"),
    ],
)
def test_day_methods_match_pandas_in_amsterdam(method: str, how: str) -> None:
    # Local midnight 2024-03-01 is 23:00 UTC; the period spans both DST changes.
    data = hourly("2024-02-29T23:00", 24 * 250, tz="Europe/Amsterdam")
    out = run(
        f"@TRANSFORM(@t('.X'), 'DAY', '{method}')", data, "2024-02-29T23:00", "2024-10-31T23:00"
    )
    expected = pandas_reference(data, "D", how, "Europe/Amsterdam")
    expected = expected[
        (expected.index >= "2024-02-29T23:00") & (expected.index < "2024-10-31T23:00")
    ]
    np.testing.assert_array_equal(out["event_start"].values, expected.index.values)
    np.testing.assert_allclose(out.values, expected.values)
    assert out.attrs["resolution"] == "P1DT0H0M0S" and out.attrs["timezone"] == "Europe/Amsterdam"


def test_dst_days_last_23_and_25_hours_in_amsterdam() -> None:
    data = hourly("2024-03-29T23:00", 24 * 220, tz="Europe/Amsterdam", values=np.ones(24 * 220))
    out = run("@TRANSFORM(@t('.X'), 'DAY', 'SUM')", data, "2024-03-29T23:00", "2024-10-28T23:00")
    sums = pd.Series(out.values, index=pd.DatetimeIndex(out["event_start"].values))
    assert sums[pd.Timestamp("2024-03-30T23:00")] == 23.0  # 31 March: clocks go forward
    assert sums[pd.Timestamp("2024-10-26T22:00")] == 25.0  # 27 October: clocks go back
    assert sums[pd.Timestamp("2024-03-29T23:00")] == 24.0
    starts = pd.DatetimeIndex(out["event_start"].values).tz_localize("UTC")
    assert (starts.tz_convert("Europe/Amsterdam").hour == 0).all()


def test_the_timezone_argument_overrides_the_series_zone() -> None:
    data = hourly("2024-01-01", 24 * 3, tz="UTC", values=np.arange(72.0))
    out = run(
        "@TRANSFORM(@t('.X'), 'DAY', 'FIRST', 'Asia/Tokyo')",
        data,
        "2024-01-01T15:00",
        "2024-01-03T15:00",
    )
    np.testing.assert_array_equal(out.values, [15.0, 39.0])
    assert out.attrs["timezone"] == "Asia/Tokyo"


@pytest.mark.parametrize(
    ("interval", "rule"), [("WEEK", "W-MON"), ("MONTH", "MS"), ("QUARTER", "QS"), ("YEAR", "YS")]
)
def test_calendar_intervals_match_pandas(interval: str, rule: str) -> None:
    data = hourly("2023-01-01", 24 * 800, tz="UTC")
    out = run(f"@TRANSFORM(@t('.X'), '{interval}', 'AVG')", data, "2023-01-01", "2025-01-01")
    frame = data.to_series()
    expected = frame.resample(rule, label="left", closed="left").mean()
    expected = expected[(expected.index >= "2023-01-01") & (expected.index < "2025-01-01")]
    np.testing.assert_array_equal(out["event_start"].values, expected.index.values)
    np.testing.assert_allclose(out.values, expected.values)


def test_fixed_durations_and_missing_values() -> None:
    values = np.arange(96.0)
    values[[5, 6, 7]] = np.nan
    times = pd.date_range("2024-01-01", periods=96, freq="15min")
    data = xr.DataArray(
        values,
        coords={"event_start": times},
        dims="event_start",
        attrs={"units": "MW", "resolution": "PT15M"},
    )
    out = run("@TRANSFORM(@t('.X'), 'HOUR', 'AVG')", data, "2024-01-01", "2024-01-02")
    expected = pd.Series(values, index=times).resample("h").mean()
    np.testing.assert_allclose(out.values, expected.values)
    out = run("@TRANSFORM(@t('.X'), 'PT30M', 'LAST')", data, "2024-01-01", "2024-01-02")
    expected = pd.Series(values, index=times).resample("30min").last()
    np.testing.assert_allclose(out.values, expected.values)
    assert np.isnan(out.values[3])  # 00:30-01:00 has only missing values (points 6 and 7)


def test_time_weighted_average_and_integral_of_an_irregular_step_series() -> None:
    times = pd.to_datetime(["2024-01-01T00:00", "2024-01-01T06:00", "2024-01-01T18:00"])
    data = xr.DataArray(
        [10.0, 20.0, 40.0],
        coords={"event_start": times},
        dims="event_start",
        attrs={"units": "MW", "resolution": "PT0S", "curve_type": "step"},
    )
    avg = run("@TRANSFORM(@t('.X'), 'DAY', 'AVGI')", data, "2024-01-01", "2024-01-02")
    np.testing.assert_allclose(avg.values, [(10 * 6 + 20 * 12 + 40 * 6) / 24])
    plain = run("@TRANSFORM(@t('.X'), 'DAY', 'AVG')", data, "2024-01-01", "2024-01-02")
    np.testing.assert_allclose(plain.values, [70 / 3])
    # SUMI integrates over seconds, as Mesh's transform_terms.md defines it: MW gives MW·s
    energy = run("@TRANSFORM(@t('.X'), 'DAY', 'SUMI')", data, "2024-01-01", "2024-01-02")
    np.testing.assert_allclose(energy.values, [(10 * 6 + 20 * 12 + 40 * 6) * 3600])
    assert energy.attrs["units"] == "MW * s"


def test_linear_series_integrate_with_the_trapezoid_rule() -> None:
    times = pd.date_range("2024-01-01", periods=25, freq="h")
    data = xr.DataArray(
        np.arange(25.0),
        coords={"event_start": times},
        dims="event_start",
        attrs={"units": "MW", "resolution": "PT1H", "curve_type": "linear"},
    )
    out = run("@TRANSFORM(@t('.X'), 'DAY', 'AVGI')", data, "2024-01-01", "2024-01-02")
    np.testing.assert_allclose(out.values, [12.0])


def test_the_last_interval_reads_data_past_the_period_end() -> None:
    data = hourly("2024-01-01", 24 * 60, values=np.arange(24 * 60.0))
    out = run("@TRANSFORM(@t('.X'), 'MONTH', 'AVG')", data, "2024-01-01", "2024-01-15")
    np.testing.assert_allclose(out.values, [np.arange(24 * 31.0).mean()])  # all of January


def test_an_interval_starting_before_the_period_is_left_out() -> None:
    data = hourly("2024-01-01", 24 * 4, values=np.arange(96.0))
    out = run("@TRANSFORM(@t('.X'), 'DAY', 'AVG')", data, "2024-01-01T12:00", "2024-01-04")
    assert pd.DatetimeIndex(out["event_start"].values).strftime("%d").tolist() == ["02", "03"]


@pytest.mark.parametrize(
    ("args", "column", "message"),
    [
        ("'FORTNIGHT', 'AVG'", 22, "resolution 'FORTNIGHT' is not understood"),
        ("'DAY', 'MEDIAN'", 29, "method 'MEDIAN' is not known; use one of AVG, SUM"),
        ("'DAY', 'AVG', 'Mars/Olympus'", 36, "timezone 'Mars/Olympus' is not known"),
    ],
)
def test_bad_options_are_found_when_compiling(args: str, column: int, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression(f"@TRANSFORM(@t('.X'), {args})")
    assert message in info.value.message and info.value.column == column


def test_options_must_be_constants() -> None:
    with pytest.raises(ExpressionError, match="argument 2 must be written as a constant"):
        compile_expression("@TRANSFORM(@t('.X'), @s('.Interval'), 'AVG')")
