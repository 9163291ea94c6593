"""Beliefs of sensors: reads under a belief filter (pinned and recorded), and ingests.

Every read goes through :func:`read`, which applies the context's pinned belief time (see
:mod:`workbench.api.provenance`) and records what it returned when the context keeps
provenance. An ingest is one transaction: on any error nothing of it is stored.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from workbench.access import Action
from workbench.api.services.sensors import load_sensor
from workbench.api.services.sources import (
    belief_source_ids,
    source_ids_for,
    source_labels,
)
from workbench.beliefs import NanPolicy, PreparedBeliefs, prepare_beliefs
from workbench.beliefs.sources import Source, check_source_type
from workbench.errors import InvalidValue
from workbench.paths import escape_controls
from workbench.store import beliefs as store
from workbench.xr import beliefs_dataset, series_dataset

if TYPE_CHECKING:
    from workbench.api.context import Context
    from workbench.beliefs.filters import BeliefFilter, TimeLike
    from workbench.beliefs.sensor import SensorInfo
    from workbench.beliefs.timing import Duration

__all__ = [
    "IngestData",
    "ingest",
    "read",
    "read_several",
    "sensor_beliefs",
    "store_query",
]

#: What ``ingest`` takes: pandas or xarray objects, or the path of a CSV file.
IngestData: TypeAlias = (
    "pd.Series[Any] | pd.DataFrame | xr.DataArray | xr.Dataset | str | os.PathLike[str]"
)


def _micro(times: NDArray[np.datetime64]) -> NDArray[np.int64]:
    return times.astype("datetime64[ns]").view(np.int64) // 1000


def _nano(micro: NDArray[np.int64]) -> NDArray[np.datetime64]:
    return (micro * 1000).view("datetime64[ns]")


# -- reading --------------------------------------------------------------------------------


def _us(stamp: pd.Timestamp | None) -> int | None:
    return None if stamp is None else int(stamp.value) // 1000


def store_query(
    ctx: Context, f: BeliefFilter, sources: list[int] | None = None
) -> store.BeliefQuery:
    """The store's query of a belief filter: times in µs, the belief-time cut-off lowered to the
    context's pin, ``sources`` the ids of the sources the filter names (None: any)."""
    return store.BeliefQuery(
        start=_us(f.start),
        end=_us(f.end),
        after=_us(f.beliefs_after),
        before=ctx.cutoff(_us(f.cutoff)),
        sources=sources,
        probability=None if f.probabilistic else 0.5,
        most_recent=f.most_recent,
    )


def _describe(query: store.BeliefQuery, f: BeliefFilter) -> str:
    words = ["most-recent" if query.most_recent else "all"]
    for name in ("start", "end", "after", "before"):
        value = getattr(query, name)
        if value is not None:
            words.append(f"{name}={pd.Timestamp(value, unit='us', tz='UTC').isoformat()}")
    if f.horizon_at_least is not None:
        words.append(f"horizon>={f.horizon_at_least}")
    if f.horizon_at_most is not None:
        words.append(f"horizon<={f.horizon_at_most}")
    if query.sources is not None:
        words.append(f"sources={sorted(int(i) for i in query.sources)}")
    return " ".join(words)


def _by_horizon(
    info: SensorInfo, f: BeliefFilter
) -> Callable[[store.BeliefArrays], NDArray[np.bool_]] | None:
    if not f.by_horizon:
        return None

    def keep(arrays: store.BeliefArrays) -> NDArray[np.bool_]:
        starts, times = _nano(arrays["event_start"]), _nano(arrays["belief_time"])
        return f.horizon_mask(starts, times, info)

    return keep


def read(ctx: Context, info: SensorInfo, f: BeliefFilter) -> xr.Dataset:
    """One sensor's beliefs under ``f``, capped by the context's pin and recorded.

    The caller has checked that the user may read the sensor.
    """
    with ctx.tx(read=True) as s:
        query = store_query(ctx, f, source_ids_for(ctx, f.sources, f.source_types))
        arrays = store.select_beliefs(s, info.id, query, _by_horizon(info, f))
        ctx.record(f"beliefs of {info.full_name} {_describe(query, f)}", arrays, query.before)
        labels = source_labels(ctx, arrays["source_id"])
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


def sensor_beliefs(ctx: Context, sensor_id: int, f: BeliefFilter) -> xr.Dataset:
    """A sensor's beliefs under ``f`` (takes read access); see :meth:`workbench.Sensor.beliefs`."""
    with ctx.tx(read=True):
        return read(ctx, load_sensor(ctx, sensor_id, Action.READ), f)


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


def read_several(
    ctx: Context, infos: Sequence[SensorInfo], f: BeliefFilter
) -> xr.Dataset | dict[str, xr.Dataset]:
    """Several sensors' beliefs under ``f``, read in one transaction; see
    :meth:`workbench.Workspace.beliefs`. The caller has checked that the user may read them."""
    with ctx.tx(read=True):
        sets = {name: read(ctx, info, f) for name, info in zip(_names(infos), infos, strict=True)}
    return _side_by_side(sets) if f.most_recent else sets


# -- ingesting ------------------------------------------------------------------------------


def ingest(
    ctx: Context,
    sensor_id: int,
    data: IngestData,
    *,
    source: Source | str | None,
    source_type: str,
    unit: str | None,
    timezone: str | None,
    belief_time: TimeLike | None,
    horizon: Duration | None,
    resolution: Duration | None,
    nan: NanPolicy,
    skip_unchanged: bool,
    progress: bool,
) -> int:
    """Store beliefs about a sensor's events; see :meth:`workbench.Sensor.ingest`."""
    check_source_type(source_type)
    with ctx.tx() as s:
        info = load_sensor(ctx, sensor_id, Action.CREATE)
        if isinstance(data, str | os.PathLike):
            data = _read_csv(data)
        prepared = prepare_beliefs(
            data,
            sensor_unit=info.unit,
            sensor_resolution=info.resolution,
            sensor_timezone=info.timezone,
            unit=unit,
            timezone=timezone,
            source=source.name if isinstance(source, Source) else source,
            belief_time=belief_time,
            horizon=horizon,
            rule=info.knowledge_time,
            nan=nan,
            resolution=resolution,
        )
        ids = belief_source_ids(ctx, prepared.source, source, source_type, len(prepared))
        arrays = _store_arrays(prepared, ids)
        if skip_unchanged:
            arrays = store.drop_unchanged(s, info.id, arrays)
        with _progress(progress, len(arrays["event_start"]), info.full_name) as bar:
            return store.write_beliefs(s, info.id, arrays, progress=bar)


def _read_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype={"source": str})
    except (OSError, ValueError) as exc:
        raise InvalidValue(f"cannot read the CSV file {os.fspath(path)!r}: {exc}") from None


def _store_arrays(prepared: PreparedBeliefs, source_ids: NDArray[np.int64]) -> store.BeliefArrays:
    return {
        "event_start": _micro(prepared.event_start),
        "source_id": source_ids,
        "cumulative_probability": prepared.cumulative_probability,
        "belief_time": _micro(prepared.belief_time),
        "value": prepared.value,
        "flags": prepared.flags.astype(np.int64),
    }


@contextmanager
def _progress(enabled: bool, total: int, label: str) -> Iterator[Callable[[int], object] | None]:
    if not enabled:
        yield None
        return
    from tqdm import tqdm

    # The label holds a sensor's name: names stored before control characters were refused
    # must not drive the terminal either.
    desc = escape_controls(label)
    with tqdm(total=total, unit="beliefs", unit_scale=True, desc=desc) as bar:
        yield bar.update
