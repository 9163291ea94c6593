"""Mesh's time vocabulary: time points written as macros or literals, resolved in a zone.

A time point is written as Mesh writes it (``docs/mesh/calculations/timepoint-macros.md``):

- an explicit time of 8 to 17 digits, ``YYYYMMDD[hh[mm[ss[xxx]]]]`` (``xxx``: milliseconds),
  with an optional zone prefix: ``20121201000000000``, ``UTC20210917000000000``;
- a macro ``[zone] anchor offsets``: ``WEEK+2d+14h-10x``, ``UTCDAY+2h``, ``LOCALDAY+3d``. The
  anchor is the start of the ``YEAR``, ``HYDYEAR`` (1 September), ``QUARTER``, ``MONTH``,
  ``WEEK`` (Monday), ``DAY``, ``HOUR``, ``MIN30`` or ``MIN15`` holding the reference time, or
  ``SOP``/``EOP`` (start and end of the calculation period) or ``NOW``; without an anchor the
  offsets count from the reference time (``-1h``, ``+1d``). Offsets are days ``d``, hours ``h``
  and minutes ``x``, added on the wall clock of the zone (``DAY+7h`` is 07:00 on a DST day too);
- ISO 8601 text (``2024-05-01T06:00Z``; without an offset it is UTC), read by
  :func:`workbench.metamodel.parse_time`.

The zone is a code (``UTC``, ``LOCAL`` or ``LT``, ``STANDARD``, ``DB``) written as a prefix or in
angle brackets (``DAY<LT>``), or an IANA name in angle brackets (``DAY<Europe/Oslo>``); without
one it is ``STANDARD``, local time without daylight saving (UTC+1 unless configured, see
:class:`~workbench.calc.periods.Zones`). Calendar intervals (``UTCWEEK``, ``HYDYEAR``) are read by
:func:`~workbench.calc.periods.parse_interval`, re-exported here.

Mesh's functions that hand time points around as numbers (``Time``, ``TimeSpan``, ...) count
.NET ticks, 100 ns since 0001-01-01 UTC: :func:`ns_to_ticks`, :func:`ticks_to_ns`.

Functions taking a time argument parse it once (when the expression is checked) and resolve it
when they run, against the calculation period:

>>> spec = parse_timespec("DAY+2h")
>>> now = to_ns("2025-10-22T10:41:49+02:00")
>>> show(spec.resolve(now))  # docs/mesh/calculations/timepoint-macros.md
'2025-10-22T01:00:00Z'
>>> show(resolve_time("LOCALDAY+2h", now)), show(resolve_time("UTCDAY+2h", now))
('2025-10-22T00:00:00Z', '2025-10-22T02:00:00Z')
>>> period = (to_ns("2024-01-01T00:00Z"), to_ns("2024-02-01T00:00Z"))
>>> show(resolve_time("SOP-1h", period=period)), show(resolve_time("+1d", period[1]))
('2023-12-31T23:00:00Z', '2024-02-02T00:00:00Z')
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench.calc.periods import (
    ZONE_CODES,
    Interval,
    Zones,
    boundaries,
    current_zones,
    parse_interval,
    split_zone,
    zone_name,
)
from workbench.calc.values import DAY_NS, IntArray
from workbench.errors import InvalidValue
from workbench.metamodel import mesh_literal, parse_time

__all__ = [
    "ANCHORS",
    "TICKS_AT_EPOCH",
    "Interval",
    "TimeSpec",
    "Zones",
    "current_zones",
    "floor_local",
    "grid",
    "now_ns",
    "ns_to_ticks",
    "parse_interval",
    "parse_timespec",
    "resolve_time",
    "show",
    "ticks_to_ns",
    "to_ns",
]

Anchor = Literal[
    "YEAR", "HYDYEAR", "QUARTER", "MONTH", "WEEK", "DAY", "HOUR", "MIN30", "MIN15", "SOP", "EOP",
    "NOW",
]  # fmt: skip
ANCHORS: tuple[Anchor, ...] = (
    "HYDYEAR", "YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "HOUR", "MIN30", "MIN15", "SOP", "EOP",
    "NOW",
)  # fmt: skip
"""The anchors a macro may start with (longest first where one starts another)."""
_MINUTE_NS = 60 * 10**9
_MACRO = re.compile(
    r"^(?P<anchor>" + "|".join(ANCHORS) + r")?(?P<offsets>(?:[+-]\d+[DHX])*)$", re.IGNORECASE
)
_OFFSET = re.compile(r"([+-])(\d+)([DHX])", re.IGNORECASE)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_MINUTES = {"D": 0, "H": 60, "X": 1}
ACCEPTED = (
    "an explicit time such as '20121201000000000' or 'UTC20210917', a macro such as "
    "'WEEK+2d+14h-10x', 'UTCDAY+2h', 'SOP-1h' or '+1d' (anchors "
    + ", ".join(ANCHORS)
    + "; offsets d days, h hours, x minutes; zones "
    + ", ".join(ZONE_CODES)
    + " or <IANA name>), or ISO 8601 text such as '2024-05-01T06:00Z'"
)


@dataclass(frozen=True)
class TimeSpec:
    """A parsed time point: resolve it with :meth:`resolve`.

    Attributes
    ----------
    text
        As written.
    zone
        The zone code or IANA name written (None: STANDARD, or UTC for ISO text).
    anchor
        The anchor of a macro (None: an explicit time, ISO text, or offsets alone).
    days, minutes
        The offsets, added on the zone's wall clock.
    local
        An explicit time as naive local nanoseconds in ``zone`` (None for macros).
    absolute
        ISO text as UTC nanoseconds (None otherwise).
    """

    text: str
    zone: str | None = None
    anchor: Anchor | None = None
    days: int = 0
    minutes: int = 0
    local: int | None = None
    absolute: int | None = None

    @property
    def needs_period(self) -> bool:
        """True when it names the calculation period (SOP or EOP)."""
        return self.anchor in {"SOP", "EOP"}

    @property
    def duration_ns(self) -> int | None:
        """Offsets written alone (``'+2h'``, ``'-15x'``, ``'+1d-2h'``) as a fixed duration in
        ns (a day is 24 hours); None for a time point with an anchor, a zone or a date."""
        if self.anchor or self.zone or self.local is not None or self.absolute is not None:
            return None
        return self.days * DAY_NS + self.minutes * _MINUTE_NS

    def resolve(
        self,
        reference: int | None = None,
        *,
        period: tuple[int, int] | None = None,
        now: int | None = None,
        zones: Zones | None = None,
    ) -> int:
        """The time point as UTC nanoseconds since 1970.

        Parameters
        ----------
        reference
            The time a calendar anchor or a bare offset counts from (ns, UTC); default: the
            period's start, else now.
        period
            The calculation period [start, end) in UTC ns, for ``SOP`` and ``EOP``.
        now
            The current time (ns, UTC); default: the clock.
        zones
            What the zone codes mean; default :func:`~workbench.calc.periods.current_zones`.

        Raises
        ------
        ValueError
            For ``SOP``/``EOP`` without a period.
        """
        if self.absolute is not None:
            return self.absolute
        tz = (zones or current_zones()).resolve(self.zone)
        if self.local is not None:
            return _to_utc(self.local, tz)
        if self.anchor in {"SOP", "EOP"}:
            if period is None:
                raise ValueError(f"time {self.text!r} names the calculation period; none is given")
            base = period[0] if self.anchor == "SOP" else period[1]
        elif self.anchor == "NOW" or (reference is None and period is None):
            base = now_ns() if now is None else now
        else:
            base = reference if reference is not None else period[0]  # type: ignore[index]
        local = base + _offset_ns(base, tz)
        if self.anchor is not None and self.anchor not in {"SOP", "EOP", "NOW"}:
            local = floor_local(local, self.anchor)
        elif not self.days and not self.minutes:
            return base  # nothing moves: no round trip through local time
        return _to_utc(local + self.days * DAY_NS + self.minutes * _MINUTE_NS, tz)


@lru_cache(maxsize=1024)
def parse_timespec(text: str) -> TimeSpec:
    """Parse a time point as Mesh writes it (see the module); ValueError naming the forms
    accepted otherwise.

    >>> parse_timespec("WEEK+2d+14h-10x")
    TimeSpec(text='WEEK+2d+14h-10x', zone=None, anchor='WEEK', days=2, minutes=830, local=None, \
absolute=None)
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"time {text!r} is empty; use {ACCEPTED}")
    compact = re.sub(r"\s+", "", text)
    zone, rest = split_zone(compact)
    if zone is not None and zone.upper() not in ZONE_CODES:
        zone_name(zone)
    if rest.isdigit():
        local = mesh_literal(rest)
        if local is None:
            raise ValueError(
                f"time {text!r}: an explicit time has 8 to 17 digits, YYYYMMDDhhmmssxxx"
            )
        return TimeSpec(text, zone, local=local)
    macro = _MACRO.match(rest)
    if macro is not None and (macro.group("anchor") or macro.group("offsets")):
        days = minutes = 0
        for sign, count, unit in _OFFSET.findall(macro.group("offsets")):
            amount = int(count) * (-1 if sign == "-" else 1)
            if unit.upper() == "D":
                days += amount
            else:
                minutes += amount * _MINUTES[unit.upper()]
        anchor = macro.group("anchor")
        return TimeSpec(text, zone, anchor.upper() if anchor else None, days, minutes)  # type: ignore[arg-type]
    if zone is None and any(c in compact for c in "-:T"):
        try:
            stamp = parse_time(compact if _has_zone(compact) else compact + "+00:00")
        except InvalidValue:
            stamp = None
        if stamp is not None:
            return TimeSpec(text, absolute=to_ns(stamp))
    if zone is None and _ISO_DATE.match(text.strip()):  # a date, or a space before the time
        try:
            loose = pd.Timestamp(text.strip())
        except ValueError:
            loose = None
        if loose is not None and not pd.isna(loose):
            return TimeSpec(text, absolute=to_ns(loose))
    raise ValueError(f"time {text!r} is not understood; use {ACCEPTED}")


