"""HierarchyBrowser driven through its parameters: lazy tree, catalog, search, access."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from widget_data import USER_SECRET, build_grid

import workbench as wb
from widgets import HierarchyBrowser
from widgets._nodes import item_at, path_of
from workbench.api import accounts as acc
from workbench.demo import build_demo


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the objects whose children were read, in order."""
    calls: list[str] = []
    original = wb.Object.children

    def children(self: wb.Object, attribute: str | None = None) -> list[wb.Object]:
        calls.append(self.name)
        return original(self, attribute)

    monkeypatch.setattr(wb.Object, "children", children)
    return calls


def labels(items: list[dict[str, Any]]) -> list[str]:
    return [i["label"] for i in items]


def node(browser: HierarchyBrowser, handle: Any) -> dict[str, Any]:
    prefix = "s" if isinstance(handle, wb.Sensor) else "o"
    path = path_of(browser.tree.items, f"{prefix}:{handle.id}")
    assert path is not None, f"{handle} is not in the tree"
    found = item_at(browser.tree.items, path)
    assert found is not None
    return found


def is_loaded(item: dict[str, Any]) -> bool:
    return not any(child["label"] == "loading…" for child in item.get("items", []))


# -- opening and lazy loading --------------------------------------------------------------------


def test_opens_with_the_root_and_its_first_level_only(ws: wb.Workspace, counted: list[str]) -> None:
    build_demo(ws)
    counted.clear()
    browser = HierarchyBrowser(workspace=ws)
    assert counted == ["Demo"]  # one read: the root's children
    root, catalog = browser.tree.items
    assert (root["label"], root["secondary"]) == ("Demo", "HydroSystem")
    assert labels(root["items"]) == ["NO1", "NO2", "East", "South"]
    assert browser.tree.expanded == [(0,)]
    east = root["items"][2]
    assert east["secondary"] == "Area" and not is_loaded(east)
    assert "items" not in root["items"][0]  # a price area owns nothing: no chevron
    assert catalog["label"] == "Resource catalog" and not is_loaded(catalog)
    assert browser.model is not None and browser.model.name == "Demo"
    assert list(browser.model_select.options) == ["Demo"]


def test_opening_a_node_reads_its_children_once(ws: wb.Workspace, counted: list[str]) -> None:
    build_demo(ws)
    browser = HierarchyBrowser(workspace=ws)
    counted.clear()
    east = ws.get("Model/Demo/East")
    browser.tree.expanded = [*browser.tree.expanded, (0, 2)]  # what the chevron does
    assert counted == ["East"]
    assert labels(node(browser, east)["items"]) == ["Glomma"]
    glomma = node(browser, ws.get("Model/Demo/East/Glomma"))
    assert not is_loaded(glomma)  # the grandchildren wait for their own opening
    browser.tree.expanded = [(0,)]  # closed ...
    browser.tree.expanded = [(0,), (0, 2)]  # ... and opened again: nothing is read twice
    assert counted == ["East"]
    assert browser.open(ws.get("Model/Demo/East/Glomma")) == (0, 2, 0)
    assert counted == ["East", "Glomma"]
    assert labels(node(browser, ws.get("Model/Demo/East/Glomma"))["items"]) == [
        "Aursunden",
        "Storsjoen",
        "Kuraas",
        "Rendalen",
    ]


def test_labels_and_icons_follow_the_object_definition(ws: wb.Workspace) -> None:
    build_demo(ws)
    browser = HierarchyBrowser(workspace=ws, icons={"Area": "public"})
    browser.open(ws.get("Model/Demo/East"))
    browser.open(ws.get("Model/Demo/East/Glomma"))
    shown = {
        i["label"]: (i["secondary"], i["icon"])
        for i in node(browser, ws.get("Model/Demo/East/Glomma"))["items"]
    }
    assert shown == {
        "Aursunden": ("Reservoir", "water"),
        "Storsjoen": ("Reservoir", "water"),
        "Kuraas": ("Plant", "bolt"),
        "Rendalen": ("Plant", "bolt"),
    }
    assert node(browser, ws.get("Model/Demo/East"))["icon"] == "public"  # the override
    assert node(browser, ws.get("Model/Demo/NO1"))["icon"] == "euro"


def test_long_child_lists_come_in_pages(ws: wb.Workspace) -> None:
    build_grid(ws, plants=5)
    browser = HierarchyBrowser(workspace=ws, page_size=2)
    station = ws.get("Model/Grid/S1")
    browser.open(station)
    assert labels(node(browser, station)["items"]) == ["S1_P0", "S1_P1", "3 more…"]
    more = node(browser, station)["items"][-1]
    browser.tree.value = [more]  # selecting "more" shows the next page, and selects nothing
    assert labels(node(browser, station)["items"]) == [
        "S1_P0",
        "S1_P1",
        "S1_P2",
        "S1_P3",
        "1 more…",
    ]
    assert browser.selected is None
    last = ws.get("Model/Grid/S1/S1_P4")
    browser.selected = last  # a selection beyond the pages shown opens them
    assert labels(node(browser, station)["items"])[-1] == "S1_P4"
    assert browser.tree.value[0]["id"] == f"o:{last.id}"


