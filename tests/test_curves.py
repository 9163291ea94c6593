"""Tests of rating curves and XY-sets: evaluation, version choice, validation and round trips."""

from __future__ import annotations

import doctest
import json
import math
import warnings
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench import curves
from workbench.curves import (
    RatingCurve,
    RatingCurveVersion,
    RatingSegment,
    VersionedXYSet,
    XYCurve,
    XYSet,
    XYSetVersion,
)
from workbench.errors import InvalidValue, UnitError
from workbench.units import parse_unit

NAN = math.nan
T0, T1, T2 = datetime(2024, 1, 1), datetime(2024, 7, 1), datetime(2025, 1, 1)


def version(valid_from: datetime = T0, scale: float = 1.0) -> RatingCurveVersion:
    """f = x^2 on [0, 2), 2(x + 1) on [2, 5), 3 sqrt(x - 1) on [5, 10); a scaled by ``scale``."""
    return RatingCurveVersion(
        valid_from,
        0.0,
        (
            RatingSegment(2.0, 1.0 * scale, 0.0, 2.0),
            RatingSegment(5.0, 2.0 * scale, 1.0, 1.0),
            RatingSegment(10.0, 3.0 * scale, -1.0, 0.5),
        ),
    )


def ns(*texts: str) -> np.ndarray:
    return np.array(texts, dtype="datetime64[ns]")


def assert_same(actual: Any, expected: Any) -> None:
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=0, equal_nan=True)


# --- rating curve evaluation --------------------------------------------------------------------


def test_rating_version_matches_hand_computed_values_at_segment_boundaries() -> None:
    below_two = np.nextafter(2.0, 0.0)
    x = [-1e-12, 0.0, 1.0, below_two, 2.0, 4.5, 5.0, 9.0, 10.0, 11.0, NAN, np.inf, -np.inf]
    expected = [
        NAN,  # below x_range_from
        0.0,  # x_range_from is inside the first segment
        1.0,
        below_two**2,  # just before the first x_range_until: still the first segment
        6.0,  # 2.0 starts the second segment: 2 (2 + 1)
        11.0,
        6.0,  # 5.0 starts the third segment: 3 sqrt(5 - 1)
        3.0 * math.sqrt(8.0),
        NAN,  # the last x_range_until is excluded
        NAN,
        NAN,
        NAN,
        NAN,
    ]
    result = version().evaluate(np.array(x))
    assert result.dtype == np.float64
    assert_same(result, expected)


def test_rating_version_keeps_the_shape_of_its_input() -> None:
    v = version()
    assert v.evaluate(3.0).shape == ()
    assert float(v.evaluate(3.0)) == 8.0
    assert_same(v.evaluate([[1.0, 3.0], [12.0, 6.0]]), [[1.0, 8.0], [NAN, 3 * math.sqrt(5)]])
    assert v.evaluate(np.arange(6, dtype=np.int32)).dtype == np.float64


def test_rating_version_gives_nan_without_warning_for_a_negative_base() -> None:
    v = RatingCurveVersion(T0, -10.0, (RatingSegment(10.0, 1.0, 0.0, 0.5),))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = v.evaluate([-4.0, 4.0])
    assert_same(result, [NAN, 2.0])


def test_rating_version_rejects_values_that_are_not_numbers() -> None:
    with pytest.raises(InvalidValue, match=r"x must be numbers .*got \['a', 'b'\]"):
        version().evaluate(["a", "b"])


def test_rating_curve_version_at_picks_the_version_valid_then() -> None:
    curve = RatingCurve((version(T0), version(T1, 2.0), version(T2, 3.0)))
    assert curve.version_at(T0 - timedelta(microseconds=1)) is None
    assert curve.version_at(T0) is curve.versions[0]
    assert curve.version_at(T1 - timedelta(microseconds=1)) is curve.versions[0]
    assert curve.version_at(T1) is curve.versions[1]
    assert curve.version_at(datetime(2030, 1, 1)) is curve.versions[2]
    # 2024-07-01 01:30 at UTC+02:00 is 2024-06-30 23:30 UTC: still the first version.
    aware = datetime(2024, 7, 1, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assert curve.version_at(aware) is curve.versions[0]
    assert curve.version_at(np.datetime64("2024-07-01T00:00:00", "ns")) is curve.versions[1]
    assert (
        curve.version_at(np.datetime64("2024-06-30T23:59:59.999999999", "ns"))
        is (curve.versions[0])
    )
    assert curve.version_at(pd.Timestamp("2025-01-01T00:00", tz="UTC")) is curve.versions[2]


def test_rating_curve_version_at_rejects_what_is_not_a_time() -> None:
    curve = RatingCurve((version(),))
    with pytest.raises(
        InvalidValue, match=r"t must be a datetime or numpy datetime64.*'2024-01-01'"
    ):
        curve.version_at("2024-01-01")  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match=r"not NaT"):
        curve.version_at(np.datetime64("NaT"))
    with pytest.raises(InvalidValue, match=r"not NaT"):
        curve.version_at(pd.NaT)


