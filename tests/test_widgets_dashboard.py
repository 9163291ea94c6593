"""Dashboard wiring, the login of a shared store, the app factory and ``workbench serve``,
all driven through parameters and calls (no browser; tests/test_browser.py has those)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import ipywidgets
import panel as pn
import panel_material_ui as pmui
import pytest
from browser_support import demo_with_beliefs, free_port
from conftest import ADMIN, SECRET, store_state
from typer.testing import CliRunner

import workbench as wb
from widgets.dashboard import App, Dashboard, Login, create_app, is_shared, public_url, store_url
from widgets.serve import is_loopback, make_server
from workbench.cli import app as cli
from workbench.cli import serve as cli_serve

ROOT = Path(__file__).resolve().parents[1]
KURAAS = "Model/Demo/East/Glomma/Kuraas"


@pytest.fixture
def demo(ws: wb.Workspace) -> wb.Object:
    return demo_with_beliefs(ws)


@pytest.fixture
def board(ws: wb.Workspace, demo: wb.Object) -> Dashboard:
    return Dashboard(workspace=ws)


def ids(items: list[object]) -> list[object]:
    return [getattr(i, "id", None) for i in items]


# -- wiring ---------------------------------------------------------------------------------------


def test_picking_a_node_in_the_tree_moves_every_view(board: Dashboard, ws: wb.Workspace) -> None:
    plant = ws.get(KURAAS)
    sensor = ws.sensor(f"{KURAAS}:discharge")
    assert board.selected is None and board.beliefs.series == []
    board.browser.selected = plant
    assert board.selected == plant
    assert board.inspector.obj == plant
    assert ids(board.beliefs.series) == [sensor.id]
    assert board.accuracy.sensor == sensor
    assert not board.beliefs.data().empty


def test_a_picked_sensor_is_plotted_and_scored(board: Dashboard, ws: wb.Workspace) -> None:
    sensor = ws.sensor(f"{KURAAS}:discharge")
    board.browser.selected = sensor
    assert board.selected == sensor and board.inspector.obj == sensor
    assert ids(board.beliefs.series) == [sensor.id]
    assert board.accuracy.sensor == sensor
    assert set(board.beliefs.data()["source"]) == {"meter", "forecaster"}


def test_a_link_clicked_in_the_inspector_moves_the_tree(board: Dashboard, ws: wb.Workspace) -> None:
    plant = ws.get(KURAAS)
    upstream = plant.links("Upstream")[0]
    board.selected = plant
    board.inspector.selected = upstream  # what clicking the link button does
    assert board.selected == upstream
    assert board.browser.selected == upstream
    assert board.inspector.obj == upstream
    assert board.browser.tree.active, "the tree highlights the new selection"


def test_selecting_from_code_opens_the_tree_down_to_it(board: Dashboard, ws: wb.Workspace) -> None:
    level = ws.sensor("Model/Demo/East/Glomma/Aursunden:level")
    board.selected = level
    assert board.browser.selected == level
    assert board.browser.tree.active
    assert ids(board.beliefs.series) == [level.id]


def test_an_object_without_sensors_clears_the_plot_but_keeps_the_score(
    board: Dashboard, ws: wb.Workspace
) -> None:
    sensor = ws.sensor(f"{KURAAS}:discharge")
    board.selected = sensor
    area = ws.get("Model/Demo/East")
    board.selected = area
    assert board.inspector.obj == area
    assert board.beliefs.series == []
    assert board.accuracy.sensor == sensor  # nothing new to score: the last sensor stays
    board.selected = None
    assert board.inspector.obj is None and board.browser.selected is None


def test_the_layout_holds_every_view(board: Dashboard) -> None:
    layout = board.__panel__()
    assert layout.objects[0].objects == [board.browser.__panel__()]
    assert layout.objects[1] is board.main
    inspector_column, plots = board.main.objects
    assert inspector_column.objects == [board.inspector.__panel__()]
    assert plots is board.plots and board.tabs not in plots.objects, "no plot before a selection"
    assert "Select a sensor" in plots.objects[0].object
    board.selected = board.browser.model
    assert plots.objects == [board.tabs] and board.tabs._names == ["Beliefs", "Accuracy"]
    board.selected = None
    assert plots.objects == [board.tabs], "once shown, the plots stay"


def test_a_user_of_another_account_sees_none_of_it(
    store_url: str, ws: wb.Workspace, demo: wb.Object
) -> None:
    for account in ("Acme", "Other"):
        ws.create_account(account)
    md = ws.model_definition("HydroPower")
    acme = ws.create_model("AcmeHydro", md, "HydroSystem", account="Acme")
    acme.add_child("To_Areas", "Secret", "Area").add_sensor("flow", unit="m^3/s")
    ws.add_user("eve@other.example", "Other", "a long enough secret")
    eve = wb.connect(store_url, user="eve@other.example", secret="a long enough secret")
    try:
        mine = Dashboard(workspace=ws)
        assert set(mine.browser.model_select.options) == {"Demo", "AcmeHydro"}
        theirs = Dashboard(workspace=eve)
        assert list(theirs.browser.model_select.options) == ["Demo"]
        theirs.browser.query = "Secret"
        assert theirs.browser.results == []
        theirs.browser.query = "flow"
        assert theirs.browser.results == []
    finally:
        eve.engine.dispose()


# -- the login of a shared store ------------------------------------------------------------------


def test_login_with_the_right_secret_opens_a_workspace(store_url: str, ws: wb.Workspace) -> None:
    login = Login(url=store_url)
    login.user_input.value = ADMIN
    login.secret_input.value = SECRET
    assert login.submit() is True
    assert login.error == "" and login.workspace is not None
    assert login.workspace.user == ADMIN
    assert login.secret_input.value == "" and login.secret_input.value_input == ""
    login.workspace.engine.dispose()


@pytest.mark.parametrize(
    ("user", "secret", "message"),
    [
        (ADMIN, "not the secret at all", "unknown or the secret does not match"),
        ("nobody@operators.example", SECRET, "unknown or the secret does not match"),
        ("  ", SECRET, "give your user name"),
    ],
)
def test_a_refused_login_shows_why_and_never_the_secret(
    store_url: str, ws: wb.Workspace, user: str, secret: str, message: str
) -> None:
    before = store_state(ws)
    login = Login(url=store_url)
    login.user_input.value = user
    login.secret_input.value_input = secret
    assert login.submit() is False
    assert message in login.error and login.workspace is None
    assert secret not in login.error and secret not in repr(login)
    assert login.alert.visible
    assert login.secret_input.value == "" and login.secret_input.value_input == ""
    after = store_state(ws)
    counted = 0 if message == "give your user name" else 1  # a failed sign-in is counted
    assert len(after.pop("sign_in_throttle")) == counted and before.pop("sign_in_throttle") == []
    assert after == before


def test_the_secret_is_never_logged_even_at_debug_level(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    login = Login(url=sqlite_url)
    login.user_input._process_events({"value_input": "ana@example.org"})  # as a browser sends
    login.secret_input._process_events(
        {"value_input": "a secret 0xC0FFEE", "value": "a secret 0xC0FFEE"}
    )
    assert "ana@example.org" in caplog.text, "the user's events are logged as usual"
    assert "0xC0FFEE" not in caplog.text


def test_enter_in_the_secret_field_signs_in(sqlite_url: str) -> None:
    wb.init_store(sqlite_url, admin=ADMIN, secret=SECRET).engine.dispose()
    login = Login(url=sqlite_url)
    login.user_input.value = ADMIN
    login.secret_input.value_input = SECRET
    login.secret_input.param.trigger("enter_pressed")
    assert login.workspace is not None and login.workspace.user == ADMIN
    login.workspace.engine.dispose()


# -- the application ------------------------------------------------------------------------------


def shows_dashboard(app: App) -> bool:
    board = app.dashboard
    return (
        board is not None
        and app.page.sidebar == [board.browser.__panel__()]
        and app.page.main == [board.main]
    )


def test_the_embedded_store_opens_directly_as_the_local_admin(sqlite_url: str) -> None:
    app = create_app(sqlite_url)
    assert app.login is None and shows_dashboard(app)
    assert isinstance(app.__panel__(), pmui.Page)
    assert "local admin" in app.page.header[0].object


def test_a_shared_store_asks_who_the_user_is_first(pg_url: str) -> None:
    wb.init_store(pg_url, admin=ADMIN, secret=SECRET).engine.dispose()
    app = Dashboard.app(pg_url)
    login = app.login
    assert isinstance(login, Login) and app.page.main == [login.__panel__()]
    assert app.dashboard is None and app.page.sidebar == []
    assert not login.login(ADMIN, "wrong secret here")
    assert app.dashboard is None and app.page.sidebar == []
    assert login.login(ADMIN, SECRET)
    assert shows_dashboard(app) and app.workspace.user == ADMIN
    assert ADMIN in app.page.header[0].object
    app.workspace.engine.dispose()


def test_given_credentials_skip_the_form_and_bad_ones_show_the_error(pg_url: str) -> None:
    wb.init_store(pg_url, admin=ADMIN, secret=SECRET).engine.dispose()
    assert shows_dashboard(create_app(pg_url, ADMIN, SECRET))
    refused = create_app(pg_url, ADMIN, "a wrong secret")
    assert refused.dashboard is None and refused.page.sidebar == []
    assert "does not match" in refused.error and "a wrong secret" not in refused.error
    assert refused.page.main[0].object == refused.error
    asked = create_app(pg_url, ADMIN)  # a user without a secret: asked for it
    assert asked.login is not None and asked.login.user_input.value == ADMIN


def test_a_store_that_cannot_be_opened_is_an_error_on_the_page() -> None:
    app = create_app("sqlite:////no/such/folder/store.db")
    assert "cannot open the store" in app.error and app.dashboard is None
    assert isinstance(app.page.main[0], pmui.Alert)


def test_the_store_comes_from_the_argument_the_environment_or_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WORKBENCH_URL", raising=False)
    assert store_url() == "sqlite:///workbench.db"
    monkeypatch.setenv("WORKBENCH_URL", "postgresql+psycopg://db.example/team")
    assert store_url() == "postgresql+psycopg://db.example/team"
    assert store_url("sqlite://") == "sqlite://"
    assert is_shared(store_url()) and not is_shared("sqlite:///x.db")
    assert public_url("postgresql://ana:pw@h/db") == "postgresql://ana:***@h/db"
    assert public_url("postgresql://h/db") == "postgresql://h/db"


# -- serving --------------------------------------------------------------------------------------


def test_only_loopback_addresses_count_as_local() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    assert not is_loopback("workbench.example")


def test_a_server_binds_loopback_and_allows_only_its_own_origins(sqlite_url: str) -> None:
    port = free_port()
    server = make_server(sqlite_url, port=port)
    try:
        assert server.address == "127.0.0.1" and server.port == port
        assert server._tornado._websocket_origins == {f"localhost:{port}"}
    finally:
        server.stop()
    port = free_port()
    wide = make_server(sqlite_url, port=port, address="0.0.0.0", origins=["wb.example:443"])
    try:
        assert wide._tornado._websocket_origins >= {
            "wb.example:443",
            f"0.0.0.0:{port}",
            f"127.0.0.1:{port}",
        }
    finally:
        wide.stop()


def test_behind_a_proxy_the_server_reads_visitors_addresses_from_its_headers(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    made: list[dict[str, object]] = []

    def fake_make_server(url: str, **options: object) -> object:
        made.append(options)
        raise OSError("stop here")  # the options are what this test is about

    monkeypatch.setattr("widgets.serve.make_server", fake_make_server)
    for flags, expected in (([], False), (["--behind-proxy"], True)):
        result = CliRunner().invoke(cli, ["--url", sqlite_url, "serve", "--port", "0", *flags])
        assert result.exit_code == 1 and "stop here" in result.stderr
        assert made[-1]["use_xheaders"] is expected
    server = make_server(sqlite_url, port=free_port(), use_xheaders=True)
    try:
        assert server._http.xheaders is True
    finally:
        server.stop()


def test_serve_is_a_workbench_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKBENCH_URL", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--port", "--address", "--show", "--no-show", "127.0.0.1"):
        assert option in result.stdout


def test_serve_without_the_views_extra_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cli_serve, "DASHBOARD_SERVER", "widgets.not_there")
    result = CliRunner().invoke(cli, ["--url", "sqlite://", "serve", "--port", "0"])
    assert result.exit_code == 1
    assert "needs the views extra" in result.stderr and "Traceback" not in result.output


def test_serve_on_a_taken_port_is_an_error(sqlite_url: str) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["--url", sqlite_url, "serve", "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


@pytest.mark.slow
def test_workbench_serve_answers_on_loopback_until_stopped(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/store.db"
    ws = wb.connect(url)
    demo_with_beliefs(ws)
    ws.engine.dispose()
    port = free_port()
    env = {**os.environ, "WORKBENCH_URL": url}
    env.pop("WORKBENCH_USER", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        page = _fetch(f"http://127.0.0.1:{port}/", 60)
        assert "<title>workbench</title>" in page
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert f"The dashboard is at http://127.0.0.1:{port}/" in out


def _fetch(url: str, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return str(response.read().decode())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


# -- the ipywidgets entry point -------------------------------------------------------------------


def test_classic_jupyter_gets_ipywidgets(
    ws: wb.Workspace, demo: wb.Object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from widgets import ipy

    monkeypatch.setattr(pn.config, "inline", pn.config.inline)  # restored for the other tests

    sensor = ws.sensor(f"{KURAAS}:discharge")
    tree = ipy.browser(ws)
    plot = ipy.beliefs(ws, [sensor])
    board = ipy.dashboard(ws)
    for widget in (tree, plot, board):
        assert isinstance(widget, ipywidgets.DOMWidget)
        bundle = str(widget.render_bundle)
        assert "cdn.holoviz.org" not in bundle and "cdn.bokeh.org" not in bundle
    assert "Kuraas" not in str(tree.render_bundle)  # children are read when a node opens
    assert "Demo" in str(tree.render_bundle)


def test_the_ipywidgets_entry_point_renders_inline_and_keeps_panels_comms(
    ws: wb.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from widgets import ipy

    monkeypatch.setattr(pn.config, "inline", False)
    before = pn.config.comms
    ipy.browser(ws)
    assert pn.config.comms == before and pn.config.inline
