"""Statistics over the same time of year in past years: Normal and PERCENTILE(t, from, to, p).

For each time step of the requested period the value at the same calendar time (standard
calendar, UTC+1) is read in every year from ``from`` up to, not including, ``to``; the
statistic of those values is the result. The series is read over those years by itself.
A 29 February falls on 28 February in other years.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from workbench.calc.align import sample
from workbench.calc.functions import Function, Invocation, MeshNote, Overload, Window
from workbench.calc.timespec import current_zones, grid
from workbench.calc.values import DAY_NS, FloatArray, IntArray, Series, Value, ValueType

__all__ = ["FUNCTIONS", "history_window", "percentile_over_years", "same_time_in_years"]

_MAX_YEARS = 200


def _year(value: Any) -> int:
    if not isinstance(value, float) or value != int(value) or not 1900 <= value <= 2200:
        raise ValueError(f"expected a year such as 1990, got {value!r}")
    return int(value)


def _year_start(year: int) -> int:
    stamp = pd.Timestamp(year, 1, 1).tz_localize(current_zones().standard).tz_convert("UTC")
    return int(stamp.as_unit("ns").value)


def history_window(window: Window, types: Sequence[ValueType], options: Sequence[Any]) -> Window:
    """The period to read: the requested one and the years ``options[1]`` to ``options[2]``
    (with a year's margin, for a requested period that crosses a new year)."""
    first, until = options[1], options[2]
    return (min(window[0], _year_start(first) - DAY_NS), max(window[1], _year_start(until + 1)))


def _steps(series: Series, window: Window) -> IntArray:
    """The result's times: the series' own grid over the requested period."""
    step = series.step
    if step <= 0 or step > 31 * DAY_NS:
        raise ValueError(
            "needs a series of a regular resolution of up to a month (this one has "
            f"{series.resolution!r})"
        )
    if series.resolution in ("P1D", "P7D", "P1M"):
        return grid(series.resolution, window)
    return grid("P1D" if step == DAY_NS else f"PT{step // 10**9}S", window)


def same_time_in_years(times: IntArray, first: int, until: int) -> list[IntArray]:
    """``times`` moved to the same calendar time (standard calendar) in each year."""
    local = pd.DatetimeIndex(times.view("datetime64[ns]"), tz="UTC").tz_convert(
        current_zones().standard
    )
    naive = local.tz_localize(None)
    out = []
    for year in range(first, until):
        moved = np.empty(times.size, dtype=np.int64)
        for base in np.unique(naive.year):
            subset = naive.year == base
            shifted = naive[subset] + pd.DateOffset(years=int(year - base))
            utc = shifted.tz_localize(current_zones().standard).tz_convert("UTC")
            moved[subset] = utc.as_unit("ns").asi8
        out.append(moved)
    return out


def _gathered(
    call: Invocation, source: Series, first: int, until: int
) -> tuple[IntArray, FloatArray]:
    if not first < until:
        raise ValueError(f"the years must run from an earlier to a later one, got {first}-{until}")
    if until - first > _MAX_YEARS:
        raise ValueError(f"at most {_MAX_YEARS} years of history, got {until - first}")
    times = _steps(source, call.window)
    stacked = np.vstack(
        [sample(source, moved) for moved in same_time_in_years(times, first, until)]
    )
    return times, stacked


def percentile_over_years(call: Invocation) -> Value:
    """PERCENTILE(t, from, to, p): the p-th percentile of the values at each time of year."""
    source = cast(Series, call.args[0])
    share = float(cast(float, call.args[3]))
    if not 0.0 <= share <= 100.0:
        raise ValueError(f"the percentile must be between 0 and 100, got {share}")
    times, stacked = _gathered(call, source, call.options[1], call.options[2])
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a step with no value in any year
        out = np.nanpercentile(stacked, share, axis=0)
    return Series(times, out, source.timezone, source.resolution, source.curve_type)


_NORMALS: dict[str, Callable[[FloatArray], FloatArray]] = {
    "MIN": lambda a: np.nanmin(a, axis=0),
    "MAX": lambda a: np.nanmax(a, axis=0),
    "AVERAGE": lambda a: np.nanmean(a, axis=0),
    "MEDIAN": lambda a: np.nanmedian(a, axis=0),
}
_SMOOTHING = ("NONE", "AVERAGE", "MEDIAN")


def _normal_type(text: Any) -> str:
    value = str(text).strip().upper()
    if value not in _NORMALS:
        raise ValueError(f"normal {text!r} is not known; use {', '.join(_NORMALS)}")
    return value


def _smoothing(text: Any) -> str:
    value = str(text).strip().upper()
    if value in ("GAUSS", "MEDIAN_GAUSS"):
        raise ValueError(f"smoothing {text!r} is not yet offered; use NONE, AVERAGE or MEDIAN")
    if value not in _SMOOTHING:
        raise ValueError(f"smoothing {text!r} is not known; use NONE, AVERAGE or MEDIAN")
    return value


def _smoothed(source: Series, method: str, size: float) -> Series:
    width = int(size)
    if method == "NONE" or width <= 0:
        return source
    width += 1 - width % 2  # odd, as Mesh: an even size grows by one
    rolling = pd.Series(source.values).rolling(width, center=True, min_periods=1)
    values = rolling.mean() if method == "AVERAGE" else rolling.median()
    return source.with_values(values.to_numpy(dtype=np.float64))


def _normal(call: Invocation) -> Value:
    source = cast(Series, call.args[0])
    kind, method = call.options[3], call.options[4]
    smoothed = _smoothed(source, method, float(cast(float, call.args[5])))
    times, stacked = _gathered(call, smoothed, call.options[1], call.options[2])
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a step with no value in any year
        out = _NORMALS[kind](stacked)
    return Series(times, out, source.timezone, source.resolution, source.curve_type)


PERCENTILE_OVER_YEARS = Overload(
    ("t", "d", "d", "d"),
    "t",
    percentile_over_years,
    options={1: _year, 2: _year},
    window=history_window,
)

FUNCTIONS: tuple[Function, ...] = (
    Function(
        "Normal",
        (
            Overload(
                ("t", "d", "d", "s", "s", "d"),
                "t",
                _normal,
                options={1: _year, 2: _year, 3: _normal_type, 4: _smoothing},
                window=history_window,
            ),
        ),
        "The MIN, MAX, AVERAGE or MEDIAN of the values at each time of year over the years "
        "from-to (to excluded), after NONE, AVERAGE or MEDIAN smoothing over n points: "
        "@Normal(t, 2000, 2013, 'Max', 'MEDIAN', 3).",
        MeshNote("differs", "GAUSS and MEDIAN_GAUSS smoothing are not yet offered"),
    ),
)
