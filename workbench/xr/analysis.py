"""Judging beliefs: forecast accuracy against a reference source, and lineage counts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from workbench.beliefs.resampling import group_starts
from workbench.beliefs.timing import Duration, parse_duration
from workbench.errors import InvalidValue, NotFound
from workbench.xr.build import sensor_of
from workbench.xr.convert import long_beliefs
from workbench.xr.viewpoints import Runs, runs

__all__ = ["accuracy", "lineage"]


def _truth(dataset: xr.Dataset, cut: Runs, code: int) -> tuple[NDArray[np.int64], NDArray[Any]]:
    """Event starts and values of the reference's most recent median beliefs."""
    last = cut.starts + cut.sizes - 1
    mine = (cut.codes[cut.starts] == code) & (cut.probability[cut.starts] == 0.5)
    return cut.event_start[cut.starts[mine]], dataset["value"].values[cut.rows(last[mine])]


def _bins(
    horizon: NDArray[np.timedelta64], edges: Sequence[Duration] | None
) -> tuple[NDArray[np.intp], NDArray[np.timedelta64], NDArray[np.timedelta64] | None]:
    """Bin index per belief (-1: outside), the bins' starts and (for given edges) ends."""
    if edges is None:
        labels, index = np.unique(horizon, return_inverse=True)
        return index.astype(np.intp), labels, None
    bounds = np.array([parse_duration(edge, "horizon bin edge").to_timedelta64() for edge in edges])
    if len(bounds) < 2 or np.any(np.diff(bounds) <= np.timedelta64(0)):
        raise InvalidValue(
            f"horizon_bins must be at least two increasing durations such as "
            f"['PT0H', 'PT6H', 'P1D'], got {list(edges)!r}"
        )
    index = np.searchsorted(bounds, horizon, side="right") - 1
    index[(index < 0) | (index >= len(bounds) - 1)] = -1
    return index.astype(np.intp), bounds[:-1], bounds[1:]


def accuracy(
    dataset: xr.Dataset,
    reference: str,
    *,
    horizon_bins: Sequence[Duration] | None = None,
    by_horizon: bool = True,
) -> xr.Dataset:
    """Score every other source's median beliefs against ``reference``'s most recent ones.

    Returns MAE and RMSE (in the data's units), MAPE and WAPE (in %), and ``count``, per source
    and (``by_horizon``) per belief horizon: each distinct horizon, or bins from
    ``horizon_bins`` edges (left-closed; beliefs outside are left out). MAPE skips events whose
    reference value is 0.
    """
    cut = runs(dataset)
    names = [str(name) for name in cut.names]
    if reference not in names:
        raise NotFound("reference source", reference, f"the Dataset holds {names}")
    code = names.index(reference)
    truth_events, truth = _truth(dataset, cut, code)
    picked = np.flatnonzero((cut.codes != code) & (cut.probability == 0.5))
    slot = np.searchsorted(truth_events, cut.event_start[picked])
    if len(truth_events):
        slot[slot == len(truth_events)] = 0
        matched = truth_events[slot] == cut.event_start[picked]
    else:
        matched = np.zeros(len(picked), dtype=bool)
    picked, slot = picked[matched], slot[matched]
    forecast = dataset["value"].values[cut.rows(picked)]
    actual = truth[slot]
    valid = ~(np.isnan(forecast) | np.isnan(actual))
    picked, forecast, actual = picked[valid], forecast[valid], actual[valid]
    meta = sensor_of(dataset)
    starts = cut.event_start[picked].view("datetime64[ns]")
    knowledge = meta.knowledge_time.knowledge_time(starts, meta.resolution, meta.timezone)
    horizon = knowledge - cut.belief_time[picked].view("datetime64[ns]")
    if by_horizon:
        bin_index, labels, ends = _bins(horizon, horizon_bins)
    else:
        bin_index, labels, ends = np.zeros(len(picked), np.intp), None, None
    keep = bin_index >= 0
    sources = cut.codes[picked][keep].astype(np.intp)
    scores = _scores(
        forecast[keep] - actual[keep],
        actual[keep],
        sources,
        bin_index[keep],
        len(names),
        1 if labels is None else len(labels),
    )
    return _score_dataset(scores, names, code, labels, ends, meta.unit)


