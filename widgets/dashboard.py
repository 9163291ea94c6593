"""The dashboard: model tree, object inspector, belief and accuracy views as one application.

:class:`Dashboard` composes the four components and keeps them in step: selecting a node of the
tree shows it in the inspector and plots its series; a link clicked in the inspector moves the
tree's selection. :func:`create_app` builds the page one browser session sees, which on a shared
store starts with a :class:`Login` form. ``workbench serve`` and ``panel serve widgets/app.py``
serve it.

Examples
--------
>>> import workbench as wb
>>> ws = wb.connect("sqlite://")
>>> dashboard = Dashboard(workspace=ws)          # doctest: +SKIP
>>> dashboard.servable()                         # doctest: +SKIP
"""

from __future__ import annotations

import ipaddress
import logging
import os
import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import panel as pn
import panel_material_ui as pmui
import param

import workbench as wb
from widgets._text import MuiTextAlert, TextTypography, TextViewer
from widgets.accuracy import AccuracyView
from widgets.beliefs import BeliefView
from widgets.browser import HierarchyBrowser, same
from widgets.inspector import ObjectInspector
from workbench.limits import QUERY_SECONDS_ENV

__all__ = [
    "APPLICATION_NAME",
    "DEFAULT_URL",
    "QUERY_SECONDS",
    "App",
    "Dashboard",
    "Login",
    "client_address",
    "create_app",
    "is_shared",
    "public_url",
    "server_pool",
    "shared_store",
    "sign_in",
    "store_url",
]

DEFAULT_URL = "sqlite:///workbench.db"
#: How a dashboard server's connections name themselves to PostgreSQL (``pg_stat_activity``).
APPLICATION_NAME = "workbench-dashboard"
#: The time limit of a dashboard session's calls (seconds) unless ``WORKBENCH_QUERY_SECONDS``
#: sets one: a server answers its sessions one call at a time, so no call may hold it for long.
QUERY_SECONDS = 10.0


def server_pool(url: str) -> wb.StorePool:
    """A new store pool for the sessions of a dashboard server on ``url``."""
    limit = None if os.environ.get(QUERY_SECONDS_ENV, "").strip() else QUERY_SECONDS
    return wb.StorePool(url, application_name=APPLICATION_NAME, query_seconds=limit)


#: Panel logs every value a widget receives at debug level; the secret field logs to here
#: instead, a logger that drops everything, so no logging setup can ever record a secret.
_SILENT = logging.getLogger("widgets.dashboard.secret")
_SILENT.setLevel(logging.CRITICAL + 1)
_SILENT.propagate = False
_SILENT.addHandler(logging.NullHandler())


def store_url(url: str | None = None) -> str:
    """The store to open: ``url``, else ``WORKBENCH_URL``, else ``./workbench.db``."""
    return url or os.environ.get("WORKBENCH_URL") or DEFAULT_URL


def is_shared(url: str) -> bool:
    """Whether the store is shared (PostgreSQL), so that its visitors must say who they are.

    >>> is_shared("sqlite:///workbench.db"), is_shared("postgresql+psycopg://db.example/team")
    (False, True)
    """
    return url.split(":", 1)[0].split("+", 1)[0].lower() != "sqlite"


def public_url(url: str) -> str:
    """The URL without its password, fit to show.

    >>> public_url("postgresql+psycopg://ana:s3cret@db.example:5432/team")
    'postgresql+psycopg://ana:***@db.example:5432/team'
    """
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.netloc.rsplit("@", 1)[1]
        return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))
    except ValueError:
        return "<store URL>"


def client_address() -> str | None:
    """The IP address of the current browser session's client (None outside a server session).

    It is the address Tornado reports (``remote_ip``): the proxy's, unless the server was told
    to trust ``X-Forwarded-For`` (``use_xheaders=True``), so a client cannot choose it.
    """
    doc = pn.state.curdoc
    context = None if doc is None else doc.session_context
    request = None if context is None else getattr(context, "request", None)
    address = None if request is None else getattr(request, "remote_ip", None)
    try:
        return str(ipaddress.ip_address(address)) if isinstance(address, str) else None
    except ValueError:  # a Unix socket, say: no address to throttle by
        return None


def _in_server_session() -> bool:
    doc = pn.state.curdoc
    return doc is not None and doc.session_context is not None


_SERVER_STORES: dict[str, wb.StorePool] = {}
_SERVER_STORES_LOCK = threading.Lock()


def shared_store(url: str) -> wb.StorePool:
    """The store pool this process's sessions of ``url`` share, made on first use.

    ``panel serve widgets/app.py`` builds each session's page in the same process: one engine
    and one bounded pool serve them all (``workbench serve`` passes a pool of its own).
    """
    with _SERVER_STORES_LOCK:
        if url not in _SERVER_STORES:
            _SERVER_STORES[url] = server_pool(url)
        return _SERVER_STORES[url]


