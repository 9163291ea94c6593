"""Building the two beliefs Dataset layouts from numpy arrays, and reading their parts back.

Layout "beliefs": one dimension ``belief``, rows sorted by (event_start, source,
cumulative_probability, belief_time), ``attrs["sorted"] = 1``; sources are a categorical
coordinate (small integer codes, read as names). Layout "series": dimensions ``event_start`` and
``source`` (and ``cumulative_probability`` when probabilistic), one belief per cell.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeAlias, cast

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from workbench.beliefs import ExPost, KnowledgeTimeRule, parse_resolution, parse_rule, rule_to_json
from workbench.beliefs.resampling import sort_order
from workbench.beliefs.sensor import CurveType, SensorInfo
from workbench.beliefs.timing import Duration, as_ns
from workbench.errors import InvalidValue
from workbench.units import format_unit

__all__ = [
    "CurveType",
    "Layout",
    "beliefs_dataset",
    "dataset_attrs",
    "described_sensor",
    "layout",
    "sensor_of",
    "series_dataset",
    "source_codes",
]

Layout: TypeAlias = Literal["beliefs", "series"]
SourceLike: TypeAlias = str | ArrayLike | pd.Categorical


def dataset_attrs(sensor: SensorInfo) -> dict[str, Any]:
    """The Dataset attrs a sensor gives (its unit goes on ``value`` as ``units``)."""
    return {
        "sensor": sensor.full_name,
        "sensor_id": int(sensor.id),
        "timezone": sensor.timezone,
        "resolution": sensor.resolution.isoformat(),
        "knowledge_time": rule_to_json(sensor.knowledge_time),
        "curve_type": sensor.curve_type,
    }


def described_sensor(
    *,
    units: str,
    resolution: Duration,
    timezone: str = "UTC",
    sensor: str = "",
    sensor_id: int = 0,
    knowledge_time: KnowledgeTimeRule | Mapping[str, Any] | str = "ex_post",
    curve_type: str = "step",
) -> SensorInfo:
    """The sensor a Dataset describes, from the builders' keyword arguments (checked: the unit
    formatted, the resolution and rule parsed); ``sensor`` is its full name."""
    unit = format_unit(units)
    parsed = parse_resolution(resolution)
    rule = parse_rule(knowledge_time)
    object_name, _, name = sensor.rpartition(":")
    return SensorInfo(
        id=int(sensor_id),
        name=name,
        object_full_name=object_name,
        unit=unit,
        resolution=parsed,
        knowledge_time=rule,
        timezone=timezone,
        curve_type=cast(CurveType, curve_type),  # checked with the record
    )


def sensor_of(dataset: xr.Dataset | xr.DataArray) -> SensorInfo:
    """The sensor a Dataset (or a series DataArray) describes, read back from its attrs."""
    attrs = dataset.attrs
    units = dataset["value"].attrs.get("units") if isinstance(dataset, xr.Dataset) else None
    missing = [name for name in ("resolution", "timezone") if name not in attrs]
    if missing:
        raise InvalidValue(
            f"the Dataset lacks attrs {missing}; build it with beliefs_dataset() or "
            "series_dataset(), or set them (e.g. resolution='PT15M', timezone='UTC')"
        )
    return described_sensor(
        units=units if units is not None else attrs.get("units", ""),
        resolution=attrs["resolution"],
        timezone=attrs["timezone"],
        sensor=attrs.get("sensor", ""),
        sensor_id=attrs.get("sensor_id", 0),
        knowledge_time=attrs.get("knowledge_time", ExPost()),
        curve_type=attrs.get("curve_type", "step"),
    )


def layout(dataset: xr.Dataset) -> Layout:
    """Tell which layout a Dataset has, or raise InvalidValue."""
    if "belief" in dataset.dims:
        return "beliefs"
    if "event_start" in dataset.dims:
        return "series"
    raise InvalidValue(
        f"not a beliefs Dataset: expected a 'belief' or 'event_start' dimension, got "
        f"{list(dataset.dims)}"
    )


def source_codes(dataset: xr.Dataset) -> tuple[NDArray[np.integer[Any]], NDArray[np.object_]]:
    """Return the beliefs' source codes and the names they index (names sorted)."""
    data = dataset["source"].data
    if isinstance(data, pd.Categorical) and data.categories.is_monotonic_increasing:
        return data.codes, np.asarray(data.categories, dtype=object)
    codes, names = pd.factorize(np.asarray(dataset["source"].values, dtype=object), sort=True)
    return codes, np.asarray(names, dtype=object)


