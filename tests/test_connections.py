"""Connections never run out: workspaces release what they hold, many share one engine (each
acting as its own user), and a dashboard server holds at most its pool's connections however
many sessions and failed sign-ins it sees."""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from bokeh.document import Document
from bokeh.server.contexts import BokehSessionContext, _RequestProxy
from browser_support import free_port
from conftest import ADMIN, PG_URL, SECRET, refused, store_state
from panel.io.state import set_curdoc

import workbench as wb
from widgets import serve
from widgets.dashboard import App, Login, client_address
from workbench.api import accounts as acc

PASSWORD = "a fairly long secret"
WRONG = "not the secret at all"


pytestmark = pytest.mark.usefixtures("cheap_hashes")


def connections(name: str) -> int:
    """Connections to the PostgreSQL cluster that call themselves ``name``."""
    with sa.create_engine(PG_URL, poolclass=sa.NullPool).connect() as conn:
        query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = :n"
        return int(conn.execute(sa.text(query), {"n": name}).scalar_one())


def unique_name() -> str:
    return f"wb-test-{uuid.uuid4().hex[:10]}"


# -- closing ------------------------------------------------------------------------------------


def test_a_closed_workspace_refuses_calls_and_closing_again_is_harmless(store_url: str) -> None:
    wb.init_store(store_url, admin=ADMIN, secret=SECRET).close()
    with wb.connect(store_url, user=ADMIN, secret=SECRET) as ws:
        ws.create_model_definition("Grid")
        assert not ws.closed
    assert ws.closed and "(closed)" in repr(ws)
    assert ws.engine.pool.checkedin() == 0, "its own engine is disposed"
    ws.close()
    for call in (ws.model_definitions, lambda: ws.create_model_definition("More")):
        with pytest.raises(wb.StoreError, match=f"the workspace on .* as {ADMIN} is closed; open"):
            call()
    with pytest.raises(RuntimeError):  # StoreError is also the built-in a caller catches
        ws.models()
    with wb.connect(store_url, user=ADMIN, secret=SECRET) as again:
        assert [md.name for md in again.model_definitions()] == ["Grid"]


def test_a_workspace_is_not_closed_inside_its_transaction(store_url: str) -> None:
    ws = wb.init_store(store_url, admin=ADMIN, secret=SECRET)
    with ws.transaction():
        ws.create_model_definition("Grid")
        with pytest.raises(wb.StoreError, match="cannot be closed inside a transaction"):
            ws.close()
    assert not ws.closed and [md.name for md in ws.model_definitions()] == ["Grid"]
    ws.close()


@pytest.mark.postgres
def test_refused_sign_ins_hold_no_connection(pg_url: str) -> None:
    wb.init_store(pg_url, admin=ADMIN, secret=SECRET).close()
    name = unique_name()
    for n in range(20):
        with pytest.raises(wb.AccessDenied):
            wb.connect(
                pg_url,
                user=f"u{n}@x.example",
                secret=WRONG,
                connect_args={"application_name": name},
            )
    assert connections(name) == 0


@pytest.mark.postgres
def test_an_engine_shared_with_a_workspace_is_left_open(pg_url: str) -> None:
    name = unique_name()
    wb.init_store(pg_url, admin=ADMIN, secret=SECRET).close()
    with wb.StorePool(pg_url, application_name=name) as store:
        ws = store.connect(ADMIN, SECRET)
        ws.model_definitions()
        ws.close()
        assert connections(name) == 1, "the pool keeps its connection for the next workspace"
        other = store.connect(ADMIN, SECRET)
        assert other.model_definitions() == []
    assert connections(name) == 0 and other.closed, "closing the pool closes its workspaces"
    with pytest.raises(wb.StoreError, match="is closed; open another StorePool"):
        store.connect(ADMIN, SECRET)


# -- one engine, many users -------------------------------------------------------------------------


@pytest.fixture
def tenants(ws: wb.Workspace) -> wb.Workspace:
    """Acme and Beta, an account-admin in each."""
    for account in ("Acme", "Beta"):
        acc.create_account(ws, account)
        acc.add_user(ws, f"boss@{account.lower()}.example", account, PASSWORD, ["account-admin"])
    return ws


def test_two_users_on_one_engine_each_see_only_their_account(tenants: wb.Workspace) -> None:
    with wb.StorePool(tenants.url, pool_size=1, max_overflow=0) as store:
        acme = store.connect("boss@acme.example", PASSWORD)
        beta = store.connect("boss@beta.example", PASSWORD)
        assert acme.engine is beta.engine is store.engine
        for ws, name, kind in (
            (acme, "Acme", "Grid"),
            (beta, "Beta", "Grid"),
            (acme, "Acme", "Net"),
        ):
            md = ws.create_model_definition(f"{name}{kind}")  # interleaved, on one connection
            system = md.create_object_definition("System")
            ws.create_model(f"M{name}{kind}", md, system, account=name)
        assert [md.name for md in acme.model_definitions()] == ["AcmeGrid", "AcmeNet"]
        assert [md.name for md in beta.model_definitions()] == ["BetaGrid"]
        assert sorted(m.name for m in acme.models()) == ["MAcmeGrid", "MAcmeNet"]
        assert [m.name for m in beta.models()] == ["MBetaGrid"]
        refused(beta, wb.NotFound, "not found", lambda: beta.get("Model/MAcmeGrid"))
        acme.close()
        assert [m.name for m in beta.models()] == ["MBetaGrid"], "the other workspace goes on"
        assert beta.user == "boss@beta.example"


