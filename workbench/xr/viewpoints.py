"""Choosing one belief per event, source and probability from the beliefs layout.

Relies on the sort promise (``attrs["sorted"] == 1``): rows come in runs per (event, source,
probability), each run ordered by belief time. The beliefs held at a time ``t`` then form a
prefix of each run, so "the latest belief at ``t``" is the run's start plus the number of rows
with ``belief_time <= t``, minus one: a comparison and one ``add.reduceat``, no sorting or
grouping per call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from workbench.beliefs.resampling import group_starts
from workbench.beliefs.timing import parse_duration, utc_instant
from workbench.errors import InvalidValue
from workbench.xr.build import layout, pivot_series, sensor_of, source_codes

__all__ = [
    "Runs",
    "belief_history",
    "fixed_viewpoint",
    "most_recent",
    "rolling_viewpoint",
    "runs",
]


@dataclass(frozen=True, eq=False)
class Runs:
    """The beliefs layout cut into runs of one (event, source, probability).

    ``order`` maps sorted positions to Dataset rows (None when the Dataset kept its promise);
    the other arrays are in sorted order.
    """

    order: NDArray[np.intp] | None
    event_start: NDArray[np.int64]
    belief_time: NDArray[np.int64]
    codes: NDArray[np.integer[Any]]
    names: NDArray[np.object_]
    probability: NDArray[np.float64]
    starts: NDArray[np.intp]

    @property
    def sizes(self) -> NDArray[np.intp]:
        """The number of beliefs in each run."""
        return np.diff(np.append(self.starts, len(self.event_start)))

    def rows(self, positions: NDArray[np.intp]) -> NDArray[np.intp]:
        """Dataset rows of sorted positions."""
        return positions if self.order is None else self.order[positions]


def runs(dataset: xr.Dataset) -> Runs:
    """Cut a beliefs-layout Dataset into runs, sorting first if it does not promise order."""
    if layout(dataset) != "beliefs":
        raise InvalidValue(
            "this needs the beliefs layout (dimension 'belief'); the Dataset already holds one "
            "belief per event (series layout)"
        )
    event = dataset["event_start"].values.astype("datetime64[ns]", copy=False).view(np.int64)
    believed = dataset["belief_time"].values.astype("datetime64[ns]", copy=False).view(np.int64)
    codes, names = source_codes(dataset)
    probability = dataset["cumulative_probability"].values
    order = None
    if dataset.attrs.get("sorted") != 1:
        order = np.lexsort((believed, probability, codes, event))
        event, believed = event[order], believed[order]
        codes, probability = codes[order], probability[order]
    # A key that cannot change (one source) need not be compared.
    starts = group_starts([event, codes, probability] if len(names) > 1 else [event, probability])
    return Runs(order, event, believed, codes, names, probability, starts)


def _select(dataset: xr.Dataset, cut: Runs, counts: NDArray[np.intp]) -> xr.Dataset:
    """The series layout of the ``counts[i]``-th belief of each run (runs with 0 left out)."""
    held = counts > 0
    positions = (cut.starts + counts - 1)[held]
    rows = cut.rows(positions)
    columns = {
        "event_start": cut.event_start[positions].view("datetime64[ns]"),
        "belief_time": cut.belief_time[positions].view("datetime64[ns]"),
        "cumulative_probability": cut.probability[positions],
        "value": dataset["value"].values[rows],
        "flags": dataset["flags"].values[rows],
    }
    probabilistic = bool(np.any(cut.probability[cut.starts] != 0.5))
    meta = sensor_of(dataset)
    return pivot_series(columns, cut.codes[positions], cut.names, meta, probabilistic)


def fixed_viewpoint(dataset: xr.Dataset, belief_time: Any = None) -> xr.Dataset:
    """Per event, source and probability, the latest belief held at ``belief_time``.

    Beliefs with ``belief_time <= t`` count; naive times are UTC. None means every belief
    (the most recent ones). Events nothing was believed about by then are left out.
    """
    cut = runs(dataset)
    if belief_time is None:
        return _select(dataset, cut, cut.sizes)
    moment = utc_instant(belief_time, "belief_time").view(np.int64)
    held = cut.belief_time <= moment
    counts = np.add.reduceat(held, cut.starts, dtype=np.intp) if len(held) else cut.sizes
    return _select(dataset, cut, counts)


def most_recent(dataset: xr.Dataset) -> xr.Dataset:
    """Per event, source and probability, the belief formed last."""
    return fixed_viewpoint(dataset, None)


def rolling_viewpoint(dataset: xr.Dataset, horizon: Any) -> xr.Dataset:
    """Per event, source and probability, the latest belief formed at least ``horizon`` before
    the event's knowledge time (under the sensor's rule), e.g. "the day-ahead forecast"."""
    step = parse_duration(horizon, "horizon").to_timedelta64()
    cut = runs(dataset)
    meta = sensor_of(dataset)
    first = cut.event_start[cut.starts].view("datetime64[ns]")
    knowledge = meta.knowledge_time.knowledge_time(first, meta.resolution, meta.timezone)
    limit = (knowledge - step).view(np.int64)
    held = cut.belief_time <= np.repeat(limit, cut.sizes)
    counts = np.add.reduceat(held, cut.starts, dtype=np.intp) if len(held) else cut.sizes
    return _select(dataset, cut, counts)


def belief_history(dataset: xr.Dataset, event_start: Any) -> xr.Dataset:
    """All beliefs about one event (naive times are UTC), ordered by belief time, with their
    ``belief_horizon``; the beliefs layout without the sort promise."""
    cut = runs(dataset)
    moment = utc_instant(event_start, "event_start").view(np.int64)
    lower = np.searchsorted(cut.event_start, moment, side="left")
    upper = np.searchsorted(cut.event_start, moment, side="right")
    positions = np.arange(lower, upper)
    order = np.lexsort(
        (cut.probability[positions], cut.codes[positions], cut.belief_time[positions])
    )
    history = dataset.isel(belief=cut.rows(positions[order]))
    history.attrs.pop("sorted", None)
    meta = sensor_of(dataset)
    starts = history["event_start"].values
    knowledge = meta.knowledge_time.knowledge_time(starts, meta.resolution, meta.timezone)
    horizon = knowledge - history["belief_time"].values
    return history.assign_coords(belief_horizon=("belief", horizon))
