"""Unit-aware resampling of series (one belief per event): energy sums, power averages.

Calendar resolutions (whole days) follow the local clock of the series' timezone, so a day in
Europe/Amsterdam holds 23 hours in spring and 25 in autumn.
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from workbench.beliefs import Flag, parse_resolution
from workbench.beliefs.resampling import (
    count_parts,
    direction,
    group_starts,
    reduce_groups,
    split_events,
)
from workbench.beliefs.timing import Duration, as_ns, check_timezone, floor_starts
from workbench.errors import InvalidValue
from workbench.units import is_extensive

__all__ = ["resample_series"]

Series = TypeVar("Series", xr.Dataset, xr.DataArray)
_ASK_FOR_ONE = (
    "resampling needs one belief per event: choose them first, e.g. "
    "ds.beliefs.most_recent() or ds.beliefs.fixed_viewpoint(t), then resample"
)


def resample_series(series: Series, resolution: Duration, *, timezone: str | None = None) -> Series:
    """Resample a series-layout Dataset or a series DataArray to ``resolution``.

    Joining events sums extensive values (energy, money) and averages intensive ones (power,
    temperature, prices), skipping missing values; a joined event with fewer values than parts
    is flagged SUSPECT. Splitting divides extensive values and repeats intensive ones. Calendar
    resolutions count days in ``timezone`` (default: the series' own).
    """
    if "belief" in series.dims:
        raise InvalidValue(_ASK_FOR_ONE)
    if "event_start" not in series.dims:
        raise InvalidValue(f"a series needs an 'event_start' dimension, got {list(series.dims)}")
    series = series.transpose("event_start", ...)
    units = _units(series)
    source = parse_resolution(series.attrs.get("resolution", "PT0S"))
    target = parse_resolution(resolution)
    zone = check_timezone(timezone or series.attrs.get("timezone", "UTC"))
    extensive = is_extensive(units)
    starts = as_ns(series["event_start"].values)
    if source == pd.Timedelta(0) and target > pd.Timedelta(0) and not extensive:
        way = "down"  # instants average into intervals
    else:
        way = direction(source, target)
    if way == "same":
        return series.copy()
    if np.any(np.diff(starts.view(np.int64)) <= 0):
        series = series.sortby("event_start")
        starts = as_ns(series["event_start"].values)
    if way == "down":
        result = _join(series, starts, source, target, zone, extensive)
    else:
        result = _split(series, starts, source, target, zone, extensive)
    result.attrs = {**series.attrs, "resolution": target.isoformat(), "timezone": zone}
    return result


def _units(series: xr.Dataset | xr.DataArray) -> str:
    holder = series["value"] if isinstance(series, xr.Dataset) else series
    units = holder.attrs.get("units")
    if units is None:
        raise InvalidValue("the series has no units attr; set attrs['units'] (e.g. 'MW')")
    return str(units)


def _variables(series: xr.Dataset | xr.DataArray) -> dict[str, xr.DataArray]:
    if isinstance(series, xr.DataArray):
        return {"value": series}
    return {str(name): series[name] for name in series.data_vars}


def _join(
    series: Series,
    starts: NDArray[np.datetime64],
    source: pd.Timedelta,
    target: pd.Timedelta,
    zone: str,
    extensive: bool,
) -> Series:
    new = floor_starts(starts, target, zone)
    firsts = group_starts([new.view(np.int64)])
    event_start = new[firsts]
    variables = _variables(series)
    value = variables["value"].values
    present = np.add.reduceat(~np.isnan(value), firsts, axis=0, dtype=np.int64)
    joined = reduce_groups(value, firsts, "sum" if extensive else "mean")
    grids: dict[str, NDArray[Any]] = {"value": joined}
    if "flags" in variables:
        grids["flags"] = _join_flags(
            variables["flags"].values, firsts, present, event_start, source, target, zone
        )
    if "belief_time" in variables:
        grids["belief_time"] = reduce_groups(variables["belief_time"].values, firsts, "max")
    return _rebuild(series, variables, grids, event_start)


def _join_flags(
    flags: NDArray[np.uint32],
    firsts: NDArray[np.intp],
    present: NDArray[np.int64],
    event_start: NDArray[np.datetime64],
    source: pd.Timedelta,
    target: pd.Timedelta,
    zone: str,
) -> NDArray[np.uint32]:
    joined = np.bitwise_or.reduceat(flags, firsts, axis=0)
    if source == pd.Timedelta(0):
        return joined
    parts = count_parts(event_start, target, source, zone)
    parts = parts.reshape((-1,) + (1,) * (present.ndim - 1))
    incomplete = (present > 0) & (present < parts)
    suspect = np.where(incomplete, np.uint32(Flag.SUSPECT), np.uint32(0))
    return np.asarray(joined | suspect, dtype=np.uint32)


def _split(
    series: Series,
    starts: NDArray[np.datetime64],
    source: pd.Timedelta,
    target: pd.Timedelta,
    zone: str,
    extensive: bool,
) -> Series:
    take, event_start, parts = split_events(starts, source, target, zone)
    variables = _variables(series)
    grids = {name: variable.values[take] for name, variable in variables.items()}
    if extensive:
        grids["value"] = grids["value"] / parts.reshape((-1,) + (1,) * (grids["value"].ndim - 1))
    return _rebuild(series, variables, grids, event_start)


def _rebuild(
    series: Series,
    variables: dict[str, xr.DataArray],
    grids: dict[str, NDArray[Any]],
    event_start: NDArray[np.datetime64],
) -> Series:
    coords: dict[str, Any] = {"event_start": xr.DataArray(event_start, dims="event_start")}
    coords.update(
        {
            str(name): coord
            for name, coord in series.coords.items()
            if "event_start" not in coord.dims
        }
    )
    arrays = {
        name: xr.DataArray(grids[name], dims=variable.dims, attrs=variable.attrs)
        for name, variable in variables.items()
        if name in grids
    }
    if isinstance(series, xr.DataArray):
        return arrays["value"].assign_coords(coords).rename(series.name)
    return xr.Dataset(arrays, coords=coords)
