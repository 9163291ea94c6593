"""Preparing beliefs for a sensor: checked times, its unit, its resolution, belief times.

``prepare_beliefs`` is pure: it turns what a user hands in (pandas or xarray) into aligned numpy
arrays a store can write as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from workbench.beliefs.flags import Flag
from workbench.beliefs.inputs import RawBeliefs, read_beliefs
from workbench.beliefs.resampling import (
    count_parts,
    direction,
    group_starts,
    reduce_groups,
    sort_unique,
    split_events,
)
from workbench.beliefs.rules import ExPost, KnowledgeTimeRule, belief_time_from_horizon
from workbench.beliefs.timing import (
    DatetimeArray,
    Duration,
    Zone,
    check_timezone,
    event_ends,
    floor_starts,
    infer_resolution,
    parse_duration,
    parse_resolution,
    to_utc_naive,
    utc_instant,
)
from workbench.errors import InvalidValue
from workbench.units import convert, is_extensive

__all__ = ["ROW_GROUPS", "NanPolicy", "PreparedBeliefs", "prepare_beliefs"]

NanPolicy: TypeAlias = Literal["drop", "missing"]
_MAX_FLAGS = 2**32 - 1
# The columns whose equal values make one series in a file: a wall time that clocks repeat
# in autumn appears twice in each (see ``to_utc_naive``).
ROW_GROUPS = ("source", "cumulative_probability", "belief_time", "belief_horizon")


@dataclass(frozen=True, eq=False)
class PreparedBeliefs:
    """Beliefs ready to store: aligned arrays, sorted by (event_start, source,
    cumulative_probability, belief_time) with no two rows sharing those four.

    Times are naive UTC ``datetime64[ns]``; ``source`` holds names (or is None when no source was
    given); ``value`` is in the sensor's unit; ``flags`` are ``Flag`` bits.
    """

    event_start: DatetimeArray
    belief_time: DatetimeArray
    source: NDArray[np.object_] | None
    cumulative_probability: NDArray[np.float64]
    value: NDArray[np.float64]
    flags: NDArray[np.uint32]

    def __len__(self) -> int:
        return len(self.event_start)


@dataclass(frozen=True, eq=False)
class _Rows:
    """Working columns; ``source`` holds codes into ``names`` (sorted, so codes sort as names)."""

    start: DatetimeArray
    belief_time: DatetimeArray
    source: NDArray[np.int64]
    names: NDArray[np.object_] | None
    probability: NDArray[np.float64]
    value: NDArray[np.float64]
    flags: NDArray[np.uint32]

    def take(self, index: NDArray[np.intp]) -> _Rows:
        return replace(
            self,
            start=self.start[index],
            belief_time=self.belief_time[index],
            source=self.source[index],
            probability=self.probability[index],
            value=self.value[index],
            flags=self.flags[index],
        )

    def keys(self) -> list[NDArray[Any]]:
        return [
            self.start.view(np.int64),
            self.source,
            self.probability,
            self.belief_time.view(np.int64),
        ]


def prepare_beliefs(
    data: object,
    *,
    sensor_unit: str,
    sensor_resolution: Duration,
    sensor_timezone: str,
    unit: str | None = None,
    timezone: str | None = None,
    source: str | None = None,
    belief_time: datetime | str | None = None,
    horizon: Duration | None = None,
    rule: KnowledgeTimeRule = ExPost(),
    now: datetime | None = None,
    nan: NanPolicy = "drop",
    resolution: Duration | None = None,
) -> PreparedBeliefs:
    """Check and convert beliefs for a sensor.

    Parameters
    ----------
    data
        A pandas Series (index = event starts), a DataFrame with columns (or index levels)
        ``event_start``, ``value`` and optionally ``belief_time``, ``belief_horizon``,
        ``source``, ``cumulative_probability``, ``flags``; or an xarray DataArray/Dataset in
        the workbench layouts (its naive times are UTC, its ``units``/``resolution`` attrs used).
    sensor_unit, sensor_resolution, sensor_timezone
        The sensor's unit, event resolution (0 = instantaneous) and IANA timezone.
    unit
        The unit of the values (default: the input's ``units`` attr, else the sensor's).
    timezone
        The zone of naive timestamps; without it naive timestamps are refused (pandas input).
    source
        The source name for all rows, when the data has no ``source`` column.
    belief_time, horizon
        When the beliefs were formed, if the data does not say: one time, or a horizon before
        each event's knowledge time under ``rule``. Otherwise ``now`` (default: the clock).
    rule
        The sensor's knowledge-time rule.
    nan
        ``"drop"`` NaN values, or keep them flagged ``Flag.MISSING``.
    resolution
        The duration of the given events (default: the index frequency or ``resolution`` attr,
        else the smallest step between event starts on the local clock).

    Returns
    -------
    PreparedBeliefs
        In the sensor's unit and resolution, starts floored to the resolution in its zone,
        sorted, with the last of duplicate beliefs kept. Joining events sums extensive values
        and averages intensive ones; an aggregate that lacks parts is flagged ``SUSPECT``.

    Examples
    --------
    >>> index = pd.date_range("2025-01-01", periods=4, freq="15min", tz="Europe/Amsterdam")
    >>> prepared = prepare_beliefs(
    ...     pd.Series([1.0, 2.0, 3.0, 4.0], index=index), unit="kWh", sensor_unit="kWh",
    ...     sensor_resolution="PT1H", sensor_timezone="Europe/Amsterdam",
    ...     belief_time="2025-01-02T00:00Z")
    >>> prepared.value
    array([10.])
    """
    if nan not in ("drop", "missing"):
        raise InvalidValue(f"nan must be 'drop' or 'missing', got {nan!r}")
    check_timezone(sensor_timezone)
    target = parse_resolution(sensor_resolution)
    raw = read_beliefs(data)
    starts, zone = to_utc_naive(
        raw.columns["event_start"],
        "event_start",
        timezone,
        naive_is_utc=raw.naive_is_utc,
        keys=[raw.columns[name] for name in ROW_GROUPS if name in raw.columns],
    )
    if raw.naive_is_utc and timezone is None and raw.timezone:
        zone = raw.timezone  # UTC times, but calendar days count on the sensor's clock
    given = _data_resolution(resolution, raw, starts, zone, target)
    values = _convert(raw, starts, unit, sensor_unit, given, zone)
    times = _belief_times(
        raw, starts, given, sensor_timezone, timezone, belief_time, horizon, rule, now
    )
    rows = _rows(raw, starts, times, values, source, nan)
    rows = rows.take(sort_unique(rows.keys()))
    rows = _resample(rows, given, target, zone, sensor_timezone, is_extensive(sensor_unit))
    return _finish(rows)


def _data_resolution(
    resolution: Duration | None,
    raw: RawBeliefs,
    starts: DatetimeArray,
    zone: Zone,
    target: pd.Timedelta,
) -> pd.Timedelta:
    """The duration of the given events: as said, as the input says, or inferred."""
    if resolution is not None:
        return parse_resolution(resolution)
    if raw.resolution is not None:
        return parse_resolution(raw.resolution)
    if target == pd.Timedelta(0):
        return target
    return infer_resolution(starts, zone) or target


def _convert(
    raw: RawBeliefs,
    starts: DatetimeArray,
    unit: str | None,
    sensor_unit: str,
    resolution: pd.Timedelta,
    zone: Zone,
) -> NDArray[np.float64]:
    from_unit = unit if unit is not None else raw.unit if raw.unit is not None else sensor_unit
    durations = None
    if resolution > pd.Timedelta(0):
        durations = event_ends(starts, resolution, zone) - starts
    return convert(raw.value, from_unit, sensor_unit, durations)


def _belief_times(
    raw: RawBeliefs,
    starts: DatetimeArray,
    resolution: pd.Timedelta,
    sensor_timezone: str,
    timezone: str | None,
    belief_time: datetime | str | None,
    horizon: Duration | None,
    rule: KnowledgeTimeRule,
    now: datetime | None,
) -> DatetimeArray:
    """Belief times from exactly one of: a column, a horizon column, belief_time=, horizon=."""
    given = {
        "column 'belief_time'": "belief_time" in raw.columns,
        "column 'belief_horizon'": "belief_horizon" in raw.columns,
        "belief_time=": belief_time is not None,
        "horizon=": horizon is not None,
    }
    chosen = [name for name, present in given.items() if present]
    if len(chosen) > 1:
        raise InvalidValue(f"belief times are given twice, by {' and '.join(chosen)}; give one")
    if "belief_time" in raw.columns:
        times, _ = to_utc_naive(
            raw.columns["belief_time"], "belief_time", timezone, naive_is_utc=raw.naive_is_utc
        )
        if np.any(np.isnat(times)):
            raise InvalidValue("column 'belief_time' has empty entries; every belief needs one")
        return times
    if "belief_horizon" in raw.columns or horizon is not None:
        horizons = _horizons(raw, horizon, len(starts))
        return belief_time_from_horizon(starts, horizons, rule, resolution, sensor_timezone)
    moment = belief_time if belief_time is not None else now
    if moment is None:
        return np.full(len(starts), utc_instant(pd.Timestamp.now("UTC"), "now"))
    instant = utc_instant(moment, "belief_time")  # InvalidValue for what is not a time
    if pd.Timestamp(moment).tzinfo is None:
        which = "belief_time" if belief_time is not None else "now"
        raise InvalidValue(
            f"{which}={moment!r} is naive; give a timezone-aware time such as "
            "'2025-01-01T12:00+01:00'"
        )
    return np.full(len(starts), instant)


def _horizons(raw: RawBeliefs, horizon: Duration | None, size: int) -> NDArray[np.timedelta64]:
    if horizon is not None:
        step = parse_duration(horizon, "horizon").to_timedelta64()
        return np.full(size, step, dtype="timedelta64[ns]")
    try:
        horizons = pd.TimedeltaIndex(pd.to_timedelta(raw.columns["belief_horizon"]))
    except (ValueError, TypeError) as exc:
        raise InvalidValue(
            f"column 'belief_horizon' must hold durations such as 'PT1H' ({exc})"
        ) from None
    if horizons.isna().any():
        raise InvalidValue("column 'belief_horizon' has empty entries; every belief needs one")
    return np.asarray(horizons.as_unit("ns").to_numpy(), dtype="timedelta64[ns]")


def _rows(
    raw: RawBeliefs,
    starts: DatetimeArray,
    times: DatetimeArray,
    values: NDArray[np.float64],
    source: str | None,
    nan: NanPolicy,
) -> _Rows:
    codes, names = _sources(raw, source, len(starts))
    flags = _flags(raw, len(starts))
    missing = np.isnan(values)
    flags[missing] |= np.uint32(Flag.MISSING)
    rows = _Rows(starts, times, codes, names, _probabilities(raw, len(starts)), values, flags)
    if nan == "drop" and missing.any():
        return rows.take(np.flatnonzero(~missing))
    return rows


def _sources(
    raw: RawBeliefs, source: str | None, size: int
) -> tuple[NDArray[np.int64], NDArray[np.object_] | None]:
    if "source" not in raw.columns:
        if source is None:
            return np.zeros(size, dtype=np.int64), None
        if not isinstance(source, str) or not source:
            raise InvalidValue(f"source must be a non-empty name such as 'meter', got {source!r}")
        return np.zeros(size, dtype=np.int64), np.array([source], dtype=object)
    if source is not None:
        raise InvalidValue(
            f"the data has a 'source' column and source={source!r} was given too; give one"
        )
    column = pd.Series(raw.columns["source"])
    if column.isna().any():
        raise InvalidValue("column 'source' has empty entries; name the source of every belief")
    codes, names = pd.factorize(column.astype(str), sort=True)
    return codes.astype(np.int64), np.asarray(names, dtype=object)


def _probabilities(raw: RawBeliefs, size: int) -> NDArray[np.float64]:
    if "cumulative_probability" not in raw.columns:
        return np.full(size, 0.5)
    try:
        column = np.asarray(raw.columns["cumulative_probability"], dtype=np.float64)
    except (ValueError, TypeError) as exc:
        raise InvalidValue(f"column 'cumulative_probability' must hold numbers ({exc})") from None
    bad = ~((column >= 0.0) & (column <= 1.0))
    if bad.any():
        raise InvalidValue(
            f"cumulative_probability must lie in [0, 1], got {float(column[bad][0])!r} "
            "(0.5 is the median, used for deterministic beliefs)"
        )
    return column


def _flags(raw: RawBeliefs, size: int) -> NDArray[np.uint32]:
    if "flags" not in raw.columns:
        return np.zeros(size, dtype=np.uint32)
    try:
        column = np.asarray(raw.columns["flags"], dtype=np.float64)
    except (ValueError, TypeError) as exc:
        raise InvalidValue(f"column 'flags' must hold whole numbers ({exc})") from None
    bad = ~((column >= 0) & (column <= _MAX_FLAGS) & (column == np.round(column)))
    if bad.any():
        raise InvalidValue(
            "flags must be whole numbers in [0, 2**32 - 1] (Flag bits), "
            f"got {float(column[bad][0])!r}"
        )
    return column.astype(np.uint32)


def _resample(
    rows: _Rows,
    given: pd.Timedelta,
    target: pd.Timedelta,
    zone: Zone,
    sensor_timezone: str,
    extensive: bool,
) -> _Rows:
    """Split or join events into the sensor's resolution and floor their starts.

    ``rows`` come sorted by (start, source, probability, belief time) without duplicates.
    """
    if target == pd.Timedelta(0) or len(rows.start) == 0:
        return rows
    way = direction(given, target)
    rank = np.zeros(0, dtype=np.int64)
    if way == "up":
        take, starts, parts = split_events(rows.start, given, target, zone)
        rows = rows.take(take)
        rows = replace(rows, start=starts, value=rows.value / parts if extensive else rows.value)
    elif way == "down":
        rank = _ranks(rows)
    rows = replace(rows, start=floor_starts(rows.start, target, sensor_timezone))
    if way == "down":
        return _join(rows, rank, given, target, sensor_timezone, extensive)
    return rows


def _ranks(rows: _Rows) -> NDArray[np.int64]:
    """Position of each belief among the beliefs about the same event, source and probability."""
    starts = group_starts([rows.start.view(np.int64), rows.source, rows.probability])
    sizes = np.diff(np.append(starts, len(rows.start)))
    return np.arange(len(rows.start), dtype=np.int64) - np.repeat(starts, sizes)


def _join(
    rows: _Rows,
    rank: NDArray[np.int64],
    given: pd.Timedelta,
    target: pd.Timedelta,
    zone: str,
    extensive: bool,
) -> _Rows:
    """Join parts (starts already floored) into sensor events.

    The n-th belief about each part joins the n-th belief about the other parts of the same
    event; the aggregate's belief time is the latest of its parts'. Flags combine; an aggregate
    with fewer values than parts is SUSPECT, one without any value MISSING.
    """
    order = np.lexsort((rank, rows.probability, rows.source, rows.start.view(np.int64)))
    rows, rank = rows.take(order), rank[order]
    starts = group_starts([rows.start.view(np.int64), rows.source, rows.probability, rank])
    value = reduce_groups(rows.value, starts, "sum" if extensive else "mean")
    present = np.add.reduceat(~np.isnan(rows.value), starts, dtype=np.int64)
    new_start = rows.start[starts]
    incomplete = present < count_parts(new_start, target, given, zone)
    flags = np.bitwise_or.reduceat(rows.flags, starts) & ~np.uint32(Flag.MISSING)
    flags |= np.where(incomplete, np.uint32(Flag.SUSPECT), np.uint32(0))
    flags |= np.where(np.isnan(value), np.uint32(Flag.MISSING), np.uint32(0))
    return replace(
        rows.take(starts),
        belief_time=reduce_groups(rows.belief_time, starts, "max"),
        value=value,
        flags=flags.astype(np.uint32),
    )


def _finish(rows: _Rows) -> PreparedBeliefs:
    rows = rows.take(sort_unique(rows.keys()))
    names = None if rows.names is None else rows.names[rows.source]
    return PreparedBeliefs(
        event_start=rows.start,
        belief_time=rows.belief_time,
        source=names,
        cumulative_probability=rows.probability,
        value=rows.value,
        flags=rows.flags,
    )
