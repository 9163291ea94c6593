"""Each function of the calculation language against a numpy or pandas reference."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from workbench.calc import MemoryResolver, compile_expression, evaluate
from workbench.curves import (
    RatingCurve,
    RatingCurveVersion,
    RatingSegment,
    VersionedXYSet,
    XYCurve,
    XYSet,
    XYSetVersion,
)
from workbench.errors import ExpressionError

OWNER = "Model/M/Obj"
START, END = "2024-01-02", "2024-01-05"
RNG = np.random.default_rng(11)


def make(
    values: np.ndarray,
    start: str = "2024-01-01",
    freq: str = "h",
    units: str = "MW",
    curve: str = "step",
    flags: np.ndarray | None = None,
) -> xr.DataArray:
    times = pd.date_range(start, periods=len(values), freq=freq)
    coords: dict[str, object] = {"event_start": times}
    if flags is not None:
        coords["flags"] = ("event_start", flags.astype(np.uint32))
    return xr.DataArray(
        values.astype(float),
        coords=coords,
        dims="event_start",
        attrs={
            "units": units,
            "timezone": "UTC",
            "curve_type": curve,
            "resolution": (times[1] - times[0]).isoformat(),
        },
    )


A = make(RNG.normal(10, 3, 24 * 7))
B = make(RNG.normal(5, 1, 24 * 7))
C = make(RNG.normal(0, 1, 24 * 7))
C.values[30:40] = np.nan
MEMBERS = {f"{OWNER}.To_Units/U{i}.Power": make(RNG.normal(i, 1, 24 * 7)) for i in range(5)}


@pytest.fixture
def resolver() -> MemoryResolver:
    return MemoryResolver(series={f"{OWNER}.A": A, f"{OWNER}.B": B, f"{OWNER}.C": C, **MEMBERS})


def period(data: xr.DataArray, start: str = START, end: str = END) -> pd.Series:
    s = data.to_series()
    return s[(s.index >= start) & (s.index < end)]


def run(resolver: MemoryResolver, text: str, start: str = START, end: str = END) -> object:
    return evaluate(text, resolver, start, end, relative_to=OWNER)


def members() -> pd.DataFrame:
    return pd.DataFrame({k: period(v) for k, v in MEMBERS.items()})


@pytest.mark.parametrize(
    ("name", "how"),
    [("SUM", "sum"), ("MEAN", "mean"), ("AVG", "mean"), ("MIN", "min"), ("MAX", "max")],
)
def test_aggregates_over_a_collection_are_point_by_point(
    resolver: MemoryResolver, name: str, how: str
) -> None:
    out = run(resolver, f"@{name}(@T('.To_Units/*.Power'))")
    assert isinstance(out, xr.DataArray)
    np.testing.assert_allclose(out.values, getattr(members(), how)(axis=1).values)
    assert out.attrs["units"] == "MW"


@pytest.mark.parametrize(
    ("name", "function"),
    [("SUM", np.nansum), ("MEAN", np.nanmean), ("MIN", np.nanmin), ("MAX", np.nanmax)],
)
def test_aggregates_over_one_series_give_a_number_skipping_missing(
    resolver: MemoryResolver, name: str, function: object
) -> None:
    out = run(resolver, f"@{name}(@t('.C'))")
    assert isinstance(out, float)
    assert out == pytest.approx(function(period(C).values))  # type: ignore[operator]


def test_aggregates_over_arguments_and_arrays(resolver: MemoryResolver) -> None:
    out = run(resolver, "@MAX(@t('.A'), @t('.B'), 9[MW])")
    expected = np.maximum(np.maximum(period(A).values, period(B).values), 9.0)
    np.testing.assert_allclose(out.values, expected)  # type: ignore[union-attr]
    assert run(resolver, "@SUM({1, 2, 3.5})") == 6.5
    assert run(resolver, "@MIN(4, 2, 8)") == 2.0


def test_percentile(resolver: MemoryResolver) -> None:
    out = run(resolver, "@PERCENTILE(@T('.To_Units/*.Power'), 90)")
    np.testing.assert_allclose(out.values, np.percentile(members().values, 90, axis=1))  # type: ignore[union-attr]
    one = run(resolver, "@PERCENTILE(@t('.C'), 25)")
    assert one == pytest.approx(np.nanpercentile(period(C).values, 25))
    with pytest.raises(ExpressionError, match="between 0 and 100, got 150"):
        run(resolver, "@PERCENTILE(@t('.A'), 150)")


def test_count_abs_and_mix(resolver: MemoryResolver) -> None:
    assert run(resolver, "@COUNT(@T('.To_Units/*.Power'))") == 5.0
    out = run(resolver, "@ABS(@t('.C'))")
    np.testing.assert_allclose(out.values, np.abs(period(C).values))  # type: ignore[union-attr]
    mixed = run(resolver, "@MIX(@t('.C'), @t('.B'))")
    expected = period(C).fillna(period(B))
    np.testing.assert_allclose(mixed.values, expected.values)  # type: ignore[union-attr]
    filled = run(resolver, "@MIX(@t('.C'), -1[MW])")
    np.testing.assert_allclose(filled.values, period(C).fillna(-1).values)  # type: ignore[union-attr]


def test_accumulate_from_the_period_start_and_with_resets(resolver: MemoryResolver) -> None:
    out = run(resolver, "@ACCUMULATE(@t('.A'))")
    np.testing.assert_allclose(out.values, period(A).cumsum().values)  # type: ignore[union-attr]
    daily = run(resolver, "@ACCUMULATE(@t('.A'), 'DAY')", "2024-01-02T06:00", END)
    whole = A.to_series()
    reference = whole.groupby(whole.index.date).cumsum()
    reference = reference[(reference.index >= "2024-01-02T06:00") & (reference.index < END)]
    np.testing.assert_allclose(daily.values, reference.values)  # type: ignore[union-attr]
    assert daily.values[0] == pytest.approx(whole["2024-01-02T00:00":"2024-01-02T06:00"].sum())  # type: ignore[union-attr]


def test_delta_uses_the_point_before_the_period(resolver: MemoryResolver) -> None:
    out = run(resolver, "@DELTA(@t('.A'))")
    expected = A.to_series().diff()
    np.testing.assert_allclose(out.values, period(expected.to_xarray()).values)  # type: ignore[union-attr]
    assert not np.isnan(out.values[0])  # type: ignore[union-attr]


def test_ts_offset_fixed_and_calendar(resolver: MemoryResolver) -> None:
    out = run(resolver, "@TS_OFFSET(@t('.A'), 'PT3H')")
    shifted = A.to_series().shift(3, freq="h")
    np.testing.assert_allclose(out.values, shifted[START:"2024-01-04T23:00"].values)  # type: ignore[union-attr]
    back = run(resolver, "@TS_OFFSET(@t('.A'), '-P1D')", "2024-01-01", "2024-01-03")
    np.testing.assert_allclose(back.values, A.to_series()["2024-01-02":"2024-01-03T23:00"].values)  # type: ignore[union-attr]
    with pytest.raises(ExpressionError, match="shift 'soon' is not understood"):
        compile_expression("@TS_OFFSET(@t('.A'), 'soon')")


@pytest.mark.parametrize(("name", "how"), [("TS_GLIDING_AVG", "mean"), ("TS_GLIDING_SUM", "sum")])
def test_gliding_windows_match_pandas_rolling(
    resolver: MemoryResolver, name: str, how: str
) -> None:
    out = run(resolver, f"@{name}(@t('.C'), 'PT6H')")
    rolled = getattr(C.to_series().rolling("6h"), how)()
    expected = rolled[START:"2024-01-04T23:00"]
    if how == "sum":  # pandas sums an all-missing window to 0; it is missing here
        counts = C.to_series().rolling("6h").count()[START:"2024-01-04T23:00"]
        expected = expected.where(counts > 0)
    np.testing.assert_allclose(out.values, expected.values)  # type: ignore[union-attr]
    points = run(resolver, f"@{name}(@t('.A'), 4)")
    reference = getattr(A.to_series().rolling(4), how)()[START:"2024-01-04T23:00"]
    np.testing.assert_allclose(points.values, reference.values)  # type: ignore[union-attr]


def test_status_mask_sets_flagged_points_missing() -> None:
    flags = np.zeros(48, dtype=np.uint32)
    flags[[3, 10]] = 2
    flags[20] = 4
    data = make(np.arange(48.0), flags=flags)
    resolver = MemoryResolver(series={f"{OWNER}.Q": data})
    out = evaluate(
        "@STATUS_MASK(@t('.Q'), 6)", resolver, "2024-01-01", "2024-01-03", relative_to=OWNER
    )
    assert isinstance(out, xr.DataArray)
    assert (
        np.isnan(out.values[[3, 10, 20]]).all()
        and np.isfinite(np.delete(out.values, [3, 10, 20])).all()
    )
    np.testing.assert_array_equal(out["flags"].values, flags)
    only_two = evaluate(
        "@STATUS_MASK(@t('.Q'), 2) * 1", resolver, "2024-01-01", "2024-01-03", relative_to=OWNER
    )
    assert np.isnan(only_two.values).sum() == 2  # type: ignore[union-attr]
    by_name = evaluate(
        "@STATUS_MASK(@t('.Q'), 'suspect | NOT_OK')",
        resolver,
        "2024-01-01",
        "2024-01-03",
        relative_to=OWNER,
    )
    np.testing.assert_array_equal(by_name.values, out.values)  # type: ignore[union-attr]
    with pytest.raises(ExpressionError, match="a mask must be a whole number"):
        compile_expression("@STATUS_MASK(@t('.Q'), 1.5)")
    with pytest.raises(
        ExpressionError, match="flag names 'SHAKY' are not known; use names from OK"
    ):
        compile_expression("@STATUS_MASK(@t('.Q'), 'SHAKY')")


def curves_resolver() -> MemoryResolver:
    level = make(np.array([1.0, 2.5, 4.0, 12.0] * 12), units="m")
    times = [datetime(2024, 1, 1), datetime(2024, 1, 2)]
    versioned = VersionedXYSet(
        (
            XYSetVersion(times[0], XYSet((XYCurve(0.0, (0.0, 10.0), (0.0, 100.0)),), "m", "Mm^3")),
            XYSetVersion(times[1], XYSet((XYCurve(0.0, (0.0, 10.0), (0.0, 200.0)),), "m", "Mm^3")),
        )
    )
    rating = RatingCurve(
        (
            RatingCurveVersion(times[0], 0.0, (RatingSegment(10.0, 2.0, 0.0, 1.0),)),
            RatingCurveVersion(times[1], 0.0, (RatingSegment(10.0, 3.0, 0.0, 2.0),)),
        )
    )
    return MemoryResolver(
        series={f"{OWNER}.Level": level, f"{OWNER}.LevelCm": level * 100},
        xy_sets={
            f"{OWNER}.Volume": XYSet(
                (XYCurve(0.0, (0.0, 10.0), (0.0, 50.0)), XYCurve(1.0, (0.0, 10.0), (0.0, 80.0))),
                "m",
                "Mm^3",
            ),
            f"{OWNER}.VolumeHistory": versioned,
        },
        rating_curves={f"{OWNER}.Discharge": (rating, "m", "m^3/s")},
    )


def test_xy_and_yx_interpolate_linearly_with_units() -> None:
    resolver = curves_resolver()
    level = np.array([1.0, 2.5, 4.0, 12.0] * 6)
    out = evaluate(
        "@XY(@t('.Level'), '.Volume', 0)", resolver, "2024-01-01", "2024-01-02", relative_to=OWNER
    )
    assert isinstance(out, xr.DataArray) and out.attrs["units"] == "Mm ** 3"
    np.testing.assert_allclose(out.values, np.interp(level, [0, 10], [0, 50], right=np.nan))
    back = evaluate(
        "@YX(@XY(@t('.Level'), '.Volume', 1), '.Volume', 1)",
        resolver,
        "2024-01-01",
        "2024-01-02",
        relative_to=OWNER,
    )
    np.testing.assert_allclose(back.values, np.where(level > 10, np.nan, level))  # type: ignore[union-attr]
    # the input is converted to the curve's x unit (cm -> m); set_unit relabels the literal cm
    centimetres = evaluate(
        "@XY(@SET_UNIT(@t('.LevelCm'), 'cm'), '.Volume', 0)",
        resolver,
        "2024-01-01",
        "2024-01-02",
        relative_to=OWNER,
    )
    np.testing.assert_allclose(centimetres.values, out.values)  # type: ignore[union-attr]


def test_versioned_xy_and_rating_curve_go_version_by_version() -> None:
    resolver = curves_resolver()
    level = np.array([1.0, 2.5, 4.0, 12.0] * 12)
    day_two = np.arange(48) >= 24
    out = evaluate(
        "@XY(@t('.Level'), '.VolumeHistory')",
        resolver,
        "2024-01-01",
        "2024-01-03",
        relative_to=OWNER,
    )
    expected = np.where(day_two, 20.0, 10.0) * np.where(level > 10, np.nan, level)
    np.testing.assert_allclose(out.values, expected)  # type: ignore[union-attr]
    inverse = evaluate(
        "@YX(@XY(@t('.Level'), '.VolumeHistory'), '.VolumeHistory')",
        resolver,
        "2024-01-01",
        "2024-01-03",
        relative_to=OWNER,
    )
    np.testing.assert_allclose(inverse.values, np.where(level > 10, np.nan, level))  # type: ignore[union-attr]
    flow = evaluate(
        "@RatingCurve(@t('.Level'))", resolver, "2024-01-01", "2024-01-03", relative_to=OWNER
    )
    assert flow.attrs["units"] == "m ** 3 / s"  # type: ignore[union-attr]
    rated = np.where(day_two, 3.0 * level**2, 2.0 * level)
    np.testing.assert_allclose(flow.values, np.where(level >= 10, np.nan, rated))  # type: ignore[union-attr]


def test_curve_errors_name_the_path_and_the_problem() -> None:
    resolver = curves_resolver()
    with pytest.raises(ExpressionError, match="nothing found at '.Nope'"):
        evaluate("@XY(@t('.Level'), '.Nope')", resolver, START, END, relative_to=OWNER)
    with pytest.raises(
        ExpressionError, match="'.Discharge' relative to .* is a rating_curve, not a xy_set"
    ):
        evaluate("@XY(@t('.Level'), '.Discharge')", resolver, START, END, relative_to=OWNER)
    with pytest.raises(ExpressionError, match="z=None is ambiguous"):
        evaluate(
            "@XY(@t('.Level'), '.Volume')", resolver, "2024-01-01", "2024-01-02", relative_to=OWNER
        )
    with pytest.raises(ExpressionError, match="the curve takes 'm', the series is in 'MW'"):
        evaluate(
            "@RatingCurve(@SET_UNIT(@t('.Level'), 'MW'))", resolver, START, END, relative_to=OWNER
        )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("@SUM(1, 'a')", "@SUM does not take (a number, a string)"),
        ("@TRANSFORM(@t('.A'), 'DAY')", "@TRANSFORM does not take (a series, a string)"),
        ("@DELTA(@t('.A'), 1, 2)", "it takes DELTA(t[, d|s])"),
        ("@Nope(1)", "unknown function @Nope"),
        ("@XY(@t('.A'), 3)", "@XY does not take (a series, a number)"),
        ("@t()", "@t takes a path and optionally a default"),
        ("@t(@s('.Where'))", "needs the path as a string constant"),
    ],
)
def test_wrong_functions_and_arguments_fail_when_compiling(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression(text)
    assert message in info.value.message
    assert (info.value.line, info.value.column) in {(1, 1), (1, 4)}


def test_function_names_are_case_insensitive_but_lookups_are_not(resolver: MemoryResolver) -> None:
    assert run(resolver, "@sum(@t('.A'))") == run(resolver, "@Sum(@t('.A'))")
    assert compile_expression("@T('.To_Units/*.Power')").kind == "T"
    assert compile_expression("@t('.A')").kind == "t"
