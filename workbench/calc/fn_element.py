"""Element-wise functions as Mesh documents them: rounding, POWER, logarithms and logical tests.

Each works on a number or point by point on a series (``@ROUND(@t('.A'))``, ``@ROUND(2.5)``);
a series keeps its times, resolution and quality flags, except where a function builds a
breakpoint series (the ``COMPRESS`` options of BOOL, POSITIVE and NEGATIVE). Logical results
are 1 and 0 and dimensionless; a missing value counts as false. Rounding halves away from zero
(2.5 to 3, -2.5 to -3).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from workbench.calc.align import align, apply, map_values
from workbench.calc.functions import (
    AS_IN_MESH,
    Function,
    Invocation,
    MeshNote,
    Overload,
    UnitQuery,
    dimensionless,
    same,
)
from workbench.calc.quantities import DIMENSIONLESS, compatible, show
from workbench.calc.syntax import Number, Unary
from workbench.calc.values import FloatArray, Series, Value

__all__ = ["FUNCTIONS", "compress", "round_half_away"]


def round_half_away(values: Any) -> Any:
    """Round to the nearest whole number, halves away from zero (numpy rounds halves to even).

    >>> round_half_away(np.array([2.5, -2.5, 0.49, np.nan])).tolist()
    [3.0, -3.0, 0.0, nan]
    """
    with np.errstate(invalid="ignore"):
        return np.copysign(np.floor(np.abs(values) + 0.5), values)


def _unary(function: Callable[[Any], Any]) -> Callable[[Invocation], Value]:
    def run(call: Invocation) -> Value:
        with np.errstate(all="ignore"):
            return map_values(call.args[0], call.types[0].kind, function)

    return run


def _positive_only(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A logarithm that is missing (not -inf or an error) at zero and below, as Mesh's."""

    def log(values: Any) -> Any:
        array = np.asarray(values, dtype=np.float64)
        out = np.full(array.shape, np.nan)
        good = array > 0
        out[good] = function(array[good])
        return out

    return log


def _needs_dimensionless(query: UnitQuery) -> Any:
    unit = query.types[0].unit
    if unit is not None and not compatible(unit, DIMENSIONLESS):
        raise query.error(
            f"@{query.node.name} needs a dimensionless value, got {show(unit)}; divide by a "
            "reference value first (or relabel with @SET_UNIT)"
        )
    return DIMENSIONLESS


def _power_unit(query: UnitQuery) -> Any:
    base, exponent = query.types[0].unit, query.types[1].unit
    if exponent is not None and not compatible(exponent, DIMENSIONLESS):
        raise query.error(f"@POWER needs a dimensionless exponent, got {show(exponent)}")
    if base is None or base == DIMENSIONLESS:
        return base
    node = query.node.args[1]
    power = node.value if isinstance(node, Number) else None
    if isinstance(node, Unary) and node.op == "-" and isinstance(node.operand, Number):
        power = -node.operand.value
    if power is None:
        raise query.error(
            f"@POWER of a value in {show(base)} needs a constant exponent such as 2 or 0.5 "
            "(or a dimensionless base)"
        )
    return base**power


def _power(call: Invocation) -> Value:
    return apply(np.power, call.args, [t.kind for t in call.types])


def _truth(values: FloatArray) -> FloatArray:
    """1 where a value is there and not 0, else 0 (Mesh's reading of a logical series)."""
    with np.errstate(invalid="ignore"):
        out: FloatArray = ((values != 0) & ~np.isnan(values)).astype(np.float64)
        return out


def compress(series: Series) -> Series:
    """A breakpoint series without the points that repeat the value before them."""
    values = series.values
    if values.size < 2:
        return series.with_values(values.copy())
    keep = np.ones(values.size, dtype=bool)
    same_as_before = (values[1:] == values[:-1]) | (np.isnan(values[1:]) & np.isnan(values[:-1]))
    keep[1:] = ~same_as_before
    return Series(
        series.times[keep], values[keep], series.timezone, "PT0S", series.curve_type, None
    )


