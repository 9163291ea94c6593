"""Faults on PostgreSQL: a connection killed mid-ingest stores nothing of the batch, and the
workspace carries on; dead pooled connections and a restarted server are reconnected to."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import ADMIN, PG_URL, SECRET, build_model, require_postgres

import workbench as wb
from workbench.store import beliefs as store_beliefs

pytestmark = pytest.mark.postgres

DB_PASSWORD = "pg-pass-0f-the-team"  # trust auth ignores it; it must never be shown
START = pd.Timestamp("2024-01-01", tz="UTC")
BIG = 500_000


def _with_password(url: str) -> str:
    return sa.make_url(url).set(password=DB_PASSWORD).render_as_string(hide_password=False)


@pytest.fixture
def admin() -> Iterator[sa.Engine]:
    """A connection of its own to the server, for watching and killing backends."""
    require_postgres()
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture
def app() -> str:
    """The application name of the test's connections: their backends are found by it."""
    return f"wb-faults-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def team(pg_url: str, app: str) -> Iterator[wb.Workspace]:
    """A workspace whose connections carry the application name ``app``."""
    ws = wb.init_store(
        _with_password(pg_url),
        admin=ADMIN,
        secret=SECRET,
        connect_args={"application_name": app},
    )
    yield ws
    ws.engine.dispose()


def _sensor(ws: wb.Workspace) -> wb.Sensor:
    plant = build_model(ws, "M", children={"To_Plants": ["A"]}).objects["A"]
    sensor: wb.Sensor = plant.add_sensor("power", unit="MW", resolution="1min")
    return sensor


def _series(n: int, offset: int = 0) -> pd.Series:
    index = pd.date_range(START + pd.Timedelta(minutes=offset), periods=n, freq="1min")
    return pd.Series(np.random.default_rng(n).random(n), index=index)


def _counts(admin: sa.Engine, ws: wb.Workspace) -> tuple[int, int]:
    """(beliefs, latest beliefs) as another connection sees them."""
    schema = sa.make_url(ws.engine.url).query["options"].split("=", 1)[1]  # type: ignore[union-attr]
    with admin.connect() as conn:
        return (
            int(conn.execute(sa.text(f'SELECT count(*) FROM "{schema}".beliefs')).scalar_one()),
            int(
                conn.execute(
                    sa.text(f'SELECT count(*) FROM "{schema}".latest_beliefs')
                ).scalar_one()
            ),
        )


def _backends(admin: sa.Engine, app: str, state: str | None = None) -> list[int]:
    query = "SELECT pid FROM pg_stat_activity WHERE application_name = :app"
    params: dict[str, Any] = {"app": app}
    if state is not None:
        query += " AND state = :state"
        params["state"] = state
    with admin.connect() as conn:
        return [int(p) for p in conn.execute(sa.text(query), params).scalars()]


def _kill(admin: sa.Engine, pids: list[int]) -> None:
    with admin.connect() as conn:
        for pid in pids:
            assert conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()


