"""The views as ipywidgets, for notebooks where Panel's extension is not loaded.

Classic Jupyter Notebook, Voilà, VS Code and any other ipywidgets front end display these
without ``pn.extension()``: each view is wrapped by Panel's own ipywidgets bridge
(``pn.ipywidget``, which needs the ``jupyter_bokeh`` package and its front-end extension, both
installed with the ``views`` extra). They are the same components, driven by the same Python
callbacks through the widget comm, so the tree still loads children when a node opens and the
belief view still replays. Left alone, the bridge would have the browser fetch Panel's
stylesheets and the Material UI bundle from a CDN; here Panel's ``inline`` mode is switched on
(for the kernel: later updates render inline too) and every stylesheet is inlined, so nothing is
fetched from outside and the views work offline.

Examples
--------
>>> import workbench as wb
>>> from widgets import ipy
>>> ws = wb.connect()
>>> ipy.browser(ws)                                          # doctest: +SKIP
>>> ipy.beliefs(ws, [ws.sensor("Model/Demo/East/Glomma/Kuraas:discharge")])   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets
import panel as pn
from bokeh.models import UIElement
from panel.io.notebook import patch_inline_stylesheets

import workbench as wb
from widgets.beliefs import BeliefView
from widgets.browser import HierarchyBrowser

__all__ = ["as_ipywidget", "beliefs", "browser", "dashboard"]


def _inline_stylesheets(viewable: Any, root: Any, changed: Any = None, _old: Any = None) -> None:
    """A preprocessing hook: swap CDN stylesheets of new models for their inlined text."""
    source = changed if changed is not None else viewable
    models = source._models.get(root.ref["id"])
    model = models[0] if models else root
    for element in model.select({"type": UIElement}):
        patch_inline_stylesheets(element)


def as_ipywidget(obj: Any) -> ipywidgets.DOMWidget:
    """Any Panel object (or component) as an ipywidget whose stylesheets are all inline."""
    pn.config.inline = True  # the Material UI bundle and Panel's CSS travel with the models
    root = pn.panel(obj)
    if _inline_stylesheets not in root._hooks:
        root._hooks = [*root._hooks, _inline_stylesheets]
    widget: ipywidgets.DOMWidget = pn.ipywidget(root)
    return widget


def browser(ws: wb.Workspace, **params: Any) -> ipywidgets.DOMWidget:
    """The model tree and resource catalog (:class:`~widgets.browser.HierarchyBrowser`)."""
    return as_ipywidget(HierarchyBrowser(workspace=ws, **params))


def beliefs(
    ws: wb.Workspace, series: Sequence[wb.Sensor | wb.Attribute] = (), **params: Any
) -> ipywidgets.DOMWidget:
    """A belief plot with its replay controls (:class:`~widgets.beliefs.BeliefView`)."""
    return as_ipywidget(BeliefView(workspace=ws, series=list(series), **params))


def dashboard(ws: wb.Workspace, **params: Any) -> ipywidgets.DOMWidget:
    """Tree, inspector, belief and accuracy views together (:class:`~widgets.dashboard.Dashboard`);
    ``selected=`` starts it on an object or sensor."""
    from widgets.dashboard import Dashboard

    return as_ipywidget(Dashboard(workspace=ws, **params))
