"""Mesh's profile functions: DISTRIBUTE, TRANS_PROFILE, PROFILE, TS_EXPAND and ValuesFromYear.

The pages ``distribute.md``, ``trans_profile.md``, ``profile.md``,
``profile_with_explicit_frequency.md``, ``ts_expand.md`` and ``values_from_year.md`` of
``docs/mesh/calculations/functions/`` (Volue-Public/energy-smp-docs) are the spec. For
DISTRIBUTE and TRANS_PROFILE, a value A of the coarse input series is distributed over the N
valid points of a finer mask or profile series inside its interval, with P the profile value at
a point and M the profile's mean over those points:

- relative, SUM: ``A / N * P / M`` (no profile: ``A / N``); relative, MEAN: ``A * P / M``;
- absolute (a scaling factor K other than 0 first): SUM ``A / N + K (P - M)``, MEAN
  ``A + K (P - M)``;
- TRANS_PROFILE with relative handling gives ``P - M`` where A is 0, as its page says.

PROFILE and ValuesFromYear count calendar periods in the series' standard time (without
daylight saving), as Mesh's database calendar does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from workbench.calc.align import sample
from workbench.calc.fn_resolution import BACK_NS, aggregate, coarse_ends
from workbench.calc.functions import (
    AS_IN_MESH,
    Function,
    Invocation,
    MeshNote,
    Overload,
    Window,
    keep,
)
from workbench.calc.periods import Interval, boundaries, standard_zone
from workbench.calc.resolutions import parse_resolution
from workbench.calc.values import DAY_NS, FloatArray, IntArray, Series, Value, ValueType

__all__ = ["FUNCTIONS", "distribute"]

EARLIEST = int(pd.Timestamp("1900-01-01").value)
LATEST = int(pd.Timestamp("2200-01-01").value)
_CALENDAR = ("DAY", "WEEK", "MONTH", "YEAR")
REACH_NS = 5 * 366 * DAY_NS


def distribute(
    source: Series,
    fine: IntArray,
    valid: np.ndarray,
    profile: FloatArray | None,
    *,
    factor: float = 0.0,
    mean: bool = False,
    zero_rule: bool = False,
) -> tuple[IntArray, FloatArray]:
    """The distributed values at the valid ``fine`` times inside an interval of ``source``."""
    times = source.times
    if times.size == 0 or fine.size == 0:
        return fine[:0], np.empty(0)
    ends = coarse_ends(source) if source.step > 0 else np.append(times[1:], np.iinfo(np.int64).max)
    index = np.searchsorted(times, fine, side="right") - 1
    safe = np.clip(index, 0, None)
    ok = valid & (index >= 0) & (fine < ends[safe])
    index, fine = safe[ok], fine[ok]
    counts = np.bincount(index, minlength=times.size).astype(np.float64)
    a = source.values[index]
    n = counts[index]
    if profile is None:
        return fine, a / n
    p = profile[ok]
    with np.errstate(invalid="ignore", divide="ignore"):
        m = (np.bincount(index, p, minlength=times.size) / counts)[index]
        if factor:
            values = (a if mean else a / n) + factor * (p - m)
        else:
            values = (a if mean else a / n) * p / m
            if zero_rule:
                values = np.where(a == 0, p - m, values)
    return fine, np.asarray(values, dtype=np.float64)


def _truth(values: FloatArray) -> np.ndarray:
    return np.asarray(~np.isnan(values) & (values != 0), dtype=bool)


def _method(text: Any) -> bool:
    key = str(text).strip().upper()
    if key not in {"SUM", "MEAN", "AVERAGE"}:
        raise ValueError(
            f"distribution method {text!r} is not known; use 'SUM', 'MEAN' or 'AVERAGE'"
        )
    return key != "SUM"


def _spread_window(index: int) -> Any:
    def window(window: Window, types: Sequence[ValueType], options: Sequence[Any]) -> Window:
        step = types[index].step or BACK_NS
        return window[0] - step, window[1] + step

    return window


def _run(
    call: Invocation,
    *,
    scaled: bool,
    profile_at: int | None,
    mask_at: int | None,
    method_at: int | None = None,
    zero_rule: bool = False,
) -> Value:
    args = call.args
    factor = float(args[0]) if scaled else 0.0  # type: ignore[arg-type]
    first = 1 if scaled else 0
    source = args[first]
    assert isinstance(source, Series)
    profile = args[profile_at] if profile_at is not None else None
    mask = args[mask_at] if mask_at is not None else None
    grid = mask if isinstance(mask, Series) else profile
    assert isinstance(grid, Series)
    valid = _truth(grid.values) if isinstance(mask, Series) else ~np.isnan(grid.values)
    weights = None
    if isinstance(profile, Series):
        weights = grid.values if profile is grid else sample(profile, grid.times)
        valid &= ~np.isnan(weights)
    mean = (
        bool(call.options[method_at])
        if method_at is not None and len(call.options) > method_at
        else False
    )
    times, values = distribute(
        source, grid.times, valid, weights, factor=factor, mean=mean, zero_rule=zero_rule
    )
    resolution = grid.resolution if bool(valid.all()) else "PT0S"
    return Series(times, values, grid.timezone, resolution, "step").crop(*call.window)


def _distribute(scaled: bool, with_profile: bool) -> Any:
    first = 1 if scaled else 0

    def run(call: Invocation) -> Value:
        return _run(
            call,
            scaled=scaled,
            profile_at=first + 2 if with_profile else None,
            mask_at=first + 1,
        )

    return run


def _trans_profile(scaled: bool, with_mask: bool, with_method: bool) -> Any:
    first = 1 if scaled else 0

    def run(call: Invocation) -> Value:
        return _run(
            call,
            scaled=scaled,
            profile_at=first + 1,
            mask_at=first + 2 if with_mask else None,
            method_at=first + (3 if with_mask else 2) if with_method else None,
            zero_rule=not scaled or float(call.args[0]) == 0,  # type: ignore[arg-type]
        )

    return run


# --- PROFILE and ValuesFromYear -----------------------------------------------------------------


def _frequency(series: Series) -> Interval:
    """The smallest calendar unit that holds the series' points (PROFILE without a frequency)."""
    span = int(series.times[-1] - series.times[0]) + max(series.step, 1)
    for name in _CALENDAR:
        interval = parse_resolution(name)
        if span <= interval.longest_ns - 3600 * 10**9:
            return interval
    return parse_resolution("YEAR")