# -- selection ----------------------------------------------------------------------------------


def test_selecting_a_node_sets_selected(ws: wb.Workspace) -> None:
    build_demo(ws)
    browser = HierarchyBrowser(workspace=ws)
    browser.tree.active = [(0, 3)]  # what clicking "South" does
    assert browser.selected == ws.get("Model/Demo/South")
    browser.tree.active = [(0,)]
    assert browser.selected == ws.get("Model/Demo")


def test_setting_selected_opens_the_tree_down_to_it(ws: wb.Workspace, counted: list[str]) -> None:
    build_demo(ws)
    browser = HierarchyBrowser(workspace=ws)
    counted.clear()
    brokke = ws.get("Model/Demo/South/Otra/Brokke")
    browser.selected = brokke
    assert counted == ["South", "Otra"]  # only the ancestors on the way were opened
    path = path_of(browser.tree.items, f"o:{brokke.id}")
    assert path == (0, 3, 0, 3)
    assert browser.tree.active == [path] and (0, 3, 0) in browser.tree.expanded
    browser.selected = None
    assert browser.tree.active == []


def test_selecting_an_object_of_another_model_switches_the_model(ws: wb.Workspace) -> None:
    build_demo(ws)
    build_grid(ws)
    browser = HierarchyBrowser(workspace=ws)
    assert browser.model is not None and browser.model.name == "Demo"
    assert set(browser.model_select.options) == {"Demo", "Grid"}
    browser.selected = ws.get("Model/Grid/S2/S2_P1")
    assert browser.model.name == "Grid" and browser.model_select.value.name == "Grid"
    assert browser.tree.items[0]["label"] == "Grid"
    assert browser.tree.value[0]["label"] == "S2_P1"
    browser.model_select.value = ws.get("Model/Demo")  # the model selector
    assert browser.model.name == "Demo" and browser.tree.items[0]["label"] == "Demo"


def test_the_catalog_lists_folders_then_sensors(ws: wb.Workspace) -> None:
    build_grid(ws)
    browser = HierarchyBrowser(workspace=ws)
    catalog = path_of(browser.tree.items, "f:")
    assert catalog is not None
    browser.open(catalog)
    top = item_at(browser.tree.items, catalog)
    assert top is not None
    sensors = {s.name: s for s in ws.get("Model/Grid/S1/S1_P0").sensors()}
    assert [(i["id"], i["label"]) for i in top["items"]] == [
        ("f:Grid", "Grid"),
        (f"s:{sensors['grid_top'].id}", "grid_top"),
    ]
    browser.tree.value = [top["items"][0]]  # clicking a folder opens it
    grid = item_at(browser.tree.items, (*catalog, 0))
    assert grid is not None
    assert [i["label"] for i in grid["items"]] == ["Flows", "power"]
    assert grid["items"][1]["secondary"] == "MW · Model/Grid/S1/S1_P0"
    browser.tree.value = [grid["items"][1]]
    assert isinstance(browser.selected, wb.Sensor) and browser.selected.name == "power"


def test_a_selected_sensor_opens_its_catalog_folders(ws: wb.Workspace) -> None:
    build_grid(ws)
    browser = HierarchyBrowser(workspace=ws)
    flow = ws.get("Model/Grid/S1").sensors()[0]
    browser.selected = flow
    assert browser.tree.value[0]["id"] == f"s:{flow.id}"
    assert node(browser, flow)["label"] == "flow"


# -- search -------------------------------------------------------------------------------------


def found_names(browser: HierarchyBrowser) -> list[str]:
    return [getattr(r, "name", None) or r.full_name for r in browser.results]


def test_search_by_name_substring_or_glob_ignoring_case(ws: wb.Workspace) -> None:
    build_demo(ws)
    browser = HierarchyBrowser(workspace=ws)
    browser.query = "DAL"
    assert found_names(browser) == ["Rendalen", "Vatnedalsvatn", "Tovdal"]
    assert browser.message == "3 found"
    assert browser.hits.visible and not browser.tree.visible
    assert browser.hits.items[0]["secondary"] == "Plant · Model/Demo/East/Glomma/Rendalen"
    browser.query = "*vatn"
    assert found_names(browser) == ["Urevatn", "Vatnedalsvatn"]
    browser.query = "h?len"
    assert found_names(browser) == ["Holen"]
    browser.search_box.value = "nothing like it"  # the search box drives the query
    assert browser.query == "nothing like it" and browser.results == []
    assert browser.message == "0 found"
    browser.query = ""
    assert browser.tree.visible and not browser.hits.visible and browser.message == ""


def test_search_by_name_finds_sensors_too(ws: wb.Workspace) -> None:
    build_grid(ws)
    browser = HierarchyBrowser(workspace=ws)
    browser.query = "pow*"
    assert [(type(r).__name__, r.name) for r in browser.results] == [("Sensor", "power")]
    browser.hits.value = [browser.hits.items[0]]
    assert isinstance(browser.selected, wb.Sensor) and browser.selected.name == "power"