def _categorical(source: SourceLike | None, size: int) -> pd.Categorical[Any]:
    if source is None:
        raise InvalidValue("source is required: give a name such as 'meter' or one per belief")
    if isinstance(source, str):
        codes = np.zeros(size, dtype=np.int8)
        return pd.Categorical.from_codes(codes, categories=pd.Index([source]))
    if isinstance(source, pd.Categorical):
        if source.isna().any():
            raise InvalidValue("source has empty entries; name the source of every belief")
        return source.reorder_categories(sorted(source.categories))
    names = np.asarray(source, dtype=object)
    if names.shape != (size,) or pd.isna(names).any():
        raise InvalidValue(f"source must be a name or one name per belief ({size}), got {source!r}")
    return pd.Categorical(names.astype(str))


def beliefs_dataset(
    event_start: ArrayLike,
    belief_time: ArrayLike,
    value: ArrayLike,
    *,
    source: SourceLike,
    units: str,
    resolution: Duration,
    timezone: str = "UTC",
    cumulative_probability: ArrayLike | None = None,
    flags: ArrayLike | None = None,
    sensor: str = "",
    sensor_id: int = 0,
    knowledge_time: KnowledgeTimeRule | str = "ex_post",
    curve_type: CurveType = "step",
) -> xr.Dataset:
    """Build a Dataset in the "beliefs" layout (one row per belief), sorted as promised.

    Times are naive UTC; ``source`` is one name for all rows, a name per row, or a
    ``pd.Categorical``; ``cumulative_probability`` defaults to 0.5, ``flags`` to 0.

    >>> ds = beliefs_dataset(
    ...     np.array(["2025-01-01T00:00"] * 2, "datetime64[ns]"),
    ...     np.array(["2024-12-31T12:00", "2024-12-31T06:00"], "datetime64[ns]"),
    ...     [2.0, 1.0], source="forecaster", units="MW", resolution="PT1H")
    >>> ds.value.values, ds.attrs["sorted"]
    (array([1., 2.]), 1)
    """
    meta = described_sensor(
        units=units,
        resolution=resolution,
        timezone=timezone,
        sensor=sensor,
        sensor_id=sensor_id,
        knowledge_time=knowledge_time,
        curve_type=curve_type,
    )
    starts = as_ns(event_start)
    size = len(starts)
    columns = {
        "event_start": starts,
        "belief_time": as_ns(belief_time),
        "cumulative_probability": _floats(cumulative_probability, size, 0.5),
        "value": _floats(value, size, np.nan),
        "flags": _flags(flags, size),
    }
    _check_lengths(columns, size)
    sources = _categorical(source, size)
    keys = [
        starts.view(np.int64),
        sources.codes,
        columns["cumulative_probability"],
        columns["belief_time"].view(np.int64),
    ]
    order = sort_order(keys)
    if order is not None:
        columns = {name: array[order] for name, array in columns.items()}
        sources = sources[order]
    return _assemble_beliefs(columns, sources, meta)


def _assemble_beliefs(
    columns: dict[str, NDArray[Any]], sources: pd.Categorical[Any], meta: SensorInfo
) -> xr.Dataset:
    dim = ("belief",)
    dataset = xr.Dataset(
        {
            "value": (dim, columns["value"], {"units": meta.unit}),
            "flags": (dim, columns["flags"]),
        },
        coords={
            "event_start": (dim, columns["event_start"]),
            "belief_time": (dim, columns["belief_time"]),
            "source": (dim, sources),
            "cumulative_probability": (dim, columns["cumulative_probability"]),
        },
        attrs={**dataset_attrs(meta), "sorted": 1},
    )
    return dataset


def _floats(values: ArrayLike | None, size: int, default: float) -> NDArray[np.float64]:
    if values is None:
        return np.full(size, default)
    return np.asarray(values, dtype=np.float64)


