"""Ingesting beliefs through the API: conversion, belief times, idempotence, refusals, atomicity."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import workbench as wb
from workbench.api.handles.sensors import Sensor, add_sensor
from workbench.api.handles.sources import get_or_create_source, list_sources
from workbench.beliefs import Flag
from workbench.store import beliefs as store
from workbench.store.timeseries import BeliefRow, LatestBeliefRow, SourceRow

T0 = "2025-01-01T00:00Z"
BT = "2025-01-02T00:00Z"


@pytest.fixture
def power(plant: wb.Object) -> Sensor:
    return add_sensor(plant, "power", unit="MW", resolution="15min", timezone="Europe/Amsterdam")


def quarters(
    values: list[float], start: str = "2025-01-01T00:00", tz: str | None = None
) -> pd.Series:
    index = pd.date_range(start, periods=len(values), freq="15min", tz=tz)
    return pd.Series(values, index=index, dtype=float)


def stored(ws: wb.Workspace, table: type = BeliefRow) -> pd.DataFrame:
    """Every stored row, as a frame (times in µs), ordered by key."""
    with ws.transaction() as s:
        rows = s.execute(
            sa.select(table).order_by(
                table.sensor_id, table.event_start, table.source_id, table.belief_time
            )
        ).scalars()
        return pd.DataFrame(
            [
                {
                    c: getattr(r, c)
                    for c in (
                        "sensor_id",
                        "event_start",
                        "source_id",
                        "cumulative_probability",
                        "belief_time",
                        "value",
                        "flags",
                    )
                }
                for r in rows
            ]
        )


def count(ws: wb.Workspace, table: type = BeliefRow) -> int:
    with ws.transaction() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


def micro(text: str) -> int:
    return int(pd.Timestamp(text).value // 1000)


# -- units and resolutions ------------------------------------------------------------------


def test_kw_are_converted_to_mw(power: Sensor) -> None:
    assert (
        power.ingest(
            quarters([1000.0, 2500.0], tz="UTC"), unit="kW", source="meter", belief_time=BT
        )
        == 2
    )
    rows = stored(power.ws)
    np.testing.assert_allclose(rows["value"], [1.0, 2.5])
    assert list(rows["event_start"]) == [micro(T0), micro("2025-01-01T00:15Z")]
    assert set(rows["belief_time"]) == {micro(BT)}


def test_kwh_per_quarter_hour_become_mw_with_the_resolution(power: Sensor) -> None:
    power.ingest(quarters([250.0, 500.0], tz="UTC"), unit="kWh", source="meter", belief_time=BT)
    np.testing.assert_allclose(stored(power.ws)["value"], [1.0, 2.0])


def test_quarter_hours_join_into_hours_by_mean_for_power_and_sum_for_energy(
    plant: wb.Object,
) -> None:
    hourly_power = add_sensor(plant, "p", unit="MW", resolution="1h")
    hourly_energy = add_sensor(plant, "e", unit="MWh", resolution="1h")
    data = quarters([1.0, 2.0, 3.0, 6.0], tz="UTC")
    hourly_power.ingest(data, source="meter", belief_time=BT)
    hourly_energy.ingest(data, source="meter", belief_time=BT)
    rows = stored(plant.ws)
    assert list(rows["value"]) == [3.0, 12.0]
    assert set(rows["event_start"]) == {micro(T0)}


def test_price_units_convert(plant: wb.Object) -> None:
    price = add_sensor(plant, "price", unit="EUR/kWh", resolution="1h")
    price.ingest(
        pd.Series([120.0], index=pd.DatetimeIndex([T0])),
        unit="EUR/MWh",
        source="market",
        source_type="market",
        belief_time=BT,
    )
    np.testing.assert_allclose(stored(plant.ws)["value"], [0.12])


# -- belief times and sources ---------------------------------------------------------------


def test_belief_times_from_a_column_a_horizon_or_now(power: Sensor) -> None:
    frame = pd.DataFrame(
        {
            "event_start": pd.date_range(T0, periods=2, freq="15min"),
            "belief_time": pd.to_datetime(["2024-12-31T12:00Z"] * 2),
            "value": [1.0, 2.0],
        }
    )
    power.ingest(frame, source="a")
    power.ingest(quarters([1.0], tz="UTC"), source="b", horizon="PT1H")  # ex post: end - 1 h
    before = datetime.now(UTC)
    power.ingest(quarters([1.0], tz="UTC"), source="c")
    rows = stored(power.ws)
    ids = {s.name: s.id for s in list_sources(power.ws)}
    times = dict(zip(rows["source_id"], rows["belief_time"], strict=False))
    assert times[ids["a"]] == micro("2024-12-31T12:00Z")
    assert times[ids["b"]] == micro("2024-12-31T23:15Z")
    assert abs(times[ids["c"]] - before.timestamp() * 1e6) < 60e6


def test_sources_from_a_column_a_handle_or_the_user(ws: wb.Workspace, power: Sensor) -> None:
    frame = pd.DataFrame(
        {
            "event_start": pd.date_range(T0, periods=2, freq="15min", tz="UTC"),
            "source": ["meter A", "meter B"],
            "value": [1.0, 2.0],
        }
    )
    power.ingest(frame, source_type="meter", belief_time=BT)
    lgbm = get_or_create_source(ws, "lgbm", "forecaster", model="lgbm", version="1")
    power.ingest(quarters([3.0], tz="UTC"), source=lgbm, belief_time=BT)
    power.ingest(quarters([4.0], tz="UTC"), belief_time=BT)
    names = {s.id: (s.name, s.type, s.user_id) for s in list_sources(ws)}
    found = sorted(names[i] for i in stored(ws)["source_id"])
    assert [n[:2] for n in found] == [
        ("admin@operators.example", "user"),
        ("lgbm", "forecaster"),
        ("meter A", "meter"),
        ("meter B", "meter"),
    ]
    assert found[0][2] == ws.principal.user_id


def test_quantiles_are_stored_side_by_side(power: Sensor) -> None:
    frame = pd.DataFrame(
        {
            "event_start": [pd.Timestamp(T0)] * 3,
            "value": [1.0, 2.0, 3.0],
            "cumulative_probability": [0.1, 0.5, 0.9],
        }
    )
    assert power.ingest(frame, source="fc", belief_time=BT) == 3
    assert list(stored(power.ws)["cumulative_probability"]) == [0.1, 0.5, 0.9]
    assert count(power.ws, LatestBeliefRow) == 3


def test_naive_times_with_a_timezone(power: Sensor) -> None:
    power.ingest(quarters([1.0]), timezone="Europe/Amsterdam", source="m", belief_time=BT)
    assert list(stored(power.ws)["event_start"]) == [micro("2024-12-31T23:00Z")]


def test_a_csv_file(tmp_path: Path, power: Sensor) -> None:
    path = tmp_path / "beliefs.csv"
    path.write_text(
        "event_start,belief_time,source,value\n"
        "2025-01-01T01:00+01:00,2024-12-31T12:00+01:00,forecast,10\n"
        "2025-01-01T01:15+01:00,2024-12-31T12:00+01:00,forecast,11\n"
        "2025-01-01T00:00Z,2025-01-01T00:20Z,meter,12\n"
    )
    assert power.ingest(path) == 3
    assert power.ingest(str(path)) == 3
    rows = stored(power.ws)
    assert len(rows) == 3
    assert list(rows["event_start"]) == [micro(T0), micro(T0), micro("2025-01-01T00:15Z")]


def test_an_xarray_dataset_round_trips(plant: wb.Object, power: Sensor) -> None:
    power.ingest(quarters([1.0, 2.0], tz="UTC"), source="m", belief_time=BT)
    copy = add_sensor(plant, "copy", unit="kW", resolution="15min")
    assert copy.ingest(power.beliefs()) == 2
    np.testing.assert_allclose(copy.beliefs()["value"], [1000.0, 2000.0])


# -- NaN, idempotence, unchanged beliefs ----------------------------------------------------


def test_nan_dropped_or_stored_as_missing(plant: wb.Object, power: Sensor) -> None:
    data = quarters([1.0, np.nan, 3.0], tz="UTC")
    assert power.ingest(data, source="m", belief_time=BT) == 2
    other = add_sensor(plant, "other", unit="MW", resolution="15min")
    assert other.ingest(data, source="m", belief_time=BT, nan="missing") == 3
    rows = stored(plant.ws)
    missing = rows[rows["sensor_id"] == other.id].iloc[1]
    assert np.isnan(missing["value"]) or missing["value"] is None
    assert missing["flags"] == Flag.MISSING


def test_the_same_beliefs_twice_are_stored_once(power: Sensor) -> None:
    data = quarters([1.0, 2.0, 3.0], tz="UTC")
    for _ in range(2):
        assert power.ingest(data, source="m", belief_time=BT) == 3
    assert (count(power.ws), count(power.ws, LatestBeliefRow)) == (3, 3)
    power.ingest(quarters([1.0, 5.0, 3.0], tz="UTC"), source="m", belief_time=BT)
    assert count(power.ws) == 3
    assert list(stored(power.ws)["value"]) == [1.0, 5.0, 3.0]


def test_skip_unchanged_keeps_only_news(power: Sensor) -> None:
    power.ingest(quarters([1.0, 2.0, 3.0], tz="UTC"), source="m", belief_time=BT)
    later = "2025-01-03T00:00Z"
    n = power.ingest(
        quarters([1.0, 7.0, 3.0], tz="UTC"), source="m", belief_time=later, skip_unchanged=True
    )
    assert n == 1
    rows = stored(power.ws)
    assert len(rows) == 4
    assert list(rows[rows["belief_time"] == micro(later)]["value"]) == [7.0]
    frame = pd.DataFrame(
        {  # a repeat within the data itself is skipped too
            "event_start": [pd.Timestamp(T0)] * 3,
            "value": [1.0, 1.0, 2.0],
            "belief_time": pd.to_datetime(
                ["2025-01-04T00:00Z", "2025-01-05T00:00Z", "2025-01-06T00:00Z"]
            ),
        }
    )
    assert power.ingest(frame, source="m", skip_unchanged=True) == 1
    assert count(power.ws) == 5


# -- refusals: nothing written --------------------------------------------------------------

REFUSALS: list[tuple[Callable[[Sensor], object], type[Exception], str]] = [
    (
        lambda s: s.ingest(quarters([1.0]), source="m", belief_time=BT),
        wb.InvalidValue,
        "naive timestamps",
    ),
    (
        lambda s: s.ingest(quarters([1.0], tz="UTC"), source="m", belief_time="2025-01-02"),
        wb.InvalidValue,
        "belief_time='2025-01-02' is naive",
    ),
    (
        lambda s: s.ingest(quarters([1.0], tz="UTC"), unit="degC", source="m", belief_time=BT),
        wb.UnitError,
        "cannot convert from 'degC'",
    ),
    (
        lambda s: s.ingest(quarters([1.0], tz="UTC"), unit="megabananas", belief_time=BT),
        wb.UnitError,
        "megabananas",
    ),
    (
        lambda s: s.ingest(quarters([1.0, 2.0], tz="UTC"), resolution="7min", belief_time=BT),
        wb.InvalidValue,
        "cannot resample events of P0DT0H7M0S into P0DT0H15M0S",
    ),
    (
        lambda s: s.ingest(quarters([1.0], tz="UTC"), belief_time=BT, horizon="PT1H"),
        wb.InvalidValue,
        "belief times are given twice",
    ),
    (
        lambda s: s.ingest(quarters([1.0], tz="UTC"), belief_time=BT, nan="zero"),  # type: ignore[arg-type]
        wb.InvalidValue,
        "nan must be 'drop' or 'missing', got 'zero'",
    ),
    (
        lambda s: s.ingest(quarters([1.0], tz="UTC"), belief_time=BT, source_type="Meter X"),
        wb.InvalidValue,
        "source type 'Meter X'",
    ),
    (
        lambda s: s.ingest(
            pd.DataFrame({"event_start": [pd.Timestamp(T0)], "value": [1.0], "colour": ["red"]}),
            belief_time=BT,
        ),
        wb.InvalidValue,
        "unknown columns \\['colour'\\]",
    ),
    (
        lambda s: s.ingest(
            pd.DataFrame(
                {"event_start": [pd.Timestamp(T0)], "value": [1.0], "cumulative_probability": [1.5]}
            ),
            belief_time=BT,
        ),
        wb.InvalidValue,
        "cumulative_probability must lie in \\[0, 1\\], got 1.5",
    ),
    (lambda s: s.ingest([1.0, 2.0], belief_time=BT), wb.InvalidValue, "cannot ingest a list"),
    (
        lambda s: s.ingest(Path("/nonexistent/beliefs.csv")),
        wb.InvalidValue,
        "cannot read the CSV file '/nonexistent/beliefs.csv'",
    ),
]


@pytest.mark.parametrize(("call", "error", "message"), REFUSALS)
def test_refusals_write_nothing(
    power: Sensor, call: Callable[[Sensor], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call(power)
    assert count(power.ws) == 0 and count(power.ws, LatestBeliefRow) == 0
    assert count(power.ws, SourceRow) == 0


def test_a_failure_midway_leaves_nothing_behind(
    monkeypatch: pytest.MonkeyPatch, power: Sensor
) -> None:
    writes: list[int] = []
    real = store.write_beliefs

    def small_chunks(session: Any, sensor_id: int, arrays: Any, **options: Any) -> int:
        def progress(n: int) -> None:
            writes.append(n)
            if len(writes) == 2:
                raise RuntimeError("the disk is full")

        return real(session, sensor_id, arrays, chunk_size=2, progress=progress)

    monkeypatch.setattr(store, "write_beliefs", small_chunks)
    with pytest.raises(RuntimeError, match="disk is full"):
        power.ingest(quarters([1.0, 2.0, 3.0, 4.0, 5.0], tz="UTC"), source="m", belief_time=BT)
    assert writes == [2, 2]
    assert count(power.ws) == 0 and count(power.ws, SourceRow) == 0


def test_a_failure_later_in_a_transaction_undoes_the_ingest(power: Sensor) -> None:
    with pytest.raises(ZeroDivisionError), power.ws.transaction():
        power.ingest(quarters([1.0], tz="UTC"), source="m", belief_time=BT)
        _ = 1 / 0
    assert count(power.ws) == 0


def test_progress_in_chunks_within_one_transaction(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], power: Sensor
) -> None:
    real, chunks = store.write_beliefs, []

    def small_chunks(session: Any, sensor_id: int, arrays: Any, **options: Any) -> int:
        def progress(n: int) -> None:
            chunks.append(n)
            options["progress"](n)

        return real(session, sensor_id, arrays, chunk_size=3, progress=progress)

    monkeypatch.setattr(store, "write_beliefs", small_chunks)
    assert (
        power.ingest(quarters(list(range(10)), tz="UTC"), source="m", belief_time=BT, progress=True)
        == 10
    )
    assert chunks == [3, 3, 3, 1]
    assert "100%" in capsys.readouterr().err
    assert count(power.ws) == 10 and count(power.ws, LatestBeliefRow) == 10


def test_the_progress_bar_shows_a_stored_name_s_control_characters_as_escapes(
    capsys: pytest.CaptureFixture[str], power: Sensor
) -> None:
    from workbench.store.timeseries import SensorRow

    hostile = "power\x1b]0;PWNED\x07\x1b[2J"  # stored before such names were refused
    with power.ws.engine.begin() as conn:
        conn.execute(sa.update(SensorRow).where(SensorRow.id == power.id).values(name=hostile))
    sensor = power.ws.sensor(power.id)
    assert sensor.ingest(quarters([1.0, 2.0], tz="UTC"), source="m", belief_time=BT, progress=True)
    shown = capsys.readouterr().err
    assert "\x1b" not in shown and "\x07" not in shown
    assert "power\\x1b]0;PWNED\\x07\\x1b[2J" in shown
