"""Attribute types as in Mesh: a type's name and unit reach every definition built on it (one
changed locally too), its tags are carried by those definitions, and it sits in a namespace.

The rule is Mesh's: docs/mesh/concepts/modelling/general.md ("Attribute type") in
Volue-Public/energy-smp-docs, and the comments of the ``Update*AttributeTypeRequest`` messages
in src/volue/mesh/proto/model_definition/v1alpha/model_definition.proto of
Volue-Public/energy-mesh-python ("The new name will be set also for all existing attribute
definitions and attributes based on the given attribute type"); the ``AttributeDefinition``
message there says "Tags are inherited from the attribute type". Each rule on SQLite and
PostgreSQL; a refused call leaves every table as it was.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import refused

import workbench as wb
from workbench.api.exchange import dump_yaml, export_definition, import_definition, load_yaml
from workbench.errors import InvalidDefinition, NotFound, UnitError
from workbench.metamodel import ValueType


@pytest.fixture
def md(ws: wb.Workspace) -> wb.ModelDefinition:
    md = ws.create_model_definition("EnergySystem")
    for tag in ("hydro", "critical", "audit"):
        md.create_tag(tag)
    return md


def _model(ws: wb.Workspace, md: wb.ModelDefinition, plant: wb.ObjectDefinition) -> wb.Object:
    system = md.create_object_definition("System")
    system.add_attribute("To_Plants", "ownership_many", target=plant)
    model = ws.create_model("MySystem", definition=md, root_type=system)
    return model.add_child("To_Plants", "PlantA", plant)


# -- name and unit -------------------------------------------------------------------------------


def test_a_locally_renamed_definition_follows_the_types_next_rename(
    ws: wb.Workspace, md: wb.ModelDefinition
) -> None:
    """The propagation image of the Mesh docs: type A, definition renamed locally to B; the
    type renamed to C renames the definition (and its attributes) to C too."""
    level = md.create_attribute_type("Level", "double", unit="m", description="water level")
    plant = md.create_object_definition("Plant")
    ad = plant.add_attribute(attribute_type=level)
    obj = _model(ws, md, plant)
    obj["Level"] = 12.5
    ad.rename("Height")
    ad.set_description("local")
    assert (ad.name, ad.overrides) == ("Height", ("name", "description"))
    assert obj.refresh().values() == {"Height": 12.5}
    level.rename("WaterLevel")
    level.set_description("changed on the type")
    ad.refresh()
    assert (ad.name, ad.description, ad.overrides) == ("WaterLevel", "local", ("description",))
    assert obj.refresh().values() == {"WaterLevel": 12.5}
    assert ws.get(f"{obj.full_name}.WaterLevel").value == 12.5
    assert ws.search(obj.model, "{*}[.WaterLevel>12]") == [obj]


def test_a_unit_given_at_creation_follows_the_types_next_unit(md: wb.ModelDefinition) -> None:
    power = md.create_attribute_type("Power", "double", unit="MW")
    plant = md.create_object_definition("Plant")
    own = plant.add_attribute(attribute_type=power, unit="kW")
    same = md.create_object_definition("Dam").add_attribute(attribute_type=power, unit="MW")
    assert (own.overrides, same.overrides) == (("unit",), ())  # the type's unit is no own unit
    power.set_unit("GW")
    assert [(a.unit, a.overrides) for a in power.definitions()] == [("GW", ()), ("GW", ())]
    assert plant.attribute("Power").spec.unit == "GW"


def test_a_rename_that_would_clash_names_both_and_changes_nothing(
    ws: wb.Workspace, md: wb.ModelDefinition
) -> None:
    power = md.create_attribute_type("Power", "double")
    plant = md.create_object_definition("Plant")
    plant.add_attribute(attribute_type=power)
    plant.add_attribute("Capacity", "double")
    dam = md.create_object_definition("Dam")
    dam.add_attribute(attribute_type=power)
    dam.add_attribute("Spill", attribute_type=power)  # a second one of the type, renamed
    _model(ws, md, plant)
    refused(
        ws,
        InvalidDefinition,
        r"cannot rename the attribute type 'Power' to 'Capacity': its attribute definition "
        r"'Power' of the object definition 'Plant' would clash with the attribute definition "
        r"'Capacity' there",
        lambda: power.rename("Capacity"),
    )
    refused(
        ws,
        InvalidDefinition,
        r"its attribute definitions 'Power' and 'Spill' of the object definition 'Dam' would "
        r"both be called 'Output'",
        lambda: power.rename("Output"),
    )
    assert [a.name for a in power.definitions()] == ["Power", "Power", "Spill"]


def test_a_unit_that_a_template_cannot_give_is_refused(
    ws: wb.Workspace, md: wb.ModelDefinition
) -> None:
    """The templates of the timeseries definitions built on a type are checked against its new
    unit, one with a unit of its own too (the unit reaches it)."""
    flow = md.create_attribute_type("Flow", "timeseries", unit="m^3/s")
    plant = md.create_object_definition("Plant")
    plant.add_attribute("Inflow", "timeseries", unit="m^3/s")
    ad = plant.add_attribute(attribute_type=flow, unit="l/s", template="@t('.Inflow') * 0.9")
    flow.set_unit("m^3/h")  # converts
    assert ad.refresh().unit == "m^3/h"
    refused(
        ws,
        UnitError,
        r"template of Plant.Flow \(built on the attribute type 'Flow'\).*'MW'",
        lambda: flow.set_unit("MW"),
    )
    assert (flow.refresh().unit, ad.refresh().unit) == ("m^3/h", "m^3/h")


def test_a_type_change_is_one_transaction(ws: wb.Workspace, md: wb.ModelDefinition) -> None:
    """A rename in a batch that fails later is undone with it: the type, every definition and
    the attributes keep their names."""
    power = md.create_attribute_type("Power", "double")
    plant = md.create_object_definition("Plant")
    ad = plant.add_attribute(attribute_type=power)
    ad.rename("Local")
    obj = _model(ws, md, plant)
    with pytest.raises(NotFound), ws.transaction():
        power.rename("Output")
        power.set_unit("MW")
        md.attribute_type("Missing")
    assert md.attribute_type("Power").unit == ""
    assert [(a.name, a.overrides) for a in power.definitions()] == [("Local", ("name",))]
    assert obj.refresh().values() == {"Local": None}


# -- tags ---------------------------------------------------------------------------------------


def test_definitions_carry_their_types_tags_beside_their_own(
    ws: wb.Workspace, md: wb.ModelDefinition
) -> None:
    level = md.create_attribute_type("Level", "double", tags=["hydro", "critical"])
    assert level.tags == ("hydro", "critical")
    plant = md.create_object_definition("Plant")
    ad = plant.add_attribute(attribute_type=level, tags=["audit", "critical"])
    assert (ad.tags, ad.own_tags) == (("hydro", "critical", "audit"), ("audit", "critical"))
    obj = _model(ws, md, plant)
    assert obj.attribute("Level").spec.tags == ("hydro", "critical", "audit")
    level.set_tags(["hydro"])  # the type drops 'critical'; the definition keeps its own
    ad.refresh()
    assert (ad.tags, ad.own_tags) == (("hydro", "audit", "critical"), ("audit", "critical"))
    level.set_tags([])
    ad.set_tags(["audit"])
    assert plant.attribute("Level").tags == ("audit",)
    level.set_tags(["critical", "hydro"])  # a tag added to the type reaches the definition
    assert obj.refresh().attribute("Level").spec.tags == ("critical", "hydro", "audit")
    assert [t for a in plant.attributes() for t in a.tags] == ["critical", "hydro", "audit"]


def test_what_carries_a_tag_counts_inherited_ones(ws: wb.Workspace, md: wb.ModelDefinition) -> None:
    """Mesh's tag usages (``SearchTagUsages``: attribute types and object definitions), and the
    attribute definitions carrying the tag, their type's included."""
    level = md.create_attribute_type("Level", "double", tags=["hydro"])
    md.create_attribute_type("Price", "double")
    lake = md.create_object_definition("Lake", tags=["hydro"])
    plant = md.create_object_definition("Plant")
    lake.add_attribute(attribute_type=level)
    plant.add_attribute("Head", attribute_type=level)
    plant.add_attribute("Capacity", "double", tags=["hydro"])
    plant.add_attribute(attribute_type="Price", tags=["audit"])
    found = md.tagged("hydro")
    assert [t.name for t in found.attribute_types] == ["Level"]
    assert [o.name for o in found.object_definitions] == ["Lake"]
    assert [(a.object_definition.name, a.name) for a in found.attribute_definitions] == [
        ("Lake", "Level"),
        ("Plant", "Head"),
        ("Plant", "Capacity"),
    ]
    level.set_tags([])
    assert [a.name for a in md.tagged("hydro").attribute_definitions] == ["Capacity"]
    assert [a.name for a in md.tagged(md.tags()[2]).attribute_definitions] == ["Price"]
    with pytest.raises(NotFound, match=r"tag not found: 'wind'.*defined: \['audit', 'critical'"):
        md.tagged("wind")
    assert md.tagged("critical") == type(found)([], [], [])


