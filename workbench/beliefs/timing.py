"""Time arithmetic for events: durations, UTC conversion, local calendar days and flooring.

Times are naive UTC ``datetime64[ns]`` arrays; a timezone is an IANA name given beside them.
A resolution that is a whole number of days counts calendar days in that timezone, so an event of
one day lasts 23 or 25 hours on the days clocks change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any, TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from workbench.errors import InvalidValue

__all__ = [
    "DAY",
    "DatetimeArray",
    "Duration",
    "TimedeltaArray",
    "Zone",
    "as_ns",
    "check_timezone",
    "event_ends",
    "floor_starts",
    "from_local",
    "infer_resolution",
    "is_calendar",
    "parse_duration",
    "parse_resolution",
    "to_local",
    "to_utc_naive",
    "utc_instant",
]

DatetimeArray: TypeAlias = NDArray[np.datetime64]
TimedeltaArray: TypeAlias = NDArray[np.timedelta64]
#: A duration as accepted everywhere: a timedelta, pandas/numpy duration, or a text pandas reads
#: ("15min", "PT15M", "P1D").
Duration: TypeAlias = timedelta | pd.Timedelta | np.timedelta64 | str
#: A timezone: an IANA name or a tzinfo (fixed offsets come from parsed texts such as "+01:00").
Zone: TypeAlias = str | tzinfo

DAY = pd.Timedelta(days=1)
_NS = "datetime64[ns]"


def parse_duration(value: Duration, what: str = "duration") -> pd.Timedelta:
    """Return ``value`` as a nanosecond ``pd.Timedelta`` (may be negative).

    >>> parse_duration("PT15M")
    Timedelta('0 days 00:15:00')
    """
    try:
        parsed = pd.Timedelta(value)
    except (ValueError, TypeError) as exc:
        raise InvalidValue(
            f"{what} {value!r} is not a duration; use a timedelta or a text such as "
            f"'15min', 'PT15M' or 'P1D' ({exc})"
        ) from None
    if pd.isna(parsed):
        raise InvalidValue(f"{what} must be a duration such as 'PT15M', got {value!r}")
    return parsed.as_unit("ns")


def parse_resolution(value: Duration) -> pd.Timedelta:
    """Return an event resolution as a ``pd.Timedelta``; zero means instantaneous.

    >>> parse_resolution("P1D")
    Timedelta('1 days 00:00:00')
    """
    parsed = parse_duration(value, "resolution")
    if parsed < pd.Timedelta(0):
        raise InvalidValue(f"resolution must not be negative, got {value!r}; use e.g. 'PT15M'")
    return parsed


def check_timezone(name: object) -> str:
    """Return ``name`` when it is an IANA timezone name, else raise InvalidValue."""
    if not isinstance(name, str) or not name:
        raise InvalidValue(
            f"timezone must be an IANA name such as 'Europe/Amsterdam', got {name!r}"
        )
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue(
            f"timezone {name!r} is unknown; use an IANA name such as 'Europe/Amsterdam' or 'UTC'"
        ) from None
    return name


def is_calendar(resolution: pd.Timedelta) -> bool:
    """Tell whether a resolution counts whole calendar days (and so follows the local clock)."""
    return bool(resolution > pd.Timedelta(0) and resolution % DAY == pd.Timedelta(0))


def _is_utc(zone: Zone | None) -> bool:
    return zone is None or (isinstance(zone, str) and zone.upper() in {"UTC", "ETC/UTC", "Z"})


def as_ns(times: ArrayLike) -> DatetimeArray:
    """Return naive times as a ``datetime64[ns]`` array."""
    return np.asarray(times).astype(_NS, copy=False)


def to_local(utc_naive: ArrayLike, zone: Zone | None) -> DatetimeArray:
    """Return the wall-clock times in ``zone`` (naive) of naive UTC times."""
    times = as_ns(utc_naive)
    if _is_utc(zone):
        return times
    index = pd.DatetimeIndex(times).tz_localize("UTC").tz_convert(zone).tz_localize(None)
    return as_ns(index.as_unit("ns").to_numpy())


def from_local(local_naive: ArrayLike, zone: Zone | None) -> DatetimeArray:
    """Return naive UTC times of wall-clock times in ``zone``.

    Used for calendar boundaries (midnights): a wall time that does not exist moves forward,
    an ambiguous one takes its first occurrence.
    """
    times = as_ns(local_naive)
    if _is_utc(zone):
        return times
    index = pd.DatetimeIndex(times).tz_localize(
        zone, ambiguous=np.ones(len(times), dtype=bool), nonexistent="shift_forward"
    )
    return as_ns(index.tz_convert("UTC").tz_localize(None).as_unit("ns").to_numpy())


def event_ends(starts: ArrayLike, resolution: pd.Timedelta, zone: Zone | None) -> DatetimeArray:
    """Return the ends of events: calendar days count in ``zone``, other durations are absolute.

    >>> starts = np.array(["2025-03-29T23:00"], dtype="datetime64[ns]")  # local midnight
    >>> event_ends(starts, pd.Timedelta("1D"), "Europe/Amsterdam") - starts
    array([82800000000000], dtype='timedelta64[ns]')
    """
    times = as_ns(starts)
    if not is_calendar(resolution) or _is_utc(zone):
        return times + resolution.to_timedelta64()
    local = to_local(times, zone) + resolution.to_timedelta64()
    return from_local(local, zone)


def floor_starts(starts: ArrayLike, resolution: pd.Timedelta, zone: Zone | None) -> DatetimeArray:
    """Floor naive UTC times to the resolution on the wall clock of ``zone``.

    Calendar resolutions floor to local midnights; shorter ones keep each time's UTC offset, so
    quarter-hours stay right in zones whose offset is not a whole hour.
    """
    times = as_ns(starts)
    if resolution <= pd.Timedelta(0):
        return times.copy()
    if _is_utc(zone):
        return as_ns(pd.DatetimeIndex(times).floor(resolution).to_numpy())
    local = to_local(times, zone)
    floored = as_ns(pd.DatetimeIndex(local).floor(resolution).to_numpy())
    if is_calendar(resolution):
        return from_local(floored, zone)
    return floored - (local - times)


def infer_resolution(starts: ArrayLike, zone: Zone | None) -> pd.Timedelta | None:
    """Infer the event resolution from the steps between distinct starts, on the local clock.

    The greatest common divisor of the positive steps, so that gaps do not count; None for fewer
    than two distinct starts.
    """
    local = np.unique(to_local(starts, zone).view(np.int64))
    steps = np.diff(local)
    steps = steps[steps > 0]
    if steps.size == 0:
        return None
    return pd.Timedelta(int(np.gcd.reduce(steps)), unit="ns")


def to_utc_naive(
    values: Any,
    what: str,
    timezone: Zone | None = None,
    *,
    naive_is_utc: bool = False,
    keys: Sequence[ArrayLike] = (),
) -> tuple[DatetimeArray, Zone]:
    """Return times as naive UTC ``datetime64[ns]`` and the zone they were written in.

    Timezone-aware times are converted; naive ones are read in ``timezone`` when given, as UTC
    when ``naive_is_utc`` (xarray objects, whose times are UTC by convention), else refused.
    A wall-clock time that the autumn clock change repeats is told apart by row order among the
    rows that agree on ``keys`` (such as the source column): its first occurrence is summer
    time, its second winter time; once, or more than twice, it is refused, as is a time that
    the spring change skips.
    """
    index = _datetime_index(values, what)
    if index.tz is not None:
        utc = index.tz_convert("UTC").tz_localize(None)
        return as_ns(utc.as_unit("ns").to_numpy()), index.tz
    if timezone is None and naive_is_utc:
        return as_ns(index.as_unit("ns").to_numpy()), "UTC"
    if timezone is None:
        example = index[0] if len(index) else "?"
        raise InvalidValue(
            f"{what} holds naive timestamps (such as '{example}') whose timezone is unknown; give "
            "timezone-aware timestamps (e.g. '2025-01-01T00:00+01:00' or "
            "series.tz_localize('Europe/Amsterdam')), or pass timezone='Europe/Amsterdam'"
        )
    return _localize(index, timezone, what, keys), timezone


def _datetime_index(values: Any, what: str) -> pd.DatetimeIndex:
    if isinstance(values, pd.DatetimeIndex):
        return values
    dtype = getattr(values, "dtype", None)
    if isinstance(dtype, pd.DatetimeTZDtype) or (
        isinstance(dtype, np.dtype) and np.issubdtype(dtype, np.datetime64)
    ):
        return pd.DatetimeIndex(values)
    try:
        return pd.DatetimeIndex(pd.to_datetime(values))
    except (ValueError, TypeError) as exc:
        if "mixed time" in str(exc).lower() or "tz-aware" in str(exc).lower():
            return pd.DatetimeIndex(pd.to_datetime(values, utc=True))
        raise InvalidValue(
            f"{what} must hold timestamps such as '2025-01-01T00:00+01:00' ({exc})"
        ) from None


def _clock_errors() -> tuple[type[Exception], ...]:
    """What localizing a wall time that does not exist or is ambiguous raises: ValueError on
    pandas 3, pytz's InvalidTimeError (not a ValueError) on pandas 2."""
    try:
        from pytz.exceptions import InvalidTimeError  # type: ignore[import-untyped]
    except ImportError:  # pandas 3 needs no pytz
        return (ValueError,)
    return (ValueError, InvalidTimeError)


