"""Tests for workbench.xr: the Dataset layouts, the beliefs accessor and its operations."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pint_xarray  # noqa: F401 - registers the pint accessor
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench.xr  # noqa: F401 - registers the beliefs accessor
from workbench.beliefs import Flag, XDaysAgoAtYOClock, prepare_beliefs
from workbench.errors import InvalidValue, NotFound
from workbench.xr import (
    BeliefsAccessor,
    beliefs_dataset,
    layout,
    resample_series,
    series_dataset,
    to_series,
)

AMS = "Europe/Amsterdam"


def utc(*texts: str) -> np.ndarray:
    return np.array(texts, dtype="datetime64[ns]")


@pytest.fixture
def forecasts() -> xr.Dataset:
    """Two hourly events; a forecaster's beliefs at three times, a meter's after the fact.

    event 00:00  forecaster: 10 (believed 10:00 the day before), 12 (20:00) ; meter: 11 (01:00)
    event 01:00  forecaster: 20 (10:00 the day before)                      ; meter: 19 (02:00)
    """
    return beliefs_dataset(
        utc("2025-01-01T01:00", "2025-01-01T00:00", "2025-01-01T00:00", "2025-01-01T00:00",
            "2025-01-01T01:00"),
        utc("2024-12-31T10:00", "2024-12-31T20:00", "2024-12-31T10:00", "2025-01-01T01:00",
            "2025-01-01T02:00"),
        [20.0, 12.0, 10.0, 11.0, 19.0],
        source=["forecaster", "forecaster", "forecaster", "meter", "meter"],
        flags=[0, 0, 0, Flag.VALIDATED, 0],
        units="MWh",
        resolution="PT1H",
        timezone=AMS,
        sensor="Model/Grid/Substation.Load",
        sensor_id=7,
    )  # fmt: skip


def cell(series: xr.Dataset, name: str, event: str, source: str) -> Any:
    return series[name].sel(event_start=np.datetime64(event, "ns"), source=source).values[()]


# --- building ----------------------------------------------------------------------------------


def test_beliefs_dataset_sorts_and_says_so(forecasts: xr.Dataset) -> None:
    assert layout(forecasts) == "beliefs"
    assert forecasts.attrs["sorted"] == 1
    np.testing.assert_array_equal(forecasts["value"].values, [10.0, 12.0, 11.0, 20.0, 19.0])
    assert list(forecasts["source"].values) == [
        "forecaster", "forecaster", "meter", "forecaster", "meter"
    ]  # fmt: skip
    assert forecasts["event_start"].dtype == np.dtype("datetime64[ns]")
    assert forecasts["flags"].dtype == np.uint32
    assert forecasts.attrs["sensor_id"] == 7
    assert forecasts.attrs["resolution"] == "P0DT1H0M0S"
    assert forecasts.attrs["knowledge_time"] == '{"type": "ex_post"}'
    assert forecasts["value"].attrs["units"] == "MWh"


def test_sources_are_stored_as_small_codes() -> None:
    size = 1000
    dataset = beliefs_dataset(
        np.repeat(utc("2025-01-01"), size),
        utc("2024-12-31") + np.arange(size).astype("timedelta64[s]"),
        np.zeros(size),
        source=np.array(["b", "a"] * (size // 2)),
        units="MW",
        resolution="PT1H",
    )
    assert dataset["source"].nbytes <= 2 * size + 100
    assert set(dataset["source"].values) == {"a", "b"}


def test_beliefs_dataset_refuses_bad_input() -> None:
    with pytest.raises(InvalidValue, match="source is required"):
        beliefs_dataset(utc("2025-01-01"), utc("2025-01-01"), [1.0], source=None, units="MW",
                        resolution="PT1H")  # type: ignore[arg-type]  # fmt: skip
    with pytest.raises(InvalidValue, match=r"columns differ in length from event_start \(1\)"):
        beliefs_dataset(utc("2025-01-01"), utc("2025-01-01", "2025-01-02"), [1.0], source="a",
                        units="MW", resolution="PT1H")  # fmt: skip
    with pytest.raises(InvalidValue, match=r"curve_type must be 'step' or 'linear'"):
        beliefs_dataset(utc("2025-01-01"), utc("2025-01-01"), [1.0], source="a", units="MW",
                        resolution="PT1H", curve_type="smooth")  # type: ignore[arg-type]  # fmt: skip


def test_series_dataset_pivots_rows_and_leaves_gaps_empty() -> None:
    series = series_dataset(
        utc("2025-01-01T00:00", "2025-01-01T01:00", "2025-01-01T00:00"),
        [1.0, 2.0, 3.0],
        source=["a", "a", "b"],
        belief_time=utc("2025-01-01T01:00", "2025-01-01T02:00", "2025-01-01T05:00"),
        units="MW",
        resolution="PT1H",
    )
    assert layout(series) == "series"
    assert dict(series.sizes) == {"event_start": 2, "source": 2}
    assert cell(series, "value", "2025-01-01T00:00", "b") == 3.0
    assert np.isnan(cell(series, "value", "2025-01-01T01:00", "b"))
    assert np.isnat(series["belief_time"].sel(source="b").values[1])


def test_series_dataset_keeps_quantiles_as_a_dimension_and_refuses_doubles() -> None:
    series = series_dataset(
        utc("2025-01-01", "2025-01-01"), [1.0, 3.0], source="a",
        cumulative_probability=[0.1, 0.9], units="MW", resolution="PT1H",
    )  # fmt: skip
    assert dict(series.sizes) == {"event_start": 1, "source": 1, "cumulative_probability": 2}
    with pytest.raises(InvalidValue, match="more than one row per event, source and probability"):
        series_dataset(utc("2025-01-01", "2025-01-01"), [1.0, 3.0], source="a", units="MW",
                       resolution="PT1H")  # fmt: skip


def test_layout_refuses_other_datasets() -> None:
    with pytest.raises(InvalidValue, match=r"expected a 'belief' or 'event_start' dimension"):
        layout(xr.Dataset({"x": ("time", [1.0])}))


def test_the_accessor_is_registered_by_importing_workbench_xr(forecasts: xr.Dataset) -> None:
    assert isinstance(forecasts.beliefs, BeliefsAccessor)


# --- viewpoints --------------------------------------------------------------------------------


def test_fixed_viewpoint_takes_the_latest_belief_held_at_t(forecasts: xr.Dataset) -> None:
    early = forecasts.beliefs.fixed_viewpoint("2024-12-31T15:00Z")
    assert layout(early) == "series"
    assert list(early["source"].values) == ["forecaster"]
    assert cell(early, "value", "2025-01-01T00:00", "forecaster") == 10.0
    assert cell(early, "value", "2025-01-01T01:00", "forecaster") == 20.0
    later = forecasts.beliefs.fixed_viewpoint(pd.Timestamp("2025-01-01T02:30+01:00"))
    assert cell(later, "value", "2025-01-01T00:00", "forecaster") == 12.0
    assert cell(later, "value", "2025-01-01T00:00", "meter") == 11.0
    assert cell(later, "flags", "2025-01-01T00:00", "meter") == Flag.VALIDATED
    assert np.isnan(cell(later, "value", "2025-01-01T01:00", "meter"))  # believed at 02:00
    expected = np.datetime64("2024-12-31T20:00", "ns")
    assert cell(later, "belief_time", "2025-01-01T00:00", "forecaster") == expected


def test_fixed_viewpoint_before_any_belief_is_empty(forecasts: xr.Dataset) -> None:
    assert forecasts.beliefs.fixed_viewpoint("2020-01-01T00:00Z").sizes["event_start"] == 0


def test_fixed_viewpoint_does_not_need_the_sort_promise(forecasts: xr.Dataset) -> None:
    shuffled = forecasts.isel(belief=[4, 2, 0, 3, 1])
    shuffled.attrs.pop("sorted")
    xr.testing.assert_identical(
        shuffled.beliefs.fixed_viewpoint("2025-01-01T01:30"),
        forecasts.beliefs.fixed_viewpoint("2025-01-01T01:30"),
    )


def test_most_recent_takes_the_last_belief_of_each_source(forecasts: xr.Dataset) -> None:
    latest = forecasts.beliefs.most_recent()
    assert cell(latest, "value", "2025-01-01T00:00", "forecaster") == 12.0
    assert cell(latest, "value", "2025-01-01T01:00", "meter") == 19.0


def test_rolling_viewpoint_keeps_a_fixed_distance_to_knowledge_time(forecasts: xr.Dataset) -> None:
    # Ex post: 00:00-01:00 is known at 01:00. At least 5 hours ahead: believed by 20:00.
    ahead = forecasts.beliefs.rolling_viewpoint("PT5H")
    assert cell(ahead, "value", "2025-01-01T00:00", "forecaster") == 12.0
    assert cell(ahead, "value", "2025-01-01T01:00", "forecaster") == 20.0
    assert list(ahead["source"].values) == ["forecaster"]
    further = forecasts.beliefs.rolling_viewpoint(pd.Timedelta(hours=6))
    assert cell(further, "value", "2025-01-01T00:00", "forecaster") == 10.0


def test_rolling_viewpoint_follows_the_sensors_rule(forecasts: xr.Dataset) -> None:
    day_ahead = forecasts.assign_attrs(
        knowledge_time='{"type": "x_days_ago_at_y_oclock", "x": 1, "y": 12, "timezone": null}'
    )
    # Known at 12:00 local (11:00Z) on 31 December: only the 10:00 beliefs were made before it.
    selected = day_ahead.beliefs.rolling_viewpoint("PT0H")
    assert cell(selected, "value", "2025-01-01T00:00", "forecaster") == 10.0
    assert XDaysAgoAtYOClock(1, 12).to_dict()["type"] in day_ahead.attrs["knowledge_time"]


def test_belief_history_lists_every_belief_about_one_event(forecasts: xr.Dataset) -> None:
    history = forecasts.beliefs.belief_history("2025-01-01T00:00")
    np.testing.assert_array_equal(history["value"].values, [10.0, 12.0, 11.0])
    np.testing.assert_array_equal(
        history["belief_horizon"].values, np.array([15, 5, 0], "timedelta64[h]")
    )
    assert "sorted" not in history.attrs
    assert forecasts.beliefs.belief_history("2030-01-01").sizes["belief"] == 0


def test_viewpoints_refuse_the_series_layout(forecasts: xr.Dataset) -> None:
    with pytest.raises(InvalidValue, match=r"needs the beliefs layout"):
        forecasts.beliefs.most_recent().beliefs.fixed_viewpoint("2025-01-01")


def test_viewpoints_refuse_times_that_are_no_times(forecasts: xr.Dataset) -> None:
    with pytest.raises(InvalidValue, match=r"belief_time 'yesterday' is not a time"):
        forecasts.beliefs.fixed_viewpoint("yesterday")
    with pytest.raises(InvalidValue, match=r"horizon 'far' is not a duration"):
        forecasts.beliefs.rolling_viewpoint("far")


# --- resampling --------------------------------------------------------------------------------


def test_resample_refuses_the_beliefs_layout(forecasts: xr.Dataset) -> None:
    with pytest.raises(InvalidValue, match=r"choose them first, e.g. ds.beliefs.most_recent\(\)"):
        forecasts.beliefs.resample("PT2H")


def test_resample_sums_energy_and_averages_power(forecasts: xr.Dataset) -> None:
    latest = forecasts.beliefs.most_recent()
    energy = latest.beliefs.resample("PT2H", timezone="UTC")
    assert cell(energy, "value", "2025-01-01T00:00", "forecaster") == 32.0
    assert cell(energy, "value", "2025-01-01T00:00", "meter") == 30.0
    assert cell(energy, "flags", "2025-01-01T00:00", "meter") == Flag.VALIDATED
    expected = np.datetime64("2025-01-01T02:00", "ns")
    assert cell(energy, "belief_time", "2025-01-01T00:00", "meter") == expected
    power = latest.copy()
    power["value"].attrs["units"] = "MW"
    hours = power.beliefs.resample("PT2H", timezone="UTC")
    assert cell(hours, "value", "2025-01-01T00:00", "meter") == 15.0


def test_resample_aligns_bins_on_the_local_clock(forecasts: xr.Dataset) -> None:
    # In Amsterdam (UTC+1) two-hour bins start at even local hours: 23:00Z and 01:00Z.
    local = forecasts.beliefs.most_recent().beliefs.resample("PT2H")
    np.testing.assert_array_equal(
        local["event_start"].values, utc("2024-12-31T23:00", "2025-01-01T01:00")
    )
    np.testing.assert_array_equal(local["value"].sel(source="meter").values, [11.0, 19.0])
    assert cell(local, "flags", "2024-12-31T23:00", "meter") == Flag.SUSPECT | Flag.VALIDATED


def test_resample_splits_events_dividing_energy(forecasts: xr.Dataset) -> None:
    halves = forecasts.beliefs.most_recent().beliefs.resample("PT30M")
    np.testing.assert_array_equal(halves["value"].sel(source="meter").values, [5.5, 5.5, 9.5, 9.5])
    assert halves.attrs["resolution"] == pd.Timedelta("30min").isoformat()


def test_resample_flags_incomplete_sums(forecasts: xr.Dataset) -> None:
    quarter_days = forecasts.beliefs.most_recent().beliefs.resample("PT6H")
    assert cell(quarter_days, "flags", "2024-12-31T23:00", "meter") == (
        Flag.SUSPECT | Flag.VALIDATED
    )


def test_resample_works_on_a_series_data_array(forecasts: xr.Dataset) -> None:
    series = to_series(forecasts)
    daily = resample_series(series, "P1D", timezone="UTC")
    np.testing.assert_array_equal(daily.values, [30.0])
    assert daily.attrs["units"] == "MWh"
    assert daily.name == series.name


def test_resample_refuses_uneven_resolutions(forecasts: xr.Dataset) -> None:
    with pytest.raises(
        InvalidValue, match=r"cannot resample events of P0DT1H0M0S into P0DT0H40M0S"
    ):
        forecasts.beliefs.most_recent().beliefs.resample("PT40M")


# --- accuracy and lineage ----------------------------------------------------------------------


def test_accuracy_per_source_and_horizon(forecasts: xr.Dataset) -> None:
    scores = forecasts.beliefs.accuracy("meter")
    assert list(scores["source"].values) == ["forecaster"]
    np.testing.assert_array_equal(scores["horizon"].values, np.array([5, 15, 16], "timedelta64[h]"))
    # Errors against the meter: 12-11 (5 h ahead), 10-11 (15 h), 20-19 (16 h).
    np.testing.assert_allclose(scores["MAE"].values, [[1.0, 1.0, 1.0]])
    np.testing.assert_allclose(scores["MAPE"].values, [[100 / 11, 100 / 11, 100 / 19]])
    np.testing.assert_array_equal(scores["count"].values, [[1, 1, 1]])
    assert scores["MAE"].attrs["units"] == "MWh"
    assert scores["WAPE"].attrs["units"] == "%"


def test_accuracy_overall_and_in_bins() -> None:
    dataset = beliefs_dataset(
        utc("2025-01-01T00:00", "2025-01-01T00:00", "2025-01-01T01:00", "2025-01-01T00:00",
            "2025-01-01T01:00"),
        utc("2024-12-31T00:00", "2024-12-31T20:00", "2024-12-31T20:00", "2025-01-01T01:00",
            "2025-01-01T02:00"),
        [14.0, 9.0, 0.0, 10.0, 5.0],
        source=["model", "model", "model", "meter", "meter"],
        units="MW",
        resolution="PT1H",
    )  # fmt: skip
    overall = dataset.beliefs.accuracy("meter", by_horizon=False)
    # Errors: +4 (25 h ahead), -1 (5 h), -5 (6 h); references 10, 10, 5.
    assert overall["MAE"].item() == pytest.approx(10 / 3)
    assert overall["RMSE"].item() == pytest.approx(np.sqrt(42 / 3))
    assert overall["WAPE"].item() == pytest.approx(100 * 10 / 25)
    assert overall["MAPE"].item() == pytest.approx(100 * (0.4 + 0.1 + 1.0) / 3)
    binned = dataset.beliefs.accuracy("meter", horizon_bins=["PT0H", "PT12H", "P2D"])
    np.testing.assert_array_equal(binned["count"].values, [[2, 1]])
    np.testing.assert_allclose(binned["MAE"].values, [[3.0, 4.0]])
    assert binned["horizon_end"].values[0] == np.timedelta64(12, "h")


def test_accuracy_refuses_an_unknown_reference_and_bad_bins(forecasts: xr.Dataset) -> None:
    with pytest.raises(NotFound, match=r"reference source not found: 'oracle'; the Dataset holds"):
        forecasts.beliefs.accuracy("oracle")
    with pytest.raises(InvalidValue, match=r"horizon_bins must be at least two increasing"):
        forecasts.beliefs.accuracy("meter", horizon_bins=["PT2H", "PT1H"])


def test_lineage_counts_beliefs_events_and_belief_times(forecasts: xr.Dataset) -> None:
    counts = forecasts.beliefs.lineage()
    assert counts["total_beliefs"].item() == 5
    assert counts["total_events"].item() == 2
    assert counts["total_sources"].item() == 2
    assert counts["total_belief_times"].item() == 4
    assert list(counts["beliefs"].values) == [3, 2]
    assert list(counts["events"].values) == [2, 2]
    assert list(counts["belief_times"].values) == [2, 2]
    expected = np.datetime64("2024-12-31T20:00", "ns")
    assert counts["last_belief_time"].sel(source="forecaster").values == expected
    series_counts = forecasts.beliefs.most_recent().beliefs.lineage()
    assert series_counts["total_beliefs"].item() == 4


# --- conversions -------------------------------------------------------------------------------


def test_to_pandas_gives_a_frame_indexed_like_timely_beliefs(forecasts: xr.Dataset) -> None:
    frame = forecasts.beliefs.to_pandas()
    assert list(frame.index.names) == [
        "event_start", "belief_time", "source", "cumulative_probability"
    ]  # fmt: skip
    assert list(frame.columns) == ["value", "flags"]
    assert str(frame.index.levels[0].tz) == "UTC"
    assert len(frame) == 5
    assert frame.loc[("2025-01-01T00:00Z", "2025-01-01T01:00Z", "meter", 0.5), "value"] == 11.0


def test_to_series_takes_the_latest_source_per_event(forecasts: xr.Dataset) -> None:
    series = forecasts.beliefs.to_series()
    assert series.dims == ("event_start",)
    np.testing.assert_array_equal(series.values, [11.0, 19.0])
    assert series.attrs == {
        "units": "MWh", "timezone": AMS, "resolution": "P0DT1H0M0S", "curve_type": "step"
    }  # fmt: skip
    np.testing.assert_array_equal(forecasts.beliefs.to_series("forecaster").values, [12.0, 20.0])
    with pytest.raises(NotFound, match=r"source not found: 'nobody'"):
        forecasts.beliefs.to_series("nobody")


def test_to_series_takes_the_median_of_quantiles() -> None:
    series = series_dataset(
        utc("2025-01-01", "2025-01-01", "2025-01-01"), [1.0, 2.0, 3.0], source="a",
        cumulative_probability=[0.1, 0.5, 0.9], belief_time=utc("2024-12-31", "2024-12-31",
        "2024-12-31"), units="MW", resolution="PT1H",
    )  # fmt: skip
    np.testing.assert_array_equal(to_series(series).values, [2.0])
    with pytest.raises(InvalidValue, match=r"no median \(cumulative_probability 0.5\)"):
        to_series(series.sel(cumulative_probability=[0.1, 0.9]))


def test_results_quantify_with_pint(forecasts: xr.Dataset) -> None:
    quantified = forecasts.beliefs.most_recent().pint.quantify()
    assert str(quantified["value"].pint.units) == "megawatt_hour"
    resampled = forecasts.beliefs.most_recent().beliefs.resample("PT2H").pint.quantify()
    assert str(resampled["value"].pint.to("kWh").pint.units) == "kilowatt_hour"
    assert str(forecasts.beliefs.to_series().pint.quantify().pint.units) == "megawatt_hour"
    scores = forecasts.beliefs.accuracy("meter").pint.quantify()
    assert str(scores["MAPE"].pint.units) == "percent"


# --- properties --------------------------------------------------------------------------------

EPOCH = np.datetime64("2025-01-01T00:00", "ns")
beliefs_rows = st.lists(
    st.tuples(
        st.integers(0, 5),  # event (hour)
        st.integers(-48, 5),  # belief time (hour)
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from([0.1, 0.5, 0.9]),
        st.floats(-1e6, 1e6, allow_nan=False),
    ),
    min_size=1,
    max_size=60,
    unique_by=lambda row: row[:4],
)


def _dataset(rows: list[tuple[int, int, str, float, float]]) -> xr.Dataset:
    hour = np.timedelta64(1, "h")
    events, believed, sources, probabilities, values = zip(*rows, strict=True)
    return beliefs_dataset(
        EPOCH + np.array(events) * hour,
        EPOCH + np.array(believed) * hour,
        np.array(values),
        source=np.array(sources),
        cumulative_probability=np.array(probabilities),
        flags=np.arange(len(rows)),
        units="MW",
        resolution="PT1H",
        timezone=AMS,
    )


@settings(max_examples=150, deadline=None)
@given(rows=beliefs_rows, at=st.integers(-50, 8))
def test_fixed_viewpoint_matches_a_plain_pandas_reference(
    rows: list[tuple[int, int, str, float, float]], at: int
) -> None:
    dataset = _dataset(rows)
    moment = EPOCH + np.timedelta64(at, "h")
    frame = pd.DataFrame(rows, columns=["event", "believed", "source", "probability", "value"])
    frame = frame[frame["believed"] <= at]
    keys = ["event", "source", "probability"]
    expected = frame.loc[frame.groupby(keys)["believed"].idxmax()].set_index(keys)["value"]
    selected = dataset.beliefs.fixed_viewpoint(moment)
    assert int(selected["belief_time"].notnull().sum()) == len(expected)
    for (event, source, probability), value in expected.items():
        start = EPOCH + np.timedelta64(int(event), "h")
        got = selected["value"].sel(event_start=start, source=source)
        if "cumulative_probability" in got.dims:
            got = got.sel(cumulative_probability=probability)
        else:
            assert probability == 0.5
        assert got.item() == value


@settings(max_examples=100, deadline=None)
@given(rows=beliefs_rows)
def test_to_pandas_round_trips_through_ingest(
    rows: list[tuple[int, int, str, float, float]],
) -> None:
    dataset = _dataset(rows)
    prepared = prepare_beliefs(
        dataset.beliefs.to_pandas(),
        sensor_unit="MW",
        sensor_resolution="PT1H",
        sensor_timezone=AMS,
        resolution="PT1H",
    )
    rebuilt = beliefs_dataset(
        prepared.event_start,
        prepared.belief_time,
        prepared.value,
        source=prepared.source,  # type: ignore[arg-type]
        cumulative_probability=prepared.cumulative_probability,
        flags=prepared.flags,
        units="MW",
        resolution="PT1H",
        timezone=AMS,
    )
    xr.testing.assert_identical(rebuilt, dataset)