def _profile(call: Invocation) -> Value:
    series = call.args[0]
    assert isinstance(series, Series)
    start, end = call.window
    if len(series) == 0:
        return series
    freq = call.options[1] if len(call.options) > 1 and call.options[1] else _frequency(series)
    zone = standard_zone(series.timezone, int(series.times[0]))
    first = boundaries(freq, int(series.times[0]), int(series.times[0]) + 1, zone)
    seg_start, seg_end = int(first[0]), int(first[1])
    inside = (series.times >= seg_start) & (series.times < seg_end)
    offsets, values = series.times[inside] - seg_start, series.values[inside]
    periods = boundaries(freq, start, end, zone)
    starts, lengths = periods[:-1], np.diff(periods)
    times = np.add.outer(starts, offsets)
    keep = offsets[None, :] < lengths[:, None]
    out = Series(
        times[keep],
        np.broadcast_to(values, times.shape)[keep].copy(),
        series.timezone,
        series.resolution,
        series.curve_type,
    )
    return out.crop(start, end)


def _year(value: Any) -> int:
    if not isinstance(value, float) or value != int(value) or not 1900 <= value < 2200:
        raise ValueError(f"the year must be a four-digit number such as 2000, got {value!r}")
    return int(value)


def _year_start(year: int, zone: str) -> int:
    return int(pd.Timestamp(year, 1, 1).tz_localize(zone).tz_convert("UTC").value)


def _values_from_year(call: Invocation) -> Value:
    series = call.args[0]
    assert isinstance(series, Series)
    start, end = call.window
    zone = standard_zone(series.timezone, start)
    source_year: int = call.options[1]
    s0, s1 = _year_start(source_year, zone), _year_start(source_year + 1, zone)
    inside = (series.times >= s0) & (series.times < s1)
    offsets, values = series.times[inside] - s0, series.values[inside]
    first = pd.Timestamp(start, unit="ns").year - 1
    last = pd.Timestamp(end, unit="ns").year + 1
    parts_t, parts_v = [], []
    for year in range(first, last + 1):
        y0, y1 = _year_start(year, zone), _year_start(year + 1, zone)
        keep = offsets < y1 - y0
        parts_t.append(y0 + offsets[keep])
        parts_v.append(values[keep])
    out = Series(
        np.concatenate(parts_t),
        np.concatenate(parts_v),
        series.timezone,
        series.resolution,
        series.curve_type,
    )
    return out.crop(start, end)


