"""The permission table of issue 3, cell by cell, for every kind of user, on SQLite and PostgreSQL.

One store per backend holds the tenants (built once per module: Argon2 is slow on purpose):

- Operators: the first admin and an admin-reader;
- Consultancy: a consultant and a member without roles; Client's consultancy;
- Client: an account-admin and a member; the account the table is checked on;
- Other consultancy: a consultant (of Other client, not of Client);
- Other client: a member.

Each test makes the objects it acts on, so allowed deletions never disturb another test. A refused
call must raise AccessDenied (or NotFound, for a tenant who may not even see the target) and leave
every table exactly as it was.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from conftest import ADMIN, SECRET, attr, build_definition, owns, plants, postgres_schema

import workbench as wb
from workbench.access import Action, Principal, Role, Target, permits
from workbench.api import accounts as acc
from workbench.store import Base

KINDS = (
    "admin",
    "admin-reader",
    "account-admin",
    "member",
    "consultant",
    "other-consultant",
    "other-member",
    "consultancy-member",
)
USERS = {  # kind -> (e-mail, account, roles); the admin comes from init_store
    "admin-reader": ("reader@operators.example", "Operators", ["admin-reader"]),
    "account-admin": ("boss@client.example", "Client", ["account-admin"]),
    "member": ("member@client.example", "Client", []),
    "consultant": ("adviser@consultancy.example", "Consultancy", ["consultant"]),
    "other-consultant": ("adviser@other.example", "Other consultancy", ["consultant"]),
    "other-member": ("member@other.example", "Other client", []),
    "consultancy-member": ("clerk@consultancy.example", "Consultancy", []),
}
USER_SECRET = "a fairly long secret"

# The table of issue 3, for the account "Client", an object it owns and a public object.
READERS = {"admin", "admin-reader", "account-admin", "member", "consultant"}
WRITERS = {"admin", "account-admin", "member", "consultant"}
TABLE: dict[tuple[str, str], set[str]] = {
    ("account", "read"): READERS,
    ("account", "update"): WRITERS,
    ("account", "create"): {"admin", "account-admin", "consultant"},
    ("account", "delete"): {"admin"},
    ("owned", "read"): READERS,
    ("owned", "update"): WRITERS,
    ("owned", "create"): WRITERS,
    ("owned", "delete"): {"admin", "account-admin", "consultant"},
    ("public", "read"): set(KINDS),
    ("public", "update"): {"admin"},
    ("public", "create"): {"admin"},
    ("public", "delete"): {"admin"},
}
CELLS = [(t, a, k) for (t, a), k in itertools.product(TABLE, KINDS)]


@dataclass
class World:
    url: str
    ws: dict[str, wb.Workspace] = field(default_factory=dict)
    client: acc.AccountInfo | None = None

    @property
    def admin(self) -> wb.Workspace:
        return self.ws["admin"]

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, to prove that a refused call changed nothing."""
        with self.admin.engine.connect() as conn:
            return {
                t.name: [tuple(r) for r in conn.execute(sa.select(t).order_by(*t.primary_key))]
                for t in Base.metadata.sorted_tables
            }


def _build(url: str) -> World:
    world = World(url)
    admin = wb.init_store(url, admin=ADMIN, secret=SECRET)
    world.ws["admin"] = admin
    consultancy = acc.create_account(admin, "Consultancy")
    other = acc.create_account(admin, "Other consultancy")
    world.client = acc.create_account(admin, "Client", consultancy=consultancy)
    acc.create_account(admin, "Other client", consultancy=other)
    for kind, (email, account, roles) in USERS.items():
        acc.add_user(admin, email, account, USER_SECRET, roles)
        world.ws[kind] = wb.connect(url, user=email, secret=USER_SECRET)
    plant = {
        "Power": attr("double", unit="MW"),
        "To_Units": owns("Plant"),
        "Peers": attr("link_many", target="Plant"),
    }
    build_definition(admin, "Grid", plants(plant))
    return world


@contextmanager
def _store_url(backend: str, tmp: pytest.TempPathFactory) -> Iterator[str]:
    """An empty store for the module: a SQLite file, or a PostgreSQL schema dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp.mktemp('access')}/workbench.db"
        return
    with postgres_schema() as url:
        yield url


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    with _store_url(request.param, tmp_path_factory) as url:
        built = _build(url)
        try:
            yield built
        finally:
            for ws in built.ws.values():
                ws.engine.dispose()


def _fresh_model(world: World, public: bool) -> str:
    """A model (in Client, or public) with one plant; returns the plant's path."""
    name = f"M{uuid.uuid4().hex[:8]}"
    model = world.admin.create_model(name, "Grid", "System", account=None if public else "Client")
    model.add_child("To_Plants", "P", "Plant")["Power"] = 1.0
    return f"Model/{name}/P"


