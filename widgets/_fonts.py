"""The Material Icons font travelling with the views, for pages where no server serves it.

Material UI draws an icon as a ligature: the text ``water`` in an element of class
``material-icons``, set in the "Material Icons" font, is one glyph. panel-material-ui brings
both halves in stylesheets a Panel server serves: the class rule in its bundle's CSS, the font in
``material-icons.css`` with file URLs relative to it. In a notebook (inline resources) neither
arrives, so the icons show as their names. Here:

- :data:`ICON_CLASS_CSS` is the class rule, for the ``stylesheets`` of a component that draws
  icons (a shadow root Panel renders into sees only its own stylesheets);
- :class:`IconColumn` declares the font again, its woff2 file (read once from the installed
  panel-material-ui) as a ``data:`` URI, in a Bokeh ``GlobalInlineStyleSheet``, which goes into
  the page's ``<head>``: a browser ignores ``@font-face`` in a shadow root. A page served by Panel
  is left alone (the font's own files load there).

Nothing is fetched from outside.
"""

from __future__ import annotations

import base64
import functools
import re
import weakref
from importlib.resources import files
from typing import Any

import panel_material_ui as pmui
from bokeh.document import Document
from bokeh.models import GlobalInlineStyleSheet, Model
from bokeh.models.ui import UIElement

__all__ = ["FONT_STYLESHEET", "ICON_CLASS_CSS", "IconColumn", "add_icon_font", "material_icons_css"]

FONT_STYLESHEET = "workbench-material-icons-font"  # the name of the stylesheet model

# panel-material-ui's rule for the class, less the size and display Material UI's Icon sets.
ICON_CLASS_CSS = """\
.material-icons {
  font-family: "Material Icons"; font-weight: normal; font-style: normal; line-height: 1;
  letter-spacing: normal; text-transform: none; white-space: nowrap; word-wrap: normal;
  direction: ltr; -webkit-font-smoothing: antialiased; text-rendering: optimizeLegibility;
  font-feature-settings: "liga";
}"""

_FACE = re.compile(
    r"""@font-face\s*\{[^}]*font-family:\s*["']Material Icons["'];[^}]*?"""
    r"""url\(["']?\./([\w.-]+\.woff2)["']?\)""",
)


@functools.cache
def material_icons_css() -> str:
    """An ``@font-face`` for "Material Icons" whose source is the bundled woff2 as a data URI.

    The file is the one panel-material-ui's own ``material-icons.css`` names, read from the
    installed package (once per process).

    Examples
    --------
    >>> material_icons_css().startswith('@font-face { font-family: "Material Icons";')
    True
    """
    dist = files("panel_material_ui") / "dist"
    declared = (dist / "material-icons.css").read_text(encoding="utf-8")
    found = _FACE.search(declared)
    if found is None:
        raise FileNotFoundError(f"no woff2 file for 'Material Icons' in {dist}/material-icons.css")
    data = base64.b64encode((dist / found.group(1)).read_bytes()).decode("ascii")
    return (
        '@font-face { font-family: "Material Icons"; font-style: normal; font-weight: 400;'
        f' font-display: block; src: url("data:font/woff2;base64,{data}") format("woff2"); }}'
    )


def add_icon_font(model: UIElement, doc: Document | None) -> None:
    """Give ``model`` the font stylesheet, unless ``doc`` is served or the model has it already.

    A new stylesheet model each time: a Bokeh model belongs to one document only.
    """
    if doc is not None and doc.session_context is not None:
        return  # a Panel server serves the font files panel-material-ui's stylesheet names
    if doc is not None and doc in _FONTED:
        return  # one copy per page: siblings (browser and inspector in a dashboard) share it
    if any(model.select({"name": FONT_STYLESHEET})):
        return
    sheet = GlobalInlineStyleSheet(css=material_icons_css(), name=FONT_STYLESHEET)
    model.stylesheets = [*model.stylesheets, sheet]
    if doc is not None:
        _FONTED.add(doc)


_FONTED: weakref.WeakSet[Document] = weakref.WeakSet()
"""The documents (pages) given the font already."""


class IconColumn(pmui.Column):
    """A Material UI column that brings the Material Icons font along (see the module)."""

    def _get_model(
        self, doc: Document, root: Any = None, parent: Any = None, comm: Any = None
    ) -> Model:
        model = super()._get_model(doc, root, parent, comm)
        if isinstance(model, UIElement):
            add_icon_font(model, doc)
        return model