def _year_window(window: Window, types: Sequence[ValueType], options: Sequence[Any]) -> Window:
    year: int = options[1]
    return _year_start(year, "UTC") - DAY_NS, _year_start(year + 1, "UTC") + DAY_NS


# --- TS_EXPAND ----------------------------------------------------------------------------------


def _curve_or_resolution(text: Any) -> Any:
    key = str(text).strip().upper()
    if key in {"LINEAR", "STEP"}:
        return key.lower()
    return parse_resolution(key)


def _curve(text: Any) -> str:
    key = str(text).strip().upper()
    if key not in {"LINEAR", "STEP"}:
        raise ValueError(f"curve type {text!r} is not known; use 'LINEAR' or 'STEP'")
    return key.lower()


def fill(values: FloatArray, times: IntArray, linear: bool) -> FloatArray:
    """Missing values replaced: by linear interpolation between the real values around them,
    or by the previous real value (step)."""
    valid = ~np.isnan(values)
    if valid.all() or not valid.any():
        return values
    if linear:
        out = np.interp(times, times[valid], values[valid], left=np.nan, right=np.nan)
        return np.asarray(out, dtype=np.float64)
    last = np.maximum.accumulate(np.where(valid, np.arange(values.size), -1))
    out = values[np.clip(last, 0, None)]
    return np.where(last >= 0, out, np.nan)


def _expand(call: Invocation) -> Value:
    series = call.args[0]
    assert isinstance(series, Series)
    first = call.options[1] if len(call.options) > 1 else None
    curve = call.options[2] if len(call.options) > 2 and call.options[2] else None
    if isinstance(first, str):
        curve = first
    elif isinstance(first, Interval):
        if first.unit == "fixed" and first.fixed_ns == 0:
            raise call.error("TS_EXPAND needs a fixed resolution such as 'HOUR', not VARINT")
        edges = boundaries(first, call.window[0] - BACK_NS, call.window[1], series.timezone)
        values = aggregate(series, edges, "FIRST")
        series = Series(edges[:-1], values, series.timezone, first.resolution, series.curve_type)
    linear = (curve or series.curve_type) == "linear"
    series = _on_grid(series, call.window[1])
    filled = fill(series.values, series.times, linear)
    return series.with_values(filled).crop(*call.window)


def _on_grid(series: Series, end: int) -> Series:
    """A fixed-interval series with every point of its grid up to ``end``: a point the store
    does not hold (a gap) is a missing value, as in Mesh's fixed-interval series."""
    if series.step <= 0 or len(series) == 0:
        return series
    try:
        interval = parse_resolution(series.resolution)
    except ValueError:  # an ISO duration with days, such as 'P0DT1H0M0S': fixed
        interval = Interval(series.resolution, "fixed", 1, series.step)
    first = int(series.times[0])
    grid = boundaries(interval, first, max(end, first + 1), series.timezone)
    grid = grid[(grid >= first) & (grid < end)]
    if grid.size == series.times.size and np.array_equal(grid, series.times):
        return series
    values = np.full(grid.size, np.nan)
    at = np.searchsorted(series.times, grid)
    hit = (at < series.times.size) & (series.times[np.clip(at, 0, series.times.size - 1)] == grid)
    values[hit] = series.values[at[hit]]
    return Series(grid, values, series.timezone, series.resolution, series.curve_type)


def _back_window(window: Window, types: Sequence[ValueType], options: Sequence[Any]) -> Window:
    return window[0] - BACK_NS, window[1] + (BACK_NS if types[0].step == 0 else 0)


def _around(window: Window, types: Sequence[ValueType], options: Sequence[Any]) -> Window:
    """PROFILE reads its series up to five years either side of the period (Mesh reads from
    the series' first value; bounded here so that one call cannot read without end)."""
    return max(EARLIEST, window[0] - REACH_NS), min(LATEST, window[1] + REACH_NS)


