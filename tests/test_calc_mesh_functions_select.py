"""Mesh's construction and selection functions: MIX, MIX0, AT, Size, TS and the text functions.

Worked examples from Volue-Public/energy-smp-docs, docs/mesh/calculations/functions/<page>.md
(the page is named beside each); where a page shows its values only in a picture, the test
builds the case its text describes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.calc import MemoryResolver, evaluate, infer_unit, timespec
from workbench.errors import ExpressionError

OWNER = "Model/M/Obj"
START, END = "2024-01-01", "2024-01-01T06:00"
NAN = np.nan


def hourly(values: list[float], units: str = "", flags: list[int] | None = None) -> xr.DataArray:
    times = pd.date_range(START, periods=len(values), freq="h")
    coords: dict[str, object] = {"event_start": times}
    if flags is not None:
        coords["flags"] = ("event_start", np.asarray(flags, dtype=np.uint32))
    return xr.DataArray(
        np.asarray(values, dtype=float),
        coords=coords,
        dims="event_start",
        attrs={"units": units, "timezone": "UTC", "curve_type": "step", "resolution": "PT1H"},
    )


SERIES = {
    "Correction": hourly([NAN, 5.0, NAN, 7.0, NAN, NAN], "degC", flags=[0, 256, 0, 256, 0, 0]),
    "Raw": hourly([1.0, 2.0, 3.0, NAN, 5.0, 6.0], "degC", flags=[0, 0, 0, 1, 2, 0]),
    "Test": hourly([1.0, 0.0, NAN, 2.0, -1.0, 0.0]),
    "Selector": hourly([1.0, 2.0, 3.0, 4.0, 0.0, 2.4]),
    "Ts1": hourly([10.0, 11, 12, 13, 14, 15]),
    "Ts2": hourly([20.0, 21, 22, 23, 24, 25]),
    "Default": hourly([-1.0] * 6),
    "Kelvin": hourly([274.15] * 6, "K"),
    "Power": hourly([1.0] * 6, "MW"),
    "NO1": hourly([0.0, 0.0, 3.0, NAN, 0.0, NAN]),
    "NO2": hourly([5.0, 0.0, 4.0, 6.0, NAN, NAN]),
}


@pytest.fixture
def resolver() -> MemoryResolver:
    units = {f"{OWNER}.To_Units/U{i}.Production": hourly([float(i)] * 6) for i in range(3)}
    return MemoryResolver(
        series={**{f"{OWNER}.{k}": v for k, v in SERIES.items()}, **units},
        strings={f"{OWNER}.TargetTimeseries": "MyTs"},
    )


def run(resolver: MemoryResolver, text: str) -> object:
    return evaluate(text, resolver, START, END, relative_to=OWNER)


def values(resolver: MemoryResolver, text: str) -> list[float]:
    out = run(resolver, text)
    assert isinstance(out, xr.DataArray)
    return [round(float(v), 6) if not np.isnan(v) else NAN for v in out.values]


def same(got: list[float], expected: list[float]) -> None:
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))


def test_mix_of_two_takes_the_first_where_it_has_a_value(resolver: MemoryResolver) -> None:
    # mix.md, @MIX(t,t): the first series' value if it exists, otherwise the second's
    got = values(resolver, "@MIX(@t('.Correction'), @t('.Raw'))")
    same(got, [1.0, 5.0, 3.0, 7.0, 5.0, 6.0])
    same(values(resolver, "@MIX(@t('.Correction'), @t('.Raw'), 'MERGE')"), got)


def test_mix_of_three_series_is_if_then_else(resolver: MemoryResolver) -> None:
    # mix.md, @MIX(t,t,t): argument 1 is a logical test (not 0 and not NaN is true)
    got = values(resolver, "@MIX(@t('.Test'), @t('.Raw'), @t('.Correction'))")
    same(got, [1.0, 5.0, NAN, NAN, 5.0, NAN])
    # the branches are lined up in one unit: kelvin given beside degrees Celsius
    converted = values(resolver, "@MIX(@t('.Test'), @t('.Raw'), @t('.Kelvin'))")
    same(converted, [1.0, 1.0, 1.0, NAN, 5.0, 1.0])
    assert infer_unit(
        "@MIX(@t('.Test'), @t('.Raw'), @t('.Kelvin'))", resolver, relative_to=OWNER
    ) in (
        "°C",
        "degC",
    )
    with pytest.raises(ExpressionError, match="unit clash in @MIX"):
        infer_unit("@MIX(@t('.Test'), @t('.Raw'), @t('.Power'))", resolver, relative_to=OWNER)


def test_mix_merge_add_end_and_a_time(
    resolver: MemoryResolver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # mix.md, MERGE_ADD: the second series' value where it is a real value
    same(
        values(resolver, "@MIX(@t('.Raw'), @t('.Correction'), 'MERGE_ADD')"),
        [1.0, 5.0, 3.0, 7.0, 5.0, 6.0],
    )
    # END: the first series until its last value, then the second
    same(
        values(resolver, "@MIX(@t('.Correction'), @t('.Raw'), 'END')"),
        [NAN, 5.0, NAN, 7.0, 5.0, 6.0],
    )
    # a time macro: the first series until that time (HOUR+1h: now 03:20 UTC is 04:20 in the
    # standard calendar, so the start of the next hour is 04:00 UTC)
    monkeypatch.setattr(timespec, "now_ns", lambda: pd.Timestamp("2024-01-01T03:20").value)
    same(
        values(resolver, "@MIX(@t('.Ts1'), @t('.Ts2'), 'HOUR+1h')"),
        [10.0, 11.0, 12.0, 13.0, 24.0, 25.0],
    )
    with pytest.raises(ExpressionError, match="END, MERGE, MERGE_ADD, MERGE_POINTS"):
        run(resolver, "@MIX(@t('.Ts1'), @t('.Ts2'), 'SOMETIMES')")


def test_mix_selects_from_an_array_by_index(resolver: MemoryResolver) -> None:
    # mix_by_selecting_from_time_series_array.md, example 3: 1 -> Ts1, 2 -> Ts2, 3 -> Ts1 * 2.3,
    # 4 -> Ts1 + Ts2, otherwise the default; indices are rounded to the nearest integer
    text = (
        "@MIX(@t('.Selector'), {@t('.Ts1'), @t('.Ts2'), @t('.Ts1') * 2.3, "
        "@t('.Ts1') + @t('.Ts2')}DEFAULT)"
    )
    same(
        values(resolver, text.replace("DEFAULT", ", @t('.Default')")),
        [10.0, 21.0, 27.6, 36.0, -1.0, 25.0],
    )
    # example 1: without a default, out of range is undefined
    same(values(resolver, text.replace("DEFAULT", "")), [10.0, 21.0, 27.6, 36.0, NAN, 25.0])


def test_mix_keeps_the_flags_of_the_series_each_point_came_from(resolver: MemoryResolver) -> None:
    out = run(resolver, "@MIX(@t('.Correction'), @t('.Raw'))")
    assert isinstance(out, xr.DataArray)
    assert out.coords["flags"].values.tolist() == [0, 256, 0, 256, 2, 0]


def test_mix0(resolver: MemoryResolver) -> None:
    # mix0.md: the first value different from zero; zero if all are zero; missing if all are
    expected = [5.0, 0.0, 3.0, 6.0, 0.0, NAN]
    same(values(resolver, "@MIX0(@t('.NO1'), @t('.NO2'))"), expected)
    same(values(resolver, "@MIX0({@t('.NO1'), @t('.NO2')})"), expected)


def test_at(resolver: MemoryResolver, monkeypatch: pytest.MonkeyPatch) -> None:
    # at.md: DArray = {10,11,12,13,14}; Res1 = @AT(DArray,0) = 10, Res2 = @AT(DArray,2) = 12
    assert run(resolver, "@AT({10,11,12,13,14}, 0)") == 10.0
    assert run(resolver, "@AT({10,11,12,13,14}, 2)") == 12.0
    assert run(resolver, "@AT({10,11,12,13,14}, 0.8)") == 10.0  # fractions are cut
    assert np.isnan(cast_float(run(resolver, "@AT({10,11,12,13,14}, -1)")))
    assert np.isnan(cast_float(run(resolver, "@AT({10,11,12,13,14}, 5)")))
    # at.md, AT(t,d): the requested period [00:00, 03:00) has valid indices 0, 1, 2
    early = evaluate("@AT(@t('.Ts1'), 2)", resolver, START, "2024-01-01T03:00", relative_to=OWNER)
    assert early == 12.0
    late = evaluate("@AT(@t('.Ts1'), 3)", resolver, START, "2024-01-01T03:00", relative_to=OWNER)
    assert np.isnan(cast_float(late))
    # AT(T,d): a member, or an empty series out of range
    member = run(resolver, "@AT(@T('.To_Units/*.Production'), 1)")
    assert isinstance(member, xr.DataArray) and member.values.tolist() == [1.0] * 6
    empty = run(resolver, "@AT(@T('.To_Units/*.Production'), 7)")
    assert isinstance(empty, xr.DataArray) and np.isnan(empty.values).all()
    # AT(t,s): the value at a time given by a macro or explicitly
    assert run(resolver, "@AT(@t('.Ts1'), 'UTC2024010102')") == 12.0
    monkeypatch.setattr(timespec, "now_ns", lambda: pd.Timestamp("2024-01-01T00:30").value)
    assert run(resolver, "@AT(@t('.Ts1'), 'UTCDAY+4h')") == 14.0
    with pytest.raises(ExpressionError, match="finite number"):
        run(resolver, "@AT({1, 2}, @AT({1}, 5))")


def cast_float(value: object) -> float:
    assert isinstance(value, float)
    return value


def test_size(resolver: MemoryResolver) -> None:
    # size.md: @Size({4,2,7,8}) is 4; three units below the object give 3
    assert run(resolver, "@Size({4,2,7,8})") == 4.0
    assert run(resolver, "@Size(@T('.To_Units/*.Production'))") == 3.0
    assert run(resolver, "@size({'a', 'b'})") == 2.0


def test_ts(resolver: MemoryResolver) -> None:
    # ts.md: VARINT is a breakpoint series with one value at the start of the period
    varint = run(resolver, "@TS('VARINT', 1)")
    assert isinstance(varint, xr.DataArray)
    assert (
        varint.values.tolist() == [1.0]
        and str(varint.event_start.values[0])[:16] == "2024-01-01T00:00"
    )
    assert np.isnan(values(resolver, "@TS('VARINT')")[0])
    # HOUR: every hour of the period, missing or the value given
    assert values(resolver, "@TS('HOUR', 0)") == [0.0] * 6
    assert np.isnan(values(resolver, "@TS('HOUR')")).all()
    # a curve type as second argument; it is case sensitive
    linear = run(resolver, "@TS('MIN15', 'LINEAR', 2)")
    assert isinstance(linear, xr.DataArray)
    assert linear.attrs["curve_type"] == "linear" and linear.size == 24
    with pytest.raises(ExpressionError, match="'NONE', 'STEP' or 'LINEAR'"):
        run(resolver, "@TS('DAY', 'linear')")
    # the value's unit is the series' unit, so it adds to a series in MW
    assert infer_unit("@TS('HOUR', 5 [MW]) + @t('.Power')", resolver, relative_to=OWNER) == "MW"
    same(values(resolver, "@TS('HOUR', 5 [MW]) + @t('.Power')"), [6.0] * 6)


def test_text_functions(resolver: MemoryResolver) -> None:
    # compare.md
    assert run(resolver, "@Compare('Bajaboo', 'bajaboo')") == 1.0
    assert run(resolver, "@Compare('Bajaboo', 'Bajaboo')") == 0.0
    # tostring.md: 2.756 gives "2", "2.7", "2.75" (cut, not rounded)
    assert run(resolver, "@ToString(2.756)") == "2"
    assert run(resolver, "@ToString(2.756, 1)") == "2.7"
    assert run(resolver, "@ToString(2.756, 2)") == "2.75"
    # concatenate.md, example 1: '../...' and the text attribute's value 'MyTs'
    assert run(resolver, "@Concatenate('../...', @s('.TargetTimeseries'))") == "../...MyTs"
    assert run(resolver, "@Concatenate({'*[.Name=', 'PlantX', '].Production'})") == (
        "*[.Name=PlantX].Production"
    )


_POINT = st.one_of(st.floats(-100, 100, allow_nan=False), st.just(0.0), st.just(NAN))


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.tuples(_POINT, _POINT, _POINT), min_size=1, max_size=20))
def test_mix_forms_match_pandas(rows: list[tuple[float, float, float]]) -> None:
    c, a, b = (pd.Series(col, dtype=float) for col in zip(*rows, strict=True))
    resolver = MemoryResolver(
        series={f"{OWNER}.{n}": hourly(list(s)) for n, s in (("C", c), ("A", a), ("B", b))}
    )
    end = str(pd.Timestamp(START) + pd.Timedelta(hours=len(rows)))

    def get(text: str) -> np.ndarray:
        out = evaluate(text, resolver, START, end, relative_to=OWNER)
        assert isinstance(out, xr.DataArray)
        return out.values

    np.testing.assert_array_equal(get("@MIX(@t('.A'), @t('.B'))"), a.fillna(b).to_numpy())
    truth = c.notna() & (c != 0)
    np.testing.assert_array_equal(
        get("@MIX(@t('.C'), @t('.A'), @t('.B'))"), a.where(truth, b).to_numpy()
    )
    frame = pd.DataFrame({"a": a, "b": b})
    nonzero = frame.where(frame != 0).bfill(axis=1).iloc[:, 0]
    zero = frame.eq(0).any(axis=1)
    expected = nonzero.where(nonzero.notna() | ~zero, 0.0)
    np.testing.assert_array_equal(get("@MIX0(@t('.A'), @t('.B'))"), expected.to_numpy())
