"""Hostile searches cannot stall the server: linear-time patterns, bounded nesting and length."""

from __future__ import annotations

import doctest
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pytest
from conftest import MakeModel, owns
from search_support import hydro

import workbench as wb
from workbench.errors import ExpressionError, SearchError
from workbench.search import MISSING, Node, ObjectId, parse_search, patterns, run_search
from workbench.search.parser import MAX_SEARCH_DEPTH, MAX_SEARCH_LENGTH
from workbench.search.patterns import MAX_PATTERN_LENGTH

EVIL = '"(a+)+$"'  # exponential in Python's re: hours against forty a's and a '!'
VICTIM = "a" * 40 + "!"


@dataclass
class Flat:
    """A root with children, each with attributes, held in dicts."""

    names: list[str]
    attributes: dict[str, dict[str, object]] = field(default_factory=dict)

    def node(self, index: int) -> Node:
        return Node(index, "Root" if index == 0 else self.names[index - 1], "Thing")

    def nodes(self, ids: Sequence[ObjectId]) -> Mapping[ObjectId, Node]:
        return {i: self.node(i) for i in ids if i in range(len(self.names) + 1)}  # type: ignore[operator]

    def children(self, ids: Sequence[ObjectId]) -> Mapping[ObjectId, Sequence[Node]]:
        kids = [self.node(i + 1) for i in range(len(self.names))]
        return {i: kids if i == 0 else [] for i in ids}

    def parents(self, ids: Sequence[ObjectId]) -> Mapping[ObjectId, Node | None]:
        return {i: None if i == 0 else self.node(0) for i in ids}

    def attribute_values(self, ids: Sequence[ObjectId], name: str) -> Mapping[ObjectId, object]:
        def value(i: ObjectId) -> object:
            own = self.attributes.get(self.node(i).name, {})  # type: ignore[arg-type]
            return own.get(name, MISSING)

        return {i: value(i) for i in ids}


def found(text: str, navigator: Flat) -> list[str]:
    return [node.name for node in run_search(text, navigator, 0).objects]


# --- regular expressions: RE2, linear time -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"[.Note#{EVIL}]", ["Plain"]),
        (f"[.Note#{EVIL}]{{i}}", ["Plain"]),
        (f"[.Name#{EVIL}]", []),
        (f"[!.Note#{EVIL} && .Note~a]", [VICTIM]),
    ],
)
def test_a_pathological_pattern_answers_at_once(text: str, expected: list[str]) -> None:
    navigator = Flat([VICTIM, "Plain"], {VICTIM: {"Note": VICTIM}, "Plain": {"Note": "a" * 40}})
    started = time.process_time()
    assert found(text, navigator) == expected
    assert time.process_time() - started < 10  # a backtracking engine: hours (bound loose: CI)


@pytest.fixture
def victims(ws: wb.Workspace, make_model: MakeModel) -> wb.Object:
    """A model whose objects hold the text that makes a backtracking engine take hours."""
    types = {"Thing": {"Note": "string"}, "Root": {"To_Things": owns("Thing")}}
    made = make_model(ws, "Evil", definition="Evil", types=types)
    model, thing = made.model, made.types["Thing"]
    with ws.transaction():
        for name in (VICTIM, "a" * 40, "Plain"):
            model.add_child("To_Things", name, thing)["Note"] = name
    return model


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (f"{{*}}[.Note#{EVIL}]", ["a" * 40]),
        (f"{{*}}[.Name#{EVIL}]", ["a" * 40]),
        (f"{{*}}[.Name#{EVIL} || .Note#{EVIL}]{{i}}", ["a" * 40]),
        (f"[.Note#{EVIL}]", ["a" * 40]),  # one level: no subtree query
        (f"{{*}}[.Note#{EVIL}].Note", ["a" * 40]),
    ],
)
def test_a_pathological_pattern_answers_at_once_from_the_store(
    ws: wb.Workspace, victims: wb.Object, query: str, expected: list[str]
) -> None:
    started = time.process_time()
    result = ws.search(victims, query)
    assert time.process_time() - started < 10  # a backtracking engine: hours (bound loose: CI)
    assert [getattr(r, "object", r).name for r in result] == expected


@pytest.mark.parametrize(
    "pattern",
    [
        "(a)\\1",  # a backreference
        "(?P<x>a)(?P=x)",
        "Plant(?=A)",  # lookahead
        "(?<!x)Plant",  # lookbehind
        "a*+",  # possessive
        "(a",  # not a pattern at all
    ],
)
def test_constructs_re2_does_not_take_are_refused_naming_them(pattern: str) -> None:
    quoted = '"' + pattern.replace("\\", "\\\\") + '"'
    with pytest.raises(SearchError) as info:
        parse_search(f"{{*}}[.Name#{quoted}]")
    error = info.value
    assert isinstance(error, ExpressionError) and isinstance(error, ValueError)
    assert error.message.startswith(f"invalid regular expression {pattern!r}: ")
    assert "backreferences" in error.message and "lookahead" in error.message
    assert (error.line, error.column) == (1, 11)  # at the pattern


