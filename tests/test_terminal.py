"""Store text never drives a terminal: control characters escaped, no markup, none in names.

Tenants write names, values, descriptions and sources; the command line prints them. The
payload below would set the window title, ring the bell, clear the screen and turn text red.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import ADMIN, SECRET, MakeModel, attr, plants, refused
from rich.text import Text
from typer.testing import CliRunner, Result

import workbench as wb
from workbench.api.handles.sources import get_or_create_source, list_sources
from workbench.cli import app
from workbench.cli import sensors as cli_sensors
from workbench.cli.terminal import error_lines, safe_text, terminal_safe
from workbench.errors import ExpressionError

PAYLOAD = "\x1b]0;PWNED\x07\x1b[2J\x1b[31mred"
SHOWN = r"\x1b]0;PWNED\x07\x1b[2J\x1b[31mred"
SHOWN_NO_BEL = r"\x1b]0;PWNED\x1b[2J\x1b[31mred"  # rich drops BEL, BS, VT, FF, CR from Text
MARKUP = "[bold]loud[/bold] [/] [link=https://evil.example]click[/link]"
# Raw: C0 (ESC, BEL, BS, CR, LF, TAB), DEL, C1 (CSI, NEL), bidi override and isolate, LS.
RAW = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _clean(output: str) -> None:
    """No control character but the line ends of the output itself."""
    assert RAW.search(output.replace("\n", "")) is None, repr(output)


# -- the helper ----------------------------------------------------------------------------------


def test_control_characters_are_shown_as_escapes() -> None:
    assert terminal_safe(PAYLOAD) == SHOWN
    assert terminal_safe("a\nb\tc\rd\x7f\x9b\x85") == r"a\nb\tc\rd\x7f\x9b\x85"
    assert terminal_safe("abc\u202edef\u2066x\u2069\u200f") == r"abc\u202edef\u2066x\u2069\u200f"
    assert terminal_safe("one\ntwo\x1b", newlines=True) == "one\ntwo\\x1b"
    plain = "Åsa's plant — 水力 ✓ \\x1b [bold] 😀"
    assert terminal_safe(plain) == plain
    assert terminal_safe(terminal_safe(PAYLOAD)) == SHOWN  # escaping twice changes nothing
    assert terminal_safe(42) == "42"


def test_styled_text_keeps_its_styles() -> None:
    text = Text("Plant", style="bold")
    text.append(" (kind)", style="cyan")
    text.append(f"  Note: {PAYLOAD}!", style="dim")
    safe = safe_text(text)
    assert isinstance(safe, Text)
    assert safe.plain == f"Plant (kind)  Note: {SHOWN_NO_BEL}!"
    assert safe.style == "bold"
    assert [(s.start, s.end, s.style) for s in safe.spans] == [
        (5, 12, "cyan"),
        (12, len(safe.plain), "dim"),
    ]
    assert safe_text(f"a{PAYLOAD}") == Text(f"a{SHOWN}")
    assert safe_text(Text("fine")).plain == "fine"


def test_an_expression_error_keeps_its_caret_under_the_fault() -> None:
    error = ExpressionError("unexpected character", "x = 1\n\x1b[2J + +", line=2, column=6)
    assert error_lines(error) == [
        "unexpected character (line 2, column 6)",
        r"    \x1b[2J + +",
        "            ^",  # under the '+' after the escape
    ]
    assert error_lines(wb.InvalidValue(f"bad {PAYLOAD}\nnext")) == [rf"bad {SHOWN}\nnext"]


# -- the commands --------------------------------------------------------------------------------


@pytest.fixture
def cli(ws: wb.Workspace, store_url: str) -> Callable[..., Result]:
    """Run the command line against the store of ``ws`` as its admin."""

    def run(*args: str) -> Result:
        env = {"WORKBENCH_URL": None, "WORKBENCH_USER": None, "WORKBENCH_SECRET": None}
        options = ["--url", store_url, "--user", ADMIN, "--secret", SECRET]
        return CliRunner().invoke(app, [*options, *args], env=env)

    return run


def _ok(result: Result) -> str:
    """The output, its lines wrapped at the terminal's width joined again."""
    assert result.exit_code == 0, result.output
    _clean(result.output)
    return re.sub(r"\n +", "", result.stdout)


def _sql(ws: wb.Workspace, statement: str, **values: Any) -> None:
    """Write text as another client (or an older workbench) could have, past today's rules."""
    with ws.engine.begin() as conn:
        conn.execute(sa.text(statement), values)