def test_a_revoked_role_counts_on_the_shared_engine(tenants: wb.Workspace) -> None:
    with wb.StorePool(tenants.url) as store:
        boss = store.connect("boss@acme.example", PASSWORD)
        boss.create_model_definition("Mine")
        acc.set_roles(tenants, "boss@acme.example", [])
        refused(boss, wb.AccessDenied, "may not", lambda: boss.create_model_definition("More"))


def test_a_busy_pool_refuses_after_its_timeout(tenants: wb.Workspace) -> None:
    with wb.StorePool(tenants.url, pool_size=1, max_overflow=0, pool_timeout=0.2) as store:
        first = store.connect(ADMIN, SECRET)
        second = store.connect(ADMIN, SECRET)
        with first.transaction():
            first.model_definitions()  # holds the only connection until the block ends
            with pytest.raises(wb.StoreError, match="is busy: every connection of its pool"):
                second.model_definitions()
        assert second.model_definitions() == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"pool_size": 0}, "pool_size must be a whole number >= 1, got 0"),
        ({"pool_size": True}, "pool_size must be a whole number >= 1, got True"),
        ({"max_overflow": -1}, "max_overflow must be a whole number >= 0, got -1"),
        ({"pool_timeout": 0}, "pool_timeout must be more than 0 seconds, got 0"),
        ({"pool_timeout": "10"}, "pool_timeout must be a number of seconds, got '10'"),
        ({"application_name": "x" * 64}, "application_name must be a string of 1 to 63"),
    ],
)
def test_pool_options_are_checked(sqlite_url: str, options: dict[str, Any], message: str) -> None:
    with pytest.raises(wb.InvalidValue, match=message):
        wb.StorePool(sqlite_url, **options)


def test_an_in_memory_store_is_shared_too() -> None:
    with wb.StorePool("sqlite://") as store:
        store.connect().create_model_definition("Grid")
        assert [md.name for md in store.connect().model_definitions()] == ["Grid"]


# -- the dashboard server -------------------------------------------------------------------------


@contextmanager
def session(address: str) -> Iterator[tuple[Document, BokehSessionContext]]:
    """A Bokeh server session of a browser at ``address``, as the server makes one: a document
    with its session context (and request), current while the page is built."""
    doc = Document()
    context = BokehSessionContext(uuid.uuid4().hex, SimpleNamespace(), doc)  # type: ignore[arg-type]
    request = SimpleNamespace(remote_ip=address, arguments={}, cookies={}, headers={})
    context._request = _RequestProxy(request)  # type: ignore[arg-type]
    doc._session_context = weakref.ref(context)
    with set_curdoc(doc):
        yield doc, context


def end(doc: Document, context: BokehSessionContext) -> None:
    """What the server does when a session ends: the document's destroy callbacks run."""
    for callback in list(doc.session_destroyed_callbacks):
        callback(context)


def test_the_session_gives_the_client_address() -> None:
    assert client_address() is None, "no session, no address"
    with session("203.0.113.7"):
        assert client_address() == "203.0.113.7"
        assert Login(url="sqlite://").address == "203.0.113.7"
    with session("not-an-ip"):
        assert client_address() is None


@pytest.mark.postgres
def test_thirty_sessions_and_sixty_failed_sign_ins_stay_within_the_pool(pg_url: str) -> None:
    ws = wb.init_store(pg_url, admin=ADMIN, secret=SECRET)
    ws.create_model_definition("Grid")
    ws.close()
    name = unique_name()
    store = wb.StorePool(pg_url, pool_size=3, max_overflow=2, application_name=name)
    make_page = serve.app_factory(pg_url, store)  # what make_server gives Panel
    opened: list[tuple[Document, BokehSessionContext, App]] = []
    for n in range(30):
        with session(f"198.51.100.{n + 1}") as (doc, context):
            app = make_page()
            assert app.login is not None and app.login.address == f"198.51.100.{n + 1}"
            assert app.login.login(ADMIN, SECRET), app.login.error
            assert app.workspace is not None and app.workspace.engine is store.engine
            assert [md.name for md in app.workspace.model_definitions()] == ["Grid"]
            opened.append((doc, context, app))
    assert 1 <= connections(name) <= 5
    refusals = set()
    for n in range(60):
        with session(f"192.0.2.{n % 20 + 1}") as (doc, context):
            app = make_page()
            assert app.login is not None and not app.login.login(f"u{n}@x.example", WRONG)
            refusals.add(app.login.error.replace(f"u{n}@x.example", "<user>"))
            end(doc, context)
    assert refusals == {"user '<user>' is unknown or the secret does not match"}
    assert 1 <= connections(name) <= 5, "failed sign-ins hold no connection"
    for doc, context, app in opened:  # the sessions end: their workspaces are released
        end(doc, context)
        assert app.workspace is not None and app.workspace.closed
    assert store.engine.pool.checkedout() == 0
    store.close()
    assert connections(name) == 0


def test_a_server_closes_the_pool_it_made_when_it_stops(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[wb.StorePool] = []

    class Recorded(wb.StorePool):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(serve.wb, "StorePool", Recorded)
    server = serve.make_server(sqlite_url, port=free_port())
    assert len(made) == 1 and not made[0].closed
    server.stop()
    assert made[0].closed
    given = wb.StorePool(sqlite_url)
    serve.make_server(sqlite_url, port=free_port(), store=given).stop()
    assert not given.closed, "a pool the caller gave stays the caller's"
    given.close()


def test_the_store_is_untouched_by_a_server_that_is_only_made(sqlite_url: str) -> None:
    wb.init_store(sqlite_url, admin=ADMIN, secret=SECRET).close()
    with wb.connect(sqlite_url) as ws:
        before = store_state(ws)
    server = serve.make_server(sqlite_url, port=free_port())
    server.stop()
    with wb.connect(sqlite_url) as ws:
        assert store_state(ws) == before
