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

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property, lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from workbench.calc.values import DAY_NS, HOUR_NS, IntArray

__all__ = [
    "ZONE_CODES",
    "Interval",
    "Zones",
    "boundaries",
    "current_zones",
    "is_utc",
    "parse_interval",
    "parse_zone",
    "split_zone",
    "standard_zone",
    "utc_offset_ns",
]

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
    "HYDYEAR": ("month", 12),
    "MIN15": ("fixed", 15 * 60 * 10**9),
    "MIN30": ("fixed", 30 * 60 * 10**9),
}
_PHASE = {"HYDYEAR": 8}
"""Months after January a cycle starts: the hydrological year starts on 1 September."""
ACCEPTED = (
    "MINUTE, MIN15, MIN30, HOUR, DAY, WEEK, MONTH, QUARTER, YEAR, HYDYEAR, or an ISO 8601 "
    "duration such as 'PT15M', 'PT1H', 'P1D', 'P1M', 'P1Y', optionally with a zone prefix "
    "(UTCWEEK, LOCALDAY) or suffix (DAY<LT>, DAY<Europe/Oslo>)"
)
ZONE_CODES = ("UTC", "LOCAL", "LOKAL", "LT", "STANDARD", "NORMAL", "NT", "DB")
"""Mesh's zone codes, in the order they are tried as a prefix (``LOKAL`` is ``LOCAL``,
``NORMAL`` and ``NT`` are ``STANDARD``)."""
_ALIASES = {"LT": "LOCAL", "LOKAL": "LOCAL", "NORMAL": "STANDARD", "NT": "STANDARD"}
_PREFIX = re.compile(r"^(" + "|".join(ZONE_CODES) + r")(?=[A-Z0-9+-]|$)", re.IGNORECASE)
_SUFFIX = re.compile(r"<([^<>]+)>")
_OFFSET = re.compile(r"^(?:UTC)?([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


@dataclass(frozen=True)
class Zones:
    """What Mesh's zone codes mean: ``STANDARD`` (the default when none is written) is local
    time without daylight saving, ``LOCAL`` (or ``LT``) local time with it, ``DB`` the zone the
    store is configured with (``STANDARD`` unless set), ``UTC`` UTC. Any other zone is written
    as its IANA name. Each field holds an IANA name (``Etc/GMT-1`` is UTC+1 all year).

    :func:`current_zones` reads them from the environment: ``WORKBENCH_STANDARD_ZONE``
    (default ``Etc/GMT-1``, Mesh's UTC+1; ``+01:00`` is accepted too),
    ``WORKBENCH_LOCAL_ZONE`` (default ``Europe/Oslo``) and ``WORKBENCH_DB_ZONE``.

    >>> Zones().resolve("LT"), Zones().resolve(None), Zones().resolve("Europe/Paris")
    ('Europe/Oslo', 'Etc/GMT-1', 'Europe/Paris')
    """

    standard: str = "Etc/GMT-1"
    local: str = "Europe/Oslo"
    database: str | None = None

    def __post_init__(self) -> None:
        for field in ("standard", "local", "database"):
            value = getattr(self, field)
            if value is not None:
                object.__setattr__(self, field, zone_name(value))

    def resolve(self, code: str | None, default: str | None = None) -> str:
        """The IANA name for a zone code or name; no code gives ``default``, else STANDARD."""
        if code is None:
            return default if default is not None else self.standard
        key = code.strip().upper()
        key = _ALIASES.get(key, key)
        if key == "UTC":
            return "UTC"
        if key == "LOCAL":
            return self.local
        if key == "STANDARD":
            return self.standard
        if key == "DB":
            return self.database or self.standard
        return zone_name(code.strip())


def zone_name(text: str) -> str:
    """An IANA zone name checked, or a fixed offset such as ``+01:00`` as its ``Etc/GMT`` name."""
    offset = _OFFSET.match(text.strip())
    if offset is not None:
        sign, hours, minutes = offset.groups()
        if minutes not in (None, "00") or int(hours) > 14:
            raise ValueError(f"zone {text!r}: only whole-hour offsets up to 14 hours are accepted")
        if int(hours) == 0:
            return "UTC"
        return f"Etc/GMT{'-' if sign == '+' else '+'}{int(hours)}"  # Etc/ signs are inverted
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"zone {text!r} is not known; use UTC, LOCAL (or LT), STANDARD, DB, an IANA name "
            "such as 'Europe/Oslo', or an offset such as '+01:00'"
        ) from None
    return text


