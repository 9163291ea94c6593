"""Beliefs to and from CSV, Parquet and Excel files (``workbench.interop.files``), on SQLite and
PostgreSQL, through the Python API and the command line."""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import ADMIN, SECRET, MakeModel, store_state
from openpyxl import Workbook
from typer.testing import CliRunner, Result

import workbench as wb
from workbench.cli import app
from workbench.errors import InvalidValue, NotFound
from workbench.interop.files import export_beliefs, import_beliefs
from workbench.interop.formats import file_format

AMS = "Europe/Amsterdam"
T0 = pd.Timestamp("2025-01-01T00:00Z")
POWER = "Model/Sys.To_Plants/PlantA:power"
FORECAST = "Model/Sys.To_Plants/PlantA:forecast"
FORMATS = ["csv", "parquet", "xlsx"]


def _power(plant: wb.Object) -> wb.Sensor:
    return plant.add_sensor("power", unit="MW", resolution="PT1H", timezone=AMS)


def _forecast(plant: wb.Object) -> wb.Sensor:
    return plant.add_sensor("forecast", unit="MW", resolution="PT1H", timezone=AMS)


def _fill_power(sensor: wb.Sensor) -> None:
    """Six hours measured twice (a correction a day later), flags on one of them."""
    starts = pd.date_range(T0, periods=6, freq="1h")
    for day, shift in ((1, 0.0), (2, 0.5)):
        frame = pd.DataFrame(
            {
                "event_start": starts,
                "value": np.arange(6.0) + shift,
                "flags": [0, 0, 4, 0, 0, 0],
                "belief_time": T0 + pd.Timedelta(days=day),
            }
        )
        sensor.ingest(frame, source="meter", source_type="meter")


def _fill_forecast(sensor: wb.Sensor) -> None:
    """Quantiles 0.1, 0.5 and 0.9 of four hours, from two forecasts."""
    starts = pd.date_range(T0, periods=4, freq="1h")
    rows = []
    for run, made in enumerate((T0 - pd.Timedelta("1D"), T0 - pd.Timedelta("12h"))):
        for p, spread in ((0.1, -1.0), (0.5, 0.0), (0.9, 1.0)):
            rows.append(
                pd.DataFrame(
                    {
                        "event_start": starts,
                        "value": np.arange(4.0) * 10 + spread + run,
                        "cumulative_probability": p,
                        "belief_time": made,
                    }
                )
            )
    sensor.ingest(pd.concat(rows), source="weather model", source_type="forecaster")


def _long(sensor: wb.Sensor) -> pd.DataFrame:
    return sensor.refresh().beliefs().beliefs.to_frame()


def _renew(plant: wb.Object, sensor: wb.Sensor) -> wb.Sensor:
    """The sensor deleted (with its beliefs) and made again, empty, with the same settings."""
    name = sensor.name
    sensor.delete()
    return _power(plant) if name == "power" else _forecast(plant)


@pytest.mark.parametrize("kind", FORMATS)
@pytest.mark.parametrize("which", ["power", "forecast"])
def test_long_round_trip(
    ws: wb.Workspace, plant: wb.Object, tmp_path: Path, kind: str, which: str
) -> None:
    sensor = _power(plant) if which == "power" else _forecast(plant)
    (_fill_power if which == "power" else _fill_forecast)(sensor)
    before = _long(sensor)
    path = tmp_path / f"beliefs.{kind}"
    assert export_beliefs(ws, [sensor.full_name], path, timezone=AMS) == len(before)
    sensor = _renew(plant, sensor)
    assert import_beliefs(ws, path) == {sensor.full_name: len(before)}
    pd.testing.assert_frame_equal(_long(sensor), before, check_like=True)