def test_rating_curve_evaluates_each_point_with_the_version_valid_at_its_time() -> None:
    curve = RatingCurve((version(T0), version(T1, 2.0), version(T2, 3.0)))
    times = ns(
        "2023-12-31T23:59:59.999999999",
        "2024-01-01",
        "2024-06-30T23:59:59.999999999",
        "2024-07-01",
        "2026-01-01",
        "NaT",
    )
    x = np.full(times.shape, 3.0)
    assert_same(curve.evaluate(x, times), [NAN, 8.0, 8.0, 16.0, 24.0, NAN])
    assert_same(curve.evaluate(x), np.full(times.shape, 24.0))  # latest version without times


def test_sorted_and_shuffled_times_give_the_same_values() -> None:
    """Sorted times take one slice per version; shuffled ones are grouped per point."""
    curve = RatingCurve((version(T0), version(T1, 2.0), version(T2, 3.0)))
    starts = [np.datetime64(t, "ns") for t in (T0, T1, T2)]
    one_ns = np.timedelta64(1, "ns")
    times = np.array(
        ["NaT", "2023-01-01", *[s + d for s in starts for d in (-one_ns, 0 * one_ns, one_ns)]],
        dtype="datetime64[ns]",
    )
    x = np.linspace(0.0, 9.0, times.size)
    expected = [reference_curve(curve, xi, ti) for xi, ti in zip(x, times, strict=True)]
    assert_same(curve.evaluate(x, times), expected)  # NaT first: sorted as integers
    order = np.random.default_rng(1).permutation(times.size)
    assert_same(curve.evaluate(x[order], times[order]), np.array(expected)[order])


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_times_in_any_unit_and_versions_far_in_time(unit: str) -> None:
    """Starts outside the nanosecond range (years 1 and 9000) fall back to microseconds."""
    curve = RatingCurve(
        (version(datetime(1, 1, 1)), version(T1, 2.0), version(datetime(9000, 1, 1), 3.0))
    )
    times = np.array(
        ["1970-01-01", "2024-06-30T23:59:59", "2024-07-01", "NaT"], dtype=f"datetime64[{unit}]"
    )
    assert_same(curve.evaluate(np.full(4, 3.0), times), [8.0, 8.0, 16.0, NAN])
    just_before = np.datetime64("2024-06-30T23:59:59.999999999", "ns")
    assert_same(
        curve.evaluate([3.0, 3.0], np.array([just_before, "NaT"], dtype="datetime64[ns]")),
        [8.0, NAN],
    )
    assert curve.version_at(just_before) is curve.versions[0]
    assert curve.version_at(datetime(9999, 12, 31)) is curve.versions[2]


def test_rating_curve_accepts_timezone_aware_times() -> None:
    curve = RatingCurve((version(T0), version(T1, 2.0)))
    times = pd.DatetimeIndex(["2024-07-01T01:30", "2024-07-01T02:30"]).tz_localize("Europe/Oslo")
    assert_same(curve.evaluate([3.0, 3.0], times), [8.0, 16.0])


def test_times_may_be_datetimes_or_iso_texts_and_may_be_empty() -> None:
    curve = RatingCurve((version(T0), version(T1, 2.0)))
    as_objects = [datetime(2024, 7, 1, 1, tzinfo=timezone(timedelta(hours=2))), None]
    assert_same(curve.evaluate([3.0, 3.0], as_objects), [8.0, NAN])
    assert_same(curve.evaluate([3.0, 3.0], ["2024-07-01T00:00Z", "2024-07-01"]), [16.0, 16.0])
    assert curve.evaluate([], []).shape == (0,)


