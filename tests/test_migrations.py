"""Schema migrations: stores made by the first schema (or before migrations) reach the newest one
with nothing lost; the models match the newest revision; PostgreSQL stores behind are refused."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
import xarray as xr
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from conftest import ADMIN, SECRET
from typer.testing import CliRunner, Result

import workbench as wb
from workbench.api import accounts
from workbench.cli import app
from workbench.demo import build_demo
from workbench.store import Base, create_store_engine, ensure_schema, migrate

NEW_INDEXES = {
    "ix_objects_owner_attribute_id",
    "ix_links_attribute_id",
    "ix_virtual_series_relative_to_id",
    "ix_sources_user_id",
}
#: Columns later revisions add to the tables of revision 0001 (left out when comparing rows).
LATER_COLUMNS = {
    "namespaces": {"account_id"},  # 0003
    "attribute_types": {"namespace_id", "tags"},  # 0007
}
#: Tables and indexes that revisions after 0002 add (0003: definition accounts; 0004: virtual-series
#: names per account; 0005: sign-in throttling; 0006: sources per account; 0007 adds columns).
LATER_TABLES_AND_INDEXES = {
    "store_info",
    "ix_namespaces_account_id",
    "uq_virtual_series_account_path_name",
    "uq_virtual_series_public_path_name",
    "sign_in_throttle",
    "ix_sign_in_throttle_last_failure",
    "uq_sources_account_identity",
    "uq_sources_public_identity",
}
DAY = pd.Timestamp("2025-01-01", tz="UTC")


pytestmark = pytest.mark.usefixtures("cheap_hashes")


@pytest.fixture
def engine(store_url: str) -> Iterator[sa.Engine]:
    """An engine on an empty store, SQLite and PostgreSQL."""
    made = create_store_engine(store_url)
    yield made
    made.dispose()


def _tables(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        return set(sa.inspect(conn).get_table_names())


def _indexes(engine: sa.Engine, table: str) -> set[str]:
    with engine.connect() as conn:
        return {str(i["name"]) for i in sa.inspect(conn).get_indexes(table)}


def _drift(engine: sa.Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def _fill(ws: wb.Workspace) -> wb.Sensor:
    """Accounts, a user, the demo model (definitions, objects, links, curves), a sensor with
    two generations of beliefs from two sources."""
    accounts.create_account(ws, "Acme")
    accounts.add_user(ws, "ana@acme.example", "Acme", "a long enough secret", ["account-admin"])
    model = build_demo(ws)
    plant = ws.search(model, "{*}[.Type=Plant]")[0]
    sensor: wb.Sensor = plant.add_sensor("production", unit="MW", resolution="1h")
    index = pd.date_range(DAY, periods=48, freq="1h")
    for n, source in enumerate(["meter", "forecaster"]):
        for k in range(2):
            values = pd.Series([float(i * (k + 1) + n) for i in range(48)], index=index)
            sensor.ingest(values, source=source, belief_time=DAY + pd.Timedelta(days=3 + k))
    return sensor


def _filled_at_0001(engine: sa.Engine) -> wb.Sensor:
    """A store at revision 0001 holding what :func:`_fill` makes (made at head, where the models
    match the tables, then downgraded)."""
    migrate.upgrade(engine)
    sensor = _fill(wb.Workspace(engine))
    migrate.downgrade(engine, "0001")
    return sensor


def _rows(ws: wb.Workspace) -> dict[str, list[str]]:
    """Every row of the tables of revision 0001, in the columns they had then."""
    with ws.engine.connect() as conn:
        out = {}
        for table in sorted(migrate.BASE_TABLES):
            columns = [c["name"] for c in sa.inspect(conn).get_columns(table)]
            kept = [c for c in columns if c not in LATER_COLUMNS.get(table, set())]
            query = sa.select(*(sa.column(c) for c in kept)).select_from(sa.table(table))
            out[table] = sorted(repr(tuple(r)) for r in conn.execute(query))
        return out


def _beliefs(ws: wb.Workspace, sensor_id: int) -> xr.Dataset:
    return ws.sensor(sensor_id).beliefs(DAY, DAY + pd.Timedelta(days=2))


# -- the revisions ------------------------------------------------------------------------------


def test_the_revisions_form_one_line_and_head_is_known_without_alembic() -> None:
    revisions = migrate.history()
    assert [r.id for r in revisions] == ["0001", "0002", "0003", "0004", "0005", "0006", "0007"]
    assert [r.down for r in revisions] == [None, "0001", "0002", "0003", "0004", "0005", "0006"]
    assert migrate.head() == migrate.HEAD == revisions[-1].id
    assert all(r.title and "\n" not in r.title for r in revisions)


def test_revision_0001_makes_exactly_the_base_tables(engine: sa.Engine) -> None:
    assert migrate.upgrade(engine, "0001") == "0001"
    assert _tables(engine) == migrate.BASE_TABLES | {"alembic_version"}
    assert not NEW_INDEXES & _indexes(engine, "objects")


def test_the_models_match_the_newest_revision(engine: sa.Engine) -> None:
    migrate.upgrade(engine, "0001")
    behind = _drift(engine)  # the comparison does see what 0002 adds
    added = {d[1].name for d in behind if d[0] in ("add_table", "add_index")}
    assert added == NEW_INDEXES | LATER_TABLES_AND_INDEXES, behind
    migrate.upgrade(engine)
    assert _drift(engine) == []


# -- upgrading keeps everything -------------------------------------------------------------------


def test_a_store_at_0001_with_data_reaches_head_with_nothing_lost(engine: sa.Engine) -> None:
    sensor = _filled_at_0001(engine)
    old = wb.Workspace(engine)  # the local admin, on tables of the first schema
    before, beliefs = _rows(old), _beliefs(old, sensor.id)
    assert len(before["beliefs"]) == 192 and len(before["objects"]) == 18

    assert migrate.upgrade(engine) == migrate.HEAD
    assert _rows(old) == before
    tables = ("objects", "links", "virtual_series", "sources")
    assert set().union(*(_indexes(engine, t) for t in tables)) >= NEW_INDEXES
    url = engine.url.render_as_string(hide_password=False)
    ws = wb.connect(url, user="ana@acme.example", secret="a long enough secret")
    try:
        xr.testing.assert_identical(_beliefs(ws, sensor.id), beliefs)
        assert ws.get("Model/Demo").name == "Demo"
    finally:
        ws.engine.dispose()
    info = migrate.status(engine)
    assert (info.revision, info.versioned, info.upgraded_with) == (
        migrate.HEAD,
        True,
        wb.__version__,
    )
    assert info.upgraded_at is not None and info.describe().endswith("; the newest")


def test_downgrading_and_upgrading_again_keeps_the_data(engine: sa.Engine) -> None:
    migrate.upgrade(engine)
    ws = wb.Workspace(engine)
    _fill(ws)
    before = _rows(ws)
    assert migrate.downgrade(engine, "0001") == "0001"
    assert "store_info" not in _tables(engine) and _rows(ws) == before
    assert migrate.upgrade(engine) == migrate.HEAD and _rows(ws) == before
    assert migrate.downgrade(engine, "base") is None
    assert _tables(engine) == {"alembic_version"}
    assert migrate.current(engine) is None


def test_a_store_made_before_migrations_is_stamped_then_upgraded(engine: sa.Engine) -> None:
    sensor = _filled_at_0001(engine)
    ws = wb.Workspace(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE alembic_version"))  # as create_all used to leave it
    before, beliefs = _rows(ws), _beliefs(ws, sensor.id)
    found = migrate.status(engine)
    assert (found.revision, found.versioned) == ("0001", False)
    assert "tables made before migrations" in found.describe()

    assert migrate.upgrade(engine) == migrate.HEAD
    assert migrate.status(engine).versioned and _rows(ws) == before
    xr.testing.assert_identical(_beliefs(ws, sensor.id), beliefs)


# -- opening a store ----------------------------------------------------------------------------


def test_the_embedded_store_upgrades_itself_on_connect(sqlite_url: str) -> None:
    engine = create_store_engine(sqlite_url)
    _filled_at_0001(engine)
    before = _rows(wb.Workspace(engine))
    engine.dispose()

    ws = wb.connect(sqlite_url)
    try:
        assert migrate.current(ws.engine) == migrate.HEAD and _rows(ws) == before
        with ws.engine.connect() as conn:  # the upgrade left the pooled connection as it was
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.connection.driver_connection.isolation_level == ""  # type: ignore[union-attr]
    finally:
        ws.engine.dispose()


def test_opening_a_store_at_head_does_not_load_alembic(sqlite_url: str) -> None:
    ws = wb.connect(sqlite_url)
    ws.engine.dispose()
    code = (
        "import sys, workbench as wb\n"
        f"ws = wb.connect({sqlite_url!r})\n"
        "print(ws.user, 'alembic' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[0] == "local admin False"


def test_an_up_to_date_store_is_not_upgraded_again(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    wb.connect(sqlite_url).engine.dispose()

    def refuse(*_: object, **__: object) -> str:
        raise AssertionError("upgrade called on a store at head")

    monkeypatch.setattr(migrate, "upgrade", refuse)
    ws = wb.connect(sqlite_url)
    assert ws.model_definitions() == []
    ws.engine.dispose()


def test_an_empty_postgres_store_is_created_and_one_behind_is_refused(pg_url: str) -> None:
    url = sa.make_url(pg_url).set(password="pg-pass-0f-the-dba")  # trust auth ignores it
    text = url.render_as_string(hide_password=False)
    wb.init_store(text, admin=ADMIN, secret=SECRET).engine.dispose()
    engine = create_store_engine(text)
    assert migrate.current(engine) == migrate.HEAD
    migrate.downgrade(engine, "0001")
    message = (
        r"the store at postgresql\+psycopg://postgres:\*\*\*@127\.0\.0\.1:5432/test\?.* is at "
        r"revision 0001, this workbench needs 0007: run `workbench db upgrade`"
    )
    with pytest.raises(wb.StoreError, match=message) as refused:
        wb.connect(text, user=ADMIN, secret=SECRET)
    assert "pg-pass-0f-the-dba" not in str(refused.value)
    with pytest.raises(wb.StoreError, match="needs 0007"):
        wb.init_store(text, admin="b@x.example", secret=SECRET)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE alembic_version"))
    with pytest.raises(wb.StoreError, match=r"revision 0001 \(tables made before migrations\)"):
        wb.connect(text, user=ADMIN, secret=SECRET)
    assert migrate.upgrade(engine) == migrate.HEAD
    wb.connect(text, user=ADMIN, secret=SECRET).engine.dispose()
    engine.dispose()


def test_a_store_from_a_newer_workbench_is_refused(engine: sa.Engine) -> None:
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    with pytest.raises(wb.StoreError, match="revision 0099, which this workbench does not know"):
        ensure_schema(engine)
    with pytest.raises(wb.StoreError, match="a newer workbench upgraded it"):
        migrate.upgrade(engine)
    known = "unknown to this workbench (it knows 0001, 0002, 0003, 0004, 0005, 0006, 0007)"
    assert known in migrate.status(engine).describe()


def test_a_store_with_only_some_tables_is_refused(engine: sa.Engine) -> None:
    migrate.upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE alembic_version"))
        conn.execute(sa.text("DROP TABLE latest_beliefs"))
    with pytest.raises(
        wb.StoreError, match="some of the workbench's tables but not latest_beliefs"
    ):
        ensure_schema(engine)


def test_revisions_to_reach_are_checked(engine: sa.Engine) -> None:
    with pytest.raises(
        wb.StoreError,
        match=r"revision '7' is not known; use one of 0001, 0002, 0003, 0004, 0005, 0006, 0007, "
        "head",
    ):
        migrate.upgrade(engine, "7")
    migrate.upgrade(engine)
    with pytest.raises(
        wb.StoreError, match="at revision 0007; reaching 0001 from there is a downgrade"
    ):
        migrate.upgrade(engine, "0001")
    migrate.downgrade(engine, "0001")
    with pytest.raises(
        wb.StoreError, match="at revision 0001; reaching 0002 from there is an upgrade"
    ):
        migrate.downgrade(engine, "0002")
    with pytest.raises(wb.StoreError, match="revision 'head' is not known; use one of base, 0001"):
        migrate.downgrade(engine, "head")
    assert migrate.current(engine) == "0001"


def test_a_failed_upgrade_changes_nothing(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _filled_at_0001(engine)
    ws = wb.Workspace(engine)
    before = _rows(ws)

    def broken(conn: sa.Connection, revision: str) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(migrate, "_record", broken)
    with pytest.raises(RuntimeError, match="the disk is full"):
        migrate.upgrade(engine)  # fails after 0002's tables and indexes were made
    assert migrate.current(engine) == "0001"
    assert "store_info" not in _tables(engine) and not NEW_INDEXES & _indexes(engine, "objects")
    assert _rows(ws) == before


def _rebuild(conn: sa.Connection, *tables: str) -> None:
    """What a revision altering a SQLite table does: copy it, drop the old one, rename."""
    ops = Operations(MigrationContext.configure(conn))
    for table in tables:
        with ops.batch_alter_table(table, recreate="always"):
            pass


def test_sqlite_table_rebuilds_during_an_upgrade_keep_the_rows_referring_to_them(
    sqlite_url: str,
) -> None:
    engine = create_store_engine(sqlite_url)
    migrate.upgrade(engine)
    ws = wb.Workspace(engine)
    _fill(ws)
    before = _rows(ws)
    with migrate._migration(engine, "a rebuild") as conn:
        _rebuild(conn, "accounts", "objects", "attribute_definitions")
    assert _rows(ws) == before and _drift(engine) == []
    with engine.begin() as conn:  # what the migration transaction spares: with keys on,
        _rebuild(conn, "accounts")  # dropping the old accounts table deletes every user
        assert conn.execute(sa.text("SELECT count(*) FROM users")).scalar() == 0
        conn.rollback()
    engine.dispose()


def test_stores_opened_at_once_are_set_up_once(store_url: str) -> None:
    engines = [create_store_engine(store_url) for _ in range(4)]
    start, errors = threading.Barrier(len(engines)), []

    def open_store(engine: sa.Engine) -> None:
        start.wait()
        try:
            ensure_schema(engine)
        except Exception as exc:  # collected: the test shows every failure
            errors.append(exc)

    threads = [threading.Thread(target=open_store, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engines[0].connect() as conn:
        versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
        assert versions == [(migrate.HEAD,)]
        assert conn.execute(sa.text("SELECT count(*) FROM store_info")).scalar() == 1
    for e in engines:
        e.dispose()


def test_a_new_sqlite_store_opened_by_eight_processes_at_once(tmp_path: Any) -> None:
    """Fifty times, eight processes open one new file at the same instant: none is refused.

    SQLite does not wait for other processes' locks while it switches a new file to its
    write-ahead log; the engine retries that switch (it answered "database is locked" before).
    """
    import multiprocessing

    from process_support import open_store_at

    rounds, processes = 50, 8
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        pool.starmap(open_store_at, [(f"sqlite:///{tmp_path}/warm.db", 0.0)] * processes)
        errors: list[str] = []
        for n in range(rounds):
            url, at = f"sqlite:///{tmp_path}/store-{n}.db", time.time() + 0.2
            errors += [e for e in pool.starmap(open_store_at, [(url, at)] * processes) if e]
            engine = create_store_engine(url)
            with engine.connect() as conn:
                assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
                versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
                assert versions == [(migrate.HEAD,)]
                assert conn.execute(sa.text("SELECT count(*) FROM store_info")).scalar() == 1
            engine.dispose()
    assert errors == [], f"{len(errors)} of {rounds * processes} openings failed: {errors[:3]}"


# -- the command line -----------------------------------------------------------------------------


def _db(url: str, *args: str) -> Result:
    env = {"WORKBENCH_URL": url, "WORKBENCH_USER": None, "WORKBENCH_SECRET": None}
    return CliRunner().invoke(app, ["db", *args], env=env)


def test_cli_db_upgrade_current_and_history(store_url: str) -> None:
    url = sa.make_url(store_url)
    if url.get_backend_name() == "postgresql":
        url = url.set(password="pg-pass-0f-the-dba")
    text, shown = url.render_as_string(hide_password=False), wb.store.redact_url(url)
    outputs: list[str] = []

    def ok(*args: str) -> str:
        result = _db(text, *args)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
        return result.stdout.strip()

    assert ok("current") == f"{shown}: no workbench tables yet; `workbench db upgrade` creates them"
    assert ok("upgrade", "--revision", "0001") == f"Created the store at {shown} at revision 0001."
    assert ok("current") == f"{shown}: revision 0001; behind 0007: run `workbench db upgrade`"
    assert ok("upgrade") == f"Upgraded the store at {shown} from revision 0001 to 0007."
    assert ok("upgrade") == f"The store at {shown} is at revision 0007 already; nothing to do."
    now = ok("current")
    assert now.startswith(
        f"{shown}: revision 0007, last upgraded by workbench {wb.__version__} on "
    )
    assert now.endswith("; the newest")
    history = ok("history").splitlines()
    assert [line.split()[0] for line in history] == [
        "0001", "0002", "0003", "0004", "0005", "0006", "0007"
    ]  # fmt: skip
    assert history[-1].endswith("(head)") and "store_info" not in history[1]

    refused = _db(text, "upgrade", "--revision", "0001")
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert refused.stderr.startswith("error: the store is at revision 0007; reaching 0001")
    outputs.append(refused.output)
    assert all("pg-pass-0f-the-dba" not in out for out in outputs)


def test_cli_db_current_leaves_no_file_behind(tmp_path: Any) -> None:
    result = _db(f"sqlite:///{tmp_path}/nothing.db", "current")
    assert result.exit_code == 0 and "no workbench tables yet" in result.stdout
    assert not (tmp_path / "nothing.db").exists()


def test_cli_db_names_an_unreachable_store_without_its_password() -> None:
    result = _db("postgresql+psycopg://ana:pg-pass-0f-ana@127.0.0.1:1/team", "current")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.startswith(
        "error: cannot read the store at postgresql+psycopg://ana:***@127.0.0.1:1/team: "
    )
    assert "pg-pass-0f-ana" not in result.output
