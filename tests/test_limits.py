"""The time limit of a call: searches and calculations stop at their deadline, PostgreSQL stops a
statement that runs longer, and the limit is set by WORKBENCH_QUERY_SECONDS or a workspace."""

from __future__ import annotations

import doctest
import math
import re
import time
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
import xarray as xr
from conftest import ADMIN, SECRET, MakeModel, attr, count_statements, plants, refused

import workbench as wb
from workbench import limits
from workbench.calc import MemoryResolver, compile_expression, evaluate
from workbench.errors import InvalidValue, QueryTimeout, WorkbenchError
from workbench.limits import (
    DEFAULT_QUERY_SECONDS,
    QUERY_SECONDS_ENV,
    current_deadline,
    deadline,
    query_seconds,
    time_limit,
)
from workbench.search import Node, ObjectId, run_search

LAKE = "Model/Hydro/Lake"
PERIOD = ("2024-01-01", "2024-01-03")
START = pd.Timestamp("2024-01-01", tz="UTC")


@pytest.fixture(autouse=True)
def no_limit_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(QUERY_SECONDS_ENV, raising=False)


# -- the setting and the deadline ---------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, -1.5, math.nan, math.inf, True, "5", [5]])
def test_a_limit_is_a_positive_number_of_seconds(bad: object) -> None:
    with pytest.raises(
        InvalidValue, match="positive number of seconds.*got " + re.escape(repr(bad))
    ):
        query_seconds(bad)
    assert issubclass(InvalidValue, ValueError)


def test_the_environment_sets_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert query_seconds() == DEFAULT_QUERY_SECONDS == 30.0
    monkeypatch.setenv(QUERY_SECONDS_ENV, " 2.5 ")
    assert query_seconds() == 2.5 and query_seconds(4) == 4.0
    for bad in ("soon", "0", "-1", "nan"):
        monkeypatch.setenv(QUERY_SECONDS_ENV, bad)
        with pytest.raises(InvalidValue, match=f"{QUERY_SECONDS_ENV}={bad!r} is not a time limit"):
            query_seconds()


def test_deadlines_nest_and_the_sooner_one_stays_in_force() -> None:
    with deadline(10) as outer:
        with deadline(100) as later:
            assert later is outer  # a nested evaluation cannot extend its caller's time
        with deadline(1) as sooner:
            assert sooner.seconds == 1.0 and current_deadline() is sooner
        with deadline() as inherited:
            assert inherited is outer
        assert current_deadline() is outer
    with time_limit(3), deadline() as limit:
        assert limit.seconds == 3.0 and 2.5 < limit.remaining() <= 3.0
    assert current_deadline() is None
    with deadline(0.01) as limit:
        time.sleep(0.02)
        assert limit.passed()
        with pytest.raises(QueryTimeout, match=r"^work was stopped: .* 0\.01 s; narrow it"):
            limit.check("work")


def test_a_timeout_is_a_workbench_error_and_a_timeout_error() -> None:
    error = limits.stopped("a query of the store", 2)
    assert isinstance(error, WorkbenchError) and isinstance(error, TimeoutError)
    assert (error.what, error.seconds) == ("a query of the store", 2)
    assert QUERY_SECONDS_ENV in str(error) and "query_seconds" in str(error)


def test_the_module_examples_run() -> None:
    assert doctest.testmod(limits, optionflags=doctest.ELLIPSIS).failed == 0


# -- searches and calculations stop at their deadline -----------------------------------------------


def test_an_evaluation_stops_at_its_deadline() -> None:
    times = pd.date_range(PERIOD[0], periods=48, freq="h")
    inflow = xr.DataArray(np.arange(48.0), coords={"event_start": times}, dims="event_start",
                          attrs={"units": "MW", "resolution": "PT1H"})  # fmt: skip
    resolver = MemoryResolver(series={f"{LAKE}.Inflow": inflow})
    expr = compile_expression(" + ".join(["@t('.Inflow')"] * 5_000))
    started = time.perf_counter()
    whole = evaluate(expr, resolver, *PERIOD, relative_to=LAKE)  # about a second; checked now
    taken = time.perf_counter() - started
    np.testing.assert_allclose(whole.values, np.arange(48.0) * 5_000)  # type: ignore[union-attr]
    started = time.perf_counter()
    with pytest.raises(QueryTimeout) as info:
        evaluate(expr, resolver, *PERIOD, relative_to=LAKE, seconds=0.02)
    assert time.perf_counter() - started < max(taken, 0.5)  # stopped, not run to the end
    assert str(info.value).startswith(
        "the calculation \"@t('.Inflow') + @t('.Inflow') + @t('.Inflow') + @t('.Inflow'...\" "
        "was stopped: it ran past the time limit of 0.02 s; narrow it"
    )
    with time_limit(0.02), pytest.raises(QueryTimeout):
        evaluate(expr, resolver, *PERIOD, relative_to=LAKE)


