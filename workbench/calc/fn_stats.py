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
from workbench.calc.fn_history import PERCENTILE_OVER_YEARS
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


def _pooled(name: str) -> Callable[[Invocation], Value]:
    """MIN(T, t), MIN(t, T), MIN(T, T): point by point over every series given."""

    def run(call: Invocation) -> Value:
        series: list[Series] = []
        for arg, own in zip(call.args, call.types, strict=True):
            series.extend(arg if own.kind == "T" else [arg])  # type: ignore[list-item, arg-type]
        if not series:
            raise call.error("the collections are empty; there is nothing to combine")
        times, values, meta = align(series)
        return Series(times, _STACKS[name](values), meta.timezone, meta.resolution, meta.curve_type)

    return run


def _aggregate(name: str, doc: str, mesh: MeshNote | None = None) -> Function:
    pooled: tuple[Overload, ...] = ()
    if name in ("MIN", "MAX"):
        pooled = (
            Overload(("T", "tT"), "t", _pooled(name), unit=same, harmonise=True),
            Overload(("t", "T"), "t", _pooled(name), unit=same, harmonise=True),
        )
    return Function(
        name,
        (
            Overload(("T",), "t", _over_collection(name)),
            Overload(("t",), "d", _over_values(name)),
            Overload(("D",), "d", _over_values(name)),
            *pooled,
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
        mesh,
    )


def _percentile(call: Invocation) -> Value:
    value, share = call.args[0], call.args[1]
    assert isinstance(share, float)
    if not 0.0 <= share <= 100.0:
        raise call.error(f"the percentile must be between 0 and 100, got {share}")
    if call.types[0].kind == "T":
        times, values, meta = align(_members(call))
        stacked = np.vstack(values)
        method = call.options[2] if len(call.options) > 2 else None
        out = _by_sum(stacked, share, method) if method else np.percentile(stacked, share, axis=0)
        return Series(times, out, meta.timezone, meta.resolution, meta.curve_type)
    array = value.values if isinstance(value, Series) else np.asarray(value, dtype=float)
    return _nan_reduce(lambda v: np.nanpercentile(v, share))(array)


_METHODS = ("BY_SUM", "SCALED_MEAN_BY_SUM", "SCALED_BY_SUM")


def _percentile_method(text: Any) -> str:
    value = str(text).strip().upper()
    if value not in _METHODS:
        raise ValueError(f"method {text!r} is not known; use {', '.join(_METHODS)}")
    return value


def _by_sum(stacked: FloatArray, share: float, method: str) -> FloatArray:
    """Mesh's BY_SUM methods: rank the members by their sums over the period.

    BY_SUM gives the member whose rank (0 for the lowest sum to 100 for the highest) is the
    highest not above ``share``; SCALED_MEAN_BY_SUM scales it by the mean of all members over
    its own mean; SCALED_BY_SUM scales the point-by-point percentile so that its sum is the
    ``share`` percentile of the sums.
    """
    sums = np.nansum(stacked, axis=1)
    if method == "SCALED_BY_SUM":
        point = np.percentile(stacked, share, axis=0)
        total = float(np.nansum(point))
        factor = float(np.percentile(sums, share)) / total if total else float("nan")
        out: FloatArray = point * factor
        return out
    order = np.argsort(sums, kind="stable")
    count = len(order)
    rank = int(np.floor(share / 100 * (count - 1) + 1e-9)) if count > 1 else 0
    chosen: FloatArray = stacked[order[rank]]
    if method == "BY_SUM":
        return chosen.copy()
    own = float(np.nanmean(chosen))
    factor = float(np.nanmean(stacked)) / own if own else float("nan")
    scaled: FloatArray = chosen * factor
    return scaled


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
_MIN_MAX_NOTE = MeshNote(
    "differs",
    "numbers beside series need the series' unit (@MIN(@t('.P'), 0 [MW])); more than two "
    "arguments are accepted; series of different resolutions give the finer resolution "
    "rather than a breakpoint series",
)

FUNCTIONS: tuple[Function, ...] = (
    _aggregate(
        "SUM",
        "Sum: point by point over a collection or several arguments, or of one "
        "series' values in the period (missing skipped).",
        MeshNote(
            "differs",
            "SUM(D) and SUM of several numbers or series point by point are workbench additions",
        ),
    ),
    _aggregate(
        "MEAN",
        "Mean, like SUM.",
        MeshNote(
            "differs",
            "MEAN(t) gives a number, not a breakpoint series repeating it; several series "
            "point by point is a workbench addition",
        ),
    ),
    _aggregate(
        "MIN",
        "Minimum, like SUM; @MIN(T, t), @MIN(t, T) and @MIN(T, T) take every series given.",
        _MIN_MAX_NOTE,
    ),
    _aggregate("MAX", "Maximum, like MIN.", _MIN_MAX_NOTE),
    Function(
        "PERCENTILE",
        (
            Overload(
                ("T", "d", "s"),
                "t",
                _percentile,
                required=2,
                options={2: _percentile_method},
                unit=_percent_share,
            ),
            Overload(("tD", "d"), "d", _percentile, unit=_percent_share),
            PERCENTILE_OVER_YEARS,
        ),
        "The p-th percentile (0-100) point by point over a collection (or by Mesh's methods "
        "BY_SUM, SCALED_MEAN_BY_SUM, SCALED_BY_SUM), of one series' values, or at each time "
        "of year over past years: @PERCENTILE(t, 2000, 2010, 50).",
        MeshNote(
            "differs",
            "the method and period arguments of PERCENTILE(t, from, to, p) are not yet offered; "
            "PERCENTILE(t|D, d) of one series' values is a workbench addition",
        ),
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
