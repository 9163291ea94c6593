"""Numerical kernels of the series functions: interval reductions, integrals, running sums.

Everything here is vectorised: interval reductions are ``np.add.reduceat`` style segment
reductions over positions found with one ``np.searchsorted`` of the interval boundaries;
gliding windows use cumulative sums. Missing values (NaN) are skipped: an interval with no
value gives NaN.

Examples
--------
>>> import numpy as np
>>> times = np.arange(48, dtype=np.int64) * HOUR_NS
>>> values = np.arange(48, dtype=np.float64)
>>> reduce_intervals(times, values, np.array([0, 24, 48]) * HOUR_NS, "AVG").tolist()
[11.5, 35.5]
"""

from __future__ import annotations

from typing import Literal, TypeAlias

import numpy as np

from workbench.calc.align import sample
from workbench.calc.values import HOUR_NS, FloatArray, IntArray, Series

__all__ = [
    "METHODS",
    "Method",
    "accumulate",
    "gliding",
    "integrate_intervals",
    "positions",
    "reduce_intervals",
]

Method: TypeAlias = Literal["AVG", "SUM", "MIN", "MAX", "FIRST", "LAST", "AVGI", "SUMI"]
METHODS: tuple[Method, ...] = ("AVG", "SUM", "MIN", "MAX", "FIRST", "LAST", "AVGI", "SUMI")

_UFUNCS = {"MIN": np.fmin, "MAX": np.fmax}