def _compress_option(accepted: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(text: Any) -> str:
        value = str(text).strip().upper()
        if value not in accepted:
            raise ValueError(f"option {text!r} is not known; use one of {', '.join(accepted)}")
        return value

    return parse


def _bool(call: Invocation) -> Value:
    value, kind = call.args[0], call.types[0].kind
    false = call.args[1] if len(call.args) > 1 else None

    def truth(values: Any) -> Any:
        array = np.asarray(values, dtype=np.float64)
        out = (~np.isnan(array)).astype(np.float64)
        if isinstance(false, float):
            out[array == false] = 0.0
        return out

    if kind == "d":
        return float(truth(np.array([value]))[0])
    assert isinstance(value, Series)
    out = value.with_values(truth(value.values), keep_flags=True)
    if len(call.options) > 2 and call.options[2] == "COMPRESS" and value.step == 0:
        return compress(out)
    return out


def _not(call: Invocation) -> Value:
    return map_values(call.args[0], call.types[0].kind, lambda v: 1.0 - _truth(np.asarray(v)))


def _sign_picker(positive: bool) -> Callable[[Invocation], Value]:
    """POSITIVE and NEGATIVE: keep the values of one sign; zero counts as positive unless the
    second argument says otherwise (0 for POSITIVE, 1 for NEGATIVE, as Mesh documents)."""

    def run(call: Invocation) -> Value:
        series = call.args[0]
        assert isinstance(series, Series)
        flag = call.args[1] if len(call.args) > 1 else None
        zero_negative = flag == (0.0 if positive else 1.0)
        values = series.values
        with np.errstate(invalid="ignore"):
            if positive:
                picked = values > 0 if zero_negative else values >= 0
            else:
                picked = values <= 0 if zero_negative else values < 0
        mode = call.options[2] if len(call.options) > 2 and call.options[2] else "VALUE"
        if mode == "VALUE":
            return series.with_values(np.where(picked, values, np.nan), keep_flags=True)
        out = series.with_values(picked.astype(np.float64), keep_flags=True)
        return compress(out) if mode == "BOOL_COMPRESS" else out

    return run


def _sign_unit(query: UnitQuery) -> Any:
    mode = query.options[2] if len(query.options) > 2 and query.options[2] else "VALUE"
    return query.types[0].unit if mode == "VALUE" else DIMENSIONLESS


_LIMITS: dict[str, tuple[bool, bool]] = {
    # option: (lower limit counts, upper limit counts) -- for INSIDE as "inside", for OUTSIDE
    # as "outside"; Mesh's pages give INSIDE 'LOW' as (min, max] and OUTSIDE 'LOW' as x <= min
    "": (False, False),
    "LOHI": (True, True),
}


def _limits_option(text: Any) -> str:
    value = str(text).strip().upper()
    if value not in ("", "LOHI", "LOW", "HIGH"):
        raise ValueError(f"limit option {text!r} is not known; use 'LOHI', 'LOW' or 'HIGH'")
    return value


def _between(inside: bool) -> Callable[[Invocation], Value]:
    def run(call: Invocation) -> Value:
        option = call.options[3] if len(call.options) > 3 and call.options[3] else ""
        low_in, high_in = _LIMITS.get(option, (False, False))
        if option == "LOW":
            low_in, high_in = (False, True) if inside else (True, False)
        elif option == "HIGH":
            low_in, high_in = (True, False) if inside else (False, True)

        def test(low: Any, x: Any, high: Any) -> Any:
            if inside:
                above = x >= low if low_in else x > low
                below = x <= high if high_in else x < high
                return (above & below).astype(np.float64)
            under = x <= low if low_in else x < low
            over = x >= high if high_in else x > high
            return (under | over).astype(np.float64)

        series_args = [a for a in call.args[:3] if isinstance(a, Series)]
        times, values, meta = align(series_args)
        it = iter(values)
        inputs = [next(it) if isinstance(a, Series) else a for a in call.args[:3]]
        with np.errstate(invalid="ignore"):
            out = np.asarray(test(*inputs), dtype=np.float64)
        tested = call.args[1]
        assert isinstance(tested, Series)
        flags = tested.flags if tested.times is times else None
        return Series(times, out, meta.timezone, meta.resolution, meta.curve_type, flags)

    return run


def _between_unit(query: UnitQuery) -> Any:
    same(UnitQuery(query.node, query.text, query.types[:3], query.options))
    return DIMENSIONLESS


_NUMBER_OR_SERIES = ("dt",)


def _rounding(name: str, function: Callable[[Any], Any], doc: str) -> Function:
    return Function(
        name,
        (Overload(_NUMBER_OR_SERIES, lambda k: k[0], _unary(function)),),
        doc,
        AS_IN_MESH,
    )


def _between_function(name: str, inside: bool, doc: str) -> Function:
    return Function(
        name,
        (
            Overload(
                ("dt", "t", "dt", "s"),
                "t",
                _between(inside),
                required=3,
                options={3: _limits_option},
                unit=_between_unit,
                harmonise=True,
            ),
        ),
        doc,
        MeshNote(
            "differs",
            "the limits need the tested series' unit (0 [degC], not 0); "
            + (
                "'LOW' keeps the upper limit inside and 'HIGH' the lower, as Mesh's page says"
                if inside
                else "limit options as Mesh documents them"
            ),
        ),
    )


FUNCTIONS: tuple[Function, ...] = (
    _rounding("ROUND", round_half_away, "Round to the nearest whole number (halves away from 0)."),
    _rounding("ROUND_INTEGER", round_half_away, "Round to the nearest whole number, like ROUND."),
    _rounding("INTEGER", np.trunc, "Cut the decimals (toward zero): @INTEGER(-2.7) is -2."),
    _rounding("CEIL", np.ceil, "Round up to the nearest whole number."),
    _rounding("FLOOR", np.floor, "Round down to the nearest whole number."),
    Function(
        "POWER",
        (Overload(("dt", "dt"), lambda k: "t" if "t" in k else "d", _power, unit=_power_unit),),
        "x to the power n, for numbers or point by point: @POWER(@t('.Level'), 2).",
        MeshNote(
            "differs",
            "a base with a unit needs a constant exponent (m to the power 2 is m²)",
        ),
    ),
    Function(
        "LN",
        (
            Overload(
                _NUMBER_OR_SERIES,
                lambda k: k[0],
                _unary(_positive_only(np.log)),
                unit=_needs_dimensionless,
            ),
        ),
        "Natural logarithm; missing at 0 and below.",
        MeshNote("differs", "the argument must be dimensionless"),
    ),
    Function(
        "LOG",
        (
            Overload(
                _NUMBER_OR_SERIES,
                lambda k: k[0],
                _unary(_positive_only(np.log10)),
                unit=_needs_dimensionless,
            ),
        ),
        "Base-10 logarithm; missing at 0 and below.",
        MeshNote("differs", "the argument must be dimensionless"),
    ),
    Function(
        "POSITIVE",
        (
            Overload(
                ("t", "d", "s"),
                "t",
                _sign_picker(positive=True),
                required=1,
                options={2: _compress_option(("VALUE", "BOOL", "BOOL_COMPRESS"))},
                unit=_sign_unit,
            ),
        ),
        "The values >= 0 (> 0 when the second argument is 0), others missing; 'BOOL' gives 1/0 "
        "and 'BOOL_COMPRESS' a breakpoint series of 1/0.",
        AS_IN_MESH,
    ),
    Function(
        "NEGATIVE",
        (
            Overload(
                ("t", "d", "s"),
                "t",
                _sign_picker(positive=False),
                required=1,
                options={2: _compress_option(("VALUE", "BOOL", "BOOL_COMPRESS"))},
                unit=_sign_unit,
            ),
        ),
        "The values < 0 (<= 0 when the second argument is 1), others missing; options as POSITIVE.",
        AS_IN_MESH,
    ),
    Function(
        "BOOL",
        (
            Overload(("d",), "d", _bool, unit=dimensionless),
            Overload(
                ("t", "d", "s"),
                "t",
                _bool,
                required=1,
                options={2: _compress_option(("COMPRESS",))},
                unit=dimensionless,
            ),
        ),
        "1 where there is a value, 0 where it is missing; @BOOL(t, 0) also gives 0 for 0; "
        "'COMPRESS' drops repeated values of a breakpoint series.",
        AS_IN_MESH,
    ),
    Function(
        "NOT",
        (Overload(("t",), "t", _not, unit=dimensionless),),
        "1 where the value is 0 or missing, else 0.",
        AS_IN_MESH,
    ),
    _between_function(
        "INSIDE",
        True,
        "1 where low < x < high, else 0 (missing too); 'LOHI' includes both limits, 'LOW' "
        "only the upper, 'HIGH' only the lower: @INSIDE(0 [degC], @t('.Temp'), 12 [degC]).",
    ),
    _between_function(
        "OUTSIDE",
        False,
        "1 where x < low or x > high, else 0 (missing too); 'LOHI' counts both limits as "
        "outside, 'LOW' the lower, 'HIGH' the upper.",
    ),
)
