"""Browser-test support: the demo with beliefs, the dashboard served in-process, Chromium pages.

Used by tests/test_browser.py, tests/test_jupyterlab.py and benchmarks/bench_dashboard.py.
Chromium is Debian's (/usr/bin/chromium) driven by Playwright; nothing is downloaded. Without
it the browser tests skip, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pytest

import workbench as wb

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The first day of the sample beliefs (UTC); three days of hourly events follow.
DAY = pd.Timestamp("2025-03-03", tz="UTC")
FORECAST_TIMES = (DAY - pd.Timedelta("36h"), DAY - pd.Timedelta("12h"), DAY - pd.Timedelta("1h"))
QUANTILES = (0.1, 0.5, 0.9)


def require_chromium() -> None:
    """Skip when Debian's Chromium is missing; under CI=true that is a failure."""
    if Path(CHROMIUM).exists():
        return
    reason = f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- data ---------------------------------------------------------------------------------------


def _hours(days: int = 3) -> pd.DatetimeIndex:
    return pd.date_range(DAY, periods=24 * days, freq="1h")


def add_discharge(plant: wb.Object, seed: int = 0) -> wb.Sensor:
    """A discharge sensor on ``plant``: metered flows and three day-ahead forecasts.

    The meter's beliefs are formed an hour after each event; the forecaster's at each of
    :data:`FORECAST_TIMES`, each issue different from the last, with 10/50/90 % quantiles.
    """
    rng = np.random.default_rng(seed)
    hours = _hours()
    base = 40 + 25 * np.sin(np.arange(len(hours)) * 2 * np.pi / 24)
    sensor = plant.add_sensor(
        "discharge",
        unit="m^3/s",
        resolution="1h",
        timezone="Europe/Oslo",
        catalog_path=f"Hydro/{plant.name}",
    )
    measured = pd.Series(base + rng.normal(0, 2, len(hours)), index=hours)
    sensor.ingest(measured, source="meter", source_type="meter", horizon="-PT1H")
    frames = []
    for issue, bias in zip(FORECAST_TIMES, (8.0, 4.0, 1.0), strict=True):
        for q, spread in zip(QUANTILES, (-1.28, 0.0, 1.28), strict=True):
            values = base + bias + spread * (bias + 2)
            frames.append(
                pd.DataFrame(
                    {
                        "event_start": hours,
                        "value": values,
                        "belief_time": issue,
                        "cumulative_probability": q,
                    }
                )
            )
    sensor.ingest(pd.concat(frames), source="forecaster", source_type="forecaster")
    plant["Discharge"] = sensor
    return sensor


def add_level(reservoir: wb.Object) -> wb.Sensor:
    """A water level sensor (linear between readings) with metered levels."""
    hours = _hours()
    sensor = reservoir.add_sensor(
        "level",
        unit="m",
        resolution="0s",
        timezone="Europe/Oslo",
        curve_type="linear",
        catalog_path=f"Hydro/{reservoir.name}",
    )
    mid = (reservoir["HRWL"] + reservoir["LRWL"]) / 2
    values = mid + np.linspace(0, 0.5, len(hours))
    sensor.ingest(
        pd.Series(values, index=hours), source="meter", source_type="meter", horizon="PT0H"
    )
    reservoir["Level"] = sensor
    return sensor


def demo_with_beliefs(ws: wb.Workspace, name: str = "Demo") -> wb.Object:
    """The demo model with discharge sensors on Kuraas and Rendalen and a level on Aursunden."""
    from workbench.demo import build_demo

    model = build_demo(ws, name)
    with ws.transaction():
        glomma = ws.get(f"Model/{name}/East/Glomma")
        add_discharge(glomma.child("Kuraas"), seed=1)
        add_discharge(glomma.child("Rendalen"), seed=2)
        add_level(glomma.child("Aursunden"))
    return model


# -- the served dashboard -----------------------------------------------------------------------


@dataclass
class Served:
    """A dashboard served in a thread of this process."""

    url: str
    store: str
    server: Any
    thread: threading.Thread
    errors: list[str] = field(default_factory=list)


@contextmanager
def served_dashboard(store: str) -> Iterator[Served]:
    """Serve the dashboard of ``store`` on a free port of 127.0.0.1 until the block ends."""
    from widgets.serve import make_server

    server = make_server(store, port=free_port(), address="127.0.0.1")
    loop = server.io_loop
    thread = threading.Thread(target=loop.start, name="dashboard", daemon=True)
    server.start()
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{server.port}/", store, server, thread)
    finally:
        done = threading.Event()

        def stop() -> None:
            server.stop()
            loop.stop()
            done.set()

        loop.add_callback(stop)
        done.wait(10)
        thread.join(10)


def local(url: str) -> bool:
    """Whether a request stays on this machine (or inside the page)."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "chrome", "devtools"):
        return True
    return parts.hostname in ("127.0.0.1", "localhost")


@contextmanager
def chromium_page(shots: Path | None = None) -> Iterator[Any]:
    """A Playwright page in Debian's Chromium; ``page.outside`` lists non-local requests."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            page = context.new_page()
            outside: list[str] = []
            page.on("request", lambda r: None if local(r.url) else outside.append(r.url))
            page.outside = outside
            page.console_errors = []
            page.on(
                "console",
                lambda m: page.console_errors.append(m.text) if m.type == "error" else None,
            )
            page.shots = shots
            yield page
        finally:
            browser.close()


def shot(page: Any, name: str) -> Path | None:
    """Save a screenshot under the page's screenshot folder (the test's tmp_path)."""
    if page.shots is None:
        return None
    path = Path(page.shots) / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def have_jupyterlab() -> bool:
    return shutil.which("jupyter") is not None or Path(".venv/bin/jupyter").exists()
