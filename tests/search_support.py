"""An in-memory search navigator and a small hydropower tree in it, for the search tests
(tests/test_search.py, tests/test_search_speed.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from workbench.search import MISSING, Node, ObjectId


@dataclass
class MemoryNavigator:
    """A tree held in dicts; counts the calls the search makes."""

    nodes_by_id: dict[int, Node] = field(default_factory=dict)
    parent_of: dict[int, int | None] = field(default_factory=dict)
    children_of: dict[int, list[int]] = field(default_factory=dict)
    attributes: dict[int, dict[str, object]] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    #: the relation attributes of each object definition: name -> "own" or "link"
    relations: dict[str, dict[str, str]] = field(default_factory=dict)
    owned_via: dict[int, str] = field(default_factory=dict)
    links: dict[int, dict[str, list[int]]] = field(default_factory=dict)

    def add(
        self, parent: int | None, name: str, type_name: str, via: str | None = None,
        **attrs: object,
    ) -> int:  # fmt: skip
        """Add an object (owned through the ownership relation ``via`` of its parent, if given)."""
        node_id = len(self.nodes_by_id) + 1
        self.nodes_by_id[node_id] = Node(node_id, name, type_name)
        self.parent_of[node_id] = parent
        self.children_of[node_id] = []
        if parent is not None:
            self.children_of[parent].append(node_id)
            if via is not None:
                self.owned_via[node_id] = via
                parent_type = self.nodes_by_id[parent].type_name
                self.relations.setdefault(parent_type, {})[via] = "own"
        self.attributes[node_id] = dict(attrs)
        self.links[node_id] = {}
        return node_id

    def link(self, source: int, name: str, *targets: int) -> None:
        """Set the link relation ``name`` of ``source`` to ``targets``."""
        self.relations.setdefault(self.nodes_by_id[source].type_name, {})[name] = "link"
        self.links[source][name] = list(targets)

    def related(self, ids: Sequence[ObjectId], name: str) -> Mapping[ObjectId, Sequence[Node]]:
        self.calls["related"] += 1
        out: dict[ObjectId, list[Node]] = {}
        for i in ids:
            kind = self.relations.get(self.nodes_by_id[i].type_name, {}).get(name)  # type: ignore[index]
            if kind == "own":
                kids = self.children_of[i]  # type: ignore[index]
                out[i] = [self.nodes_by_id[c] for c in kids if self.owned_via.get(c) == name]
            elif kind == "link":
                out[i] = [self.nodes_by_id[t] for t in self.links[i].get(name, [])]  # type: ignore[index]
        return out

    def linked(self, ids: Sequence[ObjectId], reverse: bool) -> Mapping[ObjectId, Sequence[Node]]:
        self.calls["linked"] += 1
        out: dict[ObjectId, list[Node]] = {i: [] for i in ids}
        for source, named in self.links.items():
            for targets in named.values():
                for target in targets:
                    key, other = (target, source) if reverse else (source, target)
                    if key in out and self.nodes_by_id[other] not in out[key]:
                        out[key].append(self.nodes_by_id[other])
        return out

    def nodes(self, ids: Sequence[ObjectId]) -> Mapping[ObjectId, Node]:
        self.calls["nodes"] += 1
        return {i: self.nodes_by_id[i] for i in ids if i in self.nodes_by_id}  # type: ignore[index]

    def children(self, ids: Sequence[ObjectId]) -> Mapping[ObjectId, Sequence[Node]]:
        self.calls["children"] += 1
        return {i: [self.nodes_by_id[c] for c in self.children_of[i]] for i in ids}  # type: ignore[index]

    def parents(self, ids: Sequence[ObjectId]) -> Mapping[ObjectId, Node | None]:
        self.calls["parents"] += 1
        found = {i: self.parent_of[i] for i in ids}  # type: ignore[index]
        return {i: None if p is None else self.nodes_by_id[p] for i, p in found.items()}

    def attribute_values(self, ids: Sequence[ObjectId], name: str) -> Mapping[ObjectId, object]:
        self.calls["attribute_values"] += 1
        return {i: self.attributes[i].get(name, MISSING) for i in ids}  # type: ignore[index]

    def id_of(self, name: str) -> int:
        return next(i for i, n in self.nodes_by_id.items() if n.name == name)

    def preorder(self, start: int) -> list[int]:
        order, stack = [], [start]
        while stack:
            node = stack.pop()
            order.append(node)
            stack.extend(reversed(self.children_of[node]))
        return order


def hydro() -> MemoryNavigator:
    """A small hydropower system: areas, a watercourse, reservoirs, plants, a price area."""
    nav = MemoryNavigator()
    root = nav.add(None, "Sys", "System")
    north = nav.add(root, "North", "Area", "To_Areas", Code="N1")
    glomma = nav.add(north, "Glomma", "Watercourse")
    nav.add(glomma, "Lake1", "Reservoir", Level=120.5, Tags=["storage", "main"], Note=None)
    nav.add(
        glomma, "PlantA", "PowerPlant", Capacity=120, Active=True, Owner="Acme Energy",
        Commissioned=datetime(2010, 5, 1, 12, 0, tzinfo=UTC), Units=np.array([1, 2, 3]),
    )  # fmt: skip
    nav.add(glomma, "PlantB", "PowerPlant", Capacity=4.5, Active=False, Owner="Nordic Hydro",
            Commissioned=np.datetime64("1995-01-01T00:00"))  # fmt: skip
    nav.add(north, "Lake2", "Reservoir", Level=80, Tags=["spill"])
    south = nav.add(root, "South", "Area", "To_Areas", Code="S1")
    nav.add(south, "SmallPlant", "PowerPlant", Capacity=2, Owner="acme energy")
    south_east = nav.add(south, "SouthEast", "Area", "To_Areas")
    nav.add(
        south_east,
        "PlantC",
        "PowerPlant",
        Capacity=300,
        Commissioned=datetime(2022, 5, 10, 7, 24, 15),
    )
    price_area = nav.add(root, "NO1", "PriceArea", "To_PriceAreas")
    nav.link(north, "To_PriceArea", price_area)
    nav.link(south, "To_PriceArea", price_area)
    return nav
