"""timely-beliefs in and out: ``Sensor.ingest`` takes a BeliefsDataFrame as it is (horizons or
belief times, sources, probabilities; its sensor's unit and resolution), and
``ds.beliefs.to_timely_beliefs()`` gives one back, equal to what went in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd
import pytest

import workbench as wb
from tests.interop.conftest import needed

AMS = "Europe/Amsterdam"
KEYS = ["event_start", "belief_time", "source", "cumulative_probability"]


@pytest.fixture(scope="module")
def tb() -> Any:
    needed("timely_beliefs")
    import timely_beliefs

    return timely_beliefs


def _frame(tb: Any, sensor: Any, level: str, rows: list[tuple[Any, ...]]) -> Any:
    names = ["event_start", level, *KEYS[2:], "event_value"]
    return tb.BeliefsDataFrame(pd.DataFrame(rows, columns=names), sensor=sensor)


def _flat(frame: Any) -> pd.DataFrame:
    plain = pd.DataFrame(frame).reset_index()
    plain["source"] = [s.name for s in plain["source"]]
    for column in ("event_start", "belief_time"):
        plain[column] = pd.DatetimeIndex(plain[column]).tz_convert("UTC").as_unit("ns")
    return plain.sort_values(KEYS).reset_index(drop=True)


@pytest.mark.parametrize("level", ["belief_horizon", "belief_time"])
def test_a_beliefs_frame_goes_in_and_comes_back_equal(
    ws: wb.Workspace, tb: Any, level: str
) -> None:
    from timely_beliefs.sensors.func_store.knowledge_horizons import x_days_ago_at_y_oclock

    sensor = tb.Sensor(
        "prices",
        unit="EUR/MWh",
        timezone=AMS,
        event_resolution=timedelta(hours=1),
        knowledge_horizon=(x_days_ago_at_y_oclock, {"x": 1, "y": 12, "z": AMS}),
    )
    meter, model = tb.BeliefSource("meter"), tb.BeliefSource("model")
    rows = []
    # Around the spring clock change (30 March 2025 in Amsterdam)
    for i, start in enumerate(pd.date_range("2025-03-29T21:00Z", periods=6, freq="1h")):
        timing = (
            pd.Timedelta(hours=2) if level == "belief_horizon" else start - pd.Timedelta(hours=14)
        )
        for source, value in ((meter, float(i)), (model, i + 0.5)):
            for cp in (0.1, 0.5, 0.9):
                rows.append((start, timing, source, cp, value + cp))
    bdf = _frame(tb, sensor, level, rows)
    md = ws.create_model_definition("Market")
    zone = ws.create_model("NL", md, md.create_object_definition("Zone"))
    ours = zone.add_sensor(
        "prices",
        unit="EUR/MWh",
        timezone=AMS,
        resolution="PT1H",
        knowledge_time={"type": "x_days_ago_at_y_oclock", "x": 1, "y": 12},
    )
    assert ours.ingest(bdf) == len(bdf)
    back = ours.beliefs().beliefs.to_timely_beliefs()
    assert isinstance(back, tb.BeliefsDataFrame)
    assert back.sensor.unit == "EUR/MWh" and back.sensor.timezone == AMS
    assert back.event_resolution == timedelta(hours=1)
    assert back.sensor.knowledge_horizon_fnc == "x_days_ago_at_y_oclock"
    expected = bdf.convert_index_from_belief_horizon_to_time() if level == "belief_horizon" else bdf
    pd.testing.assert_frame_equal(_flat(back), _flat(expected), check_dtype=False)
    # The horizons timely-beliefs derives from the frame that came back are the ones that went in
    if level == "belief_horizon":
        went = bdf.belief_horizons.sort_values()
        came = back.convert_index_from_belief_time_to_horizon().belief_horizons.sort_values()
        assert list(came) == list(went)


def test_the_unit_and_resolution_of_a_frame_convert(ws: wb.Workspace, tb: Any) -> None:
    sensor = tb.Sensor("power", unit="kW", timezone="UTC", event_resolution=timedelta(minutes=15))
    starts = pd.date_range("2025-01-01", periods=4, freq="15min", tz="UTC")
    rows = [
        (s, s + pd.Timedelta(minutes=15), tb.BeliefSource("meter"), 0.5, 1000.0 * (i + 1))
        for i, s in enumerate(starts)
    ]
    bdf = _frame(tb, sensor, "belief_time", rows)
    md = ws.create_model_definition("Site")
    site = ws.create_model("S", md, md.create_object_definition("Site"))
    ours = site.add_sensor("power", unit="MW", resolution="PT1H")
    ours.ingest(bdf)
    # kW to MW, then four quarter-hours of power to one hour: their mean
    assert ours.beliefs()["value"].values.tolist() == [2.5]


def test_readme_timely_beliefs_example_runs(tb: Any) -> None:
    import subprocess
    import sys

    from tests.test_interop_flexmeasures import readme_block

    check = (
        "\nassert power.beliefs()['value'].values.tolist() == [1.0, 1.5, 1.2, 0.9]"
        "\nassert back.sensor.unit == 'MW' and len(back) == 4"
    )
    done = subprocess.run(
        [sys.executable, "-c", readme_block("To and from timely-beliefs") + check],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
