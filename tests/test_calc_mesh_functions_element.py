"""Mesh's element-wise functions: the worked examples of their pages, and numpy as the reference.

Pages: Volue-Public/energy-smp-docs, docs/mesh/calculations/functions/<name>.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.calc import MemoryResolver, evaluate, infer_unit
from workbench.errors import ExpressionError

OWNER = "Model/M/Obj"
START, END = "2024-01-01", "2024-01-02"
# an hour series through the cases the pages name: negatives, zero, the limits 0 and 12, NaN
RAW = np.array([-5.0, -2.5, 0.0, 0.4, 2.5, 2.756, 12.0, 13.0, np.nan, 7.5] + [1.0] * 14)


def series(
    values: np.ndarray, units: str = "", freq: str = "h", flags: bool = False
) -> xr.DataArray:
    times = pd.date_range(START, periods=len(values), freq=freq)
    coords: dict[str, object] = {"event_start": times}
    if flags:
        coords["flags"] = ("event_start", np.arange(len(values), dtype=np.uint32) % 4)
    resolution = "PT0S" if freq == "irregular" else (times[1] - times[0]).isoformat()
    return xr.DataArray(
        values.astype(float),
        coords=coords,
        dims="event_start",
        attrs={"units": units, "timezone": "UTC", "curve_type": "step", "resolution": resolution},
    )


@pytest.fixture
def resolver() -> MemoryResolver:
    return MemoryResolver(
        series={
            f"{OWNER}.Raw": series(RAW, flags=True),
            f"{OWNER}.Temp": series(RAW, "degC"),
            f"{OWNER}.Power": series(RAW, "MW"),
        }
    )


def run(resolver: MemoryResolver, text: str) -> object:
    return evaluate(text, resolver, START, END, relative_to=OWNER)


def values(resolver: MemoryResolver, text: str) -> np.ndarray:
    out = run(resolver, text)
    assert isinstance(out, xr.DataArray)
    return out.values


def test_worked_examples_on_numbers(resolver: MemoryResolver) -> None:
    # power.md example 4: @POWER(4,2) is 16
    assert run(resolver, "@POWER(4, 2)") == 16.0
    # log.md and ln.md example 2: @LOG(1) and @LN(1) are 0
    assert run(resolver, "@LOG(1)") == 0.0
    assert run(resolver, "@LN(1)") == 0.0
    # bool.md example 1: @BOOL(0) returns 1 (only NaN is false)
    assert run(resolver, "@BOOL(0)") == 1.0
    # round.md, round_integer.md, integer.md, ceil.md, floor.md: "also applied to a single number"
    assert run(resolver, "@ROUND(2.5)") == 3.0
    assert run(resolver, "@ROUND_INTEGER(-2.5)") == -3.0
    assert run(resolver, "@INTEGER(2.756)") == 2.0
    assert run(resolver, "@INTEGER(-2.7)") == -2.0
    assert run(resolver, "@CEIL(2.1)") == 3.0
    assert run(resolver, "@FLOOR(-2.1)") == -3.0


def test_round_to_one_decimal_as_round_md_shows(resolver: MemoryResolver) -> None:
    # round.md: @ROUND(@t('.Temperature_raw')*10)/10 rounds to one decimal
    out = values(resolver, "@ROUND(@t('.Raw') * 10) / 10")
    np.testing.assert_allclose(out[:8], [-5.0, -2.5, 0.0, 0.4, 2.5, 2.8, 12.0, 13.0])
    assert np.isnan(out[8])


def test_bool_and_not_as_their_pages_describe(resolver: MemoryResolver) -> None:
    # bool.md example 2: every value true (zeros too), NaN false
    assert values(resolver, "@BOOL(@t('.Raw'))")[:10].tolist() == [1, 1, 1, 1, 1, 1, 1, 1, 0, 1]
    # bool.md example 3: @BOOL(t, 0) is 0 for 0 and for missing
    assert values(resolver, "@BOOL(@t('.Raw'), 0)")[:10].tolist() == [1, 1, 0, 1, 1, 1, 1, 1, 0, 1]
    # not.md: 1 where the value is 0 or NaN, else 0
    assert values(resolver, "@NOT(@t('.Raw'))")[:10].tolist() == [0, 0, 1, 0, 0, 0, 0, 0, 1, 0]
    assert infer_unit("@NOT(@t('.Power'))", resolver, relative_to=OWNER) == ""


def test_bool_compress_drops_repeats_of_a_breakpoint_series() -> None:
    # bool.md example 4: a breakpoint series with values 12, 15, 15, 0, 20 in an hour
    times = pd.to_datetime(
        [
            "2024-01-01T00:00",
            "2024-01-01T00:15",
            "2024-01-01T00:30",
            "2024-01-01T00:40",
            "2024-01-01T00:50",
        ]
    )
    brp = xr.DataArray(
        np.array([12.0, 15.0, 15.0, 0.0, 20.0]),
        coords={"event_start": times},
        dims="event_start",
        attrs={"units": "", "timezone": "UTC", "curve_type": "step", "resolution": "PT0S"},
    )
    resolver = MemoryResolver(series={f"{OWNER}.Brp": brp})
    out = run(resolver, "@BOOL(@t('.Brp'), 0, 'COMPRESS')")
    assert isinstance(out, xr.DataArray)
    assert out.values.tolist() == [1.0, 0.0, 1.0]
    assert [str(t)[11:16] for t in out.event_start.values] == ["00:00", "00:40", "00:50"]


def test_positive_and_negative_with_zero_and_bool_options(resolver: MemoryResolver) -> None:
    # positive.md: negatives and NaN give empty rows; zero is positive unless argument 2 is 0
    pos = values(resolver, "@POSITIVE(@t('.Raw'))")[:10]
    np.testing.assert_array_equal(pos, [np.nan, np.nan, 0, 0.4, 2.5, 2.756, 12, 13, np.nan, 7.5])
    assert np.isnan(values(resolver, "@POSITIVE(@t('.Raw'), 0)")[2])
    assert values(resolver, "@POSITIVE(@t('.Raw'), 1, 'BOOL')")[:4].tolist() == [0, 0, 1, 1]
    # negative.md: zero is positive unless argument 2 is 1
    neg = values(resolver, "@NEGATIVE(@t('.Raw'))")[:4]
    np.testing.assert_array_equal(neg, [-5.0, -2.5, np.nan, np.nan])
    assert values(resolver, "@NEGATIVE(@t('.Raw'), 1)")[2] == 0.0
    assert infer_unit("@POSITIVE(@t('.Power'))", resolver, relative_to=OWNER) == "MW"
    assert infer_unit("@POSITIVE(@t('.Power'), 1, 'BOOL')", resolver, relative_to=OWNER) == ""
    compressed = run(resolver, "@NEGATIVE(@t('.Raw'), 0, 'BOOL_COMPRESS')")
    assert isinstance(compressed, xr.DataArray)
    assert compressed.values.tolist() == [1.0, 0.0]
    assert compressed.attrs["resolution"] == "PT0S"


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        # outside.md: limits 0 and 12; at -5, -2.5, 0, 0.4, 2.5, 2.756, 12, 13, NaN, 7.5
        ("", [1, 1, 0, 0, 0, 0, 0, 1, 0, 0]),
        ("'LOHI'", [1, 1, 1, 0, 0, 0, 1, 1, 0, 0]),
        ("'LOW'", [1, 1, 1, 0, 0, 0, 0, 1, 0, 0]),
        ("'HIGH'", [1, 1, 0, 0, 0, 0, 1, 1, 0, 0]),
    ],
)
def test_outside_limit_options(resolver: MemoryResolver, option: str, expected: list[int]) -> None:
    extra = f", {option}" if option else ""
    out = values(resolver, f"@OUTSIDE(0 [degC], @t('.Temp'), 12 [degC]{extra})")
    assert out[:10].tolist() == expected


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        # inside.md: default keeps both limits out, 'LOHI' both in; 'LOW' keeps the lower limit
        # out and the upper in, as the page's sentence says
        ("", [0, 0, 0, 1, 1, 1, 0, 0, 0, 1]),
        ("'LOHI'", [0, 0, 1, 1, 1, 1, 1, 0, 0, 1]),
        ("'LOW'", [0, 0, 0, 1, 1, 1, 1, 0, 0, 1]),
        ("'HIGH'", [0, 0, 1, 1, 1, 1, 0, 0, 0, 1]),
    ],
)
def test_inside_limit_options(resolver: MemoryResolver, option: str, expected: list[int]) -> None:
    extra = f", {option}" if option else ""
    out = values(resolver, f"@INSIDE(0 [degC], @t('.Temp'), 12 [degC]{extra})")
    assert out[:10].tolist() == expected


def test_inside_with_series_limits_and_units(resolver: MemoryResolver) -> None:
    out = values(resolver, "@INSIDE(@t('.Raw') - 1, @t('.Raw'), @t('.Raw') + 1)")
    assert out[:8].tolist() == [1.0] * 8 and out[8] == 0.0
    # limits in another unit of the same dimension are converted
    assert values(resolver, "@INSIDE(0 [kW], @t('.Power'), 500 [kW])")[:4].tolist() == [0, 0, 0, 1]
    with pytest.raises(ExpressionError, match="unit clash in @INSIDE"):
        run(resolver, "@INSIDE(0 [m], @t('.Power'), 1 [m])")


def test_units_of_power_and_logarithms(resolver: MemoryResolver) -> None:
    assert infer_unit("@POWER(@t('.Power'), 2)", resolver, relative_to=OWNER) == "MW ** 2"
    assert infer_unit("@ROUND(@t('.Power'))", resolver, relative_to=OWNER) == "MW"
    with pytest.raises(ExpressionError, match="constant exponent"):
        infer_unit("@POWER(@t('.Power'), @t('.Raw'))", resolver, relative_to=OWNER)
    with pytest.raises(ExpressionError, match="@LOG needs a dimensionless value, got 'MW'"):
        infer_unit("@LOG(@t('.Power'))", resolver, relative_to=OWNER)
    with pytest.raises(ExpressionError, match="dimensionless exponent"):
        infer_unit("@POWER(2, @t('.Power'))", resolver, relative_to=OWNER)


def test_series_keep_their_quality_flags(resolver: MemoryResolver) -> None:
    for text in ("@ROUND(@t('.Raw'))", "@BOOL(@t('.Raw'))", "@POSITIVE(@t('.Raw'))"):
        out = run(resolver, text)
        assert isinstance(out, xr.DataArray)
        assert out.coords["flags"].values.tolist() == [i % 4 for i in range(24)]


def test_bad_options_name_what_is_accepted(resolver: MemoryResolver) -> None:
    with pytest.raises(ExpressionError, match="'LOHI', 'LOW' or 'HIGH'"):
        run(resolver, "@INSIDE(0, @t('.Raw'), 1, 'BOTH')")
    with pytest.raises(ExpressionError, match="VALUE, BOOL, BOOL_COMPRESS"):
        run(resolver, "@POSITIVE(@t('.Raw'), 1, 'YES')")


_FINITE = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
_VALUES = st.lists(st.one_of(_FINITE, st.just(float("nan"))), min_size=2, max_size=30)
_REFERENCE = {
    "ROUND": lambda v: np.where(np.isnan(v), np.nan, np.sign(v) * np.floor(np.abs(v) + 0.5)),
    "INTEGER": np.trunc,
    "CEIL": np.ceil,
    "FLOOR": np.floor,
    "LN": lambda v: np.log(np.where(v > 0, v, np.nan)),
    "LOG": lambda v: np.log10(np.where(v > 0, v, np.nan)),
    "NOT": lambda v: ((v == 0) | np.isnan(v)).astype(float),
    "BOOL": lambda v: (~np.isnan(v)).astype(float),
}


@settings(max_examples=40, deadline=None)
@given(raw=_VALUES, name=st.sampled_from(sorted(_REFERENCE)))
def test_element_wise_functions_match_numpy(raw: list[float], name: str) -> None:
    data = np.asarray(raw)
    resolver = MemoryResolver(series={f"{OWNER}.X": series(data)})
    end = str(pd.Timestamp(START) + pd.Timedelta(hours=len(raw)))
    out = evaluate(f"@{name}(@t('.X'))", resolver, START, end, relative_to=OWNER)
    assert isinstance(out, xr.DataArray)
    with np.errstate(all="ignore"):
        expected = _REFERENCE[name](data)
    np.testing.assert_allclose(out.values, expected, equal_nan=True)
    assert out.indexes["event_start"].equals(series(data).indexes["event_start"])


@settings(max_examples=40, deadline=None)
@given(raw=_VALUES, low=_FINITE, width=st.floats(0, 1e6), power=st.integers(-3, 3))
def test_inside_outside_and_power_match_numpy(
    raw: list[float], low: float, width: float, power: int
) -> None:
    data = np.asarray(raw)
    resolver = MemoryResolver(series={f"{OWNER}.X": series(data)})
    end = str(pd.Timestamp(START) + pd.Timedelta(hours=len(raw)))
    high = low + width

    def get(text: str) -> np.ndarray:
        out = evaluate(text, resolver, START, end, relative_to=OWNER)
        assert isinstance(out, xr.DataArray)
        return out.values

    with np.errstate(invalid="ignore"):
        inside = ((data > low) & (data < high)).astype(float)
        outside = ((data < low) | (data > high)).astype(float)
    np.testing.assert_array_equal(get(f"@INSIDE({low!r}, @t('.X'), {high!r})"), inside)
    np.testing.assert_array_equal(get(f"@OUTSIDE({low!r}, @t('.X'), {high!r})"), outside)
    with np.errstate(all="ignore"):
        expected = np.power(data, float(power))
    np.testing.assert_allclose(get(f"@POWER(@t('.X'), {power})"), expected, equal_nan=True)


def test_trigonometry_in_radians_and_degrees() -> None:
    # sin.md: the input is in radians; acos.md, asin.md, atan.md: results in radians
    angles = np.array([0.0, 30.0, 90.0, 180.0])
    resolver = MemoryResolver(
        series={f"{OWNER}.Deg": series(angles, "deg"), f"{OWNER}.Rad": series(np.radians(angles))}
    )
    end = "2024-01-01T04:00"

    def get(text: str) -> np.ndarray:
        out = evaluate(text, resolver, START, end, relative_to=OWNER)
        assert isinstance(out, xr.DataArray)
        return out.values

    np.testing.assert_allclose(get("@SIN(@t('.Rad'))"), np.sin(np.radians(angles)), atol=1e-12)
    np.testing.assert_allclose(get("@SIN(@t('.Deg'))"), np.sin(np.radians(angles)), atol=1e-12)
    np.testing.assert_allclose(get("@COS(@t('.Deg'))"), np.cos(np.radians(angles)), atol=1e-12)
    np.testing.assert_allclose(get("@ATAN(@TAN(@t('.Rad')))")[:3], np.radians(angles)[:3])
    assert infer_unit("@ACOS(@SIN(@t('.Deg')))", resolver, relative_to=OWNER) == "rad"
    assert np.isnan(evaluate("@ACOS(2)", resolver, START, end))
    assert evaluate("@ASIN(1)", resolver, START, end) == pytest.approx(np.pi / 2)
    with pytest.raises(ExpressionError, match="needs an angle"):
        infer_unit(
            "@SIN(@t('.Power'))",
            MemoryResolver(series={f"{OWNER}.Power": series(angles, "MW")}),
            relative_to=OWNER,
        )
