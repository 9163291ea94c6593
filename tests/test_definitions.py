"""Tests of model definitions through the public API: types, propagation, metadata, tags, refusals.

Every refusal is checked twice: the error names the bad value, and the store is unchanged.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import refused

import workbench as wb
from workbench.errors import ExpressionError, InvalidDefinition, NotFound, UnitError
from workbench.metamodel import METADATA_LIMIT


@pytest.fixture
def md(ws: wb.Workspace) -> wb.ModelDefinition:
    return ws.create_model_definition("EnergySystem", description="the blueprint")


@pytest.fixture
def plant(md: wb.ModelDefinition) -> wb.ObjectDefinition:
    return md.create_object_definition("PowerPlant", namespace="Hydro")


def model_with_plant(
    ws: wb.Workspace, md: wb.ModelDefinition, plant: wb.ObjectDefinition
) -> wb.Object:
    system = md.create_object_definition("System")
    system.add_attribute("To_Plants", "ownership_many", target=plant)
    m = ws.create_model("MySystem", definition=md, root_type=system)
    return m.add_child("To_Plants", "PlantA", plant)


# -- model definitions and namespaces ------------------------------------------------------------


def test_model_definition_is_a_top_level_namespace(
    ws: wb.Workspace, md: wb.ModelDefinition
) -> None:
    assert ws.model_definition("EnergySystem") == md
    assert ws.model_definition(md.id) == md
    assert md.description == "the blueprint"
    assert [d.name for d in ws.model_definitions()] == ["EnergySystem"]
    refused(
        ws,
        InvalidDefinition,
        "'EnergySystem' already exists",
        lambda: ws.create_model_definition("EnergySystem"),
    )
    with pytest.raises(NotFound, match="'Nope'"):
        ws.model_definition("Nope")


def test_nested_namespaces(ws: wb.Workspace, md: wb.ModelDefinition) -> None:
    hydro = md.create_namespace("Hydro", description="water")
    rivers = hydro.create_namespace("Rivers")
    assert rivers.path == "Hydro.Rivers"
    assert [n.name for n in md.namespaces()] == ["Hydro"]
    assert [n.name for n in hydro.namespaces()] == ["Rivers"]
    od = md.create_object_definition("Reservoir", namespace=rivers)
    assert od.namespace == "Hydro.Rivers"
    auto = md.create_object_definition("Gate", namespace="Hydro.Rivers.Gates")
    assert auto.namespace == "Hydro.Rivers.Gates"
    refused(
        ws, InvalidDefinition, "'Rivers' already exists", lambda: hydro.create_namespace("Rivers")
    )


@pytest.mark.parametrize("bad", ["a/b", "a.b", "", " lead", "tab\there"])
def test_names_with_path_characters_are_refused(
    ws: wb.Workspace, md: wb.ModelDefinition, plant: wb.ObjectDefinition, bad: str
) -> None:
    shown = re.escape(repr(bad))
    for call in (
        lambda: ws.create_model_definition(bad),
        lambda: md.create_namespace(bad),
        lambda: md.create_object_definition(bad),
        lambda: md.create_attribute_type(bad, "double"),
        lambda: md.create_tag(bad),
        lambda: md.create_template_calculation(bad, "1"),
        lambda: plant.add_attribute(bad, "double"),
    ):
        refused(ws, InvalidDefinition, shown if bad.strip() else "non-empty", call)


# -- attribute definitions of every value type ---------------------------------------------------


@pytest.mark.parametrize("value_type", list(wb.ValueType))
def test_every_value_type_can_be_defined(
    md: wb.ModelDefinition, plant: wb.ObjectDefinition, value_type: wb.ValueType
) -> None:
    target = plant if value_type.is_relation else None
    ad = plant.add_attribute("A", value_type.value, target=target, description="d")
    spec = ad.spec
    assert (spec.name, spec.value_type, spec.description) == ("A", value_type, "d")
    assert spec.target == ("PowerPlant" if value_type.is_relation else None)
    assert ad.object_definition == plant
    assert [a.name for a in plant.attributes()] == ["A"]
    assert plant.attribute("A") == ad


def test_simple_attribute_constraints_are_stored(plant: wb.ObjectDefinition) -> None:
    n = plant.add_attribute("Turbines", "int64", minimum=0, maximum=12, default=2, unit="")
    p = plant.add_attribute("Capacity", "double", minimum=0, maximum=1e3, default=10, unit="MW")
    t = plant.add_attribute(
        "Commissioned",
        "utc_time",
        minimum="UTC20000101",
        maximum="UTC20991231235959",
        default="UTC20220510072415",
    )
    e = plant.add_attribute(
        "Kind", "string", allowed=["run-of-river", "storage"], default="storage"
    )
    arr = plant.add_attribute(
        "Levels", "double", array=True, min_count=1, max_count=3, default=[1.5]
    )
    assert (n.spec.minimum, n.spec.maximum, n.spec.default) == (0, 12, 2)
    assert (p.spec.minimum, p.spec.maximum, p.spec.default, p.unit) == (0.0, 1000.0, 10.0, "MW")
    assert (t.spec.minimum, t.spec.maximum, t.spec.default) == (
        "2000-01-01T00:00:00Z",
        "2099-12-31T23:59:59Z",
        "2022-05-10T07:24:15Z",
    )
    assert e.spec.allowed == ("run-of-river", "storage")
    assert (arr.spec.array, arr.spec.min_count, arr.spec.max_count, arr.spec.default) == (
        True,
        1,
        3,
        [1.5],
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"value_type": "float"}, InvalidDefinition, "'float' is not known; accepted: double"),
        ({"unit": "bananas"}, UnitError, "bananas"),
        (
            {"minimum": 5, "maximum": 1},
            InvalidDefinition,
            "minimum 5.0 is greater than maximum 1.0",
        ),
        ({"minimum": "low"}, InvalidDefinition, "minimum 'low'"),
        ({"minimum": 0, "default": -1}, InvalidDefinition, "-1 is below the minimum 0"),
        ({"maximum": 9, "default": 10}, InvalidDefinition, "10 is above the maximum 9"),
        ({"allowed": [1, 2], "default": 3}, InvalidDefinition, "3 is not one of the allowed"),
        ({"allowed": ["x"]}, InvalidDefinition, "got 'x'"),
        ({"default": "ten"}, InvalidDefinition, "got 'ten'"),
        ({"default": float("nan")}, InvalidDefinition, "nan"),
        ({"value_type": "string", "minimum": "a"}, InvalidDefinition, "not string"),
        ({"value_type": "xy_set", "array": True}, InvalidDefinition, "not xy_set"),
        ({"array": True, "min_count": 3, "max_count": 2}, InvalidDefinition, "3..2"),
        ({"array": True, "min_count": 2, "default": [1.0]}, InvalidDefinition, "got 1"),
        ({"value_type": "ownership_many"}, InvalidDefinition, "needs a target"),
        ({"value_type": "link_one", "target": "Nowhere"}, NotFound, "'Nowhere'"),
        ({"template": "@t('.X') * 2"}, InvalidDefinition, "only timeseries"),
        ({"value_type": "timeseries", "template": "@t('.X') *"}, ExpressionError, "line 1"),
        ({"value_type": "timeseries", "template_calculation": "Nope"}, NotFound, "'Nope'"),
        ({"tags": ["Unknown"]}, InvalidDefinition, "'Unknown'.*create_tag"),
        ({"metadata": {"cat": [1, 2]}}, InvalidDefinition, "'cat' must hold a JSON object"),
    ],
)
def test_attribute_definition_refusals(
    ws: wb.Workspace,
    plant: wb.ObjectDefinition,
    kwargs: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    kwargs = {"value_type": "double", **kwargs}
    refused(ws, error, match, lambda: plant.add_attribute("Bad", **kwargs))
    assert plant.attributes() == []


def test_attribute_names_are_unique_per_object_definition(
    ws: wb.Workspace, plant: wb.ObjectDefinition
) -> None:
    plant.add_attribute("Capacity", "double")
    refused(
        ws,
        InvalidDefinition,
        "already has an attribute 'Capacity'",
        lambda: plant.add_attribute("Capacity", "int64"),
    )


def test_relation_target_from_another_definition_is_refused(
    ws: wb.Workspace, plant: wb.ObjectDefinition
) -> None:
    other = ws.create_model_definition("Other").create_object_definition("Foreign")
    refused(
        ws,
        InvalidDefinition,
        "is not an object definition of 'EnergySystem'",
        lambda: plant.add_attribute("To_X", "ownership_many", target=other),
    )


def test_object_definition_names_are_unique(
    ws: wb.Workspace, md: wb.ModelDefinition, plant: wb.ObjectDefinition
) -> None:
    refused(
        ws,
        InvalidDefinition,
        "'PowerPlant' already exists",
        lambda: md.create_object_definition("PowerPlant"),
    )
    md.create_object_definition("Dam")
    refused(ws, InvalidDefinition, "'Dam' already exists", lambda: plant.rename("Dam"))
    plant.rename("HydroPlant")
    assert md.object_definition("HydroPlant") == plant


# -- attribute types -------------------------------------------------------------------------


def test_attribute_type_is_inherited(md: wb.ModelDefinition, plant: wb.ObjectDefinition) -> None:
    power = md.create_attribute_type("Power", "double", unit="MW", description="electric power")
    ad = plant.add_attribute(attribute_type=power)
    assert (ad.name, ad.unit, ad.description, ad.overrides) == ("Power", "MW", "electric power", ())
    assert ad.attribute_type == power
    assert power.definitions() == [ad]
    kind = md.create_attribute_type("Kind", "string", allowed=["a", "b"], default="b")
    enum = plant.add_attribute(attribute_type="Kind")
    assert (enum.spec.allowed, enum.spec.default) == (("a", "b"), "b")
    assert md.attribute_type("Kind") == kind


def test_attribute_type_readers(md: wb.ModelDefinition) -> None:
    kind = md.create_attribute_type("Kind", "string", allowed=["a", "b"], default="b")
    assert (kind.default, kind.allowed) == ("b", ("a", "b"))
    power = md.create_attribute_type("Power", "double", unit="MW")
    assert (power.default, power.allowed) == (None, None)
    level = md.create_attribute_type("Level", "double", default=2, allowed=[1.5, 2.0])
    assert level.default == 2.0 and isinstance(level.default, float)
    assert level.allowed == (1.5, 2.0)
    since = md.create_attribute_type("Since", "utc_time", default="UTC20220510072415")
    assert since.default == md.attribute_type("Since").default is not None
    level.rename("Height")  # readers read the store, not a copy
    assert md.attribute_type("Height").default == 2.0


def test_attribute_type_refusals(
    ws: wb.Workspace, md: wb.ModelDefinition, plant: wb.ObjectDefinition
) -> None:
    power = md.create_attribute_type("Power", "double", unit="MW")
    refused(
        ws,
        InvalidDefinition,
        "'Power' already exists",
        lambda: md.create_attribute_type("Power", "int64"),
    )
    refused(ws, UnitError, "bananas", lambda: md.create_attribute_type("D", unit="bananas"))
    refused(ws, UnitError, "bananas", lambda: power.set_unit("bananas"))
    refused(
        ws,
        InvalidDefinition,
        "'c' is not one of the allowed",
        lambda: md.create_attribute_type("K", "string", allowed=["a"], default="c"),
    )
    refused(
        ws,
        InvalidDefinition,
        "value type int64 differs from its attribute type 'Power'",
        lambda: plant.add_attribute("P", "int64", attribute_type=power),
    )
    refused(ws, NotFound, "'Energy'", lambda: plant.add_attribute(attribute_type="Energy"))


def test_renaming_an_attribute_type_renames_definitions_and_attributes(
    ws: wb.Workspace, md: wb.ModelDefinition, plant: wb.ObjectDefinition
) -> None:
    power = md.create_attribute_type("Power", "double", unit="MW")
    follows = plant.add_attribute(attribute_type=power)
    dam = md.create_object_definition("Dam")
    named = dam.add_attribute("Spill", attribute_type=power)  # a local name, until the next rename
    obj = model_with_plant(ws, md, plant)
    obj["Power"] = 42.0
    power.rename("MaxPower")
    follows.refresh()  # a handle is a snapshot: it shows the propagated name once read again
    named.refresh()
    assert (power.name, follows.name, named.name) == ("MaxPower", "MaxPower", "MaxPower")
    assert obj.values() == {"MaxPower": 42.0}
    assert ws.get(f"{obj.full_name}.MaxPower").value == 42.0
    with pytest.raises(NotFound, match="'Power'"):
        ws.get(f"{obj.full_name}.Power")


def test_attribute_type_rename_that_would_clash_is_refused(
    ws: wb.Workspace, md: wb.ModelDefinition, plant: wb.ObjectDefinition
) -> None:
    power = md.create_attribute_type("Power", "double")
    plant.add_attribute(attribute_type=power)
    plant.add_attribute("Capacity", "double")
    md.create_attribute_type("Other")
    refused(
        ws,
        InvalidDefinition,
        "definition 'Power' of the object definition 'PowerPlant' would clash with the "
        "attribute definition 'Capacity'",
        lambda: power.rename("Capacity"),
    )
    refused(ws, InvalidDefinition, "'Other' already exists", lambda: power.rename("Other"))
    assert power.name == "Power"


def test_unit_propagates_but_description_does_not(
    md: wb.ModelDefinition, plant: wb.ObjectDefinition
) -> None:
    power = md.create_attribute_type("Power", "double", unit="MW", description="old")
    follows = plant.add_attribute(attribute_type=power)
    local = md.create_object_definition("Dam").add_attribute(attribute_type=power, unit="kW")
    assert (local.unit, local.overrides) == ("kW", ("unit",))
    power.set_unit("GW")
    power.set_description("new")
    follows.refresh()  # a handle is a snapshot: it shows the propagated unit once read again
    local.refresh()
    assert (power.unit, power.description) == ("GW", "new")
    assert (follows.unit, follows.description) == ("GW", "old")
    assert (local.unit, local.overrides) == ("GW", ())  # a unit of its own follows too (Mesh)


def test_local_changes_hold_until_the_type_changes(
    md: wb.ModelDefinition, plant: wb.ObjectDefinition
) -> None:
    """Mesh, docs/mesh/concepts/modelling/general.md (Attribute type): a definition may change
    its name, description and unit; the type's next name or unit change reaches it anyway, its
    description change never does."""
    power = md.create_attribute_type("Power", "double", unit="MW", description="d")
    ad = plant.add_attribute(attribute_type=power)
    ad.set_unit("kW")
    ad.set_description("mine")
    ad.rename("Output")
    assert ad.overrides == ("name", "description", "unit")
    power.set_unit("GW")
    ad.refresh()
    assert (ad.name, ad.unit, ad.description) == ("Output", "GW", "mine")
    assert ad.overrides == ("name", "description")
    power.rename("Effect")
    ad.refresh()  # a handle is a snapshot: it shows the propagated name once read again
    assert (ad.name, ad.unit, ad.description) == ("Effect", "GW", "mine")
    assert ad.overrides == ("description",)
    ad.rename("Effect")  # its type's name is no name of its own
    assert ad.overrides == ("description",)


def test_renaming_an_attribute_definition_renames_its_attributes(
    ws: wb.Workspace, md: wb.ModelDefinition, plant: wb.ObjectDefinition
) -> None:
    ad = plant.add_attribute("Turbines", "int64", default=3)
    plant.add_attribute("Other", "int64")
    obj = model_with_plant(ws, md, plant)
    ad.rename("Units")
    assert obj.values() == {"Units": 3, "Other": None}
    assert ws.get(f"{obj.full_name}.Units").value == 3
    refused(ws, InvalidDefinition, "already has an attribute 'Other'", lambda: ad.rename("Other"))
    refused(ws, InvalidDefinition, "'a.b'", lambda: ad.rename("a.b"))


def test_attribute_definition_owning_objects_cannot_be_deleted(
    ws: wb.Workspace, md: wb.ModelDefinition, plant: wb.ObjectDefinition
) -> None:
    obj = model_with_plant(ws, md, plant)
    owner = obj.model.definition.attribute("To_Plants")
    refused(ws, InvalidDefinition, "'To_Plants' owns 1 objects", owner.delete)
    spare = plant.add_attribute("Spare", "double")
    spare.delete()
    assert "Spare" not in obj


# -- extended metadata, tags, template calculations ---------------------------------------------


def test_extended_metadata_on_namespaces_definitions_and_attributes(
    ws: wb.Workspace, md: wb.ModelDefinition, plant: wb.ObjectDefinition
) -> None:
    ns = md.create_namespace("Wind", metadata={"owner": {"team": "wind"}})
    ad = plant.add_attribute("Capacity", "double", metadata={"source": {"doc": "p. 4"}})
    plant.set_metadata("gis", {"layer": "plants", "z": [1, 2]})
    assert ns.metadata == {"owner": {"team": "wind"}}
    assert ad.metadata == {"source": {"doc": "p. 4"}}
    assert plant.metadata == {"gis": {"layer": "plants", "z": [1, 2]}}
    plant.set_metadata("gis", {"layer": "v2"})  # a category is unique: set replaces it
    plant.set_metadata("audit", {"by": "ana"})
    assert plant.metadata == {"gis": {"layer": "v2"}, "audit": {"by": "ana"}}
    plant.remove_metadata("audit")
    assert plant.metadata == {"gis": {"layer": "v2"}}
    refused(ws, NotFound, "'audit'", lambda: plant.remove_metadata("audit"))


def test_metadata_is_at_most_4000_characters(ws: wb.Workspace, plant: wb.ObjectDefinition) -> None:
    fits = {"t": "x" * (METADATA_LIMIT - len('{"t": ""}'))}
    plant.set_metadata("big", fits)
    assert plant.metadata["big"] == fits
    too_big = {"t": "x" * (METADATA_LIMIT - len('{"t": ""}') + 1)}
    refused(
        ws,
        InvalidDefinition,
        "'big' is 4001 characters as JSON; at most 4000",
        lambda: plant.set_metadata("big", too_big),
    )
    refused(
        ws,
        InvalidDefinition,
        "'odd' is not serializable",
        lambda: plant.set_metadata("odd", {"f": {1, 2}}),
    )
    refused(ws, InvalidDefinition, "non-empty", lambda: plant.set_metadata("", {}))
    assert plant.metadata == {"big": fits}


def test_tags(ws: wb.Workspace, md: wb.ModelDefinition, plant: wb.ObjectDefinition) -> None:
    md.create_tag("Hydro", description="water")
    md.create_tag("Critical")
    assert [t.name for t in md.tags()] == ["Hydro", "Critical"]
    refused(ws, InvalidDefinition, "'Hydro' already exists", lambda: md.create_tag("Hydro"))
    od = md.create_object_definition("Dam", tags=["Hydro"])
    assert od.tags == ("Hydro",)
    plant.set_tags(["Critical", "Hydro", "Critical"])
    assert plant.tags == ("Critical", "Hydro")
    ad = plant.add_attribute("Capacity", "double", tags=["Critical"])
    assert ad.spec.tags == ("Critical",)
    refused(ws, InvalidDefinition, "'Wind'", lambda: plant.set_tags(["Wind"]))
    assert plant.tags == ("Critical", "Hydro")


def test_template_calculations(
    ws: wb.Workspace, md: wb.ModelDefinition, plant: wb.ObjectDefinition
) -> None:
    calc = md.create_template_calculation("Production", "@t('.Inflow') * 0.9", "a share")
    plant.add_attribute("Inflow", "timeseries")
    plant.add_attribute("Flow", "timeseries")
    assert (calc.name, calc.expression, calc.description) == (
        "Production",
        "@t('.Inflow') * 0.9",
        "a share",
    )
    assert md.template_calculation("Production") == calc
    ad = plant.add_attribute("Production", "timeseries", template_calculation=calc)
    own = plant.add_attribute("Spill", "timeseries", template="@t('.Flow') - 5")
    assert (ad.spec.template, own.spec.template) == ("@t('.Inflow') * 0.9", "@t('.Flow') - 5")
    refused(ws, ExpressionError, "line 1", lambda: md.create_template_calculation("B", "1 +"))
    refused(
        ws,
        InvalidDefinition,
        "'Production' already exists",
        lambda: md.create_template_calculation("Production", "1"),
    )
    refused(ws, ExpressionError, "line 1", lambda: calc.set_expression("(("))
    # checked against every attribute definition that uses it
    refused(
        ws,
        ExpressionError,
        r"'\.Outflow'.*'PowerPlant'",
        lambda: calc.set_expression("@t('.Outflow')"),
    )
    calc.set_expression("@t('.Inflow') * 0.8")
    assert plant.attribute("Production").spec.template == "@t('.Inflow') * 0.8"
    own.set_template("@t('.Flow') - 6")
    assert own.spec.template == "@t('.Flow') - 6"
    capacity = plant.add_attribute("Capacity", "double")
    refused(ws, InvalidDefinition, "only timeseries", lambda: capacity.set_template("1"))


def test_attribute_definition_readers(md: wb.ModelDefinition, plant: wb.ObjectDefinition) -> None:
    calc = md.create_template_calculation("Production", "@t('.Inflow') * 0.9")
    plant.add_attribute("Inflow", "timeseries")
    plant.add_attribute("Flow", "timeseries")
    shared = plant.add_attribute("Production", "timeseries", template_calculation=calc)
    own = plant.add_attribute("Spill", "timeseries", template="@t('.Flow') - 5")
    plain = plant.add_attribute("Capacity", "double", namespace="Hydro.Ratings")
    assert (shared.template, shared.template_calculation) == (None, calc)
    assert shared.spec.template == "@t('.Inflow') * 0.9"  # the effective one
    assert (own.template, own.template_calculation) == ("@t('.Flow') - 5", None)
    assert (plain.template, plain.template_calculation) == (None, None)
    assert (plain.namespace, own.namespace) == ("Hydro.Ratings", None)
    shared.set_template("@t('.Inflow') * 0.5")  # a text of its own replaces the shared one
    assert (shared.template, shared.template_calculation) == ("@t('.Inflow') * 0.5", None)
    shared.set_template(None)
    assert (shared.template, shared.spec.template) == (None, None)


def test_timeseries_attribute_uses_the_template_unless_set_locally(
    ws: wb.Workspace, md: wb.ModelDefinition, plant: wb.ObjectDefinition
) -> None:
    plant.add_attribute("Inflow", "timeseries")
    plant.add_attribute("Production", "timeseries", template="@t('.Inflow') * 0.9")
    obj = model_with_plant(ws, md, plant)
    value = obj["Production"]
    assert (value.source, value.expression) == ("template", "@t('.Inflow') * 0.9")
    obj["Production"] = "@t('.Inflow') * 0.5"
    value = obj["Production"]
    assert (value.source, value.expression, value.template) == (
        "local",
        "@t('.Inflow') * 0.5",
        "@t('.Inflow') * 0.9",
    )
    refused(ws, ExpressionError, "line 1", lambda: obj.__setitem__("Production", "* 2"))
    refused(ws, wb.InvalidValue, "got 42", lambda: obj.__setitem__("Production", 42))
    obj["Production"] = None
    assert obj["Production"].source == "template"


def test_model_definition_in_use_cannot_be_deleted(
    ws: wb.Workspace, md: wb.ModelDefinition, plant: wb.ObjectDefinition
) -> None:
    obj = model_with_plant(ws, md, plant)
    refused(ws, InvalidDefinition, r"used by the models \['MySystem'\]", md.delete)
    obj.model.delete(recursive=True)
    md.delete()
    assert ws.model_definitions() == []
