"""Statistics and unit functions: SUM, MEAN, MIN, MAX, PERCENTILE, COUNT, ABS, CONVERT.

Over a collection (``@SUM(@T('...'))``) they work point by point and give a series; over one
series (``@SUM(@t('...'))``) they reduce its values in the period to a number; over several
arguments (``@MAX(@t('.A'), 0[MW])``) they work point by point across them. Point-by-point
results are missing where any member is (like ``a + b``); reductions of one series skip
missing values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
    parse_unit_option,
    same,
    unit_option,
)
from workbench.calc.quantities import DIMENSIONLESS, compatible, converter, show
from workbench.calc.values import FloatArray, Kind, Series, Value

__all__ = ["FUNCTIONS"]

Stack = Callable[[list[FloatArray]], FloatArray]
Reduce = Callable[[FloatArray], float]


def _members(call: Invocation) -> tuple[Series, ...]:
    members = call.args[0]
    assert isinstance(members, tuple)
    if not members:
        raise call.error("the collection is empty; there is nothing to combine")
    return members  # type: ignore[return-value]


def _running(step: Callable[..., Any]) -> Stack:
    """Combine aligned arrays pairwise into one new array (no stacking: memory stays flat);
    the first step writes the new array, so no pass goes to copying a member into it."""

    def combine(arrays: list[FloatArray]) -> FloatArray:
        if len(arrays) == 1:
            return arrays[0].copy()
        out: FloatArray = step(arrays[0], arrays[1])
        for other in arrays[2:]:
            step(out, other, out=out)
        return out

    return combine


_sum = _running(np.add)


def _mean(arrays: list[FloatArray]) -> FloatArray:
    out = _sum(arrays)
    out /= len(arrays)
    return out


_STACKS: dict[str, Stack] = {
    "SUM": _sum,
    "MEAN": _mean,
    "MIN": _running(np.minimum),
    "MAX": _running(np.maximum),
}


def _nan_reduce(function: Callable[[FloatArray], Any]) -> Reduce:
    def reduce(values: FloatArray) -> float:
        if values.size == 0 or np.isnan(values).all():
            return float("nan")
        return float(function(values))

    return reduce


_REDUCERS: dict[str, Reduce] = {
    "SUM": _nan_reduce(np.nansum),
    "MEAN": _nan_reduce(np.nanmean),
    "MIN": _nan_reduce(np.nanmin),
    "MAX": _nan_reduce(np.nanmax),
}
_ELEMENTWISE: dict[str, Callable[..., Any]] = {
    "SUM": lambda *xs: sum(xs[1:], start=xs[0]),
    "MEAN": lambda *xs: sum(xs[1:], start=xs[0]) / len(xs),
    "MIN": lambda *xs: np.minimum.reduce(np.broadcast_arrays(*xs)),
    "MAX": lambda *xs: np.maximum.reduce(np.broadcast_arrays(*xs)),
}


def _over_collection(name: str) -> Callable[[Invocation], Value]:
    def run(call: Invocation) -> Value:
        members = _members(call)
        times, values, meta = align(members)
        return Series(times, _STACKS[name](values), meta.timezone, meta.resolution, meta.curve_type)

    return run


def _over_values(name: str) -> Callable[[Invocation], Value]:
    def run(call: Invocation) -> Value:
        value = call.args[0]
        array = value.values if isinstance(value, Series) else np.asarray(value, dtype=float)
        return _REDUCERS[name](array)

    return run


def _across(name: str) -> Callable[[Invocation], Value]:
    def run(call: Invocation) -> Value:
        return apply(_ELEMENTWISE[name], call.args, [t.kind for t in call.types])

    return run


def _series_if_any(kinds: Sequence[Kind]) -> Kind:
    return "t" if "t" in kinds else "d"


def _aggregate(name: str, doc: str) -> Function:
    return Function(
        name,
        (
            Overload(("T",), "t", _over_collection(name)),
            Overload(("t",), "d", _over_values(name)),
            Overload(("D",), "d", _over_values(name)),
            Overload(
                ("td", "td"),
                _series_if_any,
                _across(name),
                variadic=True,
                unit=same,
                harmonise=True,
            ),
        ),
        doc,
    )


def _percentile(call: Invocation) -> Value:
    value, share = call.args[0], call.args[1]
    assert isinstance(share, float)
    if not 0.0 <= share <= 100.0:
        raise call.error(f"the percentile must be between 0 and 100, got {share}")
    if call.types[0].kind == "T":
        times, values, meta = align(_members(call))
        out = np.percentile(np.vstack(values), share, axis=0)
        return Series(times, out, meta.timezone, meta.resolution, meta.curve_type)
    array = value.values if isinstance(value, Series) else np.asarray(value, dtype=float)
    return _nan_reduce(lambda v: np.nanpercentile(v, share))(array)


def _percent_share(query: UnitQuery) -> Any:
    share = query.types[1].unit
    if share is not None and not compatible(share, DIMENSIONLESS):
        raise query.error(
            f"@PERCENTILE needs a dimensionless percentile (0-100), got {show(share)}"
        )
    return query.types[0].unit


def _count(call: Invocation) -> Value:
    value = call.args[0]
    assert isinstance(value, tuple | np.ndarray)
    return float(len(value))


def _convert(call: Invocation) -> Value:
    convert = converter(call.types[0].unit, call.result.unit)
    if convert is None:
        assert call.args[0] is not None
        return call.args[0]
    return map_values(call.args[0], call.types[0].kind, convert)


def _converted_unit(query: UnitQuery) -> Any:
    target, source = query.options[1], query.types[0].unit
    if source is not None and not compatible(target, source):
        raise query.error(
            f"@CONVERT cannot convert {show(source)} to {show(target)}: the "
            "dimensions differ; use @SET_UNIT to relabel instead"
        )
    return target


def _relabel(call: Invocation) -> Value:
    assert call.args[0] is not None
    return call.args[0]


def _abs(call: Invocation) -> Value:
    return map_values(call.args[0], call.types[0].kind, np.abs)


_SAME_KIND = ("dtDT",)

FUNCTIONS: tuple[Function, ...] = (
    _aggregate(
        "SUM",
        "Sum: point by point over a collection or several arguments, or of one "
        "series' values in the period (missing skipped).",
    ),
    _aggregate("MEAN", "Mean, like SUM."),
    _aggregate("MIN", "Minimum, like SUM."),
    _aggregate("MAX", "Maximum, like SUM."),
    Function(
        "PERCENTILE",
        (
            Overload(("T", "d"), "t", _percentile, unit=_percent_share),
            Overload(("tD", "d"), "d", _percentile, unit=_percent_share),
        ),
        "The p-th percentile (0-100) point by point over a collection, or of one series' values.",
    ),
    Function(
        "COUNT",
        (Overload(("TDS",), "d", _count, unit=dimensionless),),
        "The number of members of a collection or array.",
        MeshNote("not in Mesh"),
    ),
    Function(
        "ABS", (Overload(_SAME_KIND, lambda k: k[0], _abs),), "The absolute value.", AS_IN_MESH
    ),
    Function(
        "CONVERT",
        (
            Overload(
                ("dtDT", "s"),
                lambda k: k[0],
                _convert,
                options={1: parse_unit_option},
                unit=_converted_unit,
            ),
        ),
        "Convert to a compatible unit: @CONVERT(@t('.Energy'), 'MWh').",
        MeshNote("not in Mesh"),
    ),
    Function(
        "SET_UNIT",
        (
            Overload(
                ("dtDT", "s"),
                lambda k: k[0],
                _relabel,
                options={1: parse_unit_option},
                unit=unit_option(1),
            ),
        ),
        "Give a value a unit without converting it: @SET_UNIT(@t('.Raw'), 'm^3/s').",
        MeshNote(
            "differs",
            "named SET_UNIT; takes any unit text pint reads instead of Mesh's unit codes",
            ("SET_TS_VALUNIT",),
        ),
    ),
)
