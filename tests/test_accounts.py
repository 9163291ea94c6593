"""Accounts and users: creating, listing, roles with their care rules, secrets, deleting."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from conftest import ADMIN, SECRET, build_definition
from typer.testing import CliRunner, Result

import workbench as wb
from workbench.api import accounts as acc
from workbench.cli import app
from workbench.store.timeseries import SourceRow

PASSWORD = "another long secret"


_OPENED: list[wb.Workspace] = []


def _user(ws: wb.Workspace, email: str, account: str, roles: Iterable[str] = ()) -> wb.Workspace:
    """Add a user and open a workspace as them (closed after the test)."""
    acc.add_user(ws, email, account, PASSWORD, list(roles))
    url = ws.engine.url.render_as_string(hide_password=False)
    _OPENED.append(wb.connect(url, user=email, secret=PASSWORD))
    return _OPENED[-1]


@pytest.fixture(autouse=True)
def _close_workspaces(cheap_hashes: None) -> Iterator[None]:
    yield
    while _OPENED:
        _OPENED.pop().engine.dispose()


@pytest.fixture
def tenants(ws: wb.Workspace) -> wb.Workspace:
    """Consultancy with its client Client, Other consultancy with Other client; a small model."""
    acc.create_account(ws, "Consultancy")
    acc.create_account(ws, "Other consultancy")
    acc.create_account(ws, "Client", consultancy="Consultancy")
    acc.create_account(ws, "Other client", consultancy="Other consultancy")
    build_definition(ws)  # Grid: System owns Plants
    return ws


def _names(items: Iterable[acc.AccountInfo | acc.UserInfo]) -> list[str]:
    return [str(i) for i in items]


def _rows(ws: wb.Workspace, table: str) -> list[tuple[object, ...]]:
    with ws.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))]


# -- accounts ---------------------------------------------------------------------------------


def test_accounts_by_name_id_and_handle(tenants: wb.Workspace) -> None:
    ws = tenants
    client = acc.get_account(ws, "Client")
    assert client.consultancy == "Consultancy"
    assert acc.get_account(ws, client.id) == acc.get_account(ws, client) == client
    assert _names(acc.list_accounts(ws)) == [
        "Client", "Consultancy", "Operators", "Other client", "Other consultancy"
    ]  # fmt: skip
    with pytest.raises(wb.NotFound, match="account not found: 'Nobody'; list_accounts"):
        acc.get_account(ws, "Nobody")
    with pytest.raises(wb.InvalidValue, match="name an account by name"):
        acc.get_account(ws, 2.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Client", "an account named 'Client' already exists"),
        ("", "must be a non-empty string"),
        (" Client", "no leading or trailing white space"),
        ("Tab\there", "no control characters"),
        (7, "must be a non-empty string, got 7"),
    ],
)
def test_account_names_are_checked(tenants: wb.Workspace, name: object, message: str) -> None:
    before = _rows(tenants, "accounts")
    with pytest.raises(wb.InvalidValue, match=message):
        acc.create_account(tenants, name)  # type: ignore[arg-type]
    assert _rows(tenants, "accounts") == before


def test_models_belong_to_an_account_and_children_inherit_it(tenants: wb.Workspace) -> None:
    model = tenants.create_model("Net", "Grid", "System", account="Client")
    plant = model.add_child("To_Plants", "P", "Plant")
    assert model.account_id == plant.account_id == acc.get_account(tenants, "Client").id
    with pytest.raises(wb.NotFound, match="account not found: 'Nobody'"):
        tenants.create_model("Net2", "Grid", "System", account="Nobody")


def test_a_consultancy_creates_client_accounts(tenants: wb.Workspace) -> None:
    adviser = _user(tenants, "adviser@consultancy.example", "Consultancy", ["consultant"])
    clerk = _user(tenants, "clerk@consultancy.example", "Consultancy")
    new = acc.create_account(adviser, "New client", consultancy="Consultancy")
    assert new.consultancy == "Consultancy"
    # visible at once, without reconnecting, and the consultant may work in it
    assert _names(acc.list_accounts(adviser)) == ["Client", "Consultancy", "New client"]
    adviser.create_model("NewNet", "Grid", "System", account=new)
    before = _rows(tenants, "accounts")
    with pytest.raises(wb.AccessDenied, match="may not create account 'Own'; allowed: admins"):
        acc.create_account(adviser, "Own")
    with pytest.raises(wb.NotFound, match="account not found: 'Other consultancy'"):
        acc.create_account(adviser, "Theirs", consultancy="Other consultancy")
    with pytest.raises(wb.AccessDenied, match="as a client of 'Consultancy'"):
        acc.create_account(clerk, "Sneaky", consultancy="Consultancy")
    assert _rows(tenants, "accounts") == before


def test_renaming_and_deleting_accounts(tenants: wb.Workspace) -> None:
    ws = tenants
    member = _user(ws, "member@client.example", "Client")
    assert acc.rename_account(member, "Client", "Client Ltd").name == "Client Ltd"
    with pytest.raises(wb.InvalidValue, match="an account named 'Consultancy' already exists"):
        acc.rename_account(ws, "Client Ltd", "Consultancy")
    ws.create_model("Net", "Grid", "System", account="Client Ltd")
    with pytest.raises(wb.InvalidValue, match=r"'Client Ltd' still owns 1 model\(s\)"):
        acc.delete_account(ws, "Client Ltd")
    ws.object("Model/Net").delete()
    with pytest.raises(wb.AccessDenied, match="may not delete account 'Client Ltd'; allowed: adm"):
        acc.delete_account(member, "Client Ltd")
    acc.delete_account(ws, "Client Ltd")
    assert "member@client.example" not in _names(acc.list_users(ws))
    # a deleted consultancy's clients stay, with no consultancy
    acc.delete_account(ws, "Other consultancy")
    assert acc.get_account(ws, "Other client").consultancy is None
    with pytest.raises(wb.InvalidValue, match="without an admin"):
        acc.delete_account(ws, "Operators")


# -- users and roles --------------------------------------------------------------------------


def test_who_sees_which_users(tenants: wb.Workspace) -> None:
    ws = tenants
    member = _user(ws, "member@client.example", "Client")
    adviser = _user(ws, "adviser@consultancy.example", "Consultancy", ["consultant"])
    reader = _user(ws, "reader@operators.example", "Operators", ["admin-reader"])
    everyone = [ADMIN, "adviser@consultancy.example", "member@client.example",
                "reader@operators.example"]  # fmt: skip
    assert _names(acc.list_users(member)) == ["member@client.example"]
    assert _names(acc.list_users(adviser)) == everyone[1:3]
    assert _names(acc.list_users(reader)) == sorted(everyone)
    assert _names(acc.list_users(reader, "Client")) == ["member@client.example"]
    with pytest.raises(wb.NotFound, match="user not found: 'reader@operators.example'"):
        acc.get_user(member, "reader@operators.example")
    info = acc.get_user(ws, "adviser@consultancy.example")
    assert (info.account, [r.value for r in info.roles]) == ("Consultancy", ["consultant"])
    assert not hasattr(info, "secret_hash")


def test_adding_users_follows_the_care_rules(tenants: wb.Workspace) -> None:
    ws = tenants
    boss = _user(ws, "boss@client.example", "Client", ["account-admin"])
    member = _user(ws, "member@client.example", "Client")
    adviser = _user(ws, "adviser@consultancy.example", "Consultancy", ["consultant"])
    reader = _user(ws, "reader@operators.example", "Operators", ["admin-reader"])
    both = ["account-admin", "consultant"]
    assert [
        r.value for r in acc.add_user(boss, "a@client.example", "Client", PASSWORD, both).roles
    ] == both
    acc.add_user(adviser, "b@client.example", "Client", PASSWORD, ["account-admin"])
    before = _rows(ws, "users")
    with pytest.raises(wb.AccessDenied, match="may not grant admin-reader to 'c@client.example'"):
        acc.add_user(boss, "c@client.example", "Client", PASSWORD, ["admin-reader"])
    with pytest.raises(wb.AccessDenied, match="may not grant admin to"):
        acc.add_user(boss, "c@client.example", "Client", PASSWORD, ["admin"])
    with pytest.raises(wb.AccessDenied, match="may not manage the users of account 'Client'"):
        acc.add_user(member, "c@client.example", "Client", PASSWORD)
    with pytest.raises(wb.AccessDenied, match="may not manage the users of account 'Client'"):
        acc.add_user(reader, "c@client.example", "Client", PASSWORD)
    with pytest.raises(wb.NotFound, match="account not found: 'Other client'"):
        acc.add_user(boss, "c@other.example", "Other client", PASSWORD)
    assert _rows(ws, "users") == before
    acc.add_user(ws, "second@operators.example", "Operators", PASSWORD, ["admin"])


@pytest.mark.parametrize(
    ("email", "secret", "roles", "message"),
    [
        ("not an address", PASSWORD, [], "e-mail address such as 'ana@acme.example'"),
        (ADMIN, PASSWORD, [], f"a user with the e-mail address '{ADMIN}' already exists"),
        ("d@client.example", "short", [], "at least 8 characters; the one given has 5"),
        ("d@client.example", PASSWORD, ["boss"], "role 'boss' is not known; accepted: admin, "),
        ("d@client.example", PASSWORD, "consultant", "a list of role names, got the string"),
    ],
)
def test_user_values_are_checked(
    tenants: wb.Workspace, email: str, secret: str, roles: list[str], message: str
) -> None:
    before = _rows(tenants, "users")
    with pytest.raises(wb.InvalidValue, match=message) as refused:
        acc.add_user(tenants, email, "Client", secret, roles)
    assert "short" not in str(refused.value)  # a secret is never repeated
    assert _rows(tenants, "users") == before


def test_set_roles_follows_the_care_rules(tenants: wb.Workspace) -> None:
    ws = tenants
    boss = _user(ws, "boss@client.example", "Client", ["account-admin"])
    acc.add_user(ws, "member@client.example", "Client", PASSWORD)
    ops_boss = _user(ws, "boss@operators.example", "Operators", ["account-admin"])
    roles = acc.set_roles(boss, "member@client.example", ["consultant", "account-admin"]).roles
    assert [r.value for r in roles] == ["account-admin", "consultant"]
    assert acc.set_roles(boss, "member@client.example", []).roles == ()
    before = _rows(ws, "users")
    with pytest.raises(wb.AccessDenied, match="only admins grant admin and admin-reader"):
        acc.set_roles(boss, "member@client.example", ["admin-reader"])
    with pytest.raises(wb.AccessDenied, match=f"may not manage user '{ADMIN}', who holds admin"):
        acc.set_roles(ops_boss, ADMIN, ["admin", "account-admin"])
    with pytest.raises(wb.InvalidValue, match="without an admin"):
        acc.set_roles(ws, ADMIN, [])
    assert _rows(ws, "users") == before
    acc.set_roles(ws, "member@client.example", ["admin-reader"])
    acc.set_roles(ws, "boss@operators.example", ["admin"])
    assert acc.set_roles(ws, ADMIN, []).roles == ()  # another admin is left


def test_roles_count_without_reconnecting(tenants: wb.Workspace) -> None:
    ws = tenants
    model = ws.create_model("Net", "Grid", "System", account="Client")
    member = _user(ws, "member@client.example", "Client")
    plant = member.object("Model/Net").add_child("To_Plants", "P", "Plant")
    with pytest.raises(wb.AccessDenied, match="may not delete Model/Net.To_Plants/P"):
        plant.delete()
    acc.set_roles(ws, "member@client.example", ["account-admin"])
    plant.delete()
    acc.set_roles(ws, "member@client.example", [])
    model.add_child("To_Plants", "Q", "Plant")
    with pytest.raises(wb.AccessDenied):
        member.object("Model/Net/Q").delete()
    acc.delete_user(ws, "member@client.example")
    with pytest.raises(wb.AccessDenied, match="no longer exists"):
        member.models()


def test_deleting_users_keeps_their_sources(tenants: wb.Workspace) -> None:
    ws = tenants
    boss = _user(ws, "boss@operators.example", "Operators", ["account-admin"])
    user = acc.add_user(ws, "meter@client.example", "Client", PASSWORD)
    with ws.transaction() as s:
        s.add(SourceRow(name="meter 1", type="meter", user_id=user.id, account_id=user.account_id))
    acc.delete_user(ws, user)
    assert [(r.name, r.user_id) for r in ws_sources(ws)] == [("meter 1", None)]
    with pytest.raises(wb.NotFound, match="user not found: 'meter@client.example'"):
        acc.get_user(ws, "meter@client.example")
    before = _rows(ws, "users")
    with pytest.raises(wb.AccessDenied, match="who holds admin; allowed: admins only"):
        acc.delete_user(boss, ADMIN)
    with pytest.raises(wb.InvalidValue, match="without an admin"):
        acc.delete_user(ws, ADMIN)
    assert _rows(ws, "users") == before


def ws_sources(ws: wb.Workspace) -> list[SourceRow]:
    with ws.transaction() as s:
        return list(s.scalars(sa.select(SourceRow)))


def test_changing_secrets(tenants: wb.Workspace) -> None:
    ws = tenants
    url = ws.engine.url.render_as_string(hide_password=False)
    boss = _user(ws, "boss@operators.example", "Operators", ["account-admin"])
    member = _user(ws, "member@operators.example", "Operators")
    acc.change_secret(member, "member@operators.example", "my own new secret")
    wb.connect(url, user="member@operators.example", secret="my own new secret").engine.dispose()
    with pytest.raises(wb.AccessDenied, match="unknown or the secret does not match"):
        wb.connect(url, user="member@operators.example", secret=PASSWORD)
    acc.change_secret(boss, "member@operators.example", "reset by the boss")
    stored = dict((r[2], r[3]) for r in _rows(ws, "users"))["member@operators.example"]
    assert stored.startswith("$argon2id$") and PasswordHasher().verify(stored, "reset by the boss")
    before = _rows(ws, "users")
    with pytest.raises(wb.AccessDenied, match=f"may not manage user '{ADMIN}'"):
        acc.change_secret(boss, ADMIN, "taking over the admin")
    with pytest.raises(wb.AccessDenied, match="may not manage the users of account 'Operators'"):
        acc.change_secret(member, "boss@operators.example", "taking over the boss")
    with pytest.raises(wb.InvalidValue, match="at least 8 characters") as short:
        acc.change_secret(member, "member@operators.example", "tiny")
    assert "tiny" not in str(short.value)
    assert _rows(ws, "users") == before
    wb.connect(url, user=ADMIN, secret=SECRET).engine.dispose()


# -- the command line -------------------------------------------------------------------------


def _cli(url: str, *args: str, user: str = ADMIN, secret: str = SECRET, **kw: Any) -> Result:
    env = {"WORKBENCH_URL": url, "WORKBENCH_USER": user, "WORKBENCH_SECRET": secret}
    return CliRunner().invoke(app, list(args), env={**env, **kw.pop("env", {})}, **kw)


def test_cli_accounts_and_users(ws: wb.Workspace) -> None:
    url = ws.engine.url.render_as_string(hide_password=False)
    added = _cli(url, "accounts", "add", "Consultancy")
    assert added.exit_code == 0 and "Added the account Consultancy (id 2)." in added.stdout
    added = _cli(url, "accounts", "add", "Client", "--consultancy", "Consultancy")
    assert "(id 3, a client of Consultancy)" in added.stdout
    listed = _cli(url, "accounts", "list").stdout
    assert [line.split()[:2] for line in listed.splitlines()[1:]] == [
        ["3", "Client"], ["2", "Consultancy"], ["1", "Operators"]
    ]  # fmt: skip
    assert listed.splitlines()[1].split() == ["3", "Client", "Consultancy"]
    new = _cli(url, "users", "add", "boss@client.example", "--account", "Client",
               "--role", "account-admin", input=f"{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    assert new.exit_code == 0, new.output
    assert (
        "Added the user boss@client.example to Client with the roles account-admin." in new.stdout
    )
    assert PASSWORD not in new.stdout
    boss = {"user": "boss@client.example", "secret": PASSWORD}
    member = _cli(url, "users", "add", "member@client.example", "--account", "Client",
                  env={"WORKBENCH_NEW_SECRET": PASSWORD}, **boss)  # fmt: skip
    assert member.exit_code == 0, member.output
    roles = _cli(url, "users", "set-roles", "member@client.example", "consultant", **boss)
    assert "member@client.example now has the roles consultant." in roles.stdout
    users = _cli(url, "users", "list", "--account", "Client", **boss).stdout.splitlines()
    assert [u.split() for u in users[1:]] == [
        ["boss@client.example", "Client", "account-admin"],
        ["member@client.example", "Client", "consultant"],
    ]
    assert "no roles" in _cli(url, "users", "set-roles", "member@client.example", **boss).stdout
    denied = _cli(url, "users", "set-roles", "member@client.example", "admin", **boss)
    assert denied.exit_code == 1 and denied.stderr.startswith("error: ")
    assert "only admins grant admin and admin-reader" in denied.stderr
    assert "Traceback" not in denied.output
    hidden = _cli(url, "users", "list", "--account", "Operators", **boss)
    assert hidden.exit_code == 1 and "account not found: 'Operators'" in hidden.stderr
    bad = _cli(url, "users", "set-roles", "member@client.example", "boss", **boss)
    assert "role 'boss' is not known; accepted: admin, admin-reader" in bad.stderr