def _handle(world: World, kind: str, path: str) -> wb.Object:
    """The actor's handle on ``path``: looked up if the actor may see it, else handed over."""
    actor = world.ws[kind]
    try:
        return actor.object(path)
    except wb.NotFound:
        return wb.Object(actor, world.admin.object(path).info)


# -- one function per action and kind of target: do it, and return a check of its effect ----


def _object_read(world: World, kind: str, path: str) -> Callable[[], None]:
    actor = world.ws[kind]
    obj = actor.object(path)
    model = path.split("/")[1]
    assert obj.name == "P" and obj["Power"] == 1.0
    assert model in [m.name for m in actor.models()]
    assert [c.name for c in actor.object(f"Model/{model}").children()] == ["P"]
    assert [o.full_name for o in actor.search(f"Model/{model}", "{*}[.Type=Plant]")] == [
        obj.full_name
    ]
    return lambda: None


def _object_read_denied(world: World, kind: str, path: str) -> None:
    actor = world.ws[kind]
    model = path.split("/")[1]
    obj_id = world.admin.object(path).id
    for key in (path, f"Model/{model}", obj_id, f"{path}.Power"):
        with pytest.raises(wb.NotFound):
            actor.get(key)
    assert model not in [m.name for m in actor.models()]
    with pytest.raises(wb.NotFound):
        actor.search(f"Model/{model}", "{*}")


def _object_update(world: World, kind: str, path: str) -> Callable[[], None]:
    _handle(world, kind, path)["Power"] = 42.0

    def effect() -> None:
        assert world.admin.object(path)["Power"] == 42.0

    return effect


def _object_create(world: World, kind: str, path: str) -> Callable[[], None]:
    _handle(world, kind, path).add_child("To_Units", "U", "Plant")

    def effect() -> None:
        assert [c.name for c in world.admin.object(path).children()] == ["U"]

    return effect


def _object_delete(world: World, kind: str, path: str) -> Callable[[], None]:
    _handle(world, kind, path).delete()

    def effect() -> None:
        with pytest.raises(wb.NotFound):
            world.admin.get(path)

    return effect


def _account_read(world: World, kind: str) -> Callable[[], None]:
    actor = world.ws[kind]
    assert acc.get_account(actor, "Client").consultancy == "Consultancy"
    assert "Client" in [a.name for a in acc.list_accounts(actor)]
    assert "member@client.example" in [u.email for u in acc.list_users(actor, "Client")]
    return lambda: None


def _account_read_denied(world: World, kind: str) -> None:
    actor = world.ws[kind]
    assert world.client is not None
    for key in ("Client", world.client.id):
        with pytest.raises(wb.NotFound):
            acc.get_account(actor, key)
        with pytest.raises(wb.NotFound):
            acc.list_users(actor, key)
    assert "Client" not in [a.name for a in acc.list_accounts(actor)]
    assert "member@client.example" not in [u.email for u in acc.list_users(actor)]


def _account_update(world: World, kind: str) -> Callable[[], None]:
    acc.rename_account(world.ws[kind], "Client", "Client renamed")

    def effect() -> None:
        assert acc.get_account(world.admin, world.client or 0).name == "Client renamed"
        acc.rename_account(world.admin, "Client renamed", "Client")

    return effect


def _account_create(world: World, kind: str) -> Callable[[], None]:
    name = f"N{uuid.uuid4().hex[:8]}"
    world.ws[kind].create_model(name, "Grid", "System", account=world.client)

    def effect() -> None:
        assert world.admin.object(f"Model/{name}").account_id == (world.client or 0).id

    return effect


def _account_delete(world: World, kind: str) -> Callable[[], None]:
    if kind in TABLE["account", "delete"]:  # allowed: delete a fresh client of Consultancy
        name = f"Doomed {uuid.uuid4().hex[:8]}"
        acc.create_account(world.admin, name, consultancy="Consultancy")
    else:  # refused: try it on Client itself
        name = "Client"
    acc.delete_account(world.ws[kind], name)

    def effect() -> None:
        assert name not in [a.name for a in acc.list_accounts(world.admin)]

    return effect


