"""Tests of models and objects through the public API: ownership, values, edits, curves, batches.

Every refusal is checked twice: the error names the bad value, and the store is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import refused, store_state

import workbench as wb
from workbench.curves import (
    RatingCurve,
    RatingCurveVersion,
    RatingSegment,
    VersionedXYSet,
    XYCurve,
    XYSet,
    XYSetVersion,
)
from workbench.errors import ConcurrentEdit, InvalidValue, NotFound, StoreError


@dataclass
class Setup:
    ws: wb.Workspace
    md: wb.ModelDefinition
    system: wb.ObjectDefinition
    plant: wb.ObjectDefinition
    unit: wb.ObjectDefinition
    model: wb.Object


@pytest.fixture
def setup(ws: wb.Workspace) -> Setup:
    md = ws.create_model_definition("EnergySystem")
    unit = md.create_object_definition("Unit")
    plant = md.create_object_definition("PowerPlant", namespace="Hydro")
    plant.add_attribute("Turbines", "int64", minimum=0, maximum=12, default=0)
    plant.add_attribute("Capacity", "double", minimum=0, maximum=1000, unit="MW")
    plant.add_attribute(
        "Commissioned",
        "utc_time",
        minimum="UTC20000101",
        maximum="UTC20991231235959",
        default="UTC20220510072415",
    )
    plant.add_attribute("Kind", "string", allowed=["run-of-river", "storage"], default="storage")
    plant.add_attribute("Active", "boolean", default=True)
    plant.add_attribute("Levels", "double", array=True, min_count=1, max_count=3, default=[1.0])
    plant.add_attribute("Outages", "utc_time", array=True)
    plant.add_attribute("Efficiency", "xy_set")
    plant.add_attribute("Gates", "versioned_xy_set")
    plant.add_attribute("Rating", "rating_curve")
    plant.add_attribute("To_Units", "ownership_many", target=unit)
    plant.add_attribute("To_Main", "ownership_one", target=unit)
    system = md.create_object_definition("System")
    system.add_attribute("To_Plants", "ownership_many", target=plant)
    system.add_attribute("To_Spare", "ownership_many", target=plant)
    model = ws.create_model("MySystem", definition=md, root_type=system)
    return Setup(ws, md, system, plant, unit, model)


# -- models ----------------------------------------------------------------------------------


def test_a_model_is_its_root_object(setup: Setup) -> None:
    ws, m = setup.ws, setup.model
    assert (m.name, m.full_name, m.is_model, m.parent, m.model) == (
        "MySystem",
        "Model/MySystem",
        True,
        None,
        m,
    )
    assert m.type_name == "System"
    second = ws.create_model("Other", definition="EnergySystem", root_type="System")
    assert [x.name for x in ws.models()] == ["MySystem", "Other"]
    assert ws.get("Model/Other") == second
    refused(
        ws,
        InvalidValue,
        "a model named 'Other' already exists",
        lambda: ws.create_model("Other", definition=setup.md, root_type=setup.system),
    )
    refused(
        ws,
        NotFound,
        "'Nope'",
        lambda: ws.create_model("Third", definition=setup.md, root_type="Nope"),
    )
    refused(
        ws,
        InvalidValue,
        "'a/b'",
        lambda: ws.create_model("a/b", definition=setup.md, root_type=setup.system),
    )
    refused(
        ws, InvalidValue, "a model cannot be moved", lambda: second.move(setup.model, "To_Plants")
    )


# -- ownership ---------------------------------------------------------------------------------


def test_objects_are_created_under_ownership_attributes(setup: Setup) -> None:
    m = setup.model
    a = m.add_child("To_Plants", "PlantA", setup.plant)
    b, c = m.add_children("To_Plants", ["PlantB", "PlantC"], "PowerPlant")
    spare = m.add_child("To_Spare", "PlantA", setup.plant)  # same name, other attribute
    assert a.full_name == "Model/MySystem.To_Plants/PlantA"
    assert spare.full_name == "Model/MySystem.To_Spare/PlantA"
    assert a.short_path == "Model/MySystem/PlantA"
    assert [o.name for o in m.children("To_Plants")] == ["PlantA", "PlantB", "PlantC"]
    assert m.children() == [a, b, c, spare]
    assert m["To_Plants"] == [a, b, c]
    assert a.parent == m and a.model == m and a.type_name == "PowerPlant"
    assert m.child("PlantB") == b


def test_ownership_refusals(setup: Setup) -> None:
    ws, m = setup.ws, setup.model
    a = m.add_child("To_Plants", "PlantA", setup.plant)
    refused(
        ws,
        InvalidValue,
        r"already owns objects named \['PlantA'\]",
        lambda: m.add_child("To_Plants", "PlantA", setup.plant),
    )
    refused(
        ws,
        InvalidValue,
        "'PlantX' is given twice",
        lambda: m.add_children("To_Plants", ["PlantX", "PlantX"], setup.plant),
    )
    refused(
        ws,
        InvalidValue,
        "takes objects of type 'PowerPlant', not 'Unit'",
        lambda: m.add_child("To_Plants", "U1", setup.unit),
    )
    refused(
        ws,
        InvalidValue,
        "is int64, not ownership_one or ownership_many",
        lambda: a.add_child("Turbines", "U1", setup.unit),
    )
    refused(ws, NotFound, "'To_Nothing'", lambda: a.add_child("To_Nothing", "U1", setup.unit))
    refused(ws, InvalidValue, "'U.1'", lambda: a.add_child("To_Units", "U.1", setup.unit))
    refused(ws, InvalidValue, "'U/1'", lambda: a.add_child("To_Units", "U/1", setup.unit))
    refused(ws, NotFound, "'Turbine'", lambda: a.add_child("To_Units", "U1", "Turbine"))
    other = ws.create_model_definition("Other").create_object_definition("Unit")
    refused(
        ws,
        InvalidValue,
        "belongs to another model definition",
        lambda: a.add_child("To_Units", "U1", other),
    )


def test_one_to_one_ownership_takes_one_object_while_empty(setup: Setup) -> None:
    ws = setup.ws
    a = setup.model.add_child("To_Plants", "PlantA", setup.plant)
    refused(
        ws,
        InvalidValue,
        "one-to-one.*got 2 objects",
        lambda: a.add_children("To_Main", ["U1", "U2"], setup.unit),
    )
    main = a.add_child("To_Main", "U1", setup.unit)
    assert a["To_Main"] == main
    refused(
        ws,
        InvalidValue,
        "To_Main is one-to-one.*already owns 'U1'",
        lambda: a.add_child("To_Main", "U2", setup.unit),
    )
    loose = a.add_child("To_Units", "U2", setup.unit)
    refused(ws, InvalidValue, "already owns 'U1'", lambda: loose.move(a, "To_Main"))
    main.delete()
    loose.move(a, "To_Main")
    assert a["To_Main"] == loose and a["To_Units"] == []


# -- values ------------------------------------------------------------------------------------


def test_new_objects_hold_the_defaults(setup: Setup) -> None:
    a = setup.model.add_child("To_Plants", "PlantA", setup.plant)
    assert a.values() == {
        "Turbines": 0,
        "Capacity": None,
        "Commissioned": datetime(2022, 5, 10, 7, 24, 15, tzinfo=UTC),
        "Kind": "storage",
        "Active": True,
        "Levels": [1.0],
        "Outages": [],
    }
    assert (a["Efficiency"], a["Gates"], a["Rating"]) == (None, None, None)
    batch = setup.model.add_children("To_Plants", ["B", "C"], setup.plant)
    assert all(o.values() == a.values() for o in batch)


def test_values_are_validated_and_stored(setup: Setup) -> None:
    a = setup.model.add_child("To_Plants", "PlantA", setup.plant)
    a["Turbines"] = 12
    a["Capacity"] = 250  # an int for a double is stored as a float
    a["Commissioned"] = "UTC20000101"
    a["Kind"] = "run-of-river"
    a["Active"] = False
    a["Levels"] = [1.0, 2.5, 3]
    a["Outages"] = ["2024-01-01T00:00:00Z", "UTC20240301120000"]
    b = setup.ws.get(a.id)
    assert b.values() == {
        "Turbines": 12,
        "Capacity": 250.0,
        "Commissioned": datetime(2000, 1, 1, tzinfo=UTC),
        "Kind": "run-of-river",
        "Active": False,
        "Levels": [1.0, 2.5, 3.0],
        "Outages": [datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 3, 1, 12, tzinfo=UTC)],
    }
    a["Capacity"] = None
    assert b.refresh()["Capacity"] is None


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("Turbines", -1, "-1 is below the minimum 0"),
        ("Turbines", 13, "13 is above the maximum 12"),
        ("Turbines", 2.5, "whole number.*2.5"),
        ("Turbines", True, "whole number.*True"),
        ("Turbines", 2**63, "does not fit in 64 bits"),
        ("Capacity", "ten", "takes a number.*'ten'"),
        ("Capacity", 1000.5, "1000.5 is above the maximum 1000"),
        ("Capacity", float("inf"), "finite number, got inf"),
        ("Commissioned", "UTC19991231235959", "'UTC19991231235959' is below the minimum"),
        ("Commissioned", "UTC21000101", "'UTC21000101' is above the maximum"),
        ("Commissioned", "UTC20221340", "'UTC20221340' is not a valid time"),
        ("Commissioned", "yesterday", "'yesterday' is not understood"),
        ("Commissioned", datetime(2022, 1, 1), "has no timezone"),
        ("Kind", "wind", "'wind' is not one of the allowed values"),
        ("Active", 1, "True or False, got 1"),
        ("Levels", [], "takes 1 to 3 values, got 0"),
        ("Levels", [1.0, 2.0, 3.0, 4.0], "takes 1 to 3 values, got 4"),
        ("Levels", 1.0, r"holds an array \(a list\); got 1.0"),
        ("Levels", [1.0, "x"], "got 'x'"),
        ("Efficiency", 3, "takes a XYSet, got 3"),
        ("Rating", {"versions": "x"}, "RatingCurve.versions"),
        ("To_Units", [], "use add_child/move for ownership"),
    ],
)
def test_invalid_values_are_refused(setup: Setup, name: str, value: Any, match: str) -> None:
    a = setup.model.add_child("To_Plants", "PlantA", setup.plant)
    before = a.values()
    refused(setup.ws, InvalidValue, match, lambda: a.__setitem__(name, value))
    assert a.refresh().values() == before and a.version == 1


def efficiency() -> XYSet:
    return XYSet(
        (
            XYCurve(10.0, (0.0, 50.5, 100.0), (0.0, 0.91, 0.88)),
            XYCurve(20.0, (0.0, 1e-9, 100.0), (0.1, 1 / 3, 0.93)),
        ),
        x_unit="MW",
        y_unit="",
        z_unit="m",
        description="efficiency by head",
    )


def rating() -> RatingCurve:
    first = RatingCurveVersion(
        datetime(2024, 1, 1),
        0.5,
        (RatingSegment(2.0, 1.25, 0.0, 2.0), RatingSegment(5.0, 2.0, -0.1, 1.5)),
    )
    second = RatingCurveVersion(
        datetime(2025, 6, 1, 12), 0.0, (RatingSegment(9.75, 0.1, 0.2, 1 / 7),)
    )
    return RatingCurve((first, second))


def test_curves_are_stored_and_read_back_exactly(setup: Setup) -> None:
    a = setup.model.add_child("To_Plants", "PlantA", setup.plant)
    gates = VersionedXYSet(
        (
            XYSetVersion(datetime(2023, 1, 1), efficiency()),
            XYSetVersion(
                datetime(2024, 2, 29, 23, 59, 59, 123456),
                XYSet((XYCurve(0.0, (1.0, 2.0), (3.0, -4.0)),)),
            ),
        )
    )
    a["Efficiency"] = efficiency()
    a["Gates"] = gates
    a["Rating"] = rating().to_dict()  # the plain form is accepted too
    b = setup.ws.get(a.full_name)
    assert b["Efficiency"] == efficiency()
    assert b["Gates"] == gates
    assert b["Rating"] == rating()
    assert b["Rating"].to_dict() == rating().to_dict()
    assert b["Gates"].at(datetime(2024, 6, 1)).curves[0].y == (3.0, -4.0)
    a["Rating"] = None
    assert b["Rating"] is None


def test_a_curve_of_the_wrong_kind_is_refused(setup: Setup) -> None:
    a = setup.model.add_child("To_Plants", "PlantA", setup.plant)
    refused(
        setup.ws,
        InvalidValue,
        "takes a RatingCurve, got XYSet",
        lambda: a.__setitem__("Rating", efficiency()),
    )


# -- rename, move, delete ------------------------------------------------------------------------


def test_rename(setup: Setup) -> None:
    ws, m = setup.ws, setup.model
    a, b = m.add_children("To_Plants", ["PlantA", "PlantB"], setup.plant)
    unit = a.add_child("To_Units", "U1", setup.unit)
    a.rename("PlantZ")
    assert (a.name, a.full_name, a.version) == ("PlantZ", "Model/MySystem.To_Plants/PlantZ", 2)
    assert ws.get("Model/MySystem/PlantZ/U1") == unit
    with pytest.raises(NotFound, match="'Model/MySystem/PlantA'"):
        ws.get("Model/MySystem/PlantA")
    refused(ws, InvalidValue, "already owns an object named 'PlantB'", lambda: a.rename("PlantB"))
    refused(ws, InvalidValue, "'Plant.B'", lambda: a.rename("Plant.B"))
    m.rename("Renamed")
    assert ws.get("Model/Renamed/PlantB") == b
    ws.create_model("Other", definition=setup.md, root_type=setup.system)
    refused(ws, InvalidValue, "a model named 'Other' already exists", lambda: m.rename("Other"))


def test_move_keeps_the_subtree_and_refuses_cycles(setup: Setup) -> None:
    ws, m = setup.ws, setup.model
    a = m.add_child("To_Plants", "PlantA", setup.plant)
    unit = a.add_child("To_Units", "U1", setup.unit)
    a.move(m, "To_Spare")
    assert a.full_name == "Model/MySystem.To_Spare/PlantA"
    assert ws.get("Model/MySystem.To_Spare/PlantA.To_Units/U1") == unit
    assert m.children("To_Plants") == []
    other = ws.create_model("Other", definition=setup.md, root_type=setup.system)
    a.move(other, "To_Plants")
    assert ws.get("Model/Other/PlantA/U1").model == other
    b = other.add_child("To_Plants", "PlantB", setup.plant)
    refused(
        ws,
        InvalidValue,
        "takes objects of type 'Unit', not 'PowerPlant'",
        lambda: b.move(a, "To_Units"),
    )
    refused(ws, InvalidValue, "is int64, not ownership", lambda: b.move(a, "Turbines"))
    m.add_child("To_Plants", "PlantB", setup.plant)
    refused(
        ws, InvalidValue, "already owns an object named 'PlantB'", lambda: b.move(m, "To_Plants")
    )


def test_move_under_itself_or_a_descendant_is_refused(setup: Setup, ws: wb.Workspace) -> None:
    md = setup.md
    area = md.create_object_definition("Area")
    area.add_attribute("To_Areas", "ownership_many", target=area)
    setup.system.add_attribute("To_Areas", "ownership_many", target=area)
    top = setup.model.add_child("To_Areas", "North", area)
    middle = top.add_child("To_Areas", "Fjord", area)
    bottom = middle.add_child("To_Areas", "Valley", area)
    refused(
        ws,
        InvalidValue,
        "moving Model/MySystem.To_Areas/North under .*Valley would make a cycle",
        lambda: top.move(bottom, "To_Areas"),
    )
    refused(ws, InvalidValue, "would make a cycle", lambda: top.move(top, "To_Areas"))
    bottom.move(top, "To_Areas")
    assert [c.name for c in top.children()] == ["Fjord", "Valley"]


def test_delete_is_recursive_only_when_asked(setup: Setup) -> None:
    ws, m = setup.ws, setup.model
    a, b = m.add_children("To_Plants", ["PlantA", "PlantB"], setup.plant)
    a.add_children("To_Units", ["U1", "U2"], setup.unit)
    refused(
        ws,
        InvalidValue,
        "Model/MySystem.To_Plants/PlantA has 2 descendants; "
        r"delete\(recursive=True\)",
        a.delete,
    )
    b.delete()
    with pytest.raises(NotFound, match=str(b.id)):
        ws.get(b.id)
    a.delete(recursive=True)
    assert m.children() == []
    with pytest.raises(NotFound):
        ws.get("Model/MySystem/PlantA/U1")
    m.delete()
    assert ws.models() == []


# -- optimistic locking --------------------------------------------------------------------------


def test_a_stale_handle_is_refused_until_refreshed(setup: Setup) -> None:
    ws = setup.ws
    mine = setup.model.add_child("To_Plants", "PlantA", setup.plant)
    theirs = ws.get(mine.full_name)
    theirs["Turbines"] = 4
    refused(
        ws,
        ConcurrentEdit,
        rf"object {mine.id} was changed .* since version 1 .*refresh",
        lambda: mine.__setitem__("Turbines", 5),
    )
    refused(ws, ConcurrentEdit, "since version 1", lambda: mine.rename("PlantB"))
    refused(ws, ConcurrentEdit, "since version 1", lambda: mine.move(setup.model, "To_Spare"))
    refused(ws, ConcurrentEdit, "since version 1", mine.delete)
    assert mine.refresh().version == 2 and mine["Turbines"] == 4
    mine["Turbines"] = 5
    assert theirs.refresh()["Turbines"] == 5 and theirs.version == 3


# -- transactions --------------------------------------------------------------------------------


def test_a_transaction_groups_calls(setup: Setup) -> None:
    ws, m = setup.ws, setup.model
    with ws.transaction():
        a = m.add_child("To_Plants", "PlantA", setup.plant)
        a["Turbines"] = 3
        a.add_child("To_Units", "U1", setup.unit)
        assert ws.get("Model/MySystem/PlantA/U1").name == "U1"  # seen inside the batch
    assert ws.get("Model/MySystem/PlantA")["Turbines"] == 3


def test_an_exception_inside_a_transaction_leaves_nothing(setup: Setup) -> None:
    ws, m = setup.ws, setup.model
    before = store_state(ws)
    with pytest.raises(RuntimeError, match="changed my mind"), ws.transaction():
        m.add_child("To_Plants", "PlantA", setup.plant)["Turbines"] = 3
        setup.md.create_object_definition("Dam")
        raise RuntimeError("changed my mind")
    assert store_state(ws) == before


def test_a_failed_call_makes_the_whole_batch_fail(setup: Setup) -> None:
    """Even when the caller catches the error, nothing of the batch is stored."""
    ws, m = setup.ws, setup.model
    m.add_child("To_Plants", "PlantA", setup.plant)
    before = store_state(ws)
    with pytest.raises(StoreError, match="rolled back because a call in it failed.*'PlantA'"):
        with ws.transaction():
            m.add_child("To_Plants", "PlantB", setup.plant)
            with pytest.raises(InvalidValue, match="'PlantA'"):
                m.add_child("To_Plants", "PlantA", setup.plant)
            with pytest.raises(StoreError, match="an earlier call in this transaction failed"):
                m.add_child("To_Plants", "PlantC", setup.plant)
    assert store_state(ws) == before
    m.add_child("To_Plants", "PlantC", setup.plant)  # the workspace works on afterwards
    assert [c.name for c in m.children()] == ["PlantA", "PlantC"]


def test_handles_on_deleted_objects_are_refused(setup: Setup) -> None:
    ws, m = setup.ws, setup.model
    gone, other = m.add_children("To_Plants", ["Gone", "Other"], setup.plant)
    ws.get(gone.id).delete()
    replacement = m.add_child("To_Plants", "Next", setup.plant)
    assert replacement.id > other.id  # ids are never handed out again
    refused(
        ws,
        NotFound,
        "'Model/MySystem.To_Plants/Gone'; it was deleted",
        lambda: gone.add_child("To_Units", "U1", setup.unit),
    )
    unit = other.add_child("To_Units", "U1", setup.unit)
    refused(
        ws,
        NotFound,
        "'Model/MySystem.To_Plants/Gone'; it was deleted",
        lambda: unit.move(gone, "To_Units"),
    )
    before = store_state(ws)
    with pytest.raises(StoreError, match="rolled back"), ws.transaction():
        m.add_child("To_Plants", "PlantA", setup.plant)
        with pytest.raises(NotFound, match="it was deleted"):
            gone.add_child("To_Units", "U1", setup.unit)
        with pytest.raises(StoreError, match="an earlier call"):
            ws.get("Model/MySystem/PlantA")
    assert store_state(ws) == before
