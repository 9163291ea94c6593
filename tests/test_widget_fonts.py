"""The Material Icons font inlined for notebooks (widgets/_fonts.py), without a browser.

tests/test_jupyterlab.py checks in Chromium that the icons are then drawn as glyphs.
"""

from __future__ import annotations

import asyncio
import base64
import re
from importlib.resources import files

import panel as pn
import pytest
from bokeh.application import Application
from bokeh.application.handlers.function import FunctionHandler
from bokeh.core.types import ID
from bokeh.document import Document
from bokeh.models import GlobalInlineStyleSheet, InlineStyleSheet, Model
from bokeh.server.contexts import ApplicationContext

import workbench as wb
from widgets import HierarchyBrowser, ipy
from widgets._fonts import FONT_STYLESHEET, ICON_CLASS_CSS, IconColumn, material_icons_css
from widgets.dashboard import Dashboard
from widgets.inspector import ObjectInspector

DATA_URI = re.compile(r'url\("data:font/woff2;base64,([A-Za-z0-9+/=]+)"\) format\("woff2"\)')


@pytest.fixture
def ws() -> wb.Workspace:
    return wb.connect("sqlite://")


def font_sheets(model: Model) -> list[GlobalInlineStyleSheet]:
    found = model.select({"type": GlobalInlineStyleSheet, "name": FONT_STYLESHEET})
    return [m for m in found if isinstance(m, GlobalInlineStyleSheet)]


def test_the_font_is_panel_material_uis_woff2_as_a_data_uri() -> None:
    css = material_icons_css()
    assert css.startswith('@font-face { font-family: "Material Icons";')
    found = DATA_URI.search(css)
    assert found is not None, css[:200]
    font = base64.b64decode(found.group(1), validate=True)
    assert font.startswith(b"wOF2")
    dist = files("panel_material_ui") / "dist"
    bundled = [
        f for f in dist.iterdir() if re.fullmatch(r"material-icons-[A-Z0-9]+\.woff2", f.name)
    ]
    assert len(bundled) == 1, bundled
    assert font == bundled[0].read_bytes()
    assert css.count("url(") == 1  # nothing to fetch: the one source is the data
    assert material_icons_css() is css  # read once


@pytest.mark.parametrize("view", ["browser", "dashboard", "inspector"])
def test_a_notebook_page_gets_the_font_once_in_its_head(ws: wb.Workspace, view: str) -> None:
    views = {"browser": HierarchyBrowser, "dashboard": Dashboard, "inspector": ObjectInspector}
    shown = views[view](workspace=ws)
    root = shown.__panel__().get_root(Document())  # as a notebook draws it: no server
    (sheet,) = font_sheets(root)
    assert sheet.css == material_icons_css()


def test_the_ipywidgets_entry_point_carries_the_font(ws: wb.Workspace) -> None:
    widget = ipy.browser(ws)
    assert len(font_sheets(widget._model)) == 1


def test_the_components_drawing_icons_carry_the_icon_class_rule(ws: wb.Workspace) -> None:
    browser = HierarchyBrowser(workspace=ws)
    root = browser.__panel__().get_root(Document())
    for component in (browser.tree, browser.hits, browser.refresh_button):
        model = component._models[root.ref["id"]][0]  # its Bokeh model on this page
        inline = [s for s in model.stylesheets if isinstance(s, (str, InlineStyleSheet))]
        texts = [s if isinstance(s, str) else s.css for s in inline]
        assert ICON_CLASS_CSS in texts, component
    assert 'font-family: "Material Icons"' in ICON_CLASS_CSS


def test_a_served_page_is_left_to_the_fonts_panel_serves(ws: wb.Workspace) -> None:
    """A Bokeh server session, built in process: the server serves the font files."""

    def app(doc: Document) -> None:
        HierarchyBrowser(workspace=ws).__panel__().server_doc(doc)

    async def served() -> None:
        context = ApplicationContext(Application(FunctionHandler(app)))
        doc = (await context.create_session_if_needed(ID("fonts"))).document
        assert doc.session_context is not None  # while the context lives: a weak reference
        assert doc.roots
        assert not [m for root in doc.roots for m in font_sheets(root)]

    asyncio.run(served())


def test_a_column_inside_another_adds_no_second_copy() -> None:
    root = IconColumn(IconColumn(pn.pane.Markdown("inner")), "outer").get_root(Document())
    assert len(font_sheets(root)) == 1