_T = ("t",)
FUNCTIONS: tuple[Function, ...] = (
    Function(
        "DISTRIBUTE",
        (
            Overload(("t", "t"), "t", _distribute(False, False), window=_spread_window(0)),
            Overload(("t", "t", "t"), "t", _distribute(False, True), window=_spread_window(0)),
            Overload(
                ("d", "t", "t", "t"),
                "t",
                _distribute(True, True),
                window=_spread_window(1),
                unit=keep(1),
            ),
        ),
        "Distribute each value over the true points (not 0, not missing) of a finer mask "
        "series within its interval (Mesh R6, R7, Ra7): @DISTRIBUTE(t, mask) gives A / N, "
        "@DISTRIBUTE(t, mask, profile) A / N · P / M, @DISTRIBUTE(K, t, mask, profile) "
        "A / N + K (P - M). Mesh: compatible.",
        mesh=AS_IN_MESH,
    ),
    Function(
        "TRANS_PROFILE",
        (
            Overload(
                ("t", "t"), "t", _trans_profile(False, False, False), window=_spread_window(0)
            ),
            Overload(
                ("d", "t", "t"),
                "t",
                _trans_profile(True, False, False),
                window=_spread_window(1),
                unit=keep(1),
            ),
            Overload(
                ("t", "t", "s"),
                "t",
                _trans_profile(False, False, True),
                options={2: _method},
                window=_spread_window(0),
            ),
            Overload(
                ("d", "t", "t", "s"),
                "t",
                _trans_profile(True, False, True),
                options={3: _method},
                window=_spread_window(1),
                unit=keep(1),
            ),
            Overload(
                ("t", "t", "t"), "t", _trans_profile(False, True, False), window=_spread_window(0)
            ),
            Overload(
                ("d", "t", "t", "t"),
                "t",
                _trans_profile(True, True, False),
                window=_spread_window(1),
                unit=keep(1),
            ),
            Overload(
                ("t", "t", "t", "s"),
                "t",
                _trans_profile(False, True, True),
                options={3: _method},
                window=_spread_window(0),
            ),
            Overload(
                ("d", "t", "t", "t", "s"),
                "t",
                _trans_profile(True, True, True),
                options={4: _method},
                window=_spread_window(1),
                unit=keep(1),
            ),
        ),
        "Distribute each value by a finer profile series (Mesh R8-R11, Ra8-Ra11): "
        "@TRANS_PROFILE([K,] t, profile [, mask] [, 'SUM'|'MEAN']); SUM keeps the interval's "
        "sum (A / N · P / M), MEAN its mean (A · P / M); with K other than 0 the profile is "
        "absolute (A / N + K (P - M)); where A is 0 a relative profile gives P - M. "
        "Mesh: compatible.",
        mesh=AS_IN_MESH,
    ),
    Function(
        "PROFILE",
        (
            Overload(
                ("t", "s"),
                "t",
                _profile,
                required=1,
                options={1: parse_resolution},
                window=_around,
            ),
        ),
        "Repeat the series' first calendar period over the requested period (Mesh R12, R13): "
        "@PROFILE(t, 'WEEK') puts a Tuesday's values on every Tuesday; without a frequency the "
        "smallest of DAY, WEEK, MONTH, YEAR that holds the data. Periods count in standard time; "
        "the series is read up to five years either side of the period. "
        "Mesh: compatible.",
        mesh=MeshNote("differs", "reads its series at most five years either side of the period"),
    ),
    Function(
        "TS_EXPAND",
        (
            Overload(
                ("t", "s", "s"),
                "t",
                _expand,
                required=1,
                options={1: _curve_or_resolution, 2: _curve},
                window=_back_window,
            ),
        ),
        "Fill missing values (Mesh): with the previous real value, or interpolated when the "
        "series (or the argument 'LINEAR') is linear; @TS_EXPAND(t, 'HOUR' [, curve]) first "
        "takes the first value of each hour. Mesh: compatible.",
        mesh=AS_IN_MESH,
    ),
    Function(
        "ValuesFromYear",
        (Overload(("t", "d"), "t", _values_from_year, options={1: _year}, window=_year_window),),
        "The values of the given year placed on the same dates of the requested period: "
        "@ValuesFromYear(t, 2000) (Mesh; the year in the series' standard time). "
        "Mesh: compatible.",
        mesh=AS_IN_MESH,
    ),
)
