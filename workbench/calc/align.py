"""Aligning series of different timestamps and applying element-wise operations across kinds.

Arithmetic on series of different timestamps works on the union of their timestamps: a step
series holds each value until its next point (a regular one for at most its resolution, so a
missing point stays missing), a linear series is interpolated between its points and is missing
beyond them. The result keeps the first operand's timezone, takes the finer resolution, and is
linear when any operand is. Series with the very same timestamps (the common case) are combined
without any of that.

Examples
--------
>>> import numpy as np
>>> hourly = Series(np.array([0, 3600, 7200]) * 10**9, np.array([1.0, 2.0, 3.0]),
...                 resolution="PT1H")
>>> half = Series(np.array([0, 1800]) * 10**9, np.array([10.0, 20.0]), resolution="PT30M")
>>> times, (a, b), meta = align([hourly, half])
>>> a.tolist(), b.tolist(), meta.resolution
([1.0, 1.0, 2.0, 3.0], [10.0, 20.0, nan, nan], 'PT30M')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np

from workbench.calc.values import FloatArray, IntArray, Series, Value, same_times

__all__ = ["align", "apply", "map_values", "sample"]


def sample(series: Series, times: IntArray) -> FloatArray:
    """The value of ``series`` at each of ``times`` by its curve type (NaN where it has none)."""
    if same_times(series.times, times):
        return series.values
    if series.times.size == 0:
        return np.full(times.size, np.nan)
    index = np.searchsorted(series.times, times, side="right") - 1
    safe = np.clip(index, 0, None)
    exact = (index >= 0) & (series.times[safe] == times)
    if series.curve_type == "linear":
        with np.errstate(invalid="ignore"):
            out = np.interp(times, series.times, series.values, left=np.nan, right=np.nan)
        out[exact] = series.values[safe[exact]]
        return out
    out = series.values[safe].astype(np.float64, copy=True)
    held = index >= 0
    if series.step > 0:
        held &= times - series.times[safe] < series.step
    out[~held] = np.nan
    return out


def align(series: Sequence[Series]) -> tuple[IntArray, list[FloatArray], Series]:
    """Sample every series on the union of their timestamps.

    Returns the union, the values of each series on it, and a value-less :class:`Series`
    carrying the result's timezone, resolution and curve type.
    """
    first = series[0]
    finest: Series | None = None
    linear = False
    shared = True  # all on the first one's times array: nothing to compare
    for member in series:
        step = member.step
        if step > 0 and (finest is None or step < finest.step):
            finest = member
        linear = linear or member.curve_type == "linear"
        shared = shared and member.times is first.times
    meta = Series(
        first.times[:0],
        first.values[:0],
        timezone=first.timezone,
        resolution="PT0S" if finest is None else finest.resolution,
        curve_type="linear" if linear else "step",
    )
    if shared or all(same_times(first.times, s.times) for s in series[1:]):
        return first.times, [s.values for s in series], meta
    union = first.times
    for other in series[1:]:
        if not same_times(union, other.times):
            union = np.union1d(union, other.times)
    return union, [sample(s, union) for s in series], meta


def apply(
    function: Callable[..., Any],
    args: Sequence[Any],
    kinds: Sequence[str],
) -> Value:
    """Apply a numpy function element-wise across numbers, series and collections of them.

    Numbers pass as floats, series as their aligned value arrays; a collection (``D`` or
    ``T``) maps the operation over its members, broadcasting single values and requiring
    collections of equal length.
    """
    sizes = {len(a) for a, k in zip(args, kinds, strict=True) if k in "DT"}
    if sizes:
        if len(sizes) > 1:
            raise ValueError(f"collections of different lengths {sorted(sizes)} cannot be combined")
        (size,) = sizes
        members = [
            [a[i] for i in range(size)] if k in "DT" else [a] * size
            for a, k in zip(args, kinds, strict=True)
        ]
        scalar = [k.lower() if k in "DT" else k for k in kinds]
        results = [apply(function, list(row), scalar) for row in zip(*members, strict=True)]
        if any(isinstance(r, Series) for r in results):
            return tuple(cast(Series, r) for r in results)
        return np.asarray(results, dtype=np.float64)
    series = [a for a, k in zip(args, kinds, strict=True) if k == "t"]
    if not series:
        return float(function(*args))
    times, values, meta = align(series)
    it = iter(values)
    inputs = [next(it) if k == "t" else a for a, k in zip(args, kinds, strict=True)]
    with np.errstate(all="ignore"):
        out = np.asarray(function(*inputs), dtype=np.float64)
    if out.ndim == 0:
        out = np.full(times.size, float(out))
    return Series(times, out, meta.timezone, meta.resolution, meta.curve_type)


def map_values(value: Any, kind: str, function: Callable[[Any], Any]) -> Value:
    """Apply ``function`` to the magnitudes of a number, series or collection, keeping its shape.

    Series keep their flags: a unit conversion or a sign does not change a point's quality.
    """
    if kind == "d":
        return float(function(value))
    if kind == "D":
        return np.asarray(function(np.asarray(value, dtype=np.float64)), dtype=np.float64)
    if kind == "t":
        return cast(Series, value).with_values(
            np.asarray(function(value.values), dtype=np.float64), keep_flags=True
        )
    if kind == "T":
        return tuple(cast(Series, map_values(member, "t", function)) for member in value)
    return cast(Value, value)
