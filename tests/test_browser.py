"""The served dashboard in Chromium: open nodes, plot a sensor, replay belief times, edit values,
sign in to a shared store; the plot is checked in the Bokeh models' data, not only in pixels.

Every page must stay on this machine: a request to any other host fails the test. Screenshots
go to the test's temporary folder.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from browser_support import (
    chromium_page,
    demo_with_beliefs,
    free_port,
    require_chromium,
    served_dashboard,
    shot,
)
from conftest import ADMIN, SECRET, store_state

import workbench as wb
from workbench.demo_data import FORECAST_TIMES

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
KURAAS = "Model/Demo/East/Glomma/Kuraas"
DISCHARGE = "Kuraas:discharge"  # the y-axis label of its plot starts so
WAIT = 20_000  # ms

#: The figures on show (walking the live Bokeh views, not every model the document still
#: holds): each figure's y-axis label and the columns of its renderers' data sources.
FIGURES_JS = """() => {
  const figures = [];
  const seen = new Set();
  function walk(view) {
    if (!view || seen.has(view)) return;
    seen.add(view);
    const model = view.model;
    if (model && model.constructor.__name__ === "Figure") {
      const columns = {};
      for (const r of model.renderers) {
        const data = r.data_source ? r.data_source.data : new Map();
        for (const [k, v] of (data instanceof Map ? data.entries() : Object.entries(data)))
          (columns[k] = columns[k] || []).push(...Array.from(v));
      }
      figures.push({label: model.left.map(a => a.axis_label || "").join(" "), columns});
    }
    for (const child of (view.child_views ?? [])) walk(child);
  }
  const index = Bokeh.index;
  const roots = index.roots ? Array.from(index.roots)
    : (index instanceof Map ? Array.from(index.values()) : Object.values(index));
  roots.forEach(walk);
  return figures;
}"""
#: The value columns of the belief plot's sources: lines (``value0``...) and bands (``y``).
VALUE_COLUMN = re.compile(r"^(y|value\d*)$")


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    require_chromium()
    url = f"sqlite:///{tmp_path_factory.mktemp('store')}/workbench.db"
    ws = wb.connect(url)
    demo_with_beliefs(ws)
    ws.engine.dispose()
    return url


@pytest.fixture(scope="module")
def served(demo_store: str) -> Iterator[Any]:
    with served_dashboard(demo_store) as app:
        yield app


@pytest.fixture
def ui(served: Any, tmp_path: Path) -> Iterator[Any]:
    with chromium_page(tmp_path) as page:
        page.goto(served.url)
        node(page, "Demo").wait_for(timeout=WAIT)
        yield page
        assert page.outside == [], f"requests left this machine: {page.outside}"


def label(page: Any, text: str) -> Any:
    return page.get_by_text(text, exact=True).first


def node(page: Any, text: str) -> Any:
    """The label of the tree node called ``text``."""
    exact = re.compile(f"^{re.escape(text)}$")
    return page.locator("[role=treeitem] p").filter(has_text=exact).first


def walk(page: Any, *names: str) -> Any:
    """Open the tree along ``names`` (from a root), clicking chevrons; the last node's label."""
    label = node(page, names[0])
    for name in names[1:]:
        item = label.locator("xpath=../../../..")  # text, box, label, content row, tree item
        if item.get_attribute("aria-expanded") != "true":
            label.locator("xpath=../../..").locator("svg").first.click()
        exact = re.compile(f"^{re.escape(name)}$")
        label = item.locator("[role=group] p").filter(has_text=exact).first
        try:
            label.wait_for(timeout=WAIT)
        except Exception:
            shot(page, f"not-opened-{name}")
            raise
    return label


def figures(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate(FIGURES_JS))


def plotted(page: Any, series: str) -> set[float]:
    """The values the belief plot of ``series`` (its y-axis label) shows; empty if not shown."""
    return {
        round(float(v), 6)
        for figure in figures(page)
        if series in figure["label"]
        for name, column in figure["columns"].items()
        if VALUE_COLUMN.match(name)
        for v in column
        if v is not None and v == v
    }


