"""Querying beliefs through the API, checked against a plain pandas reference, on both stores."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pint_xarray  # noqa: F401  (registers the .pint accessor)
import pytest
import xarray as xr

import workbench as wb
from workbench.api.handles.sensors import Sensor, add_sensor, beliefs
from workbench.api.handles.sources import get_source

T0 = pd.Timestamp("2025-03-01T00:00Z")
HOUR = pd.Timedelta("1h")
EVENTS = 48


def forecasts_and_measurements() -> pd.DataFrame:
    """Forecasts issued every 6 h for the next 24 h (three quantiles), and measurements known
    5 minutes after each event ends: all naive UTC, like the Datasets."""
    rng = np.random.default_rng(7)
    rows = []
    events = pd.date_range(T0, periods=EVENTS, freq="1h").tz_localize(None)
    for issued in pd.date_range(T0 - pd.Timedelta("24h"), T0 + pd.Timedelta("42h"), freq="6h"):
        ahead = events[
            (events > issued.tz_localize(None))
            & (events <= issued.tz_localize(None) + pd.Timedelta("24h"))
        ]
        for q in (0.1, 0.5, 0.9):
            rows.append(
                pd.DataFrame(
                    {
                        "event_start": ahead,
                        "belief_time": issued.tz_localize(None),
                        "source": "fc",
                        "cumulative_probability": q,
                        "value": rng.normal(10 + 5 * q, 1, len(ahead)),
                    }
                )
            )
    rows.append(
        pd.DataFrame(
            {
                "event_start": events,
                "belief_time": events + HOUR + pd.Timedelta("5min"),
                "source": "meter",
                "cumulative_probability": 0.5,
                "value": rng.normal(12, 1, len(events)),
            }
        )
    )
    frame = pd.concat(rows, ignore_index=True)
    return frame.astype({"event_start": "datetime64[ns]", "belief_time": "datetime64[ns]"})


@pytest.fixture
def reference() -> pd.DataFrame:
    return forecasts_and_measurements()


@pytest.fixture
def power(plant: wb.Object, reference: pd.DataFrame) -> Sensor:
    sensor = add_sensor(plant, "power", unit="MW", resolution="1h", timezone="Europe/Oslo")
    aware = reference.assign(
        event_start=reference["event_start"].dt.tz_localize("UTC"),
        belief_time=reference["belief_time"].dt.tz_localize("UTC"),
    )
    for source_type in ("forecaster", "meter"):
        part = aware[aware["source"] == ("fc" if source_type == "forecaster" else "meter")]
        sensor.ingest(part, source_type=source_type)
    return sensor


KEYS = ["event_start", "source", "cumulative_probability"]


def latest(frame: pd.DataFrame) -> pd.DataFrame:
    """The pandas reference of a most-recent selection."""
    return frame.sort_values("belief_time").groupby(KEYS).tail(1).set_index(KEYS).sort_index()


def as_frame(ds: xr.Dataset) -> pd.DataFrame:
    """A series-layout Dataset as rows (event, source, probability), missing cells dropped."""
    frame = ds[["value", "belief_time"]].to_dataframe().dropna(subset=["belief_time"])
    return frame[["value", "belief_time"]].sort_index()


def same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, want, check_dtype=False, check_index_type=False)


def horizons(frame: pd.DataFrame) -> pd.Series:
    return frame["event_start"] + HOUR - frame["belief_time"]  # ex post, hourly


# -- the beliefs layout ---------------------------------------------------------------------


def test_every_belief_in_the_beliefs_layout(power: Sensor, reference: pd.DataFrame) -> None:
    ds = power.beliefs()
    assert dict(ds.sizes) == {"belief": len(reference)}
    assert ds.attrs["sensor"] == "Model/Sys.To_Plants/PlantA:power"
    assert ds.attrs["sensor_id"] == power.id
    assert (ds.attrs["timezone"], ds.attrs["curve_type"], ds.attrs["sorted"]) == (
        "Europe/Oslo",
        "step",
        1,
    )
    assert pd.Timedelta(ds.attrs["resolution"]) == HOUR
    assert json.loads(ds.attrs["knowledge_time"]) == {"type": "ex_post"}
    assert ds["value"].attrs["units"] == "MW"
    assert ds["event_start"].dtype == np.dtype("datetime64[ns]")
    assert ds["flags"].dtype == np.uint32
    got = ds.to_dataframe().reset_index(drop=True)
    got["source"] = got["source"].astype(str)
    want = reference.sort_values([*KEYS, "belief_time"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got[want.columns.tolist()], want, check_dtype=False)


def test_window_and_belief_time_filters(power: Sensor, reference: pd.DataFrame) -> None:
    start, end = T0 + 10 * HOUR, T0 + 20 * HOUR
    after, before = T0 - pd.Timedelta("6h"), T0 + pd.Timedelta("12h")
    ds = power.beliefs(
        start.isoformat(),
        end.to_pydatetime(),
        beliefs_after=after,
        beliefs_before=before.isoformat(),
    )
    ref = reference[
        (reference["event_start"] >= start.tz_localize(None))
        & (reference["event_start"] < end.tz_localize(None))
        & (reference["belief_time"] >= after.tz_localize(None))
        & (reference["belief_time"] <= before.tz_localize(None))
    ]
    assert ds.sizes["belief"] == len(ref) > 0
    assert ds["belief_time"].values.min() >= np.datetime64(after.tz_localize(None))
    assert ds["event_start"].values.max() < np.datetime64(end.tz_localize(None))


def test_horizon_filters_follow_the_knowledge_time_rule(
    power: Sensor, reference: pd.DataFrame
) -> None:
    ds = power.beliefs(horizon_at_least="PT12H")
    ref = reference[horizons(reference) >= pd.Timedelta("12h")]
    assert ds.sizes["belief"] == len(ref) > 0
    ds = power.beliefs(horizon_at_least="-PT1H", horizon_at_most="PT0S")
    assert set(ds["source"].values) == {"meter"}
    assert ds.sizes["belief"] == EVENTS
    recent = power.beliefs(horizon_at_least="PT12H", most_recent=True)
    same(as_frame(recent), latest(ref)[["value", "belief_time"]])


def test_sources_and_source_types(power: Sensor, reference: pd.DataFrame) -> None:
    meter = get_source(power.ws, "meter")
    for selection in (
        {"sources": "meter"},
        {"sources": [meter]},
        {"sources": meter.id},
        {"source_types": ["meter"]},
    ):
        ds = power.beliefs(**selection)  # type: ignore[arg-type]
        assert set(ds["source"].values) == {"meter"} and ds.sizes["belief"] == EVENTS
    assert power.beliefs(sources="meter", source_types="forecaster").sizes["belief"] == 0
    with pytest.raises(wb.NotFound, match="source not found: 'metre'"):
        power.beliefs(sources=["meter", "metre"])


# -- the series layout: most recent and as of -----------------------------------------------


def test_most_recent_matches_pandas(power: Sensor, reference: pd.DataFrame) -> None:
    ds = power.beliefs(most_recent=True)
    assert ds["value"].dims == ("event_start", "source", "cumulative_probability")
    assert list(ds["source"].values) == ["fc", "meter"]
    assert ds.attrs["sensor_id"] == power.id and ds["value"].attrs["units"] == "MW"
    same(as_frame(ds), latest(reference)[["value", "belief_time"]])


@pytest.mark.parametrize("hours", [-30, -1, 0, 5, 17.5, 60])
def test_as_of_matches_pandas(power: Sensor, reference: pd.DataFrame, hours: float) -> None:
    t = T0 + hours * HOUR
    ref = latest(reference[reference["belief_time"] <= t.tz_localize(None)])
    fast = power.beliefs(most_recent=True, as_of=t)
    same(as_frame(fast), ref[["value", "belief_time"]])
    generic = power.beliefs(most_recent=True, as_of=t, beliefs_after="1970-01-01T00:00Z")
    same(as_frame(generic), as_frame(fast))


def test_deterministic_keeps_only_the_median(power: Sensor, reference: pd.DataFrame) -> None:
    ds = power.beliefs(most_recent=True, probabilistic=False)
    assert ds["value"].dims == ("event_start", "source")
    ref = latest(reference[reference["cumulative_probability"] == 0.5])
    got = as_frame(ds).reset_index()
    got.insert(2, "cumulative_probability", 0.5)
    same(got.set_index(KEYS), ref[["value", "belief_time"]])
    assert set(power.beliefs(probabilistic=False)["cumulative_probability"].values) == {0.5}


def test_results_quantify_with_pint(power: Sensor) -> None:
    quantified = power.beliefs(most_recent=True).pint.quantify()
    assert str(quantified["value"].data.units) == "megawatt"


def test_a_sensor_without_beliefs_gives_empty_datasets(plant: wb.Object) -> None:
    empty = add_sensor(plant, "empty", unit="kW")
    assert empty.beliefs().sizes["belief"] == 0
    assert empty.beliefs(most_recent=True).sizes["event_start"] == 0


def test_days_keep_their_23_and_25_hours(plant: wb.Object) -> None:
    daily = add_sensor(plant, "daily", unit="MWh", resolution="P1D", timezone="Europe/Amsterdam")
    days = pd.DatetimeIndex(
        ["2025-03-29", "2025-03-30", "2025-03-31", "2025-10-25", "2025-10-26", "2025-10-27"]
    ).tz_localize("Europe/Amsterdam")
    daily.ingest(
        pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], index=days),
        source="meter",
        belief_time="2025-11-01T00:00Z",
    )
    ds = daily.beliefs(most_recent=True, probabilistic=False)
    starts = ds["event_start"].values
    assert list(np.diff(starts)[[0, 1, 3, 4]] / np.timedelta64(1, "h")) == [24, 23, 24, 25]
    assert list(ds["value"].values.ravel()) == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]


# -- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"start": "2025-03-01T00:00"}, "start='2025-03-01T00:00' is naive"),
        (
            {"as_of": pd.Timestamp("2025-03-01")},
            "as_of=Timestamp\\('2025-03-01 00:00:00'\\) is naive",
        ),
        ({"beliefs_after": "yesterday"}, "beliefs_after 'yesterday' is not a time"),
        ({"start": "2025-03-02T00:00Z", "end": "2025-03-01T00:00Z"}, "must come after start"),
        ({"horizon_at_least": "soon"}, "horizon_at_least 'soon' is not a duration"),
        ({"sources": [1.5]}, "sources are named by Source, id or name, got 1.5"),
    ],
)
def test_bad_queries_are_refused(power: Sensor, options: dict[str, object], message: str) -> None:
    with pytest.raises(wb.InvalidValue, match=message):
        power.beliefs(**options)  # type: ignore[arg-type]


# -- several sensors ------------------------------------------------------------------------


def test_several_sensors_side_by_side(plant: wb.Object, power: Sensor) -> None:
    price = add_sensor(plant, "price", unit="EUR/MWh", resolution="1h")
    price.ingest(
        pd.Series([50.0, 60.0], index=pd.date_range(T0, periods=2, freq="1h")),
        source="market",
        source_type="market",
        belief_time=T0 - pd.Timedelta("12h"),
    )
    ws = plant.ws
    ds = beliefs(ws, [power, price.full_name], most_recent=True, probabilistic=False)
    assert isinstance(ds, xr.Dataset)
    assert list(ds.data_vars) == ["power", "price"]
    assert ds["price"].attrs["units"] == "EUR/MWh" and ds["power"].attrs["units"] == "MW"
    assert ds["price"].attrs["sensor_id"] == price.id
    assert ds.sizes == {"event_start": EVENTS, "source": 3}
    np.testing.assert_allclose(ds["price"].sel(source="market").values[:2], [50.0, 60.0])
    assert int(ds["price"].count()) == 2
    assert str(ds.pint.quantify()["price"].data.units) == "EUR / megawatt_hour"
    every = beliefs(ws, [price.id, power], end=T0 + HOUR)
    assert isinstance(every, dict) and list(every) == ["price", "power"]
    assert every["price"].sizes["belief"] == 1 and every["power"].attrs["sensor"] == power.full_name


def test_sensors_sharing_a_name_are_told_apart_by_full_name(
    plant: wb.Object, power: Sensor
) -> None:
    twin = plant.parent.add_child("To_Plants", "PlantB", plant.definition)  # type: ignore[union-attr]
    other = add_sensor(twin, "power", unit="MW")
    ds = beliefs(plant.ws, [power, other], most_recent=True)
    assert list(ds.data_vars) == [power.full_name, other.full_name]
    with pytest.raises(wb.InvalidValue, match="more than once"):
        beliefs(plant.ws, [power, power.id])
