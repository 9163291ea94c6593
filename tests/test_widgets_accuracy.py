"""AccuracyView driven through its parameters: scores against a hand computation, metric and
horizon choices, the plot, and the messages shown when there is nothing to score."""

from __future__ import annotations

from typing import Any

import holoviews as hv
import numpy as np
import pandas as pd
import param
import pytest
from bokeh.models import Line
from widget_data import DAY_AHEAD, HOURS, MEASURED, add_power_sensor

import workbench as wb
from widgets import AccuracyView


@pytest.fixture
def power(plant: wb.Object) -> wb.Sensor:
    return add_power_sensor(plant)


def by_horizon(view: AccuracyView, metric: str) -> dict[str, float]:
    table = view.table()
    rows = table[table["source"] == "forecaster"]
    return dict(zip(rows["horizon"], rows[metric], strict=True))


# Forecast errors by hand: the day-ahead forecasts miss by -1 MW at horizons 13..18 h (each
# hour is known when it ends, 13 + i h after 12:00 the day before); the revisions miss by +7 MW
# at horizons 2, 3 and 4 h, against 13, 14 and 15 MW.
ERRORS = np.array([-1.0] * 6 + [7.0] * 3)
ACTUAL = np.concatenate([MEASURED, MEASURED[3:]])


def test_scores_against_the_meter_by_default(power: wb.Sensor) -> None:
    view = AccuracyView(workspace=power.ws, sensor=power)
    assert view.message == ""
    assert view.used_reference == "meter" and view.sources == ["forecaster", "meter"]
    assert view._reference_select.value == "meter"
    mae = by_horizon(view, "MAE")
    assert mae == {
        "2 h": 7.0, "3 h": 7.0, "4 h": 7.0, "13 h": 1.0, "14 h": 1.0, "15 h": 1.0, "16 h": 1.0,
        "17 h": 1.0, "18 h": 1.0, "all": pytest.approx(np.abs(ERRORS).mean()),
    }  # fmt: skip
    assert by_horizon(view, "MAPE")["2 h"] == pytest.approx(100 * 7 / 13)
    overall = view.table().query("horizon == 'all'").iloc[0]
    assert overall["MAE"] == pytest.approx(3.0)
    assert overall["RMSE"] == pytest.approx(np.sqrt(np.mean(ERRORS**2)))
    assert overall["WAPE"] == pytest.approx(100 * np.abs(ERRORS).sum() / ACTUAL.sum())
    assert overall["MAPE"] == pytest.approx(100 * np.mean(np.abs(ERRORS) / ACTUAL))
    assert overall["count"] == 9  # medians only: the quantiles are not scored


def test_metrics_choose_the_columns_and_panels(power: wb.Sensor) -> None:
    view = AccuracyView(sensor=power, reference="meter", metrics=["RMSE", "WAPE"])
    assert list(view.table().columns) == [
        "source", "horizon", "horizon_hours", "RMSE", "WAPE", "count"
    ]  # fmt: skip
    figures = [hv.render(panel, backend="bokeh") for panel in view.plot.values()]
    assert [f.yaxis[0].axis_label for f in figures] == ["RMSE (MW)", "WAPE (%)"]
    assert figures[0].xaxis[0].axis_label == "belief horizon (h)"
    [line] = [r.data_source.data for r in figures[0].renderers if isinstance(r.glyph, Line)]
    assert list(line["horizon_hours"]) == [2.0, 3.0, 4.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0]
    assert list(line["RMSE"]) == [7.0] * 3 + [1.0] * 6
    view.metrics = ["MAE"]
    assert isinstance(view.plot, hv.Overlay)
    assert hv.render(view.plot, backend="bokeh").yaxis[0].axis_label == "MAE (MW)"


def test_horizon_bins(power: wb.Sensor) -> None:
    view = AccuracyView(sensor=power, reference="meter", horizon_bins=["PT0H", "PT12H", "P2D"])
    assert by_horizon(view, "MAE") == {"0 h to 12 h": 7.0, "12 h to 48 h": 1.0, "all": 3.0}
    counts = view.table().set_index("horizon")["count"].to_dict()
    assert counts == {"0 h to 12 h": 3, "12 h to 48 h": 6, "all": 9}
    view.horizon_bins = ["PT5H", "PT1H"]
    assert "horizon_bins must be at least two increasing" in view.message
    assert view.table().empty


def test_the_period_limits_the_events_scored(power: wb.Sensor) -> None:
    view = AccuracyView(sensor=power, reference="meter", start="2025-01-01T03:00Z")
    assert by_horizon(view, "count") == {
        "2 h": 1, "3 h": 1, "4 h": 1, "16 h": 1, "17 h": 1, "18 h": 1, "all": 6
    }  # fmt: skip
    view.end = "2025-01-01T04:00Z"
    assert by_horizon(view, "count") == {"2 h": 1, "16 h": 1, "all": 2}