def test_unknown_tags_are_refused(ws: wb.Workspace, md: wb.ModelDefinition) -> None:
    refused(
        ws,
        InvalidDefinition,
        r"tags \['wind'\] are not defined; defined tags: \['audit', 'critical', 'hydro'\]",
        lambda: md.create_attribute_type("Level", tags=["hydro", "wind"]),
    )
    level = md.create_attribute_type("Level", tags=["hydro"])
    ad = md.create_object_definition("Plant").add_attribute(attribute_type=level)
    refused(ws, InvalidDefinition, r"\['wind'\]", lambda: level.set_tags(["wind"]))
    refused(ws, InvalidDefinition, r"\['wind'\]", lambda: ad.set_tags(["wind"]))
    other = ws.create_model_definition("Other")
    other.create_tag("wind")
    refused(ws, InvalidDefinition, r"\['wind'\]", lambda: level.set_tags(["wind"]))
    assert (level.refresh().tags, ad.refresh().tags) == (("hydro",), ("hydro",))


# -- namespaces ---------------------------------------------------------------------------------


def test_attribute_types_live_in_namespaces(ws: wb.Workspace, md: wb.ModelDefinition) -> None:
    hydro = md.create_namespace("Hydro")
    level = md.create_attribute_type("Level", "double", namespace=hydro)
    flow = md.create_attribute_type("Flow", "double", namespace="Hydro.Rivers")  # made
    top = md.create_attribute_type("Price", "double")
    assert [(t.name, t.namespace) for t in md.attribute_types()] == [
        ("Level", "Hydro"),
        ("Flow", "Hydro.Rivers"),
        ("Price", ""),
    ]
    assert [n.name for n in hydro.namespaces()] == ["Rivers"]
    assert (level.refresh().namespace, flow.namespace, top.namespace) == (
        "Hydro",
        "Hydro.Rivers",
        "",
    )
    assert md.attribute_type("Flow").namespace == "Hydro.Rivers"
    # a name stays unique in the whole model definition, whatever the namespace
    refused(
        ws,
        InvalidDefinition,
        "'Level' already exists",
        lambda: md.create_attribute_type("Level", namespace="Hydro.Rivers"),
    )
    foreign = ws.create_model_definition("Other").create_namespace("Elsewhere")
    refused(
        ws,
        InvalidDefinition,
        f"namespace {foreign.id} is not a namespace of 'EnergySystem'",
        lambda: md.create_attribute_type("Spill", namespace=foreign.id),
    )


