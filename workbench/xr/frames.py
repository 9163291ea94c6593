"""Beliefs Datasets as flat tables: long form (one row per belief) and wide form (one column per
sensor and quantile), the shapes files are written in.

Long form has the columns ``event_start``, ``belief_time``, ``source``,
``cumulative_probability``, ``value`` and ``flags``: every belief dimension, and exactly what
``Sensor.ingest`` reads back. Wide form has ``event_start`` and one column of values named after
the sensor's full name; a probabilistic sensor gets one column per quantile, named
``<full name>@<probability>`` (``Model/Demo/PlantA:power@0.1``).
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from workbench.beliefs.timing import check_timezone
from workbench.errors import InvalidValue
from workbench.xr.build import layout
from workbench.xr.convert import long_beliefs
from workbench.xr.viewpoints import most_recent

__all__ = [
    "LONG_COLUMNS",
    "QUANTILE_MARK",
    "quantile_column",
    "to_frame",
    "to_parquet",
    "wide_frame",
]

LONG_COLUMNS = (
    "event_start",
    "belief_time",
    "source",
    "cumulative_probability",
    "value",
    "flags",
)
#: Between a sensor's full name and a quantile in wide column names.
QUANTILE_MARK = "@"


def quantile_column(sensor: str, probability: float | None) -> str:
    """The wide column of a sensor (and quantile, for probabilistic sources).

    >>> quantile_column("Model/Demo/PlantA:power", 0.1)
    'Model/Demo/PlantA:power@0.1'
    """
    return sensor if probability is None else f"{sensor}{QUANTILE_MARK}{probability:g}"


def _times(times: NDArray[np.datetime64], zone: str, name: str) -> pd.Series:
    index = pd.DatetimeIndex(times.astype("datetime64[ns]"), name=name).tz_localize("UTC")
    return pd.Series(index.tz_convert(zone), name=name)


def to_frame(
    dataset: xr.Dataset, *, wide: bool = False, timezone: str | None = None
) -> pd.DataFrame:
    """The beliefs of a Dataset as a flat table, times timezone-aware in ``timezone``
    (default: UTC).

    Long form (default): one row per belief, sorted by event, source, probability and belief
    time. ``wide=True``: one row per event with the most recent belief per quantile (see
    :func:`wide_frame`).

    Examples
    --------
    >>> from workbench.xr import series_dataset
    >>> ds = series_dataset(
    ...     np.array(["2025-01-01T00:00"], "datetime64[ns]"), [5.0], source="meter", units="MW",
    ...     resolution="PT1H", belief_time=np.array(["2025-01-01T01:00"], "datetime64[ns]"),
    ...     sensor="Model/M:power")
    >>> to_frame(ds, timezone="Europe/Amsterdam")["event_start"].iloc[0].isoformat()
    '2025-01-01T01:00:00+01:00'
    >>> list(to_frame(ds, wide=True).columns)
    ['event_start', 'Model/M:power']
    """
    zone = check_timezone(timezone) if timezone is not None else "UTC"
    if wide:
        return wide_frame(dataset, timezone=zone)
    rows = long_beliefs(dataset)
    frame = pd.DataFrame(
        {
            "event_start": _times(rows.event_start, zone, "event_start"),
            "belief_time": _times(rows.belief_time, zone, "belief_time"),
            "source": pd.Series(
                np.asarray(rows.names, dtype=object)[np.asarray(rows.codes, dtype=np.intp)],
                dtype=object,
            ),
            "cumulative_probability": rows.cumulative_probability.astype(np.float64),
            "value": rows.value.astype(np.float64),
            "flags": rows.flags.astype(np.int64),
        }
    )
    order = np.lexsort(
        (
            frame["belief_time"].to_numpy(np.int64),
            frame["cumulative_probability"].to_numpy(),
            frame["source"].to_numpy(str),
            frame["event_start"].to_numpy(np.int64),
        )
    )
    frame = frame.iloc[order].reset_index(drop=True)
    frame.attrs = _attrs(dataset)
    return frame


def _attrs(dataset: xr.Dataset) -> dict[Hashable | None, Any]:
    attrs: dict[Hashable | None, Any] = {k: v for k, v in dataset.attrs.items() if k != "sorted"}
    attrs["units"] = dataset["value"].attrs.get("units", "")
    return attrs


def wide_frame(dataset: xr.Dataset, *, timezone: str = "UTC") -> pd.DataFrame:
    """One row per event and one column per quantile: the most recent belief of the Dataset's
    one source. Columns are named by the sensor's full name (``attrs["sensor"]``, else
    ``value``), with ``@<probability>`` when some probability is not 0.5."""
    recent = most_recent(dataset) if layout(dataset) == "beliefs" else dataset
    rows = long_beliefs(recent)
    name = str(dataset.attrs.get("sensor") or "value")
    used = np.unique(np.asarray(rows.codes, dtype=np.intp))
    if len(used) > 1:
        names = sorted(str(n) for n in np.asarray(rows.names)[used])
        raise InvalidValue(
            f"the beliefs of {name} come from several sources {names}; wide form holds one "
            "value per event and quantile: choose one source, or write the long form"
        )
    levels = np.unique(rows.cumulative_probability)
    quantiles = bool(np.any(levels != 0.5))
    table = pd.DataFrame(
        {
            "event_start": rows.event_start.astype("datetime64[ns]"),
            "p": rows.cumulative_probability,
            "value": rows.value,
        }
    ).pivot(index="event_start", columns="p", values="value")
    table.columns = [quantile_column(name, float(p) if quantiles else None) for p in table.columns]
    starts = _times(table.index.to_numpy(), timezone, "event_start")
    frame = table.reset_index(drop=True)
    frame.insert(0, "event_start", starts)
    frame.attrs = _attrs(dataset)
    return frame


def to_parquet(
    dataset: xr.Dataset,
    path: str | os.PathLike[str],
    *,
    wide: bool = False,
    timezone: str | None = None,
) -> int:
    """Write :func:`to_frame` to a Parquet file (needs pyarrow); returns the number of rows.

    Times are stored as timestamps with the zone; the Dataset's sensor attrs go into the file's
    metadata.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = to_frame(dataset, wide=wide, timezone=timezone)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = {f"workbench.{k}".encode(): str(v).encode() for k, v in frame.attrs.items()}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **meta})
    pq.write_table(table, os.fspath(path))
    return len(frame)
