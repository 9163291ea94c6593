"""HoloViews elements of a BeliefView: step or line curves, quantile bands, one panel per unit.

A :class:`Track` is one (series, source) line; a :class:`UnitGroup` the tracks that share a
unit and so an axis. :func:`overlay` draws a group from tidy viewpoint frames
(:func:`widgets._beliefdata.viewpoint_frame`); the rows are first turned into drawing points:
a step series gets a closing point at each event's end, and gaps between events break the line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import holoviews as hv
import numpy as np
import pandas as pd
from bokeh.palettes import Category10_10

from widgets._beliefdata import SeriesData, event_ends

__all__ = [
    "Drawing",
    "Track",
    "UnitGroup",
    "band_points",
    "curve_points",
    "groups",
    "overlay",
    "pretty_unit",
]

DASHES = ("solid", "dashed", "dotted", "dotdash", "dashdot")
TIME = hv.Dimension("event_start", label="time (UTC)")


_SUPERSCRIPT = str.maketrans("0123456789-.", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻·")


def pretty_unit(unit: str) -> str:
    """A unit for an axis label: powers as superscripts, ``m**3/s`` -> ``m³/s``.

    >>> pretty_unit("m**3/s"), pretty_unit("EUR/MWh"), pretty_unit("kg*m**-3")
    ('m³/s', 'EUR/MWh', 'kg·m⁻³')
    """
    powered = re.sub(r"\*\*(-?\d+)", lambda m: m.group(1).translate(_SUPERSCRIPT), unit)
    return powered.replace("*", "·")


@dataclass(frozen=True)
class Track:
    """One line: a source's beliefs about one series."""

    key: tuple[str, Any]
    series: str
    source: str
    label: str
    color: str
    dash: str
    band: bool


@dataclass(frozen=True)
class UnitGroup:
    """The tracks that share a unit, drawn in one panel with a y axis in that unit."""

    index: int
    unit: str
    tracks: tuple[Track, ...]
    ylabel: str
    ylim: tuple[float, float] | None
    xlim: tuple[pd.Timestamp, pd.Timestamp] | None

    @property
    def y(self) -> hv.Dimension:
        # One dimension name per group: panels in other units must not share the y range.
        return hv.Dimension(
            f"value{self.index}", label=self.ylabel, unit=pretty_unit(self.unit) or None
        )


def _ylim(values: Sequence[np.ndarray[Any, Any]]) -> tuple[float, float] | None:
    finite = np.concatenate([v[np.isfinite(v)] for v in values]) if values else np.array([])
    if not len(finite):
        return None
    low, high = float(finite.min()), float(finite.max())
    pad = (high - low) * 0.05 if high > low else max(abs(high) * 0.05, 1.0)
    return (low - pad, high + pad)


def _values(data: SeriesData, sources: Sequence[str], latest: pd.DataFrame) -> np.ndarray[Any, Any]:
    """Every value the series may show (all beliefs), for a y range that holds during replay."""
    if data.beliefs is None:
        return np.concatenate([latest[c].to_numpy(float) for c in ("value", "lower", "upper")])
    names = np.asarray(data.beliefs["source"].values).astype(str)
    keep = np.isin(names, list(sources)) if sources else np.ones(len(names), bool)
    return np.asarray(data.beliefs["value"].values[keep], dtype=float)


def groups(
    loaded: Sequence[SeriesData],
    sources: Sequence[str],
    latest: Mapping[tuple[str, Any], pd.DataFrame],
    xlim: tuple[pd.Timestamp, pd.Timestamp] | None,
) -> list[UnitGroup]:
    """Tracks by unit, in the order the series were given; a colour per source, a dash per
    series; ``latest`` frames give the y range of calculated series."""
    every = sorted({s for data in loaded for s in data.sources if not sources or s in sources})
    colors = {name: Category10_10[i % len(Category10_10)] for i, name in enumerate(every)}
    units: dict[str, list[int]] = {}
    for position, data in enumerate(loaded):
        units.setdefault(data.unit, []).append(position)
    result = []
    for index, (unit, positions) in enumerate(units.items()):
        tracks = []
        for rank, position in enumerate(positions):
            data = loaded[position]
            for source in data.sources:
                if sources and source not in sources:
                    continue
                label = source if len(loaded) == 1 else f"{data.label} · {source}"
                dash = DASHES[rank % len(DASHES)]
                band = source in data.probabilistic
                tracks.append(
                    Track(data.key, data.label, source, label, colors[source], dash, band)
                )
        members = [loaded[p] for p in positions]
        ylabel = members[0].label if len(members) == 1 else "value"
        ylim = _ylim([_values(d, sources, latest[d.key]) for d in members])
        result.append(UnitGroup(index, unit, tuple(tracks), ylabel, ylim, xlim))
    return result


