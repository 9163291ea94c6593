"""Mesh's temporal functions: TS_OFFSET, DELTA, ACCUMULATE, TS_ACC_FROM and the gliding windows.

Worked examples come from Volue-Public/energy-smp-docs, docs/mesh/calculations/functions/ (each
test names its page); the windows are checked against pandas' rolling windows, and a few
expressions run end to end over the store (SQLite and PostgreSQL).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench.calc import MemoryResolver, compile_expression, evaluate
from workbench.errors import ExpressionError

OWNER = "Model/M/Obj"
NAN = float("nan")


def series(
    times: pd.DatetimeIndex | list[str],
    values: np.ndarray | list[float],
    resolution: str = "PT1H",
    curve: str = "step",
    tz: str = "UTC",
) -> xr.DataArray:
    return xr.DataArray(
        np.asarray(values, dtype=float),
        coords={"event_start": pd.DatetimeIndex(times)},
        dims="event_start",
        attrs={"units": "MW", "timezone": tz, "resolution": resolution, "curve_type": curve},
    )


def run(text: str, start: str, end: str, **data: xr.DataArray) -> xr.DataArray:
    resolver = MemoryResolver(series={f"{OWNER}.{k}": v for k, v in data.items()})
    out = evaluate(text, resolver, start, end, relative_to=OWNER)
    assert isinstance(out, xr.DataArray)
    return out


# --- DELTA: delta.md, examples 1-4 --------------------------------------------------------------

H_TS1 = [NAN, -1.0, 0.0, 10.0, NAN, 20000.0, 12500.0, 1.0, 12500.0, 10.0, 10.0, 10.0, 10.0]
H_TIMES = pd.date_range("2021-12-31T22:00", periods=len(H_TS1), freq="h")


def test_delta_example_1_a_missing_value_counts_as_zero() -> None:
    out = run("@DELTA(@t('.H'))", "2021-12-31T22:00", "2022-01-01T09:00", H=series(H_TIMES, H_TS1))
    expected = [NAN, -1, 1, 10, -10, 20000, -7500, -12499, 12499, -12490, 0]
    np.testing.assert_allclose(out.values, expected)


def test_delta_example_2_two_hours_ahead() -> None:
    out = run(
        "@DELTA(@t('.H'), '+2h')", "2021-12-31T22:00", "2022-01-01T09:00", H=series(H_TIMES, H_TS1)
    )
    expected = [0, 11, 0, 19990, 12500, -19999, 0, 9, -12490, 0, 0]
    np.testing.assert_allclose(out.values, expected)


def test_delta_example_3_a_break_point_series_has_no_point_before_its_first() -> None:
    bp = series(
        ["2021-12-31T23:00", "2022-01-01T04:00", "2022-01-01T09:00"], [1.0, 1.5, 1.2], "PT0S"
    )
    out = run("@DELTA(@t('.B'))", "2021-12-31T22:00", "2022-01-01T10:00", B=bp)
    np.testing.assert_allclose(out.values, [NAN, 0.5, -0.3])


def test_delta_example_4_a_linear_series_is_read_between_its_points() -> None:
    times = ["2021-12-31T23:00", "2022-01-01T04:00", "2022-01-01T09:00", "2022-01-01T13:00"]
    bp = series(times, [1.0, 1.5, 1.2, 2.0], "PT0S", curve="linear")
    out = run("@DELTA(@t('.B'), '+2h')", "2021-12-31T22:00", "2022-01-01T10:00", B=bp)
    np.testing.assert_allclose(out.values, [0.2, -0.12, 0.4])


def test_delta_with_a_number_looks_at_the_next_point_and_minus_looks_back() -> None:
    data = series(pd.date_range("2024-01-01", periods=6, freq="h"), [1.0, 2.0, 4.0, 8.0, 16, 32])
    ahead = run("@DELTA(@t('.X'), 1)", "2024-01-01T01:00", "2024-01-01T04:00", X=data)
    np.testing.assert_allclose(ahead.values, [2.0, 4.0, 8.0])  # reads 04:00, after the period
    back = run("@DELTA(@t('.X'), '-2h')", "2024-01-01T02:00", "2024-01-01T05:00", X=data)
    np.testing.assert_allclose(back.values, [3.0, 6.0, 12.0])  # reads 00:00, before the period
    zero = run("@DELTA(@t('.X'), 0)", "2024-01-01T01:00", "2024-01-01T03:00", X=data)
    np.testing.assert_allclose(zero.values, [1.0, 2.0])


# --- TS_OFFSET: ts_offset.md --------------------------------------------------------------------


def test_ts_offset_takes_the_value_from_d_units_later() -> None:
    temps = series(pd.date_range("2024-01-01", periods=48, freq="h"), np.arange(48.0))
    earlier = run("@TS_OFFSET(@t('.T'), -2)", "2024-01-01T06:00", "2024-01-01T09:00", T=temps)
    np.testing.assert_allclose(earlier.values, [4.0, 5.0, 6.0])  # example 1: 2 hours earlier
    later = run("@TS_OFFSET(@t('.T'), 3)", "2024-01-01T06:00", "2024-01-01T09:00", T=temps)
    np.testing.assert_allclose(later.values, [9.0, 10.0, 11.0])  # example 2: 3 hours later
    day = run("@TS_OFFSET(@t('.T'), -1, 'DAY')", "2024-01-02T00:00", "2024-01-02T02:00", T=temps)
    np.testing.assert_allclose(day.values, [0.0, 1.0])
    quarter = run(
        "@TS_OFFSET(@t('.T'), 4, 'MIN15')", "2024-01-01T01:00", "2024-01-01T02:00", T=temps
    )
    np.testing.assert_allclose(quarter.values, [2.0])


def test_ts_offset_month_and_year_are_30_and_365_days() -> None:
    days = series(pd.date_range("2023-01-01", periods=800, freq="D"), np.arange(800.0), "P1D")
    month = run("@TS_OFFSET(@t('.D'), -1, 'MONTH')", "2024-03-01", "2024-03-02", D=days)
    assert month.values.tolist() == [
        float((pd.Timestamp("2024-03-01") - pd.Timedelta("30D") - pd.Timestamp("2023-01-01")).days)
    ]
    year = run("@TS_OFFSET(@t('.D'), -1, 'YEAR')", "2024-03-01", "2024-03-02", D=days)
    assert year.values.tolist() == [
        float((pd.Timestamp("2024-03-01") - pd.Timedelta("365D") - pd.Timestamp("2023-01-01")).days)
    ]


# --- ACCUMULATE: accumulate.md ------------------------------------------------------------------


def test_accumulate_restarts_each_hydrological_year_on_1_september() -> None:
    days = pd.date_range("2023-08-25", "2023-09-06", freq="D")
    data = series(days, np.ones(days.size), "P1D")
    out = run("@ACCUMULATE(@t('.P'), '>', 'HYDYEAR')", "2023-08-29", "2023-09-04", P=data)
    assert out.values.tolist() == [5.0, 6.0, 7.0, 1.0, 2.0, 3.0]
    same = run("@ACCUMULATE(@t('.P'), 'HYDYEAR')", "2023-08-29", "2023-09-04", P=data)
    assert same.values.tolist() == out.values.tolist()


def test_accumulate_per_week_with_a_zone_in_front_and_every_n_points() -> None:
    hours = pd.date_range("2024-01-07T20:00", periods=8, freq="h")  # Sunday 20:00 UTC on
    data = series(hours, np.ones(8), tz="Europe/Oslo")
    utc = run(
        "@ACCUMULATE(@t('.P'), '>', 'UTCWEEK')", "2024-01-07T22:00", "2024-01-08T02:00", P=data
    )
    assert utc.values.tolist() == [3.0, 4.0, 1.0, 2.0]  # Monday 00:00 UTC restarts
    local = run("@ACCUMULATE(@t('.P'), 'WEEK')", "2024-01-07T22:00", "2024-01-08T02:00", P=data)
    assert local.values.tolist() == [3.0, 1.0, 2.0, 3.0]  # Monday 00:00 in Oslo is 23:00 UTC
    points = run("@ACCUMULATE(@t('.P'), '>', 3)", "2024-01-07T20:00", "2024-01-08T04:00", P=data)
    assert points.values.tolist() == [1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 1.0, 2.0]


def test_accumulate_from_a_start_time_with_factor_and_offset() -> None:
    # accumulate.md example 1: Result[t] = Result[t-1] + A * TsAccInput[t] + B, from 1 January
    hours = pd.date_range("2013-12-31T22:00", periods=6, freq="h")
    data = series(hours, [1.0, 1.0, 1.0, 2.0, 3.0, 4.0])
    out = run(
        "@ACCUMULATE(0.0, 'UTC20140101', @t('.X'), 10.0, 0.5)",
        "2013-12-31T22:00",
        "2014-01-01T04:00",
        X=data,
    )
    np.testing.assert_allclose(out.values, [NAN, NAN, 10.5, 31.0, 61.5, 102.0])
    macro = run(
        "@ACCUMULATE(100.0, 'UTCDAY+1h', @t('.X'))", "2014-01-01T00:00", "2014-01-01T04:00", X=data
    )
    np.testing.assert_allclose(macro.values, [NAN, 102.0, 105.0, 109.0])
    # timepoint-macros.md: a macro without a zone counts in STANDARD time (UTC+1), so the day
    # holding 00:00Z starts at 23:00Z and DAY+1h is 00:00Z
    standard = run(
        "@ACCUMULATE(100.0, 'DAY+1h', @t('.X'))", "2014-01-01T00:00", "2014-01-01T04:00", X=data
    )
    np.testing.assert_allclose(standard.values, [101.0, 103.0, 106.0, 110.0])


def test_accumulate_refuses_mixed_forms() -> None:
    with pytest.raises(ExpressionError, match="needs an interval such as 'DAY'"):
        compile_expression("@ACCUMULATE(@t('.X'), '>', 'Europe/Oslo')")
    with pytest.raises(ExpressionError, match="start 'soon' is not understood"):
        compile_expression("@ACCUMULATE(0, 'soon', @t('.X'))")


# --- TS_ACC_FROM: ts_acc_from.md ----------------------------------------------------------------


def test_ts_acc_from_previous_and_current_step() -> None:
    hours = pd.date_range("2024-01-01", periods=5, freq="h")
    y = series(hours, [234.0, 0.0, 0.0, 0.0, 0.0])
    x = series(hours, [6.0, 1.0, 2.0, 3.0, 4.0])
    previous = run(
        "@TS_ACC_FROM(@t('.Y'), @t('.X'), 1, 0, 0)", "2024-01-01", "2024-01-01T05:00", Y=y, X=x
    )
    assert previous.values.tolist() == [234.0, 240.0, 241.0, 243.0, 246.0]  # 234 + 6 first
    current = run(
        "@TS_ACC_FROM(@t('.Y'), @t('.X'), 2, 1, 1)", "2024-01-01", "2024-01-01T05:00", Y=y, X=x
    )
    assert current.values.tolist() == [234.0, 237.0, 242.0, 249.0, 258.0]


# --- gliding windows ----------------------------------------------------------------------------

RAW = [20.0, 19.0, 18.0, 17.0, 13.0, 8.0, 20.0, 19.0, 21.0]
RAW_TIMES = pd.date_range("2014-07-01T02:00", periods=len(RAW), freq="h")


def test_gliding_average_example_is_centred() -> None:
    # ts_gliding_average.md: at 05:00, (18 + 17 + 13) / 3 = 16
    out = run(
        "@TS_GLIDING_AVERAGE(@t('.W'), 3)",
        "2014-07-01T05:00",
        "2014-07-01T06:00",
        W=series(RAW_TIMES, RAW),
    )
    assert out.values.tolist() == [16.0]


def test_gliding_median_example() -> None:
    # ts_gliding_median.md: the median of (8, 20, 19) is 19
    out = run(
        "@TS_GLIDING_MEDIAN(@t('.W'), 3)",
        "2014-07-01T08:00",
        "2014-07-01T09:00",
        W=series(RAW_TIMES, RAW),
    )
    assert out.values.tolist() == [19.0]


def test_gliding_trend_average_example_and_weights() -> None:
    # gliding_trend_average.md: (8 + 20 + 19) / 3 = 15.67 at the third of those points
    data = series(RAW_TIMES, RAW)
    out = run("@GLIDING_TREND_AVERAGE(@t('.W'), 3)", "2014-07-01T09:00", "2014-07-01T10:00", W=data)
    assert out.values.tolist() == pytest.approx([(8 + 20 + 19) / 3])
    weighted = run(
        "@GLIDING_TREND_AVERAGE(@t('.W'), 3, {3, 2, 1})",
        "2014-07-01T09:00",
        "2014-07-01T10:00",
        W=data,
    )
    assert weighted.values.tolist() == pytest.approx([(3 * 19 + 2 * 20 + 8) / 6])
    ahead = run(
        "@GLIDING_TREND_AVERAGE(@t('.W'), 3)", "2014-07-01T10:00", "2014-07-01T14:00", W=data
    )
    assert ahead.values.tolist() == pytest.approx([20.0, 20.0, 20.0, 61 / 3])  # then foreseen
    stop = run(
        "@GLIDING_TREND_AVERAGE(@t('.W'), 3, 1)", "2014-07-01T10:00", "2014-07-01T13:00", W=data
    )
    assert stop.values.tolist() == pytest.approx([20.0])


def test_gauss_smoothing_weighs_the_middle_most() -> None:
    spike = series(pd.date_range("2024-01-01", periods=7, freq="h"), [0, 0, 0, 7, 0, 0, 0])
    gauss = run("@TS_GLIDING_GAUSS(@t('.X'), 3)", "2024-01-01", "2024-01-01T07:00", X=spike)
    w = np.exp(-2.0)
    np.testing.assert_allclose(
        gauss.values[2:5], [7 * w / (1 + 2 * w), 7 / (1 + 2 * w), 7 * w / (1 + 2 * w)]
    )
    assert gauss.values.sum() == pytest.approx(7.0, rel=0.05)
    median = run("@TS_GLIDING_MEDIAN_GAUSS(@t('.X'), 3)", "2024-01-01", "2024-01-01T07:00", X=spike)
    np.testing.assert_allclose(median.values, 0.0)  # the median removes a lone spike


def test_even_windows_are_refused() -> None:
    with pytest.raises(ExpressionError, match="odd whole number"):
        compile_expression("@TS_GLIDING_AVERAGE(@t('.X'), 4)")


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(NAN)), min_size=1, max_size=200),
    half=st.integers(0, 6),
    name=st.sampled_from(["TS_GLIDING_AVERAGE", "TS_GLIDING_MEDIAN"]),
    cut=st.integers(0, 10),
)
def test_centred_windows_match_pandas_rolling(
    values: list[float], half: int, name: str, cut: int
) -> None:
    times = pd.date_range("2024-01-01", periods=len(values), freq="h")
    data = series(times, values)
    start = times[min(cut, len(values) - 1)]
    end = times[-1] + pd.Timedelta("1h")
    out = run(f"@{name}(@t('.X'), {2 * half + 1})", str(start), str(end), X=data)
    rolling = pd.Series(values, index=times).rolling(2 * half + 1, center=True, min_periods=1)
    reference = rolling.mean() if name == "TS_GLIDING_AVERAGE" else rolling.median()
    np.testing.assert_allclose(out.values, reference[start:].values, rtol=1e-9, atol=1e-6)


# --- end to end over the store ------------------------------------------------------------------


def test_look_around_functions_over_the_store(ws: wb.Workspace, plant: wb.Object) -> None:
    t0 = pd.Timestamp("2025-01-01T00:00Z")
    hours = pd.date_range(t0, periods=48, freq="1h")
    level = plant.add_sensor("level", unit="MW", resolution="1h")
    level.ingest(
        pd.Series(np.arange(48.0), index=hours), source="meter", belief_time="2025-01-03T00:00Z"
    )
    daily = plant.add_sensor("daily", unit="MWh", resolution="1D")
    daily.ingest(
        pd.Series([24.0, 48.0], index=hours[::24]), source="meter", belief_time="2025-01-03T00:00Z"
    )
    start, end = t0 + pd.Timedelta("6h"), t0 + pd.Timedelta("9h")

    def value(text: str, lo: Any = start, hi: Any = end) -> list[float]:
        return [float(v) for v in ws.evaluate(text, lo, hi, relative_to=plant).values]

    assert value("@TS_GLIDING_AVERAGE(@t(':level'), 5)") == [6.0, 7.0, 8.0]
    assert value("@TS_OFFSET(@t(':level'), -3)") == [3.0, 4.0, 5.0]
    assert value("@TS_OFFSET(@t(':level'), 3)") == [9.0, 10.0, 11.0]
    assert value("@DELTA(@t(':level'), '+2h')") == [2.0, 2.0, 2.0]
    spread = value(
        "@TRANSFORM(@t(':daily'), 'HOUR', 'SUM')",
        t0 + pd.Timedelta("23h"),
        t0 + pd.Timedelta("25h"),
    )
    assert spread == [1.0, 2.0]


def test_delta_counts_a_point_the_series_lacks_as_a_missing_value() -> None:
    # delta.md example 1 with the missing values absent rather than NaN (as the store keeps them)
    kept = [i for i, v in enumerate(H_TS1) if not np.isnan(v)]
    data = series(H_TIMES[kept], [H_TS1[i] for i in kept])
    out = run("@DELTA(@t('.H'))", "2021-12-31T22:00", "2022-01-01T09:00", H=data)
    expected = {1: -1, 2: 1, 3: 10, 5: 20000, 6: -7500, 7: -12499, 8: 12499, 9: -12490, 10: 0}
    np.testing.assert_allclose(out.values, list(expected.values()))
