"""Data sources never cross tenants: a source's identity includes its account.

A plain member of Acme, on a store shared with Beta, neither finds, nor is handed, nor attributes
beliefs to a source of Beta's, even one of the same name, type, model and version; a name only
Beta holds is not found, worded as a missing one; public sources (no account) stay shared by
everyone. Each rule on SQLite and PostgreSQL; refused calls write nothing. Plain SQL roles on a
secured PostgreSQL store may make their own source of an identity another tenant holds.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
import psycopg
import pytest
import sqlalchemy as sa
from conftest import build_definition, refused, require_postgres
from security_support import build_tenants, fresh_role_names

import workbench as wb
from workbench.api import accounts as acc
from workbench.api.handles.sources import Source, get_or_create_source, get_source, list_sources
from workbench.store import create_store_engine
from workbench.store import sources as src

PASSWORD = "a fairly long secret"
ANA, AL, BOB = "ana@acme.example", "al@acme.example", "bob@beta.example"
HOURS = pd.date_range("2025-01-01", periods=4, freq="1h", tz="UTC")
BT = "2025-01-02T00:00Z"


pytestmark = pytest.mark.usefixtures("cheap_hashes")


@dataclass
class Store:
    """The admin's workspace, one per plain member, and a sensor in each account."""

    admin: wb.Workspace
    users: dict[str, wb.Workspace]
    sensors: dict[str, int]

    def sensor(self, email: str, account: str) -> wb.Sensor:
        """The account's sensor as seen through the user's workspace."""
        return self.users[email].sensor(self.sensors[account])

    def row_count(self) -> int:
        with self.admin.engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM sources")).scalar_one())

    def belief_sources(self, account: str) -> set[int]:
        """The source ids of the beliefs on the account's sensor, read past the library."""
        sql = "SELECT DISTINCT source_id FROM beliefs WHERE sensor_id = :s"
        with self.admin.engine.connect() as conn:
            return set(conn.execute(sa.text(sql), {"s": self.sensors[account]}).scalars())


@pytest.fixture
def store(ws: wb.Workspace) -> Iterator[Store]:
    """Accounts Acme (members ana and al) and Beta (member bob); a model with a sensor in each."""
    acc.create_account(ws, "Acme")
    acc.create_account(ws, "Beta")
    made = build_definition(ws)  # Grid: System owns Plants
    md, plant, system = made.definition, made.types["Plant"], made.types["System"]
    sensors = {}
    for account in ("Acme", "Beta"):
        model = ws.create_model(f"M{account}", md, system, account=account)
        child = model.add_child("To_Plants", f"Plant{account}", plant)
        sensors[account] = child.add_sensor("power", unit="MW", resolution="1h").id
    users = {}
    for email, account in ((ANA, "Acme"), (AL, "Acme"), (BOB, "Beta")):
        acc.add_user(ws, email, account, PASSWORD, [])
        users[email] = wb.connect(ws.url, user=email, secret=PASSWORD)
    yield Store(ws, users, sensors)
    for opened in users.values():
        opened.engine.dispose()


def _ingest(sensor: wb.Sensor, source: Source | str | None = None, **kwargs: Any) -> None:
    sensor.ingest(pd.Series([1.0, 2.0, 3.0, 4.0], index=HOURS), source=source, belief_time=BT,
                  **kwargs)  # fmt: skip


def _labels(sensor: wb.Sensor, **kwargs: Any) -> list[str]:
    return sorted(str(label) for label in sensor.beliefs(**kwargs)["source"].to_series().unique())


def _not_found(key: object) -> str:
    return f"^{re.escape(f'source not found: {key!r}')}$"


def _beta_source(store: Store, name: str = "meter", type: str = "meter") -> Source:
    beta = get_or_create_source(store.users[BOB], name, type, user=BOB)
    assert beta.account_id == acc.get_account(store.admin, "Beta").id
    return beta


# -- one identity, one row per account ----------------------------------------------------------


def test_acme_never_gets_betas_source_of_the_same_identity(store: Store) -> None:
    ana, acme = store.users[ANA], acc.get_account(store.admin, "Acme").id
    beta = _beta_source(store)
    _ingest(store.sensor(ANA, "Acme"), "meter", source_type="meter")  # a public meter
    assert beta.id not in store.belief_sources("Acme")
    public = get_or_create_source(ana, "meter", "meter")
    own = get_or_create_source(ana, "meter", "meter", user=ANA)  # Acme's own, made beside Beta's
    assert store.belief_sources("Acme") == {public.id}
    assert (public.user_id, public.account_id) == (None, None)
    assert (own.user_id, own.account_id) == (ana.principal.user_id, acme)
    assert len({beta.id, public.id, own.id}) == 3 and store.row_count() == 3
    assert get_or_create_source(ana, "meter", "meter", user=ANA) == own  # found, not made again
    # within an account, the identity names one source whichever member it stands for
    assert get_or_create_source(store.users[AL], "meter", "meter", user=AL) == own


