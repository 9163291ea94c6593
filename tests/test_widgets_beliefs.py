"""BeliefView driven through its parameters: replay by belief time, horizons, sources, units,
step and linear curves, quantile bands, and the messages shown instead of tracebacks."""

from __future__ import annotations

from typing import Any

import holoviews as hv
import numpy as np
import pandas as pd
import pytest
from bokeh.models import Line, Patch
from conftest import Attr, attr
from widget_data import DAY_AHEAD, HOURS, REVISED, add_power_sensor

import workbench as wb
from widgets import BeliefView


@pytest.fixture
def plant_attributes() -> dict[str, Attr | str]:
    """The shared ``plant`` (PlantA under Model/Sys) with a series, a calculation and a value."""
    return {
        "Output": attr("timeseries", unit="MW"),
        "Estimate": attr("timeseries", unit="MW", template="@t('.Output') * 2"),
        "Capacity": attr("double", unit="MW"),
    }


@pytest.fixture
def power(plant: wb.Object) -> wb.Sensor:
    return add_power_sensor(plant)


@pytest.fixture
def price(plant: wb.Object) -> wb.Sensor:
    """A linear price series in another unit, one source."""
    sensor = plant.add_sensor("price", unit="EUR/MWh", resolution="1h", curve_type="linear")
    values = pd.Series([50.0, 60.0, 55.0, 70.0], index=HOURS[:4])
    sensor.ingest(values, source="market", source_type="market", belief_time=DAY_AHEAD)
    return sensor


def values(view: BeliefView, source: str) -> dict[str, float]:
    rows = view.data()
    rows = rows[rows["source"] == source]
    return {t.strftime("%H:%M"): v for t, v in zip(rows["event_start"], rows["value"], strict=True)}


def figures(view: BeliefView) -> list[Any]:
    """The Bokeh figures of the plot's panels, as displayed now."""
    plot = view.plot
    panels = list(plot.values()) if isinstance(plot, hv.Layout) else [plot]
    return [hv.render(panel, backend="bokeh") for panel in panels]


def glyph_data(figure: Any, glyph: type) -> list[dict[str, np.ndarray]]:
    return [
        {k: np.asarray(v) for k, v in r.data_source.data.items()}
        for r in figure.renderers
        if isinstance(r.glyph, glyph)
    ]


# -- what is shown ----------------------------------------------------------------------------


def test_latest_beliefs_of_every_source(power: wb.Sensor) -> None:
    view = BeliefView(workspace=power.ws, series=[power])
    assert view.message == ""
    assert values(view, "meter") == {f"{h:02d}:00": 10.0 + h for h in range(6)}
    assert values(view, "forecaster") == {
        "00:00": 9.0, "01:00": 10.0, "02:00": 11.0, "03:00": 20.0, "04:00": 21.0, "05:00": 22.0
    }  # fmt: skip
    assert view.belief_times == [DAY_AHEAD, *(HOURS + pd.Timedelta("1h"))]
    assert set(view.data()["unit"]) == {"MW"}


def test_belief_time_replays_what_was_known_then(power: wb.Sensor) -> None:
    view = BeliefView(series=[power])
    view.belief_time = "2025-01-01T02:30Z"
    assert values(view, "meter") == {"00:00": 10.0, "01:00": 11.0}
    assert values(view, "forecaster")["05:00"] == 22.0  # revised at 02:00
    view.belief_time = pd.Timestamp("2025-01-01T01:59Z")
    assert values(view, "forecaster")["05:00"] == 14.0  # the day-ahead forecast still
    assert values(view, "meter") == {"00:00": 10.0}
    view.belief_time = DAY_AHEAD
    assert values(view, "meter") == {}
    assert len(values(view, "forecaster")) == 6
    # The plot follows, without being displayed first.
    [figure] = figures(view)
    lines = glyph_data(figure, Line)
    # forecaster: 6 hours and a closing point, stepped (2 * 7 - 1 points); meter: none yet
    assert [len(line["value0"]) for line in lines] == [13, 0]
    view.belief_time = None
    assert len(values(view, "meter")) == 6


def test_before_any_belief_nothing_is_shown_and_said(power: wb.Sensor) -> None:
    view = BeliefView(series=[power], belief_time="2024-12-30T00:00Z")
    assert view.data().empty
    assert "nothing was believed about these series then" in view.message


