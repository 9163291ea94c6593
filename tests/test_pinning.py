"""Pinning a workspace to a belief time, provenance records, and the workspace shortcuts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import MakeModel

import workbench as wb
from workbench.api.handles.sensors import Sensor, add_sensor

T0 = pd.Timestamp("2025-03-01T00:00Z")


@pytest.fixture
def power(ws: wb.Workspace, make_model: MakeModel) -> Sensor:
    model = make_model(ws, "Sys", types={"Plant": {}}).model
    sensor = add_sensor(model, "power", unit="MW", resolution="1h", catalog_path="Meters/Oslo")
    index = pd.date_range(T0, periods=24, freq="1h")
    for day in range(3):  # three forecasts of the same day, each a day later
        sensor.ingest(
            pd.Series(np.arange(24.0) + 100 * day, index=index),
            source="forecaster",
            source_type="forecaster",
            belief_time=T0 - pd.Timedelta(days=3 - day),
        )
    return sensor


def values(ds: object) -> np.ndarray:
    return np.asarray(ds["value"]).ravel()  # type: ignore[index]


def test_a_pinned_workspace_sees_what_was_known_then(ws: wb.Workspace, power: Sensor) -> None:
    assert values(power.beliefs(most_recent=True))[0] == 200.0
    ws.pin(T0 - pd.Timedelta(days=2))
    assert values(power.beliefs(most_recent=True))[0] == 100.0
    # a later as_of is capped at the pin, an earlier one is kept
    assert values(power.beliefs(most_recent=True, as_of=T0))[0] == 100.0
    assert values(power.beliefs(most_recent=True, as_of=T0 - pd.Timedelta(days=3)))[0] == 0.0
    assert len(power.beliefs().belief) == 48  # the beliefs layout is capped too
    ws.pin(None)
    assert values(power.beliefs(most_recent=True))[0] == 200.0


def test_new_beliefs_after_the_pin_change_nothing(ws: wb.Workspace, power: Sensor) -> None:
    ws.pin("2025-02-28T12:00Z")
    ws.provenance = []
    before = power.beliefs(most_recent=True)
    power.ingest(
        pd.Series([999.0], index=[T0]),
        source="forecaster",
        source_type="forecaster",
        belief_time=T0 - pd.Timedelta(hours=1),
    )
    after = power.beliefs(most_recent=True)
    assert before.identical(after)
    first, second = ws.provenance
    assert first.sha256 == second.sha256 and first.rows == second.rows == 24
    assert first.as_of == "2025-02-28T12:00:00+00:00"
    assert "power" in first.what and "most-recent" in first.what
    ws.pin(None)
    assert power.beliefs(most_recent=True)["value"].values.ravel()[0] == 999.0
    assert ws.provenance[-1].sha256 != first.sha256


def test_connect_reads_the_pin_and_the_provenance_file_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_model: MakeModel
) -> None:
    url = f"sqlite:///{tmp_path / 'pinned.db'}"
    ws = wb.connect(url)
    model = make_model(ws, "Sys", types={"Plant": {}}).model
    sensor = add_sensor(model, "power", unit="MW", resolution="1h")
    for day in range(2):
        sensor.ingest(
            pd.Series([float(day)], index=[T0]),
            source="fc",
            belief_time=T0 - pd.Timedelta(days=2 - day),
        )
    log = tmp_path / "provenance.jsonl"
    monkeypatch.setenv("WORKBENCH_AS_OF", "2025-02-27T12:00+00:00")
    monkeypatch.setenv("WORKBENCH_PROVENANCE", str(log))
    pinned = wb.connect(url)
    assert pinned.as_of == pd.Timestamp("2025-02-27T12:00Z")
    assert pinned.sensor(sensor.id).beliefs(most_recent=True)["value"].values.ravel()[0] == 0.0
    (record,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert record["rows"] == 1 and len(record["sha256"]) == 64
    assert record["store"] == url  # the store that was read (no password in a SQLite URL)
    assert record["as_of"].startswith("2025-02-27T12:00")
    assert wb.connect(url, as_of="now").as_of is not None


@pytest.mark.parametrize(
    ("pin", "message"),
    [
        ("yesterday", "'yesterday' is not a time"),
        ("2025-01-01T00:00", "is naive"),
        (12.5, "12.5"),
    ],
)
def test_bad_pins_are_refused(sqlite_ws: wb.Workspace, pin: object, message: str) -> None:
    with pytest.raises(wb.InvalidValue, match=message):
        sqlite_ws.pin(pin)
    assert sqlite_ws.as_of is None


def test_workspace_shortcuts(ws: wb.Workspace, power: Sensor) -> None:
    assert ws.sensor(power.id) == power
    assert ws.sensor(power.full_name) == power
    assert ws.sensors() == [power]
    assert ws.sensors("Meters") == [power]
    assert ws.sensors("Elsewhere") == []
    assert ws.catalog_folders() == ["Meters/Oslo"] or "Meters/Oslo" in ws.catalog_folders()
    assert [s.name for s in ws.sources()] == ["forecaster"]
    assert ws.source("forecaster").type == "forecaster"
    side = ws.beliefs([power], most_recent=True)
    assert "power" in side.data_vars  # type: ignore[union-attr]
    account = ws.create_account("Acme")
    assert account.name in [a.name for a in ws.accounts()]
    user = ws.add_user("ana@acme.example", "Acme", "s3cret-enough!", roles=["account-admin"])
    assert user.email in [u.email for u in ws.users("Acme")]
    assert ws.set_roles(user.email, []).roles == ()
    with pytest.raises(wb.NotFound):
        ws.sensor("Model/Sys:nothing")
