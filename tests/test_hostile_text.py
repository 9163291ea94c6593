"""Hostile text, without a browser: what tenants write reaches every view only as text.

A plain member (and their account-admin) wrote HTML, script, Markdown breakouts, math, icon
tokens, unicode tricks, control characters and a 10,000-character text into every text field
they own (:mod:`hostile_data`). Each view is built for an admin-reader, a consultant and the
member, turned into the Bokeh models a browser would receive, and read the way the browser
reads them: every property that ends up as HTML (Panel's HTML and Markdown panes, alerts,
typography, card titles, MultiChoice labels, hover tooltips) must hold only the markup the views
write (a short allow-list of tags, no attributes but class and style), and the payloads must be
found in what is shown, as text.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import panel as pn
import pytest
from bokeh.document import Document
from bokeh.models import Div, HoverTool, HTMLTemplateFormatter, Model, MultiChoice
from conftest import ADMIN, postgres_schema, store_state
from conftest import SECRET as ADMIN_SECRET
from hostile_data import (
    COMMENT,
    CONSULTANT,
    FREE,
    MEMBER,
    NAMES,
    READER,
    SECRET,
    Hostile,
    hostile_store,
    injected,
)
from panel.models.esm import ReactComponent
from panel.models.markup import HTML as PanelHTML

import workbench as wb
from widgets import Dashboard
from widgets._text import choices, code, label, lines, message, title
from widgets._text import html as fragment
from widgets.dashboard import Login, create_app

ALLOWED_TAGS = frozenset(
    [
        "b",
        "br",
        "code",
        "div",
        "em",
        "h3",
        "i",
        "p",
        "pre",
        "small",
        "span",
        "strong",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
    ]
)
ALLOWED_ATTRIBUTES = frozenset({"class", "style", "border"})
#: Material UI components whose ``title`` is inserted as HTML.
HTML_TITLES = frozenset({"Card", "Accordion", "Tabs", "Details"})
#: Material UI components whose ``object`` is inserted as HTML.
HTML_OBJECTS = frozenset({"Alert", "Typography"})
ROLES = (READER, CONSULTANT, MEMBER)


# -- reading what a browser would be given -------------------------------------------------------


class _Reader(HTMLParser):
    """The text of an HTML fragment, and every tag or attribute outside the allow-list."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"<{tag}>")
        self.problems += [f"<{tag} {k}=...>" for k, _ in attrs if k not in ALLOWED_ATTRIBUTES]
        if tag == "br":
            self.text.append("\n")

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def read_markup(markup: str) -> tuple[str, list[str]]:
    """The text a browser shows for ``markup``, and what in it is not the views' own markup."""
    reader = _Reader()
    reader.feed(markup)
    reader.close()
    return "".join(reader.text), reader.problems


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _normal(text: str) -> str:
    return " ".join(text.replace("\u2060", "").split())


@dataclass
class Shown:
    """What the Bokeh models of a view show: HTML fragments (checked) and plain text."""

    markup: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add_markup(self, markup: str, where: str) -> None:
        text, problems = read_markup(markup)
        self.markup.append(markup)
        self.text.append(text)
        self.problems += [f"{where}: {p} in {markup[:300]!r}" for p in problems]

    def has(self, payload: str) -> bool:
        """Whether ``payload`` is shown, as text (spacing and word joiners aside)."""
        return _normal(payload) in _normal("\n".join(self.text))


def _react(model: ReactComponent, shown: Shown) -> None:
    data, kind = model.data, model.class_name
    values = {k: getattr(data, k) for k in data.properties() if k not in ("tags", "name")}
    if kind in HTML_OBJECTS and values.get("object"):
        shown.add_markup(html.unescape(values.pop("object")), f"{kind}.object")
    if kind in HTML_TITLES and values.get("title"):
        shown.add_markup(values.pop("title"), f"{kind}.title")
    shown.text += list(_strings(values))


def _tooltips(model: HoverTool, shown: Shown) -> None:
    tips = model.tooltips
    if isinstance(tips, str):
        shown.problems.append(f"a hover tool with an HTML template: {tips[:200]!r}")
    elif isinstance(tips, list):
        for tip_label, template in tips:
            if "{safe}" in template or "<" in template:
                shown.problems.append(f"hover tooltip {tip_label!r} renders HTML: {template!r}")