def test_rating_curve_without_versions_gives_nan() -> None:
    empty = RatingCurve(())
    assert empty.version_at(T0) is None
    assert_same(empty.evaluate([1.0, 2.0]), [NAN, NAN])
    assert_same(empty.evaluate([1.0, 2.0], ns("2024-01-01", "2025-01-01")), [NAN, NAN])


def test_rating_curve_rejects_times_that_do_not_fit_x() -> None:
    curve = RatingCurve((version(),))
    with pytest.raises(
        InvalidValue, match=r"times must have the shape of x, got \(1,\) for x of shape \(2,\)"
    ):
        curve.evaluate([1.0, 2.0], ns("2024-01-01"))
    with pytest.raises(
        InvalidValue, match=r"times must be datetime64 values or datetimes, got int64"
    ):
        curve.evaluate([1.0, 2.0], np.array([1, 2]))
    with pytest.raises(InvalidValue, match=r"times must be datetime64 values or datetimes"):
        curve.evaluate([1.0], ["not a time"])


def test_rating_curve_groups_many_versions() -> None:
    """More versions than the masked path handles: the sorted grouping must agree with a loop."""
    starts = [datetime(2020, 1, 1) + timedelta(days=30 * k) for k in range(20)]
    curve = RatingCurve(tuple(version(t, 1.0 + k) for k, t in enumerate(starts)))
    rng = np.random.default_rng(7)
    times = np.datetime64("2019-12-01", "ns") + rng.integers(0, 700, 5000).astype("timedelta64[D]")
    x = rng.uniform(-1.0, 11.0, times.shape)
    expected = [reference_curve(curve, xi, ti) for xi, ti in zip(x, times, strict=True)]
    assert_same(curve.evaluate(x, times), expected)


# --- XY curves and sets -------------------------------------------------------------------------

RISING = XYCurve(10.0, (0.0, 10.0), (0.0, 10.0))
STEEP = XYCurve(20.0, (0.0, 20.0), (0.0, 40.0))


def test_xy_curve_interpolates_linearly_and_gives_nan_outside() -> None:
    curve = XYCurve(1.0, (0.0, 2.0, 4.0), (10.0, 20.0, 0.0))
    result = curve.interpolate([-0.1, 0.0, 1.0, 2.0, 3.0, 4.0, 4.1, NAN])
    assert_same(result, [NAN, 10.0, 15.0, 20.0, 10.0, 0.0, NAN, NAN])
    assert curve.interpolate(1.0).shape == ()


def test_xy_curve_inverse_reads_x_for_y_on_rising_and_falling_curves() -> None:
    rising = XYCurve(0.0, (0.0, 1.0, 3.0), (100.0, 200.0, 300.0))
    assert_same(rising.inverse([100.0, 150.0, 250.0, 300.0, 99.0, 301.0]), [0, 0.5, 2, 3, NAN, NAN])
    falling = XYCurve(0.0, (0.0, 1.0, 3.0), (300.0, 200.0, 100.0))
    assert_same(falling.inverse([300.0, 250.0, 150.0, 100.0, 301.0, NAN]), [0, 0.5, 2, 3, NAN, NAN])


def test_xy_curve_inverse_needs_strictly_monotonic_y() -> None:
    bump = XYCurve(5.0, (0.0, 1.0, 2.0), (0.0, 1.0, 0.5))
    with pytest.raises(
        InvalidValue, match=r"z=5.0 cannot be inverted: y\[2\] = 0.5 after y\[1\] = 1.0"
    ):
        bump.inverse(0.5)
    flat = XYCurve(5.0, (0.0, 1.0), (2.0, 2.0))
    with pytest.raises(
        InvalidValue, match=r"y\[1\] = 2.0 after y\[0\] = 2.0; inverse lookups need"
    ):
        flat.inverse(2.0)


def test_xy_set_keeps_curves_sorted_and_finds_them_by_z() -> None:
    xy = XYSet((STEEP, RISING), x_unit="m", y_unit="MW", z_unit="m", description="efficiency")
    assert [c.z for c in xy.curves] == [10.0, 20.0]
    assert xy.curve(20.0) is STEEP
    assert xy.curve(10) is RISING
    assert_same(xy.interpolate([5.0, 15.0], z=20.0), [10.0, 30.0])
    assert_same(xy.inverse([10.0], z=20.0), [5.0])
    assert XYSet((RISING,)).curve() is RISING
    assert_same(XYSet((RISING,)).interpolate([4.0]), [4.0])
    assert_same(XYSet((RISING,)).inverse([4.0]), [4.0])


