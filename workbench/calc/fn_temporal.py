"""Mesh's temporal functions: TS_OFFSET, DELTA, ACCUMULATE, TS_ACC_FROM and gliding windows.

The pages of ``docs/mesh/calculations/functions/`` (Volue-Public/energy-smp-docs) are the spec;
each function's doc says how far it follows them. Every function here declares how far before
(or after) the requested period it reads its series, so values at the period's edges are right.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from workbench.calc.align import sample
from workbench.calc.fn_time import IRREGULAR_LOOKBACK_NS, OFFSET_ISO
from workbench.calc.functions import (
    AS_IN_MESH,
    Function,
    Invocation,
    MeshNote,
    Overload,
    UnitQuery,
    Window,
)
from workbench.calc.periods import Interval, boundaries, current_zones, parse_interval, parse_zone
from workbench.calc.resolutions import MESH_UNITS, parse_resolution
from workbench.calc.timespec import ACCEPTED as TIME_ACCEPTED
from workbench.calc.timespec import TimeSpec, parse_timespec
from workbench.calc.transform import accumulate
from workbench.calc.values import DAY_NS, HOUR_NS, Series, Value, ValueType

__all__ = ["FUNCTIONS", "parse_offset"]

_OFFSET = re.compile(r"^([+-])\s*(\d+)\s*(S|MIN|W)$")
_OFFSET_UNITS = {"S": 10**9, "MIN": 60 * 10**9, "W": MESH_UNITS["WEEK"]}
"""Offset units a time point does not have (its ``d``, ``h`` and ``x`` are read by timespec)."""


def _series(call: Invocation, index: int = 0) -> Series:
    series = call.args[index]
    assert isinstance(series, Series)
    return series


def _reach(types: Sequence[ValueType], index: int = 0) -> int:
    """One step of a regular series, or how far an irregular one is read for a neighbour."""
    step = types[index].step
    return step if step else IRREGULAR_LOOKBACK_NS


# --- TS_OFFSET ---------------------------------------------------------------------------------


def _unit_code(text: Any) -> int:
    key = str(text).strip().upper()
    if key not in MESH_UNITS:
        raise ValueError(f"offset unit {text!r} is not known; use one of {', '.join(MESH_UNITS)}")
    return MESH_UNITS[key]


def _amount(call_options: Sequence[Any]) -> int:
    unit = call_options[2] if len(call_options) > 2 and call_options[2] else MESH_UNITS["HOUR"]
    return round(float(call_options[1]) * unit)


def _offset_mesh(call: Invocation) -> Value:
    series = _series(call)
    shifted = replace(series, times=series.times - _amount(call.options))
    return shifted.crop(*call.window)


def _offset_mesh_window(
    window: Window, types: Sequence[ValueType], options: Sequence[Any]
) -> Window:
    amount = _amount(options)
    return window[0] + amount, window[1] + amount


def _number(value: Any) -> float:
    if not isinstance(value, float):
        raise ValueError(f"expected a number, got {value!r}")
    return value


# --- DELTA -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Offset:
    """DELTA's second argument: the previous or next point, or a signed time offset."""

    next_point: bool = False
    ns: int = 0


def parse_offset(value: Any) -> Offset:
    """A number (0: previous point, else next point) or a signed offset such as ``'+2h'``,
    ``'-15x'`` (minutes), ``'+1d'``, or a unit code such as ``'HOUR'`` (one of it ahead)."""
    if isinstance(value, float):
        return Offset(next_point=value != 0)
    key = str(value).strip().upper()
    if key in MESH_UNITS:
        return Offset(ns=MESH_UNITS[key])
    try:
        duration = parse_timespec(key).duration_ns  # '+2h', '-15x', '+1d-2h'
    except ValueError:
        duration = None
    if duration is not None:
        return Offset(ns=duration)
    match = _OFFSET.match(re.sub(r"\s+", "", key))
    if not match:
        raise ValueError(
            f"offset {value!r} is not understood; use a number (0 for the previous point, "
            "another for the next), a signed offset such as '+2h', '-2h', '+15x' (minutes), "
            "'+1d', '+1w', or a unit code such as 'HOUR'"
        )
    sign = -1 if match.group(1) == "-" else 1
    return Offset(ns=sign * int(match.group(2)) * _OFFSET_UNITS[match.group(3)])


