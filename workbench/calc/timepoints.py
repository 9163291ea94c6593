"""Mesh's time point specifications and time points as numbers (.NET ticks).

A specification is explicit (``20251022``, ``UTC202510220143``: 8 to 17 digits,
``YYYYMMDDhhmmssfff`` cut after the day, hour, minute or second) or a macro relative to the
current time (``DAY+2h``, ``LOCALWEEK+1d+4h-10x``: a zone, an anchor, then offsets in days
``d``, hours ``h`` and minutes ``x``). ``SOP`` and ``EOP`` anchor at the start and end of the
requested period. Zones: ``STANDARD`` (the default: UTC+1 all year, Mesh's standard Nordic
calendar), ``LOCAL`` (Europe/Oslo, with DST) and ``UTC``.

Mesh's functions that hand time points around as numbers (Time, TimeSpan, Minute, ...) count
.NET ticks: 100 ns since 0001-01-01 UTC.

Examples
--------
>>> spec = parse_time("UTCDAY+2h")
>>> now = pd.Timestamp("2025-10-22T08:41:49").value
>>> str(pd.Timestamp(resolve(spec, now, (0, 0))))
'2025-10-22 02:00:00'
>>> str(pd.Timestamp(resolve(parse_time("20251022"), now, (0, 0))))
'2025-10-21 23:00:00'
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd

from workbench.calc.periods import boundaries, parse_interval
from workbench.calc.values import DAY_NS, HOUR_NS, IntArray

__all__ = [
    "LOCAL_ZONE",
    "STANDARD_ZONE",
    "TICKS_AT_EPOCH",
    "TimeSpec",
    "grid",
    "now_ns",
    "ns_to_ticks",
    "parse_time",
    "resolve",
    "ticks_to_ns",
]

STANDARD_ZONE = "Etc/GMT-1"
"""Mesh's standard calendar: UTC+1 without daylight saving time."""
LOCAL_ZONE = "Europe/Oslo"
"""Mesh's local calendar (with daylight saving time)."""
TICKS_AT_EPOCH = 621_355_968_000_000_000
"""1970-01-01T00:00Z in .NET ticks (100 ns since 0001-01-01)."""

_ZONES = {"UTC": "UTC", "LOCAL": LOCAL_ZONE, "STANDARD": STANDARD_ZONE, "DB": STANDARD_ZONE}
_ANCHORS = ("YEAR", "MONTH", "WEEK", "DAY", "HOUR", "MIN30", "MIN15", "SOP", "EOP", "NOW")
_OFFSET = {"d": DAY_NS, "h": HOUR_NS, "x": 60 * 10**9}
_MACRO = re.compile(
    r"^(?P<zone>UTC|LOCAL|STANDARD|DB)?(?P<anchor>" + "|".join(_ANCHORS) + r")?"
    r"(?P<offsets>(?:[+-]\d+[dhx])*)$"
)
_EXPLICIT = re.compile(r"^(?P<zone>UTC|LOCAL|STANDARD|DB)?(?P<digits>\d{8,17})$")
_PART = re.compile(r"([+-])(\d+)([dhx])")
ACCEPTED = (
    "a time such as '20251022', 'UTC202510220143', 'DAY+2h', 'LOCALWEEK+1d-10x', 'SOP' or 'EOP' "
    "(anchors YEAR, MONTH, WEEK, DAY, HOUR, MIN30, MIN15; offsets in d, h, x)"
)


@dataclass(frozen=True)
class TimeSpec:
    """A parsed time point specification; :func:`resolve` gives its UTC time."""

    zone: str
    anchor: str | None = None
    offset_ns: int = 0
    explicit: pd.Timestamp | None = None


