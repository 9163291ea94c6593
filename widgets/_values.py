"""Attribute values for the object inspector: text in and out, curve plots, link timelines.

Plots are HoloViews elements (Bokeh backend) with the units on their axes; tests read their
data without a browser.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import holoviews as hv
import holoviews.plotting.bokeh
import numpy as np
import pandas as pd

import workbench as wb
from workbench.curves import RatingCurve, VersionedXYSet, XYSet
from workbench.units import convert

__all__ = [
    "format_simple",
    "link_intervals",
    "link_timeline",
    "parse_simple",
    "rating_plot",
    "xy_plot",
]

_NUMBER = re.compile(r"^([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*)$")
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


def _when(t: datetime) -> str:
    t = t.astimezone(UTC) if t.tzinfo else t
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{t.microsecond:06d}" if t.microsecond else "") + "Z"


def format_simple(value: Any, value_type: wb.ValueType) -> str:
    """The text an editor shows for a simple value (``""`` for no value).

    >>> format_simple(120.5, wb.ValueType.DOUBLE), format_simple(None, wb.ValueType.INT64)
    ('120.5', '')
    >>> format_simple(datetime(2022, 5, 10, 7, 24, tzinfo=UTC), wb.ValueType.UTC_TIME)
    '2022-05-10T07:24:00Z'
    """
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(format_simple(v, value_type) for v in value)
    if value_type is wb.ValueType.UTC_TIME:
        return _when(value)
    if value_type is wb.ValueType.DOUBLE:
        return repr(float(value))
    return str(value)


def parse_simple(attribute: wb.Attribute, raw: Any) -> Any:
    """The value to store from what an editor holds; numbers may carry a unit.

    ``"0.12 GW"`` for an attribute in MW is 120.0; a number without a unit is in the
    attribute's unit. Empty text is "no value" (except for strings). The attribute's own
    validation (range, allowed values, time format) happens when the value is stored.

    Raises
    ------
    InvalidValue
        For text that is not a number where a number is wanted.
    UnitError
        For a unit that does not convert to the attribute's unit.
    """
    vt = attribute.value_type
    if not isinstance(raw, str) or vt is wb.ValueType.STRING:
        return raw
    text = raw.strip()
    if not text:
        return None
    if vt is wb.ValueType.BOOLEAN:
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise wb.InvalidValue(f"{attribute.name}: {raw!r} is not true or false")
    if vt not in (wb.ValueType.DOUBLE, wb.ValueType.INT64):
        return text  # utc_time: the store parses ISO 8601 and UTC... literals
    return _number(attribute, raw, text)


def _number(attribute: wb.Attribute, raw: str, text: str) -> Any:
    unit = attribute.unit
    match = _NUMBER.match(text)
    if match is None:
        example = f"'12.5' or '12.5 {unit}'" if unit else "'12.5'"
        raise wb.InvalidValue(f"{attribute.name}: {raw!r} is not a number; write e.g. {example}")
    number, given = match.groups()
    whole = attribute.value_type is wb.ValueType.INT64 and not any(c in number for c in ".eE")
    value: Any = int(number) if whole else float(number)
    if given and given != unit:
        if not unit:
            raise wb.UnitError(
                f"{attribute.name} has no unit; write a plain number instead of {raw!r}"
            )
        value = float(convert([float(number)], given, unit)[0])
    return value


# -- curves ---------------------------------------------------------------------------------


def _axis(name: str, unit: str) -> hv.Dimension:
    return hv.Dimension(name, unit=unit or None)


def xy_plot(xy: XYSet, title: str = "", suffix: str = "") -> hv.Overlay:
    """One line per curve of an XY-set, labelled by its z (with the z unit)."""
    x, y = _axis("x", xy.x_unit), _axis("y", xy.y_unit)
    z_unit = f" {xy.z_unit}" if xy.z_unit else ""
    curves = [
        hv.Curve((np.asarray(c.x), np.asarray(c.y)), x, y, label=f"z = {c.z:g}{z_unit}{suffix}")
        for c in xy.curves
    ]
    return hv.Overlay(curves).opts(title=title or xy.description, backend="bokeh")


def versioned_xy_plot(value: VersionedXYSet, title: str = "") -> hv.Overlay:
    """The curves of every version of a versioned XY-set, labelled by version and z."""
    overlays = [xy_plot(v.xy_set, suffix=f", from {v.valid_from:%Y-%m-%d}") for v in value.versions]
    curves = [c for o in overlays for c in o]
    return hv.Overlay(curves).opts(title=title, backend="bokeh")


def rating_plot(curve: RatingCurve, title: str = "", points: int = 200) -> hv.Overlay:
    """f(x) of every version of a rating curve over its x range, labelled by its start."""
    lines = []
    for v in curve.versions:
        x = np.linspace(v.x_range_from, v.segments[-1].x_range_until, points, endpoint=False)
        lines.append(
            hv.Curve((x, v.evaluate(x)), "x", "f(x)", label=f"from {v.valid_from:%Y-%m-%d}")
        )
    return hv.Overlay(lines).opts(title=title, backend="bokeh")


# -- versioned links ----------------------------------------------------------------------------


def link_intervals(history: Sequence[tuple[datetime, wb.Object | None]]) -> pd.DataFrame:
    """One row per (target, interval) of a versioned link: valid_from, valid_until, target.

    A version holds until the next version starts; the last one is open (valid_until NaT).
    """
    starts = sorted({t for t, _ in history})
    until = dict(zip(starts, [*starts[1:], None], strict=True))
    rows = [
        {
            "valid_from": pd.Timestamp(t).tz_convert(None),
            "valid_until": pd.NaT if until[t] is None else pd.Timestamp(until[t]).tz_convert(None),
            "target": "(none)" if target is None else target.name,
        }
        for t, target in sorted(history, key=lambda e: e[0])
    ]
    frame = pd.DataFrame(rows, columns=["valid_from", "valid_until", "target"])
    return frame.astype({"valid_from": "datetime64[ns]", "valid_until": "datetime64[ns]"})


def link_timeline(intervals: pd.DataFrame, title: str = "") -> hv.Segments:
    """The intervals as horizontal bars, one row per target; open intervals end after today."""
    targets = list(dict.fromkeys(intervals["target"]))
    now = pd.Timestamp(datetime.now(UTC)).tz_convert(None)
    last = intervals["valid_from"].max() if len(intervals) else now
    open_end = max(now, last) + timedelta(days=30)
    data = pd.DataFrame(
        {
            "valid_from": intervals["valid_from"],
            "row0": [targets.index(t) for t in intervals["target"]],
            "valid_until": intervals["valid_until"].fillna(open_end),
            "row1": [targets.index(t) for t in intervals["target"]],
            "target": intervals["target"],
        }
    )
    ticks = list(enumerate(targets))
    return hv.Segments(data, ["valid_from", "row0", "valid_until", "row1"], ["target"]).opts(
        line_width=10,
        yticks=ticks,
        ylabel="target",
        xlabel="valid",
        title=title,
        ylim=(-0.5, len(targets) - 0.5),
        tools=["hover"],
        backend="bokeh",
    )
