"""Construction and selection as Mesh documents them: TS, MIX, MIX0, AT, Size, and strings.

``@MIX(c, a, b)`` is if-then-else point by point (a where c holds a value other than 0, else
b); ``@MIX(a, b)`` and ``@MIX(a, b, 'MERGE')`` take a where it has a value, else b;
``@MIX(i, {a, b, c} [, default])`` picks the i-th series (1-based) at each time. Where the
chosen series all share the result's times, each point keeps the quality flags of the series
it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from workbench.calc import timespec
from workbench.calc.align import align, sample
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
from workbench.calc.protocol import CurveType
from workbench.calc.quantities import DIMENSIONLESS, compatible, converter, show
from workbench.calc.timespec import TimeSpec, current_zones, grid, parse_timespec
from workbench.calc.values import FloatArray, IntArray, Series, Value, ValueType, nominal_ns

__all__ = ["FUNCTIONS"]

_MIX_MODES = ("END", "MERGE", "MERGE_ADD", "MERGE_POINTS")


def _mix_option(text: Any) -> Any:
    value = str(text).strip()
    if value.upper() in _MIX_MODES:
        return value.upper()
    try:
        return parse_timespec(value)
    except ValueError:
        raise ValueError(
            f"MIX option {text!r} is not known; use END, MERGE, MERGE_ADD, MERGE_POINTS or a "
            "time such as 'DAY+1d'"
        ) from None


def _converted(call: Invocation, index: int, target: int) -> Series:
    """Argument ``index`` as a series in the unit of argument ``target``."""
    value = call.args[index]
    assert isinstance(value, Series)
    source, unit = call.types[index].unit, call.types[target].unit
    convert = converter(source, unit) if source is not None and unit is not None else None
    return value if convert is None else value.with_values(convert(value.values), keep_flags=True)


def _flags_of(chosen: Sequence[Series], times: IntArray, pick: np.ndarray) -> Any:
    """Per point, the flags of the series picked there (None unless all share ``times``)."""
    if any(s.flags is None or s.times is not times for s in chosen):
        return None
    stacked = np.vstack([cast(np.ndarray, s.flags) for s in chosen])
    valid = (pick >= 0) & (pick < len(chosen))
    out = np.zeros(times.size, dtype=np.uint32)
    out[valid] = stacked[pick[valid], np.nonzero(valid)[0]]
    return out


def _choose(chosen: Sequence[Series], pick: np.ndarray, extra: Sequence[Series] = ()) -> Series:
    """Point by point the value of ``chosen[pick]`` (missing where ``pick`` is out of range)."""
    times, values, meta = align([*chosen, *extra])
    stacked = np.vstack(values[: len(chosen)]) if chosen else np.zeros((0, times.size))
    valid = (pick >= 0) & (pick < len(chosen))
    out = np.full(times.size, np.nan)
    out[valid] = stacked[pick[valid], np.nonzero(valid)[0]]
    flags = _flags_of(chosen, times, pick)
    return Series(times, out, meta.timezone, meta.resolution, meta.curve_type, flags)


def _first_present(series: Sequence[Series], constants: Sequence[float] = ()) -> Series:
    times, values, _meta = align(series)
    pick = np.full(times.size, -1)
    for i in range(len(values) - 1, -1, -1):
        pick[~np.isnan(values[i])] = i
    out = _choose(series, pick)
    for constant in constants:
        out = out.with_values(np.where(np.isnan(out.values), constant, out.values), keep_flags=True)
    return out


def _merge(call: Invocation) -> Value:
    first, second = call.args[0], _converted(call, 1, 0)
    assert isinstance(first, Series)
    mode = call.options[2] if len(call.options) > 2 and call.options[2] is not None else "MERGE"
    times, (a, b), _ = align([first, second])
    if mode == "MERGE":
        pick = np.where(np.isnan(a), 1, 0)
    elif mode == "MERGE_ADD":
        pick = np.where(np.isnan(b), 0, 1)
    elif mode == "MERGE_POINTS":
        pick = np.where(np.isin(times, first.times), 0, 1)
    else:
        if mode == "END":
            present = np.nonzero(~np.isnan(first.values))[0]
            until = int(first.times[present[-1]]) + max(first.step, 1) if present.size else 0
        else:
            until = _resolve(cast(TimeSpec, mode), call.window)
        pick = np.where(times < until, 0, 1)
    return _choose([first, second], pick)


def _if_then_else(call: Invocation) -> Value:
    condition = call.args[0]
    assert isinstance(condition, Series)
    then, otherwise = _converted(call, 1, 1), _converted(call, 2, 1)
    _times, (c, _, _), _ = align([condition, then, otherwise])
    with np.errstate(invalid="ignore"):
        truth = (c != 0) & ~np.isnan(c)
    return _choose([then, otherwise], np.where(truth, 0, 1), [condition])


def _select(call: Invocation) -> Value:
    index = call.args[0]
    members = call.args[1]
    assert isinstance(index, Series) and isinstance(members, tuple)
    chosen = [cast(Series, m) for m in members]
    default = [_converted(call, 2, 1)] if len(call.args) > 2 else []
    _times, values, _ = align([index, *chosen, *default])
    with np.errstate(invalid="ignore"):
        position = np.where(np.isnan(values[0]), 0, np.rint(values[0])).astype(np.int64) - 1
    if default:
        position = np.where((position < 0) | (position >= len(chosen)), len(chosen), position)
    return _choose([*chosen, *default], position, [index])


def _mix_collection(call: Invocation) -> Value:
    members = call.args[0]
    assert isinstance(members, tuple)
    if not members:
        raise ValueError("the collection is empty; there is nothing to mix")
    return _first_present([cast(Series, m) for m in members])


def _fill(call: Invocation) -> Value:
    series = call.args[0]
    assert isinstance(series, Series)
    return _first_present([series], [float(cast(float, call.args[1]))])


def _mix0(call: Invocation) -> Value:
    members = call.args[0] if call.types[0].kind == "T" else call.args
    series = [cast(Series, m) for m in cast(Sequence[Any], members)]
    if not series:
        raise ValueError("the collection is empty; there is nothing to mix")
    times, values, _ = align(series)
    pick = np.full(times.size, -1)
    zero = np.full(times.size, -1)
    for i in range(len(values) - 1, -1, -1):
        v = values[i]
        pick[(v != 0) & ~np.isnan(v)] = i
        zero[v == 0] = i
    pick = np.where(pick < 0, zero, pick)
    return _choose(series, pick)


def _units_of(query: UnitQuery, indexes: Sequence[int]) -> Any:
    picked = [query.types[i] for i in indexes if i < len(query.types)]
    return same(UnitQuery(query.node, query.text, picked, query.options))


def _index(call: Invocation, index: Any) -> int:
    if not np.isfinite(index):
        raise ValueError(f"the index must be a finite number, got {index}")
    return int(index) if index >= 0 else -1


def _at(call: Invocation) -> Value:
    container, kind = call.args[0], call.types[0].kind
    if kind == "t" and call.types[1].kind == "s":
        series = cast(Series, container)
        when = _resolve(call.options[1], call.window)
        return float(sample(series, np.array([when], dtype=np.int64))[0])
    position = _index(call, call.args[1])
    if kind == "T":
        members = cast(tuple[Series, ...], container)
        if 0 <= position < len(members):
            return members[position]
        start = call.window[0]
        return Series(np.array([start], dtype=np.int64), np.array([np.nan]))
    values = cast(Series, container).values if kind == "t" else np.asarray(container)
    return float(values[position]) if 0 <= position < len(values) else float("nan")


def _time_option(text: Any) -> Any:
    return parse_timespec(str(text))


def _resolve(spec: TimeSpec, window: tuple[int, int]) -> int:
    """A time point counted from now, SOP and EOP being the calculation period's ends."""
    now = timespec.now_ns()
    return spec.resolve(now, period=window, now=now)


