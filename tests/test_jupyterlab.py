"""JupyterLab on 127.0.0.1 runs a notebook showing the tree and a belief plot, in Chromium.

The notebook connects to a temporary SQLite store holding the demo with beliefs, shows a
HierarchyBrowser and a BeliefView the Panel way (``pn.extension(inline=True)``) and the tree
again through the ipywidgets entry point (no Panel extension needed). Every output must render
(no blank output, no error), the tree's Material icons must be drawn with their font (not spelt
out as words), and no request may leave the machine. JupyterLab runs with
configuration, data and runtime folders of its own, so no user setting leaks in.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import chromium_page, demo_with_beliefs, free_port, require_chromium, shot

import workbench as wb

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SENSOR = "Model/Demo/East/Glomma/Kuraas:discharge"
CELLS = [
    "import panel as pn, holoviews as hv\n"
    "import workbench as wb\n"
    "from widgets import BeliefView, HierarchyBrowser\n"
    "pn.extension(inline=True)\n"
    "hv.extension('bokeh', inline=True)\n"
    "ws = wb.connect({url!r})",
    "HierarchyBrowser(workspace=ws)",
    "BeliefView(workspace=ws, series=[ws.sensor({sensor!r})])",
    "from widgets import ipy\nipy.browser(ws)",
]
DEADLINE = 240.0  # seconds for the whole test, JupyterLab's start included (a loaded machine)


def notebook(url: str) -> dict[str, Any]:
    return {
        "cells": [
            {
                "cell_type": "code",
                "id": f"cell-{i}",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
                "source": source.format(url=url, sensor=SENSOR),
            }
            for i, source in enumerate(CELLS)
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """JupyterLab serving ``tmp_path/root`` on a free port of 127.0.0.1; killed afterwards."""
    require_chromium()
    root, home = tmp_path / "root", tmp_path / "jupyter"
    root.mkdir()
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        **{
            name: str(home / part)
            for name, part in (
                ("JUPYTER_CONFIG_DIR", "config"),
                ("JUPYTER_DATA_DIR", "data"),
                ("JUPYTER_RUNTIME_DIR", "runtime"),
                ("IPYTHONDIR", "ipython"),
                ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
            )
        },
    }
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
        f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--allow-root", "--LabApp.extension_manager=readonly", "--LabApp.news_url=",
    ]  # fmt: skip
    # Every cell attached and drawn, on screen or not: with JupyterLab's default windowing
    # ("contentVisibility") the browser skips drawing cells below the fold, and a plot there is
    # not visible until scrolled to.
    settings = home / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    log = (tmp_path / "jupyterlab.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base}/api/status?token={token}", server, tmp_path / "jupyterlab.log")
        yield f"{base}/lab/tree/{{}}?token={token}", root
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)
        log.close()


def _wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab ended at start:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"JupyterLab did not answer within 40 s:\n{log.read_text()[-3000:]}")


def cells(page: Any) -> list[dict[str, Any]]:
    """Per code cell: its outputs' MIME types, visible size and text, and its canvases."""
    return list(
        page.evaluate(
            """() => Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell')).map(c => ({
                 outputs: Array.from(c.querySelectorAll('.jp-OutputArea-output')).map(o => ({
                   mime: o.getAttribute('data-mime-type') || '',
                   height: o.getBoundingClientRect().height,
                   text: o.innerText.slice(0, 300)})),
                 prompt: (c.querySelector('.jp-InputPrompt') || {}).innerText || ''}))"""
        )
    )


# States the test waits for, as JavaScript predicates on the page.
CELLS_SHOWN = "() => document.querySelectorAll('.jp-Notebook .jp-CodeCell').length > 0"
NO_DIALOG = "() => !document.querySelector('.jp-Dialog')"
KERNEL_IDLE = """() => { const s = document.querySelector('.jp-Notebook-ExecutionIndicator');
                         return !!s && s.getAttribute('data-status') === 'idle'; }"""
RAN_ALL = """n => { const p = Array.from(document.querySelectorAll('.jp-Notebook .jp-InputPrompt'))
                                .map(e => e.innerText.trim());
                   return p.length === n && p[n - 1] === `[${n}]:` && !p.includes('[*]:'); }"""
# Elements matching a selector below ``root``, through every open shadow root (Panel and Bokeh
# draw inside shadow roots).
DEEP = """const deep = (root, selector, found = []) => {
    root.querySelectorAll('*').forEach(e => {
      if (e.matches(selector)) found.push(e);
      if (e.shadowRoot) deep(e.shadowRoot, selector, found);
    });
    return found;
  };
  const outputs = i => Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell')[i]
    ?.querySelectorAll('.jp-OutputArea-output') || []);"""
PLOT_DRAWN = f"""i => {{ {DEEP}
  if (!window.Bokeh || !(Bokeh.documents || []).length) return false;
  return outputs(i).flatMap(o => deep(o, 'canvas')).some(
    c => c.width > 0 && c.height > 0 && c.getBoundingClientRect().height > 0); }}"""
TREE_SHOWS = f"""([i, name]) => {{ {DEEP}
  return outputs(i).flatMap(o => deep(o, '[role=treeitem] p')).some(
    p => p.textContent.trim() === name && p.getBoundingClientRect().height > 0); }}"""