@pytest.fixture
def model(ws: wb.Workspace, make_model: MakeModel) -> wb.Object:
    texts = {"Note": "string", "Notes": attr("string", array=True), "Remark": "string"}
    made = make_model(
        ws,
        "Sys",
        definition="Hydro",
        description=f"described {PAYLOAD}",
        types=plants(texts),
        children={"To_Plants": ["PlantA"]},
    )
    root, a = made.model, made.objects["PlantA"]
    a["Note"] = PAYLOAD
    a["Notes"] = ["two\nlines", "\u202eevil", "bell\x07", "nel\x85"]
    a["Remark"] = MARKUP
    return root


def test_tree_shows_values_escaped_and_markup_as_text(
    model: wb.Object, cli: Callable[..., Result]
) -> None:
    out = _ok(cli("tree", "Sys"))
    assert f"Note: {SHOWN_NO_BEL}" in out
    assert r"two\nlines, \u202eevil, bell" in out and r"nel\x85" in out
    assert f"Remark: {MARKUP}" in out


def test_names_written_past_the_rules_are_shown_escaped(
    ws: wb.Workspace, model: wb.Object, cli: Callable[..., Result]
) -> None:
    plant = model.children()[0]
    plant.add_sensor("power", unit="MW")
    _sql(ws, "UPDATE objects SET name = :name WHERE id = :id", name=f"P{PAYLOAD}", id=plant.id)
    _sql(ws, "UPDATE sensors SET name = :name", name=f"power\x9b2J{MARKUP}")
    out = _ok(cli("tree", "Sys"))
    assert f"P{SHOWN_NO_BEL} (Plant)" in out
    out = _ok(cli("sensors", "list"))
    assert rf"P{SHOWN}:power\x9b2J{MARKUP}" in out


def test_accounts_and_users_are_shown_escaped(ws: wb.Workspace, cli: Callable[..., Result]) -> None:
    account = ws.create_account("Acme")
    ws.add_user("ana@acme.example", "Acme", "a long enough secret", ["consultant"])
    _sql(ws, "UPDATE accounts SET name = :name WHERE id = :id", name=f"A{MARKUP}", id=account.id)
    _sql(
        ws,
        "UPDATE users SET email = :email WHERE email = 'ana@acme.example'",
        email=f"ana{PAYLOAD}@acme.example",
    )
    assert "A[bold]loud[/bold] [/]" in _ok(cli("accounts", "list"))  # cut to the width
    listed = _ok(cli("users", "list"))
    assert r"ana\x1b]0;PWNED\x07" in listed and "A[bold]loud[/bold]" in listed
    said = _ok(cli("users", "set-roles", f"ana{PAYLOAD}@acme.example"))
    assert said == f"ana{SHOWN}@acme.example now has no roles.\n"


def _beliefs(ws: wb.Workspace, model: wb.Object) -> wb.Sensor:
    sensor = model.children()[0].add_sensor("power", unit="MW")
    frame = pd.DataFrame(
        {"event_start": pd.date_range("2025-01-01", periods=2, freq="15min", tz="UTC")}
    )
    sensor.ingest(frame.assign(value=[1.0, 2.0]), source="meter", belief_time="2025-01-02T00:00Z")
    _sql(ws, "UPDATE sources SET name = :name WHERE name = 'meter'", name=f"m{PAYLOAD},\n{MARKUP}")
    return sensor


def test_beliefs_table_shows_sources_escaped(
    ws: wb.Workspace, model: wb.Object, cli: Callable[..., Result]
) -> None:
    sensor = _beliefs(ws, model)
    result = cli("beliefs", "show", sensor.full_name)
    _ok(result)
    rows = result.stdout.splitlines()[2:]
    assert len(rows) == 2  # the table is as wide as it needs: a row per belief, none wrapped
    assert all(f"  m{SHOWN},\\n{MARKUP}  0.5 " in row for row in rows)