def positions(times: IntArray, bounds: IntArray, step: int = 0) -> IntArray:
    """``np.searchsorted(times, bounds)``, guessed in O(len(bounds)) for a regular series.

    With the series' nominal ``step`` the position of each bound is computed and then
    verified against its neighbours; only bounds where the guess is wrong are searched.
    """
    n = times.size
    if step <= 0 or n == 0:
        return np.searchsorted(times, bounds)
    aligned = _aligned(times, bounds, step)
    if aligned is not None:
        return aligned
    guess = np.clip(-(-(bounds - times[0]) // step), 0, n)
    at = times[np.minimum(guess, n - 1)]
    before = times[np.maximum(guess - 1, 0)]
    right = ((guess == n) | (at >= bounds)) & ((guess == 0) | (before < bounds))
    if not right.all():
        wrong = ~right
        guess[wrong] = np.searchsorted(times, bounds[wrong])
    return np.asarray(guess, dtype=np.int64)


def _aligned(times: IntArray, bounds: IntArray, step: int) -> IntArray | None:
    """The positions of bounds that fall on points of a regular series (the common case), or
    None. Bounds before the first point go to 0, after the last to ``len(times)``; for the
    others the position is guessed from ``step`` and holds when the point there is the bound
    itself (times are unique, so that is exactly where a search would put it)."""
    n = times.size
    lo = int(np.searchsorted(bounds, times[0]))
    hi = int(np.searchsorted(bounds, times[-1], side="right"))
    inner = bounds[lo:hi]
    guess = (inner - times[0]) // step
    if guess.size and (guess[-1] >= n or not np.array_equal(times[guess], inner)):
        return None
    out = np.empty(bounds.size, dtype=np.int64)
    out[:lo] = 0
    out[lo:hi] = guess
    out[hi:] = n
    return out


def reduce_intervals(
    times: IntArray, values: FloatArray, bounds: IntArray, method: Method, step: int = 0
) -> FloatArray:
    """Reduce the points of each interval [bounds[i], bounds[i + 1]) with ``method``.

    ``method`` is one of AVG, SUM, MIN, MAX, FIRST, LAST (points count equally, NaN skipped);
    ``step`` is the series' nominal resolution in ns, a hint that speeds up regular series.
    """
    found = positions(times, bounds, step)
    counts = np.diff(found)
    filled = counts > 0
    # Empty intervals before the first point and after the last are common (the period is
    # wider than the data); they are cut off rather than masked.
    i0 = int(np.argmax(filled))
    i1 = counts.size - int(np.argmax(filled[::-1]))
    if not filled[i0]:
        return np.full(counts.size, np.nan)
    inner = filled[i0:i1]
    dense = bool(inner.all())
    starts = found[i0:i1] if dense else found[i0:i1][inner]
    counts = counts[i0:i1] if dense else counts[i0:i1][inner]
    first = int(starts[0])
    segment = values[first : int(found[i1])]
    offsets = starts - first
    result = _reduce(segment, offsets, counts, method)
    if dense and i0 == 0 and i1 == found.size - 1:
        return result
    out = np.full(found.size - 1, np.nan)
    if dense:
        out[i0:i1] = result
    else:
        out[i0:i1][inner] = result
    return out


def _reduce(segment: FloatArray, offsets: IntArray, counts: IntArray, method: Method) -> FloatArray:
    """Reduce consecutive non-empty segments starting at ``offsets`` with ``counts`` points."""
    # Reduce as if nothing were missing; a NaN in a result shows that its segment held one
    # (sums and the NaN-propagating min/max keep them), and only then are segments redone.
    if method in {"SUM", "AVG"}:
        result = np.add.reduceat(segment, offsets)
        if method == "AVG":
            result /= counts
    elif method in {"MIN", "MAX"}:
        result = (np.minimum if method == "MIN" else np.maximum).reduceat(segment, offsets)
    else:
        result = segment[offsets if method == "FIRST" else offsets + counts - 1]
    if np.isnan(result).any():
        result = _reduce_missing(segment, offsets, offsets + counts, method)
    return np.asarray(result, dtype=np.float64)


def _reduce_missing(
    segment: FloatArray, starts: IntArray, ends: IntArray, method: Method
) -> FloatArray:
    """Like :func:`reduce_intervals` on non-empty segments that hold NaN, skipping the NaN."""
    valid = ~np.isnan(segment)
    counts = np.add.reduceat(valid.astype(np.int64), starts)
    if method in {"SUM", "AVG"}:
        sums = np.add.reduceat(np.where(valid, segment, 0.0), starts)
        with np.errstate(invalid="ignore", divide="ignore"):
            result = sums if method == "SUM" else sums / counts
    elif method in _UFUNCS:
        result = _UFUNCS[method].reduceat(segment, starts)
    else:
        kept = np.flatnonzero(valid)
        if method == "FIRST":
            pick = np.searchsorted(kept, starts)
        else:
            pick = np.searchsorted(kept, ends) - 1
        pick = np.clip(pick, 0, max(kept.size - 1, 0))
        result = segment[kept[pick]] if kept.size else np.full(starts.size, np.nan)
    return np.where(counts > 0, result, np.nan)


def integrate_intervals(
    series: Series, bounds: IntArray, horizon: int
) -> tuple[FloatArray, FloatArray]:
    """The time integral (value x hours) and the covered hours of ``series`` in each interval.

    A step point holds until the next point (a regular series for at most its resolution, the
    last point of an irregular one until ``horizon``); a linear series is integrated with the
    trapezoid rule between its points. Missing stretches add neither integral nor coverage.
    """
    lo, hi = int(bounds[0]), int(bounds[-1])
    inside = series.times[(series.times > lo) & (series.times < hi)]
    cuts = np.union1d(inside, bounds)
    if series.curve_type == "step" and series.step > 0:
        ends = series.times[(series.times + series.step > lo) & (series.times + series.step < hi)]
        cuts = np.union1d(cuts, ends + series.step)
    elif lo < horizon < hi:
        cuts = np.union1d(cuts, [horizon])
    left, right = cuts[:-1], cuts[1:]
    hours = (right - left) / HOUR_NS
    if series.curve_type == "linear":
        values = (sample(series, left) + sample(series, right)) / 2
    else:
        values = sample(series, left)
        if series.step == 0 and series.times.size:
            values = np.where(left >= max(horizon, int(series.times[-1])), np.nan, values)
    known = ~np.isnan(values)
    interval = np.searchsorted(bounds, left, side="right") - 1
    size = bounds.size - 1
    integral = np.bincount(interval[known], (values * hours)[known], minlength=size)
    covered = np.bincount(interval[known], hours[known], minlength=size)
    return (
        np.asarray(integral[:size], dtype=np.float64),
        np.asarray(covered[:size], dtype=np.float64),
    )


def accumulate(values: FloatArray, times: IntArray, resets: IntArray | None) -> FloatArray:
    """Running sum of ``values`` (NaN counts as 0), restarting at each time in ``resets``."""
    filled = np.where(np.isnan(values), 0.0, values)
    total = np.cumsum(filled)
    if resets is None or resets.size == 0 or total.size == 0:
        return total
    group_start = np.searchsorted(times, resets)
    group_start = group_start[(group_start > 0) & (group_start < total.size)]
    base = np.zeros(total.size)
    base[group_start] = total[group_start - 1]
    return total - _carry(base, group_start)


def _carry(base: FloatArray, starts: IntArray) -> FloatArray:
    """Spread each restart's offset over its group: ``out[i]`` = the offset of i's group."""
    marker = np.zeros(base.size, dtype=np.int64)
    marker[starts] = 1
    group = np.cumsum(marker)
    offsets = np.concatenate([[0.0], base[starts]])
    return offsets[group]


def gliding(
    times: IntArray, values: FloatArray, window: int | None, count: int | None, method: str
) -> FloatArray:
    """Trailing window average or sum at each point: over (t - window, t] or the last ``count``
    points. NaN are skipped; a window without values gives NaN."""
    valid = ~np.isnan(values)
    sums = np.concatenate([[0.0], np.cumsum(np.where(valid, values, 0.0))])
    counts = np.concatenate([[0], np.cumsum(valid)])
    end = np.arange(1, times.size + 1)
    if window is not None:
        start = np.searchsorted(times, times - window, side="right")
    else:
        start = np.clip(end - int(count or 1), 0, None)
    total = sums[end] - sums[start]
    n = counts[end] - counts[start]
    with np.errstate(invalid="ignore", divide="ignore"):
        result = total / n if method == "AVG" else total
    return np.where(n > 0, result, np.nan)


def spread(
    times: IntArray, values: FloatArray, ends: IntArray, fine: IntArray, how: str
) -> FloatArray:
    """Disaggregate: the value of each fine interval starting at ``fine`` from the coarse
    point [times[i], ends[i]) holding it. ``how`` ``"AVG"`` repeats the coarse value (the mean
    of the fine values equals it); ``"SUM"`` divides it by the number of fine intervals that
    start inside its coarse interval (their sum equals it, 23 or 25 on a DST day).

    >>> hour = HOUR_NS
    >>> spread(np.array([0]), np.array([48.0]), np.array([24 * hour]),
    ...        np.arange(0, 24 * hour, hour), "SUM")[:2].tolist()
    [2.0, 2.0]
    """
    index = np.searchsorted(times, fine, side="right") - 1
    safe = np.clip(index, 0, None)
    inside = (index >= 0) & (fine < ends[safe]) if times.size else np.zeros(fine.size, bool)
    out = np.full(fine.size, np.nan)
    if not inside.any():
        return out
    out[inside] = values[safe[inside]]
    if how == "SUM":
        counts = np.bincount(safe[inside], minlength=times.size)
        out[inside] /= counts[safe[inside]]
    return out


def functional(series: Series, at: IntArray, *, before: bool = False) -> FloatArray:
    """The value a break point series holds at each of ``at`` (or just before it, for the
    end of an interval): its step value, or the linear interpolation between its points."""
    if not before or series.curve_type == "linear":
        return sample(series, at)
    return sample(series, at - 1)
