"""BeliefView: sensors and calculated attributes over a period, replayed as known at a belief time.

The view reads every belief of its period once per series (the beliefs layout) and computes
each viewpoint in memory (``ds.beliefs.fixed_viewpoint(t)``, or ``rolling_viewpoint(h)`` for a
horizon), so moving the belief-time player only swaps data in the plot. Its state is in
parameters; set them from code or through the controls::

    import panel as pn, workbench as wb
    from widgets import BeliefView

    pn.extension(inline=True)
    ws = wb.connect()
    view = BeliefView(workspace=ws, series=ws.sensors()[:2])
    view.belief_time = "2025-01-01T12:00Z"   # what was known then
    view.horizon = "PT24H"                   # or: the day-ahead beliefs of every event
    view                                     # in a notebook; view.servable() under panel serve
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import param

import workbench as wb
from widgets._beliefdata import (
    COLUMNS,
    Cache,
    SeriesData,
    belief_times,
    data_span,
    is_calculated,
    load_series,
    series_key,
    utc,
    viewpoint_frame,
)
from widgets._beliefplot import Drawing, UnitGroup, groups
from widgets._text import TextAlert, TextViewer, choices

__all__ = ["HORIZONS", "BeliefView"]

#: The horizons offered by the selector (label: ISO duration); any other duration may be set.
HORIZONS: dict[str, str | None] = {
    "every belief (fixed viewpoint)": None,
    "at least 1 hour ahead": "PT1H",
    "at least 6 hours ahead": "PT6H",
    "at least 12 hours ahead": "PT12H",
    "at least 1 day ahead (day-ahead)": "PT24H",
    "at least 2 days ahead": "P2D",
    "at least 1 week ahead": "P7D",
}
#: At most this many belief times on the player (evenly chosen, always with the last).
MAX_STEPS = 1000


def _label(stamp: pd.Timestamp) -> str:
    return stamp.strftime("%Y-%m-%d %H:%M UTC")


class BeliefView(TextViewer):
    """A HoloViews plot of sensors and calculated attributes, replayable by belief time.

    Parameters are the state: ``series`` (Sensor and timeseries Attribute handles),
    ``start``/``end`` (the period; naive times are UTC; None: the span of the data),
    ``belief_time`` (the replay moment; None: the latest beliefs), ``horizon`` (a rolling
    viewpoint such as "PT24H"), ``sources`` (names to keep; empty: all). Problems are shown in
    the view and kept in ``message``; ``plot`` is the HoloViews object and :meth:`data` the
    frame it draws.

    Examples
    --------
    >>> view = BeliefView(series=[sensor])                  # doctest: +SKIP
    >>> view.belief_time = "2025-01-01T06:00Z"              # doctest: +SKIP
    >>> view.data()[["source", "event_start", "value"]]     # doctest: +SKIP
    """

    workspace = param.ClassSelector(
        class_=wb.Workspace,
        default=None,
        allow_None=True,
        doc="The workspace the series come from.",
    )
    series = param.List(
        default=[],
        item_type=(wb.Sensor, wb.Attribute),
        doc="Sensors and timeseries attributes (sensor-backed or calculated) to plot.",
    )
    start = param.Date(default=None, allow_None=True, doc="Period start (naive: UTC); None: data.")
    end = param.Date(default=None, allow_None=True, doc="Period end, exclusive; None: data.")
    belief_time = param.Date(
        default=None,
        allow_None=True,
        doc="Show what was believed at this moment (naive: UTC); None: the latest beliefs.",
    )
    horizon = param.Selector(
        default=None,
        objects=list(HORIZONS.values()),
        check_on_set=False,
        allow_None=True,
        doc="Rolling viewpoint: per event, the latest belief formed at least this long "
        "before its knowledge time (an ISO duration such as 'PT24H'); None: fixed viewpoint.",
    )
    sources = param.List(default=[], item_type=str, doc="Sources to show; empty: every source.")
    belief_times = param.List(
        default=[], constant=True, doc="The distinct belief times of the loaded beliefs (UTC)."
    )
    message = param.String(default="", constant=True, doc="What went wrong, for the user.")

    def __init__(self, **params: Any) -> None:
        for name in ("start", "end", "belief_time"):
            if isinstance(params.get(name), str):
                params[name] = utc(params[name], name)
        super().__init__(**params)
        self._series_cache = Cache(32)
        self._frame_cache = Cache(512)
        self._loaded: list[SeriesData] = []
        self._groups: list[UnitGroup] = []
        self._load_errors: list[str] = []
        self._syncing = False
        self._stream = hv.streams.Params(self, ["belief_time", "horizon"])
        self.plot: hv.DynamicMap | hv.Layout | hv.Overlay = hv.Overlay([])
        self._build_controls()
        self._pane = pn.pane.HoloViews(self.plot, backend="bokeh", sizing_mode="stretch_width")
        self._alert = TextAlert("", alert_type="danger", visible=False)
        self._hint = pn.pane.Markdown(
            "Select a sensor, an object with sensors or a timeseries attribute to plot its "
            "beliefs.",
            styles={"color": "gray"},
        )
        self._reload()

    # -- the public surface -----------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("start", "end", "belief_time") and isinstance(value, str):
            value = utc(value, name)  # ISO texts are welcome: "2025-01-01T12:00Z"
        super().__setattr__(name, value)

    def data(self) -> pd.DataFrame:
        """The rows plotted now: one per series, source and event (columns ``COLUMNS``)."""
        frames = self._frames(self.belief_time, self.horizon)
        if not frames:
            return pd.DataFrame(columns=list(COLUMNS))
        return pd.concat(list(frames.values()), ignore_index=True)

    def select(self, item: Any) -> None:
        """Plot what a browser selected: a sensor or timeseries attribute, an object's sensors
        (and its sensor-backed timeseries attributes), or nothing."""
        self.series = _series_of(item)

    def follow(self, browser: param.Parameterized, name: str = "selected") -> BeliefView:
        """Show whatever ``browser.<name>`` selects, now and whenever it changes."""
        browser.param.watch(lambda event: self.select(event.new), name)
        self.select(getattr(browser, name))
        return self

    def refresh(self) -> None:
        """Read the beliefs again (after new data arrived)."""
        self._series_cache.clear()
        self._frame_cache.clear()
        self._reload()

    def __panel__(self) -> pn.viewable.Viewable:
        controls = pn.Row(
            self._start_input,
            self._end_input,
            self._horizon_select,
            self._source_choice,
            sizing_mode="stretch_width",
        )
        replay = pn.Row(self._player, self._latest_button, sizing_mode="stretch_width")
        return pn.Column(
            controls, replay, self._alert, self._hint, self._pane, sizing_mode="stretch_width"
        )

    # -- loading (period, series and sources change the plot's structure) -------------------

    @param.depends("series", "start", "end", "sources", watch=True)
    def _reload(self) -> None:
        start, end = utc(self.start, "start"), utc(self.end, "end")
        self._load_errors = []
        slots: dict[int, SeriesData] = {}
        calculated = {i for i, item in enumerate(self.series) if is_calculated(item)}
        for position, item in enumerate(self.series):
            if position not in calculated:
                self._load(slots, position, item, start, end)
        # A calculation needs a period: by default the span of the sensors' data beside it.
        first, last = data_span(list(slots.values()))
        period = (start or first, end or last)
        for position in sorted(calculated):
            self._load(slots, position, self.series[position], *period)
        self._loaded = [slots[position] for position in sorted(slots)]
        self._frame_cache.clear()
        latest = self._frames(None, None)
        xlim = (
            None if None in period else (period[0].tz_localize(None), period[1].tz_localize(None))
        )
        self._groups = groups(self._loaded, self.sources, latest, xlim)
        self._update_times()
        self._update_controls()
        self.plot = self._make_plot()
        self._pane.object = self.plot
        self._hint.visible = not self.series
        self._report()

    def _load(
        self,
        slots: dict[int, SeriesData],
        position: int,
        item: wb.Sensor | wb.Attribute,
        start: pd.Timestamp | None,
        end: pd.Timestamp | None,
    ) -> None:
        key = (series_key(item), start, end)
        try:
            slots[position] = self._series_cache.get(key, lambda: load_series(item, start, end))
        except (wb.WorkbenchError, ValueError, KeyError, PermissionError) as exc:
            self._load_errors.append(f"{_name(item)}: {exc}")

    def _update_times(self) -> None:
        times = [belief_times(data, self.sources) for data in self._loaded]
        every = np.unique(np.concatenate(times)) if times else np.array([], "datetime64[ns]")
        if len(every) > MAX_STEPS:
            chosen = np.unique(np.linspace(0, len(every) - 1, MAX_STEPS).round().astype(int))
            every = every[chosen]
        with param.edit_constant(self):
            self.belief_times = [pd.Timestamp(t).tz_localize("UTC") for t in every]

    def _make_plot(self) -> hv.DynamicMap | hv.Layout | hv.Overlay:
        if not self._groups:  # empty axes: Bokeh cannot draw an Overlay of nothing
            return hv.Overlay([hv.Curve([])])
        maps = [
            hv.DynamicMap(self._callback(group), streams=[self._stream]) for group in self._groups
        ]
        return maps[0] if len(maps) == 1 else hv.Layout(maps).cols(1)

    def _callback(self, group: UnitGroup) -> Callable[..., hv.Overlay]:
        loaded = {data.key: data for data in self._loaded}
        drawing = Drawing(group, loaded)
        drawn = Cache(4)  # the same moment is drawn for the plot and for ``view.plot``

        def draw(belief_time: Any = None, horizon: Any = None) -> hv.Overlay:
            frames = _complete(self._frames(belief_time, horizon), loaded)
            key = (utc(belief_time, "belief_time"), horizon or None)
            return drawn.get(key, lambda: drawing(frames))  # type: ignore[no-any-return]

        return draw

    # -- viewpoints (belief time and horizon only change data) ------------------------------

    def _frames(self, belief_time: Any, horizon: Any) -> dict[tuple[str, Any], pd.DataFrame]:
        """The viewpoint frame of every loaded series (cached); failures go to ``message``."""
        return self._viewpoint(belief_time, horizon)[0]

    def _viewpoint(
        self, belief_time: Any, horizon: Any
    ) -> tuple[dict[tuple[str, Any], pd.DataFrame], list[str]]:
        moment = utc(belief_time, "belief_time")
        horizon = horizon or None
        key = (tuple(d.key for d in self._loaded), moment, horizon, tuple(self.sources))
        return self._frame_cache.get(key, lambda: self._compute(moment, horizon))  # type: ignore[no-any-return]

    def _compute(
        self, moment: pd.Timestamp | None, horizon: str | None
    ) -> tuple[dict[tuple[str, Any], pd.DataFrame], list[str]]:
        frames, errors = {}, []
        for data in self._loaded:
            try:
                frames[data.key] = viewpoint_frame(data, moment, horizon, self.sources)
            except (wb.WorkbenchError, ValueError, KeyError, PermissionError) as exc:
                errors.append(f"{data.label}: {exc}")
        return frames, errors

    @param.depends("belief_time", "horizon", watch=True)
    def _replay(self) -> None:
        self._frames(self.belief_time, self.horizon)
        for dmap in _dynamic_maps(self.plot):
            dmap[()]  # keep the map's current frame in step even before it is displayed
        self._update_controls(structure=False)
        self._report()

    def _report(self) -> None:
        frames, failed = self._viewpoint(self.belief_time, self.horizon)
        errors = [*self._load_errors, *failed]
        known = {s for data in self._loaded for s in data.sources}
        unknown = [s for s in self.sources if s not in known]
        if unknown and self._loaded:
            errors.append(f"no beliefs from the sources {unknown}; the series hold {sorted(known)}")
        if self._loaded and not errors and all(f.empty for f in frames.values()):
            when = "then" if self.belief_time is not None else "in this period"
            errors.append(f"nothing was believed about these series {when}")
        with param.edit_constant(self):
            self.message = "\n".join(errors)
        self._alert.object = self.message
        self._alert.visible = bool(self.message)

    # -- the controls -----------------------------------------------------------------------

    def _build_controls(self) -> None:
        self._start_input = pn.widgets.DatetimePicker(label="start (UTC)", width=170)
        self._end_input = pn.widgets.DatetimePicker(label="end (UTC)", width=170)
        self._horizon_select = pn.widgets.Select(label="horizon", options=dict(HORIZONS), width=240)
        self._source_choice = pn.widgets.MultiChoice(
            label="sources (none chosen: all)", options=[], sizing_mode="stretch_width"
        )
        self._player = pn.widgets.DiscretePlayer(
            label="belief time", options=["latest"], value="latest", interval=600,
            loop_policy="once", show_value=True, show_loop_controls=False, sizing_mode="stretch_width",
        )  # fmt: skip
        self._latest_button = pn.widgets.Button(label="latest", width=80, align="end")
        self._latest_button.on_click(lambda _: setattr(self, "belief_time", None))
        links = {
            self._start_input: ("start", _naive_or_none),
            self._end_input: ("end", _naive_or_none),
            self._horizon_select: ("horizon", lambda v: v),
            self._source_choice: ("sources", list),
            self._player: ("belief_time", lambda v: None if v == "latest" else v),
        }
        for widget, (name, _) in links.items():
            widget.param.watch(lambda event, name=name: self._from_widget(name, event.new), "value")

    def _from_widget(self, name: str, value: Any) -> None:
        if self._syncing:
            return
        if name in ("start", "end") and value is not None:
            value = pd.Timestamp(value).tz_localize("UTC")
        if name == "belief_time":
            value = None if isinstance(value, str) else value
        setattr(self, name, value)

    def _update_controls(self, structure: bool = True) -> None:
        """Show the parameters' values in the controls (without echoing back); ``structure``
        also renews their options (not needed while replaying)."""
        self._syncing = True
        try:
            if structure:
                self._renew_options()
            self._start_input.value = _naive_or_none(utc(self.start, "start"))
            self._end_input.value = _naive_or_none(utc(self.end, "end"))
            if self.horizon not in self._horizon_select.options.values():
                extra = {f"at least {self.horizon} ahead": self.horizon}
                self._horizon_select.options = {**HORIZONS, **extra}
            self._horizon_select.value = self.horizon
            self._source_choice.value = list(self.sources)
            self._player.value = _nearest(self.belief_times, utc(self.belief_time, "belief_time"))
        finally:
            self._syncing = False

    def _renew_options(self) -> None:
        known = sorted({s for data in self._loaded for s in data.sources} | set(self.sources))
        self._source_choice.options = choices(known)  # Choices.js shows labels as HTML
        steps: dict[str, Any] = {_label(t): t for t in self.belief_times}
        self._player.options = {**steps, "latest": "latest"}
        self._player.param.trigger("value")  # "latest" moved to a new index: resend it


def _nearest(times: list[pd.Timestamp], moment: pd.Timestamp | None) -> Any:
    """The player position of a moment: the last belief time at or before it, or "latest"."""
    if moment is None or not times:
        return "latest"
    held = [t for t in times if t <= moment]
    return held[-1] if held else times[0]


def _naive_or_none(value: Any) -> Any:
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    return (stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp).to_pydatetime()


def _complete(
    frames: dict[tuple[str, Any], pd.DataFrame], loaded: dict[tuple[str, Any], SeriesData]
) -> dict[tuple[str, Any], pd.DataFrame]:
    """Frames for every loaded series (an empty one where computing failed)."""
    if all(key in frames for key in loaded):
        return frames
    return {key: frames.get(key, _EMPTY) for key in loaded}


_EMPTY = pd.DataFrame({c: pd.Series(dtype=float) for c in COLUMNS}).astype(
    {"event_start": "datetime64[ns]", "belief_time": "datetime64[ns]", "source": object}
)


def _dynamic_maps(plot: Any) -> list[hv.DynamicMap]:
    if isinstance(plot, hv.DynamicMap):
        return [plot]
    if isinstance(plot, hv.Layout):
        return [item for item in plot.values() if isinstance(item, hv.DynamicMap)]
    return []


def _name(item: Any) -> str:
    return str(getattr(item, "full_name", item))


def _series_of(item: Any) -> list[wb.Sensor | wb.Attribute]:
    """The series a selected node stands for."""
    if item is None:
        return []
    if isinstance(item, wb.Sensor | wb.Attribute):
        return [item]
    if isinstance(item, wb.Object):
        found: list[wb.Sensor | wb.Attribute] = list(item.sensors())
        ids = {s.id for s in found if isinstance(s, wb.Sensor)}
        for attribute in item.attributes():
            if attribute.value_type is not wb.ValueType.TIMESERIES:
                continue
            value = attribute.value
            if value.sensor_id is not None and value.sensor_id not in ids:
                found.append(attribute)
        return found
    return []
