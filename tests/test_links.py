"""Tests of link relations and versioned links: targets, type checks, target at t, history.

Every refusal is checked twice: the error names the bad value, and the store is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from conftest import MakeModel, attr, owns, refused

import workbench as wb
from workbench.errors import ConcurrentEdit, InvalidValue, NotFound


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@dataclass
class Grid:
    ws: wb.Workspace
    plant: wb.Object
    areas: list[wb.Object]
    other_plant: wb.Object


@pytest.fixture
def grid(ws: wb.Workspace, make_model: MakeModel) -> Grid:
    types = {
        "PriceArea": {},
        "PowerPlant": {
            "Area": attr("link_one", target="PriceArea"),
            "Markets": attr("link_many", target="PriceArea"),
            "PriceArea": attr("versioned_link_one", target="PriceArea"),
            "Bids": attr("versioned_link_many", target="PriceArea"),
            "Turbines": "int64",
        },
        "System": {"To_Plants": owns("PowerPlant"), "To_Areas": owns("PriceArea")},
    }
    areas = ["NO1", "NO2", "NO5"]
    children = {"To_Areas": areas, "To_Plants": ["PlantA", "PlantB"]}
    made = make_model(ws, "Nordic", definition="EnergySystem", types=types, children=children)
    found = made.objects
    return Grid(ws, found["PlantA"], [found[a] for a in areas], found["PlantB"])


def test_link_one_and_link_many(grid: Grid) -> None:
    p, (no1, no2, no5) = grid.plant, grid.areas
    assert (p["Area"], p["Markets"]) == (None, [])
    p.set_links("Area", no2)
    p.set_links("Markets", [no5, no1])
    q = grid.ws.get("Model/Nordic/PlantA")
    assert q["Area"] == no2 and q.links("Area") == [no2]
    assert q["Markets"] == [no5, no1]  # in the order given
    assert [t.full_name for t in q["Markets"]] == [
        "Model/Nordic.To_Areas/NO5",
        "Model/Nordic.To_Areas/NO1",
    ]
    assert grid.ws.get("Model/Nordic/PlantA.Markets").value == [no5, no1]
    p.set_links("Area", None)
    p.set_links("Markets", [])
    assert (q["Area"], q["Markets"]) == (None, [])


def test_link_refusals(grid: Grid) -> None:
    ws, p, (no1, no2, _) = grid.ws, grid.plant, grid.areas
    p.set_links("Markets", [no1])
    refused(
        ws,
        InvalidValue,
        "takes objects of type 'PriceArea', not 'PowerPlant'",
        lambda: p.set_links("Area", grid.other_plant),
    )
    refused(
        ws,
        InvalidValue,
        "takes objects of type 'PriceArea', not 'PowerPlant'",
        lambda: p.set_links("Markets", [no2, grid.other_plant]),
    )
    refused(ws, InvalidValue, "one-to-one .*got 2 targets", lambda: p.set_links("Area", [no1, no2]))
    refused(
        ws,
        InvalidValue,
        "link targets must be objects, got 'NO1'",
        lambda: p.set_links("Markets", ["NO1"]),  # type: ignore[list-item]
    )
    refused(
        ws,
        InvalidValue,
        r"\['Model/Nordic.To_Areas/NO2'\] given more than once",
        lambda: p.set_links("Markets", [no2, no2]),
    )
    refused(
        ws,
        InvalidValue,
        "is int64, not link_one or link_many",
        lambda: p.set_links("Turbines", no1),
    )
    refused(
        ws,
        InvalidValue,
        "is link_one, not versioned_link_one",
        lambda: p.add_link_version("Area", no1, "UTC20240101"),
    )
    refused(
        ws,
        InvalidValue,
        "use add_child/move for ownership, set_links for links",
        lambda: p.__setitem__("Area", no1),
    )
    refused(ws, NotFound, "'Nope'", lambda: p.set_links("Nope", no1))
    assert p["Markets"] == [no1]


def test_a_deleted_target_is_refused_and_a_deleted_link_shows_nothing(grid: Grid) -> None:
    ws, p, (no1, no2, no5) = grid.ws, grid.plant, grid.areas
    p.set_links("Area", no1)
    p.set_links("Markets", [no1, no2])
    ws.get(no1.id).delete()
    assert (p["Area"], p["Markets"]) == (None, [no2])
    refused(
        ws,
        NotFound,
        "'Model/Nordic.To_Areas/NO1'; it was deleted",
        lambda: p.set_links("Markets", [no5, no1]),
    )
    refused(
        ws, NotFound, "it was deleted", lambda: p.add_link_version("PriceArea", no1, "UTC20240101")
    )


def test_versioned_link_target_at_a_time(grid: Grid) -> None:
    p, (no1, no2, no5) = grid.plant, grid.areas
    assert p.link_target_at("PriceArea", "UTC20240101") is None
    p.add_link_version("PriceArea", no1, "UTC20200101")
    p.add_link_version("PriceArea", no2, utc(2022, 7, 1))
    p.add_link_version("PriceArea", None, "2023-01-01T00:00:00Z")
    p.add_link_version("PriceArea", no5, "UTC20240101")
    q = grid.ws.get(p.full_name)
    assert q.link_target_at("PriceArea", "UTC20191231235959") is None  # before the first
    assert q.link_target_at("PriceArea", "UTC20200101") == no1  # valid_from is inclusive
    assert q.link_target_at("PriceArea", utc(2022, 6, 30, 23, 59, 59)) == no1
    assert q.link_target_at("PriceArea", utc(2022, 7, 1)) == no2
    assert q.link_target_at("PriceArea", "UTC20230601") is None  # linked to nothing
    assert q.link_target_at("PriceArea", "UTC20990101") == no5
    p.add_link_version("PriceArea", no5, "UTC20220701")  # one-to-one: replaces that version
    assert q.link_target_at("PriceArea", utc(2022, 8, 1)) == no5


def test_versioned_link_history_between_two_times(grid: Grid) -> None:
    p, (no1, no2, no5) = grid.plant, grid.areas
    p.add_link_version("PriceArea", no5, "UTC20240101")  # out of order on purpose
    p.add_link_version("PriceArea", no1, "UTC20200101")
    p.add_link_version("PriceArea", None, "UTC20230101")
    p.add_link_version("PriceArea", no2, "UTC20220701")
    everything = [
        (utc(2020, 1, 1), no1),
        (utc(2022, 7, 1), no2),
        (utc(2023, 1, 1), None),
        (utc(2024, 1, 1), no5),
    ]
    assert p.link_history("PriceArea") == everything
    assert p["PriceArea"] == everything
    # the version in force at t1 counts; one starting at t2 does not
    assert p.link_history("PriceArea", "UTC20210101", "UTC20230101") == everything[:2]
    assert p.link_history("PriceArea", "UTC20220701", "UTC20230102") == everything[1:3]
    assert p.link_history("PriceArea", "UTC20250101") == everything[3:]
    assert p.link_history("PriceArea", None, "UTC20200101") == []


def test_versioned_link_many(grid: Grid) -> None:
    p, (no1, no2, no5) = grid.plant, grid.areas
    assert p.link_target_at("Bids", "UTC20240101") == []
    p.add_link_version("Bids", no1, "UTC20240101")
    p.add_link_version("Bids", no2, "UTC20240101")
    p.add_link_version("Bids", no2, "UTC20240101")  # already there: no change
    p.add_link_version("Bids", no5, "UTC20250101")
    p.add_link_version("Bids", None, "UTC20260101")
    both = p.link_target_at("Bids", "UTC20240601")
    assert isinstance(both, list) and sorted(t.name for t in both) == ["NO1", "NO2"]
    assert p.link_target_at("Bids", "UTC20250601") == [no5]
    assert p.link_target_at("Bids", "UTC20260601") == []
    history = p.link_history("Bids", "UTC20240601", "UTC20251231")
    assert sorted((t, o.name if o else None) for t, o in history) == [
        (utc(2024, 1, 1), "NO1"),
        (utc(2024, 1, 1), "NO2"),
        (utc(2025, 1, 1), "NO5"),
    ]


def test_versioned_link_refusals(grid: Grid) -> None:
    ws, p, (no1, _, _) = grid.ws, grid.plant, grid.areas
    p.add_link_version("PriceArea", no1, "UTC20200101")
    refused(
        ws,
        InvalidValue,
        "takes objects of type 'PriceArea', not 'PowerPlant'",
        lambda: p.add_link_version("PriceArea", grid.other_plant, "UTC20210101"),
    )
    refused(
        ws,
        InvalidValue,
        "'last tuesday' is not understood",
        lambda: p.add_link_version("PriceArea", no1, "last tuesday"),
    )
    refused(
        ws,
        InvalidValue,
        "has no timezone",
        lambda: p.add_link_version("PriceArea", no1, datetime(2021, 1, 1)),
    )
    refused(
        ws,
        InvalidValue,
        "must be an object or None, got 'NO1'",
        lambda: p.add_link_version("PriceArea", "NO1", "UTC20210101"),  # type: ignore[arg-type]
    )
    refused(
        ws,
        InvalidValue,
        "is versioned_link_one, not link_one",
        lambda: p.set_links("PriceArea", no1),
    )
    assert p.link_history("PriceArea") == [(utc(2020, 1, 1), no1)]


def test_link_edits_use_optimistic_locking(grid: Grid) -> None:
    ws, p, (no1, no2, _) = grid.ws, grid.plant, grid.areas
    stale = ws.get(p.id)
    p.set_links("Area", no1)
    refused(ws, ConcurrentEdit, "refresh", lambda: stale.set_links("Area", no2))
    refused(
        ws,
        ConcurrentEdit,
        "refresh",
        lambda: stale.add_link_version("PriceArea", no2, "UTC20240101"),
    )
    stale.refresh().set_links("Area", no2)
    assert p["Area"] == no2
