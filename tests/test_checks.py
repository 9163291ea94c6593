"""wb.check_model: arrays that still miss their required values, and stored values now refused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import MakeModel, attr, owns, refused

import workbench as wb
from workbench.api.services.checks import Finding
from workbench.store.schema import ObjectRow


@pytest.fixture
def model(ws: wb.Workspace, make_model: MakeModel) -> wb.Object:
    lake = {
        "Levels": attr("double", array=True, min_count=2, max_count=4),
        "Gates": attr("int64", array=True, min_count=1, default=[1]),
        "Volume": attr("double", minimum=0.0, unit="Mm3"),
        "Inflow": attr("timeseries", unit="m^3/s"),
    }
    types = {"Reservoir": lake, "System": {"To_Lakes": owns("Reservoir")}}
    return make_model(
        ws, "Sys", definition="Hydro", types=types, children={"To_Lakes": ["L1", "L2"]}
    ).model


def test_arrays_without_their_values_are_created_and_reported_missing(
    ws: wb.Workspace, model: wb.Object
) -> None:
    lake = ws.object("Model/Sys/L1")
    assert lake["Levels"] == [] and lake["Gates"] == [1]
    assert wb.check_model(model) == [
        Finding(
            "Model/Sys.To_Lakes/L1.Levels",
            "missing",
            "Model/Sys.To_Lakes/L1.Levels holds 0 values; it takes at least 2",
        ),
        Finding(
            "Model/Sys.To_Lakes/L2.Levels",
            "missing",
            "Model/Sys.To_Lakes/L2.Levels holds 0 values; it takes at least 2",
        ),
    ]
    refused(
        ws,
        wb.InvalidValue,
        "takes 2 to 4 values, got 1",
        lambda: lake.attribute("Levels").set([1.0]),
    )
    refused(
        ws, wb.InvalidValue, "takes 2 to 4 values, got 0", lambda: lake.attribute("Levels").set([])
    )
    lake["Levels"] = [101.5, 102.0]
    # checked from any object of the model: the whole model is checked
    assert [f.attribute for f in wb.check_model(lake)] == ["Model/Sys.To_Lakes/L2.Levels"]


def test_missing_arrays_round_trip_through_export(ws: wb.Workspace, model: wb.Object) -> None:
    ws.object("Model/Sys/L2")["Levels"] = [1.0, 2.0, 3.0]
    data = wb.export_model(model)
    lakes = data["root"]["children"]["To_Lakes"]
    assert "attributes" not in lakes[0] and lakes[1]["attributes"] == {"Levels": [1.0, 2.0, 3.0]}
    model.delete(recursive=True)
    again = wb.import_model(ws, data)
    assert [f.attribute for f in wb.check_model(again)] == ["Model/Sys.To_Lakes/L1.Levels"]


def test_a_deleted_sensor_leaves_an_invalid_reference(ws: wb.Workspace, model: wb.Object) -> None:
    for lake in model.children():
        lake["Levels"] = [1.0, 2.0]
    lake = ws.object("Model/Sys/L1")
    gauge = lake.add_sensor("gauge", unit="m^3/s")
    lake["Inflow"] = gauge
    assert wb.check_model(model) == []
    gauge.delete()
    (finding,) = wb.check_model(model)
    assert (finding.attribute, finding.kind) == ("Model/Sys.To_Lakes/L1.Inflow", "invalid")
    assert f"refers to the sensor with id {gauge.id}, which does not exist" in finding.message
    with pytest.raises(wb.InvalidValue, match=f"sensor with id {gauge.id}"):
        wb.export_model(model)
    lake["Inflow"] = None
    assert wb.check_model(model) == []


def test_stored_values_the_definition_refuses_are_invalid(
    ws: wb.Workspace, model: wb.Object
) -> None:
    for lake in model.children():
        lake["Levels"] = [1.0, 2.0]
    lake = ws.object("Model/Sys/L2")
    volume = lake.definition.attribute("Volume").id
    levels = lake.definition.attribute("Levels").id
    with ws.engine.begin() as conn:  # as an older definition, or another program, left them
        values = conn.execute(sa.select(ObjectRow.values).where(ObjectRow.id == lake.id)).scalar()
        values = {**values, str(volume): -5.0, str(levels): [1.0, 2.0, 3.0, 4.0, 5.0]}
        conn.execute(sa.update(ObjectRow).where(ObjectRow.id == lake.id).values(values=values))
    findings = wb.check_model(model)
    assert [(f.attribute, f.kind) for f in findings] == [
        ("Model/Sys.To_Lakes/L2.Levels", "invalid"),
        ("Model/Sys.To_Lakes/L2.Volume", "invalid"),
    ]
    assert "takes 2 to 4 values, got 5" in findings[0].message
    assert "-5.0 is below the minimum 0.0" in findings[1].message


def test_other_tenants_objects_are_not_checked(ws: wb.Workspace) -> None:
    md = ws.create_model_definition("Hydro")
    lake = md.create_object_definition("Reservoir")
    lake.add_attribute("Levels", "double", array=True, min_count=1)
    ws.create_account("Acme")
    ws.create_account("Other")
    ws.add_user("ana@acme.example", "Acme", "secret-of-ana", ["account-admin"])
    ws.create_model("Theirs", md, lake, account="Other")
    ws.create_model("Ours", md, lake, account="Acme")
    ana = wb.connect(ws.url, user="ana@acme.example", secret="secret-of-ana")
    try:
        assert [f.attribute for f in wb.check_model(ana.object("Model/Ours"))] == [
            "Model/Ours.Levels"
        ]
        with pytest.raises(wb.NotFound):
            ana.object("Model/Theirs")
    finally:
        ana.engine.dispose()


def test_expressions_a_changed_definition_no_longer_fits_are_invalid(
    ws: wb.Workspace, model: wb.Object
) -> None:
    for lake in model.children():
        lake["Levels"] = [1.0, 2.0]
    reservoir = model.children()[0].definition
    spill = reservoir.add_attribute(
        "Spill", "timeseries", unit="m^3/s", template="@t('.Inflow') * 0.1"
    )
    l1, l2 = model.children()
    l1["Spill"] = "@t('.Inflow') * 0.2"
    l2["Spill"] = l2.add_sensor("spill", unit="m^3/s")  # read from its sensor: not checked
    assert wb.check_model(model) == []
    reservoir.attribute("Inflow").rename("Flow")  # saved expressions still say '.Inflow'
    findings = wb.check_model(model)
    assert [(f.attribute, f.kind) for f in findings] == [("Model/Sys.To_Lakes/L1.Spill", "invalid")]
    assert "the local expression looks up '.Inflow'" in findings[0].message
    l1["Spill"] = None  # back to the template, which does not fit either
    (finding,) = wb.check_model(model)
    assert "the template of 'Spill' looks up '.Inflow'" in finding.message
    spill.set_template("@t('.Flow') * 0.1")
    assert wb.check_model(model) == []
    reservoir.attribute("Flow").set_unit("MW")  # the unit no longer converts
    (finding,) = wb.check_model(model)
    assert "'MW'" in finding.message and "'m ** 3 / s'" in finding.message
