"""Tenants on a secured PostgreSQL store, for the row-level security tests: accounts, users with
their database roles, a model with a sensor and beliefs in each, and plain psycopg logins."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd
import psycopg
import sqlalchemy as sa
from conftest import ADMIN, PG_URL, SECRET, build_definition

import workbench as wb
from workbench.api import accounts as acc
from workbench.api.security import secure_store
from workbench.store.security import RoleNames

PASSWORD = "another long secret"
DENIED = psycopg.errors.InsufficientPrivilege


@contextmanager
def fresh_role_names() -> Iterator[RoleNames]:
    """Role names of one test (roles belong to the whole cluster); dropped afterwards."""
    tag = uuid.uuid4().hex[:8]
    yield RoleNames(group=f"t{tag}_users", prefix=f"t{tag}_u")
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        roles = conn.execute(
            sa.text("SELECT rolname FROM pg_roles WHERE starts_with(rolname, :p)"),
            {"p": f"t{tag}_"},
        ).scalars()
        for role in sorted(roles, key=lambda r: r.endswith("_users")):  # the group last
            conn.execute(sa.text(f'DROP OWNED BY "{role}"'))
            conn.execute(sa.text(f'DROP ROLE "{role}"'))
    admin.dispose()


@dataclass
class Tenants:
    """Accounts Acme (client of Consult) and Beta; a model, sensor and beliefs in each."""

    ws: wb.Workspace
    url: str
    names: RoleNames
    accounts: dict[str, int]
    users: dict[str, int]
    objects: dict[str, int]
    sensors: dict[str, int]

    def role(self, email: str) -> str:
        return self.names.user_role(self.users[email])

    def secure(self) -> Any:
        return secure_store(self.ws, group=self.names.group, prefix=self.names.prefix)

    @contextmanager
    def sql(self, email: str) -> Iterator[psycopg.Connection[Any]]:
        """A plain psycopg connection logged in as the user's own database role."""
        u = sa.make_url(self.url)
        conn = psycopg.connect(
            host=u.host,
            port=u.port or 5432,
            dbname=u.database,
            user=self.role(email),
            autocommit=True,
        )
        try:
            yield conn
        finally:
            conn.close()

    def owner(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        with self.ws.engine.begin() as conn:
            result = conn.execute(sa.text(sql), params)
            return [tuple(r) for r in result] if result.returns_rows else []


def add_beliefs(sensor: wb.Sensor, value: float, n: int = 24) -> None:
    index = pd.date_range("2025-01-01", periods=n, freq="1h", tz="UTC")
    sensor.ingest(
        pd.Series(value, index=index),
        source="meter",
        source_type="meter",
        belief_time="2025-01-02T00:00Z",
    )


def build_tenants(pg_url: str, names: RoleNames) -> Tenants:
    """Consult, Acme (its client) and Beta with their users; the shared definition Grid (System
    owns Plants); models MAcme, MBeta and MPublic, each with a plant and a sensor on it."""
    ws = wb.init_store(pg_url, admin=ADMIN, secret=SECRET)
    acc.create_account(ws, "Consult")
    acc.create_account(ws, "Acme", consultancy="Consult")
    acc.create_account(ws, "Beta")
    users = {
        "ana@acme.example": ("Acme", ["account-admin"]),
        "al@acme.example": ("Acme", []),
        "bo@beta.example": ("Beta", []),
        "cy@consult.example": ("Consult", ["consultant"]),
        "rita@operators.example": ("Operators", ["admin-reader"]),
    }
    ids = {ADMIN: ws.principal.user_id or 0}
    for email, (account, roles) in users.items():
        ids[email] = acc.add_user(ws, email, account, PASSWORD, roles).id
    made = build_definition(ws)  # Grid: System owns Plants
    md, plant, system = made.definition, made.types["Plant"], made.types["System"]
    objects, sensors = {}, {}
    for account, value in (("Acme", 1.0), ("Beta", 2.0), (None, 3.0)):
        label = account or "Public"
        model = ws.create_model(f"M{label}", md, system, account=account)
        child = model.add_child("To_Plants", f"Plant{label}", plant)
        sensor = child.add_sensor("power", unit="MW", resolution="1h")
        add_beliefs(sensor, value)
        objects[label], objects[f"{label}/child"], sensors[label] = model.id, child.id, sensor.id
    accounts = {a.name: a.id for a in acc.list_accounts(ws)}
    return Tenants(ws, pg_url, names, accounts, ids, objects, sensors)


def ids(conn: psycopg.Connection[Any], sql: str, *params: Any) -> set[Any]:
    """The first column of every row the statement gives."""
    return {r[0] for r in conn.execute(sql, params).fetchall()}