@pytest.mark.parametrize("kind", FORMATS)
def test_wide_round_trip(ws: wb.Workspace, plant: wb.Object, tmp_path: Path, kind: str) -> None:
    power, forecast = _power(plant), _forecast(plant)
    _fill_power(power)
    _fill_forecast(forecast)
    as_of = T0 + pd.Timedelta(days=3)
    path = tmp_path / f"wide.{kind}"
    export_beliefs(ws, [power, forecast], path, wide=True, as_of=as_of, timezone=AMS)
    table = (
        pd.read_csv(path)
        if kind == "csv"
        else pd.read_parquet(path)
        if kind == "parquet"
        else pd.read_excel(path)
    )
    quantiles = [f"{FORECAST}@{p}" for p in (0.1, 0.5, 0.9)]
    assert list(table.columns) == ["event_start", POWER, *quantiles]
    assert table[POWER].tolist() == (np.arange(6.0) + 0.5).tolist()  # the correction
    assert table[f"{FORECAST}@0.9"].dropna().tolist() == [2.0, 12.0, 22.0, 32.0]  # latest run

    def wide(sensor: wb.Sensor) -> pd.DataFrame:
        return sensor.refresh().beliefs(most_recent=True).beliefs.to_frame(wide=True)

    before = {s.name: wide(s) for s in (power, forecast)}
    power, forecast = _renew(plant, power), _renew(plant, forecast)
    stored = import_beliefs(ws, path, source="meter", belief_time=as_of)
    assert stored == {POWER: 6, FORECAST: 12}
    for sensor in (power, forecast):
        pd.testing.assert_frame_equal(wide(sensor), before[sensor.name])
        assert set(_long(sensor)["belief_time"]) == {as_of}


def test_to_frame_and_to_parquet_on_the_accessor(
    ws: wb.Workspace, plant: wb.Object, tmp_path: Path
) -> None:
    sensor = _forecast(plant)
    _fill_forecast(sensor)
    ds = sensor.beliefs()
    frame = ds.beliefs.to_frame(timezone=AMS)
    assert list(frame.columns) == [
        "event_start",
        "belief_time",
        "source",
        "cumulative_probability",
        "value",
        "flags",
    ]
    assert len(frame) == 24 and str(frame["event_start"].dt.tz) == AMS
    assert frame["event_start"].iloc[0].isoformat() == "2025-01-01T01:00:00+01:00"
    assert ds.beliefs.to_parquet(tmp_path / "f.parquet") == 24
    read = pq.read_table(tmp_path / "f.parquet")
    assert read.schema.field("event_start").type == pa.timestamp("ns", tz="UTC")
    assert read.schema.metadata[b"workbench.sensor"] == FORECAST.encode()
    # the long frame goes back into Sensor.ingest as it is
    other = plant.add_sensor("copy", unit="MW", resolution="PT1H", timezone=AMS)
    assert other.ingest(frame) == 24


def test_wide_refuses_several_sources(ws: wb.Workspace, plant: wb.Object, tmp_path: Path) -> None:
    sensor = _power(plant)
    _fill_power(sensor)
    sensor.ingest(pd.Series([9.0], index=pd.DatetimeIndex([T0])), source="other", belief_time=T0)
    with pytest.raises(InvalidValue, match=r"come from several sources \['meter', 'other'\]"):
        export_beliefs(ws, [sensor], tmp_path / "w.csv", wide=True)
    assert export_beliefs(ws, [sensor], tmp_path / "w.csv", wide=True, sources="meter") == 6


def _cli(store_url: str, *args: str) -> Result:
    options = ["--url", store_url, "--user", ADMIN, "--secret", SECRET]
    env: dict[str, str | None] = {"WORKBENCH_URL": None, "WORKBENCH_USER": None}
    return CliRunner().invoke(app, [*options, *args], env=env)