def _size(call: Invocation) -> Value:
    return float(len(cast(Sequence[Any], call.args[0])))


_RESOLUTIONS = {
    "VARINT": None,
    "MIN15": "PT15M",
    "MIN30": "PT30M",
    "HOUR": "PT1H",
    "DAY": "P1D",
    "WEEK": "P7D",
    "MONTH": "P1M",
    "YEAR": "P1Y",
}


def _resolution_option(text: Any) -> str:
    value = str(text).strip().upper()
    if value not in _RESOLUTIONS:
        raise ValueError(f"resolution {text!r} is not known; use {', '.join(_RESOLUTIONS)}")
    return value


def _curve_option(text: Any) -> str:
    if text not in ("NONE", "STEP", "LINEAR"):
        raise ValueError(
            f"curve type {text!r} is not known; use 'NONE', 'STEP' or 'LINEAR' "
            "(in capitals, as Mesh)"
        )
    return str(text)


def _ts(call: Invocation) -> Value:
    code = call.options[0]
    curve = "LINEAR" if len(call.args) > 1 and call.options[1] == "LINEAR" else "STEP"
    value = call.args[-1] if call.types[-1].kind == "d" else float("nan")
    iso = _RESOLUTIONS[code]
    if iso is None:
        times: IntArray = np.array([call.window[0]], dtype=np.int64)
    else:
        times = grid(iso, call.window)
    values: FloatArray = np.full(times.size, float(cast(float, value)))
    curve_type: CurveType = "linear" if curve == "LINEAR" else "step"
    return Series(times, values, current_zones().standard, iso or "PT0S", curve_type)


def _ts_step(types: Sequence[ValueType], options: Sequence[Any]) -> int | None:
    return nominal_ns(_RESOLUTIONS.get(options[0]) or "")


def _ts_unit(query: UnitQuery) -> Any:
    last = query.types[-1]
    return last.unit if last.kind == "d" and last.unit is not None else DIMENSIONLESS


