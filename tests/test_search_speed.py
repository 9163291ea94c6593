"""The one-query walk down every level (``{*}``, ``{+}``): the same results as the level-by-level
walk, in the evaluator and over the store (SQLite and PostgreSQL), with access filtering, deep
trees, starts that are not the root, criteria narrowed in SQL, and a bounded number of queries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from conftest import MakeModel, attr, build_model, count_statements, owns
from hypothesis import given, settings
from hypothesis import strategies as st
from search_support import MemoryNavigator, hydro

import workbench as wb
from workbench.api.handles.objects import search_handles as search
from workbench.errors import ExpressionError
from workbench.search import Criteria, Node, ObjectId, SubtreeNavigator, run_search

# --- the evaluator's fast path, in memory ---------------------------------------------------------


@dataclass
class SubtreeMemory(MemoryNavigator):
    """A memory navigator that also lists subtrees; ``extra`` objects it lets through unasked."""

    wheres: list[Criteria | None] = field(default_factory=list)

    def descendants(
        self, ids: Sequence[ObjectId], include_self: bool, where: Criteria | None = None
    ) -> Mapping[ObjectId, Sequence[Node]]:
        self.calls["descendants"] += 1
        self.wheres.append(where)
        out = {}
        for i in ids:
            order = self.preorder(i)  # type: ignore[arg-type]
            out[i] = [self.nodes_by_id[n] for n in (order if include_self else order[1:])]
        return out


def _copy(nav: MemoryNavigator) -> SubtreeMemory:
    return SubtreeMemory(
        dict(nav.nodes_by_id), dict(nav.parent_of), dict(nav.children_of), dict(nav.attributes)
    )


QUERIES = [
    "{*}",
    "{+}",
    "{*}[.Type=PowerPlant]",
    "{+}[.Type=Area]",
    "{*}[.Capacity>5]",
    "{*}[.Type=PowerPlant && .Capacity>5]",
    "{*}[.Name~Plant || .Level>100]",
    "{*}[!(.Type=Area)]",
    '{*}[.Owner="acme energy"]{i}',
    "{*}[.Type=Area]/{+}[.Type=PowerPlant]",
    "{*}[.Type=Area]&{+}",
    "{*}[.Type=PowerPlant]/..",
    "({+}[.Type=Area])+",
    "{+}[.Type=Reservoir].Level",
    "*[.Type=Area]",
]


def _found(nav: MemoryNavigator, query: str, start: int) -> tuple[list[object], list[object]]:
    result = run_search(query, nav, start)
    return [n.id for n in result.objects], [(m.node.id, m.value) for m in result.attributes]


@pytest.mark.parametrize("query", QUERIES)
def test_memory_fast_path_gives_the_walks_results(query: str) -> None:
    walk, fast = hydro(), _copy(hydro())
    assert isinstance(fast, SubtreeNavigator) and not isinstance(walk, SubtreeNavigator)
    for start in walk.nodes_by_id:
        assert _found(fast, query, start) == _found(walk, query, start), (query, start)


def test_memory_fast_path_asks_once_for_every_level() -> None:
    walk, fast = hydro(), _copy(hydro())
    run_search("{*}[.Type=PowerPlant && .Capacity>5]", walk, 1)
    run_search("{*}[.Type=PowerPlant && .Capacity>5]", fast, 1)
    assert walk.calls["children"] == 4 and walk.calls["attribute_values"] == 2
    assert fast.calls == Counter({"nodes": 1, "descendants": 1, "attribute_values": 1})
    assert str(fast.wheres[0]) == "[(.Type=PowerPlant && .Capacity>5)]"
    run_search("*[.Type=Area]", fast, 1)  # a walk that stops at matches: level by level
    assert fast.calls["descendants"] == 1 and fast.calls["children"] == 2


def test_memory_objects_let_through_are_still_tested() -> None:
    """A navigator may narrow loosely (or not at all): the evaluator tests what comes back."""
    nav = _copy(hydro())
    found = run_search("{+}[.Capacity>100]", nav, nav.id_of("Sys"))
    assert [n.name for n in found.objects] == ["PlantA", "PlantC"]
    assert nav.wheres == [found_criteria("{+}[.Capacity>100]")]


def found_criteria(query: str) -> Criteria:
    from workbench.search import Walk, parse_search

    walk = parse_search(query).traversal
    assert isinstance(walk, Walk) and walk.criteria is not None
    return walk.criteria


def test_strict_walk_tests_inputs_reached_from_other_inputs() -> None:
    """From several inputs, a strict walk (``+``) tests an input met below another input.

    The level-by-level walk used to skip that test, so ``({+}[.Type=A])+`` kept ``A1`` although
    ``A2`` lies below it (``A1/B/A2``); both walks now give the most nested matches only.
    """
    for nav in (MemoryNavigator(), SubtreeMemory()):
        root = nav.add(None, "Root", "A")
        a1 = nav.add(root, "A1", "A")
        a2 = nav.add(nav.add(a1, "B", "B"), "A2", "A")
        a3 = nav.add(root, "A3", "A")
        assert [n.id for n in run_search("({+}[.Type=A])+", nav, root).objects] == [a2, a3]
        assert [n.id for n in run_search("({+}[.Type=A]){+}", nav, root).objects] == [a1, a2, a3]
        up = run_search("{*}[.Name=A2]/..{+}[.Type=A]", nav, root).objects
        assert [n.id for n in up] == [a1, root]


@st.composite
def trees(draw: st.DrawFn) -> MemoryNavigator:
    """Random trees of up to 40 objects: types A/B, an optional number X, names n0, n1, ..."""
    nav = MemoryNavigator()
    nav.add(None, "n0", "A", X=1)
    for i in range(1, draw(st.integers(1, 40))):
        parent = draw(st.integers(1, i))
        attrs = {"X": draw(st.integers(0, 3))} if draw(st.booleans()) else {}
        nav.add(parent, f"n{i}", draw(st.sampled_from("AB")), **attrs)
    return nav


RANDOM_QUERIES = [
    "{*}", "{+}", "{*}[.Type=A]", "{+}[.Type=B]", "{*}[.X>1]", "{+}[.X]",
    "{*}[.Type=A]/{*}[.Type=B]", "{*}[.Type=B]/{+}", "{*}[.X=0 || .Name~n1]",
    "{*}[.Type=A]&{+}[.X>0]", "{*}[!(.Type=B)]", "({+}[.Type=A])+", "{*}[.Type=B]/..",
]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(trees(), st.data())
def test_memory_fast_path_on_random_trees(nav: MemoryNavigator, data: st.DataObject) -> None:
    fast = _copy(nav)
    start = data.draw(st.sampled_from(sorted(nav.nodes_by_id)))
    for query in RANDOM_QUERIES:
        assert _found(fast, query, start) == _found(nav, query, start), query


# --- over the store -------------------------------------------------------------------------------


@pytest.fixture
def grid(ws: wb.Workspace, make_model: MakeModel) -> wb.Object:
    """A model with nested areas, plants of every simple attribute type and awkward names."""
    types = {
        "Plant": {
            "Capacity": attr("double", unit="MW", default=1.0),
            "Units": "int64",
            "Active": "boolean",
            "Owner": "string",
            "Tags": attr("string", array=True),
            "Commissioned": "utc_time",
        },
        "Reservoir": {"Level": attr("double", unit="m"), "Capacity": attr("int64", default=7)},
        "Area": {
            "To_Areas": owns("Area"),
            "To_Plants": owns("Plant"),
            "To_Lakes": owns("Reservoir"),
        },
        "System": {"To_Areas": owns("Area")},
    }
    built = make_model(ws, "Grid", definition="G", types=types)
    model = built.model
    plant, lake, area = (built.types[t] for t in ("Plant", "Reservoir", "Area"))
    with ws.transaction():
        north, south = model.add_children("To_Areas", ["North", "South"], area)
        deep = south.add_child("To_Areas", "SouthEast", area).add_child("To_Areas", "Deep", area)
        plants = {
            "PlantA": (north, dict(Capacity=120.0, Units=3, Active=True, Owner="Acme Energy",
                                   Tags=["main", "storage"], Commissioned="2010-05-01T12:00Z")),
            "PlantB": (north, dict(Capacity=4.5, Active=False, Owner="acme energy")),
            "P_1": (south, dict(Capacity=5.0, Units=2**53 + 1)),
            "P%1": (south, dict(Capacity=5.000000001)),
            "PX1": (south, dict(Capacity=0.30000000000000004, Owner="Nordic")),
            "\u017ftation": (deep, dict(Capacity=None)),  # long s: folds to "station"
            "\u212aelvin": (deep, dict(Tags=["spill"])),  # Kelvin sign: folds to "kelvin"
            "Station": (deep, dict(Units=-4, Commissioned="2022-05-10T07:24:15Z")),
        }  # fmt: skip
        for name, (parent, values) in plants.items():
            made = parent.add_child("To_Plants", name, plant)
            for key, value in values.items():
                made[key] = value
        north.add_child("To_Lakes", "Lake1", lake)["Level"] = 120.5
        deep.add_child("To_Lakes", "Lake2", lake)["Capacity"] = 2
    plant.add_attribute("Rating", "double", default=2.0)  # no stored entry: the default applies
    return model


STORE_QUERIES = [
    "{*}", "{+}", "{*}[.Type=Plant]", "{+}[.Type=Area]", "{*}[.Type=plant]{i}",
    "{*}[.Type~lan]", "{*}[.Type#'R.*']", "{*}[.Type!=Plant]", "{*}[.Name=North]",
    "{*}[.Name!=North]", "{*}[.Name=north]{i}", "{*}[.Name~P_]", "{*}[.Name~'P%']",
    "{*}[.Name~station]{i}", "{*}[.Name~STATION]{i}", "{*}[.Name~Station]",
    "{*}[.Name#'kelvin']{i}", "{*}[.Name#'st.*']{i}", "{*}[.Name#'P.1']", "{*}[.Name#'Plant[AB]?']",
    "{*}[.Name#'P_1|PX1']", "{*}[.Capacity>5]", "{*}[.Capacity>=5]", "{*}[.Capacity=5]",
    "{*}[.Capacity<1]", "{*}[.Capacity<=1]", "{*}[.Capacity!=1]", "{*}[.Capacity>5.000000001]",
    "{*}[.Capacity>5.0000000001]", "{*}[.Capacity=7]", "{*}[.Capacity>0.3]",
    "{*}[.Units>9007199254740992]",
    "{*}[.Units<0]", "{*}[.Active=true]", "{*}[.Active!=true]", "{*}[.Owner~acme]{i}",
    "{*}[.Owner='Acme Energy']", "{*}[.Tags~main]", "{*}[.Commissioned>UTC20150101]",
    "{*}[.Rating>1]", "{*}[.Rating<1]", "{*}[.Level]", "{*}[.Capacity]", "{*}[!.Capacity]",
    "{*}[.Type=Plant && .Capacity>5]", "{*}[.Type=Area || .Capacity>100]", "{*}[!(.Capacity>5)]",
    "{*}[.Type=Area]/{+}[.Type=Plant]", "{+}[.Type=Plant].Capacity", "{*}[.Name~Plant]/..",
    "{*}[.Type=Area]&{*}[.Name~S]", "*[.Type=Plant]", "+[.Type=Area]", "{*}[.Level>100].Level",
]  # fmt: skip


def _names(found: list[object]) -> list[str]:
    return [str(getattr(x, "full_name", x)) for x in found]


@pytest.mark.parametrize("start", ["Model/Grid", "Model/Grid/South", "Model/Grid/South/SouthEast"])
def test_store_fast_path_gives_the_walks_results(
    ws: wb.Workspace, grid: wb.Object, start: str
) -> None:
    origin = ws.object(start)
    for query in STORE_QUERIES:
        fast, walk = search(ws, origin, query), search(ws, origin, query, subtrees=False)
        assert _names(fast) == _names(walk), query
        if fast and isinstance(fast[0], wb.Attribute):
            assert [a.value for a in fast] == [a.value for a in walk]  # type: ignore[union-attr]


def test_store_results_in_document_order_with_full_names(ws: wb.Workspace, grid: wb.Object) -> None:
    found = ws.search(grid, "{+}[.Type=Area || .Type=Reservoir]")
    assert _names(found) == [
        "Model/Grid.To_Areas/North",
        "Model/Grid.To_Areas/North.To_Lakes/Lake1",
        "Model/Grid.To_Areas/South",
        "Model/Grid.To_Areas/South.To_Areas/SouthEast",
        "Model/Grid.To_Areas/South.To_Areas/SouthEast.To_Areas/Deep",
        "Model/Grid.To_Areas/South.To_Areas/SouthEast.To_Areas/Deep.To_Lakes/Lake2",
    ]
    assert [o.full_name for o in found] == [ws.get(o.id).full_name for o in found]
    assert _names(ws.search(grid, "{*}[.Name~station]{i}")) == [
        "Model/Grid.To_Areas/South.To_Areas/SouthEast.To_Areas/Deep.To_Plants/\u017ftation",
        "Model/Grid.To_Areas/South.To_Areas/SouthEast.To_Areas/Deep.To_Plants/Station",
    ]
    assert [o.name for o in ws.search(grid, "{*}[.Name~P_]")] == ["P_1"]  # `_` is no wildcard
    assert [o.name for o in ws.search(grid, "{*}[.Rating>1]")][:2] == ["PlantA", "PlantB"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("{*}[.Capacity>0.3 && .Capacity<0.31]", ["PX1"]),
        ("{*}[.Capacity=0.30000000000000004]", ["PX1"]),
        ("{*}[.Capacity>5]", ["PlantA", "Lake1", "P%1"]),
        ("{*}[.Capacity=7]", ["Lake1"]),
        ("{*}[.Active=true]", ["PlantA"]),
        ("{*}[.Active=false]", ["PlantB"]),
        ("{*}[.Units>9007199254740992]", ["P_1"]),
        ("{*}[.Units<0]", ["Station"]),
        ("{*}[.Tags~spill]", ["\u212aelvin"]),
        ("{*}[.Commissioned>UTC20150101]", ["Station"]),
        ("{*}[.Owner=Nordic]", ["PX1"]),
        ("{*}[.Rating=2 && .Name~P]", ["PlantA", "PlantB", "P_1", "P%1", "PX1"]),
    ],
)
def test_store_values_compare_exactly(
    ws: wb.Workspace, grid: wb.Object, query: str, expected: list[str]
) -> None:
    """Values read from the stored JSON keep their type and every digit (both walks)."""
    for subtrees in (True, False):
        assert [o.name for o in search(ws, grid, query, subtrees=subtrees)] == expected


def test_moved_objects_keep_walking_order(ws: wb.Workspace, grid: wb.Object) -> None:
    """A moved subtree (ids older than its new parent's) still comes in document order."""
    ws.object("Model/Grid/North").move(ws.object("Model/Grid/South/SouthEast/Deep"), "To_Areas")
    query = "{*}[.Type=Area || .Type=Plant]"
    fast = search(ws, grid, query)
    assert _names(fast) == _names(search(ws, grid, query, subtrees=False))
    assert [o.name for o in fast][:6] == ["South", "SouthEast", "Deep", "North", "PlantA", "PlantB"]
    south = ws.object("Model/Grid/South")
    assert _names(search(ws, south, query)) == _names(search(ws, south, query, subtrees=False))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("{*}[.Name<abc]", "operator '<' compares numbers and times, not 'Name'"),
        ("{+}[.Capacity~5]", "operator '~' does not apply to the number attribute .Capacity"),
        ("{+}[.Type=Plant && .Owner>3]", "operator '>' does not apply to the text attribute"),
        ("{+}[.Active>1]", "boolean attribute .Active"),
    ],
)
def test_store_refusals_are_the_walks(
    ws: wb.Workspace, grid: wb.Object, query: str, message: str
) -> None:
    for subtrees in (True, False):
        with pytest.raises(ExpressionError, match=message):
            search(ws, grid, query, subtrees=subtrees)