def resolve_time(
    text: str,
    reference: int | None = None,
    *,
    period: tuple[int, int] | None = None,
    now: int | None = None,
    zones: Zones | None = None,
) -> int:
    """:func:`parse_timespec` then :meth:`TimeSpec.resolve`: UTC nanoseconds since 1970."""
    return parse_timespec(text).resolve(reference, period=period, now=now, zones=zones)


def to_ns(value: Any) -> int:
    """A time as UTC nanoseconds since 1970 (naive times are UTC)."""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(None)
    return int(stamp.as_unit("ns").value)


def show(ns: int) -> str:
    """UTC nanoseconds as ISO 8601 text with a ``Z``: ``2024-01-01T00:00:00Z``."""
    return str(np.datetime64(ns, "ns").astype("datetime64[s]")) + "Z"


def now_ns() -> int:
    """The current time in ns since 1970 UTC (what macros count from by default)."""
    return time.time_ns()


TICKS_AT_EPOCH = 621_355_968_000_000_000
"""1970-01-01T00:00Z in .NET ticks (100 ns since 0001-01-01)."""


def ns_to_ticks(ns: Any) -> Any:
    """.NET ticks of times in ns since 1970 (numbers or arrays)."""
    return ns / 100 + TICKS_AT_EPOCH


def ticks_to_ns(ticks: float) -> int:
    """ns since 1970 of a time given in .NET ticks."""
    return round((ticks - TICKS_AT_EPOCH) * 100)


