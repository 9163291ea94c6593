"""Converting beliefs Datasets: to long arrays, to a pandas frame, to a series for calculations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from workbench.errors import InvalidValue, NotFound
from workbench.xr.build import layout, source_codes
from workbench.xr.viewpoints import most_recent

__all__ = ["LongBeliefs", "long_beliefs", "to_pandas", "to_series"]


@dataclass(frozen=True, eq=False)
class LongBeliefs:
    """One row per belief, from either layout; ``codes`` index ``names``."""

    event_start: NDArray[np.datetime64]
    belief_time: NDArray[np.datetime64]
    codes: NDArray[np.integer[Any]]
    names: NDArray[np.object_]
    cumulative_probability: NDArray[np.float64]
    value: NDArray[np.float64]
    flags: NDArray[np.uint32]


def long_beliefs(dataset: xr.Dataset) -> LongBeliefs:
    """Return the beliefs of a Dataset as aligned rows (series cells without a belief left out)."""
    if layout(dataset) == "beliefs":
        codes, names = source_codes(dataset)
        return LongBeliefs(
            dataset["event_start"].values,
            dataset["belief_time"].values,
            codes,
            names,
            dataset["cumulative_probability"].values,
            dataset["value"].values,
            dataset["flags"].values,
        )
    grid = dataset.transpose("event_start", "source", ...)
    if "cumulative_probability" not in grid.dims:
        grid = grid.expand_dims("cumulative_probability", axis=-1)
    believed = grid["belief_time"].values
    cell = np.nonzero(~np.isnat(believed))
    return LongBeliefs(
        grid["event_start"].values[cell[0]],
        believed[cell],
        cell[1],
        np.asarray(grid["source"].values, dtype=object),
        np.atleast_1d(grid["cumulative_probability"].values)[cell[2]],
        grid["value"].values[cell],
        grid["flags"].values[cell],
    )


def to_pandas(dataset: xr.Dataset) -> pd.DataFrame:
    """Return a DataFrame indexed by (event_start, belief_time, source, cumulative_probability)
    with columns ``value`` and ``flags``; times are timezone-aware UTC.

    The frame can be ingested again as it is (``prepare_beliefs``).
    """
    rows = long_beliefs(dataset)

    def utc(times: NDArray[np.datetime64], name: str) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(times.astype("datetime64[ns]"), name=name).tz_localize("UTC")

    index = pd.MultiIndex.from_arrays(
        [
            utc(rows.event_start, "event_start"),
            utc(rows.belief_time, "belief_time"),
            pd.Categorical.from_codes(rows.codes, categories=pd.Index(rows.names)),
            rows.cumulative_probability,
        ],
        names=["event_start", "belief_time", "source", "cumulative_probability"],
    )
    frame = pd.DataFrame({"value": rows.value, "flags": rows.flags}, index=index)
    frame.attrs = {**dataset.attrs, "units": dataset["value"].attrs.get("units", "")}
    frame.attrs.pop("sorted", None)
    return frame


def to_series(dataset: xr.Dataset, source: str | None = None) -> xr.DataArray:
    """Return the 1-D series over ``event_start`` the calculation language works on.

    From the beliefs layout the most recent beliefs are taken first. Per event, the given
    ``source`` or else the source whose belief was formed last; probability 0.5 only.
    """
    if layout(dataset) == "beliefs":
        dataset = most_recent(dataset)
    if "cumulative_probability" in dataset.dims:
        levels = dataset["cumulative_probability"].values
        if not np.any(levels == 0.5):
            raise InvalidValue(
                f"no median (cumulative_probability 0.5) among {levels.tolist()}; a series "
                "for calculations takes the median"
            )
        dataset = dataset.sel(cumulative_probability=0.5)
    grid = dataset.transpose("event_start", "source")
    if source is not None:
        names = [str(name) for name in grid["source"].values]
        if source not in names:
            raise NotFound("source", source, f"the Dataset holds {names}")
        value = grid["value"].sel(source=source).values
    else:
        believed = grid["belief_time"].values.astype("datetime64[ns]").view(np.int64)
        latest = np.argmax(believed, axis=1)
        value = np.take_along_axis(grid["value"].values, latest[:, None], axis=1)[:, 0]
    attrs = {
        "units": dataset["value"].attrs.get("units", ""),
        "timezone": dataset.attrs.get("timezone", "UTC"),
        "resolution": dataset.attrs.get("resolution", "P0DT0H0M0S"),
        "curve_type": dataset.attrs.get("curve_type", "step"),
    }
    name = dataset.attrs.get("sensor") or "value"
    return xr.DataArray(
        value,
        dims="event_start",
        coords={"event_start": grid["event_start"].values},
        name=name,
        attrs=attrs,
    )