def _chain(ws: wb.Workspace, depth: int, name: str) -> wb.Object:
    """A model that is a chain of ``depth`` areas under its root, each with one plant."""
    types = {
        "Plant": {"Capacity": attr("double", default=1.0)},
        "Area": {"To_Areas": attr("ownership_one", target="Area"), "To_Plants": owns("Plant")},
    }
    built = build_model(ws, name, definition=f"Chain{name}", types=types)
    model, plant, area = built.model, built.types["Plant"], built.types["Area"]
    with ws.transaction():
        node = model
        for level in range(depth):
            node.add_child("To_Plants", f"P{level}", plant)["Capacity"] = float(level)
            node = node.add_child("To_Areas", f"L{level}", area)
    return model


def test_deep_trees_take_as_many_queries_as_shallow_ones(ws: wb.Workspace) -> None:
    shallow, deep = _chain(ws, 3, "Shallow"), _chain(ws, 60, "Deep")
    counts = {}
    for model in (shallow, deep):
        query = "{+}[.Type=Plant && .Capacity>=2]"
        with count_statements(ws.engine) as fast:
            found = search(ws, model, query)
        with count_statements(ws.engine) as walk:
            assert _names(search(ws, model, query, subtrees=False)) == _names(found)
        counts[model.name] = len(fast)
        assert len(walk) > len(fast)
    assert counts["Shallow"] == counts["Deep"]
    assert [o.name for o in ws.search(deep, "{*}[.Name=P59]")] == ["P59"]
    middle = ws.object(ws.search(deep, "{*}[.Name=L29]")[0].id)
    assert len(ws.search(middle, "{*}")) == 1 + 2 * 30 and len(ws.search(middle, "{+}")) == 60
    assert [o.name for o in ws.search(middle, "{+}[.Type=Plant]")][:2] == ["P30", "P31"]