def test_cli_export_and_import(
    ws: wb.Workspace, plant: wb.Object, store_url: str, tmp_path: Path
) -> None:
    sensor = _power(plant)
    _fill_power(sensor)
    before = _long(sensor)
    path = tmp_path / "power.xlsx"
    args = ["--as-of", "2025-01-03T00:00Z", "--start", "2025-01-01T00:00Z", "--timezone", AMS]
    result = _cli(store_url, "beliefs", "export", "Sys/PlantA:power", "-o", str(path), *args)
    assert result.exit_code == 0, result.output
    assert f"Wrote 12 rows of 1 sensors to {path}." in result.stdout
    text = _cli(store_url, "beliefs", "export", "Sys/PlantA:power", "--timezone", AMS).stdout
    assert text.splitlines()[1].startswith(f"{POWER},2025-01-01 01:00:00+01:00,")
    sensor = _renew(plant, sensor)
    result = _cli(store_url, "beliefs", "import", "Sys/PlantA:power", str(path))
    assert result.exit_code == 0, result.output
    assert f"Stored 12 beliefs from {path} in {POWER}." in result.stdout
    pd.testing.assert_frame_equal(_long(sensor), before, check_like=True)


def test_local_time_csv_with_the_repeated_autumn_hour(
    ws: wb.Workspace, plant: wb.Object, store_url: str, tmp_path: Path
) -> None:
    # The last Sunday of October 2025: at 03:00 summer time, Amsterdam's clocks go back to
    # 02:00, so the hour from 02:00 comes twice; row order tells which is which.
    sensor = _power(plant)
    hours = ["00:00", "01:00", "02:00", "02:00", "03:00", "04:00"]
    path = tmp_path / "local.csv"
    path.write_text(
        "event_start,value\n" + "".join(f"2025-10-26 {h},{v}\n" for v, h in enumerate(hours)),
        encoding="utf-8",
    )
    args = ["--timezone", AMS, "--source", "meter", "--belief-time", "2025-11-01T00:00Z"]
    result = _cli(store_url, "beliefs", "import", "Sys/PlantA:power", str(path), *args)
    assert result.exit_code == 0, result.output
    frame = _long(sensor)
    expected = pd.date_range("2025-10-25T22:00Z", periods=6, freq="1h")
    assert frame["event_start"].tolist() == expected.tolist()
    assert frame["value"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]

    before = store_state(ws)
    cases = {
        "once.csv": ("2025-10-26 02:00", "appears once"),
        "spring.csv": ("2025-03-30 02:00", "does not exist (clocks go forward)"),
    }
    for name, (stamp, message) in cases.items():
        bad = tmp_path / name
        bad.write_text(f"event_start,value\n2025-01-01 00:00,1\n{stamp},2\n", encoding="utf-8")
        with pytest.raises(InvalidValue, match=r"do not exist or are ambiguous in Europe/Amst"):
            import_beliefs(ws, bad, sensor, timezone=AMS, source="meter")
        result = _cli(store_url, "beliefs", "import", POWER, str(bad), "--timezone", AMS)
        assert result.exit_code == 1 and message in result.stderr, result.output
    assert store_state(ws) == before


def _workbook(path: Path) -> None:
    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "notes"
    notes.append(["made by hand"])
    data = book.create_sheet("data")
    data.append(["event_start", "value", "source"])
    for hour in range(3):
        data.append([f"2025-01-01T0{hour}:00+01:00", hour * 1.5, "meter"])
    book.save(path)


def test_excel_sheet_choice(
    ws: wb.Workspace, plant: wb.Object, store_url: str, tmp_path: Path
) -> None:
    sensor = _power(plant)
    path = tmp_path / "book.xlsx"
    _workbook(path)
    before = store_state(ws)
    with pytest.raises(InvalidValue, match="has no 'event_start' column"):
        import_beliefs(ws, path, sensor)  # the first sheet holds notes
    with pytest.raises(InvalidValue, match=r"has no sheet 'Data'; its sheets are \['notes', 'd"):
        import_beliefs(ws, path, sensor, sheet="Data")
    assert store_state(ws) == before
    result = _cli(store_url, "beliefs", "import", POWER, str(path), "--sheet", "data")
    assert result.exit_code == 0, result.output
    assert _long(sensor)["value"].tolist() == [0.0, 1.5, 3.0]


