"""Export and import of model definitions and models: exact round trips and refused input."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import count_statements
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench.api.exchange import (
    dump_yaml,
    export_definition,
    export_model,
    import_definition,
    import_model,
    load_yaml,
)
from workbench.demo import build_demo

CURVE = {
    "curves": [
        {"z": 10.0, "x": [0.0, 5.0], "y": [0.0, 2.5]},
        {"z": 20.0, "x": [0.0, 5.0], "y": [0.0, 4.0]},
    ],
    "x_unit": "m^3/s",
    "y_unit": "MW",
    "z_unit": "m",
    "description": "eff",
}
RATING = {
    "versions": [
        {
            "valid_from": "2024-01-01T00:00:00Z",
            "x_range_from": 0.0,
            "segments": [{"x_range_until": 5.0, "a": 1.0, "b": 0.0, "c": 2.0}],
        }
    ]
}
VERSIONED = {"versions": [{"valid_from": "2024-01-01T00:00:00Z", "xy_set": CURVE}]}


def full_definition(ws: wb.Workspace) -> wb.ModelDefinition:
    """A definition that uses every kind of element and field the export covers."""
    md = ws.create_model_definition("Grid", "a grid", metadata={"owner": {"team": "ops", "n": 2}})
    md.create_tag("hydro", "water")
    md.create_tag("wind")
    hydro = md.create_namespace("Hydro", "water things", metadata={"ui": {"colour": "blue"}})
    hydro.create_namespace("Deep")
    md.create_namespace("Market")
    power = md.create_attribute_type("Power", "double", unit="MW", description="power")
    md.create_attribute_type("Kind", "string", default="run", allowed=["run", "storage"])
    md.create_template_calculation("Doubled", "@t('.Inflow') * 2", "twice the inflow")
    plant = md.create_object_definition(
        "Plant",
        "Hydro.Deep",
        description="a plant",
        tags=["hydro"],
        metadata={"icon": {"name": "turbine"}},
    )
    area = md.create_object_definition("Area", "Market", tags=["hydro", "wind"])
    system = md.create_object_definition("System")
    system.add_attribute("To_Areas", "ownership_many", target=area)
    system.add_attribute("Main", "ownership_one", target=area)
    area.add_attribute("To_Plants", "ownership_many", target=plant)
    area.add_attribute("Founded", "utc_time", minimum="UTC19000101", default="UTC20000101")
    plant.add_attribute(attribute_type=power, minimum=0.0, maximum=1000.0)
    plant.add_attribute("MinPower", attribute_type=power, unit="kW", description="min")
    power.set_description("electric power")  # Power keeps the description it had
    plant.add_attribute("Backup", attribute_type=power)
    plant.add_attribute(attribute_type="Kind", tags=["wind"], metadata={"doc": {"x": 1}})
    plant.add_attribute("Units", "int64", minimum=1, default=1, namespace="Market")
    plant.add_attribute("Heads", "double", array=True, min_count=1, max_count=3, default=[1.0])
    plant.add_attribute("Flags", "boolean", array=True)
    plant.add_attribute("Online", "boolean", default=True)
    plant.add_attribute("Owner", "string", description="who\nowns it")
    plant.add_attribute("Efficiency", "xy_set")
    plant.add_attribute("History", "versioned_xy_set")
    plant.add_attribute("Tailwater", "rating_curve")
    spill = plant.add_attribute("Spill", "timeseries", unit="m^3/s")
    plant.add_attribute("Inflow", "timeseries", unit="m^3/s")
    spill.set_template("@t('.Inflow') * 0.1")  # looks up an attribute listed after it
    plant.add_attribute(
        "Production", "timeseries", unit="MW", template="@t('.Inflow') * 9.81 [MW*s/m^3]"
    )
    plant.add_attribute("Twice", "timeseries", template_calculation="Doubled")
    plant.add_attribute("Next", "link_one", target=plant)
    plant.add_attribute("Others", "link_many", target=plant)
    plant.add_attribute("Market", "versioned_link_one", target=area)
    plant.add_attribute("Markets", "versioned_link_many", target=area)
    return md


def full_model(ws: wb.Workspace, md: wb.ModelDefinition) -> wb.Object:
    """A model with a value of every type, links across areas and versioned links."""
    m = ws.create_model("Sys", md, "System")
    north, south = m.add_children("To_Areas", ["North", "South"], "Area")
    main = m.add_child("Main", "Central", "Area")
    north["Founded"] = "2001-02-03T04:05:06Z"
    a, b = north.add_children("To_Plants", ["A", "B"], "Plant")
    c = south.add_child("To_Plants", "C", "Plant")
    a["Power"], a["MinPower"], a["Kind"], a["Units"] = 120, 5.5, "storage", 3
    a["Heads"], a["Flags"], a["Online"], a["Owner"] = [1.5, 2.5], [True, False], False, "Ann"
    a["Efficiency"], a["History"], a["Tailwater"] = CURVE, VERSIONED, RATING
    b["Kind"] = None  # set to nothing although there is a default
    a.set_links("Next", c)
    a.set_links("Others", [c, b, a])
    a.add_link_version("Market", north, "2020-01-01T00:00:00Z")
    a.add_link_version("Market", None, "2022-01-01T00:00:00Z")
    a.add_link_version("Market", main, "2023-01-01T00:00:00Z")
    c.add_link_version("Markets", south, "2020-01-01T00:00:00Z")
    c.add_link_version("Markets", north, "2020-01-01T00:00:00Z")
    power = a.add_sensor(
        "power",
        unit="MW",
        timezone="Europe/Oslo",
        resolution="15min",
        catalog_path="Hydro/Plants",
        attributes={"meter": "M-1", "phases": [1, 2, 3]},
    )
    a.add_sensor("flow", unit="m^3/s")
    rule = {"type": "x_days_ago_at_y_oclock", "x": 1, "y": 12}
    south.add_sensor("price", unit="EUR/MWh", resolution="1h", knowledge_time=rule)
    c["Inflow"] = power  # a sensor on another object
    a["Production"] = {"sensor": a.sensors()[0].id, "expression": "@t('.Inflow') * 9 [MW*s/m^3]"}
    a["Inflow"] = "@t('.Production') / 9.81 [MW*s/m^3]"  # Production is read from a sensor
    return m


def assert_round_trip(ws: wb.Workspace, md: wb.ModelDefinition, model: wb.Object | None) -> None:
    """Export, delete, import from the YAML text, export again: the same data and text."""
    definition = export_definition(md)
    data = None if model is None else export_model(model)
    texts = dump_yaml(definition), None if data is None else dump_yaml(data)
    assert load_yaml(texts[0]) == definition
    if model is not None:
        assert load_yaml(texts[1]) == data
        model.delete(recursive=True)
    md.delete()
    md2 = import_definition(ws, load_yaml(texts[0]))
    assert export_definition(md2) == definition
    assert dump_yaml(export_definition(md2)) == texts[0]
    if data is not None:
        model2 = import_model(ws, load_yaml(texts[1]))
        assert export_model(model2) == data
        assert dump_yaml(export_model(model2)) == texts[1]


def test_full_definition_and_model_round_trip(ws: wb.Workspace) -> None:
    md = full_definition(ws)
    assert_round_trip(ws, md, full_model(ws, md))


def test_demo_round_trip(ws: wb.Workspace) -> None:
    demo = build_demo(ws)
    assert_round_trip(ws, ws.model_definition("HydroPower"), demo)


def test_export_names_what_it_holds(sqlite_ws: wb.Workspace) -> None:
    md = full_definition(sqlite_ws)
    data = export_definition(md)
    assert [n["name"] for n in data["namespaces"]] == ["Hydro", "Market"]
    assert data["namespaces"][0]["namespaces"] == [{"name": "Deep"}]
    plant = data["object_definitions"][0]
    assert plant["namespace"] == "Hydro.Deep" and plant["tags"] == ["hydro"]
    attrs = {a["name"]: a for a in plant["attributes"]}
    assert attrs["Power"] == {
        "name": "Power",
        "value_type": "double",
        "attribute_type": "Power",
        "description": "power",
        "unit": "MW",
        "minimum": 0.0,
        "maximum": 1000.0,
    }
    assert attrs["MinPower"]["overrides"] == ["name", "description", "unit"]
    assert attrs["Backup"]["description"] == "electric power"
    assert attrs["Units"]["namespace"] == "Market"
    assert attrs["Twice"]["template_calculation"] == "Doubled" and "template" not in attrs["Twice"]
    assert attrs["Production"]["template"] == "@t('.Inflow') * 9.81 [MW*s/m^3]"
    model = export_model(full_model(sqlite_ws, md))
    north = model["root"]["children"]["To_Areas"][0]
    a = north["children"]["To_Plants"][0]["attributes"]
    assert a["Efficiency"] == CURVE and a["Tailwater"] == RATING
    assert a["Next"] == "Model/Sys.To_Areas/South.To_Plants/C"
    assert a["Market"][1] == {"valid_from": "2022-01-01T00:00:00Z", "target": None}
    assert a["Inflow"] == {"expression": "@t('.Production') / 9.81 [MW*s/m^3]"}
    a_name = "Model/Sys.To_Areas/North.To_Plants/A"
    assert a["Production"] == {
        "sensor": f"{a_name}:flow",
        "expression": "@t('.Inflow') * 9 [MW*s/m^3]",
    }
    plant_c = model["root"]["children"]["To_Areas"][1]["children"]["To_Plants"][0]
    assert plant_c["attributes"]["Inflow"] == {"sensor": f"{a_name}:power"}
    assert north["children"]["To_Plants"][0]["sensors"] == [
        {"name": "flow", "unit": "m^3/s", "timezone": "UTC", "resolution": "PT0S"},
        {
            "name": "power",
            "unit": "MW",
            "timezone": "Europe/Oslo",
            "resolution": "PT15M",
            "catalog_path": "Hydro/Plants",
            "attributes": {"meter": "M-1", "phases": [1, 2, 3]},
        },
    ]
    assert model["root"]["children"]["To_Areas"][1]["sensors"] == [
        {
            "name": "price",
            "unit": "EUR/MWh",
            "timezone": "UTC",
            "resolution": "PT1H",
            "knowledge_time": {"type": "x_days_ago_at_y_oclock", "x": 1, "y": 12},
        }
    ]
    assert north["children"]["To_Plants"][1]["attributes"] == {"Kind": None}
    assert "description: |-\n          who\n          owns it\n" in dump_yaml(export_definition(md))


def test_exchange_functions_are_public(sqlite_ws: wb.Workspace) -> None:
    import workbench.api as api

    for name in ("export_definition", "import_definition", "export_model", "import_model"):
        assert getattr(wb, name) is getattr(api, name) is globals()[name]
        assert name in wb.__all__ and name in api.__all__
    assert wb.dump_yaml is dump_yaml and wb.load_yaml is load_yaml
    md = full_definition(sqlite_ws)
    text = wb.dump_yaml(wb.export_model(full_model(sqlite_ws, md)))
    other = fresh()
    wb.import_definition(other, wb.load_yaml(wb.dump_yaml(wb.export_definition(md))))
    assert wb.dump_yaml(wb.export_model(wb.import_model(other, wb.load_yaml(text)))) == text
    other.engine.dispose()


def test_yaml_keeps_times_as_text_and_multiline_text_as_blocks() -> None:
    text = dump_yaml({"when": "2024-01-01T00:00:00Z", "note": "two\nlines", "n": 1.0})
    assert text == "when: '2024-01-01T00:00:00Z'\nnote: |-\n  two\n  lines\nn: 1.0\n"
    assert load_yaml("when: 2024-01-01\nat: 2024-01-01T00:00:00Z\n") == {
        "when": "2024-01-01",
        "at": "2024-01-01T00:00:00Z",
    }


def test_bad_yaml_names_where() -> None:
    with pytest.raises(wb.InvalidValue, match=r"does not parse at line 2, column 4: mapping"):
        load_yaml("a: 1\n  b: 2\n")


# -- refused imports leave nothing behind -----------------------------------------------------


@pytest.fixture(scope="module")
def exported() -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """The full definition and model as data (tests change deep copies)."""
    ws = wb.connect("sqlite://")
    md = full_definition(ws)
    yield export_definition(md), export_model(full_model(ws, md))
    ws.engine.dispose()


def fresh() -> wb.Workspace:
    return wb.connect("sqlite://")


def test_definition_name_clash_is_refused(ws: wb.Workspace) -> None:
    md = full_definition(ws)
    data = export_definition(md)
    with pytest.raises(wb.InvalidDefinition, match="model definition 'Grid': one of that name"):
        import_definition(ws, data)
    assert [m.name for m in ws.model_definitions()] == ["Grid"]


def test_model_name_clash_is_refused(ws: wb.Workspace) -> None:
    md = full_definition(ws)
    data = export_model(full_model(ws, md))
    with pytest.raises(wb.InvalidValue, match="model 'Sys': one of that name exists"):
        import_model(ws, data)
    assert [m.name for m in ws.models()] == ["Sys"]


def _plant_attribute(d: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        a for a in d["object_definitions"][0]["attributes"] if a["name"] == name
    )
    return found


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (lambda d: d.update(kind="model"), wb.InvalidDefinition, "holds a 'model'"),
        (lambda d: d.update(format=2), wb.InvalidDefinition, "format 2 is not supported"),
        (lambda d: d.update(colour="red"), wb.InvalidDefinition, "unknown key 'colour'"),
        (lambda d: d.pop("name"), wb.InvalidDefinition, "the key 'name' is missing"),
        (
            lambda d: d["tags"].append({"name": "hydro"}),
            wb.InvalidDefinition,
            r"tags\[2\]: tag 'hydro' already exists",
        ),
        (
            lambda d: d["object_definitions"][0]["attributes"][3].update(attribute_type="Nope"),
            wb.InvalidDefinition,
            r"attributes\[3\]: attribute type 'Nope' is not defined",
        ),
        (
            lambda d: d["object_definitions"][0]["attributes"][0].update(unit="kW"),
            wb.InvalidDefinition,
            "unit 'kW' differs from 'MW' of its attribute type 'Power'; list",
        ),
        (
            lambda d: d["object_definitions"][0]["attributes"][0].update(overrides=["colour"]),
            wb.InvalidDefinition,
            "cannot override 'colour'",
        ),
        (
            lambda d: d["object_definitions"][0]["attributes"][4].update(overrides=["name"]),
            wb.InvalidDefinition,
            "'overrides' applies only to an attribute built on an attribute_type",
        ),
        (
            lambda d: d["object_definitions"][0]["attributes"][4].update(min_count="1"),
            wb.InvalidDefinition,
            r"attributes\[4\]\.min_count must be a int, got '1'",
        ),
        (
            lambda d: d["object_definitions"][0]["attributes"][5].update(array="yes"),
            wb.InvalidDefinition,
            r"array must be a bool",
        ),
        # the last attribute of the last object definition: everything before it was created
        (
            lambda d: d["object_definitions"][2]["attributes"][1].update(target="Nowhere"),
            wb.NotFound,
            r"object definition not found: 'Nowhere'.*at object_definitions\[2\]",
        ),
        (
            lambda d: d["object_definitions"][1]["attributes"][1].update(default="yesterday"),
            wb.InvalidDefinition,
            r"object_definitions\[1\]\.attributes\[1\]: .*'yesterday'",
        ),
        (
            lambda d: _plant_attribute(d, "Production").update(template="@t('.Outflow') * 2"),
            wb.ExpressionError,
            r"object_definitions\[0\]\.attributes\[14\]: .*'\.Outflow'.*'Plant'",
        ),
        (
            lambda d: _plant_attribute(d, "Spill").update(template="@t('.Production')"),
            wb.UnitError,
            r"object_definitions\[0\]\.attributes\[12\]: .*'MW'.*'m \*\* 3 / s'",
        ),
    ],
)
def test_bad_definition_data_is_refused_and_leaves_nothing(
    exported: tuple[dict[str, Any], dict[str, Any]],
    change: Any,
    error: type[Exception],
    message: str,
) -> None:
    data = copy.deepcopy(exported[0])
    change(data)
    ws = fresh()
    with pytest.raises(error, match=message):
        import_definition(ws, data)
    assert ws.model_definitions() == []


def _plant(data: dict[str, Any], area: int, plant: int) -> dict[str, Any]:
    found: dict[str, Any] = data["root"]["children"]["To_Areas"][area]["children"]["To_Plants"][
        plant
    ]
    return found


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (
            lambda d: d.update(kind="model_definition"),
            wb.InvalidValue,
            "holds a 'model_definition'",
        ),
        (lambda d: d["root"].pop("type"), wb.InvalidValue, "root: the key 'type' is missing"),
        (lambda d: d.update(definition="Nope"), wb.NotFound, "model definition not found: 'Nope'"),
        (lambda d: _plant(d, 0, 1).update(type="Area"), wb.InvalidValue, "takes objects of type"),
        (
            lambda d: _plant(d, 0, 1).update(colour="red"),
            wb.InvalidValue,
            r"To_Plants\[1\]: unknown key 'colour'",
        ),
        (
            lambda d: _plant(d, 0, 0)["attributes"].update(Power=5000.0),
            wb.InvalidValue,
            r"North.To_Plants/A.Power: attribute .Power.: 5000.0 is above the maximum",
        ),
        (
            lambda d: _plant(d, 0, 0)["attributes"].update(Colour=1),
            wb.NotFound,
            r"attribute not found: 'Colour'.*at Model/Sys.To_Areas/North.To_Plants/A",
        ),
        (
            lambda d: _plant(d, 0, 0)["attributes"].update(Inflow={"sensor": 5}),
            wb.InvalidValue,
            "A.Inflow.sensor must be a str, got 5",
        ),
        (
            lambda d: _plant(d, 0, 0)["attributes"].update(Inflow={"colour": "red"}),
            wb.InvalidValue,
            "A.Inflow: unknown key 'colour'",
        ),
        (
            lambda d: _plant(d, 0, 0)["attributes"].update(Inflow={"expression": "@t('.Nope')"}),
            wb.ExpressionError,
            r"A\.Inflow: .*'\.Nope'.*'Plant'",
        ),
        (  # A's Production is read from a sensor: without it, Inflow would read itself
            lambda d: _plant(d, 0, 0)["attributes"]["Production"].pop("sensor"),
            wb.ExpressionError,
            r"A\.(Inflow|Production): .*reads its own attribute",
        ),
        (
            lambda d: _plant(d, 0, 0)["attributes"].update(Inflow={}),
            wb.InvalidValue,
            "A.Inflow takes a sensor",
        ),
        (
            lambda d: _plant(d, 0, 0)["attributes"].update(Inflow={"sensor": "Model/Sys/X:power"}),
            wb.NotFound,
            r"object not found: 'Model/Sys/X'.*at Model/Sys.To_Areas/North.To_Plants/A.Inflow",
        ),
        (
            lambda d: _plant(d, 0, 0)["attributes"].update(
                Inflow={"sensor": "Model/Sys.To_Areas/North.To_Plants/A:nothing"}
            ),
            wb.NotFound,
            r"sensor not found: .*A:nothing.*has the sensors: \['flow', 'power'\]",
        ),
        (
            lambda d: _plant(d, 0, 0)["attributes"].update(Inflow={"sensor": "power"}),
            wb.InvalidValue,
            r"A.Inflow: look up a sensor by id .* got 'power'",
        ),
        (
            lambda d: _plant(d, 0, 0)["sensors"].append({"name": "power"}),
            wb.InvalidValue,
            r"A.sensors\[2\]: .*A already has a sensor named 'power'",
        ),
        (
            lambda d: _plant(d, 0, 0)["sensors"][0].update(unit="bananas"),
            wb.UnitError,
            r"A.sensors\[0\]: unit 'bananas' is not understood",
        ),
        (
            lambda d: _plant(d, 0, 0)["sensors"][0].update(resolution="soon"),
            wb.InvalidValue,
            r"A.sensors\[0\]: .*'soon'",
        ),
        (
            lambda d: _plant(d, 0, 0)["sensors"][0].update(colour="red"),
            wb.InvalidValue,
            r"A.sensors\[0\]: unknown key 'colour'",
        ),
        (
            lambda d: _plant(d, 0, 0).update(sensors={"name": "x"}),
            wb.InvalidValue,
            r"To_Plants\[0\].sensors must be a list",
        ),
        (
            lambda d: _plant(d, 0, 0)["attributes"].update(Efficiency={"curves": 1}),
            wb.InvalidValue,
            "Efficiency: XYSet.curves must be a list",
        ),
        (
            lambda d: d["root"].update(attributes={"To_Areas": []}),
            wb.InvalidValue,
            "To_Areas is an ownership attribute; list its objects under 'children'",
        ),
        (
            lambda d: d["root"]["children"].update(To_Areas={}),
            wb.InvalidValue,
            "To_Areas must hold a list of objects",
        ),
        # links are set last: every object exists by then, and still nothing remains
        (
            lambda d: _plant(d, 0, 0)["attributes"].update(Next="Model/Sys/Nowhere"),
            wb.NotFound,
            "object not found: 'Model/Sys/Nowhere'",
        ),
        (
            lambda d: _plant(d, 0, 0)["attributes"].update(Next=["Model/Sys/North"]),
            wb.InvalidValue,
            "a link target is the full name of an object",
        ),
        (
            lambda d: _plant(d, 0, 0)["attributes"].update(Others="Model/Sys/North"),
            wb.InvalidValue,
            "a link_many attribute takes a list of full names",
        ),
        (
            lambda d: _plant(d, 0, 0)["attributes"]["Market"][0].update(valid_from="soon"),
            wb.InvalidValue,
            r"A.Market: versions\[0\]: time 'soon' is not understood",
        ),
        (
            lambda d: _plant(d, 0, 0)["attributes"].update(Next="Model/Sys/North"),
            wb.InvalidValue,
            "takes objects of type 'Plant', not 'Area'",
        ),
    ],
)
def test_bad_model_data_is_refused_and_leaves_nothing(
    exported: tuple[dict[str, Any], dict[str, Any]],
    change: Any,
    error: type[Exception],
    message: str,
) -> None:
    ws = fresh()
    import_definition(ws, exported[0])
    data = copy.deepcopy(exported[1])
    change(data)
    with pytest.raises(error, match=message):
        import_model(ws, data)
    assert ws.models() == []


def test_import_model_onto_another_definition(
    exported: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    ws = fresh()
    definition = copy.deepcopy(exported[0])
    definition["name"] = "Grid2"
    md = import_definition(ws, definition)
    model = import_model(ws, exported[1], definition=md)
    assert model.definition.model_definition.name == "Grid2"
    again = export_model(model)
    assert again == {**exported[1], "definition": "Grid2"}


def test_export_refuses_what_it_cannot_name(sqlite_ws: wb.Workspace) -> None:
    md = full_definition(sqlite_ws)
    model = full_model(sqlite_ws, md)
    plant = sqlite_ws.object("Model/Sys/North/A")
    with pytest.raises(wb.InvalidValue, match="North.To_Plants/A is not a model; .* Model/Sys"):
        export_model(plant)
    plant["Inflow"] = {"sensor": 7}
    with pytest.raises(wb.InvalidValue, match=r"A.Inflow refers to the sensor with id 7"):
        export_model(model)


def test_sensor_of_another_model_is_named_and_resolved(ws: wb.Workspace) -> None:
    md = full_definition(ws)
    model = full_model(ws, md)
    other = ws.create_model("Other", md, "System")
    gauge = other.add_sensor("gauge", unit="m")
    ws.object("Model/Sys/North/B")["Inflow"] = gauge
    data = export_model(model)
    assert _plant(data, 0, 1)["attributes"]["Inflow"] == {"sensor": "Model/Other:gauge"}
    model.delete(recursive=True)
    again = import_model(ws, data)
    assert ws.object("Model/Sys/North/B")["Inflow"].sensor_id == gauge.id
    assert export_model(again) == data

    empty = fresh()  # the same data where the other model is missing
    import_definition(empty, export_definition(md))
    with pytest.raises(
        wb.NotFound, match=r"'Model/Other'.*at Model/Sys.To_Areas/North.To_Plants/B"
    ):
        import_model(empty, data)
    assert empty.models() == []
    empty.engine.dispose()


def test_export_refuses_a_sensor_the_user_may_not_read(ws: wb.Workspace) -> None:
    md = full_definition(ws)
    ws.create_account("Acme")
    ws.create_account("Other")
    ws.add_user("ana@acme.example", "Acme", "secret-of-ana", ["account-admin"])
    acme = ws.create_model("Sys", md, "System", account="Acme")
    plant = acme.add_child("To_Areas", "North", "Area").add_child("To_Plants", "A", "Plant")
    hidden = ws.create_model("Hidden", md, "System", account="Other")
    plant["Inflow"] = hidden.add_sensor("gauge", unit="m^3/s")
    plant.set_links("Next", plant)
    ana = wb.connect(ws.url, user="ana@acme.example", secret="secret-of-ana")
    try:
        with pytest.raises(
            wb.InvalidValue, match=r"A.Inflow refers to the sensor with id \d+, which"
        ):
            export_model(ana.object("Model/Sys"))
    finally:
        ana.engine.dispose()
    assert export_model(acme)["root"]["children"]["To_Areas"][0]["children"]["To_Plants"][0][
        "attributes"
    ]["Inflow"] == {"sensor": "Model/Hidden:gauge"}


def test_export_reads_a_model_in_a_bounded_number_of_queries(ws: wb.Workspace) -> None:
    md = full_definition(ws)
    model = full_model(ws, md)

    def exported_with_queries() -> int:
        with count_statements(ws.engine) as statements:
            export_model(model)
        return len(statements)

    small = exported_with_queries()
    north = ws.object("Model/Sys/North")
    plants = north.add_children("To_Plants", [f"P{i}" for i in range(60)], "Plant")
    with ws.transaction():
        for i, p in enumerate(plants):
            p["Power"], p["Heads"], p["Owner"] = float(i), [1.0, 2.0], f"owner {i}"
            p.set_links("Next", plants[i - 1])
            p.add_link_version("Market", north, "2020-01-01T00:00:00Z")
            p.add_sensor("power", unit="MW")
            p["Inflow"] = {"sensor": p.sensors()[0].id, "expression": "@t('.Twice') / 2"}
    assert exported_with_queries() == small <= 20


# -- Hypothesis: random small definitions and models round-trip exactly -----------------------

NAMES = st.from_regex(r"[A-Z][a-z0-9_]{0,5}", fullmatch=True)
TEXT = st.text(st.sampled_from("abcxyz æøå€-:#'\"\n"), max_size=12)
SIMPLE = ["double", "int64", "boolean", "string", "utc_time"]
TIMES = st.datetimes(datetime(1990, 1, 1), datetime(2040, 1, 1)).map(
    lambda t: t.replace(microsecond=0, tzinfo=UTC).isoformat().replace("+00:00", "Z")
)
VALUES = {
    "double": st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: round(v, 3)),
    "int64": st.integers(-1000, 1000),
    "boolean": st.booleans(),
    "string": TEXT,
    "utc_time": TIMES,
}
# Valid whatever else the object definition holds (.Missing, a name NAMES cannot draw, is
# looked up with a default).
TEMPLATES = [
    "@t('.Missing', 0 [MW]) * 2",
    "@t(':power') + 1 [kW]",
    "@TS_OFFSET(@t('.Missing', 1 [W]), 'PT1H')",
]
METADATA = st.dictionaries(
    NAMES, st.dictionaries(NAMES, st.integers() | TEXT, max_size=2), max_size=2
)


def _maybe(data: st.DataObject, strategy: st.SearchStrategy[Any]) -> Any:
    return data.draw(strategy) if data.draw(st.booleans()) else None


def _random_attribute(
    data: st.DataObject, od: wb.ObjectDefinition, ods: list[str], types: list[wb.AttributeType]
) -> None:
    kind = data.draw(st.sampled_from(["typed", "simple", "simple", "relation", "other"]))
    name = data.draw(NAMES)
    try:
        if kind == "typed" and types:
            at = data.draw(st.sampled_from(types))
            od.add_attribute(
                name if data.draw(st.booleans()) else None,
                attribute_type=at,
                unit=_maybe(data, st.sampled_from(["", "kW", "m"])),
                description=_maybe(data, TEXT),
            )
        elif kind in ("simple", "typed"):
            vt = data.draw(st.sampled_from(SIMPLE))
            array = data.draw(st.booleans())
            value = _maybe(data, VALUES[vt])
            od.add_attribute(
                name,
                vt,
                array=array,
                default=None if value is None else ([value] if array else value),
                max_count=_maybe(data, st.integers(1, 3)) if array else None,
                minimum=_maybe(data, VALUES[vt]) if vt in SIMPLE[:2] else None,
                allowed=_maybe(data, st.lists(VALUES[vt], max_size=3)),
                description=data.draw(TEXT),
                metadata=_maybe(data, METADATA),
            )
        elif kind == "relation":
            vt = data.draw(
                st.sampled_from(
                    [
                        "ownership_many",
                        "ownership_one",
                        "link_one",
                        "link_many",
                        "versioned_link_one",
                        "versioned_link_many",
                    ]
                )
            )
            od.add_attribute(name, vt, target=data.draw(st.sampled_from(ods)))
        else:
            vt = data.draw(
                st.sampled_from(["timeseries", "xy_set", "rating_curve", "versioned_xy_set"])
            )
            template = _maybe(data, st.sampled_from(TEMPLATES)) if vt == "timeseries" else None
            od.add_attribute(name, vt, unit="MW", template=template)
    except (wb.InvalidDefinition, wb.InvalidValue):
        pass  # a random clash (same name, default outside the allowed values): skip it


def random_definition(ws: wb.Workspace, data: st.DataObject) -> wb.ModelDefinition:
    md = ws.create_model_definition("Random", data.draw(TEXT), data.draw(METADATA))
    for tag in data.draw(st.lists(NAMES, max_size=2, unique=True)):
        md.create_tag(tag, data.draw(TEXT))
    for ns in data.draw(st.lists(NAMES, max_size=2, unique=True)):
        md.create_namespace(ns, data.draw(TEXT)).create_namespace("Inner")
    types = [
        md.create_attribute_type(
            n,
            data.draw(st.sampled_from(SIMPLE[:2])),
            unit=data.draw(st.sampled_from(["", "MW"])),
            description=data.draw(TEXT),
        )
        for n in data.draw(st.lists(NAMES, max_size=2, unique=True))
    ]
    names = data.draw(st.lists(NAMES, min_size=2, max_size=3, unique=True))
    ods = [
        md.create_object_definition(
            n, data.draw(st.sampled_from(["", "Sub", "Sub.Leaf"])), description=data.draw(TEXT)
        )
        for n in names
    ]
    ods[0].add_attribute("Children", "ownership_many", target=ods[-1])
    ods[-1].add_attribute("Peers", "link_many", target=ods[-1])
    ods[-1].add_attribute("Since", "versioned_link_many", target=ods[-1])
    for od in ods:
        for _ in range(data.draw(st.integers(1, 6))):
            _random_attribute(data, od, names, types)
        if types and data.draw(st.booleans()):
            types[0].set_description(data.draw(TEXT))
    return md


def _fill(data: st.DataObject, obj: wb.Object, objects: list[wb.Object]) -> None:
    for attribute in obj.attributes():
        vt = attribute.value_type.value
        if vt in VALUES and data.draw(st.booleans()):
            value = data.draw(VALUES[vt])
            value = [value] if attribute.spec.array else value
            try:
                attribute.spec.validate(value)  # checked first: a failed call ends the transaction
            except wb.InvalidValue:
                continue  # outside the minimum or the allowed values: leave the default
            attribute.set(value)
        elif vt == "xy_set" and data.draw(st.booleans()):
            attribute.set(CURVE)
        elif vt == "timeseries" and data.draw(st.booleans()):
            attribute.set("@t('.Missing', 0 [MW]) + 1 [kW]")
        elif vt.startswith("link") or vt.startswith("versioned_link"):
            targets = [o for o in objects if o.type_name == attribute.spec.target]
            chosen = (
                data.draw(st.lists(st.sampled_from(targets), max_size=2, unique=True))
                if targets
                else []
            )
            if vt.startswith("link"):
                obj.set_links(attribute.name, chosen[:1] if vt == "link_one" else chosen)
            else:
                for i, target in enumerate(chosen):
                    obj.add_link_version(attribute.name, target, f"202{i}-01-01T00:00:00Z")


def random_model(ws: wb.Workspace, md: wb.ModelDefinition, data: st.DataObject) -> wb.Object:
    root_type = md.object_definitions()[0]
    model = ws.create_model("M", md, root_type)
    objects, i = [model], 0
    while i < len(objects):
        obj, i = objects[i], i + 1
        for attribute in obj.attributes():
            if attribute.value_type.is_ownership and len(objects) < 8:
                count = (
                    1
                    if attribute.value_type.value == "ownership_one"
                    else data.draw(st.integers(1, 3))
                )
                names = data.draw(st.lists(NAMES, min_size=count, max_size=count, unique=True))
                objects += obj.add_children(attribute.name, names, attribute.spec.target)
    for obj in objects:
        _fill(data, obj, objects)
    return model


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_definitions_and_models_round_trip(data: st.DataObject) -> None:
    ws, other = fresh(), fresh()
    md = random_definition(ws, data)
    with ws.transaction():  # one transaction: the definitions are read once, not per call
        model = random_model(ws, md, data)
    definition, exported = export_definition(md), export_model(model)
    texts = dump_yaml(definition), dump_yaml(exported)
    import_definition(other, load_yaml(texts[0]))
    again = import_model(other, load_yaml(texts[1]))
    assert export_definition(other.model_definition("Random")) == definition
    assert export_model(again) == exported
    assert dump_yaml(export_definition(other.model_definition("Random"))) == texts[0]
    assert dump_yaml(export_model(again)) == texts[1]
    ws.engine.dispose()
    other.engine.dispose()