def test_parsing_a_huge_expression_stops_at_the_deadline() -> None:
    huge = " + ".join(["1"] * 200_000)
    with deadline(0.01), pytest.raises(QueryTimeout, match="^parsing the expression '1 \\+ 1"):
        compile_expression(huge)


class Chain:
    """A chain of objects, each the only child of the one before, answering slowly."""

    def __init__(self, length: int, pause: float) -> None:
        self.length = length
        self.pause = pause

    def nodes(self, ids: Sequence[ObjectId]) -> Mapping[ObjectId, Node]:
        return {i: Node(i, f"N{i}", "Thing") for i in ids}

    def children(self, ids: Sequence[ObjectId]) -> Mapping[ObjectId, Sequence[Node]]:
        time.sleep(self.pause)
        return {i: [Node(i + 1, f"N{i + 1}", "Thing")] if i < self.length else [] for i in ids}  # type: ignore[operator]

    def parents(self, ids: Sequence[ObjectId]) -> Mapping[ObjectId, Node | None]:
        return {i: Node(i - 1, f"N{i - 1}", "Thing") if i else None for i in ids}  # type: ignore[operator]

    def attribute_values(self, ids: Sequence[ObjectId], name: str) -> Mapping[ObjectId, object]:
        return {i: 1.0 for i in ids}


def test_a_search_stops_at_its_deadline() -> None:
    chain = Chain(1_000, 0.005)  # walking it all takes five seconds
    started = time.perf_counter()
    with pytest.raises(QueryTimeout, match=r"^the search '\{\*\}\[\.Name=N999\]' was stopped"):
        run_search("{*}[.Name=N999]", chain, 0, seconds=0.1)
    assert time.perf_counter() - started < 2.5  # half the walk: it sleeps, so load hardly counts
    with time_limit(0.1), pytest.raises(QueryTimeout, match="0.1 s"):
        run_search("*[.X>5]", chain, 0)
    assert [n.name for n in run_search("*[.Name=N3]", Chain(5, 0), 0).objects] == ["N3"]


# -- a workspace's limit ---------------------------------------------------------------------------


@pytest.fixture
def plant(ws: wb.Workspace, make_model: MakeModel) -> wb.Object:
    """PlantA under Model/Hydro (definition Hydro), its Head 2 m."""
    types = plants({"Head": attr("double", unit="m")})
    made = make_model(
        ws, "Hydro", definition="Hydro", types=types, children={"To_Plants": ["PlantA"]}
    )
    obj = made.objects["PlantA"]
    obj["Head"] = 2.0
    return obj


def test_a_workspace_sets_the_limit_of_its_calls(ws: wb.Workspace, plant: wb.Object) -> None:
    assert ws.query_seconds == 30.0
    ws.query_seconds = 2
    assert ws.query_seconds == 2.0
    with pytest.raises(InvalidValue, match="got -1"):
        ws.query_seconds = -1
    assert ws.query_seconds == 2.0
    ws.query_seconds = None
    assert ws.query_seconds == 30.0
    total = " + ".join(["@d('.Head')"] * 20_000)
    with limits.time_limit(600):  # a slow machine may take its time: not what is tested here
        compile_expression(total)  # compiled beforehand: what is stopped is the evaluation
    ws.query_seconds = 0.05
    call = lambda: ws.evaluate(total, START, START + pd.Timedelta("1D"), relative_to=plant)  # noqa: E731
    refused(ws, QueryTimeout, "was stopped: it ran past the time limit of 0.05 s", call)
    ws.query_seconds = 60
    assert call() == 40_000.0