def test_bad_inputs_store_nothing(
    ws: wb.Workspace, plant: wb.Object, store_url: str, tmp_path: Path
) -> None:
    sensor = _power(plant)
    good = tmp_path / "good.csv"
    good.write_text("event_start,value\n2025-01-01T00:00Z,1\n", encoding="utf-8")
    wide = tmp_path / "wide.csv"
    wide.write_text(
        f"event_start,{POWER},Model/Sys:nothing\n2025-01-01T00:00Z,1,2\n", encoding="utf-8"
    )
    garbage = tmp_path / "garbage.parquet"
    garbage.write_bytes(b"not parquet at all")
    (tmp_path / "garbage.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    no_value = tmp_path / "no_value.csv"
    no_value.write_text("event_start,source\n2025-01-01T00:00Z,meter\n", encoding="utf-8")
    before = store_state(ws)
    cases: list[tuple[Any, dict[str, Any], str]] = [
        (tmp_path / "good.txt", {}, r"cannot tell the format of .*good.txt"),
        (good, {"format": "json"}, r"unknown file format 'json'; use one of \['csv', 'parq"),
        (no_value, {}, "has no 'value' column"),
        (wide, {}, "the column 'Model/Sys:nothing' names no sensor"),
        (garbage, {}, r"cannot read .*garbage.parquet.* as a Parquet file"),
        (tmp_path / "garbage.xlsx", {}, r"cannot read .*garbage.xlsx.* as an? Excel file"),
        (tmp_path / "missing.csv", {}, "there is no such file"),
        (good, {"sheet": "data"}, "sheet='data' is for Excel files"),
    ]
    for path, options, message in cases:
        target = None if path is wide else sensor
        with pytest.raises(InvalidValue, match=message):
            import_beliefs(ws, path, target, **options)
    for path, message in ((wide, "names no sensor"), (garbage, "as a Parquet file")):
        result = _cli(store_url, "beliefs", "import", str(path))
        assert result.exit_code == 1 and message in result.stderr, result.output
        assert "Traceback" not in result.output
    assert store_state(ws) == before


def test_exports_take_the_users_access_rights(
    ws: wb.Workspace, make_model: MakeModel, tmp_path: Path
) -> None:
    private = make_model(ws, "Priv", children={"To_Plants": ["PlantA"]}, account="Operators")
    _fill_power(_power(private.objects["PlantA"]))
    ws.create_account("Other")
    ws.add_user("reader@other.example", "Other", "a long secret 123", ["account-admin"])
    other = wb.connect(ws.url, user="reader@other.example", secret="a long secret 123")
    try:
        with pytest.raises(NotFound) as hidden:
            export_beliefs(other, ["Model/Priv.To_Plants/PlantA:power"], tmp_path / "x.csv")
        with pytest.raises(NotFound) as missing:
            export_beliefs(other, ["Model/Nope.To_Plants/PlantA:power"], tmp_path / "x.csv")
        assert str(hidden.value) == str(missing.value).replace("Nope", "Priv")
        assert not (tmp_path / "x.csv").exists()
        assert export_beliefs(ws, ["Model/Priv.To_Plants/PlantA:power"], tmp_path / "x.csv")
    finally:
        other.engine.dispose()


def test_file_format_from_suffix() -> None:
    assert file_format("a.CSV") == "csv" and file_format("b.pq") == "parquet"
    assert file_format("-") == "csv" and file_format("c.xlsx") == "xlsx"


def _big_parquet(path: Path, rows: int) -> int:
    """A Parquet file of ``rows`` quarter-hours, written in pieces; its size in memory."""
    writer = None
    step = 500_000
    for begin in range(0, rows, step):
        n = min(step, rows - begin)
        starts = pd.date_range(T0 + pd.Timedelta(minutes=15 * begin), periods=n, freq="15min")
        table = pa.table(
            {
                "event_start": pa.array(starts.as_unit("us")),
                "value": pa.array(np.arange(begin, begin + n, dtype=np.float64)),
            }
        )
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()
    whole = pq.read_table(path).to_pandas()
    return int(whole.memory_usage(deep=True).sum())


@pytest.mark.slow
def test_a_large_parquet_import_streams_in_bounded_memory(
    sqlite_ws: wb.Workspace, tmp_path: Path
) -> None:
    md = sqlite_ws.create_model_definition("Big")
    model = sqlite_ws.create_model("Big", md, md.create_object_definition("Plant"))
    sensor = model.add_sensor("power", unit="MW", resolution="PT15M")
    rows = 2_000_000
    path = tmp_path / "big.parquet"
    in_memory = _big_parquet(path, rows)
    tracemalloc.start()
    try:
        stored = import_beliefs(
            sqlite_ws, path, sensor, source="meter", belief_time=T0, batch_rows=25_000
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stored == {sensor.full_name: rows}
    # the whole file as a frame takes 32 MB; a streamed import peaks at a fraction of it
    assert peak < in_memory / 2, (peak, in_memory)
    last = sensor.beliefs(most_recent=True)["value"].values.ravel()
    assert len(last) == rows and last[-1] == rows - 1


def test_a_streamed_import_is_one_transaction(
    ws: wb.Workspace, plant: wb.Object, tmp_path: Path
) -> None:
    sensor = _power(plant)
    starts = pd.date_range(T0, periods=10, freq="1h")
    probability = [0.5] * 9 + [2.0]  # the last batch breaks a rule
    frame = pd.DataFrame(
        {"event_start": starts, "value": np.arange(10.0), "cumulative_probability": probability}
    )
    path = tmp_path / "bad.parquet"
    frame.to_parquet(path)
    before = store_state(ws)
    with pytest.raises(InvalidValue, match=r"cumulative_probability must lie in \[0, 1\]"):
        import_beliefs(ws, path, sensor, source="meter", batch_rows=3)
    assert store_state(ws) == before
    assert sensor.beliefs()["value"].size == 0


def test_a_streamed_import_joins_finer_events_whole(
    ws: wb.Workspace, plant: wb.Object, tmp_path: Path
) -> None:
    # quarter-hours of energy into an hourly power sensor: batches of 3 rows split every hour
    sensor = _power(plant)
    starts = pd.date_range(T0, periods=12, freq="15min")
    frame = pd.DataFrame({"event_start": starts, "value": np.arange(12.0)})
    path = tmp_path / "quarters.parquet"
    frame.to_parquet(path)
    stored = import_beliefs(ws, path, sensor, unit="MWh", source="meter", batch_rows=3)
    assert stored == {POWER: 3}
    # 1 MWh in 15 minutes is 4 MW: each hour's mean power is the sum of its quarters' energy
    assert _long(sensor)["value"].tolist() == [6.0, 22.0, 38.0]
    same = tmp_path / "hours.parquet"
    hourly = pd.DataFrame({"event_start": starts[::4], "value": [1.0, 2.0, 3.0]})
    hourly.to_parquet(same)
    assert import_beliefs(ws, same, sensor, source="other", batch_rows=2) == {POWER: 3}


def test_an_excel_sheet_has_a_row_limit(
    ws: wb.Workspace, plant: wb.Object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.interop import formats

    sensor = _power(plant)
    _fill_power(sensor)
    monkeypatch.setattr(formats, "EXCEL_ROWS", 12)
    with pytest.raises(InvalidValue, match=r"12 rows do not fit in an Excel sheet \(11 at most"):
        export_beliefs(ws, [sensor], tmp_path / "big.xlsx")
    assert not (tmp_path / "big.xlsx").exists()
    assert export_beliefs(ws, [sensor], tmp_path / "big.xlsx", most_recent=True) == 6