def parse_time(text: Any) -> TimeSpec:
    """Parse a time point specification; ValueError naming what is accepted."""
    value = str(text).strip()
    explicit = _EXPLICIT.match(value.upper())
    if explicit:
        return TimeSpec(
            _ZONES[explicit["zone"] or "STANDARD"], explicit=_digits(explicit["digits"])
        )
    macro = _MACRO.match(value) or _MACRO.match(_upper_words(value))
    if macro is None or not (macro["anchor"] or macro["offsets"]):
        raise ValueError(f"time {text!r} is not understood; use {ACCEPTED}")
    offset = sum(
        (1 if sign == "+" else -1) * int(count) * _OFFSET[unit]
        for sign, count, unit in _PART.findall(macro["offsets"])
    )
    return TimeSpec(_ZONES[macro["zone"] or "STANDARD"], macro["anchor"] or "NOW", offset)


def _upper_words(value: str) -> str:
    """Upper-case the zone and anchor but not the offset units (``x`` is minutes)."""
    head = re.match(r"^[A-Za-z0-9]*?(?=[+-]|$)", value)
    end = head.end() if head else 0
    return value[:end].upper() + value[end:]


def _digits(digits: str) -> pd.Timestamp:
    if len(digits) not in (8, 10, 12, 14, 17):
        raise ValueError(
            f"an explicit time has 8, 10, 12, 14 or 17 digits (YYYYMMDDhhmmssfff), got {digits!r}"
        )
    padded = digits.ljust(17, "0")
    try:
        return pd.Timestamp(
            int(padded[:4]),
            int(padded[4:6]),
            int(padded[6:8]),
            int(padded[8:10]),
            int(padded[10:12]),
            int(padded[12:14]),
            int(padded[14:17]) * 1000,
        )
    except ValueError as exc:
        raise ValueError(f"time {digits!r} is not a valid date and time: {exc}") from None


def now_ns() -> int:
    """The current time in ns since 1970 UTC (what macros are relative to)."""
    return time.time_ns()


def resolve(spec: TimeSpec, now: int, window: tuple[int, int]) -> int:
    """The UTC time (ns since 1970) of ``spec``, relative to ``now`` and the requested period."""
    if spec.explicit is not None:
        return _utc(spec.explicit, spec.zone)
    if spec.anchor in ("SOP", "EOP"):
        return (window[0] if spec.anchor == "SOP" else window[1]) + spec.offset_ns
    local = pd.Timestamp(now, tz="UTC").tz_convert(spec.zone).tz_localize(None)
    anchor = _floor(local, spec.anchor or "NOW")
    return _utc(anchor + pd.Timedelta(spec.offset_ns, unit="ns"), spec.zone)


def _floor(local: pd.Timestamp, anchor: str) -> pd.Timestamp:
    day = local.normalize()
    floors = {
        "NOW": local,
        "MIN15": local.floor("15min"),
        "MIN30": local.floor("30min"),
        "HOUR": local.floor("h"),
        "DAY": day,
        "WEEK": day - pd.Timedelta(days=day.day_of_week),
        "MONTH": day.replace(day=1),
        "YEAR": day.replace(month=1, day=1),
    }
    return floors[anchor]


def _utc(local: pd.Timestamp, zone: str) -> int:
    stamp = local.tz_localize(zone, ambiguous=True, nonexistent="shift_forward")
    return int(stamp.tz_convert("UTC").as_unit("ns").value)


_INTERVAL = {"P1D": "DAY", "P7D": "WEEK", "P1M": "MONTH", "P1Y": "YEAR"}


def grid(resolution: str, window: tuple[int, int]) -> IntArray:
    """The times of a series of ``resolution`` (ISO) filling ``window``, on Mesh's standard
    calendar (UTC+1 without DST) for days and longer."""
    interval = parse_interval(_INTERVAL.get(resolution, resolution))
    times = boundaries(interval, window[0], window[1], STANDARD_ZONE)
    return times[times < window[1]] if times.size > 1 else times


def ns_to_ticks(ns: Any) -> Any:
    """.NET ticks of times in ns since 1970 (numbers or arrays)."""
    return ns / 100 + TICKS_AT_EPOCH


def ticks_to_ns(ticks: float) -> int:
    """ns since 1970 of a time given in .NET ticks."""
    return round((ticks - TICKS_AT_EPOCH) * 100)