def _gaps(starts: np.ndarray[Any, Any], ends: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """For each event: does the next event not start where it ends (the last: True)?"""
    return np.append(starts[1:] != ends[:-1], True) if len(starts) else np.array([], bool)


def curve_points(rows: pd.DataFrame, data: SeriesData, column: str) -> pd.DataFrame:
    """Drawing points of one track's median: a closing point (NaN) at the end of a step
    event, and a break (NaN) where events leave a gap."""
    starts = rows["event_start"].to_numpy("datetime64[ns]")
    values = rows["value"].to_numpy(float)
    if data.resolution <= pd.Timedelta(0) or not len(starts):
        return pd.DataFrame({"event_start": starts, column: values})
    ends = event_ends(starts, data.resolution, data.timezone)
    gap = _gaps(starts, ends)
    if data.curve_type != "step":
        gap[-1] = False  # a line simply ends at its last point
    x = np.stack([starts, ends], axis=1).ravel()
    y = np.stack([values, np.full(len(values), np.nan)], axis=1).ravel()
    keep = np.stack([np.ones(len(gap), bool), gap], axis=1).ravel()
    return pd.DataFrame({"event_start": x[keep], column: y[keep]})


def band_points(rows: pd.DataFrame, data: SeriesData, column: str) -> pd.DataFrame:
    """Drawing points of one track's band between the lowest and highest quantile; where
    there is no band (a gap, a single belief) it narrows to the median, without NaN (an area
    cannot be broken)."""
    starts = rows["event_start"].to_numpy("datetime64[ns]")
    middle = rows["value"].to_numpy(float)
    low = np.where(np.isnan(rows["lower"].to_numpy(float)), middle, rows["lower"].to_numpy(float))
    high = np.where(np.isnan(rows["upper"].to_numpy(float)), middle, rows["upper"].to_numpy(float))
    if data.resolution <= pd.Timedelta(0) or len(starts) < 1:
        return pd.DataFrame({"event_start": starts, column: low, f"{column}_upper": high})
    step = data.curve_type == "step"
    ends = event_ends(starts, data.resolution, data.timezone) if step else starts
    gap = _gaps(starts, event_ends(starts, data.resolution, data.timezone))
    gap[-1] = False
    following = np.append(starts[1:], starts[-1:])
    after = np.append(middle[1:], middle[-1:])
    x = np.stack([starts, ends, ends, following], axis=1).ravel()
    lows = np.stack([low, low, middle, after], axis=1).ravel()
    highs = np.stack([high, high, middle, after], axis=1).ravel()
    keep = np.stack([np.ones(len(gap), bool), np.full(len(gap), step), gap, gap], axis=1).ravel()
    return pd.DataFrame(
        {"event_start": x[keep], column: lows[keep], f"{column}_upper": highs[keep]}
    )


_NO_ROWS = pd.DataFrame(
    {
        "event_start": pd.Series(dtype="datetime64[ns]"),
        "value": pd.Series(dtype=float),
        "lower": pd.Series(dtype=float),
        "upper": pd.Series(dtype=float),
    }
)


class Drawing:
    """Draws one panel: for every track a band (when probabilistic) and a curve, always in the
    same order, so a replay only changes data. The styled elements are made once and cloned
    with each moment's data (styling every element anew would cost more than the data)."""

    def __init__(self, group: UnitGroup, loaded: Mapping[tuple[str, Any], SeriesData]) -> None:
        self.group = group
        self.loaded = loaded
        y = group.y
        self._templates: list[tuple[Track, bool, hv.Element]] = []
        for track in group.tracks:
            data = loaded[track.key]
            if track.band:
                area = hv.Area([], TIME, [y, f"{y.name}_upper"], label=track.label).opts(
                    color=track.color, fill_alpha=0.2, line_width=0, backend="bokeh"
                )
                self._templates.append((track, True, area))
            interpolation = "steps-post" if data.curve_type == "step" else "linear"
            curve = hv.Curve([], TIME, y, label=track.label).opts(
                color=track.color,
                line_dash=track.dash,
                line_width=2,
                interpolation=interpolation,
                tools=["hover"],
                backend="bokeh",
            )
            self._templates.append((track, False, curve))
        self._panel = hv.Overlay([]).opts(backend="bokeh", **self._overlay_options())

    def _overlay_options(self) -> dict[str, Any]:
        group, y = self.group, self.group.y
        options: dict[str, Any] = {
            "responsive": True,
            "height": 320,
            "show_grid": True,
            "title": "",
            "legend_position": "right",
            "ylabel": f"{y.label} ({pretty_unit(group.unit)})" if group.unit else y.label,
        }
        if group.xlim is not None:
            options["xlim"] = group.xlim
        if group.ylim is not None:
            options["ylim"] = group.ylim
        return options

    def __call__(self, frames: Mapping[tuple[str, Any], pd.DataFrame]) -> hv.Overlay:
        """The panel of one moment, from its viewpoint frames."""
        name = self.group.y.name
        split = {
            key: dict(iter(frame.groupby("source", sort=False)))
            for key, frame in frames.items()
            if key in self.loaded
        }
        elements = []
        for track, band, template in self._templates:
            rows = split[track.key].get(track.source, _NO_ROWS)
            make = band_points if band else curve_points
            elements.append(template.clone(data=make(rows, self.loaded[track.key], name)))
        return self._panel.clone(elements)


def overlay(
    group: UnitGroup,
    loaded: Mapping[tuple[str, Any], SeriesData],
    frames: Mapping[tuple[str, Any], pd.DataFrame],
) -> hv.Overlay:
    """One panel of one moment (see :class:`Drawing`, which keeps its styled elements)."""
    return Drawing(group, loaded)(frames)