def test_a_bad_limit_in_the_environment_refuses_every_call(
    ws: wb.Workspace, plant: wb.Object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(QUERY_SECONDS_ENV, "soon")
    with pytest.raises(InvalidValue, match=QUERY_SECONDS_ENV):
        ws.search(plant, "@")
    ws.query_seconds = 5  # the workspace's own setting wins
    assert [o.name for o in ws.search(plant, "@")] == ["PlantA"]
    monkeypatch.setenv(QUERY_SECONDS_ENV, "0.5")
    ws.query_seconds = None
    assert ws.query_seconds == 0.5


# -- PostgreSQL stops a statement that runs longer ----------------------------------------------------


@pytest.fixture
def pg_ws(pg_url: str) -> Iterator[wb.Workspace]:
    workspace = wb.init_store(pg_url, admin=ADMIN, secret=SECRET)
    yield workspace
    workspace.engine.dispose()


@pytest.mark.postgres
def test_a_slow_statement_is_stopped_on_postgresql(pg_ws: wb.Workspace) -> None:
    pg_ws.query_seconds = 0.3

    def slow_batch() -> None:
        with pg_ws.transaction() as session:
            pg_ws.create_model_definition("Written")
            session.execute(sa.text("SELECT pg_sleep(5)"))

    started = time.perf_counter()
    refused(
        pg_ws, QueryTimeout, r"^a query of the store was stopped: .* limit of 0\.3 s", slow_batch
    )
    assert time.perf_counter() - started < 4
    with pg_ws.transaction() as session:  # the next call has its whole limit again
        assert session.execute(sa.text("SELECT pg_sleep(0.1), 1")).one()[1] == 1


@pytest.mark.postgres
def test_a_lock_held_elsewhere_stops_a_call_not_the_server(
    pg_ws: wb.Workspace, pg_url: str
) -> None:
    md = pg_ws.create_model_definition("Locked")
    root = md.create_object_definition("Root")
    model = pg_ws.create_model("Locked", md, root)
    squatter = sa.create_engine(pg_url)
    try:
        with squatter.connect() as held:
            held.execute(sa.text("LOCK TABLE objects IN ACCESS EXCLUSIVE MODE"))
            pg_ws.query_seconds = 0.3
            started = time.perf_counter()
            with pytest.raises(QueryTimeout, match="a query of the store was stopped"):
                pg_ws.search(model, "{*}")
            with pytest.raises(wb.StoreError, match="QueryTimeout"), pg_ws.transaction():
                with pytest.raises(QueryTimeout):  # a call in a batch: the same error
                    pg_ws.object(model.id)
            assert time.perf_counter() - started < 5
            held.rollback()
    finally:
        squatter.dispose()
    assert [o.name for o in pg_ws.search(model, "{*}")] == ["Locked"]


def test_connect_and_store_pools_set_the_limit_of_their_workspaces(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(limits.QUERY_SECONDS_ENV, raising=False)
    wb.init_store(store_url, admin=ADMIN, secret=SECRET).close()
    with wb.connect(store_url, user=ADMIN, secret=SECRET, query_seconds=2) as ws:
        assert ws.query_seconds == 2.0
    with pytest.raises(InvalidValue, match="query_seconds must be a positive number"):
        wb.connect(store_url, user=ADMIN, secret=SECRET, query_seconds=-1)
    with wb.StorePool(store_url, query_seconds=3) as pool:
        assert pool.connect(ADMIN, SECRET).query_seconds == 3.0
    with wb.StorePool(store_url) as pool:
        assert pool.connect(ADMIN, SECRET).query_seconds == limits.DEFAULT_QUERY_SECONDS
    with pytest.raises(InvalidValue, match="query_seconds"):
        wb.StorePool(store_url, query_seconds=math.inf)


def test_a_dashboard_server_holds_its_calls_to_a_shorter_limit(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from widgets.dashboard import QUERY_SECONDS, server_pool

    monkeypatch.delenv(limits.QUERY_SECONDS_ENV, raising=False)
    with server_pool(sqlite_url) as pool:
        assert pool.connect().query_seconds == QUERY_SECONDS < limits.DEFAULT_QUERY_SECONDS
    monkeypatch.setenv(limits.QUERY_SECONDS_ENV, "4")  # the operator's choice wins
    with server_pool(sqlite_url) as pool:
        assert pool.connect().query_seconds == 4.0


@pytest.mark.postgres
def test_a_call_at_the_default_limit_costs_no_statement_of_its_own(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(limits.QUERY_SECONDS_ENV, "0.5")  # connections open with this limit
    ws = wb.init_store(pg_url, admin=ADMIN, secret=SECRET)
    try:
        with count_statements(ws.engine) as statements:
            ws.models()
            assert not [s for s in statements if "statement_timeout" in s], statements
            started = time.perf_counter()
            with pytest.raises(QueryTimeout, match=r"limit of 0\.5 s"), ws.transaction() as session:
                # stopped by the connection's own limit
                session.execute(sa.text("SELECT pg_sleep(5)"))
            assert time.perf_counter() - started < 4
            ws.query_seconds = 2  # another limit: a read makes it its connection's own
            statements.clear()
            ws.models()
            ws.models()  # the connection has it now
            assert [s for s in statements if "statement_timeout" in s] == [
                "SET statement_timeout = 2000"
            ]
            ws.query_seconds = 1  # a call that writes sets it for its transaction only
            statements.clear()
            ws.create_model_definition("Limited")
            assert [s for s in statements if "statement_timeout" in s] == [
                "SET LOCAL statement_timeout = 1000"
            ]
    finally:
        ws.close()


@pytest.mark.postgres
def test_an_upgrade_is_not_held_to_a_calls_limit(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.store import create_store_engine, migrate

    monkeypatch.setenv(limits.QUERY_SECONDS_ENV, "0.001")
    engine = create_store_engine(pg_url)
    try:
        assert migrate.upgrade(engine) == migrate.HEAD  # would be cancelled at 1 ms
    finally:
        engine.dispose()
