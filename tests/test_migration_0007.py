"""Revision 0007: attribute types get a namespace and tags, and a type's name and unit reach every
definition built on it, on SQLite and PostgreSQL.

A store at 0006 holds a type with three definitions: one that follows it, one whose name and unit
were set to the type's own (an override with nothing to keep) and one that diverged (a name and
a unit of its own, kept when the type was renamed, as 0006's rule had it). After the upgrade
the types sit in their model definition, carry no tags, and the overrides list only what
differs; the next rename of the type reaches every definition (Mesh,
docs/mesh/concepts/modelling/general.md, "Attribute type").
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

import workbench as wb
from workbench.store import create_store_engine, migrate

SECRET = "a long enough secret"

pytestmark = pytest.mark.usefixtures("cheap_hashes")


def _insert(conn: sa.Connection, sql: str, **values: object) -> None:
    conn.execute(sa.text(sql), values)


@pytest.fixture
def engine(store_url: str) -> Iterator[sa.Engine]:
    """A store at revision 0006 with the model definition Grid (id 1), the namespace Hydro,
    the type Power (MW) and the object definitions Plant, Dam and Pump, each with a definition
    built on Power: Plant's follows it, Dam's repeats its name and unit as overrides, Pump's
    is called Output in kW."""
    made = create_store_engine(store_url)
    migrate.upgrade(made, "0006")
    with made.begin() as conn:
        _insert(conn, "INSERT INTO namespaces (id, name, description, ext_metadata) "
                "VALUES (1, 'Grid', '', '{}')")  # fmt: skip
        _insert(conn, "INSERT INTO namespaces (id, definition_id, parent_id, name, description, "
                "ext_metadata) VALUES (2, 1, 1, 'Hydro', '', '{}')")  # fmt: skip
        _insert(conn, "INSERT INTO attribute_types (id, definition_id, name, value_type, "
                "description, unit) VALUES (1, 1, 'Power', 'double', 'power', 'MW')")  # fmt: skip
        rows = (
            (1, "Plant", "Power", "MW", []),
            (2, "Dam", "Power", "MW", ["name", "unit"]),
            (3, "Pump", "Output", "kW", ["name", "description", "unit"]),
        )
        for n, od, name, unit, overrides in rows:
            _insert(conn, "INSERT INTO object_definitions (id, definition_id, namespace_id, name, "
                    "description, tags, ext_metadata) VALUES (:n, 1, 2, :od, '', '[]', '{}')",
                    n=n, od=od)  # fmt: skip
            _insert(conn, "INSERT INTO attribute_definitions (id, object_definition_id, "
                    "attribute_type_id, position, name, description, unit, overrides, value_type, "
                    "is_array, min_count, tags, ext_metadata) VALUES (:n, :n, 1, 0, :name, 'power', "
                    ":unit, :overrides, 'double', false, 0, '[]', '{}')",
                    n=n, name=name, unit=unit, overrides=json.dumps(overrides))  # fmt: skip
    yield made
    made.dispose()


def _definitions(engine: sa.Engine) -> list[tuple[object, ...]]:
    query = "SELECT id, name, unit, overrides FROM attribute_definitions ORDER BY id"
    with engine.connect() as conn:
        return [
            (i, n, u, o if isinstance(o, list) else json.loads(o))
            for i, n, u, o in conn.execute(sa.text(query))
        ]


def test_0007_places_types_and_keeps_what_diverged(engine: sa.Engine) -> None:
    assert migrate.upgrade(engine, "0007") == "0007"
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT namespace_id, tags FROM attribute_types")).one()
    tags = row.tags if isinstance(row.tags, list) else json.loads(row.tags)
    assert (row.namespace_id, tags) == (1, [])
    assert _definitions(engine) == [
        (1, "Power", "MW", []),
        (2, "Power", "MW", []),  # the same as its type's: nothing of its own left
        (3, "Output", "kW", ["name", "description", "unit"]),  # kept, names unchanged
    ]


def test_after_0007_a_types_rename_and_unit_reach_every_definition(
    engine: sa.Engine, store_url: str
) -> None:
    migrate.upgrade(engine)
    ws = wb.init_store(store_url, admin="admin@operators.example", secret=SECRET)
    try:
        md = ws.model_definition("Grid")
        power = md.attribute_type("Power")
        assert (power.namespace, power.tags) == ("", ())
        pump = md.object_definition("Pump").attribute("Output")
        assert (pump.unit, pump.overrides) == ("kW", ("name", "description", "unit"))
        power.rename("Effect")
        power.set_unit("GW")
        assert [(a.name, a.unit, a.overrides) for a in power.definitions()] == [
            ("Effect", "GW", ()),
            ("Effect", "GW", ()),
            ("Effect", "GW", ("description",)),
        ]
        md.create_tag("hydro")
        power.set_tags(["hydro"])
        assert md.object_definition("Pump").attribute("Effect").tags == ("hydro",)
    finally:
        ws.engine.dispose()


def test_downgrading_0007_drops_the_columns_and_keeps_the_definitions(engine: sa.Engine) -> None:
    migrate.upgrade(engine, "0007")
    before = _definitions(engine)
    assert migrate.downgrade(engine, "0006") == "0006"
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("attribute_types")}
    assert not {"namespace_id", "tags"} & columns
    assert _definitions(engine) == before
    assert migrate.upgrade(engine) == migrate.HEAD == "0007"
