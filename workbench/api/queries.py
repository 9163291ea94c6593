"""Querying beliefs: filters, the read of one sensor (pinned and recorded), several side by side.

Every read goes through :func:`read`, which applies the workspace's pinned belief time (see
:mod:`workbench.api.provenance`) and records what it returned when the workspace keeps
provenance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from workbench.access import Action
from workbench.api.sensors import Sensor, SensorInfo, TimeLike, get_sensor, load_sensor
from workbench.api.sources import SourceRef, source_ids_for, source_labels
from workbench.beliefs import belief_horizon, parse_duration
from workbench.beliefs.timing import aware_instant
from workbench.errors import InvalidValue
from workbench.store import beliefs as store
from workbench.xr import beliefs_dataset, series_dataset

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.api.workspace import Workspace
    from workbench.beliefs.timing import Duration

__all__ = ["Filters", "beliefs", "filters", "instant", "read"]


def _nano(micro: NDArray[np.int64]) -> NDArray[np.datetime64]:
    return (micro * 1000).view("datetime64[ns]")


def _describe(query: store.BeliefQuery, f: Filters) -> str:
    words = ["most-recent" if query.most_recent else "all"]
    for name in ("start", "end", "after", "before"):
        value = getattr(query, name)
        if value is not None:
            words.append(f"{name}={pd.Timestamp(value, unit='us', tz='UTC').isoformat()}")
    if f.at_least is not None:
        words.append(f"horizon>={f.at_least}")
    if f.at_most is not None:
        words.append(f"horizon<={f.at_most}")
    if query.sources is not None:
        words.append(f"sources={sorted(int(i) for i in query.sources)}")
    return " ".join(words)


def instant(value: TimeLike | None, what: str) -> int | None:
    """A timezone-aware time as µs since the epoch; naive times are refused."""
    return None if value is None else int(aware_instant(value, what).value) // 1000


@dataclass(frozen=True)
class Filters:
    query: store.BeliefQuery
    at_least: pd.Timedelta | None
    at_most: pd.Timedelta | None
    sources: Any
    source_types: Any
    probabilistic: bool


def filters(
    start: TimeLike | None,
    end: TimeLike | None,
    as_of: TimeLike | None,
    beliefs_after: TimeLike | None,
    beliefs_before: TimeLike | None,
    horizon_at_least: Duration | None,
    horizon_at_most: Duration | None,
    sources: Any,
    source_types: Any,
    most_recent: bool,
    probabilistic: bool,
) -> Filters:
    t0, t1 = instant(start, "start"), instant(end, "end")
    if t0 is not None and t1 is not None and t1 <= t0:
        raise InvalidValue(f"end {end!r} must come after start {start!r}")
    cutoffs = [
        c
        for c in (instant(as_of, "as_of"), instant(beliefs_before, "beliefs_before"))
        if c is not None
    ]
    query = store.BeliefQuery(
        start=t0,
        end=t1,
        after=instant(beliefs_after, "beliefs_after"),
        before=min(cutoffs) if cutoffs else None,
        probability=None if probabilistic else 0.5,
        most_recent=bool(most_recent),
    )
    least = (
        None if horizon_at_least is None else parse_duration(horizon_at_least, "horizon_at_least")
    )
    most = None if horizon_at_most is None else parse_duration(horizon_at_most, "horizon_at_most")
    return Filters(query, least, most, sources, source_types, bool(probabilistic))


def _horizon_filter(
    info: SensorInfo, f: Filters
) -> Callable[[store.BeliefArrays], NDArray[np.bool_]] | None:
    if f.at_least is None and f.at_most is None:
        return None

    def keep(arrays: store.BeliefArrays) -> NDArray[np.bool_]:
        horizon = belief_horizon(
            _nano(arrays["event_start"]),
            _nano(arrays["belief_time"]),
            info.knowledge_time,
            info.resolution,
            info.timezone,
        )
        ok = np.ones(len(horizon), dtype=bool)
        if f.at_least is not None:
            ok &= horizon >= f.at_least.to_timedelta64()
        if f.at_most is not None:
            ok &= horizon <= f.at_most.to_timedelta64()
        return ok

    return keep


def read(ws: Workspace, s: Session, info: SensorInfo, f: Filters) -> xr.Dataset:
    """Read one sensor's beliefs under ``f``, capped by the workspace's pin and recorded."""
    query = replace(
        f.query,
        sources=source_ids_for(ws, s, f.sources, f.source_types),
        before=ws._cutoff(f.query.before),
    )
    arrays = store.select_beliefs(s, info.id, query, _horizon_filter(info, f))
    ws._record(f"beliefs of {info.full_name} {_describe(query, f)}", arrays, query.before)
    labels = source_labels(s, arrays["source_id"])
    codes, ids = pd.factorize(arrays["source_id"])
    source = pd.Categorical.from_codes(codes, categories=pd.Index([labels[int(i)] for i in ids]))
    common = {
        "source": source,
        "cumulative_probability": arrays["cumulative_probability"],
        "flags": arrays["flags"].astype(np.uint32),
        **info.meta(),
    }
    starts, times = _nano(arrays["event_start"]), _nano(arrays["belief_time"])
    if query.most_recent:
        return series_dataset(
            starts, arrays["value"], belief_time=times, probabilistic=f.probabilistic, **common
        )
    return beliefs_dataset(starts, times, arrays["value"], **common)


def _names(infos: Sequence[SensorInfo]) -> list[str]:
    full = [i.full_name for i in infos]
    if len(set(full)) < len(full):
        twice = sorted({n for n in full if full.count(n) > 1})
        raise InvalidValue(f"sensors {twice} are asked for more than once")
    short = [i.name for i in infos]
    return [i.name if short.count(i.name) == 1 else i.full_name for i in infos]


def _side_by_side(sets: Mapping[str, xr.Dataset]) -> xr.Dataset:
    columns = []
    for name, ds in sets.items():
        column = ds["value"].rename(name)
        column.attrs = {**ds.attrs, **ds["value"].attrs}
        columns.append(column)
    return xr.merge(columns, join="outer", combine_attrs="drop_conflicts", compat="no_conflicts")


def beliefs(
    ws: Workspace,
    sensors: Sequence[Sensor | int | str],
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    *,
    as_of: TimeLike | None = None,
    beliefs_after: TimeLike | None = None,
    beliefs_before: TimeLike | None = None,
    horizon_at_least: Duration | None = None,
    horizon_at_most: Duration | None = None,
    sources: Sequence[SourceRef] | SourceRef | None = None,
    source_types: Sequence[str] | str | None = None,
    most_recent: bool = False,
    probabilistic: bool = True,
) -> xr.Dataset | dict[str, xr.Dataset]:
    """Several sensors' beliefs side by side, read in one transaction.

    The filters are those of :meth:`Sensor.beliefs`. Each sensor is named by its name, or by
    its full name when several of the sensors share a name.

    Returns
    -------
    xr.Dataset or dict
        With ``most_recent``: one Dataset with one variable per sensor (its values, with the
        sensor's attrs and units) on the union of their ``event_start`` and ``source``
        coordinates (NaN where a sensor has no belief). Otherwise the beliefs layouts cannot
        share a ``belief`` dimension: a dict of one beliefs Dataset per sensor, in the order
        given.
    """
    f = filters(
        start,
        end,
        as_of,
        beliefs_after,
        beliefs_before,
        horizon_at_least,
        horizon_at_most,
        sources,
        source_types,
        most_recent,
        probabilistic,
    )
    with ws._tx() as s:
        infos = [
            load_sensor(ws, s, k.id, Action.READ)
            if isinstance(k, Sensor)
            else get_sensor(ws, k).info
            for k in sensors
        ]
        sets = {name: read(ws, s, info, f) for name, info in zip(_names(infos), infos, strict=True)}
    return _side_by_side(sets) if f.query.most_recent else sets