def _in_thread(call: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = call()
        except Exception as exc:  # handed to the test, which checks it
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _check_lost(outcome: dict[str, Any], ws: wb.Workspace) -> None:
    assert "result" not in outcome, "the ingest finished before its connection was killed"
    error = outcome["error"]
    assert isinstance(error, wb.StoreError), repr(error)
    assert str(error).startswith(f"the connection to {ws.url} was lost: ")
    assert "postgres:***@" in str(error) and DB_PASSWORD not in str(error)


def test_a_connection_killed_mid_copy_stores_nothing_of_the_batch(
    team: wb.Workspace, admin: sa.Engine, app: str
) -> None:
    sensor = _sensor(team)
    assert sensor.ingest(_series(100), source="meter") == 100
    before = sensor.beliefs()

    thread, outcome = _in_thread(lambda: sensor.ingest(_series(BIG, offset=100), source="meter"))
    killed, deadline = [], time.monotonic() + 120
    while thread.is_alive() and not killed and time.monotonic() < deadline:
        with admin.connect() as conn:  # the ingest's backend while it writes
            killed = list(
                conn.execute(
                    sa.text(
                        "SELECT pid FROM pg_stat_activity WHERE application_name = :app AND "
                        "state = 'active' AND (query LIKE 'COPY %' OR query LIKE 'INSERT %')"
                    ),
                    {"app": app},
                ).scalars()
            )
        if killed:
            _kill(admin, killed)
        time.sleep(0.002)
    thread.join()
    assert killed, "never saw the ingest write"
    _check_lost(outcome, team)

    assert _counts(admin, team) == (100, 100)  # nothing new, not even in latest_beliefs
    assert sensor.beliefs().equals(before)  # the same workspace carries on
    assert sensor.ingest(_series(50, offset=100), source="meter") == 50
    assert _counts(admin, team) == (150, 150)


def test_a_connection_killed_between_chunks_leaves_no_partial_batch(
    team: wb.Workspace, admin: sa.Engine, app: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sensor = _sensor(team)
    written, go_on = threading.Event(), threading.Event()
    write = store_beliefs._pg_write

    def first_chunk_then_wait(*args: Any, **kwargs: Any) -> None:
        write(*args, **kwargs)
        written.set()
        go_on.wait(60)

    monkeypatch.setattr(store_beliefs, "_pg_write", first_chunk_then_wait)
    thread, outcome = _in_thread(lambda: sensor.ingest(_series(BIG), source="meter"))
    assert written.wait(120), "the first chunk was never written"
    busy = _backends(admin, app, "idle in transaction")  # a chunk written, not committed
    assert len(busy) == 1
    _kill(admin, busy)
    go_on.set()
    thread.join()
    _check_lost(outcome, team)
    assert _counts(admin, team) == (0, 0)
    assert sensor.beliefs().sizes["belief"] == 0


def _pool_of_three(engine: sa.Engine) -> list[int]:
    """Fill the pool with three connections; their backends' pids."""
    conns = [engine.connect() for _ in range(3)]
    pids = [int(c.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()) for c in conns]
    for c in conns:
        c.close()
    return pids


def test_dead_pooled_connections_are_replaced(
    team: wb.Workspace, admin: sa.Engine, app: str
) -> None:
    team.create_model_definition("Before")
    old = _pool_of_three(team.engine)
    assert sorted(_backends(admin, app, "idle")) == sorted(old)
    _kill(admin, old)
    assert [md.name for md in team.model_definitions()] == ["Before"]
    team.create_model_definition("After")
    assert not set(_backends(admin, app)) & set(old)


def test_without_pre_ping_a_dead_connection_is_replaced_within_the_call(
    team: wb.Workspace, admin: sa.Engine, app: str
) -> None:
    # No ping before each call (a round trip): the call's first statement finds the dead
    # connection, the pool replaces its connections, and the call runs again on a new one.
    url = team.engine.url.render_as_string(hide_password=False)
    bare = wb.connect(
        url,
        user=ADMIN,
        secret=SECRET,
        pool_pre_ping=False,
        connect_args={"application_name": app},
    )
    try:
        bare.model_definitions()
        dead = _backends(admin, app, "idle")
        _kill(admin, dead)
        assert bare.model_definitions() == []
        bare.create_model_definition("After")  # a write too
        assert [md.name for md in bare.model_definitions()] == ["After"]
        assert not set(_backends(admin, app)) & set(dead)
    finally:
        bare.engine.dispose()


# -- a server of our own, restarted ---------------------------------------------------------------


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture
def own_server() -> Iterator[tuple[str, Callable[[], None]]]:
    """A throwaway PostgreSQL cluster: its URL, and a function that restarts it."""
    bindir = _pg_bin()
    if bindir is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        pytest.skip("no initdb here to make a throwaway PostgreSQL cluster")
    root = Path(tempfile.mkdtemp(prefix="wb-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = [str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log")]
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    quiet = {"check": True, "capture_output": True}
    subprocess.run(
        _as_postgres([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]),
        **quiet,
    )
    subprocess.run(_as_postgres([*run, "-o", options, "start"]), **quiet)

    def restart() -> None:
        subprocess.run(_as_postgres([*run, "-m", "fast", "-o", options, "restart"]), **quiet)

    try:
        yield f"postgresql+psycopg://postgres:{DB_PASSWORD}@127.0.0.1:{port}/postgres", restart
    finally:
        subprocess.run(_as_postgres([*run, "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_a_restarted_server_is_reconnected_to(own_server: tuple[str, Callable[[], None]]) -> None:
    url, restart = own_server
    ws = wb.init_store(url, admin=ADMIN, secret=SECRET)
    try:
        sensor = _sensor(ws)
        sensor.ingest(_series(1000), source="meter")
        _pool_of_three(ws.engine)
        restart()
        assert sensor.beliefs().sizes["belief"] == 1000
        assert sensor.ingest(_series(10, offset=1000), source="meter") == 10
        assert [md.name for md in ws.model_definitions()] == ["Grid"]
    finally:
        ws.engine.dispose()


def test_a_write_the_server_refuses_mid_ingest_is_a_store_error(
    pg_url: str, admin: sa.Engine
) -> None:
    # The bulk path writes through the driver's own cursor: its errors become StoreError too.
    url = sa.make_url(_with_password(pg_url))
    schema = str(url.query["options"]).split("=", 1)[1]
    ws = wb.init_store(
        url.render_as_string(hide_password=False),
        admin=ADMIN,
        secret=SECRET,
        connect_args={"options": f"-csearch_path={schema} -clock_timeout=200"},
    )
    try:
        sensor = _sensor(ws)
        locker = admin.execution_options(isolation_level="READ COMMITTED")
        with locker.begin() as conn:  # held until the block ends
            conn.execute(sa.text(f'LOCK TABLE "{schema}".beliefs IN ACCESS EXCLUSIVE MODE'))
            with pytest.raises(wb.StoreError, match="canceling statement due to lock timeout") as e:
                sensor.ingest(_series(1000), source="meter")
        assert str(e.value).startswith(f"the store at {ws.url} failed: ")
        assert DB_PASSWORD not in str(e.value)
        assert sensor.beliefs().sizes["belief"] == 0
        assert sensor.ingest(_series(1000), source="meter") == 1000
    finally:
        ws.engine.dispose()