def _flags(values: ArrayLike | None, size: int) -> NDArray[np.uint32]:
    if values is None:
        return np.zeros(size, dtype=np.uint32)
    return np.asarray(values).astype(np.uint32)


def _check_lengths(columns: dict[str, NDArray[Any]], size: int) -> None:
    wrong = {name: len(array) for name, array in columns.items() if len(array) != size}
    if wrong:
        raise InvalidValue(f"columns differ in length from event_start ({size}): {wrong}")


def series_dataset(
    event_start: ArrayLike,
    value: ArrayLike,
    *,
    source: SourceLike,
    units: str,
    resolution: Duration,
    timezone: str = "UTC",
    belief_time: ArrayLike | None = None,
    cumulative_probability: ArrayLike | None = None,
    flags: ArrayLike | None = None,
    probabilistic: bool | None = None,
    sensor: str = "",
    sensor_id: int = 0,
    knowledge_time: KnowledgeTimeRule | str = "ex_post",
    curve_type: CurveType = "step",
) -> xr.Dataset:
    """Build a Dataset in the "series" layout from one row per (event, source, probability).

    Missing combinations are NaN (``belief_time`` NaT). ``probabilistic`` keeps a
    ``cumulative_probability`` dimension; by default only when some probability is not 0.5.
    """
    meta = described_sensor(
        units=units,
        resolution=resolution,
        timezone=timezone,
        sensor=sensor,
        sensor_id=sensor_id,
        knowledge_time=knowledge_time,
        curve_type=curve_type,
    )
    starts = as_ns(event_start)
    size = len(starts)
    rows = {
        "event_start": starts,
        "belief_time": (
            np.full(size, np.datetime64("NaT"), "datetime64[ns]")
            if belief_time is None
            else as_ns(belief_time)
        ),
        "cumulative_probability": _floats(cumulative_probability, size, 0.5),
        "value": _floats(value, size, np.nan),
        "flags": _flags(flags, size),
    }
    _check_lengths(rows, size)
    sources = _categorical(source, size)
    return pivot_series(
        rows, sources.codes, np.asarray(sources.categories, object), meta, probabilistic
    )


def pivot_series(
    rows: dict[str, NDArray[Any]],
    codes: NDArray[np.integer[Any]],
    names: NDArray[np.object_],
    meta: SensorInfo,
    probabilistic: bool | None = None,
) -> xr.Dataset:
    """Scatter rows (one per event, source and probability) into the series layout."""
    probability = rows["cumulative_probability"]
    if probabilistic is None:
        probabilistic = bool(np.any(probability != 0.5))
    if not probabilistic and np.any(probability != 0.5):
        raise InvalidValue("rows hold quantiles other than 0.5; pass probabilistic=True")
    events, event_index = np.unique(rows["event_start"], return_inverse=True)
    used, source_index = np.unique(codes, return_inverse=True)
    index: tuple[NDArray[np.intp], ...] = (event_index, source_index)
    shape = [len(events), len(used)]
    dims = ["event_start", "source"]
    coords: dict[str, Any] = {"event_start": events, "source": names[used]}
    if probabilistic:
        levels, level_index = np.unique(probability, return_inverse=True)
        index, shape = (*index, level_index), [*shape, len(levels)]
        dims.append("cumulative_probability")
        coords["cumulative_probability"] = levels
    else:
        coords["cumulative_probability"] = 0.5
    seen = np.zeros(shape, dtype=np.int64)
    np.add.at(seen, index, 1)
    if np.any(seen > 1):
        raise InvalidValue("more than one row per event, source and probability; keep one each")
    data = {
        "value": (np.nan, rows["value"]),
        "flags": (0, rows["flags"]),
        "belief_time": (np.datetime64("NaT", "ns"), rows["belief_time"]),
    }
    variables = {}
    for name, (fill, column) in data.items():
        grid = np.full(shape, fill, dtype=column.dtype)
        grid[index] = column
        variables[name] = (dims, grid)
    dataset = xr.Dataset(variables, coords=coords, attrs=dataset_attrs(meta))
    dataset["value"].attrs["units"] = meta.unit
    return dataset
