"""Calendar intervals for TRANSFORM and ACCUMULATE: parsing them and their boundaries in a zone.

An interval is a calendar unit (``DAY``, ``WEEK`` starting Monday, ``MONTH``, ``QUARTER``,
``YEAR``), counted in local time of a timezone so that a day across a DST change lasts 23 or 25
hours, or a fixed duration (``HOUR``, ``MINUTE``, any ISO 8601 ``PT...`` duration) laid on a grid
aligned to local clock time. Boundaries are computed with numpy datetime arithmetic on local
times, converted to UTC once per boundary (never per data point).

Examples
--------
>>> day = parse_interval("DAY")
>>> start = np.datetime64("2024-03-30T23:00", "ns").view(np.int64)  # local midnight, UTC+1
>>> end = np.datetime64("2024-04-01T22:00", "ns").view(np.int64)
>>> b = boundaries(day, int(start), int(end), "Europe/Amsterdam")
>>> np.diff(b).tolist() == [23 * HOUR_NS, 24 * HOUR_NS]
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Literal

import numpy as np
import pandas as pd

from workbench.calc.values import DAY_NS, HOUR_NS, IntArray

__all__ = ["Interval", "boundaries", "is_utc", "parse_interval", "utc_offset_ns"]

Unit = Literal["fixed", "day", "week", "month", "year"]

_NAMES: dict[str, tuple[Unit, int]] = {
    "MINUTE": ("fixed", 60 * 10**9),
    "HOUR": ("fixed", HOUR_NS),
    "DAY": ("day", 1),
    "P1D": ("day", 1),
    "WEEK": ("week", 1),
    "P1W": ("week", 1),
    "P7D": ("week", 1),
    "MONTH": ("month", 1),
    "P1M": ("month", 1),
    "QUARTER": ("month", 3),
    "P3M": ("month", 3),
    "YEAR": ("year", 1),
    "P1Y": ("year", 1),
}
ACCEPTED = (
    "MINUTE, HOUR, DAY, WEEK, MONTH, QUARTER, YEAR, or an ISO 8601 duration such as 'PT15M', "
    "'PT1H', 'P1D', 'P1M', 'P1Y'"
)
_UTC = frozenset({"UTC", "Etc/UTC", "GMT", "Etc/GMT", "Z", "Universal", "Zulu"})
_ISO_TIME = re.compile(r"^PT(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?$")


@dataclass(frozen=True)
class Interval:
    """A calendar unit (``count`` of them) or a fixed duration of ``fixed_ns`` nanoseconds."""

    text: str
    unit: Unit
    count: int = 1
    fixed_ns: int = 0

    @property
    def longest_ns(self) -> int:
        """The longest one interval can last (a DST day lasts 25 hours)."""
        if self.unit == "fixed":
            return self.fixed_ns
        days = {"day": 1, "week": 7, "month": 31, "year": 366}[self.unit] * self.count
        return days * DAY_NS + HOUR_NS

    @cached_property
    def resolution(self) -> str:
        """The ISO 8601 resolution of a series with one value per interval."""
        if self.unit == "fixed":
            return str(pd.Timedelta(self.fixed_ns, unit="ns").isoformat())
        if self.unit in {"day", "week"}:
            days = 7 if self.unit == "week" else 1
            return str(pd.Timedelta(days=days).isoformat())
        return f"P{self.count}{'M' if self.unit == 'month' else 'Y'}"


@lru_cache(maxsize=256)
def parse_interval(text: str) -> Interval:
    """Read an interval name or ISO duration; ValueError naming the accepted ones otherwise.

    >>> parse_interval("pt15m").fixed_ns == 15 * 60 * 10**9, parse_interval("Month").unit
    (True, 'month')
    """
    key = text.strip().upper()
    if key in _NAMES:
        unit, size = _NAMES[key]
        if unit == "fixed":
            return Interval(key, "fixed", 1, size)
        return Interval(key, unit, size)
    if _ISO_TIME.match(key):
        ns = int(pd.Timedelta(key).value)
        if ns > 0:
            return Interval(key, "fixed", 1, ns)
    raise ValueError(f"interval {text!r} is not understood; use {ACCEPTED}")


def is_utc(timezone: str) -> bool:
    """True for the names of UTC, where local time needs no conversion."""
    return timezone in _UTC


def utc_offset_ns(moment: int, timezone: str) -> int:
    """The offset of local time from UTC at ``moment`` (ns since 1970, UTC) in ``timezone``."""
    if is_utc(timezone):
        return 0
    stamp = pd.Timestamp(moment, unit="ns", tz="UTC").tz_convert(timezone)
    offset = stamp.utcoffset()
    return 0 if offset is None else int(offset.total_seconds() * 10**9)


def boundaries(interval: Interval, start: int, end: int, timezone: str) -> IntArray:
    """UTC boundaries (ns) of the intervals from the one holding ``start`` to one at or after
    ``end``: ``b[0] <= start`` and ``b[-1] >= end``."""
    if interval.unit == "fixed":
        step = interval.fixed_ns
        offset = utc_offset_ns(start, timezone)
        first = ((start + offset) // step) * step - offset
        count = -(-(end - first) // step) + 1
        return first + np.arange(max(count, 1), dtype=np.int64) * step
    local_start = start + utc_offset_ns(start, timezone)
    local_end = end + utc_offset_ns(end, timezone)
    local = _local_bounds(interval, local_start, local_end + interval.longest_ns)
    utc = _to_utc(local, timezone)
    # Keep from the last boundary at or before start to the first at or after end.
    lo = max(int(np.searchsorted(utc, start, side="right")) - 1, 0)
    hi = min(int(np.searchsorted(utc, end, side="left")), utc.size - 1)
    return utc[lo : hi + 1]


def _local_bounds(interval: Interval, start: int, end: int) -> IntArray:
    """Naive local boundaries covering [start, end] (ns), from one at or before start."""
    day = start // DAY_NS - 1
    last_day = end // DAY_NS + 1
    if interval.unit == "day":
        days = np.arange(day, last_day + 1, dtype=np.int64)
    elif interval.unit == "week":
        monday = day - (day + 3) % 7  # 1970-01-01 was a Thursday
        days = np.arange(monday, last_day + 7, 7, dtype=np.int64)
    else:
        kind = "M" if interval.unit == "month" else "Y"
        lo = np.datetime64(int(day), "D").astype(f"datetime64[{kind}]").astype(np.int64)
        hi = np.datetime64(int(last_day), "D").astype(f"datetime64[{kind}]").astype(np.int64)
        lo -= lo % interval.count  # quarters start in January, April, July, October
        periods = np.arange(lo, hi + interval.count + 1, interval.count, dtype=np.int64)
        days = periods.astype(f"datetime64[{kind}]").astype("datetime64[D]").astype(np.int64)
    return days * DAY_NS


def _to_utc(local: IntArray, timezone: str) -> IntArray:
    """Convert naive local times to UTC; a time skipped by DST moves forward to the change, a
    repeated one takes its first occurrence."""
    if is_utc(timezone):
        return local
    index = pd.DatetimeIndex(local.view("datetime64[ns]"))
    aware = index.tz_localize(
        timezone, ambiguous=np.ones(local.size, dtype=bool), nonexistent="shift_forward"
    )
    return np.asarray(aware.tz_convert(None).asi8, dtype=np.int64)
