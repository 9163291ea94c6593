"""The data behind a BeliefView: beliefs read once per period, viewpoints in memory, tidy frames.

Nothing here imports Panel or HoloViews: a :class:`SeriesData` holds one plotted series (a
sensor's beliefs in the beliefs layout, or a calculated attribute read as of a belief time),
and :func:`viewpoint_frame` turns it into one tidy row per event and source, which the view
plots and tests inspect.

>>> import workbench as wb, pandas as pd
>>> ws = wb.connect("sqlite://")
>>> md = ws.create_model_definition("Demo")
>>> model = ws.create_model("M", md, md.create_object_definition("Plant"))
>>> power = model.add_sensor("power", unit="MW", resolution="1h")
>>> index = pd.date_range("2025-01-01", periods=2, freq="1h", tz="UTC")
>>> _ = power.ingest(pd.Series([1.0, 2.0], index=index), source="meter",
...                  belief_time="2025-01-01T03:00Z")
>>> data = load_series(power, None, None)
>>> viewpoint_frame(data, None, None, ())[["source", "value"]].to_dict("list")
{'source': ['meter', 'meter'], 'value': [1.0, 2.0]}
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

import workbench as wb

__all__ = [
    "COLUMNS",
    "Cache",
    "SeriesData",
    "belief_times",
    "data_span",
    "event_ends",
    "is_calculated",
    "load_series",
    "series_key",
    "utc",
    "viewpoint_frame",
]

#: The columns of a viewpoint frame, one row per (series, source, event).
COLUMNS = (
    "series",
    "source",
    "event_start",
    "value",
    "lower",
    "upper",
    "belief_time",
    "unit",
)


def utc(value: Any, what: str) -> pd.Timestamp | None:
    """A time as a timezone-aware UTC Timestamp (naive times are read as UTC); None stays None."""
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise wb.InvalidValue(
            f"{what} {value!r} is not a time; give e.g. '2025-01-01T00:00Z' ({exc})"
        ) from None
    if pd.isna(stamp):
        raise wb.InvalidValue(f"{what} must be a time such as '2025-01-01T00:00Z', got {value!r}")
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _naive(stamp: pd.Timestamp | None) -> np.datetime64 | None:
    return None if stamp is None else stamp.tz_convert("UTC").tz_localize(None).to_datetime64()


def series_key(item: wb.Sensor | wb.Attribute) -> tuple[str, Any]:
    """A hashable key of a series item: ("sensor", id) or ("attribute", id)."""
    if isinstance(item, wb.Sensor):
        return ("sensor", item.id)
    return ("attribute", item.id)


def _short(full_name: str) -> str:
    """``Model/M.To_Plants/PlantA:power`` -> ``PlantA:power``."""
    return full_name.rsplit("/", 1)[-1]


@dataclass(eq=False)
class SeriesData:
    """One plotted series: what it is and its beliefs over the period.

    ``beliefs`` holds every belief of a sensor in the period (the beliefs layout), from which
    any viewpoint is computed in memory. A calculated attribute has ``calculate`` instead: it
    reads the series layout as of a belief time (None: latest), through the attribute.
    """

    key: tuple[str, Any]
    label: str
    unit: str
    curve_type: str
    resolution: pd.Timedelta
    timezone: str
    beliefs: xr.Dataset | None = None
    calculate: Callable[[pd.Timestamp | None], xr.Dataset] | None = None
    sources: tuple[str, ...] = ()
    probabilistic: frozenset[str] = field(default_factory=frozenset)

    @property
    def calculated(self) -> bool:
        return self.beliefs is None


def _attrs_of(dataset: xr.Dataset, unit: str) -> dict[str, Any]:
    attrs = dataset.attrs
    resolution = attrs.get("resolution", "PT0S")
    return {
        "unit": str(dataset["value"].attrs.get("units", unit) or ""),
        "curve_type": str(attrs.get("curve_type", "step")),
        "resolution": pd.Timedelta(resolution),
        "timezone": str(attrs.get("timezone", "UTC")),
    }


def _beliefs_sources(dataset: xr.Dataset) -> tuple[tuple[str, ...], frozenset[str]]:
    """The sources of a Dataset (either layout) and those with quantiles other than the median."""
    if "belief" in dataset.dims:
        names = np.asarray(dataset["source"].values).astype(str)
        spread = names[dataset["cumulative_probability"].values != 0.5]
        return tuple(sorted({str(n) for n in names})), frozenset(str(n) for n in spread)
    # The series layout (a calculation's belief times may be unknown: look at the values).
    value = dataset["value"]
    held = value.notnull()
    levels = held.sum("cumulative_probability") if "cumulative_probability" in value.dims else held
    others = [d for d in levels.dims if d != "source"]
    present = held.any([d for d in held.dims if d != "source"]).values
    varied = (levels > 1).any(others).values
    sources = np.asarray(dataset["source"].values).astype(str)
    return tuple(sorted(sources[present])), frozenset(sources[varied])


def load_series(
    item: wb.Sensor | wb.Attribute, start: pd.Timestamp | None, end: pd.Timestamp | None
) -> SeriesData:
    """Read what a series item needs for every viewpoint in [start, end).

    A sensor's beliefs are read once (all of them: every source, time and quantile); a
    timeseries attribute that references a sensor reads that sensor; a calculated attribute
    is read as of the time asked for, each time, through ``attribute.beliefs``.
    """
    if isinstance(item, wb.Sensor):
        beliefs = item.beliefs(start, end)
        names, spread = _beliefs_sources(beliefs)
        return SeriesData(
            series_key(item),
            _short(item.full_name),
            beliefs=beliefs,
            sources=names,
            probabilistic=spread,
            **_attrs_of(beliefs, item.unit),
        )
    return _load_attribute(item, start, end)


def _load_attribute(
    item: wb.Attribute, start: pd.Timestamp | None, end: pd.Timestamp | None
) -> SeriesData:
    if item.value_type is not wb.ValueType.TIMESERIES:
        raise wb.InvalidValue(
            f"{item.full_name} is a {item.value_type.value} attribute; a belief view plots "
            "sensors and timeseries attributes"
        )
    value = item.value
    if value.sensor_id is not None:
        sensor = item.object.ws.sensor(value.sensor_id)
        data = load_series(sensor, start, end)
        data.label = _short(item.full_name)
        return data
    if value.expression is None:
        raise wb.InvalidValue(
            f"{item.full_name} has neither a sensor nor an expression: nothing to plot"
        )
    if start is None or end is None:
        raise wb.InvalidValue(
            f"{item.full_name} is calculated ({value.source} expression {value.expression!r}): "
            "give the period (start and end) to calculate it over, or show it beside a sensor "
            "whose data sets the period"
        )

    def calculate(as_of: pd.Timestamp | None) -> xr.Dataset:
        return item.beliefs(start, end, as_of=as_of)  # type: ignore[no-any-return]

    latest = calculate(None)
    names, spread = _beliefs_sources(latest)
    return SeriesData(
        series_key(item),
        _short(item.full_name),
        calculate=calculate,
        sources=names,
        probabilistic=spread,
        **_attrs_of(latest, item.unit),
    )


def is_calculated(item: wb.Sensor | wb.Attribute) -> bool:
    """Whether a series item is a timeseries attribute computed from an expression."""
    if isinstance(item, wb.Sensor) or item.value_type is not wb.ValueType.TIMESERIES:
        return False
    value = item.value
    return value.sensor_id is None and value.expression is not None


def data_span(loaded: Sequence[SeriesData]) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The first event start and the last event end (UTC) of the sensors' beliefs."""
    firsts, lasts = [], []
    for data in loaded:
        if data.beliefs is None or not data.beliefs.sizes["belief"]:
            continue
        events = data.beliefs["event_start"].values.astype("datetime64[ns]")
        firsts.append(events.min())
        lasts.append(event_ends(events.max(keepdims=True), data.resolution, data.timezone)[0])
    if not firsts:
        return None, None
    return pd.Timestamp(min(firsts), tz="UTC"), pd.Timestamp(max(lasts), tz="UTC")