def test_a_pattern_longer_than_the_limit_is_refused_and_shown_shortened() -> None:
    long = "P" * MAX_PATTERN_LENGTH
    assert parse_search(f'[.Name#"{long}"]').traversal.criteria.condition.value.text == long  # type: ignore[union-attr]
    with pytest.raises(SearchError) as info:
        parse_search(f'[.Name#"{long}Q"]')
    message = info.value.message
    assert "at most 1,000 characters" in message and "(1,001 characters)" in message
    assert long not in message


def test_patterns_keep_their_meaning() -> None:
    navigator = Flat(["PlantA", "PlantB", "plantc", "Plant10", "Lake"])
    assert found("[.Name#Plant[A-B]]", navigator) == ["PlantA", "PlantB"]
    assert found("[.Name#plant.]{i}", navigator) == ["PlantA", "PlantB", "plantc"]
    assert found('[.Name#"Plant\\\\d+"]', navigator) == ["Plant10"]
    assert found('[.Name#"Lake|Pond"]', navigator) == ["Lake"]
    assert found("[.Name#Plant]", navigator) == []  # the whole name must match


def test_the_patterns_module_examples_run() -> None:
    assert doctest.testmod(patterns, optionflags=doctest.ELLIPSIS).failed == 0


# --- nesting and length ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "[" + "!" * 100_000 + ".Note=x]",
        "[" + "(.A=1 && " * 200 + ".B=2" + ")" * 200 + "]",
        "[" + "(.A=1 || !" * 150 + ".B=2" + ")" * 150 + "]",
        "(*/" * 150 + "@" + ")" * 150,
    ],
)
def test_deep_nesting_is_refused_naming_the_limit(text: str) -> None:
    started = time.process_time()
    with pytest.raises(SearchError, match=f"nests more than {MAX_SEARCH_DEPTH} levels") as info:
        parse_search(text)
    assert time.process_time() - started < 5
    assert len(str(info.value)) < 500  # of a long line, only the part around the fault


def test_nesting_up_to_the_limit_is_searched() -> None:
    depth = MAX_SEARCH_DEPTH // 2 - 2
    text = "[" + "(.Note=x || " * depth + ".Note=y" + ")" * depth + "]"
    assert found(text, Flat(["A", "B"], {"B": {"Note": "y"}})) == ["B"]
    assert found("[" + "!!" * 40 + ".Note=y]", Flat(["A", "B"], {"B": {"Note": "y"}})) == ["B"]


def test_long_flat_chains_of_criteria_are_searched() -> None:
    names = [f"P{i}" for i in range(1_000)]
    navigator = Flat(names)
    anyone = "[" + " || ".join(f".Name=P{i}" for i in range(0, 1_000, 2)) + "]"
    assert found(anyone, navigator) == names[::2]
    everyone = "[" + " && ".join(f".Name!=P{i}" for i in range(1, 1_000, 2)) + "]"
    assert found(everyone, navigator) == names[::2]
    composed = "@" + "/@" * 2_000
    assert found(composed, navigator) == ["Root"]


def test_long_chains_of_criteria_are_searched_in_the_store(
    ws: wb.Workspace, victims: wb.Object
) -> None:
    # SQLite refuses SQL nested 1,000 deep: the narrowing in SQL stays shorter, and the
    # search tests what comes back
    anyone = " || ".join(f".Name=N{i}" for i in range(1_000)) + " || .Name=Plain"
    assert [o.name for o in ws.search(victims, f"{{*}}[{anyone}]")] == ["Plain"]
    everyone = " && ".join(f".Name!=N{i}" for i in range(1_000)) + " && .Note~P"
    assert [o.name for o in ws.search(victims, f"{{*}}[{everyone}]")] == ["Plain"]


def test_a_search_longer_than_the_limit_is_refused() -> None:
    text = "[" + " || ".join([".Name=P"] * (MAX_SEARCH_LENGTH // 10)) + "]"
    with pytest.raises(SearchError, match=r"characters long; a search may have at most 200,000"):
        parse_search(text)


def test_long_relation_paths_run_without_deep_recursion() -> None:
    """A path of thousands of relation steps, inside criteria too, is a flat loop."""
    nav = hydro()
    sys_ = nav.id_of("Sys")
    steps = "/".join(["To_Areas"] * 5_000)
    assert run_search(steps, nav, sys_).objects == ()
    inside = "{*}[" + ".To_Areas" * 5_000 + ".Name=X]"
    assert run_search(inside, nav, sys_).objects == ()
    up = "{*}[" + ".." * 5_000 + ".Code=N1]"
    assert run_search(up, nav, sys_).objects == ()
    assert [n.name for n in run_search("(~|~~){*}", nav, sys_).objects] == ["Sys"]
