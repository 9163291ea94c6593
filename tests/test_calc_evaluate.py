"""Evaluation: lookups, defaults, alignment, viewpoints, look-back periods, batched loading."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from workbench.calc import (
    Lookup,
    MemoryResolver,
    Resolver,
    Viewpoint,
    compile_expression,
    evaluate,
    evaluate_many,
    infer_unit,
    timespec,
)
from workbench.errors import ExpressionError

SYSTEM = "Model/Hydro"
PLANT = "Model/Hydro.To_Plants/PlantA"


def make(
    values: list[float] | np.ndarray,
    start: str = "2024-01-01",
    freq: str = "h",
    units: str = "MW",
    curve: str = "step",
    resolution: str | None = None,
) -> xr.DataArray:
    times = pd.date_range(start, periods=len(values), freq=freq)
    step = (
        resolution
        or (times[1] - times[0] if len(times) > 1 else pd.Timedelta(1, unit=freq)).isoformat()
    )
    return xr.DataArray(
        np.asarray(values, dtype=float),
        coords={"event_start": times},
        dims="event_start",
        attrs={"units": units, "timezone": "UTC", "curve_type": curve, "resolution": step},
    )


def plants(count: int, hours: int = 48) -> dict[str, xr.DataArray]:
    return {
        f"{SYSTEM}.To_Plants/P{i:04d}.Production": make(np.full(hours, float(i)))
        for i in range(count)
    }


def test_relative_absolute_and_collection_lookups() -> None:
    resolver = MemoryResolver(series=plants(3), numbers={f"{SYSTEM}.Share": 0.5})
    out = evaluate(
        "@SUM(@T('.To_Plants/*.Production')) * @d('.Share')",
        resolver,
        "2024-01-01",
        "2024-01-02",
        relative_to=SYSTEM,
    )
    np.testing.assert_allclose(out.values, np.full(24, 1.5))  # type: ignore[union-attr]
    absolute = evaluate(
        f"@t('{SYSTEM}.To_Plants/P0002.Production')", resolver, "2024-01-01", "2024-01-02"
    )
    np.testing.assert_allclose(absolute.values, np.full(24, 2.0))  # type: ignore[union-attr]
    members = evaluate(
        "@T('.To_Plants/*.Production')", resolver, "2024-01-01", "2024-01-02", relative_to=SYSTEM
    )
    assert isinstance(members, list) and [m.values[0] for m in members] == [0.0, 1.0, 2.0]
    numbers = evaluate(
        "{@d('.Share'), 2}", resolver, "2024-01-01", "2024-01-02", relative_to=SYSTEM
    )
    np.testing.assert_allclose(numbers, [0.5, 2.0])  # type: ignore[arg-type]


def test_a_lookup_that_finds_nothing_names_the_path_unless_a_default_is_given() -> None:
    resolver = MemoryResolver(series={f"{PLANT}.Inflow": make([1.0, 2.0])})
    with pytest.raises(ExpressionError) as info:
        evaluate(
            "@t('.Inflow') + @t('.Missing')",
            resolver,
            "2024-01-01",
            "2024-01-02",
            relative_to=PLANT,
        )
    assert f"nothing found at '.Missing' relative to object '{PLANT}'" in info.value.message
    assert (info.value.line, info.value.column) == (1, 17)
    out = evaluate(
        "@t('.Inflow') + @t('.Missing', 10[MW])",
        resolver,
        "2024-01-01",
        "2024-01-02",
        relative_to=PLANT,
    )
    np.testing.assert_allclose(out.values, [11.0, 12.0])  # type: ignore[union-attr]
    assert (
        evaluate("@d('.Missing', 4) * 2", resolver, "2024-01-01", "2024-01-02", relative_to=PLANT)
        == 8.0
    )
    assert (
        evaluate(
            "@COUNT(@T('.None/*.X', {}))", resolver, "2024-01-01", "2024-01-02", relative_to=PLANT
        )
        == 0.0
    )
    assert (
        evaluate("@s('.Kind', 'unknown')", resolver, "2024-01-01", "2024-01-02", relative_to=PLANT)
        == "unknown"
    )


def test_a_lookup_of_the_wrong_kind_or_count_says_what_to_use() -> None:
    resolver = MemoryResolver(series=plants(2), numbers={f"{SYSTEM}.Max": 3.0})
    with pytest.raises(ExpressionError, match=r"is a number, not a series; use @d\(...\)"):
        infer_unit("@t('.Max')", resolver, SYSTEM)
    with pytest.raises(ExpressionError, match=r"names 2 values; use @T\(...\) to read them all"):
        infer_unit("@t('.To_Plants/*.Production')", resolver, SYSTEM)
    with pytest.raises(ExpressionError, match="the default of @t must be"):
        compile_expression("@t('.X', 'none')")


def test_steps_forward_fill_and_linear_series_interpolate_on_the_union() -> None:
    hourly = make([0.0, 10.0, 20.0], units="MW")
    quarter = make([1.0] * 12, freq="15min", units="MW")
    linear = make([0.0, 10.0, 20.0], curve="linear", units="MW")
    resolver = MemoryResolver(
        series={f"{PLANT}.H": hourly, f"{PLANT}.Q": quarter, f"{PLANT}.L": linear}
    )
    step = evaluate(
        "@t('.H') + @t('.Q')", resolver, "2024-01-01", "2024-01-01T03:00", relative_to=PLANT
    )
    assert step.attrs["resolution"] == "P0DT0H15M0S"  # type: ignore[union-attr]
    np.testing.assert_allclose(step.values, np.repeat([1.0, 11.0, 21.0], 4))  # type: ignore[union-attr]
    interpolated = evaluate(
        "@t('.L') + @t('.Q')", resolver, "2024-01-01", "2024-01-01T03:00", relative_to=PLANT
    )
    expected = np.interp(np.arange(12) * 0.25, [0, 1, 2], [0, 10, 20], right=np.nan) + 1
    np.testing.assert_allclose(interpolated.values, expected)  # type: ignore[union-attr]
    assert interpolated.attrs["curve_type"] == "linear"  # type: ignore[union-attr]


def test_a_gap_in_a_regular_step_series_stays_missing() -> None:
    gappy = make([1.0, 2.0, 3.0]).isel(event_start=[0, 2])  # 01:00 is missing
    resolver = MemoryResolver(
        series={f"{PLANT}.G": gappy, f"{PLANT}.Q": make([0.0] * 12, freq="15min")}
    )
    out = evaluate(
        "@t('.G') + @t('.Q')", resolver, "2024-01-01", "2024-01-01T03:00", relative_to=PLANT
    )
    assert np.isnan(out.values[4:8]).all() and (out.values[:4] == 1).all()  # type: ignore[union-attr]


def test_conditions_logic_and_strings() -> None:
    resolver = MemoryResolver(
        series={f"{PLANT}.P": make([np.nan, 1.0, 5.0, 9.0])}, strings={f"{PLANT}.Type": "Pump"}
    )
    text = "IF @t('.P') > 4[MW] AND NOT @t('.P') > 8[MW] THEN @t('.P') ELSE 0[MW] ENDIF"
    out = evaluate(text, resolver, "2024-01-01", "2024-01-02", relative_to=PLANT)
    np.testing.assert_array_equal(out.values, [np.nan, 0.0, 5.0, 0.0])  # type: ignore[union-attr]
    kind = "IF @s('.Type') = 'Pump' THEN -1 ELSE 1 ENDIF"
    assert evaluate(kind, resolver, "2024-01-01", "2024-01-02", relative_to=PLANT) == -1.0
    label = "IF @s('.Type') <> 'Pump' THEN 'generator' ELSE 'pump' ENDIF"
    assert evaluate(label, resolver, "2024-01-01", "2024-01-02", relative_to=PLANT) == "pump"
    script = "Low = 2\nHigh = Low * 3\n## = IF 1 OR 0 THEN High ELSEIF 1 THEN 0 ELSE Low ENDIF"
    assert evaluate(script, resolver, "2024-01-01", "2024-01-02") == 6.0


def test_unknown_names_are_reported_where_used() -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression("A = 1\n## = A + Bee")
    assert "unknown name 'Bee'" in info.value.message
    assert (info.value.line, info.value.column) == (2, 10)


def test_look_back_functions_widen_the_period_they_read() -> None:
    data = make(np.arange(24 * 40.0))
    resolver = MemoryResolver(series={f"{PLANT}.X": data})
    cases = {
        "@DELTA(@t('.X'))": pd.Timedelta("1h"),
        "@TS_GLIDING_AVG(@t('.X'), 'P1D')": pd.Timedelta("1D"),
        "@TS_OFFSET(@t('.X'), 'PT6H')": pd.Timedelta("6h"),
        "@ACCUMULATE(@t('.X'), 'MONTH')": pd.Timedelta("19D"),  # back to 1 January
    }
    for text, back in cases.items():
        resolver.calls.clear()
        recorded: list[pd.Timestamp] = []
        original = resolver.series

        def spy(lookups, start, end, viewpoint, recorded=recorded, original=original):  # type: ignore[no-untyped-def]
            recorded.append(start)
            return original(lookups, start, end, viewpoint)

        resolver.series = spy  # type: ignore[method-assign]
        out = evaluate(text, resolver, "2024-01-20", "2024-01-21", relative_to=PLANT)
        resolver.series = original  # type: ignore[method-assign]
        assert recorded[0] <= pd.Timestamp("2024-01-20") - back, text
        assert not np.isnan(out.values).any(), text  # type: ignore[union-attr]
        assert pd.Timestamp(out["event_start"].values[0]) == pd.Timestamp("2024-01-20"), text  # type: ignore[union-attr]
    month = evaluate(
        "@ACCUMULATE(@t('.X'), 'MONTH')", resolver, "2024-01-20", "2024-01-21", relative_to=PLANT
    )
    assert month.values[0] == np.arange(19 * 24 + 1.0).sum()  # type: ignore[union-attr]
    glide = evaluate(
        "@TS_GLIDING_AVG(@t('.X'), 'P1D')", resolver, "2024-01-20", "2024-01-21", relative_to=PLANT
    )
    first = 19 * 24
    assert glide.values[0] == pytest.approx(np.arange(first - 23, first + 1).mean())  # type: ignore[union-attr]


def test_irregular_step_series_hold_their_value_into_the_period() -> None:
    times = pd.DatetimeIndex(["2023-12-25T00:00", "2024-01-01T12:00"])
    setpoint = xr.DataArray(
        [5.0, 7.0],
        coords={"event_start": times},
        dims="event_start",
        attrs={"units": "MW", "resolution": "PT0S"},
    )
    resolver = MemoryResolver(series={f"{PLANT}.Set": setpoint, f"{PLANT}.P": make(np.zeros(24))})
    out = evaluate("@t('.P') + @t('.Set')", resolver, "2024-01-01", "2024-01-02", relative_to=PLANT)
    np.testing.assert_allclose(out.values, [5.0] * 12 + [7.0] * 12)  # type: ignore[union-attr]


def believed(start: pd.Timestamp, end: pd.Timestamp, viewpoint: Viewpoint) -> xr.DataArray:
    """Data whose values say which viewpoint read them."""
    if viewpoint.as_of is not None and viewpoint.issued_after is not None:
        value = 3.0
    elif viewpoint.as_of is not None:
        value = 1.0
    elif viewpoint.horizon is not None:
        value = 2.0
    else:
        value = 0.0
    return make(np.full(24, value))


def test_viewpoints_reach_the_resolver() -> None:
    resolver = MemoryResolver(series={f"{PLANT}.F": believed})
    text = (
        "@t('.F') + 10 * @GetTsAsOfTime(@t('.F'), '2024-01-01T06:00+01:00') "
        "+ 100 * @GetForecast(@t('.F'), 'PT24H') "
        "+ 1000 * @GetForecast(@t('.F'), '2023-12-30', '2023-12-31')"
    )
    out = evaluate(text, resolver, "2024-01-01", "2024-01-02", relative_to=PLANT)
    np.testing.assert_allclose(out.values, np.full(24, 3210.0))  # type: ignore[union-attr]
    assert set(resolver.viewpoints) == {
        Viewpoint(),
        Viewpoint(as_of=pd.Timestamp("2024-01-01T05:00")),
        Viewpoint(horizon=pd.Timedelta("24h")),
        Viewpoint(as_of=pd.Timestamp("2023-12-31"), issued_after=pd.Timestamp("2023-12-30")),
    }
    evaluate(
        "@t('.F')",
        resolver,
        "2024-01-01",
        "2024-01-02",
        relative_to=PLANT,
        as_of="2024-01-01T00:00Z",
    )
    assert resolver.viewpoints[-1] == Viewpoint(as_of=pd.Timestamp("2024-01-01"))
    with pytest.raises(ExpressionError, match="needs a horizon such as 'PT24H'"):
        compile_expression("@GetForecast(@t('.F'), '2024-01-01')")


def test_knowledge_times_in_mesh_time_text(monkeypatch: pytest.MonkeyPatch) -> None:
    # docs/mesh/calculations/timepoint-macros.md: explicit times default to STANDARD (UTC+1),
    # a zone prefix changes that, and macros count from now
    monkeypatch.setattr(timespec, "now_ns", lambda: pd.Timestamp("2025-10-22T08:41:49").value)
    resolver = MemoryResolver(series={f"{PLANT}.F": believed})
    text = (
        "@GetTsAsOfTime(@t('.F'), '20240101') + @GetTsAsOfTime(@t('.F'), 'UTC2024010106') "
        "+ @GetTsAsOfTime(@t('.F'), 'DAY+2h') "
        "+ @GetForecast(@t('.F'), 'LOCAL20231230', '2023-12-31 00:00')"
    )
    evaluate(text, resolver, "2024-01-01", "2024-01-02", relative_to=PLANT)
    assert set(resolver.viewpoints) == {
        Viewpoint(as_of=pd.Timestamp("2023-12-31T23:00")),
        Viewpoint(as_of=pd.Timestamp("2024-01-01T06:00")),
        Viewpoint(as_of=pd.Timestamp("2025-10-22T01:00")),
        Viewpoint(as_of=pd.Timestamp("2023-12-31"), issued_after=pd.Timestamp("2023-12-29T23:00")),
    }
    with pytest.raises(ExpressionError, match="names the calculation period"):
        compile_expression("@GetTsAsOfTime(@t('.F'), 'SOP')")


def test_template_over_many_objects_makes_a_bounded_number_of_resolver_calls() -> None:
    count = 300
    series = {
        f"{SYSTEM}.To_Plants/P{i:04d}.Inflow": make(np.full(48, float(i))) for i in range(count)
    }
    series.update(plants(count))
    numbers = {f"{SYSTEM}.To_Plants/P{i:04d}.Efficiency": 0.5 for i in range(count)}
    resolver = MemoryResolver(series=series, numbers=numbers, strings={f"{SYSTEM}.Region": "north"})
    text = (
        "Flow = @DELTA(@t('.Inflow')) + @t('.Inflow')\n"
        "Total = @SUM(@T('Model/Hydro.To_Plants/*.Production'))\n"
        "## = IF @s('Model/Hydro.Region') = 'north' THEN Flow * @d('.Efficiency') "
        "+ Total * 0 ELSE Flow ENDIF"
    )
    objects = [f"{SYSTEM}.To_Plants/P{i:04d}" for i in range(count)]
    out = evaluate_many(text, resolver, objects, "2024-01-01T12:00", "2024-01-02")
    assert len(out) == count
    np.testing.assert_allclose(out[objects[7]].values, np.full(12, 3.5))  # type: ignore[union-attr]
    assert resolver.count("describe") == 1
    assert resolver.count("series") == 1  # every series of every object, one call
    assert resolver.count("numbers") == 1 and resolver.count("strings") == 1
    assert resolver.count() == 4
    described = dict(resolver.calls)["describe"]
    assert described == 2 * count + 2  # Inflow and Efficiency per object, 2 absolute lookups


def test_evaluation_errors_name_the_object_when_evaluating_many() -> None:
    resolver = MemoryResolver(series={f"{SYSTEM}/A.X": make([1.0])})
    with pytest.raises(ExpressionError, match=r"evaluating for object 'Model/Hydro/B'"):
        evaluate_many(
            "@t('.X')", resolver, [f"{SYSTEM}/A", f"{SYSTEM}/B"], "2024-01-01", "2024-01-02"
        )


def test_lookups_and_expression_metadata() -> None:
    expr = compile_expression("A = @t('.X')\nB = @t('Model/M/O.Y')\n## = @XY(A, '.C') + B")
    assert expr.kind == "t" and expr.paths == (".X", "Model/M/O.Y", ".C")
    assert expr.lookups("Model/M/P") == {
        Lookup(".X", "Model/M/P"),
        Lookup("Model/M/O.Y"),
        Lookup(".C", "Model/M/P"),
    }
    assert isinstance(MemoryResolver(), Resolver)


def test_period_and_times_are_checked() -> None:
    resolver = MemoryResolver()
    with pytest.raises(ExpressionError, match="must end after it starts"):
        evaluate("1", resolver, "2024-01-02", "2024-01-01")
    with pytest.raises(ExpressionError, match="start must be a time"):
        evaluate("1", resolver, "someday", "2024-01-01")
    with pytest.raises(ExpressionError, match="time 'yesterday' is not understood"):
        compile_expression("@GetTsAsOfTime(@t('.X'), 'yesterday')")


def test_relative_paths_need_the_object() -> None:
    with pytest.raises(ExpressionError, match="the path '.X' is relative"):
        evaluate("@t('.X')", MemoryResolver(), "2024-01-01", "2024-01-02")


def test_arithmetic_maps_over_collections_and_arrays() -> None:
    resolver = MemoryResolver(series=plants(3))
    out = evaluate(
        "@T('.To_Plants/*.Production') * 2 + 1[MW]",
        resolver,
        "2024-01-01",
        "2024-01-02",
        relative_to=SYSTEM,
    )
    assert isinstance(out, list) and [m.values[0] for m in out] == [1.0, 3.0, 5.0]
    assert all(m.attrs["units"] == "MW" for m in out)
    pairs = evaluate("{1, 2, 3} * {10, 20, 30}", resolver, "2024-01-01", "2024-01-02")
    np.testing.assert_allclose(pairs, [10.0, 40.0, 90.0])  # type: ignore[arg-type]
    with pytest.raises(ExpressionError, match=r"collections of different lengths \[2, 3\]"):
        evaluate("{1, 2} + {1, 2, 3}", resolver, "2024-01-01", "2024-01-02")


def test_the_function_reference_lists_every_function() -> None:
    from workbench.calc.library import FUNCTIONS, reference

    text = reference()
    assert all(f"`@{f.name}`" in text for f in FUNCTIONS.values())
    assert "`TRANSFORM(t, s, s[, s])`" in text