_GRID_NAMES = {"P1D": "DAY", "P7D": "WEEK", "P1M": "MONTH", "P1Y": "YEAR"}


def grid(resolution: str, window: tuple[int, int], zones: Zones | None = None) -> IntArray:
    """The times of a series of ``resolution`` (ISO) filling ``window``, days and longer
    counted on the standard calendar (``STANDARD``, see :class:`Zones`)."""
    interval = parse_interval(_GRID_NAMES.get(resolution, resolution))
    times = boundaries(interval, window[0], window[1], (zones or current_zones()).standard)
    return times[times < window[1]] if times.size > 1 else times


def _has_zone(text: str) -> bool:
    return text.endswith(("Z", "z")) or re.search(r"[+-]\d{2}:?\d{2}$", text) is not None


def _offset_ns(moment: int, tz: str) -> int:
    if tz == "UTC":
        return 0
    offset = pd.Timestamp(moment, unit="ns", tz="UTC").tz_convert(tz).utcoffset()
    return 0 if offset is None else int(offset.total_seconds()) * 10**9


def _to_utc(local: int, tz: str) -> int:
    """Naive local ns to UTC; a skipped wall time moves forward, a repeated one is the first."""
    if tz == "UTC":
        return local
    stamp = pd.Timestamp(local, unit="ns").tz_localize(
        tz, ambiguous=True, nonexistent="shift_forward"
    )
    return int(stamp.tz_convert(None).as_unit("ns").value)


def floor_local(local: int, anchor: str) -> int:
    """The start of the calendar unit ``anchor`` (``DAY``, ``WEEK``, ``HYDYEAR``, ...) holding
    naive local time ``local`` (ns), as naive local ns."""
    fixed = {"DAY": DAY_NS, "HOUR": 60 * _MINUTE_NS, "MIN30": 30 * _MINUTE_NS}
    if anchor in fixed or anchor == "MIN15":
        step = fixed.get(anchor, 15 * _MINUTE_NS)
        return local - local % step
    day = local // DAY_NS
    if anchor == "WEEK":
        return int(day - (day + 3) % 7) * DAY_NS  # 1970-01-01 was a Thursday
    month = int(np.datetime64(day, "D").astype("datetime64[M]").astype(np.int64))
    size, phase = {"YEAR": (12, 0), "HYDYEAR": (12, 8), "QUARTER": (3, 0), "MONTH": (1, 0)}[anchor]
    month -= (month - phase) % size
    return int(np.datetime64(month, "M").astype("datetime64[D]").astype(np.int64)) * DAY_NS
