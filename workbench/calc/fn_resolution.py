"""TRANSFORM, as Mesh defines it: to a coarser resolution (aggregation) and to a finer one.

Mesh's TRANSFORM page (``docs/mesh/calculations/functions/transform.md``) and its terms page
(``transform_terms.md``) are the spec. From a fixed-interval series to a coarser resolution,
and from a break point series to any resolution, each interval is reduced with the method
(SUM, SUMI, AVG, AVGI, FIRST, LAST, MIN, MAX, or DEFAULT: chosen from the unit and curve type).
From a fixed-interval series to a finer resolution the values are spread: SUM divides each
value over the finer intervals it covers (their sum equals it), AVG repeats it; as in Mesh, a
method containing "SUM" spreads as SUM and any other as AVG.

Forms: ``TRANSFORM(t, s, s)`` (R1), ``TRANSFORM(t, t, s)`` (R2: intervals between the points of
a second series), ``TRANSFORM(t, d, s)`` (R3: intervals of ``d`` seconds from the period start)
and ``TRANSFORM(t, s, s, s)`` (R4: in a zone; ``LT``, ``STANDARD``, ``UTC`` or a name).

Mesh compatibility: R1-R4 as documented. Differences: without a zone, calendar intervals follow
the series' own timezone with daylight saving (Mesh: the system's standard time; write
``'STANDARD'`` for that); SUMI carries its unit (MW gives MW·s, values in MW·s as in Mesh).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from workbench.calc.functions import Function, Invocation, MeshNote, Overload, UnitQuery, Window
from workbench.calc.periods import (
    Interval,
    boundaries,
    current_zones,
    is_utc,
    parse_zone,
    utc_offset_ns,
)
from workbench.calc.quantities import unit_of
from workbench.calc.resolutions import VARINT, parse_resolution
from workbench.calc.transform import (
    functional,
    integrate_intervals,
    reduce_intervals,
    spread,
)
from workbench.calc.values import DAY_NS, FloatArray, IntArray, Series, Value, ValueType, nominal_ns
from workbench.units import is_extensive, ureg

__all__ = ["FUNCTIONS", "Method", "aggregate", "disaggregate", "parse_method"]

_ALIASES = {
    "SUM": "SUM",
    "SUMV": "SUM",
    "GSUM": "SUM",
    "SUMI": "SUMI",
    "AVG": "AVG",
    "AVGV": "AVG",
    "MEAN": "AVG",
    "AVERAGE": "AVG",
    "GMEAN": "AVG",
    "AVGI": "AVGI",
    "FIRST": "FIRST",
    "LAST": "LAST",
    "MIN": "MIN",
    "MAX": "MAX",
    "DEFAULT": "DEFAULT",
}
ACCEPTED_METHODS = (
    "AVG, SUM, SUMI, AVGI, FIRST, LAST, MIN, MAX, DEFAULT (or MEAN, AVERAGE, AVGV, SUMV, "
    "GMEAN, GSUM)"
)
BACK_NS = 7 * DAY_NS
"""How far back a break point series is read for the value holding at the period start."""


@dataclass(frozen=True)
class Method:
    """A transformation method as written (``text``) and what it does when aggregating."""

    text: str
    name: str

    @property
    def spreads(self) -> str:
        """How the method spreads to a finer resolution: SUM when it says SUM, else AVG."""
        return "SUM" if "SUM" in self.text else "AVG"


def parse_method(text: Any) -> Method:
    """Read a method name; ValueError naming the accepted ones otherwise."""
    key = str(text).strip().upper()
    if key not in _ALIASES:
        raise ValueError(f"method {text!r} is not known; use one of {ACCEPTED_METHODS}")
    return Method(key, _ALIASES[key])


def _seconds(value: Any) -> int:
    if not isinstance(value, float) or value <= 0 or value * 1e9 != int(value * 1e9):
        raise ValueError(f"an interval length must be a positive number of seconds, got {value!r}")
    return int(value * 1e9)


def _series(call: Invocation) -> Series:
    series = call.args[0]
    assert isinstance(series, Series)
    return series


def default_method(series: Series, unit: Any, finer: bool) -> str:
    """Mesh's DEFAULT method: FIRST for a linear series; a mean for states and rates (power,
    temperature, levels, volumes, flows, prices, percentages): AVG, or AVGI for a break point
    series; otherwise SUM (AVGI for a break point series). Spreading: AVG or SUM alike."""
    if series.curve_type == "linear" and not finer:
        return "FIRST"
    mean = True
    if unit is not None:
        dims = unit.dimensionality
        volume = dims == ureg.get_dimensionality("[volume]")
        counted = not dims and str(unit) not in {"percent", "%"}
        mean = volume or not (is_extensive(unit) or counted)
    if finer:
        return "AVG" if mean else "SUM"
    if series.step == 0:
        return "AVGI"
    return "AVG" if mean else "SUM"


def aggregate(series: Series, edges: IntArray, method: str, unit: Any = None) -> FloatArray:
    """One value per interval [edges[i], edges[i + 1]) of ``series`` by ``method``."""
    if method == "DEFAULT":
        method = default_method(series, unit, finer=False)
    if method in {"AVGI", "SUMI"}:
        integral, hours = integrate_intervals(series, edges, int(edges[-1]))
        with np.errstate(invalid="ignore", divide="ignore"):
            values = integral * 3600.0 if method == "SUMI" else integral / hours
        return np.where(hours > 0, values, np.nan)
    if method in {"FIRST", "LAST"} and series.step == 0:
        # Mesh: the functional value at the start (end) of the interval, for a break point series
        at = edges[:-1] if method == "FIRST" else edges[1:]
        return functional(series, at, before=method == "LAST")
    return reduce_intervals(series.times, series.values, edges, method, series.step)  # type: ignore[arg-type]


def coarse_ends(series: Series) -> IntArray:
    """Where each point of a fixed-interval series stops holding: the next point, or one
    resolution on when that is sooner (a missing point stays missing)."""
    times = series.times
    nominal = times + series.step
    if times.size == 0:
        return nominal
    following = np.append(times[1:], nominal[-1])
    return np.asarray(np.minimum(following, nominal), dtype=np.int64)


def disaggregate(
    series: Series, target: Interval, how: str, start: int, end: int, zone: str
) -> tuple[IntArray, FloatArray]:
    """Spread a fixed-interval series over the finer intervals of ``target`` in [start, end)."""
    regular = _regular_spread(series, target, how, start, end, zone)
    if regular is not None:
        return regular
    times = series.times
    ends = coarse_ends(series)
    lo, hi = start, end
    if times.size:
        first = max(int(np.searchsorted(times, start, side="right")) - 1, 0)
        last = max(int(np.searchsorted(times, end, side="left")) - 1, 0)
        lo, hi = min(start, int(times[first])), max(end, int(ends[last]))
    fine = boundaries(target, lo, hi, zone)[:-1]
    values = spread(times, series.values, ends, fine, how)
    keep = (fine >= start) & (fine < end)
    return fine[keep], values[keep]


def _regular_spread(
    series: Series, target: Interval, how: str, start: int, end: int, zone: str
) -> tuple[IntArray, FloatArray] | None:
    """The common case without searching: a gapless series of fixed steps, each a whole number
    of fixed target intervals, on the target's grid (np.repeat); None otherwise."""
    times, step, size = series.times, series.step, target.fixed_ns
    if target.unit != "fixed" or size <= 0 or times.size < 2 or step % size:
        return None
    if series.resolution.startswith("P") and "T" not in series.resolution and not is_utc(zone):
        return None  # days or longer in a zone with daylight saving: not of fixed length
    if (int(times[0]) + utc_offset_ns(int(times[0]), zone)) % size:
        return None
    if int(times[-1]) - int(times[0]) != step * (times.size - 1):
        return None
    if not np.all(np.diff(times) == step):
        return None
    k = step // size
    lo = max(0, -(-(start - int(times[0])) // size))
    hi = min(times.size * k, -(-(end - int(times[0])) // size))
    if hi <= lo:
        return np.empty(0, dtype=np.int64), np.empty(0)
    first, last = lo // k, (hi - 1) // k + 1
    values = np.repeat(series.values[first:last], k)[lo - first * k : hi - first * k]
    if how == "SUM":
        values = values / k
    fine = int(times[0]) + np.arange(lo, hi, dtype=np.int64) * size
    return fine, values


def _finer(series_step: int | None, target: Interval) -> bool:
    target_ns = nominal_ns(target.resolution)
    return bool(series_step and target_ns and series_step > target_ns)


def _transform(call: Invocation) -> Value:
    series = _series(call)
    target: Interval = call.options[1]
    method: Method = call.options[2]
    start, end = call.window
    code = call.options[3] if len(call.options) > 3 else None
    zone = current_zones().resolve(code, default=series.timezone)
    unit = call.types[0].unit
    if target is VARINT:
        return replace(series.crop(start, end), resolution="PT0S", flags=None)
    if _finer(series.step, target):
        how = method.spreads
        if method.name == "DEFAULT":
            how = default_method(series, unit, finer=True)
        times, values = disaggregate(series, target, how, start, end, zone)
        return Series(times, values, zone, target.resolution, "step")
    edges = boundaries(target, start, end, zone)
    values = aggregate(series, edges, method.name, unit)
    starts = edges[:-1]
    keep = (starts >= start) & (starts < end)
    return Series(starts[keep], values[keep], zone, target.resolution, "step")


def _by_series(call: Invocation) -> Value:
    series, marks = call.args[0], call.args[1]
    assert isinstance(series, Series) and isinstance(marks, Series)
    start, end = call.window
    inside = marks.times[(marks.times >= start) & (marks.times < end)]
    edges = np.append(inside, end).astype(np.int64)
    if inside.size == 0:
        return Series(inside, np.empty(0), series.timezone, "PT0S", "step")
    values = aggregate(series, edges, call.options[2].name, call.types[0].unit)
    return Series(inside, values, series.timezone, "PT0S", "step")


def _by_seconds(call: Invocation) -> Value:
    series = _series(call)
    start, end = call.window
    size: int = call.options[1]
    edges = start + np.arange(-(-(end - start) // size) + 1, dtype=np.int64) * size
    values = aggregate(series, edges, call.options[2].name, call.types[0].unit)
    return Series(edges[:-1], values, series.timezone, "PT0S", "step")


def _unit(query: UnitQuery) -> Any:
    unit = query.types[0].unit
    method = query.options[2]
    if unit is None or method is None or method.name != "SUMI":
        return unit
    target = query.options[1] if isinstance(query.options[1], Interval) else None
    if target is not None and _finer(query.types[0].step, target):
        return unit
    return unit * unit_of("s")


def _window(window: Window, types: Sequence[ValueType], options: Sequence[Any]) -> Window:
    step = types[0].step
    back = step if step else BACK_NS
    target = options[1]
    forward = target.longest_ns if isinstance(target, Interval) else (target or 0)
    return window[0] - back, window[1] + forward


def _step(types: Sequence[ValueType], options: Sequence[Any]) -> int | None:
    target = options[1]
    return nominal_ns(target.resolution) if isinstance(target, Interval) else 0


FUNCTIONS: tuple[Function, ...] = (
    Function(
        "TRANSFORM",
        (
            Overload(
                ("t", "s", "s", "s"),
                "t",
                _transform,
                required=3,
                options={
                    1: lambda text: parse_resolution(text, varint=True),
                    2: parse_method,
                    3: parse_zone,
                },
                unit=_unit,
                window=_window,
                step=_step,
            ),
            Overload(
                ("t", "t", "s"),
                "t",
                _by_series,
                options={2: parse_method},
                unit=_unit,
                window=_window,
                step=_step,
            ),
            Overload(
                ("t", "d", "s"),
                "t",
                _by_seconds,
                options={1: _seconds, 2: parse_method},
                unit=_unit,
                window=_window,
                step=_step,
            ),
        ),
        "Change resolution (Mesh R1-R4): @TRANSFORM(t, 'DAY', 'AVG' [, zone]) aggregates with "
        "AVG/SUM/MIN/MAX/FIRST/LAST (points), AVGI (time-weighted mean), SUMI (integral, unit x "
        "s) or DEFAULT; to a finer resolution SUM spreads a value over its intervals and AVG "
        "repeats it. @TRANSFORM(t, t2, m) uses the points of t2 as interval starts, "
        "@TRANSFORM(t, seconds, m) intervals of that many seconds. Zone: 'LT', 'STANDARD', "
        "'UTC' or a name (default: the series' zone). Mesh: compatible.",
        mesh=MeshNote(
            "differs",
            "without a zone argument, calendar intervals follow the series' own timezone with daylight saving (Mesh: standard time; write 'STANDARD'); GSUM and GMEAN are SUM and AVG; results carry units",
        ),
    ),
)