def test_a_users_own_beliefs_go_to_a_source_of_their_account(store: Store) -> None:
    ana = store.users[ANA]
    squatted = get_or_create_source(store.users[BOB], ANA, "user", user=BOB)  # Beta takes the name
    _ingest(store.sensor(ANA, "Acme"))  # no source: the user's own
    (mine,) = store.belief_sources("Acme")
    assert mine != squatted.id
    assert get_source(ana, mine) == Source(
        mine, ANA, "user", user_id=ana.principal.user_id, account_id=ana.principal.account_id
    )
    assert _labels(store.sensor(ANA, "Acme")) == [ANA]


def test_public_sources_are_still_shared(store: Store) -> None:
    ana, bob = store.users[ANA], store.users[BOB]
    _ingest(store.sensor(ANA, "Acme"), "meter", source_type="meter")
    _ingest(store.sensor(BOB, "Beta"), "meter", source_type="meter")
    shared = get_or_create_source(bob, "meter", "meter")
    assert get_or_create_source(ana, "meter", "meter") == shared
    assert store.belief_sources("Acme") == store.belief_sources("Beta") == {shared.id}
    assert list_sources(ana) == list_sources(bob) == [shared] and store.row_count() == 1
    assert get_source(ana, "meter") == get_source(bob, shared.id) == shared


# -- what Acme sees -----------------------------------------------------------------------------


def test_acme_lists_and_labels_none_of_betas_sources(store: Store) -> None:
    ana = store.users[ANA]
    beta = _beta_source(store)
    forecaster = _beta_source(store, "beta-only", "forecaster")
    _ingest(store.sensor(BOB, "Beta"), beta, source_type="meter")
    _ingest(store.sensor(ANA, "Acme"), "meter", source_type="meter")
    public = get_source(ana, "meter")
    assert list_sources(ana) == [public] and ana.sources() == [public]
    assert list_sources(ana, type="forecaster") == []
    assert _labels(store.sensor(ANA, "Acme")) == ["meter"]
    assert _labels(store.sensor(ANA, "Acme"), sources="meter") == ["meter"]
    assert _labels(store.sensor(ANA, "Acme"), source_types="meter") == ["meter"]
    assert {s.id for s in list_sources(store.admin)} == {public.id, beta.id, forecaster.id}


def test_a_name_only_beta_holds_is_not_found_as_a_missing_one(store: Store) -> None:
    ana, sensor = store.users[ANA], store.sensor(ANA, "Acme")
    beta = _beta_source(store, "x")
    _ingest(sensor, "meter", source_type="meter")
    for key in ("x", beta.id):
        for lookup in (
            lambda k=key: get_source(ana, k),
            lambda k=key: ana.source(k),
            lambda k=key: sensor.beliefs(sources=k),
            lambda k=key: sensor.beliefs(sources=["meter", k]),
        ):
            refused(store.admin, wb.NotFound, _not_found(key), lookup)
    for key in ("nothing", 987654):  # worded alike
        refused(store.admin, wb.NotFound, _not_found(key), lambda k=key: get_source(ana, k))
    with pytest.raises(wb.NotFound, match=r"source not found: 'x \(meter\)'"):
        get_source(ana, "x", type="meter")
    assert get_source(store.users[BOB], "x") == beta  # Beta's own call finds it


def test_the_ambiguity_lists_only_visible_sources(store: Store) -> None:
    ana = store.users[ANA]
    beta = _beta_source(store, "x", "user")
    public = get_or_create_source(ana, "x", "user")
    own = get_or_create_source(ana, "x", "user", user=ANA)
    listed = f"x (user) [id {public.id}], x (user) [id {own.id}]"
    message = f"several sources are named 'x': {listed}; give type= or an id"
    with pytest.raises(wb.InvalidValue) as caught:
        get_source(ana, "x")
    assert str(caught.value) == message and f"id {beta.id}" not in str(caught.value)
    with pytest.raises(wb.InvalidValue, match=str(beta.id)):
        get_source(store.admin, "x")  # who may read Beta sees all three
    with pytest.raises(wb.InvalidValue) as caught:
        get_source(store.users[BOB], "x")  # Beta's member: the public one and Beta's
    listed = f"x (user) [id {beta.id}], x (user) [id {public.id}]"  # by id
    assert str(caught.value) == f"several sources are named 'x': {listed}; give type= or an id"


def test_labels_of_one_identity_in_two_accounts_stay_apart(store: Store) -> None:
    beta = _beta_source(store)
    sensor = store.admin.sensor(store.sensors["Beta"])
    _ingest(sensor, beta)
    _ingest(sensor, "meter", source_type="meter")  # the public meter
    public = get_source(store.users[ANA], "meter").id  # Acme sees only the public one
    expected = [f"meter (meter) [id {beta.id}]", f"meter (meter) [id {public}]"]
    assert _labels(sensor) == sorted(expected)
    assert sensor.beliefs()["value"].count() == 8  # none merged with the other's