def shown_by(root: Model) -> Shown:
    """Everything the Bokeh models under ``root`` show, read as a browser reads them."""
    shown = Shown()
    models = root.references()
    inner = {m.data.id for m in models if isinstance(m, ReactComponent) and m.data is not None}
    for model in models:
        if model.id in inner:
            continue  # a Material UI component's properties: read with the component
        if isinstance(model, PanelHTML):
            shown.add_markup(html.unescape(model.text or ""), "HTML pane")
        elif isinstance(model, Div):
            shown.add_markup(model.text or "", "Div")
        elif isinstance(model, ReactComponent) and model.data is not None:
            _react(model, shown)
        elif isinstance(model, MultiChoice):
            for option in model.options:
                text = option if isinstance(option, str) else option[1]
                shown.add_markup(text, "MultiChoice option")
        elif isinstance(model, HoverTool):
            _tooltips(model, shown)
        elif isinstance(model, HTMLTemplateFormatter):
            shown.problems.append(f"an HTML template formatter: {model.template!r}")
        elif type(model).__name__ == "ColumnDataSource":
            shown.text += list(_strings(dict(model.data)))
        else:
            props = model.properties_with_values(include_defaults=False)
            shown.text += list(_strings({k: v for k, v in props.items() if k != "name"}))
    return shown


def rendered(viewable: Any) -> Shown:
    """What a browser would be given for a view, read back (see :func:`shown_by`)."""
    return shown_by(pn.panel(viewable).get_root(Document()))


def assert_shown_as_text(shown: Shown, *payloads: str) -> None:
    assert shown.problems == [], "\n".join(shown.problems[:10])
    missing = [p for p in payloads if not shown.has(p)]
    assert missing == [], f"not shown as text: {missing}"


# -- the store ------------------------------------------------------------------------------------


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def hostile(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Hostile]:
    """A store where a tenant wrote payloads everywhere (once per backend for the module)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('hostile')}/workbench.db"
        with hostile_store(url, ADMIN, ADMIN_SECRET) as made:
            yield made
        return
    with postgres_schema() as url, hostile_store(url, ADMIN, ADMIN_SECRET) as made:
        yield made


@pytest.fixture(params=ROLES, ids=["admin-reader", "consultant", "member"])
def viewer(request: pytest.FixtureRequest, hostile: Hostile) -> Iterator[wb.Workspace]:
    """The hostile store as seen by one of the roles that read the tenant's data."""
    ws = wb.connect(hostile.url, user=request.param, secret=SECRET)
    yield ws
    ws.engine.dispose()


# -- the rule itself -------------------------------------------------------------------------------

CORPUS = [*NAMES.values(), *FREE.values(), COMMENT]


@pytest.mark.parametrize("payload", CORPUS)
def test_every_helper_keeps_a_payload_text(payload: str) -> None:
    for made in (
        fragment("<b>{}</b> <small>{}</small>", payload, payload),
        lines(payload),
        code(payload),
        message(f"{payload}\n{payload}"),
        title(payload),
        *choices([payload]),
    ):
        text, problems = read_markup(str(made))
        assert problems == [] and _normal(payload) in _normal(text.replace("\u2060", ""))


def test_icon_tokens_stay_text_in_material_ui_labels() -> None:
    shown = label(FREE["icon"])
    assert ":material/" not in shown and shown.replace("\u2060", "") == FREE["icon"]
    assert ":material/" not in title(FREE["icon"]) and label("Plant A") == "Plant A"


# -- every view, for everyone who reads the tenant ------------------------------------------------


def _open(board: Dashboard, handle: Any) -> Shown:
    """Select ``handle`` and read the page, with the accuracy tab (drawn when shown) beside it."""
    board.selected = handle
    page = rendered(board)
    accuracy = rendered(board.accuracy)
    page.text += accuracy.text
    page.problems += accuracy.problems
    return page


def test_every_view_shows_hostile_text_as_text(hostile: Hostile, viewer: wb.Workspace) -> None:
    names, board = hostile.names, Dashboard(workspace=viewer)
    obj, sensor, empty = (
        viewer.object(hostile.obj),
        viewer.sensor(hostile.sensor),
        viewer.sensor(hostile.empty),
    )
    page = _open(board, obj)
    assert_shown_as_text(
        page,
        *(names[k] for k in ("model", "object", "definition", "namespace", "tag", "peer", "zone")),
        names["sensor"], names["empty"], f"{names['namespace']} · {names['tag']}",
        FREE["fence"], FREE["script"], FREE["link"], FREE["style"],
        FREE["mxss"], COMMENT, *hostile.sources, *hostile.strings,
    )  # fmt: skip
    assert "holds no beliefs" in board.accuracy.message  # the object's first sensor: the empty one
    assert page.has(empty.full_name)
    page = _open(board, sensor)
    assert_shown_as_text(
        page, names["sensor"], sensor.full_name, names["object"], *hostile.sources,
        repr(FREE["script"]), sensor.catalog_path,
    )  # fmt: skip
    assert board.accuracy.message == "" and len(board.accuracy.table()) > 0