def test_queries_do_not_grow_with_the_model(ws: wb.Workspace, grid: wb.Object) -> None:
    small = _chain(ws, 2, "Small")
    query = "{*}[.Type=Plant && .Capacity>0].Capacity"
    with count_statements(ws.engine) as few:
        search(ws, small, query)
    with count_statements(ws.engine) as more:
        search(ws, grid, query)
    assert len(few) == len(more) <= 20


# --- access: a model shared by tenants ------------------------------------------------------------


def _give(ws: wb.Workspace, account: str, objects: Sequence[wb.Object]) -> None:
    """Put objects (not their subtrees) in another account, straight in the store."""
    account_id = next(a.id for a in ws.accounts() if a.name == account)
    table = sa.table("objects", sa.column("id"), sa.column("account_id"))
    with ws.engine.begin() as conn:
        conn.execute(
            sa.update(table)
            .where(table.c.id.in_([o.id for o in objects]))
            .values(account_id=account_id)
        )


@pytest.fixture
def tenants(ws: wb.Workspace, grid: wb.Object) -> dict[str, wb.Workspace]:
    """Grid in Tenant A but for North (with PlantA) in Tenant B; PlantB (in North) back in A."""
    ws.create_account("Tenant A")
    ws.create_account("Tenant B")
    for member, account in (("a@tenant.example", "Tenant A"), ("b@tenant.example", "Tenant B")):
        ws.add_user(member, account, "a fairly long secret")
    everything = ws.search(grid, "{*}")
    _give(ws, "Tenant A", everything)
    north = ws.object("Model/Grid/North")
    _give(ws, "Tenant B", [north, *ws.search(north, "{+}[.Name!=PlantB]")])
    return {
        account: wb.connect(ws.url, user=member, secret="a fairly long secret")
        for member, account in (("a@tenant.example", "A"), ("b@tenant.example", "B"))
    }


