"""Mesh's resolution functions: TRANSFORM both ways (R1-R4), its methods, and the profile family.

The worked examples come from Volue-Public/energy-smp-docs, docs/mesh/calculations/functions/
(each test names its page); the rest checks the functions against pandas.
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


def series(
    times: pd.DatetimeIndex | list[str],
    values: np.ndarray | list[float],
    resolution: str = "PT1H",
    tz: str = "UTC",
    units: str = "MW",
    curve: str = "step",
) -> xr.DataArray:
    return xr.DataArray(
        np.asarray(values, dtype=float),
        coords={"event_start": pd.DatetimeIndex(times)},
        dims="event_start",
        attrs={"units": units, "timezone": tz, "resolution": resolution, "curve_type": curve},
    )


def run(text: str, start: str, end: str, **data: xr.DataArray) -> xr.DataArray:
    resolver = MemoryResolver(series={f"{OWNER}.{k}": v for k, v in data.items()})
    out = evaluate(text, resolver, start, end, relative_to=OWNER)
    assert isinstance(out, xr.DataArray)
    return out


def local_pandas(data: xr.DataArray, tz: str) -> pd.Series:
    frame = data.to_series()
    frame.index = frame.index.tz_localize("UTC").tz_convert(tz)
    return frame


# --- coarser to finer ------------------------------------------------------------------------


def test_a_daily_series_to_hours_spreads_every_value() -> None:
    # The complaint: a daily series transformed to 'HOUR' gave one value and NaNs.
    days = series(pd.date_range("2024-01-01", periods=3, freq="D"), [24.0, 48.0, 72.0], "P1D")
    avg = run("@TRANSFORM(@t('.X'), 'HOUR', 'AVG')", "2024-01-01", "2024-01-04", X=days)
    assert avg.size == 72 and not np.isnan(avg.values).any()
    np.testing.assert_allclose(avg.values, np.repeat([24.0, 48.0, 72.0], 24))
    total = run("@TRANSFORM(@t('.X'), 'HOUR', 'SUM')", "2024-01-01", "2024-01-04", X=days)
    np.testing.assert_allclose(total.values, np.repeat([1.0, 2.0, 3.0], 24))
    assert pd.Timedelta(total.attrs["resolution"]) == pd.Timedelta("1h")


def test_spreading_a_sum_over_a_dst_day_divides_by_its_23_hours() -> None:
    # Local days in Oslo: 31 March 2024 lasts 23 hours.
    starts = pd.DatetimeIndex(["2024-03-29T23:00", "2024-03-30T23:00", "2024-03-31T22:00"])
    days = series(starts, [24.0, 23.0, 24.0], "P1D", tz="Europe/Oslo", units="MWh")
    out = run("@TRANSFORM(@t('.X'), 'HOUR', 'SUM')", "2024-03-29T23:00", "2024-04-01T22:00", X=days)
    np.testing.assert_allclose(out.values, np.ones(71))
    assert out.values.sum() == pytest.approx(71.0)


def test_the_deprecated_rule_spreads_any_method_containing_sum_as_sum() -> None:
    # transform.md: "chooses SUM if the method string contains SUM, and AVG otherwise"
    days = series(pd.date_range("2024-01-01", periods=1, freq="D"), [48.0], "P1D")
    for method, first in (("SUMV", 2.0), ("GSUM", 2.0), ("AVERAGE", 48.0), ("MEAN", 48.0)):
        out = run(f"@TRANSFORM(@t('.X'), 'HOUR', '{method}')", "2024-01-01", "2024-01-02", X=days)
        assert out.values[0] == pytest.approx(first)


def test_the_first_hours_of_the_period_use_the_day_read_before_it() -> None:
    days = series(pd.date_range("2024-01-01", periods=3, freq="D"), [24.0, 48.0, 72.0], "P1D")
    out = run(
        "@TRANSFORM(@t('.X'), 'MIN15', 'SUM')", "2024-01-02T12:00", "2024-01-02T13:00", X=days
    )
    np.testing.assert_allclose(out.values, [0.5] * 4)


# --- finer to coarser: methods, DEFAULT, SUMI ----------------------------------------------------


def test_sumi_counts_seconds_as_mesh_defines_it() -> None:
    # transform_terms.md, SUMI: "Value equal 1 at the start of the day will give 86400 as day
    # value if the base is one breakpoint series and 3600 if this is an hour series with only
    # one value on first hour."
    bp = series(["2024-01-01"], [1.0], "PT0S")
    hour = series(pd.date_range("2024-01-01", periods=24, freq="h"), [1.0] + [np.nan] * 23)
    day = "@TRANSFORM(@t('.X'), 'DAY', 'SUMI')"
    assert run(day, "2024-01-01", "2024-01-02", X=bp).values.tolist() == [86400.0]
    assert run(day, "2024-01-01", "2024-01-02", X=hour).values.tolist() == [3600.0]
    assert run(day, "2024-01-01", "2024-01-02", X=hour).attrs["units"] == "MW * s"


def test_method_names_mesh_accepts() -> None:
    data = series(pd.date_range("2024-01-01", periods=48, freq="h"), np.arange(48.0))
    for method, expected in (
        ("MEAN", [11.5, 35.5]),
        ("AVERAGE", [11.5, 35.5]),
        ("AVGV", [11.5, 35.5]),
        ("SUMV", [276.0, 852.0]),
        ("GSUM", [276.0, 852.0]),
        ("GMEAN", [11.5, 35.5]),
    ):
        out = run(f"@TRANSFORM(@t('.X'), 'DAY', '{method}')", "2024-01-01", "2024-01-03", X=data)
        np.testing.assert_allclose(out.values, expected)


@pytest.mark.parametrize(
    ("units", "curve", "resolution", "expected"),
    [
        ("MW", "step", "PT1H", 11.5),  # a rate: AVG
        ("Mm3", "step", "PT1H", 11.5),  # a reservoir volume is a state: AVG
        ("MWh", "step", "PT1H", 276.0),  # an amount: SUM
        ("MW", "linear", "PT1H", 0.0),  # linear: FIRST
    ],
)
def test_default_method_follows_the_unit_and_curve_type(
    units: str, curve: str, resolution: str, expected: float
) -> None:
    # transform_terms.md, "Explicit default transformation"
    times = pd.date_range("2024-01-01", periods=24, freq="h")
    data = series(times, np.arange(24.0), resolution, units=units, curve=curve)
    out = run("@TRANSFORM(@t('.X'), 'DAY', 'DEFAULT')", "2024-01-01", "2024-01-02", X=data)
    assert out.values.tolist() == [expected]


def test_default_of_a_break_point_series_is_the_time_weighted_mean() -> None:
    data = series(["2024-01-01T00:00", "2024-01-01T18:00"], [10.0, 50.0], "PT0S", units="MWh")
    out = run("@TRANSFORM(@t('.X'), 'DAY', 'DEFAULT')", "2024-01-01", "2024-01-02", X=data)
    assert out.values.tolist() == [20.0]


def test_first_and_last_of_a_break_point_series_are_its_functional_values() -> None:
    # transform.md: FIRST "is the functional value at the start of the accumulation period"
    data = series(
        ["2023-12-31T20:00", "2024-01-01T06:00", "2024-01-02T03:00"], [5.0, 7.0, 9.0], "PT0S"
    )
    first = run("@TRANSFORM(@t('.X'), 'DAY', 'FIRST')", "2024-01-01", "2024-01-03", X=data)
    assert first.values.tolist() == [5.0, 7.0]
    last = run("@TRANSFORM(@t('.X'), 'DAY', 'LAST')", "2024-01-01", "2024-01-03", X=data)
    assert last.values.tolist() == [7.0, 9.0]


# --- R2, R3, R4, VARINT ------------------------------------------------------------------------


def test_r2_intervals_between_the_points_of_a_second_series() -> None:
    # transform.md, TRANSFORM(t, t, s): 8-hour sums with points at DAY, DAY+8h, DAY+16h
    hours = series(pd.date_range("2024-01-01", periods=24, freq="h"), np.ones(24))
    marks = series(["2024-01-01T00:00", "2024-01-01T08:00", "2024-01-01T16:00"], [1, 2, 3], "PT0S")
    out = run("@TRANSFORM(@t('.X'), @t('.M'), 'SUM')", "2024-01-01", "2024-01-02", X=hours, M=marks)
    assert out.values.tolist() == [8.0, 8.0, 8.0]
    assert out.attrs["resolution"] == "PT0S"


def test_r3_intervals_of_a_number_of_seconds() -> None:
    # transform.md, TRANSFORM(t, d, s): 864000 seconds is 10 days
    days = series(pd.date_range("2024-01-01", periods=30, freq="D"), np.arange(30.0), "P1D")
    out = run("@TRANSFORM(@t('.X'), 864000, 'SUM')", "2024-01-01", "2024-01-31", X=days)
    assert out.values.tolist() == [45.0, 145.0, 245.0]


def test_r4_zone_codes() -> None:
    # Hours of summer 2024 in Oslo: local midnight is 22:00 UTC, standard midnight 23:00 UTC
    data = series(
        pd.date_range("2024-06-01", periods=72, freq="h"), np.arange(72.0), tz="Europe/Oslo"
    )
    lt = run(
        "@TRANSFORM(@t('.X'), 'DAY', 'FIRST', 'LT')", "2024-06-01T22:00", "2024-06-02T22:00", X=data
    )
    assert lt.values.tolist() == [22.0]
    nt = run(
        "@TRANSFORM(@t('.X'), 'DAY', 'FIRST', 'STANDARD')",
        "2024-06-01T23:00",
        "2024-06-02T23:00",
        X=data,
    )
    assert nt.values.tolist() == [23.0]
    utc = run("@TRANSFORM(@t('.X'), 'DAY', 'FIRST', 'UTC')", "2024-06-02", "2024-06-03", X=data)
    assert utc.values.tolist() == [24.0]


def test_zone_codes_mean_the_configured_zones(monkeypatch: pytest.MonkeyPatch) -> None:
    # zone codes resolve through periods.current_zones(): the configured standard zone (here
    # UTC+2) applies to TRANSFORM's zone argument and to a zone written with the interval
    monkeypatch.setenv("WORKBENCH_STANDARD_ZONE", "+02:00")
    data = series(pd.date_range("2024-06-01", periods=72, freq="h"), np.arange(72.0))
    for text in ("'DAY', 'FIRST', 'STANDARD'", "'DAY', 'FIRST', 'NT'", "'STANDARDDAY', 'FIRST'"):
        out = run(f"@TRANSFORM(@t('.X'), {text})", "2024-06-01T22:00", "2024-06-02T22:00", X=data)
        assert out.values.tolist() == [22.0], text
    monkeypatch.setenv("WORKBENCH_LOCAL_ZONE", "America/New_York")  # midnight is 04:00 UTC
    out = run(
        "@TRANSFORM(@t('.X'), 'DAY<LT>', 'FIRST')", "2024-06-01T04:00", "2024-06-02T04:00", X=data
    )
    assert out.values.tolist() == [4.0]


def test_varint_keeps_the_points_as_a_break_point_series() -> None:
    data = series(pd.date_range("2024-01-01", periods=4, freq="h"), [1.0, 2.0, 3.0, 4.0])
    out = run("@TRANSFORM(@t('.X'), 'VARINT', 'AVG')", "2024-01-01", "2024-01-02", X=data)
    assert out.values.tolist() == [1.0, 2.0, 3.0, 4.0] and out.attrs["resolution"] == "PT0S"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("'FORTNIGHT', 'AVG'", "resolution 'FORTNIGHT' is not understood; use MIN, MIN5"),
        ("'DAY', 'MEDIAN'", "method 'MEDIAN' is not known; use one of AVG, SUM, SUMI"),
        ("'DAY', 'AVG', 'Mars/Olympus'", "use 'LT' (local time), 'STANDARD'"),
        ("-5, 'AVG'", "positive number of seconds"),
    ],
)
def test_bad_options_name_what_is_accepted(args: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression(f"@TRANSFORM(@t('.X'), {args})")
    assert message in info.value.message


# --- properties against pandas ------------------------------------------------------------------

HOW = {"AVG": "mean", "SUM": "sum", "MIN": "min", "MAX": "max", "FIRST": "first", "LAST": "last"}


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.floats(-1e6, 1e6), st.just(float("nan"))), min_size=24, max_size=24 * 9
    ),
    method=st.sampled_from(sorted(HOW)),
    tz=st.sampled_from(["UTC", "Europe/Oslo", "America/New_York"]),
    rule=st.sampled_from([("DAY", "D"), ("MIN30", "30min"), ("HOUR", "h"), ("PT3H", "3h")]),
)
def test_aggregation_matches_pandas_resample(
    values: list[float], method: str, tz: str, rule: tuple[str, str]
) -> None:
    times = pd.date_range("2024-03-29T00:00", periods=len(values), freq="30min")
    data = series(times, values, "PT30M", tz=tz)
    start, end = str(times[0]), str(times[-1] + pd.Timedelta("30min"))
    out = run(f"@TRANSFORM(@t('.X'), '{rule[0]}', '{method}')", start, end, X=data)
    reference = getattr(local_pandas(data, tz).resample(rule[1]), HOW[method])()
    if method == "SUM":  # pandas sums an interval of missing values to 0; Mesh gives missing
        counts = local_pandas(data, tz).resample(rule[1]).count()
        reference = reference.where(counts > 0)
    reference.index = reference.index.tz_convert("UTC").tz_localize(None)
    reference = reference[reference.index >= times[0]]
    got = out.to_series()
    common = got.index.intersection(reference.index)
    assert len(common) >= len(got) - 1
    np.testing.assert_allclose(got[common].values, reference[common].values, rtol=1e-9, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=20),
    how=st.sampled_from(["SUM", "AVG"]),
    fine=st.sampled_from([("HOUR", "h", 24), ("MIN15", "15min", 96), ("PT6H", "6h", 4)]),
)
def test_spreading_matches_pandas_upsampling(
    values: list[float], how: str, fine: tuple[str, str, int]
) -> None:
    times = pd.date_range("2024-01-01", periods=len(values), freq="D")
    data = series(times, values, "P1D")
    end = str(times[-1] + pd.Timedelta("1D"))
    out = run(f"@TRANSFORM(@t('.X'), '{fine[0]}', '{how}')", "2024-01-01", end, X=data)
    frame = data.to_series()
    frame[times[-1] + pd.Timedelta("1D")] = np.nan
    reference = frame.resample(fine[1]).ffill().iloc[:-1]
    if how == "SUM":
        reference = reference / fine[2]
    np.testing.assert_allclose(out.values, reference.values, rtol=1e-12, atol=1e-9)
    # the spread values give back the daily ones
    back = out.to_series().resample("D").agg("sum" if how == "SUM" else "mean")
    np.testing.assert_allclose(back.values, values, rtol=1e-9, atol=1e-6)


# --- DISTRIBUTE and TRANS_PROFILE: distribute.md, trans_profile.md --------------------------------

QUARTERS = pd.date_range("2024-01-01", periods=8, freq="15min")


def ts5() -> xr.DataArray:
    return series(pd.date_range("2024-01-01", periods=2, freq="h"), [2.0, 0.0])


def quarters(values: list[float]) -> xr.DataArray:
    return series(QUARTERS, values, "PT15M")


def test_distribute_r6_divides_over_the_true_points_of_the_mask() -> None:
    # distribute.md R6: the hourly value divided into four; a NaN point is skipped
    mask = quarters([1, 2, 3, 2] * 2)
    out = run("@DISTRIBUTE(@t('.X'), @t('.M'))", "2024-01-01", "2024-01-01T01:00", X=ts5(), M=mask)
    assert out.values.tolist() == [0.5] * 4
    gap = quarters([1, 2, NAN, 2, 1, 2, NAN, 2])
    out = run("@DISTRIBUTE(@t('.X'), @t('.M'))", "2024-01-01", "2024-01-01T01:00", X=ts5(), M=gap)
    np.testing.assert_allclose(out.values, [2 / 3] * 3)
    assert out.attrs["resolution"] == "PT0S"  # "The result will be a break point time series"


NAN = float("nan")


def test_distribute_r7_and_ra7_with_a_profile() -> None:
    # distribute.md R7: FirstValue = 2 / 4 * 1 / 2 = 0.25; Ra7: 2 / 4 + 1 * (1 - 2) = -0.5 and
    # with K = 10: 2 / 4 + 10 * (1 - 2) = -9.5
    profile = quarters([1, 2, 3, 2] * 2)
    data = {"X": ts5(), "M": profile, "P": profile}
    r7 = run("@DISTRIBUTE(@t('.X'), @t('.M'), @t('.P'))", "2024-01-01", "2024-01-01T01:00", **data)
    assert r7.values.tolist() == [0.25, 0.5, 0.75, 0.5]
    for k, first in ((1, -0.5), (10, -9.5)):
        ra7 = run(
            f"@DISTRIBUTE({k}, @t('.X'), @t('.M'), @t('.P'))",
            "2024-01-01",
            "2024-01-01T01:00",
            **data,
        )
        assert ra7.values[0] == pytest.approx(first)
        assert ra7.values.mean() == pytest.approx(0.5)  # the hour's sum is kept


def test_trans_profile_r8_to_r11() -> None:
    # trans_profile.md: R8 gives the same as DISTRIBUTE R7 with an all-true mask; R9 MEAN keeps
    # the mean; where the input is 0 a relative profile gives P - M
    profile = quarters([1, 2, 3, 2] * 2)
    data = {"X": ts5(), "P": profile, "M": quarters([1.0] * 8)}
    r8 = run("@TRANS_PROFILE(@t('.X'), @t('.P'))", "2024-01-01", "2024-01-01T02:00", **data)
    assert r8.values.tolist() == [0.25, 0.5, 0.75, 0.5, -1.0, 0.0, 1.0, 0.0]
    r9 = run("@TRANS_PROFILE(@t('.X'), @t('.P'), 'MEAN')", "2024-01-01", "2024-01-01T01:00", **data)
    assert r9.values.tolist() == [1.0, 2.0, 3.0, 2.0]
    r10 = run(
        "@TRANS_PROFILE(@t('.X'), @t('.P'), @t('.M'))", "2024-01-01", "2024-01-01T01:00", **data
    )
    assert r10.values.tolist() == r8.values[:4].tolist()
    ra8 = run("@TRANS_PROFILE(10, @t('.X'), @t('.P'))", "2024-01-01", "2024-01-01T01:00", **data)
    assert ra8.values[0] == pytest.approx(-9.5)
    ra11 = run(
        "@TRANS_PROFILE(1, @t('.X'), @t('.P'), @t('.M'), 'AVERAGE')",
        "2024-01-01",
        "2024-01-01T01:00",
        **data,
    )
    assert ra11.values.tolist() == [1.0, 2.0, 3.0, 2.0]  # 2 + 1 * (P - 2)


# --- PROFILE, ValuesFromYear, TS_EXPAND -----------------------------------------------------------


def test_profile_repeats_a_day_and_derives_its_frequency() -> None:
    # profile.md: a 24-hour profile on 21 September 2014 gives the same values on any other day
    day = series(pd.date_range("2014-09-21", periods=24, freq="h"), np.arange(24.0))
    out = run("@PROFILE(@t('.X'))", "2015-01-05", "2015-01-06T12:00", X=day)
    assert out.values.tolist() == list(range(24)) + list(range(12))


def test_profile_with_an_explicit_frequency() -> None:
    # profile_with_explicit_frequency.md, example 2: hour values in the first week of 2007;
    # 20-02-2007 12:00 to 23-02-2007 00:00 with 'DAY' repeats 01-01-2007 2.5 times, starting with
    # the last half of the day
    week = series(pd.date_range("2007-01-01", periods=24 * 7, freq="h"), np.arange(24.0 * 7))
    out = run("@PROFILE(@t('.X'), 'DAY')", "2007-02-20T12:00", "2007-02-23", X=week)
    assert out.values.tolist() == list(range(12, 24)) + list(range(24)) * 2
    # example 3: a day series covering 2007; 19-02-2004 to 22-02-2004 gives 19-02-2007 on
    year = series(pd.date_range("2007-01-01", periods=365, freq="D"), np.arange(365.0), "P1D")
    out = run("@PROFILE(@t('.X'), 'YEAR')", "2004-02-19", "2004-02-22", X=year)
    assert out.values.tolist() == [49.0, 50.0, 51.0]
    # a weekly profile puts a Tuesday's values on Tuesdays
    weekly = run("@PROFILE(@t('.X'), 'WEEK')", "2008-01-01", "2008-01-02", X=week)
    assert weekly.values.tolist() == list(range(24, 48))  # Tuesdays: 1 January 2008, 2 January 2007


def test_values_from_year() -> None:
    # values_from_year.md: @ValuesFromYear(@t('AreaTemperature'), 2000)
    days = pd.date_range("1999-12-01", "2001-01-31", freq="D")
    data = series(
        days, np.asarray(days.day_of_year, dtype=float) + 1000 * (days.year - 1999), "P1D"
    )
    out = run("@ValuesFromYear(@t('.X'), 2000)", "2024-02-28", "2024-03-02", X=data)
    assert out.values.tolist() == [1059.0, 1060.0, 1061.0]  # 28 and 29 February, 1 March


def test_ts_expand_fills_by_step_or_line() -> None:
    # ts_expand.md: the previous real value, or interpolation when the series is linear
    hours = pd.date_range("2024-01-01", periods=6, freq="h")
    values = [1.0, NAN, NAN, 4.0, NAN, 10.0]
    step = run("@TS_EXPAND(@t('.X'))", "2024-01-01", "2024-01-01T06:00", X=series(hours, values))
    assert step.values.tolist() == [1.0, 1.0, 1.0, 4.0, 4.0, 10.0]
    linear = series(hours, values, curve="linear")
    line = run("@TS_EXPAND(@t('.X'))", "2024-01-01", "2024-01-01T06:00", X=linear)
    assert line.values.tolist() == [1.0, 2.0, 3.0, 4.0, 7.0, 10.0]
    forced = run("@TS_EXPAND(@t('.X'), 'step')", "2024-01-01", "2024-01-01T06:00", X=linear)
    assert forced.values.tolist() == step.values.tolist()
    later = run(
        "@TS_EXPAND(@t('.X'))", "2024-01-01T01:00", "2024-01-01T03:00", X=series(hours, values)
    )
    assert later.values.tolist() == [1.0, 1.0]  # the real value before the period
    gap = series(hours, [1.0, NAN, NAN, NAN, 7.0, 10.0])
    two = run("@TS_EXPAND(@t('.X'), 'PT2H', 'LINEAR')", "2024-01-01", "2024-01-01T06:00", X=gap)
    assert two.values.tolist() == [1.0, 4.0, 7.0]  # the first of 00:00, 02:00 (none), 04:00


def test_resolution_functions_over_the_store(ws: wb.Workspace, plant: wb.Object) -> None:
    t0 = pd.Timestamp("2025-01-01T00:00Z")
    hours = pd.date_range(t0, periods=48, freq="1h")
    shape = plant.add_sensor("shape", unit="MW", resolution="1h")
    shape.ingest(
        pd.Series(np.tile([1.0, 3.0], 24), index=hours),
        source="meter",
        belief_time="2025-01-03T00:00Z",
    )
    daily = plant.add_sensor("daily", unit="MWh", resolution="1D")
    daily.ingest(
        pd.Series([24.0, 48.0], index=hours[::24]), source="meter", belief_time="2025-01-03T00:00Z"
    )
    gappy = plant.add_sensor("gappy", unit="MW", resolution="1h")
    gappy.ingest(
        pd.Series([5.0, np.nan, np.nan, 8.0], index=hours[:4]),
        source="meter",
        belief_time="2025-01-03T00:00Z",
    )

    def value(text: str, lo: Any, hi: Any) -> list[float]:
        return [float(v) for v in ws.evaluate(text, lo, hi, relative_to=plant).values]

    spread = value(
        "@TRANS_PROFILE(@t(':daily'), @t(':shape'))",
        t0 + pd.Timedelta("22h"),
        t0 + pd.Timedelta("26h"),
    )
    assert spread == [0.5, 1.5, 1.0, 3.0]  # 24 / 24 · P / 2, then 48 / 24 · P / 2
    profile = value("@PROFILE(@t(':shape'), 'DAY')", "2025-03-01T00:00Z", "2025-03-01T03:00Z")
    assert profile == [1.0, 3.0, 1.0]
    filled = value("@TS_EXPAND(@t(':gappy'))", t0 + pd.Timedelta("1h"), t0 + pd.Timedelta("4h"))
    assert filled == [5.0, 5.0, 8.0]
    days = value("@TRANSFORM(@t(':shape'), 'DAY', 'SUMI')", t0, t0 + pd.Timedelta("2D"))
    assert days == [48.0 * 3600] * 2


def test_scaled_distributions_keep_the_unit_of_the_series() -> None:
    profile = quarters([1, 2, 3, 2] * 2)
    data = {"X": ts5(), "P": profile}
    out = run("@TRANS_PROFILE(10, @t('.X'), @t('.P'))", "2024-01-01", "2024-01-01T01:00", **data)
    assert out.attrs["units"] == "MW"
    out = run(
        "@DISTRIBUTE(2, @t('.X'), @t('.P'), @t('.P'))", "2024-01-01", "2024-01-01T01:00", **data
    )
    assert out.attrs["units"] == "MW"