def test_xy_set_curve_errors_list_the_z_values_available() -> None:
    xy = XYSet((RISING, STEEP))
    with pytest.raises(InvalidValue, match=r"z=None is ambiguous: .* 2 curves; .*: 10.0, 20.0"):
        xy.curve()
    with pytest.raises(
        InvalidValue, match=r"no curve at z=15.0; the z values available: 10.0, 20.0"
    ):
        xy.interpolate([1.0], z=15.0)
    with pytest.raises(InvalidValue, match=r"no curve at z=1.0; the z values available: none"):
        XYSet(()).curve(1.0)


def test_xy_set_interpolate_2d_matches_hand_computed_values() -> None:
    xy = XYSet((RISING, STEEP))
    x = [5.0, 5.0, 5.0, 15.0, 15.0, 15.0, 5.0, 5.0, 5.0, NAN, 0.0]
    z = [10.0, 20.0, 15.0, 10.0, 20.0, 15.0, 5.0, 25.0, NAN, 12.0, 12.5]
    expected = [5.0, 10.0, 7.5, NAN, 30.0, NAN, NAN, NAN, NAN, NAN, 0.0]
    assert_same(xy.interpolate_2d(x, z), expected)
    # z = 12.5 is a quarter of the way from 10 to 20: 5 + 0.25 (10 - 5).
    assert_same(xy.interpolate_2d(5.0, [12.5, 17.5]), [6.25, 8.75])
    assert_same(xy.interpolate_2d([[5.0], [10.0]], [10.0, 20.0]), [[5.0, 10.0], [10.0, 20.0]])


def test_xy_set_interpolate_2d_with_one_curve_or_none() -> None:
    assert_same(
        XYSet((RISING,)).interpolate_2d([5.0, 5.0, 5.0], [10.0, 10.5, 9.5]), [5.0, NAN, NAN]
    )
    assert_same(XYSet(()).interpolate_2d([5.0, 5.0], [10.0, 0.0]), [NAN, NAN])


def test_xy_set_interpolate_2d_with_many_curves_agrees_with_a_loop() -> None:
    xy = XYSet(tuple(XYCurve(float(k), (0.0, 5.0, 10.0), (k, 2.0 * k, k * k)) for k in range(15)))
    rng = np.random.default_rng(3)
    x, z = rng.uniform(-1.0, 11.0, 3000), rng.uniform(-1.0, 15.0, 3000)
    z[::7] = np.round(z[::7])  # exact curve positions too
    expected = [reference_2d(xy, xi, zi) for xi, zi in zip(x, z, strict=True)]
    assert_same(xy.interpolate_2d(x, z), expected)


