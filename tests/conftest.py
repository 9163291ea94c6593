"""Fixtures: a workspace on SQLite and on PostgreSQL (a schema of its own per test), a model
factory and a plant with its model, a statement counter, demo data."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

import workbench as wb
from workbench.api import identity
from workbench.store import Base

PG_URL = os.environ.get(
    "WORKBENCH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ADMIN, SECRET = "admin@operators.example", "correct horse battery staple"


def _postgres_reason() -> str | None:
    try:
        engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as exc:  # any failure to connect means: no server here
        return f"PostgreSQL is not reachable at {wb.store.redact_url(PG_URL)}: {exc}"
    return None


_PG_REASON = _postgres_reason()


def require_postgres() -> None:
    """Skip without PostgreSQL locally; under CI=true a missing server fails the run."""
    if _PG_REASON is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(_PG_REASON)
    pytest.skip(_PG_REASON)


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A PostgreSQL URL whose connections use a fresh schema, dropped afterwards."""
    require_postgres()
    schema = f"wb_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL on a schema of its own for one test."""
    with postgres_schema() as url:
        yield url


def store_state(ws: wb.Workspace) -> dict[str, list[str]]:
    """Every row of every table of the store, to compare before and after a refused call."""
    with ws.engine.connect() as conn:
        present = set(sa.inspect(conn).get_table_names())
        return {
            t.name: sorted(repr(tuple(r)) for r in conn.execute(sa.select(t)))
            for t in Base.metadata.sorted_tables
            if t.name in present
        }


def refused(ws: wb.Workspace, error: type[Exception], match: str, call: Callable[[], Any]) -> None:
    """``call`` raises ``error`` with a message matching ``match`` and writes nothing."""
    before = store_state(ws)
    with pytest.raises(error, match=match):
        call()
    assert store_state(ws) == before


class Statements(list[str]):
    """The SQL statements an engine ran, in order; ``parameters[i]`` are those of the i-th."""

    def __init__(self) -> None:
        super().__init__()
        self.parameters: list[Any] = []

    def clear(self) -> None:
        super().clear()
        self.parameters.clear()


@contextmanager
def count_statements(engine: sa.Engine) -> Iterator[Statements]:
    """The SQL statements ``engine`` sends to the database while inside the block."""
    seen = Statements()

    def record(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        seen.append(statement)
        seen.parameters.append(parameters)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Secrets hashed with Argon2id, salted, but cheaply: for tests that hash and check many.

    The store's own parameters are checked in test_access.py.
    """
    monkeypatch.setattr(identity, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture
def sqlite_url(tmp_path: object) -> str:
    return f"sqlite:///{tmp_path}/workbench.db"  # type: ignore[str-bytes-safe]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty store, once on SQLite and once on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def ws(store_url: str) -> Iterator[wb.Workspace]:
    """A workspace on an empty store, as its first admin."""
    workspace = wb.init_store(store_url, admin=ADMIN, secret=SECRET)
    yield workspace
    workspace.engine.dispose()


@pytest.fixture
def sqlite_ws(sqlite_url: str) -> Iterator[wb.Workspace]:
    """A workspace on the embedded store only, as the local admin."""
    workspace = wb.connect(sqlite_url)
    yield workspace
    workspace.engine.dispose()


# -- a model factory -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attr:
    """An attribute definition to add: its value type and the options of ``add_attribute``; a
    ``target`` names an object definition made before it in the same call."""

    value_type: str
    options: dict[str, Any] = field(default_factory=dict)


def attr(value_type: str, **options: Any) -> Attr:
    return Attr(value_type, options)


def owns(target: str) -> Attr:
    """Ownership of many objects of the object definition ``target``."""
    return Attr("ownership_many", {"target": target})


#: Object definitions in the order they are made, each with its attributes in order: an
#: attribute is a value type, or :func:`attr` for one with options.
Types = Mapping[str, Mapping[str, Attr | str]]


def plants(plant: Mapping[str, Attr | str] | None = None) -> dict[str, dict[str, Attr | str]]:
    """The shape most tests use: Plant (with the attributes ``plant``), and System, which owns
    Plants through To_Plants."""
    return {"Plant": dict(plant or {}), "System": {"To_Plants": owns("Plant")}}


@dataclass
class Definition:
    """A model definition and its object definitions by name."""

    definition: wb.ModelDefinition
    types: dict[str, wb.ObjectDefinition]


@dataclass
class Made(Definition):
    """A model made by :func:`build_model`: its root, and the children made, by name."""

    model: wb.Object
    objects: dict[str, wb.Object]


def build_definition(
    ws: wb.Workspace, name: str = "Grid", types: Types | None = None, *, description: str = ""
) -> Definition:
    """The model definition ``name`` with the object definitions ``types`` (:func:`plants`)."""
    md = ws.create_model_definition(name, description)
    made: dict[str, wb.ObjectDefinition] = {}
    for type_name, attributes in (plants() if types is None else types).items():
        od = made[type_name] = md.create_object_definition(type_name)
        for attribute, spec in attributes.items():
            spec = Attr(spec) if isinstance(spec, str) else spec
            options = dict(spec.options)
            if isinstance(options.get("target"), str):
                if options["target"] not in made:
                    raise KeyError(f"{attribute}: make {options['target']!r} before {type_name!r}")
                options["target"] = made[options["target"]]
            od.add_attribute(attribute, spec.value_type, **options)
    return Definition(md, made)


def build_model(
    ws: wb.Workspace,
    name: str = "Sys",
    *,
    definition: str = "Grid",
    types: Types | None = None,
    root: str | None = None,
    children: Mapping[str, Sequence[str]] | None = None,
    description: str = "",
    account: Any = None,
) -> Made:
    """The model ``name`` of a new definition (see :func:`build_definition`), its root of the
    type ``root`` (the last of ``types``), and under the root, per ownership attribute of
    ``children``, objects of that attribute's target type."""
    made = build_definition(ws, definition, types, description=description)
    spec = plants() if types is None else types
    root = root or list(spec)[-1]
    model = ws.create_model(name, made.definition, made.types[root], account=account)
    objects: dict[str, wb.Object] = {}
    for attribute, names in (children or {}).items():
        owned = spec[root][attribute]
        target = owned.options.get("target") if isinstance(owned, Attr) else None
        if not isinstance(target, str):
            raise KeyError(f"{attribute!r} is not an ownership attribute of {root!r}")
        for child in model.add_children(attribute, names, made.types[target]):
            assert child.name not in objects, f"two children named {child.name!r}"
            objects[child.name] = child
    return Made(made.definition, made.types, model, objects)


#: The type of the ``make_model`` fixture.
MakeModel = Callable[..., Made]


@pytest.fixture
def make_model() -> MakeModel:
    """The model factory, :func:`build_model`: ``make_model(ws, "Sys", types=..., ...)``."""
    return build_model


@pytest.fixture
def plant_attributes() -> dict[str, Attr | str]:
    """The attributes of the Plant of ``plant``: none; a test module overrides this fixture to
    give its plant some."""
    return {}


@pytest.fixture
def plant(ws: wb.Workspace, plant_attributes: dict[str, Attr | str]) -> wb.Object:
    """PlantA under Model/Sys, of the definition Grid (:func:`plants`)."""
    made = build_model(
        ws, "Sys", types=plants(plant_attributes), children={"To_Plants": ["PlantA"]}
    )
    return made.objects["PlantA"]
