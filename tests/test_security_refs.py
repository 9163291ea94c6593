"""Row-level security checks what a written row refers to, not only its own account.

A plain member of Acme, logged in with psycopg as their own database role, tries to hang rows on
another tenant's (an object under Beta's model, a link to Beta's plant, a sensor naming Beta, a
virtual series relative to Beta's plant, a source claiming Beta's user, a definition element
pointing into Beta's definition) and to learn about Beta through the functions the policies
call. Each attempt is refused without writing anything, and the refusal names nothing hidden;
the same writes inside Acme still work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from conftest import ADMIN, require_postgres, store_state
from security_support import DENIED, Tenants, build_tenants, fresh_role_names, ids

from workbench.store.security import RoleNames

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("cheap_hashes")]
AL, ANA, BO = "al@acme.example", "ana@acme.example", "bo@beta.example"
RLS = "new row violates row-level security policy"
#: Values of the columns a plain INSERT must give, per table (the library fills them itself).
BASE: dict[str, dict[str, Any]] = {
    "objects": {"version": 1, "values": "{}"},
    "links": {"position": 0},
    "sensors": {
        "catalog_path": "",
        "unit": "MW",
        "timezone": "UTC",
        "resolution_us": 0,
        "knowledge_time": "{}",
        "curve_type": "step",
        "attributes": "{}",
        "version": 1,
    },
    "virtual_series": {
        "catalog_path": "",
        "expression": "@t('x')",
        "unit": "",
        "timezone": "UTC",
        "resolution_us": 0,
    },
    "sources": {"type": "meter", "model": "", "version": ""},
    "namespaces": {"description": "", "ext_metadata": "{}"},
    "object_definitions": {"description": "", "tags": "[]", "ext_metadata": "{}"},
    "attribute_types": {"value_type": "double", "description": "", "unit": "", "tags": "[]"},
    "attribute_definitions": {
        "position": 9,
        "description": "",
        "unit": "",
        "overrides": "[]",
        "value_type": "double",
        "is_array": False,
        "min_count": 0,
        "tags": "[]",
        "ext_metadata": "{}",
    },
    "beliefs": {"cumulative_probability": 0.5, "belief_time": 0, "value": 9.0, "flags": 0},
}


@pytest.fixture
def names() -> Iterator[RoleNames]:
    require_postgres()
    with fresh_role_names() as made:
        yield made


@pytest.fixture
def t(pg_url: str, names: RoleNames) -> Iterator[Tenants]:
    """The tenants of :func:`build_tenants`, plus: Plant has a link attribute Feeds (to
    Plants); Acme and Beta each own a definition (AcmeDef, BetaOnly) with a namespace, an object
    definition, an attribute type and a template calculation; sources of no one, of bo (Beta)
    and of al (Acme). Then secured."""
    made = build_tenants(pg_url, names)
    ws = made.ws
    grid = ws.model_definition("Grid")
    grid.object_definition("Plant").add_attribute("Feeds", "link_many", target="Plant")
    for owner, label in (("Acme", "Acme"), ("Beta", "Beta")):
        md = ws.create_model_definition(f"{label}Def", account=owner)
        md.create_namespace(f"{label}Space")
        md.create_object_definition(f"{label}Thing")
        md.create_attribute_type(f"{label}Type", "double")
        md.create_template_calculation(f"{label}Calc", "@t('.Flow') * 2")
    made.owner(
        "INSERT INTO sources (name, type, model, version, user_id, account_id) VALUES "
        "('public-meter', 'meter', '', '', NULL, NULL), "
        "('beta-meter', 'meter', '', '', :bo, :beta), ('acme-meter', 'meter', '', '', :al, :acme)",
        bo=made.users[BO],
        beta=made.accounts["Beta"],
        al=made.users[AL],
        acme=made.accounts["Acme"],
    )
    made.secure()
    yield made
    ws.engine.dispose()


def _id(t: Tenants, sql: str, **params: Any) -> int:
    (row,) = t.owner(sql, **params)
    return int(row[0])


def _named(t: Tenants, table: str, name: str) -> int:
    return _id(t, f"SELECT id FROM {table} WHERE name = :n", n=name)


def insert(c: psycopg.Connection[Any], table: str, **values: Any) -> None:
    """A plain INSERT of one row: the given columns over the table's :data:`BASE` values."""
    row = {**BASE.get(table, {}), **values}
    marks = ", ".join(["%s"] * len(row))
    c.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({marks})", list(row.values()))


