"""Browser-test support: the demo with beliefs, the dashboard served in-process, Chromium pages.

Used by tests/test_browser.py, tests/test_jupyterlab.py and benchmarks/bench_dashboard.py.
Chromium is Debian's (/usr/bin/chromium) driven by Playwright; nothing is downloaded. Without
it the browser tests skip, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import asyncio
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

import pytest

import workbench as wb
from workbench.demo_data import add_sample_beliefs
from workbench.reports.pdf import HEADLESS_FLAGS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = list(HEADLESS_FLAGS)
SERVER_DEADLINE = 30.0  # seconds for the dashboard server to start or to stop


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


def demo_with_beliefs(ws: wb.Workspace, name: str = "Demo") -> wb.Object:
    """The demo model with its sample sensors and beliefs (:mod:`workbench.demo_data`)."""
    from workbench.demo import build_demo

    model = build_demo(ws, name)
    add_sample_beliefs(model)
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
    """Serve the dashboard of ``store`` on a free port of 127.0.0.1 until the block ends.

    The server is made, run and stopped in a thread of its own, on an event loop of its own:
    the test's thread keeps its loop for Playwright, and no loop is ever run by two threads.
    """
    from tornado.ioloop import IOLoop

    from widgets.serve import make_server

    made: dict[str, Any] = {}
    ready, errors = threading.Event(), []

    def run() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            made["server"] = server = make_server(store, port=free_port(), address="127.0.0.1")
            made["loop"] = server.io_loop
            server.start()
        except BaseException as exc:  # told to the test's thread, which raises it
            errors.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            server.io_loop.start()
        finally:
            server.io_loop.close(all_fds=True)

    thread = threading.Thread(target=run, name="dashboard", daemon=True)
    thread.start()
    if not ready.wait(SERVER_DEADLINE) or errors:
        raise RuntimeError(f"the dashboard server did not start: {errors or 'no answer'}")
    server, loop = made["server"], made["loop"]
    assert isinstance(loop, IOLoop)
    try:
        yield Served(f"http://127.0.0.1:{server.port}/", store, server, thread)
    finally:
        loop.add_callback(lambda: (server.stop(), loop.stop()))
        thread.join(SERVER_DEADLINE)
        if thread.is_alive():
            raise RuntimeError(f"the dashboard server did not stop within {SERVER_DEADLINE} s")


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
