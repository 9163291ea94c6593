"""Time functions: trailing gliding windows, shifts by a duration, viewpoints, flags.

Functions that look back (TS_OFFSET by a duration, TS_GLIDING_AVG/SUM) declare how much earlier
data they need: the evaluator reads their series over the widened period, so that their values
at the start of the requested period are right, and crops the result. Mesh's own TRANSFORM,
ACCUMULATE, DELTA and centred windows are in :mod:`workbench.calc.fn_resolution`,
:mod:`workbench.calc.fn_temporal` and :mod:`workbench.calc.fn_gliding`.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from workbench.beliefs.flags import Flag
from workbench.calc import timespec
from workbench.calc.functions import Function, Invocation, MeshNote, Overload, UnitQuery, Window
from workbench.calc.protocol import Viewpoint
from workbench.calc.timespec import TimeSpec, parse_timespec
from workbench.calc.transform import gliding
from workbench.calc.values import DAY_NS, Series, Value, ValueType, nominal_ns

__all__ = ["FUNCTIONS", "IRREGULAR_LOOKBACK_NS", "OFFSET_ISO"]

IRREGULAR_LOOKBACK_NS = 7 * DAY_NS
"""How far DELTA and point-count windows look back when the series has no regular resolution."""

_SHIFT = re.compile(r"^([+-])?P(\d+)([DWMY])$")


@dataclass(frozen=True)
class Shift:
    """A signed time shift: ``count`` calendar days/months/years, or ``fixed_ns``."""

    unit: str
    count: int = 0
    fixed_ns: int = 0

    @property
    def longest(self) -> int:
        if self.unit == "fixed":
            return self.fixed_ns
        days = {"D": 1, "W": 7, "M": 31, "Y": 366}[self.unit] * self.count
        return days * DAY_NS + (DAY_NS // 24 if self.count > 0 else -DAY_NS // 24)

    @property
    def shortest(self) -> int:
        if self.unit == "fixed":
            return self.fixed_ns
        days = {"D": 1, "W": 7, "M": 28, "Y": 365}[self.unit] * self.count
        return days * DAY_NS - (DAY_NS // 24 if self.count > 0 else -DAY_NS // 24)


def _shift(text: Any) -> Shift:
    accepted = "a signed ISO 8601 duration such as 'PT1H', '-PT15M', 'P1D', '-P1M' or 'P1Y'"
    value = str(text).strip().upper()
    match = _SHIFT.match(value)
    if match:
        count = int(match.group(2)) * (-1 if match.group(1) == "-" else 1)
        return Shift(match.group(3), count)
    try:
        fixed = int(pd.Timedelta(value).value)
    except ValueError:
        raise ValueError(f"shift {text!r} is not understood; use {accepted}") from None
    return Shift("fixed", fixed_ns=fixed)


def _duration(text: Any) -> int:
    try:
        ns = int(pd.Timedelta(str(text).strip().upper()).value)
    except ValueError:
        ns = 0
    if ns <= 0:
        raise ValueError(
            f"duration {text!r} is not understood; use a positive ISO 8601 "
            "duration such as 'PT6H' or 'P1D'"
        )
    return ns


def _window_or_count(value: Any) -> tuple[int | None, int | None]:
    if isinstance(value, float):
        if value < 1 or value != int(value):
            raise ValueError(
                f"a window of points must be a whole number of at least 1, got {value}"
            )
        return None, int(value)
    return _duration(value), None


def _time(text: Any) -> TimeSpec:
    """A time as Mesh writes it (``UTC20240501``, ``DAY-1d``) or ISO 8601 text (without an
    offset it is UTC), read by :func:`~workbench.calc.timespec.parse_timespec`; a macro counts
    from when the expression runs."""
    spec = parse_timespec(str(text))
    if spec.needs_period:
        raise ValueError(
            f"time {text!r} names the calculation period, which a knowledge time cannot; "
            "use a time such as '2024-05-01T12:00Z', 'UTC20240501' or 'DAY-1d'"
        )
    return spec


def _stamp(spec: TimeSpec) -> pd.Timestamp:
    """The time (naive, UTC) a parsed time stands for now."""
    return pd.Timestamp(spec.resolve(timespec.now_ns()), unit="ns")


def _mask(value: Any) -> int:
    if isinstance(value, str):
        names = [n.strip().upper() for n in value.replace(",", "|").split("|") if n.strip()]
        unknown = [n for n in names if n not in Flag.__members__]
        if unknown or not names:
            raise ValueError(
                f"flag names {value!r} are not known; use names from "
                f"{', '.join(Flag.__members__)} joined with '|', or a number"
            )
        return int(functools.reduce(operator.or_, (Flag[n] for n in names), Flag.OK))
    if not isinstance(value, float) or value < 0 or value != int(value) or value >= 2**32:
        raise ValueError(
            f"a mask must be a whole number of 32 bits such as 6, or flag names such as "
            f"'SUSPECT|NOT_OK', got {value!r}"
        )
    return int(value)


def _series(call: Invocation) -> Series:
    series = call.args[0]
    assert isinstance(series, Series)
    return series


def _crop(series: Series, window: Window) -> Series:
    return series.crop(*window)


# --- look-back functions -----------------------------------------------------------------------


def _lookback(types: Sequence[ValueType]) -> int:
    step = types[0].step
    return step if step else IRREGULAR_LOOKBACK_NS


def _shift_times(series: Series, shift: Shift) -> np.ndarray:
    if shift.unit == "fixed":
        return series.times + shift.fixed_ns
    local = pd.DatetimeIndex(series.times.view("datetime64[ns]")).tz_localize("UTC")
    local = local.tz_convert(series.timezone)
    if shift.unit in {"D", "W"}:
        offset = pd.DateOffset(days=shift.count * (7 if shift.unit == "W" else 1))
    elif shift.unit == "M":
        offset = pd.DateOffset(months=shift.count)
    else:
        offset = pd.DateOffset(years=shift.count)
    return np.asarray((local + offset).tz_convert(None).asi8, dtype=np.int64)


def _offset(call: Invocation) -> Value:
    series = _series(call)
    times = _shift_times(series, call.options[1])
    return _crop(replace(series, times=times), call.window)


def _offset_window(window: Window, types: Sequence[ValueType], options: Sequence[Any]) -> Window:
    shift: Shift = options[1]
    lo, hi = sorted((shift.longest, shift.shortest))
    return window[0] - hi, window[1] - lo


def _gliding(method: str) -> Any:
    def run(call: Invocation) -> Value:
        series = _series(call)
        span, count = call.options[1]
        values = gliding(series.times, series.values, span, count, method)
        return _crop(series.with_values(values), call.window)

    return run


def _gliding_window(window: Window, types: Sequence[ValueType], options: Sequence[Any]) -> Window:
    span, count = options[1]
    back = span if span is not None else int(count) * _lookback(types)
    return window[0] - back, window[1]


# --- viewpoints and flags ----------------------------------------------------------------------


def _passthrough(call: Invocation) -> Value:
    return _series(call)


def _as_of(viewpoint: Viewpoint, options: Sequence[Any]) -> Viewpoint:
    return replace(viewpoint, as_of=_stamp(options[1]))


def _forecast(viewpoint: Viewpoint, options: Sequence[Any]) -> Viewpoint:
    if len(options) > 2 and options[2] is not None:
        return replace(viewpoint, issued_after=_stamp(options[1]), as_of=_stamp(options[2]))
    return replace(viewpoint, horizon=pd.Timedelta(options[1], unit="ns"))


def _horizon_or_time(value: Any) -> Any:
    try:
        return _duration(value)
    except ValueError:
        return _time(value)


def _check_forecast(query: UnitQuery) -> None:
    opts = [o for o in query.options[1:] if o is not None]
    if len(opts) == 1 and not isinstance(opts[0], int):
        raise query.error(
            "@GetForecast with one argument needs a horizon such as 'PT24H'; "
            "for an issue-time window give two times, from and to"
        )
    if len(opts) == 2 and not all(isinstance(o, TimeSpec) for o in opts):
        raise query.error(
            "@GetForecast with two arguments needs two issue times, from and to, "
            "such as '2024-05-01T00:00Z', '2024-05-02T00:00Z'"
        )


def _status_mask(call: Invocation) -> Value:
    series = _series(call)
    if series.flags is None:
        return series
    hit = (series.flags & np.uint32(call.options[1])) != 0
    return series.with_values(np.where(hit, np.nan, series.values), keep_flags=True)


def _step_of(interval_index: int) -> Any:
    return lambda types, options: nominal_ns(options[interval_index].resolution)


OFFSET_ISO = Overload(("t", "s"), "t", _offset, options={1: _shift}, window=_offset_window)
"""@TS_OFFSET(t, 'P1D'): the series moved later by an ISO 8601 duration (a workbench form)."""

FUNCTIONS: tuple[Function, ...] = (
    Function(
        "TS_GLIDING_AVG",
        (
            Overload(
                ("t", "sd"),
                "t",
                _gliding("AVG"),
                options={1: _window_or_count},
                window=_gliding_window,
            ),
        ),
        "Trailing mean over (t - window, t] or over the last n points.",
        mesh=MeshNote("not in Mesh"),
    ),
    Function(
        "TS_GLIDING_SUM",
        (
            Overload(
                ("t", "sd"),
                "t",
                _gliding("SUM"),
                options={1: _window_or_count},
                window=_gliding_window,
            ),
        ),
        "Trailing sum over (t - window, t] or over the last n points.",
        mesh=MeshNote("not in Mesh"),
    ),
    Function(
        "GetTsAsOfTime",
        (Overload(("t", "s"), "t", _passthrough, options={1: _time}, viewpoint=_as_of),),
        "The series as known at a belief time: @GetTsAsOfTime(t, '2024-05-01T06:00Z').",
    ),
    Function(
        "GetForecast",
        (
            Overload(
                ("t", "s", "s"),
                "t",
                _passthrough,
                required=2,
                options={1: _horizon_or_time, 2: _time},
                viewpoint=_forecast,
                validate=_check_forecast,
            ),
        ),
        "Forecast values: made at least a horizon ahead (@GetForecast(t, 'PT24H')) or issued "
        "within a window (@GetForecast(t, from, to), the latest such belief per event).",
    ),
    Function(
        "STATUS_MASK",
        (Overload(("t", "ds"), "t", _status_mask, options={1: _mask}),),
        "Set to missing the points whose quality flags share a bit with the mask: "
        "@STATUS_MASK(t, 'SUSPECT|NOT_OK') or a number (the series' flags coordinate).",
    ),
)
