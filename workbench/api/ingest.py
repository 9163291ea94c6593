"""Ingesting beliefs into a sensor: read, prepare (units, resolution, knowledge times), write.

The whole ingest is one transaction: on any error nothing of it is stored.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from workbench.access import Action
from workbench.api.sensors import IngestData, Sensor, TimeLike, load_sensor
from workbench.api.sources import Source, belief_source_ids, check_source_type
from workbench.beliefs import NanPolicy, PreparedBeliefs, prepare_beliefs
from workbench.errors import InvalidValue
from workbench.paths import escape_controls
from workbench.store import beliefs as store

if TYPE_CHECKING:
    from workbench.beliefs.timing import Duration

__all__ = ["ingest"]


def ingest(
    sensor: Sensor,
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
    """See :meth:`workbench.api.sensors.Sensor.ingest`."""
    check_source_type(source_type)
    ws = sensor.ws
    with ws._tx() as s:
        info = load_sensor(ws, s, sensor.id, Action.CREATE)
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
        ids = belief_source_ids(ws, s, prepared.source, source, source_type, len(prepared))
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


def _micro(times: NDArray[np.datetime64]) -> NDArray[np.int64]:
    return times.astype("datetime64[ns]").view(np.int64) // 1000


def _nano(micro: NDArray[np.int64]) -> NDArray[np.datetime64]:
    return (micro * 1000).view("datetime64[ns]")


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
