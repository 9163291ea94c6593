"""ObjectInspector driven through its parameters: values, plots, links, edits and refusals."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import panel_material_ui as pmui
import pytest
from conftest import store_state
from widget_data import USER_SECRET, build_grid

import workbench as wb
from widgets import HierarchyBrowser, ObjectInspector
from workbench.api import accounts as acc
from workbench.demo import build_demo

BROKKE = "Model/Demo/South/Otra/Brokke"


def text_of(inspector: ObjectInspector) -> str:
    """Every text the inspector shows, its HTML read as text (tags as spaces, spacing made one)."""
    shown = [inspector.header, *inspector.body.select(pn.pane.Markdown)]
    text = " ".join(html.unescape(re.sub(r"<[^>]*>", " ", str(m.object))) for m in shown)
    return " ".join(text.split())


def click(button: pmui.Button) -> None:
    button.clicks += 1


# -- what is shown ------------------------------------------------------------------------------


def test_nothing_selected_shows_nothing(ws: wb.Workspace) -> None:
    inspector = ObjectInspector(workspace=ws)
    assert "Nothing selected" in inspector.header.object and inspector.body.objects == []


def test_attributes_are_grouped_by_namespace_and_tag(ws: wb.Workspace) -> None:
    build_grid(ws)
    inspector = ObjectInspector(workspace=ws, obj=ws.get("Model/Grid/S1/S1_P0"))
    assert inspector.groups == {
        "Electric": ["Power"],
        "Electric · limits": ["Limit"],
        "General": ["Active", "Kind", "Setpoints", "Peer"],
        "Sensors": ["grid_top", "power"],
    }
    titles = [card.title for card in inspector.body.objects]
    assert titles == list(inspector.groups)
    assert "S1_P0" in inspector.header.object and "Plant" in inspector.header.object


def test_values_show_with_units_and_arrays_as_lists(ws: wb.Workspace) -> None:
    build_demo(ws)
    build_grid(ws)
    plant = ws.get("Model/Grid/S1/S1_P0")
    plant["Setpoints"] = [1.5, 2.0]
    plant["Power"] = 12.5
    inspector = ObjectInspector(workspace=ws, obj=plant)
    assert inspector.editable
    power = inspector.editors["Power"]
    assert (power.label, power.value) == ("Power (MW)", "12.5")
    assert inspector.editors["Limit"].value == ""  # no value yet
    assert isinstance(inspector.editors["Active"], pmui.Checkbox)
    assert inspector.editors["Active"].value is True
    assert inspector.editors["Kind"].options == ["hydro", "wind"]
    assert "Setpoints : [1.5, 2.0] MW" in text_of(inspector)
    inspector.obj = ws.get(BROKKE)
    assert inspector.editors["Commissioned"].value == "1964-03-01T00:00:00Z"
    assert inspector.editors["Units"].value == "2"


def test_a_read_only_user_sees_values_as_text(ws: wb.Workspace, store_url: str) -> None:
    build_demo(ws)  # a public model: only admins may change it
    acc.create_account(ws, "Acme")
    acc.add_user(ws, "reader@acme.example", "Acme", USER_SECRET, [])
    user = wb.connect(store_url, user="reader@acme.example", secret=USER_SECRET)
    try:
        inspector = ObjectInspector(workspace=user, obj=user.get(BROKKE))
        assert not inspector.editable and inspector.editors == {}
        shown = text_of(inspector)
        assert "read only" in shown
        assert "MaxPower Electric power : 330.0 MW" in shown
        assert "Commissioned : 1964-03-01T00:00:00Z" in shown
    finally:
        user.engine.dispose()


def test_links_are_buttons_that_move_the_selection(ws: wb.Workspace) -> None:
    build_demo(ws)
    browser = HierarchyBrowser(workspace=ws)
    inspector = ObjectInspector(workspace=ws).follow(browser)
    browser.selected = ws.get(BROKKE)
    assert inspector.obj == ws.get(BROKKE)
    upstream = inspector.buttons["Upstream"]
    assert [b.label for b in upstream] == ["Vatnedalsvatn"] and inspector.buttons[
        "Downstream"
    ] == []
    click(upstream[0])
    target = ws.get("Model/Demo/South/Otra/Vatnedalsvatn")
    assert inspector.selected == target and inspector.obj == target
    assert browser.selected == target  # the browser follows ...
    assert browser.tree.value[0]["label"] == "Vatnedalsvatn"  # ... and highlights it
    assert "Vatnedalsvatn" in inspector.header.object


def test_ownership_lists_children_as_buttons(ws: wb.Workspace) -> None:
    build_grid(ws, plants=12)
    inspector = ObjectInspector(workspace=ws, obj=ws.get("Model/Grid/S2"))
    buttons = inspector.buttons["To_Plants"]
    assert [b.label for b in buttons] == [f"S2_P{j}" for j in range(10)]
    assert "… and 2 more" in text_of(inspector)
    click(buttons[3])
    assert inspector.obj == ws.get("Model/Grid/S2/S2_P3")


def test_versioned_links_show_a_timeline_and_intervals(ws: wb.Workspace) -> None:
    build_demo(ws)
    inspector = ObjectInspector(workspace=ws, obj=ws.get(BROKKE))
    table = inspector.tables["PriceArea"]
    assert table["target"].tolist() == ["NO1", "NO2"]
    assert table["valid_from"].tolist() == [pd.Timestamp("2020-01-01"), pd.Timestamp("2024-10-01")]
    assert table["valid_until"][0] == pd.Timestamp("2024-10-01") and pd.isna(
        table["valid_until"][1]
    )
    timeline = inspector.plots["PriceArea"]
    assert isinstance(timeline, hv.Segments)
    assert timeline.dframe()["target"].tolist() == ["NO1", "NO2"]
    assert timeline.dframe()["valid_until"][0] == pd.Timestamp("2024-10-01")
    hv.render(timeline)  # renders with Bokeh
    assert [b.label for b in inspector.buttons["PriceArea"]] == ["NO1", "NO2"]
    click(inspector.buttons["PriceArea"][1])
    assert inspector.selected == ws.get("Model/Demo/NO2")


def test_xy_sets_and_rating_curves_are_plots_with_units(ws: wb.Workspace) -> None:
    build_demo(ws)
    plant = ws.get(BROKKE)
    inspector = ObjectInspector(workspace=ws, obj=plant)
    efficiency = inspector.plots["Efficiency"]
    stored = plant["Efficiency"]
    assert len(efficiency) == len(stored.curves) == 3
    first = efficiency.get(0)
    assert first.label == f"z = {stored.curves[0].z:g} m"
    assert first.kdims[0].unit == "m^3/s" and first.vdims[0].unit == "MW"
    assert np.allclose(first.dimension_values(1), stored.curves[0].y)
    figure = hv.render(efficiency)
    assert figure.xaxis[0].axis_label == "x (m^3/s)" and figure.yaxis[0].axis_label == "y (MW)"
    tailwater = inspector.plots["TailwaterCurve"].get(0)
    version = plant["TailwaterCurve"].versions[0]
    x = tailwater.dimension_values(0)
    assert x[0] == version.x_range_from and x[-1] < version.segments[-1].x_range_until
    assert np.allclose(tailwater.dimension_values(1), version.evaluate(x), equal_nan=True)


def test_timeseries_show_their_expression_or_sensor(ws: wb.Workspace) -> None:
    build_demo(ws)
    browser = HierarchyBrowser(workspace=ws)
    inspector = ObjectInspector(workspace=ws).follow(browser)
    browser.selected = ws.get("Model/Demo/East/Glomma/Kuraas")
    shown = text_of(inspector)
    assert "template expression" in shown and "* 0.9" in shown
    assert "no sensor and no expression" in shown  # Discharge: nothing yet
    hunsfos = ws.get("Model/Demo/South/Tovdal/Hunsfos")
    sensor = hunsfos.add_sensor("discharge", unit="m^3/s", catalog_path="Hydro")
    hunsfos["Discharge"] = sensor
    browser.selected = hunsfos
    shown = text_of(inspector)
    assert "local expression" in shown and "* 0.85" in shown and "template: @" in shown
    (to_sensor,) = inspector.buttons["Discharge"]
    assert to_sensor.label == "sensor discharge"
    click(to_sensor)
    assert isinstance(browser.selected, wb.Sensor) and browser.selected.id == sensor.id
    assert browser.tree.value[0]["id"] == f"s:{sensor.id}"


def test_a_sensor_shows_its_details_and_its_object(ws: wb.Workspace) -> None:
    build_grid(ws)
    flow = ws.get("Model/Grid/S1").sensors()[0]
    inspector = ObjectInspector(workspace=ws, obj=flow)
    shown = text_of(inspector)
    assert "unit m^3/s" in shown and "catalog folder Grid/Flows" in shown
    click(inspector.buttons["object"][0])
    assert inspector.obj == ws.get("Model/Grid/S1")


# -- editing ------------------------------------------------------------------------------------


def test_an_edit_is_stored_with_unit_conversion(ws: wb.Workspace) -> None:
    build_demo(ws)
    inspector = ObjectInspector(workspace=ws, obj=ws.get(BROKKE))
    inspector.editors["MaxPower"].value = "0.25 GW"
    assert ws.get(BROKKE)["MaxPower"] == 250.0
    assert inspector.editors["MaxPower"].value == "250.0"
    assert (
        inspector.message == "MaxPower = 250.0 MW saved" and inspector.status.severity == "success"
    )
    inspector.editors["Units"].value = "3"
    inspector.editors["Commissioned"].value = "UTC19650101"
    assert ws.get(BROKKE)["Units"] == 3
    assert inspector.editors["Commissioned"].value == "1965-01-01T00:00:00Z"


def test_boolean_and_choice_editors_store_their_values(ws: wb.Workspace) -> None:
    build_grid(ws)
    inspector = ObjectInspector(workspace=ws, obj=ws.get("Model/Grid/S1/S1_P1"))
    inspector.editors["Active"].value = False
    inspector.editors["Kind"].value = "wind"
    stored = ws.get("Model/Grid/S1/S1_P1")
    assert (stored["Active"], stored["Kind"]) == (False, "wind")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("-5", "below the minimum"),
        ("abc", "is not a number"),
        ("5 m", "cannot convert from 'm'"),
        ("5 bananas", "not understood"),
    ],
)
def test_an_invalid_edit_shows_the_error_and_changes_nothing(
    ws: wb.Workspace, text: str, error: str
) -> None:
    build_demo(ws)
    inspector = ObjectInspector(workspace=ws, obj=ws.get(BROKKE))
    before = store_state(ws)
    inspector.editors["MaxPower"].value = text
    assert error in inspector.message and "MaxPower" in inspector.message
    assert inspector.status.visible and inspector.status.severity == "error"
    assert store_state(ws) == before
    assert inspector.editors["MaxPower"].value == "330.0"  # the stored value, shown again
    inspector.editors["MaxPower"].value = "331"  # the next edit works
    assert ws.get(BROKKE)["MaxPower"] == 331.0


def test_an_invalid_time_or_whole_number_is_refused(ws: wb.Workspace) -> None:
    build_demo(ws)
    inspector = ObjectInspector(workspace=ws, obj=ws.get(BROKKE))
    before = store_state(ws)
    inspector.editors["Commissioned"].value = "yesterday"
    assert "not understood" in inspector.message
    inspector.editors["Units"].value = "1.5"
    assert "whole number" in inspector.message
    assert store_state(ws) == before
    assert inspector.editors["Units"].value == "2"


def test_a_concurrent_edit_is_refused_and_shows_the_other_value(ws: wb.Workspace) -> None:
    build_demo(ws)
    inspector = ObjectInspector(workspace=ws, obj=ws.get(BROKKE))
    ws.get(BROKKE)["NominalHead"] = 299.0  # someone else, after the inspector read it
    inspector.editors["MaxPower"].value = "100"
    assert "refresh" in inspector.message and inspector.status.severity == "error"
    assert ws.get(BROKKE)["MaxPower"] == 330.0
    assert inspector.editors["MaxPower"].value == "330.0"
    inspector.editors["MaxPower"].value = "100"  # read again: the retry goes through
    assert ws.get(BROKKE)["MaxPower"] == 100.0


@pytest.fixture
def consultant(ws: wb.Workspace, store_url: str) -> Iterator[wb.Workspace]:
    """A consultant of the account that owns the Grid model."""
    acc.create_account(ws, "Advisers")
    acc.create_account(ws, "Acme", consultancy="Advisers")
    acc.add_user(ws, "adviser@advisers.example", "Advisers", USER_SECRET, ["consultant"])
    build_grid(ws, "Grid", account="Acme")
    user = wb.connect(store_url, user="adviser@advisers.example", secret=USER_SECRET)
    yield user
    user.engine.dispose()


def test_a_refused_edit_shows_the_error_and_changes_nothing(
    ws: wb.Workspace, store_url: str
) -> None:
    build_demo(ws)
    acc.create_account(ws, "Acme")
    acc.add_user(ws, "reader@acme.example", "Acme", USER_SECRET, [])
    user = wb.connect(store_url, user="reader@acme.example", secret=USER_SECRET)
    try:
        inspector = ObjectInspector(workspace=user, obj=user.get(BROKKE))
        before = store_state(ws)
        assert not inspector.edit("MaxPower", "1")
        assert "may not update" in inspector.message and inspector.status.severity == "error"
        assert store_state(ws) == before
    finally:
        user.engine.dispose()


def test_an_edit_after_the_right_was_revoked_is_refused(
    ws: wb.Workspace, consultant: wb.Workspace
) -> None:
    plant = "Model/Grid/S1/S1_P0"
    inspector = ObjectInspector(workspace=consultant, obj=consultant.get(plant))
    assert inspector.editable and "Power" in inspector.editors
    acc.set_roles(ws, "adviser@advisers.example", [])  # no longer a consultant
    before = store_state(ws)
    inspector.editors["Power"].value = "7"
    assert "may not update" in inspector.message
    assert store_state(ws) == before and ws.get(plant)["Power"] is None


def test_a_handle_from_another_user_is_read_again_as_this_user(
    ws: wb.Workspace, store_url: str
) -> None:
    acc.create_account(ws, "Acme")
    acc.create_account(ws, "Other")
    build_grid(ws, "Grid", account="Acme")
    acc.add_user(ws, "other@other.example", "Other", USER_SECRET, [])
    user = wb.connect(store_url, user="other@other.example", secret=USER_SECRET)
    try:
        inspector = ObjectInspector(workspace=user, obj=ws.get("Model/Grid/S1/S1_P0"))
        assert "not found" in inspector.message and inspector.body.objects == []
        assert inspector.editors == {} and not inspector.edit("Power", "1")
        assert ws.get("Model/Grid/S1/S1_P0")["Power"] is None
    finally:
        user.engine.dispose()