def wait_for_plot(page: Any, series: str, check: Any, what: str) -> set[float]:
    """Poll the values plotted for ``series`` until ``check(values)`` holds."""
    for _ in range(100):
        values = plotted(page, series)
        if check(values):
            return values
        page.wait_for_timeout(200)
    shot(page, "timeout")
    raise AssertionError(f"the plot never showed {what}; it shows {sorted(values)[:20]}")


def rounded(values: Any) -> set[float]:
    return {round(float(v), 6) for v in np.ravel(values) if v == v}


@pytest.fixture
def discharge(demo_store: str) -> Iterator[wb.Sensor]:
    ws = wb.connect(demo_store)
    yield ws.sensor(f"{KURAAS}:discharge")
    ws.engine.dispose()


def known(sensor: wb.Sensor, source: str, as_of: Any = None) -> set[float]:
    """The median values of one source, as known at ``as_of`` (None: now)."""
    ds = sensor.beliefs(most_recent=True, probabilistic=False, as_of=as_of, sources=[source])
    return rounded(ds["value"].values)


def test_open_a_node_select_a_sensor_and_see_the_plot(ui: Any, discharge: wb.Sensor) -> None:
    assert all(not f["columns"].get("value0") for f in figures(ui)), "nothing is plotted yet"
    shot(ui, "1-opened")
    walk(ui, "Resource catalog", "Hydro", "Kuraas", "discharge").click()
    meter = known(discharge, "meter")
    shown = wait_for_plot(ui, DISCHARGE, lambda v: meter <= v, "the metered discharge")
    assert known(discharge, "forecaster") <= shown
    labels = [f["label"] for f in figures(ui)]
    assert f"{DISCHARGE} (m³/s)" in labels, labels  # the unit on the y axis
    shot(ui, "2-sensor")
    walk(ui, "Demo", "East", "Glomma", "Aursunden").click()
    ws = wb.connect(discharge.ws.url)
    level = known(ws.sensor("Model/Demo/East/Glomma/Aursunden:level"), "meter")
    ws.engine.dispose()
    wait_for_plot(ui, "Aursunden:level", lambda v: level <= v, "the reservoir level")
    assert plotted(ui, DISCHARGE) == set(), "the discharge plot is gone"
    assert "Aursunden:level (m)" in [f["label"] for f in figures(ui)]
    label(ui, "LRWL (m)").wait_for(timeout=WAIT)  # the inspector moved along
    shot(ui, "3-reservoir")


def test_moving_the_belief_time_slider_replays_what_was_known(
    ui: Any, discharge: wb.Sensor
) -> None:
    walk(ui, "Resource catalog", "Hydro", "Kuraas", "discharge").click()
    latest, meter = known(discharge, "forecaster"), known(discharge, "meter")
    wait_for_plot(ui, DISCHARGE, lambda v: latest <= v and meter <= v, "the latest beliefs")
    ui.locator("button.first").click()  # the player's first belief time
    first = known(discharge, "forecaster", as_of=FORECAST_TIMES[0].isoformat())
    shown = wait_for_plot(ui, DISCHARGE, lambda v: first <= v, "the first day-ahead forecast")
    assert not meter & shown, "no measurement was known before the events"
    assert not latest & shown, "nor the later forecasts"
    shot(ui, "4-first-belief-time")
    slider = ui.locator("input[type=range]").first
    slider.fill(slider.get_attribute("max") or "0")  # drag it to the end: the latest beliefs
    wait_for_plot(ui, DISCHARGE, lambda v: latest <= v and meter <= v, "the latest beliefs again")
    for _ in range(2):  # "latest", then the last belief time, then the one before it
        ui.locator("button.previous").click()
    wait_for_plot(ui, DISCHARGE, lambda v: v and not meter <= v, "the last measurement unknown")
    shot(ui, "5-stepped-back")


