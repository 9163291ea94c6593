"""The fast paths of lining series up: shared time arrays, interned times, cuts made once.

Each fast path must give what the general path gives. The general path is reached by handing
the in-memory resolver functions instead of DataArrays (it reads those per period, as given),
so most tests evaluate both ways and compare.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from workbench.calc import Lookup, MemoryResolver, Viewpoint, evaluate
from workbench.calc.align import align
from workbench.calc.interpret import window_view, window_views
from workbench.calc.memory import SeriesSource
from workbench.calc.values import (
    NAT,
    Series,
    TimesPool,
    from_dataarray,
    same_times,
    to_dataarray,
)
from workbench.errors import ExpressionError

OWNER = "Model/Grid"
HOUR = 3_600 * 10**9


def make(
    times: Any,
    values: Any,
    units: str | None = "MW",
    curve: str | None = "step",
    resolution: str = "PT1H",
    timezone: str = "UTC",
    flags: Any = None,
) -> xr.DataArray:
    attrs = {"timezone": timezone, "resolution": resolution}
    if units is not None:
        attrs["units"] = units
    if curve is not None:
        attrs["curve_type"] = curve
    coords: dict[str, Any] = {"event_start": times}
    if flags is not None:
        coords["flags"] = ("event_start", np.asarray(flags, dtype=np.uint32))
    return xr.DataArray(
        np.asarray(values, dtype=float), coords=coords, dims="event_start", attrs=attrs
    )


def hours(count: int, start: str = "2024-01-01") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=count, freq="h")


def ns(index: pd.DatetimeIndex) -> np.ndarray:
    """Nanoseconds since 1970 of a naive index (pandas may hold it in microseconds)."""
    return index.as_unit("ns").asi8


def as_read(data: Mapping[str, xr.DataArray]) -> dict[str, SeriesSource]:
    """The same series as functions of the period: the resolver reads them as given."""

    def source(array: xr.DataArray) -> Callable[..., xr.DataArray]:
        return lambda start, end, viewpoint: array

    return {key: source(array) for key, array in data.items()}


def both(
    text: str, data: Mapping[str, xr.DataArray], start: str, end: str
) -> tuple[xr.DataArray, xr.DataArray]:
    """The expression evaluated through the prepared series and through the general path."""
    fast = evaluate(text, MemoryResolver(series=data), start, end, relative_to=OWNER)
    general = evaluate(text, MemoryResolver(series=as_read(data)), start, end, relative_to=OWNER)
    assert isinstance(fast, xr.DataArray) and isinstance(general, xr.DataArray)
    return fast, general


def assert_same(fast: xr.DataArray, general: xr.DataArray) -> None:
    xr.testing.assert_identical(fast, general)


def read(resolver: MemoryResolver, path: str, start: str, end: str) -> list[Any]:
    lookup = Lookup(path, OWNER)
    found = resolver.series([lookup], pd.Timestamp(start), pd.Timestamp(end), Viewpoint())
    return list(found[lookup])


def test_equal_times_in_separate_arrays_are_interned_once_and_summed() -> None:
    values = np.arange(48.0).reshape(4, 12)
    data = {f"{OWNER}/U{i}.P": make(hours(12).copy(), values[i]) for i in range(4)}
    assert len({id(d.get_index("event_start")) for d in data.values()}) == 4
    resolver = MemoryResolver(series=data)
    members = read(resolver, "/*.P", "2024-01-01", "2024-01-02")
    assert all(isinstance(m, Series) for m in members)
    assert all(m.times is members[0].times for m in members)
    assert not members[0].times.flags.writeable
    fast, general = both("@SUM(@T('/*.P'))", data, "2024-01-01", "2024-01-02")
    np.testing.assert_array_equal(fast.values, values.sum(axis=0))
    assert_same(fast, general)


def test_different_times_of_equal_length_and_ends_are_not_shared() -> None:
    base = hours(4)
    moved = base.delete(2).insert(2, base[2] + pd.Timedelta("30min"))  # 00, 01, 02:30, 03
    assert moved.size == base.size and moved[0] == base[0] and moved[-1] == base[-1]
    data = {
        f"{OWNER}/A.P": make(base, [1.0, 2.0, 3.0, 4.0]),
        f"{OWNER}/B.P": make(moved, [10.0, 20.0, 30.0, 40.0], curve="linear"),
    }
    members = read(MemoryResolver(series=data), "/*.P", "2024-01-01", "2024-01-02")
    assert members[0].times is not members[1].times
    fast, general = both("@SUM(@T('/*.P'))", data, "2024-01-01", "2024-01-02")
    # the union: 00, 01, 02, 02:30, 03; A held as a step, B interpolated (linear)
    expected = [1.0 + 10.0, 2.0 + 20.0, 3.0 + 20.0 + 10.0 / 1.5, 3.0 + 30.0, 4.0 + 40.0]
    np.testing.assert_allclose(fast.values, expected)
    assert fast.attrs["curve_type"] == "linear"
    assert_same(fast, general)


def test_shifted_times_are_aligned_on_their_union() -> None:
    data = {
        f"{OWNER}/A.P": make(hours(3), [1.0, 2.0, 3.0]),
        f"{OWNER}/B.P": make(hours(3, "2024-01-01T01:00"), [10.0, 20.0, 30.0]),
    }
    fast, general = both("@SUM(@T('/*.P'))", data, "2024-01-01", "2024-01-02")
    np.testing.assert_array_equal(fast.values, [np.nan, 12.0, 23.0, np.nan])
    assert_same(fast, general)


def test_series_of_one_dataset_share_their_times_without_comparing() -> None:
    batch = xr.Dataset(
        {f"v{i}": ("event_start", np.full(6, float(i))) for i in range(3)},
        coords={"event_start": hours(6)},
    )
    data = {f"{OWNER}/U{i}.P": batch[f"v{i}"].assign_attrs(units="MW") for i in range(3)}
    members = read(MemoryResolver(series=data), "/*.P", "2024-01-01", "2024-01-02")
    assert members[0].times is members[1].times is members[2].times
    pool = TimesPool()
    first, second = (from_dataarray(d, pool) for d in list(data.values())[:2])
    assert first.times is second.times
    assert from_dataarray(data[f"{OWNER}/U0.P"]).times is not first.times


def test_times_with_nat_are_read_as_given_like_before() -> None:
    with_nat = pd.DatetimeIndex([*hours(3), pd.NaT])
    data = {
        f"{OWNER}/A.P": make(hours(4), [1.0, 2.0, 3.0, 4.0]),
        f"{OWNER}/B.P": make(with_nat, [10.0, 20.0, 30.0, 40.0]),
    }
    members = read(MemoryResolver(series=data), "/*.P", "2024-01-01", "2024-01-02")
    assert isinstance(members[0], Series) and isinstance(members[1], xr.DataArray)
    for start in ("2024-01-01", "2024-01-01T01:00"):
        assert_same(*both("@SUM(@T('/*.P'))", data, start, "2024-01-02"))


def test_timezone_aware_times_share_with_equal_utc_instants() -> None:
    utc = hours(6)
    oslo = utc.tz_localize("UTC").tz_convert("Europe/Oslo")  # the same instants
    data = {
        f"{OWNER}/A.P": make(utc, np.arange(6.0)),
        f"{OWNER}/B.P": make(oslo, np.ones(6), timezone="Europe/Oslo"),
    }
    members = read(MemoryResolver(series=data), "/*.P", "2024-01-01", "2024-01-02")
    assert members[0].times is members[1].times
    for start in ("2024-01-01", "2024-01-01T02:30"):  # all of them, and cut
        out, general = both("@SUM(@T('/*.P'))", data, start, "2024-01-02")
        assert_same(out, general)
    np.testing.assert_array_equal(out.values, np.arange(3.0, 6.0) + 1)  # regular: from 03:00
    assert out.attrs["timezone"] == "UTC"  # the first member's
    np.testing.assert_array_equal(out.get_index("event_start"), utc[3:])


def test_equal_wall_clock_times_in_another_timezone_are_other_instants() -> None:
    utc = hours(4)
    oslo = utc.tz_localize("Europe/Oslo")  # an hour earlier in UTC
    data = {
        f"{OWNER}/A.P": make(utc, [1.0, 2.0, 3.0, 4.0]),
        f"{OWNER}/B.P": make(oslo, [10.0, 20.0, 30.0, 40.0], timezone="Europe/Oslo"),
    }
    members = read(MemoryResolver(series=data), "/*.P", "2023-12-31T23:00", "2024-01-02")
    assert not same_times(members[0].times, members[1].times)
    out = evaluate(
        "@SUM(@T('/*.P'))",
        MemoryResolver(series=data),
        "2023-12-31T23:00",
        "2024-01-02",
        relative_to=OWNER,
    )
    assert isinstance(out, xr.DataArray)
    np.testing.assert_array_equal(out.values, [np.nan, 21.0, 32.0, 43.0, np.nan])


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2024-01-01", "2024-01-02"),  # all of it
        ("2024-01-01T02:00", "2024-01-01T07:00"),  # inside, on points
        ("2024-01-01T02:30", "2024-01-01T06:30"),  # inside, between points
        ("2023-12-31", "2024-01-01T03:00"),  # before it
        ("2024-01-01T09:00", "2024-01-03"),  # past its end
    ],
)
def test_cuts_for_a_period_match_the_general_path(start: str, end: str) -> None:
    times = hours(10)
    irregular = times[[0, 3, 4, 8]]
    data = {
        f"{OWNER}/A.P": make(times.copy(), np.arange(10.0), flags=np.arange(10) % 3),
        f"{OWNER}/B.P": make(times.copy(), np.arange(10.0) * 2, curve="linear"),
        f"{OWNER}/C.P": make(times.copy(), np.arange(10.0) * 3),
        f"{OWNER}/D.P": make(irregular, [5.0, 6.0, 7.0, 8.0], resolution="PT0S"),
    }
    for text in (
        "@SUM(@T('/*.P'))",
        "@t('/A.P') + @t('/C.P')",
        "@MAX(@t('/A.P'), @t('/B.P'), @t('/C.P'))",
    ):
        assert_same(*both(text, data, start, end))
    members = evaluate("@T('/*.P')", MemoryResolver(series=data), start, end, relative_to=OWNER)
    general = evaluate(
        "@T('/*.P')", MemoryResolver(series=as_read(data)), start, end, relative_to=OWNER
    )
    assert isinstance(members, list) and isinstance(general, list)
    for mine, theirs in zip(members, general, strict=True):
        assert_same(mine, theirs)
    assert "flags" in members[0].coords


def test_a_cut_is_made_once_for_series_on_one_times_array() -> None:
    data = {f"{OWNER}/U{i}.P": make(hours(10).copy(), np.full(10, float(i))) for i in range(3)}
    members = read(MemoryResolver(series=data), "/*.P", "2024-01-01T02:30", "2024-01-01T05:00")
    times = members[0].times
    assert all(m.times is times for m in members)
    np.testing.assert_array_equal(times, ns(hours(10)[2:5]))  # with the point before the start


def test_window_views_share_cut_times_and_match_window_view() -> None:
    times = np.arange(6, dtype=np.int64) * HOUR
    regular = [Series(times, np.full(6, float(i)), resolution="PT1H") for i in range(2)]
    irregular = [Series(times, np.arange(6.0) + i) for i in range(2)]
    linear = Series(times, np.arange(6.0), curve_type="linear")
    members = [*regular, *irregular, linear]
    for window in ((0, 6 * HOUR), (HOUR + HOUR // 2, 4 * HOUR), (2 * HOUR, 10 * HOUR), (-HOUR, 0)):
        views = window_views(members, window)
        for view, member in zip(views, members, strict=True):
            expected = window_view(member, window)
            np.testing.assert_array_equal(view.times, expected.times)
            np.testing.assert_array_equal(view.values, expected.values)
        assert views[0].times is views[1].times and views[2].times is views[3].times
    held = window_views(irregular, (HOUR + HOUR // 2, 4 * HOUR))
    assert held[0].times[0] == HOUR + HOUR // 2 and held[0].values[0] == 1.0
    assert times[1] == HOUR  # the times cut were not written to


def test_members_in_another_unit_are_converted() -> None:
    data = {
        f"{OWNER}/A.P": make(hours(3).copy(), [1.0, 2.0, 3.0], units="MW"),
        f"{OWNER}/B.P": make(hours(3).copy(), [500.0, 1000.0, 1500.0], units="kW"),
        f"{OWNER}/C.P": make(hours(3).copy(), [1.0, 1.0, 1.0], units=None),
    }
    members = read(MemoryResolver(series=data), "/*.P", "2024-01-01", "2024-01-02")
    assert [type(m) for m in members] == [Series, xr.DataArray, Series]
    fast, general = both("@SUM(@T('/*.P'))", data, "2024-01-01", "2024-01-02")
    np.testing.assert_allclose(fast.values, [2.5, 4.0, 5.5])
    assert fast.attrs["units"] == "MW"
    assert_same(fast, general)


def test_a_member_without_a_curve_type_takes_its_lookups() -> None:
    data = {
        f"{OWNER}/A.P": make(hours(2, "2024-01-01T01:00"), [0.0, 10.0], curve="linear"),
        f"{OWNER}/B.P": make(hours(3), [1.0, 2.0, 3.0], curve=None),
    }
    members = read(MemoryResolver(series=data), "/*.P", "2024-01-01", "2024-01-02")
    assert [m.curve_type for m in members] == ["linear", "linear"]
    assert_same(*both("@SUM(@T('/*.P'))", data, "2024-01-01", "2024-01-02"))
    alone = read(MemoryResolver(series=data), "/B.P", "2024-01-01", "2024-01-02")
    assert alone[0].curve_type == "step"


def test_series_not_of_the_contract_are_still_refused_when_read() -> None:
    untimed = xr.DataArray([1.0, 2.0], dims="event_start", attrs={"units": "MW"})
    two_d = xr.DataArray(
        np.zeros((2, 2)),
        coords={"event_start": hours(2)},
        dims=("event_start", "source"),
        attrs={"units": "MW"},
    )
    for data in (untimed, two_d):
        resolver = MemoryResolver(series={f"{OWNER}.P": data})
        with pytest.raises(ExpressionError, match="is not usable"):
            evaluate("@t('.P')", resolver, "2024-01-01", "2024-01-02", relative_to=OWNER)


def test_a_collection_of_one_is_copied_not_changed() -> None:
    source = make(hours(3), [1.0, 2.0, 3.0])
    resolver = MemoryResolver(series={f"{OWNER}/A.P": source})
    for name in ("SUM", "MEAN", "MIN", "MAX"):
        out = evaluate(
            f"@{name}(@T('/*.P')) * 2", resolver, "2024-01-01", "2024-01-02", relative_to=OWNER
        )
        assert isinstance(out, xr.DataArray)
        np.testing.assert_array_equal(out.values, [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(source.values, [1.0, 2.0, 3.0])


def test_running_combinations_keep_missing_values_and_the_order_of_sums() -> None:
    rng = np.random.default_rng(5)
    arrays = rng.random((5, 8))
    arrays[2, 3] = np.nan
    data = {f"{OWNER}/U{i}.P": make(hours(8).copy(), arrays[i]) for i in range(5)}
    resolver = MemoryResolver(series=data)
    expected = {
        "SUM": arrays[0] + arrays[1] + arrays[2] + arrays[3] + arrays[4],
        "MIN": np.minimum.reduce(arrays),
        "MAX": np.maximum.reduce(arrays),
    }
    expected["MEAN"] = expected["SUM"] / 5
    for name, values in expected.items():
        out = evaluate(
            f"@{name}(@T('/*.P'))", resolver, "2024-01-01", "2024-01-02", relative_to=OWNER
        )
        assert isinstance(out, xr.DataArray)
        np.testing.assert_array_equal(out.values, values)
        assert np.isnan(out.values[3])


def test_same_times_compares_values_unless_it_is_one_array() -> None:
    times = np.arange(5, dtype=np.int64) * HOUR
    assert same_times(times, times)
    assert same_times(times, times[:])  # a view of the same memory
    assert same_times(times, times.copy())
    assert not same_times(times[1:], times[:-1])  # one memory, other instants
    other = times.copy()
    other[2] += 1
    assert not same_times(times, other)
    assert not same_times(times, times[:4])
    assert same_times(times[:0], np.zeros(0, dtype=np.int64))
    with_nat = times.copy()
    with_nat[-1] = NAT
    assert same_times(with_nat, with_nat.copy()) and not same_times(times, with_nat)


def test_times_pool_shares_equal_arrays_and_keeps_unequal_ones_apart() -> None:
    pool = TimesPool()
    times = np.arange(100, dtype=np.int64)
    first = pool.share(times)
    assert pool.share(times.copy()) is first and pool.share(times) is first
    inside = times.copy()
    inside[50] = 1_000  # same length and samples at the ends, other inside
    assert pool.share(inside) is not first
    assert pool.share(inside.copy()) is pool.share(inside)
    assert not first.flags.writeable and times.flags.writeable
    index = hours(3)
    assert pool.of_index(index) is pool.of_index(index)
    aware = index.tz_localize("Europe/Oslo")
    np.testing.assert_array_equal(pool.of_index(aware), ns(index) - HOUR)


@pytest.mark.parametrize("flags", [None, [0, 1, 2]])
@pytest.mark.parametrize("name", [None, "total"])
def test_to_dataarray_builds_what_the_public_constructor_builds(
    flags: list[int] | None, name: str | None
) -> None:
    times = ns(hours(3))
    series = Series(
        times,
        np.array([1.0, 2.0, 3.0]),
        "Europe/Oslo",
        "PT1H",
        "linear",
        None if flags is None else np.asarray(flags, dtype=np.uint32),
    )
    built = to_dataarray(series, "MW", name)
    coords: dict[str, Any] = {"event_start": pd.DatetimeIndex(times.view("datetime64[ns]"))}
    if flags is not None:
        coords["flags"] = ("event_start", np.asarray(flags, dtype=np.uint32))
    public = xr.DataArray(
        [1.0, 2.0, 3.0],
        coords=coords,
        dims="event_start",
        name=name,
        attrs={
            "units": "MW",
            "timezone": "Europe/Oslo",
            "resolution": "PT1H",
            "curve_type": "linear",
        },
    )
    xr.testing.assert_identical(built, public)
    assert list(built.xindexes) == ["event_start"]
    assert np.shares_memory(built.values, series.values)
    assert built.sel(event_start="2024-01-01T01:00").item() == 2.0
    assert (built + built).values.tolist() == [2.0, 4.0, 6.0]


def test_align_takes_the_finest_resolution_and_any_linear() -> None:
    times = np.arange(3, dtype=np.int64) * HOUR
    members = [
        Series(times, np.zeros(3), resolution="PT1H"),
        Series(times, np.zeros(3), resolution="PT15M", timezone="Europe/Oslo"),
        Series(times, np.zeros(3), resolution="PT15M", curve_type="linear"),
        Series(times.copy(), np.zeros(3)),
    ]
    union, values, meta = align(members)
    assert union is times and len(values) == 4
    assert (meta.resolution, meta.curve_type, meta.timezone) == ("PT15M", "linear", "UTC")
    _, _, irregular = align([Series(times, np.zeros(3))])
    assert (irregular.resolution, irregular.curve_type) == ("PT0S", "step")