def test_a_member_finds_only_what_they_may_read(
    ws: wb.Workspace, grid: wb.Object, tenants: dict[str, wb.Workspace]
) -> None:
    member = tenants["A"]
    seen = member.search(grid.id, "{*}")
    names = [o.name for o in seen]
    assert "North" not in names and "PlantA" not in names and "Lake1" not in names
    assert "PlantB" not in names  # readable, but below an object the member may not read
    assert names[:4] == ["Grid", "South", "SouthEast", "Deep"]
    assert len(names) == len(ws.search(grid, "{*}")) - 4
    for query in STORE_QUERIES:
        fast, walk = search(member, grid.id, query), search(member, grid.id, query, subtrees=False)
        assert _names(fast) == _names(walk), query
    with pytest.raises(wb.NotFound):
        tenants["B"].search(grid.id, "{*}")
    north = tenants["B"].object(ws.object("Model/Grid/North").id)  # its model is not B's
    found = tenants["B"].search(north, "{*}")
    assert [o.name for o in found] == ["North", "PlantA", "Lake1"]
    assert found[1].full_name == "Model/Grid.To_Areas/North.To_Plants/PlantA"
    (up,) = tenants["B"].search(found[1], "..")  # its own parent is not readable
    assert up.full_name == "Model/Grid.To_Areas/North"


def test_a_member_takes_as_many_queries_as_an_admin(
    ws: wb.Workspace, grid: wb.Object, tenants: dict[str, wb.Workspace]
) -> None:
    counts = []
    for who in (ws, tenants["A"]):
        start = who.object(grid.id)
        with count_statements(who.engine) as seen:
            found = search(who, start, "{*}[.Type=Plant && .Capacity>=1].Capacity")
        assert [a.object.name for a in found] == (  # type: ignore[union-attr]
            ["PlantA", "PlantB", "\u212aelvin", "Station", "P_1", "P%1"]
            if who is ws
            else ["\u212aelvin", "Station", "P_1", "P%1"]
        )
        counts.append(len(seen))
    assert counts[0] == counts[1]
    reads = [s for s in seen if "FROM objects" in s]
    assert reads and all("account_id IS NULL OR" in s for s in reads), reads