def test_search_by_query_and_by_attribute(ws: wb.Workspace) -> None:
    build_demo(ws)
    browser = HierarchyBrowser(workspace=ws)
    browser.query = "{*}[.Type=Reservoir && .MaxVolume>100]"
    assert found_names(browser) == ["Storsjoen", "Urevatn", "Vatnedalsvatn"]
    browser.query = "{*}[.Type=Plant && .MaxPower>300].MaxPower"
    assert [(a.object.name, a.name) for a in browser.results] == [
        ("Holen", "MaxPower"),
        ("Brokke", "MaxPower"),
    ]
    assert labels(browser.hits.items) == ["Holen.MaxPower", "Brokke.MaxPower"]
    browser.hits.value = [browser.hits.items[1]]  # a found attribute selects its object
    assert browser.selected == ws.get("Model/Demo/South/Otra/Brokke")
    browser.query = ""
    assert browser.tree.value[0]["label"] == "Brokke"  # and the tree opened down to it


def test_a_bad_query_shows_the_error(ws: wb.Workspace) -> None:
    build_demo(ws)
    browser = HierarchyBrowser(workspace=ws)
    browser.query = "{*}[.Type=]"
    assert "unexpected ']'" in browser.message and "column 11" in browser.message
    assert browser.status.visible and browser.status.severity == "error"
    assert browser.results == [] and browser.hits.items == []
    browser.query = "{*}[.MaxPower~5]"
    assert "~" in browser.message and "MaxPower" in browser.message


def test_results_are_capped(ws: wb.Workspace) -> None:
    build_grid(ws, plants=4)
    browser = HierarchyBrowser(workspace=ws, max_results=5)
    browser.query = "_p"
    assert len(browser.results) == 12 and len(browser.hits.items) == 5
    assert browser.message == "12 found; the first 5 shown"


# -- access -------------------------------------------------------------------------------------


@pytest.fixture
def tenants(ws: wb.Workspace, store_url: str) -> Iterator[dict[str, wb.Workspace]]:
    """The demo (public), a model of account Acme with sensors, and users of Acme and of Other."""
    build_demo(ws)
    acc.create_account(ws, "Acme")
    acc.create_account(ws, "Other")
    build_grid(ws, "AcmeGrid", account="Acme")
    made = {"admin": ws}
    for kind, account in (("acme", "Acme"), ("other", "Other")):
        acc.add_user(ws, f"{kind}@example.org", account, USER_SECRET, [])
        made[kind] = wb.connect(store_url, user=f"{kind}@example.org", secret=USER_SECRET)
    yield made
    for kind in ("acme", "other"):
        made[kind].engine.dispose()


def everything_shown(browser: HierarchyBrowser) -> list[str]:
    """Every label of the tree, with every node opened (as far as the user can see)."""
    seen: list[str] = []

    def visit(path: tuple[int, ...]) -> None:
        browser.open(path)
        item = item_at(browser.tree.items, path) or {}
        for i, child in enumerate(item.get("items", [])):
            seen.append(child["label"])
            if child.get("items"):
                visit((*path, i))

    for i, top in enumerate(browser.tree.items):
        seen.append(top["label"])
        visit((i,))
    return seen


def test_a_user_of_another_account_sees_nothing_of_it(tenants: dict[str, wb.Workspace]) -> None:
    acme = HierarchyBrowser(workspace=tenants["acme"])
    assert set(acme.model_select.options) == {"Demo", "AcmeGrid"}
    other = HierarchyBrowser(workspace=tenants["other"])
    assert list(other.model_select.options) == ["Demo"]  # the public model only
    shown = everything_shown(other)
    assert "Kuraas" in shown and "Resource catalog" in shown
    assert not [s for s in shown if s.startswith(("S1", "S2", "AcmeGrid", "flow", "power"))]
    assert "acmegrid_top" not in shown
    for query in ("S1", "*_P*", "pow*", "flow"):
        other.query = query
        assert other.results == [], query
    other.query = "{*}[.Name~S1]"
    assert other.results == []
    acme.query = "pow*"
    assert [r.name for r in acme.results] == ["power"]  # the same search finds it for Acme


def test_without_any_visible_model_only_the_catalog_shows(ws: wb.Workspace, store_url: str) -> None:
    acc.create_account(ws, "Acme")
    acc.create_account(ws, "Other")
    build_grid(ws, "AcmeGrid", account="Acme")
    acc.add_user(ws, "other@example.org", "Other", USER_SECRET, [])
    user = wb.connect(store_url, user="other@example.org", secret=USER_SECRET)
    try:
        browser = HierarchyBrowser(workspace=user)
        assert browser.model is None and browser.model_select.options == {}
        assert labels(browser.tree.items) == ["Resource catalog"]
        browser.open((0,))
        assert browser.tree.items[0]["items"] == []
        browser.query = "{*}"
        assert browser.results == [] and "model" in browser.message
        browser.selected = ws.get("Model/AcmeGrid/S1")  # a handle from someone else
        assert browser.tree.active == [] and "not found" in browser.message
    finally:
        user.engine.dispose()
