"""Curve functions: XY and YX lookups on XY-sets, and RatingCurve, version by version in time.

``@XY(t, '.VolumeCurve')`` reads y at each value of t on the XY-set attribute named by the path
(linear interpolation, NaN outside the curve); ``@YX`` reads x at y. A versioned XY-set or a
rating curve uses, at each point, the version valid at the point's time. The input is converted
to the curve's x unit (y unit for YX) and the result has its y unit (x unit for YX), as the
resolver describes them. ``@RatingCurve(t)`` uses the rating curve of the object owning the
expression (the path ``'@'``); ``@RatingCurve(t, '.Attr')`` names one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.calc.functions import Function, Invocation, Overload, UnitQuery
from workbench.calc.protocol import LookupInfo
from workbench.calc.quantities import compatible, converter, show, unit_of
from workbench.calc.values import FloatArray, Series, Value
from workbench.curves import RatingCurve, VersionedXYSet, XYSet
from workbench.errors import InvalidValue

__all__ = ["EXPECTED_FOUND", "FUNCTIONS", "SELF_PATH"]

SELF_PATH = "@"
"""The path of the object owning the expression (its one rating curve)."""

EXPECTED_FOUND = {"xy": ("xy_set", "versioned_xy_set"), "rating": ("rating_curve",)}


def _path(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValueError(
            f"expected the path of a curve attribute such as '.VolumeCurve', got {text!r}"
        )
    return text.strip()


def _units(info: LookupInfo, inverse: bool) -> tuple[Any, Any]:
    """(input unit, output unit) of a curve; None where the resolver does not know it."""
    x = unit_of(info.x_unit) if info.x_unit is not None else None
    y = unit_of(info.unit)
    return (y, x) if inverse else (x, y)


def _unit_rule(inverse: bool) -> Any:
    def rule(query: UnitQuery) -> Any:
        if query.curve is None:
            return None
        wanted, result = _units(query.curve, inverse)
        given = query.types[0].unit
        if wanted is not None and given is not None and not compatible(wanted, given):
            raise query.error(
                f"unit clash in @{query.node.name}: the curve takes {show(wanted)}, the series "
                f"is in {show(given)}"
            )
        return result if result is not None else given

    return rule


def _input(call: Invocation, inverse: bool) -> tuple[Series, FloatArray]:
    series = call.args[0]
    assert isinstance(series, Series)
    _, info = call.curve
    wanted, _ = _units(info, inverse)
    convert = converter(call.types[0].unit, wanted) if wanted is not None else None
    return series, series.values if convert is None else convert(series.values)


def _by_version(
    versions: tuple[Any, ...], times: np.ndarray, values: FloatArray, evaluate: Any
) -> FloatArray:
    """Evaluate each point with the version valid at its time (one call per version)."""
    starts = np.array([v.valid_from for v in versions], dtype="datetime64[ns]").view(np.int64)
    index = np.searchsorted(starts, times, side="right") - 1
    out = np.full(values.shape, np.nan)
    for version in np.unique(index[index >= 0]):
        where = index == version
        out[where] = evaluate(versions[version].xy_set, values[where])
    return out


def _z(call: Invocation) -> float | None:
    return float(call.args[2]) if len(call.args) > 2 and call.args[2] is not None else None  # type: ignore[arg-type]


def _xy(inverse: bool) -> Any:
    def run(call: Invocation) -> Value:
        series, x = _input(call, inverse)
        curve, _ = call.curve
        z = _z(call)
        try:
            if isinstance(curve, XYSet):
                y = curve.inverse(x, z) if inverse else curve.interpolate(x, z)
            elif isinstance(curve, VersionedXYSet):
                y = _by_version(
                    curve.versions,
                    series.times,
                    x,
                    (lambda s, v: s.inverse(v, z))
                    if inverse
                    else (lambda s, v: s.interpolate(v, z)),
                )
            else:
                raise call.error(f"the path names {type(curve).__name__}, not an XY-set")
        except InvalidValue as exc:
            raise call.error(str(exc)) from None
        return series.with_values(np.asarray(y, dtype=np.float64), keep_flags=True)

    return run


def _rating(call: Invocation) -> Value:
    series, x = _input(call, False)
    curve, _ = call.curve
    if not isinstance(curve, RatingCurve):
        raise call.error(f"the path names {type(curve).__name__}, not a rating curve")
    values = curve.evaluate(x, series.times.view("datetime64[ns]"))
    return series.with_values(np.asarray(values, dtype=np.float64), keep_flags=True)


def _curve_function(name: str, inverse: bool, doc: str) -> Function:
    return Function(
        name,
        (
            Overload(
                ("t", "s", "d"),
                "t",
                _xy(inverse),
                required=2,
                options={1: _path},
                unit=_unit_rule(inverse),
                curve="xy",
            ),
        ),
        doc,
    )


FUNCTIONS: tuple[Function, ...] = (
    _curve_function(
        "XY", False, "y at each value of the series on an XY-set: @XY(t, '.Curve' [, z])."
    ),
    _curve_function(
        "YX",
        True,
        "x at each value of the series on an XY-set (the inverse lookup): @YX(t, '.Curve' [, z]).",
    ),
    Function(
        "RatingCurve",
        (
            Overload(
                ("t", "s"),
                "t",
                _rating,
                required=1,
                options={1: _path},
                unit=_unit_rule(False),
                curve="rating",
            ),
        ),
        "The rating curve of the owning object (or of the path given) applied to the series, "
        "version by version in time.",
    ),
)
