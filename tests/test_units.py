"""Tests for workbench.units: conversion, extensive/intensive, compact formatting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.errors import InvalidValue, UnitError
from workbench.units import convert, format_unit, is_extensive, parse_signed_unit, parse_unit


@pytest.mark.parametrize(
    ("values", "source", "target", "expected"),
    [
        ([1500.0, -250.0], "kW", "MW", [1.5, -0.25]),
        ([32.0, 212.0, -40.0], "degF", "degC", [0.0, 100.0, -40.0]),
        ([0.0, 100.0], "degC", "K", [273.15, 373.15]),
        ([50.0, 120.0], "EUR/MWh", "EUR/kWh", [0.05, 0.12]),
        ([50.0, 100.0], "%", "", [0.5, 1.0]),
        ([0.25], "", "%", [25.0]),
        ([2.0], "MWh", "kWh", [2000.0]),
        ([3.6], "MJ", "kWh", [1.0]),
        ([5.0], "-kW", "kW", [-5.0]),
        ([5.0], "kW", "-kW", [-5.0]),
        ([5.0], "-kW", "-MW", [0.005]),
    ],
)
def test_convert_between_compatible_units(
    values: list[float], source: str, target: str, expected: list[float]
) -> None:
    result = convert(np.array(values), source, target)
    assert result.dtype == np.float64
    np.testing.assert_allclose(result, expected, atol=1e-9)


@pytest.mark.parametrize(
    ("values", "source", "target", "resolution", "expected"),
    [
        ([1.0], "kWh", "kW", "15min", [4.0]),  # 1 kWh in a quarter of an hour = 4 kW
        ([4.0], "kW", "kWh", "PT15M", [1.0]),
        ([24.0], "MWh", "MW", pd.Timedelta("1D"), [1.0]),
        ([3600.0], "m^3", "m^3/s", "PT1H", [1.0]),
        ([2.0], "kW", "MWh", np.timedelta64(30, "m"), [0.001]),
    ],
)
def test_convert_between_amount_and_rate_uses_the_resolution(
    values: list[float], source: str, target: str, resolution: object, expected: list[float]
) -> None:
    result = convert(values, source, target, resolution=resolution)  # type: ignore[arg-type]
    np.testing.assert_allclose(result, expected)


def test_convert_takes_one_duration_per_value() -> None:
    # Daily energy on the days clocks change: 23 and 25 hours.
    durations = np.array([23, 24, 25], dtype="timedelta64[h]")
    result = convert([23.0, 24.0, 25.0], "kWh", "kW", durations)
    np.testing.assert_allclose(result, [1.0, 1.0, 1.0])


@pytest.mark.parametrize("resolution", [None, "0s", pd.Timedelta(0), "-PT1H"])
def test_convert_between_amount_and_rate_refuses_a_missing_or_zero_resolution(
    resolution: object,
) -> None:
    with pytest.raises(UnitError, match=r"'kWh' and 'kW' needs the duration of the events"):
        convert([1.0], "kWh", "kW", resolution=resolution)  # type: ignore[arg-type]


def test_convert_refuses_a_resolution_that_is_no_duration() -> None:
    with pytest.raises(UnitError, match=r"got 'soon'"):
        convert([1.0], "kWh", "kW", resolution="soon")


@pytest.mark.parametrize(("source", "target"), [("degC", "MW"), ("EUR", "kWh"), ("kW", "EUR/MWh")])
def test_convert_refuses_incompatible_units_naming_both(source: str, target: str) -> None:
    with pytest.raises(UnitError) as caught:
        convert([1.0], source, target, resolution="PT1H")
    message = str(caught.value)
    assert repr(source) in message
    assert repr(target) in message
    assert "same quantity" in message
    assert isinstance(caught.value, InvalidValue)


def test_convert_refuses_unknown_units() -> None:
    with pytest.raises(UnitError, match=r"unit 'furlongs_per_fortnite' is not understood"):
        convert([1.0], "furlongs_per_fortnite", "MW")


def test_convert_leaves_its_input_alone() -> None:
    values = np.array([1.0, 2.0])
    result = convert(values, "kW", "kW")
    result[0] = 99.0
    assert values[0] == 1.0


def test_parse_signed_unit_reads_a_leading_minus() -> None:
    assert parse_signed_unit("-kW") == (-1, parse_unit("kW"))
    assert parse_signed_unit(" MW ") == (1, parse_unit("MW"))
    with pytest.raises(UnitError, match="got 3"):
        parse_signed_unit(3)


@pytest.mark.parametrize(
    ("unit", "extensive"),
    [
        ("kWh", True),
        ("MJ", True),
        ("EUR", True),
        ("NOK", True),
        ("m^3", True),
        ("kg", True),
        ("Ah", True),
        ("count", True),
        ("-MWh", True),
        ("MW", False),
        ("degC", False),
        ("K", False),
        ("EUR/MWh", False),
        ("EUR/h", False),
        ("m^3/s", False),
        ("%", False),
        ("", False),
    ],
)
def test_is_extensive_tells_sums_from_means(unit: str, extensive: bool) -> None:
    assert is_extensive(unit) is extensive


@pytest.mark.parametrize(
    ("unit", "text"),
    [
        ("megawatt", "MW"),
        ("EUR / MWh", "EUR/MWh"),
        ("degree_Celsius", "degC"),
        ("degF", "degF"),
        ("kilowatt_hour", "kWh"),
        ("percent", "%"),
        ("", ""),
        ("m^3/s", "m**3/s"),
        ("-kW", "-kW"),
    ],
)
def test_format_unit_is_compact_and_parsable(unit: str, text: str) -> None:
    assert format_unit(unit) == text
    assert parse_signed_unit(text) == parse_signed_unit(unit)


def test_hydropower_units() -> None:
    np.testing.assert_allclose(convert([1.5], "Mm3", "m^3"), [1.5e6])
    np.testing.assert_allclose(convert([1.0], "km^3", "Mm3"), [1000.0])
    np.testing.assert_allclose(convert([2.0], "million_cubic_metre", "Mm3"), [2.0])
    # a volume per day is a flow: 86,400 m^3 in a day is 1 m^3/s
    np.testing.assert_allclose(convert([0.0864], "Mm3", "m^3/s", resolution="1D"), [1.0])
    np.testing.assert_allclose(convert([1.0], "m^3/s", "Mm3", resolution="1D"), [0.0864])
    assert is_extensive("Mm3") and not is_extensive("Mm3/day")
    assert format_unit("Mm3") == "Mm3" and format_unit("Mm3 / s") == "Mm3/s"
    np.testing.assert_allclose(convert([101.5], "masl", "m"), [101.5])
    np.testing.assert_allclose(convert([1.0], "km", "masl"), [1000.0])
    assert not is_extensive("masl")  # a level averages on resampling
    assert format_unit("metre_above_sea_level") == "masl"
    with pytest.raises(UnitError, match="'Mm3' .* to 'MW'"):
        convert([1.0], "Mm3", "MW")
    with pytest.raises(UnitError, match="'masl'"):
        convert([1.0], "masl", "m^3")
    with pytest.raises(UnitError, match="'m3'"):
        parse_unit("m3")  # left undefined: with prefixes, "mm3" would be 0.001 m^3
