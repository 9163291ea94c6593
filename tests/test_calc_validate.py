"""Expressions are checked when saved: lookups against the definitions, and the result's unit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from conftest import attr, build_definition, owns, refused

import workbench as wb
from workbench.api.services.calc.validate import DefinitionResolver
from workbench.calc.protocol import Lookup


@dataclass
class Defs:
    ws: wb.Workspace
    md: wb.ModelDefinition
    plant: wb.ObjectDefinition
    area: wb.ObjectDefinition
    system: wb.ObjectDefinition


@pytest.fixture
def defs(ws: wb.Workspace) -> Defs:
    made = build_definition(
        ws,
        "Hydro",
        {
            "Area": {"Price": attr("timeseries", unit="EUR/MWh")},
            "Plant": {
                "Inflow": attr("timeseries", unit="m^3/s"),
                "Head": attr("double", unit="m"),
                "Owner": "string",
                "Market": attr("link_one", target="Area"),
            },
            "System": {"To_Plants": owns("Plant"), "Load": attr("timeseries", unit="kW")},
        },
    )
    types = made.types
    return Defs(ws, made.definition, types["Plant"], types["Area"], types["System"])


def refused_attribute(
    od: wb.ObjectDefinition, error: type[Exception], match: str, *args: Any, **kwargs: Any
) -> None:
    """Adding the attribute is refused with ``error`` matching ``match``, and adds nothing."""
    before = [a.name for a in od.attributes()]
    refused(od.ws, error, match, lambda: od.add_attribute(*args, **kwargs))
    assert [a.name for a in od.attributes()] == before


POWER = "@t('.Inflow') * @d('.Head') * 1000 [kg/m^3] * 9.81 [m/s^2]"


def test_an_unknown_attribute_is_refused_when_saved_naming_it(defs: Defs) -> None:
    refused_attribute(
        defs.plant,
        wb.ExpressionError,
        r"'\.Inflw'.*'Plant'",
        "Production",
        "timeseries",
        unit="m^3/s",
        template="@t('.Inflw')",
    )
    refused_attribute(
        defs.plant,
        wb.ExpressionError,
        r"'\.Market\.Cost'.*'Plant'",
        "Income",
        "timeseries",
        unit="EUR/MWh",
        template="@t('.Market.Cost')",
    )


def test_a_default_as_second_argument_accepts_a_missing_attribute(defs: Defs) -> None:
    ad = defs.plant.add_attribute(
        "Spill", "timeseries", unit="m^3/s", template="@t('.Inflow') - @t('.Bypass', 0 [m^3/s])"
    )
    assert ad.template is not None and ".Bypass" in ad.template


def test_a_unit_mismatch_is_refused_naming_both_units(defs: Defs) -> None:
    refused_attribute(
        defs.plant,
        wb.UnitError,
        r"'m \*\* 3 / s'.*'MW'",
        "Production",
        "timeseries",
        unit="MW",
        template="@t('.Inflow') * 9.81",
    )
    ad = defs.plant.add_attribute("Production", "timeseries", unit="MW", template=POWER)
    refused(defs.ws, wb.UnitError, r"'MW'", lambda: ad.set_template("@t('.Inflow') * 2"))
    assert ad.template == POWER


def test_compatible_units_are_accepted(defs: Defs) -> None:
    kw = "@t('.Inflow') * @d('.Head') * 9.81 [kW*s/m^4]"
    ad = defs.plant.add_attribute("Production", "timeseries", unit="MW", template=kw)
    assert ad.template == kw
    ad.set_template(POWER)  # watts into megawatts
    assert ad.template == POWER


def test_hops_reach_the_target_definitions(defs: Defs) -> None:
    income = "@t('.Market.Price') * 1 [MWh/h]"
    defs.plant.add_attribute("Income", "timeseries", unit="EUR/h", template=income)
    total = "@SUM(@T('.To_Plants/*.Inflow')) * 1 [kW*s/m^3]"
    defs.system.add_attribute("Total", "timeseries", unit="MW", template=total)
    refused_attribute(
        defs.system,
        wb.UnitError,
        r"'EUR / MWh'.*'MW'",
        "Bad",
        "timeseries",
        unit="MW",
        template="@SUM(@T('.To_Plants/*.Market.Price'))",
    )
    parent = "@t('...Load') * 2"  # a plant's only owner is a system
    defs.plant.add_attribute("Share", "timeseries", unit="MW", template=parent)


def test_sensors_and_absolute_paths_are_accepted_without_a_unit_check(defs: Defs) -> None:
    for i, text in enumerate(
        ("@t(':power')", "@t('Model/Sys/P.Inflow') * 2", "@t(':power') + @t('.Inflow')")
    ):
        ad = defs.plant.add_attribute(f"Free{i}", "timeseries", unit="MW", template=text)
        assert ad.template == text
    # an unknown lookup does not excuse a missing attribute
    refused_attribute(
        defs.plant,
        wb.ExpressionError,
        r"'\.Nope'.*'Plant'",
        "Bad",
        "timeseries",
        unit="MW",
        template="@t(':power') + @t('.Nope')",
    )


def test_a_local_expression_is_checked_the_same_way(defs: Defs) -> None:
    defs.plant.add_attribute("Production", "timeseries", unit="MW")
    root = defs.ws.create_model("Sys", defs.md, defs.system)
    p = root.add_child("To_Plants", "P", defs.plant)
    refused(
        defs.ws,
        wb.UnitError,
        r"'m \*\* 3 / s'.*'MW'",
        lambda: p.__setitem__("Production", "@t('.Inflow') * 9.81"),
    )
    refused(
        defs.ws,
        wb.ExpressionError,
        r"'\.Flow'.*'Plant'",
        lambda: p.__setitem__("Production", "@t('.Flow') * 1 [MW*s/m^3]"),
    )
    p["Production"] = POWER
    assert p["Production"].expression == POWER


def test_the_definition_resolver_reads_no_values(defs: Defs) -> None:
    resolver = DefinitionResolver(defs.ws._ctx.catalog(defs.md.id))
    lookups = [Lookup(".Owner", defs.plant.id), Lookup(".Gone", defs.plant.id)]
    infos = resolver.describe(lookups)
    assert [i.found for i in infos.values()] == ["string"]
    assert resolver.unknown == set()
    with pytest.raises(TypeError, match="reads no values"):
        resolver.numbers(lookups)


def test_an_expression_must_give_a_series(defs: Defs) -> None:
    refused_attribute(
        defs.plant,
        wb.ExpressionError,
        r"gives a number.*series",
        "Flat",
        "timeseries",
        template="@d('.Head') * 2",
    )
    assert "Flat" not in [a.name for a in defs.plant.attributes()]


def test_an_attribute_cannot_be_calculated_from_itself(defs: Defs) -> None:
    ad = defs.plant.add_attribute("Spill", "timeseries", unit="m^3/s")
    refused(
        defs.ws,
        wb.ExpressionError,
        r"Plant\.Spill -> Plant\.Spill",
        lambda: ad.set_template("@t('.Spill') * 2"),
    )
    twice = defs.plant.add_attribute(
        "Twice", "timeseries", unit="m^3/s", template="@t('.Spill') * 2"
    )
    # through the other template, and through the owner's template of its children
    refused(
        defs.ws,
        wb.ExpressionError,
        r"Plant\.Spill -> Plant\.Twice -> Plant\.Spill",
        lambda: ad.set_template("@t('.Twice') / 2"),
    )
    defs.system.add_attribute(
        "Spills", "timeseries", unit="m^3/s", template="@SUM(@T('.To_Plants/*.Twice'))"
    )
    refused(
        defs.ws,
        wb.ExpressionError,
        r"Plant\.Spill -> System\.Spills -> Plant\.Twice -> Plant\.Spill",
        lambda: ad.set_template("@t('...Spills')"),
    )
    assert (ad.template, twice.template) == (None, "@t('.Spill') * 2")
    p = defs.ws.create_model("Sys", defs.md, defs.system).add_child("To_Plants", "P", defs.plant)
    refused(
        defs.ws,
        wb.ExpressionError,
        r"Spill -> Plant\.Twice",
        lambda: p.__setitem__("Spill", "@t('.Twice')"),
    )


def test_an_attribute_without_a_unit_takes_its_expressions_unit(defs: Defs) -> None:
    free = defs.plant.add_attribute("Free", "timeseries", template="@t('.Inflow') * 2")
    # its unit is known only object by object: not checked at save
    defs.plant.add_attribute("Power", "timeseries", unit="MW", template="@t('.Free') * 1 [MW]")
    assert free.unit == ""


def test_a_template_calculation_is_checked_where_it_is_used(defs: Defs) -> None:
    calc = defs.md.create_template_calculation("Doubled", "@t('.Inflow') * 2")
    refused(  # a system has no inflow
        defs.ws,
        wb.ExpressionError,
        r"'\.Inflow'.*'System'",
        lambda: defs.system.add_attribute("Twice", "timeseries", template_calculation=calc),
    )
    refused_attribute(
        defs.plant,
        wb.UnitError,
        r"'m \*\* 3 / s'.*'MW'",
        "Twice",
        "timeseries",
        unit="MW",
        template_calculation="Doubled",
    )
    twice = defs.plant.add_attribute("Twice", "timeseries", unit="l/s", template_calculation=calc)
    refused(  # the change would break the attribute that uses it
        defs.ws,
        wb.UnitError,
        r"'Doubled' \(the template of Plant\.Twice\).*'m'.*'l / s'",
        lambda: calc.set_expression("@d('.Head') * @t('.Inflow') / @t('.Inflow')"),
    )
    assert calc.expression == "@t('.Inflow') * 2"
    calc.set_expression("@t('.Inflow') * 3")
    twice.refresh()  # a handle is a snapshot: it shows the calculation's new text once read again
    assert twice.spec.template == "@t('.Inflow') * 3"


def test_set_template_calculation_switches_between_shared_and_own(defs: Defs) -> None:
    calc = defs.md.create_template_calculation("Doubled", "@t('.Inflow') * 2")
    loss = defs.md.create_template_calculation("Loss", "@t('.Inflow') * 0.1 [MW*s/m^3]")
    ad = defs.plant.add_attribute("Spill", "timeseries", unit="m^3/s", template="@t('.Inflow')")
    ad.set_template_calculation(calc)
    assert (ad.template, ad.template_calculation, ad.spec.template) == (
        None,
        calc,
        "@t('.Inflow') * 2",
    )
    refused(
        defs.ws, wb.UnitError, r"'MW'.*'m \*\* 3 / s'", lambda: ad.set_template_calculation(loss)
    )
    refused(defs.ws, wb.NotFound, "'Nope'", lambda: ad.set_template_calculation("Nope"))
    assert ad.template_calculation == calc
    ad.set_template_calculation(None)
    assert (ad.template, ad.template_calculation, ad.spec.template) == (None, None, None)
    head = defs.plant.attribute("Head")
    refused(
        defs.ws,
        wb.InvalidDefinition,
        "only timeseries",
        lambda: head.set_template_calculation(calc),
    )