def test_beliefs_csv_is_exact_for_a_pipe_and_escaped_on_a_terminal(
    ws: wb.Workspace, model: wb.Object, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    sensor = _beliefs(ws, model)
    piped = cli("beliefs", "show", sensor.full_name, "--format", "csv")
    assert piped.exit_code == 0, piped.output
    name = f"m{PAYLOAD},\n{MARKUP}"
    frame = pd.read_csv(io.StringIO(piped.stdout))
    assert list(frame["source"]) == [name, name]  # quoted as CSV needs, the data exact
    monkeypatch.setattr(cli_sensors, "is_terminal", lambda stream: True)
    shown = _ok(cli("beliefs", "show", sensor.full_name, "--format", "csv"))
    assert shown.count(f"m{SHOWN},\\n{MARKUP}") == 2


def test_definition_export_to_a_pipe_escapes_within_yaml(
    model: wb.Object, cli: Callable[..., Result]
) -> None:
    result = cli("definitions", "export", "Hydro", "-")
    assert result.exit_code == 0, result.output
    text = result.stdout
    _clean(text)
    assert 'description: "described \\e]0;PWNED\\a\\e[2J\\e[31mred"' in text
    assert wb.load_yaml(text)["description"] == f"described {PAYLOAD}"


def test_errors_are_shown_escaped_with_the_caret_in_place(
    ws: wb.Workspace, cli: Callable[..., Result], tmp_path: Path
) -> None:
    path = tmp_path / "grid.yaml"
    path.write_text(
        "kind: model_definition\nformat: 1\nname: Grid\n"
        'template_calculations:\n  - name: C\n    expression: "1 \\e[2J + 2"\n'
    )
    result = cli("definitions", "import", str(path))
    assert result.exit_code == 1, result.output
    _clean(result.output)
    first, source, caret = result.stderr.splitlines()
    assert first.startswith("error: template_calculations[0]: unexpected character '\\x1b'")
    assert source == r"    1 \x1b[2J + 2"
    assert caret == "      ^"
    result = cli("tree", f"Model/{PAYLOAD}")
    assert result.exit_code == 1 and SHOWN in result.stderr
    _clean(result.output)


# -- names and sources refuse them ---------------------------------------------------------------

BAD = ["a\x1bb", "a\x7f", "a\x9bb", "a\x85b", "a\u202eb", "a\u2066b", "a\u2028b", "a\u200fb"]


@pytest.mark.parametrize("bad", BAD)
def test_object_names_refuse_control_characters(ws: wb.Workspace, bad: str) -> None:
    md = ws.create_model_definition("Grid")
    system = md.create_object_definition("System")
    refused(
        ws,
        wb.InvalidValue,
        re.escape(f"model name {bad!r} contains {bad[1]!r}; names may not contain"),
        lambda: ws.create_model(bad, definition=md, root_type=system),
    )


@pytest.fixture
def sensor(ws: wb.Workspace, make_model: MakeModel) -> wb.Sensor:
    return make_model(ws, "Sys", types={"System": {}}).model.add_sensor("power")


def _frame(**columns: Any) -> pd.DataFrame:
    starts = pd.date_range("2025-01-01", periods=2, freq="15min", tz="UTC")
    return pd.DataFrame({"event_start": starts, "value": [1.0, 2.0], **columns})


@pytest.mark.parametrize("bad", [PAYLOAD, *BAD])
def test_source_names_refuse_control_characters(
    ws: wb.Workspace, sensor: wb.Sensor, bad: str
) -> None:
    shown = re.escape(repr(bad))
    accepted = (
        "source names, models and versions may hold any text but control characters and "
        "bidirectional formatting characters"
    )
    refused(
        ws,
        wb.InvalidValue,
        rf"^source name {shown} contains '[^']+'; {accepted}$",
        lambda: sensor.ingest(_frame(), source=bad),
    )
    refused(
        ws,
        wb.InvalidValue,
        rf"source name {shown} contains",
        lambda: sensor.ingest(_frame(source=["meter", bad])),
    )
    refused(ws, ValueError, rf"source name {shown}", lambda: get_or_create_source(ws, bad))
    refused(
        ws,
        wb.WorkbenchError,
        rf"source model {shown}",
        lambda: get_or_create_source(ws, "lgbm", "forecaster", model=bad),
    )
    refused(
        ws,
        wb.InvalidValue,
        rf"source version {shown}",
        lambda: get_or_create_source(ws, "lgbm", "forecaster", version=bad),
    )


def test_source_names_accept_other_text(ws: wb.Workspace, sensor: wb.Sensor) -> None:
    names = ["Måler 7 — 水力", "ana@acme.example", "fc/lgbm v1.2 [beta]"]
    sensor.ingest(_frame(source=names[:2]))
    sensor.ingest(_frame(), source=names[2])
    assert sorted(s.name for s in list_sources(ws)) == sorted(names)