def _only_sources(dataset: xr.Dataset, sources: Sequence[str]) -> xr.Dataset:
    """The beliefs (beliefs layout) of the given sources; all when none are given."""
    if not sources:
        return dataset
    keep = np.isin(np.asarray(dataset["source"].values, dtype=object), list(sources))
    return dataset.isel(belief=np.flatnonzero(keep))


def belief_times(data: SeriesData, sources: Sequence[str]) -> np.ndarray[Any, Any]:
    """The distinct belief times (naive UTC) of a series' beliefs, for the replay slider."""
    if data.beliefs is None:
        latest = data.calculate(None) if data.calculate is not None else None
        if latest is None:
            return np.array([], dtype="datetime64[ns]")
        times = latest["belief_time"].values.ravel()
        return np.unique(times[~np.isnat(times)])
    chosen = _only_sources(data.beliefs, sources)
    return np.unique(chosen["belief_time"].values.astype("datetime64[ns]"))


def _series_view(
    data: SeriesData,
    belief_time: pd.Timestamp | None,
    horizon: str | None,
    sources: Sequence[str],
) -> xr.Dataset | None:
    """The series layout of one viewpoint, or None when nothing was known."""
    if data.beliefs is None:
        assert data.calculate is not None
        return data.calculate(belief_time)
    chosen = _only_sources(data.beliefs, sources)
    if chosen.sizes["belief"] == 0:
        return None
    if horizon:
        if belief_time is not None:
            held = chosen["belief_time"].values <= _naive(belief_time)
            chosen = chosen.isel(belief=np.flatnonzero(held))
            if chosen.sizes["belief"] == 0:
                return None
        return chosen.beliefs.rolling_viewpoint(horizon)
    return chosen.beliefs.fixed_viewpoint(belief_time)


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({name: pd.Series(dtype=object) for name in COLUMNS})
    for name in ("event_start", "belief_time"):
        frame[name] = pd.Series(dtype="datetime64[ns]")
    for name in ("value", "lower", "upper"):
        frame[name] = pd.Series(dtype=float)
    return frame


