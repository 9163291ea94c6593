"""Series for calculations: many sensors' beliefs read at once, one value per event, stitched.

A calculation wants one value per event. Of the beliefs about an event, a series takes the
deterministic (median, ``cumulative_probability`` 0.5) ones and of those the most recent; when
several sources are equally recent, the source with the lowest id. Every read is capped by the
context's pinned belief time and recorded for provenance (see :mod:`workbench.api.provenance`).

Series are handed to the evaluator as its own :class:`~workbench.calc.values.Series` (no
DataArray per series); series of one batch that have the same event starts share one array of
times (a :class:`~workbench.calc.values.TimesPool`), so the evaluator lines them up without
comparing times. A member reached through a versioned link is stitched from the series of the
targets valid in each period (:func:`stitch`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from workbench.api.services.calc.paths import ALWAYS, NEVER_ENDS, Intervals
from workbench.beliefs import belief_horizon
from workbench.calc.protocol import Viewpoint
from workbench.calc.quantities import converter, unit_of
from workbench.calc.values import Series, TimesPool
from workbench.store import series as store
from workbench.store.beliefs import BeliefArrays, group_last, take

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.api.context import Context
    from workbench.beliefs.sensor import SensorInfo

__all__ = ["converted", "empty_series", "one_per_event", "read_sensors", "stitch"]


def _us(ns: int, up: bool = False) -> int:
    return -(-ns // 1000) if up else ns // 1000


def _horizon_mask(
    arrays: BeliefArrays, metas: Mapping[int, SensorInfo], at_least: pd.Timedelta
) -> npt.NDArray[np.bool_]:
    keep = np.zeros(len(arrays["sensor_id"]), dtype=bool)
    for sensor_id in np.unique(arrays["sensor_id"]):
        rows = np.flatnonzero(arrays["sensor_id"] == sensor_id)
        meta = metas[int(sensor_id)]
        horizon = belief_horizon(
            (arrays["event_start"][rows] * 1000).view("datetime64[ns]"),
            (arrays["belief_time"][rows] * 1000).view("datetime64[ns]"),
            meta.knowledge_time,
            meta.resolution,
            meta.timezone,
        )
        keep[rows] = horizon >= at_least.to_timedelta64()
    return keep


def _last_per_source(arrays: BeliefArrays) -> BeliefArrays:
    """The last (newest) row of each (sensor, event, source) run of rows sorted by belief time."""
    return take(arrays, group_last(arrays, ("sensor_id", "event_start", "source_id")))


def one_per_event(arrays: BeliefArrays) -> BeliefArrays:
    """Of rows sorted by sensor, event and source: per sensor and event the newest belief
    (the lowest source id among equally new ones)."""
    sensor, event = arrays["sensor_id"], arrays["event_start"]
    if sensor.size < 2 or not np.any((sensor[1:] == sensor[:-1]) & (event[1:] == event[:-1])):
        return arrays
    order = np.lexsort((arrays["source_id"], -arrays["belief_time"], event, sensor))
    ordered = take(arrays, order)
    s, e = ordered["sensor_id"], ordered["event_start"]
    first = np.ones(s.size, dtype=bool)
    first[1:] = (s[1:] != s[:-1]) | (e[1:] != e[:-1])
    return take(ordered, np.flatnonzero(first))


def _fetch(
    ctx: Context,
    s: Session,
    metas: Mapping[int, SensorInfo],
    start: int,
    end: int,
    viewpoint: Viewpoint,
) -> tuple[BeliefArrays, int | None]:
    ids = sorted(metas)
    after = None if viewpoint.issued_after is None else _us(int(viewpoint.issued_after.value))
    asked = None if viewpoint.as_of is None else _us(int(viewpoint.as_of.value))
    before = ctx.cutoff(asked)
    t0, t1 = _us(start), _us(end, up=True)
    irregular = [i for i in ids if metas[i].irregular_step]
    extra = store.starts_before(s, irregular, t0, after, before) if irregular else []
    if viewpoint.horizon is None and after is None:
        if before is None:
            return store.read_latest_many(s, ids, t0, t1, extra), before
        return store.read_as_of_many(s, ids, t0, t1, before, extra), before
    arrays = store.read_all_many(s, ids, t0, t1, after, before, extra)
    if viewpoint.horizon is not None:
        arrays = take(arrays, np.flatnonzero(_horizon_mask(arrays, metas, viewpoint.horizon)))
    return _last_per_source(arrays), before


def _describe(metas: Mapping[int, SensorInfo], start: int, end: int, viewpoint: Viewpoint) -> str:
    names = [f"{m.name} (id {m.id})" for m in list(metas.values())[:5]]
    more = f" and {len(metas) - 5} more" if len(metas) > 5 else ""
    words = [
        f"series of sensors {', '.join(names)}{more}",
        f"start={pd.Timestamp(start, tz='UTC').isoformat()}",
        f"end={pd.Timestamp(end, tz='UTC').isoformat()}",
    ]
    if viewpoint.issued_after is not None:
        words.append(f"after={viewpoint.issued_after.isoformat()}")
    if viewpoint.horizon is not None:
        words.append(f"horizon>={viewpoint.horizon.isoformat()}")
    return " ".join(words)


def read_sensors(
    ctx: Context,
    s: Session,
    metas: Mapping[int, SensorInfo],
    start: int,
    end: int,
    viewpoint: Viewpoint,
    pool: TimesPool,
) -> dict[int, Series]:
    """Each sensor's series over [start, end) (naive UTC ns) seen from ``viewpoint``, in its
    own unit, read in one statement (a few for irregular step series, which also get their
    point before start)."""
    if not metas:
        return {}
    arrays, cutoff = _fetch(ctx, s, metas, start, end, viewpoint)
    ctx.record(_describe(metas, start, end, viewpoint), arrays, cutoff)
    arrays = one_per_event(arrays)
    ids = np.asarray(sorted(metas), dtype=np.int64)
    bounds = np.searchsorted(arrays["sensor_id"], ids)
    ends = np.searchsorted(arrays["sensor_id"], ids, side="right")
    flags = arrays["flags"].astype(np.uint32)
    out = {}
    for sensor_id, lo, hi in zip(ids.tolist(), bounds, ends, strict=True):
        meta = metas[sensor_id]
        out[sensor_id] = Series(
            pool.share(arrays["event_start"][lo:hi] * 1000),
            arrays["value"][lo:hi],
            timezone=meta.timezone,
            resolution=meta.iso_resolution,
            curve_type="linear" if meta.curve_type == "linear" else "step",
            flags=flags[lo:hi],
        )
    return out


def converted(series: Series, source: str, target: str) -> Series:
    """``series`` (in ``source``) in the unit ``target`` (itself when they are the same)."""
    convert = converter(unit_of(source), unit_of(target))
    return (
        series if convert is None else series.with_values(convert(series.values), keep_flags=True)
    )


def _piece(series: Series, lo: int, hi: int, follows: bool) -> Series:
    """The points of ``series`` in [lo, hi); an irregular step series also holds its value from
    ``lo`` and, unless another piece ``follows``, ends with a missing point at ``hi``."""
    times, values = series.times, series.values
    flags = series.flags if series.flags is not None else np.zeros(times.size, dtype=np.uint32)
    a, b = (int(i) for i in np.searchsorted(times, [lo, hi]))
    t, v, f = times[a:b], values[a:b], flags[a:b]
    if series.step == 0 and series.curve_type == "step":
        if a > 0 and (a == times.size or times[a] != lo):
            t = np.concatenate([[lo], t])  # the value held into the interval
            v, f = np.concatenate([[values[a - 1]], v]), np.concatenate([[flags[a - 1]], f])
        if not follows and hi < NEVER_ENDS:
            t, v, f = np.append(t, hi), np.append(v, np.nan), np.append(f, np.uint32(0))
    return replace(series, times=t, values=v, flags=f)


def stitch(pieces: Sequence[tuple[Series, Intervals | None]]) -> Series:
    """One series from pieces (in one unit) each valid in some intervals: the points of each
    piece in its intervals. An irregular step piece holds its value from the interval's start
    and stops (a missing point) at its end unless another piece takes over there."""
    if len(pieces) == 1 and pieces[0][1] is None:
        return pieces[0][0]
    spans = sorted(
        ((lo, hi, series) for series, validity in pieces for lo, hi in (validity or ALWAYS)),
        key=lambda span: span[0],
    )
    starts = {lo for lo, _, _ in spans}
    parts = [_piece(series, lo, hi, hi in starts) for lo, hi, series in spans]
    times = np.concatenate([p.times for p in parts])
    order = np.argsort(times, kind="stable")
    keep = np.ones(times.size, dtype=bool)
    keep[1:] = times[order][1:] != times[order][:-1]
    take_ = order[keep]
    flags = np.concatenate([p.flags for p in parts if p.flags is not None]).astype(np.uint32)
    return replace(
        parts[0],
        times=times[take_],
        values=np.concatenate([p.values for p in parts])[take_],
        flags=flags[take_],
    )


def empty_series() -> Series:
    """A series without points."""
    return Series(np.zeros(0, dtype=np.int64), np.zeros(0))
