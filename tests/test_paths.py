"""Tests of paths: parsing, short paths, full names, attribute paths, ids, ambiguity, round trips."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from conftest import MakeModel, attr, owns
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench.errors import AmbiguousPath, InvalidValue, NotFound
from workbench.paths import ObjectPath, Segment, check_name, parse_path

# names as users write them: anything printable but '/', '.', and white space at the ends
names = st.text(
    st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="/."),
    min_size=1,
    max_size=30,
).filter(lambda n: n == n.strip() and n.strip() != "")


@st.composite
def paths(draw: st.DrawFn) -> ObjectPath:
    count = draw(st.integers(1, 6))
    full = draw(st.booleans())
    segments = [
        Segment(draw(names), draw(names) if full and i < count - 1 else None) for i in range(count)
    ]
    return ObjectPath(tuple(segments), draw(st.none() | names))


@given(paths())
def test_path_text_round_trips(path: ObjectPath) -> None:
    text = str(path)
    assert parse_path(text) == path
    assert str(parse_path(text)) == text
    assert parse_path(path) is path


def test_parse_path_parts() -> None:
    p = parse_path("Model/Sys.To_Areas/North.To_Plants/PlantA.MaxPower")
    assert (p.names, p.attribute, p.is_full, p.model) == (
        ("Sys", "North", "PlantA"),
        "MaxPower",
        True,
        "Sys",
    )
    assert str(p.object_path) == "Model/Sys.To_Areas/North.To_Plants/PlantA"
    short = parse_path("Model/Sys/North/PlantA")
    assert (short.is_full, short.attribute) == (False, None)
    assert str(short / "U1") == "Model/Sys/North/PlantA/U1"
    assert str(short.child("U1", via="To_Units")) == "Model/Sys/North/PlantA.To_Units/U1"
    assert str(short.with_attribute("Level")) == "Model/Sys/North/PlantA.Level"
    assert parse_path("Model/Sys/").names == ("Sys",)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("Sys/PlantA", "must start with 'Model/'"),
        ("Model", "must start with 'Model/'"),
        ("Model//PlantA", "segment name must be a non-empty string"),
        ("Model/Sys/Plant.A.B", "'Plant.A.B' has more than one '.'"),
        ("Model/Sys./PlantA", "attribute name must be a non-empty string"),
        ("Model/ Sys/PlantA", "' Sys' has leading or trailing white space"),
        (42, "must be a string such as 'Model/M/A', got 42"),
    ],
)
def test_malformed_paths_are_refused(text: str, match: str) -> None:
    with pytest.raises(InvalidValue, match=match):
        parse_path(text)


@pytest.mark.parametrize("bad", ["a/b", "a.b", "", "   ", "\x00", "x" * 201])
def test_check_name_refuses(bad: str) -> None:
    with pytest.raises(InvalidValue, match=re.escape(repr(bad[:40]))):
        check_name(bad)


@pytest.fixture
def tree(ws: wb.Workspace, make_model: MakeModel) -> Iterator[wb.Workspace]:
    """Model/Sys with PlantA under two areas (an ambiguous short path) and a spare one."""
    types = {
        "Unit": {},
        "PowerPlant": {
            "MaxPower": attr("double", unit="MW", default=10.0),
            "To_Units": owns("Unit"),
        },
        "Area": {"To_Plants": owns("PowerPlant"), "To_Reserve": owns("PowerPlant")},
        "System": {"To_Areas": owns("Area")},
    }
    made = make_model(ws, "Sys", types=types, children={"To_Areas": ["North", "South"]})
    north, south = made.objects["North"], made.objects["South"]
    unit, plant = made.types["Unit"], made.types["PowerPlant"]
    north.add_child("To_Plants", "PlantA", plant).add_child("To_Units", "U1", unit)
    north.add_child("To_Reserve", "PlantA", plant)
    south.add_child("To_Plants", "PlantA", plant)
    yield ws


def test_lookup_by_short_path_full_name_and_id(tree: wb.Workspace) -> None:
    ws = tree
    unit = ws.get("Model/Sys/North/PlantA/U1")
    assert unit.full_name == "Model/Sys.To_Areas/North.To_Plants/PlantA.To_Units/U1"
    assert unit.short_path == "Model/Sys/North/PlantA/U1"
    assert ws.get(unit.full_name) == unit
    assert ws.get(unit.id) == unit and ws.get(unit.id).full_name == unit.full_name
    assert ws.get(parse_path(unit.full_name)) == unit
    assert ws.object("Model/Sys/South/PlantA").full_name == (
        "Model/Sys.To_Areas/South.To_Plants/PlantA"
    )
    mixed = ws.get("Model/Sys/North.To_Reserve/PlantA")  # a partly full path
    assert mixed.full_name == "Model/Sys.To_Areas/North.To_Reserve/PlantA"


def test_attribute_paths_and_attribute_ids(tree: wb.Workspace) -> None:
    ws = tree
    attr = ws.get("Model/Sys.To_Areas/South.To_Plants/PlantA.MaxPower")
    assert isinstance(attr, wb.Attribute)
    assert (attr.name, attr.value, attr.unit) == ("MaxPower", 10.0, "MW")
    assert attr.full_name == "Model/Sys.To_Areas/South.To_Plants/PlantA.MaxPower"
    assert ws.get("Model/Sys/South/PlantA.MaxPower").full_name == attr.full_name
    by_id = ws.get(attr.id)
    assert (by_id.full_name, by_id.value) == (attr.full_name, 10.0)
    owner = ws.get("Model/Sys/North.To_Plants/PlantA.To_Units")
    assert [u.full_name for u in owner.value] == [
        "Model/Sys.To_Areas/North.To_Plants/PlantA.To_Units/U1"
    ]
    with pytest.raises(InvalidValue, match="names an attribute, not an object"):
        ws.object(attr.full_name)


def test_an_ambiguous_short_path_lists_the_full_names(tree: wb.Workspace) -> None:
    with pytest.raises(AmbiguousPath) as caught:
        tree.get("Model/Sys/North/PlantA")
    assert caught.value.candidates == (
        "Model/Sys.To_Areas/North.To_Plants/PlantA",
        "Model/Sys.To_Areas/North.To_Reserve/PlantA",
    )
    assert "use one of the full names: Model/Sys.To_Areas/North.To_Plants/PlantA, " in str(
        caught.value
    )
    with pytest.raises(AmbiguousPath, match="'Model/Sys/North/PlantA'"):
        tree.get("Model/Sys/North/PlantA.MaxPower")
    north = tree.get("Model/Sys/North")
    with pytest.raises(AmbiguousPath, match="To_Reserve/PlantA"):
        north.child("PlantA")
    assert north.child("PlantA", "To_Reserve").full_name.endswith("To_Reserve/PlantA")


@pytest.mark.parametrize(
    ("key", "error", "match"),
    [
        ("Model/Sys/East", NotFound, "'Model/Sys/East'"),
        ("Model/Sys.To_Plants/North", NotFound, "'Model/Sys.To_Plants/North'"),
        ("Model/Other", NotFound, "'Model/Other'"),
        ("Model/Sys/South/PlantA.MinPower", NotFound, "'MinPower'.*has the attributes: MaxPower"),
        (987654, NotFound, "987654"),
        ("987654:1", NotFound, "987654"),
        ("12:x", InvalidValue, "'12:x' must look like '12:7'"),
        ("Plants/PlantA", InvalidValue, "must start with 'Model/'"),
        (1.5, InvalidValue, "got 1.5"),
        (True, InvalidValue, "got True"),
    ],
)
def test_lookups_that_find_nothing(
    tree: wb.Workspace, key: object, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        tree.get(key)  # type: ignore[arg-type]


def test_everything_returned_carries_its_full_name(tree: wb.Workspace) -> None:
    ws = tree
    m = ws.get("Model/Sys")
    north = m.children()[0]
    assert north.full_name == "Model/Sys.To_Areas/North"
    assert [c.full_name for c in north.children()] == [
        "Model/Sys.To_Areas/North.To_Plants/PlantA",
        "Model/Sys.To_Areas/North.To_Reserve/PlantA",
    ]
    unit = ws.get("Model/Sys/North.To_Plants/PlantA/U1")
    assert unit.parent.full_name == "Model/Sys.To_Areas/North.To_Plants/PlantA"
    assert unit.model.full_name == "Model/Sys"
    assert [a.full_name for a in unit.parent.attributes()] == [
        "Model/Sys.To_Areas/North.To_Plants/PlantA.MaxPower",
        "Model/Sys.To_Areas/North.To_Plants/PlantA.To_Units",
    ]
    assert [x.full_name for x in ws.models()] == ["Model/Sys"]


_tree_names = st.lists(st.sampled_from(["A", "B", "C", "Å b", "x-1"]), min_size=1, max_size=4)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.sampled_from(["To_Areas", "To_More"]), names),
        min_size=1,
        max_size=15,
    ),
    st.data(),
)
def test_object_to_full_name_to_object(
    sqlite_ws: wb.Workspace, steps: list[tuple[int, str, str]], data: st.DataObject
) -> None:
    """Random trees: every object is found again by its full name, its id and its short path."""
    ws = sqlite_ws
    for m in ws.models():
        m.delete(recursive=True)
    try:
        area = ws.model_definition("Tree").object_definition("Area")
    except NotFound:
        md = ws.create_model_definition("Tree")
        area = md.create_object_definition("Area")
        area.add_attribute("To_Areas", "ownership_many", target=area)
        area.add_attribute("To_More", "ownership_many", target=area)
    objects = [ws.create_model("Root", definition="Tree", root_type=area)]
    for parent_index, via, name in steps:
        parent = objects[parent_index % len(objects)]
        if name not in [c.name for c in parent.children(via)]:
            objects.append(parent.add_child(via, name, area))
    obj = data.draw(st.sampled_from(objects))
    assert ws.get(obj.full_name) == obj
    assert ws.get(obj.full_name).full_name == obj.full_name
    assert ws.get(obj.id).full_name == obj.full_name
    assert str(parse_path(obj.full_name)) == obj.full_name
    try:
        found = ws.get(obj.short_path)
    except AmbiguousPath as exc:
        assert obj.full_name in exc.candidates and len(exc.candidates) > 1
    else:
        assert found == obj