def test_the_player_steps_through_the_belief_times(power: wb.Sensor) -> None:
    view = BeliefView(series=[power])
    player = view._player
    assert list(player.options.values())[:-1] == view.belief_times
    assert player.value == "latest"
    player.value = REVISED
    assert view.belief_time == REVISED
    view.belief_time = "2025-01-01T02:30Z"  # between two belief times: the one before
    assert player.value == REVISED
    player.value = "latest"
    assert view.belief_time is None


def test_horizon_shows_rolling_viewpoints(power: wb.Sensor) -> None:
    view = BeliefView(series=[power], horizon="PT12H")
    # Only the day-ahead forecast was made 12 h or more before each hour ended.
    assert values(view, "forecaster") == {f"{h:02d}:00": 9.0 + h for h in range(6)}
    assert values(view, "meter") == {}
    view.horizon = "PT14H"  # hours ending 14 h or more after 12:00 the day before: 01:00 on
    assert list(values(view, "forecaster")) == ["01:00", "02:00", "03:00", "04:00", "05:00"]
    view.horizon = "PT1H"  # the revision (made 2 h ahead and more) counts again
    assert values(view, "forecaster")["05:00"] == 22.0
    view.belief_time = "2025-01-01T01:00Z"  # and a horizon as of a belief time
    assert values(view, "forecaster")["05:00"] == 14.0
    view.horizon = None
    assert values(view, "meter") == {"00:00": 10.0}


def test_sources_filter_the_lines(power: wb.Sensor) -> None:
    view = BeliefView(series=[power], sources=["meter"])
    assert set(view.data()["source"]) == {"meter"}
    [figure] = figures(view)
    assert len(glyph_data(figure, Line)) == 1 and glyph_data(figure, Patch) == []
    assert view.belief_times == list(HOURS + pd.Timedelta("1h"))
    view.sources = []
    assert set(view.data()["source"]) == {"meter", "forecaster"}


def test_probabilistic_beliefs_are_a_band(power: wb.Sensor) -> None:
    view = BeliefView(series=[power], belief_time=DAY_AHEAD)
    rows = view.data()
    assert rows["lower"].tolist() == [7.0 + h for h in range(6)]
    assert rows["upper"].tolist() == [11.0 + h for h in range(6)]
    [figure] = figures(view)
    [band] = glyph_data(figure, Patch)
    assert band["y"].min() == 7.0 and band["y"].max() == 16.0
    # After the revision the last hours have a median without quantiles: no band there.
    view.belief_time = None
    revised = view.data().query("source == 'forecaster'")
    assert revised["lower"].isna().tolist() == [False, False, False, True, True, True]


def test_step_and_linear_curves_and_units_on_the_axes(power: wb.Sensor, price: wb.Sensor) -> None:
    view = BeliefView(series=[power, price], sources=["meter", "market"])
    assert isinstance(view.plot, hv.Layout)  # two units: one panel each
    power_figure, price_figure = figures(view)
    assert power_figure.yaxis[0].axis_label == "PlantA:power (MW)"
    assert price_figure.yaxis[0].axis_label == "PlantA:price (EUR/MWh)"
    assert power_figure.xaxis[0].axis_label == "time (UTC)"
    [step] = glyph_data(power_figure, Line)
    # Steps: each value held until the event's end, where the line stops.
    assert step["value0"][:4].tolist() == [10.0, 10.0, 11.0, 11.0]
    assert step["event_start"][-2] == np.datetime64("2025-01-01T06:00")
    [line] = glyph_data(price_figure, Line)
    assert line["value1"].tolist() == [50.0, 60.0, 55.0, 70.0]
    np.testing.assert_array_equal(
        line["event_start"].astype("datetime64[ns]"), HOURS[:4].tz_localize(None).to_numpy()
    )


def test_one_unit_one_panel_and_a_colour_per_source(power: wb.Sensor, plant: wb.Object) -> None:
    other = plant.add_sensor("power2", unit="MW", resolution="1h")
    other.ingest(pd.Series([1.0], index=HOURS[:1]), source="meter", belief_time=DAY_AHEAD)
    view = BeliefView(series=[power, other])
    assert isinstance(view.plot, hv.DynamicMap)
    [figure] = figures(view)
    assert figure.yaxis[0].axis_label == "value (MW)"
    colours = {r.name: r.glyph.line_color for r in figure.renderers if isinstance(r.glyph, Line)}
    assert len(set(colours.values())) == 2  # meter and forecaster, whatever the series
    labels = [item.label["value"] for item in figure.legend[0].items]
    assert labels == ["PlantA:power · forecaster", "PlantA:power · meter", "PlantA:power2 · meter"]


