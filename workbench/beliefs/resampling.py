"""Vectorised building blocks for resampling events: splitting, grouping, reducing, sorting.

Extensive quantities (energy, money) are divided when an event is split and summed when events
are joined; intensive ones (power, temperature, prices) are repeated and averaged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from workbench.beliefs.timing import (
    DatetimeArray,
    Zone,
    as_ns,
    event_ends,
    from_local,
    is_calendar,
    to_local,
)
from workbench.errors import InvalidValue

__all__ = [
    "Direction",
    "count_parts",
    "direction",
    "group_starts",
    "reduce_groups",
    "sort_order",
    "sort_unique",
    "split_events",
]

Direction: TypeAlias = Literal["same", "up", "down"]
Reduction: TypeAlias = Literal["sum", "mean", "max", "or"]


def direction(source: pd.Timedelta, target: pd.Timedelta) -> Direction:
    """Tell how events of resolution ``source`` become events of ``target``, or refuse.

    >>> direction(pd.Timedelta("15min"), pd.Timedelta("1h"))
    'down'
    """
    zero = pd.Timedelta(0)
    if source == target:
        return "same"
    if source > zero and target > zero:
        if target % source == zero:
            return "down"
        if source % target == zero:
            return "up"
    raise InvalidValue(
        f"cannot resample events of {source.isoformat()} into {target.isoformat()}: one must "
        "divide the other (e.g. PT15M into PT1H or PT1H into PT15M), and neither may be 0"
    )


def count_parts(
    starts: DatetimeArray, resolution: pd.Timedelta, part: pd.Timedelta, zone: Zone | None
) -> NDArray[np.int64]:
    """Return how many events of ``part`` fit in each event of ``resolution`` starting at starts.

    Calendar parts count local days, so a day holds 23, 24 or 25 hours.
    """
    ends = event_ends(starts, resolution, zone)
    if is_calendar(part):
        span = to_local(ends, zone) - to_local(starts, zone)
    else:
        span = ends - as_ns(starts)
    step = part.to_timedelta64()
    parts = span // step
    uneven = span % step != np.timedelta64(0, "ns")
    if np.any(uneven):
        first = pd.Timestamp(as_ns(starts)[np.argmax(uneven)])
        raise InvalidValue(
            f"the event at {first} (UTC) of {resolution.isoformat()} does not split into whole "
            f"events of {part.isoformat()} (a day of 23 or 25 hours?); choose a resolution "
            "that divides every event"
        )
    return np.asarray(parts, dtype=np.int64)


def split_events(
    starts: DatetimeArray, resolution: pd.Timedelta, part: pd.Timedelta, zone: Zone | None
) -> tuple[NDArray[np.intp], DatetimeArray, NDArray[np.int64]]:
    """Split events into parts of resolution ``part``.

    Returns
    -------
    take
        For each part, the index of the event it comes from.
    part_starts
        The start of each part (naive UTC).
    parts
        For each part, how many parts its event has (to divide extensive values by).
    """
    counts = count_parts(starts, resolution, part, zone)
    take = np.repeat(np.arange(len(counts)), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    offsets = (np.arange(len(take)) - first).astype(np.int64) * part.to_timedelta64()
    if is_calendar(part):
        part_starts = from_local(to_local(starts, zone)[take] + offsets, zone)
    else:
        part_starts = as_ns(starts)[take] + offsets
    return take, part_starts, counts[take]


def group_starts(keys: Sequence[NDArray[Any]]) -> NDArray[np.intp]:
    """Return where runs of equal keys begin in rows sorted by those keys."""
    size = len(keys[0])
    if size == 0:
        return np.zeros(0, dtype=np.intp)
    change = np.zeros(size, dtype=bool)
    change[0] = True
    for key in keys:
        change[1:] |= key[1:] != key[:-1]
    return np.flatnonzero(change)


def reduce_groups(values: NDArray[Any], starts: NDArray[np.intp], how: Reduction) -> NDArray[Any]:
    """Reduce runs of rows (beginning at ``starts``) along the first axis.

    ``sum`` and ``mean`` skip NaN and give NaN for a run without values; ``max`` works on
    times (NaT counts as nothing); ``or`` combines flags.
    """
    if how == "or":
        return np.bitwise_or.reduceat(values, starts, axis=0)
    if how == "max":
        as_int = values.view(np.int64)
        return np.maximum.reduceat(as_int, starts, axis=0).view(values.dtype)
    present = ~np.isnan(values)
    totals = np.add.reduceat(np.where(present, values, 0.0), starts, axis=0)
    counts = np.add.reduceat(present, starts, axis=0, dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        result = totals if how == "sum" else totals / counts
    return np.where(counts > 0, result, np.nan)


def _is_sorted(keys: Sequence[NDArray[Any]]) -> bool:
    tie = np.ones(len(keys[0]) - 1, dtype=bool)
    for key in keys:
        before, after = key[:-1], key[1:]
        if np.any(tie & (before > after)):
            return False
        tie &= before == after
    return True


def sort_unique(keys: Sequence[NDArray[Any]]) -> NDArray[np.intp]:
    """Return row indices that sort by ``keys`` (first key first) and drop duplicate keys.

    Of rows with equal keys the last one (in the given order) is kept. Rows already in order
    are only checked, not sorted.
    """
    size = len(keys[0])
    if size < 2:
        return np.arange(size)
    order = np.arange(size) if _is_sorted(keys) else np.lexsort(tuple(reversed(keys)))
    ordered = [key[order] for key in keys]
    duplicate = np.ones(size - 1, dtype=bool)
    for key in ordered:
        duplicate &= key[1:] == key[:-1]
    if not duplicate.any():
        return order
    keep = np.ones(size, dtype=bool)
    keep[:-1] = ~duplicate
    return order[keep]


def sort_order(keys: Sequence[NDArray[Any]]) -> NDArray[np.intp] | None:
    """Return row indices that sort by ``keys`` (first key first), or None when in order."""
    if len(keys[0]) < 2 or _is_sorted(keys):
        return None
    return np.lexsort(tuple(reversed(keys)))