def _scores(
    error: NDArray[np.float64],
    actual: NDArray[np.float64],
    source: NDArray[np.intp],
    bin_index: NDArray[np.intp],
    n_sources: int,
    n_bins: int,
) -> dict[str, NDArray[np.float64]]:
    """Error statistics per (source, bin) cell, from sums by ``bincount``."""
    cell = source * n_bins + bin_index
    size = n_sources * n_bins

    def total(weights: NDArray[np.float64] | None) -> NDArray[np.float64]:
        sums = np.bincount(cell, weights=weights, minlength=size).astype(np.float64)
        return sums.reshape(n_sources, n_bins)

    count = total(None)
    nonzero = actual != 0
    relative = np.where(nonzero, np.abs(error) / np.where(nonzero, np.abs(actual), 1.0), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "MAE": total(np.abs(error)) / count,
            "MAPE": 100.0 * total(relative) / total(nonzero.astype(np.float64)),
            "WAPE": 100.0 * total(np.abs(error)) / total(np.abs(actual)),
            "RMSE": np.sqrt(total(error**2) / count),
            "count": count,
        }


def _score_dataset(
    scores: dict[str, NDArray[np.float64]],
    names: list[str],
    reference: int,
    labels: NDArray[np.timedelta64] | None,
    ends: NDArray[np.timedelta64] | None,
    units: str,
) -> xr.Dataset:
    others = [index for index in range(len(names)) if index != reference]
    dims: tuple[str, ...] = ("source", "horizon") if labels is not None else ("source",)
    coords: dict[str, Any] = {"source": np.asarray([names[i] for i in others], dtype=object)}
    if labels is not None:
        coords["horizon"] = labels
        if ends is not None:
            coords["horizon_end"] = ("horizon", ends)
    unit_of = {"MAE": units, "RMSE": units, "MAPE": "%", "WAPE": "%", "count": ""}
    variables = {}
    for name, table in scores.items():
        data = table[others] if labels is not None else table[others, 0]
        variables[name] = xr.DataArray(data, dims=dims, attrs={"units": unit_of[name]})
    variables["count"] = variables["count"].astype(np.int64)
    return xr.Dataset(variables, coords=coords, attrs={"reference": names[reference]})


def _belief_time_range(
    codes: NDArray[np.intp], believed: NDArray[np.int64], n_names: int
) -> tuple[NDArray[np.int64], NDArray[np.datetime64], NDArray[np.datetime64]]:
    """Per source: how many distinct belief times, the first and the last."""
    order = np.lexsort((believed, codes))
    codes, believed = codes[order], believed[order]
    first = group_starts([codes])
    last = np.append(first[1:], len(codes))[: len(first)] - 1
    distinct = np.bincount(codes[group_starts([codes, believed])], minlength=n_names)
    earliest = np.full(n_names, np.datetime64("NaT", "ns"))
    latest = earliest.copy()
    earliest[codes[first]] = believed[first].view("datetime64[ns]")
    latest[codes[first]] = believed[last].view("datetime64[ns]")
    return distinct, earliest, latest


def lineage(dataset: xr.Dataset) -> xr.Dataset:
    """Count what a Dataset holds: beliefs, events, belief times, per source and in total.

    Per source also the first and last belief time.
    """
    rows = long_beliefs(dataset)
    n_names = len(rows.names)
    codes = np.asarray(rows.codes, dtype=np.intp)
    event = rows.event_start.astype("datetime64[ns]").view(np.int64)
    believed = rows.belief_time.astype("datetime64[ns]").view(np.int64)
    per_event = np.lexsort((event, codes))
    distinct_events = group_starts([codes[per_event], event[per_event]])
    times, earliest, latest = _belief_time_range(codes, believed, n_names)
    source_dim = ("source",)
    return xr.Dataset(
        {
            "beliefs": (source_dim, np.bincount(codes, minlength=n_names)),
            "events": (
                source_dim,
                np.bincount(codes[per_event][distinct_events], minlength=n_names),
            ),
            "belief_times": (source_dim, times),
            "first_belief_time": (source_dim, earliest),
            "last_belief_time": (source_dim, latest),
            "total_beliefs": len(codes),
            "total_events": len(np.unique(event)),
            "total_sources": len(np.unique(codes)),
            "total_belief_times": len(np.unique(believed)),
        },
        coords={"source": rows.names},
        attrs={key: dataset.attrs[key] for key in ("sensor", "sensor_id") if key in dataset.attrs},
    )