_CLOCK_ERRORS = _clock_errors()


def _localize(
    index: pd.DatetimeIndex, zone: Zone, what: str, keys: Sequence[ArrayLike] = ()
) -> DatetimeArray:
    if isinstance(zone, str):
        check_timezone(zone)
    try:
        aware = index.tz_localize(zone, ambiguous="raise", nonexistent="raise")
    except _CLOCK_ERRORS:
        summer = _summer_by_row_order(index, zone, what, keys)
        aware = index.tz_localize(zone, ambiguous=summer, nonexistent="raise")
    return as_ns(aware.tz_convert("UTC").tz_localize(None).as_unit("ns").to_numpy())


def _clock_change_error(what: str, zone: Zone, stamp: object, why: str) -> InvalidValue:
    return InvalidValue(
        f"{what} holds wall-clock times that do not exist or are ambiguous in {zone}: "
        f"'{stamp}' {why}; give timezone-aware timestamps (with offsets) for the hours when "
        "clocks change"
    )


def _summer_by_row_order(
    index: pd.DatetimeIndex, zone: Zone, what: str, keys: Sequence[ArrayLike]
) -> NDArray[np.bool_]:
    """Per row, whether an ambiguous wall time is summer time: its first occurrence (in row
    order, among rows with equal ``keys``) is, its second is not."""
    n = len(index)
    try:
        first = index.tz_localize(zone, ambiguous=np.ones(n, dtype=bool), nonexistent="raise")
    except _CLOCK_ERRORS:
        moved = index.tz_localize(zone, ambiguous=np.ones(n, dtype=bool), nonexistent="NaT")
        stamp = index[np.flatnonzero(np.asarray(moved.isna()) & ~np.asarray(index.isna()))[0]]
        raise _clock_change_error(what, zone, stamp, "does not exist (clocks go forward)") from None
    second = index.tz_localize(zone, ambiguous=np.zeros(n, dtype=bool), nonexistent="raise")
    repeated = np.flatnonzero(first.asi8 != second.asi8)
    summer = np.ones(n, dtype=bool)
    columns = {"t": index.asi8[repeated]}
    columns.update({f"k{i}": np.asarray(key)[repeated] for i, key in enumerate(keys)})
    groups = pd.DataFrame(columns).groupby(list(columns), sort=False, dropna=False)
    sizes = groups["t"].transform("size").to_numpy()
    if np.any(sizes != 2):
        row = int(np.flatnonzero(sizes != 2)[0])
        count = "once" if sizes[row] == 1 else f"{sizes[row]} times"
        why = (
            f"is repeated when clocks go back and appears {count}; row order tells the two "
            "apart only when it appears exactly twice (first summer time, then winter time)"
        )
        raise _clock_change_error(what, zone, index[repeated[row]], why)
    summer[repeated] = groups.cumcount().to_numpy() == 0
    return summer