def sign_in(
    url: str,
    user: str | None,
    secret: str | None,
    store: wb.StorePool | None = None,
    address: str | None = None,
) -> wb.Workspace:
    """A workspace for ``user``: on ``store``'s shared engine, or on one of its own for ``url``.

    ``address`` (the client's) is throttled along with the user name after failed sign-ins.
    """
    if store is not None:
        return store.connect(user, secret, address=address)
    return wb.connect(url, user=user, secret=secret, address=address)


class Login(TextViewer):
    """Asks who the visitor is on a shared store, and proves it with the user's secret.

    ``workspace`` is set once the secret matches; a refusal shows the store's message in
    ``error`` and leaves ``workspace`` empty. The secret field is emptied after every attempt:
    the secret is never shown again, kept or logged.

    >>> login = Login(url="sqlite://")
    >>> login.login("nobody@example.org", "not the secret")
    False
    >>> login.error
    "user 'nobody@example.org' is unknown or the secret does not match"
    """

    url = param.String(default=DEFAULT_URL, doc="The store's URL.")
    store = param.ClassSelector(
        class_=wb.StorePool,
        default=None,
        allow_None=True,
        doc="The store pool shared by a server's sessions (None: an engine per workspace).",
    )
    address = param.String(
        default=None,
        allow_None=True,
        doc="The client's IP address, throttled after failed sign-ins (default: the session's).",
    )
    workspace = param.ClassSelector(
        class_=wb.Workspace,
        default=None,
        allow_None=True,
        doc="The workspace of the user who signed in (None until then).",
    )
    error = param.String(default="", doc="Why the last attempt was refused ('' when none).")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        if self.address is None:
            self.address = client_address()
        self.user_input = pmui.TextInput(label="User (e-mail)", width=320)
        self.secret_input = pmui.PasswordInput(label="Secret", width=320)
        self.secret_input._logger = _SILENT
        self.button = pmui.Button(label="Sign in", color="primary", width=320)
        self.button.on_click(lambda _event: self.submit())
        self.secret_input.param.watch(lambda _event: self.submit(), "enter_pressed")
        self.alert = MuiTextAlert(
            object=self.param.error,
            severity="error",
            visible=self.param.error.rx.bool(),
            width=320,
        )
        self._layout = pmui.Paper(
            TextTypography(f"Sign in to {public_url(self.url)}", variant="h6"),
            self.user_input,
            self.secret_input,
            self.button,
            self.alert,
            elevation=2,
            margin=20,
            width=360,
        )

    def submit(self) -> bool:
        """Sign in with what the form holds."""
        secret = self.secret_input.value_input or self.secret_input.value
        self.secret_input.param.update(value="", value_input="")
        return self.login(self.user_input.value_input or self.user_input.value, secret)

    def login(self, user: str, secret: str) -> bool:
        """Connect as ``user``; True when the secret matched (``workspace`` is then set)."""
        user = (user or "").strip()
        if not user:
            self.error = "give your user name (the e-mail address the store knows you by)"
            return False
        try:
            ws = sign_in(self.url, user, secret, self.store, self.address)
        except wb.WorkbenchError as exc:
            self.error = str(exc)
            return False
        self.error = ""
        self.workspace = ws
        return True

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout


class Dashboard(TextViewer):
    """The four views of one workspace, following one selection.

    ``selected`` (an object or a sensor) is shared: the tree sets it when a node is picked, the
    inspector when a link or sensor button is clicked, and code may set it too. Every view then
    follows: the tree opens down to it, the inspector shows it, the belief view plots it (a
    sensor, or an object's sensors and timeseries attributes) and the accuracy view scores it
    (a sensor, or an object's first sensor).

    Examples
    --------
    >>> dashboard = Dashboard(workspace=ws)                            # doctest: +SKIP
    >>> dashboard.selected = ws.get("Model/Demo/East/Glomma/Kuraas")   # doctest: +SKIP
    >>> dashboard.beliefs.series                                       # doctest: +SKIP
    [<Sensor Model/Demo...Kuraas:discharge [m^3/s] id=1>]
    """

    workspace = param.ClassSelector(class_=wb.Workspace, doc="The store connection (the user).")
    selected = param.ClassSelector(
        class_=(wb.Object, wb.Sensor),
        default=None,
        allow_None=True,
        doc="The selected object or sensor, which every view follows.",
    )

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        ws = self.workspace
        self.browser = HierarchyBrowser(workspace=ws)
        self.inspector = ObjectInspector(workspace=ws)
        self.beliefs = BeliefView(workspace=ws)
        self.accuracy = AccuracyView(workspace=ws)
        self.browser.param.watch(self._picked, "selected")
        self.inspector.param.watch(self._picked, "selected")
        self.tabs = pn.Tabs(
            ("Beliefs", self.beliefs),
            ("Accuracy", self.accuracy),
            dynamic=True,  # the accuracy view is drawn when its tab is first shown
            sizing_mode="stretch_both",
        )
        # The plots join the page with the first selection: until then there is nothing to plot,
        # and the page shows (and serves) sooner without them.
        self.plots = pn.Column(
            pn.pane.Markdown("*Select a sensor or an object to plot its beliefs.*"),
            sizing_mode="stretch_both",
        )
        self.main = pn.Row(
            pn.Column(self.inspector, width=400, margin=(0, 10)),
            self.plots,
            sizing_mode="stretch_both",
        )
        if self.selected is not None:
            self._follow()

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Row(
            pn.Column(self.browser, width=320),
            self.main,
            sizing_mode="stretch_both",
            min_height=700,
        )

    @classmethod
    def app(cls, url: str | None = None, user: str | None = None, secret: str | None = None) -> App:
        """The dashboard of a store as a full page, after a login on a shared store."""
        return create_app(url, user, secret)

    def _picked(self, event: param.parameterized.Event) -> None:
        if not same(event.new, self.selected):
            self.selected = event.new

    @param.depends("selected", watch=True)
    def _follow(self) -> None:
        chosen = self.selected
        if chosen is not None and self.tabs not in self.plots.objects:
            self.plots.objects = [self.tabs]
        if not same(self.browser.selected, chosen):
            self.browser.selected = chosen
        if not same(self.inspector.obj, chosen):
            self.inspector.obj = chosen
        self.beliefs.select(chosen)
        sensor = _sensor_of(chosen)
        if sensor is not None and not same(self.accuracy.sensor, sensor):
            self.accuracy.sensor = sensor