@pytest.mark.parametrize(("target", "action", "kind"), CELLS)
def test_permission_table(world: World, target: str, action: str, kind: str) -> None:
    allowed = kind in TABLE[target, action]
    path = "" if target == "account" else _fresh_model(world, public=target == "public")
    do: Callable[[], Callable[[], None]]
    if target == "account":
        do = {
            "read": lambda: _account_read(world, kind),
            "update": lambda: _account_update(world, kind),
            "create": lambda: _account_create(world, kind),
            "delete": lambda: _account_delete(world, kind),
        }[action]
    else:
        do = {
            "read": lambda: _object_read(world, kind, path),
            "update": lambda: _object_update(world, kind, path),
            "create": lambda: _object_create(world, kind, path),
            "delete": lambda: _object_delete(world, kind, path),
        }[action]
    if allowed:
        do()()
        return
    before = world.snapshot()
    if action == "read":
        (_account_read_denied if target == "account" else _object_read_denied)(
            world, kind, *([path] if path else [])
        )
    else:
        with pytest.raises((wb.AccessDenied, wb.NotFound)) as refused:
            do()
        if kind in TABLE[target, "read"]:  # who may see the target is told why it is refused
            assert refused.type is wb.AccessDenied
            assert "may not" in str(refused.value) and "allowed:" in str(refused.value)
    assert world.snapshot() == before


PRINCIPALS = {  # the same users as pure principals: Operators 1, Consultancy 2, Client 3, ...
    "admin": Principal(1, "admin", 1, frozenset({Role.ADMIN})),
    "admin-reader": Principal(2, "reader", 1, frozenset({Role.ADMIN_READER})),
    "account-admin": Principal(3, "boss", 3, frozenset({Role.ACCOUNT_ADMIN})),
    "member": Principal(4, "member", 3),
    "consultant": Principal(5, "adviser", 2, frozenset({Role.CONSULTANT}), frozenset({3})),
    "other-consultant": Principal(6, "other", 4, frozenset({Role.CONSULTANT}), frozenset({5})),
    "other-member": Principal(7, "member", 5),
    "consultancy-member": Principal(8, "clerk", 2, frozenset(), frozenset({3})),
}
ACTIONS = {"read": Action.READ, "update": Action.UPDATE, "create": Action.CREATE,
           "delete": Action.DELETE}  # fmt: skip


@pytest.mark.parametrize(("target", "action", "kind"), CELLS)
def test_permits_is_the_table(target: str, action: str, kind: str) -> None:
    kind_of_target = Target.ACCOUNT if target == "account" else Target.OBJECT
    account = None if target == "public" else 3
    got = permits(PRINCIPALS[kind], ACTIONS[action], kind_of_target, account)
    assert got is (kind in TABLE[target, action])


# -- tenants stay hidden ----------------------------------------------------------------------


def _refusal(actor: wb.Workspace, key: str | int) -> str:
    with pytest.raises(wb.NotFound) as refused:
        actor.get(key)
    shown = key if isinstance(key, int) else key.removesuffix(".Power")
    return str(refused.value).replace(repr(shown), "<key>")


def test_paths_of_other_tenants_are_not_found_like_missing_ones(world: World) -> None:
    path = _fresh_model(world, public=False)
    obj = world.admin.object(path)
    missing_id = obj.id + 10_000
    attribute = obj.attribute("Power").id
    for kind in ("other-member", "other-consultant", "consultancy-member"):
        actor = world.ws[kind]
        pairs = [
            (path, path.replace("/P", "/Nothing")),
            (obj.full_name, obj.full_name.replace("/P", "/Nothing")),
            (path.rsplit("/", 1)[0], "Model/NoSuchModel"),
            (f"{path}.Power", f"{path.replace('/P', '/Nothing')}.Power"),
            (obj.id, missing_id),
        ]
        for existing, absent in pairs:
            assert _refusal(actor, existing) == _refusal(actor, absent)
            assert _refusal(actor, existing) == "object not found: <key>"
        with pytest.raises(wb.NotFound) as by_id:
            actor.get(attribute)
        with pytest.raises(wb.NotFound) as absent_id:
            actor.get(f"{missing_id}:1")
        assert str(by_id.value).split(":")[0] == str(absent_id.value).split(":")[0]


def test_listing_and_links_leave_other_tenants_out(world: World) -> None:
    private = world.admin.object(_fresh_model(world, public=False))
    public = world.admin.object(_fresh_model(world, public=True))
    public.set_links("Peers", [private])
    for kind in KINDS:
        actor = world.ws[kind]
        sees = kind in READERS
        assert [o.id for o in actor.object(public.full_name).links("Peers")] == (
            [private.id] if sees else []
        )
        assert [o.id for o in actor.object(public.full_name)["Peers"]] == (
            [private.id] if sees else []
        )
        models = {m.name for m in actor.models()}
        assert public.model.name in models
        assert (private.model.name in models) is sees
        found = actor.search(public.model.full_name, "{*}")
        assert private.id not in [o.id for o in found]


