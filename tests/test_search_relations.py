"""Relation steps, name steps, link walks, zero-or-more repeats, paths inside criteria and the
``Model:`` prefix of the search language, over the store (SQLite and PostgreSQL).

The link walks ``~`` and ``~~`` follow Volue Mesh's search language
(https://github.com/Volue-Public/energy-smp-docs, docs/mesh/concepts/search-language.md:
"Link walk", "Reverse link walk"; the parent's attribute in a criterion, ``[...Age]``, is its
"Existence criteria" example).
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import sqlalchemy as sa
from conftest import MakeModel, attr, count_statements, owns

import workbench as wb
from workbench.api.handles.objects import search_handles as search


@pytest.fixture
def made(ws: wb.Workspace, make_model: MakeModel) -> dict[str, wb.Object]:
    """Sys owns North and South (To_Areas) and NO1, NO2 (To_PriceAreas); South owns SouthEast;
    North owns PlantA. North and SouthEast link to NO1, South to NO2 (To_PriceArea); North's
    versioned Markets point at NO2 now and at NO1 from 2999 on."""
    types = {
        "PriceArea": {"Code": "string"},
        "Plant": {"Capacity": attr("double", unit="MW")},
        "Area": {
            "Age": "int64",
            "To_Areas": owns("Area"),
            "To_Plants": owns("Plant"),
            "To_PriceArea": attr("link_one", target="PriceArea"),
            "Markets": attr("versioned_link_many", target="PriceArea"),
        },
        "System": {"To_Areas": owns("Area"), "To_PriceAreas": owns("PriceArea")},
    }
    built = make_model(ws, "Sys", definition="Rel", types=types,
                       children={"To_Areas": ["North", "South"], "To_PriceAreas": ["NO1", "NO2"]})  # fmt: skip
    o = dict(built.objects)
    o["Sys"] = built.model
    o["SouthEast"] = o["South"].add_child("To_Areas", "SouthEast", built.types["Area"])
    o["PlantA"] = o["North"].add_child("To_Plants", "PlantA", built.types["Plant"])
    o["PlantA"]["Capacity"] = 120.0
    o["North"]["Age"] = 30
    o["South"]["Age"] = 5
    o["NO1"]["Code"] = "10YNO-1"
    o["North"].set_links("To_PriceArea", o["NO1"])
    o["SouthEast"].set_links("To_PriceArea", o["NO1"])
    o["South"].set_links("To_PriceArea", o["NO2"])
    o["North"].add_link_version("Markets", o["NO2"], "2020-01-01T00:00Z")
    o["North"].add_link_version("Markets", o["NO1"], "2999-01-01T00:00Z")
    return o


def names(ws: wb.Workspace, start: wb.Object | int, query: str) -> list[str]:
    return [o.name for o in ws.search(start, query)]


@pytest.mark.parametrize(
    ("start", "query", "expected"),
    [
        ("Sys", "To_Areas", ["North", "South"]),  # an ownership relation
        ("Sys", "To_PriceAreas", ["NO1", "NO2"]),
        ("Sys", "To_Areas/North", ["North"]),  # a name right after a relation step
        ("Sys", "To_Areas/PlantA", []),  # ... picks among the related objects only
        ("Sys", "To_Areas/North/PlantA", ["PlantA"]),  # elsewhere: the child of that name
        ("Sys", "North/PlantA", ["PlantA"]),
        ("Sys", "Nowhere", []),
        ("Sys", "To_Areas[.Age>10]", ["North"]),
        ("Sys", "To_Areas/To_Areas", ["SouthEast"]),
        ("North", "To_PriceArea", ["NO1"]),  # a link relation
        ("Sys", "To_Areas/To_PriceArea", ["NO1", "NO2"]),
        ("North", "To_PriceArea/NO1", ["NO1"]),
        ("North", "To_PriceArea/NO2", []),
        ("North", "Markets", ["NO2"]),  # a versioned link: the targets in effect now
        ("North", "~", ["NO1", "NO2"]),  # every link
        ("South", "~[.Name=NO1]", []),
        ("NO1", "~~", ["North", "SouthEast"]),  # who links here
        ("NO2", "~~", ["North", "South"]),
        ("NO1", "~~/..", ["Sys", "South"]),
        ("Sys", "[.Type=Area]*", ["North", "SouthEast"]),  # zero or more: as + ...
        ("North", "[.Type=Area]*", ["North"]),  # ... or the start if S finds nothing
        ("South", "[.Type=Area]{*}", ["South", "SouthEast"]),
        ("NO1", "(~~|~){*}", ["NO1", "North", "NO2", "South", "SouthEast"]),  # cycles end
        ("PlantA", "Model:", ["Sys"]),
        ("PlantA", "Model:To_PriceAreas", ["NO1", "NO2"]),
        ("SouthEast", "Model:{*}[.Type=Plant]", ["PlantA"]),
        ("Sys", "{*}[.To_PriceArea.Name=NO1]", ["North", "SouthEast"]),  # a path in criteria
        ("Sys", "{*}[.To_PriceArea.Code~NO-1]", ["North", "SouthEast"]),
        ("Sys", "{*}[.Type=Area && !.To_PriceArea.Name=NO1]", ["South"]),
        ("Sys", "{*}[...Age>10]", ["PlantA"]),  # the parent's attribute
        ("Sys", "{*}[...Age]", ["PlantA", "SouthEast"]),
        ("Sys", "{*}[.To_Areas.Name=SouthEast]", ["South"]),
        ("Sys", "{*}[.Markets.Name=NO1]", []),
    ],
)
def test_relation_steps_links_and_paths(
    ws: wb.Workspace, made: dict[str, wb.Object], start: str, query: str, expected: list[str]
) -> None:
    assert names(ws, made[start], query) == expected


def test_model_prefix_gives_attributes_of_the_root(
    ws: wb.Workspace, made: dict[str, wb.Object]
) -> None:
    (found,) = ws.search(made["PlantA"], "Model:To_Areas[.Name=North].Age")  # type: ignore[misc]
    assert found.object.name == "North"  # type: ignore[union-attr]


def test_relation_steps_take_a_bounded_number_of_statements(
    ws: wb.Workspace, made: dict[str, wb.Object]
) -> None:
    """A relation step, a link walk or a criterion's path costs a fixed number of statements
    per step, however many objects it starts from."""
    counts = {}
    for n, query in enumerate(("To_Areas/To_PriceArea", "{*}[.Type=Area]/~", "{*}[.To_PriceArea.Name=NO1]",
                  "{*}[.Type=PriceArea]/~~", "[.Type=Area]{*}")):  # fmt: skip
        before = []
        for extra in (0, 30):
            if extra:
                grown = made["Sys"].add_children(
                    "To_Areas", [f"A{n}-{i}" for i in range(extra)], "Area"
                )
                for obj in grown:
                    obj.set_links("To_PriceArea", made["NO2"])
            with count_statements(ws.engine) as seen:
                ws.search(made["Sys"], query)
            before.append(len(seen))
        counts[query] = before
    for query, (small, large) in counts.items():
        assert small == large, (query, small, large)


def _give(ws: wb.Workspace, account: str, objects: Sequence[wb.Object]) -> None:
    """Put objects in another account, straight in the store."""
    account_id = next(a.id for a in ws.accounts() if a.name == account)
    table = sa.table("objects", sa.column("id"), sa.column("account_id"))
    with ws.engine.begin() as conn:
        conn.execute(
            sa.update(table)
            .where(table.c.id.in_([o.id for o in objects]))
            .values(account_id=account_id)
        )


def test_links_to_and_from_unreadable_objects_stay_hidden(
    ws: wb.Workspace, made: dict[str, wb.Object]
) -> None:
    """A member of Tenant A reads everything but NO1 and SouthEast (Tenant B's): links to them
    are not shown or followed, links from them are not shown, and neither errors nor counts
    tell them apart from nothing."""
    made["SouthEast"].set_links("To_PriceArea", made["NO2"])  # a hidden source, a shown target
    assert names(ws, made["NO2"], "~~") == ["North", "South", "SouthEast"]
    with pytest.raises(wb.SearchError, match="NO1"):  # text compared with '>': refused
        ws.search(made["Sys"], "{*}[.To_PriceArea.Code>5]")
    ws.create_account("Tenant A")
    ws.create_account("Tenant B")
    ws.add_user("a@tenant.example", "Tenant A", "a fairly long secret")
    _give(ws, "Tenant A", ws.search(made["Sys"], "{*}"))
    _give(ws, "Tenant B", [made["NO1"], made["SouthEast"]])
    member = wb.connect(ws.url, user="a@tenant.example", secret="a fairly long secret")
    sys_, north = made["Sys"].id, made["North"].id
    assert names(member, north, "To_PriceArea") == []
    assert names(member, north, "~") == ["NO2"]
    assert names(member, north, "To_PriceArea/NO1") == []
    assert names(member, sys_, "{*}[.To_PriceArea.Name=NO1]") == []
    assert names(member, sys_, "{*}[.To_PriceArea.Name]") == ["South"]  # North's is hidden
    assert names(member, sys_, "{*}[.Type=Area && !.To_PriceArea.Name=NO2]") == ["North"]
    assert names(member, made["NO2"].id, "~~") == ["North", "South"]  # not SouthEast
    assert names(member, made["NO2"].id, "~~/..") == ["Sys"]
    assert names(member, sys_, "{*}[.To_PriceArea.Code>5]") == []  # NO1's value: no error
    assert names(member, sys_, "To_Areas/To_Areas") == []
    assert names(member, sys_, "To_PriceAreas") == ["NO2"]
    with pytest.raises(wb.NotFound) as hidden:
        member.search(made["NO1"].id, "~~")
    with pytest.raises(wb.NotFound) as absent:
        member.search(10**9, "~~")
    assert str(hidden.value).replace(str(made["NO1"].id), "#") == str(absent.value).replace(
        str(10**9), "#"
    )


def test_the_subtree_query_and_the_level_walk_agree(
    ws: wb.Workspace, made: dict[str, wb.Object]
) -> None:
    """Paths inside criteria are not narrowed in SQL: both walks test them alike."""
    for query in ("{*}[.To_PriceArea.Name=NO1]", "{+}[...Age>1]", "[.Type=Area]{*}/~"):
        fast = search(ws, made["Sys"], query)
        walk = search(ws, made["Sys"], query, subtrees=False)
        assert [o.name for o in fast] == [o.name for o in walk], query  # type: ignore[union-attr]


def test_a_versioned_link_ended_by_an_empty_entry_leads_nowhere(
    ws: wb.Workspace, made: dict[str, wb.Object]
) -> None:
    south = made["South"]
    south.add_link_version("Markets", made["NO1"], "2020-01-01T00:00Z")
    assert names(ws, south, "Markets") == ["NO1"]
    south.add_link_version("Markets", None, "2021-01-01T00:00Z")  # from 2021: no target
    assert names(ws, south, "Markets") == []
    assert names(ws, south, "~") == ["NO2"]
    assert names(ws, made["NO1"], "~~") == ["North", "SouthEast"]


def test_a_relation_name_is_each_definition_own(ws: wb.Workspace, make_model: MakeModel) -> None:
    """Two object definitions with a relation of the same name: each object follows its own."""
    types = {
        "Zone": {},
        "Unit": {
            "Peer": attr("link_one", target="Zone"),
            "Backup": attr("link_one", target="Zone"),
        },
        "Hub": {"Peer": attr("link_many", target="Zone"), "Backup": owns("Zone")},
        "Site": {"To_Units": owns("Unit"), "To_Hubs": owns("Hub"), "To_Zones": owns("Zone")},
    }
    built = make_model(ws, "Site1", definition="Same", types=types,
                       children={"To_Units": ["U"], "To_Hubs": ["H"], "To_Zones": ["Z1", "Z2"]})  # fmt: skip
    o = built.objects
    o["U"].set_links("Peer", o["Z1"])
    o["U"].set_links("Backup", o["Z2"])
    o["H"].set_links("Peer", [o["Z2"], o["Z1"]])
    o["H"].add_child("Backup", "Spare", built.types["Zone"])
    site = built.model
    assert names(ws, site, "To_Units/Peer") == ["Z1"]
    assert names(ws, site, "To_Hubs/Peer") == ["Z2", "Z1"]
    assert names(ws, site, "(To_Units|To_Hubs)/Backup") == ["Z2", "Spare"]
    assert names(ws, site, "{*}[.Backup.Name=Spare]") == ["H"]
