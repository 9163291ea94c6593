"""``workbench sensors`` and ``workbench beliefs`` on SQLite and PostgreSQL (through --url)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import ADMIN, SECRET, MakeModel, store_state
from typer.testing import CliRunner, Result

import workbench as wb
from workbench.cli import app
from workbench.cli.app import GROUPS
from workbench.cli.sensors import sensor_key

_CLEAN_ENV: dict[str, str | None] = {
    "WORKBENCH_URL": None,
    "WORKBENCH_USER": None,
    "WORKBENCH_SECRET": None,
}


@pytest.fixture
def cli(ws: wb.Workspace, store_url: str) -> Any:
    """Run the command line against the store of ``ws`` as its admin."""

    def run(*args: str) -> Result:
        options = ["--url", store_url, "--user", ADMIN, "--secret", SECRET]
        return CliRunner().invoke(app, [*options, *args], env=_CLEAN_ENV)

    return run


@pytest.fixture
def model(ws: wb.Workspace, make_model: MakeModel) -> wb.Object:
    """Model/Sys (definition Hydro) with PlantA."""
    return make_model(ws, "Sys", definition="Hydro", children={"To_Plants": ["PlantA"]}).model


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def refused(ws: wb.Workspace, result: Result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: ") and message in result.stderr, result.stderr
    assert "Traceback" not in result.output


def _csv(path: Path, values: list[float], *, unit_kw: bool = False, offset: str = "+01:00") -> Path:
    starts = pd.date_range("2025-03-01T00:00", periods=len(values), freq="15min")
    frame = pd.DataFrame(
        {"event_start": [f"{t.isoformat()}{offset}" for t in starts], "value": values}
    )
    frame.to_csv(path, index=False)
    return path


def test_groups_are_registered() -> None:
    names = [name for name, _ in GROUPS]
    assert "sensors" in names and "beliefs" in names
    text = CliRunner().invoke(app, ["beliefs", "--help"], env=_CLEAN_ENV).stdout
    assert "import" in text and "show" in text


def test_sensor_key() -> None:
    assert sensor_key("12") == 12
    assert sensor_key("Sys/PlantA:power") == "Model/Sys/PlantA:power"
    assert sensor_key("Model/Sys/PlantA:power") == "Model/Sys/PlantA:power"
    assert sensor_key("power") == "power"


def test_add_and_list_sensors(ws: wb.Workspace, model: wb.Object, cli: Any) -> None:
    text = ok(
        cli(
            "sensors",
            "add",
            "Model/Sys/PlantA",
            "power",
            "--unit",
            "MW",
            "--resolution",
            "PT15M",
            "--timezone",
            "Europe/Oslo",
            "--catalog-path",
            "Hydro/Plants",
        )
    )
    assert "Added the sensor Model/Sys.To_Plants/PlantA:power" in text
    assert "MW, P0DT0H15M0S, Europe/Oslo, ex_post" in text
    rule = '{"type": "x_days_ago_at_y_oclock", "x": 1, "y": 12}'
    text = ok(
        cli(
            "sensors",
            "add",
            "Sys",
            "price",
            "--unit",
            "EUR/MWh",
            "--resolution",
            "1h",
            "--knowledge-time",
            rule,
            "--catalog-path",
            "Markets",
        )
    )
    assert "x_days_ago_at_y_oclock" in text
    sensor = ws.sensor("Model/Sys:price")
    assert sensor.unit == "EUR/MWh" and sensor.resolution == pd.Timedelta("1h")
    assert sensor.knowledge_time.to_dict()["y"] == 12

    listed = ok(cli("sensors", "list"))
    assert listed.index("Model/Sys.To_Plants/PlantA:power") < listed.index("Model/Sys:price")
    assert "Hydro/Plants" in listed and "Europe/Oslo" in listed and "EUR/MWh" in listed
    only = ok(cli("sensors", "list", "Hydro"))
    assert "PlantA:power" in only and "price" not in only
    assert "power" not in ok(cli("sensors", "list", "Elsewhere"))


def test_add_sensor_refused(ws: wb.Workspace, model: wb.Object, cli: Any) -> None:
    ok(cli("sensors", "add", "Sys/PlantA", "power", "--unit", "MW"))
    before = store_state(ws)
    cases = [
        (["Sys/PlantA", "power"], "already has a sensor named 'power'"),
        (["Sys/PlantA", "p2", "--unit", "parsecs per fortnight^"], "parsecs"),
        (["Sys/PlantA", "p2", "--timezone", "Mars/Olympus"], "Mars/Olympus"),
        (["Sys/PlantA", "p2", "--resolution", "soon"], "soon"),
        (["Sys/PlantA", "p2", "--curve-type", "wiggly"], "curve_type must be 'step' or 'linear'"),
        (["Sys/PlantA", "p2", "--knowledge-time", "eventually"], "eventually"),
        (["Sys/Nowhere", "p2"], "Nowhere"),
    ]
    for args, message in cases:
        refused(ws, cli("sensors", "add", *args), message)
    assert store_state(ws) == before


def test_import_and_show(ws: wb.Workspace, model: wb.Object, cli: Any, tmp_path: Path) -> None:
    plant = ws.object("Model/Sys/PlantA")
    sensor = plant.add_sensor("power", unit="MW", resolution="15min", timezone="Europe/Oslo")
    data = _csv(tmp_path / "power.csv", [1000.0, 2000.0, 3000.0, 4000.0])
    result = cli(
        "beliefs",
        "import",
        "Sys/PlantA:power",
        str(data),
        "--unit",
        "kW",
        "--source",
        "meter-1",
        "--source-type",
        "meter",
        "--belief-time",
        "2025-03-02T00:00Z",
    )
    assert "Stored 4 beliefs from" in ok(result) and "PlantA:power" in result.stdout
    assert "beliefs" in result.stderr  # the progress bar
    stored = sensor.beliefs(most_recent=True, probabilistic=False)
    np.testing.assert_allclose(stored["value"].values.ravel(), [1.0, 2.0, 3.0, 4.0])
    assert list(stored["source"].values) == ["meter-1"]
    assert ws.source("meter-1").type == "meter"

    # a later forecast of the same events from another source
    later = _csv(tmp_path / "fc.csv", [5.0, 6.0, 7.0, 8.0])
    ok(
        cli(
            "beliefs",
            "import",
            str(sensor.id),
            str(later),
            "--source",
            "fc",
            "--source-type",
            "forecaster",
            "--belief-time",
            "2025-02-28T12:00Z",
        )
    )

    table = ok(cli("beliefs", "show", "Sys/PlantA:power"))
    assert "8 beliefs" in table and "value [MW]" in table and "event_start (Europe/Oslo)" in table
    assert "2025-03-01T00:00:00+01:00" in table and "meter-1" in table and "fc" in table
    as_of = ok(cli("beliefs", "show", "Sys/PlantA:power", "--as-of", "2025-03-01T00:00Z"))
    assert "4 beliefs" in as_of and "meter-1" not in as_of
    window = ok(
        cli(
            "beliefs",
            "show",
            "Sys/PlantA:power",
            "--start",
            "2025-03-01T00:15+01:00",
            "--end",
            "2025-03-01T00:45+01:00",
        )
    )
    assert "4 beliefs" in window and "2025-03-01T00:00:00+01:00" not in window
    empty = ok(cli("beliefs", "show", "Sys/PlantA:power", "--start", "2030-01-01T00:00Z"))
    assert "has no beliefs that match" in empty

    text = ok(cli("beliefs", "show", "Sys/PlantA:power", "--format", "csv", "--all"))
    frame = pd.read_csv(pd.io.common.StringIO(text))
    assert list(frame.columns) == [
        "event_start",
        "belief_time",
        "source",
        "cumulative_probability",
        "value",
        "flags",
    ]
    assert len(frame) == 8 and sorted(set(frame["source"])) == ["fc", "meter-1"]


def test_show_most_recent_and_all(
    ws: wb.Workspace, model: wb.Object, cli: Any, tmp_path: Path
) -> None:
    sensor = ws.object("Model/Sys/PlantA").add_sensor("power", unit="MW", resolution="15min")
    for value, time in [(1.0, "2025-02-27T00:00Z"), (2.0, "2025-02-28T00:00Z")]:
        path = _csv(tmp_path / f"{value}.csv", [value] * 2, offset="Z")
        ok(
            cli(
                "beliefs",
                "import",
                "Sys/PlantA:power",
                str(path),
                "--source",
                "fc",
                "--belief-time",
                time,
            )
        )
    latest = pd.read_csv(
        pd.io.common.StringIO(ok(cli("beliefs", "show", str(sensor.id), "--format", "csv")))
    )
    assert list(latest["value"]) == [2.0, 2.0]
    every = ok(cli("beliefs", "show", str(sensor.id), "--all", "--format", "csv"))
    assert sorted(pd.read_csv(pd.io.common.StringIO(every))["value"]) == [1.0, 1.0, 2.0, 2.0]


def test_csv_round_trip(ws: wb.Workspace, model: wb.Object, cli: Any, tmp_path: Path) -> None:
    plant = ws.object("Model/Sys/PlantA")
    one = plant.add_sensor("one", unit="MW", resolution="1h")
    two = plant.add_sensor("two", unit="MW", resolution="1h")
    index = pd.date_range("2025-01-01", periods=24, freq="1h", tz="UTC")
    for hours in (1, 6):
        one.ingest(
            pd.Series(np.arange(24.0) + hours, index=index),
            source="fc",
            source_type="forecaster",
            horizon=f"{hours}h",
        )
    path = tmp_path / "all.csv"
    path.write_text(ok(cli("beliefs", "show", "Sys/PlantA:one", "--all", "--format", "csv")))
    assert "Stored 48 beliefs" in ok(cli("beliefs", "import", "Sys/PlantA:two", str(path)))
    a = one.beliefs().beliefs.to_pandas()
    b = two.beliefs().beliefs.to_pandas()
    pd.testing.assert_frame_equal(a.reset_index(), b.reset_index(), check_categorical=False)


def test_import_refused(ws: wb.Workspace, model: wb.Object, cli: Any, tmp_path: Path) -> None:
    plant = ws.object("Model/Sys/PlantA")
    plant.add_sensor("power", unit="MW", resolution="15min")
    good = _csv(tmp_path / "good.csv", [1.0, 2.0])
    naive = tmp_path / "naive.csv"
    naive.write_text("event_start,value\n2025-03-01T00:00,1\n2025-03-01T00:15,2\n")
    broken = tmp_path / "broken.csv"
    broken.write_text("event_start,value\n2025-03-01T00:00Z,1\n2025-03-01T00:15Z,oops\n")
    before = store_state(ws)
    cases: list[tuple[list[str], str]] = [
        (["Sys/PlantA:power", str(good), "--unit", "degC"], "degC"),
        (["Sys/PlantA:power", str(naive)], "naive"),
        (["Sys/PlantA:power", str(broken)], "oops"),
        (["Sys/PlantA:power", str(tmp_path / "none.csv")], "none.csv"),
        (["Sys/PlantA:nothing", str(good)], "nothing"),
        (["Sys/PlantA", str(good)], "OBJECT_PATH:NAME"),
        (["999", str(good)], "999"),
        (["Sys/PlantA:power", str(good), "--source-type", "Oracle!"], "Oracle!"),
        (["Sys/PlantA:power", str(good), "--belief-time", "someday"], "someday"),
    ]
    for args, message in cases:
        refused(ws, cli("beliefs", "import", *args), message)
    assert store_state(ws) == before
    ok(cli("beliefs", "import", "Sys/PlantA:power", str(naive), "--timezone", "Europe/Oslo"))


def test_show_refused(ws: wb.Workspace, model: wb.Object, cli: Any) -> None:
    ws.object("Model/Sys/PlantA").add_sensor("power", unit="MW")
    refused(ws, cli("beliefs", "show", "Sys/PlantA:power", "--start", "2025-01-01"), "naive")
    refused(ws, cli("beliefs", "show", "Sys/PlantA:gone"), "gone")
    bad = cli("beliefs", "show", "Sys/PlantA:power", "--format", "xml")
    assert bad.exit_code == 2 and "xml" in bad.output


def test_other_tenants_sensors_are_not_found(
    ws: wb.Workspace, model: wb.Object, store_url: str, tmp_path: Path
) -> None:
    ws.object("Model/Sys/PlantA").add_sensor("power", unit="MW", catalog_path="Hydro")
    ws.create_account("Acme")
    ws.create_account("Other")
    ws.add_user("ana@acme.example", "Acme", "secret-of-ana", ["account-admin"])
    ws.add_user("bo@other.example", "Other", "secret-of-bo", ["account-admin"])
    md = ws.model_definitions()[0]
    acme = ws.create_model(
        "AcmeSys", definition=md, root_type=md.object_definition("System"), account="Acme"
    )
    acme.add_sensor("flow", unit="m^3/s", catalog_path="Hydro")

    def as_user(user: str, secret: str, *args: str) -> Result:
        options = ["--url", store_url, "--user", user, "--secret", secret]
        return CliRunner().invoke(app, [*options, *args], env=_CLEAN_ENV)

    ana = ok(as_user("ana@acme.example", "secret-of-ana", "sensors", "list"))
    assert "AcmeSys:flow" in ana and "PlantA:power" in ana  # the public one too
    bo = ok(as_user("bo@other.example", "secret-of-bo", "sensors", "list"))
    assert "AcmeSys" not in bo
    hidden = as_user("bo@other.example", "secret-of-bo", "beliefs", "show", "AcmeSys:flow")
    missing = as_user("bo@other.example", "secret-of-bo", "beliefs", "show", "NoSys:flow")
    refused(ws, hidden, "not found")
    refused(ws, missing, "not found")
    path = _csv(tmp_path / "p.csv", [1.0])
    denied = as_user("bo@other.example", "secret-of-bo", "beliefs", "import", "Sys:x", str(path))
    refused(ws, denied, "not found")
    public = as_user(
        "bo@other.example", "secret-of-bo", "beliefs", "import", "Sys/PlantA:power", str(path)
    )
    refused(ws, public, "bo@other.example")