def _zero_filled(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a - b`` where a missing value counts as 0, unless both are missing (Mesh's DELTA on a
    fixed-interval series)."""
    both = np.isnan(a) & np.isnan(b)
    out = np.nan_to_num(a, nan=0.0) - np.nan_to_num(b, nan=0.0)
    out[both] = np.nan
    return np.asarray(out, dtype=np.float64)


def _delta(call: Invocation) -> Value:
    series = _series(call)
    how: Offset = call.options[1] if len(call.options) > 1 and call.options[1] else Offset()
    y = series.values
    fixed = series.step > 0
    if how.ns == 0:
        out = np.full(y.size, np.nan)
        if y.size > 1:
            later, earlier = y[1:], y[:-1]
            if fixed:  # a point the store does not hold is a missing value, as in Mesh
                gap = np.diff(series.times) > series.step * 3 // 2
                if gap.any():
                    later, earlier = later.copy(), earlier.copy()
                    (later if how.next_point else earlier)[gap] = np.nan
            diff = _zero_filled(later, earlier) if fixed else later - earlier
            if how.next_point:
                out[:-1] = diff
            else:
                out[1:] = diff
        if fixed and y.size:
            # the neighbour of an end point lies in what was read, so its absence is a gap
            start, end = call.window
            if not how.next_point and series.times[0] >= start:
                out[0] = _zero_filled(y[:1], np.full(1, np.nan))[0]
            if how.next_point and series.times[-1] < end:
                out[-1] = _zero_filled(np.full(1, np.nan), y[-1:])[0]
        return series.with_values(out).crop(*call.window)
    other = sample(series, series.times + how.ns)
    if fixed:
        out = _zero_filled(other, y) if how.ns > 0 else _zero_filled(y, other)
    else:
        out = other - y if how.ns > 0 else y - other
    return series.with_values(out).crop(*call.window)


def _delta_window(window: Window, types: Sequence[ValueType], options: Sequence[Any]) -> Window:
    how: Offset = options[1] if len(options) > 1 and options[1] else Offset()
    margin = 0 if types[0].step else IRREGULAR_LOOKBACK_NS  # the neighbours of a break point
    if how.ns:
        lo, hi = min(how.ns, 0), max(how.ns, 0)
        return window[0] + lo - margin, window[1] + hi + margin
    if how.next_point:
        return window[0], window[1] + _reach(types)
    return window[0] - _reach(types), window[1]


# --- ACCUMULATE --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """An accumulation interval, with the zone given with it (``'UTCWEEK'``, ``'DAY<LT>'``)."""

    interval: Interval

    @property
    def zone(self) -> str | None:
        """The zone code or name written with the interval."""
        return self.interval.zone


def _period(text: str) -> Period:
    return Period(parse_resolution(text.strip()))


def _acc_first(value: Any) -> Any:
    if value == ">":
        return ">"
    if not isinstance(value, str):
        raise ValueError(f"expected '>' or an interval such as 'WEEK', got {value!r}")
    return _period(value)


def _acc_second(value: Any) -> Any:
    if isinstance(value, float):
        if value < 1 or value != int(value):
            raise ValueError(f"a number of points must be a whole number >= 1, got {value}")
        return int(value)
    try:
        return _period(str(value))
    except ValueError:
        pass
    try:
        return parse_zone(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is neither an interval such as 'HYDYEAR' or 'UTCWEEK' nor a timezone"
        ) from None


def _acc_check(query: UnitQuery) -> None:
    first = query.options[1] if len(query.options) > 1 else None
    second = query.options[2] if len(query.options) > 2 else None
    if first == ">" and not isinstance(second, (int, Period)):
        raise query.error(
            "@ACCUMULATE(t, '>', ...) needs an interval such as 'DAY' or 'HYDYEAR', or a "
            "number of points"
        )
    if first != ">" and isinstance(second, (int, Period)):
        raise query.error(
            "@ACCUMULATE(t, interval, ...) takes a timezone third; for an interval third write "
            "@ACCUMULATE(t, '>', interval)"
        )


def _resets_of(call: Invocation, series: Series) -> np.ndarray | None:
    first = call.options[1] if len(call.options) > 1 else None
    second = call.options[2] if len(call.options) > 2 else None
    start, end = call.window
    if isinstance(second, int):  # every n points from the period start
        inside = series.times[series.times >= start]
        return inside[::second]
    period = second if first == ">" else first
    if not isinstance(period, Period):
        return None
    code = period.zone or (second if isinstance(second, str) and first != ">" else None)
    zone = current_zones().resolve(code, default=series.timezone)
    lo = int(series.times[0]) if len(series) else start
    return boundaries(replace(period.interval, zone=None), lo, end, zone)


def _accumulate(call: Invocation) -> Value:
    series = _series(call)
    resets = _resets_of(call, series)
    if isinstance(call.options[2] if len(call.options) > 2 else None, int):
        series = series.crop(*call.window)
    values = accumulate(series.values, series.times, resets)
    return series.with_values(values).crop(*call.window)


def _accumulate_window(
    window: Window, types: Sequence[ValueType], options: Sequence[Any]
) -> Window:
    first = options[1] if len(options) > 1 else None
    second = options[2] if len(options) > 2 else None
    period = second if first == ">" else first
    if isinstance(period, Period):
        return window[0] - period.interval.longest_ns, window[1]
    return window


# --- ACCUMULATE(d, s, t[, d, d]): from a start time, with a factor and an offset ----------------

_START_ANCHORS = frozenset({None, "SOP", "YEAR", "HYDYEAR", "QUARTER", "MONTH", "WEEK", "DAY"})
_START_ANCHORS |= {"HOUR", "MIN30", "MIN15"}


def parse_start(value: Any) -> TimeSpec:
    """Where ACCUMULATE(d, s, t) starts: a time point as Mesh writes it
    (``docs/mesh/calculations/timepoint-macros.md``): ``'20140101'``, ``'UTC20140101'``, or a
    macro counted from the start of the calculation period such as ``'YEAR+10d'`` or
    ``'LOCALMONTH-2d'``; without a zone it is STANDARD time."""
    try:
        spec = parse_timespec(str(value))
    except ValueError:
        raise ValueError(f"start {value!r} is not understood; use {TIME_ACCEPTED}") from None
    if spec.anchor not in _START_ANCHORS:
        raise ValueError(
            f"start {value!r}: ACCUMULATE starts at a fixed time or at a macro counted from the "
            "period start (YEAR, HYDYEAR, QUARTER, MONTH, WEEK, DAY, HOUR, MIN30, MIN15, SOP), "
            f"not {spec.anchor}"
        )
    return spec


def _start_of(spec: TimeSpec, window: tuple[int, int]) -> int:
    return spec.resolve(window[0], period=window)


def _accumulate_from(call: Invocation) -> Value:
    initial = float(call.args[0])  # type: ignore[arg-type]
    series = _series(call, 2)
    factor = float(call.args[3]) if len(call.args) > 3 else 1.0  # type: ignore[arg-type]
    offset = float(call.args[4]) if len(call.args) > 4 else 0.0  # type: ignore[arg-type]
    begin = _start_of(call.options[1], call.window)
    x = np.nan_to_num(series.values, nan=0.0) * factor + offset
    out = initial + np.cumsum(np.where(series.times >= begin, x, 0.0))
    out[series.times < begin] = np.nan
    return series.with_values(out).crop(*call.window)


def _accumulate_from_window(
    window: Window, types: Sequence[ValueType], options: Sequence[Any]
) -> Window:
    spec: TimeSpec = options[1]
    if spec.anchor is None and not (spec.days or spec.minutes):  # a fixed time
        return min(window[0], _start_of(spec, window)), window[1]
    back = HOUR_NS if spec.anchor in {None, "SOP"} else parse_interval(spec.anchor).longest_ns
    reach = spec.days * DAY_NS + spec.minutes * 60 * 10**9
    return window[0] - back + min(reach, 0) - HOUR_NS, window[1]


def _acc_unit(query: UnitQuery) -> Any:
    return query.types[2].unit


# --- TS_ACC_FROM -------------------------------------------------------------------------------


def _which(value: Any) -> int:
    if value not in (0.0, 1.0):
        raise ValueError(f"the offset must be 0 (previous step) or 1 (current step), got {value}")
    return int(value)


def _acc_from(call: Invocation) -> Value:
    y, x = _series(call, 0).crop(*call.window), _series(call, 1)
    factor, constant = float(call.args[2]), float(call.args[3])  # type: ignore[arg-type]
    xs = np.nan_to_num(sample(x, y.times), nan=0.0)
    if y.times.size == 0:
        return y
    added = factor * (xs[1:] if call.options[4] == 1 else xs[:-1]) + constant
    out = y.values[0] + np.concatenate([[0.0], np.cumsum(added)])
    return y.with_values(out)


FUNCTIONS: tuple[Function, ...] = (
    Function(
        "TS_OFFSET",
        (
            Overload(
                ("t", "d", "s"),
                "t",
                _offset_mesh,
                required=2,
                options={1: _number, 2: _unit_code},
                window=_offset_mesh_window,
            ),
            OFFSET_ISO,
        ),
        "Shift in time (Mesh): @TS_OFFSET(t, d [, unit]) takes each point's value from d units "
        "later (default HOUR; MIN, MIN5, MIN10, MIN15, MIN30, DAY, WEEK, MONTH = 30 days, YEAR "
        "= 365 days), so -2 shows the value of 2 hours before. Also @TS_OFFSET(t, 'P1D'): the "
        "series moved later by a duration (calendar units in its zone). Mesh: compatible.",
        mesh=MeshNote(
            "differs",
            "also takes an ISO 8601 duration (@TS_OFFSET(t, 'P1D')), which moves the series later: the opposite sign of the numeric form",
        ),
    ),
    Function(
        "DELTA",
        (
            Overload(
                ("t", "ds"),
                "t",
                _delta,
                required=1,
                options={1: parse_offset},
                window=_delta_window,
            ),
        ),
        "Change between points (Mesh): @DELTA(t) is y(t) - y(previous), @DELTA(t, 1) y(next) - "
        "y(t), @DELTA(t, '+2h') y(t + 2h) - y(t), @DELTA(t, '-2h') y(t) - y(t - 2h) (the "
        "value at a time by the curve type). On a fixed-interval series a missing value counts "
        "as 0. Reads the points it needs outside the period. Mesh: compatible.",
        mesh=AS_IN_MESH,
    ),
    Function(
        "ACCUMULATE",
        (
            Overload(
                ("t", "s", "sd"),
                "t",
                _accumulate,
                required=1,
                options={1: _acc_first, 2: _acc_second},
                window=_accumulate_window,
                validate=_acc_check,
            ),
            Overload(
                ("d", "s", "t", "d", "d"),
                "t",
                _accumulate_from,
                required=3,
                options={1: parse_start},
                unit=_acc_unit,
                window=_accumulate_from_window,
            ),
        ),
        "Running sum (Mesh): @ACCUMULATE(t) from the period start; @ACCUMULATE(t, '>', "
        "'HYDYEAR') or @ACCUMULATE(t, 'WEEK') restarting each interval (zone in front: "
        "'UTCWEEK'; or a zone third: @ACCUMULATE(t, 'DAY', 'Europe/Oslo')); @ACCUMULATE(t, "
        "'>', n) restarting every n points; @ACCUMULATE(x0, '20140101', t [, A, B]) = x0 + "
        "sum of A·t + B from a start time or macro ('YEAR+10d'). Missing values count as 0. "
        "Mesh: compatible (macros count from the period start).",
        mesh=MeshNote(
            "differs",
            "'>' and the plain form behave the same; a zone may also be given as a third argument ('Europe/Oslo')",
        ),
    ),
    Function(
        "TS_ACC_FROM",
        (
            Overload(
                ("t", "t", "d", "d", "d"),
                "t",
                _acc_from,
                options={4: _which},
            ),
        ),
        "Running accumulation (Mesh): @TS_ACC_FROM(y, x, A, B, k) starts at y's first value "
        "in the period and adds A·x + B each step, x from the current step (k = 1) or the "
        "previous (k = 0). Mesh: compatible.",
        mesh=AS_IN_MESH,
    ),
)
