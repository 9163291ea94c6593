"""Mesh's resolution symbols and offset units, read into intervals.

Mesh names resolutions ``MIN``, ``MIN5``, ``MIN10``, ``MIN15``, ``MIN30``, ``HOUR``, ``DAY``,
``WEEK``, ``MONTH``, ``YEAR`` and ``HYDYEAR`` (the hydrological year, from 1 September), and
``VARINT`` for a break point (irregular) series. The workbench's own names (``PT15M``,
``QUARTER``) are read too, and a zone written with the name (``UTCWEEK``, ``DAY<LT>``), both by
:func:`workbench.calc.periods.parse_interval`; zone codes mean what
:func:`workbench.calc.periods.current_zones` says.

Examples
--------
>>> parse_resolution("MIN15").fixed_ns == 15 * 60 * 10**9, parse_resolution("hydyear").text
(True, 'HYDYEAR')
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from workbench.calc.periods import ACCEPTED, Interval, parse_interval, split_zone
from workbench.calc.values import DAY_NS, HOUR_NS

__all__ = ["MESH_UNITS", "VARINT", "parse_resolution"]

MINUTE_NS = 60 * 10**9
VARINT = Interval("VARINT", "fixed", 1, 0)
"""The break point "resolution": a series keeping its own points."""

_MINUTES = re.compile(r"^MIN(\d*)$")
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


@lru_cache(maxsize=256)
def parse_resolution(text: Any, *, varint: bool = False) -> Interval:
    """A Mesh resolution symbol or a workbench interval; ValueError naming both otherwise."""
    if not isinstance(text, str):
        raise ValueError(f"expected a resolution such as 'DAY' or 'MIN15', got {text!r}")
    key = text.strip().upper()
    if key == "VARINT" and varint:
        return VARINT
    zone, rest = split_zone(text)
    match = _MINUTES.match(rest.strip().upper())
    if match and int(match.group(1) or 1) > 0:
        minutes = int(match.group(1) or 1)
        return Interval(rest.strip().upper(), "fixed", 1, minutes * MINUTE_NS, zone)
    try:
        return parse_interval(text)
    except ValueError:
        extra = ", VARINT" if varint else ""
        raise ValueError(
            f"resolution {text!r} is not understood; use MIN, MIN5, MIN10, MIN15, MIN30, "
            f"HYDYEAR{extra}, {ACCEPTED}"
        ) from None