def test_versioned_xy_set_picks_the_set_valid_at_each_time() -> None:
    old = XYSet((RISING,))
    new = XYSet((XYCurve(10.0, (0.0, 10.0), (0.0, 5.0)), STEEP))
    versioned = VersionedXYSet((XYSetVersion(T0, old), XYSetVersion(T1, new)))
    assert versioned.at(T0 - timedelta(seconds=1)) is None
    assert versioned.at(T0) is old
    assert versioned.at(T1) is new
    times = ns("2023-01-01", "2024-03-01", "2024-07-01", "NaT")
    assert_same(versioned.interpolate([4.0, 4.0, 4.0, 4.0], times, z=10.0), [NAN, 4.0, 2.0, NAN])
    with pytest.raises(InvalidValue, match=r"z=None is ambiguous: this XY-set has 2 curves"):
        versioned.interpolate([4.0], ns("2024-08-01"))
    # The first version's single curve needs no z.
    assert_same(versioned.interpolate([4.0], ns("2024-03-01")), [4.0])
    assert_same(VersionedXYSet(()).interpolate([1.0], ns("2024-01-01")), [NAN])


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: RatingSegment(1.0, NAN, 0.0, 1.0),
            r"RatingSegment.a must be a finite number, got nan",
        ),
        (
            lambda: RatingSegment(1.0, 1.0, "0", 1.0),
            r"RatingSegment.b must be a finite number, got '0'",
        ),
        (
            lambda: RatingSegment(np.inf, 1.0, 0.0, 1.0),
            r"x_range_until must be a finite number, got inf",
        ),
        (
            lambda: RatingSegment(10**400, 1.0, 0.0, 1.0),
            r"x_range_until must be a finite number, got 1000000",
        ),
        (
            lambda: RatingSegment(1.0, 1.0, 0.0, True),
            r"RatingSegment.c must be a finite number, got True",
        ),
        (
            lambda: RatingCurveVersion("2024-01-01", 0.0, (RatingSegment(1.0, 1.0, 0.0, 1.0),)),
            r"valid_from must be a datetime \(naive UTC or timezone-aware\), got '2024-01-01'",
        ),
        (
            lambda: RatingCurveVersion(T0, None, (RatingSegment(1.0, 1.0, 0.0, 1.0),)),
            r"RatingCurveVersion.x_range_from must be a finite number, got None",
        ),
        (lambda: RatingCurveVersion(T0, 0.0, ()), r"segments is empty; give at least one segment"),
        (
            lambda: RatingCurveVersion(T0, 0.0, RatingSegment(1.0, 1.0, 0.0, 1.0)),
            r"RatingCurveVersion.segments must be a tuple of RatingSegment, got RatingSegment\(",
        ),
        (
            lambda: RatingCurveVersion(T0, 0.0, ({"x_range_until": 1.0},)),
            r"segments\[0\] must be a RatingSegment, got \{'x_range_until': 1.0\}",
        ),
        (
            lambda: RatingCurveVersion(T0, 1.0, (RatingSegment(1.0, 1.0, 0.0, 1.0),)),
            r"segments\[0\].x_range_until = 1.0 must be greater than x_range_from = 1.0",
        ),
        (
            lambda: RatingCurveVersion(
                T0, 0.0, (RatingSegment(3.0, 1.0, 0.0, 1.0), RatingSegment(2.0, 1.0, 0.0, 1.0))
            ),
            r"segments\[1\].x_range_until = 2.0 must be greater than segments\[0\].x_range_until "
            r"= 3.0: segment bounds increase strictly",
        ),
        (
            lambda: RatingCurveVersion(
                datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))), 0.0, ()
            ),
            r"valid_from .* lies outside the years 1 to 9999 in UTC",
        ),
        (
            lambda: RatingCurve((version(T1), version(T1))),
            r"RatingCurve.versions\[1\].valid_from 2024-07-01T00:00:00Z must be later than "
            r"RatingCurve.versions\[0\].valid_from 2024-07-01T00:00:00Z",
        ),
        (
            lambda: RatingCurve((version(T1), version(T0))),
            r"versions\[1\].valid_from 2024-01-01T00:00:00Z must be later than",
        ),
        (lambda: RatingCurve((RISING,)), r"RatingCurve.versions\[0\] must be a RatingCurveVersion"),
        (
            lambda: XYCurve("z", (0.0, 1.0), (0.0, 1.0)),
            r"XYCurve.z must be a finite number, got 'z'",
        ),
        (lambda: XYCurve(0.0, "01", (0.0, 1.0)), r"XYCurve.x must be a list of numbers, got '01'"),
        (
            lambda: XYCurve(0.0, (0.0, 1.0), (0.0, NAN)),
            r"XYCurve.y\[1\] must be a finite number, got nan",
        ),
        (
            lambda: XYCurve(3.0, (0.0, 1.0, 2.0), (0.0, 1.0)),
            r"XYCurve at z=3.0 has 3 x values but 2 y values; give one y per x",
        ),
        (lambda: XYCurve(3.0, (0.0,), (0.0,)), r"XYCurve at z=3.0 has 1 points; give at least 2"),
        (
            lambda: XYCurve(3.0, (0.0, 2.0, 2.0), (0.0, 1.0, 2.0)),
            r"XYCurve at z=3.0: x\[2\] = 2.0 must be greater than x\[1\] = 2.0; x values increase",
        ),
        (
            lambda: XYSet((RISING, XYCurve(10.0, (0.0, 1.0), (0.0, 1.0)))),
            r"XYSet has two curves at z=10.0; z values must differ",
        ),
        (lambda: XYSet((RISING, "curve")), r"XYSet.curves\[1\] must be a XYCurve, got 'curve'"),
        (lambda: XYSet((RISING,), description=3), r"XYSet.description must be a string, got 3"),
        (
            lambda: XYSet((RISING,), y_unit="parsecs per fortnight^"),
            r"unit 'parsecs per fortnight\^'",
        ),
        (lambda: XYSetVersion(T0, RISING), r"XYSetVersion.xy_set must be an XYSet, got XYCurve\("),
        (
            lambda: VersionedXYSet((XYSetVersion(T1, XYSet(())), XYSetVersion(T0, XYSet(())))),
            r"VersionedXYSet.versions\[1\].valid_from 2024-01-01T00:00:00Z must be later than",
        ),
    ],
)
def test_invalid_values_are_refused_with_a_message_naming_them(build: Any, message: str) -> None:
    with pytest.raises(InvalidValue, match=message):
        build()