def aware_instant(value: object, what: str) -> pd.Timestamp:
    """One timezone-aware instant as a UTC ``pd.Timestamp``; naive times are refused.

    Used for query arguments (``start``, ``as_of``, ...), where a naive time would be ambiguous.
    """
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise InvalidValue(
            f"{what} {value!r} is not a time; use e.g. '2025-01-01T00:00+01:00' ({exc})"
        ) from None
    if pd.isna(stamp):
        raise InvalidValue(f"{what} must be a time such as '2025-01-01T00:00Z', got {value!r}")
    if stamp.tzinfo is None:
        raise InvalidValue(
            f"{what}={value!r} is naive; give a timezone-aware time such as "
            "'2025-01-01T00:00+01:00', '2025-01-01T00:00Z' or pd.Timestamp(..., tz='UTC')"
        )
    return stamp.tz_convert("UTC")


def utc_instant(value: datetime | pd.Timestamp | np.datetime64 | str, what: str) -> np.datetime64:
    """Return one instant as naive UTC ``datetime64[ns]``; naive inputs are read as UTC.

    Used for arguments such as ``fixed_viewpoint(t)``, where naive means UTC as everywhere in
    the xarray layouts.
    """
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise InvalidValue(
            f"{what} {value!r} is not a time; use e.g. '2025-01-01T12:00Z' ({exc})"
        ) from None
    if pd.isna(stamp):
        raise InvalidValue(f"{what} must be a time such as '2025-01-01T12:00Z', got {value!r}")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    instant: np.datetime64 = stamp.as_unit("ns").to_datetime64()
    return instant