def refused(t: Tenants, call: Callable[[], Any], *hidden: object) -> None:
    """``call`` is refused by row-level security, changes nothing and names nothing ``hidden``."""
    before = store_state(t.ws)
    with pytest.raises(DENIED, match=RLS) as caught:
        call()
    text = f"{caught.value} {caught.value.diag.message_detail or ''}"
    for secret in hidden:
        assert str(secret) not in text, (secret, text)
    assert store_state(t.ws) == before


def _object(t: Tenants, name: str, parent: str, **override: Any) -> dict[str, Any]:
    """The columns of a new plant under the model ``parent`` (a key of ``t.objects``), as the
    library would write them; ``override`` changes some."""
    row = {
        "name": name,
        "definition_id": _named(t, "object_definitions", "Plant"),
        "parent_id": t.objects[parent],
        "owner_attribute_id": _named(t, "attribute_definitions", "To_Plants"),
        "account_id": t.accounts.get(parent),
        "model_id": t.objects[parent],
    }
    return {**row, **override}


# -- objects --------------------------------------------------------------------------------------


def test_an_object_goes_only_under_a_parent_and_model_it_may_write(t: Tenants) -> None:
    acme = t.accounts["Acme"]
    feeds = _named(t, "attribute_definitions", "Feeds")
    with t.sql(AL) as c:
        for row in (
            _object(t, "PlantBeta", "Beta", account_id=acme),  # squatting Beta's plant name
            _object(t, "Sneaky", "Beta", account_id=acme, model_id=t.objects["Acme"]),
            _object(t, "Sneaky", "Acme", model_id=t.objects["Beta"]),  # own parent, their model
            _object(t, "Sneaky", "Acme", parent_id=t.objects["Beta/child"]),
            _object(t, "Sneaky", "Public", account_id=acme),  # public: admins only
            _object(t, "Sneaky", "Acme", parent_id=987654),  # no such parent: told the same
            _object(t, "Sneaky", "Acme", owner_attribute_id=feeds),  # a link, not an ownership
            _object(
                t, "Sneaky", "Acme", definition_id=_named(t, "object_definitions", "BetaThing")
            ),
        ):
            refused(t, lambda row=row: insert(c, "objects", **row), "PlantBeta", t.objects["Beta"])
        insert(c, "objects", **_object(t, "Mine", "Acme"))
    mine = _named(t, "objects", "Mine")
    assert t.owner("SELECT account_id, model_id FROM objects WHERE id = :i", i=mine) == [
        (acme, t.objects["Acme"])
    ]


def test_an_object_is_never_moved_into_another_tenants_tree(t: Tenants) -> None:
    child, beta = t.objects["Acme/child"], t.objects["Beta"]
    with t.sql(AL) as c:
        for sql in (
            f"UPDATE objects SET parent_id = {beta}, model_id = {beta} WHERE id = {child}",
            f"UPDATE objects SET parent_id = {beta} WHERE id = {child}",
            f"UPDATE objects SET model_id = {beta} WHERE id = {child}",
            f"UPDATE objects SET parent_id = {t.objects['Public']}, model_id = "
            f"{t.objects['Public']} WHERE id = {child}",
        ):
            refused(t, lambda sql=sql: c.execute(sql), beta)
        # inside its own model it moves, and its own rows stay writable
        assert c.execute(f"UPDATE objects SET name = 'Moved' WHERE id = {child}").rowcount == 1
    with t.sql(ANA) as c:
        insert(c, "objects", **_object(t, "M2", "Acme", parent_id=None, owner_attribute_id=None,
                                       model_id=None, definition_id=_named(t, "object_definitions", "System")))  # fmt: skip
        m2 = _named(t, "objects", "M2")
        c.execute(f"UPDATE objects SET model_id = id WHERE id = {m2}")
        c.execute(f"UPDATE objects SET parent_id = {m2}, model_id = {m2} WHERE id = {child}")
    assert t.owner("SELECT parent_id, model_id FROM objects WHERE id = :i", i=child) == [(m2, m2)]


