"""The demo hydropower model: what it holds, on both backends, and its tree as text."""

from __future__ import annotations

import numpy as np
import pytest

import workbench as wb
from workbench.demo import DEFINITION, build_demo, build_tree, render_tree


@pytest.fixture
def demo(ws: wb.Workspace) -> wb.Object:
    return build_demo(ws)


def test_demo_definition(ws: wb.Workspace, demo: wb.Object) -> None:
    md = ws.model_definition(DEFINITION)
    assert [n.name for n in md.namespaces()] == ["Hydro", "Market"]
    assert {t.name: t.unit for t in md.attribute_types()} == {
        "Power": "MW",
        "Volume": "hm^3",
        "Level": "m",
        "Flow": "m^3/s",
        "Price": "EUR/MWh",
    }
    assert {od.name: od.namespace for od in md.object_definitions()} == {
        "PriceArea": "Market",
        "Reservoir": "Hydro",
        "Plant": "Hydro",
        "Watercourse": "Hydro",
        "Area": "Hydro",
        "HydroSystem": "",
    }
    plant = md.object_definition("Plant")
    assert plant.tags == ("production",)
    assert plant.attribute("MaxPower").attribute_type == md.attribute_type("Power")
    production = plant.attribute("Production").spec
    assert production.template == md.template_calculation("PlantProduction").expression
    assert "@t('.Discharge')" in production.template


def test_demo_model_tree(ws: wb.Workspace, demo: wb.Object) -> None:
    assert demo.full_name == "Model/Demo" and demo.type_name == "HydroSystem"
    assert [a.name for a in demo["To_Areas"]] == ["East", "South"]
    assert [p.name for p in demo["To_PriceAreas"]] == ["NO1", "NO2"]
    otra = ws.object("Model/Demo/South/Otra")
    assert [r.name for r in otra["To_Reservoirs"]] == ["Urevatn", "Vatnedalsvatn"]
    assert [p.name for p in otra["To_Plants"]] == ["Holen", "Brokke"]
    # the cascade: Urevatn -> Holen -> Vatnedalsvatn -> Brokke
    holen = ws.object("Model/Demo/South/Otra/Holen")
    assert holen["Upstream"].name == "Urevatn" and holen["Downstream"].name == "Vatnedalsvatn"
    assert ws.object("Model/Demo/South/Otra/Urevatn")["Downstream"].name == "Vatnedalsvatn"
    reservoir = ws.object("Model/Demo/East/Glomma/Aursunden")
    assert reservoir["Level"].source == "none"  # the place of a level sensor
    assert reservoir.attribute("Level").unit == "m"


def test_price_area_link_changes_at_a_date(ws: wb.Workspace, demo: wb.Object) -> None:
    brokke = ws.object("Model/Demo/South/Otra/Brokke")
    assert brokke.link_target_at("PriceArea", "2023-06-01T00:00:00Z").name == "NO1"
    assert brokke.link_target_at("PriceArea", "2025-06-01T00:00:00Z").name == "NO2"
    assert brokke.link_target_at("PriceArea", "2019-06-01T00:00:00Z") is None
    holen = ws.object("Model/Demo/South/Otra/Holen")
    assert [t.name for _, t in holen.link_history("PriceArea")] == ["NO2"]


def test_demo_curves_are_plausible(ws: wb.Workspace, demo: wb.Object) -> None:
    plant = ws.object("Model/Demo/East/Glomma/Rendalen")
    efficiency = plant["Efficiency"]
    assert [c.z for c in efficiency.curves] == [216.0, 240.0, 264.0]
    power = efficiency.interpolate(np.array(efficiency.curves[1].x), z=240.0)
    assert np.all(np.diff(power) > 0)  # more water, more power
    assert power[-1] == pytest.approx(plant["MaxPower"], rel=0.02)  # full flow at nominal head
    reservoir = ws.object("Model/Demo/South/Otra/Urevatn")
    volume = reservoir["VolumeCurve"].evaluate([reservoir["LRWL"], reservoir["HRWL"], 1200.0])
    assert volume[0] == 0.0 and volume[1] == pytest.approx(reservoir["MaxVolume"], rel=1e-4)
    assert np.isnan(volume[2])  # above the curve's range
    tailwater = plant["TailwaterCurve"].evaluate([0.0, 10.0, 1e6])
    assert tailwater[0] == 0.0 and tailwater[1] > 0 and np.isnan(tailwater[2])


def test_local_expression_overrides_the_template(ws: wb.Workspace, demo: wb.Object) -> None:
    low_head = ws.object("Model/Demo/South/Tovdal/Hunsfos")["Production"]
    assert low_head.source == "local" and low_head.expression.endswith("* 0.85")
    assert ws.object("Model/Demo/South/Otra/Holen")["Production"].source == "template"


def test_render_tree(ws: wb.Workspace, demo: wb.Object) -> None:
    text = render_tree(demo)
    lines = text.splitlines()
    assert lines[0] == "Demo (HydroSystem)"
    assert "├── NO2 (PriceArea)  Currency: NOK" in lines
    assert any(
        line.startswith("│       ├── Aursunden (Reservoir)  HRWL: 690.6 m; LRWL: 683.6 m")
        for line in lines
    )
    assert "PriceArea: NO1 from 2020-01-01, NO2 from 2024-10-01" in text.replace("\n", "")
    assert "Downstream: → Storsjoen" in text
    assert "Efficiency: XY-set of 3 curves" in text
    assert "Production: calculated (template)" in text
    assert len(lines) >= 19 and "\x1b[" not in text  # every object, no colour codes


def test_render_tree_depth(ws: wb.Workspace, demo: wb.Object) -> None:
    assert render_tree(demo, depth=0) == "Demo (HydroSystem)\n"
    names = [
        line.split(" (")[0].lstrip("├└│─ ") for line in render_tree(demo, depth=1).splitlines()
    ]
    assert names == ["Demo", "NO1", "NO2", "East", "South"]
    glomma = render_tree(ws.object("Model/Demo/East/Glomma"), depth=1)
    assert glomma.startswith("Glomma (Watercourse)  CatchmentArea: 2410 km^2\n")
    assert build_tree(demo, depth=1).label is not None


def test_second_demo_reuses_the_definition_and_a_taken_name_leaves_nothing(
    ws: wb.Workspace, demo: wb.Object
) -> None:
    other = build_demo(ws, "Demo2")
    assert other.definition.model_definition == demo.definition.model_definition
    assert [m.name for m in ws.model_definitions()] == [DEFINITION]
    with pytest.raises(wb.InvalidValue, match="a model named 'Demo' already exists"):
        build_demo(ws)
    assert sorted(m.name for m in ws.models()) == ["Demo", "Demo2"]
