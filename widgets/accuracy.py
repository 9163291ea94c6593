"""AccuracyView: forecast error (MAE, MAPE, WAPE, RMSE) by horizon and source against a reference.

The scores come from the ``beliefs`` accessor (``ds.beliefs.accuracy(reference=...)``): every
other source's median beliefs are compared with the reference's most recent ones, per belief
horizon (each distinct horizon, bins of ``horizon_bins``, or, when there are more than
:data:`MAX_HORIZONS` horizons, bins of a round width). The view shows one panel per
metric (error against horizon, a line per source) and a table with an "all horizons" row per
source::

    from widgets import AccuracyView

    view = AccuracyView(sensor=ws.sensor("Model/Demo/East:power"), reference="meter")
    view.metrics = ["MAE", "RMSE"]
    view.table()          # the numbers shown
"""

from __future__ import annotations

from typing import Any

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import param
import xarray as xr
from bokeh.palettes import Category10_10

import workbench as wb
from widgets._beliefdata import Cache, utc
from widgets._beliefplot import pretty_unit
from widgets._text import TextAlert, TextViewer

__all__ = ["METRICS", "AccuracyView"]

METRICS = ("MAE", "MAPE", "WAPE", "RMSE")
HOUR = pd.Timedelta(hours=1)
#: More distinct horizons than this are scored in bins of a round width (unless bins are given).
MAX_HORIZONS = 24
_WIDTHS = [pd.Timedelta(w) for w in ("1h", "3h", "6h", "12h", "1D", "2D", "7D", "30D")]


