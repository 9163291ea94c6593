"""Search through the workspace: the language over the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from conftest import MakeModel, attr, owns

import workbench as wb


@pytest.fixture
def hydro(ws: wb.Workspace, make_model: MakeModel) -> wb.Object:
    types = {
        "PowerPlant": {"Capacity": attr("double", unit="MW", default=0.0)},
        "Reservoir": {"Level": attr("double", unit="m")},
        "Area": {"To_Plants": owns("PowerPlant"), "To_Reservoirs": owns("Reservoir")},
        "System": {"To_Areas": owns("Area")},
    }
    made = make_model(
        ws, "Sys", definition="H", types=types, children={"To_Areas": ["North", "South"]}
    )
    m, north, south = made.model, made.objects["North"], made.objects["South"]
    plant, res = made.types["PowerPlant"], made.types["Reservoir"]
    for name, cap in [("PlantA", 120.0), ("PlantB", 4.5)]:
        north.add_child("To_Plants", name, plant)["Capacity"] = cap
    south.add_child("To_Plants", "PlantC", plant)["Capacity"] = 300.0
    north.add_child("To_Reservoirs", "Lake1", res)["Level"] = 120.5
    return m


def names(found: list[wb.Object]) -> list[str]:
    return [o.name for o in found]


def test_every_level_by_type(ws: wb.Workspace, hydro: wb.Object) -> None:
    assert names(ws.search("Model/Sys", "{*}[.Type=PowerPlant]")) == ["PlantA", "PlantB", "PlantC"]


def test_attribute_criteria_and_combination(ws: wb.Workspace, hydro: wb.Object) -> None:
    found = ws.search(hydro, "{*}[.Type=PowerPlant && .Capacity>5]")
    assert names(found) == ["PlantA", "PlantC"]
    assert names(ws.search(hydro, "{*}[.Name~Plant && !(.Capacity>100)]")) == ["PlantB"]


def test_trailing_attribute_returns_attributes(ws: wb.Workspace, hydro: wb.Object) -> None:
    (level,) = ws.search(hydro, "*[.Name=Lake1].Level")
    assert isinstance(level, wb.Attribute)
    assert level.full_name == "Model/Sys.To_Areas/North.To_Reservoirs/Lake1.Level"
    assert level.value == 120.5


def test_walk_up_and_parent(ws: wb.Workspace, hydro: wb.Object) -> None:
    plant = ws.get("Model/Sys/South/PlantC")
    assert names(ws.search(plant, "..")) == ["South"]
    assert names(ws.search(plant, "..*[.Type=System]")) == ["Sys"]


def test_full_names_of_results(ws: wb.Workspace, hydro: wb.Object) -> None:
    (lake,) = ws.search(hydro, "{*}[.Type=Reservoir]")
    assert lake.full_name == "Model/Sys.To_Areas/North.To_Reservoirs/Lake1"


def test_syntax_error_has_a_caret(ws: wb.Workspace, hydro: wb.Object) -> None:
    with pytest.raises(wb.ExpressionError) as err:
        ws.search(hydro, "{*}[.Type=]")
    assert err.value.column is not None
    assert "^" in str(err.value)