def test_a_model_is_its_own_model_on_a_visible_definition(t: Tenants) -> None:
    acme = t.accounts["Acme"]
    system = _named(t, "object_definitions", "System")
    root = {"parent_id": None, "owner_attribute_id": None, "model_id": None}
    with t.sql(ANA) as c:
        for row in (
            _object(t, "Model2", "Acme", **{**root, "model_id": t.objects["Beta"]}),
            _object(
                t,
                "Model2",
                "Acme",
                **{**root, "definition_id": _named(t, "object_definitions", "BetaThing")},
            ),
            _object(
                t,
                "Model2",
                "Acme",
                **{**root, "owner_attribute_id": _named(t, "attribute_definitions", "To_Plants")},
            ),
        ):
            refused(t, lambda row=row: insert(c, "objects", **row), "BetaThing")
        insert(c, "objects", **_object(t, "Model2", "Acme", **root, definition_id=system))
        model = _named(t, "objects", "Model2")
        refused(t, lambda: c.execute(f"UPDATE objects SET model_id = {t.objects['Beta']} "
                                     f"WHERE id = {model}"))  # fmt: skip
        c.execute(f"UPDATE objects SET model_id = id WHERE id = {model}")
    assert t.owner("SELECT account_id, model_id FROM objects WHERE id = :i", i=model) == [
        (acme, model)
    ]


# -- what hangs on objects -------------------------------------------------------------------


def test_a_link_points_only_at_visible_objects_of_its_target_type(t: Tenants) -> None:
    feeds = _named(t, "attribute_definitions", "Feeds")
    plant, beta_plant = t.objects["Acme/child"], t.objects["Beta/child"]
    link = {"object_id": plant, "attribute_id": feeds}
    with t.sql(AL) as c:
        for row in (
            {**link, "target_id": beta_plant},
            {**link, "target_id": 987654},
            {**link, "target_id": t.objects["Public"]},  # a System, not a Plant
            {**link, "attribute_id": _named(t, "attribute_definitions", "To_Plants"),
             "target_id": t.objects["Public/child"]},  # not a link attribute of a Plant
            {**link, "object_id": beta_plant, "target_id": plant},
        ):  # fmt: skip
            refused(t, lambda row=row: insert(c, "links", **row), beta_plant)
        insert(c, "links", **link, target_id=t.objects["Public/child"])
        refused(t, lambda: c.execute(f"UPDATE links SET target_id = {beta_plant}"), beta_plant)
    assert t.owner("SELECT object_id, target_id FROM links") == [(plant, t.objects["Public/child"])]


def test_a_sensor_names_only_its_objects_account(t: Tenants) -> None:
    acme, beta = t.accounts["Acme"], t.accounts["Beta"]
    plant, sensor = t.objects["Acme/child"], t.sensors["Acme"]
    with t.sql(AL) as c:
        for row in (
            {"object_id": plant, "account_id": beta, "name": "spy"},
            {"object_id": plant, "account_id": None, "name": "spy"},
            {"object_id": t.objects["Beta/child"], "account_id": acme, "name": "spy"},
        ):
            refused(t, lambda row=row: insert(c, "sensors", **row))
        for sql in (
            f"UPDATE sensors SET account_id = {beta} WHERE id = {sensor}",
            f"UPDATE sensors SET object_id = {t.objects['Beta/child']} WHERE id = {sensor}",
        ):
            refused(t, lambda sql=sql: c.execute(sql))
        insert(c, "sensors", object_id=plant, account_id=acme, name="flow")
    assert t.owner("SELECT account_id FROM sensors WHERE name = 'flow'") == [(acme,)]


def test_a_virtual_series_is_relative_only_to_visible_objects(t: Tenants) -> None:
    acme = t.accounts["Acme"]
    beta_plant = t.objects["Beta/child"]
    with t.sql(BO) as c:  # Beta's OnOwn: Acme may hold one of that name too, and never learns
        insert(c, "virtual_series", account_id=t.accounts["Beta"], relative_to_id=beta_plant,
               name="OnOwn")  # fmt: skip
    with t.sql(AL) as c:
        for row in (
            {"account_id": acme, "relative_to_id": beta_plant, "name": "Spy"},
            {"account_id": acme, "relative_to_id": 987654, "name": "Spy"},
        ):
            refused(t, lambda row=row: insert(c, "virtual_series", **row), beta_plant)
        insert(c, "virtual_series", account_id=acme, relative_to_id=t.objects["Public/child"],
               name="OnPublic")  # fmt: skip
        insert(c, "virtual_series", account_id=acme, relative_to_id=t.objects["Acme/child"],
               name="OnOwn")  # fmt: skip
        refused(t, lambda: c.execute(f"UPDATE virtual_series SET relative_to_id = {beta_plant}"))
    assert len(t.owner("SELECT id FROM virtual_series")) == 3
    assert t.owner("SELECT count(*) FROM virtual_series WHERE name = 'OnOwn'") == [(2,)]