def test_a_bad_unit_is_a_unit_error() -> None:
    with pytest.raises(UnitError):
        XYSet((RISING,), x_unit="no-such-unit")


def test_values_are_normalised_on_construction() -> None:
    aware = datetime(2024, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=1)))
    v = RatingCurveVersion(aware, np.float32(0.5), [RatingSegment(np.int64(2), 1, 0, 1)])
    assert v.valid_from == datetime(2024, 1, 1) and v.valid_from.tzinfo is None
    assert isinstance(v.segments, tuple)
    assert type(v.x_range_from) is float and type(v.segments[0].x_range_until) is float
    curve = XYCurve(1, np.array([0, 1]), [2, 3])
    assert curve.x == (0.0, 1.0) and all(type(value) is float for value in curve.x + curve.y)


# --- dictionaries -------------------------------------------------------------------------------


def test_to_dict_is_plain_json_with_z_times() -> None:
    v = RatingCurveVersion(
        datetime(2024, 5, 1, 12, 0, 0, 250), 0.0, (RatingSegment(1.0, 2.0, 3.0, 4.0),)
    )
    assert RatingCurve((v,)).to_dict() == {
        "versions": [
            {
                "valid_from": "2024-05-01T12:00:00.000250Z",
                "x_range_from": 0.0,
                "segments": [{"x_range_until": 1.0, "a": 2.0, "b": 3.0, "c": 4.0}],
            }
        ]
    }
    xy = XYSet((RISING,), x_unit="m", description="head")
    assert XYSetVersion(T0, xy).to_dict() == {
        "valid_from": "2024-01-01T00:00:00Z",
        "xy_set": {
            "curves": [{"z": 10.0, "x": [0.0, 10.0], "y": [0.0, 10.0]}],
            "x_unit": "m",
            "y_unit": "",
            "z_unit": "",
            "description": "head",
        },
    }


def test_from_dict_accepts_integers_offsets_and_optional_keys() -> None:
    data = {
        "valid_from": "2024-01-01T02:00:00+02:00",
        "xy_set": {"curves": [{"z": 1, "x": [0, 1], "y": [5, 6]}]},
    }
    rebuilt = XYSetVersion.from_dict(data)
    assert rebuilt == XYSetVersion(T0, XYSet((XYCurve(1.0, (0.0, 1.0), (5.0, 6.0)),)))
    assert XYSetVersion.from_dict({"valid_from": T0, "xy_set": {"curves": []}}).valid_from == T0


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        (
            RatingSegment,
            [1, 2, 3, 4],
            r"RatingSegment must be a mapping with keys x_range_until, a, b, c",
        ),
        (
            RatingSegment,
            {"x_range_until": 1, "a": 1, "b": 1},
            r"RatingSegment: missing key 'c'; expected keys",
        ),
        (
            RatingSegment,
            {"x_range_until": 1, "a": 1, "b": 1, "c": 1, "d": 1},
            r"RatingSegment: unknown key 'd'; expected keys x_range_until, a, b, c",
        ),
        (
            RatingCurveVersion,
            {"valid_from": "yesterday", "x_range_from": 0, "segments": []},
            r"RatingCurveVersion.valid_from must be an ISO 8601 time .*, got 'yesterday'",
        ),
        (
            RatingCurveVersion,
            {"valid_from": "2024-01-01T00:00:00Z", "x_range_from": 0, "segments": {"a": 1}},
            r"RatingCurveVersion.segments must be a list, got \{'a': 1\}",
        ),
        (
            RatingCurve,
            {
                "versions": [
                    {
                        "valid_from": "2024-01-01T00:00:00Z",
                        "x_range_from": 0,
                        "segments": [
                            {"x_range_until": 1, "a": 1, "b": 1, "c": 1},
                            {"x_range_until": 2, "a": 1, "b": 1},
                        ],
                    }
                ]
            },
            r"^RatingCurve.versions\[0\]: RatingCurveVersion.segments\[1\]: RatingSegment: "
            r"missing key 'c'",
        ),
        (RatingCurve, {}, r"RatingCurve: missing key 'versions'"),
        (
            XYCurve,
            {"z": 0, "x": [0, "1"], "y": [0, 1]},
            r"XYCurve.x\[1\] must be a finite number, got '1'",
        ),
        (
            XYSet,
            {"curves": [], "units": "MW"},
            r"XYSet: unknown key 'units'; expected keys curves, x_unit",
        ),
        (
            XYSet,
            {"curves": [{"z": 0, "x": [0, 1]}]},
            r"XYSet.curves\[0\]: XYCurve: missing key 'y'",
        ),
        (XYSetVersion, {"valid_from": "2024-01-01"}, r"XYSetVersion: missing key 'xy_set'"),
        (
            XYSetVersion,
            {"valid_from": "2024-01-01", "xy_set": None},
            r"XYSetVersion.xy_set: XYSet must be a mapping with keys curves",
        ),
        (
            VersionedXYSet,
            {"versions": "none"},
            r"VersionedXYSet.versions must be a list, got 'none'",
        ),
        (
            VersionedXYSet,
            {"versions": [{"valid_from": 5, "xy_set": {"curves": []}}]},
            r"VersionedXYSet.versions\[0\]: XYSetVersion.valid_from must be a datetime .*got 5",
        ),
    ],
)
def test_from_dict_refuses_malformed_data_naming_the_key(
    kind: Any, data: Any, message: str
) -> None:
    with pytest.raises(InvalidValue, match=message):
        kind.from_dict(data)