def test_a_notebook_shows_the_tree_and_a_belief_plot(lab: tuple[str, Path], tmp_path: Path) -> None:
    started = time.monotonic()
    link, root = lab
    store = f"sqlite:///{tmp_path}/store.db"
    ws = wb.connect(store)
    demo_with_beliefs(ws)
    ws.engine.dispose()
    (root / "views.ipynb").write_text(json.dumps(notebook(store)))
    with chromium_page(tmp_path) as page:
        page.goto(link.format("views.ipynb"))
        wait_until(page, started, "the notebook's cells to show", CELLS_SHOWN)
        _kernel_ready(page, started)
        page.locator(".jp-Notebook .jp-InputPrompt").first.click()  # the notebook has focus
        page.keyboard.press("Escape")
        page.get_by_role("menuitem", name="Run").click()
        page.get_by_text("Run All Cells", exact=True).click()
        wait_until(page, started, f"all {len(CELLS)} cells to run", RAN_ALL, len(CELLS))
        wait_until(page, started, "the kernel to be idle after the run", KERNEL_IDLE)
        code = page.locator(".jp-Notebook .jp-CodeCell")
        code.nth(2).scroll_into_view_if_needed()
        wait_until(page, started, "the belief plot of cell 3 to be drawn", PLOT_DRAWN, 2)
        for tree in (1, 3):  # Panel's own display, then the ipywidgets entry point
            code.nth(tree).scroll_into_view_if_needed()
            what = f"the model 'Demo' in the tree of cell {tree + 1}"
            wait_until(page, started, what, TREE_SHOWS, [tree, "Demo"])
        for tree in (1, 3):
            _assert_icons_drawn(page, code.nth(tree), f"cell {tree + 1}")
        shot(page, "notebook")
        code.nth(2).scroll_into_view_if_needed()
        shot(page, "notebook-plot")
        code.nth(3).scroll_into_view_if_needed()
        shot(page, "notebook-ipywidgets")
        found = cells(page)
        assert [c["prompt"] for c in found] == [f"[{i + 1}]:" for i in range(len(CELLS))], found
        for number, cell in enumerate(found[1:], start=2):
            assert cell["outputs"], f"cell {number} shows nothing"
            for output in cell["outputs"]:
                assert "error" not in output["mime"], f"cell {number} failed: {output['text']}"
            assert max(o["height"] for o in cell["outputs"]) > 40, f"cell {number} is blank"
        assert page.outside == [], f"requests left this machine: {page.outside}"
    assert time.monotonic() - started < DEADLINE + 10


def wait_until(page: Any, started: float, what: str, predicate: str, arg: Any = None) -> None:
    """Wait until ``predicate`` holds on the page, within the test's deadline; say what failed.

    JupyterLab's dialogs (asking which kernel to start) are accepted while waiting.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    while True:
        left = DEADLINE - (time.monotonic() - started)
        if left <= 0:
            shot(page, "deadline")
            pytest.fail(f"waited until the test's deadline ({DEADLINE:.0f} s) for {what}")
        _accept_dialogs(page)
        try:  # short rounds, so that a dialog appearing meanwhile is accepted
            page.wait_for_function(predicate, arg=arg, timeout=min(left, 5.0) * 1000)
            return
        except PlaywrightTimeout:
            continue


def _assert_icons_drawn(page: Any, cell: Any, name: str) -> None:
    """The browser's icons are Material Icons glyphs, not their ligature names spelt out.

    The font must be loaded into the page (a face declared in a shadow root is ignored), and an
    icon such as "inventory_2" must be one glyph wide, about its font size, rather than a word.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    loaded = """() => Array.from(document.fonts).some(
                   f => f.family.replace(/["']/g, '') === 'Material Icons' && f.status === 'loaded')"""
    try:
        page.wait_for_function(loaded, timeout=15_000)
    except PlaywrightTimeout:  # say what is missing rather than where it timed out
        faces = page.evaluate(
            """() => Array.from(document.fonts).filter(f => f.family.includes('Material'))
                       .map(f => [f.family, f.status])"""
        )
        pytest.fail(f"{name}: the Material Icons font is not loaded; its faces: {faces}")
    icons = cell.locator(".jp-OutputArea-output .material-icons")  # the tree's and the button's
    icons.first.wait_for(timeout=10_000)
    drawn = icons.evaluate_all(
        """els => els.map(e => ({text: e.textContent, width: e.scrollWidth,
                                 size: parseFloat(getComputedStyle(e).fontSize)}))"""
    )
    assert drawn, f"{name}: no tree icon found"
    wide = [i for i in drawn if not 0 < i["width"] <= 1.25 * i["size"]]
    assert not wide, f"{name}: icons drawn as words, not glyphs: {wide}"


def _accept_dialogs(page: Any) -> None:
    """Accept what JupyterLab may ask (the kernel to start: the notebook's own python3)."""
    dialog = page.locator(".jp-Dialog")
    if dialog.count() and dialog.first.is_visible():
        dialog.first.locator(".jp-mod-accept").first.click()


def _kernel_ready(page: Any, started: float) -> None:
    """Wait until the notebook's kernel is idle, accepting the kernel JupyterLab proposes."""
    wait_until(page, started, "the notebook's kernel to start and be idle", KERNEL_IDLE)
    wait_until(page, started, "JupyterLab's dialogs to close", NO_DIALOG)