def _concatenate(call: Invocation) -> Value:
    if call.types[0].kind == "S":
        return "".join(cast(tuple[str, ...], call.args[0]))
    return "".join(str(a) for a in call.args)


def _compare(call: Invocation) -> Value:
    return 0.0 if call.args[0] == call.args[1] else 1.0


def _to_string(call: Invocation) -> Value:
    number = float(cast(float, call.args[0]))
    decimals = int(cast(float, call.args[1])) if len(call.args) > 1 else 0
    if not np.isfinite(number):
        return str(number)
    if decimals <= 0:
        return str(int(number))
    scaled = int(number * 10**decimals) / 10**decimals
    text = f"{scaled:.{decimals}f}"
    return text


def _check_index_unit(query: UnitQuery) -> Any:
    index = query.types[0].unit
    if index is not None and not compatible(index, DIMENSIONLESS):
        raise query.error(f"@MIX needs a dimensionless index series, got {show(index)}")
    return _units_of(query, (1, 2))


_MIX_DOC = (
    "@MIX(c, a, b): a where c has a value other than 0, else b. @MIX(a, b [, 'MERGE']): a "
    "where it has a value, else b; 'MERGE_ADD': b where it has one, else a; 'END' or a time "
    "('DAY+1d'): a until its end or that time, then b. @MIX(i, {a, b, ...} [, d]): the i-th "
    "series (1-based), else d. @MIX(T) and @MIX(t, d): the first value present."
)

FUNCTIONS: tuple[Function, ...] = (
    Function(
        "MIX",
        (
            Overload(("T",), "t", _mix_collection),
            Overload(("t", "T", "t"), "t", _select, required=2, unit=_check_index_unit),
            Overload(
                ("t", "t", "s"),
                "t",
                _merge,
                required=2,
                options={2: _mix_option},
                unit=lambda q: _units_of(q, (0, 1)),
            ),
            Overload(("t", "t", "t"), "t", _if_then_else, unit=lambda q: _units_of(q, (1, 2))),
            Overload(("t", "d"), "t", _fill, unit=same, harmonise=True),
        ),
        _MIX_DOC,
        MeshNote(
            "differs",
            "MIX(T) and MIX(t, d) (first value present) are workbench additions; series of "
            "different resolutions are lined up instead of refused; the branches need one unit",
        ),
    ),
    Function(
        "MIX0",
        (
            Overload(("T",), "t", _mix0),
            Overload(("t", "t"), "t", _mix0, variadic=True, unit=same, harmonise=True),
        ),
        "At each time the first value present and not 0; 0 if all present are 0.",
        AS_IN_MESH,
    ),
    Function(
        "AT",
        (
            Overload(("T", "d"), "t", _at, unit=lambda q: q.types[0].unit),
            Overload(("D", "d"), "d", _at, unit=lambda q: q.types[0].unit),
            Overload(("t", "s"), "d", _at, options={1: _time_option}),
            Overload(("t", "d"), "d", _at),
        ),
        "Element by 0-based index (fractions cut; out of range: missing, or an empty series "
        "from T), or a series' value at a time: @AT(t, 'DAY+10h').",
        MeshNote(
            "differs",
            "AT(t, d) counts the points in the requested period (a breakpoint series' held "
            "value at the start counts as its first point)",
        ),
    ),
    Function(
        "Size",
        (Overload(("TDS",), "d", _size, unit=dimensionless),),
        "The number of elements of an array.",
        AS_IN_MESH,
    ),
    Function(
        "TS",
        (
            Overload(
                ("s", "d"),
                "t",
                _ts,
                required=1,
                options={0: _resolution_option},
                unit=_ts_unit,
                step=_ts_step,
            ),
            Overload(
                ("s", "s", "d"),
                "t",
                _ts,
                required=2,
                options={0: _resolution_option, 1: _curve_option},
                unit=_ts_unit,
                step=_ts_step,
            ),
        ),
        "A series over the requested period: @TS('HOUR', 0), @TS('DAY', 'LINEAR', 1), "
        "@TS('VARINT') (missing unless a value is given).",
        MeshNote(
            "differs",
            "the value's unit is the series' unit (@TS('HOUR', 5 [MW]))",
        ),
    ),
    Function(
        "Concatenate",
        (Overload(("s", "s"), "s", _concatenate), Overload(("S",), "s", _concatenate)),
        "Join texts: @Concatenate('a', 'b') or @Concatenate({'a', 'b', 'c'}).",
        AS_IN_MESH,
    ),
    Function(
        "Compare",
        (Overload(("s", "s"), "d", _compare, unit=dimensionless),),
        "0 when the two texts are the same (case counts), else 1.",
        AS_IN_MESH,
    ),
    Function(
        "ToString",
        (Overload(("d", "d"), "s", _to_string, required=1),),
        "A number as text, cut (not rounded) to the given decimals (default 0).",
        AS_IN_MESH,
    ),
)