def _sensor_of(chosen: Any) -> wb.Sensor | None:
    """The sensor the accuracy view scores for a selection (an object's first), or None."""
    if isinstance(chosen, wb.Sensor):
        return chosen
    if isinstance(chosen, wb.Object):
        found = chosen.sensors()
        return found[0] if found else None
    return None


class App(TextViewer):
    """What one visitor sees: the dashboard, or first a login form on a shared store.

    The embedded SQLite store opens as the local admin (or as ``user`` when given); a shared
    store signs ``user`` in with ``secret`` when both are given, and otherwise shows ``login``.
    A store that cannot be opened, or refused credentials, show their error on the page.
    """

    url = param.String(default=DEFAULT_URL, doc="The store's URL.")
    store = param.ClassSelector(
        class_=wb.StorePool,
        default=None,
        allow_None=True,
        doc="The store pool shared by a server's sessions (None: an engine per workspace).",
    )
    workspace = param.ClassSelector(
        class_=wb.Workspace, default=None, allow_None=True, doc="Whose view (None until known)."
    )
    dashboard = param.ClassSelector(
        class_=Dashboard, default=None, allow_None=True, doc="The dashboard, once signed in."
    )
    login = param.ClassSelector(
        class_=Login, default=None, allow_None=True, doc="The login form, when one is needed."
    )
    error = param.String(default="", doc="Why the store could not be opened ('' when it was).")

    def __init__(self, user: str | None = None, secret: str | None = None, **params: Any) -> None:
        super().__init__(**params)
        # The page may start as a login form: load what the dashboard shows later up front.
        pn.extension("tabulator")
        self.page = pmui.Page(title="workbench", sidebar_width=340)
        if (user is None and is_shared(self.url)) or (user is not None and secret is None):
            self.login = Login(url=self.url, store=self.store)
            if user is not None:
                self.login.user_input.value = user
            self.login.param.watch(lambda event: self._open(event.new), "workspace")
            self.page.main = [self.login]
            return
        try:
            ws = sign_in(self.url, user, secret, self.store, client_address())
        except wb.WorkbenchError as exc:
            self.error = str(exc)
            self.page.main = [
                MuiTextAlert(object=self.error, severity="error", sizing_mode="stretch_width")
            ]
            return
        self._open(ws)

    def __panel__(self) -> pn.viewable.Viewable:
        return self.page

    def _open(self, ws: wb.Workspace) -> None:
        self.workspace = ws
        self.dashboard = Dashboard(workspace=ws)
        self.page.param.update(
            sidebar=[self.dashboard.browser],
            main=[self.dashboard.main],
            header=[TextTypography(f"{ws.user} · {ws.url}", variant="body2", margin=(0, 20))],
        )
        if _in_server_session():  # the session's end releases its workspace
            pn.state.on_session_destroyed(lambda _context: ws.close())


def create_app(
    url: str | None = None,
    user: str | None = None,
    secret: str | None = None,
    *,
    store: wb.StorePool | None = None,
) -> App:
    """The application of one browser session on ``url`` (default: :func:`store_url`).

    Its workspace comes from ``store`` when given; in a server session without one, from the
    process's :func:`shared_store`; otherwise it gets an engine of its own.
    """
    url = store_url(url)
    if store is None and _in_server_session():
        store = shared_store(url)
    return App(url=url, user=user, secret=secret, store=store)