def round_bins(horizons: np.ndarray[Any, Any]) -> list[pd.Timedelta]:
    """Edges of at most :data:`MAX_HORIZONS` bins of a round width covering ``horizons``.

    >>> [e / HOUR for e in round_bins(np.array([1, 5], "timedelta64[h]"))]
    [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    """
    low, high = pd.Timedelta(horizons.min()), pd.Timedelta(horizons.max())
    for width in _WIDTHS:
        first, last = (low // width) * width, (high // width + 1) * width
        if (last - first) / width <= MAX_HORIZONS:
            break
    count = int((last - first) / width)
    return [first + i * width for i in range(count + 1)]


def _hours(value: Any) -> str:
    return f"{pd.Timedelta(value) / HOUR:g} h"


class AccuracyView(TextViewer):
    """Forecast error of a sensor's sources against a reference source, by belief horizon.

    Parameters are the state: ``sensor``, ``reference`` (the source taken as the truth; by
    default the sensor's only source of type "meter"), ``metrics`` (a subset of MAE, MAPE, WAPE,
    RMSE), ``start``/``end`` (the events scored; naive times are UTC; None: all) and
    ``horizon_bins`` (edges such as ["PT0H", "PT12H", "P2D"]; empty: every distinct horizon,
    or bins of a round width when there are more than :data:`MAX_HORIZONS`).
    ``scores`` holds the accessor's result, :meth:`table` the numbers shown, ``plot`` the
    HoloViews object; problems are shown and kept in ``message``.
    """

    workspace = param.ClassSelector(
        class_=wb.Workspace, default=None, allow_None=True, doc="The workspace of the sensor."
    )
    sensor = param.ClassSelector(
        class_=wb.Sensor, default=None, allow_None=True, doc="The sensor whose beliefs are scored."
    )
    reference = param.Selector(
        default=None,
        objects=[],
        check_on_set=False,
        allow_None=True,
        doc="The source whose most recent beliefs are the truth (measurements).",
    )
    metrics = param.ListSelector(
        default=list(METRICS), objects=list(METRICS), doc="The error measures to show."
    )
    start = param.Date(default=None, allow_None=True, doc="First event scored (naive: UTC).")
    end = param.Date(default=None, allow_None=True, doc="Events before this are scored.")
    horizon_bins = param.List(
        default=[],
        doc="Horizon bin edges (durations, increasing); empty: each horizon, or round bins "
        "when there are many.",
    )
    sources = param.List(default=[], constant=True, doc="The sources in the sensor's data.")
    message = param.String(default="", constant=True, doc="What went wrong, for the user.")

    def __init__(self, **params: Any) -> None:
        for name in ("start", "end"):
            if isinstance(params.get(name), str):
                params[name] = utc(params[name], name)
        super().__init__(**params)
        self._cache = Cache(16)
        self._syncing = False
        self.used_reference: str | None = None
        self.scores: xr.Dataset | None = None
        self.overall: xr.Dataset | None = None
        self.plot: hv.Layout | hv.Overlay = hv.Overlay([])
        self._pane = pn.pane.HoloViews(self.plot, backend="bokeh", sizing_mode="stretch_width")
        self._table = pn.widgets.Tabulator(
            pd.DataFrame(),
            disabled=True,
            show_index=False,
            pagination="local",
            page_size=12,
            sizing_mode="stretch_width",
        )
        self._alert = TextAlert("", alert_type="warning", visible=False)
        self._reference_select = pn.widgets.Select(label="reference (truth)", options=[])
        self._reference_select.param.watch(self._chose_reference, "value")
        self._metric_choice = pn.widgets.CheckButtonGroup.from_param(self.param.metrics)
        self._update()

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("start", "end") and isinstance(value, str):
            value = utc(value, name)
        super().__setattr__(name, value)

    def follow(self, browser: param.Parameterized, name: str = "selected") -> AccuracyView:
        """Score whichever sensor ``browser.<name>`` selects (other selections are kept out)."""

        def chosen(item: Any) -> None:
            if isinstance(item, wb.Sensor):
                self.sensor = item

        browser.param.watch(lambda event: chosen(event.new), name)
        chosen(getattr(browser, name))
        return self

    def refresh(self) -> None:
        """Read the beliefs again."""
        self._cache.clear()
        self._update()

    def table(self) -> pd.DataFrame:
        """The numbers shown: per source and horizon (and "all" horizons), the chosen metrics
        and the number of forecasts scored."""
        return self._table.value.copy()

    def __panel__(self) -> pn.viewable.Viewable:
        controls = pn.Row(self._reference_select, self._metric_choice)
        return pn.Column(
            controls, self._alert, self._pane, self._table, sizing_mode="stretch_width"
        )

    # -- computing --------------------------------------------------------------------------

    @param.depends("sensor", "reference", "metrics", "start", "end", "horizon_bins", watch=True)
    def _update(self) -> None:
        self.scores = self.overall = self.used_reference = None
        problem = ""
        try:
            problem = self._score()
        except (wb.WorkbenchError, ValueError, KeyError, PermissionError) as exc:
            problem = str(exc)
        self._show(problem)

    def _beliefs(self, sensor: wb.Sensor) -> xr.Dataset:
        start, end = utc(self.start, "start"), utc(self.end, "end")
        return self._cache.get((sensor.id, start, end), lambda: sensor.beliefs(start, end))  # type: ignore[no-any-return]

    def _score(self) -> str:
        """Compute the scores; return a message when there is nothing to score."""
        if self.sensor is None:
            self._set_sources([])
            return "Choose a sensor to score its forecasts."
        beliefs = self._beliefs(self.sensor)
        names = sorted({str(s) for s in np.asarray(beliefs["source"].values)})
        self._set_sources(names)
        reference = self.reference or self._default_reference(names)
        if reference is None:
            return (
                f"Choose the reference source (the measured truth) among {names}."
                if names
                else f"{self.sensor.full_name} holds no beliefs in this period."
            )
        self.used_reference = reference
        bins = list(self.horizon_bins) or None
        self.scores = beliefs.beliefs.accuracy(reference, horizon_bins=bins)
        if bins is None and self.scores.sizes.get("horizon", 0) > MAX_HORIZONS:
            edges = round_bins(self.scores["horizon"].values)
            self.scores = beliefs.beliefs.accuracy(reference, horizon_bins=edges)
        self.overall = beliefs.beliefs.accuracy(reference, by_horizon=False)
        if not self.scores.sizes.get("source", 0):
            return f"There is no source other than the reference {reference!r} to score."
        if int(self.overall["count"].sum()) == 0:
            return f"No forecast concerns an event the reference {reference!r} has a value for."
        return ""

    def _default_reference(self, names: list[str]) -> str | None:
        """The only source of type "meter" in the data, if there is exactly one."""
        ws = self.workspace or (self.sensor.ws if self.sensor is not None else None)
        if ws is None:
            return None
        meters = {s.name for s in ws.sources(type="meter")} & set(names)
        return meters.pop() if len(meters) == 1 else None

    def _set_sources(self, names: list[str]) -> None:
        with param.edit_constant(self):
            self.sources = names
        self.param.reference.objects = [None, *names]

    # -- showing ----------------------------------------------------------------------------

    def _show(self, problem: str) -> None:
        with param.edit_constant(self):
            self.message = problem
        self._alert.object = problem
        self._alert.visible = bool(problem)
        self._syncing = True
        try:
            self._reference_select.options = ["", *self.sources]
            used = self.used_reference
            self._reference_select.value = used if used in self.sources else ""
        finally:
            self._syncing = False
        frame = self._frame()
        self._table.value = frame
        self.plot = self._make_plot(frame)
        self._pane.object = self.plot

    def _chose_reference(self, event: Any) -> None:
        if not self._syncing and (event.new or None) != self.reference:
            self.reference = event.new or None

    def _frame(self) -> pd.DataFrame:
        columns = ["source", "horizon", "horizon_hours", *self.metrics, "count"]
        if self.scores is None or self.overall is None or not self.scores.sizes.get("source"):
            return pd.DataFrame({c: [] for c in columns})
        rows = []
        scores, overall = self.scores, self.overall
        ends = scores["horizon_end"].values if "horizon_end" in scores.coords else None
        for source in scores["source"].values:
            for i, horizon in enumerate(scores["horizon"].values):
                cell = scores.sel(source=source).isel(horizon=i)
                if int(cell["count"]) == 0:
                    continue
                text = (
                    _hours(horizon) if ends is None else f"{_hours(horizon)} to {_hours(ends[i])}"
                )
                rows.append(self._row(cell, str(source), text, pd.Timedelta(horizon) / HOUR))
            rows.append(self._row(overall.sel(source=source), str(source), "all", np.nan))
        return pd.DataFrame(rows, columns=columns)

    def _row(self, cell: xr.Dataset, source: str, text: str, hours: float) -> dict[str, Any]:
        row: dict[str, Any] = {"source": source, "horizon": text, "horizon_hours": hours}
        row.update({m: float(cell[m]) for m in self.metrics})
        row["count"] = int(cell["count"])
        return row

    def _make_plot(self, frame: pd.DataFrame) -> hv.Layout | hv.Overlay:
        panels = []
        by_horizon = frame[frame["horizon"] != "all"]
        units = self.scores["MAE"].attrs.get("units", "") if self.scores is not None else ""
        colors = {s: Category10_10[i % 10] for i, s in enumerate(self.sources)}
        for metric in self.metrics:
            unit = "%" if metric in ("MAPE", "WAPE") else units
            y = hv.Dimension(metric, unit=pretty_unit(unit) or None)
            x = hv.Dimension("horizon_hours", label="belief horizon", unit="h")
            lines = []
            for source, rows in by_horizon.groupby("source", sort=True):
                style = {"color": colors.get(str(source), "black"), "backend": "bokeh"}
                points = rows[["horizon_hours", metric]]
                lines.append(hv.Curve(points, x, y, label=str(source)).opts(**style))
                lines.append(hv.Scatter(points, x, y, label=str(source)).opts(size=6, **style))
            panels.append(
                hv.Overlay(lines).opts(
                    title=metric,
                    responsive=True,
                    height=260,
                    padding=0.05,
                    show_grid=True,
                    legend_position="right",
                    backend="bokeh",
                )
            )
        if not panels:
            return hv.Overlay([])
        return panels[0] if len(panels) == 1 else hv.Layout(panels).cols(2)