def test_a_nested_unit_error_keeps_its_type() -> None:
    with pytest.raises(UnitError, match=r"XYSetVersion.xy_set: unit 'furlongs\^'"):
        XYSetVersion.from_dict(
            {"valid_from": "2024-01-01", "xy_set": {"curves": [], "x_unit": "furlongs^"}}
        )


# --- Hypothesis: round trips and vectorised == scalar -------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)
moderate = st.floats(-10.0, 10.0)
naive_times = st.datetimes(min_value=datetime(1700, 1, 1), max_value=datetime(2250, 1, 1))
zones = st.sampled_from(
    [None, UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))]
)
UNITS = ["", "MW", "m", "m^3/s", "EUR/MWh", "percent"]
units = st.sampled_from(UNITS)
for _unit in UNITS:  # pint's first parse is slow; keep it out of Hypothesis' draws
    parse_unit(_unit)


@st.composite
def rating_versions(
    draw: st.DrawFn, valid_from: datetime | None = None, coefficients: Any = finite
) -> RatingCurveVersion:
    bounds = sorted(draw(st.lists(st.floats(-100.0, 100.0), min_size=2, max_size=6, unique=True)))
    segments = tuple(
        RatingSegment(until, draw(coefficients), draw(coefficients), draw(coefficients))
        for until in bounds[1:]
    )
    start = valid_from if valid_from is not None else draw(naive_times).replace(tzinfo=draw(zones))
    return RatingCurveVersion(start, bounds[0], segments)


@st.composite
def rating_curves(
    draw: st.DrawFn, coefficients: Any = finite, max_versions: int = 4
) -> RatingCurve:
    starts = sorted(draw(st.lists(naive_times, max_size=max_versions, unique=True)))
    return RatingCurve(tuple(draw(rating_versions(start, coefficients)) for start in starts))


@st.composite
def xy_curves(draw: st.DrawFn, z: float | None = None, values: Any = finite) -> XYCurve:
    xs = sorted(draw(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=8, unique=True)))
    ys = draw(st.lists(values, min_size=len(xs), max_size=len(xs)))
    return XYCurve(draw(finite) if z is None else z, tuple(xs), tuple(ys))


@st.composite
def xy_sets(draw: st.DrawFn, values: Any = finite) -> XYSet:
    zs = draw(st.lists(st.floats(-100.0, 100.0), max_size=5, unique=True))
    return XYSet(
        tuple(draw(xy_curves(z, values)) for z in zs),
        draw(units),
        draw(units),
        draw(units),
        draw(st.text(max_size=20)),
    )


@st.composite
def versioned_xy_sets(draw: st.DrawFn) -> VersionedXYSet:
    starts = sorted(draw(st.lists(naive_times, max_size=3, unique=True)))
    return VersionedXYSet(tuple(XYSetVersion(t, draw(xy_sets())) for t in starts))


