"""Mesh's resolution symbols, offset units and zone codes, read into intervals and zones.

Mesh names resolutions ``MIN``, ``MIN5``, ``MIN10``, ``MIN15``, ``MIN30``, ``HOUR``, ``DAY``,
``WEEK``, ``MONTH``, ``YEAR`` and ``HYDYEAR`` (the hydrological year, from 1 September), and
``VARINT`` for a break point (irregular) series; it names time zones ``LT`` (local time, with
daylight saving), ``NT``/``STANDARD`` (standard time, without it) and ``UTC``, or by name. The
workbench's own names (``PT15M``, ``QUARTER``, IANA zones) are read too.

Examples
--------
>>> parse_resolution("MIN15").fixed_ns == 15 * 60 * 10**9, parse_resolution("hydyear").text
(True, 'HYDYEAR')
>>> standard_zone("Europe/Oslo", 0)
'Etc/GMT-1'
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from workbench.calc.periods import ACCEPTED, Interval, boundaries, parse_interval
from workbench.calc.values import DAY_NS, HOUR_NS, IntArray

__all__ = [
    "MESH_UNITS",
    "VARINT",
    "ZoneCode",
    "bounds",
    "parse_resolution",
    "parse_zone",
    "resolve_zone",
    "standard_zone",
]

MINUTE_NS = 60 * 10**9
VARINT = Interval("VARINT", "fixed", 1, 0)
"""The break point "resolution": a series keeping its own points."""

_MINUTES = re.compile(r"^MIN(\d*)$")
HYDYEAR = Interval("HYDYEAR", "month", 12)
MESH_UNITS: dict[str, int] = {
    "MIN": MINUTE_NS,
    "MIN5": 5 * MINUTE_NS,
    "MIN10": 10 * MINUTE_NS,
    "MIN15": 15 * MINUTE_NS,
    "MIN30": 30 * MINUTE_NS,
    "HOUR": HOUR_NS,
    "DAY": DAY_NS,
    "WEEK": 7 * DAY_NS,
    "MONTH": 30 * DAY_NS,
    "YEAR": 365 * DAY_NS,
}
"""Mesh's offset unit codes and their fixed lengths (MONTH is 30 days, YEAR 365: not calendar
aware, as Mesh's TS_OFFSET page says)."""

_LOCAL = frozenset({"LT", "LOCAL", "LOKAL"})
_STANDARD = frozenset({"NT", "NORMAL", "STANDARD"})


@lru_cache(maxsize=256)
def parse_resolution(text: Any, *, varint: bool = False) -> Interval:
    """A Mesh resolution symbol or a workbench interval; ValueError naming both otherwise."""
    if not isinstance(text, str):
        raise ValueError(f"expected a resolution such as 'DAY' or 'MIN15', got {text!r}")
    key = text.strip().upper()
    if key == "VARINT" and varint:
        return VARINT
    if key == "HYDYEAR":
        return HYDYEAR
    match = _MINUTES.match(key)
    if match:
        minutes = int(match.group(1) or 1)
        if minutes > 0:
            return Interval(key, "fixed", 1, minutes * MINUTE_NS)
    try:
        return parse_interval(key)
    except ValueError:
        extra = ", VARINT" if varint else ""
        raise ValueError(
            f"resolution {text!r} is not understood; use MIN, MIN5, MIN10, MIN15, MIN30, "
            f"HYDYEAR{extra}, {ACCEPTED}"
        ) from None


class ZoneCode(str):
    """A zone as written: ``LT``, ``STANDARD``, ``UTC`` or an IANA name (resolved per series)."""


def parse_zone(text: Any) -> ZoneCode:
    """Read a zone code or IANA name; ValueError naming what is accepted otherwise."""
    key = str(text).strip()
    if key.upper() in _LOCAL | _STANDARD | {"UTC"}:
        return ZoneCode(key.upper())
    try:
        ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"timezone {text!r} is not known; use 'LT' (local time), 'STANDARD' (standard "
            "time, no daylight saving), 'UTC', or an IANA name such as 'Europe/Amsterdam'"
        ) from None
    return ZoneCode(key)


def resolve_zone(code: str | None, series_zone: str, moment: int) -> str:
    """The zone name to count calendar intervals in: the series' own without a code."""
    if not code or code in _LOCAL:
        return series_zone
    if code in _STANDARD:
        return standard_zone(series_zone, moment)
    return code


def standard_zone(zone: str, moment: int) -> str:
    """A fixed-offset zone at ``zone``'s standard time (no daylight saving) around ``moment``.

    Whole-hour offsets give an ``Etc/GMT`` name (whose sign is inverted by convention).
    """
    try:
        info = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    when = datetime.fromtimestamp(moment / 1e9, tz=UTC).astimezone(info)
    offset = (when.utcoffset() or pd.Timedelta(0)) - (when.dst() or pd.Timedelta(0))
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    if minutes % 60 == 0:
        return f"Etc/GMT{-minutes // 60:+d}"
    sign = "+" if minutes > 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def bounds(interval: Interval, start: int, end: int, zone: str) -> IntArray:
    """UTC boundaries of ``interval`` from the one holding ``start`` to one at or after
    ``end``, like :func:`workbench.calc.periods.boundaries`, with HYDYEAR (from 1 September)."""
    if interval is not HYDYEAR:
        return boundaries(interval, start, end, zone)
    year = 366 * DAY_NS
    months = boundaries(parse_interval("MONTH"), start - year, end + year, zone)
    local = pd.DatetimeIndex(months.view("datetime64[ns]")).tz_localize("UTC").tz_convert(zone)
    september = months[np.asarray(local.month == 9)]
    lo = max(int(np.searchsorted(september, start, side="right")) - 1, 0)
    hi = min(int(np.searchsorted(september, end, side="left")), september.size - 1)
    return np.asarray(september[lo : hi + 1], dtype=np.int64)


def longest_ns(interval: Interval) -> int:
    """The longest one interval lasts, HYDYEAR included."""
    if interval is HYDYEAR:
        return 366 * DAY_NS + HOUR_NS
    return interval.longest_ns