def parse_zone(text: object) -> str:
    """A zone argument checked: a zone code (upper-cased) or an IANA name, to be resolved by
    :meth:`Zones.resolve` when used; ValueError naming what is accepted otherwise.

    >>> parse_zone("lt"), parse_zone("Europe/Paris")
    ('LT', 'Europe/Paris')
    """
    key = str(text).strip()
    if key.upper() in ZONE_CODES:
        return key.upper()
    try:
        return zone_name(key)
    except ValueError:
        raise ValueError(
            f"timezone {text!r} is not known; use 'LT' (local time), 'STANDARD' (standard "
            "time, no daylight saving), 'UTC', 'DB', or an IANA name such as 'Europe/Amsterdam'"
        ) from None


def standard_zone(zone: str, moment: int) -> str:
    """A fixed-offset zone at ``zone``'s standard time (no daylight saving) around ``moment``
    (ns, UTC), as an ``Etc/GMT`` name for whole hours (whose sign is inverted by convention).

    >>> standard_zone("Europe/Oslo", 0), standard_zone("UTC", 0)
    ('Etc/GMT-1', 'UTC')
    """
    try:
        info = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    when = datetime.fromtimestamp(moment / 1e9, tz=UTC).astimezone(info)
    offset = (when.utcoffset() or timedelta(0)) - (when.dst() or timedelta(0))
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    if minutes % 60 == 0:
        return f"Etc/GMT{-minutes // 60:+d}"
    sign = "+" if minutes > 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def current_zones() -> Zones:
    """The zones configured in the environment (see :class:`Zones`)."""
    get = os.environ.get
    return Zones(
        get("WORKBENCH_STANDARD_ZONE") or Zones.standard,
        get("WORKBENCH_LOCAL_ZONE") or Zones.local,
        get("WORKBENCH_DB_ZONE") or None,
    )


def split_zone(text: str) -> tuple[str | None, str]:
    """Split a zone prefix (``UTCWEEK``) or suffix (``DAY<LT>``) off a name: (zone, rest).

    >>> split_zone("UTCWEEK"), split_zone("DAY<Europe/Oslo>"), split_zone("DAY")
    (('UTC', 'WEEK'), ('Europe/Oslo', 'DAY'), (None, 'DAY'))
    """
    text = text.strip()
    zone: str | None = None
    suffix = _SUFFIX.search(text)
    if suffix is not None:
        zone = suffix.group(1).strip()
        text = (text[: suffix.start()] + text[suffix.end() :]).strip()
    prefix = _PREFIX.match(text)
    if prefix is not None and zone is None:
        zone = prefix.group(1).upper()
        text = text[prefix.end() :]
    return zone, text


_UTC = frozenset({"UTC", "Etc/UTC", "GMT", "Etc/GMT", "Z", "Universal", "Zulu"})
_ISO_TIME = re.compile(r"^PT(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?$")


@dataclass(frozen=True)
class Interval:
    """A calendar unit (``count`` of them) or a fixed duration of ``fixed_ns`` nanoseconds."""

    text: str
    unit: Unit
    count: int = 1
    fixed_ns: int = 0
    zone: str | None = None
    """A zone code or IANA name written with the name (``UTCWEEK``); None: the caller's zone."""
    phase: int = 0
    """For months: how many months after January a cycle starts (HYDYEAR: 8, September)."""

    @property
    def longest_ns(self) -> int:
        """The longest one interval can last (a DST day lasts 25 hours)."""
        if self.unit == "fixed":
            return self.fixed_ns
        days = {"day": 1, "week": 7, "month": 31, "year": 366}[self.unit] * self.count
        if self.unit == "month":  # twelve months (HYDYEAR) last a year at most
            days = min(days, 366 * -(-self.count // 12))
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
    zone, rest = split_zone(text)
    key = rest.upper()
    if zone is not None and zone.upper() not in ZONE_CODES:
        zone_name(zone)  # an IANA name: checked now, so a wrong one fails on save
    if key in _NAMES:
        unit, size = _NAMES[key]
        if unit == "fixed":
            return Interval(key, "fixed", 1, size, zone)
        return Interval(key, unit, size, 0, zone, _PHASE.get(key, 0))
    if _ISO_TIME.match(key):
        ns = int(pd.Timedelta(key).value)
        if ns > 0:
            return Interval(key, "fixed", 1, ns, zone)
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
    ``end``: ``b[0] <= start`` and ``b[-1] >= end``. An interval written with a zone
    (``UTCWEEK``) counts in that zone (see :class:`Zones`) rather than ``timezone``."""
    if interval.zone is not None:
        timezone = current_zones().resolve(interval.zone)
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
        # Quarters start in January, April, July, October; hydrological years in September.
        lo -= (lo - interval.phase) % interval.count
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