VALUES = {
    "RatingSegment": st.builds(RatingSegment, finite, finite, finite, finite),
    "RatingCurveVersion": rating_versions(),
    "RatingCurve": rating_curves(),
    "XYCurve": xy_curves(),
    "XYSet": xy_sets(),
    "XYSetVersion": st.builds(XYSetVersion, naive_times, xy_sets()),
    "VersionedXYSet": versioned_xy_sets(),
}


@pytest.mark.parametrize("kind", VALUES)
@given(data=st.data())
def test_round_trip_through_json_is_exact(kind: str, data: Any) -> None:
    value = data.draw(VALUES[kind])
    assert type(value).__name__ == kind
    text = json.dumps(value.to_dict(), allow_nan=False)
    rebuilt = type(value).from_dict(json.loads(text))
    assert rebuilt == value
    # Bit for bit, -0.0 included: the rebuilt value writes the very same text.
    assert json.dumps(rebuilt.to_dict(), allow_nan=False) == text


def reference_version(v: RatingCurveVersion, x: float) -> float:
    """One point the slow way: walk the segments in order."""
    if not x >= v.x_range_from:
        return NAN
    for segment in v.segments:
        if x < segment.x_range_until:
            with np.errstate(all="ignore"):
                return float(segment.a * np.power(np.float64(x + segment.b), segment.c))
    return NAN


def reference_curve(curve: RatingCurve, x: float, t: np.datetime64) -> float:
    if np.isnat(t):
        return NAN
    valid = [v for v in curve.versions if np.datetime64(v.valid_from, "us") <= t]
    return reference_version(valid[-1], x) if valid else NAN


def reference_2d(xy: XYSet, x: float, z: float) -> float:
    zs = [c.z for c in xy.curves]
    if z in zs:
        return float(xy.curves[zs.index(z)].interpolate(x))
    for low, high in zip(xy.curves, xy.curves[1:], strict=False):
        if low.z < z < high.z:
            y_low, y_high = float(low.interpolate(x)), float(high.interpolate(x))
            return y_low + (z - low.z) / (high.z - low.z) * (y_high - y_low)
    return NAN


points = st.lists(st.one_of(st.floats(-120.0, 120.0), st.just(NAN), st.just(np.inf)), max_size=40)


@given(rating_versions(coefficients=moderate), points, st.data())
def test_vectorised_version_equals_a_scalar_loop(
    v: RatingCurveVersion, xs: list[float], data: Any
) -> None:
    bounds = [v.x_range_from, *(s.x_range_until for s in v.segments)]
    xs = xs + data.draw(st.lists(st.sampled_from(bounds), max_size=10))  # exact boundaries too
    assert_same(v.evaluate(np.array(xs)), [reference_version(v, x) for x in xs])


@settings(max_examples=60)
@given(rating_curves(moderate, max_versions=12), st.data())
def test_vectorised_curve_with_times_equals_a_scalar_loop(curve: RatingCurve, data: Any) -> None:
    starts = [np.datetime64(v.valid_from, "ns") for v in curve.versions]
    time_points = st.one_of(
        naive_times.map(lambda t: np.datetime64(t, "ns")), st.just(np.datetime64("NaT", "ns"))
    )
    if starts:
        time_points = st.one_of(time_points, st.sampled_from(starts))
    times = np.array(data.draw(st.lists(time_points, max_size=40)), dtype="datetime64[ns]")
    xs = np.array(
        data.draw(st.lists(st.floats(-120.0, 120.0), min_size=len(times), max_size=len(times)))
    )
    expected = [reference_curve(curve, x, t) for x, t in zip(xs, times, strict=True)]
    assert_same(curve.evaluate(xs, times), expected)


@given(xy_sets(values=st.floats(-1e3, 1e3)), st.data())
def test_vectorised_interpolate_2d_equals_a_scalar_loop(xy: XYSet, data: Any) -> None:
    zs = [c.z for c in xy.curves]
    z_points = st.one_of(
        st.floats(-120.0, 120.0), st.just(NAN), *([st.sampled_from(zs)] if zs else [])
    )
    pairs = data.draw(st.lists(st.tuples(st.floats(-1.1e3, 1.1e3), z_points), max_size=40))
    x, z = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    assert_same(
        xy.interpolate_2d(x, z), [reference_2d(xy, xi, zi) for xi, zi in zip(x, z, strict=True)]
    )


def test_docstring_examples_run() -> None:
    assert doctest.testmod(curves, raise_on_error=False).failed == 0