# -- sources and beliefs ---------------------------------------------------------------------


def test_a_source_stands_only_for_users_the_role_may_write_for(t: Tenants) -> None:
    acme, beta = t.accounts["Acme"], t.accounts["Beta"]
    al, ana, bo = t.users[AL], t.users[ANA], t.users[BO]
    with t.sql(AL) as c:
        for user, account in ((bo, beta), (bo, acme), (bo, None), (al, None), (al, beta),
                              (t.users[ADMIN], None), (987654, acme)):  # fmt: skip
            refused(
                t,
                lambda u=user, a=account: insert(c, "sources", name="x", user_id=u, account_id=a),
                "bo@beta.example",
            )
        insert(c, "sources", name="mine", user_id=al, account_id=acme)
        insert(c, "sources", name="colleague", user_id=ana, account_id=acme)  # as the library
        insert(c, "sources", name="nobody's", user_id=None, account_id=None)
        assert c.execute("UPDATE sources SET user_id = %s", (bo,)).rowcount == 0  # admins only
    with t.sql(BO) as c:  # nothing of Acme's shows up among Beta's sources
        assert ids(c, "SELECT name FROM sources") == {
            "meter",
            "beta-meter",
            "public-meter",
            "nobody's",
        }


def test_beliefs_are_of_visible_sources(t: Tenants) -> None:
    beta_source = _named(t, "sources", "beta-meter")
    belief = {"sensor_id": t.sensors["Acme"], "event_start": 7}
    with t.sql(AL) as c:
        for table in ("beliefs", "latest_beliefs"):
            for source in (beta_source, 987654):
                refused(t, lambda tb=table, s=source: insert(c, tb, **belief, source_id=s))
        insert(c, "beliefs", **belief, source_id=_named(t, "sources", "public-meter"))
        insert(c, "beliefs", **belief, source_id=_named(t, "sources", "acme-meter"))
        refused(t, lambda: c.execute("UPDATE beliefs SET source_id = %s WHERE event_start = 7",
                                     (beta_source,)))  # fmt: skip
    assert t.owner("SELECT count(*) FROM beliefs WHERE event_start = 7") == [(2,)]


# -- definitions --------------------------------------------------------------------------------


def test_definition_elements_refer_only_into_their_own_definition(t: Tenants) -> None:
    own, theirs = _named(t, "namespaces", "AcmeDef"), _named(t, "namespaces", "BetaDef")
    thing = _named(t, "object_definitions", "AcmeThing")

    def attribute(**override: Any) -> dict[str, Any]:
        return {"object_definition_id": thing, "name": "Extra", **override}

    with t.sql(ANA) as c:  # Acme's account-admin
        for table, row in (
            ("namespaces", {"name": "In", "definition_id": theirs, "parent_id": theirs}),
            ("namespaces", {"name": "In", "definition_id": own,
                            "parent_id": _named(t, "namespaces", "BetaSpace")}),
            ("namespaces", {"name": "In", "definition_id": own, "parent_id": own,
                            "account_id": t.accounts["Beta"]}),
            ("namespaces", {"name": "Top", "definition_id": theirs, "parent_id": None,
                            "account_id": t.accounts["Acme"]}),
            ("object_definitions", {"name": "X", "definition_id": own,
                                    "namespace_id": _named(t, "namespaces", "BetaSpace")}),
            ("attribute_types", {"name": "X", "definition_id": own,
                                 "namespace_id": _named(t, "namespaces", "BetaSpace")}),
            ("attribute_definitions", attribute(
                attribute_type_id=_named(t, "attribute_types", "BetaType"))),
            ("attribute_definitions", attribute(
                namespace_id=_named(t, "namespaces", "BetaSpace"))),
            ("attribute_definitions", attribute(
                value_type="ownership_many",
                target_id=_named(t, "object_definitions", "BetaThing"))),
            ("attribute_definitions", attribute(
                template_calculation_id=_named(t, "template_calculations", "BetaCalc"))),
            ("attribute_definitions", attribute(object_definition_id=_named(
                t, "object_definitions", "BetaThing"))),
            ("tags", {"definition_id": theirs, "name": "t", "description": ""}),
        ):  # fmt: skip
            refused(t, lambda tb=table, r=row: insert(c, tb, **r), "BetaSpace", "BetaThing")
        insert(c, "namespaces", name="In", definition_id=own,
               parent_id=_named(t, "namespaces", "AcmeSpace"))  # fmt: skip
        insert(c, "attribute_types", name="X", definition_id=own,
               namespace_id=_named(t, "namespaces", "AcmeSpace"))  # fmt: skip
        insert(c, "attribute_definitions", **attribute(
            attribute_type_id=_named(t, "attribute_types", "AcmeType"),
            namespace_id=_named(t, "namespaces", "AcmeSpace"),
            template_calculation_id=_named(t, "template_calculations", "AcmeCalc"),
            value_type="ownership_many", target_id=thing))  # fmt: skip
    assert t.owner("SELECT count(*) FROM attribute_definitions WHERE name = 'Extra'") == [(1,)]