# -- export and import -------------------------------------------------------------------------


def test_the_definition_yaml_round_trips_type_tags_and_namespaces(
    ws: wb.Workspace, md: wb.ModelDefinition
) -> None:
    level = md.create_attribute_type(
        "Level", "double", unit="m", namespace="Hydro.Lakes", tags=["hydro", "critical"]
    )
    md.create_attribute_type("Price", "double", unit="EUR/MWh")
    plant = md.create_object_definition("Plant", "Hydro")
    plant.add_attribute(attribute_type=level, tags=["audit"])
    plant.add_attribute("Head", attribute_type=level, unit="cm")  # diverged: name and unit
    text = dump_yaml(export_definition(md))
    assert (
        "  - name: Level\n    value_type: double\n    namespace: Hydro.Lakes\n    unit: m\n"
        "    tags:\n      - hydro\n      - critical\n"
    ) in text
    assert (
        "      - name: Level\n        value_type: double\n        attribute_type: Level\n" in text
    )
    data = load_yaml(text)
    md.delete()
    again = import_definition(ws, data)
    assert dump_yaml(export_definition(again)) == text
    copy = again.attribute_type("Level")
    assert (copy.namespace, copy.tags) == ("Hydro.Lakes", ("hydro", "critical"))
    level_ad, head = again.object_definition("Plant").attributes()
    assert (level_ad.tags, level_ad.own_tags) == (("hydro", "critical", "audit"), ("audit",))
    assert (head.name, head.unit, head.overrides) == ("Head", "cm", ("name", "unit"))
    refused(  # both of Plant's definitions are built on Level: a rename would clash
        ws,
        InvalidDefinition,
        "definitions 'Level' and 'Head' of the object definition 'Plant' would both be",
        lambda: copy.rename("Depth"),
    )


def test_yaml_with_an_unknown_type_tag_is_refused(ws: wb.Workspace) -> None:
    data = {
        "kind": "model_definition",
        "format": 1,
        "name": "Grid",
        "tags": [{"name": "hydro"}],
        "attribute_types": [{"name": "Level", "value_type": "double", "tags": ["wind"]}],
    }
    refused(
        ws,
        InvalidDefinition,
        r"attribute_types\[0\].*\['wind'\]",
        lambda: import_definition(ws, data),
    )


# -- the README ---------------------------------------------------------------------------------

README = Path(__file__).resolve().parent.parent / "README.md"


def _between(text: str, start: str, end: str) -> str:
    begin = text.index(start)
    return text[begin : text.index(end, begin + len(start))]


def test_the_readme_example_of_attribute_types_runs() -> None:
    section = _between(README.read_text(encoding="utf-8"), "\n### Attribute types\n", "\n### ")
    (code,) = re.findall(r"```python\n(.*?)```", section, re.S)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_glossary_names_what_exists() -> None:
    """Every ``wb.Name`` of the glossary is exported, every value type is one, and Mesh's older
    names (its "Mapping" list) are all there."""
    glossary = _between(README.read_text(encoding="utf-8"), "\n## Glossary: Mesh's names", "\n## ")
    for name in re.findall(r"`wb\.(\w+)`", glossary):
        assert hasattr(wb, name), name
    value_types = re.findall(r"value types? `(\w+)`(?:, `(\w+)`)?", glossary)
    for found in value_types:
        for vt in filter(None, found):
            ValueType.parse(vt)
    assert len(value_types) == 7
    for legacy in ("object model", "meta model", "element type", "object type", "physical model",
                   "physical object", "property", "`XYZSeries`"):  # fmt: skip
        assert f"{legacy}" in glossary, legacy
