"""Units in the calculation language: inference before reading data, clashes, conversions."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from workbench.calc import MemoryResolver, compile_expression, evaluate, infer_type, infer_unit
from workbench.errors import ExpressionError
from workbench.units import parse_unit

OWNER = "Model/Hydro/Plant"


def series(values: list[float], units: str, freq: str = "h") -> xr.DataArray:
    times = pd.date_range("2024-01-01", periods=len(values), freq=freq)
    return xr.DataArray(
        np.asarray(values, dtype=float),
        coords={"event_start": times},
        dims="event_start",
        attrs={
            "units": units,
            "resolution": (times[1] - times[0]).isoformat(),
            "timezone": "UTC",
            "curve_type": "step",
        },
    )


@pytest.fixture
def resolver() -> MemoryResolver:
    return MemoryResolver(
        series={
            f"{OWNER}.Power": series([1.0, 2.0, 3.0], "MW"),
            f"{OWNER}.PowerKW": series([500.0, 1000.0, 1500.0], "kW"),
            f"{OWNER}.Flow": series([10.0, 20.0, 30.0], "m^3/s"),
            f"{OWNER}.Price": series([50.0, 60.0, 70.0], "EUR/MWh"),
            f"{OWNER}.TempF": series([32.0, 212.0, 50.0], "degF"),
        },
        numbers={f"{OWNER}.MaxPower": (2.5, "MW"), f"{OWNER}.Efficiency": 0.9},
        strings={f"{OWNER}.Type": "Turbine"},
    )


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("@t('.Power')", "MW"),
        ("@t('.Power') + @t('.PowerKW')", "MW"),
        ("@t('.PowerKW') + @t('.Power')", "kW"),
        ("@t('.Power') * 2[h]", "h * MW"),
        ("@t('.Power') * @t('.Price')", "EUR * MW / MWh"),
        ("@t('.Power') / @d('.MaxPower')", ""),
        ("@t('.Power') / @t('.PowerKW')", "MW / kW"),
        ("@t('.Power') * @d('.Efficiency')", "MW"),
        ("@t('.Power') ^ 2", "MW ** 2"),
        ("@t('.Power') > 1[MW]", ""),
        ("@TRANSFORM(@t('.Power'), 'DAY', 'SUMI')", "MW * s"),
        ("@TRANSFORM(@t('.Power'), 'DAY', 'SUM')", "MW"),
        ("@CONVERT(@t('.Power') * 1[h], 'kWh')", "kWh"),
        ("@SET_UNIT(@t('.Flow'), 'MW')", "MW"),
        ("IF @t('.Power') > 1[MW] THEN @t('.Power') ELSE @t('.PowerKW') ENDIF", "MW"),
        ("@MAX(@t('.Power'), 0[kW])", "MW"),
        ("@SUM({@t('.Power'), @t('.PowerKW')})", "MW"),
        ("@s('.Type')", ""),
        ("2 * 3", ""),
    ],
)
def test_result_unit_is_inferred_without_reading_data(
    resolver: MemoryResolver, text: str, unit: str
) -> None:
    assert infer_unit(text, resolver, relative_to=OWNER) == unit
    assert resolver.count("series") == 0 and resolver.count("numbers") == 0
    assert parse_unit(unit) == infer_type(text, resolver, OWNER).unit or unit == ""


def test_evaluated_unit_matches_the_inferred_one(resolver: MemoryResolver) -> None:
    text = "@t('.Power') * 2[h] + @t('.PowerKW') * 60[min]"
    out = evaluate(text, resolver, "2024-01-01", "2024-01-02", relative_to=OWNER)
    assert isinstance(out, xr.DataArray)
    assert out.attrs["units"] == infer_unit(text, resolver, relative_to=OWNER)
    assert parse_unit(out.attrs["units"]) == parse_unit("MW") * parse_unit("h")
    np.testing.assert_allclose(out.values, [2.5, 5.0, 7.5])  # kW·min converted to MW·h


def test_addition_converts_the_right_operand(resolver: MemoryResolver) -> None:
    out = evaluate(
        "@t('.Power') + @t('.PowerKW')", resolver, "2024-01-01", "2024-01-02", relative_to=OWNER
    )
    np.testing.assert_allclose(out.values, [1.5, 3.0, 4.5])  # type: ignore[union-attr]


def test_comparison_converts_and_offset_units_convert_exactly(resolver: MemoryResolver) -> None:
    out = evaluate(
        "@t('.PowerKW') >= 1[MW]", resolver, "2024-01-01", "2024-01-02", relative_to=OWNER
    )
    np.testing.assert_array_equal(out.values, [0.0, 1.0, 1.0])  # type: ignore[union-attr]
    celsius = evaluate(
        "@CONVERT(@t('.TempF'), 'degC')", resolver, "2024-01-01", "2024-01-02", relative_to=OWNER
    )
    np.testing.assert_allclose(celsius.values, [0.0, 100.0, 10.0], atol=1e-9)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "column", "units"),
    [
        ("@t('.Power') + @t('.Flow')", 14, ("'MW'", "'m ** 3 / s'")),
        ("@t('.Power') - 1", 14, ("'MW'", "dimensionless")),
        ("@t('.Power') > 5", 14, ("'MW'", "dimensionless")),
        ("IF 1 THEN @t('.Power') ELSE @t('.Flow') ENDIF", 1, ("'MW'", "'m ** 3 / s'")),
        ("{@t('.Power'), @t('.Flow')}", 16, ("'MW'", "'m ** 3 / s'")),
        ("@MIX(@t('.Power'), @t('.Flow'))", 1, ("'MW'", "'m ** 3 / s'")),
        ("@MAX(@t('.Power'), 0)", 1, ("'MW'", "dimensionless")),
    ],
)
def test_unit_clash_names_both_units_and_the_position(
    resolver: MemoryResolver, text: str, column: int, units: tuple[str, str]
) -> None:
    compile_expression(text)  # units are not known before the model is asked
    with pytest.raises(ExpressionError) as info:
        infer_unit(text, resolver, relative_to=OWNER)
    assert "unit clash" in info.value.message
    assert all(u in info.value.message for u in units)
    assert (info.value.line, info.value.column) == (1, column)


def test_power_needs_a_dimensionless_constant_exponent(resolver: MemoryResolver) -> None:
    with pytest.raises(ExpressionError, match="dimensionless exponent, got 'MW'"):
        infer_unit("2 ^ @t('.Power')", resolver, relative_to=OWNER)
    with pytest.raises(ExpressionError, match="needs a constant exponent"):
        infer_unit("@t('.Power') ^ @d('.Efficiency')", resolver, relative_to=OWNER)
    assert infer_unit("@d('.Efficiency') ^ @d('.Efficiency')", resolver, OWNER) == ""


def test_convert_to_an_incompatible_unit_is_refused(resolver: MemoryResolver) -> None:
    with pytest.raises(ExpressionError, match=re.escape("cannot convert 'MW' to 'm ** 3 / s'")):
        infer_unit("@CONVERT(@t('.Power'), 'm^3/s')", resolver, relative_to=OWNER)


def test_unknown_unit_in_a_literal_is_an_error_at_compile_time() -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression("@t('.Power') + 3[furlongs_per_fortnight]")
    assert "furlongs_per_fortnight" in info.value.message
    assert info.value.column == 16


def test_transform_sumi_of_power_gives_energy(resolver: MemoryResolver) -> None:
    text = "@CONVERT(@TRANSFORM(@t('.Power'), 'DAY', 'SUMI'), 'MWh')"
    out = evaluate(text, resolver, "2024-01-01", "2024-01-02", relative_to=OWNER)
    assert out.attrs["units"] == "MWh"  # type: ignore[union-attr]
    np.testing.assert_allclose(out.values, [6.0])  # type: ignore[union-attr]