# -- the functions the policies call --------------------------------------------------------


def test_the_functions_answer_only_about_rows_the_caller_may_read(t: Tenants) -> None:
    theirs, own = _named(t, "namespaces", "BetaDef"), _named(t, "namespaces", "AcmeDef")
    beta_thing = _named(t, "object_definitions", "BetaThing")
    acme, beta_plant = t.accounts["Acme"], t.objects["Beta/child"]
    admin_role = t.role(ADMIN)
    one = "SELECT {}"
    with t.sql(AL) as c:
        asked = {
            "workbench_definition_owner(%s)": ((theirs, None), (own, acme)),
            "workbench_object_definition_owner(%s)": (
                (beta_thing, None),
                (_named(t, "object_definitions", "AcmeThing"), acme),
            ),
            "workbench_definition_access(%s, 'read')": ((theirs, False), (own, True)),
            "workbench_definition_access(%s, 'manage')": ((theirs, False), (own, False)),
            "workbench_namespace_definition(%s)": (
                (_named(t, "namespaces", "BetaSpace"), None),
                (_named(t, "namespaces", "AcmeSpace"), own),
            ),
        }
        for call, answers in asked.items():
            for key, answer in answers:
                assert ids(c, one.format(call), key) == {answer}, (call, key)
        assert (
            c.execute("SELECT * FROM workbench_object(%s, 'read')", (beta_plant,)).fetchall() == []
        )
        assert c.execute(
            "SELECT account_id FROM workbench_object(%s, 'write')", (t.objects["Acme/child"],)
        ).fetchall() == [(acme,)]
        assert (
            c.execute(
                "SELECT * FROM workbench_object(%s, 'write')", (t.objects["Public/child"],)
            ).fetchall()
            == []
        )  # read, not written
        # asking as somebody else (an admin's role) is asking as nobody
        assert ids(c, "SELECT workbench_definition_owner(%s, %s)", theirs, admin_role) == {None}
        assert (
            c.execute(
                "SELECT * FROM workbench_object(%s, 'read', %s)", (beta_plant, admin_role)
            ).fetchall()
            == []
        )
    with t.sql(BO) as c:
        assert ids(c, "SELECT workbench_definition_owner(%s)", theirs) == {t.accounts["Beta"]}


def test_securing_again_drops_functions_that_answered_about_any_id(t: Tenants) -> None:
    schema = t.owner("SELECT current_schema()")[0][0]
    t.owner(f'DROP FUNCTION "{schema}".workbench_definition_owner(integer, name)')
    t.owner(
        f'CREATE FUNCTION "{schema}".workbench_definition_owner(definition integer) '
        "RETURNS integer LANGUAGE sql STABLE SECURITY DEFINER AS "
        "$$ SELECT n.account_id FROM namespaces n WHERE n.id = definition $$"
    )
    t.owner(f'GRANT EXECUTE ON FUNCTION "{schema}".workbench_definition_owner(integer) '
            f'TO "{t.names.group}"')  # fmt: skip
    theirs = _named(t, "namespaces", "BetaDef")
    with t.sql(AL) as c:  # what an earlier version installed told anyone who owns what
        assert ids(c, "SELECT workbench_definition_owner(%s::integer)", theirs) == {
            t.accounts["Beta"]
        }
    t.secure()
    with t.sql(AL) as c:
        assert ids(c, "SELECT workbench_definition_owner(%s::integer)", theirs) == {None}
    assert t.owner(
        "SELECT count(*) FROM pg_proc WHERE proname = 'workbench_definition_owner' "
        "AND pronamespace = CAST(:s AS regnamespace)",
        s=schema,
    ) == [(1,)]