def test_another_source_as_reference(power: wb.Sensor) -> None:
    view = AccuracyView(sensor=power)
    view.reference = "forecaster"  # the latest forecasts taken as the truth
    assert view.table()["source"].unique().tolist() == ["meter"]
    assert by_horizon(view, "MAE") == {}


# -- nothing to score: a message, not a traceback ----------------------------------------------


def test_no_sensor_no_reference_unknown_reference(power: wb.Sensor, plant: wb.Object) -> None:
    view = AccuracyView()
    assert view.message == "Choose a sensor to score its forecasts."
    assert view.table().empty and view._alert.visible
    other = plant.add_sensor("flow", unit="m^3/s", resolution="1h")
    other.ingest(pd.Series([1.0, 2.0], index=HOURS[:2]), source="model A", belief_time=DAY_AHEAD)
    other.ingest(pd.Series([1.5, 2.5], index=HOURS[:2]), source="model B", belief_time=DAY_AHEAD)
    view.sensor = other  # no meter among its sources: the user must choose
    assert view.message == (
        "Choose the reference source (the measured truth) among ['model A', 'model B']."
    )
    view.reference = "oracle"
    assert "reference source not found: 'oracle'" in view.message
    assert "['model A', 'model B']" in view.message and view.table().empty
    view.reference = "model A"
    assert view.message == "" and by_horizon_of(view, "model B") == {
        "13 h": 0.5, "14 h": 0.5, "all": 0.5
    }  # fmt: skip


def by_horizon_of(view: AccuracyView, source: str) -> dict[str, Any]:
    table = view.table()
    rows = table[table["source"] == source]
    return dict(zip(rows["horizon"], rows["MAE"], strict=True))


def test_only_the_reference_or_no_overlap(plant: wb.Object) -> None:
    sensor = plant.add_sensor("level", unit="m", resolution="1h")
    sensor.ingest(pd.Series([1.0], index=HOURS[:1]), source="meter", source_type="meter")
    view = AccuracyView(sensor=sensor)
    assert view.message == "There is no source other than the reference 'meter' to score."
    sensor.ingest(pd.Series([2.0], index=HOURS[1:2]), source="model", belief_time=DAY_AHEAD)
    view.refresh()
    assert view.message == "No forecast concerns an event the reference 'meter' has a value for."
    empty = AccuracyView(sensor=sensor, start="2026-01-01T00:00Z")
    assert empty.message == f"{sensor.full_name} holds no beliefs in this period."


def test_many_horizons_are_scored_in_round_bins(plant: wb.Object) -> None:
    """30 hours forecast once at 12:00 the day before: horizons of 13 to 42 h, more than
    MAX_HORIZONS, so they are scored in 3-hour bins (12-15 h, 15-18 h, ...)."""
    sensor = plant.add_sensor("load", unit="MW", resolution="1h")
    hours = pd.date_range("2025-01-01", periods=30, freq="1h", tz="UTC")
    sensor.ingest(
        pd.Series(100.0, index=hours), source="meter", source_type="meter", horizon="PT0H"
    )
    errors = np.arange(30.0)  # the forecast misses hour i by i MW
    sensor.ingest(pd.Series(100.0 + errors, index=hours), source="model", belief_time=DAY_AHEAD)
    view = AccuracyView(sensor=sensor, metrics=["MAE"])
    table = view.table().set_index("horizon")
    assert list(table.index[:2]) == ["12 h to 15 h", "15 h to 18 h"]
    # Horizons 13 and 14 h (hours 0 and 1) in the first bin; 15, 16, 17 h in the second.
    assert table.loc["12 h to 15 h", "MAE"] == pytest.approx(0.5)
    assert table.loc["15 h to 18 h", "MAE"] == pytest.approx(3.0)
    assert table["count"].drop("all").sum() == 30 and len(table) == 11 + 1
    assert table.loc["all", "MAE"] == pytest.approx(errors.mean())
    view.horizon_bins = ["PT0H", "P2D"]  # given bins win
    assert view.table()["horizon"].tolist() == ["0 h to 48 h", "all"]


def test_following_a_browser_selection(power: wb.Sensor, plant: wb.Object) -> None:
    class Browser(param.Parameterized):  # any object with a `selected` parameter
        selected = param.Parameter(default=None)

    browser = Browser(selected=plant)
    view = AccuracyView().follow(browser)
    assert view.sensor is None  # an object is not a sensor: nothing scored yet
    browser.selected = power
    assert view.sensor == power and view.used_reference == "meter"
    browser.selected = plant
    assert view.sensor == power  # the last sensor stays