Grid = np.ndarray[Any, Any]


def _quantiles(value: Grid, believed: Grid, levels: Grid) -> tuple[Grid, Grid, Grid, Grid]:
    """Median, lowest and highest quantile, and belief time per (source, event), from grids
    whose last axis is the cumulative probability.

    The band belongs to the belief drawn: only quantiles formed at the median's belief time
    count (a later median alone, say a revision without quantiles, has no band).
    """
    middle = int(np.argmin(np.abs(levels - 0.5)))
    median, when = value[..., middle], believed[..., middle]
    grid = np.where((believed == when[..., None]) & ~np.isnan(value), value, np.nan)
    present = ~np.isnan(grid)
    first = np.argmax(present, axis=-1)
    last = grid.shape[-1] - 1 - np.argmax(present[..., ::-1], axis=-1)
    low = np.take_along_axis(grid, first[..., None], axis=-1)[..., 0]
    high = np.take_along_axis(grid, last[..., None], axis=-1)[..., 0]
    band = present.sum(axis=-1) > 1
    return median, np.where(band, low, np.nan), np.where(band, high, np.nan), when


def _tidy(view: xr.Dataset, data: SeriesData, sources: Sequence[str]) -> pd.DataFrame:
    """One row per (source, event) of a series layout, by source and event: median, band
    edges, belief time. Plain numpy on the grids: this runs at every replay step."""
    order = ("source", "event_start", "cumulative_probability")
    dims = [d for d in order if d in view["value"].dims]
    value = view["value"].transpose(*dims).values.astype(float)
    believed = view["belief_time"].transpose(*dims).values.astype("datetime64[ns]")
    if "cumulative_probability" in dims:
        levels = np.atleast_1d(view["cumulative_probability"].values)
        value, lower, upper, believed = _quantiles(value, believed, levels)
    else:
        lower = upper = np.full(value.shape, np.nan)
    names = np.asarray(view["source"].values).astype(str)
    events = view["event_start"].values.astype("datetime64[ns]")
    keep = ~np.isnan(value) | ~np.isnan(lower)
    if sources:
        keep &= np.isin(names, list(sources))[:, None]
    rows, cells = np.nonzero(keep)
    frame = pd.DataFrame(
        {
            "series": data.label,
            "source": names[rows],
            "event_start": events[cells],
            "value": value[keep],
            "lower": lower[keep],
            "upper": upper[keep],
            "belief_time": believed[keep],
            "unit": data.unit,
        },
        columns=list(COLUMNS),
    )
    if np.all(names[:-1] <= names[1:]):
        return frame  # rows come source by source in the grid's order, events in order
    return frame.sort_values("source", kind="stable", ignore_index=True)


def viewpoint_frame(
    data: SeriesData,
    belief_time: pd.Timestamp | None,
    horizon: str | None,
    sources: Sequence[str],
) -> pd.DataFrame:
    """What was believed about a series' events: at ``belief_time`` (None: latest), or at
    least ``horizon`` before each event's knowledge time; only ``sources`` (empty: all).

    Columns :data:`COLUMNS`; ``value`` is the median (the quantile nearest 0.5) and ``lower``/
    ``upper`` the lowest and highest quantiles (NaN for a single belief); times are naive UTC.
    """
    if horizon and data.calculated:
        raise wb.InvalidValue(
            f"{data.label} is calculated: a horizon (rolling viewpoint) applies to sensors only; "
            "clear the horizon to see it as of a belief time"
        )
    view = _series_view(data, belief_time, horizon, sources)
    if view is None or view.sizes.get("event_start", 0) == 0:
        return _empty()
    return _tidy(view, data, sources)


def event_ends(
    starts: np.ndarray[Any, Any], resolution: pd.Timedelta, timezone: str
) -> np.ndarray[Any, Any]:
    """Event ends (naive UTC) of naive UTC starts; whole days count on the local calendar."""
    starts = np.asarray(starts, dtype="datetime64[ns]")
    day = pd.Timedelta(days=1)
    if resolution >= day and resolution % day == pd.Timedelta(0) and timezone != "UTC":
        local = pd.DatetimeIndex(starts).tz_localize("UTC").tz_convert(timezone)
        ends = local + pd.DateOffset(days=int(resolution / day))
        return np.asarray(ends.tz_convert("UTC").tz_localize(None), dtype="datetime64[ns]")
    return starts + resolution.to_timedelta64()


class Cache:
    """A small least-recently-used cache (a dict in use order)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """The cached value of ``key``, made (and kept) when missing."""
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        value = make()
        self._items[key] = value
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