def test_a_read_only_reader_sees_string_values_as_text(hostile: Hostile) -> None:
    ws = wb.connect(hostile.url, user=READER, secret=SECRET)
    try:
        board = Dashboard(workspace=ws, selected=ws.object(hostile.obj))
        assert not board.inspector.editable and board.inspector.editors == {}
        assert_shown_as_text(rendered(board), FREE["mxss"], FREE["img"], FREE["math"])
    finally:
        ws.engine.dispose()


@pytest.mark.parametrize("query", [NAMES["img"], "X<img", NAMES["markdown"], FREE["fence"]])
def test_searching_for_a_payload_shows_it_as_text(
    hostile: Hostile, viewer: wb.Workspace, query: str
) -> None:
    board = Dashboard(workspace=viewer)
    board.browser.query = query
    shown = rendered(board.browser)
    assert shown.problems == []
    assert board.browser.message and shown.has(board.browser.message.split("\n")[0])
    if query == "X<img":
        assert shown.has(hostile.names["object"])


@pytest.mark.parametrize("user", [CONSULTANT, MEMBER])
def test_an_edit_refused_for_a_payload_shows_its_error_as_text(hostile: Hostile, user: str) -> None:
    ws = wb.connect(hostile.url, user=user, secret=SECRET)
    try:
        board = Dashboard(workspace=ws, selected=ws.object(hostile.obj))
        before = store_state(ws)
        assert board.inspector.edit("Kind", FREE["script"]) is False  # not an allowed value
        assert store_state(ws) == before and FREE["script"] in board.inspector.message
        assert_shown_as_text(rendered(board.inspector), board.inspector.message.split("\n")[0])
    finally:
        ws.engine.dispose()


# -- signing in -----------------------------------------------------------------------------------


def test_a_refused_sign_in_shows_the_user_name_as_text(hostile: Hostile) -> None:
    login = Login(url=hostile.url)
    user = f"{FREE['img']}@tenant.example"
    assert login.login(user, "not the secret") is False
    assert_shown_as_text(rendered(login), login.error)
    app = create_app(hostile.url, user, "not the secret")
    assert_shown_as_text(rendered(app.page.main[0]), app.error)


def test_the_signed_in_page_shows_its_header_as_text(hostile: Hostile) -> None:
    app = create_app(hostile.url, MEMBER, SECRET)
    try:
        assert_shown_as_text(rendered(app.page.header[0]), MEMBER)
    finally:
        assert app.workspace is not None
        app.workspace.engine.dispose()


def test_the_check_finds_text_that_a_browser_would_run() -> None:
    """The panes the views no longer use for store text are caught by the check above."""
    import panel_material_ui as pmui

    payload = NAMES["img"]
    for raw in (
        pn.pane.Markdown(payload),
        pn.pane.HTML(payload),
        pn.pane.Alert(f"```\n{COMMENT}\n```"),  # the fence closes inside the comment
        pmui.Alert(object=payload),
        pmui.Typography(payload),
        pmui.Card(title=payload),
        pn.widgets.MultiChoice(options=[payload]),
    ):
        shown = rendered(raw)
        assert shown.problems and not shown.has(payload), type(raw).__name__


# -- notebooks: the ipywidgets, and Panel's own output ---------------------------------------------


def test_the_ipywidgets_show_hostile_text_as_text(
    hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    from widgets import ipy

    monkeypatch.setattr(pn.config, "inline", pn.config.inline)  # ipy inlines; restored after
    ws = wb.connect(hostile.url, user=MEMBER, secret=SECRET)
    try:
        names = hostile.names
        board = ipy.dashboard(ws, selected=ws.object(hostile.obj))
        assert_shown_as_text(
            shown_by(board._model), names["object"], names["definition"], COMMENT, FREE["fence"]
        )
        plot = ipy.beliefs(ws, [ws.sensor(hostile.sensor)])
        assert_shown_as_text(shown_by(plot._model), *hostile.sources)
        tree = ipy.browser(ws, query="X<img")
        assert_shown_as_text(shown_by(tree._model), names["object"])
    finally:
        ws.engine.dispose()


def _notebook_html(viewable: Any) -> str:
    bundle = viewable._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    return str(data["text/html"])


def test_a_view_shown_in_a_notebook_keeps_its_text_inside_its_script(
    hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    from panel.config import panel_extension

    monkeypatch.setattr(panel_extension, "_loaded", True)  # as after pn.extension()
    ws = wb.connect(hostile.url, user=MEMBER, secret=SECRET)
    try:
        board = Dashboard(workspace=ws, selected=ws.sensor(hostile.sensor))
        page = _notebook_html(board)
        assert injected(page) == [] and page.count("</script>") == 1
        # Panel alone writes the same text into its script as it is: it would end the script
        assert injected(_notebook_html(board.__panel__())) != []
    finally:
        ws.engine.dispose()