# -- refused writes -----------------------------------------------------------------------------


def test_acme_can_neither_write_as_nor_make_sources_for_beta(store: Store) -> None:
    ana, sensor = store.users[ANA], store.sensor(ANA, "Acme")
    beta = _beta_source(store)
    hidden = f"^source not found: {beta.id}; it is not in this store$"
    refused(store.admin, wb.NotFound, hidden, lambda: _ingest(sensor, beta))
    refused(store.admin, wb.NotFound, f"^user not found: '{BOB}'$",
            lambda: get_or_create_source(ana, "meter", "meter", user=BOB))  # fmt: skip
    assert store.belief_sources("Acme") == set()


# -- sources made at the same moment ------------------------------------------------------------


def _racing(store: Store, account: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Just before the library inserts a source, another connection commits a source 'race'
    (type meter, no user) in ``account`` (None: a public one), as another process would."""
    real = src.pg_insert if store.admin.engine.dialect.name == "postgresql" else src.sqlite_insert
    owner = None if account is None else acc.get_account(store.admin, account).id
    sql = sa.text(
        "INSERT INTO sources (name, type, model, version, user_id, account_id) "
        "VALUES ('race', 'meter', '', '', NULL, :a)"
    )

    def first_the_other(table: Any) -> Any:
        engine = create_store_engine(store.admin.url)
        with engine.begin() as conn:
            conn.execute(sql, {"a": owner})
        engine.dispose()
        return real(table)

    monkeypatch.setattr(src, "pg_insert", first_the_other)
    monkeypatch.setattr(src, "sqlite_insert", first_the_other)


@pytest.mark.parametrize("user", [None, ANA], ids=["public", "account"])
def test_a_source_made_elsewhere_at_this_moment_is_taken(
    store: Store, monkeypatch: pytest.MonkeyPatch, user: str | None
) -> None:
    ana = store.users[ANA]
    _racing(store, None if user is None else "Acme", monkeypatch)
    made = get_or_create_source(ana, "race", "meter", user=user)
    assert store.row_count() == 1  # the insert gave way, the call did not fail
    assert made.user_id is None  # the other's row, as it made it
    assert made.account_id == (None if user is None else ana.principal.account_id)


def test_another_tenants_source_made_at_this_moment_is_not_taken(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = store.users[ANA]
    _racing(store, "Beta", monkeypatch)
    made = get_or_create_source(ana, "race", "meter", user=ANA)
    assert store.row_count() == 2
    assert (made.user_id, made.account_id) == (ana.principal.user_id, ana.principal.account_id)


def test_members_making_one_source_at_once_share_one_row(store: Store) -> None:
    threads = 6
    start = threading.Barrier(threads)
    made: list[Source] = []
    errors: list[BaseException] = []

    def make(n: int) -> None:
        ws = wb.connect(store.admin.url, user=(ANA, AL)[n % 2], secret=PASSWORD)
        try:
            start.wait()
            made.append(get_or_create_source(ws, "burst", "meter"))
            made.append(get_or_create_source(ws, "team", "meter", user=ANA))
        except BaseException as exc:  # collected: the test shows every failure
            errors.append(exc)
        finally:
            ws.engine.dispose()

    running = [threading.Thread(target=make, args=(n,)) for n in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    assert errors == [] and len(made) == 2 * threads
    assert len({s.id for s in made if s.name == "burst"}) == 1
    assert len({s.id for s in made if s.name == "team"}) == 1
    assert store.row_count() == 2


# -- plain SQL on a secured PostgreSQL store ------------------------------------------------------


@pytest.mark.postgres
def test_a_plain_sql_role_makes_its_own_source_of_an_identity_beta_holds(pg_url: str) -> None:
    """Before, the store-wide unique key refused the row and its message showed Beta's key."""
    require_postgres()
    insert = (
        "INSERT INTO sources (name, type, model, version, user_id, account_id) "
        "VALUES ('spy', 'meter', '', '', %s, %s)"
    )
    with fresh_role_names() as names:
        t = build_tenants(pg_url, names)
        try:
            acme, al = t.accounts["Acme"], t.users["al@acme.example"]
            t.owner(
                insert.replace("%s", ":u", 1).replace("%s", ":a"),
                u=t.users["bo@beta.example"],
                a=t.accounts["Beta"],
            )
            t.secure()
            with t.sql("al@acme.example") as c:
                c.execute(insert, (al, acme))
                seen = c.execute("SELECT user_id, account_id FROM sources WHERE name = 'spy'")
                assert seen.fetchall() == [(al, acme)]
                with pytest.raises(psycopg.errors.UniqueViolation):
                    c.execute(insert, (al, acme))  # its own, which it sees
            assert t.owner("SELECT count(*) FROM sources WHERE name = 'spy'") == [(2,)]
        finally:
            t.ws.engine.dispose()
