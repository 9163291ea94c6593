"""Row-level security: database roles per user and policies that hold for plain SQL too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import ADMIN, SECRET, require_postgres
from security_support import (
    DENIED,
    PASSWORD,
    Tenants,
    add_beliefs,
    build_tenants,
    fresh_role_names,
    ids,
)
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

import workbench as wb
from workbench.access import Action, Target, permits
from workbench.api import accounts as acc
from workbench.api import identity
from workbench.api.security import secure_store
from workbench.cli import app
from workbench.errors import AccessDenied, InvalidValue, StoreError
from workbench.store import Base
from workbench.store.security import POLICIES, RoleNames

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("cheap_hashes")]


@pytest.fixture
def names() -> Iterator[RoleNames]:
    """Role names of one test (roles belong to the whole cluster); dropped afterwards."""
    require_postgres()
    with fresh_role_names() as made:
        yield made


@pytest.fixture
def tenants(pg_url: str, names: RoleNames) -> Iterator[Tenants]:
    made = build_tenants(pg_url, names)
    yield made
    made.ws.engine.dispose()


# -- what plain SQL sees --------------------------------------------------------------------


def test_a_member_sees_only_their_account_and_public_rows(tenants: Tenants) -> None:
    t = tenants
    t.secure()
    acme, beta = t.accounts["Acme"], t.accounts["Beta"]
    with t.sql("al@acme.example") as c:
        assert ids(c, "SELECT id FROM accounts") == {acme}
        assert ids(c, "SELECT account_id FROM objects") == {acme, None}
        assert ids(c, "SELECT id FROM sensors") == {t.sensors["Acme"], t.sensors["Public"]}
        for table in ("beliefs", "latest_beliefs"):
            assert ids(c, f"SELECT value FROM {table}") == {1.0, 3.0}
            assert ids(
                c, f"SELECT count(*) FROM {table} WHERE sensor_id = %s", t.sensors["Beta"]
            ) == {0}
        assert ids(c, "SELECT email FROM users") == {"ana@acme.example", "al@acme.example"}
        assert ids(c, "SELECT count(*) FROM namespaces") == {1}  # definitions are shared
        with pytest.raises(DENIED, match="permission denied"):
            c.execute("SELECT secret_hash FROM users")
        with pytest.raises(DENIED, match="permission denied"):
            c.execute("SELECT * FROM workbench_roles")
    with t.sql("bo@beta.example") as c:
        assert ids(c, "SELECT account_id FROM objects") == {beta, None}
        assert ids(c, "SELECT value FROM latest_beliefs") == {2.0, 3.0}


def test_another_tenants_rows_cannot_be_written(tenants: Tenants) -> None:
    t = tenants
    t.secure()
    before = t.owner("SELECT id, name, values::text FROM objects ORDER BY id")
    beliefs = t.owner("SELECT count(*), sum(value) FROM beliefs")
    beta_child, beta_sensor = t.objects["Beta/child"], t.sensors["Beta"]
    with t.sql("al@acme.example") as c:
        for sql in (
            f"UPDATE objects SET name = 'x' WHERE id = {beta_child}",
            f"DELETE FROM objects WHERE id = {beta_child}",
            f"UPDATE beliefs SET value = -1 WHERE sensor_id = {beta_sensor}",
            f"DELETE FROM latest_beliefs WHERE sensor_id = {beta_sensor}",
            f"UPDATE sensors SET unit = 'kW' WHERE id = {beta_sensor}",
            "UPDATE objects SET name = 'x' WHERE account_id IS NULL",  # public: admins only
        ):
            assert c.execute(sql).rowcount == 0, sql
        for sql in (
            "INSERT INTO beliefs (sensor_id, event_start, source_id, cumulative_probability, "
            f"belief_time, value, flags) VALUES ({beta_sensor}, 0, 1, 0.5, 0, 9, 0)",
            "INSERT INTO objects (name, definition_id, account_id, version, values) VALUES "
            f"('Sneaky', 1, {t.accounts['Beta']}, 1, '{{}}')",
            f"UPDATE objects SET account_id = {t.accounts['Beta']} "
            f"WHERE id = {t.objects['Acme/child']}",  # moving one's own object out
            "INSERT INTO accounts (name) VALUES ('Mine')",
        ):
            with pytest.raises(DENIED, match="row-level security"):
                c.execute(sql)
        with pytest.raises(DENIED, match="permission denied"):
            c.execute("UPDATE accounts SET consultancy_id = NULL")
    assert t.owner("SELECT id, name, values::text FROM objects ORDER BY id") == before
    assert t.owner("SELECT count(*), sum(value) FROM beliefs") == beliefs


def test_a_member_writes_their_own_rows(tenants: Tenants) -> None:
    t = tenants
    t.secure()
    acme_sensor, child = t.sensors["Acme"], t.objects["Acme/child"]
    with t.sql("al@acme.example") as c:
        assert c.execute(f"UPDATE objects SET name = 'Renamed' WHERE id = {child}").rowcount == 1
        c.execute(
            "INSERT INTO beliefs (sensor_id, event_start, source_id, cumulative_probability, "
            f"belief_time, value, flags) VALUES ({acme_sensor}, 0, 1, 0.5, 0, 9, 0)"
        )
        # deleting takes an account-admin (or a consultant): al is neither
        assert c.execute(f"DELETE FROM sensors WHERE id = {acme_sensor}").rowcount == 0
    with t.sql("ana@acme.example") as c:
        assert c.execute(f"DELETE FROM beliefs WHERE sensor_id = {acme_sensor}").rowcount == 25
    assert t.owner("SELECT name FROM objects WHERE id = :i", i=child) == [("Renamed",)]


def test_consultants_admin_readers_and_admins(tenants: Tenants) -> None:
    t = tenants
    t.secure()
    a = t.accounts
    everyone = set(a.values())
    with t.sql("cy@consult.example") as c:
        assert ids(c, "SELECT id FROM accounts") == {a["Consult"], a["Acme"]}
        assert ids(c, "SELECT value FROM beliefs") == {1.0, 3.0}
        assert (
            c.execute(
                f"UPDATE objects SET name = 'C' WHERE id = {t.objects['Acme/child']}"
            ).rowcount
            == 1
        )
        c.execute(f"INSERT INTO accounts (name, consultancy_id) VALUES ('New', {a['Consult']})")
        assert "New" in ids(c, "SELECT name FROM accounts")
    with t.sql("rita@operators.example") as c:
        assert ids(c, "SELECT id FROM accounts") >= everyone
        assert ids(c, "SELECT value FROM beliefs") == {1.0, 2.0, 3.0}
        assert c.execute("UPDATE objects SET name = name").rowcount == 0  # reads only
    with t.sql(ADMIN) as c:
        assert c.execute("UPDATE objects SET name = name").rowcount == 6
        assert ids(c, "SELECT count(*) FROM latest_beliefs") == {72}


def test_set_role_from_a_pooled_connection(tenants: Tenants) -> None:
    t = tenants
    t.secure()
    with t.ws.engine.connect() as conn:
        conn.execute(sa.text(f'SET ROLE "{t.role("bo@beta.example")}"'))
        seen = set(conn.execute(sa.text("SELECT account_id FROM objects")).scalars())
        conn.execute(sa.text("RESET ROLE"))
        conn.rollback()
    assert seen == {t.accounts["Beta"], None}


def test_users_cannot_ask_about_other_roles(tenants: Tenants) -> None:
    t = tenants
    t.secure()
    admin_role = t.role(ADMIN)
    with t.sql("al@acme.example") as c:
        assert ids(c, "SELECT workbench_user_id(%s)", admin_role) == {None}
        row = c.execute("SELECT workbench_accounts('read', %s)", (admin_role,)).fetchone()
        assert row == ([],)
        assert ids(c, "SELECT workbench_is_admin(%s)", admin_role) == {False}
        # the group alone (SET ROLE to it), like a role of another store, is nobody here
        c.execute(f'SET ROLE "{t.names.group}"')
        for table in ("objects", "sensors", "beliefs", "namespaces", "sources", "store_info"):
            assert ids(c, f"SELECT count(*) FROM {table}") == {0}, table


def test_the_sql_rules_are_the_permission_table(tenants: Tenants) -> None:
    t = tenants
    t.secure()
    actions = {
        "read": [(Action.READ, Target.OBJECT)],
        "write": [(Action.UPDATE, Target.OBJECT), (Action.CREATE, Target.OBJECT)],
        "manage": [(Action.CREATE, Target.ACCOUNT), (Action.DELETE, Target.OBJECT)],
    }
    with t.ws.engine.connect() as conn, Session(conn) as s:
        for email, user_id in t.users.items():
            principal = identity.load_principal(s, user_id)
            for action, rules in actions.items():
                found = conn.execute(
                    sa.text("SELECT workbench_accounts(:a, :r)"), {"a": action, "r": t.role(email)}
                ).scalar_one()
                for rule in rules:
                    wanted = [
                        i for i in sorted(t.accounts.values()) if permits(principal, *rule, i)
                    ]
                    assert found == wanted, (email, action, rule)


def test_definitions_are_written_by_admins_and_account_admins(tenants: Tenants) -> None:
    t = tenants
    t.secure()
    acme = t.accounts["Acme"]
    insert = (
        "INSERT INTO namespaces (name, description, ext_metadata, account_id) "
        "VALUES (%s, '', '{}', %s)"
    )
    with t.sql("al@acme.example") as c, pytest.raises(DENIED, match="row-level security"):
        c.execute(insert, ("ByMember", acme))
    with t.sql("ana@acme.example") as c, pytest.raises(DENIED, match="row-level security"):
        c.execute(insert, ("SharedByAccountAdmin", None))  # shared definitions: admins only
    with t.sql("ana@acme.example") as c:
        c.execute(insert, ("ByAccountAdmin", acme))
    assert t.owner("SELECT name FROM namespaces ORDER BY id") == [("Grid",), ("ByAccountAdmin",)]


def test_a_definition_of_another_account_is_invisible(tenants: Tenants) -> None:
    t = tenants
    md = t.ws.create_model_definition("BetaOnly", account="Beta")
    md.create_object_definition("Secret").add_attribute("Level", "double")
    t.secure()
    tables = ("namespaces", "object_definitions", "attribute_definitions")
    with t.sql("al@acme.example") as c:
        for table in tables:
            assert ids(
                c, f"SELECT count(*) FROM {table} WHERE name IN ('BetaOnly', 'Secret', 'Level')"
            ) == {0}
        done = c.execute("UPDATE object_definitions SET name = 'Taken' WHERE name = 'Secret'")
        assert done.rowcount == 0
    with t.sql("bo@beta.example") as c:
        assert ids(c, "SELECT name FROM namespaces WHERE parent_id IS NULL") == {
            "Grid",
            "BetaOnly",
        }
        assert ids(c, "SELECT name FROM attribute_definitions WHERE name = 'Level'") == {"Level"}


def test_account_admins_manage_their_users_but_never_admins(tenants: Tenants) -> None:
    t = tenants
    t.secure()
    acme = t.accounts["Acme"]
    add = "INSERT INTO users (account_id, email, secret_hash, roles) VALUES (%s, %s, 'x', %s)"
    with t.sql("ana@acme.example") as c:
        c.execute(add, (acme, "new@acme.example", '["consultant"]'))
        with pytest.raises(DENIED, match="row-level security"):
            c.execute(add, (acme, "boss@acme.example", '["admin"]'))
        with pytest.raises(DENIED, match="row-level security"):
            c.execute(add, (t.accounts["Beta"], "spy@beta.example", "[]"))
        with pytest.raises(DENIED, match="row-level security"):
            c.execute(
                "UPDATE users SET roles = '[\"admin-reader\"]' WHERE email = 'al@acme.example'"
            )
    with t.sql("al@acme.example") as c:  # not an account-admin
        assert c.execute("DELETE FROM users WHERE email = 'new@acme.example'").rowcount == 0
    assert t.owner("SELECT count(*) FROM users WHERE email = 'new@acme.example'") == [(1,)]


# -- roles follow the store -------------------------------------------------------------------


def test_roles_and_revocations_count_at_once(tenants: Tenants) -> None:
    t = tenants
    t.secure()
    with t.sql("cy@consult.example") as c:
        assert t.accounts["Acme"] in ids(c, "SELECT account_id FROM objects")
        acc.set_roles(t.ws, "cy@consult.example", [])
        assert ids(c, "SELECT account_id FROM objects") == {None}
    with t.sql("bo@beta.example") as c:
        acc.delete_user(t.ws, "bo@beta.example")
        # before secure runs again, the role is nobody: not even public rows
        assert ids(c, "SELECT count(*) FROM objects") == {0}
        assert ids(c, "SELECT count(*) FROM accounts") == {0}


def test_securing_again_adds_and_retires_roles(tenants: Tenants) -> None:
    t = tenants
    first = t.secure()
    assert set(first.roles_created) == {t.role(e) for e in t.users}
    assert first.closed == () and sum(first.policies.values()) > 40
    again = t.secure()
    assert again.roles_created == {} and set(again.roles_kept) == set(first.roles_created)
    assert again.policies == first.policies
    new = acc.add_user(t.ws, "dee@beta.example", "Beta", PASSWORD)
    gone = t.role("bo@beta.example")
    acc.delete_user(t.ws, "bo@beta.example")
    third = t.secure()
    assert third.roles_created == {t.names.user_role(new.id): "dee@beta.example"}
    assert third.roles_dropped == (gone,)
    assert t.owner("SELECT count(*) FROM pg_roles WHERE rolname = :r", r=gone) == [(0,)]
    assert any("dee@beta.example" in line for line in third.lines())


def test_a_retired_role_that_holds_privileges_elsewhere_is_disabled(tenants: Tenants) -> None:
    t = tenants
    t.secure()
    role = t.role("bo@beta.example")
    t.owner(f'GRANT USAGE ON SCHEMA public TO "{role}"')  # DROP ROLE now fails
    acc.delete_user(t.ws, "bo@beta.example")
    report = t.secure()
    assert report.roles_disabled == (role,) and report.roles_dropped == ()
    login, groups = t.owner(
        "SELECT r.rolcanlogin, count(m.roleid) FROM pg_roles r LEFT JOIN pg_auth_members m "
        "ON m.member = r.oid WHERE r.rolname = :r GROUP BY r.rolcanlogin",
        r=role,
    )[0]
    assert (login, groups) == (False, 0)
    assert any(f"disabled (they hold things elsewhere) {role}" in line for line in report.lines())


def test_passwords_are_stored_hashed(tenants: Tenants) -> None:
    t = tenants
    report = secure_store(
        t.ws,
        group=t.names.group,
        prefix=t.names.prefix,
        passwords={"al@acme.example": "a database password"},
    )
    role = t.role("al@acme.example")
    assert report.passwords_set == (role,)
    (stored,) = t.owner("SELECT rolpassword FROM pg_authid WHERE rolname = :r", r=role)
    assert stored[0].startswith("SCRAM-SHA-256$") and "a database password" not in stored[0]
    assert not any("a database password" in line for line in report.lines())


def test_the_library_still_works_on_a_secured_store(tenants: Tenants) -> None:
    t = tenants
    t.secure()
    role = t.role("al@acme.example")  # a user's own database role may read the revision
    assert t.owner(f"SELECT has_table_privilege('{role}', 'alembic_version', 'SELECT')") == [
        (True,)
    ]
    al = wb.connect(t.url, user="al@acme.example", secret=PASSWORD)
    try:
        plant = al.get(t.objects["Acme/child"])
        sensor = plant.sensors()[0]
        add_beliefs(sensor, 5.0, n=48)
        ds = sensor.beliefs(most_recent=True, probabilistic=False)
        assert ds["value"].values.ravel().tolist() == [5.0] * 48
        assert [m.name for m in al.models()] == ["MAcme", "MPublic"]
    finally:
        al.engine.dispose()


# -- refusals -------------------------------------------------------------------------------


def _roles_like(t: Tenants) -> list[tuple[Any, ...]]:
    return t.owner(
        "SELECT rolname FROM pg_roles WHERE starts_with(rolname, :p)", p=t.names.group.split("_")[0]
    )


def test_only_admins_secure_a_store(tenants: Tenants) -> None:
    t = tenants
    ana = wb.connect(t.url, user="ana@acme.example", secret=PASSWORD)
    try:
        with pytest.raises(AccessDenied, match="ana@acme.example may not secure the store"):
            secure_store(ana, group=t.names.group, prefix=t.names.prefix)
    finally:
        ana.engine.dispose()
    assert _roles_like(t) == []


def test_a_role_of_another_store_is_never_taken_over(tenants: Tenants) -> None:
    t = tenants
    taken = t.role("bo@beta.example")
    t.owner(f'CREATE ROLE "{taken}"')
    with pytest.raises(InvalidValue, match=f"role '{taken}' exists but is not this store's"):
        t.secure()
    assert _roles_like(t) == [(taken,)]  # all or nothing: not even the group was made
    assert t.owner("SELECT count(*) FROM pg_policies WHERE policyname LIKE 'workbench%'") == [(0,)]


@pytest.mark.parametrize(
    ("group", "prefix", "message"),
    [
        ("Users", "wb_u", "group role 'Users' must be"),
        ("g", "wb-u", "role prefix 'wb-u' must be"),
        ("wb_u12", "wb_u", "looks like a user role"),
    ],
)
def test_role_names_are_checked(group: str, prefix: str, message: str) -> None:
    with pytest.raises(InvalidValue, match=message):
        RoleNames(group, prefix)


def test_sqlite_stores_are_refused(sqlite_ws: wb.Workspace) -> None:
    with pytest.raises(StoreError, match="row-level security needs a PostgreSQL store"):
        secure_store(sqlite_ws)


def test_every_table_has_a_policy() -> None:
    missing = sorted(t.name for t in Base.metadata.sorted_tables if t.name not in POLICIES)
    assert missing == [], f"add a policy for {missing} to workbench/store/security.py POLICIES"


# -- the command line -------------------------------------------------------------------------


def _cli(url: str, *args: str, **kw: Any) -> Result:
    env = {"WORKBENCH_URL": url, "WORKBENCH_USER": ADMIN, "WORKBENCH_SECRET": SECRET}
    return CliRunner().invoke(app, list(args), env=env, **kw)


def test_cli_db_secure(tenants: Tenants) -> None:
    t = tenants
    url = sa.make_url(t.url).set(password="hidden-pw").render_as_string(hide_password=False)
    names = ["--group", t.names.group, "--prefix", t.names.prefix]
    done = _cli(
        url,
        "db",
        "secure",
        *names,
        "--password-for",
        "al@acme.example",
        input="a database password\na database password\n",
    )
    assert done.exit_code == 0, done.output
    assert "Secured the store at postgresql+psycopg://postgres:***@" in done.stdout
    assert "hidden-pw" not in done.stdout and "a database password" not in done.stdout
    assert f"{t.role('al@acme.example')} (al@acme.example)" in done.stdout
    assert f"passwords set for: {t.role('al@acme.example')}" in done.stdout
    assert "runs again" in done.stdout
    again = _cli(url, "db", "secure", *names)
    assert again.exit_code == 0 and "roles created: none" in again.stdout


def test_cli_db_secure_refuses_sqlite(sqlite_url: str) -> None:
    wb.init_store(sqlite_url, admin=ADMIN, secret=SECRET).engine.dispose()
    refused = _cli(sqlite_url, "db", "secure")
    assert refused.exit_code == 1
    assert "row-level security needs a PostgreSQL store" in refused.stderr
