"""Time information as Mesh documents it: Time, TimeSpan, TimeToString, IsTimeValid, the time
point parts (Minute ... YearDay) and TIME_MASK.

Time points and spans are numbers in .NET ticks (100 ns), as in Mesh, so that
``@Time('SOP') - @TimeSpan('HOUR') * 3`` is a time point three hours before the period. The parts
of a time point are read on Mesh's standard calendar (UTC+1 without DST).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, cast

import numpy as np
import pandas as pd

from workbench.calc import timespec
from workbench.calc.functions import (
    AS_IN_MESH,
    Function,
    Invocation,
    MeshNote,
    Overload,
    UnitQuery,
    dimensionless,
)
from workbench.calc.periods import split_zone
from workbench.calc.syntax import String
from workbench.calc.timespec import (
    current_zones,
    floor_local,
    grid,
    ns_to_ticks,
    parse_timespec,
    ticks_to_ns,
)
from workbench.calc.values import DAY_NS, HOUR_NS, FloatArray, IntArray, Series, Value, nominal_ns

__all__ = ["FUNCTIONS", "Mask", "parse_frequency"]

_MAX_TICKS = 3_155_378_975_999_999_999  # 9999-12-31T23:59:59.9999999, .NET's last tick


def _validate_time(query: UnitQuery) -> None:
    node = query.node.args[0]
    if isinstance(node, String):
        try:
            parse_timespec(node.value)
        except ValueError as exc:
            raise query.error(f"@{query.node.name}: {exc}") from None


def _time(call: Invocation) -> Value:
    spec = parse_timespec(str(call.args[0]))
    now = timespec.now_ns()
    if len(call.args) > 1:
        now = ticks_to_ns(float(cast(float, call.args[1])))
    return float(ns_to_ticks(spec.resolve(now, period=call.window, now=now)))


_SPANS = {
    "MIN15": 15 * 60 * 10**9,
    "MIN30": 30 * 60 * 10**9,
    "HOUR": HOUR_NS,
    "DAY": DAY_NS,
    "WEEK": 7 * DAY_NS,
    "MONTH": 30 * DAY_NS,
    "YEAR": 365 * DAY_NS,
}


def _span_option(text: Any) -> int:
    value = str(text).strip().upper()
    if value not in _SPANS:
        raise ValueError(f"time span {text!r} is not known; use {', '.join(_SPANS)}")
    return _SPANS[value]


def _timespan(call: Invocation) -> Value:
    return float(call.options[0] // 100)


def _valid(ticks: float) -> bool:
    return bool(np.isfinite(ticks)) and 0 <= ticks <= _MAX_TICKS


def _stamp(call: Invocation) -> pd.Timestamp:
    ticks = float(cast(float, call.args[0]))
    if not _valid(ticks) or not -(2**63) < ticks_to_ns(ticks) < 2**63:
        raise ValueError(f"{ticks} is not a time point (.NET ticks) the workbench can read")
    ns = ticks_to_ns(ticks)
    return pd.Timestamp(ns, tz="UTC").tz_convert(current_zones().standard)


def _time_to_string(call: Invocation) -> Value:
    ticks = float(cast(float, call.args[0]))
    ns = ticks_to_ns(ticks)
    return "UTC" + pd.Timestamp(ns).strftime("%Y%m%d%H%M%S")


def _is_time_valid(call: Invocation) -> Value:
    return 1.0 if _valid(float(cast(float, call.args[0]))) else 0.0


_PARTS: dict[str, tuple[Callable[[pd.Timestamp], int], str]] = {
    "Minute": (lambda t: t.minute, "Minute within the hour (0-59)"),
    "Hour": (lambda t: t.hour, "Hour within the day (0-23)"),
    "Day": (lambda t: t.day, "Day within the month (1-31)"),
    "Week": (lambda t: int(t.isocalendar()[1]), "ISO week number (1-53)"),
    "WeekDay": (lambda t: t.isoweekday(), "Day of the week, 1 Monday to 7 Sunday"),
    "Month": (lambda t: t.month, "Month within the year (1-12)"),
    "Year": (lambda t: t.year, "The year"),
    "YearDay": (lambda t: t.day_of_year, "Day within the year (1-366)"),
}


def _part(name: str) -> Callable[[Invocation], Value]:
    read = _PARTS[name][0]
    return lambda call: float(read(_stamp(call)))


# --- TIME_MASK --------------------------------------------------------------------------------

_FREQUENCIES = ("MIN15", "MIN30", "HOUR", "DAY", "WEEK", "MONTH", "YEAR", "NONE")
_LINEAR = re.compile(r"<\s*LINEAR\s*>", re.IGNORECASE)
_SPECIAL = {"MONTHLY": 12, "WEEKLY": 52, "DAILY": 7, "HOURLY": 24, "QUARTERLY": 4}
_RESOLUTIONS = {
    "MIN15": "PT15M",
    "HOUR": "PT1H",
    "DAY": "P1D",
    "WEEK": "P7D",
    "MONTH": "P1M",
    "YEAR": "P1Y",
    "VARINT": None,
}


@dataclass(frozen=True)
class Mask:
    """A parsed TIME_MASK frequency: its code, the zone its time points are read in, and the
    curve type of the result."""

    code: str
    zone: str
    linear: bool = False


def parse_frequency(text: Any) -> Mask:
    """Parse a repeat frequency such as ``'DAY'``, ``'DAY<UTC><Linear>'`` or ``'LOCALWEEK'``
    (zones as :func:`~workbench.calc.periods.split_zone` reads them)."""
    value = str(text).strip()
    linear = _LINEAR.search(value) is not None
    zone, code = split_zone(_LINEAR.sub("", value))
    if code.strip().upper() not in _FREQUENCIES:
        raise ValueError(
            f"frequency {text!r} is not known; use {', '.join(_FREQUENCIES)}, optionally with "
            "a zone (<LT>, <UTC>, <DB>, <Europe/Oslo>, or in front: LOCALDAY) or <Linear> "
            "(e.g. 'DAY<UTC>')"
        )
    return Mask(code.strip().upper(), current_zones().resolve(zone), linear)


def _resolution(text: Any) -> str:
    value = str(text).strip().upper()
    if value not in _RESOLUTIONS:
        raise ValueError(f"resolution {text!r} is not known; use {', '.join(_RESOLUTIONS)}")
    return value


def _period_start(local: pd.Timestamp, code: str) -> pd.Timestamp:
    return pd.Timestamp(floor_local(int(local.as_unit("ns").value), code), unit="ns")


def _next_period(start: pd.Timestamp, code: str, count: int = 1) -> pd.Timestamp:
    if code == "MONTH":
        return start + pd.DateOffset(months=count)
    if code == "YEAR":
        return start + pd.DateOffset(years=count)
    step = {"MIN15": "15min", "MIN30": "30min", "HOUR": "1h", "DAY": "1D", "WEEK": "7D"}[code]
    return start + count * pd.Timedelta(step)


def _special_points(code: str, count: int) -> list[pd.Timedelta | pd.DateOffset]:
    if code == "MONTHLY":
        return [pd.DateOffset(months=i) for i in range(count)]
    if code == "QUARTERLY":
        return [pd.DateOffset(months=3 * i) for i in range(count)]
    unit = {"WEEKLY": pd.Timedelta(days=7), "DAILY": pd.Timedelta(days=1)}.get(
        code, pd.Timedelta(hours=1)
    )
    return [i * unit for i in range(count)]


def _offsets(call: Invocation, mask: Mask, texts: tuple[str, ...]) -> list[Any]:
    """Each time point as an offset from the start of its repeat period (local time)."""
    if len(texts) == 1 and texts[0].strip().upper() in _SPECIAL:
        code = texts[0].strip().upper()
        return _special_points(code, _SPECIAL[code])
    now = timespec.now_ns()
    out: list[Any] = []
    for text in texts:
        spec = parse_timespec(text)
        if spec.zone is None and spec.local is None and spec.absolute is None:
            spec = replace(spec, zone=mask.zone)  # a point without a zone: the mask's
        utc = spec.resolve(now, period=call.window, now=now)
        local = pd.Timestamp(utc, tz="UTC").tz_convert(mask.zone).tz_localize(None)
        out.append(local if mask.code == "NONE" else local - _period_start(local, mask.code))
    return out


def _breakpoints(
    call: Invocation, mask: Mask, texts: tuple[str, ...], values: FloatArray
) -> Series:
    offsets = _offsets(call, mask, texts)
    if len(offsets) != len(values):
        raise ValueError(
            f"{len(offsets)} time points but {len(values)} values; give one value per time point"
        )
    start, end = call.window
    points: list[tuple[int, float]] = []
    if mask.code == "NONE":
        for local, value in zip(offsets, values, strict=True):
            points.append((_to_utc(local, mask.zone), float(value)))
    else:
        local_start = pd.Timestamp(start, tz="UTC").tz_convert(mask.zone).tz_localize(None)
        period = _next_period(_period_start(local_start, mask.code), mask.code, -1)
        while True:
            for offset, value in zip(offsets, values, strict=True):
                points.append((_to_utc(period + offset, mask.zone), float(value)))
            period = _next_period(period, mask.code)
            if _to_utc(period, mask.zone) > end:
                break
    points.sort(key=lambda p: p[0])
    times = np.array([p[0] for p in points], dtype=np.int64)
    out = np.array([p[1] for p in points], dtype=np.float64)
    # keep the last point at or before the start, the points in the period and one after it
    lo = max(int(np.searchsorted(times, start, side="right")) - 1, 0)
    hi = min(int(np.searchsorted(times, end, side="left")) + 1, times.size)
    return Series(times[lo:hi], out[lo:hi], mask.zone, "PT0S", "linear" if mask.linear else "step")


def _to_utc(local: pd.Timestamp, zone: str) -> int:
    stamp = local.tz_localize(zone, ambiguous=True, nonexistent="shift_forward")
    return int(stamp.tz_convert("UTC").as_unit("ns").value)


def _sampled(points: Series, times: IntArray) -> FloatArray:
    if points.curve_type == "linear":
        return np.interp(times, points.times, points.values, left=np.nan, right=np.nan)
    index = np.searchsorted(points.times, times, side="right") - 1
    out = points.values[np.clip(index, 0, None)].copy()
    out[index < 0] = np.nan
    return out


def _time_mask(call: Invocation) -> Value:
    kinds = [t.kind for t in call.types]
    if kinds[0] == "S":
        mask, texts, values, code = parse_frequency("NONE"), call.args[0], call.args[1], "HOUR"
    else:
        mask = call.options[0]
        texts, values = call.args[1], call.args[2]
        code = call.options[3] if len(call.args) > 3 else "HOUR"
    points = _breakpoints(
        call, mask, cast(tuple[str, ...], texts), np.asarray(values, dtype=np.float64)
    )
    start, _end = call.window
    iso = _RESOLUTIONS[code]
    if iso is None:
        held = points.times < start
        if held.any():  # the value held at the start, moved to the start
            last = int(np.nonzero(held)[0][-1])
            times = np.concatenate([[start], points.times[last + 1 :]])
            vals = np.concatenate(
                [[_sampled(points, np.array([start]))[0]], points.values[last + 1 :]]
            )
            return Series(times.astype(np.int64), vals, points.timezone, "PT0S", points.curve_type)
        return points
    times = grid(iso, call.window)
    return Series(times, _sampled(points, times), points.timezone, iso, "step")


def _mask_step(types: Any, options: Any) -> int | None:
    code = options[3] if len(options) > 3 and options[3] else "HOUR"
    return nominal_ns(_RESOLUTIONS.get(code) or "")


def _holiday_file(call: Invocation) -> Value:
    raise ValueError(
        "TIME_MASK(s, s) reads a calendar file from Mesh's resources, which the workbench does "
        "not have; give the time points and values instead: @TIME_MASK('DAY', {'DAY+6h', "
        "'DAY+22h'}, {1, 0})"
    )


FUNCTIONS: tuple[Function, ...] = (
    Function(
        "Time",
        (
            Overload(
                ("s", "d"), "d", _time, required=1, unit=dimensionless, validate=_validate_time
            ),
        ),
        "A time point (.NET ticks) from a time such as 'SOP', 'EOP', '20120326', 'DAY+1d'; "
        "relative to the given time point instead of now.",
        MeshNote("differs", "macros are relative to the time of evaluation"),
    ),
    Function(
        "TimeSpan",
        (Overload(("s",), "d", _timespan, options={0: _span_option}, unit=dimensionless),),
        "A span in .NET ticks: MIN15, MIN30, HOUR, DAY, WEEK, MONTH (30 days), YEAR (365 days).",
        AS_IN_MESH,
    ),
    Function(
        "TimeToString",
        (Overload(("d",), "s", _time_to_string),),
        "A time point as 'UTCYYYYMMDDhhmmss'.",
        AS_IN_MESH,
    ),
    Function(
        "IsTimeValid",
        (Overload(("d",), "d", _is_time_valid, unit=dimensionless),),
        "1 if the number is a valid time point (.NET ticks), else 0.",
        AS_IN_MESH,
    ),
    *(
        Function(
            name,
            (Overload(("d",), "d", _part(name), unit=dimensionless),),
            f"{doc} of a time point, on the standard calendar (UTC+1).",
            AS_IN_MESH,
        )
        for name, (_, doc) in _PARTS.items()
    ),
    Function(
        "TIME_MASK",
        (
            Overload(
                ("s", "S", "D", "s"),
                "t",
                _time_mask,
                required=3,
                options={0: parse_frequency, 3: _resolution},
                unit=dimensionless,
                step=_mask_step,
            ),
            Overload(("S", "D"), "t", _time_mask, unit=dimensionless),
            Overload(("s", "s"), "t", _holiday_file, unit=dimensionless),
        ),
        "A series from time points repeated at a frequency: @TIME_MASK('DAY', {'DAY+7h', "
        "'DAY+18h'}, {1, 0} [, 'HOUR'|'VARINT']); the frequency may say <UTC>, <LT> or <Linear>.",
        MeshNote(
            "differs",
            "TIME_MASK(s, s) (a calendar file from Mesh's resources) is refused; a breakpoint "
            "result starts with the value held at the period's start; <Linear> interpolates "
            "straight from the last point of one day to the first of the next",
        ),
    ),
)