def test_an_invalid_edit_shows_the_error_and_changes_nothing(
    ui: Any, served: Any, discharge: wb.Sensor
) -> None:
    ws = discharge.ws
    before = store_state(ws)
    walk(ui, "Demo", "East", "Glomma", "Kuraas").click()
    field = ui.get_by_label("MaxPower (MW)")
    field.wait_for(timeout=WAIT)
    assert field.input_value() in ("22", "22.0")
    field.fill("-5")
    field.press("Enter")
    alert = ui.get_by_text(re.compile(r"MaxPower.*(minimum|at least|below|>=)"))
    alert.first.wait_for(timeout=WAIT)
    shot(ui, "6-refused-edit")
    assert store_state(ws) == before
    assert ws.get(KURAAS)["MaxPower"] == 22.0
    field.fill("not a number")
    field.press("Enter")
    ui.get_by_text(re.compile(r"MaxPower.*not a number")).first.wait_for(timeout=WAIT)
    assert store_state(ws) == before


def test_a_link_in_the_inspector_moves_the_tree(ui: Any) -> None:
    walk(ui, "Demo", "East", "Glomma", "Kuraas").click()
    ui.get_by_role("button", name=re.compile("Aursunden")).first.click()
    selected = ui.locator("[role=treeitem][aria-selected=true]")
    selected.first.wait_for(timeout=WAIT)
    for _ in range(50):
        if "Aursunden" in selected.first.inner_text():
            break
        ui.wait_for_timeout(200)
    assert "Aursunden" in selected.first.inner_text()
    shot(ui, "7-followed-link")


# -- a shared store: the visitor signs in -------------------------------------------------------


@pytest.fixture
def shared_store(pg_url: str) -> Iterator[str]:
    require_chromium()
    ws = wb.init_store(pg_url, admin=ADMIN, secret=SECRET)
    demo_with_beliefs(ws)
    ws.engine.dispose()
    yield pg_url


@pytest.mark.postgres
def test_a_shared_store_asks_who_the_user_is(
    shared_store: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "a wrong secret 0xC0FFEE"
    with served_dashboard(shared_store) as served, chromium_page(tmp_path) as page:
        page.goto(served.url)
        page.get_by_text("Sign in to").wait_for(timeout=WAIT)
        assert node(page, "Demo").count() == 0, "nothing shows before the login"
        page.get_by_label("User (e-mail)").fill(ADMIN)
        secret = page.get_by_label("Secret")
        secret.fill(wrong)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("unknown or the secret does not match").wait_for(timeout=WAIT)
        assert secret.input_value() == "", "the secret field is emptied"
        assert wrong not in page.content()
        shot(page, "8-refused-login")
        secret.fill(SECRET)
        secret.press("Enter")
        node(page, "Demo").wait_for(timeout=WAIT)
        page.get_by_text(ADMIN).first.wait_for(timeout=WAIT)
        shot(page, "9-signed-in")
        assert page.outside == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert wrong not in logged and SECRET not in logged


# -- Panel's own command line -------------------------------------------------------------------


def test_panel_serve_runs_the_same_page(demo_store: str, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "WORKBENCH_URL": demo_store}
    command = [sys.executable, "-m", "panel", "serve", "widgets/app.py", "--port", str(port),
               "--address", "127.0.0.1"]  # fmt: skip
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        with chromium_page(tmp_path) as page:
            for _ in range(100):  # until the server listens
                try:
                    page.goto(f"http://127.0.0.1:{port}/app")
                    break
                except Exception:
                    page.wait_for_timeout(300)
            node(page, "East").wait_for(timeout=WAIT)
            page.get_by_text("local admin").first.wait_for(timeout=WAIT)
            shot(page, "panel-serve")
            assert page.outside == []
    finally:
        server.terminate()
        server.wait(20)