def test_period_limits_the_events(power: wb.Sensor) -> None:
    view = BeliefView(series=[power], start="2025-01-01T02:00Z", end="2025-01-01T04:00Z")
    assert sorted(values(view, "meter")) == ["02:00", "03:00"]
    [figure] = figures(view)
    assert (figure.x_range.start, figure.x_range.end) == (
        pd.Timestamp("2025-01-01T02:00"),
        pd.Timestamp("2025-01-01T04:00"),
    )
    view.start = view.end = None
    assert len(values(view, "meter")) == 6


def test_following_a_browser_selection(power: wb.Sensor, plant: wb.Object) -> None:
    class Browser(hv.streams.param.Parameterized):  # any object with a `selected` parameter
        selected = hv.streams.param.Parameter(default=None)

    browser = Browser()
    view = BeliefView().follow(browser)
    assert view.series == [] and view.data().empty and view._hint.visible
    assert hv.render(view.plot, backend="bokeh").renderers  # empty axes, not an error
    browser.selected = power
    assert view.series == [power] and not view._hint.visible
    browser.selected = plant
    assert view.series == [power]  # the object's sensors
    output = plant.attribute("Output")
    output.set(power)
    browser.selected = output
    assert values(view, "meter")["00:00"] == 10.0
    assert set(view.data()["series"]) == {"PlantA.Output"}
    browser.selected = plant.attribute("Capacity")
    assert "plots sensors and timeseries attributes" in view.message
    view.select(None)  # what the dashboard calls; Panel's own view.show() stays as it is
    assert view.series == [] and view.message == ""


# -- errors are shown, not raised -------------------------------------------------------------


def test_bad_horizon_and_unknown_source_are_reported(power: wb.Sensor) -> None:
    view = BeliefView(series=[power])
    view.horizon = "soon"
    assert "horizon 'soon' is not a duration" in view.message
    assert view._alert.visible and view.data().empty
    view.horizon = None
    assert view.message == "" and not view._alert.visible
    view.sources = ["oracle"]
    assert "no beliefs from the sources ['oracle']" in view.message
    assert "['forecaster', 'meter']" in view.message


def test_calculated_attribute_replayed_beside_its_sensor(
    power: wb.Sensor, plant: wb.Object
) -> None:
    estimate = plant.attribute("Estimate")  # @t('.Output') * 2, Output being the power sensor
    plant.attribute("Output").set(power)
    view = BeliefView(series=[power, estimate], sources=["meter", "calculation"])
    assert view.message == ""
    # Per event the most recent median belief of any source, doubled: the meter's by now.
    assert values(view, "calculation") == {f"{h:02d}:00": 2 * (10.0 + h) for h in range(6)}
    view.belief_time = "2025-01-01T02:30Z"  # meter for 00-01, the forecasts after
    assert list(values(view, "calculation").values()) == [20.0, 22.0, 22.0, 40.0, 42.0, 44.0]
    view.belief_time = DAY_AHEAD
    assert list(values(view, "calculation").values()) == [18.0 + 2 * h for h in range(6)]
    [figure] = figures(view)  # one unit, one panel; the calculation is a step curve too
    assert figure.yaxis[0].axis_label == "value (MW)"
    meter, calculation = glyph_data(figure, Line)
    assert len(meter["value0"]) == 0  # nothing measured yet
    assert calculation["value0"][:2].tolist() == [18.0, 18.0]
    view.sources, view.horizon = [], "PT12H"
    assert "PlantA.Estimate is calculated: a horizon (rolling viewpoint) applies to sensors" in (
        view.message
    )
    assert set(view.data()["series"]) == {"PlantA:power"}


def test_calculated_attribute_alone_needs_a_period(power: wb.Sensor, plant: wb.Object) -> None:
    estimate = plant.attribute("Estimate")
    plant.attribute("Output").set(power)
    view = BeliefView(series=[estimate])
    assert "give the period (start and end) to calculate it over" in view.message
    assert view.data().empty
    view.start, view.end = "2025-01-01T00:00Z", "2025-01-01T02:00Z"
    assert view.message == ""
    assert values(view, "calculation") == {"00:00": 20.0, "01:00": 22.0}
    plant.attribute("Output").set(None)
    view.refresh()  # the expression now reads nothing: said, not raised
    assert view.message != "" and view.data().empty
