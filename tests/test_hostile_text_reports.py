"""Hostile text in reports: what tenants wrote is only text in a report's HTML page.

A report shows store text three ways: in its provenance (sensor names, store, user,
parameters), in the text a notebook prints, and inside the Panel, HoloViews and Bokeh outputs
(whose documents travel as JSON in a script). None of it may end up as elements or scripts of
the page: checked here on the page's HTML, and in Chromium by ``test_hostile_text_browser``.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import holoviews as hv
import holoviews.plotting.bokeh  # options (.opts) need a plotting extension loaded
import nbformat
import panel as pn
import pytest
from conftest import ADMIN
from conftest import SECRET as ADMIN_SECRET
from hostile_data import (
    FREE,
    MEMBER,
    NAMES,
    REPORT_CELLS,
    SECRET,
    Hostile,
    build_hostile,
    injected,
)
from report_support import write_notebook
from typer.testing import CliRunner

import workbench as wb
from workbench.cli import app
from workbench.reports import Provenance, read_provenance
from workbench.reports.html import export_html, seal_script
from workbench.reports.provenance import render_block


class _Text(HTMLParser):
    """The text of a page outside its scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden = tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._hidden = False

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def page_text(page: str) -> str:
    reader = _Text()
    reader.feed(page)
    return "".join(reader.parts)


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Hostile, str]:
    """A report run by ``workbench report`` as the member, on a store full of payloads."""
    folder = tmp_path_factory.mktemp("hostile-report")
    url = f"sqlite:///{folder}/workbench.db"
    admin = wb.init_store(url, admin=ADMIN, secret=ADMIN_SECRET)
    hostile = build_hostile(admin, url)
    admin.engine.dispose()
    notebook = write_notebook(folder / "hostile.ipynb", *REPORT_CELLS, params="sensor_id = 0")
    out = folder / "hostile.html"
    env = {"WORKBENCH_URL": url, "WORKBENCH_USER": MEMBER, "WORKBENCH_SECRET": SECRET}
    result = CliRunner().invoke(
        app,
        ["report", str(notebook), "-p", f"sensor_id={hostile.sensor}", "-o", str(out)],
        env=env,
    )
    assert result.exit_code == 0, result.output
    return hostile, out.read_text("utf-8")


def test_a_report_shows_what_tenants_wrote_as_text(hostile_report: tuple[Hostile, str]) -> None:
    hostile, page = hostile_report
    assert injected(page) == []
    shown = page_text(page)
    assert hostile.names["sensor"] in shown  # printed, and named in the provenance's reads
    assert all(repr(s)[1:-1] in shown for s in hostile.sources)  # the printed list
    provenance = read_provenance(page)
    assert any(hostile.names["sensor"] in q["what"] for q in provenance.queries)


def test_the_provenance_block_is_text(tmp_path: Path) -> None:
    payload = FREE["script"] + FREE["img"]
    p = Provenance(
        notebook=f"/r/{NAMES['img']}.ipynb",
        notebook_sha256="0" * 64,
        as_of="2025-01-15T12:00:00+00:00",
        as_of_requested=payload,
        parameters={"name": payload},
        store="sqlite:////r/w.db",
        user=NAMES["img"],
        kernel="python3",
        queries=[{"what": payload, "rows": 1, "sha256": "1" * 64, "as_of": "", "store": ""}],
    )
    block = render_block(p)
    assert injected(block) == []
    shown = page_text(block)
    assert payload in shown and NAMES["img"] in shown
    assert read_provenance(block) == p


def _outputs(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Outputs as Panel, HoloViews and a JavaScript display leave them in a notebook."""
    from panel.config import panel_extension

    monkeypatch.setattr(panel_extension, "_loaded", True)  # as after pn.extension()
    payload = FREE["script"] + FREE["img"]
    select = pn.widgets.Select(options=[payload])
    curve = hv.Curve([1, 2], label=payload).opts(title=payload)
    bundles = [select._repr_mimebundle_(), pn.panel(curve)._repr_mimebundle_()]
    outputs = []
    for bundle in bundles:
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        outputs.append(nbformat.v4.new_output("display_data", data=data))
    js = f"var shown = {payload!r};"
    outputs.append(nbformat.v4.new_output("display_data", data={"application/javascript": js}))
    outputs.append(nbformat.v4.new_output("stream", name="stdout", text=payload))
    return outputs


def test_outputs_cannot_end_their_scripts_early(monkeypatch: pytest.MonkeyPatch) -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("shown")
    cell.outputs = _outputs(monkeypatch)
    nb.cells.append(cell)
    raw = "".join(str(o.get("data", {}).get("text/html", "")) for o in cell.outputs)
    assert injected(raw) != []  # as Panel writes them, the payload ends the script
    page = export_html(nb, "")
    assert injected(page) == []
    assert FREE["script"] + FREE["img"] in page_text(page)  # the printed text, as text


def test_sealing_changes_only_what_would_end_a_script() -> None:
    text = 'x = "</Script><b></b>" + "<\\/i>"; y = s.replace(/</g, "&lt;")'
    assert seal_script(text) == 'x = "<\\/Script><b></b>" + "<\\/i>"; y = s.replace(/</g, "&lt;")'