def test_linking_to_what_one_may_not_read_is_refused(world: World) -> None:
    mine = world.ws["member"].object(_fresh_model(world, public=False))
    theirs = world.admin.create_model(f"O{uuid.uuid4().hex[:8]}", "Grid", "System", "Other client")
    plant = theirs.add_child("To_Plants", "X", "Plant")
    before = world.snapshot()
    with pytest.raises(wb.AccessDenied, match="may not read"):
        mine.set_links("Peers", [wb.Object(world.ws["member"], plant.info)])
    assert world.snapshot() == before


def test_moving_into_a_public_model_takes_an_admin(world: World) -> None:
    member = world.ws["member"]
    mine = member.object(_fresh_model(world, public=False))
    public = member.object(_fresh_model(world, public=True))
    before = world.snapshot()
    with pytest.raises(wb.AccessDenied, match="admins only"):
        mine.move(public, "To_Units")
    assert world.snapshot() == before
    other_own = member.object(_fresh_model(world, public=False))
    mine.move(other_own, "To_Units")
    assert [c.name for c in other_own.children()] == ["P"]


# -- identity ---------------------------------------------------------------------------------


def test_secrets_are_stored_only_as_salted_argon2_hashes(world: World) -> None:
    with world.admin.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT email, secret_hash FROM users")).all()
    assert len(rows) == len(USERS) + 1
    hashes = [h for _, h in rows]
    assert all(h.startswith("$argon2id$") for h in hashes)
    params = dict(p.split("=") for p in hashes[0].split("$")[3].split(","))
    assert int(params["m"]) >= 19 * 1024 and int(params["t"]) >= 2  # slow on purpose
    assert len(set(hashes)) == len(hashes)  # the same secret, salted differently
    hasher = PasswordHasher()
    for email, hashed in rows:
        assert hasher.verify(hashed, SECRET if email == ADMIN else USER_SECRET)
    dump = repr(world.snapshot())
    assert USER_SECRET not in dump and SECRET not in dump


def test_a_wrong_secret_is_refused_like_an_unknown_user(world: World) -> None:
    def refusal(user: str, secret: str | None) -> str:
        with pytest.raises(wb.AccessDenied) as refused:
            wb.connect(world.url, user=user, secret=secret)
        return str(refused.value).replace(repr(user), "<user>")

    known, unknown = "member@client.example", "nobody@client.example"
    wrong = refusal(known, "not the secret")
    assert wrong == refusal(unknown, USER_SECRET) == refusal(known, None)
    assert wrong == "user <user> is unknown or the secret does not match"
    assert "not the secret" not in wrong


def test_opening_without_a_user(world: World) -> None:
    if world.url.startswith("postgresql"):
        for secret in (None, SECRET):
            with pytest.raises(wb.AccessDenied, match="needs user= and secret="):
                wb.connect(world.url, secret=secret)
    else:
        local = wb.connect(world.url)
        assert local.user == "local admin"
        assert "Client" in [a.name for a in acc.list_accounts(local)]
        local.engine.dispose()


def test_moving_out_of_an_account_takes_the_right_to_delete_there(world: World) -> None:
    adviser = world.ws["consultant"]  # a member of Consultancy, consultant of Client
    ours = world.admin.create_model(f"C{uuid.uuid4().hex[:8]}", "Grid", "System", "Consultancy")
    plant = ours.add_child("To_Plants", "P", "Plant")
    client = adviser.object(_fresh_model(world, public=False))
    before = world.snapshot()
    with pytest.raises(wb.AccessDenied, match="may not delete .* from its account; allowed: acc"):
        adviser.object(plant.full_name).move(client, "To_Units")
    assert world.snapshot() == before
    world.admin.object(plant.full_name).move(world.admin.object(client.full_name), "To_Units")
    moved = adviser.object(f"{client.full_name}.To_Units/P")
    assert moved.account_id == client.account_id


def test_handles_read_before_a_move_to_another_account_are_refused(world: World) -> None:
    path = _fresh_model(world, public=False)
    world.admin.object(path).add_child("To_Units", "U", "Plant")
    boss = world.ws["account-admin"]
    stale = [boss.object(f"{path}/U") for _ in range(3)]
    public = world.admin.object(_fresh_model(world, public=True))
    world.admin.object(path).move(public, "To_Units")  # P and U become public
    before = world.snapshot()
    with pytest.raises(wb.ConcurrentEdit):
        stale[0]["Power"] = 5.0
    with pytest.raises(wb.ConcurrentEdit, match="moved to another account"):
        stale[1].add_child("To_Units", "X", "Plant")
    with pytest.raises(wb.ConcurrentEdit):
        stale[2].delete()
    assert world.snapshot() == before
    with pytest.raises(wb.AccessDenied, match="admins only"):
        stale[0].refresh()["Power"] = 5.0
